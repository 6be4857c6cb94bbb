/* rng.h: the one random number generator: Philox4x32-10 (Salmon et al., SC'11), counter based.
 *
 * A stream is keyed by (seed, purpose, index): the key is the 64-bit seed, the counter words are
 * (block, purpose, index lo, index hi). Streams with different (purpose, index) never overlap,
 * and any draw can be recomputed without replaying others: draw k of stream (s, p, i) is a pure
 * function of (s, p, i, k). No global state; the state is the struct. */
#ifndef SK_RNG_H
#define SK_RNG_H

#include <stdint.h>

/* Purposes: every consumer of randomness has its own, so adding draws to one never shifts
 * another. Values are part of the reproducibility contract: never renumber, only append. */
enum {
    SK_RNG_INIT = 1,      /* weight initialisers; index = parameter tensor number */
    SK_RNG_SPLIT = 2,     /* train/validation split */
    SK_RNG_SHUFFLE = 3,   /* per-epoch batch order; index = epoch */
    SK_RNG_DROPOUT = 4,   /* dropout masks; index = (step, node) */
    SK_RNG_AUGMENT = 5,   /* data augmentation */
    SK_RNG_SYNTH = 6,     /* synthetic sky images; index = object number */
    SK_RNG_JITTER = 7,    /* network retry jitter */
    SK_RNG_TEST = 99,     /* tests */
};

typedef struct {
    uint32_t key[2];
    uint32_t ctr[4]; /* ctr[0] = block number within the stream */
    uint32_t buf[4];
    int avail;       /* unread words left in buf (taken from the front) */
} sk_rng;

/* The raw block function: out = Philox4x32-10(ctr, key). */
void sk_philox4x32_10(uint32_t out[4], const uint32_t ctr[4], const uint32_t key[2]);

/* A fresh stream for (seed, purpose, index), positioned at its first draw. */
sk_rng sk_rng_stream(uint64_t seed, uint32_t purpose, uint64_t index);

uint32_t sk_rng_u32(sk_rng *r);
uint64_t sk_rng_u64(sk_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double sk_rng_uniform(sk_rng *r);
/* Uniform in [0, 1) with 24 random bits, exactly representable as float. */
float sk_rng_uniformf(sk_rng *r);
/* Uniform integer in [0, n), unbiased (rejection); n > 0. */
uint32_t sk_rng_below(sk_rng *r, uint32_t n);
/* Standard normal (Box-Muller on two uniforms; deterministic, uses libm log/cos/sqrt). */
double sk_rng_normal(sk_rng *r);
/* Fisher-Yates shuffle of idx[0..n). */
void sk_rng_shuffle_u32(sk_rng *r, uint32_t *idx, uint32_t n);

#endif
