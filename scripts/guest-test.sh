#!/bin/bash
# Run guest tests, each in its own QEMU boot, and report TAP (version 13,
# each test's own TAP indented as a subtest).
#
# Usage: scripts/guest-test.sh [-o RESULTS_DIR] [--no-build] [tests...]
#   tests: paths or names (e.g. 03-attach-detach); default tests/vm/[0-9]*.sh
#   -o DIR: where per-test logs go (default build/vm-results)
#
# A test fails if: its TAP has a "not ok" or "Bail out!", it has no plan or
# the plan does not match the tests run, it exits non-zero, it times out, the
# guest dies without a result, or the guest kernel log shows a WARNING, BUG,
# Oops, Call Trace, general protection fault, UBSAN report, hung task
# ("blocked for more than N seconds"), list corruption or refcount_t error.
# Ends with "N passed, N failed"; exits 1 if anything failed.
set -euo pipefail
. "$(dirname "$0")/lib-guest.sh"

RESULTS=$RESTACK_ROOT/build/vm-results
BUILD=1
tests=()
while [ $# -gt 0 ]; do
	case $1 in
	-o) RESULTS=$2; shift 2 ;;
	--no-build) BUILD=0; shift ;;
	-h|--help) sed -n '2,15p' "$0"; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) tests+=("$1"); shift ;;
	esac
done
if [ ${#tests[@]} = 0 ]; then
	for t in "$RESTACK_ROOT"/tests/vm/[0-9]*.sh; do
		[ -e "$t" ] && tests+=("$t")
	done
fi
[ ${#tests[@]} -gt 0 ] || die "no tests found in tests/vm/"
for i in "${!tests[@]}"; do
	t=${tests[$i]}
	if [ ! -e "$t" ] && [ -e "$RESTACK_ROOT/tests/vm/$t" ]; then t=$RESTACK_ROOT/tests/vm/$t; fi
	if [ ! -e "$t" ] && [ -e "$RESTACK_ROOT/tests/vm/$t.sh" ]; then t=$RESTACK_ROOT/tests/vm/$t.sh; fi
	[ -r "$t" ] || die "no such test: ${tests[$i]}"
	tests[$i]=$t
done

mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)

if [ "$BUILD" = 1 ]; then
	"$(dirname "$0")/guest-image.sh" -q >/dev/null || die "building the guest image failed"
fi

# Kernel log lines that fail a test ("blocked for more than" is how the
# hung-task detector reports).
DMESG_BAD='WARNING:|BUG:|Oops|Call Trace|general protection|kernel BUG|UBSAN|hung task|hung_task|blocked for more than [0-9]+ seconds|list_add corruption|list_del corruption|refcount_t:'
# Reported but not failing: stall detectors can fire when the host is
# overloaded and a vCPU thread does not run for a while.
DMESG_NOTE='soft lockup|hard LOCKUP|rcu.*detected stall|rcu.*self-detected stall'

# check_tap FILE: prints failure reasons (one per line); empty = TAP is fine.
check_tap() {
	awk '
	/^(ok|not ok)([ \t]|$)/ {
		n++
		if ($0 ~ /^not ok/) { bad++; print "failed: " $0 }
		if ($0 ~ /# *[Ss][Kk][Ii][Pp]/) skips++
		next
	}
	/^1\.\.[0-9]+/ {
		plans++
		p = $0; sub(/^1\.\./, "", p); sub(/[^0-9].*$/, "", p)
		plan = p + 0
		next
	}
	/^Bail out!/ { print "bailed out: " $0; next }
	END {
		if (plans == 0) print "no TAP plan (1..N)"
		else if (plans > 1) print "more than one TAP plan"
		else if (plan != n + 0) print "plan mismatch: planned " plan ", ran " n + 0
		if (skips) print "note: " skips " skipped"
	}' "$1"
}

start_all=$(date +%s)
N=${#tests[@]}
pass=0 fail=0 idx=0
echo "TAP version 13"
echo "1..$N"
echo "# results in $RESULTS"
for t in "${tests[@]}"; do
	idx=$((idx + 1))
	name=$(basename "$t" .sh)
	out=$RESULTS/$name
	mkdir -p "$out"
	t0=$(date +%s)
	set +e
	"$(dirname "$0")/guest-run.sh" --no-build --quiet -o "$out" "$t" 2>"$out/harness.log"
	rc=$?
	set -e
	secs=$(($(date +%s) - t0))
	reasons=()
	echo "    # Subtest: $name"
	if [ -s "$out/output.txt" ]; then
		# indent the test's TAP; anything else it printed becomes a comment
		sed -e 's/^\(ok\|not ok\|1\.\.\|#\|Bail out!\)/    \1/' \
			-e 't' -e 's/^/    # /' "$out/output.txt" | tr -d '\r'
	fi
	while IFS= read -r line; do
		case $line in
		note:*) echo "    # $line" ;;
		?*) reasons+=("$line") ;;
		esac
	done < <(if [ -s "$out/output.txt" ]; then check_tap "$out/output.txt"; else echo "no output from the test"; fi)
	case $rc in
	0) ;;
	124) reasons+=("timed out ($(cat "$out/timeout" 2>/dev/null | sed 's/^host$/host-side kill/;s/^[0-9]*$/guest-side limit &s/'))") ;;
	125) reasons+=("guest died without a result (panic or crash?)") ;;
	*) reasons+=("test exited with status $rc") ;;
	esac
	# Kernel log: dmesg.txt written by the guest, else the serial console.
	klog=$out/dmesg.txt
	[ -s "$klog" ] || klog=$out/console.log
	if [ -s "$klog" ] && grep -Eq "$DMESG_BAD" "$klog"; then
		reasons+=("kernel log: $(grep -Em1 "$DMESG_BAD" "$klog" | sed 's/^\[[ 0-9.]*\] //')")
		grep -E -A10 "$DMESG_BAD" "$klog" | head -n 30 | sed 's/^/    # dmesg: /'
	fi
	if [ -s "$klog" ] && grep -Eq "$DMESG_NOTE" "$klog"; then
		echo "    # note: kernel log: $(grep -Em1 "$DMESG_NOTE" "$klog" | sed 's/^\[[ 0-9.]*\] //')"
	fi
	for r in "${reasons[@]}"; do echo "# $name: $r"; done
	echo "# $name: ${secs}s"
	if [ ${#reasons[@]} = 0 ]; then
		echo "ok $idx - $name"
		pass=$((pass + 1))
	else
		echo "# $name: logs in $out/"
		echo "not ok $idx - $name"
		fail=$((fail + 1))
	fi
done
total=$(($(date +%s) - start_all))
echo "# total time ${total}s; per-test logs (console.log, output.txt, dmesg.txt) in $RESULTS/"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
