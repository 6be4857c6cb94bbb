/* md5.c: MD5 per RFC 1321 (little-endian words, 64 rounds in four groups of 16).
 * Invariant: m->fill < 64 between calls; nbytes counts every byte given to update. */
#include "md5.h"
#include "checksum.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Per-round shift amounts and the sine-derived constants T[i] = floor(2^32 * |sin(i + 1)|). */
static const uint8_t S[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                              5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                              4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                              6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
static const uint32_t T[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
    0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
    0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
    0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
    0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
    0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
    0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
    0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
    0xeb86d391};

static uint32_t rotl(uint32_t x, int c) { return (x << c) | (x >> (32 - c)); }

static void transform(uint32_t h[4], const uint8_t blk[64])
{
    uint32_t x[16];
    for (int i = 0; i < 16; i++)
        x[i] = (uint32_t)blk[4 * i] | (uint32_t)blk[4 * i + 1] << 8 |
               (uint32_t)blk[4 * i + 2] << 16 | (uint32_t)blk[4 * i + 3] << 24;
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g;
        if (i < 16) {
            f = (b & c) | (~b & d);
            g = i;
        } else if (i < 32) {
            f = (d & b) | (~d & c);
            g = (5 * i + 1) & 15;
        } else if (i < 48) {
            f = b ^ c ^ d;
            g = (3 * i + 5) & 15;
        } else {
            f = c ^ (b | ~d);
            g = (7 * i) & 15;
        }
        uint32_t tmp = d;
        d = c;
        c = b;
        b = b + rotl(a + f + T[i] + x[g], S[i]);
        a = tmp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
}

void sk_md5_init(sk_md5 *m)
{
    m->h[0] = 0x67452301;
    m->h[1] = 0xefcdab89;
    m->h[2] = 0x98badcfe;
    m->h[3] = 0x10325476;
    m->nbytes = 0;
    m->fill = 0;
}

void sk_md5_update(sk_md5 *m, const void *data, size_t n)
{
    const uint8_t *p = data;
    m->nbytes += n;
    if (m->fill) {
        size_t take = 64 - m->fill < n ? 64 - m->fill : n;
        memcpy(m->block + m->fill, p, take);
        m->fill += take;
        p += take;
        n -= take;
        if (m->fill < 64) return;
        transform(m->h, m->block);
        m->fill = 0;
    }
    while (n >= 64) {
        transform(m->h, p);
        p += 64;
        n -= 64;
    }
    memcpy(m->block, p, n);
    m->fill = n;
}

void sk_md5_final(sk_md5 *m, uint8_t digest[16])
{
    uint64_t bits = m->nbytes * 8;
    uint8_t pad[72] = {0x80};
    size_t padlen = m->fill < 56 ? 56 - m->fill : 120 - m->fill;
    uint8_t len[8];
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (8 * i));
    uint64_t keep = m->nbytes;
    sk_md5_update(m, pad, padlen);
    sk_md5_update(m, len, 8);
    SK_ASSERT(m->fill == 0);
    m->nbytes = keep;
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 4; k++) digest[4 * i + k] = (uint8_t)(m->h[i] >> (8 * k));
}

void sk_md5_hex(const void *data, size_t n, char hex[33])
{
    sk_md5 m;
    uint8_t d[16];
    sk_md5_init(&m);
    sk_md5_update(&m, data, n);
    sk_md5_final(&m, d);
    sk_hex_encode(d, 16, hex);
}

sk_status sk_md5_file(const char *path, char hex[33], sk_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return sk_error_set(err, SK_EIO, "%s: cannot open: %s", path, strerror(errno));
    sk_md5 m;
    sk_md5_init(&m);
    uint8_t buf[1 << 16];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, fp)) > 0) sk_md5_update(&m, buf, got);
    int bad = ferror(fp);
    fclose(fp);
    if (bad) return sk_error_set(err, SK_EIO, "%s: read error", path);
    uint8_t d[16];
    sk_md5_final(&m, d);
    sk_hex_encode(d, 16, hex);
    return SK_OK;
}
