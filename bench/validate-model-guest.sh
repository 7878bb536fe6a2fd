#!/bin/sh
# validate-model-guest.sh - does the analyzer's performance model predict
# the latencies and IOPS of real stacks?  Run INSIDE the guest
# (scripts/validate-model.sh, `make validate-model`, boots it and
# compares).
#
# Origin: dm-delay (DELAY_MS, default 2 ms) over memory-backed null_blk.
# Fast: brd.  Both hold data, so write-back and promotion copy real blocks.
# Per workload and round, in one boot, interleaved:
#   origin  the workload on the detached restack volume over the slow
#           origin, traced: the trace the model analyses (and the origin's
#           latency profile; the detached stack's measurement)
#   fast    the same workload on a restack volume over dm-linear over brd
#           (the cache's fast devices are dm-linear over brd too), traced:
#           the fast device's latency profile
#   <mode>-<size>  the cache policy attached (mode wt/wb/wa, S3-FIFO, 4 KiB
#           blocks, a fast device of 8 or 32 MiB), cold, traced
# Every run issues the same fio request sequence (fixed seed, fixed count of
# NIOS requests on the same file name), so the model sees the very requests
# each stack served; the host measures each stack over the second half
# (after the cache has warmed) and asks the model for the same window.
# disks: none
# timeout: 2400
set -eu
SHARE=${RESTACK_SHARE:-/tmp}
OUT=$SHARE/validate-model
# scripts/validate-model.sh may override the parameters below
# shellcheck disable=SC1091
[ -r "$SHARE/validate-model.env" ] && . "$SHARE/validate-model.env"
DELAY_MS=${DELAY_MS:-2}
QD=${QD:-8}
NIOS=${NIOS:-40000}
ROUNDS=${ROUNDS:-2}
WORKLOADS=${WORKLOADS:-"zipf-read mix-70-30 rand-write"}
SIZES_MB=${SIZES_MB:-"8 32"}
MODES=${MODES:-"wt wb wa"}
VOL_MB=128
mkdir -p "$OUT"
rm -f "$OUT"/*

modprobe null_blk nr_devices=1 gb=1 memory_backed=1 irqmode=0 queue_mode=2 bs=4096
# brd: the fast-alone volume (VOL_MB) and one cache device per size after it
modprobe brd rd_nr=1 rd_size=$(( (VOL_MB + 8 + 32) * 1024 ))
modprobe dm-delay
modprobe dm-restack
modprobe dm-restack-cache
vol_sectors=$(( VOL_MB * 2048 ))
dmsetup create slow --table "0 $vol_sectors delay /dev/nullb0 0 $DELAY_MS"
dmsetup mknodes	# no udev in the guest
dmsetup create vol --table "0 $vol_sectors restack /dev/mapper/slow"
# The fast-alone volume sits on dm-linear over brd, as the cache's fast
# devices do, so that its profile has the same path below restack.
dmsetup create falone --table "0 $vol_sectors linear /dev/ram0 0"
dmsetup mknodes
dmsetup create fvol --table "0 $vol_sectors restack /dev/mapper/falone"
off=$vol_sectors
for mb in $SIZES_MB; do
	dmsetup create "fast$mb" --table "0 $(( mb * 2048 )) linear /dev/ram0 $off"
	off=$(( off + mb * 2048 ))
done
dmsetup mknodes
# The origin holds data everywhere the workload reads (reads of never
# written null_blk memory are not representative of a disk).
dd if=/dev/urandom of=/dev/mapper/vol bs=1M count=$VOL_MB oflag=direct 2>/dev/null
dd if=/dev/urandom of=/dev/mapper/fvol bs=1M count=$VOL_MB oflag=direct 2>/dev/null

job_args() {
	case $1 in
	zipf-read)	echo "--rw=randread --random_distribution=zipf:0.9" ;;
	mix-70-30)	echo "--rw=randrw --rwmixread=70 --random_distribution=zipf:0.9" ;;
	rand-write)	echo "--rw=randwrite --random_distribution=random" ;;
	esac
}

# run <workload> <device> <name>: fio traced on dm device <device>
run() {
	w=$1 dev=$2 name=$3
	restack trace "$dev" -o "$OUT/$name.rtr" >"$OUT/$name.trace.log" 2>&1 &
	tracer=$!
	sleep 1
	# shellcheck disable=SC2046
	fio --name=v --filename="/dev/mapper/$dev" $(job_args "$w") --bs=4k \
		--direct=1 --ioengine=libaio --iodepth="$QD" --size=${VOL_MB}M \
		--io_size=100G --number_ios="$NIOS" --norandommap --randrepeat=1 \
		--output-format=json >"$OUT/$name.fio.json" 2>"$OUT/$name.fio.err"
	sleep 1
	kill -INT $tracer
	wait $tracer || true
	echo "$(date +%T) $name done"
}

for round in $(seq 1 "$ROUNDS"); do
	for w in $WORKLOADS; do
		run "$w" vol "$w.origin.r$round"
		run "$w" fvol "$w.fast.r$round"
		for mb in $SIZES_MB; do
			for m in $MODES; do
				# a cold cache: no metadata to load
				dd if=/dev/zero of="/dev/mapper/fast$mb" bs=1M count="$mb" \
					oflag=direct 2>/dev/null
				dmsetup message vol 0 attach cache "/dev/mapper/fast$mb" \
					mode="$m" replacement=s3fifo block_size=4096
				dmsetup status vol >"$OUT/$w.$m-$mb.r$round.status0"
				run "$w" vol "$w.$m-$mb.r$round"
				dmsetup status vol >"$OUT/$w.$m-$mb.r$round.status"
				dmsetup message vol 0 detach
			done
		done
	done
done
echo "delay_ms=$DELAY_MS qd=$QD nios=$NIOS rounds=$ROUNDS vol_mb=$VOL_MB" >"$OUT/params.txt"
echo "sizes_mb=$SIZES_MB" >>"$OUT/params.txt"
echo "validate-model: done"
