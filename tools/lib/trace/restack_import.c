// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_import.c - public block I/O traces (MSR Cambridge, CloudPhysics,
 * Tencent CBS, Alibaba, generic CSV) into restack trace files
 * (restack_import.h, Documentation/tracing.rst).
 *
 * Every line is parsed strictly: exact field count, decimal numbers
 * without sign, spaces or leading zeros, known op codes, no overflow in
 * unit conversions.  The first problem ends the import with a message
 * naming the line and column; nothing is skipped silently.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace/restack_import.h"

#define NS_PER_S		1000000000ULL
#define NS_PER_US		1000ULL
/* 1601-01-01 to 1970-01-01 in Windows filetime ticks (100 ns). */
#define FILETIME_UNIX_EPOCH	116444736000000000ULL
#define MAX_FIELDS		8

struct fmt_info {
	const char *name;
	unsigned int nfields;		/* fields per line */
	unsigned int nfields_alt;	/* alternative count (csv); 0 none */
	const char *const *cols;	/* column names for messages */
	const char *header;		/* required header line, or NULL */
	const char *header_opt;		/* header line skipped if present */
	const char *header_alt;		/* csv: the header with workload */
	bool wallclock;
};

static const char *const msr_cols[] = {
	"Timestamp", "Hostname", "DiskNumber", "Type", "Offset", "Size",
	"ResponseTime",
};
static const char *const csv_cols[] = {
	"timestamp_ns", "op", "offset_bytes", "size_bytes", "workload",
};
static const char *const cp_cols[] = { "version", "time", "op", "size", "lbn" };
static const char *const tencent_cols[] = {
	"Timestamp", "Offset", "Size", "IOType", "VolumeID",
};
static const char *const alibaba_cols[] = {
	"device_id", "opcode", "offset", "length", "timestamp",
};

static const struct fmt_info fmts[RESTACK_IMPORT_NR_FORMATS] = {
	[RESTACK_IMPORT_MSR] = {
		"msr", 7, 0, msr_cols, NULL,
		"Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime",
		NULL, true,
	},
	[RESTACK_IMPORT_CSV] = {
		"csv", 4, 5, csv_cols,
		"timestamp_ns,op,offset_bytes,size_bytes", NULL,
		"timestamp_ns,op,offset_bytes,size_bytes,workload", false,
	},
	[RESTACK_IMPORT_CLOUDPHYSICS] = {
		"cloudphysics", 5, 0, cp_cols, "version,time,op,size,lbn",
		NULL, NULL, false,
	},
	[RESTACK_IMPORT_TENCENT] = {
		"tencent", 5, 0, tencent_cols, NULL,
		"Timestamp,Offset,Size,IOType,VolumeID", NULL, true,
	},
	[RESTACK_IMPORT_ALIBABA] = {
		"alibaba", 5, 0, alibaba_cols, NULL,
		"device_id,opcode,offset,length,timestamp", NULL, true,
	},
};

const char *restack_import_format_name(enum restack_import_format f)
{
	return (unsigned int)f < RESTACK_IMPORT_NR_FORMATS ? fmts[f].name : NULL;
}

bool restack_import_wallclock(enum restack_import_format f)
{
	return (unsigned int)f < RESTACK_IMPORT_NR_FORMATS && fmts[f].wallclock;
}

int restack_import_format_parse(const char *name,
				enum restack_import_format *f,
				struct restack_err *err)
{
	unsigned int i;

	for (i = 0; i < RESTACK_IMPORT_NR_FORMATS; i++) {
		if (!strcmp(name, fmts[i].name)) {
			*f = (enum restack_import_format)i;
			return 0;
		}
	}
	return restack_err_set(err, -EINVAL,
			       "unknown import format \"%.64s\" (known: msr, csv, cloudphysics, tencent, alibaba)",
			       name);
}

struct workload {
	char *host;
	uint64_t disk;
	char *name;			/* "<host>_<disk>" */
};

struct restack_importer {
	FILE *in;
	char *name;
	enum restack_import_format fmt;
	const struct fmt_info *fi;
	unsigned int nfields;		/* decided by the header (csv) */
	uint64_t line;
	bool started;			/* header handled */
	int state;			/* <0 sticky error, 1 EOF */
	struct restack_err state_err;
	char buf[RESTACK_IMPORT_LINE_MAX + 1];
	size_t len;
	uint64_t unaligned;
	/* workload ids seen (for counting): small open hash of u64 */
	uint64_t *ids;			/* id + 1; 0 empty */
	size_t ids_cap, nr_ids;
	bool id_zero_seen;
	struct workload *wl;		/* msr */
	size_t nr_wl, cap_wl;
};

static int imp_fail(struct restack_importer *imp, struct restack_err *err,
		    int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int imp_fail(struct restack_importer *imp, struct restack_err *err,
		    int code, const char *fmt, ...)
{
	char msg[RESTACK_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	restack_err_set(&imp->state_err, code, "%s: line %llu: %s", imp->name,
			(unsigned long long)imp->line, msg);
	imp->state = code;
	if (err)
		*err = imp->state_err;
	return code;
}

/* Error in field @col (0-based) of the current line. */
static int col_fail(struct restack_importer *imp, struct restack_err *err,
		    unsigned int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int col_fail(struct restack_importer *imp, struct restack_err *err,
		    unsigned int col, const char *fmt, ...)
{
	char msg[RESTACK_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return imp_fail(imp, err, -EINVAL, "column %u (%s): %s", col + 1,
			imp->fi->cols[col], msg);
}

int restack_importer_new(FILE *in, const char *name,
			 enum restack_import_format f,
			 struct restack_importer **out,
			 struct restack_err *err)
{
	struct restack_importer *imp;

	*out = NULL;
	if ((unsigned int)f >= RESTACK_IMPORT_NR_FORMATS)
		return restack_err_set(err, -EINVAL, "unknown import format %d",
				       (int)f);
	imp = calloc(1, sizeof(*imp));
	if (!imp || !(imp->name = strdup(name))) {
		free(imp);
		return restack_err_set(err, -ENOMEM, "out of memory");
	}
	imp->in = in;
	imp->fmt = f;
	imp->fi = &fmts[f];
	imp->nfields = imp->fi->nfields;
	*out = imp;
	return 0;
}

void restack_importer_free(struct restack_importer *imp)
{
	size_t i;

	if (!imp)
		return;
	for (i = 0; i < imp->nr_wl; i++) {
		free(imp->wl[i].host);
		free(imp->wl[i].name);
	}
	free(imp->wl);
	free(imp->ids);
	free(imp->name);
	free(imp);
}

uint64_t restack_importer_line(const struct restack_importer *imp)
{
	return imp->line;
}

uint64_t restack_importer_unaligned(const struct restack_importer *imp)
{
	return imp->unaligned;
}

uint64_t restack_importer_workloads(const struct restack_importer *imp)
{
	if (imp->fmt == RESTACK_IMPORT_MSR)
		return imp->nr_wl;
	return imp->nr_ids + (imp->id_zero_seen ? 1 : 0);
}

const char *restack_importer_workload_name(const struct restack_importer *imp,
					   uint64_t id)
{
	if (imp->fmt != RESTACK_IMPORT_MSR || id == 0 || id > imp->nr_wl)
		return NULL;
	return imp->wl[id - 1].name;
}

/* Count a workload id (ids are counted, not stored beyond the count). */
static int note_id(struct restack_importer *imp, uint64_t id,
		   struct restack_err *err)
{
	size_t i, mask;

	if (id == 0) {
		imp->id_zero_seen = true;
		return 0;
	}
	if ((imp->nr_ids + 1) * 2 > imp->ids_cap) {
		size_t cap = imp->ids_cap ? imp->ids_cap * 2 : 64, j;
		uint64_t *n;

		if (imp->nr_ids >= RESTACK_IMPORT_WORKLOADS_MAX * 16)
			return 0;	/* stop counting; the count is a floor */
		n = calloc(cap, sizeof(*n));
		if (!n)
			return imp_fail(imp, err, -ENOMEM, "out of memory");
		for (j = 0; j < imp->ids_cap; j++) {
			uint64_t k = imp->ids[j];

			if (!k)
				continue;
			for (i = (size_t)(k * 0x9E3779B97F4A7C15ULL) & (cap - 1);
			     n[i]; i = (i + 1) & (cap - 1))
				;
			n[i] = k;
		}
		free(imp->ids);
		imp->ids = n;
		imp->ids_cap = cap;
	}
	mask = imp->ids_cap - 1;
	for (i = (size_t)(id * 0x9E3779B97F4A7C15ULL) & mask; imp->ids[i];
	     i = (i + 1) & mask)
		if (imp->ids[i] == id)
			return 0;
	imp->ids[i] = id;
	imp->nr_ids++;
	return 0;
}

/* MSR: (host, disk) to an id 1, 2, ... in order of first appearance. */
static int msr_workload(struct restack_importer *imp, const char *host,
			size_t hlen, uint64_t disk, uint64_t *id,
			struct restack_err *err)
{
	struct workload *w;
	size_t i;

	/* Most files hold one pair: check the last one first. */
	for (i = imp->nr_wl; i-- > 0;) {
		w = &imp->wl[i];
		if (w->disk == disk && strlen(w->host) == hlen &&
		    !memcmp(w->host, host, hlen)) {
			*id = i + 1;
			return 0;
		}
	}
	if (imp->nr_wl >= RESTACK_IMPORT_WORKLOADS_MAX)
		return col_fail(imp, err, 1,
				"more than %d distinct (Hostname, DiskNumber) pairs",
				RESTACK_IMPORT_WORKLOADS_MAX);
	if (imp->nr_wl == imp->cap_wl) {
		size_t cap = imp->cap_wl ? imp->cap_wl * 2 : 8;

		w = realloc(imp->wl, cap * sizeof(*w));
		if (!w)
			return imp_fail(imp, err, -ENOMEM, "out of memory");
		imp->wl = w;
		imp->cap_wl = cap;
	}
	w = &imp->wl[imp->nr_wl];
	w->disk = disk;
	w->host = strndup(host, hlen);
	w->name = malloc(hlen + 24);
	if (!w->host || !w->name) {
		free(w->host);
		free(w->name);
		return imp_fail(imp, err, -ENOMEM, "out of memory");
	}
	snprintf(w->name, hlen + 24, "%s_%llu", w->host,
		 (unsigned long long)disk);
	*id = ++imp->nr_wl;
	return 0;
}

/*
 * Read one line into imp->buf (without the newline or a final CR).
 * Returns 1, 0 at end of input, or an error.
 */
static int read_line(struct restack_importer *imp, struct restack_err *err)
{
	int c;

	imp->len = 0;
	c = getc(imp->in);
	if (c == EOF) {
		if (ferror(imp->in))
			return imp_fail(imp, err, -EIO, "read error");
		return 0;
	}
	imp->line++;
	for (; c != EOF && c != '\n'; c = getc(imp->in)) {
		if (c == '\0')
			return imp_fail(imp, err, -EINVAL,
					"NUL byte at byte %zu", imp->len + 1);
		if (imp->len == RESTACK_IMPORT_LINE_MAX)
			return imp_fail(imp, err, -EINVAL,
					"line longer than %d bytes",
					RESTACK_IMPORT_LINE_MAX);
		imp->buf[imp->len++] = (char)c;
	}
	if (c == EOF && ferror(imp->in))
		return imp_fail(imp, err, -EIO, "read error");
	if (imp->len && imp->buf[imp->len - 1] == '\r')
		imp->len--;
	imp->buf[imp->len] = '\0';
	return 1;
}

struct fields {
	const char *p[MAX_FIELDS];
	size_t len[MAX_FIELDS];
	unsigned int n;
};

/* Split on ','; more than MAX_FIELDS fields counts as MAX_FIELDS + 1. */
static void split(const char *s, size_t len, struct fields *f)
{
	size_t start = 0, i;

	f->n = 0;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != ',')
			continue;
		if (f->n == MAX_FIELDS) {
			f->n++;
			return;
		}
		f->p[f->n] = s + start;
		f->len[f->n] = i - start;
		f->n++;
		start = i + 1;
	}
}

/* "x" quoted for messages (truncated, control characters replaced). */
static const char *q(const struct fields *f, unsigned int i, char *buf,
		     size_t size)
{
	size_t n = f->len[i] < 40 ? f->len[i] : 40, j;

	snprintf(buf, size, "\"%.*s%s\"", (int)n, f->p[i],
		 f->len[i] > 40 ? "..." : "");
	for (j = 0; buf[j]; j++)
		if ((unsigned char)buf[j] < 0x20 || buf[j] == 0x7f)
			buf[j] = '?';
	return buf;
}

static int field_u64(struct restack_importer *imp, const struct fields *f,
		     unsigned int i, uint64_t *v, struct restack_err *err)
{
	char qb[64];
	int r;

	if (!f->len[i])
		return col_fail(imp, err, i, "empty field");
	r = restack_parse_u64(f->p[i], f->len[i], v);
	if (r == -ERANGE)
		return col_fail(imp, err, i, "%s is out of range",
				q(f, i, qb, sizeof(qb)));
	if (r)
		return col_fail(imp, err, i,
				"%s is not a decimal number (digits only, no sign or leading zeros)",
				q(f, i, qb, sizeof(qb)));
	return 0;
}

static bool field_is(const struct fields *f, unsigned int i, const char *s)
{
	return f->len[i] == strlen(s) && !memcmp(f->p[i], s, f->len[i]);
}

/* a * m, failing on overflow. */
static int mul_ok(uint64_t a, uint64_t m, uint64_t *out)
{
	if (m && a > UINT64_MAX / m)
		return -ERANGE;
	*out = a * m;
	return 0;
}

/*
 * Fill the address of @rec from a byte offset and length: the sectors
 * covering [off, off + len).  Unaligned requests are counted.
 */
static int set_bytes(struct restack_importer *imp, struct restack_err *err,
		     struct dm_restack_trace_record *rec, uint64_t off,
		     uint64_t len, unsigned int off_col, unsigned int len_col)
{
	uint64_t first = off / 512, end;

	if (!len)
		return col_fail(imp, err, len_col, "zero-length request");
	if (off > UINT64_MAX - len)
		return col_fail(imp, err, off_col,
				"offset + size overflows 64 bits");
	end = (off + len - 1) / 512 + 1;
	if (end - first > UINT32_MAX)
		return col_fail(imp, err, len_col,
				"request of %llu bytes is too large (at most %llu sectors)",
				(unsigned long long)len,
				(unsigned long long)UINT32_MAX);
	if (off % 512 || len % 512)
		imp->unaligned++;
	rec->virt_sector = first;
	rec->sectors = (uint32_t)(end - first);
	return 0;
}

static int set_sectors(struct restack_importer *imp, struct restack_err *err,
		       struct dm_restack_trace_record *rec, uint64_t first,
		       uint64_t n, unsigned int off_col, unsigned int len_col)
{
	if (!n)
		return col_fail(imp, err, len_col, "zero-length request");
	if (n > UINT32_MAX)
		return col_fail(imp, err, len_col,
				"request of %llu sectors is too large",
				(unsigned long long)n);
	if (first > UINT64_MAX - n)
		return col_fail(imp, err, off_col,
				"offset + size overflows 64 bits");
	rec->virt_sector = first;
	rec->sectors = (uint32_t)n;
	return 0;
}

static int time_conv(struct restack_importer *imp, struct restack_err *err,
		     unsigned int col, uint64_t v, uint64_t mult,
		     uint64_t *ts)
{
	if (mul_ok(v, mult, ts))
		return col_fail(imp, err, col,
				"time %llu overflows 64-bit nanoseconds",
				(unsigned long long)v);
	return 0;
}

/* R/W op in field i; rd and wr are the accepted spellings. */
static int field_rw(struct restack_importer *imp, const struct fields *f,
		    unsigned int i, const char *rd, const char *wr,
		    struct dm_restack_trace_record *rec,
		    struct restack_err *err)
{
	char qb[64];

	if (field_is(f, i, rd))
		rec->op = DM_RESTACK_OP_READ;
	else if (field_is(f, i, wr))
		rec->op = DM_RESTACK_OP_WRITE;
	else
		return col_fail(imp, err, i, "%s is not %s or %s",
				q(f, i, qb, sizeof(qb)), rd, wr);
	return 0;
}

static int parse_msr(struct restack_importer *imp, const struct fields *f,
		     struct dm_restack_trace_record *rec,
		     struct restack_err *err)
{
	uint64_t ft, disk, off, len, resp, ts = 0, lat = 0, id = 0;
	size_t i;
	int r;

	if ((r = field_u64(imp, f, 0, &ft, err)))
		return r;
	if (ft < FILETIME_UNIX_EPOCH)
		return col_fail(imp, err, 0,
				"%llu is before 1970 (Windows filetime, 100 ns ticks since 1601)",
				(unsigned long long)ft);
	if ((r = time_conv(imp, err, 0, ft - FILETIME_UNIX_EPOCH, 100, &ts)))
		return r;
	rec->ts_ns = ts;
	if (!f->len[1])
		return col_fail(imp, err, 1, "empty field");
	for (i = 0; i < f->len[1]; i++) {
		unsigned char c = (unsigned char)f->p[1][i];

		if (c <= 0x20 || c >= 0x7f)
			return col_fail(imp, err, 1,
					"byte %zu is not printable ASCII", i + 1);
	}
	if ((r = field_u64(imp, f, 2, &disk, err)))
		return r;
	if ((r = field_rw(imp, f, 3, "Read", "Write", rec, err)))
		return r;
	if ((r = field_u64(imp, f, 4, &off, err)) ||
	    (r = field_u64(imp, f, 5, &len, err)) ||
	    (r = field_u64(imp, f, 6, &resp, err)))
		return r;
	if ((r = set_bytes(imp, err, rec, off, len, 4, 5)))
		return r;
	if (mul_ok(resp, 100, &lat))
		return col_fail(imp, err, 6, "%llu overflows 64-bit nanoseconds",
				(unsigned long long)resp);
	rec->latency_ns = lat;
	r = msr_workload(imp, f->p[1], f->len[1], disk, &id, err);
	rec->cgroup_id = id;
	return r;
}

static int parse_csv(struct restack_importer *imp, const struct fields *f,
		     struct dm_restack_trace_record *rec,
		     struct restack_err *err)
{
	uint64_t off, len, ts = 0, id = 0;
	int r;

	if ((r = field_u64(imp, f, 0, &ts, err)) ||
	    (r = field_rw(imp, f, 1, "R", "W", rec, err)) ||
	    (r = field_u64(imp, f, 2, &off, err)) ||
	    (r = field_u64(imp, f, 3, &len, err)) ||
	    (r = set_bytes(imp, err, rec, off, len, 2, 3)))
		return r;
	rec->ts_ns = ts;
	if (f->n == 5) {
		if ((r = field_u64(imp, f, 4, &id, err)))
			return r;
		rec->cgroup_id = id;
		return note_id(imp, id, err);
	}
	return 0;
}

static int parse_cloudphysics(struct restack_importer *imp,
			      const struct fields *f,
			      struct dm_restack_trace_record *rec,
			      struct restack_err *err)
{
	/* SCSI READ/WRITE (6), (10), (12), (16) */
	static const struct { const char *hex; uint8_t op; } ops[] = {
		{ "08", DM_RESTACK_OP_READ }, { "28", DM_RESTACK_OP_READ },
		{ "a8", DM_RESTACK_OP_READ }, { "88", DM_RESTACK_OP_READ },
		{ "0a", DM_RESTACK_OP_WRITE }, { "2a", DM_RESTACK_OP_WRITE },
		{ "aa", DM_RESTACK_OP_WRITE }, { "8a", DM_RESTACK_OP_WRITE },
	};
	uint64_t ver, t, len, lbn, ts = 0;
	char qb[64], lc[3];
	size_t i;
	int r;

	if ((r = field_u64(imp, f, 0, &ver, err)))
		return r;
	if (ver != 1)
		return col_fail(imp, err, 0, "record version %llu, only 1 is known",
				(unsigned long long)ver);
	/*
	 * Whole seconds: this header is libCacheSim's CSV form of the vSCSI
	 * traces, whose reader turns the vSCSI microseconds into seconds
	 * (the shared slice spans exactly 7200 of them, 94% of its time
	 * deltas are 0 and none exceeds 4: two hours at 16 requests/s, not
	 * 7.2 ms at 16 million).
	 */
	if ((r = field_u64(imp, f, 1, &t, err)) ||
	    (r = time_conv(imp, err, 1, t, NS_PER_S, &ts)))
		return r;
	rec->ts_ns = ts;
	if (f->len[2] != 2)
		goto bad_op;
	for (i = 0; i < 2; i++) {
		char c = f->p[2][i];

		lc[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
	}
	lc[2] = '\0';
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(lc, ops[i].hex))
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		goto bad_op;
	rec->op = ops[i].op;
	if ((r = field_u64(imp, f, 3, &len, err)) ||
	    (r = field_u64(imp, f, 4, &lbn, err)))
		return r;
	if (!len)
		return col_fail(imp, err, 3, "zero-length request");
	if (len % 512)
		imp->unaligned++;
	return set_sectors(imp, err, rec, lbn, (len + 511) / 512, 4, 3);
bad_op:
	return col_fail(imp, err, 2,
			"%s is not a SCSI read or write opcode (hex 08/28/a8/88 read, 0a/2a/aa/8a write)",
			q(f, 2, qb, sizeof(qb)));
}

static int parse_tencent(struct restack_importer *imp, const struct fields *f,
			 struct dm_restack_trace_record *rec,
			 struct restack_err *err)
{
	uint64_t t, off, len, ts = 0, id = 0;
	int r;

	if ((r = field_u64(imp, f, 0, &t, err)) ||
	    (r = time_conv(imp, err, 0, t, NS_PER_S, &ts)) ||
	    (r = field_u64(imp, f, 1, &off, err)) ||
	    (r = field_u64(imp, f, 2, &len, err)) ||
	    (r = set_sectors(imp, err, rec, off, len, 1, 2)) ||
	    (r = field_rw(imp, f, 3, "0", "1", rec, err)) ||
	    (r = field_u64(imp, f, 4, &id, err)))
		return r;
	rec->ts_ns = ts;
	rec->cgroup_id = id;
	return note_id(imp, id, err);
}

static int parse_alibaba(struct restack_importer *imp, const struct fields *f,
			 struct dm_restack_trace_record *rec,
			 struct restack_err *err)
{
	uint64_t off, len, t, ts = 0, id = 0;
	int r;

	if ((r = field_u64(imp, f, 0, &id, err)) ||
	    (r = field_rw(imp, f, 1, "R", "W", rec, err)) ||
	    (r = field_u64(imp, f, 2, &off, err)) ||
	    (r = field_u64(imp, f, 3, &len, err)) ||
	    (r = set_bytes(imp, err, rec, off, len, 2, 3)) ||
	    (r = field_u64(imp, f, 4, &t, err)) ||
	    (r = time_conv(imp, err, 4, t, NS_PER_US, &ts)))
		return r;
	rec->ts_ns = ts;
	rec->cgroup_id = id;
	return note_id(imp, id, err);
}

/* First line: a required, optional or alternative header. */
static int handle_header(struct restack_importer *imp, bool *consumed,
			 struct restack_err *err)
{
	const struct fmt_info *fi = imp->fi;

	*consumed = false;
	if (fi->header_opt && !strcmp(imp->buf, fi->header_opt)) {
		*consumed = true;
		return 0;
	}
	if (!fi->header)
		return 0;
	if (!strcmp(imp->buf, fi->header)) {
		*consumed = true;
		return 0;
	}
	if (fi->header_alt && !strcmp(imp->buf, fi->header_alt)) {
		imp->nfields = fi->nfields_alt;
		*consumed = true;
		return 0;
	}
	if (fi->header_alt)
		return imp_fail(imp, err, -EINVAL,
				"expected the header \"%s\" or \"%s\"",
				fi->header, fi->header_alt);
	return imp_fail(imp, err, -EINVAL, "expected the header \"%s\"",
			fi->header);
}

int restack_importer_next(struct restack_importer *imp,
			  struct dm_restack_trace_record *rec,
			  struct restack_err *err)
{
	struct fields f;
	int r;

	if (imp->state < 0) {
		if (err)
			*err = imp->state_err;
		return imp->state;
	}
	if (imp->state == 1)
		return 0;
	for (;;) {
		bool consumed;

		r = read_line(imp, err);
		if (r < 0)
			return r;
		if (r == 0) {
			if (!imp->started && imp->fi->header)
				return imp_fail(imp, err, -EINVAL,
						"empty input: expected the header \"%s\"",
						imp->fi->header);
			imp->state = 1;
			return 0;
		}
		if (imp->started)
			break;
		imp->started = true;
		r = handle_header(imp, &consumed, err);
		if (r)
			return r;
		if (!consumed)
			break;
	}

	if (!imp->len)
		return imp_fail(imp, err, -EINVAL, "empty line");
	split(imp->buf, imp->len, &f);
	if (f.n != imp->nfields)
		return imp_fail(imp, err, -EINVAL,
				"%s%u fields, expected %u (%s)",
				f.n > MAX_FIELDS ? "more than " : "",
				f.n > MAX_FIELDS ? MAX_FIELDS : f.n,
				imp->nfields, imp->fi->name);

	memset(rec, 0, sizeof(*rec));
	rec->type = DM_RESTACK_REC_IO;
	rec->result = DM_RESTACK_RESULT_PASSTHROUGH;
	switch (imp->fmt) {
	case RESTACK_IMPORT_MSR:
		r = parse_msr(imp, &f, rec, err);
		break;
	case RESTACK_IMPORT_CSV:
		r = parse_csv(imp, &f, rec, err);
		break;
	case RESTACK_IMPORT_CLOUDPHYSICS:
		r = parse_cloudphysics(imp, &f, rec, err);
		break;
	case RESTACK_IMPORT_TENCENT:
		r = parse_tencent(imp, &f, rec, err);
		break;
	default:
		r = parse_alibaba(imp, &f, rec, err);
		break;
	}
	if (r)
		return r;
	if (rec->ts_ns > UINT64_MAX - rec->latency_ns)
		return imp_fail(imp, err, -EINVAL,
				"time + response time overflows 64-bit nanoseconds");
	return 1;
}
