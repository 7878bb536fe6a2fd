#!/bin/sh
# bench-guest.sh - restack overhead benchmark, run INSIDE the QEMU (TCG) guest.
# disks: none
# timeout: 1200
#
# Usage:  bench-guest.sh [OUTDIR]
#   OUTDIR  where results go (normally the 9p share); default: $RESTACK_SHARE/bench
#           when run by scripts/guest-run.sh (/host/bench), else ./bench-results.
# From the host, e.g.:
#   make -C bench && scripts/guest-run.sh -o build/bench bench/bench-guest.sh
#
# What it does (busybox ash / POSIX sh):
#   1. loads null_blk with one 4 GiB, NOT memory-backed device /dev/nullb0
#      (parameters and why: see NULLB_PARAMS below);
#   2. stacks on that same null_blk: dm-linear "bench_linear", a second
#      dm-linear "bench_linear2" (the A/A noise control), a detached restack
#      volume "bench_restack" and a restack volume with the noop policy
#      attached "bench_restack_noop";
#   3. for each workload runs altio over all of them, alternating every
#      segment of K I/Os (bench/README.md explains the method), baseline =
#      the first device (dm-linear);
#   4. writes OUTDIR/<workload>.txt and .json, OUTDIR/summary.txt (all text
#      tables), OUTDIR/results.json (array of the altio JSON documents),
#      OUTDIR/env.txt (kernel, CPUs, module parameters, tables, status).
#
# Knobs (environment):
#   BENCH_DEVICES    devices in altio order, first = baseline.
#                    default: "linear raw linear2 restack restack-noop"
#                    raw           /dev/nullb0 itself
#                    linear*       a dm-linear over it (linear, linear2, linear3, ...)
#                    restack*      a detached restack volume (restack, restack2, ...)
#                    traced*       a detached restack volume traced in full by
#                                  `restack trace -o /dev/null` for the whole run
#                    sampled*      the same, traced with --sample 0.01
#                    blktraced*    the same, recorded by `blktrace -o - >/dev/null`
#                    restack       restack volume, detached
#                    restack-<p>   restack volume with policy <p> attached (0 args)
#   BENCH_WORKLOADS  subset of: rr4k-qd1 rr4k-qd32 rw4k-qd1 rw4k-qd32 sr128k-qd8
#                    (default: all rows of the table, in order)
#   BENCH_WORKLOAD_TABLE  replaces the workload table below (same columns)
#   BENCH_ROUNDS_PCT scale every workload's rounds and time cap (default 100)
#   BENCH_CPU        CPU to pin altio to (default: the last CPU; "none" = no pinning)
#   BENCH_SEED       altio --seed (default 1)
#   BENCH_ORDER      altio --order (default mirror)
#   BENCH_REOPEN     altio --reopen-every (default 10 rounds; 0 = never)
#   BENCH_PARTS      parts per workload, DM devices recreated between parts
#                    (default 6); rounds and caps are split between the parts
#   ALTIO            path of the altio binary (default: next to this script,
#                    /opt/restack/bench/altio, or $PATH)
#   NULLB_PARAMS     module parameters for null_blk (default below)
#
# Exit status: 0 if every workload ran; 1 on setup failure or an altio error.
set -u

export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# No udev in the guest: libdevmapper makes the /dev/mapper nodes itself.
export DM_DISABLE_UDEV=1

# ---------------------------------------------------------------- parameters
# null_blk, one device /dev/nullb0:
#   memory_backed=0   nothing is stored: no data copy, no page allocation, no
#                     memory growth. The device costs almost nothing, so the
#                     layers above it (dm core, dm-linear, restack) are the
#                     largest possible share of the per-I/O time: the most
#                     sensitive setup for a pass-through overhead.
#   irqmode=0         complete inside ->queue_rq, on the submitting CPU: no
#                     softirq, IPI or hrtimer. Under TCG a timer completion
#                     (irqmode=2) measures QEMU's timer emulation, and softirq
#                     completion adds IPIs between vCPUs, both large and erratic;
#                     inline completion makes each I/O a fixed amount of CPU work.
#                     (Consequence: at QD>1 an io_submit batch completes within
#                     the syscall, so QD acts as the submit batch size.)
#   queue_mode=2      blk-mq, the path every real driver uses.
#   bs=4096           4 KiB logical blocks (NVMe-like); all workloads are 4k/128k.
#   gb=4              4 GiB span for random offsets; free, since nothing is stored.
#   hw_queue_depth=64 above the largest QD (32): no tag waits.
#   submit_queues=1   one hw queue; altio is pinned to one CPU anyway.
#   no_sched=1        no I/O scheduler (a single-queue device would otherwise get
#                     mq-deadline): the same "none" path for raw and stacked I/O.
NULLB_PARAMS=${NULLB_PARAMS:-"nr_devices=1 gb=4 bs=4096 memory_backed=0 irqmode=0 queue_mode=2 hw_queue_depth=64 submit_queues=1 no_sched=1"}
NULLB=/dev/nullb0

# Workloads: name rw bs qd segment_ios rounds warmup_rounds max_seconds [altio args...]
# (rounds and max_seconds are for the whole workload, split over the parts)
#
# Method (bench/README.md has the measurements behind these choices):
# - order mirror: a round visits every device twice, in a rotating order and
#   then reversed (ABCDE EDCBA), so a linear drift of the guest's speed
#   cancels within the round and no device always follows the same one;
# - --reopen-every 10: every 10 rounds altio reopens the devices and moves its
#   AIO ring and buffers. Without it one run's memory layout made identical
#   dm-linear devices differ by up to 7% for the whole run (TLB/cache luck
#   under TCG); with it the A/A medians stayed within +-0.8%, and the CI,
#   which then resamples whole epochs, includes that effect;
# - parts (BENCH_PARTS=6): the DM devices are recreated, in a rotated order,
#   between parts. Some state outside altio's reach (kernel-side layout, the
#   state of TCG's translated code) shifts one code path against another by
#   several percent for minutes: in one part dm-linear ran 15% slower
#   relative to raw null_blk than in the next, the same for both dm-linear
#   devices, so an A/A control cannot see it. Parts re-draw that state, the
#   median pools all parts, and the CI resamples parts (then epochs within
#   them), so disagreeing parts widen it;
# - segment_ios: short visits win. At equal I/O counts, K=1000 x 400 rounds
#   gave a CI of +-0.5% where K=8000 x 50 rounds gave +-4%: under TCG on a
#   busy host the speed changes on a scale of 0.1-1 s, so several short
#   visits close in time beat one long one. A visit of 1000 4k I/Os takes
#   ~13-40 ms (raw null_blk ~95k IOPS, dm-linear ~70k on a quiet host, half
#   that or less on a busy one); QD32 visits take 2000 I/Os so that the
#   ramp-up and drain of the queue stay a small part of a visit;
# - rounds: per part a multiple of 10 (whole epochs; rotation balance for 5
#   devices): 480/6 = 80 and 300/6 = 50;
# - warmup_rounds: 1 per part (each epoch also starts with a short warm visit);
# - max_seconds: a time budget per workload, device setup and warm-ups
#   included (each part gets an equal share of what is left); they sum to
#   660 s, so the whole guest run stays under ~12 minutes even on a loaded
#   host (measured before this budget existed: 13 min with the host at load
#   6-8, where every workload hit its cap). A quiet host should finish
#   the planned rounds in roughly 5 minutes. A capped part says so on stderr
#   ("--max-seconds reached", "time budget ... used up"); its workload then
#   has fewer rounds and a wider CI.
WORKLOADS_ALL=${BENCH_WORKLOAD_TABLE:-"
rr4k-qd1    randread  4k   1  1000 480 1 150
rr4k-qd32   randread  4k   32 2000 300 1 130
rw4k-qd1    randwrite 4k   1  1000 480 1 150
rw4k-qd32   randwrite 4k   32 2000 300 1 130
sr128k-qd8  read      128k 8  500  300 1 100
"}
BENCH_DEVICES=${BENCH_DEVICES:-"linear raw linear2 restack restack-noop"}
BENCH_WORKLOADS=${BENCH_WORKLOADS:-$(echo "$WORKLOADS_ALL" | awk 'NF && $1 !~ /^#/ {printf "%s ", $1}')}
BENCH_ROUNDS_PCT=${BENCH_ROUNDS_PCT:-100}
BENCH_SEED=${BENCH_SEED:-1}
BENCH_ORDER=${BENCH_ORDER:-mirror}
BENCH_REOPEN=${BENCH_REOPEN:-10}
BENCH_PARTS=${BENCH_PARTS:-6}

# ---------------------------------------------------------------- helpers
say() { echo "bench: $*"; }
die() {
	echo "bench: error: $*" >&2
	exit 1
}

OUT=${1:-}
if [ -z "$OUT" ]; then
	if [ -n "${RESTACK_SHARE:-}" ]; then OUT=$RESTACK_SHARE/bench; else OUT=./bench-results; fi
fi
mkdir -p "$OUT" || die "cannot create $OUT"

here=$(cd "$(dirname "$0")" 2>/dev/null && pwd)
if [ -z "${ALTIO:-}" ]; then
	for a in "$here/altio" /opt/restack/bench/altio "$(command -v altio 2>/dev/null)"; do
		if [ -n "$a" ] && [ -x "$a" ]; then ALTIO=$a; break; fi
	done
fi
if [ -z "${ALTIO:-}" ] || [ ! -x "$ALTIO" ]; then
	die "altio not found (build it: make -C bench; or set ALTIO=)"
fi

ncpu=$(grep -c '^processor' /proc/cpuinfo)
[ "$ncpu" -ge 1 ] 2>/dev/null || ncpu=1
BENCH_CPU=${BENCH_CPU:-$((ncpu - 1))}
cpuopt=""
[ "$BENCH_CPU" = none ] || cpuopt="--cpu $BENCH_CPU"

DM_CREATED=""
TRACERS=""
NULLB_LOADED=0
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	dm_remove_all
	if [ "$NULLB_LOADED" = 1 ]; then
		modprobe -r null_blk >/dev/null 2>&1
		NULLB_LOADED=0
	fi
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

dm_remove_all() {
	# Tracers hold their volumes open: stop them first (their summaries,
	# with the collector's CPU time, go to tracer-<key>.log).
	for t in $TRACERS; do
		kill -INT "$t" 2>/dev/null
	done
	for t in $TRACERS; do
		wait "$t" 2>/dev/null
	done
	TRACERS=""
	for d in $DM_CREATED; do
		i=0
		while dmsetup info "$d" >/dev/null 2>&1; do
			dmsetup remove "$d" >/dev/null 2>&1 && break
			i=$((i + 1))
			[ "$i" -gt 20 ] && { echo "bench: cannot remove $d" >&2; break; }
			sleep 0.2
		done
	done
	DM_CREATED=""
}

dev_name() { echo "bench_$(echo "$1" | tr -- '-' '_')"; }

# make_dev KEY: create the device for KEY (see BENCH_DEVICES).
make_dev() {
	name=$(dev_name "$1")
	case $1 in
	raw) ;;
	linear*)
		dm_make "$name" "0 $SECTORS linear $NULLB 0"
		;;
	restack | restack[0-9]*)
		dm_make "$name" "0 $SECTORS restack $NULLB"
		mode=$(dmsetup status "$name" | awk '{print $4 " " $5}')
		[ "$mode" = "detached -" ] || die "$name: expected 'detached -', status says '$mode'"
		;;
	traced* | sampled* | blktraced*)
		# A detached volume recorded by a tracer for the whole part.
		dm_make "$name" "0 $SECTORS restack $NULLB"
		case $1 in
		traced*)
			restack trace "$name" -o /dev/null >>"$OUT/tracer-$1.log" 2>&1 &
			;;
		sampled*)
			restack trace "$name" --sample 0.01 -o /dev/null >>"$OUT/tracer-$1.log" 2>&1 &
			;;
		blktraced*)
			blktrace -d "/dev/mapper/$name" -o - >/dev/null 2>>"$OUT/tracer-$1.log" &
			;;
		esac
		TRACERS="$! $TRACERS"
		# Let the tracer set up its session before any I/O is timed.
		sleep 1
		;;
	restack-*)
		pol=${1#restack-}
		dm_make "$name" "0 $SECTORS restack $NULLB policy $pol 0"
		mode=$(dmsetup status "$name" | awk '{print $4 " " $5}')
		[ "$mode" = "attached $pol" ] || die "$name: expected 'attached $pol', status says '$mode'"
		;;
	esac
}

# make_devs N: (re)create all DM devices, in the BENCH_DEVICES order rotated
# by N. Kernel objects (mapped_device, table, bdev, minor number) then land
# somewhere else each time, so no device keeps a lucky or unlucky memory
# layout for a whole workload (see "parts" below).
make_devs() {
	dm_remove_all
	nk=$(echo "$DM_KEYS" | wc -w)
	[ "$nk" -gt 0 ] || return 0
	k=$(($1 % nk))
	j=0
	for key in $DM_KEYS; do
		[ "$j" -ge "$k" ] && make_dev "$key"
		j=$((j + 1))
	done
	j=0
	for key in $DM_KEYS; do
		[ "$j" -lt "$k" ] && make_dev "$key"
		j=$((j + 1))
	done
}

# ---------------------------------------------------------------- setup
say "output to $OUT; altio: $ALTIO; devices: $BENCH_DEVICES"
[ -e /sys/module/null_blk ] && die "null_blk is already loaded; run in a fresh guest"
modprobe configfs >/dev/null 2>&1
# shellcheck disable=SC2086 # word splitting of the parameter list is intended
modprobe null_blk $NULLB_PARAMS || die "modprobe null_blk $NULLB_PARAMS failed"
NULLB_LOADED=1
i=0
while [ ! -b "$NULLB" ]; do
	i=$((i + 1))
	[ "$i" -gt 50 ] && die "$NULLB did not appear"
	sleep 0.1
done
modprobe dm-mod >/dev/null 2>&1
SECTORS=$(blockdev --getsz "$NULLB") || die "blockdev --getsz $NULLB failed"

devargs=""
DM_KEYS=""
for key in $BENCH_DEVICES; do
	case $key in
	raw)
		path=$NULLB
		;;
	linear*)
		path=/dev/mapper/$(dev_name "$key")
		DM_KEYS="$DM_KEYS $key"
		;;
	restack | restack[0-9]* | restack-* | traced* | sampled* | blktraced*)
		modprobe dm-restack || die "modprobe dm-restack failed (is drivers/md/dm-restack.ko in the guest image?)"
		path=/dev/mapper/$(dev_name "$key")
		DM_KEYS="$DM_KEYS $key"
		;;
	*)
		die "unknown device key '$key' in BENCH_DEVICES (raw, linear*, restack*, restack-<policy>, traced*, sampled*, blktraced*)"
		;;
	esac
	devargs="$devargs $key=$path"
done
make_devs 0

# Environment record: what the numbers were measured on.
{
	echo "date: $(date -u '+%Y-%m-%dT%H:%M:%SZ')"
	echo "uname: $(uname -a)"
	echo "cpus: $ncpu ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1))"
	echo "altio pinned to cpu: $BENCH_CPU"
	echo "altio order: $BENCH_ORDER, reopen every $BENCH_REOPEN rounds, $BENCH_PARTS parts per workload"
	echo "null_blk params: $NULLB_PARAMS"
	for p in /sys/module/null_blk/parameters/*; do
		echo "  $(basename "$p")=$(cat "$p" 2>/dev/null)"
	done
	echo "nullb0 scheduler: $(cat /sys/block/nullb0/queue/scheduler 2>/dev/null)"
	echo "nullb0 size: $SECTORS sectors"
	echo "devices (first = baseline): $devargs"
	echo "dmsetup targets:"
	dmsetup targets | sed 's/^/  /'
	echo "dmsetup table:"
	dmsetup table | sed 's/^/  /'
	echo "dmsetup status:"
	dmsetup status | sed 's/^/  /'
	echo "modules:"
	sed 's/^/  /' /proc/modules
	echo "workloads: name rw bs qd segment_ios rounds warmup max_seconds (rounds/cap x $BENCH_ROUNDS_PCT%)"
	echo "$WORKLOADS_ALL" | sed '/^$/d; s/^/  /'
} >"$OUT/env.txt" 2>&1

# ---------------------------------------------------------------- run
# Each workload runs in BENCH_PARTS parts; before every part but the very
# first, all DM devices are removed and created again in a rotated order.
# The parts share a pool file (altio --pool), so the last part's report
# (<workload>.txt/.json) covers the rounds of all parts.
: >"$OUT/summary.txt"
jsonfiles=""
failed=0
partno=0
t_all=$(date +%s)
for wl in $BENCH_WORKLOADS; do
	line=$(echo "$WORKLOADS_ALL" | awk -v w="$wl" '$1 == w')
	[ -n "$line" ] || die "unknown workload '$wl' (known: $(echo "$WORKLOADS_ALL" | awk 'NF {printf "%s ", $1}'))"
	# shellcheck disable=SC2086
	set -- $line
	rw=$2 bs=$3 qd=$4 seg=$5 warm=$7
	rounds=$(($6 * BENCH_ROUNDS_PCT / 100 / BENCH_PARTS))
	budget=$(($8 * BENCH_ROUNDS_PCT / 100))
	[ "$rounds" -ge 1 ] || rounds=1
	shift 8
	extra="$*"
	args="--rw $rw --bs $bs --qd $qd --segment-ios $seg --rounds $rounds --warmup-rounds $warm --seed $BENCH_SEED --order $BENCH_ORDER --reopen-every $BENCH_REOPEN $cpuopt${extra:+ $extra}"
	say "$wl: $BENCH_PARTS x altio $args --max-seconds <share of ${budget}s> --pool $OUT/$wl.pool$devargs"
	t0=$(date +%s)
	rm -f "$OUT/$wl.pool" "$OUT/$wl.json" "$OUT/$wl.err" "$OUT/$wl".part*.txt
	part=1
	ok=1
	last=0
	while [ "$part" -le "$BENCH_PARTS" ]; do
		# The budget covers everything (device setup, warm-up, measuring):
		# each part gets an equal share of what is left.
		left=$((budget - ($(date +%s) - t0)))
		maxs=$((left / (BENCH_PARTS - part + 1)))
		if [ "$maxs" -lt 2 ] && [ "$last" -gt 0 ]; then
			echo "time budget of ${budget}s used up after $last of $BENCH_PARTS parts" >>"$OUT/$wl.err"
			break
		fi
		[ "$maxs" -ge 1 ] || maxs=1
		[ "$partno" -gt 0 ] && make_devs "$partno"
		partno=$((partno + 1))
		# shellcheck disable=SC2086
		if ! "$ALTIO" $args --max-seconds "$maxs" --pool "$OUT/$wl.pool" --json-out "$OUT/$wl.json" \
			$devargs >"$OUT/$wl.part$part.txt" 2>>"$OUT/$wl.err"; then
			ok=0
			break
		fi
		last=$part
		part=$((part + 1))
	done
	if [ "$ok" = 0 ]; then
		failed=1
		say "$wl: altio FAILED in part $part: $(cat "$OUT/$wl.err")"
		continue
	fi
	jsonfiles="$jsonfiles $OUT/$wl.json"
	cp "$OUT/$wl.part$last.txt" "$OUT/$wl.txt"
	[ -s "$OUT/$wl.err" ] && sed "s/^/bench: $wl: /" "$OUT/$wl.err"
	{
		echo "=== $wl"
		cat "$OUT/$wl.txt"
		echo
	} >>"$OUT/summary.txt"
	cat "$OUT/$wl.txt"
	say "$wl: done in $(($(date +%s) - t0)) s"
done

# results.json: the altio documents of all workloads, keyed by workload name.
{
	echo "{"
	first=1
	for f in $jsonfiles; do
		wl=$(basename "$f" .json)
		[ "$first" = 1 ] || echo ","
		first=0
		printf '"%s": ' "$wl"
		cat "$f"
	done
	echo "}"
} >"$OUT/results.json"

{
	echo "dmsetup status after the run:"
	dmsetup status | sed 's/^/  /'
	echo "total benchmark time: $(($(date +%s) - t_all)) s"
} >>"$OUT/env.txt" 2>&1
say "total $(($(date +%s) - t_all)) s; results in $OUT (summary.txt, results.json, env.txt)"
sync
exit "$failed"
