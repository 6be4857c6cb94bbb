/* fcache.c: frozen-prefix cache files (see fcache.h). Data is written in chunks and read with
 * pread, converting to little-endian field by field, so a multi-GB entry never needs a second
 * copy in memory. */
#include "fcache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/time.h>
#include <unistd.h>

#include "sk_base.h"
#include "graph.h"

static const uint8_t MAGIC[8] = {'S', 'K', 'F', 'C', '\r', '\n', 0x1a, '\n'};
#define HEADER_SIZE 112u
#define CHUNK 65536

void sk_fcache_key(const sk_exec *ex, const char *dataset_id, int level, char hex[65])
{
    const sk_graph *g = sk_exec_graph(ex);
    sk_sha256 s;
    sk_sha256_init(&s);
    sk_sha256_update(&s, "skfc1", 5);
    sk_sha256_update(&s, dataset_id, strlen(dataset_id) + 1);
    uint8_t b[8];
    sk_le_store64(b, (uint64_t)(int64_t)level);
    sk_sha256_update(&s, b, 8);
    sk_le_store64(b, (uint64_t)sk_exec_boundary_floats(ex));
    sk_sha256_update(&s, b, 8);
    for (int i = 0; i < g->n; i++) {
        if (!sk_exec_in_prefix(ex, i)) continue;
        const sk_node *nd = &g->nodes[i];
        sk_sha256_update(&s, nd->name, strlen(nd->name) + 1);
        for (int k = 0; k < nd->ntensors; k++) {
            const sk_tensor_info *t = &nd->tensors[k];
            const float *v = (t->is_state ? g->state : g->params) + t->offset;
            for (size_t j = 0; j < t->size; j++) {
                uint32_t u;
                memcpy(&u, &v[j], 4);
                sk_le_store32(b, u);
                sk_sha256_update(&s, b, 4);
            }
        }
    }
    uint8_t d[32];
    sk_sha256_final(&s, d);
    sk_hex_encode(d, 32, hex);
}

char *sk_fcache_path(const char *dir, const char *key)
{
    char name[80];
    sk_snprintf(name, sizeof name, "%s.skfc", key);
    return sk_path_join(dir, name);
}

static void header(uint8_t h[HEADER_SIZE], const char *key, size_t nimages, size_t floats_per,
                   uint32_t data_crc)
{
    memset(h, 0, HEADER_SIZE);
    memcpy(h, MAGIC, 8);
    sk_le_store32(h + 8, SK_FCACHE_VERSION);
    sk_le_store32(h + 12, HEADER_SIZE);
    memcpy(h + 16, key, 64);
    sk_le_store64(h + 80, nimages);
    sk_le_store64(h + 88, floats_per);
    sk_le_store64(h + 96, (uint64_t)HEADER_SIZE + (uint64_t)nimages * floats_per * 4);
    sk_le_store32(h + 104, data_crc);
    sk_le_store32(h + 108, sk_crc32(0, h, 108));
}

sk_status sk_fcache_writer_open(sk_fcache_writer *w, const char *path, const char *key,
                                size_t nimages, size_t floats_per, sk_error *err)
{
    SK_ASSERT(strlen(key) == 64);
    memset(w, 0, sizeof *w);
    sk_tmp_clean_stale_for(path);
    sk_status st = sk_atomic_open(&w->af, path, err);
    if (st) return st;
    uint8_t h[HEADER_SIZE];
    memset(h, 0, sizeof h); /* filled in by commit */
    st = sk_atomic_write(&w->af, h, HEADER_SIZE, err);
    if (st) {
        sk_atomic_abort(&w->af);
        return st;
    }
    memcpy(w->key, key, 65);
    w->nimages = nimages;
    w->floats_per = floats_per;
    w->chunk = sk_xmalloc((size_t)CHUNK * 4);
    return SK_OK;
}

sk_status sk_fcache_writer_put(sk_fcache_writer *w, const float *src, size_t n, sk_error *err)
{
    SK_ASSERT(w->done + n <= w->nimages);
    size_t total = n * w->floats_per;
    for (size_t i = 0; i < total; i += CHUNK) {
        size_t m = total - i < CHUNK ? total - i : CHUNK;
        for (size_t j = 0; j < m; j++) {
            uint32_t u;
            memcpy(&u, &src[i + j], 4);
            sk_le_store32(w->chunk + 4 * j, u);
        }
        w->crc = sk_crc32(w->crc, w->chunk, m * 4);
        sk_status st = sk_atomic_write(&w->af, w->chunk, m * 4, err);
        if (st) return st;
    }
    w->done += n;
    return SK_OK;
}

void sk_fcache_writer_abort(sk_fcache_writer *w)
{
    if (w->af.fp) sk_atomic_abort(&w->af);
    free(w->chunk);
    w->chunk = NULL;
}

sk_status sk_fcache_writer_commit(sk_fcache_writer *w, sk_error *err)
{
    SK_ASSERT(w->done == w->nimages);
    uint8_t h[HEADER_SIZE];
    header(h, w->key, w->nimages, w->floats_per, w->crc);
    sk_status st = sk_atomic_seek(&w->af, 0, err);
    if (!st) st = sk_atomic_write(&w->af, h, HEADER_SIZE, err);
    if (!st) st = sk_atomic_commit(&w->af, err);
    else sk_atomic_abort(&w->af);
    free(w->chunk);
    w->chunk = NULL;
    return st;
}

sk_status sk_fcache_store(const char *dir, const char *key, size_t nimages, size_t floats_per,
                          const float *src, sk_error *err)
{
    sk_status st = sk_mkdir_p(dir, err);
    if (st) return st;
    char *path = sk_fcache_path(dir, key);
    sk_fcache_writer w;
    st = sk_fcache_writer_open(&w, path, key, nimages, floats_per, err);
    free(path);
    if (st) return st;
    st = sk_fcache_writer_put(&w, src, nimages, err);
    if (st) {
        sk_fcache_writer_abort(&w);
        return st;
    }
    return sk_fcache_writer_commit(&w, err);
}

/* pread of exactly n bytes at off, or an error naming the path. */
static sk_status pread_all(const sk_fcache_reader *r, uint8_t *dst, size_t n, uint64_t off,
                           sk_error *err)
{
    while (n > 0) {
        ssize_t got = pread(r->fd, dst, n, (off_t)off);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0)
            return sk_error_set(err, SK_EIO, "%s: read of %zu bytes at byte %llu failed: %s",
                                r->path, n, (unsigned long long)off,
                                got < 0 ? strerror(errno) : "unexpected end of file");
        dst += got, n -= (size_t)got, off += (uint64_t)got;
    }
    return SK_OK;
}

void sk_fcache_close(sk_fcache_reader *r)
{
    if (r->fd >= 0) close(r->fd);
    r->fd = -1;
    free(r->path);
    r->path = NULL;
}

/* The header fields against what the caller expects (h: HEADER_SIZE bytes; size: the file's). */
static sk_status check_header(const uint8_t *h, uint64_t size, const char *path, const char *key,
                              size_t nimages, size_t floats_per, sk_error *err)
{
    if (size < HEADER_SIZE)
        return sk_error_set(err, SK_EFORMAT, "%s: expected at least %u bytes (header), found %llu",
                            path, HEADER_SIZE, (unsigned long long)size);
    if (memcmp(h, MAGIC, 8) != 0)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'magic': expected \"SKFC\\r\\n\\x1a\\n\", "
                            "found another file type", path);
    if (sk_le_load32(h + 8) != SK_FCACHE_VERSION)
        return sk_error_set(err, SK_EVERSION, "%s: field 'version': expected %d, found %u", path,
                            SK_FCACHE_VERSION, sk_le_load32(h + 8));
    if (sk_le_load32(h + 108) != sk_crc32(0, h, 108))
        return sk_error_set(err, SK_ECHECKSUM, "%s: header CRC-32: expected %08x (stored), "
                            "computed %08x", path, sk_le_load32(h + 108), sk_crc32(0, h, 108));
    if (memcmp(h + 16, key, 64) != 0)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'key': expected %s, found %.64s", path,
                            key, (const char *)h + 16);
    uint64_t want = (uint64_t)HEADER_SIZE + (uint64_t)nimages * floats_per * 4;
    if (sk_le_load64(h + 80) != nimages || sk_le_load64(h + 88) != floats_per ||
        sk_le_load64(h + 96) != size || size != want)
        return sk_error_set(err, SK_EFORMAT, "%s: fields 'images, floats_per_image, file_size': "
                            "expected %zu, %zu, %llu; found %llu, %llu, %llu (file is %llu bytes)",
                            path, nimages, floats_per, (unsigned long long)want,
                            (unsigned long long)sk_le_load64(h + 80),
                            (unsigned long long)sk_le_load64(h + 88),
                            (unsigned long long)sk_le_load64(h + 96), (unsigned long long)size);
    return SK_OK;
}

static sk_status verify_data(sk_fcache_reader *r, sk_error *err)
{
    uint8_t *buf = sk_xmalloc((size_t)CHUNK * 4);
    uint64_t left = (uint64_t)r->nimages * r->floats_per * 4, off = HEADER_SIZE;
    uint32_t crc = 0;
    sk_status st = SK_OK;
    while (left > 0 && !st) {
        size_t m = left < (uint64_t)CHUNK * 4 ? (size_t)left : (size_t)CHUNK * 4;
        st = pread_all(r, buf, m, off, err);
        if (!st) crc = sk_crc32(crc, buf, m);
        left -= m, off += m;
    }
    free(buf);
    if (!st && crc != r->data_crc)
        st = sk_error_set(err, SK_ECHECKSUM, "%s: data CRC-32: expected %08x (stored), computed "
                          "%08x (file damaged)", r->path, r->data_crc, crc);
    return st;
}

sk_status sk_fcache_open(sk_fcache_reader *r, const char *path, const char *key, size_t nimages,
                         size_t floats_per, int verify, int *found, sk_error *err)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    *found = 0;
    if (!sk_path_exists(path)) return SK_OK; /* a FIFO or a folder is an error below */
    uint64_t size = 0;
    uint8_t h[HEADER_SIZE];
    sk_status st = sk_open_regular(path, &r->fd, &size, err);
    if (st) return st;
    r->path = sk_xstrdup(path);
    r->nimages = nimages;
    r->floats_per = floats_per;
    st = pread_all(r, h, size < HEADER_SIZE ? (size_t)size : HEADER_SIZE, 0, err);
    if (!st) st = check_header(h, size, path, key, nimages, floats_per, err);
    if (!st) r->data_crc = sk_le_load32(h + 104);
    if (!st && verify) st = verify_data(r, err);
    if (st) {
        sk_fcache_close(r);
        return st;
    }
    *found = 1;
    utimes(path, NULL); /* its age is its last use: the cache's size limit drops the oldest first */
    return SK_OK;
}

sk_status sk_fcache_read(sk_fcache_reader *r, size_t first, size_t n, float *dst, uint32_t *crc,
                         sk_error *err)
{
    SK_ASSERT(r->fd >= 0 && first + n <= r->nimages);
    size_t bytes = n * r->floats_per * 4;
    uint8_t *b = (uint8_t *)dst;
    sk_status st = pread_all(r, b, bytes, HEADER_SIZE + (uint64_t)first * r->floats_per * 4, err);
    if (st) return st;
    if (crc) *crc = sk_crc32(*crc, b, bytes);
    for (size_t i = 0; i < n * r->floats_per; i++) { /* little-endian bytes to floats, in place */
        uint32_t u = sk_le_load32(b + 4 * i);
        memcpy(&dst[i], &u, 4);
    }
    return SK_OK;
}

sk_status sk_fcache_load(const char *dir, const char *key, size_t nimages, size_t floats_per,
                         float *dst, int *found, sk_error *err)
{
    char *path = sk_fcache_path(dir, key);
    sk_fcache_reader r;
    sk_status st = sk_fcache_open(&r, path, key, nimages, floats_per, 0, found, err);
    free(path);
    if (st || !*found) return st;
    uint32_t crc = 0;
    st = sk_fcache_read(&r, 0, nimages, dst, &crc, err);
    if (!st && crc != r.data_crc)
        st = sk_error_set(err, SK_ECHECKSUM, "%s: data CRC-32: expected %08x (stored), computed "
                          "%08x (file damaged)", r.path, r.data_crc, crc);
    if (st) *found = 0;
    sk_fcache_close(&r);
    return st;
}
