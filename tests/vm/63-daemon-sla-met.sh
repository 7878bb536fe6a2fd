#!/bin/sh
# 63-daemon-sla-met: a volume whose workload meets its SLA detached is left
# alone.  The origin is the same slow one as in the demo (dm-delay 10 ms),
# the SLA a read p99 of 200 ms, which it meets; restackd runs at least 12
# windows and must never profile, decide or attach: no state change, no
# attach event, no carve device, and the volume stays detached.  (61 shows
# the same daemon acting when the SLA is missed.)  The margin is wide on
# purpose: the guest is TCG, and on a loaded 2-core host one run saw window
# p99s of 238-691 ms for this 10 ms origin (200 ms was the SLA then); what
# is tested is the daemon leaving a met SLA alone, not the host's speed.
# disks: none
# timeout: 240
. /tests/vm/lib.sh
. /tests/vm/demo/lib-demo.sh

plan 13
VOL=vol0
load_modules dm-mod dm-restack dm-delay dm-flakey
demo_origin slow0 256 10
demo_fast 64
cat >"$DEMO_DIR/sla.ini" <<EOF2
$(demo_daemon_section)

[volume $VOL]
origin = /dev/mapper/slow0
fast_device = /dev/mapper/fast
max_cache_bytes = 32M
read_p99_us = 2000000
modes = wt
EOF2
dmesg_mark start
at_exit demo_collect
at_exit dm_remove $VOL

demo_daemon_start "$DEMO_DIR/sla.ini"
check "restackd creates /dev/mapper/$VOL" wait_for_dev /dev/mapper/$VOL 100
[ -b /dev/mapper/$VOL ] || { diag_file "$DEMO_DIR/daemon.log"; bail_out "no volume"; }
demo_zipf_start zipf /dev/mapper/$VOL 256M --numjobs=8

# 12 windows with I/O (window_s = 2): wait for them, 60 s at most
n=0
i=0
while [ "$i" -lt 60 ]; do
	n=$(demo_events $VOL window)
	[ "$n" -ge 12 ] && break
	sleep 1
	i=$((i + 1))
done
like "$n" '^(1[2-9]|[2-9][0-9]|[1-9][0-9][0-9])$' "restackd judged at least 12 windows ($n)"
met=$(grep -E "\"volume\":\"$VOL\"" "$DEMO_EVENTS" | grep '"event":"window"' | grep -c '"sla_met":true')
missed=$(grep -E "\"volume\":\"$VOL\"" "$DEMO_EVENTS" | grep '"event":"window"' | grep -c '"sla_met":false')
like "$met" '^([1-9][0-9]+)$' "at least 10 windows met the SLA ($met)"
is "$missed" 0 "no window missed it"
is "$(demo_events $VOL state)" 0 "no state change"
is "$(demo_events $VOL decide)" 0 "no decision"
is "$(demo_events $VOL attach)" 0 "no attach event"
is "$(demo_state $VOL)" detached "state file: detached"
is "$(vol_mode $VOL) $(vol_policy $VOL)" "detached -" "the kernel shows $VOL detached"
check_fails "no carve device" dmsetup info restack-$VOL-fast
check "fio zipf reads: every block verified, no error" demo_fio_stop zipf
check "restackd exits 0 on SIGTERM" demo_daemon_stop
diag "fio zipf: $(demo_fio_summary zipf)"
diag "p99 of the windows (ms): $(awk -f "$DEMO_AWK" -v mode=windows -v vol=$VOL "$DEMO_EVENTS" | awk '{ printf("%s ", $3) }')"
check_dmesg_clean "no kernel warnings" start
done_testing
