# shellcheck shell=sh
# tests/vm/lib-trace.sh - helpers for the tracing guest tests (3x-trace-*.sh).
# Source after lib.sh:   . /tests/vm/lib.sh; . /tests/vm/lib-trace.sh

# brd_create SIZE_MB: one RAM disk, /dev/ram0, that stores data (unlike
# null_blk without memory_backed). Registers its removal.
brd_create() {
	modprobe brd rd_nr=1 rd_size=$(($1 * 1024)) || bail_out "modprobe brd failed"
	wait_for_dev /dev/ram0 || bail_out "/dev/ram0 did not appear"
	at_exit rmmod brd
}

# trace_start TAG VOL ARGS...: `restack trace VOL ARGS...` in the background,
# stdout to $T_TMP/trace-TAG.out, stderr (the summary) to $T_TMP/trace-TAG.err.
# Waits until the session's debugfs directory exists. Sets TRACE_PID.
trace_start() {
	local _tag=$1 _vol=$2 _mm _i=0
	shift 2
	restack trace "$_vol" "$@" >"$T_TMP/trace-$_tag.out" 2>"$T_TMP/trace-$_tag.err" &
	TRACE_PID=$!
	_mm=$(dev_majmin "$(vol_path "$_vol")" | tr : _)
	while [ ! -d "/sys/kernel/debug/restack/$_mm" ]; do
		_i=$((_i + 1))
		if [ "$_i" -gt 100 ] || ! kill -0 "$TRACE_PID" 2>/dev/null; then
			diag "restack trace $_vol did not start:"
			diag_file "$T_TMP/trace-$_tag.err"
			return 1
		fi
		sleep 0.1
	done
}

# trace_stop TAG [PID]: SIGINT the collector and wait; returns its exit status.
trace_stop() {
	local _pid=${2:-$TRACE_PID} _rc
	kill -INT "$_pid"
	wait "$_pid"
	_rc=$?
	if [ "$_rc" != 0 ]; then
		diag "restack trace ($1) exited $_rc:"
		diag_file "$T_TMP/trace-$1.err"
	fi
	return "$_rc"
}

# vol_path NAME|PATH
vol_path() {
	case $1 in
	/*) echo "$1" ;;
	*) echo "/dev/mapper/$1" ;;
	esac
}

# trace_summary TAG KEY: a number from the collector's summary, KEY one of
# io (I/O records), comm, drops, outwin, sampled.
trace_summary() {
	case $2 in
	io) sed -n 's/^  records:  \([0-9]*\) I\/O.*/\1/p' "$T_TMP/trace-$1.err" ;;
	comm) sed -n 's/^  records:  [0-9]* I\/O + \([0-9]*\) process.*/\1/p' "$T_TMP/trace-$1.err" ;;
	drops) sed -n 's/.* written, \([0-9]*\) dropped.*/\1/p' "$T_TMP/trace-$1.err" ;;
	outwin) sed -n 's/^  order: .*, \([0-9]*\) records out of.*/\1/p' "$T_TMP/trace-$1.err" ;;
	sampled) sed -n 's/.*), \([0-9]*\) bios sampled out.*/\1/p' "$T_TMP/trace-$1.err" ;;
	esac
}

# trace_csv FILE OUT: `restack dump --csv FILE` into OUT; fails if dump fails.
trace_csv() {
	restack dump --csv "$1" >"$2" 2>"$T_TMP/dump.err" || {
		diag "restack dump --csv $1 failed:"
		diag_file "$T_TMP/dump.err"
		return 1
	}
}

# END record totals of a trace: "<records> <drops>" (from the text dump).
trace_end_totals() {
	restack dump "$1" | sed -n 's/^# end: \([0-9]*\) I\/O records, \([0-9]*\) dropped.*/\1 \2/p'
}

# cgroup_enable_io: the io controller for children of the root cgroup, so
# that bios carry their issuer's blkcg (cgroup id = the directory's inode).
cgroup_enable_io() {
	grep -qw io /sys/fs/cgroup/cgroup.controllers || bail_out "no io controller in cgroup2"
	echo +io >/sys/fs/cgroup/cgroup.subtree_control || bail_out "cannot enable the io controller"
}

# cgroup_create NAME: prints its id (inode number).
cgroup_create() {
	mkdir -p "/sys/fs/cgroup/$1" || return 1
	at_exit rmdir "/sys/fs/cgroup/$1"
	stat -c %i "/sys/fs/cgroup/$1"
}
