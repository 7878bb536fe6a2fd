#!/bin/sh
# 03-attach-detach: attach and detach the noop policy 1000 times with
# dmsetup messages while fio writes and verifies on the volume without a
# pause: every message succeeds, zero verify errors, a clean kernel log,
# attaches=1000 detaches=1000 at the end. Then attach while attached,
# which must be refused (EBUSY) under the same load.
# disks: none
# timeout: 540
. /tests/vm/lib.sh

CYCLES=${CYCLES:-1000}
REPLACES=20

load_modules dm-mod dm-restack
nullb_create nb0 256 cache_size=16
check "restack volume over null_blk" vol_create vol /dev/nb0
dmesg_mark cycles

# Continuous load: 4k random writes with crc32c verify, plus an fsync every
# 64 writes, repeated until the cycles are done (each run verifies its data).
# (rate-limited, so that the control path gets CPU time in the slow guest)
fio_loop_start load --filename=/dev/mapper/vol --rw=randwrite --bs=4k --iodepth=16 \
	--size=32M --fsync=64 --verify=crc32c --do_verify=1 --rate_iops=4000
sleep 2

t0=$(date +%s)
fails=0
i=0
while [ "$i" -lt "$CYCLES" ]; do
	i=$((i + 1))
	if ! msg vol attach noop 2>>/tmp/msg.err; then
		fails=$((fails + 1))
		echo "cycle $i: attach failed" >>/tmp/msg.err
	fi
	if ! msg vol detach 2>>/tmp/msg.err; then
		fails=$((fails + 1))
		echo "cycle $i: detach failed" >>/tmp/msg.err
	fi
	if [ $((i % 250)) = 0 ]; then
		diag "$i cycles, $(($(date +%s) - t0))s, fio runs so far: $(cat /tmp/fio-loop-load.runs)"
	fi
done
secs=$(($(date +%s) - t0))
is "$fails" 0 "$CYCLES attach+detach cycles under fio: no message failed (${secs}s)"
[ "$fails" = 0 ] || diag_file /tmp/msg.err
is "$(vol_stat vol attaches) $(vol_stat vol detaches)" "$CYCLES $CYCLES" "status: attaches=$CYCLES detaches=$CYCLES"
is "$(vol_mode vol) $(vol_policy vol)" "detached -" "ends detached"
# Nothing but our own marker lines in the kernel log during the cycles.
dmesg_since cycles | grep -v 'restack-test:' >/tmp/dmesg.cycles
check "kernel log silent during the cycles" test ! -s /tmp/dmesg.cycles
[ -s /tmp/dmesg.cycles ] && diag_file /tmp/dmesg.cycles 20

# Attach while attached: refused with EBUSY and nothing changes
# (Documentation/restack.rst: detach first; no one-step replacement).
check "attach noop" msg vol attach noop
before="$(vol_stat vol attaches) $(vol_stat vol detaches)"
rok=0
i=0
while [ "$i" -lt "$REPLACES" ]; do
	i=$((i + 1))
	msg vol attach noop 2>>/tmp/replace.err && rok=$((rok + 1))
done
is "$rok" 0 "$REPLACES attempts to attach noop while attached all refused"
like "$(head -n1 /tmp/replace.err)" 'Device or resource busy' "refused with EBUSY"
is "$(vol_mode vol) $(vol_policy vol)" "attached noop" "still attached noop"
is "$(vol_stat vol attaches) $(vol_stat vol detaches)" "$before" "attaches/detaches unchanged by refused attaches"
check "final detach" msg vol detach

set -- $(fio_loop_stop load "$FIO_LOOP_PID")
runs=$1 ffails=$2
check "fio ran during the cycles ($runs runs)" test "$runs" -ge 2
is "$ffails" 0 "fio: no verify or I/O errors in $runs runs"
[ "$ffails" = 0 ] || fio_loop_faillog load
is "$(vol_stat vol errors)" 0 "status: errors=0"
sleep 1
is "$(vol_stat vol inflight)" 0 "status: inflight=0 when idle"
diag "status: $(vol_status vol)"

check_dmesg_clean "no kernel warnings"
check "remove volume" dm_remove vol
done_testing
