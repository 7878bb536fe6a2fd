/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_events.h - tracepoints of the restack target.
 *
 * Three events per bio, all carrying the volume's view of it (the virtual
 * sector on the volume) and who issued it (cgroup id, pid):
 *
 *   restack_map       the target received the bio
 *   restack_remap     a device and sector were chosen for it
 *   restack_complete  it completed; with latency and status
 *
 * They are exported for the tracer module (dm-restack-trace.ko) and can be
 * watched with trace-cmd, perf or bpftrace.  Disabled, each costs a static
 * branch.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM restack

#if !defined(_TRACE_DM_RESTACK_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_DM_RESTACK_H

#include <linux/blktrace_api.h>
#include <linux/tracepoint.h>

#include "dm-restack-policy.h"

#ifndef RWBS_LEN
#define RWBS_LEN 8
#endif

DECLARE_EVENT_CLASS(restack_io_class,
		    TP_PROTO(dev_t vol, const struct dm_restack_io *io,
			     u64 latency_ns, int error),
		    TP_ARGS(vol, io, latency_ns, error),
		    TP_STRUCT__entry(__field(dev_t, vol)
				     __field(sector_t, virt_sector)
				     __field(u32, nr_sectors)
				     __field(u32, opf)
				     __field(dev_t, phys_dev)
				     __field(sector_t, phys_sector)
				     __field(u64, cgroup_id)
				     __field(pid_t, pid)
				     __field(u32, inflight)
				     __field(u8, result)
				     __field(u64, latency_ns)
				     __field(int, error)
				     __array(char, rwbs, RWBS_LEN)),
		    TP_fast_assign(__entry->vol = vol;
				   __entry->virt_sector = io->virt_sector;
				   __entry->nr_sectors = io->nr_sectors;
				   __entry->opf = (__force u32)io->opf;
				   __entry->phys_dev = io->phys_dev;
				   __entry->phys_sector = io->phys_sector;
				   __entry->cgroup_id = io->cgroup_id;
				   __entry->pid = io->pid;
				   __entry->inflight = io->inflight;
				   __entry->result = io->result;
				   __entry->latency_ns = latency_ns;
				   __entry->error = error;
				   blk_fill_rwbs(__entry->rwbs, io->opf);),
		    TP_printk("%d,%d %s %llu + %u -> %d,%d %llu result=%u cgroup=%llu pid=%d inflight=%u lat_ns=%llu err=%d",
			      MAJOR(__entry->vol), MINOR(__entry->vol),
			      __entry->rwbs,
			      (unsigned long long)__entry->virt_sector,
			      __entry->nr_sectors,
			      MAJOR(__entry->phys_dev), MINOR(__entry->phys_dev),
			      (unsigned long long)__entry->phys_sector,
			      __entry->result, __entry->cgroup_id, __entry->pid,
			      __entry->inflight, __entry->latency_ns,
			      __entry->error)
);

/* The target received a bio (physical fields not yet known). */
DEFINE_EVENT(restack_io_class, restack_map,
	     TP_PROTO(dev_t vol, const struct dm_restack_io *io,
		      u64 latency_ns, int error),
	     TP_ARGS(vol, io, latency_ns, error));

/* A device and sector were chosen for the bio. */
DEFINE_EVENT(restack_io_class, restack_remap,
	     TP_PROTO(dev_t vol, const struct dm_restack_io *io,
		      u64 latency_ns, int error),
	     TP_ARGS(vol, io, latency_ns, error));

/* The bio completed; latency is measured from restack_map. */
DEFINE_EVENT(restack_io_class, restack_complete,
	     TP_PROTO(dev_t vol, const struct dm_restack_io *io,
		      u64 latency_ns, int error),
	     TP_ARGS(vol, io, latency_ns, error));

#endif /* _TRACE_DM_RESTACK_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE restack_events
#include <trace/define_trace.h>
