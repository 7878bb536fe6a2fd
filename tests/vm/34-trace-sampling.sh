#!/bin/sh
# 34-trace-sampling: SHARDS spatial sampling at R = 0.1 (threshold
# round(0.1 * 2^24) = 1677722, 8-sector blocks). fio writes each of the
# 16384 4-KiB blocks of [0, 64M) once, then reads them all.
#  - Statistical bound: if block hashes are uniform, the number of sampled
#    blocks is Binomial(16384, 0.1): mean 1638.4, sigma 38.4; we require
#    it within +-4 sigma, [1485, 1792] (fails by chance with p < 1e-4).
#  - Exactness: the hash is deterministic; lib/restack_sample.h selects
#    exactly 1627 of blocks 0..16383 (computed on the host with the same
#    function), so the kernel must trace exactly those 1627.
#  - Consistency: reads sample the same blocks as writes; every sampled-out
#    bio is counted.
# disks: none
# timeout: 300
. /tests/vm/lib.sh
. /tests/vm/lib-trace.sh

plan 13

load_modules dm-mod dm-restack
brd_create 64
check "restack volume over /dev/ram0" vol_create vol /dev/ram0
check "restack trace --sample 0.1 starts" trace_start s vol -o "$T_TMP/s.rtr" --sample 0.1
check "fio: 16384 sequential 4 KiB writes" \
	fio_run w --filename=/dev/mapper/vol --rw=write --bs=4k --iodepth=8 --size=64M
check "fio: 16384 random 4 KiB reads" \
	fio_run r --filename=/dev/mapper/vol --rw=randread --bs=4k --iodepth=8 --size=64M
check "restack trace stops cleanly" trace_stop s
diag_file "$T_TMP/trace-s.err" 10
check "dump --csv" trace_csv "$T_TMP/s.rtr" "$T_TMP/s.csv"
sed 1d "$T_TMP/s.csv" | awk -F, '$2 == "W" { print $3 / 8 }' | sort -n >"$T_TMP/wblocks"
sed 1d "$T_TMP/s.csv" | awk -F, '$2 == "R" { print $3 / 8 }' | sort -n >"$T_TMP/rblocks"
nw=$(sort -u "$T_TMP/wblocks" | wc -l)
diag "distinct sampled blocks: $nw of 16384 ($(awk -v n="$nw" 'BEGIN { printf "%.4f", n / 16384 }'))"
check "sampled blocks within 4 sigma of 1638.4: 1485 <= $nw <= 1792" \
	sh -c "[ $nw -ge 1485 ] && [ $nw -le 1792 ]"
is "$nw" 1627 "exactly the 1627 blocks lib/restack_sample.h selects"
is "$(wc -l <"$T_TMP/wblocks")" "$nw" "one write record per sampled block"
check "reads sample the same blocks as writes" cmp "$T_TMP/wblocks" "$T_TMP/rblocks"
is "$(trace_summary s sampled)" $((2 * (16384 - nw))) "every other bio counted as sampled out"
like "$(restack dump "$T_TMP/s.rtr" | sed -n 3p)" "rate 0\.100000 \(threshold 1677722 of 16777216, 8-sector blocks\)" \
	"the header records the rate"
check_dmesg_clean "no kernel warnings"
done_testing
