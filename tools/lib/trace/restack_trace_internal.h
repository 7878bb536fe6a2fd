/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_trace_internal.h - what the trace reader (restack_trace.c) and
 * writer (restack_trace_writer.c) share about the file's bytes.
 */
#ifndef RESTACK_TRACE_INTERNAL_H
#define RESTACK_TRACE_INTERNAL_H

#include <endian.h>
#include <stdint.h>

#include "trace/restack_trace.h"

#define REC_SIZE	((size_t)sizeof(struct dm_restack_trace_record))
#define HDR_SIZE	((size_t)sizeof(struct dm_restack_trace_header))

/*
 * A zstd frame holding exactly the 512-byte header as one raw block:
 * magic, frame header descriptor 0x60 (single segment, 2-byte content
 * size = value - 256), content size 512, block header (last, raw, 512).
 */
#define RESTACK_ZSTD_HDR_FRAME_PREFIX_LEN	10
extern const uint8_t restack_zstd_hdr_frame_prefix[RESTACK_ZSTD_HDR_FRAME_PREFIX_LEN];

/* ------------------------------------------------------------------ */
/* Byte order: files are little-endian.                               */
/* ------------------------------------------------------------------ */

static inline void rec_swap(struct dm_restack_trace_record *rec)
{
#if __BYTE_ORDER == __BIG_ENDIAN
	rec->ts_ns = le64toh(rec->ts_ns);
	if (rec->type != DM_RESTACK_REC_COMM) {
		rec->virt_sector = le64toh(rec->virt_sector);
		rec->phys_sector = le64toh(rec->phys_sector);
	}
	rec->latency_ns = le64toh(rec->latency_ns);
	rec->cgroup_id = le64toh(rec->cgroup_id);
	rec->volume = le32toh(rec->volume);
	rec->phys_dev = le32toh(rec->phys_dev);
	rec->pid = le32toh(rec->pid);
	rec->sectors = le32toh(rec->sectors);
	rec->inflight = le16toh(rec->inflight);
	rec->error = (int16_t)le16toh((uint16_t)rec->error);
#else
	(void)rec;
#endif
}

static inline void hdr_swap(struct dm_restack_trace_header *h)
{
#if __BYTE_ORDER == __BIG_ENDIAN
	h->version = le32toh(h->version);
	h->header_size = le32toh(h->header_size);
	h->record_size = le32toh(h->record_size);
	h->flags = le32toh(h->flags);
	h->sample_threshold = le32toh(h->sample_threshold);
	h->sample_block_sectors = le32toh(h->sample_block_sectors);
	h->volume = le32toh(h->volume);
	h->nr_cpus = le32toh(h->nr_cpus);
	h->start_ns = le64toh(h->start_ns);
	h->start_realtime_ns = le64toh(h->start_realtime_ns);
	h->end_ns = le64toh(h->end_ns);
	h->records = le64toh(h->records);
	h->drops = le64toh(h->drops);
#else
	(void)h;
#endif
}

#endif /* RESTACK_TRACE_INTERNAL_H */
