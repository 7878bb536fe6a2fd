#!/bin/sh
# 51-cache-warm: a table reload (and a remove and recreate from the same
# table line) keeps the cache warm: after the reload the hit ratio of the
# same reads stays high, and the status says what was loaded.
# disks: none
# timeout: 400
. /tests/vm/lib.sh

plan 10
load_modules dm-mod dm-restack
nullb_create origin 256
nullb_create fastdev 128
check "restack volume" vol_create vol /dev/origin
check "attach cache mode=wb" msg vol attach cache /dev/fastdev mode=wb
dmesg_mark start

READS="--filename=/dev/mapper/vol --bs=4k --iodepth=16 --size=64M --rw=randread"
check "warm-up: read 64 MiB twice" fio_run warm $READS --io_size=128M

# Hit ratio of one pass of the same reads: before and after the reload.
pass_ratio() {
	_h0=$(vol_stat vol read_hits)
	_m0=$(vol_stat vol read_misses)
	fio_run "$1" $READS --io_size=32M || return 1
	_h=$(( $(vol_stat vol read_hits) - _h0 ))
	_m=$(( $(vol_stat vol read_misses) - _m0 ))
	diag "$1: $_h hits, $_m misses" >&2
	echo $(( 100 * _h / (_h + _m + 1) ))
}
before=$(pass_ratio before)
like "$before" '^[0-9]+$' "hit ratio before the reload: $before%"

table=$(dmsetup table vol)
like "$table" "restack [0-9]+:[0-9]+ policy cache 8 [0-9]+:[0-9]+ mode=wb block_size=4096 .* high_watermark=50 low_watermark=45" \
	"table shows the cache ($table)"
rc=0
{ dmsetup suspend vol && echo "$table" | dmsetup reload vol && dmsetup resume vol; } || rc=$?
is "$rc" 0 "suspend, reload the printed table, resume"
is "$(vol_mode vol) $(vol_policy vol)" "attached cache" "attached after the reload"
after=$(pass_ratio after)
check "hit ratio after the reload ($after%) >= 90% of before ($before%) and >= 50%" \
	test "$after" -ge $(( before * 9 / 10 )) -a "$after" -ge 50
like "$(dmesg_since start)" "cache loaded: [0-9]+ blocks cached" "kernel log: cache loaded warm"
check_dmesg_clean "no kernel warnings" start
done_testing
