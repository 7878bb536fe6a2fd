/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-restack-trace-record.h - turning a bio's context into a trace record,
 * and the spatial sampling decision: pure functions, tested by KUnit.
 */
#ifndef DM_RESTACK_TRACE_RECORD_H
#define DM_RESTACK_TRACE_RECORD_H

#include <linux/types.h>
#include <uapi/linux/dm-restack.h>

#include "dm-restack-policy.h"

/* Beyond this many blocks a bio is traced without checking each block. */
#define RESTACK_TRACE_SAMPLE_MAX_BLOCKS	256

/* The record op for a bio's op and flags (an empty flush is FLUSH). */
u8 restack_trace_op(blk_opf_t opf, u32 sectors);

/* DM_RESTACK_F_* for a bio's flags. */
u8 restack_trace_flags(blk_opf_t opf);

/*
 * Is the bio in the sample?  It is when any of its blocks of
 * 2^@block_shift sectors hashes below @threshold (lib/restack_sample.h),
 * when it carries no data (a flush), when it spans more than
 * RESTACK_TRACE_SAMPLE_MAX_BLOCKS blocks, or when @threshold is the full
 * DM_RESTACK_SAMPLE_MODULUS.
 */
bool restack_trace_io_sampled(const struct dm_restack_io *io, u32 threshold,
			      unsigned int block_shift);

/* Fill @rec, a DM_RESTACK_REC_IO record, from a completed bio's context. */
void restack_trace_pack_io(struct dm_restack_trace_record *rec, dev_t volume,
			   const struct dm_restack_io *io, u64 latency_ns,
			   int error, bool sampled);

#endif /* DM_RESTACK_TRACE_RECORD_H */
