#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# validate-cache.sh - the analyzer's prediction against the cache policy's
# measured hit ratio on the same workload (Documentation/analyzer.rst,
# "Predicted against measured").  Boots a guest
# (bench/validate-cache-guest.sh), then simulates each recorded trace with
# `restack mrc` for the cache's slot count and prints both.
set -euo pipefail
# Measurements use both host cores (multi-threaded TCG), as they were
# recorded; the guest tests run single-threaded (scripts/guest-run.sh).
export RESTACK_TCG_THREAD=${RESTACK_TCG_THREAD:-multi}
cd "$(dirname "$0")/.."
out=build/validate
rm -rf "$out"
scripts/guest-run.sh -o "$out" bench/validate-cache-guest.sh
v=$out/validate
# The cache's slots: its blocks less the 1/32 reserve
# (drivers/md/dm-restack-cache-meta-io.c, alloc_state()).
blocks=$(sed -n 's/.* blocks=\([0-9]*\).*/\1/p' "$v/zipf12-qd1.status")
slots=$(( blocks - blocks / 32 ))
bytes=$(( slots * 4096 ))
printf "%-13s %9s %9s %9s %10s %10s\n" round hits misses distinct measured predicted
while read -r name hits misses; do
	h=${hits#hits=}
	m=${misses#misses=}
	pred=$(tools/restack mrc "$v/$name.rtr" --policy s3fifo --exact --reads-only \
		--mode wt --sizes "$bytes" | tail -n 1 | cut -d, -f2)
	distinct=$(tools/restack dump "$v/$name.rtr" --csv | cut -d, -f3 | sort -u | wc -l)
	awk -v n="$name" -v h="$h" -v m="$m" -v d="$((distinct - 1))" -v p="$pred" 'BEGIN {
		printf "%-13s %9d %9d %9d %10.4f %10.4f\n", n, h, m, d, h / (h + m), 1 - p }'
done <"$v/measured.txt"
echo "(hit ratios of reads; cache: $slots slots of 4 KiB = $bytes bytes)"
