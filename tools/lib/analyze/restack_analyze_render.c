// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_analyze_render.c - `restack report` as text, as JSON, and as
 * gnuplot PNGs.
 */
#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "analyze/restack_analyze_report.h"

extern char **environ;

#define M	DM_RESTACK_SAMPLE_MODULUS

static const char *const op_names[DM_RESTACK_OP_MAX] = {
	"read", "write", "discard", "write_zeroes", "flush", "secure_erase",
	"other",
};

static const char *const lat_names[RESTACK_NR_LAT] = {
	"read", "write", "discard", "flush",
};

static const double pcts[] = { 0.50, 0.90, 0.99, 0.999 };
static const char *const pct_names[] = { "p50", "p90", "p99", "p99.9" };

/* ---- formatting ---- */

static void fmt_bytes(char *buf, size_t len, double b)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	int i = 0;

	while (b >= 1024 && i < 5) {
		b /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%.0f B", b);
	else
		snprintf(buf, len, "%.2f %s", b, u[i]);
}

static void fmt_ns(char *buf, size_t len, double ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.3fs", ns / 1e9);
}

static double pct_of(double part, double whole)
{
	return whole > 0 ? 100 * part / whole : 0;
}

/* JSON number or null. */
static void jnum(FILE *out, double v)
{
	if (isfinite(v))
		fprintf(out, "%.6g", v);
	else
		fputs("null", out);
}

static double scope_data_reqs(const struct restack_rep_scope *s)
{
	return s->ops[DM_RESTACK_OP_READ] + s->ops[DM_RESTACK_OP_WRITE];
}

/* Working-set blocks split by what touched them. */
static void wss_split(const struct restack_rep_scope *s, double *read,
		      double *written)
{
	uint64_t pos = 0, key, val;
	double k = (double)M / s->wss.T;

	*read = *written = 0;
	while (restack_u64map_next(&s->wss.map, &pos, &key, &val)) {
		if (val & 1)
			*read += k;
		if (val & 2)
			*written += k;
	}
}

/* Top-n LBA regions by accesses: indices into s->lba, sorted. */
static unsigned int top_regions(const struct restack_rep_scope *s,
				unsigned int *idx, unsigned int n)
{
	unsigned int i, j, k = 0;

	for (i = 0; i < RESTACK_REP_LBA_BINS; i++) {
		if (!(s->lba[i] > 0))
			continue;
		for (j = k; j > 0 && s->lba[idx[j - 1]] < s->lba[i]; j--)
			if (j < n)
				idx[j] = idx[j - 1];
		if (j < n) {
			idx[j] = i;
			if (k < n)
				k++;
		}
	}
	return k;
}

static void window_stats(const struct restack_rep_wss *w, double *mn,
			 double *mean, double *mx)
{
	uint32_t i;

	*mn = INFINITY;
	*mean = 0;
	*mx = 0;
	for (i = 0; i < w->nwindows; i++) {
		double v = w->windows[i];

		if (v < *mn)
			*mn = v;
		if (v > *mx)
			*mx = v;
		*mean += v;
	}
	if (w->nwindows)
		*mean /= w->nwindows;
	else
		*mn = 0;
}

/* ---------------------------------------------------------------- */
/* text                                                              */
/* ---------------------------------------------------------------- */

static void text_scope(FILE *out, const struct restack_report *r,
		       const struct restack_rep_scope *s, const char *ind)
{
	double dur = restack_rep_duration(s) / 1e9, total = 0, data, rd, wr;
	double mn, mean, mx, wss_b = restack_rep_wss_blocks(s) * r->block_bytes;
	unsigned int i, c, top[10], ntop;
	char a[32], b[32], d[32];
	uint64_t sizes[12];

	for (i = 0; i < DM_RESTACK_OP_MAX; i++)
		total += s->ops[i];
	data = scope_data_reqs(s);
	fprintf(out, "%sspan       %.6f s, %llu I/O records\n", ind, dur,
		(unsigned long long)s->records);
	fprintf(out, "%sops       ", ind);
	for (i = 0; i < DM_RESTACK_OP_MAX; i++) {
		if (!(s->ops[i] > 0) && i > DM_RESTACK_OP_WRITE)
			continue;
		fmt_bytes(a, sizeof(a), s->bytes[i]);
		fprintf(out, " %s %.0f (%.2f%%, %s)", op_names[i], s->ops[i],
			pct_of(s->ops[i], total), a);
	}
	fprintf(out, ", errors %.0f\n", s->errors);
	if (dur > 0) {
		fmt_bytes(a, sizeof(a), s->bytes[0] / dur);
		fmt_bytes(b, sizeof(b), s->bytes[1] / dur);
		fprintf(out, "%srates      %.1f IOPS (%.1f read, %.1f write); read %s/s, write %s/s\n",
			ind, total / dur, s->ops[0] / dur, s->ops[1] / dur, a, b);
	}
	fprintf(out, "%smix        reads are %.2f%% of data requests and %.2f%% of data bytes\n",
		ind, pct_of(s->ops[0], data),
		pct_of(s->bytes[0], s->bytes[0] + s->bytes[1]));
	for (c = 0; c < 2; c++) {
		double n = s->ops[c];

		fprintf(out, "%s%-10s", ind, c ? "" : "sizes");
		fprintf(out, " %s:", c ? "write" : "read ");
		if (!(n > 0)) {
			fputs(" -\n", out);
			continue;
		}
		for (i = 0; i < RESTACK_REP_SIZE_BUCKETS; i++) {
			if (!(s->size_hist[c][i] > 0))
				continue;
			fmt_bytes(a, sizeof(a), ldexp(512, (int)i));
			fprintf(out, " <=%s %.1f%%", a,
				pct_of(s->size_hist[c][i], n));
		}
		fputc('\n', out);
	}
	fmt_bytes(a, sizeof(a), s->runs > 0 ?
		  (s->bytes[0] + s->bytes[1]) / s->runs : 0);
	fprintf(out, "%ssequential %.2f%% of data requests continue a stream; %.0f runs, mean run %s\n",
		ind, pct_of(s->seq_reqs, s->data_reqs), s->runs, a);
	for (c = 0; c < RESTACK_NR_LAT; c++) {
		if (!s->lat_n[c])
			continue;
		fprintf(out, "%s%-10s %-7s", ind, c ? "" : "latency", lat_names[c]);
		if (!s->lat_max[c]) {
			fputs(" n/a (the trace has no latencies)\n", out);
			continue;
		}
		for (i = 0; i < 4; i++) {
			fmt_ns(a, sizeof(a),
			       (double)restack_rep_latency_pct(s, c, pcts[i]));
			fprintf(out, " %s %s", pct_names[i], a);
		}
		fmt_ns(a, sizeof(a), s->lat_sum[c] / s->lat_n[c]);
		fmt_ns(b, sizeof(b), (double)s->lat_max[c]);
		fprintf(out, " mean %s max %s (%llu)\n", a, b,
			(unsigned long long)s->lat_n[c]);
	}
	wss_split(s, &rd, &wr);
	fmt_bytes(a, sizeof(a), wss_b);
	fmt_bytes(b, sizeof(b), rd * r->block_bytes);
	fmt_bytes(d, sizeof(d), wr * r->block_bytes);
	fprintf(out, "%sworking set %s (read %s, written %s) in %u-byte blocks\n",
		ind, a, b, d, r->block_bytes);
	window_stats(&s->wss, &mn, &mean, &mx);
	if (s->wss.nwindows) {
		fmt_bytes(a, sizeof(a), mn * r->block_bytes);
		fmt_bytes(b, sizeof(b), mean * r->block_bytes);
		fmt_bytes(d, sizeof(d), mx * r->block_bytes);
		fprintf(out, "%s           per %.3f s window: min %s, mean %s, max %s (%u windows)\n",
			ind, r->window_ns / 1e9, a, b, d, s->wss.nwindows);
	}
	fprintf(out, "%sreuse      %.2f%% of read blocks had been written in the trace; %.2f%% of written blocks are rewrites\n",
		ind, pct_of(s->wss.reads_after_write, s->wss.reads),
		pct_of(s->wss.rewrites, s->wss.writes));
	ntop = top_regions(s, top, 5);
	if (ntop) {
		double acc = 0;

		for (i = 0; i < RESTACK_REP_LBA_BINS; i++)
			acc += s->lba[i];
		fmt_bytes(a, sizeof(a), (double)s->lba_width * 512);
		fprintf(out, "%shot LBAs   (regions of %s)", ind, a);
		for (i = 0; i < ntop; i++) {
			fmt_bytes(b, sizeof(b), (double)top[i] * s->lba_width * 512);
			fprintf(out, " @%s %.1f%%", b, pct_of(s->lba[top[i]], acc));
		}
		fputc('\n', out);
	}
	if (restack_mrc_refs(s->mrc)) {
		unsigned int n = restack_mrc_auto_sizes(restack_mrc_distinct(s->mrc),
							sizes, 8);

		fprintf(out, "%sLRU MRC   ", ind);
		for (i = 0; i < n; i++) {
			fmt_bytes(a, sizeof(a), (double)sizes[i] * r->block_bytes);
			fprintf(out, " %s:%.3f", a,
				restack_mrc_miss_ratio(s->mrc, sizes[i]));
		}
		fputc('\n', out);
	}
}

int restack_report_print_text(FILE *out, const struct restack_report *r,
			      const struct restack_report_meta *meta)
{
	const struct dm_restack_trace_header *h = meta->hdr;
	double peak = 0;
	unsigned int i;
	char a[32];

	fprintf(out, "trace      %s: source \"%.32s\", volume \"%.128s\" (%u:%u)%s%s\n",
		meta->trace, h->source, h->volume_name, h->volume >> 20,
		h->volume & 0xfffff,
		h->flags & DM_RESTACK_TH_SORTED ? ", sorted" : "",
		h->flags & DM_RESTACK_TH_IMPORTED ? ", imported" : "");
	if (r->trace_threshold < M)
		fprintf(out, "sampling   kernel-sampled at R = %.6f in %u-byte blocks: request counts are scaled by 1/P(kept), block statistics by 1/R\n",
			r->trace_rate, r->trace_block_sectors * 512);
	if (r->have_end)
		fprintf(out, "records    %llu I/O, %llu dropped by the tracer%s\n",
			(unsigned long long)r->end_records,
			(unsigned long long)r->end_drops,
			r->end_drops ? " (counts are low by that much)" : "");
	for (i = 0; i < r->ntbins; i++) {
		double n = r->tbins[i].n[0] + r->tbins[i].n[1];

		if (n > peak)
			peak = n;
	}
	fmt_ns(a, sizeof(a), (double)r->tbin_ns);
	if (r->ntbins)
		fprintf(out, "timeline   %u bins of %s; peak %.1f IOPS\n",
			r->ntbins, a, peak * 1e9 / r->tbin_ns);
	text_scope(out, r, &r->all, "");
	for (i = 0; i < r->nwl; i++) {
		const struct restack_rep_scope *s = r->wl[i];

		if (s->other)
			fprintf(out, "\nworkload   other (workloads beyond the first %u)\n",
				RESTACK_REP_MAX_WORKLOADS);
		else
			fprintf(out, "\nworkload   volume %u:%u cgroup %llu pid %u%s%.16s%s\n",
				(unsigned int)(s->volume >> 20),
				(unsigned int)(s->volume & 0xfffff),
				(unsigned long long)s->cgroup, s->pid,
				s->comm[0] ? " (" : "", s->comm,
				s->comm[0] ? ")" : "");
		text_scope(out, r, s, "  ");
	}
	return ferror(out) ? -EIO : 0;
}

/* ---------------------------------------------------------------- */
/* JSON                                                              */
/* ---------------------------------------------------------------- */

static void json_scope(FILE *out, const struct restack_report *r,
		       const struct restack_rep_scope *s)
{
	double dur = restack_rep_duration(s) / 1e9, total = 0, rd, wr;
	double mn, mean, mx;
	unsigned int i, c, top[10], ntop;
	uint64_t sizes[64];

	for (i = 0; i < DM_RESTACK_OP_MAX; i++)
		total += s->ops[i];
	fprintf(out, "\"records\":%llu,\"duration_s\":", (unsigned long long)s->records);
	jnum(out, dur);
	fputs(",\"ops\":{", out);
	for (i = 0; i < DM_RESTACK_OP_MAX; i++) {
		fprintf(out, "%s\"%s\":{\"count\":", i ? "," : "", op_names[i]);
		jnum(out, s->ops[i]);
		fputs(",\"bytes\":", out);
		jnum(out, s->bytes[i]);
		fputc('}', out);
	}
	fputs("},\"errors\":", out);
	jnum(out, s->errors);
	fputs(",\"iops\":", out);
	jnum(out, dur > 0 ? total / dur : NAN);
	fputs(",\"read_bytes_per_s\":", out);
	jnum(out, dur > 0 ? s->bytes[0] / dur : NAN);
	fputs(",\"write_bytes_per_s\":", out);
	jnum(out, dur > 0 ? s->bytes[1] / dur : NAN);
	fputs(",\"read_fraction\":", out);
	jnum(out, scope_data_reqs(s) > 0 ? s->ops[0] / scope_data_reqs(s) : NAN);
	fputs(",\"read_byte_fraction\":", out);
	jnum(out, s->bytes[0] + s->bytes[1] > 0 ?
	     s->bytes[0] / (s->bytes[0] + s->bytes[1]) : NAN);
	fputs(",\"request_sizes\":{", out);
	for (c = 0; c < 2; c++) {
		bool first = true;

		fprintf(out, "%s\"%s\":{", c ? "," : "", c ? "write" : "read");
		for (i = 0; i < RESTACK_REP_SIZE_BUCKETS; i++) {
			if (!(s->size_hist[c][i] > 0))
				continue;
			fprintf(out, "%s\"%.0f\":", first ? "" : ",",
				ldexp(512, (int)i));
			jnum(out, s->size_hist[c][i]);
			first = false;
		}
		fputc('}', out);
	}
	fputs("},\"sequential\":{\"fraction\":", out);
	jnum(out, s->data_reqs > 0 ? s->seq_reqs / s->data_reqs : NAN);
	fputs(",\"runs\":", out);
	jnum(out, s->runs);
	fputs(",\"mean_run_bytes\":", out);
	jnum(out, s->runs > 0 ? (s->bytes[0] + s->bytes[1]) / s->runs : NAN);
	fputs("},\"latency_us\":{", out);
	for (c = 0; c < RESTACK_NR_LAT; c++) {
		fprintf(out, "%s\"%s\":{\"count\":%llu", c ? "," : "",
			lat_names[c], (unsigned long long)s->lat_n[c]);
		for (i = 0; i < 4; i++) {
			fprintf(out, ",\"%s\":", pct_names[i]);
			jnum(out, s->lat_max[c] ?
			     restack_rep_latency_pct(s, c, pcts[i]) / 1e3 : NAN);
		}
		fputs(",\"mean\":", out);
		jnum(out, s->lat_max[c] ? s->lat_sum[c] / s->lat_n[c] / 1e3 : NAN);
		fputs(",\"max\":", out);
		jnum(out, s->lat_max[c] ? s->lat_max[c] / 1e3 : NAN);
		fputc('}', out);
	}
	wss_split(s, &rd, &wr);
	fprintf(out, "},\"working_set\":{\"block_bytes\":%u,\"bytes\":", r->block_bytes);
	jnum(out, restack_rep_wss_blocks(s) * r->block_bytes);
	fputs(",\"read_bytes\":", out);
	jnum(out, rd * r->block_bytes);
	fputs(",\"written_bytes\":", out);
	jnum(out, wr * r->block_bytes);
	fputs(",\"window_s\":", out);
	jnum(out, r->window_ns / 1e9);
	window_stats(&s->wss, &mn, &mean, &mx);
	fputs(",\"window_mean_bytes\":", out);
	jnum(out, mean * r->block_bytes);
	fputs(",\"window_max_bytes\":", out);
	jnum(out, mx * r->block_bytes);
	fputs(",\"windows_bytes\":[", out);
	for (i = 0; i < s->wss.nwindows; i++) {
		if (i)
			fputc(',', out);
		jnum(out, s->wss.windows[i] * r->block_bytes);
	}
	fputs("]},\"read_after_write_fraction\":", out);
	jnum(out, s->wss.reads > 0 ? s->wss.reads_after_write / s->wss.reads : NAN);
	fputs(",\"rewrite_fraction\":", out);
	jnum(out, s->wss.writes > 0 ? s->wss.rewrites / s->wss.writes : NAN);
	fprintf(out, ",\"hot_regions\":{\"region_bytes\":%llu,\"top\":[",
		(unsigned long long)s->lba_width * 512);
	ntop = top_regions(s, top, 10);
	{
		double acc = 0;

		for (i = 0; i < RESTACK_REP_LBA_BINS; i++)
			acc += s->lba[i];
		for (i = 0; i < ntop; i++) {
			fprintf(out, "%s{\"offset\":%llu,\"fraction\":", i ? "," : "",
				(unsigned long long)top[i] * s->lba_width * 512);
			jnum(out, s->lba[top[i]] / acc);
			fputc('}', out);
		}
	}
	fputs("]},\"mrc\":[", out);
	if (restack_mrc_refs(s->mrc)) {
		unsigned int n = restack_mrc_auto_sizes(restack_mrc_distinct(s->mrc),
							sizes, 32);

		for (i = 0; i < n; i++) {
			fprintf(out, "%s[%llu,", i ? "," : "",
				(unsigned long long)sizes[i] * r->block_bytes);
			jnum(out, restack_mrc_miss_ratio(s->mrc, sizes[i]));
			fputc(']', out);
		}
	}
	fputc(']', out);
}

int restack_report_print_json(FILE *out, const struct restack_report *r,
			      const struct restack_report_meta *meta)
{
	const struct dm_restack_trace_header *h = meta->hdr;
	char name[sizeof(h->volume_name) + 1], src[sizeof(h->source) + 1];
	unsigned int i;

	memcpy(name, h->volume_name, sizeof(h->volume_name));
	name[sizeof(h->volume_name)] = '\0';
	memcpy(src, h->source, sizeof(h->source));
	src[sizeof(h->source)] = '\0';
	fputs("{\"trace\":", out);
	restack_json_string(out, meta->trace);
	fputs(",\"source\":", out);
	restack_json_string(out, src);
	fputs(",\"volume\":", out);
	restack_json_string(out, name);
	fputs(",\"sample_rate\":", out);
	jnum(out, r->trace_rate);
	fprintf(out, ",\"dropped\":%llu", (unsigned long long)r->end_drops);
	fputs(",\"timeline\":{\"bin_s\":", out);
	jnum(out, r->tbin_ns / 1e9);
	fputs(",\"read_iops\":[", out);
	for (i = 0; i < r->ntbins; i++) {
		if (i)
			fputc(',', out);
		jnum(out, r->tbins[i].n[0] * 1e9 / r->tbin_ns);
	}
	fputs("],\"write_iops\":[", out);
	for (i = 0; i < r->ntbins; i++) {
		if (i)
			fputc(',', out);
		jnum(out, r->tbins[i].n[1] * 1e9 / r->tbin_ns);
	}
	fputs("],\"read_bytes_per_s\":[", out);
	for (i = 0; i < r->ntbins; i++) {
		if (i)
			fputc(',', out);
		jnum(out, r->tbins[i].bytes[0] * 1e9 / r->tbin_ns);
	}
	fputs("],\"write_bytes_per_s\":[", out);
	for (i = 0; i < r->ntbins; i++) {
		if (i)
			fputc(',', out);
		jnum(out, r->tbins[i].bytes[1] * 1e9 / r->tbin_ns);
	}
	fputs("]},", out);
	json_scope(out, r, &r->all);
	if (r->by_workload) {
		fputs(",\"workloads\":[", out);
		for (i = 0; i < r->nwl; i++) {
			const struct restack_rep_scope *s = r->wl[i];
			char comm[17];

			memcpy(comm, s->comm, 16);
			comm[16] = '\0';
			fputs(i ? ",{" : "{", out);
			if (s->other)
				fputs("\"other\":true,", out);
			else
				fprintf(out, "\"volume\":\"%u:%u\",\"cgroup\":%llu,\"pid\":%u,",
					(unsigned int)(s->volume >> 20),
					(unsigned int)(s->volume & 0xfffff),
					(unsigned long long)s->cgroup, s->pid);
			fputs("\"comm\":", out);
			restack_json_string(out, comm);
			fputc(',', out);
			json_scope(out, r, s);
			fputc('}', out);
		}
		fputc(']', out);
	}
	fputs("}\n", out);
	return ferror(out) ? -EIO : 0;
}

/* ---------------------------------------------------------------- */
/* plots                                                             */
/* ---------------------------------------------------------------- */

static FILE *plot_file(const char *dir, const char *name, char *path,
		       size_t len, struct restack_err *err)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		restack_err_set(err, -errno, "%s: %s", path, strerror(errno));
	return f;
}

static int close_plot_file(FILE *f, const char *path, struct restack_err *err)
{
	if (ferror(f) | fclose(f))
		return restack_err_set(err, -EIO, "%s: write error", path);
	return 0;
}

/* Escape a string for a gnuplot double-quoted literal. */
static void gp_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20 && *s != 0x7f)
			fputc(*s, f);
	}
	fputc('"', f);
}

int restack_report_plot(const struct restack_report *r, const char *dir,
			const struct restack_report_meta *meta,
			struct restack_err *err)
{
	const struct restack_rep_scope *s = &r->all;
	char path[4096], gp[4096];
	char *const argv[] = { "gnuplot", gp, NULL };
	unsigned int c, i, j, n;
	uint64_t sizes[64];
	bool any_lat = false;
	int status, ret;
	pid_t pid;
	FILE *f;

	if (mkdir(dir, 0777) && errno != EEXIST)
		return restack_err_set(err, -errno, "--plot %s: %s", dir,
				       strerror(errno));
	/* latency CDF: one block per class */
	f = plot_file(dir, "latency-cdf.dat", path, sizeof(path), err);
	if (!f)
		return -EIO;
	for (c = 0; c < RESTACK_NR_LAT; c++) {
		uint64_t acc = 0;

		fprintf(f, "# %s\n", lat_names[c]);
		if (s->lat_n[c] && s->lat_max[c]) {
			for (i = 0; i < RESTACK_REP_LAT_BUCKETS; i++) {
				if (!s->lat[c][i])
					continue;
				acc += s->lat[c][i];
				/* upper edge of the bucket, in us */
				fprintf(f, "%.6g %.9g\n",
					(i < RESTACK_REP_LAT_SUB ? i + 1 :
					 ldexp(i % RESTACK_REP_LAT_SUB +
					       RESTACK_REP_LAT_SUB + 1,
					       (int)(i / RESTACK_REP_LAT_SUB - 1))) / 1e3,
					(double)acc / s->lat_n[c]);
			}
			any_lat = true;
		} else {
			fputs("0 0\n", f);	/* keep the block */
		}
		fputs("\n\n", f);
	}
	ret = close_plot_file(f, path, err);
	if (ret)
		return ret;
	/* IOPS over time */
	f = plot_file(dir, "iops.dat", path, sizeof(path), err);
	if (!f)
		return -EIO;
	for (i = 0; i < r->ntbins; i++)
		fprintf(f, "%.9g %.6g %.6g\n", (double)i * r->tbin_ns / 1e9,
			r->tbins[i].n[0] * 1e9 / r->tbin_ns,
			r->tbins[i].n[1] * 1e9 / r->tbin_ns);
	if (!r->ntbins)
		fputs("0 0 0\n", f);
	ret = close_plot_file(f, path, err);
	if (ret)
		return ret;
	/* heat map: rows of time, columns of LBA */
	f = plot_file(dir, "lba-heatmap.dat", path, sizeof(path), err);
	if (!f)
		return -EIO;
	{
		unsigned int rows = 1, cols = 1;

		for (i = 0; i < RESTACK_REP_HEAT; i++)
			for (j = 0; j < RESTACK_REP_HEAT; j++)
				if (r->heat[i][j]) {
					if (i + 1 > rows)
						rows = i + 1;
					if (j + 1 > cols)
						cols = j + 1;
				}
		for (i = 0; i < rows; i++) {
			for (j = 0; j < cols; j++)
				fprintf(f, "%.6g %.6g %u\n",
					(double)i * r->heat_tns / 1e9,
					(double)j * r->heat_lba * 512 / (1 << 30),
					r->heat[i][j]);
			fputc('\n', f);
		}
	}
	ret = close_plot_file(f, path, err);
	if (ret)
		return ret;
	/* MRC */
	f = plot_file(dir, "mrc.dat", path, sizeof(path), err);
	if (!f)
		return -EIO;
	n = restack_mrc_refs(s->mrc) ?
	    restack_mrc_auto_sizes(restack_mrc_distinct(s->mrc), sizes, 64) : 0;
	for (i = 0; i < n; i++)
		fprintf(f, "%.9g %.6f\n",
			(double)sizes[i] * r->block_bytes / (1 << 20),
			restack_mrc_miss_ratio(s->mrc, sizes[i]));
	if (!n)
		fputs("1 1\n", f);
	ret = close_plot_file(f, path, err);
	if (ret)
		return ret;

	/* the script */
	f = plot_file(dir, "report.gp", gp, sizeof(gp), err);
	if (!f)
		return -EIO;
	fputs("set terminal pngcairo size 1000,640 noenhanced\n", f);
	fputs("set grid\nset key left top\n", f);
	fprintf(f, "cd ");
	gp_string(f, dir);
	fputc('\n', f);
	fputs("set output 'latency-cdf.png'\n", f);
	fputs("set title ", f);
	gp_string(f, meta->trace);
	fputs(" . ': latency CDF'\n", f);
	fputs("set xlabel 'latency (us, log scale)'\nset ylabel 'fraction of requests'\n", f);
	fputs("set logscale x\nset yrange [0:1]\n", f);
	if (any_lat)
		fputs("plot 'latency-cdf.dat' index 0 with steps lw 2 title 'read', "
		      "'' index 1 with steps lw 2 title 'write', "
		      "'' index 2 with steps lw 2 title 'discard', "
		      "'' index 3 with steps lw 2 title 'flush'\n", f);
	else
		fputs("set label 1 'no latencies in this trace' at graph 0.4,0.5\n"
		      "plot [1:10] 0 notitle\nunset label 1\n", f);
	fputs("unset logscale x\nset autoscale y\nset yrange [0:*]\n", f);
	fputs("set output 'iops.png'\nset title ", f);
	gp_string(f, meta->trace);
	fprintf(f, " . ': IOPS over time (bins of %.6g s)'\n", r->tbin_ns / 1e9);
	fputs("set xlabel 'time (s)'\nset ylabel 'IOPS'\n", f);
	fputs("plot 'iops.dat' using 1:2 with steps lw 2 title 'read', "
	      "'' using 1:3 with steps lw 2 title 'write', "
	      "'' using 1:($2+$3) with steps lw 1 title 'total'\n", f);
	fputs("set output 'lba-heatmap.png'\nset title ", f);
	gp_string(f, meta->trace);
	fputs(" . ': accesses by time and LBA'\n", f);
	fputs("set xlabel 'time (s)'\nset ylabel 'volume offset (GiB)'\n", f);
	fputs("set cblabel 'data requests (log scale)'\nset view map\n"
	      "set autoscale\nset xrange [0:*]\nset yrange [0:*]\n"
	      "set logscale cb\nset palette rgb 21,22,23\n", f);
	fputs("plot 'lba-heatmap.dat' using 1:2:($3 > 0 ? $3 : 1/0) with image notitle\n", f);
	fputs("unset logscale cb\n", f);
	fputs("set output 'mrc.png'\nset title ", f);
	gp_string(f, meta->trace);
	fprintf(f, " . ': LRU miss-ratio curve (%u-byte blocks)'\n", r->block_bytes);
	fputs("set xlabel 'cache size (MiB, log scale)'\nset ylabel 'miss ratio'\n", f);
	fputs("set logscale x\nset autoscale x\nset yrange [0:1]\nset key right top\n", f);
	fputs("plot 'mrc.dat' using 1:2 with linespoints lw 2 pt 7 ps 0.6 title 'LRU (SHARDS)'\n", f);
	ret = close_plot_file(f, gp, err);
	if (ret)
		return ret;

	ret = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
	if (ret)
		return restack_err_set(err, -ret,
				       "cannot run gnuplot: %s (install gnuplot-nox)",
				       strerror(ret));
	if (waitpid(pid, &status, 0) < 0)
		return restack_err_set(err, -errno, "waiting for gnuplot: %s",
				       strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return restack_err_set(err, -EIO,
				       "gnuplot failed on %s (exit status %d)", gp,
				       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
