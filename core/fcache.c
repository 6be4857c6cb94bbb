/* fcache.c: frozen-prefix cache files (see fcache.h). Streams the data in chunks, converting to
 * little-endian field by field, so a multi-GB entry never needs a second copy in memory. */
#include "fcache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

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

sk_status sk_fcache_store(const char *dir, const char *key, size_t nimages, size_t floats_per,
                          const float *src, sk_error *err)
{
    SK_ASSERT(strlen(key) == 64);
    sk_status st = sk_mkdir_p(dir, err);
    if (st) return st;
    size_t total = nimages * floats_per;
    uint8_t *chunk = sk_xmalloc((size_t)CHUNK * 4);
    uint32_t crc = 0;
    for (size_t i = 0; i < total; i += CHUNK) {
        size_t m = total - i < CHUNK ? total - i : CHUNK;
        for (size_t j = 0; j < m; j++) {
            uint32_t u;
            memcpy(&u, &src[i + j], 4);
            sk_le_store32(chunk + 4 * j, u);
        }
        crc = sk_crc32(crc, chunk, m * 4);
    }
    uint8_t h[HEADER_SIZE];
    header(h, key, nimages, floats_per, crc);
    char *path = sk_fcache_path(dir, key);
    sk_atomic_file af;
    st = sk_atomic_open(&af, path, err);
    if (!st) st = sk_atomic_write(&af, h, HEADER_SIZE, err);
    for (size_t i = 0; i < total && !st; i += CHUNK) {
        size_t m = total - i < CHUNK ? total - i : CHUNK;
        for (size_t j = 0; j < m; j++) {
            uint32_t u;
            memcpy(&u, &src[i + j], 4);
            sk_le_store32(chunk + 4 * j, u);
        }
        st = sk_atomic_write(&af, chunk, m * 4, err);
    }
    if (!st) st = sk_atomic_commit(&af, err);
    else sk_atomic_abort(&af);
    free(chunk);
    free(path);
    return st;
}

sk_status sk_fcache_load(const char *dir, const char *key, size_t nimages, size_t floats_per,
                         float *dst, int *found, sk_error *err)
{
    *found = 0;
    char *path = sk_fcache_path(dir, key);
    if (!sk_path_exists(path)) { /* a FIFO or a folder here is an error below, not "no cache" */
        free(path);
        return SK_OK;
    }
    uint8_t *data = NULL;
    size_t n = 0;
    sk_status st = sk_read_file(path, &data, &n, (size_t)1 << 40, err);
    if (st) goto done;
    if (n < HEADER_SIZE) {
        st = sk_error_set(err, SK_EFORMAT, "%s: expected at least %u bytes (header), found %zu",
                          path, HEADER_SIZE, n);
        goto done;
    }
    if (memcmp(data, MAGIC, 8) != 0) {
        st = sk_error_set(err, SK_EFORMAT, "%s: field 'magic': expected \"SKFC\\r\\n\\x1a\\n\", "
                          "found another file type", path);
        goto done;
    }
    if (sk_le_load32(data + 8) != SK_FCACHE_VERSION) {
        st = sk_error_set(err, SK_EVERSION, "%s: field 'version': expected %d, found %u", path,
                          SK_FCACHE_VERSION, sk_le_load32(data + 8));
        goto done;
    }
    if (sk_le_load32(data + 108) != sk_crc32(0, data, 108)) {
        st = sk_error_set(err, SK_ECHECKSUM, "%s: header CRC-32: expected %08x (stored), "
                          "computed %08x", path, sk_le_load32(data + 108), sk_crc32(0, data, 108));
        goto done;
    }
    if (memcmp(data + 16, key, 64) != 0) {
        st = sk_error_set(err, SK_EFORMAT, "%s: field 'key': expected %s, found %.64s", path, key,
                          (const char *)data + 16);
        goto done;
    }
    if (sk_le_load64(data + 80) != nimages || sk_le_load64(data + 88) != floats_per ||
        sk_le_load64(data + 96) != n) {
        st = sk_error_set(err, SK_EFORMAT, "%s: fields 'images, floats_per_image, file_size': "
                          "expected %zu, %zu, %llu; found %llu, %llu, %zu", path, nimages,
                          floats_per, (unsigned long long)(HEADER_SIZE + nimages * floats_per * 4),
                          (unsigned long long)sk_le_load64(data + 80),
                          (unsigned long long)sk_le_load64(data + 88), n);
        goto done;
    }
    uint32_t crc = sk_crc32(0, data + HEADER_SIZE, n - HEADER_SIZE);
    if (crc != sk_le_load32(data + 104)) {
        st = sk_error_set(err, SK_ECHECKSUM, "%s: data CRC-32: expected %08x (stored), computed "
                          "%08x (file damaged)", path, sk_le_load32(data + 104), crc);
        goto done;
    }
    for (size_t i = 0; i < nimages * floats_per; i++) {
        uint32_t u = sk_le_load32(data + HEADER_SIZE + 4 * i);
        memcpy(&dst[i], &u, 4);
    }
    *found = 1;
    utimes(path, NULL); /* its age is its last use: the cache's size limit drops the oldest first */
done:
    free(data);
    free(path);
    return st;
}
