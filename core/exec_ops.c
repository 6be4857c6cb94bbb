/* exec_ops.c: the op rows: for every sk_op, its forward and backward in the executor, its Keras
 * class, what its backward reads, the buffers it needs and its multiply-adds (ggml style: the
 * enum indexes one const table; graph.h asserts the op count, the row test checks every row is
 * complete and that the planner keeps alive what backward reads). Forward functions handle n
 * samples from sample s0 (the frozen prefix runs one sample at a time); backward functions run
 * on the whole batch and accumulate into their inputs' gradient buffers, except input k with
 * bit k of `assign` set: its first backward consumer WRITES it (the kernels' *_mode twins,
 * ops.h), and nobody zeroed it. Only rows with bwd_assigns get assign bits; the executor zeroes
 * for the others. Frozen nodes get NULL parameter gradients, so none are computed. */
#include <string.h>

#include "exec_internal.h"
#include "sk_base.h"

/* ---- small helpers ---- */

/* Value of the variable in `slot` (SK_VAR_*) of a node (params or state slab), or NULL if the
 * node has none there (an absent bias). */
static float *var_value(const sk_exec *ex, const sk_node *nd, int slot)
{
    if (slot >= nd->ntensors) return NULL;
    const sk_tensor_info *t = &nd->tensors[slot];
    return (t->is_state ? ex->g->state : ex->g->params) + t->offset;
}

/* Gradient of a node's trainable variable, or NULL when it must not be computed (frozen). */
static float *var_grad(const sk_exec *ex, const sk_node *nd, int slot)
{
    if (slot >= nd->ntensors || nd->tensors[slot].is_state || !nd->trainable) return NULL;
    return ex->grads + nd->tensors[slot].offset;
}

int sk_exec_has_act(const sk_node *nd)
{
    return sk_op_row_of(nd->op)->fused_act && nd->cfg.act != SK_ACT_LINEAR;
}

int sk_exec_conv_applies_act(const sk_node *nd)
{
    return nd->op == SK_OP_CONV2D && (nd->cfg.act == SK_ACT_RELU || nd->cfg.act == SK_ACT_RELU6);
}

/* Activations whose backward needs the output (relu: out > 0; sigmoid, softmax: out) or the
 * input (swish). Linear needs neither. */
static int act_reads_output(sk_act a)
{
    return a == SK_ACT_RELU || a == SK_ACT_RELU6 || a == SK_ACT_SIGMOID || a == SK_ACT_SOFTMAX;
}

sk_conv_dims sk_exec_window_dims(const sk_graph *g, const sk_node *nd, int n, int oc)
{
    const sk_node *in = &g->nodes[nd->inputs[0]];
    sk_conv_dims d;
    memset(&d, 0, sizeof d);
    d.n = n;
    d.h = in->h;
    d.w = in->w;
    d.c = in->c;
    d.oc = oc;
    d.kh = nd->cfg.kh;
    d.kw = nd->cfg.kw;
    d.sh = nd->cfg.sh;
    d.sw = nd->cfg.sw;
    sk_conv_dims_pad(&d, nd->cfg.same);
    SK_ASSERT(d.oh == nd->h && d.ow == nd->w);
    return d;
}

sk_conv_dims sk_exec_pointwise_dims(const sk_node *nd, int n, int c)
{
    sk_conv_dims d;
    memset(&d, 0, sizeof d);
    d.n = n;
    d.h = nd->h;
    d.w = nd->w;
    d.c = c;
    d.oc = nd->c;
    d.kh = d.kw = d.sh = d.sw = 1;
    sk_conv_dims_pad(&d, 0);
    return d;
}

/* Floats per sample of a SeparableConv2D's depthwise output: output size, input channels. */
static size_t mid_floats(const sk_graph *g, const sk_node *nd)
{
    return (size_t)nd->h * nd->w * g->nodes[nd->inputs[0]].c;
}

/* Buffer `kind` of node id, from sample s0 on. */
static float *buf_at(const sk_exec *ex, int kind, int id, int s0)
{
    float *b = ex->buf[kind][id];
    SK_ASSERT(b != NULL);
    const sk_node *nd = sk_exec_node(ex, id);
    size_t per = kind == B_MID || kind == B_DMID ? mid_floats(ex->g, nd) : sk_node_numel(nd);
    return b + (size_t)s0 * per;
}
/* Output activation of node id from sample s0 on. */
static float *out_at(const sk_exec *ex, int id, int s0) { return buf_at(ex, B_ACT, id, s0); }
/* Activation of input k of node id from sample s0 on. */
static float *in_at(const sk_exec *ex, int id, int k, int s0)
{
    return out_at(ex, sk_exec_node(ex, id)->inputs[k], s0);
}
/* Gradient w.r.t. node id's output (whole batch). */
static float *out_grad(const sk_exec *ex, int id) { return ex->buf[B_GRAD][id]; }
/* Gradient buffer of input k of node id, or NULL if that input needs no gradient. */
static float *in_grad(const sk_exec *ex, int id, int k)
{
    int in = sk_exec_node(ex, id)->inputs[k];
    return sk_exec_node(ex, in)->needs_grad ? out_grad(ex, in) : NULL;
}

/* The assign bit (0 or 1) of input k in a backward's assign mask. */
static unsigned assign_bit(unsigned assign, int k) { return (assign >> k) & 1u; }

/* Writes the activation of a fused Conv/Dense from its pre-activation. */
static void fused_act_forward(const sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    size_t rows = (size_t)n * nd->h * nd->w;
    float *pre = buf_at(ex, B_PRE, id, s0);
    if (nd->cfg.act == SK_ACT_SOFTMAX)
        sk_softmax_forward(out_at(ex, id, s0), pre, (int)rows, nd->c);
    else
        sk_act_forward(out_at(ex, id, s0), pre, rows * nd->c, nd->cfg.act);
}

/* Gradient w.r.t. the pre-activation of a fused Conv/Dense: dpre, or the grad itself. */
static const float *fused_act_backward(sk_exec *ex, int id)
{
    const sk_node *nd = sk_exec_node(ex, id);
    if (!sk_exec_has_act(nd)) return out_grad(ex, id);
    if (ex->skip_softmax && id == ex->g->output) return ex->buf[B_DPRE][id];
    size_t rows = (size_t)ex->n * nd->h * nd->w;
    float *dpre = ex->buf[B_DPRE][id]; /* written, not accumulated */
    if (nd->cfg.act == SK_ACT_SOFTMAX)
        sk_softmax_backward_mode(dpre, out_grad(ex, id), ex->buf[B_ACT][id], (int)rows, nd->c, 1);
    else
        sk_act_backward_mode(dpre, out_grad(ex, id),
                             sk_exec_conv_applies_act(nd) ? NULL : ex->buf[B_PRE][id],
                             ex->buf[B_ACT][id], rows * nd->c, nd->cfg.act, 1);
    return dpre;
}

/* Output destination of a Conv/Dense: its pre-activation when an activation is fused. */
static float *fused_dst(const sk_exec *ex, int id, int s0)
{
    return sk_exec_has_act(sk_exec_node(ex, id)) ? buf_at(ex, B_PRE, id, s0) : out_at(ex, id, s0);
}

/* ---- per-op forward (n samples starting at sample s0) and backward (whole batch) ---- */

static void input_fwd(sk_exec *ex, int id, int n, int s0)
{
    (void)ex, (void)id, (void)n, (void)s0; /* the caller copied the input in */
}

static void conv_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    sk_conv_dims d = sk_exec_window_dims(ex->g, nd, n, nd->c);
    if (sk_exec_conv_applies_act(nd)) {
        sk_conv2d_forward_act(out_at(ex, id, s0), in_at(ex, id, 0, s0),
                              var_value(ex, nd, SK_VAR_KERNEL), var_value(ex, nd, SK_VAR_BIAS),
                              &d, ex->work, nd->cfg.act);
        return;
    }
    sk_conv2d_forward(fused_dst(ex, id, s0), in_at(ex, id, 0, s0),
                      var_value(ex, nd, SK_VAR_KERNEL), var_value(ex, nd, SK_VAR_BIAS), &d,
                      ex->work);
    if (sk_exec_has_act(nd)) fused_act_forward(ex, id, n, s0);
}
static void conv_bwd(sk_exec *ex, int id, unsigned assign)
{
    const sk_node *nd = sk_exec_node(ex, id);
    sk_conv_dims d = sk_exec_window_dims(ex->g, nd, ex->n, nd->c);
    const float *dpre = fused_act_backward(ex, id);
    sk_conv2d_backward_mode(in_grad(ex, id, 0), var_grad(ex, nd, SK_VAR_KERNEL),
                            var_grad(ex, nd, SK_VAR_BIAS), dpre, in_at(ex, id, 0, 0),
                            var_value(ex, nd, SK_VAR_KERNEL), &d, ex->work, assign);
}

static void dwconv_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    sk_conv_dims d = sk_exec_window_dims(ex->g, nd, n, nd->c);
    sk_dwconv2d_forward(out_at(ex, id, s0), in_at(ex, id, 0, s0),
                        var_value(ex, nd, SK_VAR_DW_KERNEL), var_value(ex, nd, SK_VAR_DW_BIAS), &d);
}
static void dwconv_bwd(sk_exec *ex, int id, unsigned assign)
{
    const sk_node *nd = sk_exec_node(ex, id);
    sk_conv_dims d = sk_exec_window_dims(ex->g, nd, ex->n, nd->c);
    sk_dwconv2d_backward_mode(in_grad(ex, id, 0), var_grad(ex, nd, SK_VAR_DW_KERNEL),
                              var_grad(ex, nd, SK_VAR_DW_BIAS), out_grad(ex, id),
                              in_at(ex, id, 0, 0), var_value(ex, nd, SK_VAR_DW_KERNEL), &d,
                              assign);
}

static void sepconv_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    int c = sk_exec_node(ex, nd->inputs[0])->c;
    sk_conv_dims dd = sk_exec_window_dims(ex->g, nd, n, c);
    sk_conv_dims pd = sk_exec_pointwise_dims(nd, n, c);
    float *mid = buf_at(ex, B_MID, id, s0);
    sk_dwconv2d_forward(mid, in_at(ex, id, 0, s0), var_value(ex, nd, SK_VAR_SEP_DEPTHWISE), NULL,
                        &dd);
    sk_conv2d_forward(fused_dst(ex, id, s0), mid, var_value(ex, nd, SK_VAR_SEP_POINTWISE),
                      var_value(ex, nd, SK_VAR_SEP_BIAS), &pd, ex->work);
    if (sk_exec_has_act(nd)) fused_act_forward(ex, id, n, s0);
}
static void sepconv_bwd(sk_exec *ex, int id, unsigned assign)
{
    const sk_node *nd = sk_exec_node(ex, id);
    int c = sk_exec_node(ex, nd->inputs[0])->c;
    sk_conv_dims dd = sk_exec_window_dims(ex->g, nd, ex->n, c);
    sk_conv_dims pd = sk_exec_pointwise_dims(nd, ex->n, c);
    const float *dpre = fused_act_backward(ex, id);
    float *dmid = ex->buf[B_DMID][id]; /* written, not accumulated */
    sk_conv2d_backward_mode(dmid, var_grad(ex, nd, SK_VAR_SEP_POINTWISE),
                            var_grad(ex, nd, SK_VAR_SEP_BIAS), dpre, ex->buf[B_MID][id],
                            var_value(ex, nd, SK_VAR_SEP_POINTWISE), &pd, ex->work, 1);
    sk_dwconv2d_backward_mode(in_grad(ex, id, 0), var_grad(ex, nd, SK_VAR_SEP_DEPTHWISE), NULL,
                              dmid, in_at(ex, id, 0, 0), var_value(ex, nd, SK_VAR_SEP_DEPTHWISE),
                              &dd, assign);
}

static int dense_rows(const sk_exec *ex, const sk_node *nd, int n, int *c)
{
    const sk_node *in = sk_exec_node(ex, nd->inputs[0]);
    *c = in->c;
    return (int)((size_t)n * in->h * in->w);
}
static void dense_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    int c, rows = dense_rows(ex, nd, n, &c);
    sk_dense_forward(fused_dst(ex, id, s0), in_at(ex, id, 0, s0), var_value(ex, nd, SK_VAR_KERNEL),
                     var_value(ex, nd, SK_VAR_BIAS), rows, c, nd->c);
    if (sk_exec_has_act(nd)) fused_act_forward(ex, id, n, s0);
}
static void dense_bwd(sk_exec *ex, int id, unsigned assign)
{
    const sk_node *nd = sk_exec_node(ex, id);
    int c, rows = dense_rows(ex, nd, ex->n, &c);
    const float *dpre = fused_act_backward(ex, id);
    sk_dense_backward_mode(in_grad(ex, id, 0), var_grad(ex, nd, SK_VAR_KERNEL),
                           var_grad(ex, nd, SK_VAR_BIAS), dpre, in_at(ex, id, 0, 0),
                           var_value(ex, nd, SK_VAR_KERNEL), rows, c, nd->c, assign);
}

/* BN runs on batch statistics only when trainable and in a training pass (Keras 2.x). */
static int bn_batch_stats(const sk_exec *ex, const sk_node *nd)
{
    return ex->training && nd->trainable;
}
/* Forward of BN node id into out (n samples from s0), then activation act on it unless
 * SK_ACT_LINEAR (a fused pair, exec_fuse.c: out is then the activation's output). */
static void bn_forward_into(sk_exec *ex, int id, float *out, int n, int s0, sk_act act)
{
    const sk_node *nd = sk_exec_node(ex, id);
    size_t m = (size_t)n * nd->h * nd->w;
    float *gamma = var_value(ex, nd, SK_VAR_GAMMA), *beta = var_value(ex, nd, SK_VAR_BETA);
    float *mm = var_value(ex, nd, SK_VAR_MOVING_MEAN);
    float *mv = var_value(ex, nd, SK_VAR_MOVING_VARIANCE);
    const float *x = in_at(ex, id, 0, s0);
    if (bn_batch_stats(ex, nd)) {
        SK_ASSERT(s0 == 0); /* batch statistics never run per sample */
        float *st = ex->bnstat + ex->bnstat_off[id];
        float *mean = st, *var = st + nd->c, *invstd = st + 2 * nd->c;
        if (act == SK_ACT_LINEAR)
            sk_bn_forward_train(out, mean, var, invstd, x, gamma, beta, m, nd->c, nd->cfg.eps);
        else
            sk_bn_act_forward_train(out, mean, var, invstd, x, gamma, beta, m, nd->c,
                                    nd->cfg.eps, act);
        sk_bn_update_moving(mm, mv, mean, var, m, nd->c, nd->cfg.momentum);
    } else if (act == SK_ACT_LINEAR) {
        sk_bn_forward_infer(out, x, gamma, beta, mm, mv, m, nd->c, nd->cfg.eps);
    } else {
        sk_bn_act_forward_infer(out, x, gamma, beta, mm, mv, m, nd->c, nd->cfg.eps, act);
    }
}
static void bn_fwd(sk_exec *ex, int id, int n, int s0)
{
    if (sk_exec_fused_away(ex, id)) return; /* its activation normalises (exec_fuse.c) */
    bn_forward_into(ex, id, out_at(ex, id, s0), n, s0, SK_ACT_LINEAR);
}
/* Backward of BN node id. For a pair fused in backward (exec_fuse.c) dy is not a buffer: the
 * kernel applies the activation's backward (its output and output gradient) on the fly, so the
 * profiler charges the activation's backward to this BN node. */
static void bn_bwd(sk_exec *ex, int id, unsigned assign)
{
    const sk_node *nd = sk_exec_node(ex, id);
    size_t m = (size_t)ex->n * nd->h * nd->w;
    float *gamma = var_value(ex, nd, SK_VAR_GAMMA);
    float *dgamma = var_grad(ex, nd, SK_VAR_GAMMA), *dbeta = var_grad(ex, nd, SK_VAR_BETA);
    float *din = in_grad(ex, id, 0);
    const float *x = in_at(ex, id, 0, 0);
    int a = sk_exec_bwd_fused(ex, id) ? ex->fuse[id] : -1;
    const float *dy = a >= 0 ? out_grad(ex, a) : out_grad(ex, id);
    const float *aout = a >= 0 ? out_at(ex, a, 0) : NULL;
    sk_act act = a >= 0 ? sk_exec_node(ex, a)->cfg.act : SK_ACT_LINEAR;
    if (bn_batch_stats(ex, nd)) {
        const float *st = ex->bnstat + ex->bnstat_off[id], *is = st + 2 * nd->c;
        if (aout)
            sk_bn_act_backward_train_mode(din, dgamma, dbeta, dy, aout, act, x, st, is, gamma, m,
                                          nd->c, assign);
        else
            sk_bn_backward_train_mode(din, dgamma, dbeta, dy, x, st, is, gamma, m, nd->c, assign);
        return;
    }
    const float *mm = var_value(ex, nd, SK_VAR_MOVING_MEAN);
    const float *mv = var_value(ex, nd, SK_VAR_MOVING_VARIANCE);
    if (aout)
        sk_bn_act_backward_infer_mode(din, dgamma, dbeta, dy, aout, act, x, gamma, mm, mv, m,
                                      nd->c, nd->cfg.eps, assign);
    else
        sk_bn_backward_infer_mode(din, dgamma, dbeta, dy, x, gamma, mm, mv, m, nd->c,
                                  nd->cfg.eps, assign);
}

/* ReLU and Activation: elementwise, or softmax over channels. A fused activation runs its BN's
 * forward (the profiler charges both to the activation) and leaves its backward to the BN. */
static void act_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    size_t cnt = (size_t)n * sk_node_numel(nd);
    int b = sk_exec_fused_bn_of(ex, id);
    if (b >= 0)
        bn_forward_into(ex, b, out_at(ex, id, s0), n, s0, nd->cfg.act);
    else if (nd->cfg.act == SK_ACT_SOFTMAX)
        sk_softmax_forward(out_at(ex, id, s0), in_at(ex, id, 0, s0), (int)(cnt / nd->c), nd->c);
    else
        sk_act_forward(out_at(ex, id, s0), in_at(ex, id, 0, s0), cnt, nd->cfg.act);
}
static void act_bwd(sk_exec *ex, int id, unsigned assign)
{
    const sk_node *nd = sk_exec_node(ex, id);
    size_t cnt = (size_t)ex->n * sk_node_numel(nd);
    float *din = in_grad(ex, id, 0);
    if (!din || sk_exec_bwd_fused(ex, id)) return; /* fused: bn_bwd applies it */
    if (nd->cfg.act == SK_ACT_SOFTMAX) {
        if (ex->skip_softmax && id == ex->g->output)
            sk_accumulate_mode(din, out_grad(ex, id), cnt, assign);
        else
            sk_softmax_backward_mode(din, out_grad(ex, id), ex->buf[B_ACT][id],
                                     (int)(cnt / nd->c), nd->c, assign);
    } else {
        /* only swish reads its input; a forward-fused BN's output is not a buffer */
        const float *inp = nd->cfg.act == SK_ACT_SWISH ? in_at(ex, id, 0, 0) : NULL;
        sk_act_backward_mode(din, out_grad(ex, id), inp, ex->buf[B_ACT][id], cnt, nd->cfg.act,
                             assign);
    }
}

static void add_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    size_t cnt = (size_t)n * sk_node_numel(nd);
    float *out = out_at(ex, id, s0);
    sk_add_forward(out, in_at(ex, id, 0, s0), in_at(ex, id, 1, s0), cnt);
    for (int k = 2; k < nd->ninputs; k++) sk_accumulate(out, in_at(ex, id, k, s0), cnt);
}
static void add_bwd(sk_exec *ex, int id, unsigned assign)
{
    const sk_node *nd = sk_exec_node(ex, id);
    size_t cnt = (size_t)ex->n * sk_node_numel(nd);
    for (int k = 0; k < nd->ninputs; k++) { /* in order: a repeated input is assigned first */
        float *din = in_grad(ex, id, k);
        if (din) sk_accumulate_mode(din, out_grad(ex, id), cnt, assign_bit(assign, k));
    }
}

static void concat_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    const float *ins[SK_NODE_MAX_INPUTS];
    int cs[SK_NODE_MAX_INPUTS];
    for (int k = 0; k < nd->ninputs; k++) {
        ins[k] = in_at(ex, id, k, s0);
        cs[k] = sk_exec_node(ex, nd->inputs[k])->c;
    }
    sk_concat_forward(out_at(ex, id, s0), ins, cs, nd->ninputs, (size_t)n * nd->h * nd->w);
}
static void concat_bwd(sk_exec *ex, int id, unsigned assign)
{
    const sk_node *nd = sk_exec_node(ex, id);
    float *dins[SK_NODE_MAX_INPUTS];
    int cs[SK_NODE_MAX_INPUTS];
    for (int k = 0; k < nd->ninputs; k++) {
        dins[k] = in_grad(ex, id, k);
        cs[k] = sk_exec_node(ex, nd->inputs[k])->c;
    }
    sk_concat_backward_mode(dins, out_grad(ex, id), cs, nd->ninputs,
                            (size_t)ex->n * nd->h * nd->w, assign);
}

/* Multiply: which input is the (N,1,1,C) squeeze-excite scale, if any. */
static void mul_shape(const sk_exec *ex, const sk_node *nd, int *xi, int *si, size_t *hw, int *c)
{
    const sk_node *a = sk_exec_node(ex, nd->inputs[0]), *b = sk_exec_node(ex, nd->inputs[1]);
    size_t ha = sk_node_numel(a), hb = sk_node_numel(b);
    if (ha == hb) {
        *xi = 0, *si = 1, *hw = 1, *c = (int)ha;
    } else if (hb == (size_t)b->c && b->c == a->c) {
        *xi = 0, *si = 1, *hw = (size_t)a->h * a->w, *c = a->c;
    } else {
        SK_ASSERT(ha == (size_t)a->c && a->c == b->c);
        *xi = 1, *si = 0, *hw = (size_t)b->h * b->w, *c = b->c;
    }
}
static void mul_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    int xi, si, c;
    size_t hw;
    mul_shape(ex, nd, &xi, &si, &hw, &c);
    sk_mul_bcast_forward(out_at(ex, id, s0), in_at(ex, id, xi, s0), in_at(ex, id, si, s0), n, hw,
                         c);
}
static void mul_bwd(sk_exec *ex, int id, unsigned assign)
{
    const sk_node *nd = sk_exec_node(ex, id);
    int xi, si, c;
    size_t hw;
    mul_shape(ex, nd, &xi, &si, &hw, &c);
    /* the kernel writes dx before ds: an input used twice has equal shapes, so xi = 0 */
    unsigned kas = assign_bit(assign, xi) | assign_bit(assign, si) << 1;
    sk_mul_bcast_backward_mode(in_grad(ex, id, xi), in_grad(ex, id, si), out_grad(ex, id),
                               in_at(ex, id, xi, 0), in_at(ex, id, si, 0), ex->n, hw, c, kas);
}

/* Reshape, and Dropout when inactive: a copy (cheap next to any conv). */
static void copy_fwd(sk_exec *ex, int id, int n, int s0)
{
    size_t cnt = (size_t)n * sk_node_numel(sk_exec_node(ex, id));
    memcpy(out_at(ex, id, s0), in_at(ex, id, 0, s0), cnt * sizeof(float));
}
static void copy_bwd(sk_exec *ex, int id, unsigned assign)
{
    float *din = in_grad(ex, id, 0);
    size_t cnt = (size_t)ex->n * sk_node_numel(sk_exec_node(ex, id));
    if (din) sk_accumulate_mode(din, out_grad(ex, id), cnt, assign);
}

/* ZeroPadding2D and Cropping2D: the same walk with cfg.pad as top, bottom, left, right. */
typedef void (*border_fn)(float *dst, const float *src, int n, int h, int w, int c, int t, int b,
                          int l, int r);
static void border_fwd(sk_exec *ex, int id, int n, int s0, border_fn f)
{
    const sk_node *nd = sk_exec_node(ex, id), *in = sk_exec_node(ex, nd->inputs[0]);
    const int *p = nd->cfg.pad;
    f(out_at(ex, id, s0), in_at(ex, id, 0, s0), n, in->h, in->w, in->c, p[0], p[1], p[2], p[3]);
}
static void zeropad_fwd(sk_exec *ex, int id, int n, int s0)
{
    border_fwd(ex, id, n, s0, sk_pad_forward);
}
static void zeropad_bwd(sk_exec *ex, int id, unsigned assign)
{
    const sk_node *nd = sk_exec_node(ex, id), *in = sk_exec_node(ex, nd->inputs[0]);
    const int *p = nd->cfg.pad;
    float *din = in_grad(ex, id, 0);
    if (din)
        sk_pad_backward_mode(din, out_grad(ex, id), ex->n, in->h, in->w, in->c, p[0], p[1], p[2],
                             p[3], assign);
}
static void crop_fwd(sk_exec *ex, int id, int n, int s0)
{
    border_fwd(ex, id, n, s0, sk_crop_forward);
}
/* Cropping2D leaves the cropped border of dinp alone: accumulate only (the row has no
 * bwd_assigns, so the executor zeroes dinp first). */
static void crop_bwd(sk_exec *ex, int id, unsigned assign)
{
    const sk_node *nd = sk_exec_node(ex, id), *in = sk_exec_node(ex, nd->inputs[0]);
    const int *p = nd->cfg.pad;
    float *din = in_grad(ex, id, 0);
    SK_ASSERT(assign == 0);
    if (din)
        sk_crop_backward(din, out_grad(ex, id), ex->n, in->h, in->w, in->c, p[0], p[1], p[2],
                         p[3]);
}

/* MaxPooling2D and AveragePooling2D: a window over each channel. */
static sk_conv_dims pool_dims(const sk_exec *ex, int id, int n)
{
    const sk_node *nd = sk_exec_node(ex, id);
    return sk_exec_window_dims(ex->g, nd, n, nd->c);
}
typedef void (*pool_fwd_fn)(float *out, const float *inp, const sk_conv_dims *d);
static void pool_fwd(sk_exec *ex, int id, int n, int s0, pool_fwd_fn f)
{
    sk_conv_dims d = pool_dims(ex, id, n);
    f(out_at(ex, id, s0), in_at(ex, id, 0, s0), &d);
}
static void maxpool_fwd(sk_exec *ex, int id, int n, int s0)
{
    pool_fwd(ex, id, n, s0, sk_maxpool_forward);
}
static void avgpool_fwd(sk_exec *ex, int id, int n, int s0)
{
    pool_fwd(ex, id, n, s0, sk_avgpool_forward);
}
/* Pools scatter into overlapping windows: accumulate only (no bwd_assigns: zeroed first). */
static void maxpool_bwd(sk_exec *ex, int id, unsigned assign)
{
    SK_ASSERT(assign == 0);
    sk_conv_dims d = pool_dims(ex, id, ex->n);
    float *din = in_grad(ex, id, 0);
    if (din) sk_maxpool_backward(din, out_grad(ex, id), in_at(ex, id, 0, 0), &d);
}
static void avgpool_bwd(sk_exec *ex, int id, unsigned assign)
{
    SK_ASSERT(assign == 0);
    sk_conv_dims d = pool_dims(ex, id, ex->n);
    float *din = in_grad(ex, id, 0);
    if (din) sk_avgpool_backward(din, out_grad(ex, id), &d);
}

static void gap_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *in = sk_exec_node(ex, sk_exec_node(ex, id)->inputs[0]);
    sk_gap_forward(out_at(ex, id, s0), in_at(ex, id, 0, s0), n, (size_t)in->h * in->w, in->c);
}
static void gap_bwd(sk_exec *ex, int id, unsigned assign)
{
    const sk_node *in = sk_exec_node(ex, sk_exec_node(ex, id)->inputs[0]);
    float *din = in_grad(ex, id, 0);
    if (din)
        sk_gap_backward_mode(din, out_grad(ex, id), ex->n, (size_t)in->h * in->w, in->c, assign);
}

static void rescale_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    sk_rescale_forward(out_at(ex, id, s0), in_at(ex, id, 0, s0), (size_t)n * sk_node_numel(nd),
                       nd->cfg.scale, nd->cfg.offset);
}
/* Rescaling and Normalization sit at the input (rarely needing a gradient): accumulate only. */
static void rescale_bwd(sk_exec *ex, int id, unsigned assign)
{
    SK_ASSERT(assign == 0);
    const sk_node *nd = sk_exec_node(ex, id);
    float *din = in_grad(ex, id, 0);
    if (din)
        sk_rescale_backward(din, out_grad(ex, id), (size_t)ex->n * sk_node_numel(nd),
                            nd->cfg.scale);
}

static void norm_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    sk_normalize_forward(out_at(ex, id, s0), in_at(ex, id, 0, s0),
                         var_value(ex, nd, SK_VAR_NORM_MEAN),
                         var_value(ex, nd, SK_VAR_NORM_VARIANCE), (size_t)n * nd->h * nd->w,
                         nd->c);
}
static void norm_bwd(sk_exec *ex, int id, unsigned assign)
{
    SK_ASSERT(assign == 0);
    const sk_node *nd = sk_exec_node(ex, id);
    float *din = in_grad(ex, id, 0);
    if (din)
        sk_normalize_backward(din, out_grad(ex, id), var_value(ex, nd, SK_VAR_NORM_VARIANCE),
                              (size_t)ex->n * nd->h * nd->w, nd->c);
}

void sk_exec_dropout_draw(float *mask, const sk_graph *g, int id, int n, uint64_t seed,
                          uint64_t step)
{
    const sk_node *nd = &g->nodes[id];
    SK_ASSERT(nd->op == SK_OP_DROPOUT);
    size_t units = nd->cfg.per_sample ? (size_t)n : (size_t)n * sk_node_numel(nd);
    sk_dropout_mask(mask, units, nd->cfg.rate, seed, (step << 20) | (uint64_t)id);
}

static int dropout_active(const sk_exec *ex, const sk_node *nd)
{
    return ex->training && nd->cfg.rate > 0.0f;
}
static void dropout_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    if (!dropout_active(ex, nd)) {
        copy_fwd(ex, id, n, s0);
        return;
    }
    SK_ASSERT(s0 == 0); /* stochastic nodes are never in the per-sample prefix */
    size_t numel = sk_node_numel(nd);
    size_t units = nd->cfg.per_sample ? (size_t)n : (size_t)n * numel;
    size_t unit = nd->cfg.per_sample ? numel : 1;
    float *mask = ex->buf[B_MASK][id];
    sk_exec_dropout_draw(mask, ex->g, id, n, ex->seed, ex->step);
    sk_dropout_forward(out_at(ex, id, 0), in_at(ex, id, 0, 0), mask, units, unit);
}
static void dropout_bwd(sk_exec *ex, int id, unsigned assign)
{
    const sk_node *nd = sk_exec_node(ex, id);
    if (!dropout_active(ex, nd)) {
        copy_bwd(ex, id, assign);
        return;
    }
    float *din = in_grad(ex, id, 0);
    if (!din) return;
    size_t numel = sk_node_numel(nd);
    size_t units = nd->cfg.per_sample ? (size_t)ex->n : (size_t)ex->n * numel;
    size_t unit = nd->cfg.per_sample ? numel : 1;
    sk_dropout_backward_mode(din, out_grad(ex, id), ex->buf[B_MASK][id], units, unit, assign);
}

/* ---- what backward reads (besides gradients) ---- */

static void reads_nothing(const sk_node *nd, sk_bwd_reads *r) { (void)nd, (void)r; }

/* A fused activation reads its output (relu, sigmoid, softmax) or pre-activation (swish). */
static void fused_act_reads(const sk_node *nd, sk_bwd_reads *r)
{
    if (!sk_exec_has_act(nd)) return;
    r->output = (uint8_t)act_reads_output(nd->cfg.act);
    r->pre = nd->cfg.act == SK_ACT_SWISH;
}
/* Conv2D, Dense: the kernel gradient needs the input (trainable only). */
static void reads_conv(const sk_node *nd, sk_bwd_reads *r)
{
    r->input[0] = (uint8_t)nd->trainable;
    fused_act_reads(nd, r);
}
/* SeparableConv2D: the depthwise kernel gradient needs the input, the pointwise one the middle. */
static void reads_sepconv(const sk_node *nd, sk_bwd_reads *r)
{
    r->input[0] = r->mid = (uint8_t)nd->trainable;
    fused_act_reads(nd, r);
}
/* DepthwiseConv2D: kernel gradient; BatchNormalization: gamma gradient and batch statistics. */
static void reads_input_if_trainable(const sk_node *nd, sk_bwd_reads *r)
{
    r->input[0] = (uint8_t)nd->trainable;
}
/* ReLU, Activation: swish reads its input, relu/sigmoid/softmax their output. */
static void reads_activation(const sk_node *nd, sk_bwd_reads *r)
{
    r->input[0] = nd->cfg.act == SK_ACT_SWISH;
    r->output = (uint8_t)act_reads_output(nd->cfg.act);
}
/* Multiply: each input's gradient is the other input times the gradient. */
static void reads_all_inputs(const sk_node *nd, sk_bwd_reads *r)
{
    for (int k = 0; k < nd->ninputs; k++) r->input[k] = 1;
}
/* MaxPooling2D: the input finds the window's maximum. */
static void reads_input(const sk_node *nd, sk_bwd_reads *r)
{
    (void)nd;
    r->input[0] = 1;
}

/* ---- buffers beyond activation, gradient and pre-activation ---- */

static void buffers_none(const sk_graph *g, const sk_node *nd, int max_batch, sk_op_buffers *b)
{
    (void)g, (void)nd, (void)max_batch, (void)b;
}
static void buffers_conv(const sk_graph *g, const sk_node *nd, int max_batch, sk_op_buffers *b)
{
    sk_conv_dims d = sk_exec_window_dims(g, nd, max_batch, nd->c);
    b->work = sk_conv2d_workspace(&d);
}
static void buffers_sepconv(const sk_graph *g, const sk_node *nd, int max_batch,
                            sk_op_buffers *b)
{
    b->mid = mid_floats(g, nd);
    sk_conv_dims pd = sk_exec_pointwise_dims(nd, max_batch, g->nodes[nd->inputs[0]].c);
    b->work = sk_conv2d_workspace(&pd);
}
static void buffers_bn(const sk_graph *g, const sk_node *nd, int max_batch, sk_op_buffers *b)
{
    (void)g, (void)max_batch;
    b->stats = 3 * (size_t)nd->c;
}
static void buffers_dropout(const sk_graph *g, const sk_node *nd, int max_batch,
                            sk_op_buffers *b)
{
    (void)g, (void)max_batch;
    b->mask = nd->cfg.rate > 0.0f ? sk_node_numel(nd) : 0;
}

/* ---- multiply-adds per sample (0 for the memory-bound ops) ---- */

static double macs_none(const sk_graph *g, const sk_node *nd)
{
    (void)g, (void)nd;
    return 0.0;
}
static double macs_conv(const sk_graph *g, const sk_node *nd)
{
    const sk_node *in = &g->nodes[nd->inputs[0]];
    double ohw = (double)nd->h * nd->w;
    return ohw * nd->cfg.kh * nd->cfg.kw * in->c * nd->c;
}
static double macs_dwconv(const sk_graph *g, const sk_node *nd)
{
    const sk_node *in = &g->nodes[nd->inputs[0]];
    double ohw = (double)nd->h * nd->w;
    return ohw * nd->cfg.kh * nd->cfg.kw * in->c;
}
static double macs_sepconv(const sk_graph *g, const sk_node *nd)
{
    const sk_node *in = &g->nodes[nd->inputs[0]];
    double ohw = (double)nd->h * nd->w;
    return ohw * nd->cfg.kh * nd->cfg.kw * in->c + ohw * (double)in->c * nd->c;
}
static double macs_dense(const sk_graph *g, const sk_node *nd)
{
    return (double)sk_node_numel(&g->nodes[nd->inputs[0]]) * nd->c;
}

/* ---- the rows ---- */

/* Columns: Keras class, forward, backward, fused activation, backward reads, buffers, MACs,
 * backward honours `assign` (bwd_assigns; 0: the executor zeroes input gradients first). */
const sk_op_row sk_op_rows[SK_OP_COUNT] = {
    [SK_OP_INPUT] = {"InputLayer", input_fwd, NULL, 0, reads_nothing, buffers_none, macs_none, 0},
    [SK_OP_CONV2D] = {"Conv2D", conv_fwd, conv_bwd, 1, reads_conv, buffers_conv, macs_conv, 1},
    [SK_OP_DEPTHWISE_CONV2D] = {"DepthwiseConv2D", dwconv_fwd, dwconv_bwd, 0,
                                reads_input_if_trainable, buffers_none, macs_dwconv, 1},
    [SK_OP_SEPARABLE_CONV2D] = {"SeparableConv2D", sepconv_fwd, sepconv_bwd, 1, reads_sepconv,
                                buffers_sepconv, macs_sepconv, 1},
    [SK_OP_DENSE] = {"Dense", dense_fwd, dense_bwd, 1, reads_conv, buffers_none, macs_dense, 1},
    [SK_OP_BATCHNORM] = {"BatchNormalization", bn_fwd, bn_bwd, 0, reads_input_if_trainable,
                         buffers_bn, macs_none, 1},
    [SK_OP_RELU] = {"ReLU", act_fwd, act_bwd, 0, reads_activation, buffers_none, macs_none, 1},
    [SK_OP_ACTIVATION] = {"Activation", act_fwd, act_bwd, 0, reads_activation, buffers_none,
                          macs_none, 1},
    [SK_OP_ADD] = {"Add", add_fwd, add_bwd, 0, reads_nothing, buffers_none, macs_none, 1},
    [SK_OP_CONCATENATE] = {"Concatenate", concat_fwd, concat_bwd, 0, reads_nothing,
                           buffers_none, macs_none, 1},
    [SK_OP_MULTIPLY] = {"Multiply", mul_fwd, mul_bwd, 0, reads_all_inputs, buffers_none,
                        macs_none, 1},
    [SK_OP_RESHAPE] = {"Reshape", copy_fwd, copy_bwd, 0, reads_nothing, buffers_none, macs_none,
                       1},
    [SK_OP_ZEROPADDING2D] = {"ZeroPadding2D", zeropad_fwd, zeropad_bwd, 0, reads_nothing,
                             buffers_none, macs_none, 1},
    [SK_OP_CROPPING2D] = {"Cropping2D", crop_fwd, crop_bwd, 0, reads_nothing, buffers_none,
                          macs_none, 0},
    [SK_OP_MAXPOOL2D] = {"MaxPooling2D", maxpool_fwd, maxpool_bwd, 0, reads_input,
                         buffers_none, macs_none, 0},
    [SK_OP_AVGPOOL2D] = {"AveragePooling2D", avgpool_fwd, avgpool_bwd, 0, reads_nothing,
                         buffers_none, macs_none, 0},
    [SK_OP_GAP2D] = {"GlobalAveragePooling2D", gap_fwd, gap_bwd, 0, reads_nothing,
                     buffers_none, macs_none, 1},
    [SK_OP_RESCALING] = {"Rescaling", rescale_fwd, rescale_bwd, 0, reads_nothing,
                         buffers_none, macs_none, 0},
    [SK_OP_NORMALIZATION] = {"Normalization", norm_fwd, norm_bwd, 0, reads_nothing,
                             buffers_none, macs_none, 0},
    [SK_OP_DROPOUT] = {"Dropout", dropout_fwd, dropout_bwd, 0, reads_nothing, buffers_dropout,
                       macs_none, 1},
};

const char *sk_op_keras_class(sk_op op) { return sk_op_row_of(op)->keras_class; }

double sk_node_macs(const sk_graph *g, const sk_node *nd)
{
    return sk_op_row_of(nd->op)->macs(g, nd);
}

sk_bwd_reads sk_exec_bwd_reads(const sk_node *nd)
{
    sk_bwd_reads r;
    memset(&r, 0, sizeof r);
    sk_op_row_of(nd->op)->bwd_reads(nd, &r);
    return r;
}

sk_op_buffers sk_exec_op_buffers(const sk_graph *g, const sk_node *nd, int max_batch)
{
    sk_op_buffers b;
    memset(&b, 0, sizeof b);
    sk_op_row_of(nd->op)->buffers(g, nd, max_batch, &b);
    return b;
}
