#!/bin/sh
# Integration tests: a real llmux and llmux-mock on loopback ports, driven
# by the official openai npm client under Node's test runner.
#
#   sh tests/integ/run.sh [BUILD]     BUILD: build (default) or build-san
#
# Installs the pinned client into tests/integ/node_modules when it is
# missing or the lock file changed.  Logs and configs go to a fresh
# directory under tests/integ/tmp/, removed when every test passed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-build}
case $build in
/*)	;;
*)	build=$root/$build ;;
esac

for b in llmux llmux-mock; do
	if [ ! -x "$build/$b" ]; then
		echo "integ: $build/$b is missing; run make first" >&2
		exit 1
	fi
done
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1
then
	echo "integ: node and npm are needed (make deps installs them)" >&2
	exit 1
fi

# The client: npm ci when node_modules does not match the lock file.
lock_sum=$(cksum < "$here/package-lock.json")
stamp=$here/node_modules/.lock-cksum
if [ ! -f "$here/node_modules/openai/package.json" ] ||
    [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
	echo "integ: installing the openai client (npm ci)"
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) || {
		echo "integ: npm ci failed" >&2
		exit 1
	}
	echo "$lock_sum" > "$stamp"
fi

mkdir -p "$here/tmp"
tmp=$(mktemp -d "$here/tmp/run.XXXXXX") || exit 1
export LLMUX_BUILD="$build"
export LLMUX_INTEG_TMP="$tmp"
# Sanitizer builds: report leaks, keep running so that every report is
# written; the tests look for the reports in each process's stderr.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

cd "$root"
files=$(ls tests/integ/*.test.mjs)
if node --test-concurrency=1 -e 0 >/dev/null 2>&1; then
	node --test --test-concurrency=1 $files
	rc=$?
else
	# Older Node without --test-concurrency: one file at a time.
	rc=0
	for f in $files; do
		node --test "$f" || rc=1
	done
fi

# Belt and braces: any sanitizer report in any log fails the run.
if grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
    -r "$tmp" >/dev/null 2>&1; then
	echo "integ: sanitizer reports in:" >&2
	grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
	    -r "$tmp" >&2
	rc=1
fi

if [ $rc -eq 0 ]; then
	rm -rf "$tmp"
	echo "integ: all passed"
else
	echo "integ: FAILED; logs kept in ${tmp#$root/}" >&2
fi
exit $rc
