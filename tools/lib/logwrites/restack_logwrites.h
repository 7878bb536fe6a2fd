/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_logwrites.h - reader and replayer for the on-disk log of the
 * kernel's dm-log-writes target (drivers/md/dm-log-writes.c, format
 * version 1; Documentation/admin-guide/device-mapper/log-writes.rst).
 *
 * The log, all integers little-endian:
 *
 *   byte 0        super block, one log sector:
 *                   le64 magic (0x6a736677736872), le64 version (1),
 *                   le64 nr_entries, le32 sectorsize, zero padding
 *   sectorsize    entry 0: one log sector holding
 *                   le64 sector, le64 nr_sectors, le64 flags, le64 data_len
 *                   then, for a MARK, data_len bytes of its name; zeroes
 *                 then nr_sectors * sectorsize bytes of the data written
 *                 (none for a DISCARD or a MARK)
 *   ...           entry 1, ...
 *
 * sector and nr_sectors count log sectors (sectorsize bytes, the logical
 * block size of the logged device), not 512-byte sectors.  Writes are
 * logged in the order they became stable: a plain write only once a
 * later flush completed, so replaying entries 0..N gives a state the
 * device could have been in after a power cut at that point.
 *
 * The reader is strict: a log it accepts is exactly what the kernel
 * writes, and anything else (bad magic, unknown flags, a truncated entry,
 * data past the end of the log, garbage in an entry sector) is an error
 * naming the entry and its byte offset.  The whole log is indexed and
 * checked before anything is replayed, so a bad log changes nothing.
 */
#ifndef RESTACK_LOGWRITES_H
#define RESTACK_LOGWRITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/restack_core.h"

#define RESTACK_LW_MAGIC	0x6a736677736872ULL
#define RESTACK_LW_VERSION	1ULL
/* struct log_write_entry and struct log_write_super, in bytes. */
#define RESTACK_LW_ENTRY_SIZE	32u
#define RESTACK_LW_SUPER_SIZE	28u

#define RESTACK_LW_FLUSH	(1ULL << 0)
#define RESTACK_LW_FUA		(1ULL << 1)
#define RESTACK_LW_DISCARD	(1ULL << 2)
#define RESTACK_LW_MARK		(1ULL << 3)
#define RESTACK_LW_METADATA	(1ULL << 4)
#define RESTACK_LW_KNOWN_FLAGS	0x1fULL

/* Log sector sizes accepted: powers of two in this range. */
#define RESTACK_LW_SECTOR_MIN	512u
#define RESTACK_LW_SECTOR_MAX	65536u

/* Where the log's bytes come from: a file, a device, a memory buffer. */
struct restack_lw_source {
	/* Read exactly len bytes at off; 0 or -errno (-EIO on short). */
	int (*read)(void *ctx, void *buf, size_t len, uint64_t off);
	void *ctx;
	uint64_t size;		/* bytes available */
};

/* Where a replay writes to. */
struct restack_lw_sink {
	/* Write exactly len bytes at off; 0 or -errno. */
	int (*write)(void *ctx, const void *buf, size_t len, uint64_t off);
	/* Make [off, off+len) read as zeroes; NULL: written as zeroes. */
	int (*zero)(void *ctx, uint64_t off, uint64_t len);
	/* Discard [off, off+len) (contents then undefined); NULL: zero. */
	int (*discard)(void *ctx, uint64_t off, uint64_t len);
	/* Make everything written so far durable; NULL: nothing to do. */
	int (*sync)(void *ctx);
	void *ctx;
	uint64_t size;		/* bytes of the replay device */
};

/* What a replay does with DISCARD entries. */
enum restack_lw_discard_mode {
	RESTACK_LW_DISCARD_ZERO,	/* the range reads as zeroes (default) */
	RESTACK_LW_DISCARD_PASS,	/* discard the range on the device */
	RESTACK_LW_DISCARD_SKIP,	/* leave the old contents */
};

struct restack_lw_entry {
	uint64_t offset;	/* byte offset of the entry sector in the log */
	uint64_t sector;	/* first log sector written */
	uint64_t nr_sectors;	/* log sectors written (0 for a mark) */
	uint64_t flags;		/* RESTACK_LW_* */
	char *mark;		/* a MARK's name (NUL-terminated), else NULL */
};

struct restack_lw_log {
	uint64_t version;
	uint32_t sectorsize;
	uint64_t nr_entries;	/* entries, as the super block counts them */
	uint64_t end;		/* byte offset just past the last entry */
	struct restack_lw_entry *entries;	/* [nr_entries] */
};

/*
 * Read and check the super block and every entry header of src.
 * Returns 0 with *log filled (release with restack_lw_release()), or
 * -EINVAL (malformed or truncated log; the message names the entry and
 * byte offset), -EIO/-errno (read error) or -ENOMEM.
 */
int restack_lw_load(const struct restack_lw_source *src,
		    struct restack_lw_log *log, struct restack_err *err);

void restack_lw_release(struct restack_lw_log *log);

/* Byte offset in the log of entry i's data (valid for i < nr_entries). */
static inline uint64_t restack_lw_data_offset(const struct restack_lw_log *log,
					      uint64_t i)
{
	return log->entries[i].offset + log->sectorsize;
}

/*
 * The first MARK entry named name at index >= from.  Returns 0 with
 * *index set, or -ENOENT.
 */
int restack_lw_find_mark(const struct restack_lw_log *log, const char *name,
			 uint64_t from, uint64_t *index);

/* "FLUSH|FUA", "MARK", "-" for none, into buf. */
const char *restack_lw_flags_str(uint64_t flags, char *buf, size_t len);

/*
 * Check that entries [from, to] fit on a replay device of dev_size bytes
 * (-EINVAL naming the first one that does not, or a bad range).
 */
int restack_lw_check_range(const struct restack_lw_log *log, uint64_t from,
			   uint64_t to, uint64_t dev_size,
			   struct restack_err *err);

/*
 * Apply entries [from, to] of log (read from src) to sink, in order.
 * Call restack_lw_check_range() first: this only repeats the checks.
 * Marks and flushes write nothing (a flush entry may carry data, which
 * is written).  Returns 0 or -errno with err naming the entry.
 */
int restack_lw_replay(const struct restack_lw_log *log,
		      const struct restack_lw_source *src, uint64_t from,
		      uint64_t to, const struct restack_lw_sink *sink,
		      enum restack_lw_discard_mode discard,
		      struct restack_err *err);

#endif /* RESTACK_LOGWRITES_H */
