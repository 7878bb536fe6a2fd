// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_trace.c - reading and writing restack trace files
 * (restack_trace.h; format in Documentation/tracing.rst).
 *
 * The reader is strict and meant for hostile input: every header field,
 * every record and the end of the file are checked, and every problem is
 * reported as "<file>: offset <n>: <problem>" with the byte offset in the
 * uncompressed stream.  zstd input is recognised by its magic number and
 * decompressed with libzstd's streaming API (bounded memory).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "trace/restack_trace.h"

#define REC_SIZE	((size_t)sizeof(struct dm_restack_trace_record))
#define HDR_SIZE	((size_t)sizeof(struct dm_restack_trace_header))

_Static_assert(sizeof(struct dm_restack_trace_record) == 64, "record size");
_Static_assert(sizeof(struct dm_restack_trace_header) == 512, "header size");

#define KNOWN_TH_FLAGS	(DM_RESTACK_TH_SORTED | DM_RESTACK_TH_IMPORTED)
#define KNOWN_F_FLAGS	(DM_RESTACK_F_PREFLUSH | DM_RESTACK_F_FUA | \
			 DM_RESTACK_F_SYNC | DM_RESTACK_F_META | \
			 DM_RESTACK_F_SAMPLED)
#define ERRNO_MAX	4095

/* zstd frame magic (little-endian on disk) and skippable frame magics. */
#define ZSTD_MAGIC		0xFD2FB528U
#define ZSTD_SKIP_MAGIC		0x184D2A50U
#define ZSTD_SKIP_MASK		0xFFFFFFF0U

/*
 * A zstd frame holding exactly the 512-byte header as one raw block:
 * magic, frame header descriptor 0x60 (single segment, 2-byte content
 * size = value - 256), content size 512, block header (last, raw, 512).
 */
static const uint8_t zstd_hdr_frame_prefix[] = {
	0x28, 0xb5, 0x2f, 0xfd,		/* magic */
	0x60,				/* FHD */
	0x00, 0x01,			/* 512 - 256, little-endian */
	0x01, 0x10, 0x00,		/* (512 << 3) | raw << 1 | last */
};

/* ------------------------------------------------------------------ */
/* Byte order: files are little-endian.                               */
/* ------------------------------------------------------------------ */

static void rec_swap(struct dm_restack_trace_record *rec)
{
#if __BYTE_ORDER == __BIG_ENDIAN
	rec->ts_ns = le64toh(rec->ts_ns);
	if (rec->type != DM_RESTACK_REC_COMM) {
		rec->virt_sector = le64toh(rec->virt_sector);
		rec->phys_sector = le64toh(rec->phys_sector);
	}
	rec->latency_ns = le64toh(rec->latency_ns);
	rec->cgroup_id = le64toh(rec->cgroup_id);
	rec->volume = le32toh(rec->volume);
	rec->phys_dev = le32toh(rec->phys_dev);
	rec->pid = le32toh(rec->pid);
	rec->sectors = le32toh(rec->sectors);
	rec->inflight = le16toh(rec->inflight);
	rec->error = (int16_t)le16toh((uint16_t)rec->error);
#else
	(void)rec;
#endif
}

static void hdr_swap(struct dm_restack_trace_header *h)
{
#if __BYTE_ORDER == __BIG_ENDIAN
	h->version = le32toh(h->version);
	h->header_size = le32toh(h->header_size);
	h->record_size = le32toh(h->record_size);
	h->flags = le32toh(h->flags);
	h->sample_threshold = le32toh(h->sample_threshold);
	h->sample_block_sectors = le32toh(h->sample_block_sectors);
	h->volume = le32toh(h->volume);
	h->nr_cpus = le32toh(h->nr_cpus);
	h->start_ns = le64toh(h->start_ns);
	h->start_realtime_ns = le64toh(h->start_realtime_ns);
	h->end_ns = le64toh(h->end_ns);
	h->records = le64toh(h->records);
	h->drops = le64toh(h->drops);
#else
	(void)h;
#endif
}

/* ------------------------------------------------------------------ */
/* Names and checks                                                   */
/* ------------------------------------------------------------------ */

const char *restack_trace_op_name(unsigned int op)
{
	static const char *const names[DM_RESTACK_OP_MAX] = {
		[DM_RESTACK_OP_READ] = "R",
		[DM_RESTACK_OP_WRITE] = "W",
		[DM_RESTACK_OP_DISCARD] = "D",
		[DM_RESTACK_OP_WRITE_ZEROES] = "Z",
		[DM_RESTACK_OP_FLUSH] = "F",
		[DM_RESTACK_OP_SECURE_ERASE] = "E",
		[DM_RESTACK_OP_OTHER] = "O",
	};

	return op < DM_RESTACK_OP_MAX ? names[op] : NULL;
}

const char *restack_trace_result_name(unsigned int result)
{
	static const char *const names[DM_RESTACK_RESULT_MAX] = {
		[DM_RESTACK_RESULT_NONE] = "none",
		[DM_RESTACK_RESULT_PASSTHROUGH] = "passthrough",
		[DM_RESTACK_RESULT_ORIGIN] = "origin",
		[DM_RESTACK_RESULT_HIT] = "hit",
		[DM_RESTACK_RESULT_MISS] = "miss",
		[DM_RESTACK_RESULT_BYPASS] = "bypass",
	};

	return result < DM_RESTACK_RESULT_MAX ? names[result] : NULL;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

/* A NUL-padded string field: at least one NUL, only NULs after the first. */
static bool nul_padded(const char *s, size_t n)
{
	const char *nul = memchr(s, '\0', n);

	return nul && all_zero(nul, n - (size_t)(nul - s));
}

int restack_trace_header_check(const struct dm_restack_trace_header *h,
			       struct restack_err *err)
{
	uint32_t b = h->sample_block_sectors;

	if (memcmp(h->magic, DM_RESTACK_TRACE_MAGIC, sizeof(h->magic)))
		return restack_err_set(err, -EINVAL,
				       "not a restack trace (bad magic)");
	if (h->version != DM_RESTACK_TRACE_VERSION)
		return restack_err_set(err, -EPROTONOSUPPORT,
				       "trace format version %u, this reader knows version %u",
				       h->version, DM_RESTACK_TRACE_VERSION);
	if (h->header_size != HDR_SIZE)
		return restack_err_set(err, -EINVAL,
				       "header_size %u, expected %zu",
				       h->header_size, HDR_SIZE);
	if (h->record_size != REC_SIZE)
		return restack_err_set(err, -EINVAL,
				       "record_size %u, expected %zu",
				       h->record_size, REC_SIZE);
	if (h->flags & ~KNOWN_TH_FLAGS)
		return restack_err_set(err, -EINVAL,
				       "unknown header flags 0x%x",
				       h->flags & ~KNOWN_TH_FLAGS);
	if (!h->sample_threshold ||
	    h->sample_threshold > DM_RESTACK_SAMPLE_MODULUS)
		return restack_err_set(err, -EINVAL,
				       "sample_threshold %u out of range 1..%u",
				       h->sample_threshold,
				       DM_RESTACK_SAMPLE_MODULUS);
	if (!b || b > 2048 || (b & (b - 1)))
		return restack_err_set(err, -EINVAL,
				       "sample_block_sectors %u: must be a power of two in 1..2048",
				       b);
	if (!nul_padded(h->volume_name, sizeof(h->volume_name)))
		return restack_err_set(err, -EINVAL,
				       "volume_name is not a NUL-padded string");
	if (!nul_padded(h->source, sizeof(h->source)))
		return restack_err_set(err, -EINVAL,
				       "source is not a NUL-padded string");
	if (!all_zero(h->reserved, sizeof(h->reserved)))
		return restack_err_set(err, -EINVAL,
				       "reserved header bytes are not zero");
	return 0;
}

int restack_trace_record_check(const struct dm_restack_trace_record *rec,
			       uint32_t hdr_volume, struct restack_err *err)
{
	if (rec->volume != hdr_volume)
		return restack_err_set(err, -EINVAL,
				       "volume %u:%u differs from the header's %u:%u",
				       rec->volume >> 20, rec->volume & 0xfffff,
				       hdr_volume >> 20, hdr_volume & 0xfffff);
	switch (rec->type) {
	case DM_RESTACK_REC_IO:
		if (rec->op >= DM_RESTACK_OP_MAX)
			return restack_err_set(err, -EINVAL,
					       "I/O record with unknown op %u",
					       rec->op);
		if (rec->result >= DM_RESTACK_RESULT_MAX)
			return restack_err_set(err, -EINVAL,
					       "I/O record with unknown result %u",
					       rec->result);
		if (rec->flags & ~KNOWN_F_FLAGS)
			return restack_err_set(err, -EINVAL,
					       "I/O record with unknown flags 0x%x",
					       rec->flags & ~KNOWN_F_FLAGS);
		if (rec->error > 0 || rec->error < -ERRNO_MAX)
			return restack_err_set(err, -EINVAL,
					       "I/O record with error %d (not 0 or a negative errno)",
					       rec->error);
		return 0;
	case DM_RESTACK_REC_COMM:
		if (!nul_padded(rec->comm, sizeof(rec->comm)))
			return restack_err_set(err, -EINVAL,
					       "process-name record: comm is not a NUL-padded string");
		if (rec->latency_ns || rec->cgroup_id || rec->phys_dev ||
		    rec->sectors || rec->inflight || rec->error || rec->op ||
		    rec->flags || rec->result)
			return restack_err_set(err, -EINVAL,
					       "process-name record with non-zero unused fields");
		return 0;
	case DM_RESTACK_REC_END:
		if (rec->latency_ns || rec->cgroup_id || rec->phys_dev ||
		    rec->pid || rec->sectors || rec->inflight || rec->error ||
		    rec->op || rec->flags || rec->result)
			return restack_err_set(err, -EINVAL,
					       "END record with non-zero unused fields");
		return 0;
	default:
		return restack_err_set(err, -EINVAL, "unknown record type %u",
				       rec->type);
	}
}

/* ------------------------------------------------------------------ */
/* Reader                                                             */
/* ------------------------------------------------------------------ */

struct restack_trace_reader {
	char *name;
	FILE *f;
	bool zstd;
	ZSTD_DStream *zd;
	uint8_t *in;			/* compressed input buffer */
	size_t in_cap;
	ZSTD_inBuffer zin;
	uint64_t zoff;			/* compressed bytes consumed */
	size_t zret;			/* last ZSTD_decompressStream hint */
	bool in_eof;
	uint8_t peek[4];		/* plain: bytes read to sniff zstd */
	size_t peek_len, peek_pos;

	uint64_t off;			/* uncompressed offset of next byte */
	uint64_t nrec;			/* records returned (all types) */
	uint64_t nr_io;
	uint64_t last_ts;
	bool seen_end;
	int state;			/* 0, 1 = clean EOF, <0 sticky error */
	struct restack_err state_err;
	struct dm_restack_trace_header hdr;
};

/* Error at the reader's current position; sticky. */
static int rd_fail(struct restack_trace_reader *r, struct restack_err *err,
		   uint64_t off, int code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int rd_fail(struct restack_trace_reader *r, struct restack_err *err,
		   uint64_t off, int code, const char *fmt, ...)
{
	char msg[RESTACK_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	restack_err_set(&r->state_err, code, "%s: offset %llu: %s", r->name,
			(unsigned long long)off, msg);
	r->state = code;
	if (err)
		*err = r->state_err;
	return code;
}

/* Raw bytes from the file (after any sniffed prefix). */
static size_t rd_raw(struct restack_trace_reader *r, void *buf, size_t n)
{
	size_t got = 0;

	if (r->peek_pos < r->peek_len) {
		got = r->peek_len - r->peek_pos;
		if (got > n)
			got = n;
		memcpy(buf, r->peek + r->peek_pos, got);
		r->peek_pos += got;
	}
	if (got < n)
		got += fread((uint8_t *)buf + got, 1, n - got, r->f);
	return got;
}

/*
 * Up to n bytes of the uncompressed stream into buf; *got < n only at
 * end of input.  Returns 0 or a negative errno (error already reported).
 */
static int rd_bytes(struct restack_trace_reader *r, void *buf, size_t n,
		    size_t *got, struct restack_err *err)
{
	ZSTD_outBuffer out = { buf, n, 0 };

	*got = 0;
	if (!r->zstd) {
		*got = rd_raw(r, buf, n);
		if (*got < n && ferror(r->f))
			return rd_fail(r, err, r->off + *got, -EIO,
				       "read error");
		return 0;
	}
	while (out.pos < n) {
		size_t in_before, out_before, ret;

		if (r->zin.pos == r->zin.size && !r->in_eof) {
			r->zin.size = rd_raw(r, r->in, r->in_cap);
			r->zin.pos = 0;
			if (r->zin.size == 0) {
				if (ferror(r->f))
					return rd_fail(r, err, r->off + out.pos,
						       -EIO, "read error");
				r->in_eof = true;
			}
		}
		in_before = r->zin.pos;
		out_before = out.pos;
		ret = ZSTD_decompressStream(r->zd, &out, &r->zin);
		r->zoff += r->zin.pos - in_before;
		if (ZSTD_isError(ret))
			return rd_fail(r, err, r->off + out.pos, -EINVAL,
				       "corrupt zstd data (compressed offset %llu): %s",
				       (unsigned long long)r->zoff,
				       ZSTD_getErrorName(ret));
		if (out.pos == out_before && r->zin.pos == in_before) {
			/*
			 * No progress: the decoder wants input.  Keep the
			 * hint of the last call that did something (after a
			 * finished frame it would now ask for a new one).
			 */
			if (!r->in_eof)
				return rd_fail(r, err, r->off + out.pos, -EINVAL,
					       "zstd decoder made no progress (compressed offset %llu)",
					       (unsigned long long)r->zoff);
			if (r->zret != 0)
				return rd_fail(r, err, r->off + out.pos, -EINVAL,
					       "truncated zstd frame at compressed offset %llu",
					       (unsigned long long)r->zoff);
			break;
		}
		r->zret = ret;
	}
	*got = out.pos;
	return 0;
}

static void reader_free(struct restack_trace_reader *r)
{
	if (!r)
		return;
	if (r->f && r->f != stdin)
		fclose(r->f);
	ZSTD_freeDStream(r->zd);
	free(r->in);
	free(r->name);
	free(r);
}

void restack_trace_close(struct restack_trace_reader *r)
{
	reader_free(r);
}

int restack_trace_open_stream(FILE *f, const char *name,
			      struct restack_trace_reader **out,
			      struct restack_err *err)
{
	struct restack_trace_reader *r;
	uint32_t magic;
	size_t got;
	int rc;

	*out = NULL;
	restack_err_clear(err);
	r = calloc(1, sizeof(*r));
	if (!r || !(r->name = strdup(name))) {
		free(r);
		if (f != stdin)
			fclose(f);
		return restack_err_set(err, -ENOMEM, "%s: out of memory", name);
	}
	r->f = f;

	/* Sniff the zstd magic. */
	r->peek_len = fread(r->peek, 1, sizeof(r->peek), f);
	if (r->peek_len < sizeof(r->peek) && ferror(f)) {
		rc = restack_err_set(err, -EIO, "%s: read error", name);
		goto bad;
	}
	if (r->peek_len == 4) {
		memcpy(&magic, r->peek, 4);
		magic = le32toh(magic);
		if (magic == ZSTD_MAGIC ||
		    (magic & ZSTD_SKIP_MASK) == ZSTD_SKIP_MAGIC) {
			r->zstd = true;
			r->zd = ZSTD_createDStream();
			r->in_cap = ZSTD_DStreamInSize();
			r->in = malloc(r->in_cap);
			if (!r->zd || !r->in) {
				rc = restack_err_set(err, -ENOMEM,
						     "%s: out of memory", name);
				goto bad;
			}
			ZSTD_initDStream(r->zd);
			r->zin.src = r->in;
		}
	}

	rc = rd_bytes(r, &r->hdr, HDR_SIZE, &got, err);
	if (rc)
		goto bad;
	if (got == 0) {
		rc = rd_fail(r, err, 0, -EINVAL, "empty file, expected a %zu-byte trace header",
			     HDR_SIZE);
		goto bad;
	}
	if (got < HDR_SIZE) {
		rc = rd_fail(r, err, got, -EINVAL,
			     "truncated header: %zu of %zu bytes", got, HDR_SIZE);
		goto bad;
	}
	hdr_swap(&r->hdr);
	{
		struct restack_err herr;

		rc = restack_trace_header_check(&r->hdr, &herr);
		if (rc) {
			rc = rd_fail(r, err, 0, rc, "header: %s", herr.msg);
			goto bad;
		}
	}
	r->off = HDR_SIZE;
	*out = r;
	return 0;
bad:
	reader_free(r);
	return rc;
}

int restack_trace_open(const char *path, struct restack_trace_reader **out,
		       struct restack_err *err)
{
	FILE *f;

	*out = NULL;
	if (!strcmp(path, "-"))
		return restack_trace_open_stream(stdin, "<stdin>", out, err);
	f = fopen(path, "rbe");
	if (!f)
		return restack_err_set(err, -errno, "%s: %s", path,
				       strerror(errno));
	return restack_trace_open_stream(f, path, out, err);
}

const struct dm_restack_trace_header *
restack_trace_header(const struct restack_trace_reader *r)
{
	return &r->hdr;
}

uint64_t restack_trace_offset(const struct restack_trace_reader *r)
{
	return r->off;
}

/* End of input after the last record: is the file complete? */
static int rd_at_eof(struct restack_trace_reader *r, struct restack_err *err)
{
	if (!r->seen_end)
		return rd_fail(r, err, r->off, -EINVAL,
			       "trace ends without an END record after %llu records (cut short?)",
			       (unsigned long long)r->nrec);
	r->state = 1;
	return 0;
}

int restack_trace_next(struct restack_trace_reader *r,
		       struct dm_restack_trace_record *rec,
		       struct restack_err *err)
{
	struct restack_err rerr;
	uint64_t off = r->off;
	size_t got;
	int rc;

	if (r->state < 0) {
		if (err)
			*err = r->state_err;
		return r->state;
	}
	if (r->state == 1)
		return 0;

	rc = rd_bytes(r, rec, REC_SIZE, &got, err);
	if (rc)
		return rc;
	if (got == 0) {
		return rd_at_eof(r, err);
	}
	if (got < REC_SIZE)
		return rd_fail(r, err, off,
			       -EINVAL, "truncated record: %zu of %zu bytes",
			       got, REC_SIZE);
	if (r->seen_end)
		return rd_fail(r, err, off, -EINVAL,
			       "data after the END record");
	rec_swap(rec);
	rc = restack_trace_record_check(rec, r->hdr.volume, &rerr);
	if (rc)
		return rd_fail(r, err, off, rc, "record %llu: %s",
			       (unsigned long long)r->nrec, rerr.msg);

	switch (rec->type) {
	case DM_RESTACK_REC_IO:
	case DM_RESTACK_REC_COMM:
		if ((r->hdr.flags & DM_RESTACK_TH_SORTED) &&
		    rec->ts_ns < r->last_ts)
			return rd_fail(r, err, off, -EINVAL,
				       "record %llu: ts_ns %llu before the previous %llu in a trace marked sorted",
				       (unsigned long long)r->nrec,
				       (unsigned long long)rec->ts_ns,
				       (unsigned long long)r->last_ts);
		r->last_ts = rec->ts_ns;
		if (rec->type == DM_RESTACK_REC_IO)
			r->nr_io++;
		break;
	case DM_RESTACK_REC_END:
		if (rec->virt_sector != r->nr_io)
			return rd_fail(r, err, off, -EINVAL,
				       "END record counts %llu I/O records, the file holds %llu",
				       (unsigned long long)rec->virt_sector,
				       (unsigned long long)r->nr_io);
		if (r->hdr.end_ns &&
		    (r->hdr.records != rec->virt_sector ||
		     r->hdr.drops != rec->phys_sector))
			return rd_fail(r, err, off, -EINVAL,
				       "END record (%llu records, %llu drops) disagrees with the header (%llu, %llu)",
				       (unsigned long long)rec->virt_sector,
				       (unsigned long long)rec->phys_sector,
				       (unsigned long long)r->hdr.records,
				       (unsigned long long)r->hdr.drops);
		r->seen_end = true;
		break;
	}
	r->nrec++;
	r->off += REC_SIZE;
	return 1;
}

/* ------------------------------------------------------------------ */
/* Writer                                                             */
/* ------------------------------------------------------------------ */

#define WR_BUF_SIZE	(256 * 1024)

struct restack_trace_writer {
	char *name;
	char *path;			/* created by us: removed on abort */
	int fd;
	bool zstd;
	bool rewritable;
	ZSTD_CStream *zc;
	uint8_t *buf;			/* pending output bytes */
	size_t len, cap;
	uint64_t nr_io;
	int state;			/* <0 after a failure */
	struct dm_restack_trace_header hdr;
};

static int wr_fail(struct restack_trace_writer *w, struct restack_err *err,
		   int code, const char *what)
{
	w->state = code;
	return restack_err_set(err, code, "%s: %s: %s", w->name, what,
			       strerror(-code));
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t k = write(fd, b, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

static int wr_flush(struct restack_trace_writer *w, struct restack_err *err)
{
	int rc;

	if (!w->len)
		return 0;
	rc = write_all(w->fd, w->buf, w->len);
	w->len = 0;
	if (rc)
		return wr_fail(w, err, rc, "write");
	return 0;
}

/* Bytes to the file: raw, not through the compressor. */
static int wr_raw(struct restack_trace_writer *w, const void *p, size_t n,
		  struct restack_err *err)
{
	int rc;

	if (w->len + n > w->cap) {
		rc = wr_flush(w, err);
		if (rc)
			return rc;
	}
	if (n > w->cap) {
		rc = write_all(w->fd, p, n);
		return rc ? wr_fail(w, err, rc, "write") : 0;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

/* Uncompressed payload bytes (records): through zstd when enabled. */
static int wr_data(struct restack_trace_writer *w, const void *p, size_t n,
		   ZSTD_EndDirective mode, struct restack_err *err)
{
	ZSTD_inBuffer in = { p, n, 0 };
	size_t ret;
	int rc;

	if (!w->zstd)
		return wr_raw(w, p, n, err);
	do {
		ZSTD_outBuffer out;

		if (w->cap - w->len < ZSTD_CStreamOutSize()) {
			rc = wr_flush(w, err);
			if (rc)
				return rc;
		}
		out.dst = w->buf + w->len;
		out.size = w->cap - w->len;
		out.pos = 0;
		ret = ZSTD_compressStream2(w->zc, &out, &in, mode);
		if (ZSTD_isError(ret)) {
			w->state = -EIO;
			return restack_err_set(err, -EIO, "%s: zstd: %s",
					       w->name, ZSTD_getErrorName(ret));
		}
		w->len += out.pos;
	} while (in.pos < in.size || (mode != ZSTD_e_continue && ret != 0));
	return 0;
}

static void writer_free(struct restack_trace_writer *w)
{
	if (w->fd >= 0 && w->fd != STDOUT_FILENO)
		close(w->fd);
	ZSTD_freeCStream(w->zc);
	free(w->buf);
	free(w->name);
	free(w->path);
	free(w);
}

void restack_trace_abort(struct restack_trace_writer *w)
{
	if (!w)
		return;
	if (w->path)
		unlink(w->path);
	writer_free(w);
}

struct dm_restack_trace_header *
restack_trace_writer_header(struct restack_trace_writer *w)
{
	return &w->hdr;
}

uint64_t restack_trace_writer_records(const struct restack_trace_writer *w)
{
	return w->nr_io;
}

/* The header, little-endian, as stored. */
static void hdr_encode(const struct dm_restack_trace_header *h,
		       struct dm_restack_trace_header *out)
{
	*out = *h;
	hdr_swap(out);	/* le<->host is its own inverse */
}

int restack_trace_create(const char *path, bool zstd,
			 const struct dm_restack_trace_header *hdr,
			 struct restack_trace_writer **out,
			 struct restack_err *err)
{
	struct dm_restack_trace_header disk;
	struct restack_trace_writer *w;
	struct restack_err herr;
	bool to_stdout = !strcmp(path, "-");
	struct stat st;
	int rc;

	*out = NULL;
	restack_err_clear(err);
	w = calloc(1, sizeof(*w));
	if (!w)
		return restack_err_set(err, -ENOMEM, "out of memory");
	w->fd = -1;
	w->zstd = zstd;
	w->hdr = *hdr;
	memcpy(w->hdr.magic, DM_RESTACK_TRACE_MAGIC, sizeof(w->hdr.magic));
	w->hdr.version = DM_RESTACK_TRACE_VERSION;
	w->hdr.header_size = HDR_SIZE;
	w->hdr.record_size = REC_SIZE;
	if (!w->hdr.sample_threshold)
		w->hdr.sample_threshold = DM_RESTACK_SAMPLE_MODULUS;
	if (!w->hdr.sample_block_sectors)
		w->hdr.sample_block_sectors = 8;
	w->name = strdup(to_stdout ? "<stdout>" : path);
	w->cap = WR_BUF_SIZE;
	w->buf = malloc(w->cap);
	if (!w->name || !w->buf) {
		writer_free(w);
		return restack_err_set(err, -ENOMEM, "out of memory");
	}
	rc = restack_trace_header_check(&w->hdr, &herr);
	if (rc) {
		restack_err_set(err, rc, "%s: header: %s", w->name, herr.msg);
		writer_free(w);
		return rc;
	}
	if (zstd) {
		w->zc = ZSTD_createCStream();
		if (!w->zc) {
			writer_free(w);
			return restack_err_set(err, -ENOMEM, "out of memory");
		}
		ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, 3);
		ZSTD_CCtx_setParameter(w->zc, ZSTD_c_checksumFlag, 1);
	}

	if (to_stdout) {
		w->fd = STDOUT_FILENO;
	} else {
		w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (w->fd < 0) {
			rc = restack_err_set(err, -errno, "%s: %s", path,
					     strerror(errno));
			writer_free(w);
			return rc;
		}
		w->path = strdup(path);
		if (!w->path) {
			restack_trace_abort(w);
			return restack_err_set(err, -ENOMEM, "out of memory");
		}
		w->rewritable = fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode);
	}

	hdr_encode(&w->hdr, &disk);
	if (zstd)
		rc = wr_raw(w, zstd_hdr_frame_prefix,
			    sizeof(zstd_hdr_frame_prefix), err);
	if (!rc)
		rc = wr_raw(w, &disk, sizeof(disk), err);
	if (!rc)
		rc = wr_flush(w, err);
	if (rc) {
		restack_trace_abort(w);
		return rc;
	}
	*out = w;
	return 0;
}

int restack_trace_write(struct restack_trace_writer *w,
			const struct dm_restack_trace_record *rec,
			struct restack_err *err)
{
	struct dm_restack_trace_record disk;
	struct restack_err rerr;
	int rc;

	if (w->state)
		return restack_err_set(err, w->state, "%s: writer failed earlier",
				       w->name);
	if (rec->type == DM_RESTACK_REC_END)
		return restack_err_set(err, -EINVAL,
				       "%s: END records are written by restack_trace_finish",
				       w->name);
	rc = restack_trace_record_check(rec, w->hdr.volume, &rerr);
	if (rc)
		return restack_err_set(err, rc, "%s: record %llu: %s", w->name,
				       (unsigned long long)w->nr_io, rerr.msg);
	disk = *rec;
	rec_swap(&disk);
	rc = wr_data(w, &disk, sizeof(disk), ZSTD_e_continue, err);
	if (rc)
		return rc;
	if (rec->type == DM_RESTACK_REC_IO)
		w->nr_io++;
	return 0;
}

int restack_trace_finish(struct restack_trace_writer *w, uint64_t end_ns,
			 uint64_t records, uint64_t drops,
			 struct restack_err *err)
{
	struct dm_restack_trace_header disk;
	struct dm_restack_trace_record end;
	struct restack_err herr;
	int rc;

	restack_err_clear(err);
	if (w->state) {
		rc = restack_err_set(err, w->state, "%s: writer failed earlier",
				     w->name);
		goto out;
	}
	if (records != w->nr_io) {
		rc = restack_err_set(err, -EINVAL,
				     "%s: END would count %llu I/O records, %llu were written",
				     w->name, (unsigned long long)records,
				     (unsigned long long)w->nr_io);
		goto out;
	}
	memset(&end, 0, sizeof(end));
	end.type = DM_RESTACK_REC_END;
	end.ts_ns = end_ns;
	end.volume = w->hdr.volume;
	end.virt_sector = records;
	end.phys_sector = drops;
	rec_swap(&end);
	rc = wr_data(w, &end, sizeof(end), w->zstd ? ZSTD_e_end : ZSTD_e_continue,
		     err);
	if (!rc)
		rc = wr_flush(w, err);
	if (rc)
		goto out;

	w->hdr.end_ns = end_ns;
	w->hdr.records = records;
	w->hdr.drops = drops;
	if (w->rewritable) {
		/* Keep the fixed fields right whatever the caller changed. */
		memcpy(w->hdr.magic, DM_RESTACK_TRACE_MAGIC,
		       sizeof(w->hdr.magic));
		w->hdr.version = DM_RESTACK_TRACE_VERSION;
		w->hdr.header_size = HDR_SIZE;
		w->hdr.record_size = REC_SIZE;
		rc = restack_trace_header_check(&w->hdr, &herr);
		if (rc) {
			restack_err_set(err, rc, "%s: header: %s", w->name,
					herr.msg);
			goto out;
		}
		hdr_encode(&w->hdr, &disk);
		if (pwrite(w->fd, &disk, sizeof(disk),
			   w->zstd ? (off_t)sizeof(zstd_hdr_frame_prefix) : 0) !=
		    (ssize_t)sizeof(disk)) {
			rc = restack_err_set(err, errno ? -errno : -EIO,
					     "%s: rewriting the header: %s",
					     w->name, strerror(errno ? errno : EIO));
			goto out;
		}
	}
	if (w->fd != STDOUT_FILENO) {
		rc = close(w->fd) ? -errno : 0;
		w->fd = -1;
		if (rc) {
			restack_err_set(err, rc, "%s: close: %s", w->name,
					strerror(-rc));
			goto out;
		}
	}
out:
	writer_free(w);
	return rc;
}

int restack_trace_flush(struct restack_trace_writer *w, struct restack_err *err)
{
	int rc;

	if (w->state)
		return restack_err_set(err, w->state, "%s: writer failed earlier",
				       w->name);
	if (w->zstd) {
		rc = wr_data(w, NULL, 0, ZSTD_e_flush, err);
		if (rc)
			return rc;
	}
	return wr_flush(w, err);
}

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
