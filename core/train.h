/* train.h: a small, generic Keras-style training loop over in-memory uint8 images, the piece the
 * benchmark runner builds on: one epoch of model.fit (shuffled batches, last partial batch kept,
 * class weights as sample weights, loss reduced SUM_OVER_BATCH_SIZE) and model.evaluate.
 *
 * Batch order of epoch e is the Fisher-Yates shuffle of stream (seed, SK_RNG_SHUFFLE, e); the
 * dropout step index is the optimizer's iteration count, so a run resumed from a checkpoint
 * replays exactly. Pixels become floats as x = pixel * in_scale + in_offset (1 and 0: the raw
 * 0..255 values Keras application models take, their own preprocessing layers do the rest).
 * With the prefix cache enabled, the frozen prefix runs once per image and steps run only the
 * suffix; results are bit-identical either way (see exec.h). No file formats here. */
#ifndef SK_TRAIN_H
#define SK_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include "exec.h"
#include "metrics.h"
#include "ops.h"
#include "optim.h"

typedef struct {
    const uint8_t *pixels;  /* (n, h, w, c) */
    const int32_t *labels;  /* (n) */
    int n;
    int h, w, c;
} sk_images;

typedef struct {
    int batch_size;             /* Keras default 32 */
    uint64_t seed;
    const float *class_weights; /* (classes) or NULL */
    sk_xent_mode xent;
    int shuffle;                /* Keras default: 1 */
    float in_scale, in_offset;
} sk_train_cfg;

sk_train_cfg sk_train_defaults(void);

typedef struct sk_trainer sk_trainer;

/* A trainer on graph g (finalized and frozen) with optimizer opt (over g->nparams); plans its own
 * executor for cfg->batch_size. Both g and opt must outlive it. */
sk_trainer *sk_trainer_new(sk_graph *g, sk_optim *opt, const sk_train_cfg *cfg);
void sk_trainer_free(sk_trainer *t);
sk_exec *sk_trainer_exec(sk_trainer *t);

/* Computes the frozen-prefix boundary tensors of every image of train and val (val may be NULL)
 * in memory, if the prefix holds a layer with weights and they fit in max_bytes. Returns 1 if
 * the cache is on.
 * When cache_dir and dataset_id are given, entries are loaded from / stored to disk
 * (fcache.h); a damaged entry is recomputed with a warning. */
int sk_trainer_enable_cache(sk_trainer *t, const sk_images *train, const sk_images *val,
                            size_t max_bytes, const char *cache_dir, const char *dataset_id,
                            int level);

/* One epoch (0-based index `epoch`) over train; fills m (initialised by the caller with the
 * class count; reset here) with the running training loss and accuracy, as Keras logs them
 * (metrics of each batch computed in the forward pass before its update). */
void sk_train_epoch(sk_trainer *t, const sk_images *train, int epoch, sk_metrics *m);
/* model.evaluate over d in order, inference mode, same batch size, class weights applied to
 * the loss as Keras does for validation data only when given sample weights: not here (1). */
void sk_evaluate(sk_trainer *t, const sk_images *d, int is_val, sk_metrics *m);

#endif
