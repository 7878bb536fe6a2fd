#!/bin/sh
# 64-daemon-kill9: restackd killed with SIGKILL in the middle of an attach,
# and again while attached; each time a new daemon adopts the volume in the
# state the kernel shows, and no volume is ever left half-attached (a carve
# device without an attached cache, or an attached cache the state file
# does not know).  fio verifies every read and write throughout.
#
# To kill it mid-attach deterministically, the fast device (dm-flakey) is
# suspended as soon as the daemon starts profiling (neither profiling nor
# deciding touch the fast device: its latency is given in the SLA file):
# the carve is made over it, and the attach message, which reads and
# formats the cache's superblocks on the fast device, blocks in the kernel.  The daemon is
# killed there, then the fast device is resumed (the kernel finishes or
# fails the message on its own; the daemon is gone either way).
# disks: none
# timeout: 360
. /tests/vm/lib.sh
. /tests/vm/demo/lib-demo.sh

plan 24
VOL=vol0
DEMO_RETRY_S=5
load_modules dm-mod dm-restack dm-delay dm-flakey
demo_origin slow0 256 10
demo_fast 128
demo_sla_file "fast_read_us = 100" "fast_write_us = 100"
dmesg_mark start
at_exit demo_collect
at_exit dm_remove $VOL
at_exit dm_remove restack-$VOL-fast
at_exit msg $VOL detach
at_exit dmsetup resume fast

# consistent VOL: the kernel and the daemon agree and nothing is half-made:
# prints "attached", "detached" or what is wrong.
consistent() {
	_mode="$(vol_mode "$1") $(vol_policy "$1")"
	_carve=absent
	dmsetup info "restack-$1-fast" >/dev/null 2>&1 && _carve=present
	_st=$(demo_state "$1")
	case "$_mode/$_carve" in
	"attached cache/present") [ "$_st" = attached ] && echo attached || echo "kernel attached, state file $_st" ;;
	"detached -/absent") case $_st in detached|profiling|deciding) echo detached ;; *) echo "kernel detached, state file $_st" ;; esac ;;
	*) echo "half-made: kernel '$_mode', carve $_carve, state file $_st" ;;
	esac
}

demo_daemon_start "$DEMO_DIR/sla.ini"
check "restackd creates /dev/mapper/$VOL" wait_for_dev /dev/mapper/$VOL 100
[ -b /dev/mapper/$VOL ] || { diag_file "$DEMO_DIR/daemon.log"; bail_out "no volume"; }
demo_zipf_start zipf /dev/mapper/$VOL 224M
demo_write_start writes /dev/mapper/$VOL 224M 32M 40

# --- kill 1: mid-attach
check "the daemon starts profiling" demo_wait_event "\"to\":\"profiling\"" 60
check "suspend the fast device" dmsetup suspend fast
check "the daemon reaches preparing or attaching" \
	demo_wait_event "\"to\":\"(preparing|attaching)\"" 60
# let it run into the fast device and block there
sleep 3
killed_in=$(demo_state $VOL)
like "$killed_in" '^(preparing|attaching)$' "killed while $killed_in"
attach_before=$(demo_events $VOL attach)
is "$attach_before" 0 "no attach event before the kill"
kill -KILL "$DEMO_DAEMON_PID"
check "resume the fast device" dmsetup resume fast
wait "$DEMO_DAEMON_PID" 2>/dev/null
DEMO_DAEMON_PID=""
diag "after kill 1: kernel $(vol_mode $VOL) $(vol_policy $VOL); carve $(dmsetup info restack-$VOL-fast >/dev/null 2>&1 && echo present || echo absent)"

demo_mark mark "restart 1"
adopts=$(demo_events $VOL adopt)
demo_daemon_start "$DEMO_DIR/sla.ini"
check "restarted daemon adopts $VOL" demo_wait_count $VOL adopt $((adopts + 1)) 20
sleep 1
is "$(demo_events $VOL adopt)" "$((adopts + 1))" "one adopt event per restart"
c=$(consistent $VOL)
like "$c" '^(attached|detached)$' "after adoption: not half-attached ($c)"
check "then attached (reusing the stack or after a new decision)" demo_wait_state $VOL attached 120
is "$(consistent $VOL)" attached "kernel, carve and state file agree: attached"
# An adopted attached volume has no attach event of its own and starts
# "met" (no sla_met transition): judge by the state file's window count.
check "SLA met: 3 windows in a row" demo_wait_met $VOL 3 90

# --- kill 2: attached
attach_n=$(demo_events $VOL attach)
check "kill -9 while attached" demo_daemon_kill9
is "$(vol_mode $VOL) $(vol_policy $VOL)" "attached cache" "the cache stays attached without the daemon"
demo_mark mark "restart 2"
adopts=$(demo_events $VOL adopt)
demo_daemon_start "$DEMO_DIR/sla.ini"
check "restarted daemon adopts $VOL" demo_wait_count $VOL adopt $((adopts + 1)) 20
sleep 1
last_adopt=$(grep -E "\"volume\":\"$VOL\".*\"event\":\"adopt\"" "$DEMO_EVENTS" | tail -n1)
like "$last_adopt" '"state":"attached"' "adopted as attached"
sleep 6
is "$(demo_events $VOL attach)" "$attach_n" "no new attach: the running stack was adopted"
is "$(consistent $VOL)" attached "kernel, carve and state file agree: attached"

check "fio zipf reads: every block verified, no error" demo_fio_stop zipf
check "fio writes: every block verified, no error" demo_fio_stop writes
check "restackd exits 0 on SIGTERM" demo_daemon_stop
check "full verify of the volume" demo_verify_full /dev/mapper/$VOL 256M
diag "timeline (s since the first daemon started):"
demo_timeline $VOL | sed 's/^/# /'
check_dmesg_clean "no kernel warnings" start
done_testing
