// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_trace.c - libFuzzer target for the trace file reader (plain and
 * zstd), and through it the writer.
 *
 * Beyond "no crash, no leak, no UB, no hang" it checks:
 *   - errors are negative errnos with a non-empty one-line message that
 *     names the byte offset ("fuzz: offset N: ...") and are sticky;
 *   - every record returned passes restack_trace_record_check and the
 *     offset advances by exactly one record per call;
 *   - an accepted plain input is exactly header + records: rebuilding
 *     the bytes from what the reader returned gives the input back;
 *   - an accepted trace written again through the writer (plain and
 *     zstd, into a memfd) reads back identically.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace/restack_trace.h"

#define MAX_RECS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dm_restack_trace_record recs[MAX_RECS];

static void check_err(const struct restack_err *err, int rc)
{
	if (rc >= 0 || rc < -4095)
		abort();
	if (!err->msg[0] || strchr(err->msg, '\n'))
		abort();
	if (strncmp(err->msg, "fuzz: offset ", 13) != 0)
		abort();
}

/* Write hdr + recs[0..n) (the last one the END) and read them back. */
static void rewrite(const struct dm_restack_trace_header *hdr, size_t n,
		    bool zstd)
{
	struct restack_trace_writer *w;
	struct restack_trace_reader *r;
	struct dm_restack_trace_record got;
	struct restack_err err;
	const struct dm_restack_trace_record *end = &recs[n - 1];
	char path[64];
	size_t i;
	int fd;

	fd = memfd_create("fuzz_trace", 0);
	if (fd < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (restack_trace_create(path, zstd, hdr, &w, &err))
		abort();
	for (i = 0; i + 1 < n; i++)
		if (restack_trace_write(w, &recs[i], &err))
			abort();
	if (restack_trace_finish(w, end->ts_ns, end->virt_sector,
				 end->phys_sector, &err))
		abort();
	if (restack_trace_open(path, &r, &err))
		abort();
	if (memcmp(restack_trace_header(r)->magic, hdr->magic, 8) ||
	    restack_trace_header(r)->records != end->virt_sector ||
	    restack_trace_header(r)->drops != end->phys_sector ||
	    restack_trace_header(r)->end_ns != end->ts_ns)
		abort();
	for (i = 0; i < n; i++)
		if (restack_trace_next(r, &got, &err) != 1 ||
		    memcmp(&got, &recs[i], sizeof(got)))
			abort();
	if (restack_trace_next(r, &got, &err) != 0)
		abort();
	restack_trace_close(r);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct restack_trace_reader *r;
	struct dm_restack_trace_header hdr;
	struct restack_err err, again;
	struct dm_restack_trace_record rec;
	bool plain;
	size_t n = 0;
	uint64_t off;
	FILE *f;
	int rc;

	f = size ? fmemopen((void *)data, size, "rb") : fopen("/dev/null", "rb");
	if (!f)
		return 0;
	plain = size < 4 || !(data[0] == 0x28 && data[1] == 0xb5 &&
			      data[2] == 0x2f && data[3] == 0xfd) ;
	plain = plain && !(size >= 4 && (data[3] == 0x18 && data[2] == 0x4d &&
					 data[1] == 0x2a &&
					 (data[0] & 0xf0) == 0x50));
	rc = restack_trace_open_stream(f, "fuzz", &r, &err);
	if (rc) {
		check_err(&err, rc);
		if (r)
			abort();
		return 0;
	}
	hdr = *restack_trace_header(r);
	if (restack_trace_header_check(&hdr, NULL))
		abort();
	for (;;) {
		off = restack_trace_offset(r);
		rc = restack_trace_next(r, &rec, &err);
		if (rc <= 0)
			break;
		if (restack_trace_offset(r) != off + sizeof(rec))
			abort();
		if (restack_trace_record_check(&rec, hdr.volume, NULL))
			abort();
		if (n < MAX_RECS)
			recs[n] = rec;
		n++;
	}
	if (rc < 0) {
		check_err(&err, rc);
		if (restack_trace_next(r, &rec, &again) != rc ||
		    strcmp(again.msg, err.msg))
			abort();
	} else {
		/* accepted: ends with END, nothing after it */
		if (n == 0 || n > MAX_RECS ||
		    recs[n - 1].type != DM_RESTACK_REC_END)
			abort();
		if (restack_trace_next(r, &rec, &err) != 0)
			abort();
		if (plain) {
			if (size != sizeof(hdr) + n * sizeof(rec) ||
			    memcmp(data, &hdr, sizeof(hdr)) ||
			    memcmp(data + sizeof(hdr), recs, n * sizeof(rec)))
				abort();
		}
	}
	restack_trace_close(r);
	if (rc == 0) {
		rewrite(&hdr, n, false);
		rewrite(&hdr, n, true);
	}
	return 0;
}
