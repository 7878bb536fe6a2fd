// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_recommend_render.c - a recommendation as text, as a table of
 * every candidate, or as JSON (formats: Documentation/analyzer.rst).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analyze/restack_recommend.h"

static void fmt_size(char *buf, size_t len, double b)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int i = 0;

	while (b >= 1024 && i < 4) {
		b /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.2f %s" : "%.0f %s", b, u[i]);
}

static void fmt_us(char *buf, size_t len, double ns)
{
	if (isnan(ns))
		snprintf(buf, len, "-");
	else if (ns < 1e6)
		snprintf(buf, len, "%.0fus", ns / 1e3);
	else
		snprintf(buf, len, "%.2fms", ns / 1e6);
}

static void cand_label(const struct restack_candidate *c, char *buf, size_t len)
{
	char sz[32], bs[32], sq[32];

	if (!c->cache) {
		snprintf(buf, len, "detached (no cache)");
		return;
	}
	fmt_size(sz, sizeof(sz), (double)c->cache_bytes);
	fmt_size(bs, sizeof(bs), c->block_bytes);
	fmt_size(sq, sizeof(sq), (double)c->seq_cutoff);
	snprintf(buf, len, "%s %s %s blocks %s promote %u seq %s", sz,
		 rs_cache_mode_name(c->mode), rs_repl_name(c->kind), bs,
		 c->promote_hits, c->seq_cutoff ? sq : "off");
}

static void print_predicted(FILE *out, const struct restack_candidate *c,
			    const struct restack_workload *w)
{
	char a[4][16];
	unsigned int p;

	if (c->cache)
		fprintf(out, "predicted  read hit ratio %.3f, writes cached %.3f\n",
			c->read_hit, c->mode == RS_MODE_WA ? 0 : c->write_cached);
	if (w->read_iops > 0) {
		for (p = 0; p < RESTACK_NR_PCT; p++)
			fmt_us(a[p], sizeof(a[p]), c->read_ns[p]);
		fprintf(out, "           read  p50 %s p90 %s p99 %s p99.9 %s\n",
			a[0], a[1], a[2], a[3]);
	}
	if (w->write_iops > 0) {
		for (p = 0; p < RESTACK_NR_PCT; p++)
			fmt_us(a[p], sizeof(a[p]), c->write_ns[p]);
		fprintf(out, "           write p50 %s p90 %s p99 %s p99.9 %s\n",
			a[0], a[1], a[2], a[3]);
	}
	fprintf(out, "           %.0f IOPS at queue depth %.1f; origin %.0f IOPS",
		c->iops, w->queue_depth, c->origin_load);
	if (c->origin_util > 0)
		fprintf(out, " (%.0f%% busy)", 100 * c->origin_util);
	if (c->cache) {
		fprintf(out, ", fast device %.0f IOPS", c->fast_load);
		if (c->fast_util > 0)
			fprintf(out, " (%.0f%% busy)", 100 * c->fast_util);
	}
	if (c->writeback_util > 1)
		fprintf(out, "; bound by write-back (%.1fx what the origin absorbs)",
			c->writeback_util);
	fputc('\n', out);
}

int restack_recommend_print_text(FILE *out,
				 const struct restack_recommendation *rec)
{
	const struct restack_sla_volume *sla = rec->sla;
	const struct restack_workload *w = &rec->workload;
	const struct restack_candidate *c;
	char buf[512], sz[32], lab[160];
	bool any = false;
	unsigned int p, i;
	uint64_t shown_size = UINT64_MAX;
	int sel;

	fmt_size(sz, sizeof(sz), w->wss_bytes);
	fprintf(out, "recommend  %s for [volume %s]\n", rec->trace, sla->name);
	fprintf(out, "workload   %llu requests over %.3f s: %.1f read and %.1f write IOPS, queue depth %.1f, working set %s\n",
		(unsigned long long)rec->records, w->duration_s, w->read_iops,
		w->write_iops, w->queue_depth, sz);
	if (rec->warmup_records)
		fprintf(out, "warm-up    the first %llu records (%.3f s) filled the simulated caches, not counted\n",
			(unsigned long long)rec->warmup_records, rec->warmup_s);
	fprintf(out, "devices    origin latencies from %s, fast device from %s\n",
		rec->origin.source, rec->fast.source);
	fputs("targets   ", out);
	for (p = 0; p < RESTACK_NR_PCT; p++) {
		if (sla->read_us[p] > 0) {
			fprintf(out, "%s read %s <= %.0fus", any ? "," : "",
				restack_sla_pct_name[p], sla->read_us[p]);
			any = true;
		}
		if (sla->write_us[p] > 0) {
			fprintf(out, "%s write %s <= %.0fus", any ? "," : "",
				restack_sla_pct_name[p], sla->write_us[p]);
			any = true;
		}
	}
	if (sla->min_iops > 0)
		fprintf(out, "%s IOPS >= %.0f", any ? "," : "", sla->min_iops);
	fputc('\n', out);

	sel = rec->chosen >= 0 ? rec->chosen : rec->closest;
	c = &rec->cands[sel];
	if (rec->chosen < 0)
		fprintf(out, "verdict    no candidate stack meets the SLA (%u evaluated); the closest:\n",
			rec->n);
	restack_candidate_attach(c, sla->fast_device, buf, sizeof(buf));
	if (!c->cache) {
		fprintf(out, "stack      detached: the origin alone %s (restack detach %s)\n",
			rec->chosen >= 0 ? "meets the SLA" : "comes closest",
			sla->name);
	} else {
		fmt_size(sz, sizeof(sz), (double)c->cache_bytes);
		fprintf(out, "stack      attach %s\n", buf);
		fprintf(out, "           on a fast device of %s (%llu bytes): restack attach %s %s\n",
			sz, (unsigned long long)c->cache_bytes, sla->name, buf);
	}
	print_predicted(out, c, w);
	if (rec->chosen < 0) {
		fprintf(out, "short of   %s\n", c->reason);
		return ferror(out) ? -EIO : 0;
	}
	/* cheaper stacks: the best of each cheaper size, and why it fails */
	for (i = 0; i < (unsigned int)rec->chosen; i++) {
		uint64_t size = rec->cands[i].cache ? rec->cands[i].cache_bytes : 0;
		unsigned int j, best = i;

		if (size == shown_size)
			continue;
		shown_size = size;
		for (j = i; j < (unsigned int)rec->chosen; j++) {
			uint64_t sj = rec->cands[j].cache ? rec->cands[j].cache_bytes : 0;

			if (sj != size)
				break;
			if (rec->cands[j].worst < rec->cands[best].worst)
				best = j;
		}
		if (i == 0)
			fprintf(out, "rejected   %u cheaper candidates; the best of each size:\n",
				(unsigned int)rec->chosen);
		cand_label(&rec->cands[best], lab, sizeof(lab));
		fprintf(out, "           %-56s %s\n", lab, rec->cands[best].reason);
	}
	return ferror(out) ? -EIO : 0;
}

static void jnum(FILE *out, double v)
{
	if (isfinite(v))
		fprintf(out, "%.6g", v);
	else
		fputs("null", out);
}

static void json_cand(FILE *out, const struct restack_candidate *c,
		      const char *fast_device)
{
	char buf[512];
	unsigned int p;

	restack_candidate_attach(c, fast_device, buf, sizeof(buf));
	fputs("{\"attach\":", out);
	restack_json_string(out, buf);
	fprintf(out, ",\"cache\":%s", c->cache ? "true" : "false");
	if (c->cache) {
		fprintf(out, ",\"cache_bytes\":%llu,\"mode\":\"%s\",\"replacement\":\"%s\","
			"\"block_size\":%u,\"promote_hits\":%u,\"seq_cutoff\":%llu,"
			"\"read_hit_ratio\":",
			(unsigned long long)c->cache_bytes, rs_cache_mode_name(c->mode),
			rs_repl_name(c->kind), c->block_bytes, c->promote_hits,
			(unsigned long long)c->seq_cutoff);
		jnum(out, c->read_hit);
		fputs(",\"writes_cached\":", out);
		jnum(out, c->mode == RS_MODE_WA ? 0 : c->write_cached);
	}
	fputs(",\"read_us\":{", out);
	for (p = 0; p < RESTACK_NR_PCT; p++) {
		fprintf(out, "%s\"%s\":", p ? "," : "", restack_sla_pct_name[p]);
		jnum(out, c->read_ns[p] / 1e3);
	}
	fputs("},\"write_us\":{", out);
	for (p = 0; p < RESTACK_NR_PCT; p++) {
		fprintf(out, "%s\"%s\":", p ? "," : "", restack_sla_pct_name[p]);
		jnum(out, c->write_ns[p] / 1e3);
	}
	fputs("},\"iops\":", out);
	jnum(out, c->iops);
	fputs(",\"origin_iops\":", out);
	jnum(out, c->origin_load);
	fputs(",\"fast_iops\":", out);
	jnum(out, c->fast_load);
	if (c->cache && c->mode == RS_MODE_WB) {
		fputs(",\"writebacks_per_write\":", out);
		jnum(out, c->writeback_per_write);
		fputs(",\"writeback_util\":", out);
		jnum(out, c->writeback_util);
	}
	fprintf(out, ",\"meets_sla\":%s,\"worst_ratio\":", c->feasible ? "true" : "false");
	jnum(out, c->worst);
	fputs(",\"reason\":", out);
	restack_json_string(out, c->reason);
	fputc('}', out);
}

static int print_json(FILE *out, const struct restack_recommendation *rec,
		      bool all);

int restack_recommend_print_json(FILE *out,
				 const struct restack_recommendation *rec)
{
	return print_json(out, rec, false);
}

int restack_recommend_print_json_all(FILE *out,
				     const struct restack_recommendation *rec)
{
	return print_json(out, rec, true);
}

int restack_recommend_print_all(FILE *out,
				const struct restack_recommendation *rec)
{
	char lab[160], a[4][16];
	unsigned int i;

	fprintf(out, "all        %u candidates, cheapest first:\n", rec->n);
	fprintf(out, "%-56s %6s %8s %8s %8s %8s %8s %s\n", "candidate", "hit",
		"rd_p50", "rd_p99", "wr_p50", "wr_p99", "IOPS", "verdict");
	for (i = 0; i < rec->n; i++) {
		const struct restack_candidate *c = &rec->cands[i];

		cand_label(c, lab, sizeof(lab));
		fmt_us(a[0], sizeof(a[0]), rec->workload.read_iops > 0 ? c->read_ns[0] : NAN);
		fmt_us(a[1], sizeof(a[1]), rec->workload.read_iops > 0 ? c->read_ns[2] : NAN);
		fmt_us(a[2], sizeof(a[2]), rec->workload.write_iops > 0 ? c->write_ns[0] : NAN);
		fmt_us(a[3], sizeof(a[3]), rec->workload.write_iops > 0 ? c->write_ns[2] : NAN);
		fprintf(out, "%-56s %6.3f %8s %8s %8s %8s %8.0f %s\n", lab,
			c->cache ? c->read_hit : 0, a[0], a[1], a[2], a[3], c->iops,
			c->feasible ? "meets" : c->reason);
	}
	return ferror(out) ? -EIO : 0;
}

static int print_json(FILE *out, const struct restack_recommendation *rec,
		      bool all)
{
	const struct restack_workload *w = &rec->workload;
	int sel = rec->chosen >= 0 ? rec->chosen : rec->closest;
	unsigned int i;

	fputs("{\"trace\":", out);
	restack_json_string(out, rec->trace);
	fputs(",\"volume\":", out);
	restack_json_string(out, rec->sla->name);
	fputs(",\"workload\":{\"read_iops\":", out);
	jnum(out, w->read_iops);
	fputs(",\"write_iops\":", out);
	jnum(out, w->write_iops);
	fputs(",\"queue_depth\":", out);
	jnum(out, w->queue_depth);
	fputs(",\"working_set_bytes\":", out);
	jnum(out, w->wss_bytes);
	fputs(",\"duration_s\":", out);
	jnum(out, w->duration_s);
	fprintf(out, ",\"records\":%llu,\"warmup_records\":%llu,\"warmup_s\":",
		(unsigned long long)rec->records,
		(unsigned long long)rec->warmup_records);
	jnum(out, rec->warmup_s);
	fprintf(out, "},\"candidates\":%u,\"meets_sla\":%s,\"recommended\":",
		rec->n, rec->chosen >= 0 ? "true" : "false");
	if (rec->chosen >= 0)
		json_cand(out, &rec->cands[sel], rec->sla->fast_device);
	else
		fputs("null", out);
	fputs(",\"closest\":", out);
	json_cand(out, &rec->cands[sel], rec->sla->fast_device);
	fputs(",\"rejected_cheaper\":[", out);
	for (i = 0; rec->chosen >= 0 && i < (unsigned int)rec->chosen; i++) {
		if (i)
			fputc(',', out);
		json_cand(out, &rec->cands[i], rec->sla->fast_device);
	}
	fputc(']', out);
	if (all) {
		fputs(",\"all\":[", out);
		for (i = 0; i < rec->n; i++) {
			if (i)
				fputc(',', out);
			json_cand(out, &rec->cands[i], rec->sla->fast_device);
		}
		fputc(']', out);
	}
	fputs("}\n", out);
	return ferror(out) ? -EIO : 0;
}
