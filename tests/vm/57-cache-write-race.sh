#!/bin/sh
# 57-cache-write-race: a read miss of a block whose write is still in
# flight to the origin must not promote the origin's older data.  The
# origin is dm-delay with writes held 1.5 s and reads undelayed, so a
# read issued during the write deterministically finds the old data on
# the origin.  Once the write has completed, reads must return the new
# data, from the origin or the cache; a promotion of the old data would
# keep serving it.  Checked for the writes that go to the origin alone:
# every write in wa, and in wt and wb a write miss that is not admitted
# (promote_hits=1: its block is admitted on its second miss, which is the
# read during the write).  The writes are whole blocks in one bio.
# disks: none
# timeout: 300
. /tests/vm/lib.sh

plan 12
load_modules dm-mod dm-restack dm-delay
nullb_create slow 64
nullb_create fastdev 16
S=$(dev_sectors /dev/slow)
check "origin: dm-delay, reads 0 ms, writes 1500 ms" \
	dm_create origin "0 $S delay /dev/slow 0 0 /dev/slow 0 1500"
check "restack volume" vol_create vol /dev/mapper/origin
dmesg_mark start
V=/dev/mapper/vol

# md5 of LEN bytes at byte offset OFF, read with O_DIRECT in 512-byte units
read_md5() { # OFF LEN
	dd if=$V bs=512 skip=$(($1 / 512)) count=$(($2 / 512)) iflag=direct 2>/dev/null |
		md5sum | cut -d' ' -f1
}

# race MODE OFF LEN: write LEN bytes of a new pattern at OFF (held by the
# origin), read the block meanwhile (a miss), wait for the write, then
# read twice: both must be the new data.
race() {
	_mode=$1 _off=$2 _len=$3
	_new=$T_TMP/new-$_mode
	head -c "$_len" /dev/urandom >"$_new"
	_want=$(md5sum <"$_new" | cut -d' ' -f1)
	# one bio: a second write to the block would drop a stale copy itself
	dd if="$_new" of=$V bs="$_len" seek=$((_off / _len)) count=1 \
		oflag=direct 2>/dev/null &
	_w=$!
	sleep 0.5
	read_md5 "$_off" 4096 >/dev/null	# a miss while the write is held
	wait "$_w"
	_p=$(vol_stat vol promotions)
	_a=$(read_md5 "$_off" "$_len")
	sleep 0.5				# let any promotion land
	_b=$(read_md5 "$_off" "$_len")
	diag "$_mode: promotions $_p after the write, $(vol_stat vol promotions) now"
	is "$_a $_b" "$_want $_want" "$_mode: reads after the write return the new data"
}

check "attach cache mode=wa" msg vol attach cache /dev/fastdev mode=wa
race wa $((1024 * 1024)) 4096
check "detach" msg vol detach
check "attach cache mode=wt promote_hits=1" msg vol attach cache /dev/fastdev mode=wt promote_hits=1
race wt $((2 * 1024 * 1024)) 4096
check "detach" msg vol detach
check "attach cache mode=wb promote_hits=1" msg vol attach cache /dev/fastdev mode=wb promote_hits=1
race wb $((3 * 1024 * 1024)) 4096
check "detach" msg vol detach
check_dmesg_clean "no kernel warnings" start
done_testing
