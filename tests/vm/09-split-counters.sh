#!/bin/sh
# 09-split-counters: a bio a policy splits with dm_accept_partial_bio()
# (the cache splits at its block boundaries) counts once in the volume's
# status: reads=/writes= by one, read_bytes=/write_bytes= by its length
# (Documentation/restack.rst, "Status").  Device-mapper maps the remainder
# of a split bio as a new bio; counted before the split, every byte after
# the first block was counted again with each remainder.
# disks: none
# timeout: 300
. /tests/vm/lib.sh

plan 16
load_modules dm-mod dm-restack
nullb_create slow 64
nullb_create fastdev 16
check "restack volume" vol_create vol /dev/slow
dmesg_mark start
V=/dev/mapper/vol

# delta MODE: one 64 KiB O_DIRECT read and one write, counted.
delta() {
	r0=$(vol_stat vol reads) rb0=$(vol_stat vol read_bytes)
	dd if=$V of=/dev/null bs=64k skip=4 count=1 iflag=direct 2>/dev/null
	r1=$(vol_stat vol reads) rb1=$(vol_stat vol read_bytes)
	is "$((r1 - r0)) $((rb1 - rb0))" "1 65536" "$1: a 64 KiB read counts reads=1 read_bytes=65536"
	w0=$(vol_stat vol writes) wb0=$(vol_stat vol write_bytes)
	dd if=/dev/urandom of=$V bs=64k seek=8 count=1 oflag=direct 2>/dev/null
	w1=$(vol_stat vol writes) wb1=$(vol_stat vol write_bytes)
	is "$((w1 - w0)) $((wb1 - wb0))" "1 65536" "$1: a 64 KiB write counts writes=1 write_bytes=65536"
}

delta detached
for m in wt wb wa; do
	check "attach cache mode=$m block_size=4096" \
		msg vol attach cache /dev/fastdev mode=$m block_size=4096
	delta "cache $m"
	check "detach" msg vol detach
done
check_dmesg_clean "no kernel warnings" start
done_testing
