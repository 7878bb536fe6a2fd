#!/bin/sh
# 70-cache-partial-range: a discard or write-zeroes covering part of a
# dirty write-back block never loses the rest of that block.  With 64 KiB
# cache blocks in wb:
#  - two 64 KiB blocks of known data are written and cached dirty;
#  - 4 KiB is discarded inside the first, and 4 KiB zeroed (write-zeroes,
#    not emulated by writes: the origin is a virtio disk with native
#    write-zeroes) inside the second;
#  - a third dirty block is discarded from 16 KiB into it on, over 40 MiB
#    (more blocks than the cache has: the drop scans the whole cache);
#  - through the volume, the untouched 60 KiB of each block read back,
#    and the zeroed 4 KiB reads as zeroes, and the first 16 KiB of the
#    third block are intact;
#  - after detach (write-back), the origin read directly holds the other
#    60 KiB of each block intact, the zeroed 4 KiB as zeroes, and the
#    first 16 KiB of the third block.
# disks: origin=64M
# timeout: 300
. /tests/vm/lib.sh

plan 19
load_modules dm-mod dm-restack
nullb_create fastdev 16
O=$(disk origin) || bail_out "no origin disk"
qd=/sys/block/${O##*/}/queue
[ "$(cat $qd/write_zeroes_max_bytes)" -gt 0 ] ||
	bail_out "$O has no native write-zeroes"
[ "$(cat $qd/discard_max_bytes)" -gt 0 ] || bail_out "$O has no discard"
check "restack volume" vol_create vol "$O"
V=/dev/mapper/vol
dmesg_mark start
check "attach cache mode=wb block_size=65536" \
	msg vol attach cache /dev/fastdev mode=wb block_size=65536

B=65536
K4=4096
# Known, non-zero data for three blocks (blocks 0 to 2 of the volume).
head -c $((3 * B)) /dev/urandom >"$T_TMP/pat"
check "write three 64 KiB blocks" \
	dd if="$T_TMP/pat" of=$V bs=$B count=3 oflag=direct conv=fsync
dirty=$(vol_stat vol dirty)
check "the blocks are cached dirty (dirty=$dirty)" test "$dirty" -ge 3

# seg FILE OFFSET LENGTH: md5 of a 4 KiB-aligned part of FILE (O_DIRECT
# for a device, so nothing comes from the page cache).
seg() {
	_fl=
	[ -b "$1" ] && _fl=iflag=direct
	dd if="$1" bs=$K4 skip=$(($2 / K4)) count=$(($3 / K4)) $_fl 2>/dev/null |
		md5sum | cut -d' ' -f1
}
zero4k=$(head -c $K4 /dev/zero | md5sum | cut -d' ' -f1)

DOFF=$((16 * 1024))		# discarded: block 0, [16 KiB, 20 KiB)
ZOFF=$((B + 40 * 1024))		# zeroed: block 1, [104 KiB, 108 KiB)
d0=$(vol_stat vol discards)
z0=$(vol_stat vol write_zeroes)
check "discard 4 KiB inside block 0" $BLKDISCARD -o $DOFF -l $K4 $V
check "write-zeroes 4 KiB inside block 1" $BLKDISCARD -z -o $ZOFF -l $K4 $V
LOFF=$((2 * B + 16 * 1024))	# discarded: from block 2 + 16 KiB, 40 MiB
check "discard 40 MiB from 16 KiB into block 2 (cache blocks: $(vol_stat vol blocks))" \
	$BLKDISCARD -o $LOFF -l $((40 << 20)) $V
check "the volume saw discards and a write-zeroes" \
	test "$(vol_stat vol discards)" -gt "$d0" -a "$(vol_stat vol write_zeroes)" -gt "$z0"

# check_rest DEV WHAT: the untouched parts of both blocks and the zeroes.
check_rest() {
	is "$(seg "$1" 0 $DOFF)$(seg "$1" $((DOFF + K4)) $((B - DOFF - K4)))" \
		"$(seg "$T_TMP/pat" 0 $DOFF)$(seg "$T_TMP/pat" $((DOFF + K4)) $((B - DOFF - K4)))" \
		"$2: block 0 outside the discard is intact"
	is "$(seg "$1" $B $((ZOFF - B)))$(seg "$1" $((ZOFF + K4)) $((2 * B - ZOFF - K4)))" \
		"$(seg "$T_TMP/pat" $B $((ZOFF - B)))$(seg "$T_TMP/pat" $((ZOFF + K4)) $((2 * B - ZOFF - K4)))" \
		"$2: block 1 outside the write-zeroes is intact"
	is "$(seg "$1" $ZOFF $K4)" "$zero4k" "$2: the zeroed 4 KiB reads as zeroes"
	is "$(seg "$1" $((2 * B)) $((LOFF - 2 * B)))" "$(seg "$T_TMP/pat" $((2 * B)) $((LOFF - 2 * B)))" \
		"$2: block 2 before the long discard is intact"
}
check_rest $V "through the volume"

check "detach (writes back)" msg vol detach
is "$(vol_mode vol)" detached "the volume is detached"
check_rest "$O" "on the origin"
check_dmesg_clean "no kernel warnings" start
done_testing
