/* graph.h: a network as Keras sees it: one node per Keras layer, with its Keras name, class,
 * config, index in Keras `model.layers`, and inbound edges.
 *
 * Nodes are appended by the builder functions in a topological (creation) order, which is the
 * execution order. The Keras index is NOT creation order: sk_graph_finalize() computes it with
 * Keras's own rule (functional.py _map_graph_network: depth from the outputs, layers sorted by
 * decreasing depth, ties broken by the order a depth-first walk from the outputs first meets
 * them), so freeze levels ("the last N layers of model.layers are trainable") mean exactly what
 * they meant in Keras.
 *
 * Parameters live in one slab (trainable variables: kernels, biases, BN gamma/beta), the
 * non-trainable state (BN moving mean/variance, Normalization mean/variance/count) in another.
 * Each node records where its tensors sit, in Keras variable order and with Keras variable names
 * ("kernel", "bias", "depthwise_kernel", "pointwise_kernel", "gamma", "beta", "moving_mean",
 * "moving_variance", "mean", "variance", "count").
 *
 * Builder misuse (shape mismatch, unknown input id) is a programming error: SK_ASSERT. */
#ifndef SK_GRAPH_H
#define SK_GRAPH_H

#include <stddef.h>
#include <stdint.h>
#include "ops.h"
#include "sk_common.h"

typedef enum {
    SK_OP_INPUT = 0,
    SK_OP_CONV2D,
    SK_OP_DEPTHWISE_CONV2D,
    SK_OP_SEPARABLE_CONV2D,
    SK_OP_DENSE,
    SK_OP_BATCHNORM,
    SK_OP_RELU,
    SK_OP_ACTIVATION,
    SK_OP_ADD,
    SK_OP_CONCATENATE,
    SK_OP_MULTIPLY,
    SK_OP_RESHAPE,
    SK_OP_ZEROPADDING2D,
    SK_OP_CROPPING2D,
    SK_OP_MAXPOOL2D,
    SK_OP_AVGPOOL2D,
    SK_OP_GAP2D,
    SK_OP_RESCALING,
    SK_OP_NORMALIZATION,
    SK_OP_DROPOUT,
    SK_OP_COUNT
} sk_op;
/* Everything else about an op (forward, backward, Keras class, what backward reads, buffers,
 * FLOPs) is its row in sk_op_rows (core/exec_ops.c); the row test walks every op. */
_Static_assert(SK_OP_COUNT == 20, "adding an op: add its row to sk_op_rows in core/exec_ops.c");

/* Keras class name of an op ("Conv2D", "BatchNormalization", "InputLayer", ...). */
const char *sk_op_keras_class(sk_op op);

/* Builder flags, named so that a call reads as the Keras layer does. */
typedef enum { SK_PAD_VALID = 0, SK_PAD_SAME = 1 } sk_padding; /* Keras padding= */
typedef enum { SK_NO_BIAS = 0, SK_BIAS = 1 } sk_bias;           /* Keras use_bias= */
typedef enum { SK_GAP_FLAT = 0, SK_GAP_KEEPDIMS = 1 } sk_gap_dims; /* keepdims= */
/* Dropout noise_shape: None (one draw per element) or (N,1,1,1) (one draw per sample). */
typedef enum { SK_DROPOUT_ELEMENTS = 0, SK_DROPOUT_SAMPLES = 1 } sk_dropout_noise;

/* Layer configuration; each op reads only its own fields (documented per builder below). */
typedef struct {
    int filters;          /* Conv2D, SeparableConv2D: filters; Dense: units */
    int kh, kw;           /* kernel or pool size */
    int sh, sw;           /* strides */
    int same;             /* padding: SK_PAD_SAME (1) or SK_PAD_VALID (0) */
    int use_bias;         /* SK_BIAS (1) or SK_NO_BIAS (0) */
    sk_act act;           /* fused activation (Conv2D, Dense, Activation) */
    float relu_max;       /* ReLU max_value; 0 = none */
    float eps, momentum;  /* BatchNormalization */
    int pad[4];           /* ZeroPadding2D / Cropping2D: top, bottom, left, right */
    int keepdims;         /* GlobalAveragePooling2D: SK_GAP_KEEPDIMS (1) or SK_GAP_FLAT (0) */
    int target[3];        /* Reshape target (H,W,C) */
    float scale, offset;  /* Rescaling */
    float rate;           /* Dropout */
    int per_sample;       /* Dropout noise_shape: SK_DROPOUT_SAMPLES (1) or SK_DROPOUT_ELEMENTS */
} sk_layer_cfg;

#define SK_NODE_MAX_INPUTS 8
#define SK_NODE_MAX_TENSORS 4
#define SK_NAME_MAX 64

/* Variable slots: the index of each Keras variable in sk_node.tensors, fixed per op by its
 * builder (Keras variable order), so the executor finds a variable without a name lookup. An
 * optional bias is the last slot, absent when its slot >= ntensors. */
enum { SK_VAR_KERNEL = 0, SK_VAR_BIAS = 1 };       /* Conv2D, Dense */
enum { SK_VAR_DW_KERNEL = 0, SK_VAR_DW_BIAS = 1 }; /* DepthwiseConv2D */
enum { SK_VAR_SEP_DEPTHWISE = 0, SK_VAR_SEP_POINTWISE = 1, SK_VAR_SEP_BIAS = 2 }; /* Separable */
enum { SK_VAR_GAMMA = 0, SK_VAR_BETA, SK_VAR_MOVING_MEAN, SK_VAR_MOVING_VARIANCE }; /* BN */
enum { SK_VAR_NORM_MEAN = 0, SK_VAR_NORM_VARIANCE, SK_VAR_NORM_COUNT }; /* Normalization */

typedef struct {
    char name[24];        /* Keras variable name: "kernel", "gamma", "moving_mean", ... */
    int ndim;
    int shape[4];
    size_t size;          /* elements */
    size_t offset;        /* into g->params (trainable) or g->state (non-trainable) */
    int is_state;         /* 1: lives in the state slab (non-trainable in Keras) */
} sk_tensor_info;

typedef struct {
    char name[SK_NAME_MAX];
    sk_op op;
    sk_layer_cfg cfg;
    int keras_index;      /* position in Keras model.layers (set by finalize) */
    int depth;            /* Keras node depth (0 = output layer) */
    int ninputs;
    int inputs[SK_NODE_MAX_INPUTS]; /* node ids, in Keras call order */
    int rank;             /* Keras output rank with batch: 4 (N,H,W,C) or 2 (N,C) */
    int h, w, c;          /* per-sample output shape; rank 2: h = w = 1 */
    int ntensors;
    sk_tensor_info tensors[SK_NODE_MAX_TENSORS];
    size_t trainable_params;     /* Keras count if the layer were trainable */
    size_t non_trainable_params; /* always non-trainable (BN moving statistics, ...) */
    int trainable;        /* set by sk_graph_freeze */
    int needs_grad;       /* gradient must flow through/into this node (propagated) */
    int stochastic;       /* Dropout: random in training mode */
} sk_node;

typedef struct {
    char name[SK_NAME_MAX];
    sk_node *nodes;       /* creation (execution) order; node id = position */
    int n, cap;
    int *by_keras;        /* by_keras[k] = node id of Keras layer k (after finalize) */
    int output;           /* node id of the model output (last node added unless set) */
    int finalized;
    size_t nparams;       /* floats in the trainable-variable slab */
    size_t nstate;        /* floats in the state slab */
    float *params;        /* owned, 64-byte aligned */
    float *state;
} sk_graph;

sk_graph *sk_graph_new(const char *name);
void sk_graph_free(sk_graph *g);
const sk_node *sk_graph_node(const sk_graph *g, int id);
/* Node id by Keras layer name, or -1. */
int sk_graph_find(const sk_graph *g, const char *name);
size_t sk_node_numel(const sk_node *nd); /* h*w*c per sample */
/* Multiply-adds of one node's forward per sample, from its op row: Conv2D, DepthwiseConv2D,
 * SeparableConv2D and Dense; 0 for the memory-bound ops. FLOPs are twice this. */
double sk_node_macs(const sk_graph *g, const sk_node *nd);

/* ---- builders: each returns the new node id ---- */
int sk_g_input(sk_graph *g, const char *name, int h, int w, int c);
int sk_g_conv2d(sk_graph *g, const char *name, int in, int filters, int kh, int kw, int sh, int sw,
                sk_padding pad, sk_bias bias, sk_act act);
int sk_g_dwconv2d(sk_graph *g, const char *name, int in, int kh, int kw, int sh, int sw,
                  sk_padding pad, sk_bias bias);
int sk_g_sepconv2d(sk_graph *g, const char *name, int in, int filters, int kh, int kw, int sh,
                   int sw, sk_padding pad, sk_bias bias);
int sk_g_dense(sk_graph *g, const char *name, int in, int units, sk_bias bias, sk_act act);
int sk_g_bn(sk_graph *g, const char *name, int in, float eps, float momentum);
int sk_g_relu(sk_graph *g, const char *name, int in, float max_value);
int sk_g_act(sk_graph *g, const char *name, int in, sk_act act);
int sk_g_add(sk_graph *g, const char *name, int nin, const int *ins);
int sk_g_concat(sk_graph *g, const char *name, int nin, const int *ins);
int sk_g_multiply(sk_graph *g, const char *name, int a, int b);
int sk_g_reshape(sk_graph *g, const char *name, int in, int h, int w, int c);
int sk_g_zeropad(sk_graph *g, const char *name, int in, int t, int b, int l, int r);
int sk_g_crop(sk_graph *g, const char *name, int in, int t, int b, int l, int r);
int sk_g_maxpool(sk_graph *g, const char *name, int in, int ph, int pw, int sh, int sw,
                 sk_padding pad);
int sk_g_avgpool(sk_graph *g, const char *name, int in, int ph, int pw, int sh, int sw,
                 sk_padding pad);
int sk_g_gap(sk_graph *g, const char *name, int in, sk_gap_dims dims);
int sk_g_rescaling(sk_graph *g, const char *name, int in, float scale, float offset);
int sk_g_normalization(sk_graph *g, const char *name, int in);
int sk_g_dropout(sk_graph *g, const char *name, int in, float rate, sk_dropout_noise noise);

/* Computes Keras indices and depths, lays out and allocates the slabs (zero-filled; BN
 * moving_variance and gamma set to 1 as Keras initialises them). Call once, after the last
 * builder call. */
void sk_graph_finalize(sk_graph *g);
/* The same without the slabs: Keras indices, depths, tensor offsets, nparams and nstate are set,
 * params and state stay NULL. For inspecting a model (layer and parameter counts, freeze levels)
 * without allocating its weights. */
void sk_graph_finalize_layout(sk_graph *g);

/* ---- freezing (Keras semantics) ----
 * The last `n_trainable` layers of the Keras list are trainable, the rest frozen (the InputLayer
 * counts as a layer, as in Keras). n_trainable >= g->n means everything. Propagates needs_grad:
 * a node needs a gradient if it is trainable with tensors, or if any node upstream of it does...
 * precisely: needs_grad(node) = (trainable && has trainable tensors) || any input needs_grad. */
void sk_graph_freeze(sk_graph *g, int n_trainable);
/* Counts under the current freeze: layers and parameters as Keras reports them
 * (trainable params = trainable tensors of trainable layers; total = all incl. state). */
int sk_graph_trainable_layers(const sk_graph *g);
size_t sk_graph_trainable_params(const sk_graph *g);
size_t sk_graph_total_params(const sk_graph *g);

#endif
