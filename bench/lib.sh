# bench/lib.sh: the machinery shared by bench/run.sh and bench/smoke.sh.
#
# Sourced, not run.  The caller sets BENCH_DIR (this folder) and BUILD (the
# build directory holding llmux and llmux-mock), then calls, in order:
#   bench_init MODE      settings, folders, cleanup trap (MODE full|smoke)
#   bench_deps           apt and npm installs, only what is missing
#   bench_tools          compiles sseclient and procmon into bench/cache/
#   bench_layout         which cores run the target, the mock, the client
#   bench_bodies         the request bodies of the scenarios
#   bench_meta CMD       meta.json for report.js
#   bench_round R        every target through every scenario, once
# Each run of one target in one scenario appends one JSON line to $RUNS.
# A target that fails to start, or a scenario that fails, is recorded with
# its reason and the run goes on; nothing here aborts the whole bench.
#
# A target is one function, tgt_<name>_start, called once the mock runs
# (MOCK_PORT): it starts the target pinned to TCPUS and sets TGT_PID (the
# root of its process tree), TGT_URL and TGT_HEADERS ("Name: value|..."),
# or returns non-zero with TGT_REASON (and TGT_SKIP=1 for a deliberate
# skip).  bench_target_stop stops it.  "-" in a target's name becomes "_"
# (llmux-min -> tgt_llmux_min_start); to add one, write the function and
# name it in BENCH_TARGETS.
#
# Every process started here is recorded in $WORK/pids.$$ and stopped by
# PID (with its descendants) on exit; nothing listens beyond 127.0.0.1.

PORTKEY_VERSION=1.15.2

bench_log() {
	printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

bench_die() {
	bench_log "error: $*"
	exit 1
}

# A string made safe to put between JSON quotes, at most 400 characters.
bench_jstr() {
	printf '%s' "$1" | tr -d '\000-\037"\\' | cut -c1-400
}

bench_init() {
	BENCH_MODE=$1
	BENCH_DATE=$(date +%Y-%m-%d)
	case ":$PATH:" in
	*:/usr/sbin:*) ;;
	*) PATH=$PATH:/usr/sbin:/sbin; export PATH ;;	# nginx lives there
	esac
	WORK=$BENCH_DIR/cache
	BIN=$WORK/bin
	mkdir -p "$WORK" "$BIN" || bench_die "cannot create $WORK"
	if [ "$BENCH_MODE" = smoke ]; then
		RUNDIR=$WORK/smoke
		: "${BENCH_DURATION:=2}"
		: "${BENCH_ROUNDS:=1}"
		: "${BENCH_WARMUP:=1}"
		: "${BENCH_PORTKEY_WARMUP:=4}"
		: "${BENCH_SCENARIO_WARMUP:=0}"
		: "${BENCH_CHECK:=1}"
		# A load window that completed nothing runs once more this
		# long: a deadline a busy 2-core machine meets.
		: "${BENCH_SMOKE_RETRY:=20}"
		# Longer than any window, so a slow answer is never counted
		# as a socket error.
		: "${BENCH_WRK_TIMEOUT:=30}"
	else
		RUNDIR=$WORK/run
		: "${BENCH_DURATION:=10}"
		: "${BENCH_ROUNDS:=3}"
		: "${BENCH_WARMUP:=3}"
		: "${BENCH_PORTKEY_WARMUP:=10}"
		: "${BENCH_SCENARIO_WARMUP:=1}"
		: "${BENCH_CHECK:=0}"
		: "${BENCH_WRK_TIMEOUT:=10}"
	fi
	: "${BENCH_TARGETS:=direct nginx portkey llmux-min llmux-router llmux-full}"
	# Streams first, on upstream connections no plain request has used
	# yet (an early mock answered a stream that followed a plain request
	# on a reused connection with the plain answer again); b last, so its
	# 1,000 connections do not weigh on the other scenarios' memory.
	: "${BENCH_SCENARIOS:=c a a-lat d b}"
	: "${BENCH_RATE:=1000}"		# a-lat: total requests/s, paced
	: "${BENCH_SLOW_MS:=100}"	# b: the mock's latency
	: "${BENCH_SLOW_CONNS:=1000}"	# b: connections
	: "${BENCH_CONNS:=50}"		# a, a-lat: connections
	: "${BENCH_STREAMS:=50}"	# c: concurrent streams
	: "${BENCH_CHUNKS:=100}"	# c: chunks per answer
	: "${BENCH_CHUNK_DELAY_MS:=10}"	# c: the mock's delay between chunks
	: "${BENCH_BIG_BYTES:=2097152}"	# d: request body size
	: "${BENCH_BIG_CONNS:=10}"	# d: connections
	: "${BENCH_LLMUX_FULL:=0}"	# 1: run llmux-full (needs keys, spend)
	: "${BENCH_MOCK:=$BUILD/llmux-mock}"
	: "${BENCH_LLMUX:=$BUILD/llmux}"
	rm -rf "$RUNDIR"
	mkdir -p "$RUNDIR/logs" || bench_die "cannot create $RUNDIR"
	RUNS=$RUNDIR/runs.jsonl
	: > "$RUNS"
	PIDS=$WORK/pids.$$
	: > "$PIDS"
	trap 'bench_cleanup' EXIT
	trap 'bench_log interrupted; exit 130' INT TERM HUP
	# Scenario b holds 1,000 client connections, as many upstream and
	# the mock's side of them: raise the descriptor limit where allowed.
	hard=$(ulimit -Hn)
	if [ "$hard" = unlimited ] || [ "$hard" -gt 65536 ]; then
		hard=65536
	fi
	ulimit -n "$hard" 2>/dev/null
	if [ "$(ulimit -n)" -lt $((BENCH_SLOW_CONNS * 3 + 100)) ]; then
		bench_log "warning: ulimit -n is $(ulimit -n); scenario b may fail"
	fi
}

bench_cleanup() {
	local pid
	trap - EXIT INT TERM HUP
	if [ -f "$PIDS" ]; then
		while read -r pid; do
			bench_stop "$pid"
		done < "$PIDS"
		rm -f "$PIDS"
	fi
	[ -n "${PG_DIR:-}" ] && bench_pg_stop
}

# Remember a PID we started, so the exit trap can stop it.
bench_track() {
	echo "$1" >> "$PIDS"
}

bench_untrack() {
	grep -vx "$1" "$PIDS" > "$PIDS.tmp" 2>/dev/null
	mv -f "$PIDS.tmp" "$PIDS"
}

# Is PID running (not gone, not a zombie waiting for us)?
bench_alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null)
	[ -n "$st" ] && [ "${st#Z}" = "$st" ]
}

# PID and every descendant, with their command names ("pid comm" lines).
bench_tree() {
	ps -e -o pid= -o ppid= -o comm= | awk -v root="$1" '
		{ parent[$1] = $2; comm[$1] = $3; n++; pid[n] = $1 }
		END {
			if (!(root in parent)) exit
			keep[root] = 1
			do {
				grew = 0
				for (i = 1; i <= n; i++) {
					p = pid[i]
					if (!(p in keep) && (parent[p] in keep)) {
						keep[p] = 1; grew = 1
					}
				}
			} while (grew)
			for (p in keep) print p, comm[p]
		}'
}

# Stop PID and what it started: SIGTERM, up to 5 s, then SIGKILL; a child
# left behind is killed only if it still runs the same command.
bench_stop() {
	local tree i p c
	[ -n "$1" ] || return 0
	tree=$(bench_tree "$1")
	kill -TERM "$1" 2>/dev/null
	i=0
	while bench_alive "$1" && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	echo "$tree" | while read -r p c; do
		[ -n "$p" ] || continue
		if [ "$(ps -o comm= -p "$p" 2>/dev/null)" = "$c" ]; then
			kill -KILL "$p" 2>/dev/null
		fi
	done
	wait "$1" 2>/dev/null
	bench_untrack "$1"
	return 0
}

# apt: wrk, nginx, gnuplot and the tools the scripts call, each only when
# its command is missing (node and npm may come from elsewhere); npm:
# Portkey.
bench_deps() {
	local missing cmd pkg sudo
	missing=
	for cmd in wrk:wrk gnuplot:gnuplot-nox curl:curl ps:procps \
	    taskset:util-linux ss:iproute2 cc:build-essential node:nodejs \
	    npm:npm nginx:nginx-light; do
		pkg=${cmd#*:}
		cmd=${cmd%%:*}
		command -v "$cmd" > /dev/null 2>&1 ||
		    [ -x "/usr/sbin/$cmd" ] || missing="$missing $pkg"
	done
	if [ "$BENCH_LLMUX_FULL" = 1 ] &&
	    ! ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1; then
		missing="$missing postgresql"
	fi
	if [ -n "$missing" ]; then
		bench_log "installing$missing"
		sudo=
		[ "$(id -u)" = 0 ] || sudo=sudo
		export DEBIAN_FRONTEND=noninteractive
		$sudo apt-get update -qq &&
		    $sudo apt-get install -y -qq --no-install-recommends \
		    $missing >&2 || bench_die "apt-get install$missing failed"
	fi
	case " $BENCH_TARGETS " in
	*" portkey "*) bench_portkey_install ;;
	esac
}

# Portkey from npm, pinned by bench/package-lock.json, into bench/cache/.
bench_portkey_install() {
	local pk stamp
	pk=$WORK/portkey
	stamp=$(cat "$BENCH_DIR/package.json" "$BENCH_DIR/package-lock.json" |
	    cksum | cut -d' ' -f1)
	if [ -f "$pk/.stamp" ] && [ "$(cat "$pk/.stamp")" = "$stamp" ] &&
	    [ -f "$pk/node_modules/@portkey-ai/gateway/build/start-server.js" ]
	then
		return 0
	fi
	bench_log "installing @portkey-ai/gateway $PORTKEY_VERSION from npm"
	rm -rf "$pk"
	mkdir -p "$pk" || bench_die "cannot create $pk"
	cp "$BENCH_DIR/package.json" "$BENCH_DIR/package-lock.json" "$pk/"
	# Its only install script applies patches the package does not ship.
	if ! (cd "$pk" && npm ci --omit=dev --ignore-scripts --no-audit \
	    --no-fund --loglevel=error >&2) ||
	    [ ! -f "$pk/node_modules/@portkey-ai/gateway/build/start-server.js" ]
	then
		PORTKEY_ERR="npm ci of @portkey-ai/gateway $PORTKEY_VERSION failed (is the npm registry reachable?)"
		bench_log "error: $PORTKEY_ERR"
		rm -rf "$pk"
		return 1
	fi
	echo "$stamp" > "$pk/.stamp"
}

bench_tools() {
	local t
	for t in sseclient procmon; do
		if [ ! -x "$BIN/$t" ] || [ "$BENCH_DIR/$t.c" -nt "$BIN/$t" ]; then
			${CC:-cc} -O2 -Wall -Wextra -o "$BIN/$t" \
			    "$BENCH_DIR/$t.c" || bench_die "cannot compile $t.c"
		fi
	done
}

# A comma list of n cores starting at first, e.g. "2-3".
bench_cpus() {
	if [ "$2" -le 1 ]; then
		echo "$1"
	else
		echo "$1-$(($1 + $2 - 1))"
	fi
}

# The target gets a quarter of the cores (at least one), the mock another
# quarter, the client the rest.  With 2 cores the mock shares the target's
# core; with 1 everything shares it (and the report says so).
bench_layout() {
	NCPU=$(getconf _NPROCESSORS_ONLN)
	if [ "$NCPU" -le 1 ]; then
		NT=1; NM=1; NC=1
		TCPUS=0; MCPUS=0; CCPUS=0
		LAYOUT_NOTE="one core: target, mock and client share it"
	elif [ "$NCPU" -le 3 ]; then
		NT=1; NM=1; NC=$((NCPU - 1))
		TCPUS=0; MCPUS=0; CCPUS=$(bench_cpus 1 "$NC")
		LAYOUT_NOTE="the mock shares the target's core"
	else
		NT=${BENCH_TARGET_CORES:-$((NCPU / 4))}
		NM=$((NCPU / 4))
		NC=$((NCPU - NT - NM))
		if [ "$NC" -lt 1 ]; then
			bench_die "BENCH_TARGET_CORES=$NT leaves no core for the client"
		fi
		TCPUS=$(bench_cpus 0 "$NT")
		MCPUS=$(bench_cpus "$NT" "$NM")
		CCPUS=$(bench_cpus $((NT + NM)) "$NC")
		LAYOUT_NOTE="target, mock and client on separate cores"
	fi
	NWORKERS=$NT
	bench_log "cores: target $TCPUS ($NWORKERS workers), mock $MCPUS," \
	    "client $CCPUS; $LAYOUT_NOTE"
}

bench_bodies() {
	local B msg
	B=$WORK/bodies
	mkdir -p "$B"
	msg='Write one short greeting.'
	printf '{"model":"bench-model","max_tokens":16,"messages":[{"role":"user","content":"%s"}]}\n' \
	    "$msg" > "$B/a.json"
	printf '{"model":"bench-model","max_tokens":16,"messages":[{"role":"user","content":"%s [[mock:latency_ms=%s]]"}]}\n' \
	    "$msg" "$BENCH_SLOW_MS" > "$B/b.json"
	printf '{"model":"bench-model","stream":true,"messages":[{"role":"user","content":"%s [[mock:chunks=%s,chunk_delay_ms=%s,stamp=1]]"}]}\n' \
	    "$msg" "$BENCH_CHUNKS" "$BENCH_CHUNK_DELAY_MS" > "$B/c.json"
	# d: a long prompt of plain words, BENCH_BIG_BYTES in all.
	awk -v size="$BENCH_BIG_BYTES" 'BEGIN {
		head = "{\"model\":\"bench-model\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\""
		tail = "\"}]}"
		w = "the quick brown fox jumps over the lazy dog and keeps running "
		n = size - length(head) - length(tail)
		s = w
		while (length(s) * 2 <= n) s = s s
		while (length(s) < n) s = s substr(w, 1, n - length(s))
		printf "%s%s%s", head, substr(s, 1, n), tail
	}' > "$B/d.json"
	cp "$B/a.json" "$B/a-lat.json"
}

# A free TCP port on 127.0.0.1, below the ephemeral range (a port there
# may be the source port of some connection, and listen() would fail),
# used by no socket in any state.
bench_port() {
	local p lo
	lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[ -n "$lo" ] && [ "$lo" -gt 12000 ] || lo=32768
	_seq=$((${_seq:-0} + 1))
	p=$((10000 + ($$ * 31 + _seq * 97) % (lo - 11000)))
	while ss -Htan "( sport = :$p )" 2>/dev/null | grep -q .; do
		p=$((p + 1))
	done
	echo "$p"
}

# Wait until something accepts on 127.0.0.1:$1 while PID $2 lives.
bench_wait_port() {
	local i=0
	while [ $i -lt "${3:-100}" ]; do
		bench_alive "$2" || return 1
		if ss -Htln "( sport = :$1 )" 2>/dev/null | grep -q .; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Every socket the process tree of $1 listens on must be on loopback.
bench_check_loopback() {
	local p
	for p in $(bench_tree "$1" | cut -d' ' -f1); do
		ss -Htlnp 2>/dev/null | grep "pid=$p," |
		    awk '{ print $4 }' | grep -v '^127\.' | grep -v '^\[::1\]' &&
		    return 1
	done
	return 0
}

bench_tail() {
	tail -n 5 "$1" 2>/dev/null | tr '\n' ' ' | tr -d '\000-\037"\\' |
	    cut -c1-300
}

bench_mock_start() {
	local log i
	MOCK_PID=
	MOCK_PORT=
	log=$RUNDIR/logs/mock.$1
	MOCK_LOG=$log.err
	if [ ! -x "$BENCH_MOCK" ]; then
		TGT_REASON="mock upstream $(basename "$BENCH_MOCK") not built (make all)"
		return 1
	fi
	taskset -c "$MCPUS" "$BENCH_MOCK" --host 127.0.0.1 --port 0 \
	    --workers "$NM" --no-record > "$log.out" 2> "$log.err" &
	MOCK_PID=$!
	bench_track "$MOCK_PID"
	i=0
	while [ $i -lt 100 ]; do
		MOCK_PORT=$(awk '$1 == "PORT" { print $2; exit }' "$log.out")
		[ -n "$MOCK_PORT" ] && return 0
		bench_alive "$MOCK_PID" || break
		sleep 0.1
		i=$((i + 1))
	done
	TGT_REASON="mock did not start: $(bench_tail "$log.err")"
	bench_stop "$MOCK_PID"
	MOCK_PID=
	return 1
}

# ---- targets ---------------------------------------------------------

tgt_direct_start() {
	TGT_PID=$MOCK_PID
	TGT_URL=http://127.0.0.1:$MOCK_PORT/v1/chat/completions
	TGT_HEADERS="Authorization: Bearer sk-upstream"
	return 0
}

tgt_nginx_start() {
	local d port
	d=$WORK/nginx
	port=$(bench_port)
	rm -rf "$d"
	mkdir -p "$d/tmp"
	sed -e "s|@DIR@|$d|g" -e "s|@PORT@|$port|g" \
	    -e "s|@MOCKPORT@|$MOCK_PORT|g" -e "s|@WORKERS@|$NWORKERS|g" \
	    -e "s|@NOFILE@|$(ulimit -n)|g" \
	    -e "s|@KEEPALIVE@|$((BENCH_SLOW_CONNS > 64 ? BENCH_SLOW_CONNS : 64))|g" \
	    "$BENCH_DIR/nginx.conf.in" > "$d/nginx.conf"
	taskset -c "$TCPUS" nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" \
	    > "$RUNDIR/logs/nginx.out" 2>&1 &
	TGT_PID=$!
	TGT_LOG=$d/error.log
	bench_track "$TGT_PID"
	if ! bench_wait_port "$port" "$TGT_PID"; then
		TGT_REASON="nginx did not start: $(bench_tail "$d/error.log")"
		return 1
	fi
	TGT_URL=http://127.0.0.1:$port/v1/chat/completions
	TGT_HEADERS="Authorization: Bearer sk-upstream"
	return 0
}

tgt_portkey_start() {
	local pk port
	pk=$WORK/portkey/node_modules/@portkey-ai/gateway/build/start-server.js
	if [ ! -f "$pk" ]; then
		TGT_REASON=${PORTKEY_ERR:-@portkey-ai/gateway is not installed}
		return 1
	fi
	port=$(bench_port)
	(cd "$WORK/portkey" && NODE_ENV=production exec taskset -c "$TCPUS" \
	    node --require "$BENCH_DIR/loopback.cjs" "$pk" --port="$port" \
	    --headless) > "$RUNDIR/logs/portkey.log" 2>&1 &
	TGT_PID=$!
	TGT_LOG=$RUNDIR/logs/portkey.log
	bench_track "$TGT_PID"
	if ! bench_wait_port "$port" "$TGT_PID" 300; then
		TGT_REASON="portkey did not start: $(bench_tail \
		    "$RUNDIR/logs/portkey.log")"
		return 1
	fi
	if ! bench_check_loopback "$TGT_PID"; then
		TGT_REASON="portkey listens beyond loopback; stopped"
		return 1
	fi
	TGT_URL=http://127.0.0.1:$port/v1/chat/completions
	TGT_HEADERS="Authorization: Bearer sk-upstream|x-portkey-provider: openai|x-portkey-custom-host: http://127.0.0.1:$MOCK_PORT/v1"
	return 0
}

# Start llmux with config template $1; sets TGT_PID, TGT_URL, port.
bench_llmux_run() {
	local port cfg
	if [ ! -x "$BENCH_LLMUX" ]; then
		TGT_REASON="$(basename "$BENCH_LLMUX") not built (make all)"
		return 1
	fi
	port=$(bench_port)
	cfg=$WORK/$1.yaml
	# Shared state of its own, fresh each start: counters of an earlier
	# run must not limit this one, and nothing goes to /var/lib.
	rm -rf "$WORK/$1-state"
	sed -e "s|@MOCKPORT@|$MOCK_PORT|g" -e "s|@PGPORT@|${PG_PORT:-0}|g" \
	    -e "s|@STATEDIR@|$WORK/$1-state|g" \
	    "$BENCH_DIR/$1.yaml.in" > "$cfg"
	taskset -c "$TCPUS" "$BENCH_LLMUX" --config "$cfg" --port "$port" \
	    --host 127.0.0.1 --num_workers "$NWORKERS" \
	    > "$RUNDIR/logs/$1.log" 2>&1 &
	TGT_PID=$!
	TGT_LOG=$RUNDIR/logs/$1.log
	bench_track "$TGT_PID"
	if ! bench_wait_port "$port" "$TGT_PID"; then
		TGT_REASON="llmux did not start: $(bench_tail \
		    "$RUNDIR/logs/$1.log")"
		return 1
	fi
	if ! bench_check_loopback "$TGT_PID"; then
		TGT_REASON="llmux listens beyond loopback; stopped"
		return 1
	fi
	TGT_URL=http://127.0.0.1:$port/v1/chat/completions
	return 0
}

tgt_llmux_min_start() {
	bench_llmux_run llmux-min || return 1
	TGT_HEADERS="Authorization: Bearer sk-bench-master"
	return 0
}

# llmux-min with the router in the way: 3 deployments, state-backed
# usage-based-routing-v2, limits that never trip (llmux-router.yaml.in).
tgt_llmux_router_start() {
	bench_llmux_run llmux-router || return 1
	TGT_HEADERS="Authorization: Bearer sk-bench-master"
	return 0
}

# PostgreSQL in a temporary folder, as the postgres user, on loopback.
bench_pg_start() {
	local pgbin runas
	pgbin=${BENCH_PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null |
	    sort -V | tail -n 1)}
	if [ ! -x "$pgbin/initdb" ]; then
		TGT_REASON="PostgreSQL server binaries not found"
		return 1
	fi
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/llmux-bench-pg.XXXXXX")
	PG_PORT=$(bench_port)
	runas=
	if [ "$(id -u)" = 0 ]; then
		chown postgres "$PG_DIR"
		runas="runuser -u postgres --"
	fi
	$runas "$pgbin/initdb" -D "$PG_DIR/data" -U bench -A trust \
	    > "$RUNDIR/logs/pg.log" 2>&1 || {
		TGT_REASON="initdb failed: $(bench_tail "$RUNDIR/logs/pg.log")"
		return 1
	}
	$runas "$pgbin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
	    -o "-h 127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=on" start \
	    >> "$RUNDIR/logs/pg.log" 2>&1 || {
		TGT_REASON="PostgreSQL did not start: $(bench_tail \
		    "$PG_DIR/server.log")"
		return 1
	}
	$runas "$pgbin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U bench llmux \
	    >> "$RUNDIR/logs/pg.log" 2>&1 || {
		TGT_REASON="createdb failed: $(bench_tail "$RUNDIR/logs/pg.log")"
		return 1
	}
	PG_BIN=$pgbin
	PG_RUNAS=$runas
	return 0
}

bench_pg_stop() {
	if [ -n "${PG_BIN:-}" ] && [ -d "$PG_DIR/data" ]; then
		$PG_RUNAS "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop \
		    >> "$RUNDIR/logs/pg.log" 2>&1
	fi
	rm -rf "$PG_DIR"
	PG_DIR=
	PG_BIN=
}

tgt_llmux_full_start() {
	local base key
	if [ "$BENCH_LLMUX_FULL" != 1 ]; then
		TGT_REASON="virtual keys and spend accounting have not landed yet; BENCH_LLMUX_FULL=1 runs it"
		TGT_SKIP=1
		return 1
	fi
	bench_pg_start || return 1
	bench_llmux_run llmux-full || return 1
	base=${TGT_URL%/v1/chat/completions}
	key=$(curl -sS --max-time 10 -H 'Authorization: Bearer sk-bench-master' \
	    -H 'Content-Type: application/json' \
	    -d '{"models":["bench-model"],"rpm_limit":100000000,"tpm_limit":10000000000,"key_alias":"bench"}' \
	    "$base/key/generate" 2>/dev/null |
	    sed -n 's/.*"key" *: *"\(sk-[^"]*\)".*/\1/p')
	if [ -z "$key" ]; then
		TGT_REASON="POST /key/generate did not return a key"
		return 1
	fi
	TGT_HEADERS="Authorization: Bearer $key"
	return 0
}

bench_target_stop() {
	if [ -n "${TGT_PID:-}" ] && [ "$TGT_PID" != "${MOCK_PID:-}" ]; then
		bench_stop "$TGT_PID"
	fi
	TGT_PID=
	[ -n "${PG_DIR:-}" ] && bench_pg_stop
	if [ -n "${MOCK_PID:-}" ]; then
		bench_stop "$MOCK_PID"
	fi
	MOCK_PID=
}

# ---- one request, checked ---------------------------------------------

# curl with the target's headers; prints the HTTP status.
bench_curl() {
	local url=$1 body=$2 out=$3 oldifs=$IFS h
	shift 3
	IFS='|'
	set -f
	for h in $TGT_HEADERS; do
		set -- "$@" -H "$h"
	done
	set +f
	IFS=$oldifs
	curl -sS -o "$out" -w '%{http_code}' --max-time 10 \
	    -H 'Content-Type: application/json' "$@" \
	    --data-binary @"$body" "$url" 2>>"$out.err"
}

# sseclient with the target's headers and the given options.
bench_sse() {
	local oldifs=$IFS h
	IFS='|'
	set -f
	for h in $TGT_HEADERS; do
		set -- "$@" -H "$h"
	done
	set +f
	IFS=$oldifs
	timeout $((BENCH_DURATION + 60)) taskset -c "$CCPUS" "$BIN/sseclient" \
	    -u "$TGT_URL" -b "$WORK/bodies/c.json" -k "$BENCH_CHUNKS" -t 30 "$@"
}

# One request of scenario $1 must answer 2xx with a valid body.
bench_verify() {
	local out res code
	out=$RUNDIR/logs/verify.out
	rm -f "$out" "$out.err"
	if [ "$1" = c ]; then
		res=$(bench_sse -c 1 -n 1 -d 1 -t 10 2>"$out.err")
		case "$res" in
		*'"streams_ok":1,'*) return 0 ;;
		esac
		VERIFY_REASON="stream check failed: $(echo "$res" |
		    sed -n 's/.*"first_error":"\([^"]*\)".*/\1/p')$(bench_tail "$out.err")"
		return 1
	fi
	code=$(bench_curl "$TGT_URL" "$WORK/bodies/$1.json" "$out")
	case "$code" in
	2??)
		if grep -q '"choices"' "$out" 2>/dev/null; then
			return 0
		fi
		VERIFY_REASON="HTTP $code without choices: $(head -c 200 "$out" |
		    tr -d '\000-\037"\\')"
		;;
	*)
		VERIFY_REASON="HTTP $code: $(head -c 200 "$out" 2>/dev/null |
		    tr -d '\000-\037"\\') $(bench_tail "$out.err")"
		;;
	esac
	return 1
}

# ---- load ---------------------------------------------------------------

# wrk for $2 seconds with scenario $1's settings; prints the BENCHJSON line.
bench_wrk() {
	local conns pace threads
	case $1 in
	a) conns=$BENCH_CONNS; pace= ;;
	a-lat) conns=$BENCH_CONNS; pace=$((BENCH_CONNS * 1000 / BENCH_RATE)) ;;
	b) conns=$BENCH_SLOW_CONNS; pace= ;;
	d) conns=$BENCH_BIG_CONNS; pace= ;;
	esac
	threads=$NC
	[ "$threads" -gt "$conns" ] && threads=$conns
	BENCH_BODY=$WORK/bodies/$1.json BENCH_HEADERS=$TGT_HEADERS \
	BENCH_PACE_MS=$pace BENCH_CHECK=$BENCH_CHECK \
	    timeout $(($2 + 60)) taskset -c "$CCPUS" wrk -t "$threads" \
	    -c "$conns" -d "${2}s" --timeout "${BENCH_WRK_TIMEOUT}s" \
	    -s "$BENCH_DIR/wrk.lua" "$TGT_URL" 2>&1 | tee "$RUNDIR/logs/wrk.last" |
	    sed -n 's/^BENCHJSON //p'
}

bench_load() {
	if [ "$1" = c ]; then
		bench_sse -c "$BENCH_STREAMS" -d "$2" 2>>"$RUNDIR/logs/sse.err"
	else
		bench_wrk "$1" "$2"
	fi
}

# Whether load result $1 completed no request (or no stream).
bench_load_empty() {
	case "$1" in
	*'"requests":0,'* | *'"streams_ok":0,'*) return 0 ;;
	esac
	return 1
}

bench_record() {
	# target scenario round status reason [load] [proc] [rest]
	printf '{"round":%s,"target":"%s","scenario":"%s","status":"%s","reason":"%s","load":%s,"proc":%s,"rest":%s}\n' \
	    "$3" "$1" "$2" "$4" "$(bench_jstr "$5")" "${6:-null}" \
	    "${7:-null}" "${8:-null}" >> "$RUNS"
}

# One target through every scenario: start, warm up, measure, stop.
bench_target() {
	local t=$1 r=$2 fn st s rest w pm load proc warm k
	fn=tgt_$(echo "$t" | tr - _)_start
	TGT_PID=
	TGT_REASON=
	TGT_SKIP=
	TGT_HEADERS=
	TGT_LOG=/dev/null
	if ! bench_mock_start "$t.$r" || ! $fn; then
		st=failed
		[ -n "$TGT_SKIP" ] && st=skipped
		[ "$st" = failed ] && bench_log "$t: $TGT_REASON"
		for s in $BENCH_SCENARIOS; do
			bench_record "$t" "$s" "$r" "$st" "$TGT_REASON"
		done
		bench_target_stop
		return
	fi
	rest=$(taskset -c "$CCPUS" "$BIN/procmon" -p "$TGT_PID" -1)
	w=$BENCH_WARMUP
	[ "$t" = portkey ] && w=$BENCH_PORTKEY_WARMUP
	bench_log "$t (round $r): up"
	warm=
	for s in $BENCH_SCENARIOS; do
		if ! bench_alive "$TGT_PID"; then
			bench_record "$t" "$s" "$r" failed \
			    "the target exited: $(bench_tail "$TGT_LOG")" null null \
			    "$rest"
			continue
		fi
		if ! bench_alive "$MOCK_PID"; then
			bench_record "$t" "$s" "$r" failed \
			    "the mock exited: $(bench_tail "$MOCK_LOG")" null null \
			    "$rest"
			continue
		fi
		if ! bench_verify "$s"; then
			bench_log "$t $s: $VERIFY_REASON"
			bench_record "$t" "$s" "$r" failed \
			    "verify: $VERIFY_REASON" null null "$rest"
			continue
		fi
		# Warm the target up once per kind of load (streamed or not)
		# before its first measured run of that kind, then each
		# scenario briefly.
		k=json
		[ "$s" = c ] && k=sse
		case " $warm " in
		*" $k "*) ;;
		*)
			if [ "$k" = sse ]; then
				bench_load c "$w" > /dev/null
			elif bench_verify a; then
				bench_wrk a "$w" > /dev/null
			fi
			warm="$warm $k"
			;;
		esac
		if [ "$BENCH_SCENARIO_WARMUP" -gt 0 ]; then
			bench_load "$s" "$BENCH_SCENARIO_WARMUP" > /dev/null
		fi
		taskset -c "$CCPUS" "$BIN/procmon" -p "$TGT_PID" -a "$$" -i 25 \
		    -T $((BENCH_DURATION + 120)) > "$RUNDIR/logs/procmon.out" &
		pm=$!
		bench_track "$pm"
		load=$(bench_load "$s" "$BENCH_DURATION")
		kill -TERM "$pm" 2>/dev/null
		wait "$pm"
		bench_untrack "$pm"
		proc=$(cat "$RUNDIR/logs/procmon.out")
		[ -n "$proc" ] || proc=null
		if [ -z "$load" ]; then
			bench_record "$t" "$s" "$r" failed \
			    "load generator gave no result: $(bench_tail \
			    "$RUNDIR/logs/wrk.last")" null "$proc" "$rest"
			continue
		fi
		# The smoke checks answers, not speed: on a busy machine a
		# target (Portkey above all, or 1,000 slow connections) may
		# finish nothing in a 2 s window, so it gets one longer window
		# before it fails.
		if [ "$BENCH_MODE" = smoke ] && bench_load_empty "$load"; then
			bench_log "$t $s: no request completed in" \
			    "${BENCH_DURATION}s; again for ${BENCH_SMOKE_RETRY}s"
			load=$(bench_load "$s" "$BENCH_SMOKE_RETRY")
			if [ -z "$load" ]; then
				bench_record "$t" "$s" "$r" failed \
				    "load generator gave no result: $(bench_tail \
				    "$RUNDIR/logs/wrk.last")" null "$proc" "$rest"
				continue
			fi
		fi
		if bench_load_empty "$load"; then
			bench_record "$t" "$s" "$r" failed \
			    "no request completed in ${BENCH_DURATION}s$(
			    [ "$BENCH_MODE" = smoke ] &&
			    echo " nor in ${BENCH_SMOKE_RETRY}s more")" \
			    "$load" "$proc" "$rest"
			continue
		fi
		if ! bench_alive "$TGT_PID"; then
			bench_record "$t" "$s" "$r" failed \
			    "the target exited during the run: $(bench_tail \
			    "$TGT_LOG")" "$load" "$proc" "$rest"
			continue
		fi
		if ! bench_alive "$MOCK_PID"; then
			bench_record "$t" "$s" "$r" failed \
			    "the mock exited during the run: $(bench_tail \
			    "$MOCK_LOG")" "$load" "$proc" "$rest"
			continue
		fi
		bench_record "$t" "$s" "$r" ok "" "$load" "$proc" "$rest"
		bench_log "$t $s: $(echo "$load" | cut -c1-150)"
	done
	bench_target_stop
}

# Round r: every target once; the order rotates so no target always runs
# first (or right after the same neighbour).
bench_round() {
	local round=$1 k j t rot
	set -- $BENCH_TARGETS
	k=$(( (round - 1) % $# ))
	rot=
	j=0
	for t in "$@"; do
		[ $j -ge $k ] && rot="$rot $t"
		j=$((j + 1))
	done
	j=0
	for t in "$@"; do
		[ $j -lt $k ] && rot="$rot $t"
		j=$((j + 1))
	done
	for t in $rot; do
		bench_target "$t" "$round"
	done
}

# ---- bookkeeping ----------------------------------------------------------

# meta.json: what report.js needs besides the runs.  $1: the command line.
bench_meta() {
	local git dirty full=false
	git=$(git -C "$BENCH_DIR/.." rev-parse --short HEAD 2>/dev/null)
	if [ -n "$git" ] && git -C "$BENCH_DIR/.." status --porcelain -- \
	    src include tests Makefile 2>/dev/null | grep -q .; then
		git="$git, with uncommitted changes"
	fi
	[ "$BENCH_LLMUX_FULL" = 1 ] && full=true
	cat > "$RUNDIR/meta.json" <<META
{"date":"$BENCH_DATE","host":"$(bench_jstr "$(hostname -s 2>/dev/null || hostname)")",
 "command":"$(bench_jstr "$1")","mode":"$BENCH_MODE",
 "rounds":$BENCH_ROUNDS,"duration":$BENCH_DURATION,
 "work":"$(bench_jstr "$WORK")","llmux":"$(bench_jstr "$BENCH_LLMUX")",
 "git":"$(bench_jstr "$git")","llmux_full":$full,
 "settings":{"duration":$BENCH_DURATION,"rounds":$BENCH_ROUNDS,
  "warmup":$BENCH_WARMUP,"portkey_warmup":$BENCH_PORTKEY_WARMUP,
  "scenario_warmup":$BENCH_SCENARIO_WARMUP,"conns":$BENCH_CONNS,
  "rate":$BENCH_RATE,"slow_ms":$BENCH_SLOW_MS,
  "slow_conns":$BENCH_SLOW_CONNS,"streams":$BENCH_STREAMS,
  "chunks":$BENCH_CHUNKS,"chunk_delay_ms":$BENCH_CHUNK_DELAY_MS,
  "big_bytes":$BENCH_BIG_BYTES,"big_conns":$BENCH_BIG_CONNS,
  "small_bytes":$(wc -c < "$WORK/bodies/a.json"),"check":$BENCH_CHECK},
 "layout":{"target":"$TCPUS","mock":"$MCPUS","client":"$CCPUS",
  "workers":$NWORKERS,"note":"$LAYOUT_NOTE"}}
META
}

# The microbenchmarks of the hot path, when the build has them: the
# output goes into the report as printed.
bench_microbench() {
	local mb=${BENCH_MICROBENCH:-$BUILD/llmux-microbench}
	rm -f "$RUNDIR/microbench.txt" "$RUNDIR/microbench.txt.rc"
	[ -x "$mb" ] || return 0
	bench_log "microbenchmarks: $(basename "$mb")"
	timeout 600 taskset -c "$TCPUS" "$mb" > "$RUNDIR/microbench.txt" 2>&1
	echo $? > "$RUNDIR/microbench.txt.rc"
}
