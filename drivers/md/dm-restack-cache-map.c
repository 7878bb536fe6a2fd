// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-restack-cache-map.c - the cache policy's fast path: block table
 * helpers, routing of each bio, map() and end_io(), write-through clones.
 *
 * Context: map() and end_io() run in any context, end_io() possibly in
 * interrupt context, and never block; routing and the block table helpers
 * run under cache->lock (irqsave).  Deferred bios are routed again by the
 * worker (dm-restack-cache-writeback.c).
 */
#include "dm-restack-cache.h"

/* ---------------------------------------------------------------------- */
/* Blocks, hash, lists (cache->lock held) */

/* The block holding @oblock (in any state), or CB_NONE. */
u32 lookup(struct cache *c, u64 oblock)
{
	u32 slot = rs_repl_peek(&c->repl, oblock);

	return slot == RS_REPL_NONE ? CB_NONE : c->slot_phys[slot];
}

void list_push(struct cache *c, u32 *head, u32 *count, u32 i)
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
void meta_set(struct cache *c, u32 i, u64 oblock, u32 flags)
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
void meta_set_from_block(struct cache *c, u32 i)
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
void pin_update(struct cache *c, u32 i)
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
void slot_detach(struct cache *c, u32 i)
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
void drop_key(struct cache *c, u64 oblock)
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
void range_write_begin(struct cache *c, struct dm_restack_io *io)
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

/*
 * Account one completed bio of the fast or origin device, submitted at
 * @start (ktime_get_ns(), kept in an unsigned long: the difference is
 * right modulo its width, which on 32 bits covers latencies below 4 s).
 */
void lat_account(struct cache *c, bool fast, unsigned long start)
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

/*
 * Route a data bio that lies within one cache block; returns DM_MAPIO_*.
 * Called from map() and, for deferred bios, from the worker (which then
 * submits a REMAPPED bio itself).  Never blocks.
 */
int cache_route(struct cache *c, struct bio *bio,
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
void fast_failed_locked(struct cache *c)
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
void mark_lost(struct cache *c, struct cblock *b)
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

	/* The restack helper keeps the volume's counters right. */
	if (offset + len > c->block_sectors)
		dm_restack_accept_partial_bio(&c->policy, bio, io,
					      c->block_sectors - offset);
}

int cache_map(struct dm_restack_policy *p, struct bio *bio,
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

int cache_end_io(struct dm_restack_policy *p, struct bio *bio,
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
