#!/bin/sh
# demo: restackd closes the loop, narrated.  Run by "make demo"
# (scripts/guest-demo.sh, which then draws the plots on the host); the same
# scenario with assertions is tests/vm/61-daemon-demo.sh.
#
# A slow origin (dm-delay 10 ms over memory), a fast device (brd under
# dm-flakey), an SLA the origin alone cannot meet (min_iops 1300; the origin
# gives ~1000 with 16 readers), zipf:1.2 reads with every block verified plus slow
# verified writes.  restackd sees the violation, profiles, decides, attaches
# a cache; the SLA is met.  Then the fast device fails (dm-flakey, live) and
# restackd detaches; nothing is lost (fio verify, then a full verify of the
# volume, detached).  Prints the timeline and the issue 6 §8 figures.
# disks: none
# timeout: 420
. /tests/vm/lib.sh
. /tests/vm/demo/lib-demo.sh

say() { printf '\n== %s\n' "$*"; }
fail() { printf '\n!! DEMO FAILED: %s\n' "$*"; demo_collect; _t_run_cleanup; exit 1; }
# status line of the volume every 2 s for up to $2 s, until "$3" (a shell
# condition) holds
watch_until() {
	_vol=$1 _max=$2 _cond=$3
	_end=$(($(date +%s) + _max))
	_last=""
	while [ "$(date +%s)" -le "$_end" ]; do
		_f=$DEMO_STATE/$_vol.json
		_st=$(demo_state "$_vol")
		_line=$(printf '   [t=%5.1fs] %-10s iops %-7s read p99 %-8s us  SLA met: %s' \
			"$(awk -v a="$(demo_now)" -v b="$T0" 'BEGIN { print a - b }')" "$_st" \
			"$(demo_json_get "$_f" iops | cut -d. -f1)" \
			"$(demo_json_get "$_f" read_p99_us | cut -d. -f1)" \
			"$(demo_json_get "$_f" met)")
		[ "$_line" != "$_last" ] && echo "$_line"
		_last=$_line
		eval "$_cond" && return 0
		demo_daemon_alive || { echo "   restackd is not running any more"; return 1; }
		if [ "$_st" = error ]; then
			echo "   restackd put $_vol in state error: $(demo_json_get "$_f" error)"
			return 1
		fi
		sleep 2
	done
	return 1
}

VOL=vol0
ORIGIN_MB=320
READ_MB=256

say "restackd demo on Linux $(uname -r) (QEMU guest, TCG: everything is ~10x slower than real)"
load_modules dm-mod dm-restack dm-delay dm-flakey
echo "   Origin: ${ORIGIN_MB} MiB of memory behind dm-delay 10 ms (a slow disk), filled with"
echo "   fio's verify pattern. Fast device: 128 MiB brd behind dm-flakey (healthy for now)."
demo_origin slow0 "$ORIGIN_MB" 10
demo_fast 128

demo_sla_file
say "The daemon's config: an SLA of 1300 IOPS the origin alone cannot meet"
sed 's/^/     /' "$DEMO_DIR/sla.ini"

say "Start restackd; it creates $VOL over the origin, detached"
demo_daemon_start "$DEMO_DIR/sla.ini"
T0=$(demo_now)
wait_for_dev /dev/mapper/$VOL 100 || fail "restackd did not create /dev/mapper/$VOL: $(tail -n 5 "$DEMO_DIR/daemon.log")"
echo "   $(dmsetup table $VOL)"

say "Workload: fio zipf:1.2 4k random reads, 16 at a time, over ${READ_MB} MiB, every read verified;"
echo "   plus 40 IOPS of random writes over the last 64 MiB, each read back and verified"
demo_zipf_start zipf /dev/mapper/$VOL ${READ_MB}M
demo_write_start writes /dev/mapper/$VOL ${READ_MB}M $((ORIGIN_MB - READ_MB))M 40

say "Watching the daemon (window = 2 s): violation -> profiling -> deciding -> attached"
watch_until $VOL 150 '[ "$(demo_summary $VOL sla_met_event)" != none ]' ||
	fail "no attached stack meeting the SLA within 150 s (state $(demo_state $VOL)); daemon log: $(tail -n 5 "$DEMO_DIR/daemon.log")"
demo_keep_mrc $VOL
say "Attached and meeting the SLA. restack status:"
"$RESTACK" status $VOL --state-dir "$DEMO_STATE" 2>&1 | sed 's/^/     /'
watch_until $VOL 10 false

[ "$(demo_state $VOL)" = attached ] ||
	fail "$VOL is no longer attached before the fault (state $(demo_state $VOL)): see the timeline in build/vm-results/demo/events.jsonl"
say "Fault: the fast device starts failing every read (dm-flakey table switched live)"
demo_fast_fail || fail "could not switch dm-flakey"
watch_until $VOL 60 '[ "$(demo_state $VOL)" = detached ]' ||
	fail "$VOL not detached within 60 s of the fault (state $(demo_state $VOL))"
say "Detached: the volume is back on the origin alone. Running on for 10 s:"
watch_until $VOL 10 false
"$RESTACK" status $VOL --state-dir "$DEMO_STATE" 2>&1 | sed 's/^/     /'

say "Stop fio: every read and every written block was verified throughout"
ok_fio=1
demo_fio_stop zipf || ok_fio=0
demo_fio_stop writes || ok_fio=0
demo_fio_summary zipf | sed 's/^/     zipf:   /'
demo_fio_summary writes | sed 's/^/     writes: /'
[ "$ok_fio" = 1 ] && echo "   fio verify: clean (0 errors)" || echo "   fio verify: ERRORS (see above)"

say "Stop restackd (SIGTERM), then verify the whole volume, detached, from the origin alone"
demo_daemon_stop
echo "   daemon exit status $?; $VOL: $(vol_mode $VOL) $(vol_policy $VOL)"
if demo_verify_full /dev/mapper/$VOL ${ORIGIN_MB}M; then
	echo "   full verify of ${ORIGIN_MB} MiB: clean"
	ok_full=1
else
	echo "   full verify of ${ORIGIN_MB} MiB: ERRORS"
	ok_full=0
fi

demo_collect
say "Timeline (guest seconds since the daemon started)"
demo_timeline $VOL
t1=$(demo_summary $VOL t_violation_to_met)
t1w=$(demo_summary $VOL t_violation_to_met_window)
t2=$(demo_summary $VOL t_fault_to_detached)
verdict() { awk -v x="$1" -v lim="$2" 'BEGIN { if (x == "none") print "NOT REACHED"; else if (x + 0 <= lim) print "target met"; else print "TARGET MISSED" }'; }
say "Issue 6 §8 targets (guest time)"
printf '   first SLA violation -> attached stack meeting the SLA: %s s (target <= 60 s): %s\n' "$t1" "$(verdict "$t1" 60)"
printf '     (to the first window meeting it: %s s; "meeting" above = the daemon'"'"'s sla_met, after %s met windows)\n' "$t1w" 3
printf '   first fast-device fault -> detached:                   %s s (target <= 10 s): %s\n' "$t2" "$(verdict "$t2" 10)"
printf '   verify errors: %s (target 0)\n' "$([ "$ok_fio$ok_full" = 11 ] && echo 0 || echo 'SOME: see above')"
awk -f "$DEMO_AWK" -v mode=summary -v vol=$VOL "$DEMO_EVENTS" "$DEMO_MARKS" >"$RESTACK_SHARE/summary.txt" 2>/dev/null
_t_run_cleanup
[ "$ok_fio$ok_full" = 11 ] || exit 1
say "Done."
