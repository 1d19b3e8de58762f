#!/bin/sh
# tests/smoke-deadline.sh [BUILD]: the benchmark smoke run must not fail
# because the machine is slow (`make smoke-deadline`, part of make check).
#
# It runs the smoke on one target and scenario with a mock latency
# longer than the 2 s load window, so no request can complete in the
# window, as on a busy machine: the smoke must give the target its
# longer window and pass, never fail on speed.
set -u
BUILD=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(BENCH_TARGETS=direct BENCH_SCENARIOS=b BENCH_SLOW_MS=2500 \
    BENCH_SLOW_CONNS=4 BENCH_SMOKE_RETRY=6 BENCH_MICROBENCH=/nonexistent \
    sh "$root/bench/smoke.sh" "$BUILD" 2>&1)
rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q '^ok    direct b: '; then
	echo "smoke-deadline: 1 passed, 0 failed"
	exit 0
fi
echo "$out" | tail -n 20 >&2
echo "smoke-deadline: 0 passed, 1 failed"
exit 1
