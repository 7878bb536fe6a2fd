// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_calibrate.c - how the model learns a device's latencies: from
 * a profile trace of it, or by timing random O_DIRECT reads of it (never
 * writes).  See restack_model.h.
 */
#define _GNU_SOURCE	/* O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyze/restack_model.h"
#include "trace/restack_trace.h"

/* A report over a whole trace file. */
static int profile_trace(const char *path, struct restack_report *rep,
			 struct restack_err *err)
{
	struct restack_report_params p = { 0 };
	struct restack_trace_reader *rd = NULL;
	struct dm_restack_trace_record rec;
	int r;

	r = restack_trace_open(path, &rd, err);
	if (r)
		return r;
	p.trace_threshold = restack_trace_header(rd)->sample_threshold;
	p.trace_block_sectors = restack_trace_header(rd)->sample_block_sectors;
	r = restack_report_init(rep, &p, err);
	if (r)
		goto out;
	while ((r = restack_trace_next(rd, &rec, err)) == 1)
		if (restack_report_record(rep, &rec)) {
			r = restack_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
	if (r == 0)
		restack_report_finish(rep);
out:
	restack_trace_close(rd);
	return r;
}

void restack_device_from_scope(struct restack_device *dev,
			       const struct restack_rep_scope *s)
{
	restack_ldist_from_hist(&dev->read, s->lat[RESTACK_LAT_READ]);
	restack_ldist_from_hist(&dev->write, s->lat[RESTACK_LAT_WRITE]);
	/* a profile without writes (or reads) borrows the other op */
	if (!(dev->read.total > 0))
		dev->read = dev->write;
	if (!(dev->write.total > 0))
		dev->write = dev->read;
	dev->measured_iops = restack_rep_data_iops(s, DM_RESTACK_OP_READ) +
			     restack_rep_data_iops(s, DM_RESTACK_OP_WRITE);
}

int restack_device_from_profile(struct restack_device *dev, const char *path,
				const char *what, struct restack_err *err)
{
	struct restack_report *rep = calloc(1, sizeof(*rep));
	int r;

	if (!rep)
		return restack_err_set(err, -ENOMEM, "out of memory");
	r = profile_trace(path, rep, err);
	if (r) {
		restack_err_prefix(err, r, "%s", what);
		goto out;
	}
	if (!rep->all.lat_max[RESTACK_LAT_READ] &&
	    !rep->all.lat_max[RESTACK_LAT_WRITE]) {
		r = restack_err_set(err, -EINVAL,
				    "%s %s: the trace has no latencies", what, path);
		goto out;
	}
	restack_device_from_scope(dev, &rep->all);
out:
	restack_report_release(rep);
	free(rep);
	return r;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int restack_device_calibrate_region(struct restack_device *dev,
				    const char *path, uint64_t offset,
				    uint64_t len, unsigned int n,
				    struct restack_err *err)
{
	uint64_t hist[RESTACK_REP_LAT_BUCKETS] = { 0 };
	uint64_t size = 0, blocks, x = 0x9e3779b97f4a7c15ULL, t0, start;
	unsigned int done = 0;
	void *buf = NULL;
	struct stat st;
	int fd, r = 0;

	/* O_RDONLY: calibration must never write to a device */
	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		return restack_err_set(err, -errno, "%s: open (read-only, O_DIRECT): %s",
				       path, strerror(errno));
	if (fstat(fd, &st)) {
		r = restack_err_set(err, -errno, "%s: stat: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size)) {
			r = restack_err_set(err, -errno, "%s: BLKGETSIZE64: %s",
					    path, strerror(errno));
			goto out;
		}
	} else if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else {
		r = restack_err_set(err, -EINVAL,
				    "%s: neither a block device nor a regular file", path);
		goto out;
	}
	if (offset > size || (len && len > size - offset)) {
		r = restack_err_set(err, -EINVAL,
				    "%s: calibration region %llu+%llu lies beyond its %llu bytes",
				    path, (unsigned long long)offset,
				    (unsigned long long)len, (unsigned long long)size);
		goto out;
	}
	if (!len)
		len = size - offset;
	blocks = len / RESTACK_CALIB_BYTES;
	if (!blocks) {
		r = restack_err_set(err, -EINVAL, "%s: calibration region smaller than %u bytes",
				    path, RESTACK_CALIB_BYTES);
		goto out;
	}
	if (posix_memalign(&buf, RESTACK_CALIB_BYTES, RESTACK_CALIB_BYTES)) {
		r = restack_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	start = mono_ns();
	while (done < n && mono_ns() - start < RESTACK_CALIB_MAX_NS) {
		ssize_t got;

		/* xorshift64: random offsets, the same on every run */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		t0 = mono_ns();
		got = pread(fd, buf, RESTACK_CALIB_BYTES,
			    (off_t)(offset + (x % blocks) * RESTACK_CALIB_BYTES));
		if (got != (ssize_t)RESTACK_CALIB_BYTES) {
			r = restack_err_set(err, got < 0 ? -errno : -EIO,
					    "%s: read at %llu: %s", path,
					    (unsigned long long)(offset + (x % blocks) *
								 RESTACK_CALIB_BYTES),
					    got < 0 ? strerror(errno) : "short read");
			goto out;
		}
		hist[restack_lat_bucket(mono_ns() - t0)]++;
		done++;
	}
	restack_ldist_from_hist(&dev->read, hist);
	dev->write = dev->read;
	dev->iops = 0;
	dev->measured_iops = 0;
	snprintf(dev->source_buf, sizeof(dev->source_buf),
		 "calibration of %s (%u random %u-byte O_DIRECT reads at queue depth 1; writes not measured, taken as reads)",
		 path, done, RESTACK_CALIB_BYTES);
	dev->source = dev->source_buf;
out:
	free(buf);
	close(fd);
	return r;
}

int restack_device_calibrate(struct restack_device *dev, const char *path,
			     unsigned int n, struct restack_err *err)
{
	return restack_device_calibrate_region(dev, path, 0, 0, n, err);
}
