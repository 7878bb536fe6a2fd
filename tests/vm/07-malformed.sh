#!/bin/sh
# 07-malformed: malformed tables and messages against a live volume under
# fio. Each must fail (non-zero dmsetup exit), leave the volume's table,
# mode, policy and counters of attaches/detaches as they were (no inactive
# table left behind), and say why in the kernel log ("device-mapper:
# restack:" or "device-mapper: table:"); fio keeps running without errors
# and the kernel log has no WARN/BUG.
# disks: none
# timeout: 480
. /tests/vm/lib.sh

load_modules dm-mod dm-restack
nullb_create nb0 256 cache_size=16
nullb_create nb1 64
nullb_create nb2 64
ORIGIN=/dev/nb0
SECTORS=$(dev_sectors $ORIGIN)
check "restack volume over null_blk" vol_create vol $ORIGIN

# A device held exclusively by someone else: swap on nb1.
check "mkswap + swapon on nb1 (held exclusively)" sh -c "$MKSWAP /dev/nb1 && $SWAPON /dev/nb1"
at_exit "$SWAPOFF" /dev/nb1
# ... and a mounted ext4 on nb2.
load_modules ext4
mkdir -p /mnt/busy
check "mkfs.ext4 + mount on nb2 (held exclusively)" \
	sh -c "$MKFS_EXT4 -q /dev/nb2 && mount -t ext4 /dev/nb2 /mnt/busy"
at_exit umount /mnt/busy

fio_loop_start load --filename=/dev/mapper/vol --rw=randwrite --bs=4k --iodepth=8 \
	--size=32M --verify=crc32c --do_verify=1
sleep 2

# What must not change: table, mode, policy, attaches, detaches, errors
# (two dmsetup calls: each costs ~0.1 s in the TCG guest).
snapshot() {
	echo "table=[$(dmsetup table vol)] $(dmsetup status vol | awk '{
		printf "mode=%s policy=%s", $4, $5
		for (i = 6; i <= NF; i++)
			if ($i ~ /^(attaches|detaches|errors)=/)
				printf " %s", $i
	}')"
}

# Kernel log lines that explain a refusal: the target's own
# ("device-mapper: restack: ...") or device-mapper's report of the target's
# ti->error ("device-mapper: table: 253:0: restack: ...") or of a core check.
WHY_TABLE='device-mapper: (table|restack): '
WHY_MSG='device-mapper: restack: '
WHY_CORE='device-mapper: ioctl: '
N=0

# explained MARK DESC [ERE]: the kernel log since MARK has a line matching ERE.
explained() {
	dmesg_since "$1" | grep -E "${3:-$WHY_TABLE}" >/tmp/why.txt
	if [ -s /tmp/why.txt ]; then
		ok "$2: kernel log says why"
		diag_file /tmp/why.txt 3
	else
		not_ok "$2: kernel log says why"
		dmesg_since "$1" | tail -n 5 | sed 's/^/#   dmesg: /'
	fi
}

# bad_table DESC LEN PARAMS: "0 LEN restack PARAMS" must be refused by
# create and by a reload of the live volume.
bad_table() {
	desc=$1 len=$2
	shift 2
	N=$((N + 1))
	before=$(snapshot)
	dmesg_mark "t$N"
	check_fails "table [$desc]: dmsetup create refuses it" \
		dmsetup create badvol --table "0 $len restack $*"
	check_fails "table [$desc]: no device left behind" dmsetup info badvol
	dm_remove badvol >/dev/null 2>&1
	check_fails "table [$desc]: dmsetup reload of the live volume refuses it" \
		dmsetup reload vol --table "0 $len restack $*"
	like "$(dmsetup info vol | grep 'Tables present')" 'Tables present: *LIVE$' \
		"table [$desc]: no inactive table left"
	dmsetup clear vol >/dev/null 2>&1
	is "$(snapshot)" "$before" "table [$desc]: live volume unchanged"
	explained "t$N" "table [$desc]" "$WHY_TABLE"
}

# bad_msg DESC ARGS...: "dmsetup message vol ${SECTOR:-0} ARGS..." must fail;
# the kernel log must explain it with a line matching ${WHY:-$WHY_MSG}.
bad_msg() {
	# WHY and SECTOR apply to this call only (prefix assignments to a
	# function call may or may not persist in a POSIX shell: reset them)
	local why=${WHY:-$WHY_MSG} sector=${SECTOR:-0}
	WHY="" SECTOR=""
	desc=$1
	shift
	N=$((N + 1))
	before=$(snapshot)
	dmesg_mark "m$N"
	check_fails "message [$desc]: fails" dmsetup message vol "$sector" "$@"
	is "$(snapshot)" "$before" "message [$desc]: volume unchanged"
	explained "m$N" "message [$desc]" "$why"
}

# ---------------------------------------------------------------- tables
bad_table "no arguments" "$SECTORS"
bad_table "nonexistent path" "$SECTORS" /dev/nosuchdevice
bad_table "nonexistent major:minor" "$SECTORS" 250:250
bad_table "not a block device" "$SECTORS" /dev/null
bad_table "busy: held by swap" 131072 /dev/nb1
bad_table "busy: mounted ext4" 131072 /dev/nb2

# Longer than the origin: device-mapper core checks the size when the queue
# limits are computed - on create, and on resume for a reload. So a reload
# loads (DM core accepts it), the resume must fail, and the volume must come
# back with its old table.
N=$((N + 1))
before=$(snapshot)
dmesg_mark "t$N"
check_fails "table [longer than the origin]: dmsetup create refuses it" \
	dmsetup create badvol --table "0 $((SECTORS * 2)) restack $ORIGIN"
check_fails "table [longer than the origin]: no device left behind" dmsetup info badvol
dm_remove badvol >/dev/null 2>&1
if dmsetup reload vol --table "0 $((SECTORS * 2)) restack $ORIGIN" >/tmp/reload.out 2>&1; then
	diag "reload of a too-long table was accepted (DM core checks the size at resume)"
	check_fails "table [longer than the origin]: resume with it fails" dmsetup resume vol
	check "table [longer than the origin]: resume again with the old table" dmsetup resume vol
else
	ok "table [longer than the origin]: reload refused"
	ok "table [longer than the origin]: (nothing to resume)"
fi
dmsetup clear vol >/dev/null 2>&1
like "$(dmsetup info vol | grep -E 'State|Tables present' | tr -s ' \n' ' ')" \
	'State: ACTIVE Tables present: LIVE $' "table [longer than the origin]: volume active with only its live table"
is "$(snapshot)" "$before" "table [longer than the origin]: live volume unchanged"
explained "t$N" "table [longer than the origin]" "$WHY_TABLE"
bad_table "unexpected word after origin" "$SECTORS" $ORIGIN garbage
bad_table "policy, nothing else" "$SECTORS" $ORIGIN policy
bad_table "policy noop, no #args" "$SECTORS" $ORIGIN policy noop
bad_table "policy noop 1, arg missing" "$SECTORS" $ORIGIN policy noop 1
bad_table "policy noop 0 extra" "$SECTORS" $ORIGIN policy noop 0 extra
bad_table "policy noop 1 arg (noop takes none)" "$SECTORS" $ORIGIN policy noop 1 arg
bad_table "#args x" "$SECTORS" $ORIGIN policy noop x
bad_table "#args 99999999999999999999" "$SECTORS" $ORIGIN policy noop 99999999999999999999
bad_table "#args 4294967297" "$SECTORS" $ORIGIN policy noop 4294967297
bad_table "#args -1" "$SECTORS" $ORIGIN policy noop -1
bad_table "#args 0x10" "$SECTORS" $ORIGIN policy noop 0x10
bad_table "#args +0" "$SECTORS" $ORIGIN policy noop +0
bad_table "unknown policy" "$SECTORS" $ORIGIN policy nosuchpolicy 0
bad_table "policy name NOOP" "$SECTORS" $ORIGIN policy NOOP 0
bad_table "policy name ../noop" "$SECTORS" $ORIGIN policy ../noop 0
bad_table "policy name of 40 chars" "$SECTORS" $ORIGIN policy \
	aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 0

# Two DM devices may share an origin (device-mapper opens devices with one
# shared holder), so a second volume over nb0 is not "busy": record it.
if dmsetup create vol2 --table "0 $SECTORS restack $ORIGIN" >/tmp/vol2.out 2>&1; then
	diag "a second restack volume over the same origin is accepted (shared DM holder)"
	dm_remove vol2
else
	diag "a second restack volume over the same origin is refused: $(cat /tmp/vol2.out)"
fi

# ---------------------------------------------------------------- messages
check_fails "message with no words (dmsetup refuses)" dmsetup message vol 0
# (empty messages never reach the target: device-mapper core refuses them)
WHY=$WHY_CORE bad_msg "empty" ""
WHY=$WHY_CORE bad_msg "blanks" "   "
bad_msg "attach, no name" attach
bad_msg "attach nosuchpolicy" attach nosuchpolicy
bad_msg "attach noop extra-arg" attach noop extra-arg
bad_msg "attach NOOP" attach NOOP
bad_msg "attach ../noop" attach ../noop
bad_msg "attach 99999999999999999999" attach 99999999999999999999
bad_msg "attach long name" attach aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
bad_msg "detach when detached" detach
bad_msg "detach extra" detach extra
bad_msg "unknown message" frobnicate
bad_msg "policy noop 0 as a message" policy noop 0
WHY=$WHY_CORE SECTOR=$SECTORS bad_msg "attach noop, sector outside the device" attach noop
is "$(vol_mode vol) $(vol_policy vol)" "detached -" "still detached after the bad messages"

check "attach noop" msg vol attach noop
bad_msg "attached: attach noop extra-arg" attach noop extra-arg
bad_msg "attached: attach nosuchpolicy" attach nosuchpolicy
bad_msg "attached: unknown message (noop has none)" frobnicate
bad_msg "attached: detach extra" detach extra
WHY=$WHY_CORE bad_msg "attached: empty" ""
bad_table "attached: policy noop x" "$SECTORS" $ORIGIN policy noop x
bad_table "attached: unknown policy" "$SECTORS" $ORIGIN policy nosuchpolicy 0
is "$(vol_mode vol) $(vol_policy vol)" "attached noop" "still attached noop"
check "detach" msg vol detach

# ---------------------------------------------------------------- the load
check "fio still running after all that" kill -0 "$FIO_LOOP_PID"
set -- $(fio_loop_stop load "$FIO_LOOP_PID")
check "fio ran throughout ($1 runs)" test "$1" -ge 2
is "$2" 0 "fio: no verify or I/O errors in $1 runs"
[ "$2" = 0 ] || fio_loop_faillog load
is "$(vol_stat vol errors)" 0 "status: errors=0"
rc=0
fio_run final --filename=/dev/mapper/vol --rw=randwrite --bs=4k --iodepth=8 \
	--size=16M --verify=crc32c --do_verify=1 || rc=$?
is "$rc" 0 "fio verify once more, idle"
if [ "$rc" != 0 ]; then
	grep -E -m8 'verify|bad|crc|err=|error' "$T_TMP/fio-final.log" | sed 's/^/# fio: /'
	dmsetup table vol | sed 's/^/# table: /'
	dmsetup status vol | sed 's/^/# status: /'
fi
check "remove volume" dm_remove vol
check_dmesg_clean "no kernel warnings"
done_testing
