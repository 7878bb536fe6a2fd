// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_import_file.c - a whole public trace into a restack trace file:
 * the importer's records (restack_import.c) through the reorder buffer
 * into the writer, with the counts restack_import() reports
 * (restack_import.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "trace/restack_import.h"

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

struct import_ctx {
	const struct restack_import_opts *o;
	const char *in_name;
	struct restack_trace_writer *w;
	struct restack_import_stats *st;
};

static int emit(struct import_ctx *c, const struct dm_restack_trace_record *rec,
		struct restack_err *err)
{
	if (!c->w) {
		struct dm_restack_trace_header h;
		const char *b = base_name(c->in_name);

		memset(&h, 0, sizeof(h));
		h.flags = DM_RESTACK_TH_SORTED | DM_RESTACK_TH_IMPORTED;
		h.sample_threshold = DM_RESTACK_SAMPLE_MODULUS;
		h.sample_block_sectors = 8;
		h.start_ns = rec ? rec->ts_ns : 0;
		if (rec && restack_import_wallclock(c->o->format))
			h.start_realtime_ns = rec->ts_ns;
		snprintf(h.volume_name, sizeof(h.volume_name), "%s",
			 strcmp(c->in_name, "-") ? b : "stdin");
		snprintf(h.source, sizeof(h.source), "%s",
			 restack_import_format_name(c->o->format));
		int r = restack_trace_create(c->o->output, c->o->zstd, &h,
					     &c->w, err);

		if (r)
			return r;
		c->st->start_ns = h.start_ns;
	}
	if (!rec)
		return 0;
	if (rec->ts_ns + rec->latency_ns > c->st->end_ns)
		c->st->end_ns = rec->ts_ns + rec->latency_ns;
	c->st->records++;
	return restack_trace_write(c->w, rec, err);
}

int restack_import(FILE *in, const char *in_name,
		   const struct restack_import_opts *o,
		   struct restack_import_stats *st,
		   struct restack_importer **imp_out,
		   struct restack_err *err)
{
	struct import_ctx c = { .o = o, .in_name = in_name, .st = st };
	/* the name the importer's own messages use */
	const char *shown = strcmp(in_name, "-") ? in_name : "<stdin>";
	struct restack_reorder ro = { 0 };
	struct restack_importer *imp = NULL;
	struct dm_restack_trace_record rec;
	size_t window = o->window ? o->window : RESTACK_IMPORT_WINDOW_DEFAULT;
	uint64_t max_ts = 0;
	int r;

	memset(st, 0, sizeof(*st));
	if (imp_out)
		*imp_out = NULL;
	restack_err_clear(err);
	r = restack_importer_new(in, shown, o->format, &imp, err);
	if (r)
		return r;
	while ((r = restack_importer_next(imp, &rec, err)) == 1) {
		if (restack_reorder_is_late(&ro, rec.ts_ns)) {
			r = restack_err_set(err, -EINVAL,
					    "%s: line %llu: time %llu ns is earlier than a request already written: the input is out of time order by more than %zu requests; sort it by time first (or raise --window)",
					    shown,
					    (unsigned long long)restack_importer_line(imp),
					    (unsigned long long)rec.ts_ns, window);
			break;
		}
		if (rec.ts_ns < max_ts)
			st->reordered++;
		else
			max_ts = rec.ts_ns;
		r = restack_reorder_push(&ro, &rec, err);
		if (r)
			break;
		if (restack_reorder_len(&ro) > window) {
			restack_reorder_pop(&ro, &rec);
			r = emit(&c, &rec, err);
			if (r)
				break;
		}
	}
	while (r == 0 && restack_reorder_pop(&ro, &rec))
		r = emit(&c, &rec, err);
	if (r == 0 && !c.w)
		r = emit(&c, NULL, err);	/* empty input: header + END */
	st->lines = restack_importer_line(imp);
	st->unaligned = restack_importer_unaligned(imp);
	st->workloads = restack_importer_workloads(imp);
	restack_reorder_release(&ro);
	if (r == 0) {
		struct restack_trace_writer *w = c.w;

		c.w = NULL;
		r = restack_trace_finish(w, st->end_ns, st->records, 0, err);
		if (r && strcmp(o->output, "-"))
			unlink(o->output);
	}
	if (r) {
		restack_trace_abort(c.w);
		restack_importer_free(imp);
		return r;
	}
	if (imp_out)
		*imp_out = imp;
	else
		restack_importer_free(imp);
	return 0;
}
