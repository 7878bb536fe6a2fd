#!/bin/sh
# 08-flush-write-cache: a volume advertises a volatile write cache and FUA
# from its creation, whatever its origin has, because a policy attached
# live may put acknowledged data on a fast device with a write cache, and
# a live attach cannot change the queue limits.  Without that the block
# layer strips PREFLUSH and FUA above a volume over an origin without a
# write cache, and an fsync'd write sits in the fast device's cache.
# Origin: null_blk without a write cache (as brd); fast device: null_blk
# with a volatile write cache (cache_size=).  The fast device's flush count
# is field 16 of its /sys/block/<dev>/stat.
# disks: none
# timeout: 300
. /tests/vm/lib.sh

plan 14
load_modules dm-mod dm-restack
nullb_create slow 64
nullb_create fastdev 16 cache_size=8
is "$(cat /sys/block/slow/queue/write_cache)" "write through" "origin has no write cache"
is "$(cat /sys/block/fastdev/queue/write_cache)" "write back" "fast device has a write cache"
check "restack volume over the origin" vol_create vol /dev/slow
dmesg_mark start
V=/dev/mapper/vol
dmname=$(dmsetup info -c --noheadings -o blkdevname vol)
q=/sys/block/$dmname/queue
is "$(cat $q/write_cache) $(cat $q/fua)" "write back 1" \
	"volume advertises a write-back cache and FUA from creation"

# sync_write TAG OFF: one 4 KiB O_SYNC|O_DIRECT write (a FUA write, then
# the fsync's flush), read back and verified.
sync_write() {
	fio_run "$1" --filename=$V --ioengine=psync --rw=write --bs=4k --size=4k \
		--offset="$2" --sync=1 --verify=crc32c --do_verify=1
}

f0=$(vol_stat vol flushes) u0=$(vol_stat vol fua)
check "detached: O_SYNC write" sync_write detached 40960
f1=$(vol_stat vol flushes) u1=$(vol_stat vol fua)
diag "detached: flushes $f0 -> $f1, fua $u0 -> $u1"
check "detached: the fsync's flush reaches the volume" test "$f1" -gt "$f0"
check "detached: the O_DSYNC write's FUA reaches the volume" test "$u1" -gt "$u0"

fast_flushes() {
	awk '{ print $16 }' /sys/block/fastdev/stat
}

check "attach cache mode=wt" msg vol attach cache /dev/fastdev mode=wt
# Promote block 20 (a read miss), then let the periodic commit that
# records it pass: afterwards nothing flushes the fast device on its own.
dd if=$V of=/dev/null bs=4096 skip=20 count=1 iflag=direct 2>/dev/null
i=0
while [ "$(vol_stat vol promotions)" -lt 1 ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
is "$(vol_stat vol promotions)" 1 "block 20 promoted"
sleep 3
ff0=$(fast_flushes)
sleep 2
is "$(fast_flushes)" "$ff0" "fast device idle: no flush of its own"

# A write-through write hit lands on the fast device's write cache.
check "attached: O_SYNC write of block 20, read back" sync_write attached 81920
ff1=$(fast_flushes)
diag "fast device flushes $ff0 -> $ff1, volume flushes=$(vol_stat vol flushes) fua=$(vol_stat vol fua) commits=$(vol_stat vol commits)"
check "the fsync'd write's flush reaches the fast device" test "$ff1" -gt "$ff0"
check "detach" msg vol detach
check_dmesg_clean "no kernel warnings" start
done_testing
