// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-restack-cache-meta.c - encoding and crash recovery of the restack
 * cache's metadata.  See dm-restack-cache-meta.h for layout and protocol.
 */
#include "dm-restack-cache-meta.h"

#include <linux/crc32.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/sort.h>
#include <linux/string.h>

/* Seed, so that an all-zero page never has a valid checksum of zero. */
#define META_CRC_SEED	0x52535443U

static u32 meta_crc(const void *buf, size_t skip)
{
	return crc32_le(META_CRC_SEED, (const u8 *)buf + skip,
			RESTACK_CACHE_PAGE_SIZE - skip);
}

void restack_cache_meta_seal(void *buf)
{
	*(__le32 *)buf = cpu_to_le32(meta_crc(buf, sizeof(__le32)));
}

static sector_t meta_end(u32 meta_pages)
{
	return restack_cache_page_sector(meta_pages, 0);
}

/*
 * Do @blocks cache blocks of @block_sectors, with their metadata, fit in
 * @fast_sectors?  Monotonic in @blocks.  *@pages and *@data_start get the
 * layout.  @blocks must be at most @fast_sectors (no overflow).
 */
static bool layout_fits(sector_t fast_sectors, u32 block_sectors, u64 blocks,
			u64 *pages, sector_t *data_start)
{
	*pages = DIV_ROUND_UP_ULL(blocks, RESTACK_CACHE_ENTRIES_PER_PAGE);
	if (*pages > U32_MAX)
		return false;
	*data_start = round_up(meta_end(*pages), (sector_t)block_sectors);
	return *data_start <= fast_sectors &&
		blocks <= div_u64(fast_sectors - *data_start, block_sectors);
}

int restack_cache_geometry(sector_t fast_sectors, u32 block_sectors,
			   struct restack_cache_geometry *geo)
{
	u64 blocks, pages;
	sector_t data_start, room;

	memset(geo, 0, sizeof(*geo));
	if (!block_sectors || fast_sectors <= RESTACK_CACHE_META_START)
		return -ENOSPC;

	/*
	 * Each block costs block_sectors of data plus 2 pages of metadata
	 * per RESTACK_CACHE_ENTRIES_PER_PAGE blocks: start from that ratio
	 * (less one block of alignment slack) and step to the largest count
	 * that fits, a few steps either way.  (Stepping down from the bound
	 * that ignores metadata took about blocks / 127 steps.)
	 */
	room = fast_sectors - RESTACK_CACHE_META_START;
	room = room > block_sectors ? room - block_sectors : 0;
	blocks = mul_u64_u64_div_u64(room, RESTACK_CACHE_ENTRIES_PER_PAGE,
				     (u64)block_sectors *
				     RESTACK_CACHE_ENTRIES_PER_PAGE +
				     2 * RESTACK_CACHE_PAGE_SECTORS);
	/* No more than the u32 page count can describe. */
	blocks = min_t(u64, blocks, (u64)U32_MAX * RESTACK_CACHE_ENTRIES_PER_PAGE);
	while (blocks < fast_sectors &&
	       layout_fits(fast_sectors, block_sectors, blocks + 1, &pages,
			   &data_start))
		blocks++;
	while (blocks &&
	       !layout_fits(fast_sectors, block_sectors, blocks, &pages,
			    &data_start))
		blocks--;
	if (!blocks)
		return -ENOSPC;

	geo->nr_blocks = blocks;
	geo->block_sectors = block_sectors;
	geo->meta_pages = pages;
	geo->data_start = data_start;
	return 0;
}

void restack_cache_sb_encode(void *buf, const struct restack_cache_geometry *geo,
			     sector_t origin_sectors, u64 commit_seq, bool clean)
{
	struct restack_cache_sb_disk *sb = buf;

	memset(buf, 0, RESTACK_CACHE_PAGE_SIZE);
	sb->version = cpu_to_le32(RESTACK_CACHE_META_VERSION);
	sb->magic = cpu_to_le64(RESTACK_CACHE_MAGIC);
	sb->commit_seq = cpu_to_le64(commit_seq);
	sb->nr_blocks = cpu_to_le64(geo->nr_blocks);
	sb->data_start = cpu_to_le64(geo->data_start);
	sb->origin_sectors = cpu_to_le64(origin_sectors);
	sb->block_sectors = cpu_to_le32(geo->block_sectors);
	sb->meta_pages = cpu_to_le32(geo->meta_pages);
	sb->clean = cpu_to_le32(clean ? 1 : 0);
	sb->format_id = cpu_to_le64(geo->format_id);
	restack_cache_meta_seal(buf);
}

static bool sb_has_magic(const void *buf)
{
	const struct restack_cache_sb_disk *sb = buf;

	return buf && le64_to_cpu(sb->magic) == RESTACK_CACHE_MAGIC;
}

static bool sb_valid(const void *buf)
{
	const struct restack_cache_sb_disk *sb = buf;

	return sb_has_magic(buf) &&
		le32_to_cpu(sb->crc) == meta_crc(buf, sizeof(sb->crc)) &&
		le32_to_cpu(sb->version) == RESTACK_CACHE_META_VERSION;
}

int restack_cache_sb_pick(const void *sb0, const void *sb1)
{
	bool v0 = sb_valid(sb0), v1 = sb_valid(sb1);
	const struct restack_cache_sb_disk *d0 = sb0, *d1 = sb1;

	if (v0 && v1)
		return le64_to_cpu(d1->commit_seq) > le64_to_cpu(d0->commit_seq);
	if (v0)
		return 0;
	if (v1)
		return 1;
	if (sb_has_magic(sb0) || sb_has_magic(sb1))
		return -EUCLEAN;
	return -ENODATA;
}

int restack_cache_sb_decode(const void *buf, sector_t fast_sectors,
			    struct restack_cache_geometry *geo,
			    sector_t *origin_sectors, u64 *commit_seq,
			    bool *clean)
{
	const struct restack_cache_sb_disk *sb = buf;
	struct restack_cache_geometry expect;
	u32 block_sectors;

	if (!sb_valid(buf))
		return -EUCLEAN;

	/* Every field read from the device is bounded before it is used. */
	block_sectors = le32_to_cpu(sb->block_sectors);
	if (block_sectors < RESTACK_CACHE_MIN_BLOCK_SECTORS ||
	    block_sectors > RESTACK_CACHE_MAX_BLOCK_SECTORS ||
	    (block_sectors & (block_sectors - 1)))
		return -EUCLEAN;
	if (le32_to_cpu(sb->clean) > 1 || sb->reserved ||
	    le64_to_cpu(sb->commit_seq) >= S64_MAX)
		return -EUCLEAN;

	memset(geo, 0, sizeof(*geo));
	geo->nr_blocks = le64_to_cpu(sb->nr_blocks);
	geo->block_sectors = block_sectors;
	geo->meta_pages = le32_to_cpu(sb->meta_pages);
	geo->data_start = le64_to_cpu(sb->data_start);
	geo->format_id = le64_to_cpu(sb->format_id);

	/*
	 * No larger than what we would lay out on this device (a larger
	 * device may have been swapped in; a smaller one may not): checked
	 * first, so that nr_blocks is bounded by the device's size and the
	 * arithmetic below cannot overflow.
	 */
	if (!geo->nr_blocks ||
	    restack_cache_geometry(fast_sectors, block_sectors, &expect) ||
	    expect.nr_blocks < geo->nr_blocks)
		return -EUCLEAN;
	/* It must be exactly what we would lay out for nr_blocks. */
	if (geo->meta_pages != DIV_ROUND_UP_ULL(geo->nr_blocks,
						RESTACK_CACHE_ENTRIES_PER_PAGE) ||
	    geo->data_start != round_up(meta_end(geo->meta_pages),
					(sector_t)block_sectors) ||
	    geo->data_start > fast_sectors ||
	    geo->nr_blocks > div_u64(fast_sectors - geo->data_start,
				     block_sectors))
		return -EUCLEAN;

	*origin_sectors = le64_to_cpu(sb->origin_sectors);
	*commit_seq = le64_to_cpu(sb->commit_seq);
	*clean = le32_to_cpu(sb->clean) == 1;
	return 0;
}

void restack_cache_page_encode(void *buf, u32 page_index, u64 format_id,
			       u64 seq,
			       const struct restack_cache_entry_disk *entries)
{
	struct restack_cache_page_disk *page = buf;

	memset(buf, 0, RESTACK_CACHE_PAGE_SIZE);
	page->page_index = cpu_to_le32(page_index);
	page->seq = cpu_to_le64(seq);
	page->format_id = cpu_to_le64(format_id);
	memcpy(page->entries, entries,
	       RESTACK_CACHE_ENTRIES_PER_PAGE * sizeof(*entries));
	restack_cache_meta_seal(buf);
}

/* The slot's seq if it may hold committed state, or -1 if it may not. */
static s64 slot_seq(const void *buf, u32 page_index, u64 format_id,
		    u64 commit_seq)
{
	const struct restack_cache_page_disk *page = buf;
	u64 seq;

	if (!buf || le32_to_cpu(page->crc) != meta_crc(buf, sizeof(page->crc)))
		return -1;
	if (le32_to_cpu(page->page_index) != page_index ||
	    le64_to_cpu(page->format_id) != format_id)
		return -1;
	seq = le64_to_cpu(page->seq);
	if (seq > commit_seq || seq > S64_MAX)
		return -1;
	return seq;
}

int restack_cache_page_pick(const void *slot0, const void *slot1,
			    u32 page_index, u64 format_id, u64 commit_seq)
{
	s64 s0 = slot_seq(slot0, page_index, format_id, commit_seq);
	s64 s1 = slot_seq(slot1, page_index, format_id, commit_seq);

	if (s0 < 0 && s1 < 0)
		return -EUCLEAN;
	return s1 > s0 ? 1 : 0;
}

bool restack_cache_page_needs_rewrite(const void *slot0, const void *slot1,
				      int picked, u32 page_index,
				      u64 format_id, u64 commit_seq)
{
	const struct restack_cache_page_disk *other = picked ? slot0 : slot1;

	if (!other)
		return true;
	if (le32_to_cpu(other->crc) != meta_crc(other, sizeof(other->crc)) ||
	    le32_to_cpu(other->page_index) != page_index ||
	    le64_to_cpu(other->format_id) != format_id)
		return false;	/* never trusted, whatever its seq */
	return le64_to_cpu(other->seq) > commit_seq;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

int restack_cache_entries_check(const struct restack_cache_entry_disk *entries,
				u64 nr_blocks, u64 origin_blocks, u64 nr_slots,
				u64 *seen)
{
	u64 i, valid = 0;

	for (i = nr_blocks; i-- > 0;) {
		u32 flags = le32_to_cpu(entries[i].flags);
		u64 oblock = le64_to_cpu(entries[i].oblock);

		if (entries[i].reserved ||
		    (flags & ~(RESTACK_CACHE_ENTRY_VALID |
			       RESTACK_CACHE_ENTRY_DIRTY)) ||
		    flags == RESTACK_CACHE_ENTRY_DIRTY)
			return -EUCLEAN;
		if (!(flags & RESTACK_CACHE_ENTRY_VALID))
			continue;
		if (oblock >= origin_blocks)
			return -EUCLEAN;
		if (valid >= nr_slots && (flags & RESTACK_CACHE_ENTRY_DIRTY))
			return -EUCLEAN;
		if (seen)
			seen[valid] = oblock;
		valid++;
	}
	if (!seen || valid < 2)
		return 0;
	sort(seen, valid, sizeof(*seen), cmp_u64, NULL);
	for (i = 1; i < valid; i++)
		if (seen[i] == seen[i - 1])
			return -EUCLEAN;
	return 0;
}
