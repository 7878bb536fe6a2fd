#!/bin/sh
# 06-module-refcount: a policy module cannot be removed while attached
# (modprobe -r / rmmod fail, I/O continues), can be after detach; the kernel
# loads it again on demand (request_module of its alias
# dm-restack-policy-<name> -> /sbin/modprobe) for "attach" and for a table
# with a policy; "attach trace" does not load the tracer module, which is
# not a policy; dm-restack cannot go while a volume exists.
# disks: none
# timeout: 300
. /tests/vm/lib.sh

load_modules dm-mod dm-restack
nullb_create nb0 128 cache_size=16
check "restack volume over null_blk" vol_create vol /dev/nb0
check "dm-restack-noop not loaded yet" test ! -d /sys/module/dm_restack_noop

check "attach noop (module loaded on demand)" msg vol attach noop
check "dm-restack-noop was loaded by the kernel" test -d /sys/module/dm_restack_noop
ref=$(cat /sys/module/dm_restack_noop/refcnt 2>/dev/null)
check "dm-restack-noop refcnt >= 1 while attached ($ref)" test "${ref:-0}" -ge 1

fio_bg busy --filename=/dev/mapper/vol --rw=randwrite --bs=4k --iodepth=8 --size=32M \
	--verify=crc32c --do_verify=1
sleep 1
check_fails "modprobe -r dm-restack-noop fails while attached (busybox)" modprobe -r dm-restack-noop
check_fails "modprobe -r dm-restack-noop fails while attached (kmod)" $KMOD_MODPROBE -r dm-restack-noop
check_fails "rmmod dm_restack_noop fails while attached" rmmod dm_restack_noop
check "dm-restack-noop still loaded" test -d /sys/module/dm_restack_noop
is "$(vol_mode vol) $(vol_policy vol)" "attached noop" "volume still attached noop"
check "fio during the removal attempts: no errors" fio_wait "$FIO_PID"

check_fails "modprobe -r dm-restack fails while a volume exists" modprobe -r dm-restack
check "dm-restack still loaded" test -d /sys/module/dm_restack

check "detach" msg vol detach
ref=$(cat /sys/module/dm_restack_noop/refcnt 2>/dev/null)
is "$ref" 0 "dm-restack-noop refcnt 0 after detach"
# kmod's modprobe -r ignores dependencies that stay busy (dm-restack, dm-mod);
# busybox's returns 1 for them even though the module itself went away.
check "modprobe -r dm-restack-noop succeeds after detach (kmod)" $KMOD_MODPROBE -r dm-restack-noop
check "dm-restack-noop is gone" test ! -d /sys/module/dm_restack_noop
check "dm-restack stays (the volume uses it)" test -d /sys/module/dm_restack
check "the volume keeps working detached" \
	fio_run detached --filename=/dev/mapper/vol --rw=randwrite --bs=4k --iodepth=8 --size=8M \
	--verify=crc32c --do_verify=1

# the kernel loads the policy module again on demand
check "attach noop again: module reloaded on demand" msg vol attach noop
check "dm-restack-noop loaded again" test -d /sys/module/dm_restack_noop
check "detach" msg vol detach
modprobe -r dm-restack-noop >/tmp/modprobe.out 2>&1
diag "busybox modprobe -r dm-restack-noop after detach: exit $? $(cat /tmp/modprobe.out)"
check "busybox modprobe -r after detach: dm-restack-noop is gone" test ! -d /sys/module/dm_restack_noop
check "attach noop a third time" msg vol attach noop
check "detach" msg vol detach
check "rmmod dm_restack_noop after detach" rmmod dm_restack_noop

# a table naming a policy loads the module too
check "a table with 'policy noop 0' loads the module" \
	dm_create pvol "0 $(dev_sectors /dev/nb0) restack /dev/nb0 policy noop 0"
is "$(vol_mode pvol) $(vol_policy pvol)" "attached noop" "policy-table volume is attached"
check_fails "rmmod dm_restack_noop fails while the table holds it" rmmod dm_restack_noop
check "remove the policy-table volume" dm_remove pvol
check "rmmod dm_restack_noop once the volume is gone" rmmod dm_restack_noop

# attach of a policy whose module cannot be loaded fails cleanly
check_fails "attach nosuchpolicy fails" msg vol attach nosuchpolicy
is "$(vol_mode vol) $(vol_policy vol)" "detached -" "still detached"

# The tracer module is not a policy: the kernel loads policies by their
# alias dm-restack-policy-<name>, so "attach trace" neither attaches nor
# loads dm-restack-trace.
check "dm-restack-trace not loaded" test ! -d /sys/module/dm_restack_trace
check_fails "attach trace fails (the tracer is not a policy)" msg vol attach trace
check "attach trace did not load dm-restack-trace" test ! -d /sys/module/dm_restack_trace
is "$(vol_mode vol) $(vol_policy vol)" "detached -" "still detached after attach trace"

check "remove volume" dm_remove vol
check "modprobe -r dm-restack once no volume exists" modprobe -r dm-restack
check "dm-restack unloaded" test ! -d /sys/module/dm_restack
check_dmesg_clean "no kernel warnings"
done_testing
