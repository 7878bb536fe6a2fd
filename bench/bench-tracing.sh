#!/bin/sh
# bench-tracing.sh - tracing overhead (issue 3), run INSIDE the guest:
# 4k random reads at QD32 on detached restack volumes over one null_blk,
# alternated by altio: untraced (baseline), traced in full by the
# collector, traced with --sample 0.01, recorded by blktrace, and a second
# untraced volume as the A/A noise control.
# disks: none
# timeout: 900
BENCH_DEVICES="restack traced sampled blktraced restack2" \
BENCH_WORKLOADS="rr4k-qd32" \
	exec sh /opt/restack/bench/bench-guest.sh "$@"
