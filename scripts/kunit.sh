#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/kunit.sh - build and run restack's KUnit suites in a UML kernel.
#
# Usage: scripts/kunit.sh [kunit.py run options] [filter_glob]
#        e.g. scripts/kunit.sh 'dm-restack-parse.*'
#
# 1. Makes sure Debian's linux-source-6.1 is unpacked in the cache
#    ($RESTACK_CACHE/linux-source/linux-source-6.1), installing
#    linux-source-6.1 and the build tools with apt-get when missing.
# 2. Links the checkout into that tree as drivers/md/restack-kunit/
#    (symlinks to drivers/md/*.[ch], lib/*.[ch] and tests/kunit/*.[ch], and a Kbuild
#    stub including tests/kunit/Kbuild) plus one "obj-y += restack-kunit/"
#    line in drivers/md/Makefile.
#    Both steps are idempotent and repoint the links at this checkout.
# 3. Runs tools/testing/kunit/kunit.py with ARCH=um in a build directory
#    kept in the cache, so reruns are incremental; prints the KTAP output,
#    kunit.py's parsed results and summary, and a last line
#    "<n> passed, <n> failed".  Exits non-zero if anything failed or no
#    test ran.
#
# Environment:
#   RESTACK_CACHE        cache directory (default /var/cache/restack)
#   RESTACK_KUNIT_BUILD  UML build directory (default $RESTACK_CACHE/kunit-build)
#   JOBS                 make jobs (default: nproc)
#   RESTACK_UNPACK_WAIT  seconds to wait for an unpack another process is
#                        doing in place (default 1800)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CACHE=${RESTACK_CACHE:-/var/cache/restack}
TARBALL=/usr/src/linux-source-6.1.tar.xz
SRC_PARENT=$CACHE/linux-source
KSRC=$SRC_PARENT/linux-source-6.1
BUILD_DIR=${RESTACK_KUNIT_BUILD:-$CACHE/kunit-build}
KUNITCONFIG=$ROOT/tests/kunit/kunitconfig
LINK_NAME=restack-kunit
JOBS=${JOBS:-$(nproc)}
UNPACK_WAIT=${RESTACK_UNPACK_WAIT:-1800}

log() { printf 'kunit.sh: %s\n' "$*"; }
die() { printf 'kunit.sh: error: %s\n' "$*" >&2; exit 2; }

case $ROOT in
*[[:space:]]*) die "checkout path '$ROOT' contains whitespace; kbuild cannot handle it" ;;
esac

# --- 1. packages -------------------------------------------------------------

ensure_packages() {
	local -a pkgs=()
	local cmd sudo=

	[ -f "$TARBALL" ] || pkgs+=(linux-source-6.1)
	for cmd in bc:bc flex:flex bison:bison python3:python3 make:make \
		   gcc:gcc xz:xz-utils tar:tar flock:util-linux perl:perl; do
		command -v "${cmd%%:*}" >/dev/null 2>&1 || pkgs+=("${cmd#*:}")
	done
	[ -f /usr/include/stdio.h ] || pkgs+=(libc6-dev)
	[ ${#pkgs[@]} -eq 0 ] && return 0

	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null 2>&1 ||
			die "missing ${pkgs[*]} and not root (no sudo) to install them"
		sudo=sudo
	fi
	log "installing ${pkgs[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get install -y --no-install-recommends "${pkgs[@]}" ||
		{ $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "${pkgs[@]}"; } ||
		die "apt-get install ${pkgs[*]} failed"
	[ -f "$TARBALL" ] || die "$TARBALL still missing after installing linux-source-6.1"
}

# --- 2. kernel source ----------------------------------------------------------

# "<size> <mtime> <path>" of the tarball: changes when the package is upgraded.
tarball_sig() { stat -c '%s %Y %n' "$TARBALL"; }

# "<size> <path>" of the last regular file in the tarball: tar extracts in
# archive order, so the tree is complete once this file has its full size.
tarball_last_file() {
	xz -dc "$TARBALL" | tar -tvf - |
		awk '$1 ~ /^-/ { last = $3 " " $6 } END { print last }'
}

# tree_complete <dir holding linux-source-6.1> "<size> <path>"
tree_complete() {
	local size=${2%% *} path=${2#* }
	[ -n "$size" ] && [ -f "$1/$path" ] &&
		[ "$(stat -c %s "$1/$path")" = "$size" ]
}

# Did anything in the tree change in the last two minutes (an unpack in progress)?
tree_busy() {
	[ -d "$KSRC" ] && [ -n "$(find "$KSRC" -cmin -2 -print -quit 2>/dev/null)" ]
}

unpack_source() {
	local last=$1 tmp

	tmp=$(mktemp -d "$SRC_PARENT/.unpack.XXXXXX")
	log "unpacking $TARBALL into $SRC_PARENT (about 1.5 GB, a minute or two)"
	if ! xz -dc "$TARBALL" | tar -xf - -C "$tmp"; then
		rm -rf "$tmp"
		die "unpacking $TARBALL failed"
	fi
	if ! tree_complete "$tmp" "$last"; then
		rm -rf "$tmp"
		die "unpacked tree is incomplete (no ${last#* })"
	fi
	if [ -e "$KSRC" ]; then
		mv "$KSRC" "$tmp/old"
	fi
	mv "$tmp/linux-source-6.1" "$KSRC"
	rm -rf "$tmp"
}

ensure_source() {
	local sig stamp=$SRC_PARENT/.restack-unpacked last waited=0

	mkdir -p "$SRC_PARENT"
	exec 8>"$SRC_PARENT/.lock"
	flock 8

	sig=$(tarball_sig)
	if [ -f "$stamp" ] && [ "$(sed -n 1p "$stamp")" = "$sig" ] &&
	   tree_complete "$SRC_PARENT" "$(sed -n 2p "$stamp")"; then
		flock -u 8
		return 0
	fi

	log "checking $KSRC against $TARBALL"
	last=$(tarball_last_file)
	[ -n "$last" ] || die "cannot list $TARBALL"
	while ! tree_complete "$SRC_PARENT" "$last"; do
		if tree_busy; then
			# Someone else is unpacking in place: wait for them.
			[ "$waited" -lt "$UNPACK_WAIT" ] ||
				die "$KSRC still incomplete after ${UNPACK_WAIT}s of waiting"
			[ "$waited" -gt 0 ] || log "$KSRC is being unpacked by another process; waiting"
			sleep 10
			waited=$((waited + 10))
			continue
		fi
		unpack_source "$last"
	done
	printf '%s\n%s\n' "$sig" "$last" >"$stamp.tmp"
	mv "$stamp.tmp" "$stamp"
	flock -u 8
}

# --- 3. link the checkout into the tree ----------------------------------------

link_checkout() {
	local dir=$KSRC/drivers/md/$LINK_NAME mf=$KSRC/drivers/md/Makefile
	local line="obj-y += $LINK_NAME/" f base
	local -A seen=()

	# The folder holds nothing but our links and a Kbuild stub: recreate
	# it from scratch so links to files gone from the checkout disappear.
	rm -rf "$dir"
	mkdir "$dir"
	# A real file, not a link: once this checkout is gone (CI clones to a
	# temporary path) other builds of the tree still find an inert Kbuild.
	cat >"$dir/Kbuild" <<-'EOF'
	# Generated by restack's scripts/kunit.sh, which passes RESTACK_SRC=<checkout>.
	# Without RESTACK_SRC nothing here is built.
	ifneq ($(RESTACK_SRC),)
	include $(RESTACK_SRC)/tests/kunit/Kbuild
	endif
	EOF
	for f in "$ROOT"/drivers/md/*.[ch] "$ROOT"/lib/*.[ch] "$ROOT"/tests/kunit/*.[ch]; do
		[ -f "$f" ] || continue
		base=${f##*/}
		case $base in *.mod.c) continue ;; esac	# modpost output of a module build
		[ -z "${seen[$base]:-}" ] ||
			die "two sources named $base: ${seen[$base]} and $f"
		seen[$base]=$f
		ln -s "$f" "$dir/$base"
	done

	if ! grep -qxF "$line" "$mf"; then
		printf '\n# restack KUnit suites (linked in by restack scripts/kunit.sh)\n%s\n' \
			"$line" >>"$mf"
	fi
}

# A build directory belongs to one unpacked tree: the tarball preserves
# file times, so a newly unpacked tree can look older than stale objects.
check_build_dir() {
	local stamp=$BUILD_DIR/.restack-source-stamp sig

	sig=$(sed -n 1p "$SRC_PARENT/.restack-unpacked")
	if [ -d "$BUILD_DIR" ] && [ "$(cat "$stamp" 2>/dev/null)" != "$sig" ] &&
	   [ -e "$BUILD_DIR/.config" ]; then
		log "kernel source changed: discarding $BUILD_DIR"
		rm -rf "$BUILD_DIR"
	fi
	mkdir -p "$BUILD_DIR"
	printf '%s\n' "$sig" >"$stamp"
}

# --- 4. run --------------------------------------------------------------------

# Print "<passed> <failed> <skipped>" from kunit.py's JSON results.
count_results() {
	python3 - "$1" <<'EOF'
import json, sys

def walk(group):
    passed = failed = skipped = 0
    for case in group.get("test_cases", []):
        status = case.get("status")
        if status == "PASS":
            passed += 1
        elif status == "SKIP":
            skipped += 1
        else:
            failed += 1
    for sub in group.get("sub_groups", []):
        p, f, s = walk(sub)
        passed += p
        failed += f
        skipped += s
    return passed, failed, skipped

with open(sys.argv[1]) as f:
    print(*walk(json.load(f)))
EOF
}

main() {
	local kunit_py results log_file rc=0 run_rc parse_rc passed failed skipped

	ensure_packages
	ensure_source

	# One run at a time per tree: the links in it point at one checkout.
	exec 9>"$SRC_PARENT/.kunit.lock"
	if ! flock -n 9; then
		log "waiting for another kunit run on $KSRC"
		flock 9
	fi
	link_checkout
	check_build_dir

	kunit_py=$KSRC/tools/testing/kunit/kunit.py
	results=$BUILD_DIR/restack-results.json
	log_file=$BUILD_DIR/test.log
	rm -f "$results" "$log_file"

	log "checkout $ROOT, build directory $BUILD_DIR"
	set +e
	python3 "$kunit_py" run --arch=um --kunitconfig="$KUNITCONFIG" \
		--build_dir="$BUILD_DIR" --jobs="$JOBS" \
		--make_options="RESTACK_SRC=$ROOT" --raw_output=kunit "$@" 8>&- 9>&-
	run_rc=$?
	set -e
	if [ ! -s "$log_file" ]; then
		log "no test output: configuring or building the UML kernel failed (kunit.py exit $run_rc)"
		log "(files in $KSRC/drivers/md/$LINK_NAME/ are symlinks into $ROOT)"
		exit 1
	fi

	echo
	set +e
	python3 "$kunit_py" parse --json="$results" "$log_file" 8>&- 9>&-
	parse_rc=$?
	set -e

	read -r passed failed skipped < <(count_results "$results") ||
		die "cannot read $results"
	[ "$skipped" -eq 0 ] || echo "$skipped skipped"
	echo "$passed passed, $failed failed"

	[ "$run_rc" -eq 0 ] || rc=1
	[ "$parse_rc" -eq 0 ] || rc=1
	[ "$failed" -eq 0 ] || rc=1
	[ "$passed" -gt 0 ] || rc=1
	exit "$rc"
}

main "$@"
