// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_trace_writer.c - writing restack trace files, plain or zstd
 * (restack_trace.h; format in Documentation/tracing.rst).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "trace/restack_trace.h"
#include "trace/restack_trace_internal.h"

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
		rc = wr_raw(w, restack_zstd_hdr_frame_prefix,
			    sizeof(restack_zstd_hdr_frame_prefix), err);
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
			   w->zstd ? (off_t)sizeof(restack_zstd_hdr_frame_prefix) : 0) !=
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
