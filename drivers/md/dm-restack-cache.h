/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-restack-cache.h - internals of the cache policy shared by its files:
 * struct cache, struct cblock and their flags, the per-bio record, copy
 * jobs, and the functions one file calls in another.  Not an interface
 * for other modules.
 *
 * The files, by concern:
 *   dm-restack-cache-map.c        block table helpers, routing, map/end_io,
 *                                 write-through clones
 *   dm-restack-cache-writeback.c  copy jobs (promotions and write-back),
 *                                 discard range drops, the worker
 *   dm-restack-cache-meta-io.c    metadata commit, load, format, state
 *                                 rebuild
 *   dm-restack-cache-main.c       ctr/dtr, arguments, fast-device
 *                                 ownership, suspend/resume, sync,
 *                                 messages, status, module init
 *   dm-restack-cache-meta.[ch]    the on-disk metadata encoding (pure)
 *
 * Locking: cache->lock (a spinlock, taken with interrupts off) protects
 * the block table and everything in struct cache from @lock up to
 * @commit_lock; functions documented "cache->lock held" must be called
 * with it.  commit_lock serializes commits (process context).
 *
 * The cache policy: write-through, write-back and
 * write-around caching of a restack volume's origin on a fast device.
 *
 *   attach cache <fast_dev> [mode=wt|wb|wa] [block_size=<bytes>]
 *                [promote_hits=<n>] [seq_cutoff=<bytes>] [replacement=<name>]
 *                [high_watermark=<percent>] [low_watermark=<percent>]
 *
 * The fast path, in map() and under one spinlock: a read hit is remapped
 * to the fast device; a miss goes to the origin and may queue a
 * promotion; a write-back write lands on the fast device.  Promotions
 * (origin -> fast) and write-back (fast -> origin) are copied by kcopyd;
 * metadata commits, evictions and deferred bios run in the worker.
 *
 * Crash consistency (see dm-restack-cache-meta.h for the commit protocol):
 *  - a cache block is reused only after the commit that records it as
 *    free, and after the reads in flight on it have drained, so committed
 *    metadata never maps a block to data of another origin block;
 *  - write-back writes go to a block that held nothing, or over a block
 *    of the same origin block that metadata records dirty, never over a
 *    copy recorded clean: that copy is left intact and the write goes to a
 *    new block.  Write-back leaves the blocks it cleans recorded dirty
 *    (CB_RECORDED_DIRTY) so that rewriting them needs no new block;
 *  - REQ_PREFLUSH and REQ_FUA writes in write-back complete only after a
 *    commit (which flushes the origin first), so every write acknowledged
 *    before them is found after a crash;
 *  - in every mode, a flush or FUA write that makes origin data durable
 *    waits for a commit while a dropped mapping of an older cached copy is
 *    uncommitted (a crash would otherwise bring the old copy back), and in
 *    write-through flushes and FUA writes also wait for one, which makes
 *    the fast-device copies of acknowledged writes durable;
 *  - a block becomes clean in metadata only in a commit that has first
 *    flushed the origin holding its written-back data.
 */
#ifndef DM_RESTACK_CACHE_H
#define DM_RESTACK_CACHE_H

#include "dm-restack-cache-meta.h"
#include "dm-restack-copier.h"
#include "dm-restack-policy.h"
#include "dm-restack-worker.h"
#include "lib/restack_replace.h"

#include <linux/blkdev.h>
#include <linux/dm-io.h>
#include <linux/dm-kcopyd.h>
#include <linux/hash.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/dm-restack.h>

#define DM_MSG_PREFIX "restack-cache"

#define CB_NONE			U32_MAX
#define COMMIT_PERIOD		HZ
/*
 * Promotions in flight (kcopyd jobs, a few dozen bytes each).  64 let
 * half the misses of a zipf workload go unpromoted in a guest, because
 * misses came faster than kcopyd copied (scripts/validate-cache.sh).
 */
#define MAX_PROMOTIONS		1024
#define MAX_WRITEBACKS		32
#define SEQ_STREAMS		4
/*
 * Write back on our own once more than high_watermark percent of the
 * blocks are dirty, until low_watermark percent are: dm-writecache's
 * defaults.  Between the two, blocks stay dirty and are overwritten in
 * place; cleaning blocks that are about to be written again is wasted
 * origin bandwidth.
 */
#define DEFAULT_HIGH_WATERMARK	50
#define DEFAULT_LOW_WATERMARK	45

enum cache_mode { MODE_WT, MODE_WB, MODE_WA };

/* Per cache block state, in memory.  Protected by cache->lock. */
#define CB_VALID	BIT(0)	/* maps @oblock */
#define CB_DIRTY	BIT(1)	/* newer than the origin */
#define CB_FILLING	BIT(2)	/* allocated for a write not yet complete */
#define CB_PROMOTING	BIT(3)	/* being copied in from the origin */
#define CB_WRITEBACK	BIT(4)	/* being copied out to the origin */
#define CB_REDIRTY	BIT(5)	/* written during its write-back */
#define CB_LOST		BIT(6)	/* dirty data that cannot be read back */
#define CB_STALE	BIT(7)	/* promotion overtaken by a write */
#define CB_PINNED	BIT(8)	/* its slot is pinned in the replacement */
/*
 * Written back, so clean, but still recorded dirty in metadata (wb): a
 * write may overwrite it in place, as a dirty block, without a commit.
 * Recorded clean only when that is worth a commit: leaving wb, detach,
 * clean shutdown.  After a crash it is written back once more.
 */
#define CB_RECORDED_DIRTY BIT(9)

struct cblock {
	u64 oblock;
	u32 next;		/* free or pending list */
	u32 slot;		/* replacement slot, CB_NONE if none */
	u16 flags;
	/*
	 * Writes in flight on its data.  They pin its slot (wt: evicting the
	 * block and promoting its origin block again while the origin write
	 * is in flight could cache the old data) and hold off its write-back
	 * (the copy could read the block before the write lands).  At most
	 * U16_MAX: route_write() defers a write beyond that.
	 */
	u16 writes;
	/*
	 * Bios in flight on its data: the block is not reused until they
	 * drain.  Atomic: a read hit's completion takes no lock.
	 */
	atomic_t inflight;
};

/* What map decided for one bio; policy_data[0] of its dm_restack_io. */
#define IO_CBLOCK_SHIFT	8
#define IO_FAST		BIT(0)	/* sent to the fast device */
#define IO_FILLING	BIT(1)	/* the write that fills a new block */
#define IO_NEED_COMMIT	BIT(2)	/* complete after a commit (wb FUA) */
#define IO_COMMITTED	BIT(3)	/* that commit is done */
#define IO_RETRIED	BIT(4)	/* resubmitted to the origin */
#define IO_ORIGIN_WRITE	BIT(5)	/* a write to the origin, in origin_writes */
#define IO_RANGE_WRITE	BIT(6)	/* a discard or write-zeroes (range_writes) */
#define IO_WT_WRITE	BIT(7)	/* a write-through write, pinning its block */

/*
 * Writes in flight to the origin, counted per hash bucket of their origin
 * block: a read miss of a block with a write in flight is not promoted,
 * or the promotion could copy the origin's old data and keep serving it
 * after the write completes.  A collision only skips a promotion.
 */
#define ORIGIN_WRITE_BUCKETS	1024

struct cache;
struct fast_dev;

/* One kcopyd job: a promotion or a write-back. */
struct copy_job {
	struct cache *cache;
	u32 cblock;
	bool promotion;
	struct list_head list;
	struct dm_restack_copy copy;
};

struct cache {
	struct dm_restack_policy policy;
	struct dm_restack_volume *vol;
	struct block_device *origin;
	struct block_device *fast;
	struct fast_dev *fast_entry;	/* registry entry; exclusive holder */
	u64 owner_gen;			/* fast_entry->gen when we took it */
	bool loaded;			/* in-memory state reflects the device */

	/* Arguments. */
	enum cache_mode mode;
	u32 block_sectors;
	unsigned int block_shift;
	u32 promote_hits;
	u64 seq_cutoff_sectors;
	enum rs_repl_kind replacement;
	u32 high_watermark, low_watermark;	/* percent of blocks dirty */

	struct restack_cache_geometry geo;

	spinlock_t lock;		/* everything below up to @commit_lock */
	struct cblock *blocks;
	/*
	 * Residency, admission and victims: the replacement code shared with
	 * the analyzer, over nr_slots logical slots.  There are fewer slots
	 * than blocks: the rest is a reserve of physical blocks, because an
	 * evicted block may only be reused after the commit that frees it
	 * (see the top of this file), while its slot is reused at once.
	 */
	struct rs_repl repl;
	void *repl_mem;
	u32 nr_slots;
	u32 *slot_phys;			/* slot -> block, CB_NONE if none */
	struct rs_seq seq;
	u32 free_head, nr_free;
	u32 pending_head, nr_pending;	/* freed, awaiting a commit */
	/*
	 * Blocks invalidated since the last commit began: committed metadata
	 * still maps their origin blocks to their old data, so a flush or FUA
	 * write that makes newer origin data durable must wait for a commit.
	 */
	u32 uncommitted_drops;
	u64 nr_valid, nr_dirty, nr_lost;
	bool cleaning;			/* no new dirty data */
	bool writeback_on;		/* between the watermarks, going down */
	bool fast_failed;		/* stop using the fast device */
	/*
	 * Set by activate(): until then, writes passed through before the
	 * attach may still be in flight to the origin, so nothing may be
	 * promoted (the copy could read the origin's old data).
	 */
	bool origin_settled;
	u32 nr_promoting, nr_writeback;
	u32 wb_cursor;
	u32 origin_writes[ORIGIN_WRITE_BUCKETS];
	u32 range_writes;		/* discards and write-zeroes in flight */
	struct list_head jobs_queued;	/* copy jobs the worker starts */
	struct bio_list deferred;	/* re-route in process context */
	struct bio_list after_commit;	/* complete once a commit is done */
	struct bio_list retry;		/* resubmit to the origin */

	/* The committed metadata image: entries, and pages to write. */
	struct restack_cache_entry_disk *entries;
	/*
	 * What a commit writes: the changed pages of @entries, copied
	 * together under @lock when the commit begins, so that one commit
	 * is one consistent image (under commit_lock).
	 */
	struct restack_cache_entry_disk *commit_snap;
	unsigned long *dirty_pages;
	u8 *latest_slot;		/* slot of each page's newest commit */
	u64 commit_seq;

	struct {
		u64 read_hits, read_misses, write_hits, write_misses;
		u64 promotions, demotions, writebacks, bypassed;
		u64 fast_errors, origin_errors, commits;
		u64 no_free_block;	/* admissions undone: no free block */
		u64 promoting_hits;	/* reads of a block being promoted */
		u64 promote_throttled;	/* misses not promoted: too many in flight */
	} stats;

	/*
	 * Per-device I/O counts and summed latencies for the control loop
	 * (status fast_ios= ...).  Per-CPU: origin completions take no lock.
	 */
	struct cache_lat __percpu *lat;

	struct mutex commit_lock;	/* one commit at a time */
	void *page_buf;
	struct dm_restack_copier copier;	/* promotions and write-backs */
	struct dm_restack_worker worker;	/* cache_worker(), cache_periodic() */
	wait_queue_head_t wait;		/* progress of write-back and jobs */
	struct bio_set bs;		/* write-through clones */
};

/* Bios sent to each device and their summed latencies (ns). */
struct cache_lat {
	u64 fast_ios, fast_ns;
	u64 origin_ios, origin_ns;
};

/* A write-through copy of a bio, sent to the fast device. */
struct wt_clone {
	struct cache *cache;
	struct bio *parent;
	unsigned long start_ns;
	u32 cblock;
	struct bio clone;		/* last: bioset front_pad */
};

static inline struct cblock *cb(struct cache *c, u32 i)
{
	return &c->blocks[i];
}

static inline struct cache *to_cache(struct dm_restack_policy *p)
{
	return container_of(p, struct cache, policy);
}

static inline void kick(struct cache *c)
{
	dm_restack_worker_kick(&c->worker);
}

/* dm-restack-cache-map.c */
u32 lookup(struct cache *c, u64 oblock);
void list_push(struct cache *c, u32 *head, u32 *count, u32 i);
void meta_set(struct cache *c, u32 i, u64 oblock, u32 flags);
void meta_set_from_block(struct cache *c, u32 i);
void pin_update(struct cache *c, u32 i);
void slot_detach(struct cache *c, u32 i);
void drop_key(struct cache *c, u64 oblock);
void range_write_begin(struct cache *c, struct dm_restack_io *io);
void lat_account(struct cache *c, bool fast, unsigned long start);
int cache_route(struct cache *c, struct bio *bio,
		struct dm_restack_io *io, bool in_worker);
void fast_failed_locked(struct cache *c);
void mark_lost(struct cache *c, struct cblock *b);
int cache_map(struct dm_restack_policy *p, struct bio *bio,
	      struct dm_restack_io *io);
int cache_end_io(struct dm_restack_policy *p, struct bio *bio,
		 struct dm_restack_io *io, blk_status_t *error);

/* dm-restack-cache-writeback.c */
void cache_worker(struct work_struct *work);
void cache_periodic(struct work_struct *work);

/* dm-restack-cache-meta-io.c */
int cache_commit(struct cache *c, bool clean);
void free_state(struct cache *c);
int cache_load(struct cache *c, bool block_size_given,
	       const char **error);

/* dm-restack-cache-main.c */
void record_clean(struct cache *c);

#endif /* DM_RESTACK_CACHE_H */
