/* mt19937.c: MT19937 and NumPy's legacy bounded integers and shuffle (see mt19937.h).
 * The tempering and recurrence constants are those of the reference implementation. */
#include "mt19937.h"

#define MT_N 624
#define MT_M 397
#define MATRIX_A 0x9908b0dfu
#define UPPER_MASK 0x80000000u
#define LOWER_MASK 0x7fffffffu

void sk_mt19937_seed(sk_mt19937 *m, uint32_t seed)
{
    m->mt[0] = seed;
    for (int i = 1; i < MT_N; i++)
        m->mt[i] = 1812433253u * (m->mt[i - 1] ^ (m->mt[i - 1] >> 30)) + (uint32_t)i;
    m->mti = MT_N;
}

static void regenerate(sk_mt19937 *m)
{
    uint32_t *mt = m->mt;
    int k = 0;
    for (; k < MT_N - MT_M; k++) {
        uint32_t y = (mt[k] & UPPER_MASK) | (mt[k + 1] & LOWER_MASK);
        mt[k] = mt[k + MT_M] ^ (y >> 1) ^ ((y & 1u) ? MATRIX_A : 0u);
    }
    for (; k < MT_N - 1; k++) {
        uint32_t y = (mt[k] & UPPER_MASK) | (mt[k + 1] & LOWER_MASK);
        mt[k] = mt[k + (MT_M - MT_N)] ^ (y >> 1) ^ ((y & 1u) ? MATRIX_A : 0u);
    }
    uint32_t y = (mt[MT_N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
    mt[MT_N - 1] = mt[MT_M - 1] ^ (y >> 1) ^ ((y & 1u) ? MATRIX_A : 0u);
    m->mti = 0;
}

uint32_t sk_mt19937_next(sk_mt19937 *m)
{
    if (m->mti >= MT_N) regenerate(m);
    uint32_t y = m->mt[m->mti++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

uint64_t sk_mt19937_interval(sk_mt19937 *m, uint64_t max)
{
    if (max == 0) return 0;
    uint64_t mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    uint64_t v;
    if (max <= 0xffffffffu) {
        while ((v = (sk_mt19937_next(m) & mask)) > max) {}
    } else {
        do {
            uint64_t hi = sk_mt19937_next(m);
            v = ((hi << 32) | sk_mt19937_next(m)) & mask;
        } while (v > max);
    }
    return v;
}

void sk_numpy_shuffle_state(sk_mt19937 *m, uint64_t *perm, size_t n)
{
    for (size_t i = n; i-- > 1;) {
        size_t j = (size_t)sk_mt19937_interval(m, i);
        uint64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

void sk_numpy_shuffle_u64(uint64_t *perm, size_t n, uint32_t seed)
{
    sk_mt19937 m;
    sk_mt19937_seed(&m, seed);
    sk_numpy_shuffle_state(&m, perm, n);
}
