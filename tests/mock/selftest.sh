#!/bin/sh
# Self-test of llmux-mock with curl: every route and directive once.
# usage: sh tests/mock/selftest.sh [build/llmux-mock]
# Exit 0 when every check passes.  Leaves nothing running.
set -u
MOCK=${1:-build/llmux-mock}
TMP=$(mktemp -d)
fails=0
pid=

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { printf 'ok   %s\n' "$1"; }
bad() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
# has NAME FILE PATTERN: FILE contains the fixed string PATTERN
has() {
	if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1"; sed 's/^/	/' "$2" | head -20; fi
}
hasnt() {
	if grep -qF -- "$3" "$2"; then bad "$1"; sed 's/^/	/' "$2" | head -20; else ok "$1"; fi
}

"$MOCK" --log "$TMP/log" >"$TMP/port" 2>"$TMP/err" &
pid=$!
i=0
while ! grep -q '^PORT ' "$TMP/port" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 50 ] && { echo "mock did not start"; cat "$TMP/err"; exit 1; }
	sleep 0.1
done
P=$(awk '{print $2}' "$TMP/port")
U=http://127.0.0.1:$P
C="curl -s -N --max-time 5"

$C -i $U/v1/chat/completions -d '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}' >"$TMP/o"
has "plain: status" "$TMP/o" "HTTP/1.1 200 OK"
has "plain: model echoed" "$TMP/o" '"model":"gpt-4o"'
has "plain: content" "$TMP/o" '"content":"Hello from mock"'
has "plain: usage" "$TMP/o" '"completion_tokens":3'

$C $U/v1/chat/completions -d '{"model":"m","stream":true,"stream_options":{"include_usage":true}}' >"$TMP/o"
has "stream: role chunk" "$TMP/o" '"delta":{"role":"assistant","content":""}'
has "stream: last content" "$TMP/o" '"content":"tok4 "'
has "stream: finish" "$TMP/o" '"delta":{},"finish_reason":"stop"'
has "stream: usage" "$TMP/o" '"choices":[],"usage":{'
has "stream: done" "$TMP/o" 'data: [DONE]'

$C -i $U/x/status=503,retry_after=3/v1/chat/completions -d '{"model":"m"}' >"$TMP/o"
has "path directive: status" "$TMP/o" "HTTP/1.1 503"
has "path directive: retry-after" "$TMP/o" "retry-after: 3"
has "path directive: type" "$TMP/o" '"type":"server_error"'

$C -i $U/v1/chat/completions -H 'x-mock: status=429,message=slow down%2C please' -d '{"model":"m"}' >"$TMP/o"
has "header directive: 429" "$TMP/o" '"message":"slow down, please","type":"rate_limit_error"'

$C -i $U/x/status=500/v1/chat/completions -H 'x-mock: status=502' \
    -d '{"model":"m","messages":[{"content":"[[mock:status=400,code=context_length_exceeded]]"}]}' >"$TMP/o"
has "body directive wins" "$TMP/o" "HTTP/1.1 400"
has "code override" "$TMP/o" '"code":"context_length_exceeded"'

$C $U/v1/chat/completions -d '{"model":"m","stream":true,"messages":[{"content":"[[mock:chunks=2,content=abcdef,stamp=1,finish_reason=length]]"}]}' >"$TMP/o"
has "content split 1" "$TMP/o" '"content":"abc"'
has "content split 2" "$TMP/o" '"content":"def"'
has "stamp" "$TMP/o" '"mock_ts_ns":'
has "finish_reason" "$TMP/o" '"finish_reason":"length"'

$C $U/v1/chat/completions -H 'x-mock: break_after=1' -d '{"model":"m","stream":true}' >"$TMP/o"
has "break_after: sent" "$TMP/o" '"content":"tok0 "'
hasnt "break_after: cut" "$TMP/o" '"content":"tok1 "'

$C $U/v1/chat/completions -H 'x-mock: split=1,chunks=3' -d '{"model":"m","stream":true}' >"$TMP/o"
has "split: reassembles" "$TMP/o" '"content":"tok2 "'
has "split: done" "$TMP/o" 'data: [DONE]'

t0=$(date +%s%N)
$C $U/v1/chat/completions -H 'x-mock: latency_ms=300' -d '{"model":"m"}' >"$TMP/o"
t1=$(date +%s%N)
if [ $(((t1 - t0) / 1000000)) -ge 290 ]; then ok "latency"; else bad "latency"; fi

$C -X DELETE $U/_mock/stats >/dev/null
$C --max-time 1 $U/v1/chat/completions -H 'x-mock: hang=1' -d '{"model":"m"}' >/dev/null
$C --max-time 1 $U/v1/chat/completions -H 'x-mock: chunk_delay_ms=200,chunks=20' -d '{"model":"m","stream":true}' >/dev/null
sleep 0.2
$C $U/_mock/stats >"$TMP/o"
has "stats: hung" "$TMP/o" '"hung":1'
has "stats: stream aborted" "$TMP/o" '"streams_aborted":1'
has "stats: nothing in flight" "$TMP/o" '"in_flight":0'

$C $U/v1/models >"$TMP/o"
has "models" "$TMP/o" '"object":"list"'
$C $U/v1/embeddings -d '{"model":"e","input":["a","b"]}' >"$TMP/o"
has "embeddings" "$TMP/o" '"index":1'
$C $U/v1/completions -d '{"model":"t","prompt":"x"}' >"$TMP/o"
has "legacy completions" "$TMP/o" '"object":"text_completion"'
$C "$U/openai/deployments/dep1/chat/completions?api-version=2024-02-01" -d '{"messages":[]}' >"$TMP/o"
has "azure path" "$TMP/o" '"model":"dep1"'
$C -i $U/nothing -d '{}' >"$TMP/o"
has "404" "$TMP/o" "HTTP/1.1 404"

$C -X DELETE $U/_mock/requests >/dev/null
$C $U/v1/chat/completions -H 'X-Test: yes' -d '{"model":"rec"}' >/dev/null
$C -H 'Transfer-Encoding: chunked' $U/v1/chat/completions -d '{"model":"chunked"}' >"$TMP/o"
has "chunked request body" "$TMP/o" '"model":"chunked"'
$C $U/_mock/requests >"$TMP/o"
has "recorded header" "$TMP/o" '"x-test":"yes"'
has "recorded body" "$TMP/o" '"body":"{\"model\":\"rec\"}"'
has "log file" "$TMP/log" '"model\":\"rec\"'

kill "$pid"
wait "$pid" 2>/dev/null
st=$?
pid=
if [ $st -eq 0 ]; then ok "clean exit on SIGTERM"; else bad "exit status $st"; cat "$TMP/err"; fi
if [ -s "$TMP/err" ]; then bad "stderr not empty"; cat "$TMP/err"; fi

[ $fails -eq 0 ] && echo "all passed" || echo "$fails failed"
[ $fails -eq 0 ]
