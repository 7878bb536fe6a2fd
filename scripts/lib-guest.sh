# shellcheck shell=bash
# Shared helpers for the guest harness (scripts/guest-*.sh). Sourced, not run.
#
# Environment knobs (all optional):
#   RESTACK_CACHE     cache dir outside the checkout   (default /var/cache/restack)
#   RESTACK_KVER      guest kernel version              (default: newest /usr/src/linux-headers-*-amd64)
#   RESTACK_VM_BUILD  per-checkout build dir            (default <repo>/build/vm)

RESTACK_ROOT=${RESTACK_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
RESTACK_CACHE=${RESTACK_CACHE:-/var/cache/restack}
RESTACK_GUEST_CACHE=$RESTACK_CACHE/guest
RESTACK_VM_BUILD=${RESTACK_VM_BUILD:-$RESTACK_ROOT/build/vm}

die() { echo "${0##*/}: error: $*" >&2; exit 1; }
note() { echo "${0##*/}: $*" >&2; }

# Guest kernel version: newest Debian amd64 headers installed on the host
# (or the running kernel if its build tree exists, which is not the case on
# machines whose own kernel is not a Debian one).
restack_kver() {
	if [ -n "${RESTACK_KVER:-}" ]; then
		echo "$RESTACK_KVER"
		return
	fi
	if [ -e "/lib/modules/$(uname -r)/build" ] && [[ "$(uname -r)" == *-amd64 ]]; then
		uname -r
		return
	fi
	local h
	h=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sed 's|.*/linux-headers-||' | sort -V | tail -n1)
	[ -n "$h" ] || die "no /usr/src/linux-headers-*-amd64 found; install linux-headers-amd64 (apt-get install linux-headers-amd64)"
	echo "$h"
}

# Copy an ELF binary plus its shared-library closure (ldd) into a staging root.
#   stage_elf <root> <src> <dest-path-inside-root>
stage_elf() {
	local root=$1 src=$2 dst=$3 lib
	mkdir -p "$root/$(dirname "$dst")"
	cp -L "$src" "$root/$dst"
	chmod 0755 "$root/$dst"
	stage_libs "$root" "$src"
}

# Copy the libraries (and the dynamic loader) a binary needs, at their host paths.
stage_libs() {
	local root=$1 src=$2 lib
	# ldd prints "libx.so => /path (addr)" and "/lib64/ld-linux-x86-64.so.2 (addr)"
	if ! ldd "$src" >/dev/null 2>&1; then
		return 0 # static binary
	fi
	ldd "$src" | awk '/=> not found/ { print "MISSING " $1; next }
		/=> \// { print $3; next }
		/^[ \t]*\// { print $1 }' |
	while read -r lib rest; do
		if [ "$lib" = MISSING ]; then
			die "$src needs $rest, which ldd cannot find"
		fi
		[ -e "$root/$lib" ] && continue
		mkdir -p "$root/$(dirname "$lib")"
		cp -L "$lib" "$root/$lib"
	done
}

# Create a merged-/usr skeleton like Debian's.
stage_skeleton() {
	local root=$1 d
	mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,usr/local/bin,dev,proc,sys,tmp,run,host,root,etc,mnt,var/tmp}
	for d in bin sbin lib lib64; do
		[ -e "$root/$d" ] || ln -s "usr/$d" "$root/$d"
	done
	chmod 1777 "$root/tmp" "$root/var/tmp"
}

# cpio (newc) archive of a staging root, owned by root, deterministic order.
make_cpio() {
	local root=$1 out=$2
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out.tmp"
	mv -f "$out.tmp" "$out"
}

# Parse the "# disks:" and "# timeout:" headers of a test script.
test_header() {
	local file=$1 key=$2
	sed -n "1,40s/^#[[:space:]]*$key:[[:space:]]*//p" "$file" | head -n1 | sed 's/[[:space:]]*$//'
}
