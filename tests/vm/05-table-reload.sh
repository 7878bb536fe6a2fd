#!/bin/sh
# 05-table-reload: "dmsetup table" output reloads to the same volume
# (detached and attached), suspend/resume and table reloads while fio
# verifies, and a table with "policy noop 0" comes up attached.
# disks: none
# timeout: 420
. /tests/vm/lib.sh

ROUNDS=5

load_modules dm-mod dm-restack
nullb_create nb0 256 cache_size=16
ORIG=$(dev_majmin /dev/nb0)
SECTORS=$(dev_sectors /dev/nb0)
check "restack volume over null_blk" vol_create vol /dev/nb0

# reload_same VOL: reload the volume with its own "dmsetup table" output.
reload_same() {
	dmsetup table "$1" >/tmp/table.txt &&
		dmsetup reload "$1" /tmp/table.txt &&
		dmsetup resume "$1"
}

# --- reload round trip, detached
t1=$(dmsetup table vol)
is "$t1" "0 $SECTORS restack $ORIG" "detached table: 0 <len> restack <major:minor>"
check "reload the detached table as printed, resume" reload_same vol
is "$(dmsetup table vol)" "$t1" "detached: same table after reload"
is "$(vol_mode vol) $(vol_policy vol)" "detached -" "detached: same mode after reload"

# --- reload round trip, attached
check "attach noop" msg vol attach noop
t2=$(dmsetup table vol)
is "$t2" "0 $SECTORS restack $ORIG policy noop 0" "attached table shows 'policy noop 0'"
check "reload the attached table as printed, resume" reload_same vol
is "$(dmsetup table vol)" "$t2" "attached: same table after reload"
is "$(vol_mode vol) $(vol_policy vol)" "attached noop" "attached: still attached noop after reload"
check "detach after reload" msg vol detach
is "$(dmsetup table vol)" "$t1" "detached again: table has no policy"

# --- a table with a policy comes up attached
check "create a volume with 'policy noop 0'" \
	dm_create pvol "0 $SECTORS restack /dev/nb0 policy noop 0"
is "$(vol_mode pvol) $(vol_policy pvol)" "attached noop" "status: attached noop from the table"
is "$(vol_table pvol)" "$ORIG policy noop 0" "dmsetup table shows the policy"
check "fio verify on the policy-table volume" \
	fio_run pvol --filename=/dev/mapper/pvol --rw=randwrite --bs=4k --iodepth=8 \
	--size=16M --offset=128M --verify=crc32c --do_verify=1
check "detach it" msg pvol detach
is "$(vol_table pvol)" "$ORIG" "table after detach: origin only"
check "remove it" dm_remove pvol

# --- suspend/resume and reloads under fio
dmesg_mark underload
fio_loop_start load --filename=/dev/mapper/vol --rw=randwrite --bs=4k --iodepth=16 \
	--size=32M --verify=crc32c --do_verify=1
sleep 2

sfails=0
for mode in detached attached; do
	if [ "$mode" = attached ]; then
		msg vol attach noop || sfails=$((sfails + 1))
	fi
	i=0
	while [ "$i" -lt "$ROUNDS" ]; do
		i=$((i + 1))
		dmsetup suspend vol || sfails=$((sfails + 1))
		sleep 0.3
		dmsetup resume vol || sfails=$((sfails + 1))
		sleep 1
	done
	is "$sfails" 0 "$mode: $ROUNDS suspend/resume cycles under fio"
	is "$(vol_mode vol) $(vol_policy vol)" "$mode $([ $mode = attached ] && echo noop || echo -)" \
		"$mode: mode unchanged by suspend/resume"
	i=0
	rfails=0
	while [ "$i" -lt "$ROUNDS" ]; do
		i=$((i + 1))
		reload_same vol || rfails=$((rfails + 1))
		sleep 1
	done
	is "$rfails" 0 "$mode: $ROUNDS table reloads (same table) under fio"
	is "$(vol_mode vol) $(vol_policy vol)" "$mode $([ $mode = attached ] && echo noop || echo -)" \
		"$mode: mode unchanged by reloads"
done

# switch detached <-> attached through table reloads, under fio
xfails=0
i=0
while [ "$i" -lt "$ROUNDS" ]; do
	i=$((i + 1))
	{ dmsetup reload vol --table "0 $SECTORS restack $ORIG" && dmsetup resume vol; } || xfails=$((xfails + 1))
	[ "$(vol_mode vol)" = detached ] || xfails=$((xfails + 1))
	sleep 0.5
	{ dmsetup reload vol --table "0 $SECTORS restack $ORIG policy noop 0" && dmsetup resume vol; } || xfails=$((xfails + 1))
	[ "$(vol_mode vol)" = attached ] || xfails=$((xfails + 1))
	sleep 0.5
done
is "$xfails" 0 "$ROUNDS detached<->attached switches by table reload under fio"

# messages while suspended must not hang (attach/detach on a suspended volume)
check "suspend" dmsetup suspend vol
timeout 30 dmsetup message vol 0 detach >/tmp/susp.out 2>&1
src=$?
diag "detach while suspended: exit $src ($(cat /tmp/susp.out))"
check "detach while suspended did not hang" test "$src" != 124 -a "$src" != 143
check "resume" dmsetup resume vol

set -- $(fio_loop_stop load "$FIO_LOOP_PID")
check "fio ran during the cycles ($1 runs)" test "$1" -ge 2
is "$2" 0 "fio: no verify or I/O errors in $1 runs"
[ "$2" = 0 ] || fio_loop_faillog load
is "$(vol_stat vol errors)" 0 "status: errors=0"

check "remove volume" dm_remove vol
check_dmesg_clean "no kernel warnings"
done_testing
