#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# install-deps.sh - install, from Debian's packages, everything restack
# needs to build, test and demo on a fresh Debian 12 machine.  Idempotent.
set -euo pipefail

PACKAGES=(
	# kernel modules: Kbuild tree of Debian's kernel, and the kernel's checks
	linux-headers-amd64 linux-source-6.1 sparse
	# KUnit on UML
	bc flex bison python3 libelf-dev libssl-dev
	# the guest: QEMU, busybox, and what runs inside
	qemu-system-x86 busybox-static fio blktrace dmsetup kmod cpio xz-utils
	# the cache benchmark's bcache stack (make-bcache in the guest)
	bcache-tools
	# tools
	build-essential pkg-config clang libdevmapper-dev libkmod-dev
	libinih-dev libzstd-dev libcmocka-dev valgrind
	# documentation: scripts/lint.sh parses Documentation/*.rst
	python3-docutils
	# plots: restack report --plot, make demo (pngcairo)
	gnuplot-nox
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "install-deps: all ${#PACKAGES[@]} packages present"
