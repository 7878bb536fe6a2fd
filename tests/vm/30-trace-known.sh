#!/bin/sh
# 30-trace-known: a known workload traced through a detached volume over
# brd: 1000 direct 4 KiB writes at known offsets (every other 4 KiB from
# 1 MiB on), then 1000 reads of the same blocks. The trace must hold exactly
# those records: ops, offsets, lengths, passthrough to the origin at the
# same sector, plausible latencies, the fio pid and its process name; the
# zstd file must list the same; dump and the END record must agree.
# disks: none
# timeout: 300
. /tests/vm/lib.sh
. /tests/vm/lib-trace.sh

plan 23

load_modules dm-mod dm-restack
brd_create 64
check "restack volume over /dev/ram0" vol_create vol /dev/ram0
ORIG=$(dev_majmin /dev/ram0)

check "restack trace starts (plain)" trace_start plain vol -o "$T_TMP/t.rtr"
check "a second collector on the same volume fails: already being traced" \
	sh -c "! restack trace vol -o $T_TMP/dup.rtr -w 1 2>$T_TMP/dup.err && grep -q 'already being traced' $T_TMP/dup.err"

# Offsets 1 MiB + i * 8 KiB, i = 0..999: fio's "write:4k" skips 4 KiB after
# each 4 KiB block.
check "fio: 1000 direct 4 KiB writes" \
	fio_run w --filename=/dev/mapper/vol --rw=write:4k --bs=4k --iodepth=1 \
	--offset=1M --size=8000k
check "fio: 1000 direct 4 KiB reads of the same blocks" \
	fio_run r --filename=/dev/mapper/vol --rw=read:4k --bs=4k --iodepth=1 \
	--offset=1M --size=8000k
check "restack trace stops cleanly on SIGINT" trace_stop plain
diag_file "$T_TMP/trace-plain.err" 10

is "$(trace_summary plain io)" 2000 "summary: 2000 I/O records"
is "$(trace_summary plain drops)" 0 "summary: 0 dropped"
check "dump --csv" trace_csv "$T_TMP/t.rtr" "$T_TMP/t.csv"
is "$(head -n1 "$T_TMP/t.csv")" \
	"ts_ns,op,virt_sector,sectors,phys_dev,phys_sector,latency_ns,result,cgroup_id,pid,comm" \
	"CSV header"

# Expected records: op,virt_sector,sectors for every block, in order.
awk 'BEGIN { for (i = 0; i < 1000; i++) print "W," 2048 + 16 * i ",8";
	     for (i = 0; i < 1000; i++) print "R," 2048 + 16 * i ",8" }' >"$T_TMP/want"
sed 1d "$T_TMP/t.csv" | cut -d, -f2-4 >"$T_TMP/got"
check "exactly the 1000 writes then 1000 reads, in submit order, at the right sectors" \
	cmp "$T_TMP/want" "$T_TMP/got"
is "$(sed 1d "$T_TMP/t.csv" | awk -F, -v o="$ORIG" '$5 != o || $6 != $3 || $8 != "passthrough"' | wc -l)" 0 \
	"every record: passthrough to $ORIG at the same sector"
is "$(sed 1d "$T_TMP/t.csv" | awk -F, '$7 < 1000 || $7 > 1000000000' | wc -l)" 0 \
	"every latency between 1 us and 1 s"
diag "latency (us): $(sed 1d "$T_TMP/t.csv" | awk -F, '{ s += $7; if ($7 > m) m = $7 }
	END { printf "mean %.1f max %.1f", s / NR / 1000, m / 1000 }')"
is "$(sed 1d "$T_TMP/t.csv" | awk -F, '$1 < p { bad++ } { p = $1 } END { print bad + 0 }')" 0 \
	"ts_ns non-decreasing"
is "$(sed 1d "$T_TMP/t.csv" | cut -d, -f11 | sort -u)" fio "process name of every record: fio"
is "$(sed 1d "$T_TMP/t.csv" | awk -F, '$10 == 0' | wc -l)" 0 "every record has a pid"
is "$(trace_end_totals "$T_TMP/t.rtr")" "2000 0" "END record: 2000 records, 0 dropped"
like "$(restack dump "$T_TMP/t.rtr" | sed -n 2,5p | tr '\n' ' ')" \
	' W[FSM]* +2048 \+ 8 +-> [0-9]+,[0-9]+ 2048 [0-9]+\.[0-9]+ passthrough cg=[0-9]+ pid=[0-9]+ \[fio\] q=[0-9]+' \
	"text listing: blkparse-like line"

# The writes again, through zstd, with -w stopping the collector by itself.
head -n 1000 "$T_TMP/want" >"$T_TMP/want.w"
check "restack trace -z -w 8 while fio writes" sh -c "
	restack trace vol -o $T_TMP/t.rtr.zst -z -w 8 2>$T_TMP/trace-z.err &
	p=\$!; sleep 1
	fio --name=z --filename=/dev/mapper/vol --rw=write:4k --bs=4k --iodepth=1 \
		--offset=1M --size=8000k --ioengine=libaio --direct=1 >/dev/null || exit 1
	wait \$p"
is "$(head -c4 "$T_TMP/t.rtr.zst" | od -An -tx1 | tr -d ' ')" 28b52ffd "zstd file starts with the zstd magic"
check "zstd trace lists exactly the 1000 writes" sh -c "restack dump --csv $T_TMP/t.rtr.zst | sed 1d | cut -d, -f2-4 | cmp - $T_TMP/want.w"
# -o - streams the trace for live analysis: the 1000 writes once more,
# read by `restack dump` through a pipe while the collector runs.
check "restack trace -o - | restack dump --csv - while fio writes" sh -c "
	restack trace vol -o - -w 8 2>$T_TMP/trace-pipe.err | restack dump --csv - >$T_TMP/pipe.csv &
	p=\$!; sleep 1
	fio --name=p --filename=/dev/mapper/vol --rw=write:4k --bs=4k --iodepth=1 \
		--offset=1M --size=8000k --ioengine=libaio --direct=1 >/dev/null || exit 1
	wait \$p && sed 1d $T_TMP/pipe.csv | cut -d, -f2-4 | cmp - $T_TMP/want.w"
check_dmesg_clean "no kernel warnings"
done_testing
