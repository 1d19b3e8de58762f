#!/bin/sh
# tests/fresh-build.sh: the README's `make run` on a machine where make
# starts before pkg-config and the libraries are installed (`make
# fresh-build`, part of `make check`).
#
# A pkg-config stub first in PATH fails, as on a machine with nothing
# installed, until a stand-in for `make deps` creates a flag file; from
# then on it hands over to the real pkg-config.  Two checks:
#
#   1. a plain `make` stops before compiling, naming pkg-config and
#      `make deps` (no pile of undefined references);
#   2. `make run` runs deps first and then builds in a make that reads
#      pkg-config afresh, so the one command works the first time; llmux
#      runs with --test so that it returns.
#
# The build goes to a temporary directory, unoptimised to be quick.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
real=$(command -v pkg-config) || {
	echo "fresh-build: pkg-config is needed (make deps)" >&2
	exit 1
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/llmux-fresh.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
cat > "$tmp/bin/pkg-config" <<STUB
#!/bin/sh
[ -f "$tmp/deps-done" ] && exec "$real" "\$@"
echo "Package libevent was not found in the pkg-config search path." >&2
exit 1
STUB
chmod +x "$tmp/bin/pkg-config"
PATH=$tmp/bin:$PATH
export PATH
# Whatever the calling make set must not leak into these runs.
unset MAKEFLAGS MAKELEVEL MFLAGS

fail=0
ok() {
	echo "ok    fresh-build: $1"
}
bad() {
	echo "FAIL  fresh-build: $1" >&2
	sed 's/^/    /' "$tmp/out" >&2
	fail=$((fail + 1))
}

# 1. Before deps: a clear error, nothing compiled.
if make -C "$root" BUILD="$tmp/b1" OPT=-O0 all > "$tmp/out" 2>&1; then
	bad "make succeeded although pkg-config fails"
elif ! grep -q 'pkg-config.*failed' "$tmp/out" ||
    ! grep -q 'make deps' "$tmp/out"; then
	bad "make failed without naming pkg-config and make deps"
elif [ -e "$tmp/b1" ]; then
	bad "make compiled something before failing"
else
	ok "make before deps stops and names make deps"
fi

# 2. make run: deps, then the build and llmux, in one command.
if ! make -C "$root" BUILD="$tmp/b2" OPT=-O0 RUN_FLAGS=--test \
    DEPS_RUN="touch $tmp/deps-done" run > "$tmp/out" 2>&1; then
	bad "make run failed on its first run"
elif ! grep -q '^configuration OK$' "$tmp/out"; then
	bad "make run did not run llmux"
else
	ok "make run works the first time"
fi

if [ $fail -eq 0 ]; then
	echo "fresh-build: 2 passed, 0 failed"
	exit 0
fi
echo "fresh-build: $((2 - fail)) passed, $fail failed"
exit 1
