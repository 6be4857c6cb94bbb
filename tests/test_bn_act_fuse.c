// LABELS: unit determinism
// TIMEOUT: 600
/* test_bn_act_fuse: the executor runs a frozen BatchNormalization whose only consumer is a
 * relu / relu6 / swish node as one pass in that node's forward (exec_fuse.c), without planning
 * the BN output. The bits must be those of the separate passes:
 *  - kernel: sk_bn_act_forward_infer against sk_bn_forward_infer + sk_act_forward (the naive
 *    twins of both are in test_ops_ref), odd sizes, several chunks, in place or not;
 *  - graphs: fused (default) against sk_exec_set_fuse(0), training and inference forward
 *    outputs, the training loss gradients of every parameter, BN moving statistics, on small
 *    graphs (relu, relu6, swish after BN; a BN feeding two nodes, which must not fuse) and the
 *    seven architectures at their smallest input (everything frozen but the head, a third
 *    trainable, all trainable), with the count of fused pairs checked where BN is frozen. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sk_arch.h"
#include "sk_core.h"
#include "../core/exec_internal.h"
#include "../core/ops.h"
#include "sk_base.h"
#include "sk_test.h"

enum { NB = 3, K = 4 };

static void fill(float *v, size_t n, uint64_t seed, double sd, double mu)
{
    sk_rng r = sk_rng_stream(seed, SK_RNG_TEST, 7);
    for (size_t i = 0; i < n; i++) v[i] = (float)(mu + sd * sk_rng_normal(&r));
}

static void check_kernel(void)
{
    const sk_act acts[3] = {SK_ACT_RELU, SK_ACT_RELU6, SK_ACT_SWISH};
    const size_t ms[3] = {1, 37, 20011};
    const int cs[3] = {1, 7, 96};
    for (int ai = 0; ai < 3; ai++)
        for (int mi = 0; mi < 3; mi++)
            for (int ci = 0; ci < 3; ci++) {
                size_t m = ms[mi], cnt = m * (size_t)cs[ci];
                int c = cs[ci];
                float *x = malloc(cnt * 4), *ref = malloc(cnt * 4), *got = malloc(cnt * 4);
                float *p = malloc(4 * (size_t)c * 4);
                fill(x, cnt, 1 + (uint64_t)mi, 4.0, 0.5);
                fill(p, 3 * (size_t)c, 2 + (uint64_t)ci, 1.0, 0.0);
                for (int j = 0; j < c; j++) p[3 * c + j] = 0.2f + fabsf(p[j]); /* variance */
                sk_bn_forward_infer(ref, x, p, p + c, p + 2 * c, p + 3 * c, m, c, 1e-3f);
                sk_act_forward(ref, ref, cnt, acts[ai]);
                sk_bn_act_forward_infer(got, x, p, p + c, p + 2 * c, p + 3 * c, m, c, 1e-3f,
                                        acts[ai]);
                CHECKF(memcmp(got, ref, cnt * 4) == 0, "kernel %s m %zu c %d differs",
                       sk_act_name(acts[ai]), m, c);
                memcpy(got, x, cnt * 4);
                sk_bn_act_forward_infer(got, got, p, p + c, p + 2 * c, p + 3 * c, m, c, 1e-3f,
                                        acts[ai]);
                CHECKF(memcmp(got, ref, cnt * 4) == 0, "kernel %s m %zu c %d in place differs",
                       sk_act_name(acts[ai]), m, c);
                free(x);
                free(ref);
                free(got);
                free(p);
            }
}

typedef struct {
    float *out_train, *out_infer, *grads, *state;
    int fused;
} result;

/* Inference forward, then a training forward + backward through the logits or output. */
static result run(sk_graph *g, int fuse, const float *x)
{
    result r = {0};
    size_t on = 0;
    float *state0 = malloc((g->nstate + 1) * sizeof(float));
    memcpy(state0, g->state, g->nstate * sizeof(float));
    int prev = sk_exec_set_fuse(fuse);
    sk_exec *ex = sk_exec_new(g, NB);
    sk_exec_set_fuse(prev);
    for (int i = 0; i < g->n; i++) r.fused += sk_exec_fused_away(ex, i);
    sk_exec_forward(ex, x, NB, 0, 11, 3);
    on = NB * sk_exec_output_size(ex);
    r.out_infer = malloc(on * 4);
    memcpy(r.out_infer, sk_exec_output(ex), on * 4);
    sk_exec_forward(ex, x, NB, 1, 11, 3);
    r.out_train = malloc(on * 4);
    memcpy(r.out_train, sk_exec_output(ex), on * 4);
    float dl[NB * K];
    int wrt_logits = sk_exec_logits(ex) != NULL;
    if (wrt_logits) {
        int32_t y[NB] = {0, 2, 3};
        sk_xent_forward_backward(dl, sk_exec_logits(ex), sk_exec_output(ex), y, NULL, NB, K,
                                 SK_XENT_LOGITS);
    } else {
        fill(dl, NB * K, 5, 1.0, 0.0);
    }
    if (g->nparams && ex->training_plan) sk_exec_backward(ex, dl, wrt_logits);
    r.grads = malloc((g->nparams + 1) * sizeof(float));
    memcpy(r.grads, sk_exec_grads(ex), g->nparams * sizeof(float));
    r.state = malloc((g->nstate + 1) * sizeof(float));
    memcpy(r.state, g->state, g->nstate * sizeof(float));
    sk_exec_free(ex);
    memcpy(g->state, state0, g->nstate * sizeof(float));
    free(state0);
    return r;
}

static void result_free(result *r)
{
    free(r->out_train);
    free(r->out_infer);
    free(r->grads);
    free(r->state);
}

/* Fused against unfused, bit for bit; returns the number of fused pairs. */
static int check_graph(sk_graph *g, const char *what)
{
    size_t in = sk_node_numel(sk_graph_node(g, 0));
    float *x = malloc(sizeof(float) * NB * in);
    fill(x, NB * in, 9, 1.0, 0.0);
    result ref = run(g, 0, x), got = run(g, 1, x);
    size_t on = NB * sk_node_numel(sk_graph_node(g, g->output));
    CHECKF(ref.fused == 0, "%s: fusion switched off still fused %d", what, ref.fused);
    CHECKF(memcmp(got.out_infer, ref.out_infer, on * 4) == 0, "%s: inference output", what);
    CHECKF(memcmp(got.out_train, ref.out_train, on * 4) == 0, "%s: training output", what);
    CHECKF(memcmp(got.grads, ref.grads, g->nparams * 4) == 0, "%s: gradients", what);
    CHECKF(memcmp(got.state, ref.state, g->nstate * 4) == 0, "%s: moving statistics", what);
    int fused = got.fused;
    result_free(&ref);
    result_free(&got);
    free(x);
    return fused;
}

static void randomize(sk_graph *g, uint64_t seed)
{
    sk_graph_finalize(g);
    sk_rng r = sk_rng_stream(seed, SK_RNG_TEST, 3);
    for (size_t i = 0; i < g->nparams; i++) g->params[i] = (float)(0.3 * sk_rng_normal(&r));
    for (size_t i = 0; i < g->nstate; i++) g->state[i] = (float)(0.5 + sk_rng_uniform(&r));
}

/* conv -> BN -> relu6 / relu / swish, and a BN read by an Add as well (never fused). */
static sk_graph *chain(void)
{
    sk_graph *g = sk_graph_new("chain");
    int x = sk_g_input(g, "input", 9, 9, 3);
    int t = sk_g_conv2d(g, "c1", x, 8, 3, 3, 1, 1, SK_PAD_SAME, SK_NO_BIAS, SK_ACT_LINEAR);
    t = sk_g_bn(g, "bn1", t, 1e-3f, 0.99f);
    t = sk_g_relu(g, "relu6", t, 6.0f);
    t = sk_g_dwconv2d(g, "dw", t, 3, 3, 1, 1, SK_PAD_SAME, SK_NO_BIAS);
    t = sk_g_bn(g, "bn2", t, 1e-3f, 0.99f);
    t = sk_g_act(g, "swish", t, SK_ACT_SWISH);
    t = sk_g_conv2d(g, "c2", t, 8, 1, 1, 1, 1, SK_PAD_VALID, SK_NO_BIAS, SK_ACT_LINEAR);
    int b3 = sk_g_bn(g, "bn3", t, 1e-5f, 0.99f);
    int r = sk_g_relu(g, "relu", b3, 0.0f);
    int ins[2] = {b3, r};
    t = sk_g_add(g, "add", 2, ins);
    t = sk_g_bn(g, "bn4", t, 1e-3f, 0.99f);
    t = sk_g_act(g, "relu_act", t, SK_ACT_RELU);
    t = sk_g_gap(g, "gap", t, SK_GAP_FLAT);
    sk_g_dense(g, "head", t, K, SK_BIAS, SK_ACT_SOFTMAX);
    randomize(g, 1);
    return g;
}

static void check_chain(void)
{
    sk_graph *g = chain();
    int levels[3] = {g->n, 3, 1}, want[3] = {0, 3, 3}; /* bn3 feeds two nodes: never fused */
    for (int li = 0; li < 3; li++) {
        sk_graph_freeze(g, levels[li]);
        char what[64];
        snprintf(what, sizeof what, "chain, %d trainable", levels[li]);
        int f = check_graph(g, what);
        CHECKF(f == want[li], "%s: %d fused pairs, expected %d", what, f, want[li]);
    }
    sk_graph_free(g);
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
        sk_rng r = sk_rng_stream(4, SK_RNG_TEST, 3); /* moving statistics away from 0/1 */
        for (size_t i = 0; i < g->nstate; i++) g->state[i] = (float)(0.5 + sk_rng_uniform(&r));
        int has_bn = 0;
        for (int i = 0; i < g->n; i++) has_bn |= g->nodes[i].op == SK_OP_BATCHNORM;
        int levels[3] = {g->n, g->n / 3, 3};
        for (int li = 0; li < 3; li++) {
            sk_graph_freeze(g, levels[li]);
            char what[96];
            snprintf(what, sizeof what, "%s %d px level %d/%d", ai->id, sz, levels[li], g->n);
            int f = check_graph(g, what);
            printf("%s: %d fused pairs\n", what, f);
            if (li == 2 && has_bn)
                CHECKF(f > 0, "%s: nothing fused with BN frozen", what);
        }
        sk_graph_free(g);
    }
}

int main(void)
{
    check_kernel();
    check_chain();
    check_architectures();
    return sk_test_finish();
}
