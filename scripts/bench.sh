#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench.sh - the benchmarks behind Documentation/performance.rst.
#   1. restack's overhead against dm-linear (issue 2), in a guest;
#   2. tracing's overhead: full, sampled, blktrace (issue 3), in a guest;
#   3. the analyzer's accuracy, speed and memory (issue 4), on the host;
#   4. the cache policy against dm-cache, bcache and dm-writecache (issue
#      5), in a guest (about 20-25 minutes);
#   5. cache-hits: read hits of the cache policy, dm-cache and bcache against
#      a raw virtio fast disk (issue 5's read-hit target), in a guest (about
#      5 minutes);
#   6. cache-writes: wb random writes, restack against dm-writecache, with
#      fine-grained alternation, in a guest (under a minute).
# Each guest run alternates the compared devices inside one boot (see
# bench/README.md).  Results: build/bench/{overhead,tracing}/bench/ and the
# analyzer's output; build/bench/cache/cache/ and its report.txt;
# build/bench/cache-hits/cache-hits/summary.txt; the summaries are printed
# at the end.
# BENCH_PARTS_RUN selects parts: "overhead tracing analyzer cache
# cache-hits cache-writes" (default all).
set -euo pipefail
# Measurements use both host cores (multi-threaded TCG), as they were
# recorded; the guest tests run single-threaded (scripts/guest-run.sh).
export RESTACK_TCG_THREAD=${RESTACK_TCG_THREAD:-multi}
cd "$(dirname "$0")/.."

parts=${BENCH_PARTS_RUN:-}
[ -n "$parts" ] || parts="overhead tracing analyzer cache cache-hits cache-writes"
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
	cache)
		# the guest's exit status says whether every visit ran; the
		# report is written either way, so that a partial run can be read
		rc=0
		nice -n -10 scripts/guest-run.sh -o build/bench/cache bench/bench-cache.sh || rc=$?
		python3 bench/cache-report.py build/bench/cache/cache \
			--rst build/bench/cache/cache/report.txt >/dev/null
		[ "$rc" = 0 ] || { echo "bench.sh: cache part failed ($rc)" >&2; exit "$rc"; }
		;;
	cache-hits)
		nice -n -10 scripts/guest-run.sh -o build/bench/cache-hits bench/bench-cache-hits.sh
		;;
	cache-writes)
		nice -n -10 scripts/guest-run.sh -o build/bench/cache-writes bench/bench-cache-writes.sh
		;;
	*)
		echo "bench.sh: unknown part '$p' (overhead, tracing, analyzer, cache, cache-hits, cache-writes)" >&2
		exit 2
		;;
	esac
done
for p in overhead tracing; do
	f=build/bench/$p/bench/summary.txt
	[ -f "$f" ] && { echo "== $p ($f)"; cat "$f"; }
done
case " $parts " in
*" cache "*)
	f=build/bench/cache/cache/report.txt
	[ -f "$f" ] && { echo "== cache ($f)"; cat "$f"; }
	;;
esac
case " $parts " in
*" cache-hits "*)
	f=build/bench/cache-hits/cache-hits/summary.txt
	[ -f "$f" ] && { echo "== cache-hits ($f)"; cat "$f"; }
	;;
esac
case " $parts " in
*" cache-writes "*)
	f=build/bench/cache-writes/ratio.txt
	[ -f "$f" ] && { echo "== cache-writes ($f)"; cat "$f"; }
	;;
esac
exit 0
