// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_reorder.c - the reorder buffer: records from per-CPU streams
 * put back in submit order (restack_trace.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trace/restack_trace.h"

/* ------------------------------------------------------------------ */
/* Reorder buffer                                                     */
/* ------------------------------------------------------------------ */

struct restack_reorder_ent {
	struct dm_restack_trace_record rec;
	uint64_t seq;
};

static bool ent_less(const struct restack_reorder_ent *a,
		     const struct restack_reorder_ent *b)
{
	if (a->rec.ts_ns != b->rec.ts_ns)
		return a->rec.ts_ns < b->rec.ts_ns;
	return a->seq < b->seq;
}

int restack_reorder_push(struct restack_reorder *ro,
			 const struct dm_restack_trace_record *rec,
			 struct restack_err *err)
{
	struct restack_reorder_ent e, *h;
	size_t i;

	if (ro->len == ro->cap) {
		size_t cap = ro->cap ? ro->cap * 2 : 1024;

		if (cap > SIZE_MAX / sizeof(*h) ||
		    !(h = realloc(ro->heap, cap * sizeof(*h))))
			return restack_err_set(err, -ENOMEM,
					       "out of memory (reorder buffer of %zu records)",
					       ro->len);
		ro->heap = h;
		ro->cap = cap;
	}
	if (restack_reorder_is_late(ro, rec->ts_ns))
		ro->late++;
	e.rec = *rec;
	e.seq = ro->seq++;
	h = ro->heap;
	i = ro->len++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!ent_less(&e, &h[parent]))
			break;
		h[i] = h[parent];
		i = parent;
	}
	h[i] = e;
	return 0;
}

bool restack_reorder_min(const struct restack_reorder *ro, uint64_t *ts_ns)
{
	if (!ro->len)
		return false;
	*ts_ns = ro->heap[0].rec.ts_ns;
	return true;
}

bool restack_reorder_pop(struct restack_reorder *ro,
			 struct dm_restack_trace_record *rec)
{
	struct restack_reorder_ent *h = ro->heap, last;
	size_t i = 0, n;

	if (!ro->len)
		return false;
	*rec = h[0].rec;
	if (!ro->popped || rec->ts_ns > ro->last_out)
		ro->last_out = rec->ts_ns;
	ro->popped = true;
	n = --ro->len;
	if (!n)
		return true;
	last = h[n];
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && ent_less(&h[c + 1], &h[c]))
			c++;
		if (!ent_less(&h[c], &last))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = last;
	return true;
}

void restack_reorder_release(struct restack_reorder *ro)
{
	free(ro->heap);
	memset(ro, 0, sizeof(*ro));
}
