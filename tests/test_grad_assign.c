// LABELS: unit grad determinism
// TIMEOUT: 600
/* test_grad_assign: the first backward consumer of a tensor WRITES its gradient (exec.c passes
 * an assign mask, the kernels' *_mode twins write +0.0f + the contribution) instead of
 * accumulating into a buffer the executor zeroed. Three modes of sk_exec_set_grad_write:
 *  - ZERO: every gradient zeroed, every backward accumulates (the executor before assign);
 *  - ASSIGN: the default;
 *  - POISON: as ASSIGN, but every buffer a backward must overwrite (the assigned input
 *    gradients, the fused pre-activation and SeparableConv2D middle gradients) is filled with
 *    NaN first, so an op that claims bwd_assigns yet reads or accumulates into what it should
 *    overwrite, or leaves an element unwritten, turns gradients into NaN.
 * ASSIGN and POISON must give the parameter gradients of ZERO bit for bit (assign keeps the
 * bits of accumulating into zeros), on graphs where one tensor feeds several consumers
 * (residual Add, DenseNet-style Concatenate chains), where one node uses the same input twice
 * (Add(b, b), Multiply(s, s), Concatenate(m, a, m)), with ops that keep the zeroing fallback
 * (pools, cropping) between assigning ones, and on the seven architectures at their smallest
 * input (full fine-tuning and a partly frozen level, so frozen BatchNormalization runs its
 * inference backward). Teeth, checked by hand: making add_bwd or concat_bwd accumulate, or
 * dropping the in-thread row zeroing of col2im (strided convolutions) while the rows keep
 * bwd_assigns, fails this test with NaN; so does GAP accumulating, in test_op_rows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sk_arch.h"
#include "sk_core.h"
#include "../core/exec_internal.h"
#include "sk_base.h"
#include "sk_test.h"

enum { NB = 3, K = 4 };

/* Training forward + backward of n samples through the logits (softmax heads) or the output;
 * the parameter gradients into grads. */
static void run(sk_graph *g, int mode, const float *x, float *grads)
{
    float *state = malloc((g->nstate + 1) * sizeof(float));
    memcpy(state, g->state, g->nstate * sizeof(float)); /* BN moving statistics move */
    sk_exec *ex = sk_exec_new(g, NB);
    sk_exec_set_grad_write(ex, mode);
    sk_exec_forward(ex, x, NB, 1, 11, 3);
    float dl[NB * K];
    int wrt_logits = sk_exec_logits(ex) != NULL;
    if (wrt_logits) {
        int32_t y[NB] = {0, 2, 3};
        sk_xent_forward_backward(dl, sk_exec_logits(ex), sk_exec_output(ex), y, NULL, NB, K,
                                 SK_XENT_LOGITS);
    } else {
        sk_rng r = sk_rng_stream(5, SK_RNG_TEST, 1);
        for (int i = 0; i < NB * K; i++) dl[i] = (float)sk_rng_normal(&r);
    }
    sk_exec_backward(ex, dl, wrt_logits);
    memcpy(grads, sk_exec_grads(ex), g->nparams * sizeof(float));
    sk_exec_free(ex);
    memcpy(g->state, state, g->nstate * sizeof(float));
    free(state);
}

/* ZERO is the reference; ASSIGN and POISON must match it bit for bit. */
static void check_graph(sk_graph *g, const char *what)
{
    size_t in = sk_node_numel(sk_graph_node(g, 0)), np = g->nparams;
    float *x = malloc(sizeof(float) * NB * in);
    sk_rng r = sk_rng_stream(9, SK_RNG_TEST, 2);
    for (size_t i = 0; i < NB * in; i++) x[i] = (float)sk_rng_normal(&r);
    float *ref = malloc(np * sizeof(float)), *got = malloc(np * sizeof(float));
    run(g, SK_GRAD_WRITE_ZERO, x, ref);
    int finite = 1, nonzero = 0;
    for (size_t i = 0; i < np; i++) finite &= isfinite(ref[i]) != 0, nonzero |= ref[i] != 0.0f;
    CHECKF(finite && nonzero, "%s: reference gradients finite %d, nonzero %d", what, finite,
           nonzero);
    run(g, SK_GRAD_WRITE_ASSIGN, x, got);
    CHECKF(memcmp(got, ref, np * sizeof(float)) == 0, "%s: assign changes the gradients", what);
    run(g, SK_GRAD_WRITE_POISON, x, got);
    size_t nan = 0, diff = 0;
    for (size_t i = 0; i < np; i++) nan += isnan(got[i]) != 0, diff += got[i] != ref[i];
    CHECKF(memcmp(got, ref, np * sizeof(float)) == 0,
           "%s: a backward reads what it must overwrite (%zu NaN, %zu different of %zu)", what,
           nan, diff, np);
    free(x);
    free(ref);
    free(got);
}

static void randomize(sk_graph *g, uint64_t seed)
{
    sk_graph_finalize(g);
    sk_rng r = sk_rng_stream(seed, SK_RNG_TEST, 3);
    for (size_t i = 0; i < g->nparams; i++) g->params[i] = (float)(0.3 * sk_rng_normal(&r));
    for (size_t i = 0; i < g->nstate; i++) g->state[i] = (float)(0.5 + sk_rng_uniform(&r));
}

/* Residual block: `a` feeds BatchNormalization and the Add; implicit-GEMM 3x3 (16 channels),
 * direct 1x1, depthwise, ZeroPadding2D, a stride-2 convolution (col2im), dropout, softmax. */
static sk_graph *residual(void)
{
    sk_graph *g = sk_graph_new("residual");
    int x = sk_g_input(g, "input", 9, 9, 3);
    int a = sk_g_conv2d(g, "a", x, 16, 3, 3, 1, 1, SK_PAD_SAME, SK_BIAS, SK_ACT_LINEAR);
    int t = sk_g_bn(g, "bn", a, 1e-3f, 0.99f);
    t = sk_g_relu(g, "relu6", t, 6.0f);
    t = sk_g_dwconv2d(g, "dw", t, 3, 3, 1, 1, SK_PAD_SAME, SK_NO_BIAS);
    t = sk_g_conv2d(g, "project", t, 16, 1, 1, 1, 1, SK_PAD_VALID, SK_NO_BIAS, SK_ACT_LINEAR);
    int ins[2] = {a, t};
    t = sk_g_add(g, "add", 2, ins);
    t = sk_g_zeropad(g, "pad", t, 0, 1, 0, 1);
    t = sk_g_conv2d(g, "down", t, 16, 3, 3, 2, 2, SK_PAD_VALID, SK_BIAS, SK_ACT_RELU);
    t = sk_g_gap(g, "gap", t, SK_GAP_FLAT);
    t = sk_g_dropout(g, "drop", t, 0.3f, SK_DROPOUT_ELEMENTS);
    sk_g_dense(g, "head", t, K, SK_BIAS, SK_ACT_SOFTMAX);
    randomize(g, 1);
    return g;
}

/* DenseNet-style chain: every concatenation feeds the next layer and the next concatenation;
 * AveragePooling2D and MaxPooling2D keep the zeroing fallback. */
static sk_graph *dense_chain(void)
{
    sk_graph *g = sk_graph_new("dense_chain");
    int x = sk_g_input(g, "input", 8, 8, 3);
    int c = sk_g_conv2d(g, "stem", x, 8, 1, 1, 1, 1, SK_PAD_VALID, SK_NO_BIAS, SK_ACT_LINEAR);
    for (int b = 0; b < 3; b++) {
        char nm[4][16];
        for (int i = 0; i < 4; i++) snprintf(nm[i], sizeof nm[i], "b%d_%d", b, i);
        int t = sk_g_bn(g, nm[0], c, 1e-5f, 0.99f);
        t = sk_g_relu(g, nm[1], t, 0.0f);
        t = sk_g_conv2d(g, nm[2], t, 4, 3, 3, 1, 1, SK_PAD_SAME, SK_NO_BIAS, SK_ACT_LINEAR);
        int ins[2] = {c, t};
        c = sk_g_concat(g, nm[3], 2, ins);
    }
    int t = sk_g_avgpool(g, "avg", c, 2, 2, 2, 2, SK_PAD_VALID);
    t = sk_g_maxpool(g, "max", t, 2, 2, 1, 1, SK_PAD_SAME);
    t = sk_g_gap(g, "gap", t, SK_GAP_FLAT);
    sk_g_dense(g, "head", t, K, SK_BIAS, SK_ACT_LINEAR);
    randomize(g, 2);
    return g;
}

/* Nodes using one input twice, a squeeze-excite scale, a separable convolution with a fused
 * swish, Cropping2D (fallback), Reshape and an Activation softmax head. */
static sk_graph *repeats(void)
{
    sk_graph *g = sk_graph_new("repeats");
    int x = sk_g_input(g, "input", 8, 8, 3);
    int a = sk_g_conv2d(g, "a", x, 6, 3, 3, 1, 1, SK_PAD_SAME, SK_BIAS, SK_ACT_SWISH);
    int b = sk_g_conv2d(g, "b", x, 6, 1, 1, 1, 1, SK_PAD_VALID, SK_BIAS, SK_ACT_LINEAR);
    int bb[2] = {b, b}; /* b, s and m: their only consumer uses them twice */
    int s = sk_g_add(g, "b_plus_b", 2, bb);
    int m = sk_g_multiply(g, "s_times_s", s, s);
    int cat[3] = {m, a, m};
    int c = sk_g_concat(g, "m_a_m", 3, cat);
    int se = sk_g_gap(g, "se_gap", c, SK_GAP_KEEPDIMS);
    se = sk_g_dense(g, "se_dense", se, 18, SK_BIAS, SK_ACT_SIGMOID);
    int t = sk_g_multiply(g, "se_mul", c, se);
    t = sk_g_sepconv2d(g, "sep", t, 8, 3, 3, 1, 1, SK_PAD_SAME, SK_BIAS);
    g->nodes[t].cfg.act = SK_ACT_SWISH;
    t = sk_g_crop(g, "crop", t, 1, 1, 1, 1);
    t = sk_g_reshape(g, "reshape", t, 6, 12, 4);
    t = sk_g_gap(g, "gap", t, SK_GAP_FLAT);
    t = sk_g_dense(g, "logits", t, K, SK_BIAS, SK_ACT_LINEAR);
    sk_g_act(g, "softmax", t, SK_ACT_SOFTMAX);
    randomize(g, 3);
    return g;
}

static void check_small_graphs(void)
{
    sk_graph *(*build[])(void) = {residual, dense_chain, repeats};
    for (size_t i = 0; i < SK_ARRAY_LEN(build); i++) {
        sk_graph *g = build[i]();
        check_graph(g, g->name);
        sk_graph_freeze(g, g->n / 2); /* frozen BN: inference backward; frozen prefix */
        char what[SK_NAME_MAX + 16];
        snprintf(what, sizeof what, "%s half frozen", g->name);
        check_graph(g, what);
        sk_graph_free(g);
    }
}

static void check_architectures(void)
{
    for (int a = 0; a < sk_arch_count(); a++) {
        const sk_arch_info *ai = sk_arch_get(a);
        sk_error err;
        int sz = ai->min_size > 32 ? ai->min_size : 32;
        sk_graph *g = sk_arch_build(ai->id, sz, K, 1, &err);
        CHECKF(g != NULL, "%s: %s", ai->id, g ? "" : err.msg);
        if (!g) continue;
        sk_init_graph(g, NULL, 1);
        int levels[2] = {g->n, g->n / 3};
        for (int li = 0; li < 2; li++) {
            sk_graph_freeze(g, levels[li]);
            char what[96];
            snprintf(what, sizeof what, "%s %d px level %d/%d", ai->id, sz, levels[li], g->n);
            check_graph(g, what);
        }
        sk_graph_free(g);
    }
}

int main(void)
{
    check_small_graphs();
    check_architectures();
    return sk_test_finish();
}
