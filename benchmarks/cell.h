/* cell.h: a cell's model and data as every user of a cell loads them: the runner trains it, and
 * predict / evaluate load a finished one through the same calls, so the three never differ in
 * graph, freeze, initialisers, weights or preprocessing.
 *
 * The model: the architecture's study graph (base + pooling + Dense(num_classes, softmax)) at
 * its input size, frozen at its level (the last N Keras layers trainable), every variable drawn
 * from the descriptor's initialisers with the seed, then the ImageNet weights (from a file, or
 * looked up in the weights cache) over the base. The preprocessing: images resized to the
 * input size as Keras's loader does (bilinear), pixels scaled as the study fed the model (the
 * descriptor's input scaling). Nothing here trains. */
#ifndef SK_CELL_H
#define SK_CELL_H

#include <stdint.h>
#include "sk_arch.h"
#include "sk_core.h"
#include "sk_base.h"
#include "sk_records.h"
#include "sk_dataset.h"

typedef struct {
    const char *arch;         /* registry id */
    int input_size;           /* 0: the study's size for the arch */
    int num_classes;
    int level;                /* trainable layers, head included; SK_LEVEL_ALL = every layer */
    uint64_t seed;            /* the initialisers' stream */
    int weights;              /* sk_weights_kind */
    const char *weights_file; /* explicit .skck/.h5/TF.js model.json; NULL or "" = cache lookup */
    const char *cache_dir;    /* the weights cache; NULL or "" = the default (weights_fetch.h) */
    const char *label;        /* names the cell in messages */
} sk_cell_spec;

typedef struct {
    const sk_arch_info *arch;
    int input_size, num_classes;
    int level;                /* resolved: 1..total layers */
    sk_graph *graph;          /* finalized, frozen, initialised, weights loaded */
    float in_scale, in_offset; /* pixel = raw * in_scale + in_offset */
    char cache_dir[1024];     /* the weights cache used */
    char weights_kind[16];    /* "imagenet" (a file was loaded) or "scratch" */
    /* where the weights came from: "keras-h5" (the official Keras file in the cache), "tfjs" (a
     * TF.js model in the cache, e.g. ResNet50's npm route), "file" (spec->weights_file),
     * "initialisers" (imagenet-if-available found none), "scratch" (asked for) */
    char weights_source[16];
    char weights_file[2048];
    char weights_sha256[65];  /* of weights_file, "" when none */
} sk_cell_model;

/* Builds the model of spec (see above). An unknown architecture, a bad size, class count or
 * level is SK_EINVAL; missing ImageNet weights SK_ENOTFOUND, except with
 * SK_WEIGHTS_IMAGENET_IF_AVAILABLE, which trains from the initialisers and says so (the cell
 * only reads the cache; weights_get.h fills it before a sweep). On error m
 * holds nothing to close. */
sk_status sk_cell_model_open(sk_cell_model *m, const sk_cell_spec *spec, sk_error *err) SK_WUR;
void sk_cell_model_close(sk_cell_model *m);
/* Sets the preprocessing fields of a trainer configuration (in_scale, in_offset). */
void sk_cell_model_preprocess(const sk_cell_model *m, sk_train_cfg *cfg);

/* The images of one split of a data set at size x size (resized when the data set's size
 * differs), with their labels; owns its buffers. Pixels must be uint8 RGB. split is SK_SPLIT_*
 * or SK_CELL_SPLIT_ALL for every record. */
#define SK_CELL_SPLIT_ALL UINT32_MAX
typedef struct {
    sk_images im;
    uint8_t *pixels;
    int32_t *labels;
    uint64_t *index;  /* (im.n) the record index of each image in the data set */
} sk_cell_split;

sk_status sk_cell_split_load(sk_cell_split *s, const sk_skds *ds, uint32_t split, int size,
                             sk_error *err) SK_WUR;
void sk_cell_split_free(sk_cell_split *s);

/* One image file (JPEG or PNG, any size) as the cell's training saw its images: decoded and
 * resized as `dataset pack` does (pack.h) to the training data's size (data_size; 0 = the input
 * size) and rounded to uint8, then, when that differs from the input size, resized as the runner
 * resizes a data set (sk_cell_split_load). out holds size * size * 3 bytes. */
sk_status sk_cell_image_load(uint8_t *out, const char *path, int size, int data_size, sk_error *err) SK_WUR;

/* Inference over d (uint8 at the model's input size) in batches of `batch` (<= the executor's
 * max batch), exactly as model.evaluate runs it: pixels scaled by in_scale/in_offset, inference
 * mode. probs (d->n, k) receives the softmax outputs (may be NULL). m (may be NULL; initialised
 * with k and reset here) receives loss and metrics as sk_evaluate computes them, which needs
 * labels. bar (may be NULL) is advanced per batch. The bits do not depend on the thread count
 * (det GEMM) nor on batch (each row is computed alone); the loss sums per batch, so it is
 * model.evaluate's value at that batch size. */
void sk_cell_infer(sk_exec *ex, float in_scale, float in_offset, const sk_images *d, int batch,
                   sk_xent_mode xent, float *probs, sk_metrics *m, sk_progress *bar);

/* ---- a trained cell: what predict, evaluate and weights export load ---- */

/* What a cell's checkpoints say about the run besides the tensors (key/value metadata the
 * runner writes into ckpt/last.skck and ckpt/best.skck): so an unfinished cell, which has no
 * run.json yet, can still be loaded with its class names. Keys: "class.<i>" (checkpoint.h),
 * "epochs", "batch", "loss" (keras_logits | clipped), "data_size", "data_sha256". */
typedef struct {
    int num_classes;          /* 0: the checkpoint has no class names (an older runner) */
    char class_names[SK_RECORD_MAX_CLASSES][64];
    int epochs, batch;        /* 0: unknown */
    int xent_clipped;
    int data_size;            /* image size of the training data; 0: unknown */
    char data_sha256[65];
} sk_cell_meta;

/* Adds m's keys to ck (values copied). */
void sk_cell_meta_put(sk_ckpt *ck, const sk_cell_meta *m);
/* Reads them back; absent or malformed values stay 0 / "". */
void sk_cell_meta_get(const sk_ckpt *ck, sk_cell_meta *m);

/* Which checkpoint of a cell: the state after its last epoch (the final model, ckpt/last.skck)
 * or the weights of its best validation epoch (ckpt/best.skck). */
typedef enum { SK_CELL_CKPT_LAST = 0, SK_CELL_CKPT_BEST = 1 } sk_cell_ckpt;

typedef struct {
    const char *cell_dir;   /* a cell directory (run.json, ckpt/, DONE); or NULL and: */
    const char *arch;       /*   the architecture (NULL: the checkpoint's own) */
    const char *weights;    /*   a .skck checkpoint of a model with its Dense head */
    sk_cell_ckpt which;
    int allow_unfinished;   /* accept a cell without DONE (its last epoch checkpoint) */
    const char *label;      /* names the command in messages ("predict") */
} sk_trained_opts;

typedef struct {
    sk_cell_model model;    /* the graph with the trained weights, and its preprocessing */
    int num_classes;
    char class_names[SK_RECORD_MAX_CLASSES][64];
    int batch;              /* the cell's batch size: evaluation batches as training did */
    sk_xent_mode xent;      /* the cell's loss */
    int level;              /* trainable layers the cell was trained at (SK_LEVEL_ALL unknown) */
    uint64_t seed;
    char ckpt_path[2048];   /* the checkpoint loaded */
    const char *which;      /* "last", "best" or "file" */
    int epoch;              /* epochs completed at that checkpoint */
    int epochs;             /* epochs the run asked for; 0 unknown */
    int finished;           /* DONE was there */
    int data_size;          /* image size of the training data; 0 unknown */
    char data_sha256[65];   /* SHA-256 of the training data; "" unknown */
} sk_trained;

/* Loads a trained cell. A cell directory without DONE is an SK_EINVAL error saying which
 * checkpoint it has and how far it got, unless allow_unfinished (then a warning says which
 * checkpoint is used); a cell without the requested checkpoint is SK_ENOTFOUND naming it. Every
 * tensor of the model must be in the checkpoint with its shape, and the checkpoint must agree
 * with run.json (architecture, input size, classes). On error t holds nothing to close. */
sk_status sk_trained_open(sk_trained *t, const sk_trained_opts *o, sk_error *err) SK_WUR;
void sk_trained_close(sk_trained *t);

/* Checks that a data set can be fed to the trained cell: uint8, 3 channels, images at the
 * model's input size or at the size of the cell's training data (resized as training did),
 * and, when want_classes, the same class names in the same order. Errors name the file, the
 * field, what the cell expects and what the file has. */
sk_status sk_trained_check_data(const sk_trained *t, const sk_skds *ds, const char *path,
                                int want_classes, sk_error *err) SK_WUR;

#endif
