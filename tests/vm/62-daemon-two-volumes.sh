#!/bin/sh
# 62-daemon-two-volumes: one restackd, two volumes with different SLAs over
# two slow origins (dm-delay 10 ms), sharing one fast device.  vol0 must
# reach 1000 IOPS, vol1 a read p50 of 3 ms; neither origin can (8 zipf
# readers each: ~500 IOPS, p50 ~10 ms).  Both must get a cache carved from
# the one fast device, in regions that do not overlap, and meet their own
# SLA; fio verify runs on both throughout, then a full verify of each.
# disks: none
# timeout: 420
. /tests/vm/lib.sh
. /tests/vm/demo/lib-demo.sh

plan 21
load_modules dm-mod dm-restack dm-delay dm-flakey
demo_origin slow0 192 10
demo_origin slow1 192 10
demo_fast 160
cat >"$DEMO_DIR/sla.ini" <<EOF2
$(demo_daemon_section)

[volume vol0]
origin = /dev/mapper/slow0
fast_device = /dev/mapper/fast
max_cache_bytes = 64M
cache_sizes = 64M
min_iops = 1000
modes = wt

[volume vol1]
origin = /dev/mapper/slow1
fast_device = /dev/mapper/fast
max_cache_bytes = 48M
cache_sizes = 32M
read_p50_us = 3000
modes = wt
EOF2
dmesg_mark start
at_exit demo_collect
for v in vol0 vol1; do
	at_exit dm_remove $v
	at_exit dm_remove restack-$v-fast
	at_exit msg $v detach
done

demo_daemon_start "$DEMO_DIR/sla.ini"
check "restackd creates vol0 and vol1" sh -c \
	'. /tests/vm/lib.sh; wait_for_dev /dev/mapper/vol0 100 && wait_for_dev /dev/mapper/vol1 100'
[ -b /dev/mapper/vol0 ] && [ -b /dev/mapper/vol1 ] || { diag_file "$DEMO_DIR/daemon.log"; bail_out "no volumes"; }
demo_zipf_start zipf0 /dev/mapper/vol0 160M --numjobs=8
demo_zipf_start zipf1 /dev/mapper/vol1 160M --numjobs=8

for v in vol0 vol1; do
	check "$v: attached" demo_wait_state $v attached 150
done
for v in vol0 vol1; do
	check "$v: SLA met after the attach" demo_wait_summary $v sla_met_event 120
	is "$(vol_mode $v) $(vol_policy $v)" "attached cache" "$v: the kernel shows the cache attached"
done

# Both carves are dm-linear over the one fast device, in disjoint ranges.
fast=$(dev_majmin /dev/mapper/fast)
t0=$(dmsetup table restack-vol0-fast)
t1=$(dmsetup table restack-vol1-fast)
diag "restack-vol0-fast: $t0" "restack-vol1-fast: $t1" "fast device: $fast"
like "$t0" "^0 [0-9]+ linear $fast [0-9]+\$" "vol0's carve is a linear region of the fast device"
like "$t1" "^0 [0-9]+ linear $fast [0-9]+\$" "vol1's carve is a linear region of the fast device"
disjoint=$(printf '%s\n%s\n' "$t0" "$t1" | awk '{ len[NR] = $2; off[NR] = $5 }
	END { print (off[1] + len[1] <= off[2] || off[2] + len[2] <= off[1]) ? "disjoint" : "overlap" }')
is "$disjoint" disjoint "the two carves do not overlap"
size_ok=$(printf '%s\n%s\n' "$t0" "$t1" | awk -v s="$DEMO_FAST_SECTORS" '{ if ($5 + $2 > s) bad = 1 } END { print bad ? "beyond" : "inside" }')
is "$size_ok" inside "both carves lie inside the fast device"
for v in vol0 vol1; do
	stack=$(demo_json_get "$DEMO_STATE/$v.json" stack)
	like "$stack" "^cache /dev/mapper/restack-$v-fast " "$v: state file names its own carve ($stack)"
done

sleep 6
for v in vol0 vol1; do
	is "$(demo_state $v)" attached "$v: still attached"
done
check "vol0: fio zipf reads verified, no error" demo_fio_stop zipf0
check "vol1: fio zipf reads verified, no error" demo_fio_stop zipf1
check "restackd exits 0 on SIGTERM" demo_daemon_stop
check "vol0: full verify (through the attached cache)" demo_verify_full /dev/mapper/vol0 192M
check "vol1: full verify (through the attached cache)" demo_verify_full /dev/mapper/vol1 192M
for v in vol0 vol1; do
	diag "$v: first violation -> SLA met: $(demo_summary $v t_violation_to_met) s; timeline:"
	demo_timeline $v | sed 's/^/#   /'
done
check_dmesg_clean "no kernel warnings" start
done_testing
