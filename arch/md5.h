/* md5.h: MD5 (RFC 1321), needed only to verify the file hashes Keras publishes for its ImageNet
 * weight files (get_file(file_hash=...) uses MD5 for most of them).
 *
 * Not a security primitive: MD5 here answers "is this the file Keras meant", nothing more. The
 * streaming context is plain data; no allocation. */
#ifndef SK_MD5_H
#define SK_MD5_H

#include <stddef.h>
#include <stdint.h>
#include "sk_common.h"

typedef struct {
    uint32_t h[4];
    uint64_t nbytes;
    uint8_t block[64];
    size_t fill;
} sk_md5;

void sk_md5_init(sk_md5 *m);
void sk_md5_update(sk_md5 *m, const void *data, size_t n);
void sk_md5_final(sk_md5 *m, uint8_t digest[16]);
/* One-shot digest as 32 lowercase hex characters plus NUL. */
void sk_md5_hex(const void *data, size_t n, char hex[33]);
/* MD5 of a whole file, streamed; SK_EIO naming the path when it cannot be read. */
sk_status sk_md5_file(const char *path, char hex[33], sk_error *err) SK_WUR;

#endif
