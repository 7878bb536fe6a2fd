#!/bin/sh
# shellcheck disable=SC3043 # busybox ash has 'local'
# bench-cache-hits.sh - read hits of the restack cache, dm-cache and bcache
# against the raw fast device, when the fast device is a virtio disk (a host
# file, as the slow disk is), run INSIDE the QEMU (TCG) guest.
# disks: slow=1G f_raw=16M f_raw2=16M f_lin=16M f_rswt=16M f_rswb=16M f_dmc=15872K f_dmcmeta=512K f_bcwt=16M
# timeout: 1200
#
# Usage:  bench-cache-hits.sh [OUTDIR]
#   OUTDIR  where results go; default $RESTACK_SHARE/cache-hits (the 9p
#           share) when run by scripts/guest-run.sh, else ./cache-hits.
# From the host: BENCH_PARTS_RUN=cache-hits scripts/bench.sh, or
#   scripts/guest-run.sh -o build/bench/cache-hits bench/bench-cache-hits.sh
#   cat build/bench/cache-hits/cache-hits/summary.txt
#
# Why this exists.  The issue's target is "read hits >= 0.9x the raw fast
# device's IOPS", with the fast device "another virtio disk or brd".
# bench-cache.sh uses brd, which under TCG is pure CPU: there every
# device-mapper layer is a large share of an I/O (one dm-linear alone runs
# at 0.75-0.80x of brd).  Here every fast device is a virtio disk, which
# has a device latency (QEMU's emulation and a host pread), as an SSD has.
#
# Devices (every virtio disk: cache=unsafe, aio=threads, found by serial):
#   slow       one virtio disk; every cached stack's origin is a dm-delay
#              (DELAY_MS on reads, writes and flushes) of its own ORIGIN_MB
#              slice of it.  The first HITS_MB of every slice are written
#              with random data before anything else.
#   f_*        one whole virtio disk per stack, so that every stack has its
#              own identical fast device and no dm-linear slice under it:
#     raw      f_raw alone: the baseline (altio's first device);
#     raw2     f_raw2 alone: the A/A control (two identical virtio disks;
#              its ratio shows how far two equal devices differ here);
#     linear   a dm-linear over all of f_lin: what one device-mapper layer
#              costs over the same kind of disk;
#     rs-wt rs-wb  a restack volume over its origin, then "attach cache
#              /dev/<f_rswt|f_rswb> mode=wt|wb" (all other arguments at
#              their defaults: block_size=4096, s3fifo, promote_hits=0,
#              seq_cutoff=0); its metadata lives on the 16 MiB disk;
#     dmc-wt   dm-cache, smq, 32 KiB blocks, writethrough, defaults; data on
#              f_dmc (16 MiB - 512 KiB) and metadata on f_dmcmeta (512 KiB),
#              so that dm-cache's data path has no dm-linear under it and
#              its fast space is 16 MiB in total like everyone else's;
#     bc-wt    bcache (make-bcache, block 4 KiB, bucket 16 KiB: 1024
#              buckets, the fewest it accepts), writethrough, registered
#              through sysfs and attached by set uuid;
#              congested_{read,write}_threshold_us=0 (otherwise bcache
#              bypasses its cache when the cache device is slow, which
#              TCG can make it), sequential_cutoff at its default.
#   raw, raw2 and linear have HITS_MB of random data written first, so
#   that they too read data the host holds, not holes in a sparse file.
#
# Method.  Warm-up: WARM_PASSES passes of 4 KiB random reads (fio, QD16),
# each reading every block of the first HITS_MB of every cache once; then
# check passes until one pass over the span hits >= 99% by the stack's own
# counters, at QD1 (at most EXTRA_WARM more; bcache fills more slowly than
# restack and dm-cache, see check()).  Measurement: bench/altio, uniform
# 4 KiB random reads over the first HITS_MB of every device, mirrored
# alternation, HITS_ROUNDS rounds, reopening every 10, one run per queue
# depth in HITS_QDS (default "16 1"; 2,000 I/Os per visit at QD >= 8, 500
# below), the baseline first.  Each
# stack's own read counters are read before and after each run (bcache's
# after 15 s of idleness: it folds its counters into stats_total only
# every 13.6 s), so that the hit ratio during the measurement is known.
#
# Output (OUTDIR): env.txt (devices, tables, tunings, dmesg at the end);
# summary.txt (altio's tables and the hit ratios: what the run says);
# qd<N>.txt / qd<N>.json (altio); status/<when>-<stack>.txt (counters);
# warm-<stack>-<pass>.txt (fio).
#
# Knobs (the guest's environment; guest-run.sh does not pass the host's,
# so change the defaults below or run the script by hand in a guest):
# DELAY_MS (5), HITS_MB (8, at most 16 - the caches' metadata), HITS_QDS
# ("16 1"), HITS_ROUNDS (60), HITS_MAX_SECONDS (per altio run, 200),
# WARM_PASSES (4), EXTRA_WARM (4).  A whole run took 4.5-5.5 minutes.
set -u

export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DM_DISABLE_UDEV=1

DELAY_MS=${DELAY_MS:-5}
HITS_MB=${HITS_MB:-8}
HITS_QDS=${HITS_QDS:-"16 1"}
ROUNDS=${HITS_ROUNDS:-60}
MAX_SECONDS=${HITS_MAX_SECONDS:-200}
WARM_PASSES=${WARM_PASSES:-4}
EXTRA_WARM=${EXTRA_WARM:-4}
ORIGIN_MB=256
DMC_BLOCK=64          # sectors: 32 KiB, dm-cache's smallest
BCACHE_IDLE=15        # > bcache's accounting interval (HZ*300/22 = 13.6 s)
# raw first: it is the baseline of every ratio
STACKS="raw raw2 linear rs-wt rs-wb dmc-wt bc-wt"
CACHED="rs-wt rs-wb dmc-wt bc-wt"
MB=2048               # sectors per MiB

say() { echo "bench-cache-hits: $(date +%H:%M:%S) $*"; }
die() {
	echo "bench-cache-hits: error: $*" >&2
	exit 1
}

OUT=${1:-}
if [ -z "$OUT" ]; then
	if [ -n "${RESTACK_SHARE:-}" ]; then OUT=$RESTACK_SHARE/cache-hits; else OUT=./cache-hits; fi
fi
mkdir -p "$OUT/status" || die "cannot create $OUT"
here=$(cd "$(dirname "$0")" 2>/dev/null && pwd)
lib=""
for l in "$here/lib-bcache.sh" /opt/restack/bench/lib-bcache.sh; do
	[ -z "$lib" ] && [ -r "$l" ] && lib=$l
done
[ -n "$lib" ] || die "lib-bcache.sh not found (next to this script or in /opt/restack/bench)"
# shellcheck source=bench/lib-bcache.sh
. "$lib"
ALTIO=${ALTIO:-}
for a in "$here/altio" /opt/restack/bench/altio; do
	[ -z "$ALTIO" ] && [ -x "$a" ] && ALTIO=$a
done
[ -n "$ALTIO" ] || die "altio not found (make -C bench)"

# ---------------------------------------------------------------- devices
DM_CREATED=""
BCSYS="" BCSET=""
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	[ -n "$BCSYS" ] && echo 1 >"$BCSYS/stop" 2>/dev/null
	[ -n "$BCSET" ] && echo 1 >"/sys/fs/bcache/$BCSET/stop" 2>/dev/null
	sleep 1
	for d in $DM_CREATED; do
		dmsetup remove "$d" >/dev/null 2>&1 || dmsetup remove --retry "$d" >/dev/null 2>&1
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

dm_make() { # name table
	local i=0
	dmsetup create "$1" --table "$2" || die "dmsetup create $1 --table '$2' failed"
	DM_CREATED="$1 $DM_CREATED"
	dmsetup mknodes "$1" >/dev/null 2>&1
	while [ ! -b "/dev/mapper/$1" ]; do
		i=$((i + 1))
		[ "$i" -gt 50 ] && die "/dev/mapper/$1 did not appear"
		sleep 0.1
	done
}

disk() { # serial: the /dev node of the virtio disk with that serial
	local d
	for d in /sys/block/vd*; do
		[ "$(cat "$d/serial" 2>/dev/null)" = "$1" ] && { echo "/dev/${d##*/}"; return 0; }
	done
	die "no virtio disk with serial '$1' (see this script's '# disks:' header)"
}

var() { echo "$1" | tr -- '-' '_'; }
dmname() { echo "ch_$(var "$1")"; }
stackdev() { eval "echo \$DEV_$(var "$1")"; }

slice_no=0
origin_slice() { # label: sets o, the stack's dm-delay origin
	local n
	n="ch_o_$(var "$1")"
	dm_make "$n" "0 $((ORIGIN_MB * MB)) delay $SLOW $((slice_no * ORIGIN_MB * MB)) $DELAY_MS"
	o=/dev/mapper/$n
	slice_no=$((slice_no + 1))
}

# HITS_MB of random data, made once in the guest's RAM (reads of
# /dev/urandom may come back short, which O_DIRECT writes do not accept)
DATA=/tmp/bench-cache-hits.data
fill() { # dev [seek in MiB]: DATA at the start of dev (or at that offset)
	dd if="$DATA" of="$1" bs=64k seek=$((${2:-0} * 16)) oflag=direct conv=notrunc 2>/dev/null ||
		die "cannot write $HITS_MB MiB to $1 at ${2:-0} MiB"
}

make_stack() { # label: create it; sets DEV_<label>
	local lab="$1" name f m b dev i
	name=$(dmname "$lab")
	case $lab in
	raw | raw2)
		dev=$(disk "f_$lab")
		fill "$dev"
		;;
	linear)
		f=$(disk f_lin)
		fill "$f"
		dm_make "$name" "0 $(blockdev --getsz "$f") linear $f 0"
		dev=/dev/mapper/$name
		;;
	rs-wt | rs-wb)
		origin_slice "$lab"
		f=$(disk "f_rs${lab#rs-}")
		dm_make "$name" "0 $((ORIGIN_MB * MB)) restack $o"
		dmsetup message "$name" 0 attach cache "$f" "mode=${lab#rs-}" ||
			die "attach cache $f mode=${lab#rs-} to $name failed"
		dev=/dev/mapper/$name
		;;
	dmc-wt)
		origin_slice "$lab"
		f=$(disk f_dmc)
		m=$(disk f_dmcmeta)
		dd if=/dev/zero of="$m" bs=4k count=$(($(blockdev --getsz "$m") / 8)) oflag=direct 2>/dev/null ||
			die "cannot zero the dm-cache metadata disk $m"
		dm_make "$name" "0 $((ORIGIN_MB * MB)) cache $m $f $o $DMC_BLOCK 1 writethrough smq 0"
		dev=/dev/mapper/$name
		;;
	bc-wt)
		# udev-less registration (PLATFORM.md), as in bench-cache.sh
		origin_slice "$lab"
		f=$(disk f_bcwt)
		bcache_make "$f" "$o" 16k writethrough "$OUT/make-bcache"
		BCSYS=$BCACHE_SYS BCSET=$BCACHE_SET
		dev=$BCACHE_DEV
		;;
	*) die "unknown stack $lab" ;;
	esac
	eval "DEV_$(var "$lab")=$dev"
}

# counters LABEL: "<read hits> <read misses>" from the stack's own counters
# (bcache: hits and misses including its bypassed ones), "- -" for none
counters() {
	case $1 in
	rs-*)
		dmsetup status "$(dmname "$1")" | tr ' ' '\n' |
			awk -F= '$1 == "read_hits" {h = $2} $1 == "read_misses" {m = $2}
				END {print h + 0, m + 0}'
		;;
	dmc-*) # <md bs> <md used/total> <bs> <used/total> <read hits> <read misses> ...
		dmsetup status "$(dmname "$1")" | awk '{print $8, $9}'
		;;
	bc-*)
		echo "$(($(cat "$BCSYS/stats_total/cache_hits") + $(cat "$BCSYS/stats_total/cache_bypass_hits")))" \
			"$(($(cat "$BCSYS/stats_total/cache_misses") + $(cat "$BCSYS/stats_total/cache_bypass_misses")))"
		;;
	*) echo "- -" ;;
	esac
}

is_bcache() { case $1 in bc-*) return 0 ;; esac; return 1; }

# settle: wait until bcache has been idle for BCACHE_IDLE (since BC_LAST)
BC_LAST=0
settle() {
	local w
	w=$((BC_LAST + BCACHE_IDLE - $(date +%s)))
	if [ "$w" -gt 0 ]; then
		say "waiting ${w}s for bcache's counters"
		sleep "$w"
	fi
}

# snap WHEN: every stack's full status line and counters, as status/WHEN-<stack>.txt
snap() {
	local s
	settle
	for s in $CACHED; do
		{
			echo "counters: $(counters "$s")"
			case $s in
			bc-*)
				for k in state cache_mode dirty_data stats_total/cache_hits stats_total/cache_misses \
					stats_total/cache_bypass_hits stats_total/cache_bypass_misses \
					stats_total/cache_miss_collisions; do
					echo "$k: $(cat "$BCSYS/$k")"
				done
				;;
			*) dmsetup status "$(dmname "$s")" ;;
			esac
		} >"$OUT/status/$1-$s.txt"
	done
}

snap_counters() { sed -n 's/^counters: //p' "$OUT/status/$1-$2.txt"; }

# hit_line A B LABEL: "hits=.. misses=.. ratio=..%" between snapshots A and B
hit_line() {
	local a b
	a=$(snap_counters "$1" "$3")
	b=$(snap_counters "$2" "$3")
	echo "$a $b" | awk '{h = $3 - $1; m = $4 - $2; n = h + m
		printf "hits=%d misses=%d ratio=%s", h, m, n ? sprintf("%.2f%%", 100 * h / n) : "-"}'
}

# fast_line A B LABEL: restack's fast-device bios and mean latency between
# snapshots A and B
fast_line() {
	cat "$OUT/status/$1-$3.txt" "$OUT/status/$2-$3.txt" | tr ' ' '\n' |
		awk -F= '$1 == "fast_ios" {i[n1++] = $2} $1 == "fast_lat_us" {l[n2++] = $2}
			END {d = i[1] - i[0]; printf "bios=%d mean_us=%s", d,
				(d > 0 ? sprintf("%.1f", (l[1] - l[0]) / d) : "-")}'
}

# ---------------------------------------------------------------- setup
for m in dm-mod dm-delay dm-cache dm-cache-smq bcache dm-restack dm-restack-cache; do
	modprobe "$m" || die "modprobe $m failed"
done
SLOW=$(disk slow)
[ "$(blockdev --getsz "$SLOW")" -ge $((4 * ORIGIN_MB * MB)) ] || die "$SLOW is smaller than 4 x $ORIGIN_MB MiB"
# the origins' data: HITS_MB of random data at the start of every slice
# (written before dm-delay, so at the disk's speed)
dd if=/dev/urandom of="$DATA" bs=4k count=$((HITS_MB * 256)) 2>/dev/null || die "cannot write $DATA"
i=0
while [ "$i" -lt 4 ]; do
	fill "$SLOW" $((i * ORIGIN_MB))
	i=$((i + 1))
done
for s in $STACKS; do
	make_stack "$s"
	say "stack $s: $(stackdev "$s")"
done

{
	echo "date: $(date -u '+%Y-%m-%dT%H:%M:%SZ')"
	echo "uname: $(uname -a)"
	echo "cpus: $(grep -c '^processor' /proc/cpuinfo)"
	echo "fio: $(fio --version)"
	echo "delay_ms=$DELAY_MS hits_mb=$HITS_MB qds=$HITS_QDS rounds=$ROUNDS max_seconds=$MAX_SECONDS"
	echo "warm_passes=$WARM_PASSES extra_warm=$EXTRA_WARM origin_mb=$ORIGIN_MB"
	for s in $STACKS; do echo "stack $s $(stackdev "$s")"; done
	echo "virtio disks:"
	for d in /sys/block/vd*; do
		echo "  ${d##*/} serial=$(cat "$d/serial") sectors=$(cat "$d/size")" \
			"scheduler=$(cat "$d/queue/scheduler") nr_requests=$(cat "$d/queue/nr_requests")"
	done
	echo "dmsetup table:"
	dmsetup table | sort | sed 's/^/  /'
	echo "bcache $BCSYS cset $BCSET:"
	for k in state cache_mode sequential_cutoff readahead; do
		echo "  $k: $(cat "$BCSYS/$k" 2>/dev/null)"
	done
	for k in congested_read_threshold_us congested_write_threshold_us bucket_size block_size; do
		echo "  $k: $(cat "/sys/fs/bcache/$BCSET/$k")"
	done
	echo "  nbuckets: $(cat /sys/fs/bcache/"$BCSET"/cache0/nbuckets)"
	echo "dmsetup status:"
	dmsetup status | sort | sed 's/^/  /'
} >"$OUT/env.txt" 2>&1

# ---------------------------------------------------------------- warm-up
T0=$(date +%s)
# one pass reads every 4 KiB block of the span once (fio's random map), in
# an order that changes with the pass number
warm_pass() { # label pass [qd]
	fio --name=warm --filename="$(stackdev "$1")" --ioengine=libaio --direct=1 --bs=4k \
		--iodepth="${3:-16}" --rw=randread --size="${HITS_MB}M" \
		--randrepeat=0 --randseed="$2" --output="$OUT/warm-$1-$2.txt" >/dev/null 2>&1 ||
		die "warm-up pass $2 of $1 failed: $(tail -n 5 "$OUT/warm-$1-$2.txt")"
}
# check LABEL: one more pass, at QD1, until it hits >= 99% by the stack's
# own counters (at most EXTRA_WARM more passes); bcache's counters need it
# idle for BCACHE_IDLE before and after each pass.  QD1: at QD16 bcache
# cached only part of each pass's misses (seen in development: 33% hits
# over the four warm-up passes, then 61%, 70%, 76%, 83%, 87% in five more
# QD16 passes, then 63% and 99% in two QD1 passes; the mechanism was not
# investigated)
check() {
	local s="$1" e=0 a b pct
	while :; do
		is_bcache "$s" && settle
		a=$(counters "$s")
		warm_pass "$s" $((100 + e)) 1
		is_bcache "$s" && BC_LAST=$(date +%s) && settle
		b=$(counters "$s")
		pct=$(echo "$a $b" | awk '{h = $3 - $1; n = h + $4 - $2; print n ? int(10000 * h / n) : 0}')
		say "warm-up: $s check pass $e: $((pct / 100)).$((pct % 100 / 10))% hits ($a -> $b)"
		[ "$pct" -ge 9900 ] && return 0
		e=$((e + 1))
		[ "$e" -gt "$EXTRA_WARM" ] && { say "warm-up: $s still below 99% hits"; return 1; }
	done
}
# bcache first, so that its counters have settled when the others are done
for s in bc-wt rs-wt rs-wb dmc-wt; do
	say "warm-up: $WARM_PASSES passes over $HITS_MB MiB on $s"
	p=1
	while [ "$p" -le "$WARM_PASSES" ]; do
		warm_pass "$s" "$p"
		p=$((p + 1))
	done
	if is_bcache "$s"; then BC_LAST=$(date +%s); else check "$s"; fi
done
check bc-wt
say "warm-up done in $(($(date +%s) - T0))s"

# ---------------------------------------------------------------- measure
ncpu=$(grep -c '^processor' /proc/cpuinfo)
devs=""
for s in $STACKS; do devs="$devs $s=$(stackdev "$s")"; done
snap start
prev=start
failed=0
: >"$OUT/summary.txt"
for qd in $HITS_QDS; do
	if [ "$qd" -ge 8 ]; then k=2000; else k=500; fi
	say "altio: QD$qd, $ROUNDS rounds of $k I/Os per visit (at most ${MAX_SECONDS}s)"
	# shellcheck disable=SC2086 # devs: one word per device
	"$ALTIO" --rw randread --bs 4k --qd "$qd" --segment-ios "$k" --rounds "$ROUNDS" \
		--warmup-rounds 1 --span $((HITS_MB * 1048576)) --order mirror --reopen-every 10 \
		--cpu $((ncpu - 1)) --max-seconds "$MAX_SECONDS" --json-out "$OUT/qd$qd.json" \
		$devs >"$OUT/qd$qd.txt" 2>"$OUT/qd$qd.err" || {
		say "altio QD$qd failed: $(cat "$OUT/qd$qd.err")"
		failed=1
	}
	BC_LAST=$(date +%s)
	snap "qd$qd"
	{
		echo "== QD$qd (altio; ratio = per-round IOPS ratio to raw, the whole virtio disk)"
		cat "$OUT/qd$qd.txt"
		[ -s "$OUT/qd$qd.err" ] && sed 's/^/altio: /' "$OUT/qd$qd.err"
		echo "read hits during this run, by each stack's own counters:"
		for s in $CACHED; do
			printf '  %-8s %s\n' "$s" "$(hit_line "$prev" "qd$qd" "$s")"
		done
		# Every stack got the same reads, so restack's count is the number
		# of reads.  bcache's stats_total loses 65536 for every accounting
		# interval (13.6 s) with more than 65535 hits: its move_stat()
		# shifts the interval's count, an unsigned int, left by 16 bits
		# (drivers/md/bcache/stats.c, 6.1).  Its miss count cannot reach
		# that, so reads minus misses is its hit count then.
		n_rs=$(hit_line "$prev" "qd$qd" rs-wt | awk -F'[= ]' '{print $2 + $4}')
		n_bc=$(hit_line "$prev" "qd$qd" bc-wt | awk -F'[= ]' '{print $2 + $4}')
		if [ "$n_bc" -lt "$n_rs" ]; then
			echo "  (bcache counted $n_bc of the $n_rs reads every stack got: its stats_total" \
				"wraps at 65536 hits per 13.6 s; its misses are complete)"
		fi
		echo "restack's fast device during this run (its fast_ios, fast_lat_us):"
		for s in rs-wt rs-wb; do
			printf '  %-8s %s\n' "$s" "$(fast_line "$prev" "qd$qd" "$s")"
		done
		echo
	} >>"$OUT/summary.txt"
	prev=qd$qd
done
{
	echo "end: $(date -u '+%Y-%m-%dT%H:%M:%SZ') after $(($(date +%s) - T0))s"
	echo "dmsetup status:"
	dmsetup status | sort | sed 's/^/  /'
	echo "dmesg (cache, bcache, restack):"
	dmesg | grep -iE 'bcache|cache|restack' | tail -n 40 | sed 's/^/  /'
} >>"$OUT/env.txt" 2>&1
cat "$OUT/summary.txt"
say "all done in $(($(date +%s) - T0))s"
exit "$failed"
