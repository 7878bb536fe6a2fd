// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_blockdev.c - size of an origin block device in sectors.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/restack_core.h"

/* /sys/dev/block/<maj>:<min>/size is always in 512-byte sectors. */
static int restack_sysfs_sectors(unsigned int maj, unsigned int min,
				 uint64_t *sectors, struct restack_err *err)
{
	char path[64], buf[32];
	size_t n;
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/size", maj, min);
	f = fopen(path, "re");
	if (!f)
		return restack_err_set(err, -errno,
				       "origin %u:%u: cannot read %s: %s (give --size)",
				       maj, min, path, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	r = restack_parse_u64(buf, n, sectors);
	if (r)
		return restack_err_set(err, -EIO,
				       "origin %u:%u: unexpected contents in %s",
				       maj, min, path);
	return 0;
}

int restack_blockdev_sectors(const char *origin, uint64_t *sectors,
			     struct restack_err *err)
{
	unsigned int maj, min;
	uint64_t bytes;
	struct stat stbuf;
	int fd, r;

	restack_err_clear(err);
	if (!origin || !origin[0])
		return restack_err_set(err, -EINVAL, "origin is empty");

	if (origin[0] != '/' &&
	    !restack_parse_devt(origin, strlen(origin), &maj, &min)) {
		r = restack_sysfs_sectors(maj, min, sectors, err);
		if (r)
			return r;
	} else {
		fd = open(origin, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return restack_err_set(err, -errno, "origin %s: %s",
					       origin, strerror(errno));
		if (fstat(fd, &stbuf) < 0) {
			r = restack_err_set(err, -errno, "origin %s: %s",
					    origin, strerror(errno));
			close(fd);
			return r;
		}
		if (!S_ISBLK(stbuf.st_mode)) {
			close(fd);
			return restack_err_set(err, -ENOTBLK,
					       "origin %s is not a block device",
					       origin);
		}
		if (ioctl(fd, BLKGETSIZE64, &bytes) < 0) {
			r = restack_err_set(err, -errno,
					    "origin %s: BLKGETSIZE64 failed: %s",
					    origin, strerror(errno));
			close(fd);
			return r;
		}
		close(fd);
		*sectors = bytes >> 9;
	}
	if (*sectors == 0)
		return restack_err_set(err, -EINVAL, "origin %s has size 0",
				       origin);
	return 0;
}
