// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_analyze_gen.c - synthetic traces (see the header).
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "analyze/restack_analyze_gen.h"

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double restack_gen_unit(struct restack_gen *g)
{
	return (splitmix(&g->rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* log1p(x)/x and expm1(x)/x, accurate near 0. */
static double helper1(double x)
{
	return fabs(x) > 1e-8 ? log1p(x) / x : 1 - x * (0.5 - x / 3);
}

static double helper2(double x)
{
	return fabs(x) > 1e-8 ? expm1(x) / x : 1 + x * 0.5 * (1 + x / 3);
}

/* H(x) = integral of x^-alpha; Hinv its inverse. */
static double zipf_H(double alpha, double x)
{
	double lx = log(x);

	return helper2((1 - alpha) * lx) * lx;
}

static double zipf_Hinv(double alpha, double y)
{
	double t = y * (1 - alpha);

	if (t < -1)
		t = -1;
	return exp(helper1(t) * y);
}

static double zipf_h(double alpha, double x)
{
	return exp(-alpha * log(x));
}

void restack_gen_defaults(struct restack_gen_params *p)
{
	if (!p->universe)
		p->universe = 1 << 20;
	if (!p->block_bytes)
		p->block_bytes = 4096;
	if (!p->req_blocks)
		p->req_blocks = 1;
	if (!(p->alpha > 0))
		p->alpha = 0.9;
	if (!p->scan_blocks)
		p->scan_blocks = 1024;
	if (!(p->iops > 0))
		p->iops = 10000;
	if (!p->read_lat_ns)
		p->read_lat_ns = 500000;
	if (!p->write_lat_ns)
		p->write_lat_ns = 100000;
	if (!p->workloads)
		p->workloads = 1;
}

int restack_gen_init(struct restack_gen *g, const struct restack_gen_params *p,
		     struct restack_err *err)
{
	unsigned int shift;
	int r;

	memset(g, 0, sizeof(*g));
	g->p = *p;
	restack_gen_defaults(&g->p);
	r = restack_block_shift("generator block size", g->p.block_bytes,
				&shift, err);
	if (r)
		return r;
	if (g->p.read_fraction < 0 || g->p.read_fraction > 1 ||
	    g->p.scan_fraction < 0 || g->p.scan_fraction > 1)
		return restack_err_set(err, -EINVAL,
				       "generator fractions must be within 0..1");
	if (g->p.universe > (1ULL << 40))
		return restack_err_set(err, -EINVAL,
				       "generator universe of %llu blocks: at most 2^40",
				       (unsigned long long)g->p.universe);
	g->rng = g->p.seed * 0x2545f4914f6cdd1dULL + 1;
	while ((1ULL << g->space_bits) < g->p.universe * 4)
		g->space_bits++;
	g->h_x1 = zipf_H(g->p.alpha, 1.5) - 1;
	g->h_n = zipf_H(g->p.alpha, (double)g->p.universe + 0.5);
	g->s = 2 - zipf_Hinv(g->p.alpha, zipf_H(g->p.alpha, 2.5) -
			     zipf_h(g->p.alpha, 2));
	g->scan_base = 1ULL << (g->space_bits + 1);
	{
		double L = (g->p.scan_blocks + g->p.req_blocks - 1) / g->p.req_blocks;
		double f = g->p.scan_fraction;

		g->scan_start = f >= 1 ? 1 : f / (L * (1 - f) + f);
	}
	return 0;
}

uint64_t restack_gen_zipf(struct restack_gen *g)
{
	double a = g->p.alpha, n = (double)g->p.universe;

	for (;;) {
		double u = g->h_n + restack_gen_unit(g) * (g->h_x1 - g->h_n);
		double x = zipf_Hinv(a, u), k = floor(x + 0.5);

		if (k < 1)
			k = 1;
		else if (k > n)
			k = n;
		if (k - x <= g->s || u >= zipf_H(a, k + 0.5) - zipf_h(a, k))
			return (uint64_t)k;
	}
}

/* Rank 1..universe to a block: a bijection of [0, 2^bits). */
static uint64_t scatter(const struct restack_gen *g, uint64_t rank)
{
	uint64_t mask = (1ULL << g->space_bits) - 1;

	return ((rank - 1) * 0x9e3779b97f4a7c15ULL + g->p.seed) & mask;
}

/* Exponential variate with the given mean. */
static double expo(struct restack_gen *g, double mean)
{
	return -log(1 - restack_gen_unit(g)) * mean;
}

void restack_gen_next(struct restack_gen *g, struct dm_restack_trace_record *rec)
{
	const struct restack_gen_params *p = &g->p;
	uint64_t block, sectors_per_block = p->block_bytes / 512, w;
	bool read;
	double lat, u;

	memset(rec, 0, sizeof(*rec));
	switch (p->kind) {
	case RESTACK_GEN_UNIFORM:
		block = scatter(g, 1 + splitmix(&g->rng) % p->universe);
		break;
	case RESTACK_GEN_SEQ:
		block = g->seq_next;
		g->seq_next = (g->seq_next + p->req_blocks) % p->universe;
		break;
	case RESTACK_GEN_SCANMIX:
		/*
		 * Start a scan of L requests with probability q per non-scan
		 * request, q = f / (L (1 - f) + f): a fraction f of all
		 * requests then belongs to scans.
		 */
		if (g->scan_left || restack_gen_unit(g) < g->scan_start) {
			if (!g->scan_left) {
				g->scan_pos = g->scan_base;
				g->scan_base += p->scan_blocks;
				g->scan_left = (p->scan_blocks + p->req_blocks - 1) /
					       p->req_blocks;
			}
			block = g->scan_pos;
			g->scan_pos += p->req_blocks;
			g->scan_left--;
			break;
		}
		/* fall through */
	case RESTACK_GEN_ZIPF:
	default:
		block = scatter(g, restack_gen_zipf(g));
		break;
	}
	read = restack_gen_unit(g) < p->read_fraction;
	g->ts += (uint64_t)expo(g, 1e9 / p->iops) + 1;
	/* latency: log-normal around the median, sigma 0.5 */
	u = restack_gen_unit(g);
	lat = (double)(read ? p->read_lat_ns : p->write_lat_ns) *
	      exp(0.5 * sqrt(-2 * log(1 - u)) *
		  cos(2 * M_PI * restack_gen_unit(g)));
	w = p->workloads > 1 ? splitmix(&g->rng) % p->workloads : 0;

	rec->type = DM_RESTACK_REC_IO;
	rec->op = read ? DM_RESTACK_OP_READ : DM_RESTACK_OP_WRITE;
	rec->ts_ns = g->ts;
	rec->virt_sector = block * sectors_per_block;
	rec->phys_sector = rec->virt_sector;
	rec->sectors = (uint32_t)(p->req_blocks * sectors_per_block);
	rec->latency_ns = (uint64_t)lat;
	rec->cgroup_id = w ? 1000 + w : 1;
	rec->pid = (uint32_t)(100 + w);
	rec->volume = (253u << 20) | 0;
	rec->phys_dev = (8u << 20) | 16;
	rec->result = DM_RESTACK_RESULT_PASSTHROUGH;
	rec->inflight = 1;
}
