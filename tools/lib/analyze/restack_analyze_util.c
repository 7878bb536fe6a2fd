// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_analyze_util.c - byte sizes, block sizes, the u64 hash map and
 * the reuse-distance histogram of the analyzer.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/restack_analyze.h"
#include "../../../lib/restack_sample.h"

int restack_parse_bytes(const char *what, const char *s, uint64_t *out,
			struct restack_err *err)
{
	static const struct {
		const char *suffix;
		unsigned int shift;
	} sfx[] = {
		{ "", 0 }, { "K", 10 }, { "M", 20 }, { "G", 30 }, { "T", 40 },
		{ "KiB", 10 }, { "MiB", 20 }, { "GiB", 30 }, { "TiB", 40 },
	};
	size_t n = 0, i;
	uint64_t v;
	int r;

	if (!s)
		return restack_err_set(err, -EINVAL, "%s: missing value", what);
	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (n == 0)
		return restack_err_set(err, -EINVAL,
				       "%s: \"%.64s\" is not a size (digits with an optional K, M, G or T suffix)",
				       what, s);
	r = restack_parse_u64(s, n, &v);
	if (r == -ERANGE)
		return restack_err_set(err, -ERANGE, "%s: \"%.64s\" is too large",
				       what, s);
	if (r)
		return restack_err_set(err, -EINVAL,
				       "%s: \"%.64s\" is not a size (no leading zeros, no sign)",
				       what, s);
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if (strcmp(s + n, sfx[i].suffix))
			continue;
		if (sfx[i].shift && v > (UINT64_MAX >> sfx[i].shift))
			return restack_err_set(err, -ERANGE,
					       "%s: \"%.64s\" is too large", what, s);
		*out = v << sfx[i].shift;
		return 0;
	}
	return restack_err_set(err, -EINVAL,
			       "%s: \"%.64s\" has an unknown suffix \"%.16s\" (use K, M, G or T)",
			       what, s, s + n);
}

int restack_block_shift(const char *what, uint64_t bytes, unsigned int *shift,
			struct restack_err *err)
{
	unsigned int s = 0;

	if (bytes < RESTACK_BLOCK_MIN || bytes > RESTACK_BLOCK_MAX ||
	    (bytes & (bytes - 1)))
		return restack_err_set(err, -EINVAL,
				       "%s: %llu is not a power of two from %u to %u bytes",
				       what, (unsigned long long)bytes,
				       RESTACK_BLOCK_MIN, RESTACK_BLOCK_MAX);
	while ((512ULL << s) < bytes)
		s++;
	*shift = s;
	return 0;
}

uint32_t restack_block_hash24(uint64_t block)
{
	return (uint32_t)(restack_hash64(block) &
			  (DM_RESTACK_SAMPLE_MODULUS - 1));
}

/* ---------------------------------------------------------------- */
/* u64 map                                                           */
/* ---------------------------------------------------------------- */

/* High hash bits index the table: SHARDS keeps keys with small low bits. */
static inline uint64_t map_slot(const struct restack_u64map *m, uint64_t key)
{
	return restack_hash64(key) >> (64 - m->bits);
}

int restack_u64map_init(struct restack_u64map *m, uint64_t hint)
{
	unsigned int bits = 4;

	memset(m, 0, sizeof(*m));
	while (bits < 40 && (1ULL << bits) < hint * 2)
		bits++;
	m->keys = calloc(1ULL << bits, sizeof(*m->keys));
	m->vals = malloc((1ULL << bits) * sizeof(*m->vals));
	if (!m->keys || !m->vals) {
		restack_u64map_release(m);
		return -ENOMEM;
	}
	m->bits = bits;
	return 0;
}

void restack_u64map_release(struct restack_u64map *m)
{
	if (!m)
		return;
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

size_t restack_u64map_bytes(const struct restack_u64map *m)
{
	return m->keys ? (size_t)2 * sizeof(uint64_t) << m->bits : 0;
}

uint64_t *restack_u64map_find(struct restack_u64map *m, uint64_t key)
{
	uint64_t mask, i, k;

	if (key == UINT64_MAX)
		return m->has_max ? &m->max_val : NULL;
	mask = (1ULL << m->bits) - 1;
	k = key + 1;
	for (i = map_slot(m, key);; i = (i + 1) & mask) {
		if (m->keys[i] == k)
			return &m->vals[i];
		if (!m->keys[i])
			return NULL;
	}
}

static int map_grow(struct restack_u64map *m)
{
	struct restack_u64map n;
	uint64_t i, mask, j;
	int r;

	r = restack_u64map_init(&n, 1ULL << m->bits);	/* doubles */
	if (r)
		return r;
	mask = (1ULL << n.bits) - 1;
	for (i = 0; i < (1ULL << m->bits); i++) {
		if (!m->keys[i])
			continue;
		for (j = map_slot(&n, m->keys[i] - 1); n.keys[j];
		     j = (j + 1) & mask)
			;
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
	}
	n.count = m->count;
	n.has_max = m->has_max;
	n.max_val = m->max_val;
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

uint64_t *restack_u64map_upsert(struct restack_u64map *m, uint64_t key,
				bool *created)
{
	uint64_t mask, i, k;

	*created = false;
	if (key == UINT64_MAX) {
		if (!m->has_max) {
			m->has_max = true;
			m->max_val = 0;
			m->count++;
			*created = true;
		}
		return &m->max_val;
	}
	/* Keep the load factor at most 1/2. */
	if ((m->count + 1) * 2 > (1ULL << m->bits) && map_grow(m))
		return NULL;
	mask = (1ULL << m->bits) - 1;
	k = key + 1;
	for (i = map_slot(m, key);; i = (i + 1) & mask) {
		if (m->keys[i] == k)
			return &m->vals[i];
		if (!m->keys[i])
			break;
	}
	m->keys[i] = k;
	m->vals[i] = 0;
	m->count++;
	*created = true;
	return &m->vals[i];
}

bool restack_u64map_remove(struct restack_u64map *m, uint64_t key)
{
	uint64_t mask, i, j, k, home;

	if (key == UINT64_MAX) {
		if (!m->has_max)
			return false;
		m->has_max = false;
		m->count--;
		return true;
	}
	mask = (1ULL << m->bits) - 1;
	k = key + 1;
	for (i = map_slot(m, key);; i = (i + 1) & mask) {
		if (m->keys[i] == k)
			break;
		if (!m->keys[i])
			return false;
	}
	/* Backward-shift deletion keeps probe sequences intact. */
	for (j = (i + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
		home = map_slot(m, m->keys[j] - 1);
		/* Can the entry at j move to the hole at i? */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = 0;
	m->count--;
	return true;
}

bool restack_u64map_next(const struct restack_u64map *m, uint64_t *pos,
			 uint64_t *key, uint64_t *val)
{
	uint64_t cap = m->keys ? 1ULL << m->bits : 0;

	while (*pos < cap) {
		uint64_t i = (*pos)++;

		if (m->keys[i]) {
			*key = m->keys[i] - 1;
			*val = m->vals[i];
			return true;
		}
	}
	if (*pos == cap && m->has_max) {
		(*pos)++;
		*key = UINT64_MAX;
		*val = m->max_val;
		return true;
	}
	return false;
}

/* ---------------------------------------------------------------- */
/* distance histogram                                                */
/* ---------------------------------------------------------------- */

int restack_dhist_init(struct restack_dhist *h, double width, uint32_t max_bins)
{
	memset(h, 0, sizeof(*h));
	if (!(width > 0) || (max_bins && max_bins < 2))
		return -EINVAL;
	h->width = width;
	h->max_bins = max_bins;
	h->cap = 1024;
	if (max_bins && h->cap > max_bins)
		h->cap = max_bins;
	h->bins = calloc(h->cap, sizeof(*h->bins));
	return h->bins ? 0 : -ENOMEM;
}

void restack_dhist_release(struct restack_dhist *h)
{
	if (!h)
		return;
	free(h->bins);
	memset(h, 0, sizeof(*h));
}

/* Double the width: bin i merges into i / 2. */
static void dhist_coarsen(struct restack_dhist *h)
{
	uint32_t i;

	for (i = 0; i < h->nbins; i++) {
		double c = h->bins[i];

		h->bins[i] = 0;
		h->bins[i / 2] += c;
	}
	h->nbins = (h->nbins + 1) / 2;
	h->width *= 2;
}

int restack_dhist_add(struct restack_dhist *h, double v, double count)
{
	double idx;
	uint64_t i;

	if (v < 1)
		v = 1;
	for (;;) {
		idx = ceil(v / h->width) - 1;
		if (idx < 0)
			idx = 0;
		if (!h->max_bins || idx < h->max_bins)
			break;
		dhist_coarsen(h);
	}
	i = (uint64_t)idx;
	if (i >= h->cap) {
		uint64_t ncap = h->cap;
		double *nb;

		while (ncap <= i)
			ncap *= 2;
		if (h->max_bins && ncap > h->max_bins)
			ncap = h->max_bins;
		if (ncap > UINT32_MAX)
			return -ENOMEM;
		nb = realloc(h->bins, ncap * sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		memset(nb + h->cap, 0, (ncap - h->cap) * sizeof(*nb));
		h->bins = nb;
		h->cap = (uint32_t)ncap;
	}
	h->bins[i] += count;
	if (i >= h->nbins)
		h->nbins = (uint32_t)i + 1;
	h->total += count;
	return 0;
}

void restack_dhist_add_cold(struct restack_dhist *h, double count)
{
	h->cold += count;
	h->total += count;
}

double restack_dhist_hits(const struct restack_dhist *h, double blocks)
{
	double sum = 0, full;
	uint64_t nfull, i;

	if (!(blocks > 0))
		return 0;
	full = floor(blocks / h->width);	/* bins entirely <= blocks */
	nfull = full >= h->nbins ? h->nbins : (uint64_t)full;
	for (i = 0; i < nfull; i++)
		sum += h->bins[i];
	if (nfull < h->nbins) {
		double frac = blocks / h->width - (double)nfull;

		sum += h->bins[nfull] * frac;
	}
	return sum;
}

double restack_dhist_max(const struct restack_dhist *h)
{
	return h->nbins * h->width;
}
