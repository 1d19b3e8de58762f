#!/bin/sh
# bench/run.sh [BUILD]: `make bench`.  Runs every target (direct, nginx,
# portkey, llmux-min, llmux-router, llmux-full) through every scenario against the mock
# upstream, BENCH_ROUNDS interleaved rounds, and writes
# bench/results/<date>-<host>.md, .json and .png.  bench/README.md lists
# the knobs (environment variables).  Needs llmux and llmux-mock in BUILD
# (default build/): `make bench` builds them first.

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-build}
[ -d "$BUILD" ] && BUILD=$(cd "$BUILD" && pwd)
. "$BENCH_DIR/lib.sh"

bench_init full
bench_deps
bench_tools
bench_layout
bench_bodies
bench_meta "${BENCH_COMMAND:-make bench}"

i=1
while [ "$i" -le "$BENCH_ROUNDS" ]; do
	bench_log "round $i of $BENCH_ROUNDS"
	bench_round "$i"
	i=$((i + 1))
done
bench_microbench

OUT=${BENCH_OUT:-$BENCH_DIR/results}
mkdir -p "$OUT"
base=$OUT/$BENCH_DATE-$(hostname -s 2>/dev/null || hostname)
node "$BENCH_DIR/report.js" report "$RUNDIR" "$base" ||
    bench_die "report.js failed"
bench_log "report: $base.md, .json, .png"
