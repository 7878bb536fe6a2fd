# shellcheck shell=sh disable=SC2034 # BCACHE_* are for the caller
# lib-bcache.sh - bcache set-up shared by the cache benchmarks
# (bench-cache.sh, bench-cache-hits.sh); sourced, runs in the guest.
#
# bcache_make CACHE BACKING BUCKET MODE LOG
#   Formats CACHE as a bcache cache device (4 KiB blocks, BUCKET bucket
#   size, e.g. 16k) and BACKING as a backing device, registers both
#   through sysfs (there is no udev in the guest: PLATFORM.md), attaches
#   the backing device to the cache set by its set uuid when registering
#   did not, sets MODE (writethrough or writeback) and the benchmarks'
#   tuning: congested_read_threshold_us=0 and congested_write_threshold_us=0
#   (bcache otherwise bypasses a cache device slower than 2 ms / 20 ms,
#   which TCG's latencies can be), and makes the /dev node.
#   make-bcache's output goes to LOG-C.txt and LOG-B.txt.
#   Sets BCACHE_DEV (/dev/bcacheN), BCACHE_SYS (/sys/block/bcacheN/bcache)
#   and BCACHE_SET (the cache set uuid).  Calls the caller's die() on any
#   failure.
bcache_make() {
	_c=$1 _b=$2 _bucket=$3 _mode=$4 _log=$5
	make-bcache --block 4k --bucket "$_bucket" -C "$_c" >"$_log-C.txt" 2>&1 ||
		die "make-bcache -C $_c: $(cat "$_log-C.txt")"
	make-bcache --block 4k -B "$_b" >"$_log-B.txt" 2>&1 ||
		die "make-bcache -B $_b: $(cat "$_log-B.txt")"
	BCACHE_SET=$(awk '/^Set UUID:/ {print $3}' "$_log-C.txt")
	[ -n "$BCACHE_SET" ] || die "no cache set uuid from make-bcache -C $_c"
	_before=$(ls -d /sys/block/bcache* 2>/dev/null)
	echo "$_c" >/sys/fs/bcache/register || die "bcache: cannot register $_c"
	echo "$_b" >/sys/fs/bcache/register || die "bcache: cannot register $_b"
	_bdev=""
	_i=0
	while [ -z "$_bdev" ]; do
		for _d in /sys/block/bcache*; do
			[ -e "$_d" ] || continue
			echo "$_before" | grep -qx "$_d" || _bdev=${_d##*/}
		done
		_i=$((_i + 1))
		[ "$_i" -gt 50 ] && die "bcache: no new bcache device after registering $_b"
		[ -z "$_bdev" ] && sleep 0.1
	done
	BCACHE_SYS=/sys/block/$_bdev/bcache
	if [ "$(cat "$BCACHE_SYS/state")" = "no cache" ]; then
		echo "$BCACHE_SET" >"$BCACHE_SYS/attach" ||
			die "bcache: cannot attach $_bdev to $BCACHE_SET"
	fi
	echo "$_mode" >"$BCACHE_SYS/cache_mode" || die "bcache: cannot set $_mode on $_bdev"
	echo 0 >"/sys/fs/bcache/$BCACHE_SET/congested_read_threshold_us"
	echo 0 >"/sys/fs/bcache/$BCACHE_SET/congested_write_threshold_us"
	_st=$(cat "$BCACHE_SYS/state")
	[ "$_st" = clean ] || [ "$_st" = dirty ] || die "bcache $_bdev: state '$_st' after attach"
	[ -b "/dev/$_bdev" ] || mknod "/dev/$_bdev" b \
		"$(cut -d: -f1 "/sys/block/$_bdev/dev")" "$(cut -d: -f2 "/sys/block/$_bdev/dev")"
	BCACHE_DEV=/dev/$_bdev
}
