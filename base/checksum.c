/* checksum.c: CRC-32 through zlib, SHA-256 and MD5 through OpenSSL's EVP interface, FNV-1a 64. */
#include "checksum.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "fileio.h"

uint32_t sk_crc32(uint32_t crc, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n > 0) { /* zlib takes uInt lengths */
        uInt chunk = n > 0x40000000u ? 0x40000000u : (uInt)n;
        crc = (uint32_t)crc32(crc, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return crc;
}

/* ---- EVP digests: one streaming context type shared by SHA-256 and MD5 ---- */

static void *digest_init(const EVP_MD *md)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    SK_ASSERT_MSG(c && EVP_DigestInit_ex(c, md, NULL) == 1,
                  "libcrypto could not start a digest (out of memory or no default provider)");
    return c;
}

static void digest_update(void *ctx, const void *data, size_t n)
{
    SK_ASSERT(ctx);
    if (n) SK_ASSERT_MSG(EVP_DigestUpdate(ctx, data, n) == 1, "libcrypto digest update failed");
}

static void digest_final(void **ctx, uint8_t *out, unsigned want)
{
    SK_ASSERT(*ctx);
    unsigned len = 0;
    SK_ASSERT_MSG(EVP_DigestFinal_ex(*ctx, out, &len) == 1 && len == want,
                  "libcrypto digest final failed");
    EVP_MD_CTX_free(*ctx);
    *ctx = NULL;
}

/* Streams a regular file through an initialised context (released on every path). */
static sk_status digest_file(void **ctx, const char *path, uint8_t *out, unsigned want, sk_error *err)
{
    int fd;
    sk_status s = sk_open_regular(path, &fd, NULL, err);
    uint8_t buf[1 << 16];
    for (;;) {
        if (s) break;
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) s = sk_error_set(err, SK_EIO, "%s: read error: %s", path, strerror(errno));
        if (r <= 0) break;
        digest_update(*ctx, buf, (size_t)r);
    }
    if (fd >= 0) close(fd);
    digest_final(ctx, out, want);
    return s;
}

void sk_sha256_init(sk_sha256 *s) { s->ctx = digest_init(EVP_sha256()); }
void sk_sha256_update(sk_sha256 *s, const void *data, size_t n) { digest_update(s->ctx, data, n); }
void sk_sha256_final(sk_sha256 *s, uint8_t digest[32]) { digest_final(&s->ctx, digest, 32); }

void sk_md5_init(sk_md5 *m) { m->ctx = digest_init(EVP_md5()); }
void sk_md5_update(sk_md5 *m, const void *data, size_t n) { digest_update(m->ctx, data, n); }
void sk_md5_final(sk_md5 *m, uint8_t digest[16]) { digest_final(&m->ctx, digest, 16); }

void sk_hex_encode(const uint8_t *bytes, size_t n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[bytes[i] >> 4];
        hex[2 * i + 1] = digits[bytes[i] & 15];
    }
    hex[2 * n] = '\0';
}

/* One-shot digest of data as lowercase hex (len digest bytes). */
static void oneshot_hex(const EVP_MD *md, const void *data, size_t n, char *hex, unsigned len)
{
    uint8_t d[EVP_MAX_MD_SIZE];
    void *c = digest_init(md);
    digest_update(c, data, n);
    digest_final(&c, d, len);
    sk_hex_encode(d, len, hex);
}

/* Digest of a whole regular file as lowercase hex. */
static sk_status file_hex(const EVP_MD *md, const char *path, char *hex, unsigned len, sk_error *err)
{
    uint8_t d[EVP_MAX_MD_SIZE];
    void *c = digest_init(md);
    sk_status st = digest_file(&c, path, d, len, err);
    if (!st) sk_hex_encode(d, len, hex);
    return st;
}

void sk_sha256_hex(const void *data, size_t n, char hex[65]) { oneshot_hex(EVP_sha256(), data, n, hex, 32); }
void sk_md5_hex(const void *data, size_t n, char hex[33]) { oneshot_hex(EVP_md5(), data, n, hex, 16); }

sk_status sk_sha256_file(const char *path, char hex[65], sk_error *err)
{
    return file_hex(EVP_sha256(), path, hex, 32, err);
}

sk_status sk_md5_file(const char *path, char hex[33], sk_error *err)
{
    return file_hex(EVP_md5(), path, hex, 16, err);
}

uint64_t sk_fnv1a64(uint64_t h, const void *data, size_t n)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
