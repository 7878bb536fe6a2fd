#!/bin/sh
# shellcheck disable=SC2034,SC2086,SC3043 # STACKS_*, SHARE_*, DEV_* are read through eval;
# stack lists are split into words on purpose; busybox ash has 'local'
# bench-cache.sh - the restack cache policy against dm-cache (smq), bcache
# and dm-writecache, run INSIDE the QEMU (TCG) guest (issue 5, section 3).
# disks: slow=20G
# timeout: 1800
#
# Usage:  bench-cache.sh [OUTDIR]
#   OUTDIR  where results go; default $RESTACK_SHARE/cache (the 9p share)
#           when run by scripts/guest-run.sh, else ./cache-results.
# From the host: scripts/bench.sh with BENCH_PARTS_RUN=cache, or
#   scripts/guest-run.sh -o build/bench/cache bench/bench-cache.sh
#   python3 bench/cache-report.py build/bench/cache/cache
# The guest writes raw results only (fio JSON, status lines, altio JSON);
# bench/cache-report.py on the host turns them into the tables.
#
# Devices.  Every stack gets its own, equal slice of the same slow disk and
# of the same fast device, so that all stacks exist at once, their cache
# states are independent, and rounds can alternate between them in one boot:
#   slow disk  the virtio disk "slow" (/dev/vda, a sparse file on the host);
#              each stack's origin is a dm-delay device adding DELAY_MS to
#              reads, writes and flushes of its own ORIGIN_MB slice;
#   fast       one brd ram disk; each stack's fast device is a dm-linear
#              slice of FAST_MB of it.  dm-cache splits its slice into
#              metadata (DMC_META_KB) and data; the others keep their
#              metadata on the slice too, so every stack has the same fast
#              space in total.
# Stacks (labels used everywhere in the output):
#   origin     the dm-delay origin alone (no cache)
#   fast       a fast slice alone (the upper bound; dm-linear over brd)
#   rs-wt rs-wb rs-wa   restack volume + cache policy, mode=wt|wb|wa, all
#              other arguments at their defaults (block_size=4096,
#              replacement=s3fifo, promote_hits=0, seq_cutoff=0)
#   rs32-wt    the same in wt with block_size=32768 (dm-cache's smallest
#              block): separates the block-size effect from the policy
#   rs-wt-sc   the same in wt with seq_cutoff=4194304, bcache's default
#              sequential_cutoff: both then bypass long sequential runs
#   dmc-wt dmc-wb       dm-cache, smq, 32 KiB blocks, writethrough|writeback
#   bc-wt bc-wb         bcache (make-bcache), writethrough|writeback
#   wc         dm-writecache (ssd mode, 4 KiB blocks): write workloads only
# Tunings (the same for every run; also written to env.txt):
#   bcache: congested_read_threshold_us=0 and congested_write_threshold_us=0
#     (bcache otherwise bypasses the cache when the cache device's latency
#     exceeds 2 ms / 20 ms, which TCG's brd latencies can; that would
#     measure the emulator, not the cache); sequential_cutoff stays at its
#     default (4 MiB): it is bcache's own scan resistance; block 4 KiB and
#     bucket FAST_MB KiB (make-bcache), so that the cache has 1024 buckets,
#     the fewest bcache accepts ("nbuckets is too small" below that).
#   dm-cache: defaults (smq, migration_threshold 2048).
#   dm-writecache: defaults (high/low watermark 50/45%).
#   restack: defaults (above).
#
# Workloads (fio, 4 KiB, libaio, O_DIRECT; one visit = a fixed amount of
# I/O on one stack; a round visits every stack of the workload once, in an
# order rotated by one every round; every stack gets the same randseed in
# a round, so the same offset sequence, and a new seed every round):
#   zipf     randread, zipf:1.2 over ZIPF_MB, QD16
#   scan     the zipf job at QD8 while a 64 KiB sequential read (QD4) scans
#            SCAN_VISIT_MB of another SCAN_MB region (continuing round to
#            round); fio --exitall ends the zipf job when the scan ends
#   hits     read hits: altio (bench/altio, mirrored fine-grained
#            alternation) of uniform 4k random reads over HITS_MB, which
#            every cache holds after the warm-up, against the raw fast
#            slice and /dev/ram0
#   mix      randrw 70/30, zipf:1.2 over ZIPF_MB, QD16
#   randwrite uniform random writes over WRITE_SPAN_MB (half the cache:
#            the write working set fits every cache), QD16
# Each fio workload but scan first runs an unmeasured warm-up visit on
# every stack (the same I/O for all), then ROUNDS measured rounds; scan
# starts from the state zipf left.  The workloads run in this order, so
# later ones start from the caches' state after the earlier ones, which
# is the same for every stack of a kind.
#
# Output (OUTDIR): env.txt; visits.txt (one line per visit: workload round
# stack seed start end rc); <wl>/r<R>-<stack>.json (fio json+) and
# .status (the stack's status line after the visit); <wl>/start-<stack>.status
# (after the warm-up); <wl>/bcache-{start,end}-<stack>.txt (bcache
# stats_total, read when bcache had been idle for 15 s: bcache moves its
# counters into stats_total only every 13.6 s); hits.json (altio).
#
# Knobs (environment): CACHE_WORKLOADS (default "zipf scan hits mix
# randwrite"), CACHE_ROUNDS (5), CACHE_VISIT_IOS (8000), CACHE_WARM_IOS
# (24000), CACHE_BUDGET (seconds for all measuring, default 1320; a
# workload stops starting rounds when its share is used, but always runs
# at least 3), DELAY_MS (5), FAST_MB (16), ZIPF_MB (512).
set -u

export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DM_DISABLE_UDEV=1

DELAY_MS=${DELAY_MS:-5}
FAST_MB=${FAST_MB:-16}
DMC_META_KB=512
ZIPF_MB=${ZIPF_MB:-512}
SCAN_MB=1024
SCAN_VISIT_MB=64
HITS_MB=8
WRITE_SPAN_MB=$((FAST_MB / 2))
ORIGIN_MB=1600
ROUNDS=${CACHE_ROUNDS:-5}
MIN_ROUNDS=3
VISIT_IOS=${CACHE_VISIT_IOS:-8000}
WARM_IOS=${CACHE_WARM_IOS:-24000}
# per workload: I/Os per visit and per warm-up visit (scan: no warm-up;
# its visits are SCAN_VISIT_MB of scan).  Random writes on a write-through
# stack run at the origin's speed, hence fewer.
IOS_zipf=$VISIT_IOS WARM_zipf=$WARM_IOS
IOS_mix=$VISIT_IOS WARM_mix=$((WARM_IOS * 2 / 3))
IOS_randwrite=$((VISIT_IOS * 3 / 4)) WARM_randwrite=$VISIT_IOS
ORIGIN_DIV=4          # the origin alone has no state: a quarter of the I/Os
VISIT_CAP=60          # seconds; a visit that hits it is marked in visits.txt
BUDGET=${CACHE_BUDGET:-1320}
WORKLOADS=${CACHE_WORKLOADS:-"zipf scan hits mix randwrite"}
BCACHE_IDLE=15        # > bcache's accounting interval (HZ*300/22 = 13.6 s)

# Stacks taking part in each workload, and each workload's share of BUDGET
# (percent).  rs32-wt is a read-path comparison (zipf, scan, hits); wc
# caches writes only; origin and fast are the bounds.
STACKS_zipf="origin fast rs-wt rs-wb rs-wa rs32-wt rs-wt-sc dmc-wt dmc-wb bc-wt bc-wb"
STACKS_scan="rs-wt rs-wb rs-wa rs32-wt rs-wt-sc dmc-wt dmc-wb bc-wt bc-wb"
STACKS_hits="fast ram0 fast-linear rs-wt rs-wb rs-wa rs32-wt rs-wt-sc dmc-wt dmc-wb bc-wt bc-wb"
STACKS_mix="rs-wt rs-wb rs-wa dmc-wt dmc-wb bc-wt bc-wb wc"
STACKS_randwrite="origin fast rs-wt rs-wb rs-wa dmc-wt dmc-wb bc-wt bc-wb wc"
SHARE_zipf=22
SHARE_scan=22
SHARE_hits=12
SHARE_mix=22
SHARE_randwrite=22
# "fast" first: its slice is the first FAST_MB of /dev/ram0 (see ram0)
ALL_STACKS="fast origin rs-wt rs-wb rs-wa rs32-wt rs-wt-sc dmc-wt dmc-wb bc-wt bc-wb wc"

say() { echo "bench-cache: $(date +%H:%M:%S) $*"; }
die() {
	echo "bench-cache: error: $*" >&2
	exit 1
}

OUT=${1:-}
if [ -z "$OUT" ]; then
	if [ -n "${RESTACK_SHARE:-}" ]; then OUT=$RESTACK_SHARE/cache; else OUT=./cache-results; fi
fi
mkdir -p "$OUT" || die "cannot create $OUT"
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
MB=2048 # sectors per MiB
DM_CREATED=""
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	for b in /sys/block/bcache*/bcache/stop; do
		[ -e "$b" ] && echo 1 >"$b" 2>/dev/null
	done
	for c in /sys/fs/bcache/*-*/stop; do
		[ -e "$c" ] && echo 1 >"$c" 2>/dev/null
	done
	sleep 1
	for d in $DM_CREATED; do
		dmsetup remove "$d" >/dev/null 2>&1 || dmsetup remove --retry "$d" >/dev/null 2>&1
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

dm_make() { # name table
	dmsetup create "$1" --table "$2" || die "dmsetup create $1 --table '$2' failed"
	DM_CREATED="$1 $DM_CREATED"
	dmsetup mknodes "$1" >/dev/null 2>&1
	i=0
	while [ ! -b "/dev/mapper/$1" ]; do
		i=$((i + 1))
		[ "$i" -gt 50 ] && die "/dev/mapper/$1 did not appear"
		sleep 0.1
	done
}

dmname() { echo "cb_$(echo "$1" | tr -- '-' '_')"; }

# slices: stack number N gets origin slice N of the slow disk and fast slice
# N of the ram disk
slice_no=0
origin_slice() { # label: sets o=/dev/mapper/cb_o_<label>
	n="cb_o_$(echo "$1" | tr -- '-' '_')"
	dm_make "$n" "0 $((ORIGIN_MB * MB)) delay $SLOW $((slice_no * ORIGIN_MB * MB)) $DELAY_MS"
	o=/dev/mapper/$n
}
fast_slice() { # label: sets f=/dev/mapper/cb_f_<label>
	n="cb_f_$(echo "$1" | tr -- '-' '_')"
	dm_make "$n" "0 $((FAST_MB * MB)) linear $FAST $((slice_no * FAST_MB * MB))"
	f=/dev/mapper/$n
}

# make_stack LABEL: create it; sets DEV_<label> (the device fio uses)
make_stack() {
	lab=$1
	var=DEV_$(echo "$lab" | tr -- '-' '_')
	o="" f=""
	case $lab in
	ram0 | fast-linear) ;;
	fast) fast_slice "$lab" ;;
	origin) origin_slice "$lab" ;;
	*)
		origin_slice "$lab"
		fast_slice "$lab"
		;;
	esac
	[ -n "$o$f" ] && slice_no=$((slice_no + 1))
	sz=$((ORIGIN_MB * MB))
	name=$(dmname "$lab")
	case $lab in
	origin) dev=$o ;;
	fast) dev=$f ;;
	ram0) dev=$FAST ;; # raw brd; its first FAST_MB are the "fast" slice
	fast-linear)
		# a dm-linear over the "fast" slice: what one more DM layer costs
		dm_make "$name" "0 $((FAST_MB * MB)) linear $(stackdev fast) 0"
		dev=/dev/mapper/$name
		;;
	rs-wt | rs-wb | rs-wa)
		dm_make "$name" "0 $sz restack $o policy cache 2 $f mode=${lab#rs-}"
		dev=/dev/mapper/$name
		;;
	rs32-wt)
		dm_make "$name" "0 $sz restack $o policy cache 3 $f mode=wt block_size=32768"
		dev=/dev/mapper/$name
		;;
	rs-wt-sc)
		dm_make "$name" "0 $sz restack $o policy cache 3 $f mode=wt seq_cutoff=4194304"
		dev=/dev/mapper/$name
		;;
	dmc-wt | dmc-wb)
		dd if=/dev/zero of="$f" bs=4k count=$((DMC_META_KB / 4)) oflag=direct 2>/dev/null ||
			die "cannot zero the dm-cache metadata of $lab"
		dm_make "${name}_meta" "0 $((DMC_META_KB * 2)) linear $f 0"
		dm_make "${name}_data" "0 $((FAST_MB * MB - DMC_META_KB * 2)) linear $f $((DMC_META_KB * 2))"
		if [ "$lab" = dmc-wt ]; then m=writethrough; else m=writeback; fi
		dm_make "$name" "0 $sz cache /dev/mapper/${name}_meta /dev/mapper/${name}_data $o 64 1 $m smq 0"
		dev=/dev/mapper/$name
		;;
	bc-wt | bc-wb)
		if [ "$lab" = bc-wt ]; then m=writethrough; else m=writeback; fi
		bcache_make "$f" "$o" "${FAST_MB}k" "$m" "$OUT/make-bcache-$lab"
		eval "BCSYS_$(echo "$lab" | tr -- '-' '_')=$BCACHE_SYS"
		eval "BCSET_$(echo "$lab" | tr -- '-' '_')=$BCACHE_SET"
		dev=$BCACHE_DEV
		;;
	wc)
		dm_make "$name" "0 $sz writecache s $o $f 4096 0"
		dev=/dev/mapper/$name
		;;
	*) die "unknown stack $lab" ;;
	esac
	eval "$var=$dev"
}

stackdev() { eval "echo \$DEV_$(echo "$1" | tr -- '-' '_')"; }
is_bcache() { case $1 in bc-*) return 0 ;; esac; return 1; }
bcsys() { eval "echo \$BCSYS_$(echo "$1" | tr -- '-' '_')"; }

# status LABEL: one line of the stack's own counters
status() {
	local S k
	case $1 in
	origin | fast | ram0 | fast-linear) echo "-" ;;
	bc-*)
		S=$(bcsys "$1")
		echo "bcache state=$(cat "$S/state") dirty_data=$(cat "$S/dirty_data")" \
			"$(for k in cache_hits cache_misses cache_bypass_hits cache_bypass_misses cache_miss_collisions; do
				printf '%s=%s ' "$k" "$(cat "$S/stats_total/$k")"
			done)"
		;;
	*) dmsetup status "$(dmname "$1")" ;;
	esac
}

BC_LAST=0 # end (epoch s) of the last I/O to any bcache stack
bcache_settle() {
	local w
	w=$((BC_LAST + BCACHE_IDLE - $(date +%s)))
	if [ "$w" -gt 0 ]; then
		say "waiting ${w}s for bcache's counters"
		sleep "$w"
	fi
}

# ---------------------------------------------------------------- setup
for m in dm-mod dm-delay dm-cache dm-cache-smq dm-writecache bcache dm-restack dm-restack-cache; do
	modprobe "$m" || die "modprobe $m failed"
done
[ -e /sys/module/brd ] && die "brd is already loaded; run in a fresh guest"
# one origin slice and one fast slice per stack (origin and fast leave one
# of theirs unused: the slice numbers stay those of ALL_STACKS)
nslices=$(echo "$ALL_STACKS" | wc -w)
modprobe brd rd_nr=1 rd_size=$((nslices * FAST_MB * 1024)) max_part=0 || die "modprobe brd failed"
FAST=/dev/ram0
SLOW=""
for d in /sys/block/vd*; do
	[ "$(cat "$d/serial" 2>/dev/null)" = slow ] && SLOW=/dev/${d##*/}
done
[ -n "$SLOW" ] || die "no virtio disk with serial 'slow' (run with # disks: slow=20G)"
need=$((nslices * ORIGIN_MB * MB))
[ "$(blockdev --getsz "$SLOW")" -ge "$need" ] || die "$SLOW is smaller than $need sectors"

# ram0 and fast-linear exist only for the hits part; they reuse "fast"
for s in $ALL_STACKS ram0 fast-linear; do
	make_stack "$s"
	say "stack $s: $(stackdev "$s")"
done

{
	echo "date: $(date -u '+%Y-%m-%dT%H:%M:%SZ')"
	echo "uname: $(uname -a)"
	echo "cpus: $(grep -c '^processor' /proc/cpuinfo)"
	echo "fio: $(fio --version)"
	echo "delay_ms=$DELAY_MS fast_mb=$FAST_MB dmc_meta_kb=$DMC_META_KB zipf_mb=$ZIPF_MB"
	echo "scan_mb=$SCAN_MB scan_visit_mb=$SCAN_VISIT_MB hits_mb=$HITS_MB write_span_mb=$WRITE_SPAN_MB"
	echo "origin_mb=$ORIGIN_MB rounds=$ROUNDS visit_ios=$VISIT_IOS warm_ios=$WARM_IOS origin_div=$ORIGIN_DIV"
	echo "visit_cap=$VISIT_CAP budget=$BUDGET workloads=$WORKLOADS"
	for s in $ALL_STACKS ram0 fast-linear; do echo "stack $s $(stackdev "$s")"; done
	echo "dmsetup table:"
	dmsetup table | sort | sed 's/^/  /'
	for s in bc-wt bc-wb; do
		S=$(bcsys "$s")
		cs=$(eval "echo \$BCSET_$(echo "$s" | tr -- '-' '_')")
		echo "bcache $s: $S cset $cs"
		for k in state cache_mode sequential_cutoff writeback_percent readahead; do
			echo "  $k: $(cat "$S/$k" 2>/dev/null)"
		done
		for k in congested_read_threshold_us congested_write_threshold_us bucket_size block_size; do
			echo "  $k: $(cat "/sys/fs/bcache/$cs/$k")"
		done
		echo "  nbuckets: $(cat /sys/fs/bcache/"$cs"/cache0/nbuckets)"
		sed 's/^/  make-bcache -C: /' "$OUT/make-bcache-$s-C.txt"
	done
	echo "dmsetup status:"
	dmsetup status | sort | sed 's/^/  /'
} >"$OUT/env.txt" 2>&1

# ---------------------------------------------------------------- fio
# fio_visit WL LABEL SEED FILE IOS [SCAN_OFFSET_MB]
fio_visit() {
	local wl=$1 lab=$2 seed=$3 file=$4 fios=$5 dev g
	dev=$(stackdev "$lab")
	[ "$lab" = origin ] && fios=$((fios / ORIGIN_DIV))
	g="--ioengine=libaio --direct=1 --bs=4k --randrepeat=0 --randseed=$seed --norandommap"
	g="$g --runtime=$VISIT_CAP --output-format=json+ --output=$file"
	case $wl in
	zipf)
		# shellcheck disable=SC2086
		fio $g --name=zipf --filename="$dev" --rw=randread --iodepth=16 --size=${ZIPF_MB}M \
			--random_distribution=zipf:1.2:0 --io_size=$((fios * 4))k
		;;
	scan)
		# shellcheck disable=SC2086
		fio $g --exitall \
			--name=zipf --filename="$dev" --rw=randread --iodepth=8 --size=${ZIPF_MB}M \
			--random_distribution=zipf:1.2:0 --io_size=64G \
			--name=scan --filename="$dev" --rw=read --bs=64k --iodepth=4 \
			--offset=$((ZIPF_MB + $6))M --size=${SCAN_VISIT_MB}M
		;;
	mix)
		# shellcheck disable=SC2086
		fio $g --name=mix --filename="$dev" --rw=randrw --rwmixread=70 --iodepth=16 \
			--size=${ZIPF_MB}M --random_distribution=zipf:1.2:0 --io_size=$((fios * 4))k
		;;
	randwrite)
		# shellcheck disable=SC2086
		fio $g --name=randwrite --filename="$dev" --rw=randwrite --iodepth=16 \
			--size=${WRITE_SPAN_MB}M --io_size=$((fios * 4))k
		;;
	*) die "unknown workload $wl" ;;
	esac
}

# visit WL ROUND LABEL SEED IOS [SCAN_OFFSET_MB]: one timed visit + status
visit() {
	local vwl=$1 r=$2 lab=$3 vseed=$4 vios=$5 f vt0 vt1 rc
	f=$OUT/$vwl/r$r-$lab
	vt0=$(date +%s)
	fio_visit "$vwl" "$lab" "$vseed" "$f.json" "$vios" "${6:-0}" >"$f.err" 2>&1
	rc=$?
	vt1=$(date +%s)
	is_bcache "$lab" && BC_LAST=$vt1
	[ -s "$f.err" ] || rm -f "$f.err"
	status "$lab" >"$f.status"
	echo "$vwl $r $lab $vseed $vt0 $vt1 $rc" >>"$OUT/visits.txt"
	[ "$rc" = 0 ] || say "$vwl r$r $lab: fio exit $rc ($(head -c 300 "$f.err" 2>/dev/null))"
}

# rotate N WORDS...: the words rotated left by N
rotate() {
	local n=$1 c j out w
	shift
	c=$#
	[ "$c" -gt 0 ] || return 0
	n=$((n % c))
	j=0
	out=""
	for w in "$@"; do
		[ "$j" -ge "$n" ] && out="$out $w"
		j=$((j + 1))
	done
	j=0
	for w in "$@"; do
		[ "$j" -lt "$n" ] && out="$out $w"
		j=$((j + 1))
	done
	echo "$out"
}

# warm-up order: bcache first, so that its counters have settled by the end
warm_order() {
	local s
	for s in "$@"; do is_bcache "$s" && printf '%s ' "$s"; done
	for s in "$@"; do is_bcache "$s" || printf '%s ' "$s"; done
}

bcache_snap() { # WL start|end STACKS...
	local bwl=$1 when=$2 has s
	shift 2
	has=0
	for s in "$@"; do is_bcache "$s" && has=1; done
	[ "$has" = 1 ] || return 0
	bcache_settle
	for s in "$@"; do
		is_bcache "$s" && status "$s" >"$OUT/$bwl/bcache-$when-$s.txt"
	done
}

T_START=$(date +%s)
run_fio_workload() { # WL
	wl=$1
	stacks=$(eval "echo \$STACKS_$wl")
	share=$(eval "echo \$SHARE_$wl")
	budget=$((BUDGET * share / 100))
	mkdir -p "$OUT/$wl"
	t0=$(date +%s)
	scanpos=0
	ios=$(eval "echo \${IOS_$wl:-0}")
	warm=$(eval "echo \${WARM_$wl:-0}")
	# The scan part starts from the state the zipf part left (the same
	# for every stack); the others warm up with their own I/O first.
	if [ "$warm" -gt 0 ]; then
		say "$wl: warm-up on $stacks"
		for s in $(warm_order $stacks); do
			visit "$wl" 0 "$s" 1000 "$warm"
		done
	fi
	for s in $stacks; do status "$s" >"$OUT/$wl/start-$s.status"; done
	bcache_snap "$wl" start $stacks
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		el=$(($(date +%s) - t0))
		if [ "$r" -gt "$MIN_ROUNDS" ] && [ "$el" -ge "$budget" ]; then
			say "$wl: budget of ${budget}s used after $((r - 1)) rounds"
			echo "$wl budget ${budget}s used after $((r - 1)) rounds" >>"$OUT/budget.txt"
			break
		fi
		order=$(rotate $((r - 1)) $stacks)
		say "$wl: round $r ($order)"
		for s in $order; do
			visit "$wl" "$r" "$s" "$r" "$ios" "$scanpos"
		done
		scanpos=$(((scanpos + SCAN_VISIT_MB) % SCAN_MB))
		r=$((r + 1))
	done
	bcache_snap "$wl" end $stacks
	say "$wl: done in $(($(date +%s) - t0))s"
}

run_hits() {
	wl=hits
	stacks=$STACKS_hits
	mkdir -p "$OUT/$wl"
	t0=$(date +%s)
	say "hits: warm-up, 4 passes of random reads over ${HITS_MB} MiB"
	for s in $(warm_order $stacks); do
		case $s in fast | ram0 | fast-linear) continue ;; esac
		dev=$(stackdev "$s")
		fio --name=warm --filename="$dev" --ioengine=libaio --direct=1 --bs=4k --iodepth=16 \
			--rw=randread --size=${HITS_MB}M --io_size=$((HITS_MB * 4))M --randrepeat=0 \
			--randseed=7 --norandommap --output="$OUT/$wl/warm-$s.txt" >/dev/null 2>&1 ||
			say "hits: warm-up of $s failed"
		is_bcache "$s" && BC_LAST=$(date +%s)
	done
	for s in $stacks; do status "$s" >"$OUT/$wl/start-$s.status"; done
	bcache_snap "$wl" start $stacks
	devs=""
	for s in $stacks; do devs="$devs $s=$(stackdev "$s")"; done
	ncpu=$(grep -c '^processor' /proc/cpuinfo)
	budget=$((BUDGET * SHARE_hits / 100 - ($(date +%s) - t0)))
	[ "$budget" -ge 30 ] || budget=30
	# shellcheck disable=SC2086
	"$ALTIO" --rw randread --bs 4k --qd 16 --segment-ios 2000 --rounds 30 \
		--warmup-rounds 1 --span $((HITS_MB * 1048576)) --order mirror --reopen-every 10 \
		--cpu $((ncpu - 1)) --max-seconds "$budget" --json-out "$OUT/hits.json" \
		$devs >"$OUT/hits.txt" 2>"$OUT/hits.err" || say "hits: altio failed: $(cat "$OUT/hits.err")"
	for s in $stacks; do
		is_bcache "$s" && BC_LAST=$(date +%s)
		status "$s" >"$OUT/$wl/end-$s.status"
	done
	bcache_snap "$wl" end $stacks
	say "hits: done in $(($(date +%s) - t0))s"
}

: >"$OUT/visits.txt"
rm -f "$OUT/budget.txt"
failed=0
for wl in $WORKLOADS; do
	case $wl in
	hits) run_hits ;;
	zipf | scan | mix | randwrite) run_fio_workload "$wl" ;;
	*) die "unknown workload $wl (zipf scan hits mix randwrite)" ;;
	esac
done
awk '$7 != 0 {n++} END {exit n > 0}' "$OUT/visits.txt" || failed=1
{
	echo "end: $(date -u '+%Y-%m-%dT%H:%M:%SZ') after $(($(date +%s) - T_START))s of measuring"
	echo "dmsetup status:"
	dmsetup status | sort | sed 's/^/  /'
	echo "dmesg (cache, bcache, writecache, restack):"
	dmesg | grep -iE 'bcache|cache|restack|writecache' | tail -n 60 | sed 's/^/  /'
} >>"$OUT/env.txt" 2>&1
say "all done in $(($(date +%s) - T_START))s; failed visits: $failed"
exit "$failed"
