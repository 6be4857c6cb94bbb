/* weights.h: a set of named weight tensors read from a file (Keras HDF5, TF.js), and its mapping
 * onto a built sk_graph by Keras layer/variable name.
 *
 * A tensor is named "layer/var" as Keras names it ("conv1_conv/kernel", "conv1_bn/moving_mean");
 * layer names may themselves contain '/' (DenseNet's "conv1/conv"). Mapping matches each graph
 * tensor (node name + sk_tensor_info name) to the set, accepting the legacy Keras 2.2 ResNet50
 * layer names (res2a_branch2a, bn_conv1, fc1000, ...) for the current ones; it checks every
 * shape, and names every graph tensor the set lacks ("missing") and every set tensor no graph
 * tensor took ("unused"). BN gamma/beta land in g->params, moving statistics in g->state, as the
 * graph's tensor table says. Mapping validates everything before it copies anything, so on error
 * the graph is untouched.
 *
 * Not here: reading files (weights_h5.h, weights_tfjs.h), downloading (weights_fetch.h). */
#ifndef SK_WEIGHTS_H
#define SK_WEIGHTS_H

#include <stddef.h>
#include "sk_core.h"
#include "sk_base.h"

#define SK_WNAME_MAX 160

typedef struct {
    char layer[SK_WNAME_MAX]; /* Keras layer name as found in the file */
    char alt_layer[SK_WNAME_MAX]; /* HDF5: the layer group it sat in, if different; else "" */
    char var[32];             /* "kernel", "gamma", ... (":0" suffix removed) */
    int ndim;                 /* 0..4 (0 = scalar) */
    int shape[4];
    size_t size;              /* elements */
    float *data;              /* owned, size floats */
} sk_wtensor;

typedef struct {
    sk_wtensor *t;
    int n, cap;
    char source[512];         /* file the set was read from (for messages) */
} sk_wset;

void sk_wset_init(sk_wset *ws, const char *source);
void sk_wset_free(sk_wset *ws);
/* Appends a tensor with zeroed data of the given shape and returns it (owned by ws). */
sk_wtensor *sk_wset_add(sk_wset *ws, const char *layer, const char *var, int ndim,
                        const int *shape);
/* First tensor named layer/var (exact layer or alt_layer match), or NULL. */
const sk_wtensor *sk_wset_find(const sk_wset *ws, const char *layer, const char *var);
/* Splits a Keras weight name ("conv1/conv/kernel:0", "bn_conv1/gamma") at its last '/', drops
 * a ":N" suffix from the variable part. Returns SK_EFORMAT for a name with no '/', an empty part
 * or a part too long. */
sk_status sk_weight_name_split(const char *name, char *layer, size_t lcap, char *var, size_t vcap,
                               sk_error *err) SK_WUR;

/* Maps a legacy Keras 2.2 ResNet50 layer name to the current tf.keras name:
 * conv1 -> conv1_conv, bn_conv1 -> conv1_bn, fc1000 -> predictions,
 * res<S><b>_branch<X> -> conv<S>_block<n>_<k>_conv, bn<S><b>_branch<X> -> conv<S>_block<n>_<k>_bn
 * with the block letter a,b,c,... -> 1,2,3,... and branch 1 -> 0, 2a -> 1, 2b -> 2, 2c -> 3.
 * Writes the new name into out and returns 1; returns 0 (out untouched) for any other name. */
int sk_weights_legacy_resnet_name(const char *legacy, char *out, size_t cap);

typedef struct {
    int allow_missing; /* graph tensors absent from the set keep their values (else SK_ENOTFOUND) */
    int allow_unused;  /* set tensors no graph tensor takes are ignored (else SK_EINVAL) */
} sk_wapply_opts;

typedef struct {
    int loaded;        /* graph tensors filled from the set */
    int renamed;       /* of those, matched through a legacy name */
    int nmissing, nunused;
    char **missing;    /* "layer/var" of graph tensors not in the set (malloc'ed) */
    char **unused;     /* "layer/var" of set tensors not used (malloc'ed), as named in the file */
    size_t floats;     /* floats copied */
} sk_wreport;

void sk_wreport_free(sk_wreport *r);

/* Fills the finalized graph g from ws. Every graph tensor found in ws must have exactly the graph's
 * shape (SK_EFORMAT naming the tensor, expected and found shapes). Missing and unused tensors are
 * listed in rep (if not NULL) and are errors unless allowed by opts (NULL = nothing allowed); the
 * error message names them (the first few, then a count). On error nothing is copied. */
sk_status sk_weights_apply(sk_graph *g, const sk_wset *ws, const sk_wapply_opts *opts,
                           sk_wreport *rep, sk_error *err) SK_WUR;

/* Reads a weight file by its kind: a directory or a *.json path is a TF.js layers model, anything
 * else is opened as Keras HDF5. */
sk_status sk_weights_read(const char *path, sk_wset *ws, sk_error *err) SK_WUR;

/* Builds and finalizes `arch` at size x size x 3 with the 1000-class ImageNet top Keras builds for
 * include_top=True (global average pooling named as Keras names it, EfficientNet's top_dropout,
 * Dense(1000, softmax) "predictions"), for importing and checking full ImageNet weights
 * (weights_top.c). NULL with err set for an unknown arch, a bad size, or VGG16 (whose Flatten +
 * fc1 + fc2 top is not built here). */
sk_graph *sk_weights_build_imagenet(const char *arch, int size, sk_error *err);

#endif
