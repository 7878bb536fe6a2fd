#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# demo-plot.sh - turn what the demo guest left in its results dir into a
# timeline and PNG plots on the host (gnuplot, pngcairo).
#
# Usage: scripts/demo-plot.sh [-v VOLUME] RESULTS_DIR [OUT_DIR]
#   RESULTS_DIR  build/vm-results/demo (written by tests/vm/demo/demo.sh):
#                events.jsonl (restackd's event log), marks.jsonl (the demo's
#                own marks: fault injection), sla.ini (the daemon's config),
#                mrc/*.csv (the miss-ratio curves: mrc-<vol>-attached.csv, the
#                one behind the attach, and the daemon's last <vol>.mrc.csv),
#                fio-iops.log + fio-start (fio's own IOPS log, optional)
#   OUT_DIR      default build/demo
# Writes OUT_DIR/timeline.txt, summary.txt (key=value, see
# tests/vm/demo/timeline.awk), perf.png (IOPS and p99 per daemon window,
# attach/detach/fault marked, the SLA's IOPS target as a line) and mrc.png
# (the miss-ratio curve behind the first decision, the chosen size marked).
# Exit status 1 if the event log is missing or has no window events.
set -euo pipefail
. "$(dirname "$0")/lib-guest.sh"

VOL=vol0
while [ $# -gt 0 ]; do
	case $1 in
	-v) VOL=$2; shift 2 ;;
	-h|--help) sed -n '4,19p' "$0"; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || die "usage: $0 [-v VOLUME] RESULTS_DIR [OUT_DIR]"
RES=$1
OUT=${2:-$RESTACK_ROOT/build/demo}
AWK=$RESTACK_ROOT/tests/vm/demo/timeline.awk
command -v gnuplot >/dev/null || die "gnuplot not found (apt-get install gnuplot-nox)"
[ -s "$RES/events.jsonl" ] || die "$RES/events.jsonl missing or empty: the daemon wrote no events"
mkdir -p "$OUT"

logs=("$RES/events.jsonl")
[ -s "$RES/marks.jsonl" ] && logs+=("$RES/marks.jsonl")
awk -f "$AWK" -v mode=text -v vol="$VOL" "${logs[@]}" >"$OUT/timeline.txt"
awk -f "$AWK" -v mode=summary -v vol="$VOL" "${logs[@]}" >"$OUT/summary.txt"
awk -f "$AWK" -v mode=windows -v vol="$VOL" "${logs[@]}" >"$OUT/windows.dat"
awk -f "$AWK" -v mode=marks -v vol="$VOL" "${logs[@]}" >"$OUT/marks.dat"
[ -s "$OUT/windows.dat" ] || die "no window events for volume $VOL in $RES/events.jsonl"

# The SLA's targets for the plot's reference lines (absent: no line).
sla_key() {
	[ -r "$RES/sla.ini" ] || return 0
	awk -v vol="$VOL" -v key="$1" '
		/^[ \t]*\[/ { insec = ($0 ~ "\\[volume[ \t]+" vol "[ \t]*\\]") }
		insec && $0 ~ "^[ \t]*" key "[ \t]*=" {
			sub(/^[^=]*=[ \t]*/, ""); sub(/[ \t]*[;#].*$/, ""); print; exit
		}' "$RES/sla.ini"
}
min_iops=$(sla_key min_iops)
read_p99=$(sla_key read_p99_us)

# fio's own per-second IOPS (fio-iops.log: msec, iops, dir, bs[, offset]),
# shifted to the timeline's t0 so both measurements share an axis.
fio_dat=""
t0=$(awk -F'[:,} ]+' '/"event" *: *"start"/ { for (i = 1; i < NF; i++) if ($i ~ /"ts"/) { print $(i + 1); exit } }' "$RES/events.jsonl")
if [ -s "$RES/fio-iops.log" ] && [ -s "$RES/fio-start" ] && [ -n "$t0" ]; then
	fio_dat=$OUT/fio-iops.dat
	awk -F', *' -v start="$(cat "$RES/fio-start")" -v t0="$t0" '
		{ t = int($1 / 1000); s[t] += $2 }
		END { for (t in s) printf("%.3f %d\n", start + t - t0, s[t]) }' \
		"$RES/fio-iops.log" | sort -n >"$fio_dat"
fi

# vertical lines: attach (green), detach (red), injected fault (orange);
# labels at different heights so that close events stay readable
arrows=""
while read -r t what; do
	case $what in
	attach) c="#1a9641"; lab="attach"; y=0.95 ;;
	inject_fault) c="#e66101"; lab="fault"; y=0.87 ;;
	detach) c="#d7191c"; lab="detach"; y=0.79 ;;
	*) continue ;;
	esac
	arrows+="set arrow from $t, graph 0 to $t, graph 1 nohead lw 2 lc rgb '$c' dt 2 front
set label '$lab' at $t, graph $y left offset 0.3,0 tc rgb '$c' front
"
done <"$OUT/marks.dat"

same_p99=$(awk '$3 != "NaN" && $4 != "NaN" && $3 != $4 { d = 1 } END { print d ? 0 : 1 }' "$OUT/windows.dat")
gp=$OUT/perf.gp
{
	echo "set terminal pngcairo size 1200,800 font 'DejaVu Sans,11'"
	echo "set output '$OUT/perf.png'"
	echo "set multiplot layout 2,1 title 'restackd on volume $VOL: daemon windows (guest time)'"
	echo "set termoption noenhanced"
	echo "set grid; set key below horizontal; set xlabel 'guest time since the daemon started (s)'"
	echo "set xrange [0:*]"
	printf '%s' "$arrows"
	echo "set ylabel 'IOPS'; set yrange [0:*]"
	plot="plot '$OUT/windows.dat' using 1:2 with linespoints pt 7 ps 0.6 lw 2 lc rgb '#2b83ba' title 'IOPS (daemon window)'"
	[ -n "$fio_dat" ] && plot+=", '$fio_dat' using 1:2 with lines lw 1 lc rgb '#999999' title 'IOPS (fio, per second)'"
	[ -n "$min_iops" ] && plot+=", $min_iops with lines lw 1 dt 3 lc rgb 'black' title 'SLA min_iops $min_iops'"
	echo "$plot"
	echo "set ylabel 'p99 latency (ms)'; set logscale y; set yrange [*:*]"
	if [ "$same_p99" = 1 ]; then
		# the daemon reported one figure for both (one dm-stats histogram)
		plot="plot '$OUT/windows.dat' using 1:(\$3 > 0 ? \$3 : NaN) with linespoints pt 7 ps 0.6 lw 2 lc rgb '#2b83ba' title 'p99 (the daemon reports the same figure for reads and writes)'"
	else
		plot="plot '$OUT/windows.dat' using 1:(\$3 > 0 ? \$3 : NaN) with linespoints pt 7 ps 0.6 lw 2 lc rgb '#2b83ba' title 'read p99'"
		plot+=", '$OUT/windows.dat' using 1:(\$4 > 0 ? \$4 : NaN) with linespoints pt 5 ps 0.5 lw 1 lc rgb '#abdda4' title 'write p99'"
	fi
	[ -n "$read_p99" ] && plot+=", $read_p99 / 1000.0 with lines lw 1 dt 3 lc rgb 'black' title 'SLA read p99'"
	echo "$plot"
	echo "unset multiplot"
} >"$gp"
gnuplot "$gp" || die "gnuplot failed on $gp"

# The miss-ratio curve behind the first decision for a stack: the decide event names
# its CSV by its guest path; the demo copied it to RESULTS_DIR/mrc/<basename>.
mrc_guest=$(grep -h '"event" *: *"decide"' "$RES/events.jsonl" | grep '"stack" *: *"' | head -n1 |
	sed -n 's/.*"mrc" *: *"\([^"]*\)".*/\1/p')
# The demo keeps the curve of the decision that attached as
# mrc-<vol>-attached.csv (the daemon's own file is rewritten at every decision).
mrc=""
if [ -s "$RES/mrc/mrc-$VOL-attached.csv" ]; then
	mrc=$RES/mrc/mrc-$VOL-attached.csv
elif [ -n "$mrc_guest" ] && [ -s "$RES/mrc/$(basename "$mrc_guest")" ]; then
	mrc=$RES/mrc/$(basename "$mrc_guest")
fi
# xtics for a byte axis: powers of 4 between the curve's ends, in KiB/MiB/GiB
mrc_xtics() {
	awk -F, -v hi="${2:-0}" 'NR > 1 && $1 > 0 { if (!lo || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
	END {
		sep = ""
		for (b = 1024; b <= hi * 4; b *= 4) {
			if (b < lo / 4) continue
			if (b >= 1073741824) l = sprintf("%g GiB", b / 1073741824)
			else if (b >= 1048576) l = sprintf("%g MiB", b / 1048576)
			else l = sprintf("%g KiB", b / 1024)
			printf("%s\"%s\" %.0f", sep, l, b / 1048576 * 1048576); sep = ", "
		}
	}' "$1"
}
if [ -n "$mrc" ]; then
	# chosen size: "cache_bytes" of the decide event if it has one, else
	# the carve the demo saw attached (cache plus metadata)
	chosen=$(grep -h '"event" *: *"decide"' "$RES/events.jsonl" | grep '"stack" *: *"' | head -n1 |
		sed -n 's/.*"cache_bytes" *: *\([0-9][0-9]*\).*/\1/p')
	chosen_what="cache"
	if [ -z "$chosen" ] && [ -s "$RES/marks.jsonl" ]; then
		chosen=$(sed -n 's/.*"carve_bytes" *: *\([0-9][0-9]*\).*/\1/p' "$RES/marks.jsonl" | head -n1)
		chosen_what="carve (cache + metadata)"
	fi
	gp=$OUT/mrc.gp
	{
		echo "set terminal pngcairo size 1000,600 font 'DejaVu Sans,11'"
		echo "set output '$OUT/mrc.png'"
		echo "set datafile separator ','"
		echo "set title 'Miss-ratio curve behind the decision (volume $VOL, $(basename "$mrc"))'"
		echo "set termoption noenhanced"
		echo "set grid; set logscale x 2; set xlabel 'cache size'; set ylabel 'miss ratio'"
		echo "set xtics ($(mrc_xtics "$mrc" "$chosen"))"
		echo "set yrange [0:1.05]; set key bottom left"
		if [ -n "$chosen" ]; then
			echo "set arrow from $chosen, graph 0 to $chosen, graph 1 nohead lw 2 lc rgb '#1a9641' dt 2"
			echo "set label 'chosen $chosen_what: $(awk -v b="$chosen" 'BEGIN { printf("%.1f", b / 1048576) }') MiB' at $chosen, graph 0.9 right offset -0.5,0 tc rgb '#1a9641'"
		fi
		# The curve ends at the profile's distinct blocks: a larger LRU cache
		# misses only first references, so the curve stays flat from there.
		last=$(tail -n1 "$mrc")
		if [ -n "$chosen" ] && [ "${last%%,*}" -lt "$chosen" ] 2>/dev/null; then
			echo "set xrange [*:$chosen * 2]"
			echo "set arrow from ${last%%,*}, ${last#*,} to $chosen * 2, ${last#*,} nohead lw 2 dt 3 lc rgb '#2b83ba'"
			echo "set label 'flat: the whole profile fits' at $chosen / 1.3, ${last#*,} - 0.05 right tc rgb '#2b83ba'"
			echo "set label '(first references miss)' at $chosen / 1.3, ${last#*,} - 0.10 right tc rgb '#2b83ba'"
		fi
		echo "plot '$mrc' every ::1 using 1:2 with linespoints pt 7 ps 0.7 lw 2 lc rgb '#2b83ba' title 'LRU miss ratio of the profile trace'"
	} >"$gp"
	gnuplot "$gp" || die "gnuplot failed on $gp"
else
	note "no miss-ratio curve: ${mrc_guest:-no decide event with an \"mrc\" path} not in $RES/mrc/"
	rm -f "$OUT/mrc.png"
fi
echo "$OUT"
