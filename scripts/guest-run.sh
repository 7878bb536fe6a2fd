#!/bin/bash
# Boot the restack test guest (QEMU, TCG) and run one script in it.
#
# Usage: scripts/guest-run.sh [options] <script.sh>
#        scripts/guest-run.sh [options] --shell
# Options:
#   -o DIR        results dir, also shared with the guest as /host
#                 (default: build/vm-results/<script name>)
#   -t SECONDS    test timeout (default: the script's "# timeout: N" header, else 600)
#   -d "DISKS"    disks to attach (default: the script's "# disks:" header)
#   --no-build    do not rebuild the guest image (use build/vm/initrd.img as is)
#   --follow      print the script's output live on the terminal
#   --shell       interactive shell on the serial console (debugging)
#   --quiet       no progress messages
#
# Disks header: "# disks: origin=1G fast=256M,iops=200"  -> sparse raw files,
# attached as virtio-blk in that order (/dev/vda, /dev/vdb, ...) with the name
# as the virtio serial (/sys/block/vdX/serial). Options after the size map to
# QEMU throttling: iops, iops_rd, iops_wr, bps, bps_rd, bps_wr. "none" = no disks.
#
# Results dir: console.log, output.txt, dmesg.txt, rc, timeout (if any), qemu.log.
# Exit status: the script's own status; 124 on timeout; 125 if the guest died
# without reporting a result.
set -euo pipefail
. "$(dirname "$0")/lib-guest.sh"

OUT="" TIMEOUT="" DISKS="" BUILD=1 FOLLOW=0 SHELLMODE=0 QUIET=0 SCRIPT=""
while [ $# -gt 0 ]; do
	case $1 in
	-o) OUT=$2; shift 2 ;;
	-t) TIMEOUT=$2; shift 2 ;;
	-d) DISKS=$2; shift 2 ;;
	--no-build) BUILD=0; shift ;;
	--follow) FOLLOW=1; shift ;;
	--shell) SHELLMODE=1; shift ;;
	--quiet) QUIET=1; shift ;;
	-h|--help) sed -n '2,24p' "$0"; exit 0 ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) [ -z "$SCRIPT" ] || die "only one script per boot"; SCRIPT=$1; shift ;;
	esac
done
say() { [ "$QUIET" = 1 ] || note "$*"; }

[ -n "$SCRIPT" ] || [ "$SHELLMODE" = 1 ] || die "usage: $0 [options] <script.sh> | --shell"
if [ -n "$SCRIPT" ]; then
	[ -r "$SCRIPT" ] || die "cannot read $SCRIPT"
	name=$(basename "$SCRIPT" .sh)
	[ -n "$DISKS" ] || DISKS=$(test_header "$SCRIPT" disks)
	[ -n "$TIMEOUT" ] || TIMEOUT=$(test_header "$SCRIPT" timeout)
else
	name=shell
fi
TIMEOUT=${TIMEOUT:-600}
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "bad timeout '$TIMEOUT'"
[ "$DISKS" = none ] && DISKS=""

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"

if [ "$BUILD" = 1 ]; then
	eval "$("$(dirname "$0")/guest-image.sh" $([ "$QUIET" = 1 ] && echo -q))"
else
	KVER=$(restack_kver)
	KERNEL=$RESTACK_GUEST_CACHE/kernel-$KVER/boot/vmlinuz-$KVER
	INITRD=$RESTACK_VM_BUILD/initrd.img
fi
[ -r "$KERNEL" ] && [ -r "$INITRD" ] || die "guest image missing ($KERNEL, $INITRD): run scripts/guest-image.sh"

OUT=${OUT:-$RESTACK_ROOT/build/vm-results/$name}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT"/{console.log,output.txt,dmesg.txt,rc,timeout,ps.txt,qemu.log,test.sh}
[ -n "$SCRIPT" ] && cp "$SCRIPT" "$OUT/test.sh"

DISKDIR=$(mktemp -d "${TMPDIR:-/tmp}/restack-disks.XXXXXX")
QPID=""
cleanup() {
	if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then kill "$QPID" 2>/dev/null || true; fi
	rm -rf "$DISKDIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

qargs=()
i=0
for spec in $DISKS; do
	dname=${spec%%=*}
	rest=${spec#*=}
	size=${rest%%,*}
	opts=""
	[ "$rest" != "$size" ] && opts=${rest#*,}
	[[ "$dname" =~ ^[A-Za-z][A-Za-z0-9_]*$ ]] || die "bad disk name in '$spec' (header: # disks: name=SIZE[,iops=N] ...)"
	[[ "$size" =~ ^[0-9]+[KMGT]?$ ]] || die "bad disk size in '$spec'"
	throttle=""
	if [ -n "$opts" ]; then
		IFS=, read -ra kv <<<"$opts"
		for o in "${kv[@]}"; do
			k=${o%%=*} v=${o#*=}
			[[ "$v" =~ ^[0-9]+$ ]] || die "bad value in '$o' (disk $dname)"
			case $k in
			iops) throttle+=",throttling.iops-total=$v" ;;
			iops_rd) throttle+=",throttling.iops-read=$v" ;;
			iops_wr) throttle+=",throttling.iops-write=$v" ;;
			bps) throttle+=",throttling.bps-total=$v" ;;
			bps_rd) throttle+=",throttling.bps-read=$v" ;;
			bps_wr) throttle+=",throttling.bps-write=$v" ;;
			*) die "unknown disk option '$k' (disk $dname); known: iops iops_rd iops_wr bps bps_rd bps_wr" ;;
			esac
		done
	fi
	f=$DISKDIR/$dname.img
	truncate -s "$size" "$f"
	qargs+=(-drive "file=$f,format=raw,if=none,id=disk$i,cache=unsafe,aio=threads$throttle"
		-device "virtio-blk-pci,drive=disk$i,serial=$dname")
	i=$((i + 1))
done

append="console=ttyS0 loglevel=5 panic=-1 log_buf_len=4M restack.timeout=$TIMEOUT"
append+=" tsc=reliable no_timer_check mitigations=off"
# Under TCG the guest's TSC is the host's TSC.  The guest calibrates it
# against the emulated PIT or HPET, which under host load has gone wrong
# (one boot's clock ran 4x fast, and its watchdog fired): when the host
# knows its TSC rate, hand it over instead.
if grep -qw tsc_known_freq /proc/cpuinfo && grep -qw constant_tsc /proc/cpuinfo; then
	tsc_khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
	[ -n "$tsc_khz" ] && [ "$tsc_khz" -gt 0 ] && append+=" tsc_early_khz=$tsc_khz"
fi
[ "$SHELLMODE" = 1 ] && append+=" restack.shell=1"

# TCG threading (RESTACK_TCG_THREAD): "single" runs both vCPUs on one host
# thread.  Multi-threaded TCG has left a vCPU spinning on a kernel text
# site the kernel had just re-patched (a static key flipped by enabling a
# tracepoint while fio ran: soft lockups at restack_map+0x55, whose bytes
# were correct), so the guest tests use "single"; the benchmarks use
# "multi" for the second core (scripts/bench.sh).
tcg_thread=${RESTACK_TCG_THREAD:-single}
case $tcg_thread in
single | multi) ;;
*) die "RESTACK_TCG_THREAD must be single or multi, not '$tcg_thread'" ;;
esac
qemu=(qemu-system-x86_64 -machine pc -accel "tcg,thread=$tcg_thread" -cpu max -smp 2 -m 2048
	-nographic -no-reboot -nodefaults -monitor none
	-kernel "$KERNEL" -initrd "$INITRD" -append "$append"
	"${qargs[@]}"
	-fsdev "local,id=results,path=$OUT,security_model=none"
	-device "virtio-9p-pci,fsdev=results,mount_tag=results")

if [ "$SHELLMODE" = 1 ]; then
	say "interactive guest; 'exit' powers it off"
	"${qemu[@]}" -serial mon:stdio
	exit 0
fi

say "booting guest for ${name} (disks: ${DISKS:-none}; timeout ${TIMEOUT}s; results in $OUT)"
start=$(date +%s)
# Host-side limit: the guest's own watchdog fires at TIMEOUT; give it time to
# boot and to write dmesg, then kill QEMU.
host_limit=$((TIMEOUT + ${RESTACK_HOST_GRACE:-120}))
timeout -k 10 "$host_limit" "${qemu[@]}" -serial "file:$OUT/console.log" \
	</dev/null >"$OUT/qemu.log" 2>&1 &
QPID=$!
if [ "$FOLLOW" = 1 ]; then
	# output.txt appears once the guest mounts the share
	(
		while [ ! -e "$OUT/output.txt" ] && kill -0 "$QPID" 2>/dev/null; do sleep 0.5; done
		exec tail -n +1 --pid="$QPID" -F "$OUT/output.txt" 2>/dev/null
	) &
	FPID=$!
fi
set +e
wait "$QPID"
qrc=$?
set -e
QPID=""
[ "$FOLLOW" = 1 ] && wait "$FPID" 2>/dev/null
elapsed=$(($(date +%s) - start))
echo "$elapsed" >"$OUT/elapsed"

if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	say "HOST TIMEOUT: QEMU killed after ${host_limit}s (test limit ${TIMEOUT}s); see $OUT/console.log"
	echo "host" >"$OUT/timeout"
	exit 124
fi
if [ "$qrc" != 0 ]; then
	say "QEMU exited with status $qrc: $(tail -n3 "$OUT/qemu.log" 2>/dev/null)"
fi
if [ -e "$OUT/timeout" ]; then
	say "GUEST TIMEOUT: ${name} ran longer than ${TIMEOUT}s; see $OUT/console.log"
	exit 124
fi
if [ ! -s "$OUT/rc" ]; then
	say "no result from the guest (crash or panic?); see $OUT/console.log"
	exit 125
fi
rc=$(cat "$OUT/rc")
say "${name}: exit status $rc after ${elapsed}s"
exit "$rc"
