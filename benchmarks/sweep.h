/* sweep.h: run a suite's grid of cells (arch x level x seed), resumable.
 *
 * Layout: RESULTS/<arch>/<cell id>/ per cell (runner.h); RESULTS/data/ holds the synthesized
 * data set of synth suites. Cells with DONE are skipped, interrupted cells resume from their
 * last epoch checkpoint, a failing cell writes RESULTS/<arch>/<cell>/FAILED (its error) and the
 * sweep goes on with the others. */
#ifndef SK_SWEEP_H
#define SK_SWEEP_H

#include "runner.h"
#include "suite.h"
#include "weights_get.h"

typedef struct {
    int total, ran, skipped, failed, filtered_out;
    double seconds;
} sk_sweep_summary;

typedef struct {
    const char *data_path;   /* NULL: synthesize (synth suites) or error (file suites) */
    const char *out_dir;
    const char *only;        /* cell filter (suite.h), NULL = all */
    const char *cache_dir;   /* cache root: the weights cache (NULL = the default rule of
                              * weights_fetch.h) and, when given, the on-disk frozen-prefix cache
                              * in DIR/prefix (prefix_cache.h) */
    uint64_t cache_max;      /* that prefix cache's size limit; 0 = SK_PCACHE_DEFAULT_MAX */
    const char *weights_url; /* weights_get.h url_base (NULL: $SKYTUNE_WEIGHTS_URL or the official) */
    int use_cache;
    int weights_ready;       /* 1: sk_sweep_weights already ran (reproduce's weights stage) */
    int quiet;
    const char *command;     /* command line, for provenance */
} sk_sweep_opts;

/* Makes sure the suite's data set exists: the given path, or RESULTS/data/<suite>-synth.skds
 * rendered by the simulator (skipped when present and verifying). *path_out is malloc'ed. */
sk_status sk_sweep_data(const sk_suite *s, const sk_sweep_opts *o, char **path_out,
                        sk_error *err) SK_WUR;
/* Applies each model's weights policy (weights_get.h) for the models with cells matching
 * o->only; got (may be NULL) receives one entry per suite architecture, in suite order (models
 * without a matching cell or with scratch weights: how = "none"). Every model is tried; the
 * first error is returned. */
sk_status sk_sweep_weights(const sk_suite *s, const sk_sweep_opts *o, sk_weights_got *got,
                           sk_error *err) SK_WUR;
/* Runs every matching cell, after sk_sweep_weights unless weights_ready (its error is logged; the cells of a model
 * without its weights then fail, the others run). Returns SK_OK when the sweep itself ran (cells may have failed:
 * see sum->failed); errors are about the sweep (bad data, output directory). */
sk_status sk_sweep_run(const sk_suite *s, const sk_sweep_opts *o, sk_sweep_summary *sum,
                       sk_error *err) SK_WUR;
/* Cell directory of a cell under out_dir (malloc'ed). */
char *sk_sweep_cell_dir(const char *out_dir, const sk_cell *c);

#endif
