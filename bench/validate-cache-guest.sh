#!/bin/sh
# validate-cache-guest.sh - does the analyzer predict what the cache does?
# Run INSIDE the guest: random reads through the cache policy (wt, S3-FIFO,
# 4 KiB blocks, a 16 MiB fast device: smaller than the working sets, so
# that evictions and the replacement's choices matter) on a volume traced
# in full; writes each trace and the measured hit counts to the share.
# The devices are null_blk without memory: hit counting needs no data, and
# the cache starts cold in every round (its metadata is not kept).  On the
# host, scripts/validate-cache.sh (`make validate-cache`) boots it and
# compares them with `restack mrc` simulating the same trace, policy and
# cache size.
# disks: none
# timeout: 900
set -eu
OUT=${RESTACK_SHARE:-/tmp}/validate
mkdir -p "$OUT"
modprobe null_blk nr_devices=2 gb=1 irqmode=0 queue_mode=2 bs=4096
modprobe dm-restack
dmsetup create fast --table "0 32768 linear /dev/nullb1 0"
dmsetup create vol --table "0 $(blockdev --getsz /dev/nullb0) restack /dev/nullb0"
dmsetup mknodes
dmsetup message vol 0 attach cache /dev/mapper/fast mode=wt replacement=s3fifo
stat_of() { dmsetup status vol | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# round  fio distribution  queue depth
ROUNDS="zipf12-qd1:zipf:1.2:1 zipf12-qd16:zipf:1.2:16 zipf09-qd16:zipf:0.9:16 pareto-qd16:pareto:0.9:16"
for r in $ROUNDS; do
	name=${r%%:*}
	rest=${r#*:}
	dist=${rest%:*}
	qd=${rest##*:}
	restack trace vol -o "$OUT/$name.rtr" >"$OUT/$name.trace.log" 2>&1 &
	tracer=$!
	sleep 1
	h0=$(stat_of read_hits)
	m0=$(stat_of read_misses)
	fio --name=z --filename=/dev/mapper/vol --rw=randread --bs=4k --direct=1 \
		--ioengine=libaio --iodepth="$qd" --size=512M --io_size=256M \
		--random_distribution="$dist" >"$OUT/$name.fio.log" 2>&1
	h=$(( $(stat_of read_hits) - h0 ))
	m=$(( $(stat_of read_misses) - m0 ))
	sleep 1
	kill -INT $tracer
	wait $tracer || true
	echo "$name hits=$h misses=$m" | tee -a "$OUT/measured.txt"
	dmsetup status vol >"$OUT/$name.status"
	dmsetup message vol 0 detach
	dmsetup message vol 0 attach cache /dev/mapper/fast mode=wt replacement=s3fifo
done
dmsetup table vol >"$OUT/table.txt"
