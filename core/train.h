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

/* Where the frozen-prefix boundary tensors live (sk_trainer_enable_cache). */
typedef struct {
    size_t max_bytes;       /* in memory, for train + val together */
    const char *dir;        /* persistent cache folder (fcache.h), or NULL */
    uint64_t dir_max;       /* its size limit: an entry larger than this is not kept there */
    const char *dataset_id; /* with dir (and spill_dir): names the data in the key */
    int level;
    const char *spill_dir;  /* boundaries too big for memory and not kept in dir are streamed
                             * from a file here, removed by sk_trainer_free; NULL: never */
} sk_cache_opts;

enum { SK_CACHE_OFF = 0, SK_CACHE_MEMORY = 1, SK_CACHE_DISK = 2 };

/* Computes the frozen-prefix boundary tensors of every image of train and val (val may be NULL)
 * once, if the prefix holds a layer with weights. They are held in memory when they fit in
 * o->max_bytes (loaded from / stored to o->dir when given); otherwise, with o->dir (an entry
 * within o->dir_max) or o->spill_dir, they are written to an .skfc file batch by batch and
 * every step reads its images' boundaries from it (pread; the page cache keeps what fits), so
 * a boundary of any size is computed once. A damaged or unreadable file is recomputed with a
 * warning; too little free disk space leaves the cache off, said in the log. Returns
 * SK_CACHE_OFF, SK_CACHE_MEMORY or SK_CACHE_DISK. Results are bit-identical in every mode. */
int sk_trainer_enable_cache(sk_trainer *t, const sk_images *train, const sk_images *val,
                            const sk_cache_opts *o);

/* One epoch (0-based index `epoch`) over train; fills m (initialised by the caller with the
 * class count; reset here) with the running training loss and accuracy, as Keras logs them
 * (metrics of each batch computed in the forward pass before its update). */
void sk_train_epoch(sk_trainer *t, const sk_images *train, int epoch, sk_metrics *m);
/* model.evaluate over d in order, inference mode, same batch size, class weights applied to
 * the loss as Keras does for validation data only when given sample weights: not here (1). */
void sk_evaluate(sk_trainer *t, const sk_images *d, int is_val, sk_metrics *m);

#endif
