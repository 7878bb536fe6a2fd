#!/bin/sh
# 60-daemon-smoke: restack daemon closes the loop once.  Origin: dm-delay
# 3 ms over memory-backed null_blk; fast: brd.  The SLA (read p50 1.5 ms)
# is one the origin cannot meet.  Under a zipf read load the daemon must
# profile, decide, carve and attach a cache (state "attached", the volume's
# status shows the cache); killed with SIGKILL and restarted it must
# re-adopt the attached volume; SIGTERM must end it with exit 0 and leave
# the volume attached.
# disks: none
# timeout: 420
. /tests/vm/lib.sh
. /tests/vm/lib-trace.sh

plan 19
load_modules dm-mod dm-restack dm-delay
nullb_create origin 256
OS=$(dev_sectors /dev/origin)
check "slow origin (dm-delay 3 ms)" dm_create slow "0 $OS delay /dev/origin 0 3"
brd_create 64

D=$T_TMP/restackd
mkdir -p "$D"
cat >"$D/sla.ini" <<EOF
[daemon]
window_s = 2
violation_windows = 3
clear_windows = 2
profile_s = 5
warmup_s = 10
retry_s = 20

[volume vol0]
origin = /dev/mapper/slow
fast_device = /dev/ram0
max_cache_bytes = 48M
read_p50_us = 1500
block_sizes = 4K
promote_hits = 0
seq_cutoffs = 0
EOF

# wait_state STATE SECONDS: until the state file says STATE
wait_state() {
	_i=0
	while ! grep -q "\"state\":\"$1\"" "$D/vol0.json" 2>/dev/null; do
		kill -0 "$DAEMON_PID" 2>/dev/null || { diag "the daemon died"; return 1; }
		_i=$((_i + 1))
		[ "$_i" -gt "$(($2 * 2))" ] && return 1
		sleep 0.5
	done
}

daemon_start() {
	restack daemon --config "$D/sla.ini" --state-dir "$D" --log-level debug \
		>>"$D/stderr" 2>&1 &
	DAEMON_PID=$!
}
at_exit sh -c "kill \$(cat $D/restackd.pid 2>/dev/null) 2>/dev/null; true"

# the invalid config is refused, naming the line, and touches nothing
printf '[daemon]\nwindow_s = 0\n' >"$D/bad.ini"
cat "$D/sla.ini" >>"$D/bad.ini"
restack daemon --config "$D/bad.ini" --state-dir "$D/bad" 2>"$D/bad.err"
is "$?" 2 "an invalid config exits 2"
like "$(cat "$D/bad.err")" "line 2: window_s" "and names the line"

daemon_start
_i=0
while [ ! -b /dev/mapper/vol0 ] && [ "$_i" -lt 100 ]; do _i=$((_i + 1)); sleep 0.1; done
is "$(vol_mode vol0)" detached "the daemon created vol0 detached"
T0=$(date +%s)
fio_bg zipf --filename=/dev/mapper/vol0 --rw=randread --bs=4k --iodepth=8 \
	--random_distribution=zipf:1.2 --size=128M --time_based --runtime=400
check "profiling starts" wait_state profiling 60
check "reaches attached" wait_state attached 120
diag "violation to attached: $(($(date +%s) - T0)) s after fio started"
is "$(vol_policy vol0)" cache "the volume has the cache attached"
like "$(restack status vol0 --state-dir "$D")" "state: +attached" "restack status shows the daemon's state"
like "$(restack status vol0 --json --state-dir "$D")" '"daemon":\{"volume":"vol0","state":"attached"' \
	"restack status --json embeds the state file"
like "$(grep '"event":"decide"' "$D/events.jsonl" | tail -1)" '"stack":"cache /dev/mapper/restack-vol0-fast' \
	"the decide event names the stack"
check "the MRC CSV exists" test -s "$D/vol0.mrc.csv"

# SIGKILL and restart: re-adopted as attached
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
adopts=$(grep -c '"event":"adopt"' "$D/events.jsonl")
daemon_start
_i=0
while [ "$(grep -c '"event":"adopt"' "$D/events.jsonl")" -le "$adopts" ] && [ "$_i" -lt 60 ]; do
	_i=$((_i + 1)); sleep 0.5
done
like "$(grep '"event":"adopt"' "$D/events.jsonl" | tail -1)" '"state":"attached","stack":"cache ' \
	"after kill -9 the restarted daemon adopts vol0 attached"
is "$(vol_policy vol0)" cache "the cache stayed attached"
# the cache meets the SLA: a met window while attached (within 40 s)
_i=0
while ! grep -q '"event":"window","state":"attached".*"sla_met":true' "$D/events.jsonl" &&
	[ "$_i" -lt 80 ]; do
	_i=$((_i + 1)); sleep 0.5
done
like "$(grep '"event":"window","state":"attached".*"sla_met":true' "$D/events.jsonl" | head -1)" \
	'"sla_met":true' "attached, a window meets the SLA"
diag "first violation to first met window: $(awk -F'"ts":' '/sla_violation/ && !v { split($2, a, ","); v = a[1] }
	/"state":"attached".*"sla_met":true/ && !m { split($2, a, ","); m = a[1] }
	END { printf "%.1f s", m - v }' "$D/events.jsonl")"
like "$(grep '"event":"window"' "$D/events.jsonl" | tail -1)" '"state":"attached"' \
	"the new daemon measures windows"

kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
is "$?" 0 "SIGTERM: exit 0"
is "$(vol_policy vol0)" cache "the volume stays attached after SIGTERM"
check "no pid file left" test ! -e "$D/restackd.pid"
kill "$FIO_PID" 2>/dev/null
wait "$FIO_PID" 2>/dev/null
diag_file "$D/stderr" 60
cp "$D/events.jsonl" "$RESTACK_SHARE/60-events.jsonl" 2>/dev/null
check "detach for cleanup" msg vol0 detach
dmsetup remove restack-vol0-fast 2>/dev/null
dmsetup remove vol0 2>/dev/null
done_testing
