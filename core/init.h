/* init.h: Keras initialisers drawn from the seeded Philox stream (seed, SK_RNG_INIT, tensor
 * number), so any tensor can be re-drawn alone and adding a layer never shifts another's draws.
 *
 * Fans follow Keras _compute_fans: 2-D (in, out); N-D receptive field = prod(shape[:-2]),
 * fan_in = shape[-2] * rf, fan_out = shape[-1] * rf (a depthwise kernel (kh,kw,c,1) thus has
 * fan_in = kh*kw*c, fan_out = kh*kw). VarianceScaling: n = fan_in | fan_out | (fan_in+fan_out)/2;
 * truncated_normal: stddev = sqrt(scale/n) / 0.87962566103423978, redrawn outside 2 stddev;
 * untruncated_normal: stddev = sqrt(scale/n); uniform: limit = sqrt(3 scale / n).
 * glorot_uniform = (1, fan_avg, uniform); he_normal = (2, fan_in, truncated_normal).
 * The draws are not TensorFlow's (different generator): same distribution, not same numbers. */
#ifndef SK_INIT_H
#define SK_INIT_H

#include <stdint.h>
#include "graph.h"

typedef enum {
    SK_INIT_ZEROS = 0,
    SK_INIT_ONES,
    SK_INIT_GLOROT_UNIFORM,
    SK_INIT_HE_NORMAL,
    SK_INIT_VARIANCE_SCALING,
} sk_init_kind;

typedef enum { SK_FAN_IN = 0, SK_FAN_OUT, SK_FAN_AVG } sk_fan_mode;
typedef enum { SK_DIST_TRUNCATED_NORMAL = 0, SK_DIST_UNTRUNCATED_NORMAL, SK_DIST_UNIFORM } sk_dist;

typedef struct {
    sk_init_kind kind;
    double scale;        /* VarianceScaling only */
    sk_fan_mode mode;
    sk_dist dist;
} sk_initializer;

sk_initializer sk_init_glorot_uniform(void);
sk_initializer sk_init_he_normal(void);
sk_initializer sk_init_variance_scaling(double scale, sk_fan_mode mode, sk_dist dist);

/* Keras fans of a kernel shape. */
void sk_init_fans(const int *shape, int ndim, double *fan_in, double *fan_out);

/* Fills dst (prod(shape) floats) from stream (seed, SK_RNG_INIT, index). */
void sk_init_tensor(float *dst, const int *shape, int ndim, const sk_initializer *init,
                    uint64_t seed, uint64_t index);

/* Kernel initialisers per layer class; biases/beta/moving_mean are zeros, gamma and
 * moving_variance ones; Normalization mean 0, variance 1, count 0 (what Keras's build() sets
 * before adapt() or loaded weights replace them). */
typedef struct {
    sk_initializer conv;      /* Conv2D kernel, Depthwise/Separable kernels */
    sk_initializer dense;     /* Dense kernel */
} sk_init_scheme;

/* Keras defaults: glorot_uniform everywhere. A model whose Keras code names other
 * initialisers carries its scheme in its architecture descriptor (arch/models.def). */
sk_init_scheme sk_init_scheme_default(void);

/* Initialises every variable of g from scratch; tensor number = running index over nodes in
 * creation order and their variables in Keras order (state included). scheme NULL = default. */
void sk_init_graph(sk_graph *g, const sk_init_scheme *scheme, uint64_t seed);
/* Same, only for the nodes with id in [first, last] (e.g. a fresh head on imported weights);
 * tensor numbers are those sk_init_graph would use. */
void sk_init_nodes(sk_graph *g, const sk_init_scheme *scheme, uint64_t seed, int first,
                   int last);

#endif
