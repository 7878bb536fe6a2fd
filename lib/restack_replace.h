/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * restack_replace.h - cache replacement and admission, shared verbatim by
 * the kernel cache policy (dm-restack-cache) and the analyzer's
 * simulator, so that what the analyzer predicts is what the kernel runs.
 *
 * A cache has nr_blocks slots (blocks on the fast device), numbered
 * 0..nr_blocks-1; keys are origin block numbers.  The caller provides all
 * memory (rs_repl_mem_size() bytes, any alignment of 8) and serialises
 * every call on one instance (the kernel holds a spinlock).  No call
 * allocates, sleeps, recurses or uses floating point; every call is O(1)
 * amortised, with eviction scans bounded by the cache size, and passing
 * over at most RS_REPL_PINNED_WALK pinned slots per list searched.
 *
 * Algorithms (enum rs_repl_kind):
 *   lru     least recently used: a list, hits move to the head.
 *   sieve   SIEVE (Zhang et al., NSDI 2024): a FIFO with a visited bit
 *           and a hand that sweeps from old to new, sparing visited
 *           blocks once.
 *   s3fifo  S3-FIFO (Yang et al., SOSP 2023): a small FIFO (10%) filters
 *           one-hit wonders, a main FIFO with 2-bit CLOCK frequencies
 *           (90%), and a ghost FIFO of keys recently dropped from the
 *           small queue (90% of the slots) that sends returning keys
 *           straight to the main queue.
 *   arc     ARC (Megiddo and Modha, FAST 2003): recency (T1) and
 *           frequency (T2) lists with ghosts B1/B2 steering the target
 *           size p of T1.
 *   2q      2Q (Johnson and Shasha, VLDB 1994), full version: A1in FIFO
 *           (25%), A1out ghost (50% of the slots), Am LRU.
 *
 * Admission (all algorithms): with promote_hits = n > 0, a missed block
 * is admitted only once it has missed n times before in a recent window
 * (a direct-mapped table of tagged counters, filter_entries entries, a
 * collision replacing the older entry); a key found in the algorithm's
 * own ghost list is admitted at once.  A caller-detected sequential
 * stream (struct rs_seq) bypasses the cache on misses.
 *
 * Cache modes (rs_cache_access): the decision the cache policy takes for
 * one block of a bio, identical in kernel and simulator:
 *   wt  read hit: fast.  read miss: origin, then fill if admitted.
 *       write hit: both.  write miss: both if admitted (write-allocate),
 *       else origin only.
 *   wb  as wt, but writes that hit or are admitted go to the fast device
 *       only and leave the slot dirty (written back before the slot is
 *       reused or on detach).
 *   wa  reads as wt; writes go to the origin and invalidate a cached copy.
 */
#ifndef RESTACK_REPLACE_H
#define RESTACK_REPLACE_H

#include "restack_compat.h"

#define RS_REPL_NONE		0xffffffffu
#define RS_REPL_MAX_BLOCKS	0x40000000u	/* 2^30 */
/*
 * Pinned nodes one victim search passes over at most, per list it
 * searches, before the miss gives up (RS_FILL_NOSPACE).  The kernel
 * searches under a spinlock with interrupts off, and walking every
 * pinned node of a large cache (write-back pins its dirty blocks) on
 * each miss would keep them off for O(n).  The nodes passed over are
 * moved to the newest end of their list (SIEVE: the hand moves past
 * them), so that the next search starts beyond them: a run of P pinned
 * nodes delays admission by about P / RS_REPL_PINNED_WALK misses.  A
 * victim found within the bound changes no order, and with nothing
 * pinned no search is cut short, so decisions do not change (the
 * analyzer's simulation never pins).
 */
#define RS_REPL_PINNED_WALK	64u

enum rs_repl_kind {
	RS_REPL_LRU = 0,
	RS_REPL_SIEVE,
	RS_REPL_S3FIFO,
	RS_REPL_ARC,
	RS_REPL_2Q,
	RS_REPL_NR_KINDS
};

/* "lru", "sieve", "s3fifo", "arc", "2q"; NULL if out of range. */
const char *rs_repl_name(enum rs_repl_kind kind);
/* Kind for a name (exact, lower case), or -EINVAL. */
int rs_repl_lookup(const char *name);

struct rs_repl_params {
	u32 kind;			/* enum rs_repl_kind */
	u32 nr_blocks;		/* slots, 1..RS_REPL_MAX_BLOCKS */
	u32 promote_hits;		/* 0: admit on the first miss; <= 255 */
	u32 filter_entries;	/* 0: default; else a power of two */
};

struct rs_repl_node {
	u64 key;
	u32 prev, next;		/* list links (node indices) */
	u32 hnext;			/* hash chain */
	u8 list;			/* RS_L_* */
	u8 freq;
	u8 flags;			/* RS_NF_* */
	u8 pad;
};

struct rs_repl_list {
	u32 head, tail, size;	/* head: newest / most recent */
};

struct rs_repl_stats {
	u64 hits, misses;
	u64 admitted, rejected, bypassed, nospace;
	u64 evictions, ghost_hits, invalidations;
	u64 pinned_skipped;	/* pinned nodes victim searches passed over */
};

/*
 * One instance.  Callers embed or allocate it and treat the fields as
 * private except stats.
 */
struct rs_repl {
	struct rs_repl_params p;
	struct rs_repl_node *nodes;	/* nr_blocks resident + ghosts */
	u32 *buckets;
	u32 *filter;
	u32 nr_nodes;
	u32 bucket_bits;
	u32 filter_bits;
	u32 free_slot;		/* free resident nodes, via next */
	u32 free_ghost;		/* free ghost nodes, via next */
	u32 used;			/* resident keys */
	u32 hand;			/* SIEVE */
	u32 arc_p;			/* ARC: target size of T1 */
	u32 small_target;		/* S3-FIFO S, 2Q A1in */
	u32 ghost_cap;
	struct rs_repl_list lists[4];
	struct rs_repl_stats stats;
};

/* Bytes of memory rs_repl_init() needs for @p; 0 if @p is invalid. */
size_t rs_repl_mem_size(const struct rs_repl_params *p);

/*
 * Set up @r over @mem (at least rs_repl_mem_size(p) bytes, 8-aligned):
 * all slots free.  Returns 0 or -EINVAL.
 */
int rs_repl_init(struct rs_repl *r, const struct rs_repl_params *p,
		 void *mem, size_t size);

/* Slot holding @key, or RS_REPL_NONE; changes nothing. */
u32 rs_repl_peek(const struct rs_repl *r, u64 key);

/*
 * A reference to @key: on a hit, update the algorithm's state and return
 * the slot; on a miss return RS_REPL_NONE and change nothing (the caller
 * then decides with rs_repl_miss()).
 */
u32 rs_repl_hit(struct rs_repl *r, u64 key);

/*
 * The hit of rs_repl_hit() on a slot the caller has just found with
 * rs_repl_peek() (the cache looks a block up once per bio, not twice).
 */
void rs_repl_touch(struct rs_repl *r, u32 slot);

enum rs_fill_result {
	RS_FILL_ADMIT = 0,	/* f->slot now holds the key */
	RS_FILL_REJECT,		/* the admission filter said not yet */
	RS_FILL_BYPASS,		/* caller asked to bypass (sequential) */
	RS_FILL_NOSPACE,	/* the candidate victims looked at are pinned */
};

struct rs_repl_fill {
	u32 slot;		/* ADMIT: the slot for the key */
	bool evicted;		/* ADMIT: the slot held victim_key before */
	u64 victim_key;
};

/*
 * A missed reference to @key (not resident): admission, victim choice
 * (skipping pinned slots) and insertion.  @bypass: do not admit.
 */
enum rs_fill_result rs_repl_miss(struct rs_repl *r, u64 key, bool bypass,
				 struct rs_repl_fill *f);

/* Drop @key if resident; returns its former slot or RS_REPL_NONE. */
u32 rs_repl_invalidate(struct rs_repl *r, u64 key);

/* A pinned slot is never chosen as a victim (I/O in flight on it). */
void rs_repl_pin(struct rs_repl *r, u32 slot, bool pinned);

/*
 * Warm start: put @key in free @slot (as a frequently used block).
 * Returns 0, -EINVAL (bad slot or key already resident) or -ENOSPC
 * (slot in use).
 */
int rs_repl_restore(struct rs_repl *r, u64 key, u32 slot);

/* Resident keys and the key of a used slot (false if free). */
u32 rs_repl_used(const struct rs_repl *r);
bool rs_repl_slot_key(const struct rs_repl *r, u32 slot, u64 *key);

/* ---------------------------------------------------------------- */
/* Sequential stream detection                                       */
/* ---------------------------------------------------------------- */

#define RS_SEQ_STREAMS	16
#define RS_SEQ_STALE	4096	/* requests: a stream unused this long is over */

/*
 * Recent streams: a request continuing one (starting where it ended)
 * adds to its run; any other request starts a new stream, in an unused
 * or stale entry if there is one, else in the entry with the shortest
 * run (least recently used among equals), so random requests do not
 * push out a scan.  With cutoff_bytes > 0, a request whose stream has
 * run at least cutoff_bytes (itself included) is sequential.
 */
struct rs_seq {
	u64 cutoff_bytes;
	u64 clock;
	struct {
		u64 next_sector;
		u64 run_bytes;
		u64 used;
	} s[RS_SEQ_STREAMS];
};

void rs_seq_init(struct rs_seq *s, u64 cutoff_bytes);
/* Feed one request; returns true if it is sequential past the cutoff. */
bool rs_seq_observe(struct rs_seq *s, u64 sector, u32 nr_sectors);

/* ---------------------------------------------------------------- */
/* Cache modes: what to do with one block of a bio                  */
/* ---------------------------------------------------------------- */

enum rs_cache_mode {
	RS_MODE_WT = 0,
	RS_MODE_WB,
	RS_MODE_WA,
	RS_NR_MODES
};

/* "wt", "wb", "wa"; NULL if out of range. */
const char *rs_cache_mode_name(enum rs_cache_mode mode);
int rs_cache_mode_lookup(const char *name);

enum rs_action {
	RS_ACT_HIT = 0,		/* resident: serve/update on the fast device */
	RS_ACT_MISS,		/* not resident and not admitted: origin */
	RS_ACT_FILL,		/* admitted into fill.slot (see fill.evicted) */
	RS_ACT_INVALIDATE,	/* wa write: the cached copy in slot dropped */
};

struct rs_access {
	enum rs_action action;
	enum rs_fill_result fill_result;	/* MISS: why */
	u32 slot;				/* HIT, FILL, INVALIDATE */
	struct rs_repl_fill fill;		/* FILL */
};

/*
 * Decide one block reference in @mode.  @sequential: the bio belongs to
 * a stream past the sequential cutoff (misses bypass the cache).  The
 * caller does the I/O: for HIT on a write in wb, and for FILL on a write
 * in wb, the slot becomes dirty; for FILL with fill.evicted, a dirty
 * victim must be written back before the slot is reused.
 */
void rs_cache_access(struct rs_repl *r, enum rs_cache_mode mode, bool write,
		     u64 key, bool sequential, struct rs_access *a);

#endif /* RESTACK_REPLACE_H */
