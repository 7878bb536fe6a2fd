// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * restack_replace.c - replacement and admission for the restack cache,
 * shared by the kernel cache policy and the analyzer (see the header).
 *
 * Layout of the caller's memory: nr_nodes nodes (the first nr_blocks are
 * the slots; the rest hold ghost keys), then the hash buckets (a power of
 * two at least nr_nodes), then the admission filter.  Lists are doubly
 * linked through node indices, head = newest.
 */
#include "restack_compat.h"
#include "restack_replace.h"
#include "restack_sample.h"

#define NIL		RS_REPL_NONE
#define L_FREE		0xff
#define NF_PINNED	0x01
#define NF_VISITED	0x02
#define FREQ_MAX	3

/* List indices per algorithm. */
enum {
	L_MAIN = 0,			/* LRU, SIEVE */
	L_S = 0, L_M = 1, L_G = 2,	/* S3-FIFO */
	L_T1 = 0, L_T2 = 1, L_B1 = 2, L_B2 = 3,	/* ARC */
	L_A1IN = 0, L_AM = 1, L_A1OUT = 2,	/* 2Q */
};

static const char *const repl_names[RS_REPL_NR_KINDS] = {
	[RS_REPL_LRU] = "lru",
	[RS_REPL_SIEVE] = "sieve",
	[RS_REPL_S3FIFO] = "s3fifo",
	[RS_REPL_ARC] = "arc",
	[RS_REPL_2Q] = "2q",
};

static const char *const mode_names[RS_NR_MODES] = {
	[RS_MODE_WT] = "wt",
	[RS_MODE_WB] = "wb",
	[RS_MODE_WA] = "wa",
};

const char *rs_repl_name(enum rs_repl_kind kind)
{
	return (unsigned int)kind < RS_REPL_NR_KINDS ? repl_names[kind] : NULL;
}

int rs_repl_lookup(const char *name)
{
	int i;

	for (i = 0; i < RS_REPL_NR_KINDS; i++)
		if (!strcmp(name, repl_names[i]))
			return i;
	return -EINVAL;
}

const char *rs_cache_mode_name(enum rs_cache_mode mode)
{
	return (unsigned int)mode < RS_NR_MODES ? mode_names[mode] : NULL;
}

int rs_cache_mode_lookup(const char *name)
{
	int i;

	for (i = 0; i < RS_NR_MODES; i++)
		if (!strcmp(name, mode_names[i]))
			return i;
	return -EINVAL;
}

/* ---------------------------------------------------------------- */
/* sizing                                                            */
/* ---------------------------------------------------------------- */

static u32 ghost_cap_of(const struct rs_repl_params *p)
{
	u32 c = p->nr_blocks;

	switch (p->kind) {
	case RS_REPL_S3FIFO:
		return c - c / 10 ? c - c / 10 : 1;
	case RS_REPL_ARC:
		return c;
	case RS_REPL_2Q:
		return c / 2 ? c / 2 : 1;
	default:
		return 0;
	}
}

static u32 bits_for(u64 n)
{
	u32 b = 0;

	while ((1ULL << b) < n)
		b++;
	return b;
}

static u32 filter_bits_of(const struct rs_repl_params *p)
{
	if (!p->promote_hits)
		return 0;
	if (p->filter_entries)
		return bits_for(p->filter_entries);
	return bits_for(p->nr_blocks < 64 ? 64 : p->nr_blocks);
}

size_t rs_repl_mem_size(const struct rs_repl_params *p)
{
	u64 nodes, size;

	if (!p || p->kind >= RS_REPL_NR_KINDS || !p->nr_blocks ||
	    p->nr_blocks > RS_REPL_MAX_BLOCKS || p->promote_hits > 255)
		return 0;
	if (p->filter_entries &&
	    (p->filter_entries & (p->filter_entries - 1) ||
	     p->filter_entries > (1u << 30)))
		return 0;
	nodes = (u64)p->nr_blocks + ghost_cap_of(p);
	size = nodes * sizeof(struct rs_repl_node) +
	       (sizeof(u32) << bits_for(nodes));
	if (p->promote_hits)
		size += sizeof(u32) << filter_bits_of(p);
	if (size != (size_t)size)
		return 0;
	return (size_t)size;
}

/* ---------------------------------------------------------------- */
/* lists and hash                                                    */
/* ---------------------------------------------------------------- */

static inline struct rs_repl_node *N(const struct rs_repl *r, u32 i)
{
	return &r->nodes[i];
}

static void list_push_head(struct rs_repl *r, u32 l, u32 i)
{
	struct rs_repl_list *L = &r->lists[l];
	struct rs_repl_node *n = N(r, i);

	n->list = (u8)l;
	n->prev = NIL;
	n->next = L->head;
	if (L->head != NIL)
		N(r, L->head)->prev = i;
	else
		L->tail = i;
	L->head = i;
	L->size++;
}

static void list_del(struct rs_repl *r, u32 i)
{
	struct rs_repl_node *n = N(r, i);
	struct rs_repl_list *L = &r->lists[n->list];

	if (n->prev != NIL)
		N(r, n->prev)->next = n->next;
	else
		L->head = n->next;
	if (n->next != NIL)
		N(r, n->next)->prev = n->prev;
	else
		L->tail = n->prev;
	L->size--;
	n->prev = NIL;
	n->next = NIL;
	n->list = L_FREE;
}

static void list_move_head(struct rs_repl *r, u32 l, u32 i)
{
	list_del(r, i);
	list_push_head(r, l, i);
}

static inline u32 bucket_of(const struct rs_repl *r, u64 key)
{
	return (u32)(restack_hash64(key) >> (64 - r->bucket_bits));
}

static u32 hash_find(const struct rs_repl *r, u64 key)
{
	u32 i = r->bucket_bits ? r->buckets[bucket_of(r, key)] :
		     r->buckets[0];

	while (i != NIL && N(r, i)->key != key)
		i = N(r, i)->hnext;
	return i;
}

static void hash_add(struct rs_repl *r, u32 i)
{
	u32 b = r->bucket_bits ? bucket_of(r, N(r, i)->key) : 0;

	N(r, i)->hnext = r->buckets[b];
	r->buckets[b] = i;
}

static void hash_del(struct rs_repl *r, u32 i)
{
	u32 b = r->bucket_bits ? bucket_of(r, N(r, i)->key) : 0;
	u32 *pp = &r->buckets[b];

	while (*pp != NIL && *pp != i)
		pp = &N(r, *pp)->hnext;
	if (!RS_WARN_ON(*pp == NIL))
		*pp = N(r, i)->hnext;
	N(r, i)->hnext = NIL;
}

static inline bool is_ghost_node(const struct rs_repl *r, u32 i)
{
	return i >= r->p.nr_blocks;
}

/* ---- node pools ---- */

static u32 slot_alloc(struct rs_repl *r)
{
	u32 i = r->free_slot;

	if (i != NIL) {
		r->free_slot = N(r, i)->next;
		N(r, i)->next = NIL;
		r->used++;
	}
	return i;
}

/* Unlink a resident node from list and hash and return it to the pool. */
static void slot_free(struct rs_repl *r, u32 i)
{
	struct rs_repl_node *n = N(r, i);

	list_del(r, i);
	hash_del(r, i);
	n->flags &= NF_PINNED;	/* pinning belongs to the slot, not the key */
	n->freq = 0;
	n->next = r->free_slot;
	r->free_slot = i;
	r->used--;
}

static void ghost_free(struct rs_repl *r, u32 g)
{
	list_del(r, g);
	hash_del(r, g);
	N(r, g)->next = r->free_ghost;
	r->free_ghost = g;
}

/* Remember @key at the head of ghost list @l, dropping its oldest if full. */
static void ghost_add(struct rs_repl *r, u32 l, u64 key)
{
	u32 g = r->free_ghost;

	if (g == NIL) {
		/* Pool exhausted: recycle the oldest ghost of the fullest list. */
		u32 victim_list = l;

		if (r->p.kind == RS_REPL_ARC &&
		    r->lists[L_B1 + L_B2 - l].size > r->lists[l].size)
			victim_list = L_B1 + L_B2 - l;
		if (RS_WARN_ON(r->lists[victim_list].tail == NIL))
			return;
		ghost_free(r, r->lists[victim_list].tail);
		g = r->free_ghost;
	}
	r->free_ghost = N(r, g)->next;
	N(r, g)->key = key;
	N(r, g)->freq = 0;
	N(r, g)->flags = 0;
	list_push_head(r, l, g);
	hash_add(r, g);
}

/* Evict resident node @i: return the slot to the pool; report the key. */
static void evict(struct rs_repl *r, u32 i, struct rs_repl_fill *f)
{
	f->evicted = true;
	f->victim_key = N(r, i)->key;
	r->stats.evictions++;
	slot_free(r, i);
}

/*
 * Oldest unpinned node of list @l, searching from the tail; NIL if all
 * of the list is pinned or the RS_REPL_PINNED_WALK oldest nodes are.  In
 * the second case those nodes move to the head, so that the next search
 * starts beyond them; a victim found sooner changes no order.
 */
static u32 oldest_unpinned(struct rs_repl *r, u32 l)
{
	u32 i, skipped = 0;

	for (i = r->lists[l].tail; i != NIL; i = N(r, i)->prev) {
		if (!(N(r, i)->flags & NF_PINNED))
			return i;
		r->stats.pinned_skipped++;
		if (++skipped == RS_REPL_PINNED_WALK)
			break;
	}
	if (i == NIL)
		return NIL;
	while (skipped--)
		list_move_head(r, l, r->lists[l].tail);
	return NIL;
}

/* ---------------------------------------------------------------- */
/* init                                                              */
/* ---------------------------------------------------------------- */

int rs_repl_init(struct rs_repl *r, const struct rs_repl_params *p,
		 void *mem, size_t size)
{
	size_t need = rs_repl_mem_size(p);
	u32 i, nb;
	char *m = mem;

	if (!need || !mem || size < need || ((uintptr_t)mem & 7))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->p = *p;
	r->ghost_cap = ghost_cap_of(p);
	r->nr_nodes = p->nr_blocks + r->ghost_cap;
	r->bucket_bits = bits_for(r->nr_nodes);
	r->filter_bits = filter_bits_of(p);
	r->nodes = (struct rs_repl_node *)m;
	m += (size_t)r->nr_nodes * sizeof(struct rs_repl_node);
	r->buckets = (u32 *)m;
	m += sizeof(u32) << r->bucket_bits;
	r->filter = p->promote_hits ? (u32 *)m : NULL;

	nb = 1u << r->bucket_bits;
	for (i = 0; i < nb; i++)
		r->buckets[i] = NIL;
	if (r->filter)
		memset(r->filter, 0, sizeof(u32) << r->filter_bits);
	for (i = 0; i < r->nr_nodes; i++) {
		struct rs_repl_node *n = N(r, i);

		n->key = 0;
		n->prev = NIL;
		n->hnext = NIL;
		n->list = L_FREE;
		n->freq = 0;
		n->flags = 0;
		n->pad = 0;
		/* free lists in index order: slot 0 is handed out first */
		if (i < p->nr_blocks)
			n->next = i + 1 < p->nr_blocks ? i + 1 : NIL;
		else
			n->next = i + 1 < r->nr_nodes ? i + 1 : NIL;
	}
	r->free_slot = 0;
	r->free_ghost = r->ghost_cap ? p->nr_blocks : NIL;
	for (i = 0; i < 4; i++) {
		r->lists[i].head = NIL;
		r->lists[i].tail = NIL;
		r->lists[i].size = 0;
	}
	r->hand = NIL;
	if (p->kind == RS_REPL_S3FIFO)
		r->small_target = p->nr_blocks / 10 ? p->nr_blocks / 10 : 1;
	else if (p->kind == RS_REPL_2Q)
		r->small_target = p->nr_blocks / 4 ? p->nr_blocks / 4 : 1;
	return 0;
}

/* ---------------------------------------------------------------- */
/* lookups                                                           */
/* ---------------------------------------------------------------- */

u32 rs_repl_peek(const struct rs_repl *r, u64 key)
{
	u32 i = hash_find(r, key);

	return i != NIL && !is_ghost_node(r, i) ? i : NIL;
}

void rs_repl_touch(struct rs_repl *r, u32 i)
{
	struct rs_repl_node *n;

	if (RS_WARN_ON(i >= r->p.nr_blocks))
		return;
	n = N(r, i);
	r->stats.hits++;
	switch (r->p.kind) {
	case RS_REPL_LRU:
		list_move_head(r, L_MAIN, i);
		break;
	case RS_REPL_SIEVE:
		n->flags |= NF_VISITED;
		break;
	case RS_REPL_S3FIFO:
		if (n->freq < FREQ_MAX)
			n->freq++;
		break;
	case RS_REPL_ARC:
		list_move_head(r, L_T2, i);
		break;
	case RS_REPL_2Q:
		if (n->list == L_AM)
			list_move_head(r, L_AM, i);
		break;
	}
}

u32 rs_repl_hit(struct rs_repl *r, u64 key)
{
	u32 i = rs_repl_peek(r, key);

	if (i != NIL)
		rs_repl_touch(r, i);
	return i;
}

/* ---------------------------------------------------------------- */
/* victim selection per algorithm; each frees one slot or fails      */
/* ---------------------------------------------------------------- */

static bool lru_evict(struct rs_repl *r, struct rs_repl_fill *f)
{
	u32 i = oldest_unpinned(r, L_MAIN);

	if (i == NIL)
		return false;
	evict(r, i, f);
	return true;
}

static bool sieve_evict(struct rs_repl *r, struct rs_repl_fill *f)
{
	u32 i = r->hand, steps, pinned = 0;

	/* Two sweeps clear every visited bit; more means all pinned. */
	for (steps = 0; steps <= 2 * r->lists[L_MAIN].size; steps++) {
		struct rs_repl_node *n;

		if (i == NIL)
			i = r->lists[L_MAIN].tail;
		if (i == NIL)
			return false;
		n = N(r, i);
		if (n->flags & (NF_VISITED | NF_PINNED)) {
			n->flags &= ~NF_VISITED;
			i = n->prev;
			if (!(n->flags & NF_PINNED))
				continue;
			r->stats.pinned_skipped++;
			/* Bounded: the hand resumes past them next time. */
			if (++pinned >= RS_REPL_PINNED_WALK)
				break;
			continue;
		}
		r->hand = n->prev;
		evict(r, i, f);
		return true;
	}
	r->hand = i;
	return false;
}

static bool s3fifo_evict(struct rs_repl *r, struct rs_repl_fill *f)
{
	u32 steps, limit = 4 * (r->used + 1) + 8, pinned = 0;

	for (steps = 0; steps < limit; steps++) {
		struct rs_repl_list *S = &r->lists[L_S], *M = &r->lists[L_M];
		struct rs_repl_node *n;
		u32 i;

		if (S->size && (S->size >= r->small_target || !M->size)) {
			i = S->tail;
			n = N(r, i);
			if (n->freq >= 1 || (n->flags & NF_PINNED)) {
				/* re-referenced in S: promote to M */
				list_move_head(r, L_M, i);
				if (!(n->flags & NF_PINNED))
					continue;
				/* Pinned: bounded (RS_REPL_PINNED_WALK). */
				r->stats.pinned_skipped++;
				if (++pinned >= RS_REPL_PINNED_WALK)
					return false;
				continue;
			}
			ghost_add(r, L_G, n->key);
			evict(r, i, f);
			return true;
		}
		if (!M->size)
			return false;
		i = M->tail;
		n = N(r, i);
		if (n->freq || (n->flags & NF_PINNED)) {
			if (n->freq)
				n->freq--;
			list_move_head(r, L_M, i);
			if (!(n->flags & NF_PINNED))
				continue;
			r->stats.pinned_skipped++;
			if (++pinned >= RS_REPL_PINNED_WALK)
				return false;
			continue;
		}
		evict(r, i, f);
		return true;
	}
	return false;
}

/* ARC's REPLACE: evict from T1 into B1 or from T2 into B2. */
static bool arc_replace(struct rs_repl *r, bool in_b2, struct rs_repl_fill *f)
{
	u32 t1 = r->lists[L_T1].size, i, from, ghost;

	if (t1 >= 1 && ((in_b2 && t1 == r->arc_p) || t1 > r->arc_p)) {
		from = L_T1;
		ghost = L_B1;
	} else {
		from = L_T2;
		ghost = L_B2;
	}
	i = oldest_unpinned(r, from);
	if (i == NIL) {		/* all pinned there: try the other list */
		from = L_T1 + L_T2 - from;
		ghost = L_B1 + L_B2 - ghost;
		i = oldest_unpinned(r, from);
		if (i == NIL)
			return false;
	}
	ghost_add(r, ghost, N(r, i)->key);
	evict(r, i, f);
	return true;
}

static bool twoq_evict(struct rs_repl *r, struct rs_repl_fill *f)
{
	u32 i = NIL;

	if (r->lists[L_A1IN].size > r->small_target ||
	    !r->lists[L_AM].size) {
		i = oldest_unpinned(r, L_A1IN);
		if (i != NIL) {
			ghost_add(r, L_A1OUT, N(r, i)->key);
			evict(r, i, f);
			return true;
		}
	}
	i = oldest_unpinned(r, L_AM);
	if (i == NIL) {
		i = oldest_unpinned(r, L_A1IN);
		if (i == NIL)
			return false;
		ghost_add(r, L_A1OUT, N(r, i)->key);
	}
	evict(r, i, f);
	return true;
}

/* ---------------------------------------------------------------- */
/* admission                                                         */
/* ---------------------------------------------------------------- */

/* Has @key missed promote_hits times before?  Counts this miss. */
static bool filter_admit(struct rs_repl *r, u64 key)
{
	u64 h = restack_hash64(key);
	u32 idx = r->filter_bits ? (u32)(h >> (64 - r->filter_bits)) : 0;
	u32 tag = (u32)h & 0xffffff00u, e = r->filter[idx];
	u32 cnt = e & 0xff;

	if (cnt && (e & 0xffffff00u) == tag) {
		if (cnt >= r->p.promote_hits) {
			r->filter[idx] = 0;
			return true;
		}
		r->filter[idx] = tag | (cnt + 1);
		return false;
	}
	r->filter[idx] = tag | 1;
	return false;
}

/* ---------------------------------------------------------------- */
/* the miss path                                                     */
/* ---------------------------------------------------------------- */

static void insert_resident(struct rs_repl *r, u32 l, u32 i,
			    u64 key)
{
	struct rs_repl_node *n = N(r, i);

	n->key = key;
	n->freq = 0;
	n->flags &= NF_PINNED;
	list_push_head(r, l, i);
	hash_add(r, i);
}

/* ARC's directory upkeep for a key in no list (before REPLACE). */
static bool arc_miss_new(struct rs_repl *r, struct rs_repl_fill *f)
{
	u32 c = r->p.nr_blocks;
	u32 t1 = r->lists[L_T1].size, b1 = r->lists[L_B1].size;
	u32 total = t1 + r->lists[L_T2].size + b1 + r->lists[L_B2].size;

	if (t1 + b1 >= c) {
		if (t1 < c) {
			if (b1)
				ghost_free(r, r->lists[L_B1].tail);
			if (r->free_slot == NIL)
				return arc_replace(r, false, f);
			return true;
		}
		/* T1 alone fills the cache: drop its LRU, no ghost */
		if (r->free_slot == NIL) {
			u32 i = oldest_unpinned(r, L_T1);

			if (i == NIL)
				return arc_replace(r, false, f);
			evict(r, i, f);
		}
		return true;
	}
	if (total >= c && total >= 2 * c && r->lists[L_B2].size)
		ghost_free(r, r->lists[L_B2].tail);
	if (r->free_slot == NIL)
		return arc_replace(r, false, f);
	return true;
}

enum rs_fill_result rs_repl_miss(struct rs_repl *r, u64 key, bool bypass,
				 struct rs_repl_fill *f)
{
	u32 g = hash_find(r, key), i, dest;
	bool ghost = g != NIL && is_ghost_node(r, g), ok = true, in_b2 = false;

	f->slot = NIL;
	f->evicted = false;
	f->victim_key = 0;
	if (RS_WARN_ON(g != NIL && !ghost))
		return RS_FILL_REJECT;	/* resident: the caller missed a hit */
	r->stats.misses++;
	if (bypass) {
		r->stats.bypassed++;
		return RS_FILL_BYPASS;
	}
	if (ghost)
		r->stats.ghost_hits++;
	if (!ghost && r->p.promote_hits && !filter_admit(r, key)) {
		r->stats.rejected++;
		return RS_FILL_REJECT;
	}
	/*
	 * ARC and 2Q move the key out of its ghost list as they decide
	 * (REPLACE and reclaimfor never see it there); S3-FIFO looks at its
	 * ghost queue only after evicting, as the paper's INSERT does.
	 */
	if (ghost && r->p.kind != RS_REPL_S3FIFO) {
		if (r->p.kind == RS_REPL_ARC)
			in_b2 = N(r, g)->list == L_B2;
		ghost_free(r, g);
	}

	switch (r->p.kind) {
	case RS_REPL_LRU:
		dest = L_MAIN;
		if (r->free_slot == NIL)
			ok = lru_evict(r, f);
		break;
	case RS_REPL_SIEVE:
		dest = L_MAIN;
		if (r->free_slot == NIL)
			ok = sieve_evict(r, f);
		break;
	case RS_REPL_S3FIFO:
		dest = ghost ? L_M : L_S;
		if (r->free_slot == NIL)
			ok = s3fifo_evict(r, f);
		break;
	case RS_REPL_ARC:
		dest = ghost ? L_T2 : L_T1;
		if (ghost) {
			/* sizes as the paper sees them: the key still in its list */
			u32 b1 = r->lists[L_B1].size + !in_b2;
			u32 b2 = r->lists[L_B2].size + in_b2;
			u32 c = r->p.nr_blocks, d;

			if (!in_b2) {
				d = b2 > b1 ? b2 / b1 : 1;
				r->arc_p = r->arc_p + d > c ? c : r->arc_p + d;
			} else {
				d = b1 > b2 ? b1 / b2 : 1;
				r->arc_p = r->arc_p > d ? r->arc_p - d : 0;
			}
			if (r->free_slot == NIL)
				ok = arc_replace(r, in_b2, f);
		} else {
			ok = arc_miss_new(r, f);
		}
		break;
	case RS_REPL_2Q:
	default:
		dest = ghost ? L_AM : L_A1IN;
		if (r->free_slot == NIL)
			ok = twoq_evict(r, f);
		break;
	}
	if (!ok || r->free_slot == NIL) {
		r->stats.nospace++;
		return RS_FILL_NOSPACE;
	}
	/* S3-FIFO: the eviction may have recycled the ghost: look again. */
	if (ghost && r->p.kind == RS_REPL_S3FIFO) {
		g = hash_find(r, key);
		if (g != NIL && is_ghost_node(r, g))
			ghost_free(r, g);
		else
			dest = L_S;
	}
	i = slot_alloc(r);
	insert_resident(r, dest, i, key);
	f->slot = i;
	r->stats.admitted++;
	return RS_FILL_ADMIT;
}

u32 rs_repl_invalidate(struct rs_repl *r, u64 key)
{
	u32 i = rs_repl_peek(r, key);

	if (i == NIL)
		return NIL;
	if (r->hand == i)
		r->hand = N(r, i)->prev;
	r->stats.invalidations++;
	slot_free(r, i);
	return i;
}

void rs_repl_pin(struct rs_repl *r, u32 slot, bool pinned)
{
	if (RS_WARN_ON(slot >= r->p.nr_blocks))
		return;
	if (pinned)
		N(r, slot)->flags |= NF_PINNED;
	else
		N(r, slot)->flags &= ~NF_PINNED;
}

int rs_repl_restore(struct rs_repl *r, u64 key, u32 slot)
{
	u32 *pp, g;

	if (slot >= r->p.nr_blocks || rs_repl_peek(r, key) != NIL)
		return -EINVAL;
	if (N(r, slot)->list != L_FREE)
		return -ENOSPC;
	g = hash_find(r, key);
	if (g != NIL)
		ghost_free(r, g);
	/* take @slot out of the free list */
	for (pp = &r->free_slot; *pp != NIL && *pp != slot; pp = &N(r, *pp)->next)
		;
	if (RS_WARN_ON(*pp == NIL))
		return -EINVAL;
	*pp = N(r, slot)->next;
	N(r, slot)->next = NIL;
	r->used++;
	switch (r->p.kind) {
	case RS_REPL_S3FIFO:
		insert_resident(r, L_M, slot, key);
		break;
	case RS_REPL_ARC:
		insert_resident(r, L_T2, slot, key);
		break;
	case RS_REPL_2Q:
		insert_resident(r, L_AM, slot, key);
		break;
	default:
		insert_resident(r, L_MAIN, slot, key);
	}
	return 0;
}

u32 rs_repl_used(const struct rs_repl *r)
{
	return r->used;
}

bool rs_repl_slot_key(const struct rs_repl *r, u32 slot, u64 *key)
{
	if (slot >= r->p.nr_blocks || N(r, slot)->list == L_FREE)
		return false;
	*key = N(r, slot)->key;
	return true;
}

/* ---------------------------------------------------------------- */
/* sequential detection                                              */
/* ---------------------------------------------------------------- */

void rs_seq_init(struct rs_seq *s, u64 cutoff_bytes)
{
	memset(s, 0, sizeof(*s));
	s->cutoff_bytes = cutoff_bytes;
}

/* Is stream entry @i unused, or over (unused for RS_SEQ_STALE requests)? */
static bool rs_seq_stale(const struct rs_seq *s, u32 i)
{
	return !s->s[i].used || s->clock - s->s[i].used > RS_SEQ_STALE;
}

/*
 * Should a new stream take entry @i rather than @v?  Stale entries first
 * (least recently used among them), then the shortest run.  Random
 * requests each start a one-request stream, so they replace one another
 * and leave an established scan alone: with least-recently-used alone,
 * a zipf job's hits next to a scan pushed the scan's stream out before
 * it reached the cutoff (bench/cache-seq-cutoff.sh).
 */
static bool rs_seq_better_victim(const struct rs_seq *s, u32 i, u32 v)
{
	bool si = rs_seq_stale(s, i), sv = rs_seq_stale(s, v);

	if (si != sv)
		return si;
	if (!si && s->s[i].run_bytes != s->s[v].run_bytes)
		return s->s[i].run_bytes < s->s[v].run_bytes;
	return s->s[i].used < s->s[v].used;
}

bool rs_seq_observe(struct rs_seq *s, u64 sector, u32 nr_sectors)
{
	u32 i, victim = 0;
	u64 bytes = (u64)nr_sectors << 9;

	/* No cutoff: nothing to detect (this is the cache's hit path). */
	if (!s->cutoff_bytes)
		return false;
	s->clock++;
	for (i = 0; i < RS_SEQ_STREAMS; i++) {
		if (s->s[i].used && s->s[i].next_sector == sector)
			break;
		if (rs_seq_better_victim(s, i, victim))
			victim = i;
	}
	if (i == RS_SEQ_STREAMS) {
		i = victim;
		s->s[i].run_bytes = 0;
	}
	s->s[i].next_sector = sector + nr_sectors;
	s->s[i].run_bytes += bytes;
	s->s[i].used = s->clock;
	return s->cutoff_bytes && s->s[i].run_bytes >= s->cutoff_bytes;
}

/* ---------------------------------------------------------------- */
/* cache modes                                                       */
/* ---------------------------------------------------------------- */

void rs_cache_access(struct rs_repl *r, enum rs_cache_mode mode, bool write,
		     u64 key, bool sequential, struct rs_access *a)
{
	a->fill_result = RS_FILL_ADMIT;
	a->fill.evicted = false;
	a->fill.slot = NIL;
	if (write && mode == RS_MODE_WA) {
		a->slot = rs_repl_invalidate(r, key);
		a->action = a->slot != NIL ? RS_ACT_INVALIDATE : RS_ACT_MISS;
		return;
	}
	a->slot = rs_repl_hit(r, key);
	if (a->slot != NIL) {
		a->action = RS_ACT_HIT;
		return;
	}
	a->fill_result = rs_repl_miss(r, key, sequential, &a->fill);
	if (a->fill_result == RS_FILL_ADMIT) {
		a->action = RS_ACT_FILL;
		a->slot = a->fill.slot;
	} else {
		a->action = RS_ACT_MISS;
	}
}
