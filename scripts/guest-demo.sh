#!/bin/bash
# Boot a guest and show a restack volume at work: create it over a disk,
# run fio, attach and detach the noop policy live, print the status as it
# goes. Output on the terminal; logs in build/vm-results/demo/.
# Usage: scripts/guest-demo.sh
set -euo pipefail
. "$(dirname "$0")/lib-guest.sh"

ls "$RESTACK_ROOT"/drivers/md/dm-restack.ko >/dev/null 2>&1 ||
	die "drivers/md/dm-restack.ko is not built: run 'make modules' first"
echo "Building the guest image and booting it (QEMU without KVM: ~15 s to boot)..."
set +e
"$(dirname "$0")/guest-run.sh" --follow --quiet -o "$RESTACK_ROOT/build/vm-results/demo" \
	"$RESTACK_ROOT/tests/vm/demo/demo.sh"
rc=$?
set -e
echo
if [ "$rc" = 0 ]; then
	echo "Demo finished. Guest console log: build/vm-results/demo/console.log"
else
	echo "Demo failed (status $rc). See build/vm-results/demo/console.log" >&2
fi
exit "$rc"
