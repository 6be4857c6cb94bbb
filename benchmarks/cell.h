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
#include "arch.h"
#include "sk_common.h"
#include "skds.h"
#include "train.h"

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
    char weights_file[2048];
    char weights_sha256[65];  /* of weights_file, "" when none */
} sk_cell_model;

/* Builds the model of spec (see above). An unknown architecture, a bad size, class count or
 * level is SK_EINVAL; missing ImageNet weights SK_ENOTFOUND, except with
 * SK_WEIGHTS_IMAGENET_IF_CACHED, which trains from the initialisers and says so. On error m
 * holds nothing to close. */
sk_status sk_cell_model_open(sk_cell_model *m, const sk_cell_spec *spec, sk_error *err) SK_WUR;
void sk_cell_model_close(sk_cell_model *m);
/* Sets the preprocessing fields of a trainer configuration (in_scale, in_offset). */
void sk_cell_model_preprocess(const sk_cell_model *m, sk_train_cfg *cfg);

/* The images of one split of a data set at size x size (resized when the data set's size
 * differs), with their labels; owns its buffers. Pixels must be uint8 RGB. */
typedef struct {
    sk_images im;
    uint8_t *pixels;
    int32_t *labels;
} sk_cell_split;

sk_status sk_cell_split_load(sk_cell_split *s, const sk_skds *ds, uint32_t split, int size,
                             sk_error *err) SK_WUR;
void sk_cell_split_free(sk_cell_split *s);

#endif
