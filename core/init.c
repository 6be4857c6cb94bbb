/* init.c: Keras initialisers (see init.h) on the counter-based RNG. */
#include "init.h"

#include <math.h>
#include <string.h>

#include "sk_base.h"

sk_initializer sk_init_glorot_uniform(void)
{
    sk_initializer i = {SK_INIT_GLOROT_UNIFORM, 1.0, SK_FAN_AVG, SK_DIST_UNIFORM};
    return i;
}

sk_initializer sk_init_he_normal(void)
{
    sk_initializer i = {SK_INIT_HE_NORMAL, 2.0, SK_FAN_IN, SK_DIST_TRUNCATED_NORMAL};
    return i;
}

sk_initializer sk_init_variance_scaling(double scale, sk_fan_mode mode, sk_dist dist)
{
    sk_initializer i = {SK_INIT_VARIANCE_SCALING, scale, mode, dist};
    return i;
}

void sk_init_fans(const int *shape, int ndim, double *fan_in, double *fan_out)
{
    if (ndim < 1) {
        *fan_in = *fan_out = 1.0;
    } else if (ndim == 1) {
        *fan_in = *fan_out = shape[0];
    } else if (ndim == 2) {
        *fan_in = shape[0];
        *fan_out = shape[1];
    } else {
        double rf = 1.0;
        for (int i = 0; i < ndim - 2; i++) rf *= shape[i];
        *fan_in = shape[ndim - 2] * rf;
        *fan_out = shape[ndim - 1] * rf;
    }
}

void sk_init_tensor(float *dst, const int *shape, int ndim, const sk_initializer *init,
                    uint64_t seed, uint64_t index)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)shape[i];
    if (init->kind == SK_INIT_ZEROS || init->kind == SK_INIT_ONES) {
        float v = init->kind == SK_INIT_ONES ? 1.0f : 0.0f;
        for (size_t i = 0; i < n; i++) dst[i] = v;
        return;
    }
    sk_initializer vs = *init;
    if (init->kind == SK_INIT_GLOROT_UNIFORM) vs = sk_init_glorot_uniform();
    if (init->kind == SK_INIT_HE_NORMAL) vs = sk_init_he_normal();
    double fi, fo;
    sk_init_fans(shape, ndim, &fi, &fo);
    double fan = vs.mode == SK_FAN_IN ? fi : vs.mode == SK_FAN_OUT ? fo : (fi + fo) / 2.0;
    if (fan < 1.0) fan = 1.0; /* Keras: max(1., n) */
    double scale = vs.scale / fan;
    sk_rng r = sk_rng_stream(seed, SK_RNG_INIT, index);
    if (vs.dist == SK_DIST_UNIFORM) {
        double limit = sqrt(3.0 * scale);
        for (size_t i = 0; i < n; i++) dst[i] = (float)(limit * (2.0 * sk_rng_uniform(&r) - 1.0));
    } else if (vs.dist == SK_DIST_TRUNCATED_NORMAL) {
        double sd = sqrt(scale) / 0.87962566103423978;
        for (size_t i = 0; i < n; i++) {
            double z;
            do z = sk_rng_normal(&r);
            while (fabs(z) > 2.0);
            dst[i] = (float)(sd * z);
        }
    } else {
        double sd = sqrt(scale);
        for (size_t i = 0; i < n; i++) dst[i] = (float)(sd * sk_rng_normal(&r));
    }
}

sk_init_scheme sk_init_scheme_default(void)
{
    sk_init_scheme s = {sk_init_glorot_uniform(), sk_init_glorot_uniform()};
    return s;
}

static sk_initializer pick(const sk_node *nd, const sk_tensor_info *t, const sk_init_scheme *s)
{
    sk_initializer zeros = {SK_INIT_ZEROS, 0, SK_FAN_IN, SK_DIST_UNIFORM};
    sk_initializer ones = {SK_INIT_ONES, 0, SK_FAN_IN, SK_DIST_UNIFORM};
    if (strcmp(t->name, "gamma") == 0 || strcmp(t->name, "moving_variance") == 0) return ones;
    if (nd->op == SK_OP_NORMALIZATION) return strcmp(t->name, "variance") == 0 ? ones : zeros;
    if (strstr(t->name, "kernel") == NULL) return zeros;
    return nd->op == SK_OP_DENSE ? s->dense : s->conv;
}

void sk_init_nodes(sk_graph *g, const sk_init_scheme *scheme, uint64_t seed, int first, int last)
{
    SK_ASSERT(g->finalized);
    sk_init_scheme def = sk_init_scheme_default();
    if (!scheme) scheme = &def;
    uint64_t index = 0;
    for (int i = 0; i < g->n; i++) {
        const sk_node *nd = &g->nodes[i];
        for (int k = 0; k < nd->ntensors; k++, index++) {
            const sk_tensor_info *t = &nd->tensors[k];
            if (i < first || i > last) continue;
            float *dst = (t->is_state ? g->state : g->params) + t->offset;
            sk_initializer init = pick(nd, t, scheme);
            sk_init_tensor(dst, t->shape, t->ndim, &init, seed, index);
        }
    }
}

void sk_init_graph(sk_graph *g, const sk_init_scheme *scheme, uint64_t seed)
{
    sk_init_nodes(g, scheme, seed, 0, g->n - 1);
}
