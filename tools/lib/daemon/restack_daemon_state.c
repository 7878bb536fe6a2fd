// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_daemon_state.c - what the daemon tells people: the JSON-lines
 * event log, the per-volume state files and the human log lines (stderr
 * and syslog).  Formats: Documentation/daemon.rst.
 *
 * The state file is rewritten with write-to-temporary, fsync, rename, so
 * a reader (restack status) or a crash never sees half a file.  Event
 * lines are written with one fwrite and flushed, so a crash loses at most
 * the line being written, never corrupts an earlier one.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "daemon/restack_daemon.h"

void restack_json_put_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void restack_json_put_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.3f", v);
}

void restack_daemon_logf(struct restack_daemon *d, enum restack_log_level lvl,
			 const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (lvl > d->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (d->log) {
		d->log(d->log_ctx, lvl, line);
		return;
	}
	fprintf(stderr, "restackd: %s\n", line);
	/* syslog may be absent (busybox guest): its failures are ignored */
	syslog(lvl == RESTACK_LOG_ERR ? LOG_ERR :
	       lvl == RESTACK_LOG_INFO ? LOG_INFO : LOG_DEBUG, "%s", line);
}

struct restack_event {
	struct restack_daemon *d;
	struct restack_daemon_vol *v;
	FILE *f;
	char *buf;
	size_t len;
};

struct restack_event *restack_event_begin(struct restack_daemon *d,
					  struct restack_daemon_vol *v,
					  const char *event)
{
	struct restack_event *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->d = d;
	e->v = v;
	e->f = open_memstream(&e->buf, &e->len);
	if (!e->f) {
		free(e);
		return NULL;
	}
	fputs("{\"ts\":", e->f);
	fprintf(e->f, "%.3f", d->ops->now(d->ctx));
	if (v) {
		fputs(",\"volume\":", e->f);
		restack_json_put_str(e->f, v->name);
	}
	fputs(",\"event\":", e->f);
	restack_json_put_str(e->f, event);
	return e;
}

void restack_event_str(struct restack_event *e, const char *key, const char *val)
{
	if (!e)
		return;
	fprintf(e->f, ",\"%s\":", key);
	restack_json_put_str(e->f, val);
}

void restack_event_num(struct restack_event *e, const char *key, double val)
{
	if (!e)
		return;
	fprintf(e->f, ",\"%s\":", key);
	restack_json_put_num(e->f, val);
}

/* val < 0: null */
void restack_event_bool(struct restack_event *e, const char *key, int val)
{
	if (!e)
		return;
	fprintf(e->f, ",\"%s\":%s", key, val < 0 ? "null" : val ? "true" : "false");
}

void restack_event_raw(struct restack_event *e, const char *key, const char *json)
{
	if (!e)
		return;
	fprintf(e->f, ",\"%s\":%s", key, json);
}

/*
 * Append the line to the log and keep it among the volume's last events
 * (window events are not kept there: they would push out the decisions).
 */
void restack_event_end(struct restack_event *e)
{
	struct restack_daemon_vol *v;
	bool keep;

	if (!e)
		return;
	fputc('}', e->f);
	if (fclose(e->f)) {
		free(e->buf);
		free(e);
		return;
	}
	if (e->d->events) {
		fprintf(e->d->events, "%s\n", e->buf);
		fflush(e->d->events);
	}
	v = e->v;
	keep = v && !strstr(e->buf, "\"event\":\"window\"");
	if (keep) {
		if (v->nevents == RESTACK_DAEMON_LAST_EVENTS) {
			free(v->events[0]);
			memmove(v->events, v->events + 1,
				(RESTACK_DAEMON_LAST_EVENTS - 1) * sizeof(v->events[0]));
			v->nevents--;
		}
		v->events[v->nevents++] = e->buf;
	} else {
		free(e->buf);
	}
	free(e);
}

static void put_window(FILE *f, const struct restack_window *w, bool have)
{
	fputs("{\"read_p99_us\":", f);
	restack_json_put_num(f, have ? w->read_us[RESTACK_PCT_99] : NAN);
	fputs(",\"write_p99_us\":", f);
	restack_json_put_num(f, have ? w->write_us[RESTACK_PCT_99] : NAN);
	fputs(",\"iops\":", f);
	restack_json_put_num(f, have ? w->iops : NAN);
	fputc('}', f);
}

int restack_daemon_write_state(struct restack_daemon *d,
			       struct restack_daemon_vol *v)
{
	char tmp[RESTACK_SLA_PATH_MAX + 170], *buf = NULL;
	size_t len = 0, off;
	unsigned int i;
	FILE *f;
	int fd, r = 0;

	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fputs("{\"volume\":", f);
	restack_json_put_str(f, v->name);
	fputs(",\"state\":", f);
	restack_json_put_str(f, restack_dstate_name(v->state));
	fprintf(f, ",\"since\":%.0f,\"stack\":", v->since);
	restack_json_put_str(f, v->stack[0] ? v->stack : NULL);
	fputs(",\"carve\":", f);
	if (v->carve_sectors) {
		fputs("{\"device\":", f);
		restack_json_put_str(f, v->carve);
		fprintf(f, ",\"offset_sectors\":%llu,\"sectors\":%llu}",
			(unsigned long long)v->carve_offset,
			(unsigned long long)v->carve_sectors);
	} else {
		fputs("null", f);
	}
	fprintf(f, ",\"retry_at\":%.0f", v->retry_at);
	fprintf(f, ",\"sla\":{\"met\":%s,\"missed_windows\":%u,\"met_windows\":%u}",
		v->sla_met ? "true" : "false", v->missed, v->met_run);
	fputs(",\"measured\":", f);
	put_window(f, &v->last, v->have_last);
	fputs(",\"predicted\":", f);
	if (v->have_decision && v->decision.cache) {
		fputs("{\"read_p99_us\":", f);
		restack_json_put_num(f, v->decision.read_p99_us);
		fputs(",\"write_p99_us\":", f);
		restack_json_put_num(f, v->decision.write_p99_us);
		fputs(",\"iops\":", f);
		restack_json_put_num(f, v->decision.iops);
		fputc('}', f);
	} else {
		fputs("null", f);
	}
	fputs(",\"error\":", f);
	restack_json_put_str(f, v->error[0] ? v->error : NULL);
	fputs(",\"last_events\":[", f);
	for (i = 0; i < v->nevents; i++)
		fprintf(f, "%s%s", i ? "," : "", v->events[i]);
	fputs("]}\n", f);
	if (fclose(f))
		return -ENOMEM;

	snprintf(tmp, sizeof(tmp), "%s.tmp", v->state_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	for (off = 0; off < len;) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (!r && fsync(fd))
		r = -errno;
	close(fd);
	if (!r && rename(tmp, v->state_path))
		r = -errno;
	if (r)
		unlink(tmp);
out:
	if (r)
		restack_daemon_logf(d, RESTACK_LOG_ERR, "%s: writing %s: %s",
				    v->name, v->state_path, strerror(-r));
	free(buf);
	return r;
}

/*
 * The raw text of top-level member @key of the JSON object @json (our
 * state files; any input is safe): copied into @out without quotes for
 * strings (escapes kept as written).  Returns 1 found, 0 not found or
 * malformed.  Used only to display state files, never to decide.
 */
int restack_json_top_value(const char *json, const char *key, char *out,
			   size_t len)
{
	size_t klen = strlen(key), i, n = strlen(json);
	int depth = 0;
	bool in_str = false;

	if (!len)
		return 0;
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		char c = json[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			depth--;
		} else if (c == '"') {
			size_t start, end, o = 0;
			int d2 = 0;
			bool s2 = false;

			if (depth != 1 || i + klen + 2 >= n ||
			    strncmp(json + i + 1, key, klen) ||
			    json[i + 1 + klen] != '"' || json[i + 2 + klen] != ':') {
				in_str = true;
				continue;
			}
			start = i + 3 + klen;
			for (end = start; end < n; end++) {
				char e = json[end];

				if (s2) {
					if (e == '\\')
						end++;
					else if (e == '"')
						s2 = false;
					continue;
				}
				if (e == '"')
					s2 = true;
				else if (e == '{' || e == '[')
					d2++;
				else if (e == '}' || e == ']') {
					if (d2 == 0)
						break;
					d2--;
				} else if (e == ',' && d2 == 0)
					break;
			}
			if (end > n)
				end = n;
			if (end > start + 1 && json[start] == '"' && json[end - 1] == '"') {
				start++;
				end--;
			}
			for (; start < end && o + 1 < len; start++)
				out[o++] = json[start];
			out[o] = '\0';
			return 1;
		}
	}
	return 0;
}

/*
 * The reading side, for `restack status`: beside the writer so that the
 * two agree on where the file is and what it holds.
 */

/* The state file of @volume (malloc'ed, one line, newline stripped). */
char *restack_daemon_state_read(const char *state_dir, const char *volume)
{
	char path[RESTACK_SLA_PATH_MAX + 160], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.json",
		 state_dir ? state_dir : RESTACK_DAEMON_STATE_DIR, volume);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	n = getline(&line, &cap, f);
	fclose(f);
	if (n <= 2) {
		free(line);
		return NULL;
	}
	if (line[n - 1] == '\n')
		line[--n] = '\0';
	/* only a whole object is embedded in --json output */
	if (line[0] != '{' || line[n - 1] != '}') {
		free(line);
		return NULL;
	}
	return line;
}

void restack_daemon_status_text(FILE *out, const char *state)
{
	char v[2048], w[256], x[256];
	char *events, *p;

	fputs("daemon:\n", out);
	restack_json_top_value(state, "state", v, sizeof(v));
	restack_json_top_value(state, "since", w, sizeof(w));
	{
		time_t t = (time_t)strtoll(w, NULL, 10);
		struct tm tm;
		char ts[64] = "?";

		if (gmtime_r(&t, &tm))
			strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S UTC", &tm);
		fprintf(out, "  state:       %s since %s\n", v, ts);
	}
	restack_json_top_value(state, "stack", v, sizeof(v));
	fprintf(out, "  stack:       %s\n", strcmp(v, "null") ? v : "(none)");
	restack_json_top_value(state, "sla", v, sizeof(v));
	fprintf(out, "  sla:         %s\n", v);
	restack_json_top_value(state, "measured", v, sizeof(v));
	fprintf(out, "  measured:    %s\n", v);
	restack_json_top_value(state, "predicted", v, sizeof(v));
	fprintf(out, "  predicted:   %s\n", v);
	if (restack_json_top_value(state, "error", x, sizeof(x)) && strcmp(x, "null"))
		fprintf(out, "  error:       %s\n", x);
	events = strstr(state, "\"last_events\":[");
	if (!events)
		return;
	fputs("  last events:\n", out);
	events += strlen("\"last_events\":[");
	/* one event object per line */
	for (p = events; *p && *p != ']';) {
		int depth = 0;
		bool in_str = false;
		char *start = p;

		for (; *p; p++) {
			if (in_str) {
				if (*p == '\\' && p[1])
					p++;
				else if (*p == '"')
					in_str = false;
			} else if (*p == '"') {
				in_str = true;
			} else if (*p == '{') {
				depth++;
			} else if (*p == '}' && --depth == 0) {
				p++;
				break;
			}
		}
		fprintf(out, "    %.*s\n", (int)(p - start), start);
		if (*p == ',')
			p++;
		else
			break;
	}
}
