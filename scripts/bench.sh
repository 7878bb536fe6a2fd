#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench.sh - the benchmarks behind Documentation/performance.rst.
#   1. restack's overhead against dm-linear (issue 2), in a guest;
#   2. tracing's overhead: full, sampled, blktrace (issue 3), in a guest;
#   3. the analyzer's accuracy, speed and memory (issue 4), on the host.
# Each guest run alternates the compared devices inside one boot (see
# bench/README.md).  Results: build/bench/{overhead,tracing}/bench/ and the
# analyzer's output; the summaries are printed at the end.
# BENCH_PARTS selects parts: "overhead tracing analyzer" (default all).
set -euo pipefail
cd "$(dirname "$0")/.."

parts=${BENCH_PARTS_RUN:-}
[ -n "$parts" ] || parts="overhead tracing analyzer"
make -s -C bench
for p in $parts; do
	case $p in
	overhead)
		nice -n -10 scripts/guest-run.sh -o build/bench/overhead bench/bench-guest.sh
		;;
	tracing)
		nice -n -10 scripts/guest-run.sh -o build/bench/tracing bench/bench-tracing.sh
		;;
	analyzer)
		make -s -C tools bench
		;;
	*)
		echo "bench.sh: unknown part '$p' (overhead, tracing, analyzer)" >&2
		exit 2
		;;
	esac
done
for p in overhead tracing; do
	f=build/bench/$p/bench/summary.txt
	[ -f "$f" ] && { echo "== $p ($f)"; cat "$f"; }
done
exit 0
