#!/bin/sh
# 58-attach-passthrough-race: a write mapped while the volume was detached
# (pass-through, to the origin alone) may still be in flight when a policy
# is attached.  The cache cannot know of it: a read miss of that block
# just after the attach would promote the origin's old data and serve it
# as a clean hit after the write completes.  The attach must wait for the
# pass-through writes before the policy starts copying origin data
# (activate() in dm-restack-policy.h), and a read the cache maps while the
# attach waits must not be promoted either.  The origin is dm-delay with
# writes held 5 s and reads undelayed, so a read finds the old data on the
# origin while the write is in flight.
# disks: none
# timeout: 300
. /tests/vm/lib.sh

plan 15
load_modules dm-mod dm-restack dm-delay
nullb_create slow 64
nullb_create fastdev 16
S=$(dev_sectors /dev/slow)
check "origin: dm-delay, reads 0 ms, writes 5000 ms" \
	dm_create origin "0 $S delay /dev/slow 0 0 /dev/slow 0 5000"
check "restack volume" vol_create vol /dev/mapper/origin
dmesg_mark start
V=/dev/mapper/vol

read_md5() { # OFF
	dd if=$V bs=4096 skip=$(($1 / 4096)) count=1 iflag=direct 2>/dev/null |
		md5sum | cut -d' ' -f1
}

# race MODE OFF: a pass-through write of new data at OFF in flight; the
# cache attached meanwhile, in the background; the block read as soon as
# the volume shows the cache attached (while the attach waits for the
# write, with the fix: a miss the cache must not promote, as the origin
# still has the old data) and again once the attach has returned; then
# the write waited for and the block read twice more: the last three
# reads must return the new data.  The first may return either.
race() {
	_mode=$1 _off=$2
	head -c 4096 /dev/urandom >$T_TMP/new-$_mode
	_want=$(md5sum <$T_TMP/new-$_mode | cut -d' ' -f1)
	dd if=$T_TMP/new-$_mode of=$V bs=4096 seek=$((_off / 4096)) count=1 \
		oflag=direct 2>/dev/null &
	_w=$!
	sleep 0.5
	msg vol attach cache /dev/fastdev mode=$_mode &
	_at=$!
	_i=0
	while [ "$(vol_mode vol)" != attached ] && [ $_i -lt 100 ]; do
		sleep 0.02
		_i=$((_i + 1))
	done
	read_md5 "$_off" >/dev/null
	if kill -0 "$_at" 2>/dev/null; then
		diag "$_mode: read while the attach was still waiting"
	else
		diag "$_mode: read after the attach returned"
	fi
	wait "$_at"
	is "$?" 0 "$_mode: attach cache while a pass-through write is in flight"
	_a=$(read_md5 "$_off")
	wait "$_w"
	sleep 0.5			# let any promotion land
	_b=$(read_md5 "$_off")
	_c=$(read_md5 "$_off")
	diag "$_mode: promotions=$(vol_stat vol promotions) read_hits=$(vol_stat vol read_hits)"
	is "$_a $_b $_c" "$_want $_want $_want" \
		"$_mode: reads after the attach return the new data"
	# Promotions start once the attach is done: a miss is promoted.
	_p=$(vol_stat vol promotions)
	read_md5 $((_off + 65536)) >/dev/null
	sleep 0.5
	check "$_mode: promotions run after the attach" \
		test "$(vol_stat vol promotions)" -gt "$_p"
	check "$_mode: detach" msg vol detach
}

race wa $((1024 * 1024))
race wt $((2 * 1024 * 1024))
race wb $((3 * 1024 * 1024))
check_dmesg_clean "no kernel warnings" start
done_testing
