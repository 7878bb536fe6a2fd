#!/bin/sh
# 52-cache-faults: the fast device fails (dm-flakey switched to always
# down, so every read and write to it errors).
#  - wt: reads keep returning correct data from the origin, no error
#    reaches the application, status says fast_state=failed.
#  - wb: dirty blocks that can no longer be read fail with EIO (never
#    stale data), the volume reports failed, blocks the origin has keep
#    reading correctly, and detach refuses to pretend the origin is complete.
# disks: none
# timeout: 400
. /tests/vm/lib.sh

plan 20
load_modules dm-mod dm-restack dm-flakey
nullb_create origin 128
nullb_create fastdev 64
FS=$(dev_sectors /dev/fastdev)
check "fast device (linear, to be swapped for flakey)" dm_create fast "0 $FS linear /dev/fastdev 0"
check "restack volume" vol_create vol /dev/origin
dmesg_mark start

fast_break() {
	dmsetup suspend fast && dmsetup reload fast --table "0 $FS flakey /dev/fastdev 0 0 600" &&
		dmsetup resume fast
}
fast_heal() {
	dmsetup suspend fast && dmsetup reload fast --table "0 $FS linear /dev/fastdev 0" &&
		dmsetup resume fast
}
# md5 of <count> 4 KiB blocks of the volume from block <skip>.
sum_blocks() {
	dd if=/dev/mapper/vol bs=4k skip="$1" count="$2" iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1
}

# --- write-through
check "attach cache mode=wt" msg vol attach cache /dev/mapper/fast mode=wt
check "wt: write 32 MiB" fio_run wtw --filename=/dev/mapper/vol --bs=4k --iodepth=8 \
	--size=32M --rw=write --verify=crc32c --do_verify=0
s1=$(sum_blocks 0 8192)
s2=$(sum_blocks 0 8192)
is "$s2" "$s1" "wt: read it twice (promotes), same data"
hits=$(vol_stat vol read_hits)
like "$hits" '^[1-9][0-9]*$' "wt: the second read hit the cache ($hits hits)"
check "break the fast device" fast_break
is "$(sum_blocks 0 8192)" "$s1" "wt: the same data, from the origin, with no error"
is "$(vol_stat vol fast_state)" "failed" "wt: fast_state=failed"
check "wt: detach" msg vol detach
check "heal the fast device" fast_heal

# --- write-back with dirty data on the fast device
check "attach cache mode=wb" msg vol attach cache /dev/mapper/fast mode=wb
check "wb: dirty writes to the first 4 MiB" fio_run wbw --filename=/dev/mapper/vol \
	--bs=4k --iodepth=8 --size=4M --rw=write --verify=crc32c --do_verify=0
d=$(vol_stat vol dirty)
like "$d" '^[1-9][0-9]*$' "wb: blocks are dirty ($d)"
s3=$(sum_blocks 4096 4096)
check "break the fast device" fast_break
check_fails "wb: reading a lost dirty block fails (EIO, not stale data)" \
	dd if=/dev/mapper/vol of=/dev/null bs=4k count=1 iflag=direct
is "$(sum_blocks 4096 4096)" "$s3" "wb: blocks the origin holds read correctly"
is "$(vol_mode vol)" "failed" "wb: the volume reports failed"
check_fails "wb: detach refuses while dirty data is lost" msg vol detach
like "$(dmesg_since start)" "dirty origin block [0-9]+ is lost" "kernel log names the lost block"
done_testing
