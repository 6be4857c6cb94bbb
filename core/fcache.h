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

#endif
