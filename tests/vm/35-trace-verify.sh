#!/bin/sh
# 35-trace-verify: starting and stopping tracing while fio writes and
# verifies data (crc32c) on two restack volumes over brd causes no errors:
# repeated short sessions (plain, zstd, sampled; stopped by -w, SIGINT and
# SIGTERM), both volumes traced at once, and the noop policy attached and
# detached in between. Every session must produce a valid trace.
# disks: none
# timeout: 420
. /tests/vm/lib.sh
. /tests/vm/lib-trace.sh

plan 18

load_modules dm-mod dm-restack
modprobe brd rd_nr=2 rd_size=65536 || bail_out "modprobe brd failed"
at_exit rmmod brd
wait_for_dev /dev/ram1 || bail_out "no /dev/ram1"
check "volume a over /dev/ram0" vol_create a /dev/ram0
check "volume b over /dev/ram1" vol_create b /dev/ram1

verify_job="--rw=randwrite --bs=4k --iodepth=16 --size=32M --verify=crc32c --do_verify=1"
# shellcheck disable=SC2086
fio_loop_start va --filename=/dev/mapper/a $verify_job
LA=$FIO_LOOP_PID
# shellcheck disable=SC2086
fio_loop_start vb --filename=/dev/mapper/b $verify_job
LB=$FIO_LOOP_PID
sleep 1

# valid FILE: the trace reads to its END record.
valid() {
	restack dump "$1" >/dev/null
}

i=0
for args in "-w 1" "-w 1 -z" "-w 1 --sample 0.5" "-w 2 --buffer 64K"; do
	i=$((i + 1))
	# shellcheck disable=SC2086
	check "session $i on a ($args): exit 0, valid trace" \
		sh -c "restack trace a -o $T_TMP/a$i.rtr $args 2>$T_TMP/a$i.err && restack dump $T_TMP/a$i.rtr >/dev/null"
done

check "both volumes traced at once" sh -c "
	restack trace a -o $T_TMP/both-a.rtr -w 2 2>/dev/null & pa=\$!
	restack trace /dev/mapper/b -o $T_TMP/both-b.rtr -w 2 -z 2>/dev/null & pb=\$!
	wait \$pa && wait \$pb && restack dump $T_TMP/both-a.rtr >/dev/null &&
	restack dump $T_TMP/both-b.rtr >/dev/null"

check "SIGINT session on b" trace_start int b -o "$T_TMP/int.rtr"
sleep 1
check "attach noop to b while traced" msg b attach noop
sleep 1
check "detach noop from b while traced" msg b detach
check "SIGINT stops it cleanly" trace_stop int
check "and its trace is valid" valid "$T_TMP/int.rtr"

restack trace a -o "$T_TMP/term.rtr" 2>"$T_TMP/term.err" &
tp=$!
sleep 2
kill -TERM "$tp"
check "SIGTERM stops a session cleanly" wait "$tp"
check "and its trace is valid" valid "$T_TMP/term.rtr"

res=$(fio_loop_stop va "$LA")
diag "volume a: fio verify runs/failures: $res"
check "fio verify on a: no failures" test "${res#* }" = 0
resb=$(fio_loop_stop vb "$LB")
diag "volume b: fio verify runs/failures: $resb"
is "${resb#* }" 0 "fio verify on b: no failures"
if [ "${res#* }" != 0 ] || [ "${resb#* }" != 0 ]; then
	fio_loop_faillog va
	fio_loop_faillog vb
fi
is "$(vol_stat a errors) $(vol_stat b errors)" "0 0" "no I/O errors on either volume"
check_dmesg_clean "no kernel warnings"
done_testing
