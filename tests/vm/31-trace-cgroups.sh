#!/bin/sh
# 31-trace-cgroups: two fio jobs in two cgroups (io controller enabled, so
# bios carry their issuer's blkcg) run at the same time on one traced
# volume, each in its own region. Every record of a region must carry its
# job's cgroup id (the cgroup directory's inode number), with exactly the
# job's number of I/Os, and the job's process name.
# disks: none
# timeout: 300
. /tests/vm/lib.sh
. /tests/vm/lib-trace.sh

plan 13

load_modules dm-mod dm-restack
brd_create 128
check "restack volume over /dev/ram0" vol_create vol /dev/ram0
cgroup_enable_io
G1=$(cgroup_create g1) || bail_out "cannot create cgroup g1"
G2=$(cgroup_create g2) || bail_out "cannot create cgroup g2"
diag "cgroup ids: g1=$G1 g2=$G2"
check "cgroup ids differ" test "$G1" != "$G2"

check "restack trace starts" trace_start cg vol -o "$T_TMP/cg.rtr"
# job CGROUP NAME FIO-ARGS...: fio inside the cgroup (its workers inherit it)
job() {
	_g=$1
	shift
	sh -c 'echo $$ >/sys/fs/cgroup/'"$_g"'/cgroup.procs && exec "$@"' sh \
		fio --ioengine=libaio --direct=1 --filename=/dev/mapper/vol --bs=4k "$@" \
		>"$T_TMP/fio-$_g.log" 2>&1
}
# g1: 4096 random 4 KiB writes over [0, 16M); g2: 4096 random reads over [32M, 48M)
job g1 --name=w1 --rw=randwrite --iodepth=8 --offset=0 --size=16M &
P1=$!
job g2 --name=r2 --rw=randread --iodepth=8 --offset=32M --size=16M &
P2=$!
check "fio job in g1 (randwrite) succeeds" wait "$P1"
check "fio job in g2 (randread) succeeds" wait "$P2"
check "restack trace stops cleanly" trace_stop cg
diag_file "$T_TMP/trace-cg.err" 10
check "dump --csv" trace_csv "$T_TMP/cg.rtr" "$T_TMP/cg.csv"

# Per region: records, distinct cgroups, distinct ops, distinct names.
region() {
	sed 1d "$T_TMP/cg.csv" | awk -F, -v lo="$1" -v hi="$2" \
		'$3 >= lo && $3 < hi { n++; cg[$9] = 1; op[$2] = 1; c[$11] = 1 }
		 END { s = n + 0; for (k in cg) s = s " cg=" k; for (k in op) s = s " op=" k;
		       for (k in c) s = s " comm=" k; print s }'
}
is "$(region 0 32768)" "4096 cg=$G1 op=W comm=fio" "region of g1: 4096 writes, all attributed to g1"
is "$(region 65536 98304)" "4096 cg=$G2 op=R comm=fio" "region of g2: 4096 reads, all attributed to g2"
is "$(sed 1d "$T_TMP/cg.csv" | wc -l)" 8192 "no other records"
is "$(trace_summary cg drops)" 0 "no drops"
is "$(sed 1d "$T_TMP/cg.csv" | awk -F, '$9 == 0' | wc -l)" 0 "no record without a cgroup"
check_dmesg_clean "no kernel warnings"
done_testing
