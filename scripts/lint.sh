#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# lint.sh - the kernel's own checks over restack's kernel sources:
#   sparse (make C=2: every file, whether or not it needs rebuilding), and
#   checkpatch.pl --strict from Debian's linux-source of the same series.
# Any warning from either fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${RESTACK_CACHE:=/var/cache/restack}"
: "${KDIR:=$(ls -d /usr/src/linux-headers-*-amd64 | sort -V | tail -n 1)}"
SRC_TARBALL=/usr/src/linux-source-6.1.tar.xz
# Only scripts/ is needed: keep it apart from the full tree KUnit unpacks.
SRC_DIR="$RESTACK_CACHE/checkpatch/linux-source-6.1"

command -v sparse >/dev/null || { echo "lint: sparse is not installed (apt-get install sparse)" >&2; exit 1; }

# checkpatch.pl and the data files it reads come from the kernel source.
if [ ! -f "$SRC_DIR/scripts/checkpatch.pl" ]; then
	[ -f "$SRC_TARBALL" ] || { echo "lint: $SRC_TARBALL missing (apt-get install linux-source-6.1)" >&2; exit 1; }
	mkdir -p "$RESTACK_CACHE/checkpatch"
	tar -xf "$SRC_TARBALL" -C "$RESTACK_CACHE/checkpatch" linux-source-6.1/scripts
fi

status=0

echo "== sparse (make C=2)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
make -s -C "$KDIR" M="$PWD" C=2 CF="-D__CHECK_ENDIAN__" modules >"$log" 2>&1 || status=1
# Kbuild's note about missing vmlinux for BTF is not a diagnostic.
if grep -v -e "Skipping BTF generation" "$log" | grep -E "warning|error" ; then
	status=1
fi
grep -q . "$log" && grep -v -e "Skipping BTF generation" "$log" || true

echo "== checkpatch.pl --strict"
checkpatch() {
	perl "$SRC_DIR/scripts/checkpatch.pl" --strict --no-tree --terse \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG "$@"
}
files=$(ls drivers/md/*.[ch] include/uapi/linux/*.h tests/kunit/*.c | grep -v "\.mod\.c$")
checkpatch -f $files || status=1
# lib/ is compiled into the kernel modules and into tools/ alike, so it
# uses <stdint.h> types, which exist on both sides; u64 and friends do not
# exist in userspace.  That one rule is waived there, nothing else.
checkpatch --ignore PREFER_KERNEL_TYPES -f lib/*.[ch] || status=1

echo "== reStructuredText (docutils): Documentation/*.rst"
# A malformed table or directive renders as an error box: the docs are part
# of the feature, so they must parse.  Debian's python3 (python3-docutils).
for f in Documentation/*.rst; do
	/usr/bin/python3 - "$f" <<'PY' || status=1
import sys, docutils.core, docutils.utils
path = sys.argv[1]
try:
    docutils.core.publish_doctree(open(path, encoding="utf-8").read(),
                                  source_path=path,
                                  settings_overrides={"report_level": 2,
                                                      "halt_level": 2})
except docutils.utils.SystemMessage as e:
    print(e)
    sys.exit(1)
PY
done

if [ $status -eq 0 ]; then
	echo "lint: clean"
else
	echo "lint: FAILED" >&2
fi
exit $status
