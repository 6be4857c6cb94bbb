/* runner.h: one cell of a sweep: train (arch, freeze level, seed) on a .skds data set with the
 * study's protocol, checkpoint every epoch, resume a killed cell, and write its result records.
 *
 * The protocol defaults are the study's (PROTOCOL.md); every value is a field here and every
 * resolved value is written into run.json. A cell directory holds run.json, metrics.jsonl,
 * ckpt/last.skck (the state after the last finished epoch) and finally DONE. A cell whose DONE
 * exists is not run again; a cell with a checkpoint resumes from it and ends bit-identical to an
 * uninterrupted run (same binary, thread count and data). A NaN or Inf in the loss or the
 * weights stops the cell with an error and keeps the last good checkpoint. */
#ifndef SK_RUNNER_H
#define SK_RUNNER_H

#include <stdint.h>
#include "sk_base.h"
#include "suite.h"

typedef enum { SK_CW_NONE = 0, SK_CW_TRAIN = 1 } sk_class_weight_mode;

#define SK_CACHE_MEM_DEFAULT ((uint64_t)8 << 30)

typedef struct {
    char arch[32];
    int level;                /* trainable layers (head included); SK_LEVEL_ALL = full */
    uint64_t seed;
    int input_size;           /* 0: the study's size for the arch (512; NASNetMobile 224) */
    char data_path[1024];
    char out_dir[1024];
    int weights;              /* sk_weights_kind */
    char weights_file[1024];  /* explicit .skck/.h5/TF.js model.json; "" = cache lookup */
    char cache_dir[1024];     /* frozen-prefix cache and weights cache; "" = default */
    int epochs, batch;
    double lr;
    char optimizer[16];
    double rlr_factor, rlr_min_delta, rlr_min_lr;
    int rlr_patience, rlr_cooldown;
    int es_patience;          /* 0 = no EarlyStopping */
    int class_weights;        /* sk_class_weight_mode */
    int use_cache;            /* frozen-prefix cache when exact */
    size_t cache_max_bytes;   /* in memory: $SKYTUNE_CACHE_MEM, else SK_CACHE_MEM_DEFAULT */
    char prefix_cache_dir[1024]; /* on disk (prefix_cache.h); "" = none */
    uint64_t prefix_cache_max;   /* its size limit */
    int spill_disk;           /* boundaries over cache_max_bytes not kept in prefix_cache_dir are
                               * streamed from a file in out_dir, removed when the cell ends */
    int xent_clipped;         /* 0: tf.keras fit semantics (logits), 1: clipped probabilities */
    char suite[64];
    char cell[96];
    int quiet;
    int force;                /* re-run even if DONE exists */
} sk_cell_cfg;

/* The study's protocol for `arch` (may be "" to fill only the protocol fields). */
void sk_cell_cfg_defaults(sk_cell_cfg *c);
/* Fills protocol fields of c from a suite and a grid cell (paths are set by the caller). */
void sk_cell_cfg_from_suite(sk_cell_cfg *c, const sk_suite *s, const sk_cell *cell);

typedef enum { SK_CELL_RAN = 0, SK_CELL_SKIPPED_DONE = 1 } sk_cell_outcome;

/* Trains the cell; *outcome says whether it ran or was already done. */
sk_status sk_run_cell(const sk_cell_cfg *c, sk_cell_outcome *outcome, sk_error *err) SK_WUR;

#endif
