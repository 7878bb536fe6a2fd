# shellcheck shell=sh
# tests/vm/lib.sh - helpers for restack guest tests (busybox ash, POSIX sh).
#
# Source it first:   . /tests/vm/lib.sh
# Test header lines read by the host harness (scripts/guest-run.sh):
#   # disks: origin=256M fast=64M,iops=200     (virtio disks, in order; "none" for none)
#   # timeout: 300                              (seconds; default 600)
#
# TAP: plan N | ok DESC | not_ok DESC | is GOT EXPECTED DESC | like GOT ERE DESC
#      check DESC CMD... (ok when CMD succeeds) | check_fails DESC CMD... (ok when it fails)
#      diag TEXT | bail_out REASON | done_testing
# There is deliberately no "skip": a missing prerequisite is a failure
# (bail_out), never a way to hide one.

export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# No udev in the guest: let libdevmapper make /dev/mapper nodes itself.
export DM_DISABLE_UDEV=1
# The guest's busybox ash runs its own applets in preference to $PATH: call
# the util-linux versions (copied into the image) by full path.
BLKDISCARD=/usr/sbin/blkdiscard
SWAPON=/usr/sbin/swapon
SWAPOFF=/usr/sbin/swapoff
MKSWAP=/usr/sbin/mkswap
LOSETUP=/usr/sbin/losetup
MKFS_EXT4=/usr/sbin/mkfs.ext4
# kmod's tools (busybox's modprobe is /sbin/modprobe, used by the kernel)
KMOD_MODPROBE=/usr/lib/kmod/bin/modprobe
KMOD_RMMOD=/usr/lib/kmod/bin/rmmod

T_N=0
T_FAIL=0
T_PLANNED=""
T_CLEANUP=""
T_TMP=${TMPDIR:-/tmp}

# ------------------------------------------------------------------ TAP
plan() {
	T_PLANNED=$1
	echo "1..$1"
}

diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

# Print a file (or the tail of it) as diagnostics.
diag_file() {
	[ -r "$1" ] || return 0
	tail -n "${2:-20}" "$1" | sed 's/^/#   /'
}

ok() {
	T_N=$((T_N + 1))
	echo "ok $T_N - $*"
}

not_ok() {
	T_N=$((T_N + 1))
	T_FAIL=$((T_FAIL + 1))
	echo "not ok $T_N - $*"
}

# is GOT EXPECTED DESC
is() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3"
		diag "  got:      '$1'" "  expected: '$2'"
	fi
}

# like GOT EXTENDED-REGEX DESC
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok "$3"
	else
		not_ok "$3"
		diag "  got:      '$1'" "  expected to match: /$2/"
	fi
}

# check DESC CMD [ARGS...]: ok if CMD exits 0; its output becomes diagnostics on failure.
check() {
	local desc=$1 rc
	shift
	if "$@" >"$T_TMP/check.out" 2>&1; then
		ok "$desc"
	else
		rc=$?
		not_ok "$desc"
		diag "  command failed (exit $rc): $*"
		diag_file "$T_TMP/check.out"
	fi
}

# check_fails DESC CMD [ARGS...]: ok if CMD exits non-zero.
check_fails() {
	local desc=$1
	shift
	if "$@" >"$T_TMP/check.out" 2>&1; then
		not_ok "$desc"
		diag "  command unexpectedly succeeded: $*"
		diag_file "$T_TMP/check.out"
	else
		ok "$desc"
	fi
}

# at_exit CMD...: run CMD at done_testing/bail_out, last registered first
# (so volumes go before the devices beneath them).
at_exit() {
	T_CLEANUP="$*
$T_CLEANUP"
}

_t_run_cleanup() {
	if [ -n "$T_CLEANUP" ]; then
		_c=$T_CLEANUP
		T_CLEANUP=""
		printf '%s\n' "$_c" | while read -r _line; do
			[ -n "$_line" ] && eval "$_line" >/dev/null 2>&1
		done
	fi
}

bail_out() {
	echo "Bail out! $*"
	_t_run_cleanup
	exit 1
}

# End of test: prints the plan if none was given, runs cleanups, exits
# non-zero if anything failed or the plan does not match.
done_testing() {
	_t_run_cleanup
	if [ -z "$T_PLANNED" ]; then
		echo "1..$T_N"
	elif [ "$T_PLANNED" != "$T_N" ]; then
		diag "planned $T_PLANNED tests but ran $T_N"
		exit 1
	fi
	[ "$T_FAIL" = 0 ] || diag "$T_FAIL of $T_N checks failed"
	[ "$T_FAIL" = 0 ]
	exit $?
}

# ------------------------------------------------------------------ modules
# load_modules MOD... : modprobe each, bail out if one fails.
load_modules() {
	for _m in "$@"; do
		modprobe "$_m" >"$T_TMP/modprobe.out" 2>&1 ||
			bail_out "modprobe $_m failed: $(cat "$T_TMP/modprobe.out")"
	done
}

module_loaded() {
	_m=$(echo "$1" | tr - _)
	[ -d "/sys/module/$_m" ]
}

# ------------------------------------------------------------------ devices
# disk NAME: prints the virtio disk declared as NAME in the "# disks:" header.
# Use as: O=$(disk origin) || bail_out "no disk"
disk() {
	for _s in /sys/block/vd*/serial; do
		[ -r "$_s" ] || continue
		if [ "$(cat "$_s")" = "$1" ]; then
			_b=${_s%/serial}
			echo "/dev/${_b##*/}"
			return 0
		fi
	done
	echo "no virtio disk named '$1' (declare it in the test's '# disks:' header)" >&2
	return 1
}

dev_sectors() {
	blockdev --getsz "$1"
}

# wait_for_dev PATH [TENTHS]: wait until a block device node exists.
wait_for_dev() {
	_i=0
	while [ ! -b "$1" ]; do
		_i=$((_i + 1))
		[ "$_i" -gt "${2:-50}" ] && return 1
		sleep 0.1
	done
}

# nullb_create NAME SIZE_MB [attr=value...]: a memory-backed null_blk device
# made through configfs (so data reads back: fio verify works). Prints /dev/NAME.
# Useful attrs: cache_size=<MiB> (volatile write cache: flush + FUA),
# discard=1, blocksize=4096, irqmode=0, completion_nsec=N.
# Call it directly (not in $(...)): it registers its own cleanup and bails
# out on failure. The device is /dev/NAME.
nullb_create() {
	local _n=$1 _sz=$2 _d _kv
	shift 2
	if ! module_loaded null_blk; then
		modprobe null_blk nr_devices=0 || bail_out "modprobe null_blk failed"
	fi
	[ -d /sys/kernel/config/nullb ] || bail_out "null_blk configfs (/sys/kernel/config/nullb) missing"
	_d=/sys/kernel/config/nullb/$_n
	mkdir "$_d" || bail_out "cannot create null_blk $_n"
	echo "$_sz" >"$_d/size"
	echo 1 >"$_d/memory_backed"
	for _kv in "$@"; do
		echo "${_kv#*=}" >"$_d/${_kv%%=*}" || bail_out "null_blk $_n: cannot set $_kv"
	done
	echo 1 >"$_d/power" || bail_out "null_blk $_n: cannot power on"
	wait_for_dev "/dev/$_n" || bail_out "/dev/$_n did not appear"
	at_exit nullb_remove "$_n"
}

nullb_remove() {
	_d=/sys/kernel/config/nullb/$1
	[ -d "$_d" ] || return 0
	echo 0 >"$_d/power" 2>/dev/null
	rmdir "$_d"
}

# ------------------------------------------------------------------ device-mapper
# dm_create NAME TABLE: create a DM device and its /dev/mapper node.
dm_create() {
	dmsetup create "$1" --table "$2" || return 1
	at_exit dm_remove "$1"
	dmsetup mknodes "$1" >/dev/null 2>&1
	wait_for_dev "/dev/mapper/$1"
}

dm_remove() {
	_i=0
	while dmsetup info "$1" >/dev/null 2>&1; do
		dmsetup remove "$1" >/dev/null 2>&1 && break
		_i=$((_i + 1))
		[ "$_i" -gt 20 ] && { dmsetup remove "$1"; return 1; }
		sleep 0.2
	done
	return 0
}

# linear_create NAME DEV
linear_create() {
	dm_create "$1" "0 $(dev_sectors "$2") linear $2 0"
}

# vol_create NAME ORIGIN [policy NAME #ARGS ARGS...]: a restack volume over all of ORIGIN.
vol_create() {
	local _v=$1 _o=$2
	shift 2
	dm_create "$_v" "0 $(dev_sectors "$_o") restack $_o${*:+ $*}"
}

# msg VOL ARGS...: dmsetup message VOL 0 ARGS...
msg() {
	local _v=$1
	shift
	dmsetup message "$_v" 0 "$@"
}

# Status info of a restack volume: "<mode> <policy> key=value ..." (after
# "<start> <len> restack").
vol_status() {
	dmsetup status "$1" | cut -d' ' -f4-
}

vol_mode() {
	dmsetup status "$1" | awk '{ print $4 }'
}

vol_policy() {
	dmsetup status "$1" | awk '{ print $5 }'
}

# vol_stat VOL KEY: value of KEY=value in the status line (empty if absent).
vol_stat() {
	dmsetup status "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1
}

# The table parameters of a volume (after "<start> <len> restack").
vol_table() {
	dmsetup table "$1" | cut -d' ' -f4-
}

# major:minor of a block device node
dev_majmin() {
	_st=$(stat -L -c '%t %T' "$1") || return 1
	set -- $_st
	echo "$((0x$1)):$((0x$2))"
}

# ------------------------------------------------------------------ fio
# fio_run TAG ARGS...: run fio (libaio, O_DIRECT) in the foreground; the log is
# $T_TMP/fio-TAG.log. Returns fio's exit status; prints the log tail as
# diagnostics on failure.
fio_run() {
	local _tag=$1 _rc
	shift
	fio --name="$_tag" --ioengine=libaio --direct=1 --group_reporting \
		"$@" >"$T_TMP/fio-$_tag.log" 2>&1
	_rc=$?
	if [ "$_rc" != 0 ] || fio_log_has_errors "$T_TMP/fio-$_tag.log"; then
		diag "fio $_tag failed (exit $_rc): fio $*"
		diag_file "$T_TMP/fio-$_tag.log" 25
		[ "$_rc" != 0 ] || _rc=1
	fi
	return "$_rc"
}

# fio prints "err= 0" per job; verify failures show as "verify:" / "bad magic".
fio_log_has_errors() {
	grep -Eq 'err= *[1-9]|verify: bad|bad magic|crc32c: wanted|fio: (io_u )?error' "$1"
}

# fio_bg TAG ARGS...: start fio_run in the background; sets FIO_PID.
fio_bg() {
	fio_run "$@" &
	FIO_PID=$!
}

# fio_wait PID: wait for a background fio_run; returns its status.
fio_wait() {
	wait "$1"
}

# fio_loop_start TAG ARGS...: run the given fio job over and over in the
# background until fio_loop_stop; failures are counted. Sets FIO_LOOP_PID.
fio_loop_start() {
	local _tag=$1
	shift
	rm -f "$T_TMP/fio-loop-$_tag.stop" "$T_TMP/fio-loop-$_tag.done"
	echo 0 >"$T_TMP/fio-loop-$_tag.runs"
	echo 0 >"$T_TMP/fio-loop-$_tag.fails"
	(
		runs=0 fails=0
		while [ ! -e "$T_TMP/fio-loop-$_tag.stop" ]; do
			if ! fio_run "$_tag" "$@" >"$T_TMP/fio-loop-$_tag.diag" 2>&1; then
				fails=$((fails + 1))
				cat "$T_TMP/fio-loop-$_tag.diag" >>"$T_TMP/fio-loop-$_tag.faillog"
			fi
			runs=$((runs + 1))
			echo "$runs" >"$T_TMP/fio-loop-$_tag.runs"
			echo "$fails" >"$T_TMP/fio-loop-$_tag.fails"
		done
		# The last fio has exited: nothing of this loop writes any more.
		touch "$T_TMP/fio-loop-$_tag.done"
	) &
	FIO_LOOP_PID=$!
}

# fio_loop_stop TAG PID: stop after the current run; prints "runs fails".
# fio_loop_stop TAG PID: stop the loop and wait until its last fio has
# exited.  Callers use it as $(fio_loop_stop ...), a subshell in which
# `wait` cannot wait for the loop (not its child) and returned at once,
# so a final fio could overlap the loop's last run: hence the .done file.
fio_loop_stop() {
	touch "$T_TMP/fio-loop-$1.stop"
	_n=0
	while [ ! -e "$T_TMP/fio-loop-$1.done" ]; do
		_n=$((_n + 1))
		[ "$_n" -gt 6000 ] && { echo "fio loop $1 did not stop in 600 s" >&2; break; }
		sleep 0.1
	done
	wait "$2" 2>/dev/null
	echo "$(cat "$T_TMP/fio-loop-$1.runs") $(cat "$T_TMP/fio-loop-$1.fails")"
}

fio_loop_faillog() {
	diag_file "$T_TMP/fio-loop-$1.faillog" 40
}

# ------------------------------------------------------------------ dmesg
# Kernel problems a test must never cause.
DMESG_BAD='WARNING:|BUG:|Oops|Call Trace|general protection|kernel BUG|UBSAN|hung task|hung_task|blocked for more than [0-9]+ seconds|list_add corruption|list_del corruption|refcount_t:|unreferenced object|KASAN'

# dmesg_mark NAME: put a marker line in the kernel log.
dmesg_mark() {
	echo "restack-test: mark $1" >/dev/kmsg
}

# dmesg_since NAME: kernel log lines after the marker NAME.
dmesg_since() {
	dmesg | sed -n "/restack-test: mark $1\$/,\$p" | sed 1d
}

# check_dmesg_clean DESC [MARK]: ok if no WARN/BUG/Oops/... in the kernel log
# (since MARK, or since boot).
check_dmesg_clean() {
	if [ -n "${2:-}" ]; then
		dmesg_since "$2" >"$T_TMP/dmesg.chk"
	else
		dmesg >"$T_TMP/dmesg.chk"
	fi
	if grep -Eq "$DMESG_BAD" "$T_TMP/dmesg.chk"; then
		not_ok "$1"
		grep -E -A12 "$DMESG_BAD" "$T_TMP/dmesg.chk" | head -n 40 | sed 's/^/#   /'
	else
		ok "$1"
	fi
}
