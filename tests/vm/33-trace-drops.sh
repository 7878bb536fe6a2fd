#!/bin/sh
# 33-trace-drops: a tiny relay buffer (8 KiB per CPU) under heavy load
# loses records, and says so: the collector's summary, the END record and
# the kernel's per-CPU counts report the drops, and records + drops account
# for every bio fio issued (plus the process-name records, which are
# dropped like any record when the buffer is full).
#
# Three rounds with the collector reading, then one in which the collector
# is stopped (SIGSTOP) so that the buffers are full when tracing stops. In
# every round the collector must exit 0: it exits 1 when the records it
# read differ from the kernel's count of records written (records lost
# between kernel and file, or drops counted for records that were read).
# disks: none
# timeout: 400
. /tests/vm/lib.sh
. /tests/vm/lib-trace.sh

plan 30

load_modules dm-mod dm-restack dm-restack-trace
brd_create 64
check "restack volume over /dev/ram0" vol_create vol /dev/ram0
N=32768		# 2 jobs x 64 MiB / 4 KiB, each block once per job

load() {
	fio_run "load$1" --filename=/dev/mapper/vol --rw=randread --bs=4k --iodepth=32 \
		--numjobs=2 --size=64M
}

# account TAG: the checks on one round's summary and file.
account() {
	io=$(trace_summary "$1" io)
	comm=$(trace_summary "$1" comm)
	drops=$(trace_summary "$1" drops)
	diag "$1: $io I/O + $comm process-name records written, $drops dropped"
	check "$1: drops reported ($drops)" test "${drops:-0}" -gt 0
	# fio's processes: at most 3 process-name records were attempted
	check "$1: records + drops = $io + $comm + $drops = $N bios + 2..3 names" \
		sh -c "t=\$(($io + $comm + $drops)); [ \$t -ge $((N + 2)) ] && [ \$t -le $((N + 3)) ]"
	is "$(trace_end_totals "$T_TMP/$1.rtr")" "$io $drops" "$1: END record: same records and drops"
	percpu=$(sed -n 's/^  drops per CPU://p' "$T_TMP/trace-$1.err" | tr ' ' '\n' |
		sed -n 's/^cpu[0-9]*=//p' | awk '{ s += $1 } END { print s + 0 }')
	is "$percpu" "$drops" "$1: per-CPU drop counts (debugfs dropped) add up to the total"
	check "$1: the file holds exactly the records counted" \
		sh -c "[ \$(restack dump --csv $T_TMP/$1.rtr | wc -l) = $((io + 1)) ]"
}

for round in 1 2 3; do
	check "round $round: restack trace --buffer 8K starts" \
		trace_start "r$round" vol -o "$T_TMP/r$round.rtr" --buffer 8K
	check "round $round: fio 2 x 16384 random 4 KiB reads at QD32" load "$round"
	check "round $round: collector exits 0 (every record it read was counted, none missing)" \
		trace_stop "r$round"
	account "r$round"
done

# The collector stopped while fio fills the buffers: tracing stops full.
check "full: restack trace --buffer 8K starts" trace_start full vol -o "$T_TMP/full.rtr" --buffer 8K
kill -STOP "$TRACE_PID"
check "full: fio while the collector is stopped" load full
kill -CONT "$TRACE_PID"
check "full: collector exits 0 (kernel counted no drop for a record that was read)" \
	trace_stop full
io=$(trace_summary full io)
comm=$(trace_summary full comm)
drops=$(trace_summary full drops)
diag "full: $io I/O + $comm process-name records written, $drops dropped"
check "full: records + drops = $io + $comm + $drops = $N bios + 2..3 names" \
	sh -c "t=\$(($io + $comm + $drops)); [ \$t -ge $((N + 2)) ] && [ \$t -le $((N + 3)) ]"
check_dmesg_clean "no kernel warnings"
done_testing
