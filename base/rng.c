/* rng.c: Philox4x32-10 and the draws built on it. */
#include "rng.h"
#include "error.h"

#include <math.h>

static inline void mulhilo(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo)
{
    uint64_t p = (uint64_t)a * (uint64_t)b;
    *hi = (uint32_t)(p >> 32);
    *lo = (uint32_t)p;
}

void sk_philox4x32_10(uint32_t out[4], const uint32_t ctr[4], const uint32_t key[2])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        uint32_t hi0, lo0, hi1, lo1;
        mulhilo(0xD2511F53u, c0, &hi0, &lo0);
        mulhilo(0xCD9E8D57u, c2, &hi1, &lo1);
        uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

sk_rng sk_rng_stream(uint64_t seed, uint32_t purpose, uint64_t index)
{
    sk_rng r;
    r.key[0] = (uint32_t)seed;
    r.key[1] = (uint32_t)(seed >> 32);
    r.ctr[0] = 0;
    r.ctr[1] = purpose;
    r.ctr[2] = (uint32_t)index;
    r.ctr[3] = (uint32_t)(index >> 32);
    r.avail = 0;
    for (int i = 0; i < 4; i++) r.buf[i] = 0;
    return r;
}

uint32_t sk_rng_u32(sk_rng *r)
{
    if (r->avail == 0) {
        sk_philox4x32_10(r->buf, r->ctr, r->key);
        r->ctr[0]++;
        /* 2^32 blocks (64 GiB of draws) per stream: wrapping would repeat, so refuse. */
        SK_ASSERT_MSG(r->ctr[0] != 0, "rng stream exhausted");
        r->avail = 4;
    }
    return r->buf[4 - r->avail--];
}

uint64_t sk_rng_u64(sk_rng *r)
{
    uint64_t hi = sk_rng_u32(r);
    uint64_t lo = sk_rng_u32(r);
    return (hi << 32) | lo;
}

double sk_rng_uniform(sk_rng *r)
{
    return (double)(sk_rng_u64(r) >> 11) * 0x1.0p-53;
}

float sk_rng_uniformf(sk_rng *r)
{
    return (float)(sk_rng_u32(r) >> 8) * 0x1.0p-24f;
}

uint32_t sk_rng_below(sk_rng *r, uint32_t n)
{
    SK_ASSERT(n > 0);
    uint32_t limit = (uint32_t)(-n) % n; /* 2^32 mod n: reject the short tail */
    for (;;) {
        uint32_t x = sk_rng_u32(r);
        if (x >= limit) return x % n;
    }
}

double sk_rng_normal(sk_rng *r)
{
    double u1 = sk_rng_uniform(r);
    double u2 = sk_rng_uniform(r);
    if (u1 <= 0.0) u1 = 0x1.0p-53;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2);
}

void sk_rng_shuffle_u32(sk_rng *r, uint32_t *idx, uint32_t n)
{
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = sk_rng_below(r, i);
        uint32_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
