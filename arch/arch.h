/* arch.h: the seven Keras application models as sk_graph builders, and their descriptor table.
 *
 * Each arch/<model>.c reproduces what tf.keras 2.9 `keras.applications.<Model>(include_top=False,
 * weights=None, input_shape=(H,W,3))` builds: layer names, call order, configs, paddings, BN
 * epsilon/momentum, use_bias, activations. The ground truth is shared/reference/keras/<arch>_<size>.json and
 * tests/test_arch.c compares every layer against it.
 *
 * The study's model is base + pooling='avg' (one GlobalAveragePooling2D, named as the Keras
 * application names it: "avg_pool" in ResNet50, DenseNet121 and EfficientNetB2; auto-named
 * "global_average_pooling2d" in VGG16, Xception, MobileNetV2 and NASNetMobile, whose code
 * creates it without a name) + Dense(num_classes, softmax) auto-named "dense".
 *
 * Every per-model fact lives in ONE row of arch/models.def (the descriptor, sk_arch_info below):
 * sizes, the study's freeze levels and best level, input scaling, initialiser scheme, the Keras
 * weight file and its hash, the include_top head, the PyTorch peer. Code outside arch/ asks the
 * descriptor and never compares an architecture name. Adding a model = arch/<id>.c defining
 * sk_build_<id> + one SK_MODEL row (README, "Adding a model").
 *
 * Not here: weights (arch/weights_*.c), execution (core). */
#ifndef SK_ARCH_H
#define SK_ARCH_H

#include "sk_core.h"
#include "sk_base.h"

/* Largest input height/width any builder accepts. */
#define SK_ARCH_MAX_SIZE 4096

/* One Keras application weight file: the name keras.applications caches it under, the URL it
 * downloads, and the file_hash it passes to get_file (hex: 32 digits = MD5, 64 = SHA-256; NULL
 * when Keras publishes none). */
typedef struct {
    const char *file_name;
    const char *url;
    const char *hash;
} sk_weights_source;

typedef struct {
    const char *id;          /* registry id and the name in every record: "resnet50", ... */
    const char *keras_name;  /* Keras model name ("resnet50", "NASNet", "mobilenetv2_1.00") */
    int keras_name_size;     /* 1: Keras appends "_<rows>" to the name (mobilenet_v2.py) */
    /* Builds the base (include_top=False) on `g` from input node `in`; returns the output id. */
    int (*build)(sk_graph *g, int in);
    int default_size;        /* the size Keras would pick with include_top (info only) */
    int min_size;            /* smallest input Keras accepts */
    int study_size;          /* input size of the study: 512, NASNetMobile 224 */
    /* The study (shared/reference/paper/PROTOCOL.md). */
    const int *paper_levels; /* the trainable-layer counts it tested, ascending */
    int npaper_levels;
    int best_level;          /* its peak validation accuracy ("Headline results"; ties: lower) */
    int raw_input;           /* 1: it fed raw 0..255 pixels (EfficientNetB2), 0: x/255 */
    /* Initialisers of a model trained from scratch; NULL = Keras defaults (glorot_uniform). */
    const sk_init_scheme *init;
    const char *pool_name;   /* name of the pooling='avg' layer (the study's head) */
    int concat_axis;         /* the axis of its Concatenate layers; 0 = Keras's default -1 */
    /* include_top=True: the pooling layer's name and the dropout rate before "predictions";
     * top_pool NULL = that top is not built here (VGG16's Flatten + fc1 + fc2). */
    const char *top_pool;
    float top_dropout;
    sk_weights_source notop; /* the official ImageNet include_top=False file */
    const char *weights_script; /* another way to fill the weights cache, or NULL */
    /* The PyTorch peer of `bench speed` (benchmarks/peers): the torchvision model (NULL: none)
     * and the training speed ratio skytune / peer the speed work aims at (issue 17): in every
     * cell, and in full fine-tuning. */
    const char *peer_model;
    double peer_target, peer_target_full;
} sk_arch_info;

int sk_arch_count(void);
const sk_arch_info *sk_arch_get(int i);
/* NULL if unknown. */
const sk_arch_info *sk_arch_find(const char *id);

/* Builds and finalizes `id` at input_size x input_size x 3: the base, plus a
 * GlobalAveragePooling2D if with_pooling, plus Dense(num_classes, softmax) named "dense" if
 * num_classes > 0 (which implies pooling). Every layer trainable. On error (unknown id, size
 * below the model's minimum or too large, bad class count) returns NULL and fills err. The
 * caller frees the graph with sk_graph_free. */
sk_graph *sk_arch_build(const char *id, int input_size, int num_classes, int with_pooling,
                        sk_error *err);
/* The same, finalized with sk_graph_finalize_layout (no parameter/state slabs): for counting
 * layers and parameters and for freeze levels. */
sk_graph *sk_arch_build_layout(const char *id, int input_size, int num_classes, int with_pooling,
                               sk_error *err);

/* Input preprocessing of the study for a model: multiply the 0..255 pixels by this (1 or 1/255),
 * and the name run records give it ("raw_0_255" or "rescale_1_255"). */
float sk_arch_input_scale(const sk_arch_info *a);
const char *sk_arch_input_scaling(const sk_arch_info *a);

/* The freeze facts of a study model (base + pooling + a one-layer head) at its current freeze:
 * tlr = trainable/total layers, tlr_base = trainable/base layers (total - 1), tpr =
 * trainable/total parameters (BN moving statistics in the total). A ratio whose total is zero
 * is 0. Every record, table and `arch levels` row takes them from here. */
typedef struct {
    int trainable_layers, total_layers, base_layers;
    size_t trainable_params, total_params;
    double tlr, tlr_base, tpr;
} sk_freeze_stats;
sk_freeze_stats sk_arch_freeze_stats(const sk_graph *g);

/* ---- helpers shared by the model files (blocks.c) ---- */

/* Formats a layer name into buf (SK_NAME_MAX) and returns buf. */
const char *sk_arch_nm(char *buf, const char *fmt, ...) SK_PRINTF(2, 3);
/* Keras's automatic layer name in a fresh session: `prefix` for the first layer of that class
 * in the graph, then prefix_1, prefix_2, ... ("activation", "add", "conv2d", ...). */
const char *sk_arch_auto(char *buf, const sk_graph *g, const char *prefix);
/* imagenet_utils.correct_pad for channels-last: pads (top, bottom, left, right) of a
 * ZeroPadding2D that makes a following 'valid' stride-2 conv with kernel k behave like 'same'. */
void sk_arch_correct_pad(int pad[4], const sk_node *x, int k);
/* MobileNet's _make_divisible(v, divisor) with min_value = divisor. */
int sk_arch_make_divisible(double v, int divisor);

/* Per-model base builders, one file each (arch/<id>.c): int sk_build_<id>(sk_graph *g, int in)
 * for every row of models.def. */
#define SK_MODEL(name, ...) int sk_build_##name(sk_graph *g, int in);
#include "models.def"
#undef SK_MODEL

#endif
