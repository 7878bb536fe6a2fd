#!/bin/sh
# 53-cache-crash: crash consistency of the cache in write-back mode,
# tested the way file systems are, with dm-log-writes.
#
# One memory-backed disk under one dm-log-writes device; the cache's
# origin and fast device are carved from it by dm-linear, so one log
# holds every write of both in one global order, each plain write logged
# only once a later flush made it stable.  crashio (tests/helpers/crashio.c)
# writes self-describing 4 KiB blocks through the cache, fsyncs and uses
# O_DSYNC (FUA) often, and after each acknowledgement sends a log mark
# naming it.  Then `restack replay` replays the log onto a pristine copy
# of the disk, stopping at flush, FUA and mark entries; at each stop the
# state is copied to a scratch disk, the cache table is loaded on it
# (recovery from whatever metadata the fast device holds at that point)
# and every block of the volume is checked: intact, at least the
# generation acknowledged before the point, never data not yet written.
# The test takes about 4-5 minutes (scripts/guest-run.sh hands the guest
# the host's TSC rate, so guest time is host time).
# disks: log=1G
# timeout: 900
. /tests/vm/lib.sh

plan 16
load_modules dm-mod dm-restack dm-log-writes
CRASHIO=/opt/restack/tests/helpers/crashio
[ -x "$CRASHIO" ] || bail_out "$CRASHIO missing (make -C tests/helpers)"
command -v restack >/dev/null || bail_out "restack CLI missing (make tools)"
LOG=$(disk log) || bail_out "no log disk"

OMB=8			# origin MiB: 2048 blocks
FMB=2			# fast device MiB: ~500 cache blocks, so blocks are evicted
OS=$((OMB * 2048))
FS=$((FMB * 2048))
TS=$((OS + FS))
SEED=53
# 55-cache-crash-wt sets these and sources this file.
MODE=${CRASH_MODE:-wb}
OPS=${CRASH_OPS:-1500}
MIN_POINTS=${CRASH_MIN_POINTS:-200}
nullb_create lwdisk $((OMB + FMB))
nullb_create lwpristine $((OMB + FMB))
nullb_create lwscratch $((OMB + FMB))
J=$T_TMP/journal
dmesg_mark start

# Generation 0 in every origin block; the fast device starts zeroed.
fill_origin() {
	dm_create forig "0 $OS linear /dev/lwdisk 0" &&
		"$CRASHIO" fill /dev/mapper/forig --seed $SEED && dm_remove forig
}
check "origin filled with generation 0" fill_origin
check "pristine copy of the disk" dd if=/dev/lwdisk of=/dev/lwpristine bs=1M \
	iflag=direct oflag=direct
check "dm-log-writes over the disk" dm_create lw "0 $TS log-writes /dev/lwdisk $LOG"
check "origin and fast device carved from it" eval \
	'dm_create corig "0 $OS linear /dev/mapper/lw 0" && dm_create cfast "0 $FS linear /dev/mapper/lw $OS"'
check "restack volume, cache in $MODE mode" vol_create vol /dev/mapper/corig policy cache 2 \
	/dev/mapper/cfast mode=$MODE

t0=$(date +%s)
"$CRASHIO" write /dev/mapper/vol "$J" --ops "$OPS" --sync-every 8 --fua-pct 10 \
	--seed $SEED --mark "dmsetup message lw 0 mark" >"$T_TMP/write.out" 2>&1
is "$?" 0 "workload: $(cat "$T_TMP/write.out") in $(($(date +%s) - t0)) s"
wb=$(vol_stat vol writebacks)
dem=$(vol_stat vol demotions)
diag "cache after the workload: $(vol_status vol)"
if [ "$MODE" = wb ]; then
	like "$wb.$dem" '^[1-9][0-9]*\.[1-9][0-9]*$' \
		"the workload wrote back ($wb) and evicted ($dem) blocks"
else
	like "$dem" '^[1-9][0-9]*$' "the workload evicted blocks ($dem)"
fi
# A clean shutdown is part of the log too (the final commit).
check "tear down the stack and close the log" eval \
	'dm_remove vol && dm_remove corig && dm_remove cfast && dm_remove lw'

restack replay "$LOG" --list >"$T_TMP/list" 2>"$T_TMP/list.err"
is "$?" 0 "the log parses: $(head -n1 "$T_TMP/list" | cut -c3-)"
points=$(awk 'NR > 2 && $3 ~ /FLUSH|FUA|MARK/' "$T_TMP/list" | wc -l)
every=$((points / (MIN_POINTS + 10)))
[ "$every" -ge 1 ] || every=1
diag "$points flush/FUA/mark entries; checking every $every-th"

# One crash point: a scratch copy, the stack rebuilt on it (recovery),
# every block checked (read once each: promote_hits=1 keeps the check
# from promoting, which only costs time).  Runs under `restack replay --exec`.
# The linear devices over the scratch disk stay: they hold no data.
check "origin and fast device carved from the scratch disk" eval \
	'dm_create korig "0 $OS linear /dev/lwscratch 0" && dm_create kfast "0 $FS linear /dev/lwscratch $OS"'
cat >"$T_TMP/point.sh" <<EOF
#!/bin/sh
dd if=/dev/lwpristine of=/dev/lwscratch bs=1M iflag=direct oflag=direct 2>/dev/null || exit 3
echo "entry \$RESTACK_REPLAY_ENTRY (\$RESTACK_REPLAY_FLAGS) after mark \${RESTACK_REPLAY_MARK:-none}:" >>"$T_TMP/points.log"
if ! dmsetup create kvol --table "0 $OS restack /dev/mapper/korig policy cache 3 /dev/mapper/kfast mode=$MODE promote_hits=1" >>"$T_TMP/points.log" 2>&1; then
	echo "  loading the cache table failed" >>"$T_TMP/points.log"
	rc=4
else
	dmsetup mknodes kvol >/dev/null 2>&1
	"$CRASHIO" check /dev/mapper/kvol "$J" --seed $SEED >>"$T_TMP/points.log" 2>&1
	rc=\$?
	dmsetup status kvol | sed 's/^/  /' >>"$T_TMP/points.log"
	dmsetup remove kvol || rc=5
fi
exit \$rc
EOF
t0=$(date +%s)
restack replay "$LOG" /dev/lwpristine --stop-at flush,fua,mark --every "$every" \
	--exec "sh $T_TMP/point.sh" >"$T_TMP/replay.out" 2>&1
rc=$?
secs=$(($(date +%s) - t0))
is "$rc" 0 "replay with a check at each point: $(tail -n1 "$T_TMP/replay.out")"
if [ "$rc" != 0 ]; then
	grep -B3 -A12 'bad\|failed' "$T_TMP/points.log" | tail -n 40 | sed 's/^/# /'
	tail -n 5 "$T_TMP/replay.out" | sed 's/^/# /'
fi
n=$(grep -c '^check ' "$T_TMP/points.log")
bad=$(awk '/^check / && $5 != 0 { b++ } END { print b + 0 }' "$T_TMP/points.log")
blocks=$(awk '/^check / { s += $3 } END { print s + 0 }' "$T_TMP/points.log")
newer=$(awk '/^check / && $7 > 0 { k++ } END { print k + 0 }' "$T_TMP/points.log")
if [ "$n" -ge $MIN_POINTS ]; then
	ok "$n crash points checked (at least $MIN_POINTS), $blocks blocks read back, in $secs s"
else
	not_ok "$n crash points checked (wanted at least $MIN_POINTS), in $secs s"
fi
is "$bad" 0 "no point lost an acknowledged write or returned unwritten data"
diag "$newer points held data newer than acknowledged (unacknowledged writes that survived)"
# Controls: the check can fail.  An origin that never saw a write passes
# before the first mark and fails at the last (acknowledged writes lost).
nullb_create lwgen0 $OMB
"$CRASHIO" fill /dev/lwgen0 --seed $SEED >/dev/null || bail_out "fill lwgen0"
check "control: untouched origin passes before the first mark" \
	"$CRASHIO" check /dev/lwgen0 "$J" "" --seed $SEED
check_fails "control: untouched origin fails at the last mark (writes lost)" \
	"$CRASHIO" check /dev/lwgen0 "$J" "$(grep '^M' "$J" | tail -n1 | cut -d' ' -f2)" \
	--seed $SEED
check_dmesg_clean "no kernel warnings"
done_testing
