#!/bin/bash
# make demo: boot a guest in which restackd meets an SLA by attaching a
# cache and detaches it when the fast device fails (tests/vm/demo/demo.sh,
# narrated live), then draw the timeline and plots on the host.
# Output on the terminal; the guest's logs, event log and MRC in
# build/vm-results/demo/; timeline.txt, summary.txt, perf.png and mrc.png
# in build/demo/.
# Usage: scripts/guest-demo.sh
set -euo pipefail
. "$(dirname "$0")/lib-guest.sh"

ls "$RESTACK_ROOT"/drivers/md/dm-restack.ko >/dev/null 2>&1 ||
	die "drivers/md/dm-restack.ko is not built: run 'make modules' first"
[ -x "$RESTACK_ROOT/tools/restack" ] || die "tools/restack is not built: run 'make tools' first"
RES=$RESTACK_ROOT/build/vm-results/demo
OUT=$RESTACK_ROOT/build/demo
mkdir -p "$RES"
# what the guest copies out: clear the previous run's
rm -rf "$RES"/{events.jsonl,marks.jsonl,daemon.log,sla.ini,mrc,state,fio-iops.log,fio-start,summary.txt}
echo "Building the guest image and booting it (QEMU without KVM: ~15-30 s to boot)..."
set +e
"$(dirname "$0")/guest-run.sh" --follow --quiet -o "$RES" "$RESTACK_ROOT/tests/vm/demo/demo.sh"
rc=$?
set -e
echo
if [ -s "$RES/events.jsonl" ]; then
	echo "Drawing the plots on the host (gnuplot)..."
	if "$(dirname "$0")/demo-plot.sh" -v vol0 "$RES" "$OUT" >/dev/null; then
		echo "  $OUT/timeline.txt   the timeline (guest seconds)"
		echo "  $OUT/summary.txt    the measured figures (key=value)"
		echo "  $OUT/perf.png       IOPS and p99 per daemon window, attach/fault/detach marked"
		[ -e "$OUT/mrc.png" ] && echo "  $OUT/mrc.png        the miss-ratio curve behind the decision"
	else
		echo "Plotting failed (see above)." >&2
		[ "$rc" != 0 ] || rc=1
	fi
else
	echo "The guest left no event log in $RES: nothing to plot." >&2
fi
if [ "$rc" = 0 ]; then
	echo "Demo finished. Guest console log: build/vm-results/demo/console.log"
else
	echo "Demo failed (status $rc). See build/vm-results/demo/{output.txt,daemon.log,console.log}" >&2
fi
exit "$rc"
