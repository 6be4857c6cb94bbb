/* checksum.h: CRC-32 (zlib's polynomial, for format sections), SHA-256 (file identity in
 * manifests and run records), MD5 (only to check the file hashes Keras publishes for its
 * ImageNet weights) and FNV-1a 64 (quick hashes of parameter slabs in tests).
 *
 * SHA-256 and MD5 come from OpenSSL's libcrypto (EVP), a vetted implementation, not our own.
 * A streaming context holds a libcrypto digest context: every init must be followed by its
 * final, which releases it. A libcrypto failure here (out of memory, no default provider) is a
 * broken environment, not bad input, and aborts with a message. MD5 is not a security primitive
 * here: it answers "is this the file Keras meant", nothing more. */
#ifndef SK_CHECKSUM_H
#define SK_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

/* CRC-32 of buf continuing from crc (start with 0). Same values as zlib's crc32(). */
uint32_t sk_crc32(uint32_t crc, const void *buf, size_t n);

typedef struct {
    void *ctx; /* EVP_MD_CTX */
} sk_sha256;

void sk_sha256_init(sk_sha256 *s);
void sk_sha256_update(sk_sha256 *s, const void *data, size_t n);
/* Writes the digest and releases the context. */
void sk_sha256_final(sk_sha256 *s, uint8_t digest[32]);
/* One-shot digest as 64 lowercase hex characters plus NUL. */
void sk_sha256_hex(const void *data, size_t n, char hex[65]);
void sk_hex_encode(const uint8_t *bytes, size_t n, char *hex /* 2n+1 */);
/* SHA-256 of a whole regular file, streamed; hex as above. Never blocks on a FIFO. */
sk_status sk_sha256_file(const char *path, char hex[65], sk_error *err) SK_WUR;

typedef struct {
    void *ctx; /* EVP_MD_CTX */
} sk_md5;

void sk_md5_init(sk_md5 *m);
void sk_md5_update(sk_md5 *m, const void *data, size_t n);
/* Writes the digest and releases the context. */
void sk_md5_final(sk_md5 *m, uint8_t digest[16]);
/* One-shot digest as 32 lowercase hex characters plus NUL. */
void sk_md5_hex(const void *data, size_t n, char hex[33]);
/* MD5 of a whole regular file, streamed; SK_EIO (or SK_ENOTFOUND) naming the path when it
 * cannot be read. */
sk_status sk_md5_file(const char *path, char hex[33], sk_error *err) SK_WUR;

/* FNV-1a 64-bit, continuing from h (start with SK_FNV64_INIT). */
#define SK_FNV64_INIT 0xcbf29ce484222325ull
uint64_t sk_fnv1a64(uint64_t h, const void *data, size_t n);

#endif
