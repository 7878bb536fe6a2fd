#!/bin/sh
# hit-path-graph.sh - where a read hit's time goes: the kernel's
# function_graph tracer over four 4 KiB O_DIRECT reads that hit a restack
# cache (restack volume -> cache -> dm-linear slice of brd), and over four
# reads of a dm-linear over another dm-linear slice of the same brd (the
# same depth of device-mapper layers).  Run INSIDE the guest:
#   scripts/guest-run.sh -o build/bench/hit-graph bench/hit-path-graph.sh
# Output (OUTDIR, default $RESTACK_SHARE): graph-rs.txt (restack_map and
# restack_end_io only), graph-rs-full.txt and graph-lin.txt (everything
# under dm_submit_bio), status.txt.  Durations include the tracer's own
# cost (about 1 us per traced call under TCG): read the call counts, not
# the times.
# disks: none
# timeout: 300
set -u
export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DM_DISABLE_UDEV=1
OUT=${1:-${RESTACK_SHARE:-.}}
die() {
	echo "hit-path-graph: error: $*" >&2
	exit 1
}

for m in dm-mod dm-restack dm-restack-cache; do
	modprobe "$m" || die "modprobe $m failed"
done
modprobe brd rd_nr=1 rd_size=65536 max_part=0 || die "modprobe brd failed"
modprobe null_blk nr_devices=1 gb=1 memory_backed=1 || die "modprobe null_blk failed"
dmsetup create hg_fast --table "0 32768 linear /dev/ram0 0" || die "hg_fast"
dmsetup create hg_fast2 --table "0 32768 linear /dev/ram0 32768" || die "hg_fast2"
dmsetup mknodes
dmsetup create hg_lin --table "0 32768 linear /dev/mapper/hg_fast2 0" || die "hg_lin"
dmsetup create hg_vol --table "0 $(blockdev --getsz /dev/nullb0) restack /dev/nullb0" || die "hg_vol"
dmsetup mknodes
dmsetup message hg_vol 0 attach cache /dev/mapper/hg_fast mode=wt || die "attach failed"
# two passes over 4 MiB: the second and later ones hit
for _ in 1 2 3; do
	dd if=/dev/mapper/hg_vol of=/dev/null bs=4k count=1024 iflag=direct 2>/dev/null
done
dmsetup status hg_vol >"$OUT/status.txt"

T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T || die "no tracefs"
graph() { # FUNCS DEV FILE
	echo 0 >$T/tracing_on
	echo function_graph >$T/current_tracer
	echo "$1" >$T/set_graph_function
	: >$T/trace
	echo 1 >$T/tracing_on
	dd if="$2" of=/dev/null bs=4k count=4 skip=100 iflag=direct 2>/dev/null
	echo 0 >$T/tracing_on
	cat $T/trace >"$OUT/$3"
}
graph "restack_map restack_end_io" /dev/mapper/hg_vol graph-rs.txt
graph dm_submit_bio /dev/mapper/hg_vol graph-rs-full.txt
graph dm_submit_bio /dev/mapper/hg_lin graph-lin.txt
echo nop >$T/current_tracer
for d in hg_vol hg_lin hg_fast2 hg_fast; do dmsetup remove "$d"; done
echo "hit-path-graph: done; $(grep -c '()' "$OUT/graph-rs-full.txt") calls through restack, $(grep -c '()' "$OUT/graph-lin.txt") through dm-linear"
