/* checksum.h: CRC-32 (zlib's polynomial, for format sections), SHA-256 (file identity in
 * manifests and run records) and FNV-1a 64 (quick hashes of parameter slabs in tests). */
#ifndef SK_CHECKSUM_H
#define SK_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>
#include "sk_common.h"

/* CRC-32 of buf continuing from crc (start with 0). Same values as zlib's crc32(). */
uint32_t sk_crc32(uint32_t crc, const void *buf, size_t n);

typedef struct {
    uint32_t h[8];
    uint64_t nbytes;
    uint8_t block[64];
    size_t fill;
} sk_sha256;

void sk_sha256_init(sk_sha256 *s);
void sk_sha256_update(sk_sha256 *s, const void *data, size_t n);
void sk_sha256_final(sk_sha256 *s, uint8_t digest[32]);
/* One-shot digest as 64 lowercase hex characters plus NUL. */
void sk_sha256_hex(const void *data, size_t n, char hex[65]);
void sk_hex_encode(const uint8_t *bytes, size_t n, char *hex /* 2n+1 */);
/* SHA-256 of a whole file, streamed; hex as above. */
sk_status sk_sha256_file(const char *path, char hex[65], sk_error *err) SK_WUR;

/* FNV-1a 64-bit, continuing from h (start with SK_FNV64_INIT). */
#define SK_FNV64_INIT 0xcbf29ce484222325ull
uint64_t sk_fnv1a64(uint64_t h, const void *data, size_t n);

#endif
