#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run.sh - the analyzer benchmark (Documentation/analyzer.rst, "Benchmark"):
#
#   accuracy  SHARDS at R = 0.01 (and fixed-size) against the exact LRU curve
#             on zipf, scan-mixed and uniform synthetic traces and on the
#             CloudPhysics slice in ../shared/traces (target MAE <= 0.01)
#   memory    fixed-size SHARDS peak RSS on a 50M-record trace (< 64 MiB)
#   speed     `restack report` (which includes fixed-size SHARDS) on the
#             50M-record trace: records per second of CPU time on one core
#             (target >= 10M/s); exact MRC of 10M records (target < 30 s)
#   policies  hit ratios of the replacement policies (full simulation of the
#             shared kernel code) on zipf, scan-mixed and CloudPhysics
#   minisim   mini-simulation at R = 0.01 against full simulation
#
# Traces are generated into $RESTACK_BENCH_DIR (default /var/tmp/restack-bench,
# about 8 GB) once and reused; nothing is written into the source tree.
#   bench/analyzer/run.sh [accuracy|memory|speed|policies|minisim|all]
set -euo pipefail
cd "$(dirname "$0")"

DIR=${RESTACK_BENCH_DIR:-/var/tmp/restack-bench}
CP_CSV=${RESTACK_CP_CSV:-$(cd ../../.. && pwd)/shared/traces/cloudphysics-io.csv}
RESTACK=../../tools/restack
what=${1:-all}

make -s -C ../../tools restack librestack.a
make -s

mkdir -p "$DIR"

# gen <name> <gentrace args...>: generate once
gen() {
	local name=$1
	shift
	if [ ! -s "$DIR/$name.rst" ]; then
		echo "generating $DIR/$name.rst ($*)" >&2
		./gentrace -o "$DIR/$name.rst.tmp" "$@"
		mv "$DIR/$name.rst.tmp" "$DIR/$name.rst"
	fi
}

traces() {
	gen zipf20m    -k zipf    -u 4000000 -a 0.9 -r 0.7 -n 20000000 -x 1
	gen uniform20m -k uniform -u 2000000 -r 0.7 -n 20000000 -x 2
	gen scanmix20m -k scanmix -u 4000000 -a 0.9 -r 0.7 -s 0.3 -S 4096 -n 20000000 -x 3
	gen zipf10m    -k zipf    -u 4000000 -a 0.9 -r 0.7 -n 10000000 -x 5
	gen zipf50m    -k zipf    -u 16000000 -a 0.8 -r 0.7 -b 2 -w 8 -n 50000000 -x 4
	gen zipf5m     -k zipf    -u 1000000 -a 0.9 -r 0.7 -n 5000000 -x 6
	gen scanmix5m  -k scanmix -u 1000000 -a 0.9 -r 0.7 -s 0.3 -S 4096 -n 5000000 -x 7
	if [ ! -s "$DIR/cloudphysics.rst" ]; then
		if [ -r "$CP_CSV" ]; then
			$RESTACK import -q --from cloudphysics "$CP_CSV" -o "$DIR/cloudphysics.rst"
		else
			echo "note: $CP_CSV not found: CloudPhysics rows skipped" >&2
		fi
	fi
}

# cputime <cmd...>: run, print "wall user sys maxrss_kb" on stderr's last line
timed() {
	/usr/bin/time -f "TIME %e %U %S %M" "$@" 2>&1 >/dev/null | grep '^TIME' | cut -d' ' -f2-
}

accuracy() {
	echo "== accuracy: SHARDS vs exact LRU (MAE over 100 sizes, 1%..100% of the working set)"
	for t in zipf20m scanmix20m uniform20m cloudphysics; do
		[ -s "$DIR/$t.rst" ] || continue
		./mrcbench accuracy "$DIR/$t.rst"
		echo
	done
	# the CloudPhysics slice is small: its error over 64 sample sets, by rate
	if [ -s "$DIR/cloudphysics.rst" ]; then
		for r in 0.01 0.02 0.05 0.1; do
			./mrcbench relocated "$DIR/cloudphysics.rst" 64 "$r"
		done
	fi
	true
}

memory() {
	echo "== memory: fixed-size SHARDS on 50M records (peak RSS of the whole process)"
	for n in 8192 32768 262144; do
		read -r wall user sys rss <<<"$(timed $RESTACK mrc "$DIR/zipf50m.rst" --fixed-size $n --sizes 1G,4G,16G)"
		printf "fixed-size %7d samples: peak RSS %6.1f MiB, %.1f s CPU\n" \
			"$n" "$(echo "$rss / 1024" | bc -l)" "$(echo "$user + $sys" | bc -l)"
	done
}

speed() {
	local n=50000000 wall user sys rss
	echo "== speed (CPU time of one process; the machine may be shared, so wall time is also shown)"
	./readspeed "$DIR/zipf50m.rst"
	read -r wall user sys rss <<<"$(timed $RESTACK report "$DIR/zipf50m.rst")"
	printf "report + fixed-size SHARDS, 50M records: %.2f s CPU (%.1f M records/s), %.2f s wall, peak RSS %.1f MiB\n" \
		"$(echo "$user + $sys" | bc -l)" "$(echo "$n / ($user + $sys) / 1000000" | bc -l)" \
		"$wall" "$(echo "$rss / 1024" | bc -l)"
	read -r wall user sys rss <<<"$(timed $RESTACK report --by workload "$DIR/zipf50m.rst")"
	printf "report --by workload (8 workloads), 50M records: %.2f s CPU (%.1f M records/s), %.2f s wall\n" \
		"$(echo "$user + $sys" | bc -l)" "$(echo "$n / ($user + $sys) / 1000000" | bc -l)" "$wall"
	read -r wall user sys rss <<<"$(timed $RESTACK mrc "$DIR/zipf10m.rst" --exact)"
	printf "exact MRC, 10M records: %.2f s CPU, %.2f s wall, peak RSS %.1f MiB\n" \
		"$(echo "$user + $sys" | bc -l)" "$wall" "$(echo "$rss / 1024" | bc -l)"
	read -r wall user sys rss <<<"$(timed $RESTACK mrc "$DIR/zipf50m.rst" --sample 0.01)"
	printf "SHARDS R=0.01 MRC alone, 50M records: %.2f s CPU (%.1f M records/s)\n" \
		"$(echo "$user + $sys" | bc -l)" "$(echo "$n / ($user + $sys) / 1000000" | bc -l)"
}

policies() {
	echo "== replacement policies: hit ratio, full simulation of lib/restack_replace.c"
	./mrcbench policies "$DIR/zipf5m.rst" 1 64M,256M,1G,2G
	echo
	./mrcbench policies "$DIR/scanmix5m.rst" 1 64M,256M,1G,2G
	echo
	[ -s "$DIR/cloudphysics.rst" ] &&
		./mrcbench policies "$DIR/cloudphysics.rst" 1 16M,64M,256M,512M
	true
}

minisim() {
	echo "== mini-simulation at R=0.01 vs full simulation"
	./mrcbench minisim "$DIR/zipf5m.rst" 0.01 64M,256M,1G,2G
	./mrcbench minisim "$DIR/scanmix5m.rst" 0.01 64M,256M,1G,2G
}

traces
case $what in
accuracy|memory|speed|policies|minisim) $what ;;
all) accuracy; memory; speed; policies; minisim ;;
*) echo "usage: $0 [accuracy|memory|speed|policies|minisim|all]" >&2; exit 2 ;;
esac
