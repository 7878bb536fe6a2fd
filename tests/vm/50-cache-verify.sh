#!/bin/sh
# 50-cache-verify: the cache policy keeps data intact in every mode.
# Origin and fast device are memory-backed null_blk devices (the fast one
# a quarter of the origin, so blocks are evicted and written back).  For
# each mode: attach, fio random writes with crc32c verify and fsyncs, a
# zipf read pass (hits), status fields; then a live mode change and a
# detach, each while fio verify runs; finally a verify of everything from
# the origin alone, detached.
# disks: none
# timeout: 540
. /tests/vm/lib.sh

plan 30
load_modules dm-mod dm-restack
nullb_create origin 256
nullb_create fastdev 64
check "restack volume" vol_create vol /dev/origin
dmesg_mark start

VERIFY="--filename=/dev/mapper/vol --bs=4k --iodepth=16 --size=200M --verify=crc32c --verify_backlog=1024"

for mode in wt wa wb; do
	check "attach cache mode=$mode" msg vol attach cache /dev/fastdev mode=$mode
	check "$mode: random writes, verified, fsync every 64" \
		fio_run "w-$mode" $VERIFY --rw=randwrite --fsync=64 --do_verify=1
	check "$mode: zipf reads" fio_run "r-$mode" --filename=/dev/mapper/vol --bs=4k \
		--iodepth=16 --size=200M --io_size=64M --rw=randread --random_distribution=zipf:1.2
	hits=$(vol_stat vol read_hits)
	like "$hits" '^[1-9][0-9]*$' "$mode: read hits counted ($hits)"
	io="$(vol_stat vol fast_ios) $(vol_stat vol fast_lat_us) $(vol_stat vol origin_ios) $(vol_stat vol origin_lat_us)"
	like "$io" '^[1-9][0-9]* [1-9][0-9]* [1-9][0-9]* [1-9][0-9]*$' \
		"$mode: per-device I/O and latency counters move (fast_ios fast_lat_us origin_ios origin_lat_us: $io)"
	[ "$mode" = wb ] || check "$mode: detach" msg vol detach
done

# Live mode changes while fio verifies (leaving wb writes dirty data back).
fio_bg change $VERIFY --rw=randrw --io_size=48M --do_verify=1
sleep 3
check "mode wt under fio (wb -> wt cleans first)" msg vol mode wt
is "$(vol_stat vol dirty)" 0 "no dirty blocks after leaving wb"
check "mode wb under fio" msg vol mode wb
check "mode wa under fio" msg vol mode wa
check "fio verify across mode changes" fio_wait "$FIO_PID"

# Detach while fio verifies, from write-back with dirty data.
check "mode wb" msg vol mode wb
check "dirty data in wb" fio_run fill --filename=/dev/mapper/vol --bs=4k --iodepth=16 \
	--size=200M --io_size=16M --rw=randwrite --verify=crc32c --do_verify=0
fio_bg detach $VERIFY --rw=randrw --io_size=32M --do_verify=1
sleep 2
check "detach under fio" msg vol detach
check "fio verify across the detach" fio_wait "$FIO_PID"
is "$(vol_mode vol) $(vol_policy vol)" "detached -" "detached"

# The origin alone now holds everything that was written.
check "everything verifies from the origin alone" \
	fio_run final $VERIFY --rw=randwrite --do_verify=1 --io_size=32M
check_dmesg_clean "no kernel warnings" start
done_testing
