// SPDX-License-Identifier: GPL-2.0
/*
 * altio - fine-grained alternating block I/O benchmark for A/B comparisons
 *
 * Part of restack (bench/).  bench/README.md has the method, the
 * calibration measurements behind it and the guest script that uses it.
 *
 *   altio --rw randread|randwrite|read|write --bs 4k|128k --qd N
 *         --segment-ios K --rounds R [--warmup-rounds W] [--span BYTES]
 *         [--seed S] [--order mirror|rotate|shuffle] [--reopen-every N]
 *         [--pool FILE] [--cpu C] [--max-seconds T] [--bootstrap B] [--json]
 *         [--json-out FILE] [--no-direct] [LABEL=]dev1 [LABEL=]dev2 ...
 *
 * All devices are opened with O_DIRECT.  A *visit* keeps QD I/Os in flight
 * until exactly K I/Os have completed (the last ones drain) and is timed
 * with CLOCK_MONOTONIC.  A *round* visits every device: by default
 * (--order mirror) in a rotating order and then in its reverse (ABC CBA), so
 * a device's round time is the sum of two visits; with rotate/shuffle once.
 * Every --reopen-every N rounds a new *epoch* begins: the devices are
 * reopened in a random order and the AIO context and buffers are rebuilt at
 * other addresses.  --pool FILE collects the rounds of several runs (the
 * guest script recreates the devices between runs).  Per device we report
 * the median IOPS over rounds and, against the first-named device (the
 * baseline), the per-round IOPS ratio: median, quartiles, extremes and a
 * bootstrap 95% CI of the median that resamples runs, then epochs within
 * them (or epochs, or rounds, whichever grouping there is).
 *
 * Why: under QEMU TCG the speed of the whole guest drifts by tens of percent
 * (host scheduling of QEMU's threads next to other work, translation cache
 * flushes, cache contention).  Those drifts are slow compared to a visit of
 * ~1000 I/Os (10-40 ms), so devices visited right after one another see
 * almost the same machine speed and the drift cancels in their per-round
 * ratio; the mirrored order cancels a linear drift within the round
 * exactly.  Medians discard rounds hit by a sudden stall.  Fixed I/O counts
 * make every visit the same work.  Epochs and runs re-draw memory layouts
 * and similar hidden state, which otherwise bias one device or one code path
 * by a few percent for a whole run; resampling them makes the CI honest.
 *
 * I/O interface: the Linux native AIO syscalls (io_setup, io_submit,
 * io_getevents), called directly with syscall(2) and <linux/aio_abi.h>, no
 * libaio.  Reasons for choosing it over io_uring:
 *   - it is three syscalls and one struct; io_uring without liburing needs
 *     the ring mmap()s and memory barriers hand-written, which is more code
 *     to get wrong in a measuring instrument;
 *   - on O_DIRECT block devices it is truly asynchronous, which is all we
 *     need to hold QD I/Os in flight;
 *   - it works on every kernel the project cares about and is not affected
 *     by io_uring_disabled sysctls or container seccomp filters;
 *   - it is what fio's "libaio" engine does, so numbers are comparable with
 *     the fio numbers in PLATFORM.md.
 * Its per-I/O syscall cost is a little higher than io_uring's, but it is
 * the same for every device under test, so it only dilutes the measured
 * relative differences slightly (the ratio compares whole-path costs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/aio_abi.h>
#include <linux/fs.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define ALTIO_VERSION "1.0"
#define BOOTSTRAP_SEED 0x726573746163ULL	/* fixed: CIs are reproducible */
#define GETEVENTS_TIMEOUT_S 120

enum rw_mode { RW_RANDREAD, RW_RANDWRITE, RW_READ, RW_WRITE };
static const char *const rw_names[] = { "randread", "randwrite", "read", "write" };

enum order_mode { ORDER_MIRROR, ORDER_ROTATE, ORDER_SHUFFLE };
static const char *const order_names[] = { "mirror", "rotate", "shuffle" };

struct cfg {
	enum rw_mode rw;
	uint64_t bs;
	unsigned int qd;
	uint64_t segment_ios;
	unsigned int rounds;
	unsigned int warmup_rounds;
	uint64_t span;		/* 0 = smallest device size */
	uint64_t seed;
	enum order_mode order;
	int cpu;		/* -1 = no pinning */
	double max_seconds;	/* 0 = no limit */
	unsigned int reopen_every;	/* rounds per epoch, 0 = one epoch */
	unsigned int bootstrap;
	int json;
	int direct;
};

struct dev {
	const char *label;
	const char *path;
	int fd;
	uint64_t size;
	uint64_t seq_off;	/* next offset for sequential modes */
	uint64_t rng;		/* offset generator state for random modes */
	uint64_t *visit_ns;	/* per measured visit: [round * passes + pass] */
	uint64_t *start_ns;	/* when that visit began, from the first measured round */
	uint64_t *round_ns;	/* per measured round: sum of its visits */
};

static const char *prog = "altio";

/* visits per device per round: mirror = forward pass + reversed pass */
static unsigned int passes(const struct cfg *c)
{
	return c->order == ORDER_MIRROR ? 2 : 1;
}

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s --rw randread|randwrite|read|write --bs SIZE --qd N\n"
"             --segment-ios K --rounds R [options] [LABEL=]DEV [LABEL=]DEV ...\n"
"\n"
"Alternates fixed-size I/O segments over several block devices and reports\n"
"per-round IOPS ratios against the first device (the baseline).\n"
"\n"
"  --rw MODE           randread, randwrite, read (sequential), write (sequential)\n"
"  --bs SIZE           I/O size, multiple of 512 (suffixes k, m: 4k, 128k)\n"
"  --qd N              I/Os kept in flight during a visit (1..4096)\n"
"  --segment-ios K     I/Os completed per device visit\n"
"  --rounds R          measured rounds (each visits every device once, or\n"
"                      twice with --order mirror)\n"
"  --warmup-rounds W   unmeasured rounds first (default 1)\n"
"  --span BYTES        random offsets in [0, span), sequential wraps at span\n"
"                      (default: size of the smallest device)\n"
"  --seed S            offset and shuffle seed (default 1)\n"
"  --order MODE        mirror (default): each round visits every device twice,\n"
"                      in a rotating order and then in its reverse (ABC CBA);\n"
"                      rotate: once per round, rotating order;\n"
"                      shuffle: once per round, order shuffled with the seed\n"
"  --cpu C             pin the process to CPU C\n"
"  --max-seconds T     stop measuring after the round that passes T seconds\n"
"  --reopen-every N    start a new epoch every N rounds: reopen all devices in\n"
"                      a random order, new AIO context and buffers at a new\n"
"                      place, one short warm visit each; the CI then resamples\n"
"                      whole epochs (default 0: one epoch)\n"
"  --bootstrap B       bootstrap resamples for the 95%% CI (default 2000)\n"
"  --json              JSON output instead of the text table\n"
"  --json-out FILE     also write the JSON document to FILE\n"
"  --pool FILE         add this run's rounds to FILE and report on all rounds\n"
"                      in it (earlier runs with the same configuration)\n"
"  --no-direct         do not use O_DIRECT (testing on filesystems only)\n"
"  -h, --help          this text\n"
"\n"
"LABEL=DEV names a device in the output (LABEL must not contain '/').\n"
"Write modes overwrite the devices' contents.\n", prog);
}

/* ---- small helpers ---------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		die("clock_gettime: %s", strerror(errno));
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* splitmix64: tiny, good enough for offsets and resampling */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in [0, n) without modulo bias worth mentioning (Lemire) */
static uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(s) * n) >> 64);
}

static int parse_u64(const char *s, uint64_t *out, int allow_suffix)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (*end && allow_suffix) {
		switch (*end) {
		case 'k': case 'K': mult = 1ULL << 10; break;
		case 'm': case 'M': mult = 1ULL << 20; break;
		case 'g': case 'G': mult = 1ULL << 30; break;
		case 't': case 'T': mult = 1ULL << 40; break;
		default: return -1;
		}
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'b' || *end == 'B')
			end++;
	}
	if (*end)
		return -1;
	if (v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

static uint64_t opt_u64(const char *name, const char *arg, int suffix,
			uint64_t min, uint64_t max)
{
	uint64_t v;

	if (parse_u64(arg, &v, suffix))
		die("--%s: invalid number '%s'", name, arg);
	if (v < min || v > max)
		die("--%s: %s out of range [%" PRIu64 ", %" PRIu64 "]",
		    name, arg, min, max);
	return v;
}

/* ---- Linux AIO, raw syscalls ------------------------------------------- */

static long sys_io_setup(unsigned int nr, aio_context_t *ctx)
{
	return syscall(SYS_io_setup, nr, ctx);
}

static long sys_io_destroy(aio_context_t ctx)
{
	return syscall(SYS_io_destroy, ctx);
}

static long sys_io_submit(aio_context_t ctx, long n, struct iocb **iocbs)
{
	return syscall(SYS_io_submit, ctx, n, iocbs);
}

static long sys_io_getevents(aio_context_t ctx, long min_nr, long nr,
			     struct io_event *ev, struct timespec *ts)
{
	return syscall(SYS_io_getevents, ctx, min_nr, nr, ev, ts);
}

/* ---- the engine -------------------------------------------------------- */

struct engine {
	aio_context_t ctx;
	unsigned int qd;
	struct iocb *iocbs;	/* one per slot */
	void **bufs;		/* one aligned buffer per slot */
	struct iocb **pending;	/* prepared, not yet accepted by io_submit */
	unsigned int npending;
	struct io_event *events;
	void *pad;		/* shifts the heap layout between epochs */
	void *map_pad;		/* shifts the mmap layout (AIO ring) */
	size_t map_pad_len;
};

/* pad_pages: allocate this many pages first, so that the buffers of each
 * epoch land at a different place (see --reopen-every) */
static void engine_init(struct engine *e, const struct cfg *c, unsigned int pad_pages)
{
	unsigned int i;
	uint64_t j;

	memset(e, 0, sizeof(*e));
	e->qd = c->qd;
	if (pad_pages) {
		e->map_pad_len = (size_t)pad_pages * 4096;
		e->map_pad = mmap(NULL, e->map_pad_len, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (e->map_pad == MAP_FAILED)
			die("mmap: %s", strerror(errno));
		e->pad = malloc((size_t)pad_pages * 4096);
		if (!e->pad)
			die("out of memory");
		memset(e->pad, 0x5a, (size_t)pad_pages * 4096);
	}
	if (sys_io_setup(c->qd, &e->ctx) < 0)
		die("io_setup(%u): %s%s", c->qd, strerror(errno),
		    errno == EAGAIN ? " (raise /proc/sys/fs/aio-max-nr?)" : "");
	e->iocbs = calloc(c->qd, sizeof(*e->iocbs));
	e->bufs = calloc(c->qd, sizeof(*e->bufs));
	e->pending = calloc(c->qd, sizeof(*e->pending));
	e->events = calloc(c->qd, sizeof(*e->events));
	if (!e->iocbs || !e->bufs || !e->pending || !e->events)
		die("out of memory");
	for (i = 0; i < c->qd; i++) {
		uint64_t *w;
		int err = posix_memalign(&e->bufs[i], 4096, c->bs);

		if (err)
			die("posix_memalign(%" PRIu64 "): %s", c->bs, strerror(err));
		/* pattern for writes; also faults the pages in before timing */
		w = e->bufs[i];
		for (j = 0; j < c->bs / 8; j++)
			w[j] = 0x7265737461636b00ULL ^ ((uint64_t)i << 32) ^ j;
	}
}

static void engine_fini(struct engine *e)
{
	unsigned int i;

	sys_io_destroy(e->ctx);
	for (i = 0; i < e->qd; i++)
		free(e->bufs[i]);
	free(e->bufs);
	free(e->iocbs);
	free(e->pending);
	free(e->events);
	free(e->pad);
	if (e->map_pad)
		munmap(e->map_pad, e->map_pad_len);
}

static uint64_t next_offset(struct dev *d, const struct cfg *c)
{
	uint64_t off;

	if (c->rw == RW_RANDREAD || c->rw == RW_RANDWRITE)
		return rng_below(&d->rng, c->span / c->bs) * c->bs;
	if (d->seq_off + c->bs > c->span)
		d->seq_off = 0;
	off = d->seq_off;
	d->seq_off += c->bs;
	return off;
}

static void prep(struct engine *e, unsigned int slot, struct dev *d,
		 const struct cfg *c)
{
	struct iocb *cb = &e->iocbs[slot];
	int write = c->rw == RW_RANDWRITE || c->rw == RW_WRITE;

	memset(cb, 0, sizeof(*cb));
	cb->aio_data = slot;
	cb->aio_lio_opcode = write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
	cb->aio_fildes = (uint32_t)d->fd;
	cb->aio_buf = (uint64_t)(uintptr_t)e->bufs[slot];
	cb->aio_nbytes = c->bs;
	cb->aio_offset = (int64_t)next_offset(d, c);
	e->pending[e->npending++] = cb;
}

/* Hand pending iocbs to the kernel; returns how many were accepted. */
static unsigned int flush_pending(struct engine *e, struct dev *d,
				  unsigned int inflight)
{
	unsigned int done = 0;

	while (done < e->npending) {
		long r = sys_io_submit(e->ctx, e->npending - done, e->pending + done);

		if (r > 0) {
			done += (unsigned int)r;
			continue;
		}
		if (r == 0 || errno == EAGAIN) {
			if (inflight + done > 0)
				break;	/* reap first, retry after */
			sched_yield();
			continue;
		}
		if (errno == EINTR)
			continue;
		die("%s: io_submit: %s", d->path, strerror(errno));
	}
	if (done < e->npending)
		memmove(e->pending, e->pending + done,
			(e->npending - done) * sizeof(*e->pending));
	e->npending -= done;
	return done;
}

/* One visit: exactly K I/Os with QD in flight; returns elapsed ns. */
static uint64_t visit(struct engine *e, struct dev *d, const struct cfg *c,
		      uint64_t *start)
{
	uint64_t K = c->segment_ios, submitted = 0, completed = 0, t0, t1;
	unsigned int inflight = 0, i;
	struct timespec to = { .tv_sec = GETEVENTS_TIMEOUT_S, .tv_nsec = 0 };

	e->npending = 0;
	t0 = now_ns();
	for (i = 0; i < c->qd && submitted < K; i++, submitted++)
		prep(e, i, d, c);
	inflight += flush_pending(e, d, inflight);

	while (completed < K) {
		long n = sys_io_getevents(e->ctx, 1, c->qd, e->events, &to);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("%s: io_getevents: %s", d->path, strerror(errno));
		}
		if (n == 0)
			die("%s: no completion in %d s (%u I/Os in flight)",
			    d->path, GETEVENTS_TIMEOUT_S, inflight);
		for (i = 0; i < (unsigned int)n; i++) {
			struct io_event *ev = &e->events[i];
			int64_t res = ev->res;

			if (res < 0)
				die("%s: %s at offset %lld: %s", d->path,
				    c->rw == RW_RANDWRITE || c->rw == RW_WRITE ?
				    "write" : "read",
				    (long long)((struct iocb *)(uintptr_t)ev->obj)->aio_offset,
				    strerror((int)-res));
			if ((uint64_t)res != c->bs)
				die("%s: short I/O at offset %lld: %lld of %" PRIu64 " bytes",
				    d->path,
				    (long long)((struct iocb *)(uintptr_t)ev->obj)->aio_offset,
				    (long long)res, c->bs);
			inflight--;
			completed++;
			if (submitted < K) {
				prep(e, (unsigned int)ev->data, d, c);
				submitted++;
			}
		}
		if (e->npending)
			inflight += flush_pending(e, d, inflight);
	}
	t1 = now_ns();
	*start = t0;
	return t1 - t0 ? t1 - t0 : 1;
}

/* ---- statistics -------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* percentile of a sorted array, linear interpolation (R type 7) */
static double pct_sorted(const double *v, size_t n, double p)
{
	double pos, frac;
	size_t lo;

	if (n == 0)
		return 0.0;
	pos = p * (double)(n - 1);
	lo = (size_t)pos;
	if (lo + 1 >= n)
		return v[n - 1];
	frac = pos - (double)lo;
	return v[lo] + (v[lo + 1] - v[lo]) * frac;
}

struct summary {
	double median, p25, p75, min, max, ci_lo, ci_hi;
};

/*
 * Rounds are grouped: a run (one altio invocation, several when a --pool
 * file collects them) consists of epochs (--reopen-every), an epoch of
 * consecutive rounds. run[] and ep[] (either may be NULL) give each round's
 * run and epoch; equal values are consecutive.
 */
struct groups {
	size_t nep, nrun;
	size_t *ep_start;	/* epoch k: rounds [ep_start[k], ep_start[k+1]) */
	size_t *run_ep;		/* run k: epochs [run_ep[k], run_ep[k+1]) */
};

static void make_groups(struct groups *g, size_t n, const unsigned int *run,
			const unsigned int *ep)
{
	size_t i;

	g->ep_start = malloc((n + 1) * sizeof(*g->ep_start));
	g->run_ep = malloc((n + 1) * sizeof(*g->run_ep));
	if (!g->ep_start || !g->run_ep)
		die("out of memory");
	g->nep = g->nrun = 0;
	for (i = 0; i < n; i++) {
		int new_run = i == 0 || (run && run[i] != run[i - 1]);

		if (new_run)
			g->run_ep[g->nrun++] = g->nep;
		if (new_run || (ep && ep[i] != ep[i - 1]))
			g->ep_start[g->nep++] = i;
	}
	g->ep_start[g->nep] = n;
	g->run_ep[g->nrun] = g->nep;
}

static const char *ci_unit(const struct groups *g)
{
	return g->nrun >= 2 ? "runs, then epochs within them" :
	       g->nep >= 2 ? "whole epochs" : "rounds";
}

static void append(double **w, size_t *cap, size_t *m, const double *x, size_t len)
{
	if (*m + len > *cap) {
		*cap = 2 * (*m + len);
		*w = realloc(*w, *cap * sizeof(**w));
		if (!*w)
			die("out of memory");
	}
	memcpy(*w + *m, x, len * sizeof(**w));
	*m += len;
}

/*
 * Median, quartiles, extremes of x[0..n), and a percentile-bootstrap 95% CI
 * of the median. The bootstrap resamples the largest groups there are more
 * than one of: runs (and then epochs within each drawn run: a two-stage
 * cluster bootstrap), else epochs, else rounds. Resampling whole groups
 * lets an effect shared by a group's rounds (a memory layout, a state of
 * the translated code) widen the CI as it should.
 */
static void summarise(const double *x, size_t n, unsigned int nboot,
		      const struct groups *g, struct summary *s)
{
	size_t cap = n ? n : 1;
	double *v = malloc(cap * sizeof(*v));
	double *bm = malloc((nboot ? nboot : 1) * sizeof(*bm));
	uint64_t rng = BOOTSTRAP_SEED;
	unsigned int b;
	size_t i, k;

	if (!v || !bm)
		die("out of memory");
	memcpy(v, x, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_double);
	s->median = pct_sorted(v, n, 0.5);
	s->p25 = pct_sorted(v, n, 0.25);
	s->p75 = pct_sorted(v, n, 0.75);
	s->min = n ? v[0] : 0.0;
	s->max = n ? v[n - 1] : 0.0;
	s->ci_lo = s->ci_hi = s->median;
	if (n && nboot && g) {
		for (b = 0; b < nboot; b++) {
			size_t m = 0;

			if (g->nrun >= 2) {
				for (k = 0; k < g->nrun; k++) {
					size_t r = rng_below(&rng, g->nrun);
					size_t e0 = g->run_ep[r], ne = g->run_ep[r + 1] - e0;

					for (i = 0; i < ne; i++) {
						size_t e = e0 + rng_below(&rng, ne);

						append(&v, &cap, &m, x + g->ep_start[e],
						       g->ep_start[e + 1] - g->ep_start[e]);
					}
				}
			} else if (g->nep >= 2) {
				for (k = 0; k < g->nep; k++) {
					size_t e = rng_below(&rng, g->nep);

					append(&v, &cap, &m, x + g->ep_start[e],
					       g->ep_start[e + 1] - g->ep_start[e]);
				}
			} else {
				for (m = 0; m < n; m++)
					v[m] = x[rng_below(&rng, n)];
			}
			qsort(v, m, sizeof(*v), cmp_double);
			bm[b] = pct_sorted(v, m, 0.5);
		}
		qsort(bm, nboot, sizeof(*bm), cmp_double);
		s->ci_lo = pct_sorted(bm, nboot, 0.025);
		s->ci_hi = pct_sorted(bm, nboot, 0.975);
	}
	free(v);
	free(bm);
}

/* ---- report ------------------------------------------------------------ */

struct report {
	const struct cfg *c;
	struct dev *devs;
	unsigned int ndev, rounds_done;	/* rounds_done: this run */
	double elapsed;
	size_t n;		/* rounds in the statistics (pooled) */
	const uint64_t *ns;	/* [round * ndev + dev]: round time */
	const unsigned int *run;	/* [round]: run */
	const unsigned int *ep;	/* [round]: epoch */
	struct groups g;
	const char *pool;	/* --pool file or NULL */
	struct summary *iops;	/* per device, IOPS over rounds */
	struct summary *rat;	/* per device, ratio vs devs[0] */
	double *overall;	/* per device, all I/Os / all visit time */
};

static void compute_report(struct report *p)
{
	const struct cfg *c = p->c;
	double ios_round = (double)c->segment_ios * passes(c);
	size_t r, n = p->n;
	double *tmp = calloc(n ? n : 1, sizeof(*tmp));
	double *ratio = calloc(n ? n : 1, sizeof(*ratio));
	unsigned int i;

	make_groups(&p->g, n, p->run, p->ep);
	p->iops = calloc(p->ndev, sizeof(*p->iops));
	p->rat = calloc(p->ndev, sizeof(*p->rat));
	p->overall = calloc(p->ndev, sizeof(*p->overall));
	if (!tmp || !ratio || !p->iops || !p->rat || !p->overall)
		die("out of memory");
	for (i = 0; i < p->ndev; i++) {
		double sum = 0;

		for (r = 0; r < n; r++) {
			tmp[r] = ios_round * 1e9 / (double)p->ns[r * p->ndev + i];
			sum += (double)p->ns[r * p->ndev + i];
		}
		summarise(tmp, n, 0, NULL, &p->iops[i]);
		p->overall[i] = sum > 0 ? ios_round * (double)n * 1e9 / sum : 0;
		if (i == 0)
			continue;
		/* IOPS(dev)/IOPS(base) = time(base)/time(dev): same I/O count */
		for (r = 0; r < n; r++)
			ratio[r] = (double)p->ns[r * p->ndev] /
				   (double)p->ns[r * p->ndev + i];
		summarise(ratio, n, c->bootstrap, &p->g, &p->rat[i]);
	}
	free(tmp);
	free(ratio);
}

static size_t epochs(const struct report *p)
{
	return p->g.nep;
}

static uint64_t measured_ios(const struct report *p)
{
	return (uint64_t)p->n * p->c->segment_ios * passes(p->c);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void print_json(FILE *f, const struct report *p)
{
	const struct cfg *c = p->c;
	unsigned int i, r, np = passes(c);
	size_t k;

	fprintf(f, "{\n  \"tool\": \"altio\", \"version\": \"%s\",\n", ALTIO_VERSION);
	fprintf(f, "  \"config\": {\"rw\": \"%s\", \"bs\": %" PRIu64 ", \"qd\": %u, "
		"\"segment_ios\": %" PRIu64 ", \"rounds\": %u, \"rounds_done\": %u, "
		"\"warmup_rounds\": %u, \"span\": %" PRIu64 ", \"seed\": %" PRIu64 ", "
		"\"order\": \"%s\", \"visits_per_round\": %u, \"cpu\": %d, \"direct\": %s, "
		"\"reopen_every\": %u, \"runs\": %zu, \"epochs\": %zu, \"ci_resamples\": \"%s\", "
		"\"bootstrap\": %u, \"elapsed_s\": %.3f, \"rounds_pooled\": %zu, "
		"\"pool\": ",
		rw_names[c->rw], c->bs, c->qd, c->segment_ios, c->rounds,
		p->rounds_done, c->warmup_rounds, c->span, c->seed,
		order_names[c->order], np, c->cpu, c->direct ? "true" : "false",
		c->reopen_every, p->g.nrun, epochs(p), ci_unit(&p->g),
		c->bootstrap, p->elapsed, p->n);
	if (p->pool)
		json_str(f, p->pool);
	else
		fprintf(f, "null");
	fprintf(f, "},\n  \"baseline\": ");
	json_str(f, p->devs[0].label);
	fprintf(f, ",\n  \"devices\": [\n");
	for (i = 0; i < p->ndev; i++) {
		const struct summary *s = &p->iops[i], *q = &p->rat[i];

		fprintf(f, "    {\"label\": ");
		json_str(f, p->devs[i].label);
		fprintf(f, ", \"path\": ");
		json_str(f, p->devs[i].path);
		fprintf(f, ", \"ios\": %" PRIu64 ", \"iops_median\": %.1f, "
			"\"iops_p25\": %.1f, \"iops_p75\": %.1f, \"iops_min\": %.1f, "
			"\"iops_max\": %.1f, \"iops_overall\": %.1f",
			measured_ios(p), s->median, s->p25, s->p75, s->min, s->max,
			p->overall[i]);
		if (i > 0)
			fprintf(f, ",\n     \"ratio\": {\"median\": %.4f, \"p25\": %.4f, "
				"\"p75\": %.4f, \"min\": %.4f, \"max\": %.4f, "
				"\"ci95\": [%.4f, %.4f], \"overall\": %.4f}",
				q->median, q->p25, q->p75, q->min, q->max, q->ci_lo,
				q->ci_hi,
				p->overall[0] > 0 ? p->overall[i] / p->overall[0] : 0.0);
		/* round_ns: every pooled round; visits: this run only */
		fprintf(f, ",\n     \"round_ns\": [");
		for (k = 0; k < p->n; k++)
			fprintf(f, "%s%" PRIu64, k ? "," : "", p->ns[k * p->ndev + i]);
		fprintf(f, "],\n     \"visit_ns\": [");
		for (r = 0; r < p->rounds_done * np; r++)
			fprintf(f, "%s%" PRIu64, r ? "," : "", p->devs[i].visit_ns[r]);
		fprintf(f, "],\n     \"visit_start_ns\": [");
		for (r = 0; r < p->rounds_done * np; r++)
			fprintf(f, "%s%" PRIu64, r ? "," : "", p->devs[i].start_ns[r]);
		fprintf(f, "]}%s\n", i + 1 < p->ndev ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
}

static void print_text(FILE *f, const struct report *p)
{
	const struct cfg *c = p->c;
	unsigned int i;

	fprintf(f, "# altio %s: rw=%s bs=%" PRIu64 " qd=%u segment_ios=%" PRIu64
		" rounds=%u/%u warmup=%u span=%" PRIu64 " order=%s(%u visits/round)"
		" reopen_every=%u seed=%" PRIu64 " cpu=%d direct=%d elapsed=%.1fs\n",
		ALTIO_VERSION, rw_names[c->rw], c->bs, c->qd, c->segment_ios,
		p->rounds_done, c->rounds, c->warmup_rounds, c->span,
		order_names[c->order], passes(c), c->reopen_every, c->seed, c->cpu,
		c->direct, p->elapsed);
	if (p->pool)
		fprintf(f, "# statistics over pool %s: %zu rounds, %zu epochs, %zu runs\n",
			p->pool, p->n, epochs(p), p->g.nrun);
	fprintf(f, "%-24s %12s %10s %10s %10s %10s\n", "device", "ios",
		"iops_med", "iops_p25", "iops_p75", "iops_all");
	for (i = 0; i < p->ndev; i++)
		fprintf(f, "%-24s %12" PRIu64 " %10.0f %10.0f %10.0f %10.0f\n",
			p->devs[i].label, measured_ios(p), p->iops[i].median,
			p->iops[i].p25, p->iops[i].p75, p->overall[i]);
	if (p->ndev < 2)
		return;
	fprintf(f, "\nper-round IOPS ratio vs %s; 95%% CI of the median: "
		"bootstrap, %u resamples of %s\n", p->devs[0].label, c->bootstrap,
		ci_unit(&p->g));
	fprintf(f, "%-24s %7s %7s %7s %7s %7s %7s  %s\n", "device", "median",
		"p25", "p75", "min", "max", "all", "ci95(median)");
	for (i = 1; i < p->ndev; i++) {
		const struct summary *q = &p->rat[i];

		fprintf(f, "%-24s %7.4f %7.4f %7.4f %7.4f %7.4f %7.4f  [%.4f, %.4f]\n",
			p->devs[i].label, q->median, q->p25, q->p75, q->min,
			q->max, p->overall[0] > 0 ? p->overall[i] / p->overall[0] : 0.0,
			q->ci_lo, q->ci_hi);
	}
}

/* ---- setup ------------------------------------------------------------- */

static void open_dev(struct dev *d, const char *arg, const struct cfg *c)
{
	const char *eq = strchr(arg, '=');
	int flags = O_CLOEXEC;
	struct stat st;

	d->label = d->path = arg;
	if (eq && eq != arg && !memchr(arg, '/', (size_t)(eq - arg))) {
		char *l = strndup(arg, (size_t)(eq - arg));

		if (!l)
			die("out of memory");
		d->label = l;
		d->path = eq + 1;
	}
	if (!*d->path)
		die("%s: empty device path", arg);
	d->fd = -1;
	flags |= (c->rw == RW_RANDWRITE || c->rw == RW_WRITE) ? O_RDWR : O_RDONLY;
	if (c->direct)
		flags |= O_DIRECT;
	d->fd = open(d->path, flags);
	if (d->fd < 0)
		die("cannot open %s%s: %s%s", d->path,
		    c->direct ? " with O_DIRECT" : "", strerror(errno),
		    c->direct && errno == EINVAL ?
		    " (filesystem without O_DIRECT? --no-direct is for testing only)" : "");
	if (fstat(d->fd, &st))
		die("%s: fstat: %s", d->path, strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		int lbs = 0;

		if (ioctl(d->fd, BLKGETSIZE64, &d->size))
			die("%s: BLKGETSIZE64: %s", d->path, strerror(errno));
		if (ioctl(d->fd, BLKSSZGET, &lbs))
			die("%s: BLKSSZGET: %s", d->path, strerror(errno));
		if (c->direct && lbs > 0 && c->bs % (uint64_t)lbs)
			die("%s: --bs %" PRIu64 " is not a multiple of the logical block size %d",
			    d->path, c->bs, lbs);
	} else if (S_ISREG(st.st_mode)) {
		d->size = (uint64_t)st.st_size;
	} else {
		die("%s: not a block device or regular file", d->path);
	}
	if (d->size < c->bs)
		die("%s: size %" PRIu64 " is smaller than --bs %" PRIu64,
		    d->path, d->size, c->bs);
}

/* New file description for every device, opened in a random order. */
static void reopen_devs(struct dev *devs, unsigned int ndev, const struct cfg *c,
			uint64_t *rng)
{
	int flags = O_CLOEXEC;
	unsigned int i;

	flags |= (c->rw == RW_RANDWRITE || c->rw == RW_WRITE) ? O_RDWR : O_RDONLY;
	if (c->direct)
		flags |= O_DIRECT;
	for (i = 0; i < ndev; i++) {
		close(devs[i].fd);
		devs[i].fd = -1;
	}
	for (i = ndev; i > 0; i--) {
		/* pick one of the i devices still closed */
		unsigned int k = (unsigned int)rng_below(rng, i), j;

		for (j = 0; j < ndev; j++)
			if (devs[j].fd < 0 && k-- == 0)
				break;
		devs[j].fd = open(devs[j].path, flags);
		if (devs[j].fd < 0)
			die("cannot reopen %s: %s", devs[j].path, strerror(errno));
	}
}

/* ---- pool: rounds of earlier runs (--pool) ------------------------------ */

/*
 * Text file: a header line naming the configuration, then one line per
 * round: "<run> <epoch> <round ns of device 0> <round ns of device 1> ...".
 * Runs that share a pool file (same configuration and device labels) are
 * analysed together; each run's epochs get new numbers.
 */
struct pool {
	size_t n, cap;
	uint64_t *ns;		/* [round * ndev + dev] */
	unsigned int *run;	/* [round] */
	unsigned int *ep;	/* [round] */
	unsigned int next_run, next_ep;
};

static char *pool_header(const struct cfg *c, const struct dev *devs,
			 unsigned int ndev)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	unsigned int i;

	if (!f)
		die("open_memstream: %s", strerror(errno));
	fprintf(f, "altio-pool 2 rw=%s bs=%" PRIu64 " qd=%u segment_ios=%" PRIu64
		" visits_per_round=%u span=%" PRIu64 " devices=%u",
		rw_names[c->rw], c->bs, c->qd, c->segment_ios, passes(c), c->span, ndev);
	for (i = 0; i < ndev; i++)
		fprintf(f, " %s", devs[i].label);
	if (fclose(f))
		die("open_memstream: %s", strerror(errno));
	return buf;
}

static void pool_add(struct pool *pl, unsigned int ndev, unsigned int run,
		     unsigned int ep, const uint64_t *ns)
{
	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? 2 * pl->cap : 256;
		pl->ns = realloc(pl->ns, pl->cap * ndev * sizeof(*pl->ns));
		pl->run = realloc(pl->run, pl->cap * sizeof(*pl->run));
		pl->ep = realloc(pl->ep, pl->cap * sizeof(*pl->ep));
		if (!pl->ns || !pl->run || !pl->ep)
			die("out of memory");
	}
	memcpy(pl->ns + pl->n * ndev, ns, ndev * sizeof(*ns));
	pl->run[pl->n] = run;
	pl->ep[pl->n++] = ep;
	if (run >= pl->next_run)
		pl->next_run = run + 1;
	if (ep >= pl->next_ep)
		pl->next_ep = ep + 1;
}

static void pool_load(struct pool *pl, const char *path, const char *hdr,
		      unsigned int ndev)
{
	uint64_t *row = calloc(ndev, sizeof(*row));
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned int lineno = 0, i;

	if (!row)
		die("out of memory");
	if (!f) {
		if (errno != ENOENT)
			die("cannot read %s: %s", path, strerror(errno));
		free(row);
		return;		/* first run of a pool */
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		unsigned long long v, ru;
		char *p = line, *end;

		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (lineno == 1) {
			if (strcmp(line, hdr))
				die("%s was written with another configuration:\n"
				    "  file: %s\n  now:  %s", path, line, hdr);
			continue;
		}
		errno = 0;
		ru = strtoull(p, &end, 10);
		if (end == p || errno || ru > UINT_MAX - 1 ||
		    (pl->n && ru < pl->run[pl->n - 1]))
			die("%s:%u: bad run number", path, lineno);
		p = end;
		v = strtoull(p, &end, 10);
		if (end == p || errno || v > UINT_MAX - 1 ||
		    (pl->n && v < pl->ep[pl->n - 1]))
			die("%s:%u: bad epoch", path, lineno);
		for (i = 0, p = end; i < ndev; i++, p = end) {
			row[i] = strtoull(p, &end, 10);
			if (end == p || !row[i])
				die("%s:%u: bad round time", path, lineno);
		}
		while (*p == ' ')
			p++;
		if (*p)
			die("%s:%u: trailing characters", path, lineno);
		pool_add(pl, ndev, (unsigned int)ru, (unsigned int)v, row);
	}
	if (ferror(f))
		die("reading %s: %s", path, strerror(errno));
	fclose(f);
	free(line);
	free(row);
}

static void pool_save(const struct pool *pl, const char *path, const char *hdr,
		      unsigned int ndev)
{
	size_t tl = strlen(path) + 5, r;
	char *tmp = malloc(tl);
	unsigned int i;
	FILE *f;

	if (!tmp)
		die("out of memory");
	snprintf(tmp, tl, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		die("cannot create %s: %s", tmp, strerror(errno));
	fprintf(f, "%s\n", hdr);
	for (r = 0; r < pl->n; r++) {
		fprintf(f, "%u %u", pl->run[r], pl->ep[r]);
		for (i = 0; i < ndev; i++)
			fprintf(f, " %" PRIu64, pl->ns[r * ndev + i]);
		fputc('\n', f);
	}
	if (fflush(f) || ferror(f) || fclose(f))
		die("writing %s: %s", tmp, strerror(errno));
	if (rename(tmp, path))
		die("rename %s to %s: %s", tmp, path, strerror(errno));
	free(tmp);
}

/* ---- main -------------------------------------------------------------- */

int main(int argc, char **argv)
{
	enum {
		O_RW = 256, O_BS, O_QD, O_SEG, O_ROUNDS, O_WARM, O_SPAN, O_SEED,
		O_ORDER, O_CPU, O_MAXS, O_BOOT, O_JSON, O_JSONOUT, O_NODIRECT, O_REOPEN, O_POOL,
	};
	static const struct option opts[] = {
		{ "rw", required_argument, NULL, O_RW },
		{ "bs", required_argument, NULL, O_BS },
		{ "qd", required_argument, NULL, O_QD },
		{ "segment-ios", required_argument, NULL, O_SEG },
		{ "rounds", required_argument, NULL, O_ROUNDS },
		{ "warmup-rounds", required_argument, NULL, O_WARM },
		{ "span", required_argument, NULL, O_SPAN },
		{ "seed", required_argument, NULL, O_SEED },
		{ "order", required_argument, NULL, O_ORDER },
		{ "cpu", required_argument, NULL, O_CPU },
		{ "max-seconds", required_argument, NULL, O_MAXS },
		{ "bootstrap", required_argument, NULL, O_BOOT },
		{ "json", no_argument, NULL, O_JSON },
		{ "json-out", required_argument, NULL, O_JSONOUT },
		{ "no-direct", no_argument, NULL, O_NODIRECT },
		{ "reopen-every", required_argument, NULL, O_REOPEN },
		{ "pool", required_argument, NULL, O_POOL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cfg c = {
		.rw = (enum rw_mode)-1, .warmup_rounds = 1, .seed = 1,
		.order = ORDER_MIRROR, .cpu = -1, .bootstrap = 2000, .direct = 1,
	};
	int have_bs = 0, have_qd = 0, have_seg = 0, have_rounds = 0;
	unsigned int ndev, i, k, p, m, np, r, total_rounds, rounds_done = 0;
	struct dev *devs;
	struct engine e;
	unsigned int *order;
	uint64_t order_rng, t_start;
	const char *json_out = NULL, *pool_path = NULL;
	struct pool pl = { 0 };
	char *pool_hdr = NULL;
	FILE *json_f = NULL;
	int opt;

	if (argv[0] && *argv[0]) {
		const char *p = strrchr(argv[0], '/');

		prog = p ? p + 1 : argv[0];
	}
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case O_RW:
			for (i = 0; i < 4; i++)
				if (!strcmp(optarg, rw_names[i]))
					c.rw = (enum rw_mode)i;
			if ((int)c.rw < 0)
				die("--rw: unknown mode '%s' (randread, randwrite, read, write)",
				    optarg);
			break;
		case O_BS:
			c.bs = opt_u64("bs", optarg, 1, 512, 64ULL << 20);
			if (c.bs % 512)
				die("--bs: %s (%" PRIu64 " bytes) is not a multiple of 512",
				    optarg, c.bs);
			have_bs = 1;
			break;
		case O_QD:
			c.qd = (unsigned int)opt_u64("qd", optarg, 0, 1, 4096);
			have_qd = 1;
			break;
		case O_SEG:
			c.segment_ios = opt_u64("segment-ios", optarg, 1, 1, UINT64_MAX / 2);
			have_seg = 1;
			break;
		case O_ROUNDS:
			c.rounds = (unsigned int)opt_u64("rounds", optarg, 0, 1, 10000000);
			have_rounds = 1;
			break;
		case O_WARM:
			c.warmup_rounds = (unsigned int)opt_u64("warmup-rounds", optarg, 0, 0, 10000000);
			break;
		case O_SPAN:
			c.span = opt_u64("span", optarg, 1, 1, UINT64_MAX);
			break;
		case O_SEED:
			c.seed = opt_u64("seed", optarg, 0, 0, UINT64_MAX);
			break;
		case O_ORDER:
			if (!strcmp(optarg, "mirror"))
				c.order = ORDER_MIRROR;
			else if (!strcmp(optarg, "rotate"))
				c.order = ORDER_ROTATE;
			else if (!strcmp(optarg, "shuffle"))
				c.order = ORDER_SHUFFLE;
			else
				die("--order: unknown order '%s' (mirror, rotate, shuffle)", optarg);
			break;
		case O_CPU:
			c.cpu = (int)opt_u64("cpu", optarg, 0, 0, CPU_SETSIZE - 1);
			break;
		case O_MAXS: {
			char *end;

			errno = 0;
			c.max_seconds = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(c.max_seconds >= 0))
				die("--max-seconds: invalid value '%s'", optarg);
			break;
		}
		case O_BOOT:
			c.bootstrap = (unsigned int)opt_u64("bootstrap", optarg, 0, 0, 1000000);
			break;
		case O_JSON:
			c.json = 1;
			break;
		case O_JSONOUT:
			json_out = optarg;
			break;
		case O_REOPEN:
			c.reopen_every = (unsigned int)opt_u64("reopen-every", optarg, 0, 0, 10000000);
			break;
		case O_POOL:
			pool_path = optarg;
			break;
		case O_NODIRECT:
			c.direct = 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if ((int)c.rw < 0)
		die("missing --rw (randread, randwrite, read, write); see --help");
	if (!have_bs)
		die("missing --bs; see --help");
	if (!have_qd)
		die("missing --qd; see --help");
	if (!have_seg)
		die("missing --segment-ios; see --help");
	if (!have_rounds)
		die("missing --rounds; see --help");
	if (optind >= argc)
		die("no devices given; see --help");
	ndev = (unsigned int)(argc - optind);
	if (json_out) {
		/* open now: a bad path must fail before minutes of measuring */
		json_f = fopen(json_out, "w");
		if (!json_f)
			die("cannot create %s: %s", json_out, strerror(errno));
	}

	devs = calloc(ndev, sizeof(*devs));
	order = calloc(ndev, sizeof(*order));
	if (!devs || !order)
		die("out of memory");
	for (i = 0; i < ndev; i++) {
		open_dev(&devs[i], argv[optind + i], &c);
		devs[i].visit_ns = calloc((size_t)c.rounds * passes(&c), sizeof(uint64_t));
		devs[i].start_ns = calloc((size_t)c.rounds * passes(&c), sizeof(uint64_t));
		devs[i].round_ns = calloc(c.rounds, sizeof(uint64_t));
		if (!devs[i].visit_ns || !devs[i].start_ns || !devs[i].round_ns)
			die("out of memory");
	}
	if (c.span) {
		for (i = 0; i < ndev; i++)
			if (c.span > devs[i].size)
				die("--span %" PRIu64 " is larger than %s (%" PRIu64 " bytes)",
				    c.span, devs[i].path, devs[i].size);
	} else {
		c.span = devs[0].size;
		for (i = 1; i < ndev; i++)
			if (devs[i].size < c.span)
				c.span = devs[i].size;
	}
	c.span -= c.span % c.bs;
	if (c.span < c.bs)
		die("--span must be at least --bs (%" PRIu64 ")", c.bs);
	/* every device gets the same offset sequence */
	for (i = 0; i < ndev; i++)
		devs[i].rng = c.seed ^ 0x6f666673657473ULL;
	if (pool_path) {
		/* read now: a mismatch must fail before minutes of measuring */
		pool_hdr = pool_header(&c, devs, ndev);
		pool_load(&pl, pool_path, pool_hdr, ndev);
	}

	if (c.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(c.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("--cpu %d: sched_setaffinity: %s", c.cpu, strerror(errno));
	}

	engine_init(&e, &c, 0);
	order_rng = c.seed ^ 0x6f72646572ULL;
	total_rounds = c.warmup_rounds + c.rounds;
	np = passes(&c);
	t_start = 0;
	for (r = 0; r < total_rounds; r++) {
		int measured = r >= c.warmup_rounds;

		if (r == c.warmup_rounds)
			t_start = now_ns();
		if (measured && c.reopen_every && r > c.warmup_rounds &&
		    (r - c.warmup_rounds) % c.reopen_every == 0) {
			/*
			 * New epoch: fresh file descriptions, AIO ring and buffer
			 * addresses, so that a lucky or unlucky memory layout (it
			 * moves TCG's and the CPU's cache and TLB hits by a few
			 * percent for a whole run) is sampled many times instead
			 * of biasing one device for the whole run.
			 */
			struct cfg wc = c;
			struct engine ne;

			/* the new one first, so that it cannot reuse the old places */
			engine_init(&ne, &c, 1 + (unsigned int)rng_below(&order_rng, 64));
			engine_fini(&e);
			e = ne;
			reopen_devs(devs, ndev, &c, &order_rng);
			wc.segment_ios = c.segment_ios < 256 ? c.segment_ios : 256;
			for (k = 0; k < ndev; k++) {
				uint64_t t0;

				visit(&e, &devs[k], &wc, &t0);
			}
		}
		for (i = 0; i < ndev; i++)
			order[i] = (r + i) % ndev;
		if (c.order == ORDER_SHUFFLE)
			for (i = ndev - 1; i > 0; i--) {
				unsigned int j = (unsigned int)rng_below(&order_rng, i + 1);
				unsigned int t = order[i];

				order[i] = order[j];
				order[j] = t;
			}
		for (p = 0; p < np; p++) {
			for (k = 0; k < ndev; k++) {
				/* mirror: second pass in reverse order (ABC CBA) */
				struct dev *d = &devs[order[p ? ndev - 1 - k : k]];
				uint64_t t0, ns = visit(&e, d, &c, &t0);

				if (!measured)
					continue;
				m = r - c.warmup_rounds;
				d->visit_ns[m * np + p] = ns;
				d->start_ns[m * np + p] = t0 - t_start;
				d->round_ns[m] += ns;
			}
		}
		if (measured) {
			rounds_done++;
			if (c.max_seconds > 0 &&
			    (double)(now_ns() - t_start) / 1e9 >= c.max_seconds &&
			    rounds_done < c.rounds) {
				fprintf(stderr, "%s: --max-seconds %g reached after %u of %u rounds\n",
					prog, c.max_seconds, rounds_done, c.rounds);
				break;
			}
		}
	}
	engine_fini(&e);
	double elapsed = (double)(now_ns() - t_start) / 1e9;

	/* ---- report ---- */
	uint64_t *row = calloc(ndev, sizeof(*row));
	unsigned int ep0 = pl.next_ep, run0 = pl.next_run;

	if (!row)
		die("out of memory");
	for (m = 0; m < rounds_done; m++) {
		for (i = 0; i < ndev; i++)
			row[i] = devs[i].round_ns[m];
		pool_add(&pl, ndev, run0, ep0 + (c.reopen_every ? m / c.reopen_every : 0), row);
	}
	if (pool_path)
		pool_save(&pl, pool_path, pool_hdr, ndev);

	struct report rep = {
		.c = &c, .devs = devs, .ndev = ndev, .rounds_done = rounds_done,
		.elapsed = elapsed, .n = pl.n, .ns = pl.ns, .run = pl.run, .ep = pl.ep,
		.pool = pool_path,
	};

	compute_report(&rep);
	if (c.json)
		print_json(stdout, &rep);
	else
		print_text(stdout, &rep);
	if (json_f) {
		FILE *f = json_f;

		print_json(f, &rep);
		if (fflush(f) || ferror(f) || fclose(f))
			die("writing %s: %s", json_out, strerror(errno));
	}
	if (fflush(stdout) || ferror(stdout))
		die("writing output: %s", strerror(errno));
	return 0;
}
