#!/bin/sh
# demo: a restack volume at work, narrated. Run by "make demo"
# (scripts/guest-demo.sh); not part of the test suite.
# disks: origin=512M
# timeout: 300
. /tests/vm/lib.sh

say() { printf '\n== %s\n' "$*"; }
# run 'COMMAND LINE': show it, run it, indent its output
run() {
	printf '   $ %s\n' "$1"
	eval "$1" 2>&1 | sed 's/^/     /'
}
# show: the volume's status line, one counter per column
show() {
	dmsetup status vol | awk -v label="$1" '{
		printf "   [%-9s] mode=%-9s policy=%-5s", label, $4, $5
		for (i = 6; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] ~ /^(reads|writes|flushes|inflight|errors|attaches|detaches)$/)
				printf " %s=%s", kv[1], kv[2]
		}
		printf "\n"
	}'
}
# watch SECONDS LABEL: show the status every second
watch_status() {
	i=0
	while [ "$i" -lt "$1" ]; do
		show "$2"
		sleep 1
		i=$((i + 1))
	done
}

say "restack demo on Linux $(uname -r) (QEMU guest, TCG)"
ORIGIN=$(disk origin) || { echo "no origin disk"; exit 1; }
echo "   The origin is $ORIGIN, a $(($(dev_sectors "$ORIGIN") / 2048)) MiB virtio disk."

say "Load the restack target"
run "modprobe dm-restack"
run "dmsetup targets | grep restack"

say "Create a volume over the origin: detached, every bio passes straight through"
run "dmsetup create vol --table '0 $(dev_sectors "$ORIGIN") restack $ORIGIN'"
dmsetup mknodes vol
run "dmsetup table vol"
run "dmsetup status vol"

say "Start a workload: fio, 4k random 70% reads / 30% writes, QD16, for 36 s"
fio --name=demo --filename=/dev/mapper/vol --ioengine=libaio --direct=1 \
	--rw=randrw --rwmixread=70 --bs=4k --iodepth=16 --size=256M \
	--time_based --runtime=36 --group_reporting >/tmp/fio-demo.log 2>&1 &
FIO=$!
sleep 2
watch_status 6 detached

say "Attach the noop policy live (no suspend; fio keeps running)"
run "dmsetup message vol 0 attach noop"
echo "   Now every bio goes through the policy module, which sends it on to the origin:"
run "lsmod | grep -E '^dm_restack'"
run "dmsetup table vol"
watch_status 8 attached

say "A peek at the tracepoints: three completed bios with their workload and latency"
T=/sys/kernel/tracing
echo 1 >$T/events/restack/restack_complete/enable
sleep 1
echo 0 >$T/events/restack/restack_complete/enable
grep restack_complete $T/trace | head -n 3 | sed 's/^ */     /' | cut -c1-200
echo >$T/trace

say "Detach live: the volume is back to pass-through"
run "dmsetup message vol 0 detach"
watch_status 6 detached

say "Detached volumes refuse a detach, and the reason is in the kernel log"
run "dmsetup message vol 0 detach"
dmesg | grep 'device-mapper: restack' | tail -n 1 | sed 's/^/     /'

say "Waiting for fio to finish"
wait $FIO
echo "   fio exit status $?"
grep -E '^ *(read|write): IOPS|err=' /tmp/fio-demo.log | sed 's/^ */     /'

say "Final status"
run "dmsetup status vol"
run "dmsetup remove vol"
say "Done."
