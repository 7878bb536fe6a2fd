#!/bin/sh
# 54-cache-slow-fast: a slow fast device (dm-delay, 20 ms per read and
# write) keeps data correct under fio verify in wb and wt mode, with no
# error, and the per-device counters (fast_ios, fast_lat_us, origin_ios,
# origin_lat_us: cumulative, so window means come from differences) show
# the fast device's latency jump while the origin's stays low.
# disks: none
# timeout: 500
. /tests/vm/lib.sh

plan 20
load_modules dm-mod dm-restack dm-delay
nullb_create origin 256
nullb_create fastdev 64
FS=$(dev_sectors /dev/fastdev)
check "fast device (linear, to be swapped for dm-delay)" dm_create fast "0 $FS linear /dev/fastdev 0"
check "restack volume" vol_create vol /dev/origin
dmesg_mark start

fast_slow() {
	dmsetup suspend fast && dmsetup reload fast --table "0 $FS delay /dev/fastdev 0 20" &&
		dmsetup resume fast
}
fast_heal() {
	dmsetup suspend fast && dmsetup reload fast --table "0 $FS linear /dev/fastdev 0" &&
		dmsetup resume fast
}
# Counter snapshot, and the window's I/O counts and mean latencies (µs).
snap() {
	F0=$(vol_stat vol fast_ios) FL0=$(vol_stat vol fast_lat_us)
	O0=$(vol_stat vol origin_ios) OL0=$(vol_stat vol origin_lat_us)
}
window() {
	F1=$(vol_stat vol fast_ios) FL1=$(vol_stat vol fast_lat_us)
	O1=$(vol_stat vol origin_ios) OL1=$(vol_stat vol origin_lat_us)
	DF=$((F1 - F0)) DO=$((O1 - O0))
	MF=$(((FL1 - FL0) / (DF > 0 ? DF : 1)))
	MO=$(((OL1 - OL0) / (DO > 0 ? DO : 1)))
	diag "$1: fast $DF I/Os, mean $MF us; origin $DO I/Os, mean $MO us"
}
VERIFY="--filename=/dev/mapper/vol --bs=4k --iodepth=16 --size=48M --verify=crc32c"

check "attach cache mode=wb" msg vol attach cache /dev/mapper/fast mode=wb
# Formatting the fast device is metadata I/O: counted, the origin untouched.
like "$(vol_stat vol fast_ios) $(vol_stat vol origin_ios)" '^[1-9][0-9]* 0$' \
	"attach: the format's metadata I/O counted on the fast device only"
snap
check "wb, normal fast device: fio verify" fio_run base $VERIFY --rw=randrw \
	--io_size=16M --fsync=32 --do_verify=1
window base
like "$DF.$DO" '^[1-9][0-9]*\.[1-9][0-9]*$' "both devices' I/O counted ($DF fast, $DO origin)"
BASE=$MF
ok_if() { if [ "$1" = 1 ]; then ok "$2"; else not_ok "$2"; fi; }
ok_if "$([ "$MF" -lt 10000 ] && echo 1)" "normal fast device: mean latency ${MF} us < 10 ms"

check "slow the fast device down (dm-delay 20 ms)" fast_slow
snap
check "wb, slow fast device: fio verify" fio_run slowwb $VERIFY --rw=randrw \
	--io_size=8M --fsync=32 --do_verify=1
window "slow, wb"
ok_if "$([ "$DF" -gt 0 ] && [ "$MF" -ge 18000 ] && echo 1)" \
	"slow fast device: mean latency ${MF} us >= 18 ms (was ${BASE} us)"

check "mode wt (writes back first, over the slow device)" msg vol mode wt
snap
check "wt, slow fast device: fio verify" fio_run slowwt $VERIFY --rw=randrw \
	--io_size=8M --do_verify=1
# Reads of blocks not cached yet: misses served by the origin.
check "wt, slow fast device: reads that miss" fio_run slowrd --filename=/dev/mapper/vol \
	--bs=4k --iodepth=16 --offset=128M --size=64M --io_size=4M --rw=randread
window "slow, wt"
ok_if "$([ "$DF" -gt 0 ] && [ "$MF" -ge 18000 ] && echo 1)" \
	"wt: the fast device's mean latency ${MF} us >= 18 ms"
ok_if "$([ "$DO" -gt 0 ] && [ "$MO" -lt 10000 ] && echo 1)" \
	"wt: the origin's mean latency (${MO} us over $DO I/Os) stays below 10 ms"
is "$(vol_stat vol fast_errors) $(vol_stat vol fast_state)" "0 ok" "slow is not failed: no errors"

# md5 of the first 48 MiB of the volume, through the cache.
sum_vol() {
	dd if=/dev/mapper/vol bs=1M count=48 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1
}
s1=$(sum_vol)
check "heal the fast device" fast_heal
check "detach" msg vol detach
is "$(sum_vol)" "$s1" "the origin alone holds the same 48 MiB"
check_dmesg_clean "no kernel warnings" start
done_testing
