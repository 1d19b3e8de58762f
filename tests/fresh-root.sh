#!/bin/sh
# tests/fresh-root.sh DIR: the README's two commands in a Debian 12 root
# with nothing installed, as a new user runs them (`make fresh-root
# FRESH_ROOT=DIR`; not part of make check: it downloads a base system
# and some 400 packages, and takes about 15 minutes).
#
# As root, on a Debian machine that has debootstrap (and curl, which
# make deps installs).  DIR/root gets a minbase bookworm unless it
# already holds one; the committed tree (git archive HEAD) goes to
# /root/llmux inside it.  Then, in a chroot sharing this machine's
# network (so port 4000 must be free):
#
#   1. apt-get install make && make run: llmux must answer the README's
#      curl request on 127.0.0.1:4000 within 15 minutes; it is stopped;
#   2. apt-get install make && make check: must exit 0.
#
# FRESH_MIRROR overrides the Debian mirror; FRESH_CA_DIR names a folder
# of extra *.crt CA certificates to trust inside the root, for networks
# that intercept TLS (npm then needs them).  Extra arguments go to make
# check (e.g. HEADERS_SKIP=...).  Logs: DIR/run.log, DIR/check.log.
set -u

dir=${1:?usage: tests/fresh-root.sh DIR [make check arguments]}
shift
top=$(cd "$(dirname "$0")/.." && pwd)
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}
root=$dir/root
mkdir -p "$dir" || exit 1
dir=$(cd "$dir" && pwd)
root=$dir/root

say() {
	echo "fresh-root: $*"
}

if [ ! -x "$root/usr/bin/apt-get" ]; then
	say "debootstrap into $root"
	debootstrap --variant=minbase bookworm "$root" "$mirror" \
	    > "$dir/debootstrap.log" 2>&1 || {
		tail -n 20 "$dir/debootstrap.log" >&2
		say "debootstrap failed"
		exit 1
	}
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
if [ -n "${FRESH_CA_DIR:-}" ]; then
	cp "$FRESH_CA_DIR"/*.crt "$root/usr/local/share/ca-certificates/" &&
	    chroot "$root" update-ca-certificates > /dev/null 2>&1
fi
rm -rf "$root/root/llmux"
mkdir -p "$root/root/llmux"
git -C "$top" archive HEAD | tar -x -C "$root/root/llmux" || exit 1

mount -t proc proc "$root/proc" || exit 1
mount --rbind /dev "$root/dev" || exit 1
mount -t sysfs sys "$root/sys" || exit 1
leader=
cleanup() {
	[ -n "$leader" ] && kill -TERM "-$leader" 2>/dev/null
	umount -R "$root/dev"
	umount "$root/proc" "$root/sys"
}
trap cleanup EXIT

cat > "$root/root/fresh-run.sh" <<'EOF'
#!/bin/sh
cd /root/llmux && apt-get update && apt-get install -y make && make run
EOF
chmod +x "$root/root/fresh-run.sh"
setsid chroot "$root" /root/fresh-run.sh > "$dir/run.log" 2>&1 &
leader=$!

fail=0
say "make run"
t=0
answer=
while [ $t -lt 900 ]; do
	answer=$(curl -s -m 5 http://127.0.0.1:4000/v1/chat/completions \
	    -H 'Authorization: Bearer sk-llmux-change-me' \
	    -H 'Content-Type: application/json' \
	    -d '{"model": "demo", "messages": [{"role": "user", "content": "Hi"}]}')
	case $answer in
	*'"choices"'*) break ;;
	esac
	if ! kill -0 "$leader" 2>/dev/null; then
		break
	fi
	sleep 5
	t=$((t + 5))
done
case $answer in
*'"choices"'*)	say "ok: make run answered after ${t}s" ;;
*)		tail -n 30 "$dir/run.log" >&2
		say "FAIL: make run did not answer"
		fail=1 ;;
esac
kill -TERM "-$leader" 2>/dev/null
wait "$leader" 2>/dev/null
leader=

say "make check $*"
if chroot "$root" sh -c 'cd /root/llmux && apt-get update &&
    apt-get install -y make && make check "$@"' sh "$@" \
    > "$dir/check.log" 2>&1; then
	say "ok: make check"
else
	tail -n 30 "$dir/check.log" >&2
	say "FAIL: make check (see $dir/check.log)"
	fail=1
fi
if [ $fail -eq 0 ]; then
	echo "fresh-root: 2 passed, 0 failed"
	exit 0
fi
echo "fresh-root: failed"
exit 1
