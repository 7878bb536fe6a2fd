#!/bin/sh
# 04-flush-fua-discard: flushes (fsync), FUA writes (O_SYNC|O_DIRECT) and
# discards sent to a restack volume reach the origin, detached and with the
# noop policy attached. Seen with blktrace on the origin (a null_blk with a
# volatile write cache, native FUA and discard) and in the volume's status
# counters. Also: the volume advertises the origin's cache/FUA/discard limits,
# discarded blocks read back as zeroes, and BLKZEROOUT zeroes through it.
# disks: none
# timeout: 360
. /tests/vm/lib.sh

load_modules dm-mod dm-restack
nullb_create nb0 256 cache_size=16 discard=1
is "$(cat /sys/block/nb0/queue/write_cache) $(cat /sys/block/nb0/queue/fua)" "write back 1" \
	"origin has a write-back cache and FUA"
check "restack volume over null_blk" vol_create vol /dev/nb0
V=/dev/mapper/vol
dmname=$(dmsetup info -c --noheadings -o blkdevname vol)
q=/sys/block/$dmname/queue
is "$(cat $q/write_cache) $(cat $q/fua)" "write back 1" "volume advertises write-back cache and FUA"
check "volume advertises discard (discard_max_bytes=$(cat $q/discard_max_bytes))" \
	test "$(cat $q/discard_max_bytes)" -gt 0

BT=/tmp/bt
mkdir -p $BT

# trace_start NAME: blktrace the origin into $BT/NAME.*
trace_start() {
	rm -f "$BT/$1".*
	blktrace -d /dev/nb0 -D "$BT" -o "$1" >"$BT/$1.log" 2>&1 &
	BT_PID=$!
	# wait until blktrace has set up its relay channels
	i=0
	while [ ! -e /sys/kernel/debug/block/nb0/trace0 ] && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.5
}

# trace_stop NAME: stop blktrace and write the parsed events to $BT/NAME.txt
trace_stop() {
	kill -INT "$BT_PID"
	wait "$BT_PID"
	blkparse -q -D "$BT" -i "$1" -o "$BT/$1.txt" >/dev/null 2>&1
}

# count NAME AWK-CONDITION: count queued (Q) events on the origin matching the
# condition on $7 (RWBS: [F]{W,R,D,N}[F][S]...: leading F = preflush, F after
# the op = FUA).
count() {
	awk -v c="$2" '$6 == "Q" && $7 ~ c { n++ } END { print n + 0 }' "$BT/$1.txt"
}

# phase MODE: fsync'ed writes, O_SYNC writes, discards, all traced.
phase() {
	m=$1
	f0=$(vol_stat vol flushes)
	u0=$(vol_stat vol fua)
	d0=$(vol_stat vol discards)
	db0=$(vol_stat vol discard_bytes)

	trace_start "$m-flush"
	check "$m: fio randwrite with fsync after every 4 writes" \
		fio_run "$m-fsync" --filename=$V --rw=randwrite --bs=4k --iodepth=4 --size=8M \
		--offset=0 --fsync=4 --verify=crc32c --do_verify=1
	trace_stop "$m-flush"
	nf=$(count "$m-flush" '^F')
	f1=$(vol_stat vol flushes)
	# 2048 writes, an fsync after every 4 (fio skips the last one)
	check "$m: volume counted >= 500 flushes ($((f1 - f0)))" test $((f1 - f0)) -ge 500
	check "$m: origin saw as many flushes ($nf) as the volume ($((f1 - f0)))" test "$nf" -ge $((f1 - f0))

	trace_start "$m-fua"
	check "$m: fio O_SYNC|O_DIRECT randwrite (FUA)" \
		fio_run "$m-osync" --filename=$V --rw=randwrite --bs=4k --iodepth=4 --size=4M \
		--offset=16M --sync=1 --verify=crc32c --do_verify=1
	trace_stop "$m-fua"
	nu=$(count "$m-fua" '^F?WF')
	u1=$(vol_stat vol fua)
	is "$nu" 1024 "$m: origin saw 1024 FUA writes"
	is "$((u1 - u0))" 1024 "$m: volume counted 1024 FUA writes"

	# discard 16 MiB of written data; it must read back as zeroes
	fio_run "$m-fill" --filename=$V --rw=write --bs=1M --size=16M --offset=32M \
		--buffer_pattern=0x5a >/dev/null
	trace_start "$m-discard"
	check "$m: blkdiscard 16 MiB" $BLKDISCARD -o $((32 << 20)) -l $((16 << 20)) $V
	trace_stop "$m-discard"
	nd=$(count "$m-discard" '^D')
	check "$m: origin saw discards ($nd)" test "$nd" -ge 1
	dsec=$(awk '$6 == "Q" && $7 ~ /^D/ { s += $10 } END { print s + 0 }' "$BT/$m-discard.txt")
	is "$dsec" 32768 "$m: origin saw 16 MiB (32768 sectors) of discards"
	check "$m: volume counted discards ($(($(vol_stat vol discards) - d0)))" \
		test "$(vol_stat vol discards)" -gt "$d0"
	is "$(($(vol_stat vol discard_bytes) - db0))" $((16 << 20)) "$m: discard_bytes grew by 16 MiB"
	nz=$(dd if=$V bs=1M skip=32 count=16 iflag=direct 2>/dev/null | tr -d '\000' | wc -c)
	is "$nz" 0 "$m: discarded range reads back as zeroes"

	# BLKZEROOUT (write zeroes, or the block layer's fallback of plain writes)
	fio_run "$m-fill2" --filename=$V --rw=write --bs=1M --size=4M --offset=64M \
		--buffer_pattern=0x5a >/dev/null
	check "$m: blkdiscard -z (BLKZEROOUT) 4 MiB" $BLKDISCARD -z -o $((64 << 20)) -l $((4 << 20)) $V
	nz=$(dd if=$V bs=1M skip=64 count=4 iflag=direct 2>/dev/null | tr -d '\000' | wc -c)
	is "$nz" 0 "$m: zeroed range reads back as zeroes"
	diag "$m: status $(vol_status vol)"
}

phase detached
check "attach noop" msg vol attach noop
is "$(vol_mode vol) $(vol_policy vol)" "attached noop" "attached noop"
phase attached
check "detach" msg vol detach

is "$(vol_stat vol errors)" 0 "status: errors=0"
check "remove volume" dm_remove vol
check_dmesg_clean "no kernel warnings"
done_testing
