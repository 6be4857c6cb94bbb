/* reproduce.h: `skytune reproduce`: a suite end to end, in stages, each resumable and marked
 * done on disk, so that a run started again continues from the first unfinished stage.
 *
 * Stages (RESULTS = the output folder; markers RESULTS/stages/<stage>.done, written atomically
 * after the stage's own outputs, each a few "key value" lines saying what the stage made):
 *   catalog  suites with data = sdss: the SkyServer SQL query of the study's 19 columns (TOP
 *            sdss_top, release sdss_release; dataset/query.h) into RESULTS/data/catalog.csv, or
 *            a copy of --catalog FILE after reading it as fetch does.
 *   cutouts  one ImgCutout JPEG per catalog object (cutout_scale arcsec/px, cutout_size px;
 *            dataset/fetch.h) into RESULTS/data/raw/<CLASS>/; fetch's own resume keeps what a
 *            killed run got. More than max_missing objects failed: the stage stays unfinished.
 *   pack     RESULTS/data/raw into RESULTS/data/<suite>.skds at pack_size (else input_size) px,
 *            validation val_fraction, seed split_seed: Keras' loader exactly (dataset/pack.h).
 *   data     synth suites instead: the simulator's data set (sweep.h); file suites: --data.
 *   weights  every model's weights by the suite's policy (weights_get.h); the marker lists for
 *            each model the file and how it was had, or why it starts from the initialisers.
 *   sweep    every cell (sweep.h), or with slurm: the cells as a Slurm job array (slurm.h), the
 *            stage then being done once every cell has DONE (run reproduce again after the array).
 *   report   the report of RESULTS into RESULTS/report (through the caller's callback, so that
 *            benchmarks/ does not depend on report/).
 * A stage whose marker exists is skipped (its outputs are checked to exist). Base URLs:
 * skyserver_url (else $SKYTUNE_SKYSERVER_URL, else https://skyserver.sdss.org) and the weights
 * URL of weights_get.h, so tests point every network stage at 127.0.0.1. */
#ifndef SK_REPRODUCE_H
#define SK_REPRODUCE_H

#include <stdint.h>
#include "sk_base.h"
#include "slurm.h"
#include "suite.h"

typedef sk_status (*sk_repro_report_fn)(void *ctx, const char *results_dir, const char *report_dir,
                                        sk_error *err);

typedef struct {
    const char *out_dir;
    const char *catalog;       /* --catalog FILE: used instead of the SkyServer query */
    const char *data_path;     /* --data FILE.skds: no catalog, cutouts or pack stages */
    const char *skyserver_url; /* NULL: $SKYTUNE_SKYSERVER_URL, else the public service */
    const char *weights_url;   /* weights_get.h url_base */
    const char *cache_dir;     /* sweep.h cache_dir */
    uint64_t cache_max;
    int use_cache;
    int fetch_jobs;            /* 0: 4 */
    long max_missing;          /* cutouts that may fail for the stage to count as done */
    int quiet;
    const char *command;       /* the command line, for provenance */
    /* NULL: run the sweep here; else hand it to Slurm (its suite_path, partition, time, mem,
     * cpus, max_parallel and submit; data, results and cache are filled in from the above) */
    const sk_slurm_launch_opts *slurm;
    sk_repro_report_fn report;
    void *report_ctx;
} sk_repro_opts;

typedef struct {
    int stages_run, stages_skipped;
    int cells_total, cells_failed;
    int waiting_for_slurm;     /* the sweep was handed to Slurm and is not finished */
} sk_repro_summary;

/* Runs the stages in order from the first unfinished one. Returns SK_OK when every stage is
 * done, or when the sweep was handed to Slurm (sum->waiting_for_slurm); an error stops at the
 * failing stage, whose marker is not written. */
sk_status sk_repro_run(const sk_suite *s, const sk_repro_opts *o, sk_repro_summary *sum,
                       sk_error *err) SK_WUR;

/* The stages of suite s in order (NULL-terminated static list). */
const char *const *sk_repro_stage_names(const sk_suite *s, int have_data);

/* 1 when RESULTS/stages/<stage>.done exists. */
int sk_repro_stage_done(const char *out_dir, const char *stage);

#endif
