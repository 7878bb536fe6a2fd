#!/bin/sh
# 56-cache-wb-rewrite: blocks that write-back has cleaned stay recorded
# dirty, so that rewriting them lands in place (no committed-free block
# needed, nothing bypassed to the origin); they are recorded clean only
# at a clean shutdown and on detach.  Checks:
#  - random writes over half of a small wb cache, with the high
#    watermark at a quarter, make write-back clean some blocks (dirty
#    falls to the low watermark);
#  - rewriting the same blocks (verified) hits every block in place:
#    no write bypasses the cache;
#  - after removing and recreating the volume (a clean shutdown) the
#    cache loads with exactly the dirty blocks it had, not the cleaned
#    ones as well;
#  - after detach, the same fast device attaches in wt, which refuses a
#    cache with dirty blocks: detach recorded everything clean;
#  - the data reads back intact through every step;
#  - bad cache arguments (the watermarks among them) are refused with a
#    message naming the problem, and leave the volume detached.
# disks: none
# timeout: 400
. /tests/vm/lib.sh

plan 27
load_modules dm-mod dm-restack
nullb_create origin 64
nullb_create fastdev 16
check "restack volume" vol_create vol /dev/origin
dmesg_mark start

# Bad arguments: each attach fails, names the problem, changes nothing.
bad_attach() { # EXPECTED-LOG ARGS...
	_want=$1
	shift
	check_fails "attach cache $* is refused" msg vol attach cache /dev/fastdev "$@"
	like "$(dmesg_since start | tail -n 3)" "$_want" "  ... kernel log: $_want"
}
bad_attach "high_watermark: a percentage, 0 to 100" mode=wb high_watermark=101
bad_attach "low_watermark: a percentage, 0 to 100" mode=wb low_watermark=-1
bad_attach "low_watermark exceeds high_watermark" mode=wb high_watermark=40 low_watermark=41
bad_attach "mode must be wt, wb or wa" mode=wx
bad_attach "unknown argument" mode=wb watermark=5
is "$(vol_mode vol)" detached "the volume is still detached"

# Write-back between 25% and 20% dirty (the defaults are 50/45).
check "attach cache mode=wb high_watermark=25 low_watermark=20" \
	msg vol attach cache /dev/fastdev mode=wb high_watermark=25 low_watermark=20
blocks=$(vol_stat vol blocks)

# 8 MiB of 4 KiB blocks: half the cache, twice the high watermark.
JOB="--filename=/dev/mapper/vol --bs=4k --iodepth=16 --size=8M --rw=randwrite --verify=crc32c"

# wait_settled: until write-back has brought dirty down to a quarter of
# the blocks and the copies in flight are done (the same count twice,
# 0.5 s apart; at most 60 s); prints the dirty count.
wait_settled() {
	_i=0
	_last=-1
	while [ "$_i" -lt 120 ]; do
		_d=$(vol_stat vol dirty)
		[ "$_d" -le $((blocks / 4)) ] && [ "$_d" = "$_last" ] && break
		_last=$_d
		sleep 0.5
		_i=$((_i + 1))
	done
	vol_stat vol dirty
}

check "first write of 8 MiB, verified" fio_run w1 $JOB --randseed=1 --do_verify=1
dirty=$(wait_settled)
wb=$(vol_stat vol writebacks)
check "write-back cleaned blocks (writebacks=$wb, dirty=$dirty of $blocks)" \
	test "$wb" -gt 0 -a "$dirty" -le $((blocks / 4))

bypassed0=$(vol_stat vol bypassed)
hits0=$(vol_stat vol write_hits)
check "rewrite of the same 8 MiB, verified" fio_run w2 $JOB --randseed=2 --do_verify=1
hits=$(($(vol_stat vol write_hits) - hits0))
is "$(($(vol_stat vol bypassed) - bypassed0))" 0 "no rewrite bypassed the cache"
check "every rewrite was a write hit ($hits of 2048)" test "$hits" -ge 2048

dirty=$(wait_settled)
table=$(dmsetup table vol)
check "remove the volume (clean shutdown)" dmsetup remove vol
check "recreate it from its table" dm_create vol "$table"
is "$(vol_stat vol dirty)" "$dirty" "loaded with the $dirty dirty blocks it had"
like "$(dmesg_since start)" "cache loaded: [0-9]+ blocks cached, $dirty dirty" \
	"kernel log: cache loaded with $dirty dirty"
check "the rewritten data reads back" fio_run v1 $JOB --randseed=2 --verify_only

check "detach (writes back, records clean)" msg vol detach
check "attach the same fast device in wt (no dirty block recorded)" \
	msg vol attach cache /dev/fastdev mode=wt
check "the data reads back through the warm wt cache" fio_run v2 $JOB --randseed=2 --verify_only
check_dmesg_clean "no kernel warnings" start
done_testing
