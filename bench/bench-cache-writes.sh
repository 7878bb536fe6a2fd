#!/bin/sh
# bench-cache-writes.sh - wb random writes, restack cache against
# dm-writecache, with fine-grained alternation (bench/altio), run INSIDE
# the guest, from the host with
#   BENCH_PARTS_RUN=cache-writes scripts/bench.sh
# (multi-threaded TCG, as the other benchmarks; results in
# build/bench/cache-writes/), or scripts/guest-run.sh -o OUTDIR on this file.
#
# Why: bench-cache.sh's random-write visits are 6,000 writes, about 0.2 s
# at these rates, so host scheduling moves single rounds from 0.46x to
# 1.35x.  altio alternates the devices every 2,000 writes for 40 mirrored
# rounds and reports per-round ratios, as the read-hit part does.
#
# Devices, as in bench-cache.sh but on memory: each stack's origin is a
# dm-delay (5 ms) slice of one memory-backed null_blk, its fast device a
# 16 MiB dm-linear slice of one brd; "fast" is a third slice alone.
#   rs-wb  restack volume + attach cache <slice> mode=wb (defaults)
#   wc     dm-writecache, ssd mode, 4 KiB blocks, defaults
# Both get the same warm-up (32 MiB of uniform random 4 KiB writes over the
# 8 MiB span, half of each cache), then altio writes uniform random 4 KiB
# blocks of the span at QD16.  Output (OUTDIR, default $RESTACK_SHARE):
# writes.txt and writes.json (altio), status.txt (both stacks' status),
# ratio.txt (per-round IOPS ratio rs-wb / wc: median, quartiles, extremes).
# disks: none
# timeout: 600
set -u
export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DM_DISABLE_UDEV=1
OUT=${1:-${RESTACK_SHARE:-.}}
MB=2048 # sectors per MiB
ORIGIN_MB=1600
FAST_MB=16
SPAN_MB=8
die() {
	echo "bench-cache-writes: error: $*" >&2
	exit 1
}
here=$(cd "$(dirname "$0")" 2>/dev/null && pwd)
ALTIO=""
for a in "$here/altio" /opt/restack/bench/altio; do
	[ -z "$ALTIO" ] && [ -x "$a" ] && ALTIO=$a
done
[ -n "$ALTIO" ] || die "altio not found (make -C bench)"

for m in dm-mod dm-restack dm-restack-cache dm-delay dm-writecache; do
	modprobe "$m" || die "modprobe $m failed"
done
modprobe brd rd_nr=1 rd_size=$((3 * FAST_MB * 1024)) max_part=0 || die "modprobe brd failed"
modprobe null_blk nr_devices=1 gb=4 memory_backed=1 || die "modprobe null_blk failed"
mk() { # NAME TABLE
	dmsetup create "$1" --table "$2" || die "dmsetup create $1 --table '$2' failed"
	dmsetup mknodes "$1"
}
mk cw_o_rs "0 $((ORIGIN_MB * MB)) delay /dev/nullb0 0 5"
mk cw_o_wc "0 $((ORIGIN_MB * MB)) delay /dev/nullb0 $((ORIGIN_MB * MB)) 5"
mk cw_f_rs "0 $((FAST_MB * MB)) linear /dev/ram0 0"
mk cw_f_wc "0 $((FAST_MB * MB)) linear /dev/ram0 $((FAST_MB * MB))"
mk cw_fast "0 $((FAST_MB * MB)) linear /dev/ram0 $((2 * FAST_MB * MB))"
mk cw_rs "0 $((ORIGIN_MB * MB)) restack /dev/mapper/cw_o_rs"
dmsetup message cw_rs 0 attach cache /dev/mapper/cw_f_rs mode=wb || die "attach cache failed"
mk cw_wc "0 $((ORIGIN_MB * MB)) writecache s /dev/mapper/cw_o_wc /dev/mapper/cw_f_wc 4096 0"

for d in cw_rs cw_wc; do
	fio --name=warm --filename=/dev/mapper/$d --ioengine=libaio --direct=1 --bs=4k \
		--iodepth=16 --rw=randwrite --size=${SPAN_MB}M --io_size=$((4 * SPAN_MB))M \
		--randrepeat=0 --norandommap >/dev/null 2>&1 || die "warm-up of $d failed"
done
"$ALTIO" --rw randwrite --bs 4k --qd 16 --segment-ios 2000 --rounds 40 --warmup-rounds 1 \
	--span $((SPAN_MB * 1048576)) --order mirror --reopen-every 10 \
	--cpu $(($(grep -c '^processor' /proc/cpuinfo) - 1)) --max-seconds 300 \
	--json-out "$OUT/writes.json" fast=/dev/mapper/cw_fast wc=/dev/mapper/cw_wc \
	rs-wb=/dev/mapper/cw_rs >"$OUT/writes.txt" 2>"$OUT/writes.err" ||
	die "altio failed: $(cat "$OUT/writes.err")"
{
	echo "rs-wb: $(dmsetup status cw_rs)"
	echo "wc: $(dmsetup status cw_wc)"
} >"$OUT/status.txt"
# per-round ratio rs-wb / wc from the visit times altio recorded
awk '
	/"label"/ { lab = $0; sub(/.*"label": *"/, "", lab); sub(/".*/, "", lab) }
	/"round_ns"/ {
		s = $0; sub(/.*\[/, "", s); sub(/\].*/, "", s)
		n = split(s, v, ",")
		for (i = 1; i <= n; i++) t[lab, i] = v[i] + 0
		rounds = n
	}
	END {
		for (i = 1; i <= rounds; i++) r[i] = t["wc", i] / t["rs-wb", i]
		for (i = 1; i <= rounds; i++)
			for (j = i + 1; j <= rounds; j++)
				if (r[j] < r[i]) { x = r[i]; r[i] = r[j]; r[j] = x }
		m = rounds % 2 ? r[(rounds + 1) / 2] : (r[rounds / 2] + r[rounds / 2 + 1]) / 2
		printf "rs-wb / wc per-round IOPS ratio over %d rounds: median %.3f, quartiles %.3f-%.3f, min %.3f, max %.3f\n",
			rounds, m, r[int(rounds / 4) + 1], r[int(3 * rounds / 4)], r[1], r[rounds]
	}' "$OUT/writes.json" >"$OUT/ratio.txt"
cat "$OUT/writes.txt" "$OUT/ratio.txt"
for d in cw_rs cw_wc cw_fast cw_f_wc cw_f_rs cw_o_wc cw_o_rs; do dmsetup remove "$d"; done
