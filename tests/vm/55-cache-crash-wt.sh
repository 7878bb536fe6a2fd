#!/bin/sh
# 55-cache-crash-wt: the crash-consistency test of 53-cache-crash with the
# cache in write-through mode (fewer writes and crash points: the wb run
# is the main one).  In wt every write reaches the origin, and the cached
# copies must never be older than what was acknowledged: flushes and FUA
# writes complete only after a commit has made the copies durable.
# disks: log=1G
# timeout: 720
CRASH_MODE=wt
CRASH_OPS=800
CRASH_MIN_POINTS=100
. /tests/vm/53-cache-crash.sh
