// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_collect.c - the trace collector (restack_collect.h): one
 * dm-restack-trace session, per-CPU ring files merged into one trace
 * file in submit-time order, every record accounted for.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "control/restack_collect.h"

#define REC_SIZE	sizeof(struct dm_restack_trace_record)
#define READ_CHUNK	(256 * 1024)	/* a multiple of REC_SIZE */
#define MAX_CPUS	8192

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int restack_collect_geometry(uint64_t bytes, uint32_t *subbuf_size,
			     uint32_t *n_subbufs, struct restack_err *err)
{
	uint64_t sb, n;

	if (bytes < RESTACK_COLLECT_BUFFER_MIN ||
	    bytes > RESTACK_COLLECT_BUFFER_MAX)
		return restack_err_set(err, -EINVAL,
				       "buffer of %llu bytes per CPU: must be 8 KiB to 256 MiB",
				       (unsigned long long)bytes);
	/* Eight sub-buffers when they can be 4 KiB .. 16 MiB. */
	sb = (bytes / 8) & ~4095ULL;
	if (sb < 4096)
		sb = 4096;
	if (sb > (16ULL << 20))
		sb = 16ULL << 20;
	n = bytes / sb;
	if (n > 1024)
		n = 1024;
	*subbuf_size = (uint32_t)sb;
	*n_subbufs = (uint32_t)n;
	return 0;
}

int restack_collect_parse_rate(const char *s, uint32_t *threshold,
			       struct restack_err *err)
{
	const char *p = s;
	double r;
	int dots = 0, digits = 0;

	for (; *p; p++) {
		if (*p == '.')
			dots++;
		else if (*p >= '0' && *p <= '9')
			digits++;
		else
			break;
	}
	if (*p || dots > 1 || !digits || s[0] == '.' ||
	    s[strlen(s) - 1] == '.' || strlen(s) > 32)
		return restack_err_set(err, -EINVAL,
				       "sample rate \"%.40s\" is not a decimal number such as 0.1",
				       s);
	r = strtod(s, NULL);
	if (!(r > 0.0) || r > 1.0)
		return restack_err_set(err, -EINVAL,
				       "sample rate %s is not in (0, 1]", s);
	r = r * DM_RESTACK_SAMPLE_MODULUS + 0.5;	/* round to nearest */
	*threshold = r < 1.0 ? 1 : (uint32_t)r;
	return 0;
}

/* Read a small sysfs file into buf, without the trailing newline. */
static int read_small(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n'))
		buf[--n] = '\0';
	return 0;
}

/* A DM name without a /dev/mapper node: find it in /sys/block/ * /dm/name. */
static int find_dm_by_name(const char *name, unsigned int *maj,
			   unsigned int *min)
{
	char path[300], buf[160];
	struct dirent *de;
	DIR *d = opendir("/sys/block");
	int r = -ENOENT;

	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "dm-", 3))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/dm/name", de->d_name);
		if (read_small(path, buf, sizeof(buf)) || strcmp(buf, name))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/dev", de->d_name);
		if (!read_small(path, buf, sizeof(buf)) &&
		    sscanf(buf, "%u:%u", maj, min) == 2)
			r = 0;
		break;
	}
	closedir(d);
	return r;
}

int restack_collect_resolve(const char *volume, uint32_t *devt,
			    char name[128], struct restack_err *err)
{
	char path[300], sys[80];
	unsigned int maj, min;
	struct stat st;

	if (!*volume)
		return restack_err_set(err, -EINVAL, "empty volume name");
	if (strchr(volume, '/')) {
		snprintf(path, sizeof(path), "%s", volume);
	} else {
		int r = restack_check_volume_name(volume, err);

		if (r)
			return r;
		snprintf(path, sizeof(path), "/dev/mapper/%s", volume);
	}
	if (stat(path, &st) == 0) {
		if (!S_ISBLK(st.st_mode))
			return restack_err_set(err, -ENOTBLK,
					       "%s is not a block device", path);
		maj = major(st.st_rdev);
		min = minor(st.st_rdev);
	} else if (errno == ENOENT && !strchr(volume, '/') &&
		   find_dm_by_name(volume, &maj, &min) == 0) {
		/* no node (no udev), but the device exists */
	} else {
		return restack_err_set(err, -errno, "volume %s: %s: %s",
				       volume, path, strerror(errno));
	}
	if (maj > RESTACK_DEV_MAJOR_MAX || min > RESTACK_DEV_MINOR_MAX)
		return restack_err_set(err, -ERANGE, "%s: device %u:%u out of range",
				       path, maj, min);
	*devt = (maj << 20) | min;
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/dm/name", maj, min);
	if (read_small(sys, name, 128) || !name[0]) {
		const char *b = strrchr(volume, '/');

		snprintf(name, 128, "%s", b ? b + 1 : volume);
	}
	return 0;
}

void restack_collect_stats_release(struct restack_collect_stats *st)
{
	free(st->cpus);
	st->cpus = NULL;
}

/* ------------------------------------------------------------------ */

struct cpu_stream {
	int fd;				/* -1: CPU offline, no file */
	uint8_t carry[REC_SIZE];	/* a partial record from the last read */
	size_t carry_len;
};

struct collector {
	const struct restack_collect_opts *o;
	struct restack_collect_stats *st;
	struct cpu_stream *cpus;
	unsigned int nr_cpus;
	struct restack_reorder ro;
	struct restack_trace_writer *w;
	uint8_t *buf;
	bool streaming;			/* output is a pipe: flush often */
	struct restack_err bad;		/* the first invalid record */
	/* the session */
	int ctl;			/* the control file, -1: not open */
	__u32 vol;
	bool started, stopped;
	char dir[400];			/* the session's debugfs directory */
};

/*
 * Keep a record from the kernel if it is valid; an invalid one (which
 * only a kernel bug produces) is counted and left out, so that
 * one bad record does not cost the whole trace.
 */
static int keep(struct collector *c, const struct dm_restack_trace_record *rec,
		unsigned int cpu, struct restack_err *err)
{
	struct restack_err rerr;

	if (rec->type == DM_RESTACK_REC_END ||
	    restack_trace_record_check(rec, c->st->volume, &rerr)) {
		if (!c->st->invalid++)
			restack_err_set(&c->bad, -EIO, "trace%u: %s", cpu,
					rec->type == DM_RESTACK_REC_END ?
					"END record from the kernel" : rerr.msg);
		return 0;
	}
	return restack_reorder_push(&c->ro, rec, err);
}

/* Push the records in buf[0..n) of one CPU into the reorder buffer. */
static int take(struct collector *c, struct cpu_stream *cs, const uint8_t *p,
		size_t n, struct restack_err *err)
{
	struct dm_restack_trace_record rec;
	int r;

	if (cs->carry_len) {
		size_t k = REC_SIZE - cs->carry_len;

		if (k > n)
			k = n;
		memcpy(cs->carry + cs->carry_len, p, k);
		cs->carry_len += k;
		p += k;
		n -= k;
		if (cs->carry_len < REC_SIZE)
			return 0;
		memcpy(&rec, cs->carry, REC_SIZE);
		cs->carry_len = 0;
		r = keep(c, &rec, (unsigned int)(cs - c->cpus), err);
		if (r)
			return r;
	}
	while (n >= REC_SIZE) {
		memcpy(&rec, p, REC_SIZE);
		r = keep(c, &rec, (unsigned int)(cs - c->cpus), err);
		if (r)
			return r;
		p += REC_SIZE;
		n -= REC_SIZE;
	}
	memcpy(cs->carry, p, n);
	cs->carry_len = n;
	return 0;
}

/* Read everything available from every CPU; *bytes gets the total. */
static int read_pass(struct collector *c, uint64_t *bytes,
		     struct restack_err *err)
{
	unsigned int i;
	int r;

	*bytes = 0;
	for (i = 0; i < c->nr_cpus; i++) {
		struct cpu_stream *cs = &c->cpus[i];

		if (cs->fd < 0)
			continue;
		for (;;) {
			ssize_t n = read(cs->fd, c->buf, READ_CHUNK);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN)
					break;
				return restack_err_set(err, -errno,
						       "reading trace%u: %s", i,
						       strerror(errno));
			}
			if (n == 0)
				break;
			*bytes += (uint64_t)n;
			r = take(c, cs, c->buf, (size_t)n, err);
			if (r)
				return r;
		}
	}
	return 0;
}

static int write_rec(struct collector *c,
		     const struct dm_restack_trace_record *rec,
		     struct restack_err *err)
{
	int r = restack_trace_write(c->w, rec, err);

	if (r)
		return r;
	if (rec->type == DM_RESTACK_REC_IO)
		c->st->io_records++;
	else
		c->st->comm_records++;
	return 0;
}

/* Write every held record with ts_ns <= limit. */
static int drain_until(struct collector *c, uint64_t limit,
		       struct restack_err *err)
{
	struct dm_restack_trace_record rec;
	uint64_t ts;
	int r;

	while (restack_reorder_min(&c->ro, &ts) && ts <= limit) {
		restack_reorder_pop(&c->ro, &rec);
		r = write_rec(c, &rec, err);
		if (r)
			return r;
	}
	return 0;
}

/* ".../dropped": "cpu<N> <written> <dropped>" per possible CPU. */
static int read_dropped(struct collector *c, const char *dir,
			struct restack_err *err)
{
	char path[512], line[128];
	unsigned int cpu;
	unsigned long long wr, dr;
	FILE *f;

	snprintf(path, sizeof(path), "%s/dropped", dir);
	f = fopen(path, "re");
	if (!f)
		return restack_err_set(err, -errno, "%s: %s", path,
				       strerror(errno));
	c->st->cpus = calloc(c->nr_cpus, sizeof(*c->st->cpus));
	if (!c->st->cpus) {
		fclose(f);
		return restack_err_set(err, -ENOMEM, "out of memory");
	}
	while (fgets(line, sizeof(line), f)) {
		char extra;

		if (sscanf(line, "cpu%u %llu %llu%c", &cpu, &wr, &dr, &extra) != 4 ||
		    extra != '\n' || cpu >= c->nr_cpus) {
			fclose(f);
			return restack_err_set(err, -EINVAL,
					       "%s: unexpected line \"%.60s\"",
					       path, line);
		}
		c->st->cpus[cpu].written = wr;
		c->st->cpus[cpu].dropped = dr;
	}
	fclose(f);
	return 0;
}

/*
 * Open the control file and start a session (the module loaded first
 * unless the caller names its own control file); @h gets the start
 * times and the session's parameters.
 */
static int start_session(struct collector *c, const char *control,
			 struct dm_restack_trace_header *h,
			 struct restack_err *err)
{
	const struct restack_collect_opts *o = c->o;
	struct restack_collect_stats *st = c->st;
	struct dm_restack_trace_setup setup;
	int r;

	if (!o->control) {
		r = restack_kmod_load(RESTACK_TRACE_MODULE, err);
		if (r < 0)
			return r;
	}
	c->ctl = open(control, O_RDONLY | O_CLOEXEC);
	if (c->ctl < 0)
		return restack_err_set(err, -errno, "%s: %s%s", control,
				       strerror(errno),
				       errno == ENOENT ?
				       " (is dm-restack-trace loaded?)" : "");

	memset(&setup, 0, sizeof(setup));
	setup.volume = c->vol;
	setup.subbuf_size = st->subbuf_size;
	setup.n_subbufs = st->n_subbufs;
	setup.sample_threshold = o->sample_threshold ? o->sample_threshold :
		DM_RESTACK_SAMPLE_MODULUS;
	setup.sample_block_sectors = o->sample_block_sectors ?
		o->sample_block_sectors : 8;

	/* The header's start: just before the session starts. */
	memset(h, 0, sizeof(*h));
	h->start_ns = clock_ns(CLOCK_MONOTONIC);
	h->start_realtime_ns = clock_ns(CLOCK_REALTIME);
	if (ioctl(c->ctl, RESTACK_TRACE_START, &setup)) {
		r = -errno;
		return restack_err_set(err, r, "cannot start tracing %s (%u:%u): %s%s",
				       st->volume_name, c->vol >> 20, c->vol & 0xfffff,
				       strerror(-r),
				       r == -ENODEV ? " (not a restack volume)" :
				       r == -EBUSY ? " (already being traced?)" : "");
	}
	c->started = true;
	st->nr_cpus = setup.nr_cpus;
	setup.name[sizeof(setup.name) - 1] = '\0';
	snprintf(st->session, sizeof(st->session), "%s", setup.name);
	if (!setup.nr_cpus || setup.nr_cpus > MAX_CPUS)
		return restack_err_set(err, -EINVAL, "kernel reports %u CPUs",
				       setup.nr_cpus);
	c->nr_cpus = setup.nr_cpus;

	h->sample_threshold = setup.sample_threshold;
	h->sample_block_sectors = setup.sample_block_sectors;
	h->volume = c->vol;
	h->nr_cpus = setup.nr_cpus;
	snprintf(h->volume_name, sizeof(h->volume_name), "%s", st->volume_name);
	snprintf(h->source, sizeof(h->source), "restack");
	return 0;
}

/* The session's per-CPU ring files (an offline CPU has none). */
static int open_cpu_files(struct collector *c, const char *debugfs,
			  struct restack_err *err)
{
	unsigned int i;

	c->cpus = calloc(c->nr_cpus, sizeof(*c->cpus));
	c->buf = malloc(READ_CHUNK);
	if (!c->cpus || !c->buf)
		return restack_err_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < c->nr_cpus; i++)
		c->cpus[i].fd = -1;
	for (i = 0; i < c->nr_cpus; i++) {
		char path[450];

		snprintf(path, sizeof(path), "%s/trace%u", c->dir, i);
		c->cpus[i].fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (c->cpus[i].fd < 0 && errno != ENOENT)
			return restack_err_set(err, -errno, "%s: %s", path,
					       strerror(errno));
	}
	for (i = 0; i < c->nr_cpus && c->cpus[i].fd < 0; i++)
		;
	if (i == c->nr_cpus)
		return restack_err_set(err, -ENOENT,
				       "no per-CPU trace files in %s (is debugfs mounted at %s?)",
				       c->dir, debugfs);
	return 0;
}

/*
 * Read the rings until the duration is over or *o->stop is set, writing
 * out what has fallen behind the reorder window.
 */
static int collect_until_stop(struct collector *c, uint64_t start_ns,
			      struct restack_err *err)
{
	const struct restack_collect_opts *o = c->o;
	uint64_t window = o->window_ns ? o->window_ns :
		RESTACK_COLLECT_WINDOW_DEFAULT_MS * 1000000ULL;
	uint64_t poll_ns = o->poll_ns ? o->poll_ns : 100000000ULL;
	uint64_t deadline = o->duration_ns ? start_ns + o->duration_ns : 0;
	uint64_t got;
	int r;

	for (;;) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC), t0, wait;

		if ((o->stop && *o->stop) || (deadline && now >= deadline))
			return 0;
		t0 = now;
		r = read_pass(c, &got, err);
		if (r)
			return r;
		if (t0 > window) {
			r = drain_until(c, t0 - window, err);
			if (r)
				return r;
		}
		if (c->streaming) {
			r = restack_trace_flush(c->w, err);
			if (r)
				return r;
		}
		wait = poll_ns;
		now = clock_ns(CLOCK_MONOTONIC);
		if (deadline && deadline - now < wait)
			wait = deadline > now ? deadline - now : 0;
		{
			/*
			 * The ring files have no wakeup (the kernel would have
			 * to signal from the I/O path): drain, then sleep.  A
			 * ring of 4 MiB holds 65536 records per CPU, seconds of
			 * I/O, so a 100 ms nap loses nothing.
			 */
			struct timespec ts = {
				.tv_sec = (time_t)(wait / 1000000000ULL),
				.tv_nsec = (long)(wait % 1000000000ULL),
			};

			nanosleep(&ts, NULL);	/* EINTR: a signal, fine */
		}
	}
}

/* Read and write out everything left in the rings of a stopped session. */
static int drain_stopped(struct collector *c, struct restack_err *err)
{
	uint64_t got;
	unsigned int i;
	int r;

	do {
		r = read_pass(c, &got, err);
		if (r)
			return r;
	} while (got);
	for (i = 0; i < c->nr_cpus; i++)
		if (c->cpus[i].carry_len)
			return restack_err_set(err, -EIO,
					       "trace%u ends with a partial record of %zu bytes",
					       i, c->cpus[i].carry_len);
	return drain_until(c, UINT64_MAX, err);
}

/*
 * Everything the kernel wrote must have been read: compare its counts
 * with ours (@kst) and fill the drop accounting of c->st.
 */
static void account(struct collector *c, const struct dm_restack_trace_stats *kst)
{
	struct restack_collect_stats *st = c->st;
	uint64_t got = st->io_records + st->comm_records;

	st->lost = kst->records > got ? kst->records - got : 0;
	st->phantom = got > kst->records ? got - kst->records : 0;
	st->drops = kst->drops + st->lost;
	st->drops = st->drops > st->phantom ? st->drops - st->phantom : 0;
	st->out_of_window = c->ro.late;
	st->sorted = c->ro.late == 0;
}

/* The file is complete; what it says about the session's health. */
static int verdict(struct collector *c, const struct dm_restack_trace_stats *kst,
		   struct restack_err *err)
{
	const struct restack_collect_stats *st = c->st;

	if (st->invalid)
		return restack_err_set(err, -EIO,
				       "%llu invalid records from the kernel left out (first: %s)",
				       (unsigned long long)st->invalid, c->bad.msg);
	if (st->lost)
		return restack_err_set(err, -EIO,
				       "%llu records the kernel counted as written were never read from the ring files (counted as drops in the file)",
				       (unsigned long long)st->lost);
	if (st->phantom)
		return restack_err_set(err, -EIO,
				       "read %llu records, the kernel reports writing only %llu: it counted %llu drops too many (corrected in the file)",
				       (unsigned long long)(st->io_records + st->comm_records),
				       (unsigned long long)kst->records,
				       (unsigned long long)st->phantom);
	return 0;
}

static int run_session(struct collector *c, const char *debugfs,
		       const char *control, struct restack_err *err)
{
	const struct restack_collect_opts *o = c->o;
	struct restack_collect_stats *st = c->st;
	struct dm_restack_trace_stats kst;
	struct dm_restack_trace_header h;
	uint64_t end_ns;
	struct stat sb;
	int r;

	r = start_session(c, control, &h, err);
	if (r)
		return r;
	snprintf(c->dir, sizeof(c->dir), "%s/restack/%s", debugfs, st->session);
	r = open_cpu_files(c, debugfs, err);
	if (r)
		return r;
	r = restack_trace_create(o->output, o->zstd, &h, &c->w, err);
	if (r)
		return r;
	c->streaming = !strcmp(o->output, "-") &&
		       !(fstat(STDOUT_FILENO, &sb) == 0 && S_ISREG(sb.st_mode));
	r = collect_until_stop(c, h.start_ns, err);
	if (r)
		return r;

	/* Stop: the kernel stops recording; read what is left. */
	if (ioctl(c->ctl, RESTACK_TRACE_STOP, &c->vol))
		return restack_err_set(err, -errno, "RESTACK_TRACE_STOP: %s",
				       strerror(errno));
	c->stopped = true;
	end_ns = clock_ns(CLOCK_MONOTONIC);
	st->duration_ns = end_ns - h.start_ns;
	r = drain_stopped(c, err);
	if (r)
		return r;

	memset(&kst, 0, sizeof(kst));
	kst.volume = c->vol;
	if (ioctl(c->ctl, RESTACK_TRACE_STATS, &kst))
		return restack_err_set(err, -errno, "RESTACK_TRACE_STATS: %s",
				       strerror(errno));
	st->kernel_records = kst.records;
	st->kernel_drops = kst.drops;
	st->sampled_out = kst.sampled_out;
	r = read_dropped(c, c->dir, err);
	if (r)
		return r;
	account(c, &kst);
	if (st->sorted)
		restack_trace_writer_header(c->w)->flags |= DM_RESTACK_TH_SORTED;
	r = restack_trace_finish(c->w, end_ns, st->io_records, st->drops, err);
	c->w = NULL;
	if (r)
		return r;
	return verdict(c, &kst, err);
}

int restack_collect(const struct restack_collect_opts *o,
		    struct restack_collect_stats *st, struct restack_err *err)
{
	const char *debugfs = o->debugfs ? o->debugfs : RESTACK_TRACE_DEBUGFS;
	const char *control = o->control ? o->control : RESTACK_TRACE_CONTROL;
	struct collector c = { .o = o, .st = st, .ctl = -1 };
	struct rusage ru;
	unsigned int i;
	int r;

	memset(st, 0, sizeof(*st));
	restack_err_clear(err);
	r = restack_collect_resolve(o->volume, &st->volume, st->volume_name,
				    err);
	if (r)
		return r;
	c.vol = st->volume;
	r = restack_collect_geometry(o->buffer_bytes ? o->buffer_bytes :
				     RESTACK_COLLECT_BUFFER_DEFAULT,
				     &st->subbuf_size, &st->n_subbufs, err);
	if (r)
		return r;
	r = run_session(&c, debugfs, control, err);
	if (c.cpus)
		for (i = 0; i < c.nr_cpus; i++)
			if (c.cpus[i].fd >= 0)
				close(c.cpus[i].fd);
	if (c.started) {
		if (!c.stopped)
			ioctl(c.ctl, RESTACK_TRACE_STOP, &c.vol);
		ioctl(c.ctl, RESTACK_TRACE_TEARDOWN, &c.vol);
	}
	if (c.ctl >= 0)
		close(c.ctl);
	if (c.w)
		restack_trace_abort(c.w);
	restack_reorder_release(&c.ro);
	free(c.cpus);
	free(c.buf);
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		st->cpu_user_ns = (uint64_t)ru.ru_utime.tv_sec * 1000000000ULL +
				  (uint64_t)ru.ru_utime.tv_usec * 1000ULL;
		st->cpu_sys_ns = (uint64_t)ru.ru_stime.tv_sec * 1000000000ULL +
				 (uint64_t)ru.ru_stime.tv_usec * 1000ULL;
	}
	return r;
}
