#!/bin/sh
# bench/smoke.sh [BUILD]: `make bench-smoke`, run by `make check`.
# Every target and scenario of the bench for about 2 seconds each.  It
# asserts that every target answered correctly (2xx, valid bodies,
# complete streams, no socket errors) and never a speed.  A target that
# cannot be installed or started fails the smoke; only llmux-full may be
# skipped, and it says why.  Also renders the report, so that code is run.

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-build}
[ -d "$BUILD" ] && BUILD=$(cd "$BUILD" && pwd)
. "$BENCH_DIR/lib.sh"

bench_init smoke
bench_deps
bench_tools
bench_layout
bench_bodies
bench_meta "${BENCH_COMMAND:-make bench-smoke}"
bench_round 1
bench_microbench

node "$BENCH_DIR/report.js" report "$RUNDIR" "$RUNDIR/report" ||
    bench_die "report.js failed"
node "$BENCH_DIR/report.js" check "$RUNDIR"
