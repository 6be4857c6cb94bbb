// LABELS: unit grad
/* test_exec: the executor on a small hand-built graph with every structural feature (branch,
 * Add, Concatenate, depthwise and separable convolutions, BN, pooling, GAP, dropout, Dense
 * softmax): whole-graph gradients against central finite differences (double accumulation,
 * smooth activations so no kink is crossed), the logits path against the softmax path, the
 * forward against a hand-composed chain of the op functions, and the arena reuse. */
#include <stdlib.h>
#include <string.h>

#include "sk_core.h"
#include "sk_base.h"
#include "sk_test.h"

enum { H = 6, W = 6, C = 3, K = 3, N = 4 };

static sk_graph *build(int with_dropout)
{
    sk_graph *g = sk_graph_new("exec_test");
    int x = sk_g_input(g, "input_1", H, W, C);
    int c1 = sk_g_conv2d(g, "conv1", x, 4, 3, 3, 1, 1, SK_PAD_SAME, SK_BIAS, SK_ACT_LINEAR);
    int b1 = sk_g_bn(g, "bn1", c1, 1e-3f, 0.99f);
    int a1 = sk_g_act(g, "act1", b1, SK_ACT_SWISH);
    int dw = sk_g_dwconv2d(g, "dw", a1, 3, 3, 1, 1, SK_PAD_SAME, SK_NO_BIAS);
    int b2 = sk_g_bn(g, "bn2", dw, 1e-3f, 0.99f);
    int pw = sk_g_conv2d(g, "pw", a1, 4, 1, 1, 1, 1, SK_PAD_VALID, SK_BIAS, SK_ACT_SIGMOID);
    int ins[2] = {b2, pw};
    int add = sk_g_add(g, "add", 2, ins);
    int ins2[2] = {add, a1};
    int cat = sk_g_concat(g, "cat", 2, ins2);
    int pool = sk_g_avgpool(g, "pool", cat, 2, 2, 2, 2, SK_PAD_VALID);
    int sep = sk_g_sepconv2d(g, "sep", pool, 5, 3, 3, 1, 1, SK_PAD_SAME, SK_BIAS);
    int mp = sk_g_maxpool(g, "mp", sep, 2, 2, 1, 1, SK_PAD_SAME);
    int gap = sk_g_gap(g, "gap", mp, SK_GAP_FLAT);
    int top = gap;
    if (with_dropout) top = sk_g_dropout(g, "drop", gap, 0.3f, SK_DROPOUT_ELEMENTS);
    sk_g_dense(g, "predictions", top, K, SK_BIAS, SK_ACT_SOFTMAX);
    sk_graph_finalize(g);
    sk_init_graph(g, NULL, 11);
    /* non-trivial BN statistics and biases so every term matters */
    sk_rng r = sk_rng_stream(5, SK_RNG_TEST, 1);
    for (size_t i = 0; i < g->nparams; i++)
        if (g->params[i] == 0.0f) g->params[i] = (float)(0.2 * sk_rng_normal(&r));
    for (size_t i = 0; i < g->nstate; i++)
        g->state[i] = g->state[i] == 1.0f ? (float)(0.5 + sk_rng_uniform(&r))
                                          : (float)(0.1 * sk_rng_normal(&r));
    return g;
}

/* loss = sum(out * R), in double from the float outputs */
static double loss_of(sk_exec *ex, const float *x, const float *R, int training)
{
    sk_exec_forward(ex, x, N, training, 7, 3);
    const float *o = sk_exec_output(ex);
    double s = 0.0;
    for (int i = 0; i < N * K; i++) s += (double)o[i] * R[i];
    return s;
}

/* A freeze pattern "last N layers" cannot make in a chain but Keras ordering can in a branchy
 * graph: frozen layers (BN in inference mode) between trainable ones. */
static void mixed_freeze(sk_graph *g)
{
    sk_graph_freeze(g, g->n);
    const char *frozen[] = {"bn1", "dw", "pw", "sep"};
    for (size_t k = 0; k < SK_ARRAY_LEN(frozen); k++)
        g->nodes[sk_graph_find(g, frozen[k])].trainable = 0;
    for (int i = 0; i < g->n; i++) {
        sk_node *nd = &g->nodes[i];
        int ng = nd->trainable && nd->trainable_params > 0;
        for (int j = 0; j < nd->ninputs; j++) ng |= g->nodes[nd->inputs[j]].needs_grad;
        nd->needs_grad = ng;
    }
}

static void test_gradients(int training, int with_dropout, int mixed)
{
    sk_graph *g = build(with_dropout);
    if (mixed)
        mixed_freeze(g);
    else
        sk_graph_freeze(g, g->n);
    sk_exec *ex = sk_exec_new(g, N);
    float x[N * H * W * C], R[N * K];
    sk_rng r = sk_rng_stream(1, SK_RNG_TEST, 2);
    for (size_t i = 0; i < SK_ARRAY_LEN(x); i++) x[i] = (float)sk_rng_normal(&r);
    for (size_t i = 0; i < SK_ARRAY_LEN(R); i++) R[i] = (float)sk_rng_normal(&r);
    float *state0 = malloc(g->nstate * sizeof(float));
    memcpy(state0, g->state, g->nstate * sizeof(float));
    loss_of(ex, x, R, training);
    sk_exec_backward(ex, R, 0);
    float *an = malloc(g->nparams * sizeof(float));
    memcpy(an, sk_exec_grads(ex), g->nparams * sizeof(float));
    double num = 0.0, den = 0.0, worst = 0.0;
    const double h = 1e-2;
    /* up to 8 coordinates of every trainable tensor (all of the small ones) */
    size_t checked = 0;
    for (int nid = 0; nid < g->n; nid++) {
        const sk_node *nd = sk_graph_node(g, nid);
        for (int t = 0; t < nd->ntensors; t++) {
            const sk_tensor_info *ti = &nd->tensors[t];
            if (ti->is_state) continue;
            if (!nd->trainable) { /* frozen: exactly zero gradient, nothing to check by FD */
                int zero = 1;
                for (size_t q = 0; q < ti->size; q++) zero &= an[ti->offset + q] == 0.0f;
                CHECKF(zero, "frozen %s/%s has a gradient", nd->name, ti->name);
                continue;
            }
            size_t cnt = ti->size < 8 ? ti->size : 8;
            for (size_t q = 0; q < cnt; q++) {
                size_t i = ti->offset + (ti->size <= 8 ? q : sk_rng_below(&r, (uint32_t)ti->size));
                float p = g->params[i];
                g->params[i] = (float)(p + h);
                double lp = loss_of(ex, x, R, training);
                g->params[i] = (float)(p - h);
                double lm = loss_of(ex, x, R, training);
                g->params[i] = p;
                double fd = (lp - lm) / (2 * h);
                double d = fd - an[i];
                num += d * d;
                den += fd * fd + (double)an[i] * an[i];
                double rel = fabs(d) / (fabs(fd) + fabs(an[i]) + 1e-3);
                if (rel > worst) worst = rel;
                checked++;
            }
        }
    }
    /* moving statistics changed in training mode; restore so the runs compare */
    memcpy(g->state, state0, g->nstate * sizeof(float));
    double nerr = sqrt(num / (den + 1e-30));
    CHECKF(nerr < 5e-3, "mixed=%d training=%d dropout=%d: normalised gradient error %.3g (worst %.3g) "
           "over %zu coordinates", mixed, training, with_dropout, nerr, worst, checked);
    CHECKF(den > 1e-6, "gradient not trivially zero (%.3g)", den);
    printf("grad check mixed=%d training=%d dropout=%d: normalised error %.3g, worst coordinate "
           "%.3g\n", mixed, training, with_dropout, nerr, worst);
    /* every node that needs a gradient but the input ran backward */
    int expect = 0;
    for (int i = 0; i < g->n; i++) expect += g->nodes[i].needs_grad;
    CHECK_EQ_INT(sk_exec_backward_nodes_run(ex), expect);
    if (!mixed) CHECK_EQ_INT(expect, g->n - 1);
    free(an);
    free(state0);
    sk_exec_free(ex);
    sk_graph_free(g);
}

/* Backward from the logits equals backward through the softmax with the matching dout. */
static void test_logits_path(void)
{
    sk_graph *g = build(0);
    sk_graph_freeze(g, g->n);
    sk_exec *ex = sk_exec_new(g, N);
    float x[N * H * W * C], dl[N * K], dp[N * K];
    sk_rng r = sk_rng_stream(2, SK_RNG_TEST, 3);
    for (size_t i = 0; i < SK_ARRAY_LEN(x); i++) x[i] = (float)sk_rng_normal(&r);
    int32_t y[N] = {0, 2, 1, 2};
    sk_exec_forward(ex, x, N, 1, 1, 0);
    const float *logits = sk_exec_logits(ex), *probs = sk_exec_output(ex);
    CHECK(logits != NULL);
    double l = sk_xent_forward_backward(dl, logits, probs, y, NULL, N, K, SK_XENT_LOGITS);
    CHECK(l > 0.0);
    /* d loss / d probs for the unclipped form: -y/p / N */
    for (int i = 0; i < N; i++)
        for (int j = 0; j < K; j++) dp[i * K + j] = j == y[i] ? -1.0f / probs[i * K + j] / N : 0;
    float *g1 = malloc(g->nparams * sizeof(float));
    sk_exec_backward(ex, dl, 1);
    memcpy(g1, sk_exec_grads(ex), g->nparams * sizeof(float));
    sk_exec_forward(ex, x, N, 1, 1, 0); /* backward consumed the activations */
    sk_exec_backward(ex, dp, 0);
    double e = sk_test_max_rel_err(g1, sk_exec_grads(ex), g->nparams);
    CHECKF(e < 1e-4, "logits path vs softmax path: max rel err %.3g", e);
    free(g1);
    sk_exec_free(ex);
    sk_graph_free(g);
}

/* The executor's forward equals the op functions composed by hand (bit for bit). */
static void test_hand_chain(void)
{
    sk_graph *g = sk_graph_new("chain");
    int x = sk_g_input(g, "in", 5, 5, 2);
    int c = sk_g_conv2d(g, "c", x, 3, 3, 3, 2, 2, SK_PAD_SAME, SK_BIAS, SK_ACT_LINEAR);
    int b = sk_g_bn(g, "b", c, 1e-3f, 0.99f);
    int a = sk_g_relu(g, "r", b, 6.0f);
    int p = sk_g_gap(g, "gap", a, SK_GAP_FLAT);
    sk_g_dense(g, "d", p, 4, SK_BIAS, SK_ACT_SOFTMAX);
    sk_graph_finalize(g);
    sk_init_graph(g, NULL, 3);
    sk_rng r = sk_rng_stream(3, SK_RNG_TEST, 4);
    for (size_t i = 0; i < g->nstate; i++) g->state[i] = (float)(0.5 + sk_rng_uniform(&r));
    sk_graph_freeze(g, g->n);
    enum { NB = 3 };
    float in[NB * 5 * 5 * 2];
    for (size_t i = 0; i < SK_ARRAY_LEN(in); i++) in[i] = (float)sk_rng_normal(&r);
    sk_exec *ex = sk_exec_new(g, NB);
    sk_exec_forward(ex, in, NB, 0, 0, 0);

    const sk_node *nc = sk_graph_node(g, c), *nb = sk_graph_node(g, b), *nd = sk_graph_node(g, 5);
    sk_conv_dims d = {NB, 5, 5, 2, 0, 0, 3, 3, 3, 2, 2, 0, 0};
    sk_conv_dims_pad(&d, 1);
    CHECK_EQ_INT(d.oh, 3);
    float *work = malloc((sk_conv2d_workspace(&d) + 1) * sizeof(float));
    float co[NB * 3 * 3 * 3], bo[NB * 27], ro[NB * 27], go[NB * 3], pre[NB * 4], out[NB * 4];
    sk_conv2d_forward(co, in, g->params + nc->tensors[0].offset, g->params + nc->tensors[1].offset,
                      &d, work);
    sk_bn_forward_infer(bo, co, g->params + nb->tensors[0].offset,
                        g->params + nb->tensors[1].offset, g->state + nb->tensors[2].offset,
                        g->state + nb->tensors[3].offset, NB * 9, 3, 1e-3f);
    sk_act_forward(ro, bo, NB * 27, SK_ACT_RELU6);
    sk_gap_forward(go, ro, NB, 9, 3);
    sk_dense_forward(pre, go, g->params + nd->tensors[0].offset, g->params + nd->tensors[1].offset,
                     NB, 3, 4);
    sk_softmax_forward(out, pre, NB, 4);
    CHECK(memcmp(out, sk_exec_output(ex), sizeof out) == 0);
    CHECK(memcmp(pre, sk_exec_logits(ex), sizeof pre) == 0);
    free(work);
    sk_exec_free(ex);
    sk_graph_free(g);
}

/* Inference plans reuse memory; the arena is smaller than the sum of its buffers. */
static void test_arena(void)
{
    sk_graph *g = build(1);
    sk_graph_freeze(g, 0);
    sk_exec *ex = sk_exec_new(g, 8);
    printf("arena (all frozen, batch 8): %zu bytes planned, %zu without reuse\n",
           sk_exec_arena_bytes(ex), sk_exec_arena_naive_bytes(ex));
    CHECK(sk_exec_arena_bytes(ex) < sk_exec_arena_naive_bytes(ex));
    CHECK_EQ_INT(sk_exec_plan_check(ex), 0);
    sk_exec_free(ex);
    sk_graph_freeze(g, g->n);
    ex = sk_exec_new(g, 8);
    printf("arena (all trainable, batch 8): %zu bytes planned, %zu without reuse\n",
           sk_exec_arena_bytes(ex), sk_exec_arena_naive_bytes(ex));
    CHECK(sk_exec_arena_bytes(ex) <= sk_exec_arena_naive_bytes(ex));
    CHECK_EQ_INT(sk_exec_plan_check(ex), 0);
    sk_exec_free(ex);
    sk_graph_free(g);
}

int main(void)
{
    test_hand_chain();
    test_gradients(1, 0, 0);
    test_gradients(0, 0, 0);
    test_gradients(1, 1, 0);
    test_gradients(1, 0, 1);
    test_logits_path();
    test_arena();
    return sk_test_finish();
}
