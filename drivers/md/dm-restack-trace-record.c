// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-restack-trace-record.c - trace records and spatial sampling for the
 * restack tracer; see dm-restack-trace-record.h.
 */
#include "dm-restack-trace-record.h"

#include <linux/blk_types.h>
#include <linux/minmax.h>
#include <linux/string.h>

#include "lib/restack_sample.h"

u8 restack_trace_op(blk_opf_t opf, u32 sectors)
{
	switch (opf & REQ_OP_MASK) {
	case REQ_OP_READ:
		return DM_RESTACK_OP_READ;
	case REQ_OP_WRITE:
		return sectors || !(opf & REQ_PREFLUSH) ?
			DM_RESTACK_OP_WRITE : DM_RESTACK_OP_FLUSH;
	case REQ_OP_DISCARD:
		return DM_RESTACK_OP_DISCARD;
	case REQ_OP_SECURE_ERASE:
		return DM_RESTACK_OP_SECURE_ERASE;
	case REQ_OP_WRITE_ZEROES:
		return DM_RESTACK_OP_WRITE_ZEROES;
	default:
		return DM_RESTACK_OP_OTHER;
	}
}

u8 restack_trace_flags(blk_opf_t opf)
{
	u8 flags = 0;

	if (opf & REQ_PREFLUSH)
		flags |= DM_RESTACK_F_PREFLUSH;
	if (opf & REQ_FUA)
		flags |= DM_RESTACK_F_FUA;
	if (opf & REQ_SYNC)
		flags |= DM_RESTACK_F_SYNC;
	if (opf & REQ_META)
		flags |= DM_RESTACK_F_META;
	return flags;
}

bool restack_trace_io_sampled(const struct dm_restack_io *io, u32 threshold,
			      unsigned int block_shift)
{
	u64 first, last, block;

	if (threshold >= DM_RESTACK_SAMPLE_MODULUS || !io->nr_sectors)
		return true;

	first = io->virt_sector >> block_shift;
	last = (io->virt_sector + io->nr_sectors - 1) >> block_shift;
	if (last - first >= RESTACK_TRACE_SAMPLE_MAX_BLOCKS)
		return true;
	for (block = first; block <= last; block++)
		if (restack_block_sampled(block, threshold,
					  DM_RESTACK_SAMPLE_BITS))
			return true;
	return false;
}

void restack_trace_pack_io(struct dm_restack_trace_record *rec, dev_t volume,
			   const struct dm_restack_io *io, u64 latency_ns,
			   int error, bool sampled)
{
	memset(rec, 0, sizeof(*rec));
	rec->type = DM_RESTACK_REC_IO;
	rec->ts_ns = io->start_ns;
	rec->virt_sector = io->virt_sector;
	rec->phys_sector = io->phys_sector;
	rec->latency_ns = latency_ns;
	rec->cgroup_id = io->cgroup_id;
	rec->volume = volume;
	rec->phys_dev = io->phys_dev;
	rec->pid = io->pid;
	rec->sectors = io->nr_sectors;
	rec->inflight = min_t(u32, io->inflight, U16_MAX);
	rec->error = error;
	rec->op = restack_trace_op(io->opf, io->nr_sectors);
	rec->flags = restack_trace_flags(io->opf);
	if (sampled)
		rec->flags |= DM_RESTACK_F_SAMPLED;
	rec->result = io->result;
}
