// LABELS: unit determinism
// TIMEOUT: 600
/* test_bn_act_fuse: the executor runs a BatchNormalization whose only consumer is a relu /
 * relu6 / swish node as one pass in that node's forward (exec_fuse.c), without planning the BN
 * output; when the BN's backward runs (relu / relu6), the BN backward applies the activation's
 * backward on the fly and the BN output's gradient is not planned. The bits must be those of
 * the separate passes:
 *  - kernels: sk_bn_act_forward_infer / sk_bn_act_forward_train against the BN kernel +
 *    sk_act_forward, sk_bn_act_backward_{train,infer}_mode against sk_act_backward_mode +
 *    the BN backward (assign and accumulate, with and without dgamma/dbeta), odd channel counts,
 *    m not a multiple of the chunk, 1 and 2 threads (the naive twins are in test_ops_ref);
 *  - graphs: forward-fused (the default) and forward+backward-fused against sk_exec_set_fuse(0), inference and training forward
 *    outputs, the gradients of every parameter after a training and after an inference
 *    forward, BN moving statistics, in the ASSIGN, ZERO and POISON grad-write modes, on small
 *    graphs (relu, relu6, swish after BN; a BN feeding two nodes, which must not fuse) and the
 *    seven architectures at their smallest input (head, a third and all layers trainable), with
 *    the plan checked (sk_exec_plan_check) and no gradient planned for a backward-fused BN. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

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

/* Sets the OpenMP team size; returns the previous one. */
static int threads_to(int n)
{
    int prev = 1;
#ifdef _OPENMP
    prev = omp_get_max_threads();
    omp_set_num_threads(n);
#else
    (void)n;
#endif
    return prev;
}

/* Kernel inputs of one case: x (m x c), gamma, beta, moving mean / variance (c each), the
 * activation's output gradient with exact zeros and negative zeros among it. */
typedef struct {
    float *x, *p, *dact;
    size_t m, cnt;
    int c;
} kcase;

static kcase kcase_new(size_t m, int c, uint64_t seed)
{
    kcase k = {NULL, NULL, NULL, m, m * (size_t)c, c};
    k.x = malloc(k.cnt * 4);
    k.dact = malloc(k.cnt * 4);
    k.p = malloc(4 * (size_t)c * 4);
    fill(k.x, k.cnt, seed, 4.0, 0.5);
    fill(k.dact, k.cnt, seed + 1, 1.0, 0.0);
    for (size_t i = 0; i < k.cnt; i += 5) k.dact[i] = i % 2 ? -0.0f : 0.0f;
    fill(k.p, 3 * (size_t)c, seed + 2, 3.0, 0.0); /* gamma up to ~9: relu6 saturates */
    for (int j = 0; j < c; j++) k.p[3 * c + j] = 0.2f + fabsf(k.p[j]); /* variance */
    return k;
}

static void kcase_free(kcase *k)
{
    free(k->x);
    free(k->dact);
    free(k->p);
}

/* A gradient buffer as the executor hands it over: NaN when assigned, old values otherwise. */
static float *grad_buf(size_t n, unsigned assign, uint64_t seed)
{
    float *g = malloc((n + 1) * 4);
    fill(g, n, seed, 1.0, 0.0);
    if (assign)
        for (size_t i = 0; i < n; i++) g[i] = NAN;
    return g;
}

/* The three gradients of one BN backward: dinp (cnt), dgamma and dbeta (c each, accumulated). */
typedef struct {
    float *dx, *dg, *db;
} kgrads;

static kgrads kgrads_new(const kcase *k, unsigned assign)
{
    kgrads g = {grad_buf(k->cnt, assign, 21), grad_buf((size_t)k->c, 0, 22),
                grad_buf((size_t)k->c, 0, 23)};
    return g;
}

static void kgrads_cmp(kgrads *ref, kgrads *got, const kcase *k, const char *what)
{
    CHECKF(memcmp(ref->dx, got->dx, k->cnt * 4) == 0 && memcmp(ref->dg, got->dg, k->c * 4) == 0 &&
               memcmp(ref->db, got->db, k->c * 4) == 0,
           "%s m %zu c %d: gradients differ", what, k->m, k->c);
    free(ref->dx), free(ref->dg), free(ref->db);
    free(got->dx), free(got->dg), free(got->db);
}

/* Training forward (statistics and output) and the backwards (batch and moving statistics) of
 * one case, fused against separate. */
static void check_kernel_train_case(const kcase *k, sk_act act)
{
    const size_t cnt = k->cnt;
    const int c = k->c;
    const float *gamma = k->p, *beta = k->p + c, *mm = k->p + 2 * c, *mv = k->p + 3 * c;
    float *ref = malloc(cnt * 4), *got = malloc(cnt * 4), *dy = malloc(cnt * 4);
    float *st = malloc(6 * (size_t)c * 4), *sg = st + 3 * c;
    const char *an = sk_act_name(act);
    sk_bn_forward_train(ref, st, st + c, st + 2 * c, k->x, gamma, beta, k->m, c, 1e-3f);
    sk_act_forward(ref, ref, cnt, act);
    sk_bn_act_forward_train(got, sg, sg + c, sg + 2 * c, k->x, gamma, beta, k->m, c, 1e-3f, act);
    CHECKF(memcmp(got, ref, cnt * 4) == 0 && memcmp(st, sg, 3 * (size_t)c * 4) == 0,
           "train forward %s m %zu c %d differs", an, k->m, c);
    sk_act_backward_mode(dy, k->dact, NULL, ref, cnt, act, 1); /* the BN output's gradient */
    for (unsigned as = 0; as < 2; as++) {
        kgrads r = kgrads_new(k, as), f = kgrads_new(k, as);
        sk_bn_backward_train_mode(r.dx, r.dg, r.db, dy, k->x, st, st + 2 * c, gamma, k->m, c, as);
        sk_bn_act_backward_train_mode(f.dx, f.dg, f.db, k->dact, ref, act, k->x, st, st + 2 * c,
                                      gamma, k->m, c, as);
        kgrads_cmp(&r, &f, k, as ? "train backward assign" : "train backward");
        for (int want = 0; want < 2; want++) { /* frozen BN: no dgamma / dbeta */
            r = kgrads_new(k, as), f = kgrads_new(k, as);
            sk_bn_backward_infer_mode(r.dx, want ? r.dg : NULL, want ? r.db : NULL, dy, k->x,
                                      gamma, mm, mv, k->m, c, 1e-3f, as);
            sk_bn_act_backward_infer_mode(f.dx, want ? f.dg : NULL, want ? f.db : NULL, k->dact,
                                          ref, act, k->x, gamma, mm, mv, k->m, c, 1e-3f, as);
            kgrads_cmp(&r, &f, k, want ? "infer backward" : "infer backward, dx only");
        }
    }
    /* dinp not wanted (the BN input needs no gradient): parameter gradients only */
    kgrads r = kgrads_new(k, 0), f = kgrads_new(k, 0);
    sk_bn_backward_train_mode(NULL, r.dg, r.db, dy, k->x, st, st + 2 * c, gamma, k->m, c, 0);
    sk_bn_act_backward_train_mode(NULL, f.dg, f.db, k->dact, ref, act, k->x, st, st + 2 * c,
                                  gamma, k->m, c, 0);
    kgrads_cmp(&r, &f, k, "train backward, no dinp");
    free(ref);
    free(got);
    free(dy);
    free(st);
}

static void check_kernel_train(void)
{
    const sk_act acts[2] = {SK_ACT_RELU, SK_ACT_RELU6};
    const size_t ms[4] = {1, 37, 2341, 20011}; /* c = 7: chunks of 2340 rows */
    const int cs[3] = {1, 7, 97};
    int prev = threads_to(1);
    for (int nt = 1; nt <= 2; nt++) {
        threads_to(nt);
        for (int mi = 0; mi < 4; mi++)
            for (int ci = 0; ci < 3; ci++) {
                kcase k = kcase_new(ms[mi], cs[ci], 1 + (uint64_t)(mi * 3 + ci));
                for (int ai = 0; ai < 2; ai++) check_kernel_train_case(&k, acts[ai]);
                kcase_free(&k);
            }
    }
    threads_to(prev);
}

typedef struct {
    float *out_train, *out_infer, *grads, *grads_infer, *state;
    int fused, fused_bwd, plan_bad, bn_grads;
} result;

static float *copy_out(const float *src, size_t n)
{
    float *d = malloc((n + 1) * sizeof(float));
    memcpy(d, src, n * sizeof(float));
    return d;
}

/* Fused pairs, those fused in backward too, and BN nodes of such pairs with a gradient planned. */
static void count_fused(const sk_exec *ex, result *r)
{
    for (int i = 0; i < ex->g->n; i++) {
        if (!sk_exec_fused_away(ex, i)) continue;
        r->fused++;
        r->fused_bwd += sk_exec_bwd_fused(ex, i);
        r->bn_grads += sk_exec_bwd_fused(ex, i) && sk_exec_planned(ex, i, B_GRAD) != NULL;
    }
}

/* An inference forward + backward, then a training forward + backward through the logits or
 * output, gradients written in grad-write mode `mode`. */
static result run(sk_graph *g, int fuse, int mode, const float *x)
{
    result r = {0};
    float *state0 = copy_out(g->state, g->nstate);
    int prev = sk_exec_set_fuse(fuse);
    sk_exec *ex = sk_exec_new(g, NB);
    sk_exec_set_fuse(prev);
    sk_exec_set_grad_write(ex, mode);
    count_fused(ex, &r);
    r.plan_bad = sk_exec_plan_check(ex);
    int bwd = g->nparams && ex->training_plan;
    float dl[NB * K];
    fill(dl, NB * K, 5, 1.0, 0.0);
    sk_exec_forward(ex, x, NB, 0, 11, 3);
    size_t on = NB * sk_exec_output_size(ex);
    r.out_infer = copy_out(sk_exec_output(ex), on);
    if (bwd) sk_exec_backward(ex, dl, 0);
    r.grads_infer = copy_out(sk_exec_grads(ex), g->nparams);
    sk_exec_forward(ex, x, NB, 1, 11, 3);
    r.out_train = copy_out(sk_exec_output(ex), on);
    int wrt_logits = sk_exec_logits(ex) != NULL;
    if (wrt_logits) {
        int32_t y[NB] = {0, 2, 3};
        sk_xent_forward_backward(dl, sk_exec_logits(ex), sk_exec_output(ex), y, NULL, NB, K,
                                 SK_XENT_LOGITS);
    }
    if (bwd) sk_exec_backward(ex, dl, wrt_logits);
    r.grads = copy_out(sk_exec_grads(ex), g->nparams);
    r.state = copy_out(g->state, g->nstate);
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
    free(r->grads_infer);
    free(r->state);
    r->out_train = r->out_infer = r->grads = r->grads_infer = r->state = NULL;
}

static const char *mode_name(int mode)
{
    return mode == SK_GRAD_WRITE_ZERO ? "zero" : mode == SK_GRAD_WRITE_POISON ? "poison" : "assign";
}

/* Fused (forward only, then forward and backward) in every grad-write mode against unfused (assign; test_grad_assign holds the unfused
 * modes to each other), bit for bit; returns the result of the last fused run (counts only). */
static result check_graph(sk_graph *g, const char *what)
{
    size_t in = sk_node_numel(sk_graph_node(g, 0));
    float *x = malloc(sizeof(float) * NB * in);
    fill(x, NB * in, 9, 1.0, 0.0);
    result ref = run(g, 0, SK_GRAD_WRITE_ASSIGN, x), got = {0};
    size_t on = NB * sk_node_numel(sk_graph_node(g, g->output));
    CHECKF(ref.fused == 0, "%s: fusion switched off still fused %d", what, ref.fused);
    /* forward fusion (the default), then forward and backward fusion */
    for (int k = 0; k < 6; k++) {
        int mode = SK_GRAD_WRITE_ASSIGN + k % 3, fm = k < 3 ? SK_FUSE_FORWARD
                                                            : SK_FUSE_FORWARD | SK_FUSE_BACKWARD;
        char mn[48];
        snprintf(mn, sizeof mn, "%s, %s fusion", mode_name(mode), k < 3 ? "forward" : "full");
        got = run(g, fm, mode, x);
        CHECKF(got.plan_bad == 0, "%s: %d plan violations", what, got.plan_bad);
        CHECKF(k >= 3 || got.fused_bwd == 0, "%s: backward fused by default", what);
        CHECKF(got.bn_grads == 0, "%s: %d fused BN gradients planned", what, got.bn_grads);
        CHECKF(memcmp(got.out_infer, ref.out_infer, on * 4) == 0, "%s %s: inference output", what, mn);
        CHECKF(memcmp(got.out_train, ref.out_train, on * 4) == 0, "%s %s: training output", what, mn);
        CHECKF(memcmp(got.grads, ref.grads, g->nparams * 4) == 0, "%s %s: gradients", what, mn);
        CHECKF(memcmp(got.grads_infer, ref.grads_infer, g->nparams * 4) == 0,
               "%s %s: gradients after an inference forward", what, mn);
        CHECKF(memcmp(got.state, ref.state, g->nstate * 4) == 0, "%s %s: moving statistics", what, mn);
        result_free(&got);
    }
    result_free(&ref);
    free(x);
    return got;
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
    int levels[3] = {g->n, 3, 1}, want[3] = {2, 3, 3}; /* bn3 feeds two nodes: never fused */
    for (int li = 0; li < 3; li++) {
        sk_graph_freeze(g, levels[li]);
        char what[64];
        snprintf(what, sizeof what, "chain, %d trainable", levels[li]);
        int f = check_graph(g, what).fused;
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
            result f = check_graph(g, what);
            printf("%s: %d fused pairs, %d of them in backward too\n", what, f.fused,
                   f.fused_bwd);
            if (li == 2 && has_bn) CHECKF(f.fused > 0, "%s: nothing fused with BN frozen", what);
            if (li == 0 && has_bn) /* all trainable: every pair fuses its backward */
                CHECKF(f.fused_bwd == f.fused, "%s: %d pairs not fused in backward", what,
                       f.fused - f.fused_bwd);
        }
        sk_graph_free(g);
    }
}

int main(void)
{
    check_kernel();
    check_kernel_train();
    check_chain();
    check_architectures();
    return sk_test_finish();
}
