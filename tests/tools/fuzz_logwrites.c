// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_logwrites.c - libFuzzer target for the dm-log-writes reader and
 * replayer (lib/restack_logwrites.c).
 *
 * Beyond "no crash, no leak, no UB, no hang" it checks:
 *   - a rejected log fails with -EINVAL/-EIO/-ENOMEM and a one-line
 *     message naming a byte offset, and leaves no entries behind;
 *   - an accepted log has entries at strictly increasing offsets, each
 *     entry sector inside the log, known flags only, marks exactly for
 *     MARK entries, and the last entry ending at log->end <= size;
 *   - replaying an accepted log onto a device just big enough writes
 *     each data entry's bytes where it says (checked against the log
 *     for the last writer of every sector), and onto a device one sector
 *     too small is refused with nothing written.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logwrites/restack_logwrites.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Largest replay device the target builds (bytes). */
#define DEV_MAX (1u << 20)

struct mem {
	const uint8_t *rp;
	uint8_t *wp;
	size_t size;
	unsigned int writes;
};

static int mem_read(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct mem *m = ctx;

	if (off > m->size || len > m->size - off)
		return -EIO;
	memcpy(buf, m->rp + off, len);
	return 0;
}

static int mem_write(void *ctx, const void *buf, size_t len, uint64_t off)
{
	struct mem *m = ctx;

	if (off > m->size || len > m->size - off)
		abort();	/* the range check must have stopped this */
	memcpy(m->wp + off, buf, len);
	m->writes++;
	return 0;
}

static void check_err(const struct restack_err *err, int r)
{
	if (r != -EINVAL && r != -EIO && r != -ENOMEM)
		abort();
	if (!err->msg[0] || strchr(err->msg, '\n') || !strstr(err->msg, "offset "))
		abort();
}

static void check_log(const struct restack_lw_log *log, size_t size)
{
	uint64_t i, prev = 0;

	if (log->end > size || log->sectorsize < RESTACK_LW_SECTOR_MIN)
		abort();
	for (i = 0; i < log->nr_entries; i++) {
		const struct restack_lw_entry *e = &log->entries[i];

		if (e->offset <= prev || e->offset + log->sectorsize > size)
			abort();
		if (e->flags & ~RESTACK_LW_KNOWN_FLAGS)
			abort();
		if (!!e->mark != !!(e->flags & RESTACK_LW_MARK))
			abort();
		if (e->mark && (!e->mark[0] ||
				strlen(e->mark) >= log->sectorsize - RESTACK_LW_ENTRY_SIZE))
			abort();
		prev = e->offset;
	}
}

static void check_replay(const struct restack_lw_log *log, struct mem *src_mem)
{
	struct restack_lw_source src = { mem_read, src_mem, src_mem->size };
	struct restack_err err = { "" };
	uint64_t dev = 0, i, ss = log->sectorsize, s;
	struct mem d = { NULL, NULL, 0, 0 };
	struct restack_lw_sink sink = { mem_write, NULL, NULL, NULL, &d, 0 };
	int r;

	if (!log->nr_entries)
		return;
	for (i = 0; i < log->nr_entries; i++) {
		const struct restack_lw_entry *e = &log->entries[i];
		uint64_t end = (e->sector + e->nr_sectors) * ss;

		if (!e->mark && end > dev)
			dev = end;
	}
	if (dev == 0 || dev > DEV_MAX)
		return;
	d.wp = calloc(1, dev);
	if (!d.wp)
		abort();
	/* One sector too small: refused, nothing written. */
	d.size = sink.size = dev - ss;
	if (restack_lw_replay(log, &src, 0, log->nr_entries - 1, &sink,
			      RESTACK_LW_DISCARD_ZERO, &err) != -EINVAL ||
	    d.writes)
		abort();
	d.size = sink.size = dev;
	r = restack_lw_replay(log, &src, 0, log->nr_entries - 1, &sink,
			      RESTACK_LW_DISCARD_ZERO, &err);
	if (r)
		abort();
	/* Every sector holds what its last writer in the log wrote. */
	for (s = 0; s < dev / ss; s++) {
		const uint8_t *want = NULL;

		for (i = log->nr_entries; i-- > 0;) {
			const struct restack_lw_entry *e = &log->entries[i];

			if (e->mark || s < e->sector || s >= e->sector + e->nr_sectors)
				continue;
			if (!(e->flags & RESTACK_LW_DISCARD))
				want = src_mem->rp + restack_lw_data_offset(log, i) +
				       (s - e->sector) * ss;
			else
				want = NULL;
			break;
		}
		if (want && memcmp(d.wp + s * ss, want, ss))
			abort();
		if (!want && i != UINT64_MAX) {
			uint64_t k;

			for (k = 0; k < ss; k++)
				if (d.wp[s * ss + k])
					abort();
		}
	}
	free(d.wp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m = { data, NULL, size, 0 };
	struct restack_lw_source src = { mem_read, &m, size };
	struct restack_lw_log log;
	struct restack_err err = { "" };
	int r;

	r = restack_lw_load(&src, &log, &err);
	if (r) {
		check_err(&err, r);
		if (log.entries || log.nr_entries)
			abort();
		return 0;
	}
	check_log(&log, size);
	check_replay(&log, &m);
	restack_lw_release(&log);
	return 0;
}
