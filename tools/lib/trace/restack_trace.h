/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_trace.h - reading and writing restack trace files.
 *
 * A trace file is a struct dm_restack_trace_header followed by struct
 * dm_restack_trace_record entries (include/uapi/linux/dm-restack.h),
 * optionally compressed as a whole with zstd (detected by its magic on
 * reading).  Every analysis reads traces through this interface, whether
 * they came from the kernel tracer or were imported from public traces.
 *
 * Conventions as in restack.h: 0 or a negative errno, and on failure a
 * one-line message in *err naming the file and the byte offset (or, for
 * imports, the line) of the problem.
 */
#ifndef RESTACK_TRACE_H
#define RESTACK_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <uapi/linux/dm-restack.h>

#include "core/restack_core.h"

struct restack_trace_reader;
struct restack_trace_writer;

/*
 * Open @path ("-" for standard input) for reading.  Validates the header
 * (magic, version, sizes, sample fields) before returning.
 */
int restack_trace_open(const char *path, struct restack_trace_reader **out,
		       struct restack_err *err);

/*
 * As restack_trace_open, over an already open stream (a pipe, a
 * fmemopen() buffer, ...); @name is used in messages.  The reader owns
 * @f from then on and fcloses it in restack_trace_close (also when this
 * call fails).
 */
int restack_trace_open_stream(FILE *f, const char *name,
			      struct restack_trace_reader **out,
			      struct restack_err *err);

/* The validated header of an open trace. */
const struct dm_restack_trace_header *
restack_trace_header(const struct restack_trace_reader *r);

/*
 * Read the next record into *rec.  Returns 1 for a record, 0 at a clean
 * end of file, or a negative errno for a truncated or corrupt file (the
 * message names the byte offset).  Records of unknown type, op or result
 * are errors, not silently skipped.  DM_RESTACK_REC_END is returned like
 * any other record; a reader that needs totals reads it.
 */
int restack_trace_next(struct restack_trace_reader *r,
		       struct dm_restack_trace_record *rec,
		       struct restack_err *err);

/*
 * What a reader checks beyond each record on its own:
 *   - every record's volume equals the header's volume;
 *   - with DM_RESTACK_TH_SORTED, I/O and process-name records come in
 *     non-decreasing ts_ns order;
 *   - the file ends with exactly one DM_RESTACK_REC_END record, nothing
 *     follows it, and its count of I/O records equals the number read; if
 *     the header was finalised (end_ns != 0), its records and drops equal
 *     the END record's.
 * A file that ends without an END record is an error (a cut-short
 * trace), not a clean end of file.
 */

/* Byte offset (in the uncompressed stream) of the next record. */
uint64_t restack_trace_offset(const struct restack_trace_reader *r);

void restack_trace_close(struct restack_trace_reader *r);

/*
 * Create @path ("-" for standard output), zstd-compressed when @zstd, and
 * write @hdr (magic, version, sizes are filled in by the writer; a zero
 * sample_threshold means DM_RESTACK_SAMPLE_MODULUS, a zero
 * sample_block_sectors 8).  The rest of @hdr must pass the reader's
 * checks.
 *
 * A zstd file is two or more zstd frames: the header alone in a frame
 * of one raw (stored) block, so that it can be rewritten in place, then
 * the records, compressed.  Any zstd decoder reads it as one stream.
 */
int restack_trace_create(const char *path, bool zstd,
			 const struct dm_restack_trace_header *hdr,
			 struct restack_trace_writer **out,
			 struct restack_err *err);

/*
 * Append one record.  Records are validated as the reader does (type,
 * op, result, flags, padding, volume) and DM_RESTACK_REC_END is refused:
 * restack_trace_finish writes it.  After a failure the writer only
 * accepts restack_trace_finish or restack_trace_abort.
 */
int restack_trace_write(struct restack_trace_writer *w,
			const struct dm_restack_trace_record *rec,
			struct restack_err *err);

/*
 * Push everything written so far to the file (for zstd, end the current
 * block), so that a reader at the other end of a pipe sees it now.
 */
int restack_trace_flush(struct restack_trace_writer *w,
			struct restack_err *err);

/*
 * The header as it will be rewritten by restack_trace_finish (a caller
 * may update e.g. flags or nr_cpus before finishing).  Changes reach the
 * file only when it is rewritable (see restack_trace_finish).
 */
struct dm_restack_trace_header *
restack_trace_writer_header(struct restack_trace_writer *w);

/* I/O records written so far. */
uint64_t restack_trace_writer_records(const struct restack_trace_writer *w);

/*
 * Finish the file: write a DM_RESTACK_REC_END record with @records and
 * @drops, and, for a file created by path that is a regular file
 * (plain or zstd), rewrite the header with end_ns, records and drops
 * (and any changes made through restack_trace_writer_header).  @records
 * must equal the number of I/O records written (-EINVAL otherwise).
 * Frees @w in every case; on failure the file is left without an END
 * record, which readers reject.
 */
int restack_trace_finish(struct restack_trace_writer *w, uint64_t end_ns,
			 uint64_t records, uint64_t drops,
			 struct restack_err *err);

/*
 * Give up: free @w and, if it created a file by path, remove the file,
 * so that a failed import or collection leaves nothing half-written.
 * NULL-safe.
 */
void restack_trace_abort(struct restack_trace_writer *w);

/*
 * Check one record on its own (no file context): type, op, result,
 * flags, error range, zero padding of unused fields.  @hdr_volume is the
 * volume every record must carry.  Used by the reader and the writer.
 */
int restack_trace_record_check(const struct dm_restack_trace_record *rec,
			       uint32_t hdr_volume, struct restack_err *err);

/* Check a header as the reader does (message without file/offset). */
int restack_trace_header_check(const struct dm_restack_trace_header *hdr,
			       struct restack_err *err);

/* "R", "W", "D", "Z", "F", "E", "O" for an op; NULL when out of range. */
const char *restack_trace_op_name(unsigned int op);

/* "none", "passthrough", "origin", "hit", "miss", "bypass"; NULL out of range. */
const char *restack_trace_result_name(unsigned int result);

/* ---------------------------------------------------------------- */
/* Reorder buffer                                                    */
/* ---------------------------------------------------------------- */

/*
 * A min-heap of records by (ts_ns, arrival order): the collector merges
 * per-CPU streams and the importers sort almost-sorted inputs through
 * it.  Records of equal ts_ns come out in the order they went in.  The
 * caller decides when to pop (a time or size window); a record pushed
 * with a ts_ns below the last one popped is "late" (it will come out
 * after a later record) and is counted.  Zero-initialise, then
 * release.
 */
struct restack_reorder_ent;

struct restack_reorder {
	struct restack_reorder_ent *heap;
	size_t len, cap;
	uint64_t seq;		/* arrival counter */
	uint64_t last_out;	/* ts_ns of the last record popped */
	bool popped;		/* last_out is valid */
	uint64_t late;		/* records pushed below last_out */
};

/* Would a record with @ts_ns be late (below the last one popped)? */
static inline bool restack_reorder_is_late(const struct restack_reorder *ro,
					   uint64_t ts_ns)
{
	return ro->popped && ts_ns < ro->last_out;
}

/* Add a copy of @rec; -ENOMEM (message in err) when memory runs out. */
int restack_reorder_push(struct restack_reorder *ro,
			 const struct dm_restack_trace_record *rec,
			 struct restack_err *err);

/* Smallest ts_ns held; false when empty. */
bool restack_reorder_min(const struct restack_reorder *ro, uint64_t *ts_ns);

/* Remove the first record into *rec; false when empty. */
bool restack_reorder_pop(struct restack_reorder *ro,
			 struct dm_restack_trace_record *rec);

static inline size_t restack_reorder_len(const struct restack_reorder *ro)
{
	return ro->len;
}

void restack_reorder_release(struct restack_reorder *ro);

#endif /* RESTACK_TRACE_H */
