#!/bin/sh
# 01-smoke: modules load; dm-linear and a restack volume over null_blk and
# over a virtio disk; small fio read/write through each.
# disks: origin=128M
# timeout: 300
. /tests/vm/lib.sh

plan 17

load_modules dm-mod
nullb_create nb0 128
check "dm-linear: linear volume over null_blk" linear_create lin0 /dev/nb0
check "fio randrw with crc32c verify on dm-linear" \
	fio_run lin --filename=/dev/mapper/lin0 --rw=randwrite --bs=4k --iodepth=16 \
	--size=32M --verify=crc32c --do_verify=1
check "dm-linear removed" dm_remove lin0

check "modprobe dm-restack" modprobe dm-restack
like "$(dmsetup targets)" 'restack +v1\.' "dmsetup targets lists restack v1.x"
check "restack tracepoints exist" test -d /sys/kernel/tracing/events/restack/restack_map

nullb_create nb1 128
check "create restack volume over null_blk" vol_create vol1 /dev/nb1
is "$(vol_table vol1)" "$(dev_majmin /dev/nb1)" "table line is the origin major:minor"
is "$(vol_mode vol1) $(vol_policy vol1)" "detached -" "new volume is detached, policy -"
check "fio 4k randwrite+verify through detached volume" \
	fio_run vol1 --filename=/dev/mapper/vol1 --rw=randwrite --bs=4k --iodepth=16 \
	--size=32M --verify=crc32c --do_verify=1
w=$(vol_stat vol1 writes)
r=$(vol_stat vol1 reads)
check "status counts the writes ($w) and reads ($r)" test "${w:-0}" -ge 8192 -a "${r:-0}" -ge 8192
is "$(vol_stat vol1 write_bytes)" "$((w * 4096))" "write_bytes = writes * 4096"

O=$(disk origin) || bail_out "no origin disk"
check "restack volume over the virtio disk $O" vol_create vol2 "$O"
check "fio seq write + read back on the virtio-backed volume" \
	fio_run vol2 --filename=/dev/mapper/vol2 --rw=write --bs=64k --iodepth=4 \
	--size=32M --verify=crc32c --do_verify=1

check "remove restack volumes" sh -c 'dmsetup remove vol1 && dmsetup remove vol2'
check "rmmod dm-restack" modprobe -r dm-restack
check_dmesg_clean "no kernel warnings"
done_testing
