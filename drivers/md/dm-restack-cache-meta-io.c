// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-restack-cache-meta-io.c - the cache policy's metadata I/O: the
 * commit (protocol in dm-restack-cache-meta.h), loading the committed
 * state or formatting a fresh device, and rebuilding the in-memory block
 * table from it.
 *
 * Context: process context only; commits take commit_lock and may block,
 * taking cache->lock briefly to snapshot the image and settle bios.
 */
#include "dm-restack-cache.h"

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
int cache_commit(struct cache *c, bool clean)
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

	/*
	 * The device's table is untrusted input: the pure checks of
	 * dm-restack-cache-meta.c (KUnit fuzzes them) before anything is
	 * built from it; the loop below checks double mappings.
	 */
	if (restack_cache_entries_check(c->entries, c->geo.nr_blocks,
					origin_blocks, c->nr_slots, NULL)) {
		DMERR("%s: cache metadata entries are corrupt",
		      dm_restack_volume_name(c->vol));
		return -EUCLEAN;
	}
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
		/*
		 * The other slot may hold an aborted commit's page, seq above
		 * ours: the next commit, which reuses seq + 1, must overwrite
		 * it, or the next recovery would prefer it (issue 12).
		 */
		if (restack_cache_page_needs_rewrite(ok0 ? slot0 : NULL,
						     ok1 ? slot1 : NULL, s,
						     page, geo.format_id, seq))
			set_bit(page, c->dirty_pages);
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

void free_state(struct cache *c)
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
int cache_load(struct cache *c, bool block_size_given,
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
