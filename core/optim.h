/* optim.h: Keras optimizers (tf.keras 2.x OptimizerV2 formulas and defaults) on flat slabs.
 *
 * Moments live in slabs with the layout of g->params; a step touches only the given trainable
 * ranges, so frozen parameters never move (no decay, no momentum). Formulas follow the kernels
 * TensorFlow runs on CPU, in float32:
 *   Adam (ResourceApplyAdam): t = iterations + 1, lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t),
 *     m += (g - m) * (1 - b1); v += (g*g - v) * (1 - b2); p -= lr_t * m / (sqrt(v) + eps).
 *   SGD (ResourceApplyKerasMomentum): no momentum: p -= lr * g; momentum:
 *     a = a * mom - lr * g; p += a; Nesterov: p += a * mom - lr * g.
 *   RMSprop (rmsprop.py, momentum 0): r = rho * r + (1 - rho) * g*g; p -= lr * g / (sqrt(r) + eps);
 *     with momentum (ResourceApplyRMSProp): r as above, a = a * mom + lr * g / sqrt(r + eps),
 *     p -= a.
 * Not here: learning-rate schedules (callbacks.h), gradient clipping (none in the study). */
#ifndef SK_OPTIM_H
#define SK_OPTIM_H

#include <stddef.h>
#include <stdint.h>
#include "sk_common.h"

typedef enum { SK_OPT_SGD = 0, SK_OPT_ADAM = 1, SK_OPT_RMSPROP = 2, SK_OPT_COUNT } sk_opt_kind;

typedef struct {
    sk_opt_kind kind;
    float lr;
    float beta1, beta2; /* Adam */
    float rho;          /* RMSprop */
    float momentum;     /* SGD, RMSprop */
    int nesterov;       /* SGD */
    float epsilon;      /* Adam, RMSprop */
} sk_opt_config;

/* Keras defaults: Adam lr 1e-3, b1 0.9, b2 0.999, eps 1e-7; SGD lr 1e-2, momentum 0;
 * RMSprop lr 1e-3, rho 0.9, momentum 0, eps 1e-7. */
sk_opt_config sk_opt_defaults(sk_opt_kind kind);
const char *sk_opt_name(sk_opt_kind kind); /* "sgd", "adam", "rmsprop" */
/* Parses a name as above (case-sensitive); SK_EINVAL naming the value otherwise. */
sk_status sk_opt_parse(const char *name, sk_opt_kind *kind, sk_error *err) SK_WUR;

typedef struct {
    sk_opt_config cfg;
    uint64_t iterations; /* Keras optimizer.iterations: steps applied so far */
    size_t n;            /* floats per slab */
    int nslabs;          /* moment slabs used by this kind (0..2) */
    float *slab[2];      /* Adam: m, v; SGD: accumulator; RMSprop: ms, mom */
} sk_optim;

/* Optimizer for n parameters; moments zeroed. Free with sk_optim_free. */
sk_optim *sk_optim_new(const sk_opt_config *cfg, size_t n);
void sk_optim_free(sk_optim *o);
/* Number of moment slabs a kind keeps (with momentum where that matters). */
int sk_optim_slab_count(const sk_opt_config *cfg);

/* One step on params[r] for r in the ranges ((offset, length) pairs, in floats) with the
 * learning rate o->cfg.lr; then iterations += 1. */
void sk_optim_step(sk_optim *o, float *params, const float *grads, const size_t *ranges,
                   int nranges);

#endif
