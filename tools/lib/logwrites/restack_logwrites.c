// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_logwrites.c - strict reader and replayer for dm-log-writes
 * logs; the format and the contracts are in restack_logwrites.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logwrites/restack_logwrites.h"

/* Bytes copied per write during a replay. */
#define RESTACK_LW_CHUNK	(1024u * 1024u)

static uint64_t restack_lw_le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t restack_lw_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static bool restack_lw_all_zero(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

const char *restack_lw_flags_str(uint64_t flags, char *buf, size_t len)
{
	static const char *const names[] = {
		"FLUSH", "FUA", "DISCARD", "MARK", "METADATA",
	};
	size_t used = 0;
	unsigned int i;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int n;

		if (!(flags & (1ULL << i)))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? "|" : "",
			     names[i]);
		if (n < 0 || (size_t)n >= len - used)
			return buf;
		used += (size_t)n;
	}
	if (!used)
		snprintf(buf, len, "-");
	return buf;
}

void restack_lw_release(struct restack_lw_log *log)
{
	uint64_t i;

	if (!log)
		return;
	for (i = 0; log->entries && i < log->nr_entries; i++)
		free(log->entries[i].mark);
	free(log->entries);
	memset(log, 0, sizeof(*log));
}

static int restack_lw_load_super(const struct restack_lw_source *src,
				 struct restack_lw_log *log, unsigned char *sec,
				 struct restack_err *err)
{
	uint64_t magic, ss;

	if (src->size < RESTACK_LW_SECTOR_MIN)
		return restack_err_set(err, -EINVAL,
				       "offset 0: log of %llu bytes is too short for a super block",
				       (unsigned long long)src->size);
	if (src->read(src->ctx, sec, RESTACK_LW_SECTOR_MIN, 0))
		return restack_err_set(err, -EIO, "offset 0: cannot read the super block");
	magic = restack_lw_le64(sec);
	if (magic != RESTACK_LW_MAGIC)
		return restack_err_set(err, -EINVAL,
				       "offset 0: not a dm-log-writes log (magic 0x%llx, expected 0x%llx)",
				       (unsigned long long)magic,
				       (unsigned long long)RESTACK_LW_MAGIC);
	log->version = restack_lw_le64(sec + 8);
	if (log->version != RESTACK_LW_VERSION)
		return restack_err_set(err, -EINVAL,
				       "offset 8: unsupported log version %llu (this reader knows %llu)",
				       (unsigned long long)log->version,
				       (unsigned long long)RESTACK_LW_VERSION);
	log->nr_entries = restack_lw_le64(sec + 16);
	ss = restack_lw_le32(sec + 24);
	if (ss < RESTACK_LW_SECTOR_MIN || ss > RESTACK_LW_SECTOR_MAX ||
	    (ss & (ss - 1)))
		return restack_err_set(err, -EINVAL,
				       "offset 24: bad sector size %llu (a power of two, %u to %u)",
				       (unsigned long long)ss, RESTACK_LW_SECTOR_MIN,
				       RESTACK_LW_SECTOR_MAX);
	log->sectorsize = (uint32_t)ss;
	if (src->size < ss)
		return restack_err_set(err, -EINVAL,
				       "offset 0: log of %llu bytes is shorter than its %llu-byte super block",
				       (unsigned long long)src->size,
				       (unsigned long long)ss);
	if (src->read(src->ctx, sec, ss, 0))
		return restack_err_set(err, -EIO, "offset 0: cannot read the super block");
	if (!restack_lw_all_zero(sec + RESTACK_LW_SUPER_SIZE,
				 ss - RESTACK_LW_SUPER_SIZE))
		return restack_err_set(err, -EINVAL,
				       "offset %u: garbage after the super block fields",
				       RESTACK_LW_SUPER_SIZE);
	/* Every entry takes at least one sector: bound before allocating. */
	if (log->nr_entries > src->size / ss - 1)
		return restack_err_set(err, -EINVAL,
				       "offset 16: super block claims %llu entries, a %llu-byte log holds at most %llu",
				       (unsigned long long)log->nr_entries,
				       (unsigned long long)src->size,
				       (unsigned long long)(src->size / ss - 1));
	return 0;
}

/* Parse the entry sector sec of entry i at off into *e. */
static int restack_lw_parse_entry(const struct restack_lw_log *log,
				  const unsigned char *sec, uint64_t i,
				  uint64_t off, uint64_t log_size,
				  struct restack_lw_entry *e,
				  struct restack_err *err)
{
	uint64_t ss = log->sectorsize, data_len, bytes;
	const uint64_t flags = restack_lw_le64(sec + 16);
	char fl[64];

/* "entry <i> at offset <off>: <problem>" */
#define LW_BAD(...) (restack_err_set(err, -EINVAL, __VA_ARGS__),	\
		     restack_err_prefix(err, -EINVAL,			\
					"entry %llu at offset %llu",	\
					(unsigned long long)i,		\
					(unsigned long long)off))
	e->offset = off;
	e->sector = restack_lw_le64(sec);
	e->nr_sectors = restack_lw_le64(sec + 8);
	e->flags = flags;
	e->mark = NULL;
	data_len = restack_lw_le64(sec + 24);

	if (flags & ~RESTACK_LW_KNOWN_FLAGS)
		return LW_BAD("unknown flags 0x%llx", (unsigned long long)flags);
	restack_lw_flags_str(flags, fl, sizeof(fl));
	if (flags & RESTACK_LW_MARK) {
		const char *name = (const char *)sec + RESTACK_LW_ENTRY_SIZE;

		if (flags != RESTACK_LW_MARK)
			return LW_BAD("a mark with other flags (%s)", fl);
		if (e->sector || e->nr_sectors)
			return LW_BAD("a mark with sector %llu, %llu sectors (must be 0, 0)",
				      (unsigned long long)e->sector,
				      (unsigned long long)e->nr_sectors);
		if (data_len == 0 || data_len >= ss - RESTACK_LW_ENTRY_SIZE)
			return LW_BAD("mark name length %llu (1 to %llu)",
				      (unsigned long long)data_len,
				      (unsigned long long)(ss - RESTACK_LW_ENTRY_SIZE - 1));
		if (memchr(name, '\0', data_len))
			return LW_BAD("mark name contains a NUL byte");
		if (!restack_lw_all_zero(sec + RESTACK_LW_ENTRY_SIZE + data_len,
					 ss - RESTACK_LW_ENTRY_SIZE - data_len))
			return LW_BAD("garbage after the mark name");
		e->mark = strndup(name, data_len);
		if (!e->mark)
			return restack_err_set(err, -ENOMEM, "out of memory");
		return 0;
	}
	/* The kernel logs inline data only for marks (and DAX, gone). */
	if (data_len)
		return LW_BAD("%s entry with %llu bytes of inline data (not supported)",
			      fl, (unsigned long long)data_len);
	if (!restack_lw_all_zero(sec + RESTACK_LW_ENTRY_SIZE,
				 ss - RESTACK_LW_ENTRY_SIZE))
		return LW_BAD("garbage after the entry fields");
	if (flags & RESTACK_LW_DISCARD) {
		if (flags & (RESTACK_LW_FLUSH | RESTACK_LW_FUA))
			return LW_BAD("a discard with %s", fl);
		if (!e->nr_sectors)
			return LW_BAD("a discard of 0 sectors");
	} else if (!e->nr_sectors && !(flags & RESTACK_LW_FLUSH)) {
		return LW_BAD("a %s write of 0 sectors", fl);
	}
	if (e->nr_sectors > UINT64_MAX / ss ||
	    e->sector > UINT64_MAX / ss - e->nr_sectors)
		return LW_BAD("sector %llu + %llu sectors overflows",
			      (unsigned long long)e->sector,
			      (unsigned long long)e->nr_sectors);
	if (flags & RESTACK_LW_DISCARD)
		return 0;
	bytes = e->nr_sectors * ss;
	if (bytes > log_size - off - ss)
		return LW_BAD("truncated: %llu bytes of data, the log ends %llu bytes after the entry sector",
			      (unsigned long long)bytes,
			      (unsigned long long)(log_size - off - ss));
	return 0;
#undef LW_BAD
}

int restack_lw_load(const struct restack_lw_source *src,
		    struct restack_lw_log *log, struct restack_err *err)
{
	unsigned char *sec;
	uint64_t i = 0, off, cap = 0;
	int r;

	memset(log, 0, sizeof(*log));
	sec = malloc(RESTACK_LW_SECTOR_MAX);
	if (!sec)
		return restack_err_set(err, -ENOMEM, "out of memory");
	r = restack_lw_load_super(src, log, sec, err);
	if (r)
		goto fail;
	off = log->sectorsize;
	for (i = 0; i < log->nr_entries; i++) {
		struct restack_lw_entry *e;

		if (off > src->size || src->size - off < log->sectorsize) {
			r = restack_err_set(err, -EINVAL,
					    "entry %llu at offset %llu: truncated: the log ends at %llu (super block counts %llu entries)",
					    (unsigned long long)i,
					    (unsigned long long)off,
					    (unsigned long long)src->size,
					    (unsigned long long)log->nr_entries);
			goto fail;
		}
		if (i == cap) {
			/* Grow with what is really there, not the claim. */
			uint64_t ncap = cap ? cap * 2 : 64;
			void *p;

			if (ncap > log->nr_entries)
				ncap = log->nr_entries;
			p = realloc(log->entries, ncap * sizeof(*log->entries));
			if (!p) {
				r = restack_err_set(err, -ENOMEM, "out of memory");
				goto fail;
			}
			log->entries = p;
			cap = ncap;
		}
		if (src->read(src->ctx, sec, log->sectorsize, off)) {
			r = restack_err_set(err, -EIO,
					    "entry %llu at offset %llu: read error",
					    (unsigned long long)i,
					    (unsigned long long)off);
			goto fail;
		}
		e = &log->entries[i];
		r = restack_lw_parse_entry(log, sec, i, off, src->size, e, err);
		if (r)
			goto fail;
		off += log->sectorsize;
		if (!(e->flags & (RESTACK_LW_DISCARD | RESTACK_LW_MARK)))
			off += e->nr_sectors * log->sectorsize;
	}
	log->end = off;
	free(sec);
	return 0;
fail:
	/* Entries [0, i) are parsed (and own their marks); release those. */
	log->nr_entries = i;
	free(sec);
	restack_lw_release(log);
	return r;
}

int restack_lw_find_mark(const struct restack_lw_log *log, const char *name,
			 uint64_t from, uint64_t *index)
{
	uint64_t i;

	for (i = from; i < log->nr_entries; i++) {
		if (log->entries[i].mark && !strcmp(log->entries[i].mark, name)) {
			*index = i;
			return 0;
		}
	}
	return -ENOENT;
}

int restack_lw_check_range(const struct restack_lw_log *log, uint64_t from,
			   uint64_t to, uint64_t dev_size,
			   struct restack_err *err)
{
	uint64_t i;

	if (!log->nr_entries)
		return restack_err_set(err, -EINVAL, "the log has no entries");
	if (to >= log->nr_entries)
		return restack_err_set(err, -EINVAL,
				       "entry %llu: the log has only entries 0 to %llu",
				       (unsigned long long)to,
				       (unsigned long long)(log->nr_entries - 1));
	if (from > to)
		return restack_err_set(err, -EINVAL,
				       "start entry %llu is after the last entry to replay (%llu)",
				       (unsigned long long)from,
				       (unsigned long long)to);
	for (i = from; i <= to; i++) {
		const struct restack_lw_entry *e = &log->entries[i];
		uint64_t end = (e->sector + e->nr_sectors) * log->sectorsize;

		if (e->flags & RESTACK_LW_MARK)
			continue;
		if (end > dev_size)
			return restack_err_set(err, -EINVAL,
					       "entry %llu at offset %llu: writes bytes %llu to %llu, past the end of the %llu-byte replay device",
					       (unsigned long long)i,
					       (unsigned long long)e->offset,
					       (unsigned long long)(e->sector * log->sectorsize),
					       (unsigned long long)end,
					       (unsigned long long)dev_size);
	}
	return 0;
}

static int restack_lw_write_zeroes(const struct restack_lw_sink *sink,
				   unsigned char *buf, uint64_t off,
				   uint64_t len)
{
	memset(buf, 0, RESTACK_LW_CHUNK);
	while (len) {
		size_t n = len < RESTACK_LW_CHUNK ? (size_t)len : RESTACK_LW_CHUNK;
		int r = sink->write(sink->ctx, buf, n, off);

		if (r)
			return r;
		off += n;
		len -= n;
	}
	return 0;
}

static int restack_lw_apply(const struct restack_lw_log *log,
			    const struct restack_lw_source *src, uint64_t i,
			    const struct restack_lw_sink *sink,
			    enum restack_lw_discard_mode discard,
			    unsigned char *buf)
{
	const struct restack_lw_entry *e = &log->entries[i];
	uint64_t dst = e->sector * log->sectorsize;
	uint64_t len = e->nr_sectors * log->sectorsize;
	uint64_t from = restack_lw_data_offset(log, i);
	int r;

	if (e->flags & RESTACK_LW_MARK || !len)
		return 0;
	if (e->flags & RESTACK_LW_DISCARD) {
		switch (discard) {
		case RESTACK_LW_DISCARD_SKIP:
			return 0;
		case RESTACK_LW_DISCARD_PASS:
			if (sink->discard)
				return sink->discard(sink->ctx, dst, len);
			/* No discard here: zeroes are one valid result. */
			__attribute__((fallthrough));
		case RESTACK_LW_DISCARD_ZERO:
		default:
			if (sink->zero)
				return sink->zero(sink->ctx, dst, len);
			return restack_lw_write_zeroes(sink, buf, dst, len);
		}
	}
	while (len) {
		size_t n = len < RESTACK_LW_CHUNK ? (size_t)len : RESTACK_LW_CHUNK;

		r = src->read(src->ctx, buf, n, from);
		if (r)
			return r;
		r = sink->write(sink->ctx, buf, n, dst);
		if (r)
			return r;
		from += n;
		dst += n;
		len -= n;
	}
	return 0;
}

int restack_lw_replay(const struct restack_lw_log *log,
		      const struct restack_lw_source *src, uint64_t from,
		      uint64_t to, const struct restack_lw_sink *sink,
		      enum restack_lw_discard_mode discard,
		      struct restack_err *err)
{
	unsigned char *buf;
	uint64_t i;
	int r;

	r = restack_lw_check_range(log, from, to, sink->size, err);
	if (r)
		return r;
	buf = malloc(RESTACK_LW_CHUNK);
	if (!buf)
		return restack_err_set(err, -ENOMEM, "out of memory");
	for (i = from; i <= to; i++) {
		r = restack_lw_apply(log, src, i, sink, discard, buf);
		if (r) {
			restack_err_set(err, r < 0 ? r : -EIO,
					"entry %llu at offset %llu: replaying: %s",
					(unsigned long long)i,
					(unsigned long long)log->entries[i].offset,
					strerror(r < 0 ? -r : EIO));
			r = r < 0 ? r : -EIO;
			break;
		}
	}
	free(buf);
	return r;
}
