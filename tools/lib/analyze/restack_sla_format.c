// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_sla_format.c - the canonical text of a parsed SLA file, which
 * parses back to the same values (restack_sla.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/restack_sla_internal.h"

/* A decimal that restack_sla_parse_decimal reads back as exactly @v (or close). */
static void put_decimal(FILE *f, double v)
{
	char buf[64];
	int prec;

	for (prec = 0; prec <= 15; prec++) {
		double back;

		snprintf(buf, sizeof(buf), "%.*f", prec, v);
		if (restack_sla_parse_decimal(buf, &back) == 0 && back == v)
			break;
	}
	fputs(buf, f);
}

static void put_list_u64(FILE *f, const uint64_t *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		fprintf(f, "%s%llu", i ? "," : "", (unsigned long long)v[i]);
}

int restack_sla_format(const struct restack_sla *sla, char **text)
{
	size_t len = 0;
	unsigned int i, k;
	FILE *f;

	*text = NULL;
	f = open_memstream(text, &len);
	if (!f)
		return -ENOMEM;
	if (sla->daemon.present) {
		const struct restack_sla_daemon *d = &sla->daemon;

		fputs("[daemon]\n", f);
		for (k = 0; k < D_NR; k++) {
			if (!(d->seen & BIT(k)))
				continue;
			fprintf(f, "%s = ", restack_sla_daemon_key_names[k]);
			switch (k) {
			case D_STATE_DIR:
				fputs(d->state_dir, f);
				break;
			case D_EVENT_LOG:
				fputs(d->event_log, f);
				break;
			case D_WINDOW:
				put_decimal(f, d->window_s);
				break;
			case D_VIOLATION_WINDOWS:
				fprintf(f, "%u", d->violation_windows);
				break;
			case D_CLEAR_WINDOWS:
				fprintf(f, "%u", d->clear_windows);
				break;
			case D_PROFILE:
				put_decimal(f, d->profile_s);
				break;
			case D_TRACE_SAMPLE_RATE:
				put_decimal(f, d->trace_sample_rate);
				break;
			case D_FAST_ERROR_LIMIT:
				fprintf(f, "%u", d->fast_error_limit);
				break;
			case D_FAST_LATENCY_LIMIT:
				put_decimal(f, d->fast_latency_limit_us);
				break;
			case D_RETRY:
				put_decimal(f, d->retry_s);
				break;
			default:
				put_decimal(f, d->warmup_s);
			}
			fputc('\n', f);
		}
		fputc('\n', f);
	}
	for (i = 0; i < sla->n; i++) {
		const struct restack_sla_volume *v = &sla->vols[i];

		fprintf(f, "%s[volume %s]\n", i ? "\n" : "", v->name);
		for (k = 0; k < K_NR; k++) {
			unsigned int j;

			if (!(v->seen & BIT(k)))
				continue;
			fprintf(f, "%s = ", restack_sla_key_names[k]);
			switch (k) {
			case K_ORIGIN:
				fputs(v->origin, f);
				break;
			case K_FAST_DEVICE:
				fputs(v->fast_device, f);
				break;
			case K_ORIGIN_PROFILE:
				fputs(v->origin_profile, f);
				break;
			case K_FAST_PROFILE:
				fputs(v->fast_profile, f);
				break;
			case K_MAX_CACHE:
				fprintf(f, "%llu", (unsigned long long)v->max_cache_bytes);
				break;
			case K_QUEUE_DEPTH:
				fprintf(f, "%u", v->queue_depth);
				break;
			case K_MODES:
				for (j = 0; j < RS_NR_MODES; j++)
					if (v->modes & (1u << j))
						fprintf(f, "%s%s",
							(v->modes & ((1u << j) - 1)) ? "," : "",
							rs_cache_mode_name(j));
				break;
			case K_REPLACEMENTS:
				for (j = 0; j < RS_REPL_NR_KINDS; j++)
					if (v->replacements & (1u << j))
						fprintf(f, "%s%s",
							(v->replacements & ((1u << j) - 1)) ? "," : "",
							rs_repl_name(j));
				break;
			case K_BLOCK_SIZES:
				for (j = 0; j < v->nblock_sizes; j++)
					fprintf(f, "%s%u", j ? "," : "", v->block_sizes[j]);
				break;
			case K_PROMOTE_HITS:
				for (j = 0; j < v->npromote; j++)
					fprintf(f, "%s%u", j ? "," : "", v->promote_hits[j]);
				break;
			case K_SEQ_CUTOFFS:
				put_list_u64(f, v->seq_cutoffs, v->nseq);
				break;
			case K_CACHE_SIZES:
				put_list_u64(f, v->cache_sizes, v->nsizes);
				break;
			case K_SAMPLE_RATE:
				put_decimal(f, v->sample_rate);
				break;
			case K_MIN_IOPS:
				put_decimal(f, v->min_iops);
				break;
			case K_ORIGIN_IOPS:
				put_decimal(f, v->origin_iops);
				break;
			case K_FAST_IOPS:
				put_decimal(f, v->fast_iops);
				break;
			case K_ORIGIN_READ:
				put_decimal(f, v->origin_read.median_us);
				break;
			case K_ORIGIN_READ_P99:
				put_decimal(f, v->origin_read.p99_us);
				break;
			case K_ORIGIN_WRITE:
				put_decimal(f, v->origin_write.median_us);
				break;
			case K_ORIGIN_WRITE_P99:
				put_decimal(f, v->origin_write.p99_us);
				break;
			case K_FAST_READ:
				put_decimal(f, v->fast_read.median_us);
				break;
			case K_FAST_READ_P99:
				put_decimal(f, v->fast_read.p99_us);
				break;
			case K_FAST_WRITE:
				put_decimal(f, v->fast_write.median_us);
				break;
			case K_FAST_WRITE_P99:
				put_decimal(f, v->fast_write.p99_us);
				break;
			default:
				if (k >= K_READ_P50 && k <= K_READ_P999)
					put_decimal(f, v->read_us[k - K_READ_P50]);
				else
					put_decimal(f, v->write_us[k - K_WRITE_P50]);
			}
			fputc('\n', f);
		}
	}
	if (fclose(f)) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}
