#!/bin/sh
# 32-trace-noop: physical addresses in the trace. Writes while detached are
# passed through; then the noop policy is attached (live, traced) and the
# writes go through the policy: records carry result "origin", the origin's
# device and the same sector; after detach, passthrough again. Each phase
# writes its own region, so every record can be checked.
# disks: none
# timeout: 300
. /tests/vm/lib.sh
. /tests/vm/lib-trace.sh

plan 14

load_modules dm-mod dm-restack
brd_create 64
check "restack volume over /dev/ram0" vol_create vol /dev/ram0
ORIG=$(dev_majmin /dev/ram0)

check "restack trace starts" trace_start noop vol -o "$T_TMP/noop.rtr"
w() {
	fio_run "$1" --filename=/dev/mapper/vol --rw=write --bs=4k --iodepth=4 \
		--offset="$2" --size=2M
}
check "detached: 512 writes at 0" w detached 0
check "attach noop while traced" msg vol attach noop
is "$(vol_mode vol) $(vol_policy vol)" "attached noop" "status: attached noop"
check "attached: 512 writes at 4M" w attached 4M
check "detach while traced" msg vol detach
check "detached again: 512 writes at 8M" w after 8M
check "restack trace stops cleanly" trace_stop noop
check "dump --csv" trace_csv "$T_TMP/noop.rtr" "$T_TMP/noop.csv"

# region LO HI: "<n> <result>... <bad>" where bad counts records whose
# physical device/sector differ from the origin's/the virtual sector.
region() {
	sed 1d "$T_TMP/noop.csv" | awk -F, -v lo="$1" -v hi="$2" -v o="$ORIG" \
		'$3 >= lo && $3 < hi { n++; res[$8] = 1; if ($5 != o || $6 != $3) bad++ }
		 END { s = n + 0; for (k in res) s = s " " k; print s " bad=" bad + 0 }'
}
is "$(region 0 4096)" "512 passthrough bad=0" "detached: 512 passthrough records, origin $ORIG, same sector"
is "$(region 8192 12288)" "512 origin bad=0" "noop: 512 records with result origin, physical $ORIG and sector filled in"
is "$(region 16384 20480)" "512 passthrough bad=0" "after detach: 512 passthrough records"
check_dmesg_clean "no kernel warnings"
done_testing
