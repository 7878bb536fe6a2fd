#!/bin/sh
# /init of the restack test guest (busybox ash). Installed by scripts/guest-image.sh.
#
# Kernel command line parameters (dotted, so the kernel ignores them):
#   restack.run=<path>     script to run (default /host/test.sh on the 9p share)
#   restack.timeout=<s>    guest-side limit for the script (default 600)
#   restack.shell=1        interactive shell on the console instead of a script
# Results written to the share (/host): output.txt (script stdout+stderr),
# rc (exit status), dmesg.txt, and "timeout" if the guest-side limit fired.
# The guest always powers off at the end (poweroff -f), also after a timeout.

export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-vt100}
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
hostname restack-guest

say() { echo "restack-init: $*"; }

modprobe configfs && mount -t configfs configfs /sys/kernel/config
# Order matters (PLATFORM.md): virtio core and PCI transport before the
# device drivers; modprobe resolves the rest from modules.dep.
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci \
	virtio_blk 9pnet 9pnet_virtio 9p; do
	modprobe "$m" || say "modprobe $m failed"
done

run=/host/test.sh
timeout=600
shell=0
for arg in $(cat /proc/cmdline); do
	case $arg in
	restack.run=*) run=${arg#*=} ;;
	restack.timeout=*) timeout=${arg#*=} ;;
	restack.shell=1) shell=1 ;;
	esac
done

share=0
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=none results /host; then
	share=1
else
	say "could not mount the 9p share 'results' at /host"
fi

finish() {
	dmesg -s 4194304 >/tmp/dmesg.txt 2>/dev/null || dmesg >/tmp/dmesg.txt
	if [ "$share" = 1 ]; then
		cp /tmp/dmesg.txt /host/dmesg.txt
		sync
		umount /host 2>/dev/null
	fi
	say "powering off"
	sync
	poweroff -f
	sleep 5
	echo o >/proc/sysrq-trigger
}

if [ "$shell" = 1 ]; then
	say "interactive shell; tests are in /tests/vm, the share is at /host; exit to power off"
	setsid cttyhack sh -l
	finish
fi

if [ "$share" != 1 ] && [ ! -r "$run" ]; then
	say "no share and no $run: nothing to run"
	finish
fi

export RESTACK_SHARE=/host RESTACK_TEST_TIMEOUT=$timeout
# Guest-side watchdog: even if the test hangs (or a task is stuck in the
# kernel), write what we have and power off.
(
	sleep "$timeout"
	say "TIMEOUT: $run still running after ${timeout}s; killing it and powering off"
	echo "$timeout" >/host/timeout
	echo "restack-init: TIMEOUT after ${timeout}s" >/dev/kmsg
	ps >/host/ps.txt 2>&1
	echo w >/proc/sysrq-trigger # blocked tasks to dmesg
	finish
) &
wd=$!

say "running $run (timeout ${timeout}s)"
echo "restack-init: test start" >/dev/kmsg
: >/host/output.txt
tail -f /host/output.txt 2>/dev/null &
tailpid=$!
cd /tmp
sh "$run" >>/host/output.txt 2>&1 </dev/null
rc=$?
echo "restack-init: test end rc=$rc" >/dev/kmsg
sleep 1
kill "$tailpid" 2>/dev/null
kill "$wd" 2>/dev/null
echo "$rc" >/host/rc
say "test exited with status $rc"
finish
