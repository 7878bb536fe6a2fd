/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-restack-cache-meta.h - the on-disk metadata of the restack cache
 * policy: layout, encoding and crash recovery.
 *
 * Pure functions over buffers (no bios, no locks), so that KUnit tests
 * every torn and stale case.
 *
 * Layout of the fast device, in 512-byte sectors:
 *
 *   0      superblock, copy 0 (4 KiB)
 *   8      superblock, copy 1 (4 KiB)
 *   16     metadata page 0 slot 0, page 0 slot 1, page 1 slot 0, ...
 *          (4 KiB each; 2 slots per logical page)
 *   data   cache blocks, from the first block-aligned sector after the
 *          metadata, nr_blocks of block_sectors each
 *
 * A metadata page holds RESTACK_CACHE_ENTRIES_PER_PAGE entries, one per
 * cache block: the origin block it holds and whether it is dirty.
 *
 * Commit protocol (commit number N+1), which makes a set of page changes
 * atomic without a journal:
 *   1. flush the origin (write-back made clean blocks durable there);
 *   2. write each changed page, with seq N+1, into the slot that does NOT
 *      hold its newest committed copy;
 *   3. flush the fast device;
 *   4. write superblock copy (N+1) % 2 with commit_seq N+1, FUA.
 * Recovery takes the valid superblock with the highest commit_seq, N, and
 * for each page the valid slot with the highest seq <= N.  A page slot
 * torn in step 2 fails its checksum; one written in step 2 of a commit
 * whose superblock never landed has seq > N: either way the other slot,
 * holding the previous committed state, is used.
 *
 * Such an aborted slot keeps its valid checksum and its seq (N+1, say)
 * after recovery, and the next commit reuses N+1: had that commit left
 * the page alone, the next recovery would take the aborted slot, an
 * image that was never committed.  So recovery marks every page whose
 * other slot might carry a seq above N (restack_cache_page_needs_rewrite())
 * and the first commit after it rewrites that slot before its superblock
 * lands.  Invariant: once commit M is durable, every slot that passes
 * the checks with a seq <= M holds what a durable commit wrote there.
 */
#ifndef DM_RESTACK_CACHE_META_H
#define DM_RESTACK_CACHE_META_H

#include <linux/bits.h>
#include <linux/types.h>

#define RESTACK_CACHE_MAGIC		0x4548434143545352ULL /* "RSTCACHE" */
#define RESTACK_CACHE_META_VERSION	1
#define RESTACK_CACHE_PAGE_SIZE		4096
#define RESTACK_CACHE_PAGE_SECTORS	(RESTACK_CACHE_PAGE_SIZE >> 9)
#define RESTACK_CACHE_SB_SECTOR(copy)	((sector_t)(copy) * RESTACK_CACHE_PAGE_SECTORS)
#define RESTACK_CACHE_META_START	(2 * RESTACK_CACHE_PAGE_SECTORS)
/* Cache block sizes, as the block_size argument accepts: 4 KiB to 1 MiB. */
#define RESTACK_CACHE_MIN_BLOCK_SECTORS	8
#define RESTACK_CACHE_MAX_BLOCK_SECTORS	2048

/* Entry flags. */
#define RESTACK_CACHE_ENTRY_VALID	BIT(0)
#define RESTACK_CACHE_ENTRY_DIRTY	BIT(1)

struct restack_cache_entry_disk {
	__le64 oblock;			/* origin block held */
	__le32 flags;			/* RESTACK_CACHE_ENTRY_* */
	__le32 reserved;		/* zero */
} __packed;

struct restack_cache_page_disk {
	__le32 crc;			/* crc32 of the page from @page_index on */
	__le32 page_index;
	__le64 seq;			/* commit that wrote this slot */
	__le64 format_id;		/* the superblock's, see below */
	struct restack_cache_entry_disk entries[];
} __packed;

#define RESTACK_CACHE_ENTRIES_PER_PAGE \
	((RESTACK_CACHE_PAGE_SIZE - sizeof(struct restack_cache_page_disk)) / \
	 sizeof(struct restack_cache_entry_disk))

struct restack_cache_sb_disk {
	__le32 crc;			/* crc32 of the page from @magic on */
	__le32 version;
	__le64 magic;
	__le64 commit_seq;
	__le64 nr_blocks;
	__le64 data_start;		/* sector of cache block 0 */
	__le64 origin_sectors;		/* size of the origin it caches */
	__le32 block_sectors;
	__le32 meta_pages;		/* logical pages (2 slots each) */
	__le32 clean;			/* 1 after a clean shutdown */
	__le32 reserved;
	/*
	 * Random, chosen when the device is formatted.  Pages carry it, so
	 * that slots left by an earlier format, checksums intact, are never
	 * mistaken for this cache's.
	 */
	__le64 format_id;
} __packed;

/* Geometry of a cache, derived from the fast device's size. */
struct restack_cache_geometry {
	u64 nr_blocks;
	u32 block_sectors;
	u32 meta_pages;
	sector_t data_start;
	u64 format_id;
};

/*
 * restack_cache_geometry - fit as many cache blocks of @block_sectors as
 * @fast_sectors holds after superblocks and metadata.  Returns 0, or
 * -ENOSPC when not even one block fits.
 */
int restack_cache_geometry(sector_t fast_sectors, u32 block_sectors,
			   struct restack_cache_geometry *geo);

/* Sector of slot @slot (0 or 1) of metadata page @page. */
static inline sector_t restack_cache_page_sector(u32 page, unsigned int slot)
{
	return RESTACK_CACHE_META_START +
		((sector_t)page * 2 + slot) * RESTACK_CACHE_PAGE_SECTORS;
}

/*
 * Set the checksum of a superblock or metadata page (both keep it in
 * their first 4 bytes) after its other bytes are final.  The encoders
 * call it; tests use it to forge pages that pass the checksum.
 */
void restack_cache_meta_seal(void *buf);

/* Encode a superblock into @buf (RESTACK_CACHE_PAGE_SIZE bytes). */
void restack_cache_sb_encode(void *buf, const struct restack_cache_geometry *geo,
			     sector_t origin_sectors, u64 commit_seq, bool clean);

/*
 * restack_cache_sb_pick - choose the superblock to recover from.
 * @sb0, @sb1: the two copies as read (a copy that could not be read is
 * passed as NULL).  Returns the copy (0 or 1) that is valid and has the
 * highest commit_seq, -ENODATA if neither carries our magic (a fresh
 * device), or -EUCLEAN if one does but no copy is valid.
 */
int restack_cache_sb_pick(const void *sb0, const void *sb1);

/*
 * restack_cache_sb_decode - read geometry and commit number of a valid
 * superblock, checking that the geometry is self-consistent and fits in
 * @fast_sectors.  Returns 0 or -EUCLEAN.  On success: block_sectors is a
 * power of two in RESTACK_CACHE_MIN/MAX_BLOCK_SECTORS; nr_blocks is at
 * least 1 and at most what restack_cache_geometry() fits in @fast_sectors
 * (so every table sized by it is bounded by the device's size); meta_pages
 * is DIV_ROUND_UP(nr_blocks, RESTACK_CACHE_ENTRIES_PER_PAGE); data_start is
 * block-aligned, just past the metadata, and data_start + nr_blocks *
 * block_sectors <= @fast_sectors; commit_seq is below S64_MAX, so the next
 * commit's number never wraps; clean is the flag 0 or 1, anything else
 * is corrupt, as is a non-zero reserved field.
 */
int restack_cache_sb_decode(const void *buf, sector_t fast_sectors,
			    struct restack_cache_geometry *geo,
			    sector_t *origin_sectors, u64 *commit_seq,
			    bool *clean);

/*
 * Encode metadata page @page_index, written by commit @seq, from
 * RESTACK_CACHE_ENTRIES_PER_PAGE @entries.
 */
void restack_cache_page_encode(void *buf, u32 page_index, u64 format_id,
			       u64 seq,
			       const struct restack_cache_entry_disk *entries);

/*
 * restack_cache_page_pick - choose which slot of a metadata page holds the
 * state committed by @commit_seq: the slot with a valid checksum, the
 * right index and format id, and the highest seq not above @commit_seq.  A NULL slot
 * could not be read.  Returns 0 or 1, or -EUCLEAN if no slot qualifies.
 */
int restack_cache_page_pick(const void *slot0, const void *slot1,
			    u32 page_index, u64 format_id, u64 commit_seq);

/*
 * restack_cache_page_needs_rewrite - must the first commit after recovery
 * write metadata page @page_index even if none of its entries changes?
 * @picked is what restack_cache_page_pick() returned for these slots.
 * True when the other slot, the one that commit would write, passes the
 * checksum, index and format id checks with a seq above @commit_seq (an
 * aborted commit's), or could not be read (its seq is unknown): left in
 * place, it would outrank @picked once commits reach its seq.
 */
bool restack_cache_page_needs_rewrite(const void *slot0, const void *slot1,
				      int picked, u32 page_index,
				      u64 format_id, u64 commit_seq);

/*
 * restack_cache_entries_check - validate a committed entry table of
 * @nr_blocks entries before the cache's state is rebuilt from it.  The
 * rebuild walks the blocks from the highest index down, gives the first
 * @nr_slots valid ones a replacement slot and drops the clean ones beyond;
 * so the table is corrupt (-EUCLEAN) if a valid entry names a block at or
 * beyond @origin_blocks, a dirty one comes after the slots ran out, an
 * entry is dirty but not valid, or carries unknown flags or a non-zero
 * reserved field.  @seen: NULL, or scratch room for @nr_blocks u64 to also
 * reject an origin block held by two entries (the caller may check that
 * itself, e.g. with its lookup table).  Returns 0 or -EUCLEAN.
 */
int restack_cache_entries_check(const struct restack_cache_entry_disk *entries,
				u64 nr_blocks, u64 origin_blocks, u64 nr_slots,
				u64 *seen);

/* Entries of a page picked with restack_cache_page_pick(). */
static inline const struct restack_cache_entry_disk *
restack_cache_page_entries(const void *buf)
{
	return ((const struct restack_cache_page_disk *)buf)->entries;
}

#endif /* DM_RESTACK_CACHE_META_H */
