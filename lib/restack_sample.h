/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * restack_sample.h - spatially hashed sampling (SHARDS, Waldspurger et al.,
 * FAST 2015), shared verbatim by the kernel tracer and the userspace
 * analyzer so that both select exactly the same blocks.
 *
 * Plain C: needs only uint32_t/uint64_t (<linux/types.h> in the kernel,
 * <stdint.h> in userspace) and bool.
 */
#ifndef RESTACK_SAMPLE_H
#define RESTACK_SAMPLE_H

/*
 * restack_hash64 - a 64-bit mixing function (MurmurHash3's finaliser).
 * Every input bit affects every output bit, so block numbers that are
 * close together (sequential I/O) hash to unrelated values.
 */
static inline uint64_t restack_hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/*
 * restack_block_sampled - is @block in the sample?  @bits is the width of
 * the hash space (DM_RESTACK_SAMPLE_BITS); the block is sampled when its
 * hash, reduced to @bits bits, is below @threshold: rate threshold/2^bits.
 */
static inline bool restack_block_sampled(uint64_t block, uint32_t threshold,
					 unsigned int bits)
{
	return (restack_hash64(block) & ((1ULL << bits) - 1)) < threshold;
}

#endif /* RESTACK_SAMPLE_H */
