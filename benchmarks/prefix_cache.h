/* prefix_cache.h: the on-disk frozen-prefix cache of sweeps (`--cache DIR`): its folder, its
 * size limit, listing and pruning (`skytune bench cache`).
 *
 * With --cache DIR the runner stores the boundary tensors of each cell's frozen prefix
 * (core/fcache.h, one "<key>.skfc" per data split) in DIR/prefix/ and loads them when another
 * cell has the same data, prefix weights and level (the seeds of an ImageNet suite share them; a
 * killed cell resumes without recomputing them); results are bit-identical either way. The
 * folder holds at most a size limit (--cache-max, default SK_PCACHE_DEFAULT_MAX): after each cell
 * the least recently used entries (oldest modification time; a hit refreshes it) are removed
 * until the rest fits. Only "*.skfc" files are ever listed or removed. */
#ifndef SK_PREFIX_CACHE_H
#define SK_PREFIX_CACHE_H

#include <stdint.h>
#include "sk_base.h"

#define SK_PCACHE_DEFAULT_MAX ((uint64_t)16 << 30)

typedef struct {
    char name[96];     /* "<key>.skfc" */
    uint64_t bytes;
    int64_t mtime;     /* seconds since the epoch: the last use */
} sk_pcache_entry;

/* DIR/prefix for a cache root (malloc'ed). */
char *sk_pcache_dir(const char *cache_root);

/* The entries of dir, most recently used first (*e malloc'ed, *n of them; a missing dir is empty). */
sk_status sk_pcache_list(const char *dir, sk_pcache_entry **e, int *n, uint64_t *total,
                         sk_error *err) SK_WUR;

/* Removes the least recently used entries until the total is at most max_bytes. *removed and
 * *freed (may be NULL) count what went. */
sk_status sk_pcache_prune(const char *dir, uint64_t max_bytes, int *removed, uint64_t *freed,
                          sk_error *err) SK_WUR;

/* "16G", "500M", "64k", "1234" (bytes; binary units K M G T, case-insensitive, optional
 * trailing B or iB) into *out. SK_EINVAL naming what is wrong. */
sk_status sk_parse_size(const char *text, uint64_t *out, sk_error *err) SK_WUR;

#endif
