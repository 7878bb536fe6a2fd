// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_trace.c - reading restack trace files and checking their
 * header and records (restack_trace.h; format in
 * Documentation/tracing.rst).  The writer is restack_trace_writer.c, the
 * reorder buffer restack_reorder.c.
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
#include "trace/restack_trace_internal.h"

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

/* The writer's header frame (restack_trace_internal.h). */
const uint8_t restack_zstd_hdr_frame_prefix[RESTACK_ZSTD_HDR_FRAME_PREFIX_LEN] = {
	0x28, 0xb5, 0x2f, 0xfd,		/* magic */
	0x60,				/* FHD */
	0x00, 0x01,			/* 512 - 256, little-endian */
	0x01, 0x10, 0x00,		/* (512 << 3) | raw << 1 | last */
};

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
