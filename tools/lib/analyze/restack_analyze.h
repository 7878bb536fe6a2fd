/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_analyze.h - common pieces of the workload analyzer: block
 * splitting of trace records, strict byte-size parsing, a u64 -> u64
 * hash map and the binned reuse-distance histogram.
 *
 * Conventions as in restack.h: 0 or a negative errno, with a one-line
 * message in *err on failure.
 */
#ifndef RESTACK_ANALYZE_H
#define RESTACK_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uapi/linux/dm-restack.h>

#include "core/restack_core.h"

/* Cache / analysis block sizes: powers of two, 512 B .. 2 MiB. */
#define RESTACK_BLOCK_MIN	512u
#define RESTACK_BLOCK_MAX	(2u << 20)
#define RESTACK_BLOCK_DEFAULT	4096u

/*
 * Strict byte size: decimal digits with an optional binary suffix
 * K, M, G, T (or KiB, MiB, GiB, TiB), e.g. "4096", "64K", "1G".  No sign,
 * no leading zeros, no spaces, no fractions.  what names the value in the
 * error ("--block", "max_cache_bytes").
 */
int restack_parse_bytes(const char *what, const char *s, uint64_t *out,
			struct restack_err *err);

/* Validate a block size and return log2 of it in sectors. */
int restack_block_shift(const char *what, uint64_t bytes, unsigned int *shift,
			struct restack_err *err);

/*
 * Is @rec an I/O record that references cache blocks: a successful or
 * failed READ or WRITE with data?  (Discards, write-zeroes, flushes and
 * non-I/O records do not touch a cache's contents in the analyzer's
 * model; see Documentation/analyzer.rst.)
 */
static inline bool restack_rec_is_data(const struct dm_restack_trace_record *rec)
{
	return rec->type == DM_RESTACK_REC_IO && rec->sectors &&
	       (rec->op == DM_RESTACK_OP_READ || rec->op == DM_RESTACK_OP_WRITE);
}

/* First and last block (inclusive) a data record touches. */
static inline void restack_rec_blocks(const struct dm_restack_trace_record *rec,
				      unsigned int shift, uint64_t *first,
				      uint64_t *last)
{
	uint64_t end = rec->virt_sector + rec->sectors - 1;

	if (end < rec->virt_sector)	/* wraps: clamp to the last sector */
		end = UINT64_MAX;
	*first = rec->virt_sector >> shift;
	*last = end >> shift;
}

/* The sampling hash's low DM_RESTACK_SAMPLE_BITS bits for a block. */
uint32_t restack_block_hash24(uint64_t block);

/* ---------------------------------------------------------------- */
/* u64 -> u64 open-addressing hash map (linear probing)              */
/* ---------------------------------------------------------------- */

struct restack_u64map {
	uint64_t *keys;		/* key + 1; 0 = empty */
	uint64_t *vals;
	uint64_t count;		/* entries, including the max key */
	unsigned int bits;	/* capacity = 1 << bits */
	bool has_max;		/* key UINT64_MAX lives here: */
	uint64_t max_val;
};

int restack_u64map_init(struct restack_u64map *m, uint64_t hint);
void restack_u64map_release(struct restack_u64map *m);
/* Pointer to the value of key, or NULL. */
uint64_t *restack_u64map_find(struct restack_u64map *m, uint64_t key);
/*
 * Find or insert key; *created tells which.  Returns NULL only when
 * growing the table fails (ENOMEM).  Pointers are invalidated by the
 * next insertion.
 */
uint64_t *restack_u64map_upsert(struct restack_u64map *m, uint64_t key,
				bool *created);
/* Remove key; returns true if it was present. */
bool restack_u64map_remove(struct restack_u64map *m, uint64_t key);
/* Bytes allocated. */
size_t restack_u64map_bytes(const struct restack_u64map *m);
/*
 * Iterate: start with *pos = 0; returns false at the end.  The map must
 * not change during the iteration.
 */
bool restack_u64map_next(const struct restack_u64map *m, uint64_t *pos,
			 uint64_t *key, uint64_t *val);

/* ---------------------------------------------------------------- */
/* Reuse-distance histogram                                          */
/* ---------------------------------------------------------------- */

/*
 * Counts of references by (scaled) stack distance v >= 1, in bins of
 * width w blocks: bin i holds (i*w, (i+1)*w].  When a value falls past
 * max_bins, the width doubles and neighbouring bins merge, so memory is
 * bounded; with w = 1 and integer distances the histogram is exact.
 * Cold references (first touch) are counted apart.
 */
struct restack_dhist {
	double *bins;
	uint32_t nbins;		/* bins in use (highest used + 1) */
	uint32_t cap;		/* allocated */
	uint32_t max_bins;	/* 0: unbounded (grows) */
	double width;
	double cold;		/* references with infinite distance */
	double total;		/* all references added (cold included) */
};

int restack_dhist_init(struct restack_dhist *h, double width, uint32_t max_bins);
void restack_dhist_release(struct restack_dhist *h);
/* Add count references at distance v (>= 1, in blocks). */
int restack_dhist_add(struct restack_dhist *h, double v, double count);
void restack_dhist_add_cold(struct restack_dhist *h, double count);
/*
 * References that hit in an LRU cache of @blocks blocks: all with
 * v <= blocks (linear interpolation inside a bin when w > 1).
 */
double restack_dhist_hits(const struct restack_dhist *h, double blocks);
/* Largest finite distance recorded (upper edge of the last bin). */
double restack_dhist_max(const struct restack_dhist *h);

#endif /* RESTACK_ANALYZE_H */
