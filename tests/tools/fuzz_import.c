// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_import.c - libFuzzer target for the public-trace importers.  The
 * first input byte picks the format (mod 5), the rest is the text.
 *
 * Beyond "no crash, no leak, no UB, no hang" it checks:
 *   - every record is a valid I/O record (restack_trace_record_check)
 *     with data (sectors > 0) whose completion time does not overflow;
 *   - errors are -EINVAL/-EIO/-ENOMEM with one non-empty line naming
 *     the line ("fuzz: line N: ..."), and are sticky;
 *   - an input the importer accepts line by line converts into a trace
 *     file (memfd) that the strict reader accepts, with every record,
 *     sorted, unless it is out of order beyond a 4-record window, which
 *     must then be the reported error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace/restack_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(const struct restack_err *err, int rc)
{
	if (rc != -EINVAL && rc != -EIO && rc != -ENOMEM)
		abort();
	if (!err->msg[0] || strchr(err->msg, '\n') ||
	    strncmp(err->msg, "fuzz: line ", 11))
		abort();
}

static void whole(const uint8_t *text, size_t len,
		  enum restack_import_format f, uint64_t n)
{
	struct restack_import_opts o = { .format = f, .window = 4 };
	struct restack_trace_reader *rd;
	struct dm_restack_trace_record rec;
	struct restack_import_stats st;
	struct restack_err err;
	uint64_t got = 0, last = 0;
	char path[64];
	FILE *in;
	int fd, r;

	fd = memfd_create("fuzz_import", 0);
	if (fd < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	o.output = path;
	in = len ? fmemopen((void *)text, len, "r") : fopen("/dev/null", "r");
	if (!in) {
		close(fd);
		return;
	}
	r = restack_import(in, "fuzz", &o, &st, NULL, &err);
	fclose(in);
	if (r) {
		if (r != -EINVAL || !strstr(err.msg, "sort it by time first"))
			abort();
		close(fd);
		return;
	}
	if (st.records != n)
		abort();
	if (restack_trace_open(path, &rd, &err))
		abort();
	while ((r = restack_trace_next(rd, &rec, &err)) == 1) {
		if (rec.type != DM_RESTACK_REC_IO)
			continue;
		if (rec.ts_ns < last)
			abort();
		last = rec.ts_ns;
		got++;
	}
	if (r != 0 || got != n)
		abort();
	restack_trace_close(rd);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct restack_importer *imp;
	struct dm_restack_trace_record rec;
	struct restack_err err, again;
	enum restack_import_format f;
	const uint8_t *text;
	uint64_t n = 0;
	FILE *in;
	int r;

	if (size < 1)
		return 0;
	f = (enum restack_import_format)(data[0] % RESTACK_IMPORT_NR_FORMATS);
	text = data + 1;
	size--;
	in = size ? fmemopen((void *)text, size, "r") : fopen("/dev/null", "r");
	if (!in)
		return 0;
	if (restack_importer_new(in, "fuzz", f, &imp, &err))
		abort();
	while ((r = restack_importer_next(imp, &rec, &err)) == 1) {
		if (restack_trace_record_check(&rec, 0, NULL) ||
		    rec.type != DM_RESTACK_REC_IO || !rec.sectors ||
		    rec.ts_ns + rec.latency_ns < rec.ts_ns ||
		    rec.virt_sector + rec.sectors < rec.virt_sector)
			abort();
		n++;
	}
	if (r < 0) {
		check_err(&err, r);
		if (restack_importer_next(imp, &rec, &again) != r ||
		    strcmp(again.msg, err.msg))
			abort();
	}
	restack_importer_free(imp);
	fclose(in);
	if (r == 0)
		whole(text, size, f, n);
	return 0;
}
