/* speed.h: the speed benchmark behind `skytune bench speed`.
 *
 * A cell is (architecture, input size, batch, freeze level). For a cell it measures, on random
 * images and the seeded Keras initialisers (speed does not depend on the values):
 *  - the training step (gather + forward + loss + backward + Adam, as sk_train_epoch runs it),
 *  - inference (forward in inference mode, the whole batch at once),
 *  - with a frozen prefix: the step on cached boundary tensors, and the cost of filling the cache,
 * each as the median of `repeats` timed runs after `warmup` untimed ones, with min, max and a
 * `contended` flag when the spread (max - min) / median exceeds 0.25 (the host is shared).
 * FLOPs are counted from the graph: 2 * multiply-adds of Conv2D, DepthwiseConv2D,
 * SeparableConv2D and Dense (other layers are memory-bound and counted as 0, the usual
 * convention); backward counts the input gradient of nodes whose inputs need one and the weight
 * gradient of trainable nodes, i.e. exactly the work the executor does.
 * A per-op-class breakdown of forward and backward time comes from the executor's profiler.
 * Memory: the planned arena, the parameter/gradient/optimizer slabs, and the process's peak
 * resident set during the cell (VmHWM after resetting it through /proc/self/clear_refs).
 *
 * GEMM rates: sk_sgemm GFLOP/s for each compiled-in backend at 2048^3 and at convolution-shaped
 * sizes, so every figure reads as a fraction of the machine's GEMM rate measured in the same run.
 * Not here: the grid, the tables and the peer (PyTorch) comparison (speed_bench.h, speed_out.h). */
#ifndef SK_SPEED_H
#define SK_SPEED_H

#include <stddef.h>
#include "sk_core.h"
#include "sk_base.h"

typedef enum {
    SK_OPC_CONV,      /* Conv2D (incl. 1x1) */
    SK_OPC_DEPTHWISE, /* DepthwiseConv2D */
    SK_OPC_SEPARABLE, /* SeparableConv2D (depthwise + pointwise) */
    SK_OPC_DENSE,
    SK_OPC_BN,
    SK_OPC_ACT,       /* ReLU, Activation */
    SK_OPC_ELTWISE,   /* Add, Multiply, Concatenate */
    SK_OPC_POOL,      /* MaxPool, AvgPool, GlobalAveragePooling */
    SK_OPC_OTHER,     /* Input, Rescaling, Normalization, padding, cropping, reshape, dropout */
    SK_OPC_COUNT
} sk_opclass;

const char *sk_opclass_name(sk_opclass c);

typedef struct {
    int reps;
    double median, min, max; /* seconds */
} sk_timing;

/* spread = (max - min) / median */
double sk_timing_spread(const sk_timing *t);

typedef struct {
    /* in */
    char arch[32];
    int size, batch;
    char level[32];        /* "head", "best", "full" or a layer count */
    /* facts */
    int trainable_layers, total_layers;
    size_t trainable_params, total_params;
    double fwd_flops, bwd_flops; /* per image, training step at this level */
    double infer_flops;          /* per image */
    /* timings (seconds per batch) */
    sk_timing train, infer, cached;
    int has_cached;              /* the level has a frozen prefix with weights */
    double cache_fill_sec;       /* computing the boundary of `batch` images */
    /* per step, mean over the timed training steps */
    double fwd_sec[SK_OPC_COUNT], bwd_sec[SK_OPC_COUNT];
    double step_other_sec;       /* data, loss, gradient zeroing, optimizer */
    /* memory (bytes) */
    size_t arena_bytes, slab_bytes, peak_rss_bytes;
    int contended;
    char error[256];             /* non-empty: the cell failed, numbers are not valid */
} sk_speed_cell;

typedef struct {
    int repeats, warmup;
    int infer;   /* measure inference */
    int cached;  /* measure the cached step where the level has a prefix */
    uint64_t seed;
} sk_speed_opts;

/* Trainable layers for a level name ("head", "best" = the study's best level from the
 * architecture's descriptor, "full" or a number) of arch; 0 if bad. */
int sk_speed_level_layers(const char *arch, const char *level, int total_layers);

/* Runs one cell (c->arch, size, batch, level filled by the caller); fills the rest. An
 * unknown architecture or level is SK_EINVAL; a failure while running is recorded in c->error. */
sk_status sk_speed_run_cell(sk_speed_cell *c, const sk_speed_opts *o, sk_error *err) SK_WUR;

/* Forward, backward and inference FLOPs per image of g under its current freeze (the counting
 * rule above). */
void sk_speed_flops(const sk_graph *g, double *fwd, double *bwd, double *infer);

/* What a timed cell runs on: `batch` random uint8 images of size x size (stream (seed,
 * SK_RNG_TEST, 0)) with labels i % 3, Adam with Keras defaults over g (finalized, frozen and
 * initialised by the caller, who keeps it), a trainer of that batch with input scale in_scale. */
typedef struct {
    uint8_t *pixels;
    int32_t *labels;
    sk_images d;
    sk_optim *opt;
    sk_trainer *t;
} sk_speed_fixture;
void sk_speed_fixture_open(sk_speed_fixture *f, sk_graph *g, int size, int batch, uint64_t seed, float in_scale);
/* Frees everything but the graph. */
void sk_speed_fixture_close(sk_speed_fixture *f);

/* Graph facts of a cell without running it (FLOPs, layers, params, planned memory). */
sk_status sk_speed_plan_cell(sk_speed_cell *c, sk_error *err) SK_WUR;

typedef struct {
    char backend[16];
    char shape[40];  /* e.g. "2048^3", "conv3x3 fwd" */
    int ta, tb, m, n, k;
    sk_timing t;
    double gflops;   /* 2mnk / median */
} sk_gemm_rate;

/* Measures sk_sgemm for every compiled-in backend at the standard shapes for `batch` (the
 * current backend is restored). Returns the count written to out (at most max). */
int sk_speed_gemm_rates(sk_gemm_rate *out, int max, int repeats, int quick);

#endif
