/* optim.c: Adam, SGD (momentum, Nesterov) and RMSprop as tf.keras 2.x computes them, on flat
 * slabs restricted to trainable ranges. Each update is elementwise, so threading cannot change
 * results. Not here: schedules and callbacks. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

sk_opt_config sk_opt_defaults(sk_opt_kind kind)
{
    sk_opt_config c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.beta1 = 0.9f;
    c.beta2 = 0.999f;
    c.rho = 0.9f;
    c.epsilon = 1e-7f;
    c.lr = kind == SK_OPT_SGD ? 0.01f : 0.001f;
    return c;
}

static const char *const NAMES[SK_OPT_COUNT] = {"sgd", "adam", "rmsprop"};

const char *sk_opt_name(sk_opt_kind kind)
{
    SK_ASSERT(kind >= 0 && kind < SK_OPT_COUNT);
    return NAMES[kind];
}

sk_status sk_opt_parse(const char *name, sk_opt_kind *kind, sk_error *err)
{
    for (int k = 0; k < SK_OPT_COUNT; k++)
        if (strcmp(name, NAMES[k]) == 0) {
            *kind = (sk_opt_kind)k;
            return SK_OK;
        }
    return sk_error_set(err, SK_EINVAL, "optimizer: expected one of sgd, adam, rmsprop; found '%s'",
                        name);
}

int sk_optim_slab_count(const sk_opt_config *cfg)
{
    switch (cfg->kind) {
    case SK_OPT_ADAM: return 2;
    case SK_OPT_SGD: return cfg->momentum != 0.0f ? 1 : 0;
    case SK_OPT_RMSPROP: return cfg->momentum != 0.0f ? 2 : 1;
    case SK_OPT_COUNT: break;
    }
    SK_ASSERT_MSG(0, "unknown optimizer kind");
    return 0;
}

sk_optim *sk_optim_new(const sk_opt_config *cfg, size_t n)
{
    SK_ASSERT(cfg->kind >= 0 && cfg->kind < SK_OPT_COUNT);
    sk_optim *o = sk_xcalloc(1, sizeof *o);
    o->cfg = *cfg;
    o->n = n;
    o->nslabs = sk_optim_slab_count(cfg);
    for (int s = 0; s < o->nslabs; s++) {
        o->slab[s] = sk_xmalloc_aligned((n ? n : 1) * sizeof(float));
        memset(o->slab[s], 0, n * sizeof(float));
    }
    return o;
}

void sk_optim_free(sk_optim *o)
{
    if (!o) return;
    for (int s = 0; s < 2; s++) free(o->slab[s]);
    free(o);
}

/* p (n)  g (n)  m, v (n): one Adam step with the bias correction folded into lr_t. */
static void adam_range(float *p, const float *g, float *m, float *v, size_t n, float lr_t,
                       float b1, float b2, float eps)
{
    const float one_b1 = 1.0f - b1, one_b2 = 1.0f - b2;
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) {
        m[i] += (g[i] - m[i]) * one_b1;
        v[i] += (g[i] * g[i] - v[i]) * one_b2;
        p[i] -= (m[i] * lr_t) / (sqrtf(v[i]) + eps);
    }
}

static void sgd_range(float *p, const float *g, float *a, size_t n, float lr, float mom,
                      int nesterov)
{
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) {
        if (!a) {
            p[i] -= lr * g[i];
        } else {
            a[i] = a[i] * mom - lr * g[i];
            p[i] += nesterov ? a[i] * mom - lr * g[i] : a[i];
        }
    }
}

static void rmsprop_range(float *p, const float *g, float *r, float *a, size_t n, float lr,
                          float rho, float mom, float eps)
{
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) {
        r[i] = rho * r[i] + (1.0f - rho) * (g[i] * g[i]);
        if (a) {
            a[i] = a[i] * mom + lr * g[i] / sqrtf(r[i] + eps);
            p[i] -= a[i];
        } else {
            p[i] -= lr * g[i] / (sqrtf(r[i]) + eps);
        }
    }
}

void sk_optim_step(sk_optim *o, float *params, const float *grads, const size_t *ranges,
                   int nranges)
{
    const sk_opt_config *c = &o->cfg;
    float lr_t = c->lr;
    if (c->kind == SK_OPT_ADAM) {
        /* Keras: beta powers in float32 from the float32 step count. */
        float t = (float)(o->iterations + 1);
        float b1p = powf(c->beta1, t), b2p = powf(c->beta2, t);
        lr_t = c->lr * sqrtf(1.0f - b2p) / (1.0f - b1p);
    }
    for (int r = 0; r < nranges; r++) {
        size_t off = ranges[2 * r], len = ranges[2 * r + 1];
        SK_ASSERT(off + len <= o->n);
        float *p = params + off;
        const float *g = grads + off;
        switch (c->kind) {
        case SK_OPT_ADAM:
            adam_range(p, g, o->slab[0] + off, o->slab[1] + off, len, lr_t, c->beta1, c->beta2,
                       c->epsilon);
            break;
        case SK_OPT_SGD:
            sgd_range(p, g, o->nslabs ? o->slab[0] + off : NULL, len, c->lr, c->momentum,
                      c->nesterov);
            break;
        case SK_OPT_RMSPROP:
            rmsprop_range(p, g, o->slab[0] + off, o->nslabs > 1 ? o->slab[1] + off : NULL, len,
                          c->lr, c->rho, c->momentum, c->epsilon);
            break;
        case SK_OPT_COUNT: SK_ASSERT_MSG(0, "unknown optimizer kind");
        }
    }
    o->iterations++;
}
