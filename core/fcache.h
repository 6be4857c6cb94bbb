/* fcache.h: the on-disk frozen-prefix cache: the boundary tensors of every image of a data set,
 * as computed by sk_exec_forward_prefix, stored under a cache directory in a file named by its
 * key, "<key>.skfc". The key is SHA-256 over (data set id, weights of the prefix nodes, freeze
 * level, boundary layout), so a changed data set, weight file or level never hits a stale entry.
 *
 * Files are written atomically (fileio.h) and verified on read (magic, version, header CRC,
 * key, sizes, data CRC-32); a damaged file is reported, never used. Layout: docs/FORMATS.md,
 * "`.skfc` prefix cache". */
#ifndef SK_FCACHE_H
#define SK_FCACHE_H

#include <stddef.h>
#include "exec.h"
#include "sk_common.h"

#define SK_FCACHE_VERSION 1

/* Hex SHA-256 key of (dataset_id, the prefix nodes' variables, level, boundary floats). */
void sk_fcache_key(const sk_exec *ex, const char *dataset_id, int level, char hex[65]);

/* Path of the entry for key under dir (malloc'ed). */
char *sk_fcache_path(const char *dir, const char *key);

/* Loads the entry into dst (nimages * floats_per floats). *found = 0 (and SK_OK) when there is no
 * entry; a present but damaged or mismatched entry is an error naming the field. A hit sets the
 * file's modification time to now, so a file's age is the time since its last use. */
sk_status sk_fcache_load(const char *dir, const char *key, size_t nimages, size_t floats_per,
                         float *dst, int *found, sk_error *err) SK_WUR;
/* Writes the entry atomically (creating dir). */
sk_status sk_fcache_store(const char *dir, const char *key, size_t nimages, size_t floats_per,
                          const float *src, sk_error *err) SK_WUR;

/* ---- streaming, for entries too big to hold in memory ----
 * A writer takes the images in order, a few at a time, and puts the file in place (atomically,
 * its header last) only when all nimages are in; a reader checks the header (and, when asked,
 * the data CRC-32 in one sequential pass) once, then reads any run of images with pread. */
typedef struct {
    sk_atomic_file af;
    char key[65];
    size_t nimages, floats_per, done;
    uint32_t crc;
    uint8_t *chunk;
} sk_fcache_writer;

/* Starts the entry `path` (its folder must exist; stale temporaries of killed writers are
 * removed first). On success the caller must commit or abort. */
sk_status sk_fcache_writer_open(sk_fcache_writer *w, const char *path, const char *key,
                                size_t nimages, size_t floats_per, sk_error *err) SK_WUR;
/* Appends n images (n * floats_per floats). */
sk_status sk_fcache_writer_put(sk_fcache_writer *w, const float *src, size_t n,
                               sk_error *err) SK_WUR;
/* All nimages written: header, fsync, rename. The writer is released either way. */
sk_status sk_fcache_writer_commit(sk_fcache_writer *w, sk_error *err) SK_WUR;
void sk_fcache_writer_abort(sk_fcache_writer *w);

typedef struct {
    int fd;
    char *path;
    size_t nimages, floats_per;
    uint32_t data_crc; /* as stored */
} sk_fcache_reader;

/* Opens the entry at path for (key, nimages, floats_per). *found = 0 (and SK_OK) when there is
 * none; a present but damaged or mismatched entry is an error naming the field. With verify the
 * data CRC-32 is checked now (one sequential read of the file). */
sk_status sk_fcache_open(sk_fcache_reader *r, const char *path, const char *key, size_t nimages,
                         size_t floats_per, int verify, int *found, sk_error *err) SK_WUR;
/* Reads images [first, first + n) into dst (n * floats_per floats). When crc is not NULL it is
 * advanced over the bytes read (sk_crc32), for a caller that reads the whole entry in order. */
sk_status sk_fcache_read(sk_fcache_reader *r, size_t first, size_t n, float *dst, uint32_t *crc,
                         sk_error *err) SK_WUR;
void sk_fcache_close(sk_fcache_reader *r);

#endif
