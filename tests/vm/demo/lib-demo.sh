# shellcheck shell=sh
# tests/vm/demo/lib-demo.sh - the restackd demo scenario's pieces, shared by
# tests/vm/demo/demo.sh (make demo) and tests/vm/61-*.sh .. 64-*.sh.
# Source after /tests/vm/lib.sh.  busybox ash.
#
# Devices:
#   demo_origin NAME MB DELAY_MS [FILL_MB]
#       null_blk NAME-mem (memory-backed, so data reads back), the first
#       FILL_MB written with fio's crc32c verify pattern at full speed, then
#       dm-delay NAME over it (DELAY_MS on reads and writes): /dev/mapper/NAME
#   demo_fast MB
#       brd /dev/ram0 of MB under dm-flakey "fast" (always up): /dev/mapper/fast
#   demo_fast_fail / demo_fast_heal
#       live table switch of "fast" to flakey always-down (every read fails
#       with EIO; dm-flakey without features lets writes through) and back.
# Daemon:
#   demo_daemon_start CONFIG / demo_daemon_stop / demo_daemon_kill9
#   demo_state VOL           the volume's "state" from its state file
#   demo_wait_event EXPR SECONDS     wait for an event-log line matching EXPR (ERE)
#   demo_wait_state VOL STATE SECONDS
#   demo_mark EVENT [WHAT]   append {"ts","event","what"} to $DEMO_MARKS
# fio (libaio, O_DIRECT, crc32c verify on every read):
#   demo_zipf_start TAG DEV SIZE [extra fio args]   background zipf:1.2 reads
#   demo_fio_stop TAG        SIGINT it; ok if it exits 0/128 with no error
#   demo_verify_full DEV SIZE  a sequential verify of the whole filled region

DEMO_DIR=${DEMO_DIR:-/tmp/demo}
DEMO_STATE=$DEMO_DIR/state
DEMO_EVENTS=$DEMO_STATE/events.jsonl
DEMO_MARKS=$DEMO_DIR/marks.jsonl
DEMO_AWK=/tests/vm/demo/timeline.awk
RESTACK=${RESTACK:-/usr/local/bin/restack}
mkdir -p "$DEMO_DIR" "$DEMO_STATE"
: >"$DEMO_MARKS"

# Unix time with microseconds (busybox date has no %N).
demo_now() {
	adjtimex | awk '/tv_sec/ { s = $2 } /tv_usec/ { u = $2 } END { printf("%d.%06d\n", s, u) }'
}

demo_mark() {
	printf '{"ts":%s,"event":"%s","what":"%s"%s}\n' "$(demo_now)" "$1" "${2:-}" "${3:+,$3}" >>"$DEMO_MARKS"
}

# demo_mark_carve VOL: a mark with the size of VOL's carve (cache plus its
# metadata), from the state file, for the MRC plot.
demo_mark_carve() {
	_sec=$(sed -n 's/.*"carve" *: *{[^}]*"sectors" *: *\([0-9]*\).*/\1/p' "$DEMO_STATE/$1.json")
	[ -n "$_sec" ] && demo_mark mark "$1: carve of $((_sec / 2048)) MiB (cache + metadata)" \
		"\"carve_bytes\":$((_sec * 512))"
}

# The verify pattern every job uses: 4 KiB blocks, crc32c in a header per
# block with the block's offset, so any 4 KiB read anywhere verifies.
DEMO_VERIFY="--bs=4k --verify=crc32c --verify_interval=4096"

demo_origin() {
	_name=$1 _mb=$2 _delay=$3 _fill=${4:-$2}
	nullb_create "$_name-mem" "$_mb" blocksize=4096
	# 256 KiB writes, a verify header every 4 KiB: fast, and any 4 KiB read verifies
	fio_run "fill-$_name" --filename="/dev/$_name-mem" --rw=write --bs=256k \
		--verify=crc32c --verify_interval=4096 --size="${_fill}M" --iodepth=8 --do_verify=0 ||
		bail_out "filling /dev/$_name-mem failed"
	_s=$(dev_sectors "/dev/$_name-mem")
	dm_create "$_name" "0 $_s delay /dev/$_name-mem 0 $_delay" ||
		bail_out "dm-delay $_name failed"
}

DEMO_FAST_SECTORS=""
demo_fast() {
	modprobe brd rd_nr=1 rd_size=$(($1 * 1024)) max_part=0 ||
		bail_out "modprobe brd failed"
	at_exit rmmod brd
	wait_for_dev /dev/ram0 || bail_out "/dev/ram0 did not appear"
	DEMO_FAST_SECTORS=$(dev_sectors /dev/ram0)
	# up for a day, down never: a plain pass-through until demo_fast_fail
	dm_create fast "0 $DEMO_FAST_SECTORS flakey /dev/ram0 0 86400 0" ||
		bail_out "dm-flakey over /dev/ram0 failed"
}

_demo_fast_table() {
	dmsetup suspend fast && dmsetup reload fast --table "$1" && dmsetup resume fast
}

demo_fast_fail() {
	_demo_fast_table "0 $DEMO_FAST_SECTORS flakey /dev/ram0 0 0 86400" || return 1
	demo_mark inject_fault "dm-flakey under the fast device switched to always down: reads fail with EIO"
}

demo_fast_heal() {
	_demo_fast_table "0 $DEMO_FAST_SECTORS flakey /dev/ram0 0 86400 0" || return 1
	demo_mark mark "fast device healed"
}

# ------------------------------------------------------------------ daemon
DEMO_DAEMON_PID=""
demo_daemon_start() {
	"$RESTACK" daemon --config "$1" --state-dir "$DEMO_STATE" --events "$DEMO_EVENTS" \
		--log-level "${DEMO_LOG_LEVEL:-info}" >>"$DEMO_DIR/daemon.log" 2>&1 &
	DEMO_DAEMON_PID=$!
	at_exit demo_daemon_stop
}

# SIGTERM; waits up to 30 s. Returns the daemon's exit status (1 if it
# had to be killed).
demo_daemon_stop() {
	[ -n "$DEMO_DAEMON_PID" ] || return 0
	kill -TERM "$DEMO_DAEMON_PID" 2>/dev/null
	_i=0
	while kill -0 "$DEMO_DAEMON_PID" 2>/dev/null; do
		_i=$((_i + 1))
		if [ "$_i" -gt 300 ]; then
			kill -KILL "$DEMO_DAEMON_PID"
			wait "$DEMO_DAEMON_PID" 2>/dev/null
			DEMO_DAEMON_PID=""
			return 1
		fi
		sleep 0.1
	done
	wait "$DEMO_DAEMON_PID"
	_rc=$?
	DEMO_DAEMON_PID=""
	return "$_rc"
}

demo_daemon_kill9() {
	[ -n "$DEMO_DAEMON_PID" ] || return 1
	kill -KILL "$DEMO_DAEMON_PID"
	wait "$DEMO_DAEMON_PID" 2>/dev/null
	DEMO_DAEMON_PID=""
}

demo_daemon_alive() {
	[ -n "$DEMO_DAEMON_PID" ] && kill -0 "$DEMO_DAEMON_PID" 2>/dev/null
}

# demo_json_get FILE KEY: the first "KEY": value in a one-line JSON file
# (state files list the measured figures before the predicted ones).
demo_json_get() {
	[ -r "$1" ] || return 0
	awk -v k="$2" '{
		if (!match($0, "\"" k "\"[ \t]*:[ \t]*")) next
		r = substr($0, RSTART + RLENGTH)
		sub(/^"/, "", r)
		match(r, /^[^",}]*/)
		print substr(r, 1, RLENGTH)
		exit
	}' "$1"
}

demo_state() {
	demo_json_get "$DEMO_STATE/$1.json" state
}

# demo_wait_event ERE SECONDS: wait until a line of the event log matches.
demo_wait_event() {
	_end=$(($(date +%s) + $2))
	while [ "$(date +%s)" -le "$_end" ]; do
		grep -Eq -- "$1" "$DEMO_EVENTS" 2>/dev/null && return 0
		demo_daemon_alive || { echo "restackd exited while waiting for /$1/" >&2; return 1; }
		sleep 0.2
	done
	echo "no event matching /$1/ within $2 s" >&2
	return 1
}

# demo_wait_state VOL STATE SECONDS
demo_wait_state() {
	_end=$(($(date +%s) + $3))
	while [ "$(date +%s)" -le "$_end" ]; do
		[ "$(demo_state "$1")" = "$2" ] && return 0
		demo_daemon_alive || { echo "restackd exited while waiting for $1 to be $2" >&2; return 1; }
		sleep 0.2
	done
	echo "$1 not $2 within $3 s (state: $(demo_state "$1"))" >&2
	return 1
}

# demo_events VOL EVENT: number of EVENT events of VOL in the log.
demo_events() {
	grep -E "\"volume\" *: *\"$1\"" "$DEMO_EVENTS" 2>/dev/null |
		grep -cE "\"event\" *: *\"$2\""
}

# demo_wait_count VOL EVENT N SECONDS: wait until VOL has N EVENT events.
demo_wait_count() {
	_end=$(($(date +%s) + $4))
	while [ "$(date +%s)" -le "$_end" ]; do
		[ "$(demo_events "$1" "$2")" -ge "$3" ] && return 0
		demo_daemon_alive || { echo "restackd exited while waiting for $2 of $1" >&2; return 1; }
		sleep 0.2
	done
	echo "$1: $(demo_events "$1" "$2") $2 events, not $3, after $4 s" >&2
	return 1
}

# demo_summary VOL KEY: one value of timeline.awk's summary.
demo_summary() {
	awk -f "$DEMO_AWK" -v mode=summary -v vol="$1" "$DEMO_EVENTS" "$DEMO_MARKS" 2>/dev/null |
		sed -n "s/^$2=//p"
}

# demo_wait_summary VOL KEY SECONDS: wait until the summary's KEY happened.
demo_wait_summary() {
	_end=$(($(date +%s) + $3))
	while [ "$(date +%s)" -le "$_end" ]; do
		[ "$(demo_summary "$1" "$2")" != none ] && return 0
		demo_daemon_alive || { echo "restackd exited while waiting for $2 of $1" >&2; return 1; }
		sleep 0.5
	done
	echo "no $2 for $1 within $3 s" >&2
	return 1
}

# demo_wait_met VOL N SECONDS: wait until the state file says the SLA is
# met with at least N met windows in a row.
demo_wait_met() {
	_end=$(($(date +%s) + $3))
	while [ "$(date +%s)" -le "$_end" ]; do
		_f=$DEMO_STATE/$1.json
		if [ "$(demo_json_get "$_f" met)" = true ] &&
		   [ "$(demo_json_get "$_f" met_windows)" -ge "$2" ] 2>/dev/null; then
			return 0
		fi
		demo_daemon_alive || { echo "restackd exited while waiting for $1 to meet its SLA" >&2; return 1; }
		sleep 0.5
	done
	echo "$1: SLA not met for $2 windows within $3 s: $(grep -o '"sla":{[^}]*}' "$DEMO_STATE/$1.json")" >&2
	return 1
}

demo_timeline() {
	awk -f "$DEMO_AWK" -v mode=text -v vol="$1" "$DEMO_EVENTS" "$DEMO_MARKS"
}

# demo_collect: copy what the host-side plots need into the results share.
demo_collect() {
	[ -d "${RESTACK_SHARE:-}" ] || return 0
	cp "$DEMO_EVENTS" "$RESTACK_SHARE/events.jsonl" 2>/dev/null
	cp "$DEMO_MARKS" "$RESTACK_SHARE/marks.jsonl" 2>/dev/null
	cp "$DEMO_DIR/daemon.log" "$RESTACK_SHARE/daemon.log" 2>/dev/null
	[ -r "$DEMO_DIR/sla.ini" ] && cp "$DEMO_DIR/sla.ini" "$RESTACK_SHARE/sla.ini"
	mkdir -p "$RESTACK_SHARE/mrc" "$RESTACK_SHARE/state"
	for _f in "$DEMO_STATE"/*.mrc.csv "$DEMO_DIR"/mrc-*.csv; do
		[ -r "$_f" ] && cp "$_f" "$RESTACK_SHARE/mrc/"
	done
	for _f in "$DEMO_STATE"/*.json; do
		[ -r "$_f" ] && cp "$_f" "$RESTACK_SHARE/state/"
	done
	: >"$RESTACK_SHARE/fio-iops.log"
	for _f in "$DEMO_DIR"/fio-*_iops.*.log; do
		[ -r "$_f" ] && cat "$_f" >>"$RESTACK_SHARE/fio-iops.log"
	done
	[ -r "$DEMO_DIR/fio-start" ] && cp "$DEMO_DIR/fio-start" "$RESTACK_SHARE/fio-start"
	sync
}

# demo_keep_mrc VOL: call once VOL is attached: keeps the MRC behind the
# decision that attached it (the daemon rewrites <vol>.mrc.csv at every
# decision) as mrc-VOL-attached.csv, and marks the carve's size.
demo_keep_mrc() {
	[ -r "$DEMO_STATE/$1.mrc.csv" ] && cp "$DEMO_STATE/$1.mrc.csv" "$DEMO_DIR/mrc-$1-attached.csv"
	demo_mark_carve "$1"
}

# ------------------------------------------------------------------ fio
# demo_zipf_start TAG DEV SIZE [fio args...]: zipf:1.2 random 4 KiB reads,
# 16 at a time, over the first SIZE of DEV, every read verified against the
# fill pattern, until demo_fio_stop.  Per-second IOPS logs in $DEMO_DIR.
# Why 16 psync jobs and not libaio at iodepth 16: fio (3.33) ends a
# time_based read-only job with verify after one pass of SIZE when the
# engine is asynchronous (libaio, io_uring), so the workload would stop;
# the sync engine keeps looping.  norandommap: with the random map, every
# block is read once per pass and the zipf skew is lost.  clock_gettime:
# fio's default TSC clock runs ~4% fast in the TCG guest, and its IOPS log
# is plotted against the daemon's event times.
demo_zipf_start() {
	_tag=$1 _dev=$2 _size=$3
	shift 3
	demo_now >"$DEMO_DIR/fio-start"
	fio --name="$_tag" --filename="$_dev" --ioengine=psync --direct=1 \
		--rw=randread --random_distribution=zipf:1.2 --norandommap $DEMO_VERIFY \
		--clocksource=clock_gettime \
		--numjobs=16 --group_reporting --size="$_size" --time_based --runtime=3600 \
		--write_iops_log="$DEMO_DIR/fio-$_tag" --log_avg_msec=1000 \
		"$@" >"$DEMO_DIR/fio-$_tag.log" 2>&1 &
	echo $! >"$DEMO_DIR/fio-$_tag.pid"
}

# demo_write_start TAG DEV OFFSET SIZE RATE: random 4 KiB writes at RATE
# IOPS over [OFFSET, OFFSET+SIZE), each block read back and verified soon
# after it is written (verify_backlog), until demo_fio_stop.
demo_write_start() {
	fio --name="$1" --filename="$2" --ioengine=libaio --direct=1 \
		--rw=randwrite --offset="$3" --size="$4" --rate_iops="$5" --iodepth=4 \
		--clocksource=clock_gettime \
		$DEMO_VERIFY --verify_backlog=64 --time_based --runtime=3600 \
		>"$DEMO_DIR/fio-$1.log" 2>&1 &
	echo $! >"$DEMO_DIR/fio-$1.pid"
}

# demo_fio_stop TAG: stop a background job (SIGINT: fio finishes in-flight
# I/O and writes its logs; it then exits 128, or 0 if it had ended).
# Fails if fio reported any error (verify included) or exited otherwise.
demo_fio_stop() {
	_pid=$(cat "$DEMO_DIR/fio-$1.pid" 2>/dev/null) || return 1
	kill -INT "$_pid" 2>/dev/null
	wait "$_pid"
	_rc=$?
	if [ "$_rc" != 0 ] && [ "$_rc" != 128 ] && [ "$_rc" != 130 ]; then
		echo "fio $1 exited with status $_rc" >&2
		tail -n 25 "$DEMO_DIR/fio-$1.log" >&2
		return 1
	fi
	if fio_log_has_errors "$DEMO_DIR/fio-$1.log"; then
		echo "fio $1 reported errors:" >&2
		grep -E 'err=|verify|bad magic|crc32c|error' "$DEMO_DIR/fio-$1.log" | head -n 20 >&2
		return 1
	fi
	return 0
}

# demo_fio_alive TAG
demo_fio_alive() {
	_pid=$(cat "$DEMO_DIR/fio-$1.pid" 2>/dev/null) && kill -0 "$_pid" 2>/dev/null
}

# demo_fio_iops TAG: the job's overall read+write IOPS from its log.
demo_fio_summary() {
	grep -E '^ *(read|write): IOPS' "$DEMO_DIR/fio-$1.log" | sed 's/^ *//'
}

# demo_verify_full DEV SIZE: read SIZE from the start of DEV sequentially
# (256 KiB reads), every 4 KiB block verified against its header.
demo_verify_full() {
	fio_run "verify-full" --filename="$1" --rw=read --bs=256k --verify=crc32c \
		--verify_interval=4096 --size="$2" --iodepth=8
}

# demo_daemon_section: the [daemon] section every demo config shares: the
# documented defaults (window 2 s, 3 windows to act, 3 to clear, 10 s
# profile, 20 s warm-up), overridable through DEMO_* variables.
# The demo's SLA file at $DEMO_DIR/sla.ini: volume $VOL over slow0, a
# 64 MiB wt cache carved from /dev/mapper/fast, 1300 IOPS (the origin alone
# gives about 1000; Documentation/daemon.rst, Demo, says why these
# values).  Extra volume keys, one per line, may follow as arguments.
demo_sla_file() {
	{
		demo_daemon_section
		cat <<EOF

[volume $VOL]
origin = /dev/mapper/slow0
fast_device = /dev/mapper/fast
max_cache_bytes = 64M
cache_sizes = 64M
min_iops = 1300
modes = wt
EOF
		for kv in "$@"; do
			echo "$kv"
		done
	} >"$DEMO_DIR/sla.ini"
}

demo_daemon_section() {
	cat <<EOF
[daemon]
window_s = ${DEMO_WINDOW_S:-2}
violation_windows = 3
clear_windows = 3
profile_s = ${DEMO_PROFILE_S:-10}
fast_error_limit = 1
retry_s = ${DEMO_RETRY_S:-30}
warmup_s = ${DEMO_WARMUP_S:-20}
EOF
}
