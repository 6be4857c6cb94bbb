/* arch.h: the seven Keras application models as sk_graph builders, and their registry.
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
 * Not here: weights (arch/weights_*.c), execution (core). */
#ifndef SK_ARCH_H
#define SK_ARCH_H

#include "graph.h"
#include "sk_common.h"

typedef struct {
    const char *id;          /* "resnet50", ... */
    const char *keras_name;  /* "ResNet50", ... (Keras model name: "resnet50", "NASNet", ...) */
    int default_size;        /* the size Keras would pick with include_top (info only) */
    int min_size;            /* smallest input Keras accepts */
    int study_size;          /* input size of the study: 512, NASNetMobile 224 */
    int raw_input;           /* 1: the study fed raw 0..255 pixels (EfficientNetB2), 0: x/255 */
    const int *paper_levels; /* the study's trainable-layer counts (PROTOCOL.md) */
    int npaper_levels;
    /* Builds the base (include_top=False) on `g` from input node `in`; returns the output id. */
    int (*build)(sk_graph *g, int in);
    const char *pool_name;   /* name of the pooling='avg' layer */
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

/* Per-model base builders (one file each). */
int sk_build_resnet50(sk_graph *g, int in);
int sk_build_densenet121(sk_graph *g, int in);
int sk_build_vgg16(sk_graph *g, int in);
int sk_build_xception(sk_graph *g, int in);
int sk_build_efficientnetb2(sk_graph *g, int in);
int sk_build_mobilenetv2(sk_graph *g, int in);
int sk_build_nasnetmobile(sk_graph *g, int in);

#endif
