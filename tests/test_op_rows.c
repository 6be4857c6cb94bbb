// LABELS: unit
/* test_op_rows: every op's row (core/exec_ops.c) is complete, and the planner's lifetimes agree
 * with what each backward really reads.
 *
 * Completeness: a Keras class (unique), a forward, a backward for every op that has inputs, a
 * backward-reads, buffers and MACs function; every op is exercised by a case below.
 *
 * Lifetimes, for every case (an op in each of its configurations, trainable and frozen, built
 * as input -> 1x1 convs -> op -> Rescaling -> [GAP] -> Dense, so that nothing after the op
 * reads its output in backward). The reference gradients come from an unshared arena (same
 * buffers, none sharing memory: every read sees what its writer wrote). Then:
 *  - sk_exec_plan_check finds no violation (every declared read is planned alive at its
 *    backward) and the planned, shared arena gives bit-identical gradients;
 *  - on the unshared arena, NaN written after the forward into every buffer not alive at the
 *    forward/backward boundary leaves the gradients bit-identical: a backward reading a buffer
 *    its row does not declare would see NaN;
 *  - each declared read, poisoned alone, changes the gradients: the row claims nothing that
 *    backward does not use, and the poisoning has teeth.
 *  - accumulating into zeroed gradients (sk_exec_set_grad_write ZERO) and writing them with
 *    NaN in the buffers first (POISON) give the same bits: rows with bwd_assigns write every
 *    element of the gradients they are first to produce and read none of their old values.
 * Dropping any single read from a row, or adding one, fails this test (checked by hand for
 * MaxPooling2D, Activation, SeparableConv2D, the fused swish, DepthwiseConv2D and Multiply).
 * MACs are checked against hand-computed counts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sk_core.h"
#include "../core/exec_internal.h"
#include "sk_base.h"
#include "sk_test.h"

enum { H = 6, W = 6, C = 3, F = 4, K = 3, N = 3 };

/* ---- the rows themselves ---- */

static void check_rows_complete(void)
{
    for (int op = 0; op < SK_OP_COUNT; op++) {
        const sk_op_row *r = &sk_op_rows[op];
        CHECKF(r->keras_class && r->keras_class[0], "op %d: Keras class", op);
        CHECKF(r->fwd != NULL, "op %d: forward", op);
        CHECKF((r->bwd != NULL) == (op != SK_OP_INPUT), "op %d: backward (all but Input)", op);
        CHECKF(r->bwd_reads != NULL, "op %d: backward reads", op);
        CHECKF(r->buffers != NULL, "op %d: buffers", op);
        CHECKF(r->macs != NULL, "op %d: MACs", op);
        CHECKF(r->fused_act == 0 || r->fused_act == 1, "op %d: fused_act flag", op);
        CHECKF(r->bwd_assigns == 0 || (r->bwd_assigns == 1 && r->bwd), "op %d: bwd_assigns flag",
               op);
        if (!r->keras_class) continue;
        CHECK_STR(sk_op_keras_class((sk_op)op), r->keras_class);
        for (int o2 = 0; o2 < op; o2++)
            CHECKF(!sk_op_rows[o2].keras_class || strcmp(sk_op_rows[o2].keras_class,
                                                         r->keras_class) != 0,
                   "ops %d and %d share the Keras class %s", o2, op, r->keras_class);
    }
    CHECK_STR(sk_op_keras_class(SK_OP_GAP2D), "GlobalAveragePooling2D");
    CHECK_STR(sk_op_keras_class(SK_OP_INPUT), "InputLayer");
}

/* ---- cases: an op under test in one configuration ---- */

typedef struct {
    const char *name;
    sk_op op;
    sk_act act;  /* activation (fused or of ReLU/Activation), else linear */
    int variant; /* op-specific: padding, broadcast side, dropout kind, ... */
} op_case;

static int pre(sk_graph *g, int x, const char *name)
{
    return sk_g_conv2d(g, name, x, F, 1, 1, 1, 1, SK_PAD_VALID, SK_BIAS, SK_ACT_LINEAR);
}

/* Builds the op under test on 1x1 convs of the input; returns its node id. */
static int build_op(sk_graph *g, int x, const op_case *c)
{
    int a = pre(g, x, "pre_a"), v = c->variant;
    sk_padding pad = v ? SK_PAD_SAME : SK_PAD_VALID;
    switch (c->op) {
    case SK_OP_CONV2D:
        return sk_g_conv2d(g, "op", a, 5, 3, 3, 1 + v, 1 + v, pad, SK_BIAS, c->act);
    case SK_OP_DEPTHWISE_CONV2D: return sk_g_dwconv2d(g, "op", a, 3, 3, 1, 1, pad, SK_BIAS);
    case SK_OP_SEPARABLE_CONV2D: {
        int id = sk_g_sepconv2d(g, "op", a, 5, 3, 3, 1, 1, pad, SK_BIAS);
        g->nodes[id].cfg.act = c->act; /* no Keras model fuses one, the executor can */
        return id;
    }
    case SK_OP_DENSE:
        if (v) a = sk_g_gap(g, "pre_gap", a, SK_GAP_FLAT); /* rank 2, else on the last axis */
        return sk_g_dense(g, "op", a, 5, SK_BIAS, c->act);
    case SK_OP_BATCHNORM: return sk_g_bn(g, "op", a, 1e-3f, 0.99f);
    case SK_OP_RELU: return sk_g_relu(g, "op", a, c->act == SK_ACT_RELU6 ? 6.0f : 0.0f);
    case SK_OP_ACTIVATION: return sk_g_act(g, "op", a, c->act);
    case SK_OP_ADD: {
        int ins[3] = {a, pre(g, x, "pre_b"), v ? pre(g, x, "pre_c") : -1};
        return sk_g_add(g, "op", 2 + v, ins);
    }
    case SK_OP_CONCATENATE: {
        int ins[3] = {a, pre(g, x, "pre_b"), v ? pre(g, x, "pre_c") : -1};
        return sk_g_concat(g, "op", 2 + v, ins);
    }
    case SK_OP_MULTIPLY: {
        int b = pre(g, x, "pre_b");
        if (v) b = sk_g_gap(g, "pre_gap", b, SK_GAP_KEEPDIMS); /* squeeze-excite scale */
        return v == 2 ? sk_g_multiply(g, "op", b, a) : sk_g_multiply(g, "op", a, b);
    }
    case SK_OP_RESHAPE: return sk_g_reshape(g, "op", a, W, H * F / 2, 2);
    case SK_OP_ZEROPADDING2D: return sk_g_zeropad(g, "op", a, 1, 2, 0, 1);
    case SK_OP_CROPPING2D: return sk_g_crop(g, "op", a, 1, 0, 2, 1);
    case SK_OP_MAXPOOL2D: return sk_g_maxpool(g, "op", a, 3, 3, 2, 2, pad);
    case SK_OP_AVGPOOL2D: return sk_g_avgpool(g, "op", a, 3, 3, 2, 2, pad);
    case SK_OP_GAP2D: return sk_g_gap(g, "op", a, v ? SK_GAP_KEEPDIMS : SK_GAP_FLAT);
    case SK_OP_RESCALING: return sk_g_rescaling(g, "op", a, 0.5f, -1.0f);
    case SK_OP_NORMALIZATION: return sk_g_normalization(g, "op", a);
    case SK_OP_DROPOUT:
        return sk_g_dropout(g, "op", a, v ? 0.4f : 0.0f,
                            v == 2 ? SK_DROPOUT_SAMPLES : SK_DROPOUT_ELEMENTS);
    case SK_OP_INPUT:
    case SK_OP_COUNT: break;
    }
    SK_ASSERT_MSG(0, "no case builder for this op");
    return -1;
}

/* Keras needs_grad rule (sk_graph_freeze) after changing one node's trainable flag. */
static void set_trainable(sk_graph *g, int id, int trainable)
{
    g->nodes[id].trainable = trainable;
    for (int i = 0; i < g->n; i++) {
        sk_node *nd = &g->nodes[i];
        int ng = nd->trainable && nd->trainable_params > 0;
        for (int j = 0; j < nd->ninputs && !ng; j++) ng = g->nodes[nd->inputs[j]].needs_grad;
        nd->needs_grad = ng;
    }
}

/* input -> op case -> Rescaling -> [GAP] -> Dense (linear); random parameters and state. */
static sk_graph *build_case(const op_case *c, int trainable, int *op_id)
{
    sk_graph *g = sk_graph_new(c->name);
    int x = sk_g_input(g, "input", H, W, C);
    int id = build_op(g, x, c);
    int y = sk_g_rescaling(g, "head_scale", id, 1.5f, 0.0f);
    if (g->nodes[y].rank == 4) y = sk_g_gap(g, "head_gap", y, SK_GAP_FLAT);
    sk_g_dense(g, "head_dense", y, K, SK_BIAS, SK_ACT_LINEAR);
    sk_graph_finalize(g);
    sk_rng r = sk_rng_stream(17, SK_RNG_TEST, (uint64_t)c->op);
    for (size_t i = 0; i < g->nparams; i++) g->params[i] = (float)(0.4 * sk_rng_normal(&r));
    for (size_t i = 0; i < g->nstate; i++) g->state[i] = (float)(0.5 + sk_rng_uniform(&r));
    set_trainable(g, id, trainable);
    *op_id = id;
    return g;
}

/* ---- runs ---- */

typedef enum { POISON_NONE, POISON_DEAD, POISON_ONE } poison_kind;

/* NaN into every buffer not alive at the forward/backward boundary (dead, or first written in
 * backward) and into the op workspace. Only on an unshared arena, where no live buffer shares
 * a float with a dead one. */
static void poison_dead(sk_exec *ex)
{
    int t = ex->g->n; /* the caller's use of the output */
    for (int k = 0; k < ex->nplan; k++) {
        const sk_plan_buf *b = &ex->plan[k];
        if (b->t0 <= t && t <= b->t1) continue;
        for (size_t i = 0; i < b->size; i++) ex->arena[b->off + i] = NAN;
    }
    for (size_t i = 0; i < ex->work_floats; i++) ex->work[i] = NAN;
}

/* Forward (training) and backward of the case graph on a planned (shared) or unshared arena;
 * the parameter gradients into grads. Poisons after the forward as asked (unshared only;
 * POISON_ONE: buffer `kind` of node `node`). Returns sk_exec_plan_check's count. grad_write:
 * sk_exec_set_grad_write's mode (POISON: NaN in what the first backward consumers write). */
static int run_mode(sk_graph *g, int shared, poison_kind pk, int node, int kind, float *grads,
                    int grad_write)
{
    float x[N * H * W * C], dout[N * K];
    sk_rng r = sk_rng_stream(3, SK_RNG_TEST, 9);
    for (size_t i = 0; i < SK_ARRAY_LEN(x); i++) x[i] = (float)sk_rng_normal(&r);
    for (size_t i = 0; i < SK_ARRAY_LEN(dout); i++) dout[i] = (float)sk_rng_normal(&r);
    float *state = malloc((g->nstate + 1) * sizeof(float));
    memcpy(state, g->state, g->nstate * sizeof(float)); /* BN moving statistics move */
    sk_exec *ex = shared ? sk_exec_new(g, N) : sk_exec_new_unshared(g, N);
    int bad = sk_exec_plan_check(ex);
    sk_exec_set_grad_write(ex, grad_write);
    sk_exec_forward(ex, x, N, 1, 5, 1);
    SK_ASSERT(!shared || pk == POISON_NONE);
    if (pk == POISON_DEAD) poison_dead(ex);
    if (pk == POISON_ONE) {
        const sk_plan_buf *b = sk_exec_planned(ex, node, kind);
        SK_ASSERT(b != NULL);
        for (size_t i = 0; i < b->size; i++) ex->arena[b->off + i] = NAN;
    }
    sk_exec_backward(ex, dout, 0);
    memcpy(grads, sk_exec_grads(ex), g->nparams * sizeof(float));
    sk_exec_free(ex);
    memcpy(g->state, state, g->nstate * sizeof(float));
    free(state);
    return bad;
}

static int run(sk_graph *g, int shared, poison_kind pk, int node, int kind, float *grads)
{
    return run_mode(g, shared, pk, node, kind, grads, SK_GRAD_WRITE_ASSIGN);
}

static int same_bits(const float *a, const float *b, size_t n)
{
    return memcmp(a, b, n * sizeof(float)) == 0;
}

/* The declared reads of node id as (node, buffer kind) pairs; returns the count. */
static int declared_reads(const sk_graph *g, int id, int (*out)[2])
{
    const sk_node *nd = &g->nodes[id];
    sk_bwd_reads r = sk_exec_bwd_reads(nd);
    int n = 0;
    for (int k = 0; k < nd->ninputs; k++)
        if (r.input[k]) out[n][0] = nd->inputs[k], out[n++][1] = B_ACT;
    if (r.output) out[n][0] = id, out[n++][1] = B_ACT;
    if (r.pre) out[n][0] = id, out[n++][1] = B_PRE;
    if (r.mid) out[n][0] = id, out[n++][1] = B_MID;
    return n;
}

/* The reference is the unshared arena, where every read sees what its writer wrote. */
static void check_case(const op_case *c, int trainable, uint8_t *covered)
{
    int id;
    sk_graph *g = build_case(c, trainable, &id);
    covered[c->op] = 1;
    const char *mode = trainable ? "trainable" : "frozen";
    CHECKF(g->nodes[id].op == c->op && g->nodes[id].needs_grad, "%s %s: op node needs a gradient",
           c->name, mode);
    size_t np = g->nparams;
    float *ref = malloc(np * sizeof(float)), *got = malloc(np * sizeof(float));
    int bad = run(g, 0, POISON_NONE, 0, 0, ref);
    CHECKF(bad == 0, "%s %s: unshared plan: %d violations", c->name, mode, bad);
    int finite = 1;
    for (size_t i = 0; i < np; i++) finite &= isfinite(ref[i]) != 0;
    CHECKF(finite, "%s %s: reference gradients are finite", c->name, mode);
    bad = run(g, 1, POISON_NONE, 0, 0, got);
    CHECKF(bad == 0, "%s %s: sk_exec_plan_check found %d violations", c->name, mode, bad);
    CHECKF(same_bits(got, ref, np), "%s %s: the planned arena's memory reuse changes the gradients",
           c->name, mode);
    run_mode(g, 0, POISON_NONE, 0, 0, got, SK_GRAD_WRITE_ZERO);
    CHECKF(same_bits(got, ref, np),
           "%s %s: writing first gradients (bwd_assigns) differs from accumulating into zeros",
           c->name, mode);
    run_mode(g, 1, POISON_NONE, 0, 0, got, SK_GRAD_WRITE_POISON);
    CHECKF(same_bits(got, ref, np),
           "%s %s: a backward reads a gradient it must overwrite (NaN-filled first)", c->name,
           mode);
    run(g, 0, POISON_DEAD, 0, 0, got);
    CHECKF(same_bits(got, ref, np),
           "%s %s: backward reads memory the plan let die (a read missing from its row)", c->name,
           mode);
    int reads[SK_NODE_MAX_INPUTS + 3][2];
    int nr = declared_reads(g, id, reads);
    for (int k = 0; k < nr; k++) {
        run(g, 0, POISON_ONE, reads[k][0], reads[k][1], got);
        CHECKF(!same_bits(got, ref, np),
               "%s %s: declared read (node %s, buffer kind %d) is never read by backward",
               c->name, mode, g->nodes[reads[k][0]].name, reads[k][1]);
    }
    free(ref);
    free(got);
    sk_graph_free(g);
}

static const op_case cases[] = {
    {"conv", SK_OP_CONV2D, SK_ACT_LINEAR, 0},
    {"conv relu same stride 2", SK_OP_CONV2D, SK_ACT_RELU, 1},
    {"conv relu6", SK_OP_CONV2D, SK_ACT_RELU6, 0},
    {"conv swish", SK_OP_CONV2D, SK_ACT_SWISH, 0},
    {"conv sigmoid", SK_OP_CONV2D, SK_ACT_SIGMOID, 1},
    {"conv softmax", SK_OP_CONV2D, SK_ACT_SOFTMAX, 0},
    {"depthwise", SK_OP_DEPTHWISE_CONV2D, SK_ACT_LINEAR, 0},
    {"depthwise same", SK_OP_DEPTHWISE_CONV2D, SK_ACT_LINEAR, 1},
    {"separable", SK_OP_SEPARABLE_CONV2D, SK_ACT_LINEAR, 1},
    {"separable relu", SK_OP_SEPARABLE_CONV2D, SK_ACT_RELU, 0},
    {"separable swish", SK_OP_SEPARABLE_CONV2D, SK_ACT_SWISH, 1},
    {"dense last axis", SK_OP_DENSE, SK_ACT_LINEAR, 0},
    {"dense softmax", SK_OP_DENSE, SK_ACT_SOFTMAX, 1},
    {"dense swish", SK_OP_DENSE, SK_ACT_SWISH, 1},
    {"dense relu", SK_OP_DENSE, SK_ACT_RELU, 0},
    {"batchnorm", SK_OP_BATCHNORM, SK_ACT_LINEAR, 0},
    {"relu", SK_OP_RELU, SK_ACT_RELU, 0},
    {"relu6", SK_OP_RELU, SK_ACT_RELU6, 0},
    {"activation relu", SK_OP_ACTIVATION, SK_ACT_RELU, 0},
    {"activation swish", SK_OP_ACTIVATION, SK_ACT_SWISH, 0},
    {"activation sigmoid", SK_OP_ACTIVATION, SK_ACT_SIGMOID, 0},
    {"activation softmax", SK_OP_ACTIVATION, SK_ACT_SOFTMAX, 0},
    {"activation linear", SK_OP_ACTIVATION, SK_ACT_LINEAR, 0},
    {"add", SK_OP_ADD, SK_ACT_LINEAR, 0},
    {"add of three", SK_OP_ADD, SK_ACT_LINEAR, 1},
    {"concatenate", SK_OP_CONCATENATE, SK_ACT_LINEAR, 0},
    {"concatenate three", SK_OP_CONCATENATE, SK_ACT_LINEAR, 1},
    {"multiply", SK_OP_MULTIPLY, SK_ACT_LINEAR, 0},
    {"multiply by scale", SK_OP_MULTIPLY, SK_ACT_LINEAR, 1},
    {"multiply scale first", SK_OP_MULTIPLY, SK_ACT_LINEAR, 2},
    {"reshape", SK_OP_RESHAPE, SK_ACT_LINEAR, 0},
    {"zeropadding", SK_OP_ZEROPADDING2D, SK_ACT_LINEAR, 0},
    {"cropping", SK_OP_CROPPING2D, SK_ACT_LINEAR, 0},
    {"maxpool valid", SK_OP_MAXPOOL2D, SK_ACT_LINEAR, 0},
    {"maxpool same", SK_OP_MAXPOOL2D, SK_ACT_LINEAR, 1},
    {"avgpool valid", SK_OP_AVGPOOL2D, SK_ACT_LINEAR, 0},
    {"avgpool same", SK_OP_AVGPOOL2D, SK_ACT_LINEAR, 1},
    {"gap", SK_OP_GAP2D, SK_ACT_LINEAR, 0},
    {"gap keepdims", SK_OP_GAP2D, SK_ACT_LINEAR, 1},
    {"rescaling", SK_OP_RESCALING, SK_ACT_LINEAR, 0},
    {"normalization", SK_OP_NORMALIZATION, SK_ACT_LINEAR, 0},
    {"dropout rate 0", SK_OP_DROPOUT, SK_ACT_LINEAR, 0},
    {"dropout", SK_OP_DROPOUT, SK_ACT_LINEAR, 1},
    {"dropout per sample", SK_OP_DROPOUT, SK_ACT_LINEAR, 2},
};

static void check_lifetimes(void)
{
    uint8_t covered[SK_OP_COUNT] = {[SK_OP_INPUT] = 1}; /* the input layer of every case */
    for (size_t i = 0; i < SK_ARRAY_LEN(cases); i++)
        for (int trainable = 1; trainable >= 0; trainable--)
            check_case(&cases[i], trainable, covered);
    for (int op = 0; op < SK_OP_COUNT; op++)
        CHECKF(covered[op], "op %s has a lifetime case", sk_op_keras_class((sk_op)op));
}

/* ---- MACs ---- */

static double macs_of(const op_case *c)
{
    int id;
    sk_graph *g = build_case(c, 1, &id);
    double m = sk_node_macs(g, &g->nodes[id]);
    sk_graph_free(g);
    return m;
}

static void check_macs(void)
{
    /* F = 4 channels into the op on a 6x6 map; 3x3 windows */
    CHECK(macs_of(&cases[0]) == 4.0 * 4 * 9 * F * 5);    /* conv valid: 4x4 out, 5 filters */
    CHECK(macs_of(&cases[1]) == 3.0 * 3 * 9 * F * 5);    /* same, stride 2: 3x3 out */
    CHECK(macs_of(&cases[6]) == 4.0 * 4 * 9 * F);        /* depthwise valid */
    CHECK(macs_of(&cases[8]) == 36.0 * 9 * F + 36.0 * F * 5); /* separable same */
    CHECK(macs_of(&cases[11]) == 36.0 * F * 5);          /* dense on the last axis */
    CHECK(macs_of(&cases[12]) == 1.0 * F * 5);           /* dense after GAP */
    for (size_t i = 0; i < SK_ARRAY_LEN(cases); i++) {
        sk_op op = cases[i].op;
        if (op == SK_OP_CONV2D || op == SK_OP_DEPTHWISE_CONV2D ||
            op == SK_OP_SEPARABLE_CONV2D || op == SK_OP_DENSE)
            continue;
        CHECKF(macs_of(&cases[i]) == 0.0, "%s: no multiply-adds", cases[i].name);
    }
}

int main(void)
{
    check_rows_complete();
    check_lifetimes();
    check_macs();
    return sk_test_finish();
}
