// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_render.c - human-readable and JSON renderings of a parsed
 * status.  Both return 0, or -EIO if writing to the stream failed.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "core/restack_core.h"

int restack_json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	for (; *p; p++) {
		switch (*p) {
		case '"':  fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\b': fputs("\\b", out); break;
		case '\f': fputs("\\f", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
	return ferror(out) ? -EIO : 0;
}

/* Width of the label column in the text rendering. */
#define RESTACK_TEXT_LABEL_WIDTH 15

static void restack_text_row(FILE *out, const char *label, const char *value)
{
	int pad = RESTACK_TEXT_LABEL_WIDTH - (int)strlen(label) - 1;

	fprintf(out, "%s:%*s%s\n", label, pad > 0 ? pad : 1, "", value);
}

int restack_status_print_text(FILE *out, const char *volume,
			      const struct restack_status *st)
{
	char num[32];
	size_t i;
	int c;

	restack_text_row(out, "volume", volume);
	restack_text_row(out, "mode", restack_mode_name(st->mode) ?
			 restack_mode_name(st->mode) : "?");
	restack_text_row(out, "policy", st->policy[0] ? st->policy : "-");
	for (c = 0; c < RESTACK_NR_COUNTERS; c++) {
		snprintf(num, sizeof(num), "%" PRIu64, st->counters[c]);
		restack_text_row(out, restack_counter_name(c), num);
	}
	for (i = 0; i < st->nr_extra; i++)
		restack_text_row(out, st->extra[i].key, st->extra[i].value);
	return ferror(out) ? -EIO : 0;
}

int restack_status_print_json(FILE *out, const char *volume,
			      const struct restack_status *st)
{
	uint64_t v;
	size_t i;
	int c;

	fputs("{\"volume\":", out);
	restack_json_string(out, volume);
	fputs(",\"mode\":", out);
	restack_json_string(out, restack_mode_name(st->mode) ?
			    restack_mode_name(st->mode) : "?");
	fputs(",\"policy\":", out);
	if (st->policy[0])
		restack_json_string(out, st->policy);
	else
		fputs("null", out);
	fputs(",\"counters\":{", out);
	for (c = 0; c < RESTACK_NR_COUNTERS; c++)
		fprintf(out, "%s\"%s\":%" PRIu64, c ? "," : "",
			restack_counter_name(c), st->counters[c]);
	fputs("},\"policy_stats\":{", out);
	for (i = 0; i < st->nr_extra; i++) {
		const char *val = st->extra[i].value;

		if (i)
			fputc(',', out);
		restack_json_string(out, st->extra[i].key);
		fputc(':', out);
		if (!restack_parse_u64(val, strlen(val), &v))
			fprintf(out, "%" PRIu64, v);
		else
			restack_json_string(out, val);
	}
	fputs("}}\n", out);
	return ferror(out) ? -EIO : 0;
}
