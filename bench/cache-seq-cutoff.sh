#!/bin/sh
# cache-seq-cutoff.sh - does the cache policy's seq_cutoff catch a scan that
# runs next to random reads?  Run INSIDE the guest (a reproducer for the
# finding in Documentation/performance.rst, "Cache against dm-cache, bcache
# and dm-writecache"):
#   scripts/guest-run.sh bench/cache-seq-cutoff.sh
# disks: slow=4G
# timeout: 500
#
# Two restack volumes, each wt with seq_cutoff=4194304 on a 16 MiB brd slice,
# over a 5 ms dm-delay of the virtio disk.  v0 gets a 64 MiB sequential
# scan (64 KiB, QD4) alone, then another at QD1; v1 gets the same scan
# while a zipf:1.2 4 KiB random-read job (QD8) runs next to it (fio
# --exitall ends the zipf job with the scan), twice.  With a working
# cutoff, each scan promotes only its first 4 MiB (1,024 blocks), plus
# whatever the zipf job's misses promote.  Prints the counters after each.
export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DM_DISABLE_UDEV=1
set -e
for m in dm-mod dm-delay dm-restack dm-restack-cache; do modprobe "$m"; done
modprobe brd rd_nr=1 rd_size=$((64 * 1024)) max_part=0
MB=2048
mk() { dmsetup create "$1" --table "$2" && dmsetup mknodes "$1"; }
for i in 0 1; do
	mk "o$i" "0 $((1600 * MB)) delay /dev/vda $((i * 1600 * MB)) 5"
	mk "f$i" "0 $((16 * MB)) linear /dev/ram0 $((i * 16 * MB))"
	mk "v$i" "0 $((1600 * MB)) restack /dev/mapper/o$i policy cache 3 /dev/mapper/f$i mode=wt seq_cutoff=4194304"
done
st() {
	dmsetup status "$1" | tr ' ' '\n' |
		grep -E '^(read_hits|read_misses|promotions|no_free_block|commits)=' | tr '\n' ' '
	echo
}
IO="--ioengine=libaio --direct=1 --output-format=terse"
SCAN="--name=scan --rw=read --bs=64k --size=64M"
ZIPF="--name=zipf --rw=randread --bs=4k --iodepth=8 --size=512M --random_distribution=zipf:1.2:0 --io_size=64G"
# shellcheck disable=SC2086
{
	fio $IO $SCAN --filename=/dev/mapper/v0 --iodepth=4 --offset=512M >/dev/null
	echo "v0, 64 MiB scan alone, QD4: $(st v0)"
	fio $IO $SCAN --filename=/dev/mapper/v0 --iodepth=1 --offset=600M >/dev/null
	echo "v0, + another scan alone, QD1: $(st v0)"
	fio $IO --exitall $ZIPF --filename=/dev/mapper/v1 $SCAN --filename=/dev/mapper/v1 --iodepth=4 --offset=512M >/dev/null
	echo "v1, the scan next to zipf QD8: $(st v1)"
	fio $IO --exitall $ZIPF --filename=/dev/mapper/v1 $SCAN --filename=/dev/mapper/v1 --iodepth=4 --offset=700M >/dev/null
	echo "v1, + a second scan next to zipf: $(st v1)"
}
