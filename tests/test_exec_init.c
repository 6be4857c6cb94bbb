// LABELS: unit
/* test_exec_init: Keras initialisers: fans as Keras _compute_fans computes them (incl. the
 * depthwise (kh,kw,c,1) case), glorot_uniform bounds and variance, he_normal and
 * VarianceScaling truncated normals (std after truncation = sqrt(scale/fan), nothing beyond 2
 * stddev of the untruncated), whole-graph init: deterministic per seed, independent per tensor,
 * Keras constants for biases / BN / Normalization. */
#include <stdlib.h>
#include <string.h>

#include "sk_arch.h"
#include "sk_core.h"
#include "sk_test.h"

static void moments(const float *v, size_t n, double *mean, double *var, double *maxabs)
{
    double s = 0, s2 = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        s += v[i];
        s2 += (double)v[i] * v[i];
        if (fabs(v[i]) > m) m = fabs(v[i]);
    }
    *mean = s / n;
    *var = s2 / n - *mean * *mean;
    *maxabs = m;
}

int main(void)
{
    double fi, fo;
    int conv[4] = {3, 3, 16, 32};
    sk_init_fans(conv, 4, &fi, &fo);
    CHECK(fi == 144 && fo == 288);
    int dw[4] = {3, 3, 16, 1};
    sk_init_fans(dw, 4, &fi, &fo);
    CHECK(fi == 144 && fo == 9);
    int dense[2] = {100, 10};
    sk_init_fans(dense, 2, &fi, &fo);
    CHECK(fi == 100 && fo == 10);

    enum { NV = 3 * 3 * 64 * 64 };
    int shape[4] = {3, 3, 64, 64};
    float *v = malloc(NV * sizeof(float)), *w = malloc(NV * sizeof(float));
    double mean, var, mx;
    sk_initializer gl = sk_init_glorot_uniform();
    sk_init_tensor(v, shape, 4, &gl, 1, 0);
    moments(v, NV, &mean, &var, &mx);
    double limit = sqrt(6.0 / (576 + 576));
    CHECK(mx <= limit);
    CHECK(mx > 0.99 * limit);
    CHECK_NEAR(var, limit * limit / 3, 0.03 * limit * limit / 3);
    CHECK_NEAR(mean, 0, 0.01 * limit);

    sk_initializer he = sk_init_he_normal();
    sk_init_tensor(v, shape, 4, &he, 1, 1);
    moments(v, NV, &mean, &var, &mx);
    double sd = sqrt(2.0 / 576); /* truncated std of stddev/0.8796... = sqrt(2/fan_in) */
    CHECK_NEAR(sqrt(var), sd, 0.03 * sd);
    CHECK(mx <= 2 * sd / 0.87962566103423978);

    sk_initializer vs = sk_init_variance_scaling(2.0, SK_FAN_OUT, SK_DIST_TRUNCATED_NORMAL);
    int dwk[4] = {3, 3, 2048, 1}; /* EfficientNet depthwise: fan_out = 9 */
    sk_init_tensor(v, dwk, 4, &vs, 2, 3);
    moments(v, 9 * 2048, &mean, &var, &mx);
    CHECK_NEAR(sqrt(var), sqrt(2.0 / 9), 0.04 * sqrt(2.0 / 9));
    sk_initializer vu = sk_init_variance_scaling(1.0 / 3.0, SK_FAN_OUT, SK_DIST_UNIFORM);
    int dk[2] = {1408, 3};
    sk_init_tensor(v, dk, 2, &vu, 2, 4);
    moments(v, 1408 * 3, &mean, &var, &mx);
    double lim3 = sqrt(3 * (1.0 / 3.0) / 3); /* fan_out = 3 */
    CHECK(mx <= lim3 && mx > 0.98 * lim3);

    /* determinism and independence */
    sk_init_tensor(v, shape, 4, &gl, 7, 5);
    sk_init_tensor(w, shape, 4, &gl, 7, 5);
    CHECK(memcmp(v, w, NV * sizeof(float)) == 0);
    sk_init_tensor(w, shape, 4, &gl, 7, 6);
    CHECK(memcmp(v, w, NV * sizeof(float)) != 0);
    sk_init_tensor(w, shape, 4, &gl, 8, 5);
    CHECK(memcmp(v, w, NV * sizeof(float)) != 0);

    /* whole graph */
    sk_graph *g = sk_graph_new("init");
    int x = sk_g_input(g, "in", 8, 8, 3);
    int nz = sk_g_normalization(g, "norm", x);
    int c = sk_g_conv2d(g, "conv", nz, 8, 3, 3, 1, 1, SK_PAD_SAME, SK_BIAS, SK_ACT_LINEAR);
    int b = sk_g_bn(g, "bn", c, 1e-3f, 0.99f);
    int p = sk_g_gap(g, "gap", b, SK_GAP_FLAT);
    sk_g_dense(g, "dense", p, 3, SK_BIAS, SK_ACT_SOFTMAX);
    sk_graph_finalize(g);
    for (size_t i = 0; i < g->nparams; i++) g->params[i] = 9.0f;
    for (size_t i = 0; i < g->nstate; i++) g->state[i] = 9.0f;
    sk_init_graph(g, NULL, 3);
    const sk_node *cn = sk_graph_node(g, c), *bn = sk_graph_node(g, b), *nn = sk_graph_node(g, nz);
    CHECK(g->params[cn->tensors[1].offset] == 0.0f);                /* conv bias */
    CHECK(g->params[cn->tensors[0].offset] != 9.0f);
    CHECK(g->params[bn->tensors[0].offset] == 1.0f && g->params[bn->tensors[1].offset] == 0.0f);
    CHECK(g->state[bn->tensors[2].offset] == 0.0f && g->state[bn->tensors[3].offset] == 1.0f);
    CHECK(g->state[nn->tensors[0].offset] == 0.0f && g->state[nn->tensors[1].offset] == 1.0f);
    float *p1 = malloc(g->nparams * sizeof(float));
    memcpy(p1, g->params, g->nparams * sizeof(float));
    sk_init_graph(g, NULL, 3);
    CHECK(memcmp(p1, g->params, g->nparams * sizeof(float)) == 0);
    sk_init_scheme eff = *sk_arch_find("efficientnetb2")->init; /* VarianceScaling, fan_out */
    sk_init_graph(g, &eff, 3);
    CHECK(memcmp(p1, g->params, g->nparams * sizeof(float)) != 0);
    /* re-initialising only the head leaves the rest untouched */
    memcpy(g->params, p1, g->nparams * sizeof(float));
    sk_init_nodes(g, &eff, 4, g->n - 1, g->n - 1);
    CHECK(memcmp(p1, g->params, cn->tensors[0].size * sizeof(float)) == 0);
    free(p1);
    sk_graph_free(g);
    free(v);
    free(w);
    return sk_test_finish();
}
