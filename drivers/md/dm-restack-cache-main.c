// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-restack-cache.c - the cache policy: write-through, write-back and
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
#include "dm-restack-cache-meta.h"
#include "dm-restack-policy.h"
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

static const char * const mode_names[] = { "wt", "wb", "wa" };

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

/* One kcopyd job: a promotion or a write-back. */
struct copy_job {
	struct cache *cache;
	u32 cblock;
	bool promotion;
	struct list_head list;
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
	 * Issue 12/8: set by activate(); until then writes passed through
	 * before the attach may be in flight to the origin, so no promotion.
	 */
	bool origin_settled;
	bool stopping;
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
	struct dm_kcopyd_client *kcopyd;
	struct workqueue_struct *wq;
	struct work_struct worker;
	struct delayed_work periodic;
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

/* ---------------------------------------------------------------------- */
/* Fast device registry: one cache owns a fast device's metadata at once. */

struct fast_dev {
	struct list_head list;
	dev_t dev;
	char volume[128];		/* the restack volume using it */
	struct cache *owner;		/* whose metadata is authoritative */
	u64 gen;			/* bumped at each change of owner */
	unsigned int users;
};

static DEFINE_MUTEX(fast_devs_lock);
static LIST_HEAD(fast_devs);

/* ---------------------------------------------------------------------- */
/* Blocks, hash, lists (cache->lock held) */

static struct cblock *cb(struct cache *c, u32 i)
{
	return &c->blocks[i];
}

/* The block holding @oblock (in any state), or CB_NONE. */
static u32 lookup(struct cache *c, u64 oblock)
{
	u32 slot = rs_repl_peek(&c->repl, oblock);

	return slot == RS_REPL_NONE ? CB_NONE : c->slot_phys[slot];
}

static void list_push(struct cache *c, u32 *head, u32 *count, u32 i)
{
	cb(c, i)->next = *head;
	*head = i;
	(*count)++;
}

static u32 list_pop(struct cache *c, u32 *head, u32 *count)
{
	u32 i = *head;

	if (i == CB_NONE)
		return i;
	*head = cb(c, i)->next;
	cb(c, i)->next = CB_NONE;
	(*count)--;
	return i;
}

/* Record block @i's state in the metadata image to be committed. */
static void meta_set(struct cache *c, u32 i, u64 oblock, u32 flags)
{
	c->entries[i].oblock = cpu_to_le64(oblock);
	c->entries[i].flags = cpu_to_le32(flags);
	set_bit(i / RESTACK_CACHE_ENTRIES_PER_PAGE, c->dirty_pages);
}

/*
 * A block still being filled is recorded as empty: a commit may run before
 * its data reaches the fast device, and after a crash the entry would
 * point at whatever the block held before.  The fill's completion records
 * it (cache_end_io), before the write is acknowledged.
 */
static void meta_set_from_block(struct cache *c, u32 i)
{
	struct cblock *b = cb(c, i);
	u32 flags = 0;

	if ((b->flags & CB_VALID) && !(b->flags & CB_FILLING)) {
		flags |= RESTACK_CACHE_ENTRY_VALID;
		if (b->flags & (CB_DIRTY | CB_RECORDED_DIRTY))
			flags |= RESTACK_CACHE_ENTRY_DIRTY;
	}
	meta_set(c, i, flags ? b->oblock : 0, flags);
}

/*
 * May the replacement choose block @b's slot as a victim?  Reads in
 * flight do not stop it: the block is only reused once they drained.
 */
static bool evictable(struct cblock *b)
{
	return (b->flags & (CB_VALID | CB_DIRTY | CB_FILLING | CB_WRITEBACK |
			    CB_LOST | CB_PROMOTING)) == CB_VALID && !b->writes;
}

/* Keep the slot's pin in step with the block's state (call after changes). */
static void pin_update(struct cache *c, u32 i)
{
	struct cblock *b = cb(c, i);
	bool pinned = !evictable(b);

	if (b->slot == CB_NONE || pinned == !!(b->flags & CB_PINNED))
		return;
	rs_repl_pin(&c->repl, b->slot, pinned);
	if (pinned)
		b->flags |= CB_PINNED;
	else
		b->flags &= ~CB_PINNED;
}

/*
 * Take block @i off its slot, unpinning the slot: the replacement reuses
 * slots, and a pin left behind would make one unevictable for good.
 */
static void slot_detach(struct cache *c, u32 i)
{
	struct cblock *b = cb(c, i);

	if (b->slot == CB_NONE)
		return;
	if (b->flags & CB_PINNED)
		rs_repl_pin(&c->repl, b->slot, false);
	b->flags &= ~CB_PINNED;
	c->slot_phys[b->slot] = CB_NONE;
	b->slot = CB_NONE;
}

/* Forget block @i's data; it becomes reusable after the next commit. */
static void invalidate_block(struct cache *c, u32 i)
{
	struct cblock *b = cb(c, i);

	if (b->flags & CB_VALID)
		c->nr_valid--;
	if (b->flags & CB_DIRTY)
		c->nr_dirty--;
	if (b->flags & CB_LOST)
		c->nr_lost--;
	slot_detach(c, i);
	b->flags = 0;
	meta_set(c, i, 0, 0);
	list_push(c, &c->pending_head, &c->nr_pending, i);
	c->uncommitted_drops++;
}

/* Drop @oblock from the cache, whatever block holds it. */
static void drop_key(struct cache *c, u64 oblock)
{
	u32 slot = rs_repl_invalidate(&c->repl, oblock);
	u32 i;

	if (slot == RS_REPL_NONE)
		return;
	i = c->slot_phys[slot];
	if (i == CB_NONE)
		return;
	if (cb(c, i)->flags & CB_PROMOTING) {
		/* The copy in flight is out of date: dropped when done. */
		slot_detach(c, i);
		cb(c, i)->flags |= CB_STALE;
		return;
	}
	invalidate_block(c, i);
}

/* Forget block @i, mapped or not. */
static void forget_block(struct cache *c, u32 i)
{
	if (cb(c, i)->slot != CB_NONE)
		drop_key(c, cb(c, i)->oblock);
	else if (cb(c, i)->flags)
		invalidate_block(c, i);
}

/*
 * @oblock was admitted into slot @f->slot: evict the block of the victim
 * that held the slot, and take a committed-free block for @oblock.
 * Returns the block, or CB_NONE (no free block: the admission is undone).
 */
static u32 fill_slot(struct cache *c, u64 oblock, const struct rs_repl_fill *f,
		     u16 flags)
{
	u32 old = c->slot_phys[f->slot], i;

	if (old != CB_NONE) {
		invalidate_block(c, old);
		c->stats.demotions++;
	}
	i = list_pop(c, &c->free_head, &c->nr_free);
	if (i == CB_NONE) {
		rs_repl_invalidate(&c->repl, oblock);
		c->stats.no_free_block++;
		return CB_NONE;
	}
	cb(c, i)->oblock = oblock;
	cb(c, i)->flags = flags;
	cb(c, i)->writes = 0;
	cb(c, i)->slot = f->slot;
	c->slot_phys[f->slot] = i;
	pin_update(c, i);
	return i;
}

/* Writes in flight to the origin (cache->lock held) */

static u32 *origin_write_bucket(struct cache *c, u64 oblock)
{
	return &c->origin_writes[hash_64(oblock, ilog2(ORIGIN_WRITE_BUCKETS))];
}

static bool origin_write_in_flight(struct cache *c, u64 oblock)
{
	return c->range_writes || *origin_write_bucket(c, oblock);
}

/* @bio, a write of the block at io->policy_iter, goes to the origin. */
static void origin_write_begin(struct cache *c, struct dm_restack_io *io)
{
	(*origin_write_bucket(c, io->policy_iter.bi_sector >> c->block_shift))++;
	io->policy_data[0] |= IO_ORIGIN_WRITE;
}

/* A discard or write-zeroes goes to the origin: no promotions meanwhile. */
static void range_write_begin(struct cache *c, struct dm_restack_io *io)
{
	c->range_writes++;
	io->policy_data[0] |= IO_RANGE_WRITE;
}

/* Undo the two above when the bio completes (at most once per bio). */
static void origin_write_end(struct cache *c, struct dm_restack_io *io)
{
	unsigned long f = io->policy_data[0];

	if (f & IO_ORIGIN_WRITE)
		(*origin_write_bucket(c, io->policy_iter.bi_sector >> c->block_shift))--;
	if (f & IO_RANGE_WRITE)
		c->range_writes--;
	io->policy_data[0] &= ~(IO_ORIGIN_WRITE | IO_RANGE_WRITE);
}

/* ---------------------------------------------------------------------- */
/* Routing a bio (cache->lock held; never blocks) */

enum route {
	ROUTE_ORIGIN,		/* as it is: aimed at the origin */
	ROUTE_FAST,		/* remapped to the fast device */
	ROUTE_DEFER,		/* wait in c->deferred */
	ROUTE_ORIGIN_WT,	/* origin, plus a clone to the fast device */
	ROUTE_KILL,		/* fail with EIO: the data is lost */
};

static sector_t fast_sector(struct cache *c, u32 i, struct bio *bio)
{
	return c->geo.data_start + ((sector_t)i << c->block_shift) +
		(bio->bi_iter.bi_sector & (c->block_sectors - 1));
}

static void set_io(struct dm_restack_io *io, u32 i, unsigned long flags)
{
	io->policy_data[0] = ((unsigned long)i << IO_CBLOCK_SHIFT) | flags;
}

static u32 io_cblock(struct dm_restack_io *io)
{
	return io->policy_data[0] >> IO_CBLOCK_SHIFT;
}

/*
 * Remap @bio to block @i.  No pin for reads: they do not stop eviction.
 * Writes count in cblock->writes, but the blocks they go to here are
 * pinned by their state (dirty or filling) anyway; callers that change
 * that state call pin_update().
 */
static void to_fast(struct cache *c, struct bio *bio, struct dm_restack_io *io,
		    u32 i, unsigned long flags)
{
	atomic_inc(&cb(c, i)->inflight);
	if (op_is_write(bio_op(bio)))
		cb(c, i)->writes++;
	bio->bi_iter.bi_sector = fast_sector(c, i, bio);
	dm_restack_bio_aim(bio, c->fast);
	/*
	 * A FUA write that completes after a commit needs no FUA of its own:
	 * the commit flushes the fast device (and first the origin).  Without
	 * it the device (and dm-log-writes, which logs FUA writes at once but
	 * plain ones only at the next flush) would see this write overtake an
	 * earlier plain write to the same block.  A retry on the origin
	 * restores it (io->opf).
	 */
	if (flags & IO_NEED_COMMIT)
		bio->bi_opf &= ~REQ_FUA;
	set_io(io, i, flags | IO_FAST);
}

static enum route route_read(struct cache *c, struct bio *bio,
			     struct dm_restack_io *io, u64 oblock, bool seq,
			     u32 *promote)
{
	u32 i = lookup(c, oblock);
	struct cblock *b = i == CB_NONE ? NULL : cb(c, i);
	struct rs_repl_fill f;

	if (b && (b->flags & CB_LOST)) {
		/* Only the fast device had this data, and it is gone. */
		io->result = DM_RESTACK_RESULT_HIT;
		return ROUTE_KILL;
	}
	if (b && (b->flags & CB_FILLING))
		return ROUTE_DEFER;
	if (b && (b->flags & CB_VALID)) {
		rs_repl_touch(&c->repl, b->slot);
		to_fast(c, bio, io, i, 0);
		c->stats.read_hits++;
		io->result = DM_RESTACK_RESULT_HIT;
		return ROUTE_FAST;
	}

	c->stats.read_misses++;
	io->result = DM_RESTACK_RESULT_MISS;
	if (b) {
		/*
		 * Being promoted: served by the origin, but a reference for the
		 * replacement all the same (as the analyzer's simulation sees it).
		 */
		rs_repl_touch(&c->repl, b->slot);
		c->stats.promoting_hits++;
		return ROUTE_ORIGIN;
	}
	if (c->nr_promoting >= MAX_PROMOTIONS)
		c->stats.promote_throttled++;
	if (c->fast_failed || c->nr_promoting >= MAX_PROMOTIONS ||
	    !c->origin_settled || origin_write_in_flight(c, oblock)) {
		/*
		 * No room to start another promotion, or the copy could read
		 * the origin before a write in flight to it lands.
		 */
		return ROUTE_ORIGIN;
	}
	if (rs_repl_miss(&c->repl, oblock, seq, &f) != RS_FILL_ADMIT) {
		io->result = DM_RESTACK_RESULT_BYPASS;
		return ROUTE_ORIGIN;
	}
	*promote = fill_slot(c, oblock, &f, CB_PROMOTING);
	if (*promote == CB_NONE)
		io->result = DM_RESTACK_RESULT_BYPASS;
	return ROUTE_ORIGIN;
}

static enum route route_write(struct cache *c, struct bio *bio,
			      struct dm_restack_io *io, u64 oblock, bool seq)
{
	bool whole = bio_sectors(bio) == c->block_sectors;
	unsigned long fua = bio->bi_opf & REQ_FUA ? IO_NEED_COMMIT : 0;
	u32 i = lookup(c, oblock), n;
	struct cblock *b = i == CB_NONE ? NULL : cb(c, i);
	struct rs_repl_fill f;

	if (b && ((b->flags & CB_FILLING) || b->writes == U16_MAX))
		return ROUTE_DEFER;

	if (b && (b->flags & CB_PROMOTING)) {
		/* The copy in flight would be out of date: drop it. */
		drop_key(c, oblock);
		b = NULL;
	}

	if (b && (b->flags & CB_DIRTY)) {
		if (c->cleaning) {
			/* Wait until written back; then it is a clean hit. */
			return ROUTE_DEFER;
		}
		/* Same origin block: overwrite in place. */
		if (b->flags & CB_WRITEBACK)
			b->flags |= CB_REDIRTY;
		if (b->flags & CB_LOST) {
			if (!whole)
				return ROUTE_ORIGIN;	/* rest stays lost */
			drop_key(c, oblock);
			c->stats.write_misses++;
			io->result = DM_RESTACK_RESULT_BYPASS;
			return ROUTE_ORIGIN;
		}
		rs_repl_touch(&c->repl, b->slot);
		to_fast(c, bio, io, i, c->mode == MODE_WB ? fua : 0);
		c->stats.write_hits++;
		io->result = DM_RESTACK_RESULT_HIT;
		return ROUTE_FAST;
	}

	if (b && (b->flags & CB_VALID)) {
		if (c->mode == MODE_WA || c->fast_failed) {
			drop_key(c, oblock);
			c->stats.write_hits++;
			io->result = DM_RESTACK_RESULT_BYPASS;
			return ROUTE_ORIGIN;
		}
		if (c->mode == MODE_WT) {
			rs_repl_touch(&c->repl, b->slot);
			atomic_inc(&b->inflight);
			b->writes++;
			pin_update(c, i);
			set_io(io, i, IO_WT_WRITE);
			c->stats.write_hits++;
			io->result = DM_RESTACK_RESULT_HIT;
			return ROUTE_ORIGIN_WT;
		}
		/*
		 * wb, a block write-back cleaned but still recorded dirty: the
		 * write lands in place as on a dirty block.  A crash leaves it
		 * dirty in metadata whichever data it holds, old or new.
		 */
		if ((b->flags & CB_RECORDED_DIRTY) && !c->cleaning) {
			b->flags &= ~CB_RECORDED_DIRTY;
			b->flags |= CB_DIRTY;
			c->nr_dirty++;
			rs_repl_touch(&c->repl, b->slot);
			to_fast(c, bio, io, i, fua);
			pin_update(c, i);
			c->stats.write_hits++;
			io->result = DM_RESTACK_RESULT_HIT;
			return ROUTE_FAST;
		}
		/*
		 * wb, a block recorded clean: committed metadata says it holds
		 * the origin's data, so it must stay intact until the new data
		 * is in a new block.
		 */
		if (whole && !c->cleaning) {
			n = list_pop(c, &c->free_head, &c->nr_free);
			if (n != CB_NONE) {
				u32 slot = b->slot;

				rs_repl_touch(&c->repl, slot);
				invalidate_block(c, i);
				cb(c, n)->oblock = oblock;
				cb(c, n)->flags = CB_VALID | CB_DIRTY | CB_FILLING;
				cb(c, n)->writes = 0;
				cb(c, n)->slot = slot;
				c->slot_phys[slot] = n;
				c->nr_valid++;
				c->nr_dirty++;
				meta_set_from_block(c, n);
				pin_update(c, n);
				to_fast(c, bio, io, n, IO_FILLING | fua);
				c->stats.write_hits++;
				io->result = DM_RESTACK_RESULT_HIT;
				return ROUTE_FAST;
			}
		}
		drop_key(c, oblock);
		c->stats.write_hits++;
		c->stats.bypassed++;
		io->result = DM_RESTACK_RESULT_BYPASS;
		return ROUTE_ORIGIN;
	}

	/* A miss: write-allocate whole blocks if admitted (not in wa). */
	c->stats.write_misses++;
	io->result = DM_RESTACK_RESULT_BYPASS;
	if (c->mode == MODE_WA || !whole || c->fast_failed || c->cleaning ||
	    rs_repl_miss(&c->repl, oblock, seq, &f) != RS_FILL_ADMIT) {
		c->stats.bypassed++;
		return ROUTE_ORIGIN;
	}
	n = fill_slot(c, oblock, &f, CB_VALID | CB_FILLING |
		      (c->mode == MODE_WB ? CB_DIRTY : 0));
	if (n == CB_NONE) {
		c->stats.bypassed++;
		return ROUTE_ORIGIN;
	}
	c->nr_valid++;
	io->result = DM_RESTACK_RESULT_MISS;
	if (c->mode == MODE_WB) {
		c->nr_dirty++;
		meta_set_from_block(c, n);
		to_fast(c, bio, io, n, IO_FILLING | fua);
		return ROUTE_FAST;
	}
	/* wt: both devices; the block serves reads once the copy is in. */
	atomic_inc(&cb(c, n)->inflight);
	cb(c, n)->writes++;
	pin_update(c, n);
	set_io(io, n, IO_WT_WRITE | IO_FILLING);
	return ROUTE_ORIGIN_WT;
}

static struct copy_job *new_promotion(struct cache *c, u32 i)
{
	struct copy_job *job = kzalloc(sizeof(*job), GFP_NOWAIT);

	if (!job)
		return NULL;
	job->cache = c;
	job->cblock = i;
	job->promotion = true;
	c->nr_promoting++;
	return job;
}

/* ---------------------------------------------------------------------- */
/* map and end_io */

static struct cache *to_cache(struct dm_restack_policy *p)
{
	return container_of(p, struct cache, policy);
}

/*
 * Account one completed bio of the fast or origin device, submitted at
 * @start (ktime_get_ns(), kept in an unsigned long: the difference is
 * right modulo its width, which on 32 bits covers latencies below 4 s).
 */
static void lat_account(struct cache *c, bool fast, unsigned long start)
{
	unsigned long ns = (unsigned long)ktime_get_ns() - start;

	if (fast) {
		this_cpu_inc(c->lat->fast_ios);
		this_cpu_add(c->lat->fast_ns, ns);
	} else {
		this_cpu_inc(c->lat->origin_ios);
		this_cpu_add(c->lat->origin_ns, ns);
	}
}

static void wt_clone_endio(struct bio *bio);

/* Send a write-through copy of @bio to block @i; false if we cannot. */
static bool submit_wt_clone(struct cache *c, struct bio *bio, u32 i)
{
	struct bio *clone = bio_alloc_clone(c->fast, bio, GFP_NOWAIT, &c->bs);
	struct wt_clone *wt;

	if (!clone)
		return false;
	wt = container_of(clone, struct wt_clone, clone);
	wt->cache = c;
	wt->parent = bio;
	wt->cblock = i;
	wt->start_ns = (unsigned long)ktime_get_ns();
	clone->bi_iter.bi_sector = fast_sector(c, i, bio);
	/* The origin write carries FUA; a clean copy needs no durability. */
	clone->bi_opf &= ~(REQ_FUA | REQ_PREFLUSH);
	clone->bi_end_io = wt_clone_endio;
	bio_inc_remaining(bio);
	submit_bio_noacct(clone);
	return true;
}

static void kick(struct cache *c)
{
	queue_work(c->wq, &c->worker);
}

/*
 * Route a data bio that lies within one cache block; returns DM_MAPIO_*.
 * Called from map() and, for deferred bios, from the worker (which then
 * submits a REMAPPED bio itself).  Never blocks.
 */
static int cache_route(struct cache *c, struct bio *bio,
		       struct dm_restack_io *io, bool in_worker)
{
	u64 oblock = bio->bi_iter.bi_sector >> c->block_shift;
	struct copy_job *job = NULL;
	u32 promote = CB_NONE;
	unsigned long flags;
	enum route r;
	bool seq;

	set_io(io, 0, 0);
	spin_lock_irqsave(&c->lock, flags);
	seq = rs_seq_observe(&c->seq, bio->bi_iter.bi_sector, bio_sectors(bio));
	if (c->fast_failed && c->mode != MODE_WB) {
		r = ROUTE_ORIGIN;
		io->result = DM_RESTACK_RESULT_BYPASS;
	} else if (bio_data_dir(bio) == READ) {
		r = route_read(c, bio, io, oblock, seq, &promote);
	} else {
		r = route_write(c, bio, io, oblock, seq);
	}
	if (promote != CB_NONE) {
		job = new_promotion(c, promote);
		if (job) {
			list_add_tail(&job->list, &c->jobs_queued);
		} else {
			/* Never mapped in committed metadata: free at once. */
			slot_detach(c, promote);
			rs_repl_invalidate(&c->repl, oblock);
			cb(c, promote)->flags = 0;
			list_push(c, &c->free_head, &c->nr_free, promote);
			io->result = DM_RESTACK_RESULT_BYPASS;
		}
	}
	if (r == ROUTE_DEFER)
		bio_list_add(&c->deferred, bio);
	if (r == ROUTE_ORIGIN && op_is_write(bio_op(bio)))
		origin_write_begin(c, io);
	/*
	 * A FUA write to the origin is durable on completion, but a crash
	 * must not bring back a cached copy older than it: complete it only
	 * after a commit if a dropped mapping is not committed yet, and in
	 * wt always (the commit also makes its fast-device copy durable).
	 */
	if ((r == ROUTE_ORIGIN || r == ROUTE_ORIGIN_WT) &&
	    op_is_write(bio_op(bio)) && (bio->bi_opf & REQ_FUA) &&
	    (r == ROUTE_ORIGIN_WT || c->uncommitted_drops)) {
		io->policy_data[0] |= IO_NEED_COMMIT;
		/* The commit flushes the origin first: as in to_fast(). */
		bio->bi_opf &= ~REQ_FUA;
	}
	spin_unlock_irqrestore(&c->lock, flags);

	if (job)
		kick(c);
	/*
	 * The device's latency starts now (not at map: deferral is ours).  A
	 * write-through write is not timed here: it completes only with its
	 * fast-device copy (timed in wt_clone_endio), so its end would show
	 * the slower of the two devices, not the origin.
	 */
	if (r == ROUTE_FAST || r == ROUTE_ORIGIN)
		io->policy_data[1] = (unsigned long)ktime_get_ns();

	switch (r) {
	case ROUTE_DEFER:
		/* What we wait for kicks the worker when it is done. */
		if (!in_worker)
			kick(c);
		return DM_MAPIO_SUBMITTED;
	case ROUTE_KILL:
		return DM_MAPIO_KILL;
	case ROUTE_ORIGIN_WT:
		if (!submit_wt_clone(c, bio, io_cblock(io))) {
			/* No memory for the copy: the cached one must go. */
			u32 i = io_cblock(io);

			spin_lock_irqsave(&c->lock, flags);
			atomic_dec(&cb(c, i)->inflight);
			cb(c, i)->writes--;
			if (cb(c, i)->flags & CB_VALID)
				drop_key(c, cb(c, i)->oblock);
			io->policy_data[0] &= ~(IO_WT_WRITE | IO_FILLING);
			spin_unlock_irqrestore(&c->lock, flags);
		}
		return DM_MAPIO_REMAPPED;
	default:
		return DM_MAPIO_REMAPPED;
	}
}

/* Stop using the fast device; for wt/wa the origin has everything. */
static void fast_failed_locked(struct cache *c)
{
	if (!c->fast_failed)
		DMERR("%s: fast device failed; %s", dm_restack_volume_name(c->vol),
		      c->mode == MODE_WB ? "dirty blocks are written back where readable" :
		      "all I/O now goes to the origin");
	c->fast_failed = true;
	c->stats.fast_errors++;
}

/*
 * Dirty data of @b cannot be read back: reads of it fail from now on
 * (never stale origin data), and the volume reports failed.
 */
static void mark_lost(struct cache *c, struct cblock *b)
{
	if (b->flags & CB_LOST)
		return;
	b->flags |= CB_LOST;
	c->nr_lost++;
	dm_restack_volume_set_failed(c->vol);
	DMERR("%s: dirty origin block %llu is lost on the fast device",
	      dm_restack_volume_name(c->vol), b->oblock);
}

static void wt_clone_endio(struct bio *bio)
{
	struct wt_clone *wt = container_of(bio, struct wt_clone, clone);
	struct cache *c = wt->cache;
	struct bio *parent = wt->parent;
	struct cblock *b = cb(c, wt->cblock);
	unsigned long flags;
	bool filled = false;

	lat_account(c, true, wt->start_ns);
	/* The block stays pinned until both writes are done (wt_write_done). */
	spin_lock_irqsave(&c->lock, flags);
	if (bio->bi_status) {
		/* The origin write decides the result; the copy is dropped. */
		fast_failed_locked(c);
		if (b->flags & CB_VALID)
			drop_key(c, b->oblock);
	} else if (b->flags & CB_FILLING) {
		/* A write-allocated block: it holds the data now. */
		b->flags &= ~CB_FILLING;
		filled = true;
	}
	if (b->flags & CB_VALID)
		pin_update(c, wt->cblock);
	spin_unlock_irqrestore(&c->lock, flags);
	bio_put(bio);
	bio_endio(parent);
	if (filled)
		kick(c);
}

/* Split @bio at the cache block boundary; update the recorded length. */
static void split_at_block(struct cache *c, struct bio *bio,
			   struct dm_restack_io *io)
{
	u32 offset = bio->bi_iter.bi_sector & (c->block_sectors - 1);
	u32 len = bio_sectors(bio);

	/* Issue 12/10: the restack helper keeps the volume's counters right. */
	if (offset + len > c->block_sectors)
		dm_restack_accept_partial_bio(&c->policy, bio, io,
					      c->block_sectors - offset);
}

static int cache_map(struct dm_restack_policy *p, struct bio *bio,
		     struct dm_restack_io *io)
{
	struct cache *c = to_cache(p);
	unsigned long flags;

	set_io(io, 0, 0);
	io->policy_data[1] = 0;		/* not timed unless routed */
	io->result = DM_RESTACK_RESULT_ORIGIN;

	if (bio->bi_opf & REQ_PREFLUSH) {
		/*
		 * A flush completes after a commit (which flushes the origin,
		 * then the fast device): in wb always; in wt while the fast
		 * device is in use, since write-through copies of acknowledged
		 * writes must be durable before their blocks are trusted after
		 * a crash; in wa only if dropped mappings are not committed
		 * yet.  Otherwise it only flushes the origin.
		 */
		spin_lock_irqsave(&c->lock, flags);
		if (c->mode != MODE_WB && c->uncommitted_drops == 0 &&
		    (c->mode != MODE_WT || c->fast_failed)) {
			spin_unlock_irqrestore(&c->lock, flags);
			return DM_MAPIO_REMAPPED;
		}
		bio_list_add(&c->deferred, bio);
		spin_unlock_irqrestore(&c->lock, flags);
		kick(c);
		return DM_MAPIO_SUBMITTED;
	}

	switch (bio_op(bio)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		break;
	case REQ_OP_DISCARD:
	case REQ_OP_SECURE_ERASE:
	case REQ_OP_WRITE_ZEROES:
		/* Cached copies must go first: done in the worker. */
		spin_lock_irqsave(&c->lock, flags);
		bio_list_add(&c->deferred, bio);
		spin_unlock_irqrestore(&c->lock, flags);
		kick(c);
		return DM_MAPIO_SUBMITTED;
	default:
		return DM_MAPIO_REMAPPED;
	}

	split_at_block(c, bio, io);
	io->policy_iter = bio->bi_iter;
	return cache_route(c, bio, io, false);
}

/*
 * A write-through write is done on both devices (cache->lock held).  Its
 * block is recorded in metadata only now: recorded when its copy alone
 * was in, a commit could pair the new copy with an origin that a crash
 * leaves old, and reads would flip from one to the other on eviction.
 * If the origin write failed, the copy (newer than the origin) goes.
 */
static void wt_write_done(struct cache *c, struct dm_restack_io *io,
			  blk_status_t error)
{
	u32 i = io_cblock(io);
	struct cblock *b = cb(c, i);

	atomic_dec(&b->inflight);
	b->writes--;
	if (b->flags & CB_VALID) {
		if (error)
			drop_key(c, b->oblock);
		else if ((io->policy_data[0] & IO_FILLING) && !(b->flags & CB_FILLING))
			meta_set_from_block(c, i);
	}
	if (b->flags & CB_VALID)
		pin_update(c, i);
	io->policy_data[0] &= ~(IO_WT_WRITE | IO_FILLING);
}

static int cache_end_io(struct dm_restack_policy *p, struct bio *bio,
			struct dm_restack_io *io, blk_status_t *error)
{
	struct cache *c = to_cache(p);
	unsigned long f = io->policy_data[0];
	u32 i = io_cblock(io);
	struct cblock *b;
	unsigned long flags;
	bool retry = false, commit = false;

	/* Timed once: a bio completed after a commit comes back here. */
	if (io->policy_data[1] && !(f & IO_COMMITTED)) {
		lat_account(c, f & IO_FAST, io->policy_data[1]);
		io->policy_data[1] = 0;
	}
	if (!(f & IO_FAST)) {
		bool count_error = *error && !(f & IO_RETRIED);

		if (count_error ||
		    (f & (IO_ORIGIN_WRITE | IO_RANGE_WRITE | IO_WT_WRITE))) {
			spin_lock_irqsave(&c->lock, flags);
			if (count_error)
				c->stats.origin_errors++;
			origin_write_end(c, io);
			if (f & IO_WT_WRITE)
				wt_write_done(c, io, *error);
			spin_unlock_irqrestore(&c->lock, flags);
		}
		if (*error || !(f & IO_NEED_COMMIT) || (f & IO_COMMITTED))
			return DM_ENDIO_DONE;
		/* A FUA write that must wait for a commit (cache_route). */
		spin_lock_irqsave(&c->lock, flags);
		io->policy_data[0] |= IO_COMMITTED;
		bio_list_add(&c->after_commit, bio);
		spin_unlock_irqrestore(&c->lock, flags);
		kick(c);
		return DM_ENDIO_INCOMPLETE;
	}
	if (f & IO_COMMITTED)
		return DM_ENDIO_DONE;

	b = cb(c, i);
	/*
	 * A read hit that succeeded changes nothing but the count that keeps
	 * the block from reuse: no lock (the hit path's other half).
	 */
	if (!*error && bio_data_dir(bio) == READ) {
		/* The read is done with the block before it may be reused. */
		smp_mb__before_atomic();
		atomic_dec(&b->inflight);
		return DM_ENDIO_DONE;
	}

	spin_lock_irqsave(&c->lock, flags);
	atomic_dec(&b->inflight);
	if (bio_data_dir(bio) == WRITE)
		b->writes--;
	if (!*error) {
		if (f & IO_FILLING) {
			b->flags &= ~CB_FILLING;
			meta_set_from_block(c, i);
		}
		if (f & IO_NEED_COMMIT)
			commit = true;
	} else if (bio_data_dir(bio) == READ && !(b->flags & CB_DIRTY)) {
		/* A clean copy failed: read the origin instead. */
		fast_failed_locked(c);
		forget_block(c, i);
		retry = true;
	} else if (bio_data_dir(bio) == WRITE && (f & IO_FILLING)) {
		/* Nothing else was in the block: the origin can take it. */
		fast_failed_locked(c);
		forget_block(c, i);
		retry = true;
	} else {
		/* Dirty data we can no longer trust: report, never hide. */
		fast_failed_locked(c);
		mark_lost(c, b);
	}
	if (b->flags & CB_VALID)
		pin_update(c, i);
	if (retry) {
		io->policy_data[0] = IO_RETRIED;
		if (bio_data_dir(bio) == WRITE)
			origin_write_begin(c, io);
		bio_list_add(&c->retry, bio);
	} else if (commit) {
		io->policy_data[0] |= IO_COMMITTED;
		bio_list_add(&c->after_commit, bio);
	}
	spin_unlock_irqrestore(&c->lock, flags);

	/* Bios waiting for this block's fill can go now. */
	if (retry || commit || (f & IO_FILLING) || !bio_list_empty(&c->deferred))
		kick(c);
	if (retry) {
		*error = BLK_STS_OK;
		return DM_ENDIO_INCOMPLETE;
	}
	return commit ? DM_ENDIO_INCOMPLETE : DM_ENDIO_DONE;
}

/* ---------------------------------------------------------------------- */
/* Metadata I/O (process context) */

static int meta_io(struct cache *c, sector_t sector, void *buf, blk_opf_t op)
{
	unsigned long start = (unsigned long)ktime_get_ns();
	struct bio_vec bvec;
	struct bio bio;
	int r;

	bio_init(&bio, c->fast, &bvec, 1, op);
	bio.bi_iter.bi_sector = sector;
	__bio_add_page(&bio, virt_to_page(buf), RESTACK_CACHE_PAGE_SIZE,
		       offset_in_page(buf));
	r = submit_bio_wait(&bio);
	lat_account(c, true, start);
	return r;
}

/*
 * Commit the metadata image: see the protocol in dm-restack-cache-meta.h.
 * Blocks freed before the commit began become reusable after it.
 * Process context; takes commit_lock.
 */
static int __cache_commit(struct cache *c, bool clean);

/*
 * Commit, unless the fast device has failed: then a commit would only
 * repeat its error, so the bios waiting for one complete at once: flushes
 * after flushing the origin, FUA writes that went to the fast device with
 * an error (their durability cannot be promised).
 */
static int cache_commit(struct cache *c, bool clean)
{
	struct bio_list waiting = BIO_EMPTY_LIST;
	unsigned long flags;
	struct bio *bio;
	int r;

	if (!READ_ONCE(c->fast_failed))
		return __cache_commit(c, clean);

	spin_lock_irqsave(&c->lock, flags);
	bio_list_merge(&waiting, &c->after_commit);
	bio_list_init(&c->after_commit);
	spin_unlock_irqrestore(&c->lock, flags);
	if (bio_list_empty(&waiting))
		return -EIO;
	r = blkdev_issue_flush(c->origin);
	while ((bio = bio_list_pop(&waiting))) {
		struct dm_restack_io *io = dm_per_bio_data(bio, sizeof(*io));

		if (r || (io->policy_data[0] & IO_FAST))
			bio->bi_status = BLK_STS_IOERR;
		bio_endio(bio);
	}
	return -EIO;
}

static int __cache_commit(struct cache *c, bool clean)
{
	struct bio_list done = BIO_EMPTY_LIST;
	u32 page, pending, nr_pages = c->geo.meta_pages;
	unsigned long *changed;
	unsigned long flags;
	struct bio *bio;
	u64 seq;
	int r = 0;

	changed = bitmap_zalloc(nr_pages, GFP_NOIO);
	if (!changed)
		return -ENOMEM;

	mutex_lock(&c->commit_lock);
	seq = c->commit_seq + 1;

	spin_lock_irqsave(&c->lock, flags);
	bitmap_copy(changed, c->dirty_pages, nr_pages);
	bitmap_zero(c->dirty_pages, nr_pages);
	/*
	 * Encoding page by page from the live entries would mix moments: a
	 * block evicted and re-admitted elsewhere between two pages' encoding
	 * was committed at both places (the crash test found an origin block
	 * mapped twice).  Pages changed after this copy go to the next commit.
	 */
	for_each_set_bit(page, changed, nr_pages)
		memcpy(&c->commit_snap[page * RESTACK_CACHE_ENTRIES_PER_PAGE],
		       &c->entries[page * RESTACK_CACHE_ENTRIES_PER_PAGE],
		       RESTACK_CACHE_ENTRIES_PER_PAGE * sizeof(*c->entries));
	pending = c->pending_head;
	c->pending_head = CB_NONE;
	c->nr_pending = 0;
	c->uncommitted_drops = 0;
	bio_list_merge(&done, &c->after_commit);
	bio_list_init(&c->after_commit);
	spin_unlock_irqrestore(&c->lock, flags);

	/* 1: what write-back put on the origin must be durable first. */
	r = blkdev_issue_flush(c->origin);
	if (r)
		goto out;

	/* 2: changed pages into their older slots. */
	for_each_set_bit(page, changed, nr_pages) {
		unsigned int slot = !c->latest_slot[page];

		restack_cache_page_encode(c->page_buf, page, c->geo.format_id,
					  seq, &c->commit_snap[page *
					  RESTACK_CACHE_ENTRIES_PER_PAGE]);
		r = meta_io(c, restack_cache_page_sector(page, slot),
			    c->page_buf, REQ_OP_WRITE | REQ_SYNC);
		if (r)
			goto out;
	}

	/* 3 and 4: pages (and data) durable, then the superblock. */
	r = blkdev_issue_flush(c->fast);
	if (r)
		goto out;
	restack_cache_sb_encode(c->page_buf, &c->geo,
				dm_restack_volume_sectors(c->vol), seq, clean);
	r = meta_io(c, RESTACK_CACHE_SB_SECTOR(seq % 2), c->page_buf,
		    REQ_OP_WRITE | REQ_SYNC | REQ_FUA);
	if (r)
		goto out;

	for_each_set_bit(page, changed, nr_pages)
		c->latest_slot[page] = !c->latest_slot[page];
	c->commit_seq = seq;

out:
	spin_lock_irqsave(&c->lock, flags);
	if (r) {
		/* Nothing was committed: pages and blocks stay pending. */
		bitmap_or(c->dirty_pages, c->dirty_pages, changed, nr_pages);
		c->uncommitted_drops++;
		fast_failed_locked(c);
	} else {
		c->stats.commits++;
	}
	while (pending != CB_NONE) {
		u32 i = pending;

		pending = cb(c, i)->next;
		if (!r && !atomic_read(&cb(c, i)->inflight) && !cb(c, i)->flags)
			list_push(c, &c->free_head, &c->nr_free, i);
		else
			list_push(c, &c->pending_head, &c->nr_pending, i);
	}
	spin_unlock_irqrestore(&c->lock, flags);
	mutex_unlock(&c->commit_lock);
	bitmap_free(changed);

	if (r)
		DMERR("%s: metadata commit failed: %d", dm_restack_volume_name(c->vol), r);
	/* Bios that waited for this commit complete now (with its result). */
	while ((bio = bio_list_pop(&done))) {
		if (r)
			bio->bi_status = errno_to_blk_status(r);
		bio_endio(bio);
	}
	return r;
}

/* ---------------------------------------------------------------------- */
/* Copy jobs: promotions and write-back, by kcopyd */

static void copy_done(int read_err, unsigned long write_err, void *context)
{
	struct copy_job *job = context;
	struct cache *c = job->cache;
	u32 i = job->cblock;
	struct cblock *b = cb(c, i);
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	if (job->promotion) {
		c->nr_promoting--;
		if (read_err)
			c->stats.origin_errors++;
		if (write_err)
			fast_failed_locked(c);
		if (read_err || write_err || (b->flags & CB_STALE) ||
		    c->fast_failed) {
			/* Never mapped in committed metadata: free at once. */
			if (b->slot != CB_NONE) {
				slot_detach(c, i);
				rs_repl_invalidate(&c->repl, b->oblock);
			}
			b->flags = 0;
			list_push(c, &c->free_head, &c->nr_free, i);
		} else {
			/* Keep the pin bit: pin_update() compares against it. */
			b->flags = CB_VALID | (b->flags & CB_PINNED);
			c->nr_valid++;
			meta_set_from_block(c, i);
			pin_update(c, i);
			c->stats.promotions++;
		}
	} else {
		c->nr_writeback--;
		b->flags &= ~CB_WRITEBACK;
		if (read_err) {
			fast_failed_locked(c);
			mark_lost(c, b);
		} else if (write_err) {
			c->stats.origin_errors++;
		} else if (!(b->flags & CB_REDIRTY)) {
			/*
			 * Clean, but left dirty in metadata: a later write then
			 * lands in place instead of taking a committed-free
			 * block (record_clean() records it clean when it pays).
			 */
			b->flags &= ~CB_DIRTY;
			b->flags |= CB_RECORDED_DIRTY;
			c->nr_dirty--;
			c->stats.writebacks++;
		}
		b->flags &= ~CB_REDIRTY;
		pin_update(c, i);
	}
	spin_unlock_irqrestore(&c->lock, flags);
	kfree(job);
	wake_up_all(&c->wait);
	kick(c);
}

static void start_copy(struct cache *c, struct copy_job *job)
{
	struct cblock *b = cb(c, job->cblock);
	struct dm_io_region fast = {
		.bdev = c->fast,
		.sector = c->geo.data_start +
			  ((sector_t)job->cblock << c->block_shift),
		.count = c->block_sectors,
	};
	struct dm_io_region origin = {
		.bdev = c->origin,
		.sector = b->oblock << c->block_shift,
		.count = c->block_sectors,
	};
	sector_t end = dm_restack_volume_sectors(c->vol);

	/* The last block of an origin not a multiple of the block size. */
	if (origin.sector + origin.count > end) {
		origin.count = end - origin.sector;
		fast.count = origin.count;
	}
	if (job->promotion)
		dm_kcopyd_copy(c->kcopyd, &origin, 1, &fast, 0, copy_done, job);
	else
		dm_kcopyd_copy(c->kcopyd, &fast, 1, &origin, 0, copy_done, job);
}

/* Pick dirty blocks to write back (cache->lock held). */
static void queue_writebacks(struct cache *c, struct list_head *jobs)
{
	u32 scanned = 0;

	while (c->nr_writeback < MAX_WRITEBACKS &&
	       scanned++ < c->geo.nr_blocks) {
		struct cblock *b = cb(c, c->wb_cursor);
		struct copy_job *job;

		/*
		 * Not while writes are in flight on it: one routed before the
		 * write-back began is not marked CB_REDIRTY, and the copy
		 * could read the block before the write lands, then record
		 * the block clean with the origin holding the older data.
		 */
		if ((b->flags & (CB_VALID | CB_DIRTY | CB_FILLING |
				 CB_WRITEBACK | CB_LOST)) ==
		    (CB_VALID | CB_DIRTY) && !b->writes) {
			job = kzalloc(sizeof(*job), GFP_NOWAIT);
			if (!job)
				break;
			job->cache = c;
			job->cblock = c->wb_cursor;
			b->flags |= CB_WRITEBACK;
			pin_update(c, c->wb_cursor);
			c->nr_writeback++;
			list_add_tail(&job->list, jobs);
		}
		if (++c->wb_cursor >= c->geo.nr_blocks)
			c->wb_cursor = 0;
	}
}

/* ---------------------------------------------------------------------- */
/* Discards and the like: drop cached copies, then pass to the origin. */

/* Drop block @i if it caches part of [@first, @last]; false if busy. */
static bool drop_if_in_range(struct cache *c, u32 i, u64 first, u64 last)
{
	struct cblock *b = cb(c, i);

	if (!(b->flags & (CB_VALID | CB_PROMOTING)) || b->slot == CB_NONE ||
	    b->oblock < first || b->oblock > last)
		return true;
	if (b->flags & (CB_FILLING | CB_WRITEBACK))
		return false;	/* retried when they are done */
	/* Promotions in flight are marked stale and dropped when done. */
	drop_key(c, b->oblock);
	return true;
}

/*
 * Drop the cached copies of a discard's (or write-zeroes') range: by
 * looking up each block of a short range, by scanning the cache for a
 * long one.  Returns false if some block was busy; if true, @io counts
 * as a range write until it completes.
 */
static bool drop_range(struct cache *c, struct bio *bio,
		       struct dm_restack_io *io)
{
	u64 first = bio->bi_iter.bi_sector >> c->block_shift;
	u64 last = (bio_end_sector(bio) - 1) >> c->block_shift;
	bool done = true;
	unsigned long flags;
	u64 o;
	u32 i;

	spin_lock_irqsave(&c->lock, flags);
	if (last - first < c->geo.nr_blocks) {
		for (o = first; o <= last; o++) {
			i = lookup(c, o);
			if (i != CB_NONE)
				done &= drop_if_in_range(c, i, first, last);
		}
	} else {
		for (i = 0; i < c->geo.nr_blocks; i++)
			done &= drop_if_in_range(c, i, first, last);
	}
	/* Under the same lock: no promotion starts in between. */
	if (done)
		range_write_begin(c, io);
	spin_unlock_irqrestore(&c->lock, flags);
	return done;
}

/* ---------------------------------------------------------------------- */
/* The worker */

/* Is write-back of our own due (cache->lock held)?  See the watermarks. */
static bool writeback_due(struct cache *c)
{
	u64 dirty = c->nr_dirty * 100;

	if (dirty > (u64)c->high_watermark * c->geo.nr_blocks)
		c->writeback_on = true;
	else if (dirty <= (u64)c->low_watermark * c->geo.nr_blocks)
		c->writeback_on = false;
	return c->writeback_on;
}

/*
 * Evicted blocks become reusable only after a commit: one is due when the
 * free blocks run low and evicted ones wait, or when a quarter of the
 * reserve waits.  Waiting for the pool to run low left it dry for a whole
 * commit under write-back random writes (every write to a block that
 * write-back had cleaned takes a free block), and 2.2% of those writes
 * went to the slow origin (cache->lock held).
 */
static bool commit_due(struct cache *c)
{
	u32 reserve = c->geo.nr_blocks - c->nr_slots;

	return c->nr_pending &&
	       (c->nr_free < max_t(u32, reserve / 2, 1) ||
		c->nr_pending >= max_t(u32, reserve / 4, 1));
}

static void resubmit_to_origin(struct cache *c, struct bio *bio)
{
	struct dm_restack_io *io = dm_per_bio_data(bio, sizeof(*io));

	bio->bi_iter = io->policy_iter;
	bio->bi_status = BLK_STS_OK;
	bio->bi_opf |= io->opf & REQ_FUA;
	bio_set_dev(bio, c->origin);
	io->policy_data[1] = (unsigned long)ktime_get_ns();
	submit_bio_noacct(bio);
}

static void cache_worker(struct work_struct *work)
{
	struct cache *c = container_of(work, struct cache, worker);
	struct bio_list deferred, retry;
	LIST_HEAD(jobs);
	struct copy_job *job, *tmp;
	bool commit = false;
	unsigned long flags;
	struct bio *bio;

	spin_lock_irqsave(&c->lock, flags);
	deferred = c->deferred;
	bio_list_init(&c->deferred);
	retry = c->retry;
	bio_list_init(&c->retry);
	list_splice_init(&c->jobs_queued, &jobs);
	if (!c->stopping && (c->cleaning || writeback_due(c) || c->fast_failed))
		queue_writebacks(c, &jobs);
	if (!c->stopping && commit_due(c))
		commit = true;
	if (!bio_list_empty(&c->after_commit))
		commit = true;
	spin_unlock_irqrestore(&c->lock, flags);

	while ((bio = bio_list_pop(&retry)))
		resubmit_to_origin(c, bio);

	while ((bio = bio_list_pop(&deferred))) {
		struct dm_restack_io *io = dm_per_bio_data(bio, sizeof(*io));

		if (bio->bi_opf & REQ_PREFLUSH) {
			/* Completed by the commit below. */
			spin_lock_irqsave(&c->lock, flags);
			bio_list_add(&c->after_commit, bio);
			spin_unlock_irqrestore(&c->lock, flags);
			commit = true;
		} else if (bio_op(bio) != REQ_OP_READ &&
			   bio_op(bio) != REQ_OP_WRITE) {
			if (drop_range(c, bio, io)) {
				dm_submit_bio_remap(bio, NULL);
			} else {
				spin_lock_irqsave(&c->lock, flags);
				bio_list_add(&c->deferred, bio);
				spin_unlock_irqrestore(&c->lock, flags);
			}
		} else {
			switch (cache_route(c, bio, io, true)) {
			case DM_MAPIO_REMAPPED:
				dm_restack_io_remapped(c->vol, io, bio);
				dm_submit_bio_remap(bio, NULL);
				break;
			case DM_MAPIO_KILL:
				bio_io_error(bio);
				break;
			default:
				break;	/* deferred again */
			}
		}
	}

	list_for_each_entry_safe(job, tmp, &jobs, list) {
		list_del(&job->list);
		start_copy(c, job);
	}

	if (commit)
		cache_commit(c, false);
}

static void cache_periodic(struct work_struct *work)
{
	struct cache *c = container_of(to_delayed_work(work), struct cache,
				       periodic);
	bool any;

	any = !bitmap_empty(c->dirty_pages, c->geo.meta_pages) ||
		READ_ONCE(c->nr_pending);
	if (any)
		cache_commit(c, false);
	/* Write-back and commits that are due happen in the worker. */
	kick(c);
	if (!READ_ONCE(c->stopping))
		queue_delayed_work(c->wq, &c->periodic, COMMIT_PERIOD);
}

/* ---------------------------------------------------------------------- */
/* Loading and formatting (process context) */

static void state_reset(struct cache *c)
{
	struct rs_repl_params p = {
		.kind = c->replacement,
		.nr_blocks = c->nr_slots,
		.promote_hits = c->promote_hits,
	};
	u32 i;

	/* Sized by alloc_state() for exactly these parameters. */
	WARN_ON(rs_repl_init(&c->repl, &p, c->repl_mem, rs_repl_mem_size(&p)));
	rs_seq_init(&c->seq, (u64)c->seq_cutoff_sectors << SECTOR_SHIFT);
	for (i = 0; i < c->nr_slots; i++)
		c->slot_phys[i] = CB_NONE;
	memset(c->blocks, 0, c->geo.nr_blocks * sizeof(*c->blocks));
	for (i = 0; i < c->geo.nr_blocks; i++) {
		c->blocks[i].next = CB_NONE;
		c->blocks[i].slot = CB_NONE;
	}
	c->free_head = CB_NONE;
	c->pending_head = CB_NONE;
	c->nr_free = 0;
	c->nr_pending = 0;
	c->nr_valid = 0;
	c->nr_dirty = 0;
	c->nr_lost = 0;
	memset(c->latest_slot, 0, c->geo.meta_pages);
	bitmap_zero(c->dirty_pages, c->geo.meta_pages);
}

/*
 * Rebuild the in-memory state from committed metadata entries: each
 * cached block gets a slot (a warm start for the replacement).  Clean
 * blocks beyond the slots are dropped; dirty ones never exceed them.
 */
static int state_from_entries(struct cache *c)
{
	u64 origin_blocks = DIV_ROUND_UP_ULL(dm_restack_volume_sectors(c->vol),
					     c->block_sectors);
	u32 i, slot = 0;

	for (i = c->geo.nr_blocks; i-- > 0;) {
		u32 flags = le32_to_cpu(c->entries[i].flags);
		u64 oblock = le64_to_cpu(c->entries[i].oblock);
		struct cblock *b = cb(c, i);

		if (!(flags & RESTACK_CACHE_ENTRY_VALID))
			continue;
		if (oblock >= origin_blocks || lookup(c, oblock) != CB_NONE) {
			DMERR("%s: metadata maps cache block %u to %s origin block %llu",
			      dm_restack_volume_name(c->vol), i,
			      oblock >= origin_blocks ? "out-of-range" : "twice-mapped",
			      oblock);
			return -EUCLEAN;
		}
		if (slot >= c->nr_slots) {
			if (flags & RESTACK_CACHE_ENTRY_DIRTY) {
				DMERR("%s: more dirty blocks than cache slots",
				      dm_restack_volume_name(c->vol));
				return -EUCLEAN;
			}
			meta_set(c, i, 0, 0);
			continue;
		}
		if (rs_repl_restore(&c->repl, oblock, slot))
			return -EUCLEAN;
		b->oblock = oblock;
		b->flags = CB_VALID;
		b->slot = slot;
		c->slot_phys[slot++] = i;
		if (flags & RESTACK_CACHE_ENTRY_DIRTY) {
			b->flags |= CB_DIRTY;
			c->nr_dirty++;
		}
		c->nr_valid++;
		pin_update(c, i);
	}
	for (i = c->geo.nr_blocks; i-- > 0;)
		if (!cb(c, i)->flags)
			list_push(c, &c->free_head, &c->nr_free, i);
	return 0;
}

static int format_device(struct cache *c)
{
	u32 page;
	int r;

	c->geo.format_id = get_random_u64();
	memset(c->entries, 0, c->geo.meta_pages *
	       RESTACK_CACHE_ENTRIES_PER_PAGE * sizeof(*c->entries));
	for (page = 0; page < c->geo.meta_pages; page++) {
		restack_cache_page_encode(c->page_buf, page, c->geo.format_id, 0,
					  &c->entries[page * RESTACK_CACHE_ENTRIES_PER_PAGE]);
		r = meta_io(c, restack_cache_page_sector(page, 0), c->page_buf,
			    REQ_OP_WRITE | REQ_SYNC);
		if (r)
			return r;
	}
	r = blkdev_issue_flush(c->fast);
	if (r)
		return r;
	/* Both copies: an older format's copy must not outrank ours. */
	restack_cache_sb_encode(c->page_buf, &c->geo,
				dm_restack_volume_sectors(c->vol), 0, true);
	r = meta_io(c, RESTACK_CACHE_SB_SECTOR(1), c->page_buf,
		    REQ_OP_WRITE | REQ_SYNC | REQ_FUA);
	if (!r)
		r = meta_io(c, RESTACK_CACHE_SB_SECTOR(0), c->page_buf,
			    REQ_OP_WRITE | REQ_SYNC | REQ_FUA);
	c->commit_seq = 0;
	return r;
}

/* Read the committed state (or format a fresh device).  *error on failure. */
static int load_device(struct cache *c, bool block_size_given,
		       const char **error)
{
	sector_t fast_sectors = bdev_nr_sectors(c->fast), origin_sectors;
	struct restack_cache_geometry geo;
	void *sb0, *sb1, *slot0, *slot1;
	bool clean;
	u64 seq;
	u32 page;
	int pick, r;

	sb0 = kmalloc(RESTACK_CACHE_PAGE_SIZE, GFP_KERNEL);
	sb1 = kmalloc(RESTACK_CACHE_PAGE_SIZE, GFP_KERNEL);
	if (!sb0 || !sb1) {
		r = -ENOMEM;
		*error = "cache: out of memory";
		goto out;
	}
	slot0 = sb0;
	slot1 = sb1;

	pick = restack_cache_sb_pick(meta_io(c, RESTACK_CACHE_SB_SECTOR(0), sb0,
					     REQ_OP_READ) ? NULL : sb0,
				     meta_io(c, RESTACK_CACHE_SB_SECTOR(1), sb1,
					     REQ_OP_READ) ? NULL : sb1);
	if (pick == -ENODATA) {
		r = format_device(c);
		if (r)
			*error = "cache: cannot format the fast device";
		else
			r = state_from_entries(c);
		goto out;
	}
	if (pick < 0 || restack_cache_sb_decode(pick ? sb1 : sb0, fast_sectors,
						&geo, &origin_sectors, &seq,
						&clean)) {
		r = -EUCLEAN;
		*error = "cache: the fast device's cache superblocks are corrupt";
		goto out;
	}
	if (origin_sectors != dm_restack_volume_sectors(c->vol)) {
		r = -EINVAL;
		*error = "cache: the fast device caches an origin of another size";
		goto out;
	}
	if (geo.block_sectors != c->block_sectors) {
		if (block_size_given) {
			r = -EINVAL;
			*error = "cache: the fast device holds a cache with another block_size";
			goto out;
		}
	}
	if (geo.block_sectors != c->block_sectors ||
	    geo.nr_blocks != c->geo.nr_blocks) {
		/*
		 * Adopt the device's geometry (its block size when none was
		 * given; the size it was formatted at on a grown device): the
		 * caller sizes its arrays again and loads once more.
		 */
		r = -EAGAIN;
		c->geo = geo;
		c->block_sectors = geo.block_sectors;
		c->block_shift = ilog2(geo.block_sectors);
		goto out;
	}
	c->geo.format_id = geo.format_id;
	c->commit_seq = seq;

	for (page = 0; page < c->geo.meta_pages; page++) {
		bool ok0 = !meta_io(c, restack_cache_page_sector(page, 0), slot0,
				    REQ_OP_READ);
		bool ok1 = !meta_io(c, restack_cache_page_sector(page, 1), slot1,
				    REQ_OP_READ);
		int s = restack_cache_page_pick(ok0 ? slot0 : NULL,
						ok1 ? slot1 : NULL, page,
						geo.format_id, seq);

		if (s < 0) {
			DMERR("%s: cache metadata page %u: no valid copy",
			      dm_restack_volume_name(c->vol), page);
			r = -EUCLEAN;
			*error = "cache: metadata page corrupt (see kernel log)";
			goto out;
		}
		c->latest_slot[page] = s;
		memcpy(&c->entries[page * RESTACK_CACHE_ENTRIES_PER_PAGE],
		       restack_cache_page_entries(s ? slot1 : slot0),
		       RESTACK_CACHE_ENTRIES_PER_PAGE * sizeof(*c->entries));
	}
	r = state_from_entries(c);
	if (r) {
		*error = "cache: metadata is inconsistent (see kernel log)";
	} else if (c->nr_dirty && c->mode != MODE_WB) {
		r = -EINVAL;
		*error = "cache: fast device has dirty blocks: attach mode=wb to clean";
	} else if (c->nr_dirty || c->nr_valid) {
		DMINFO("%s: cache loaded: %llu blocks cached, %llu dirty%s",
		       dm_restack_volume_name(c->vol), c->nr_valid, c->nr_dirty,
		       clean ? "" : " (recovered after an unclean shutdown)");
	}
out:
	kfree(sb0);
	kfree(sb1);
	return r;
}

static void free_state(struct cache *c)
{
	kvfree(c->blocks);
	kvfree(c->repl_mem);
	kvfree(c->slot_phys);
	kvfree(c->entries);
	kvfree(c->commit_snap);
	bitmap_free(c->dirty_pages);
	kvfree(c->latest_slot);
	c->blocks = NULL;
	c->repl_mem = NULL;
	c->slot_phys = NULL;
	c->entries = NULL;
	c->commit_snap = NULL;
	c->dirty_pages = NULL;
	c->latest_slot = NULL;
}

static int alloc_state(struct cache *c)
{
	u64 n = c->geo.nr_blocks;
	u32 reserve = clamp_t(u64, n / 32, 1, 65536);
	struct rs_repl_params p;
	size_t size;

	if (n < 2 || n >= CB_NONE || n - reserve > RS_REPL_MAX_BLOCKS)
		return -EINVAL;
	c->nr_slots = n - reserve;
	p = (struct rs_repl_params){
		.kind = c->replacement,
		.nr_blocks = c->nr_slots,
		.promote_hits = c->promote_hits,
	};
	size = rs_repl_mem_size(&p);
	if (!size)
		return -EINVAL;
	c->repl_mem = kvzalloc(size, GFP_KERNEL);
	c->slot_phys = kvcalloc(c->nr_slots, sizeof(*c->slot_phys), GFP_KERNEL);
	c->blocks = kvcalloc(n, sizeof(*c->blocks), GFP_KERNEL);
	c->entries = kvcalloc((size_t)c->geo.meta_pages *
			      RESTACK_CACHE_ENTRIES_PER_PAGE,
			      sizeof(*c->entries), GFP_KERNEL);
	c->commit_snap = kvcalloc((size_t)c->geo.meta_pages *
				  RESTACK_CACHE_ENTRIES_PER_PAGE,
				  sizeof(*c->commit_snap), GFP_KERNEL);
	c->dirty_pages = bitmap_zalloc(c->geo.meta_pages, GFP_KERNEL);
	c->latest_slot = kvzalloc(c->geo.meta_pages, GFP_KERNEL);
	if (!c->repl_mem || !c->slot_phys || !c->blocks || !c->entries ||
	    !c->commit_snap || !c->dirty_pages || !c->latest_slot) {
		free_state(c);
		return -ENOMEM;
	}
	state_reset(c);
	return 0;
}

/* Size the state for the fast device and load it; adopt its geometry. */
static int cache_load(struct cache *c, bool block_size_given,
		      const char **error)
{
	int r, tries;

	if (restack_cache_geometry(bdev_nr_sectors(c->fast), c->block_sectors,
				   &c->geo)) {
		*error = "cache: the fast device is too small for one cache block";
		return -ENOSPC;
	}
	for (tries = 0; tries < 2; tries++) {
		r = alloc_state(c);
		if (r) {
			*error = "cache: out of memory for the block table";
			return r;
		}
		r = load_device(c, block_size_given, error);
		if (r != -EAGAIN)
			break;
		free_state(c);
	}
	if (r == -EAGAIN)
		*error = "cache: the fast device's geometry keeps changing";
	if (r && c->blocks)
		free_state(c);
	c->loaded = !r;
	return r;
}

/* ---------------------------------------------------------------------- */
/* Ownership of the fast device's metadata, across table reloads.
 *
 * During a reload the new table's cache is created while the old one
 * still runs; the old one commits and releases the metadata in
 * postsuspend(), and the new one loads it in resume().  An instance that
 * is resumed again without anyone else having owned the device in between
 * keeps its in-memory state.
 */

static struct fast_dev *fast_dev_get(dev_t dev, const char *volume,
				     const char **error)
{
	struct fast_dev *f;

	lockdep_assert_held(&fast_devs_lock);
	list_for_each_entry(f, &fast_devs, list) {
		if (f->dev != dev)
			continue;
		if (strcmp(f->volume, volume)) {
			*error = "cache: the fast device is in use by another volume's cache";
			return ERR_PTR(-EBUSY);
		}
		f->users++;
		return f;
	}
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f) {
		*error = "cache: out of memory";
		return ERR_PTR(-ENOMEM);
	}
	f->dev = dev;
	strscpy(f->volume, volume, sizeof(f->volume));
	f->users = 1;
	list_add(&f->list, &fast_devs);
	return f;
}

static void fast_dev_put(struct fast_dev *f)
{
	lockdep_assert_held(&fast_devs_lock);
	if (--f->users)
		return;
	list_del(&f->list);
	kfree(f);
}

static void take_ownership(struct cache *c)
{
	c->fast_entry->owner = c;
	c->owner_gen = ++c->fast_entry->gen;
}

/*
 * Record the blocks write-back cleaned (CB_RECORDED_DIRTY) as clean in
 * the metadata image, for the next commit to write: on leaving wb, on
 * detach and at a clean shutdown, where a warm cache should not be
 * written back again after a crash.  Their write-back completed before,
 * and a commit flushes the origin before it writes pages.  Process
 * context; takes the lock for a chunk of blocks at a time.
 */
static void record_clean(struct cache *c)
{
	unsigned long flags;
	u32 i = 0, end;

	while (i < c->geo.nr_blocks) {
		end = min_t(u32, i + 4096, c->geo.nr_blocks);
		spin_lock_irqsave(&c->lock, flags);
		for (; i < end; i++) {
			if (cb(c, i)->flags & CB_RECORDED_DIRTY) {
				cb(c, i)->flags &= ~CB_RECORDED_DIRTY;
				meta_set_from_block(c, i);
			}
		}
		spin_unlock_irqrestore(&c->lock, flags);
		cond_resched();
	}
}

/* Stop background work and wait for copies in flight. */
static void quiesce(struct cache *c)
{
	WRITE_ONCE(c->stopping, true);
	cancel_delayed_work_sync(&c->periodic);
	flush_workqueue(c->wq);
	wait_event(c->wait, !READ_ONCE(c->nr_promoting) &&
		   !READ_ONCE(c->nr_writeback));
	flush_workqueue(c->wq);
}

static void restart(struct cache *c)
{
	WRITE_ONCE(c->stopping, false);
	queue_delayed_work(c->wq, &c->periodic, COMMIT_PERIOD);
	kick(c);
}

static void cache_postsuspend(struct dm_restack_policy *p)
{
	struct cache *c = to_cache(p);

	mutex_lock(&fast_devs_lock);
	if (c->fast_entry->owner == c) {
		/* Quiesced: the state on disk is complete, as at shutdown. */
		quiesce(c);
		record_clean(c);
		cache_commit(c, true);
		c->fast_entry->owner = NULL;
	}
	mutex_unlock(&fast_devs_lock);
}

static void cache_resume(struct dm_restack_policy *p)
{
	struct cache *c = to_cache(p);
	const char *error;

	mutex_lock(&fast_devs_lock);
	if (c->fast_entry->owner == c) {
		/* Attached to an already suspended volume: just start. */
		restart(c);
	} else if (!c->fast_entry->owner) {
		if (!c->loaded || c->fast_entry->gen != c->owner_gen) {
			free_state(c);
			if (cache_load(c, true, &error)) {
				DMERR("%s: %s; caching stops", dm_restack_volume_name(c->vol),
				      error);
				c->fast_failed = true;
			}
		}
		if (c->loaded)
			take_ownership(c);
		restart(c);
	} else {
		DMERR("%s: resumed while another cache owns the fast device; caching stops",
		      dm_restack_volume_name(c->vol));
		c->fast_failed = true;
	}
	mutex_unlock(&fast_devs_lock);
}

/* ---------------------------------------------------------------------- */
/* Construction and destruction */

static int parse_size(const char *value, u64 *out)
{
	return kstrtoull(value, 10, out);
}

static int cache_parse_args(struct cache *c, unsigned int argc,
			    char **argv, bool *block_size_given,
			    const char **error)
{
	unsigned int i;
	u64 v;

	c->mode = MODE_WT;
	c->block_sectors = 8;
	c->promote_hits = 0;
	c->seq_cutoff_sectors = 0;
	c->replacement = RS_REPL_S3FIFO;
	c->high_watermark = DEFAULT_HIGH_WATERMARK;
	c->low_watermark = DEFAULT_LOW_WATERMARK;
	*block_size_given = false;

	for (i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		const char *key = argv[i], *value;
		size_t klen;

		if (!eq) {
			*error = "cache: expected key=value arguments after the fast device";
			return -EINVAL;
		}
		klen = eq - key;
		value = eq + 1;
		if (klen == 4 && !strncmp(key, "mode", 4)) {
			int m = match_string(mode_names, ARRAY_SIZE(mode_names), value);

			if (m < 0) {
				*error = "cache: mode must be wt, wb or wa";
				return -EINVAL;
			}
			c->mode = m;
		} else if (klen == 10 && !strncmp(key, "block_size", 10)) {
			if (parse_size(value, &v) || v < 4096 || v > (1U << 20) ||
			    !is_power_of_2(v)) {
				*error = "cache: block_size: a power of two, 4096..1048576";
				return -EINVAL;
			}
			c->block_sectors = v >> SECTOR_SHIFT;
			*block_size_given = true;
		} else if (klen == 12 && !strncmp(key, "promote_hits", 12)) {
			if (parse_size(value, &v) || v > 255) {
				*error = "cache: promote_hits must be 0 to 255";
				return -EINVAL;
			}
			c->promote_hits = v;
		} else if (klen == 10 && !strncmp(key, "seq_cutoff", 10)) {
			if (parse_size(value, &v) || v % SECTOR_SIZE ||
			    v > (1ULL << 40)) {
				*error = "cache: seq_cutoff: bytes, a multiple of 512 (0: off)";
				return -EINVAL;
			}
			c->seq_cutoff_sectors = v >> SECTOR_SHIFT;
		} else if (klen == 11 && !strncmp(key, "replacement", 11)) {
			int k = rs_repl_lookup(value);

			if (k < 0) {
				*error = "cache: replacement: lru, sieve, s3fifo, arc or 2q";
				return -EINVAL;
			}
			c->replacement = k;
		} else if (klen == 14 && !strncmp(key, "high_watermark", 14)) {
			if (parse_size(value, &v) || v > 100) {
				*error = "cache: high_watermark: a percentage, 0 to 100";
				return -EINVAL;
			}
			c->high_watermark = v;
		} else if (klen == 13 && !strncmp(key, "low_watermark", 13)) {
			if (parse_size(value, &v) || v > 100) {
				*error = "cache: low_watermark: a percentage, 0 to 100";
				return -EINVAL;
			}
			c->low_watermark = v;
		} else {
			*error = "cache: unknown argument";
			return -EINVAL;
		}
	}
	if (c->low_watermark > c->high_watermark) {
		*error = "cache: low_watermark exceeds high_watermark";
		return -EINVAL;
	}
	c->block_shift = ilog2(c->block_sectors);
	return 0;
}

/* A path, or major:minor as the table line prints it. */
static int fast_dev_lookup(const char *name, dev_t *dev)
{
	unsigned int major, minor;
	char dummy;

	if (sscanf(name, "%u:%u%c", &major, &minor, &dummy) == 2) {
		*dev = MKDEV(major, minor);
		if (MAJOR(*dev) != major || MINOR(*dev) != minor)
			return -EOVERFLOW;
		return 0;
	}
	return lookup_bdev(name, dev);
}

static void cache_free(struct cache *c)
{
	if (c->wq)
		destroy_workqueue(c->wq);
	if (c->kcopyd)
		dm_kcopyd_client_destroy(c->kcopyd);
	bioset_exit(&c->bs);
	free_state(c);
	kfree(c->page_buf);
	free_percpu(c->lat);
	kfree(c);
}

static struct dm_restack_policy *cache_create(struct dm_restack_volume *vol,
					      unsigned int argc, char **argv,
					      const char **error)
{
	bool block_size_given;
	struct cache *c;
	dev_t dev;
	int r;

	if (argc < 1) {
		*error = "cache: missing fast device";
		return ERR_PTR(-EINVAL);
	}
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		*error = "cache: out of memory";
		return ERR_PTR(-ENOMEM);
	}
	c->vol = vol;
	c->origin = dm_restack_origin(vol);
	spin_lock_init(&c->lock);
	mutex_init(&c->commit_lock);
	init_waitqueue_head(&c->wait);
	INIT_LIST_HEAD(&c->jobs_queued);
	bio_list_init(&c->deferred);
	bio_list_init(&c->after_commit);
	bio_list_init(&c->retry);
	INIT_WORK(&c->worker, cache_worker);
	INIT_DELAYED_WORK(&c->periodic, cache_periodic);
	c->stopping = true;

	r = cache_parse_args(c, argc, argv, &block_size_given, error);
	if (r)
		goto bad;

	c->page_buf = kmalloc(RESTACK_CACHE_PAGE_SIZE, GFP_KERNEL);
	c->lat = alloc_percpu(struct cache_lat);
	c->wq = alloc_workqueue("restack-cache", WQ_MEM_RECLAIM, 0);
	c->kcopyd = dm_kcopyd_client_create(NULL);
	if (!c->page_buf || !c->lat || !c->wq || IS_ERR(c->kcopyd)) {
		if (IS_ERR(c->kcopyd))
			c->kcopyd = NULL;
		*error = "cache: out of memory";
		r = -ENOMEM;
		goto bad;
	}
	r = bioset_init(&c->bs, BIO_POOL_SIZE, offsetof(struct wt_clone, clone), 0);
	if (r) {
		*error = "cache: out of memory";
		goto bad;
	}

	r = fast_dev_lookup(argv[0], &dev);
	if (r) {
		*error = "cache: fast device not found";
		goto bad;
	}
	if (dev == c->origin->bd_dev) {
		*error = "cache: the fast device is the origin";
		r = -EINVAL;
		goto bad;
	}

	mutex_lock(&fast_devs_lock);
	c->fast_entry = fast_dev_get(dev, dm_restack_volume_name(vol), error);
	if (IS_ERR(c->fast_entry)) {
		r = PTR_ERR(c->fast_entry);
		c->fast_entry = NULL;
		goto bad_unlock;
	}
	c->fast = blkdev_get_by_dev(dev, FMODE_READ | FMODE_WRITE | FMODE_EXCL,
				    c->fast_entry);
	if (IS_ERR(c->fast)) {
		r = PTR_ERR(c->fast);
		c->fast = NULL;
		*error = r == -EBUSY ? "cache: the fast device is busy" :
			"cache: cannot open the fast device";
		goto bad_entry;
	}
	if (bdev_logical_block_size(c->fast) > bdev_logical_block_size(c->origin)) {
		*error = "cache: the fast device's logical block size exceeds the origin's";
		r = -EINVAL;
		goto bad_entry;
	}

	/* Load now unless the volume's previous table still owns it. */
	if (!c->fast_entry->owner) {
		r = cache_load(c, block_size_given, error);
		if (r)
			goto bad_entry;
		take_ownership(c);
		restart(c);
	}
	mutex_unlock(&fast_devs_lock);
	return &c->policy;

bad_entry:
	if (c->fast)
		blkdev_put(c->fast, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
	fast_dev_put(c->fast_entry);
bad_unlock:
	mutex_unlock(&fast_devs_lock);
bad:
	cache_free(c);
	return ERR_PTR(r);
}

/* Issue 12/8: no write passed through before the attach is in flight. */
static void cache_activate(struct dm_restack_policy *p)
{
	struct cache *c = to_cache(p);

	spin_lock_irq(&c->lock);
	c->origin_settled = true;
	spin_unlock_irq(&c->lock);
}

static void cache_destroy(struct dm_restack_policy *p)
{
	struct cache *c = to_cache(p);

	mutex_lock(&fast_devs_lock);
	quiesce(c);
	if (c->fast_entry->owner == c) {
		/* Clean shutdown: the cache stays warm for the next load. */
		record_clean(c);
		cache_commit(c, true);
		c->fast_entry->owner = NULL;
	}
	blkdev_put(c->fast, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
	fast_dev_put(c->fast_entry);
	mutex_unlock(&fast_devs_lock);
	cache_free(c);
}

/* ---------------------------------------------------------------------- */
/* Sync (detach), mode changes, status */

/* Write back every dirty block and commit; new writes make none. */
static int clean_all(struct cache *c)
{
	unsigned long flags;
	int r;

	spin_lock_irqsave(&c->lock, flags);
	c->cleaning = true;
	spin_unlock_irqrestore(&c->lock, flags);
	kick(c);

	r = wait_event_killable(c->wait, ({
		kick(c);
		READ_ONCE(c->nr_dirty) == READ_ONCE(c->nr_lost) &&
			!READ_ONCE(c->nr_writeback);
	}));
	if (!r && c->nr_lost) {
		DMERR("%s: %llu dirty blocks lost: the origin cannot be made complete",
		      dm_restack_volume_name(c->vol), c->nr_lost);
		r = -EIO;
	}
	/*
	 * What write-back copied must be durable on the origin: that is what
	 * makes it complete.  Recording the blocks as clean on the fast
	 * device only keeps the cache warm, so a dead fast device does not
	 * stop a detach.
	 */
	if (!r)
		r = blkdev_issue_flush(c->origin);
	if (!r && !READ_ONCE(c->fast_failed)) {
		record_clean(c);
		cache_commit(c, false);
	}
	if (r) {
		spin_lock_irqsave(&c->lock, flags);
		c->cleaning = false;
		spin_unlock_irqrestore(&c->lock, flags);
	}
	return r;
}

static int cache_sync(struct dm_restack_policy *p)
{
	return clean_all(to_cache(p));
}

static int cache_message(struct dm_restack_policy *p, unsigned int argc,
			 char **argv, char *result, unsigned int maxlen)
{
	struct cache *c = to_cache(p);
	unsigned long flags;
	int m, r;

	if (argc != 2 || strcmp(argv[0], "mode")) {
		DMERR("%s: unrecognised cache message (expected: mode wt|wb|wa)",
		      dm_restack_volume_name(c->vol));
		return -EINVAL;
	}
	m = match_string(mode_names, ARRAY_SIZE(mode_names), argv[1]);
	if (m < 0) {
		DMERR("%s: mode must be wt, wb or wa", dm_restack_volume_name(c->vol));
		return -EINVAL;
	}
	if (c->mode == MODE_WB && m != MODE_WB) {
		r = clean_all(c);
		if (r)
			return r;
	}
	spin_lock_irqsave(&c->lock, flags);
	c->mode = m;
	c->cleaning = false;
	spin_unlock_irqrestore(&c->lock, flags);
	return 0;
}

static unsigned int cache_status(struct dm_restack_policy *p, char *result,
				 unsigned int maxlen, unsigned int sz)
{
	struct cache *c = to_cache(p);
	struct cache_lat lat = { 0 };
	unsigned long flags;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct cache_lat *l = per_cpu_ptr(c->lat, cpu);

		lat.fast_ios += READ_ONCE(l->fast_ios);
		lat.fast_ns += READ_ONCE(l->fast_ns);
		lat.origin_ios += READ_ONCE(l->origin_ios);
		lat.origin_ns += READ_ONCE(l->origin_ns);
	}
	spin_lock_irqsave(&c->lock, flags);
	DMEMIT(" cache_mode=%s block_size=%u blocks=%llu cached=%llu dirty=%llu free=%u",
	       mode_names[c->mode], c->block_sectors << SECTOR_SHIFT,
	       c->geo.nr_blocks, c->nr_valid, c->nr_dirty, c->nr_free);
	DMEMIT(" read_hits=%llu read_misses=%llu write_hits=%llu write_misses=%llu",
	       c->stats.read_hits, c->stats.read_misses, c->stats.write_hits,
	       c->stats.write_misses);
	DMEMIT(" promotions=%llu demotions=%llu writebacks=%llu bypassed=%llu",
	       c->stats.promotions, c->stats.demotions, c->stats.writebacks,
	       c->stats.bypassed);
	DMEMIT(" commits=%llu fast_errors=%llu origin_errors=%llu lost=%llu",
	       c->stats.commits, c->stats.fast_errors, c->stats.origin_errors,
	       c->nr_lost);
	DMEMIT(" no_free_block=%llu promoting_hits=%llu promote_throttled=%llu",
	       c->stats.no_free_block, c->stats.promoting_hits,
	       c->stats.promote_throttled);
	DMEMIT(" fast_ios=%llu fast_lat_us=%llu origin_ios=%llu origin_lat_us=%llu",
	       lat.fast_ios, div_u64(lat.fast_ns, NSEC_PER_USEC),
	       lat.origin_ios, div_u64(lat.origin_ns, NSEC_PER_USEC));
	DMEMIT(" fast_state=%s replacement=%s", c->fast_failed ? "failed" : "ok",
	       rs_repl_name(c->replacement));
	if (c->cleaning)
		DMEMIT(" sync_left=%llu", c->nr_dirty);
	spin_unlock_irqrestore(&c->lock, flags);
	return sz;
}

static unsigned int cache_table_args(struct dm_restack_policy *p, char *result,
				     unsigned int maxlen, unsigned int sz)
{
	struct cache *c = to_cache(p);

	DMEMIT(" 8 %u:%u mode=%s block_size=%u", MAJOR(c->fast->bd_dev), MINOR(c->fast->bd_dev),
	       mode_names[c->mode], c->block_sectors << SECTOR_SHIFT);
	DMEMIT(" promote_hits=%u seq_cutoff=%llu replacement=%s",
	       c->promote_hits, c->seq_cutoff_sectors << SECTOR_SHIFT,
	       rs_repl_name(c->replacement));
	DMEMIT(" high_watermark=%u low_watermark=%u", c->high_watermark,
	       c->low_watermark);
	return sz;
}

static struct dm_restack_policy_type cache_policy_type = {
	.name = "cache",
	.version = { 1, 0, 0 },
	.owner = THIS_MODULE,
	.create = cache_create,
	.activate = cache_activate,
	.destroy = cache_destroy,
	.map = cache_map,
	.end_io = cache_end_io,
	.sync = cache_sync,
	.status = cache_status,
	.table_args = cache_table_args,
	.message = cache_message,
	.postsuspend = cache_postsuspend,
	.resume = cache_resume,
};

static int __init cache_init(void)
{
	BUILD_BUG_ON(sizeof(struct restack_cache_sb_disk) > RESTACK_CACHE_PAGE_SIZE);
	BUILD_BUG_ON(RESTACK_CACHE_ENTRIES_PER_PAGE != 254);
	return dm_restack_policy_register(&cache_policy_type);
}

static void __exit cache_exit(void)
{
	dm_restack_policy_unregister(&cache_policy_type);
}

module_init(cache_init);
module_exit(cache_exit);

MODULE_DESCRIPTION("restack cache policy: wt, wb and wa caching on a fast device");
MODULE_AUTHOR("The restack developers");
MODULE_LICENSE("GPL");
