#!/bin/bash
# Build the QEMU guest used by the VM tests: a Debian kernel plus a busybox
# initramfs made of two concatenated cpio archives:
#   base    (cached in $RESTACK_CACHE/guest, rebuilt only when its inputs change):
#           busybox-static, dmsetup, fio, blktrace, blkparse + shared libs,
#           kernel modules (dm-*, null_blk, brd, virtio, 9p, ...) with depmod.
#   overlay (rebuilt on every run, in build/vm/): /init, the project's
#           drivers/md/*.ko under lib/modules/$KVER/extra with a fresh depmod,
#           tools/restack, bench/ and tests/helpers/ (under /opt/restack),
#           tests/vm/.
#
# Usage: scripts/guest-image.sh [-q]
# Prints (on stdout) shell assignments: KVER=... KERNEL=... INITRD=...
set -euo pipefail
. "$(dirname "$0")/lib-guest.sh"

QUIET=0
[ "${1:-}" = "-q" ] && QUIET=1
say() { [ "$QUIET" = 1 ] || note "$*"; }

KVER=$(restack_kver)
G=$RESTACK_GUEST_CACHE
mkdir -p "$G" "$RESTACK_VM_BUILD"

# Kernel modules the guest tests need (closure is added from modules.dep).
GUEST_MODULES="dm-mod dm-log-writes dm-delay dm-flakey dm-zero dm-cache dm-cache-smq
dm-writecache null_blk brd loop configfs virtio_ring virtio virtio_pci_legacy_dev
virtio_pci_modern_dev virtio_pci virtio_blk 9pnet 9pnet_virtio 9p crc32c_generic
libcrc32c bcache ext4"
# Userspace programs copied from the host (with their shared libraries).
GUEST_PROGS="dmsetup fio blktrace blkparse blkdiscard losetup mkfs.ext4 swapon swapoff mkswap kmod
make-bcache"

exec 9>"$G/.lock"
flock 9

# ---------------------------------------------------------------- kernel .deb
find_deb() {
	ls -t "$RESTACK_CACHE"/linux-image-"$KVER"_*_amd64.deb "$G"/linux-image-"$KVER"_*_amd64.deb 2>/dev/null | head -n1 || true
}
DEB=$(find_deb)
if [ -z "$DEB" ]; then
	say "fetching linux-image-$KVER (apt-get download) into $RESTACK_CACHE"
	# apt-get download writes into the current dir and drops privileges to _apt:
	# use a dir _apt can write to, then move the file into the cache.
	dl=$(mktemp -d /tmp/restack-deb.XXXXXX)
	chmod 0777 "$dl"
	if ! (cd "$dl" && apt-get download -q "linux-image-$KVER" >&2); then
		say "apt-get download failed; running apt-get update and retrying"
		apt-get update -q >&2 || true
		(cd "$dl" && apt-get download -q "linux-image-$KVER" >&2) ||
			die "cannot download linux-image-$KVER (needed for the guest kernel)"
	fi
	mv "$dl"/linux-image-"$KVER"_*.deb "$RESTACK_CACHE"/
	rmdir "$dl" || true
	DEB=$(find_deb)
	[ -n "$DEB" ] || die "linux-image-$KVER .deb not found after download"
fi

# ------------------------------------------------------- extracted kernel tree
KROOT=$G/kernel-$KVER
deb_id="$(basename "$DEB") $(stat -c %s "$DEB")"
if [ "$(cat "$KROOT/.deb-id" 2>/dev/null)" != "$deb_id" ]; then
	say "extracting $(basename "$DEB")"
	rm -rf "$KROOT" "$KROOT.tmp"
	mkdir -p "$KROOT.tmp"
	dpkg -x "$DEB" "$KROOT.tmp"
	depmod -b "$KROOT.tmp" "$KVER"
	echo "$deb_id" >"$KROOT.tmp/.deb-id"
	mv "$KROOT.tmp" "$KROOT"
fi
KERNEL=$KROOT/boot/vmlinuz-$KVER
[ -r "$KERNEL" ] || die "$KERNEL missing from $(basename "$DEB")"

# ----------------------------------------------------------- base initramfs
BASE=$G/base-$KVER.cpio
BASEROOT=$G/base-root-$KVER
progs=""
[ -x /usr/bin/busybox ] || die "/usr/bin/busybox not found (apt-get install busybox-static)"
for p in $GUEST_PROGS; do
	path=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$p") ||
		die "$p not found on the host (apt-get install dmsetup fio blktrace util-linux mount e2fsprogs bcache-tools)"
	# staged under the name it is called by (mkfs.ext4 -> mke2fs is a
	# link on the host; the copy must keep the name, mke2fs reads argv[0])
	progs="$progs $path"
done
stamp=$( {
	echo "kver=$KVER deb=$deb_id"
	echo "modules=$GUEST_MODULES"
	echo "$progs"
	sha256sum /usr/bin/busybox $progs
	sha256sum "$0" "$(dirname "$0")/lib-guest.sh"
} | sha256sum | cut -d' ' -f1)

if [ "$(cat "$BASE.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -s "$BASE" ] || [ ! -d "$BASEROOT" ]; then
	say "building base initramfs for $KVER"
	R=$BASEROOT.tmp
	rm -rf "$R"
	stage_skeleton "$R"
	# busybox and its applet links (the kernel's request_module runs /sbin/modprobe)
	cp /usr/bin/busybox "$R/usr/bin/busybox"
	/usr/bin/busybox --list-full | while read -r a; do
		[ -e "$R/$a" ] || [ -L "$R/$a" ] || ln -s /usr/bin/busybox "$R/$a"
	done
	for p in $progs; do
		rm -f "$R$p"
		stage_elf "$R" "$p" "$p"
	done
	# kmod's modprobe/rmmod/lsmod as an alternative to busybox's (the
	# kernel's request_module uses busybox's /sbin/modprobe)
	mkdir -p "$R/usr/lib/kmod/bin"
	for a in modprobe rmmod insmod lsmod modinfo; do
		ln -s /usr/bin/kmod "$R/usr/lib/kmod/bin/$a"
	done
	# kernel modules + dependency closure
	M=lib/modules/$KVER
	mkdir -p "$R/usr/$M"
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		cp "$KROOT/$M/$f" "$R/usr/$M/"
	done
	for m in $GUEST_MODULES; do
		deps=$(modprobe -d "$KROOT" -S "$KVER" --show-depends "$m" 2>&1) ||
			die "module $m: $deps"
		echo "$deps" | while read -r kind path _; do
			case $kind in
			insmod)
				rel=${path#"$KROOT"/}
				mkdir -p "$R/usr/$(dirname "$rel")"
				cp "$path" "$R/usr/$rel"
				;;
			builtin) ;;
			*) die "module $m: unexpected modprobe output: $kind $path" ;;
			esac
		done
	done
	depmod -b "$R/usr" "$KVER"
	mkdir -p "$R/etc"
	echo "root:x:0:0:root:/root:/bin/sh" >"$R/etc/passwd"
	echo "root:x:0:" >"$R/etc/group"
	echo "restack-guest" >"$R/etc/hostname"
	mknod -m 0600 "$R/dev/console" c 5 1
	mknod -m 0666 "$R/dev/null" c 1 3
	make_cpio "$R" "$BASE"
	rm -rf "$BASEROOT"
	mv "$R" "$BASEROOT"
	echo "$stamp" >"$BASE.stamp"
	say "base initramfs: $BASE ($(du -h "$BASE" | cut -f1))"
fi

# ---------------------------------------------------------- project overlay
O=$RESTACK_VM_BUILD/overlay-root
OVL=$RESTACK_VM_BUILD/overlay.cpio
INITRD=$RESTACK_VM_BUILD/initrd.img
rm -rf "$O"
mkdir -p "$O"
install -m 0755 "$RESTACK_ROOT/scripts/guest-init.sh" "$O/init"

M=lib/modules/$KVER
# depmod needs every module, so build the tree from hard links to the base
# staging tree plus the project's modules, and ship only the new index files
# and extra/ in the overlay.
D=$RESTACK_VM_BUILD/depmod-root
rm -rf "$D"
mkdir -p "$D/lib/modules"
cp -al "$BASEROOT/usr/$M" "$D/$M"
rm -f "$D/$M"/modules.dep* "$D/$M"/modules.alias* "$D/$M"/modules.symbols* "$D/$M"/modules.softdep "$D/$M"/modules.devname
kos=$(ls "$RESTACK_ROOT"/drivers/md/*.ko 2>/dev/null || true)
if [ -n "$kos" ]; then
	mkdir -p "$D/$M/extra" "$O/usr/$M/extra"
	for k in $kos; do
		vm=$(modinfo -F vermagic "$k" | awk '{print $1}')
		[ "$vm" = "$KVER" ] || die "$k was built for '$vm', guest kernel is $KVER (rebuild: make modules)"
		cp "$k" "$D/$M/extra/"
		cp "$k" "$O/usr/$M/extra/"
	done
	say "project modules: $(for k in $kos; do basename "$k"; done | tr '\n' ' ')"
else
	say "no drivers/md/*.ko built yet (make modules); guest gets stock modules only"
fi
depmod -b "$D" "$KVER"
mkdir -p "$O/usr/$M"
cp "$D/$M"/modules.* "$O/usr/$M/"
rm -rf "$D"

# userspace tools, benchmarks and the guest tests' helper programs, if
# built; a file at <dir>/<name> in the repository is /opt/restack/<dir>/<name>
# in the guest
if [ -x "$RESTACK_ROOT/tools/restack" ] && [ -f "$RESTACK_ROOT/tools/restack" ]; then
	stage_elf "$O" "$RESTACK_ROOT/tools/restack" /usr/local/bin/restack
fi
for dir in bench tests/helpers; do
	[ -d "$RESTACK_ROOT/$dir" ] || continue
	find "$RESTACK_ROOT/$dir" -maxdepth 2 -type f \( -perm -u+x -o -name '*.fio' -o -name '*.sh' -o -name '*.ini' -o -name '*.conf' \) |
	while read -r f; do
		rel=${f#"$RESTACK_ROOT"/}
		mkdir -p "$O/opt/restack/$(dirname "$rel")"
		cp "$f" "$O/opt/restack/$rel"
		if [ -x "$f" ] && head -c4 "$f" | grep -q ELF; then
			stage_libs "$O" "$f"
		fi
	done
done
# stage_libs may have created lib/lib64 as real dirs: fold them into usr/
# (in the base, /lib and /lib64 are symlinks to usr/)
for d in lib lib64; do
	if [ -d "$O/$d" ] && [ ! -L "$O/$d" ]; then
		mkdir -p "$O/usr/$d"
		cp -a "$O/$d/." "$O/usr/$d/"
		rm -rf "${O:?}/$d"
	fi
done
# shared libraries already in the base need not be shipped twice
(cd "$O" && find usr/lib/x86_64-linux-gnu usr/lib64 -type f 2>/dev/null || true) | while read -r f; do
	if [ -e "$BASEROOT/$f" ]; then rm -f "${O:?}/$f"; fi
done
mkdir -p "$O/tests"
cp -r "$RESTACK_ROOT/tests/vm" "$O/tests/vm"
make_cpio "$O" "$OVL"
cat "$G/base-$KVER.cpio" "$OVL" >"$INITRD.tmp"
mv -f "$INITRD.tmp" "$INITRD"

echo "KVER=$KVER"
echo "KERNEL=$KERNEL"
echo "INITRD=$INITRD"
