/* weights_fetch.h: download the official Keras ImageNet "notop" weight file of an architecture
 * into a cache directory and verify the hash Keras publishes for it.
 *
 * The file, URL and hash of each model are its descriptor's `notop` (arch/models.def). Like
 * Keras's get_file(hash_algorithm='auto'), a 64-hex-digit hash is SHA-256 and a 32-digit one
 * MD5. MobileNetV2 has no published hash: its file is accepted unverified and its SHA-256
 * reported.
 *
 * Cache: <dir>/keras/<Keras file name>, where dir is the explicit --cache, else $SKYTUNE_CACHE,
 * else $XDG_CACHE_HOME/skytune, else $HOME/.cache/skytune. A download goes to "<file>.part" and
 * is renamed into place only after the HTTP status and the hash were checked, so the cache never
 * holds a partial or unverified file. A file already cached and verifying is not downloaded. */
#ifndef SK_WEIGHTS_FETCH_H
#define SK_WEIGHTS_FETCH_H

#include "arch.h"
#include "sk_base.h"

/* The notop file of an arch id (its descriptor's), or NULL for an unknown id. */
const sk_weights_source *sk_weights_source_find(const char *arch);

/* The cache root per the rule above, malloc'ed; explicit may be NULL. NULL only when no rule
 * applies (no HOME). */
char *sk_weights_cache_dir(const char *explicit_dir);

/* Checks path against hex (32 digits = MD5, 64 = SHA-256, compared case-insensitively).
 * SK_ECHECKSUM names the file, the algorithm, the expected and the found digest. */
sk_status sk_file_hash_check(const char *path, const char *hex, sk_error *err) SK_WUR;

typedef struct {
    const char *url;     /* download from here instead of the table URL (mirror, file://) */
    long timeout_s;      /* whole-transfer limit; 0 = none (a stall of 60 s still aborts) */
    int quiet;           /* no progress bar */
    int force;           /* download even when a verifying file is cached */
} sk_weights_fetch_opts;

/* Downloads url to dest via dest.part + rename, verifying hex (may be NULL). HTTP status other
 * than 200 -> SK_EHTTP naming the URL and status; no connection -> SK_ENET with a hint. */
sk_status sk_download_verified(const char *url, const char *dest, const char *hex,
                               const sk_weights_fetch_opts *o, sk_error *err) SK_WUR;

/* Ensures the file of src is in cache_dir/keras/ and verified; *out_path (malloc'ed) receives
 * its path and *downloaded whether a transfer happened (either may be NULL). */
sk_status sk_weights_fetch(const sk_weights_source *src, const char *cache_dir,
                           const sk_weights_fetch_opts *o, char **out_path, int *downloaded,
                           sk_error *err) SK_WUR;

#endif
