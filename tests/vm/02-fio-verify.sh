#!/bin/sh
# 02-fio-verify: data integrity through a restack volume, detached and with
# the noop policy attached: fio crc32c verify with plain random writes,
# fsync/fdatasync every N writes, O_SYNC|O_DIRECT (FUA) writes and mixed
# block sizes; data written while attached is re-verified after detach
# (it must be on the origin), and the volume over a virtio disk too.
# disks: origin=256M
# timeout: 420
. /tests/vm/lib.sh

load_modules dm-mod dm-restack

# Memory-backed null_blk with a volatile write cache, so that flush and FUA
# are real operations on the origin and not stripped by the block layer.
nullb_create nb0 256 cache_size=16 discard=1
check "restack volume over null_blk" vol_create vol /dev/nb0
V=/dev/mapper/vol

# The fio jobs, by name. Each writes a region with a crc32c header per block
# and reads it all back.
job() {
	case $1 in
	randwrite) echo "--rw=randwrite --bs=4k --iodepth=16 --size=64M --offset=0" ;;
	fsync) echo "--rw=randwrite --bs=4k --iodepth=8 --size=16M --offset=64M --fsync=8" ;;
	fdatasync) echo "--rw=randwrite --bs=8k --iodepth=8 --size=16M --offset=80M --fdatasync=4" ;;
	osync) echo "--rw=randwrite --bs=4k --iodepth=8 --size=16M --offset=96M --sync=1" ;;
	mixed) echo "--rw=randwrite --bsrange=4k-128k --iodepth=8 --size=64M --offset=112M" ;;
	esac
}
JOBS="randwrite fsync fdatasync osync mixed"

# seed MODE JOB: a fixed random seed per (mode, job), so that a later
# --verify_only run regenerates the same offsets and data.
seed() {
	case $1 in detached) m=1000 ;; attached) m=2000 ;; *) m=3000 ;; esac
	case $2 in randwrite) j=1 ;; fsync) j=2 ;; fdatasync) j=3 ;; osync) j=4 ;; *) j=5 ;; esac
	echo $((m + j))
}

# run_jobs MODE
run_jobs() {
	for j in $JOBS; do
		# shellcheck disable=SC2046
		check "$1: fio $j + verify=crc32c" \
			fio_run "$1-$j" --filename=$V $(job "$j") --verify=crc32c --do_verify=1 \
			--randseed=$(seed "$1" "$j")
	done
}

# --- detached
is "$(vol_mode vol)" detached "volume starts detached"
s0_flush=$(vol_stat vol flushes)
s0_fua=$(vol_stat vol fua)
run_jobs detached
check "detached: flushes counted ($s0_flush -> $(vol_stat vol flushes))" test "$(vol_stat vol flushes)" -gt "$s0_flush"
check "detached: FUA writes counted ($s0_fua -> $(vol_stat vol fua))" test "$(vol_stat vol fua)" -gt "$s0_fua"
is "$(vol_stat vol errors)" 0 "detached: errors=0"

# --- attached noop
check "attach noop" msg vol attach noop
is "$(vol_mode vol) $(vol_policy vol)" "attached noop" "status: attached noop"
s1_flush=$(vol_stat vol flushes)
s1_fua=$(vol_stat vol fua)
run_jobs attached
check "attached: flushes counted ($s1_flush -> $(vol_stat vol flushes))" test "$(vol_stat vol flushes)" -gt "$s1_flush"
check "attached: FUA writes counted ($s1_fua -> $(vol_stat vol fua))" test "$(vol_stat vol fua)" -gt "$s1_fua"
is "$(vol_stat vol errors)" 0 "attached: errors=0"

# --- what was written while attached is on the origin
check "detach" msg vol detach
is "$(vol_mode vol) $(vol_policy vol)" "detached -" "status: detached -"
for j in randwrite mixed; do
	# shellcheck disable=SC2046
	check "after detach: data written while attached ($j) verifies" \
		fio_run "reverify-$j" --filename=$V $(job "$j") --verify=crc32c --verify_only \
		--randseed=$(seed attached "$j")
done
# and directly on the origin, without restack in the way
check "remove volume" dm_remove vol
check "origin itself holds the data written through the attached volume" \
	fio_run "origin-reverify" --filename=/dev/nb0 $(job randwrite) --verify=crc32c --verify_only \
	--randseed=$(seed attached randwrite)

# --- over a virtio disk (a real request queue with a write-back cache)
O=$(disk origin) || bail_out "no origin disk"
check "restack volume over virtio $O, attached from the table" vol_create vvol "$O" policy noop 0
is "$(vol_mode vvol) $(vol_policy vvol)" "attached noop" "virtio volume: attached noop"
check "virtio, attached: fio randwrite fsync=16 + verify" \
	fio_run virtio-attached --filename=/dev/mapper/vvol --rw=randwrite --bs=4k --iodepth=16 \
	--size=32M --fsync=16 --verify=crc32c --do_verify=1
check "virtio: detach" msg vvol detach
check "virtio, detached: fio O_SYNC writes + verify" \
	fio_run virtio-detached --filename=/dev/mapper/vvol --rw=randwrite --bs=16k --iodepth=8 \
	--size=32M --offset=32M --sync=1 --verify=crc32c --do_verify=1
is "$(vol_stat vvol errors)" 0 "virtio volume: errors=0"
check "remove virtio volume" dm_remove vvol

check_dmesg_clean "no kernel warnings"
done_testing
