/* exec_ops.c: per-op forward/backward of the executor and the op table (ggml style: an enum
 * indexes a const table of function pointers, statically checked to cover every op). Forward
 * functions handle n samples from sample s0 (the frozen prefix runs one sample at a time);
 * backward functions run on the whole batch and accumulate into gradient buffers that the
 * executor zeroed. Frozen nodes get NULL parameter gradients, so none are computed. */
#include <string.h>

#include "exec_internal.h"
#include "rng.h"

/* ---- small helpers ---- */


static const sk_tensor_info *tensor(const sk_node *nd, const char *name)
{
    for (int i = 0; i < nd->ntensors; i++)
        if (strcmp(nd->tensors[i].name, name) == 0) return &nd->tensors[i];
    return NULL;
}

/* Value of a node's variable (params or state slab), or NULL if the node has none. */
static float *tval(const sk_exec *ex, const sk_node *nd, const char *name)
{
    const sk_tensor_info *t = tensor(nd, name);
    if (!t) return NULL;
    return (t->is_state ? ex->g->state : ex->g->params) + t->offset;
}

/* Gradient of a node's trainable variable, or NULL when it must not be computed (frozen). */
static float *tgrad(const sk_exec *ex, const sk_node *nd, const char *name)
{
    const sk_tensor_info *t = tensor(nd, name);
    if (!t || t->is_state || !nd->trainable) return NULL;
    return ex->grads + t->offset;
}

int sk_exec_has_act(const sk_node *nd)
{
    switch (nd->op) {
    case SK_OP_CONV2D:
    case SK_OP_SEPARABLE_CONV2D:
    case SK_OP_DENSE:
        return nd->cfg.act != SK_ACT_LINEAR;
    default:
        return 0;
    }
}

/* Activations whose backward needs the output (relu: out > 0; sigmoid, softmax: out) or the
 * input (swish). Linear needs neither. */
static int act_reads_output(sk_act a)
{
    return a == SK_ACT_RELU || a == SK_ACT_RELU6 || a == SK_ACT_SIGMOID || a == SK_ACT_SOFTMAX;
}

int sk_exec_bwd_reads_input(const sk_node *nd, int k)
{
    SK_ASSERT(k >= 0 && k < nd->ninputs);
    switch (nd->op) {
    case SK_OP_CONV2D:
    case SK_OP_DENSE:
    case SK_OP_DEPTHWISE_CONV2D:
    case SK_OP_SEPARABLE_CONV2D:
    case SK_OP_BATCHNORM: /* kernel/gamma gradients, and batch statistics: trainable only */
        return nd->trainable;
    case SK_OP_RELU: return 0;
    case SK_OP_ACTIVATION: return nd->cfg.act == SK_ACT_SWISH;
    case SK_OP_MULTIPLY:
    case SK_OP_MAXPOOL2D: return 1;
    default: return 0; /* add, concat, reshape, pad, crop, avg/global pool, rescale, norm, dropout */
    }
}

int sk_exec_bwd_reads_output(const sk_node *nd)
{
    switch (nd->op) {
    case SK_OP_RELU: return 1;
    case SK_OP_ACTIVATION: return act_reads_output(nd->cfg.act);
    default: return sk_exec_has_act(nd) && act_reads_output(nd->cfg.act);
    }
}

int sk_exec_bwd_reads_pre(const sk_node *nd)
{
    return sk_exec_has_act(nd) && nd->cfg.act == SK_ACT_SWISH;
}

int sk_exec_bwd_reads_mid(const sk_node *nd)
{
    return nd->op == SK_OP_SEPARABLE_CONV2D && nd->trainable;
}

sk_conv_dims sk_exec_window_dims(const sk_exec *ex, const sk_node *nd, int n, int oc)
{
    const sk_node *in = sk_exec_node(ex, nd->inputs[0]);
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

/* Pointers for sample offset s0 of node id's buffers. */
static float *P(const sk_exec *ex, int kind, int id, int s0)
{
    float *b = ex->buf[kind][id];
    SK_ASSERT(b != NULL);
    const sk_node *nd = sk_exec_node(ex, id);
    size_t per = sk_node_numel(nd);
    if (kind == B_MID || kind == B_DMID) /* depthwise half of a SeparableConv2D: input channels */
        per = (size_t)nd->h * nd->w * sk_exec_node(ex, nd->inputs[0])->c;
    return b + (size_t)s0 * per;
}
static float *ACT(const sk_exec *ex, int id, int s0) { return P(ex, B_ACT, id, s0); }
static float *IN(const sk_exec *ex, int id, int k, int s0)
{
    return ACT(ex, sk_exec_node(ex, id)->inputs[k], s0);
}
/* Gradient buffer of input k of node id, or NULL if that input needs no gradient. */
static float *DIN(const sk_exec *ex, int id, int k)
{
    int in = sk_exec_node(ex, id)->inputs[k];
    return sk_exec_node(ex, in)->needs_grad ? ex->buf[B_GRAD][in] : NULL;
}

/* Writes the activation of a fused Conv/Dense from its pre-activation. */
static void fused_act_forward(const sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    size_t rows = (size_t)n * nd->h * nd->w;
    if (nd->cfg.act == SK_ACT_SOFTMAX)
        sk_softmax_forward(ACT(ex, id, s0), P(ex, B_PRE, id, s0), (int)rows, nd->c);
    else
        sk_act_forward(ACT(ex, id, s0), P(ex, B_PRE, id, s0), rows * nd->c, nd->cfg.act);
}

/* Gradient w.r.t. the pre-activation of a fused Conv/Dense: dpre, or the grad itself. */
static const float *fused_act_backward(sk_exec *ex, int id)
{
    const sk_node *nd = sk_exec_node(ex, id);
    if (!sk_exec_has_act(nd)) return ex->buf[B_GRAD][id];
    if (ex->skip_softmax && id == ex->g->output) return ex->buf[B_DPRE][id];
    size_t rows = (size_t)ex->n * nd->h * nd->w;
    float *dpre = ex->buf[B_DPRE][id];
    memset(dpre, 0, rows * nd->c * sizeof(float));
    if (nd->cfg.act == SK_ACT_SOFTMAX)
        sk_softmax_backward(dpre, ex->buf[B_GRAD][id], ex->buf[B_ACT][id], (int)rows, nd->c);
    else
        sk_act_backward(dpre, ex->buf[B_GRAD][id], ex->buf[B_PRE][id], ex->buf[B_ACT][id],
                        rows * nd->c, nd->cfg.act);
    return dpre;
}

/* ---- per-op forward (n samples starting at sample s0) and backward (whole batch) ---- */

static void input_fwd(sk_exec *ex, int id, int n, int s0)
{
    (void)ex, (void)id, (void)n, (void)s0; /* the caller copied the input in */
}
static void input_bwd(sk_exec *ex, int id) { (void)ex, (void)id; }

static void conv_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    sk_conv_dims d = sk_exec_window_dims(ex, nd, n, nd->c);
    float *dst = sk_exec_has_act(nd) ? P(ex, B_PRE, id, s0) : ACT(ex, id, s0);
    sk_conv2d_forward(dst, IN(ex, id, 0, s0), tval(ex, nd, "kernel"), tval(ex, nd, "bias"), &d,
                      ex->work);
    if (sk_exec_has_act(nd)) fused_act_forward(ex, id, n, s0);
}
static void conv_bwd(sk_exec *ex, int id)
{
    const sk_node *nd = sk_exec_node(ex, id);
    sk_conv_dims d = sk_exec_window_dims(ex, nd, ex->n, nd->c);
    const float *dpre = fused_act_backward(ex, id);
    sk_conv2d_backward(DIN(ex, id, 0), tgrad(ex, nd, "kernel"), tgrad(ex, nd, "bias"), dpre,
                       IN(ex, id, 0, 0), tval(ex, nd, "kernel"), &d, ex->work);
}

static void dwconv_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    sk_conv_dims d = sk_exec_window_dims(ex, nd, n, nd->c);
    sk_dwconv2d_forward(ACT(ex, id, s0), IN(ex, id, 0, s0), tval(ex, nd, "depthwise_kernel"),
                        tval(ex, nd, "bias"), &d);
}
static void dwconv_bwd(sk_exec *ex, int id)
{
    const sk_node *nd = sk_exec_node(ex, id);
    sk_conv_dims d = sk_exec_window_dims(ex, nd, ex->n, nd->c);
    sk_dwconv2d_backward(DIN(ex, id, 0), tgrad(ex, nd, "depthwise_kernel"), tgrad(ex, nd, "bias"),
                         ex->buf[B_GRAD][id], IN(ex, id, 0, 0),
                         tval(ex, nd, "depthwise_kernel"), &d);
}

static void sepconv_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    int c = sk_exec_node(ex, nd->inputs[0])->c;
    sk_conv_dims dd = sk_exec_window_dims(ex, nd, n, c);
    sk_conv_dims pd = sk_exec_pointwise_dims(nd, n, c);
    float *mid = P(ex, B_MID, id, s0);
    sk_dwconv2d_forward(mid, IN(ex, id, 0, s0), tval(ex, nd, "depthwise_kernel"), NULL, &dd);
    float *dst = sk_exec_has_act(nd) ? P(ex, B_PRE, id, s0) : ACT(ex, id, s0);
    sk_conv2d_forward(dst, mid, tval(ex, nd, "pointwise_kernel"), tval(ex, nd, "bias"), &pd,
                      ex->work);
    if (sk_exec_has_act(nd)) fused_act_forward(ex, id, n, s0);
}
static void sepconv_bwd(sk_exec *ex, int id)
{
    const sk_node *nd = sk_exec_node(ex, id);
    int c = sk_exec_node(ex, nd->inputs[0])->c;
    sk_conv_dims dd = sk_exec_window_dims(ex, nd, ex->n, c);
    sk_conv_dims pd = sk_exec_pointwise_dims(nd, ex->n, c);
    const float *dpre = fused_act_backward(ex, id);
    float *dmid = ex->buf[B_DMID][id];
    memset(dmid, 0, (size_t)ex->n * nd->h * nd->w * c * sizeof(float));
    sk_conv2d_backward(dmid, tgrad(ex, nd, "pointwise_kernel"), tgrad(ex, nd, "bias"), dpre,
                       ex->buf[B_MID][id], tval(ex, nd, "pointwise_kernel"), &pd, ex->work);
    sk_dwconv2d_backward(DIN(ex, id, 0), tgrad(ex, nd, "depthwise_kernel"), NULL, dmid,
                         IN(ex, id, 0, 0), tval(ex, nd, "depthwise_kernel"), &dd);
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
    float *dst = sk_exec_has_act(nd) ? P(ex, B_PRE, id, s0) : ACT(ex, id, s0);
    sk_dense_forward(dst, IN(ex, id, 0, s0), tval(ex, nd, "kernel"), tval(ex, nd, "bias"), rows,
                     c, nd->c);
    if (sk_exec_has_act(nd)) fused_act_forward(ex, id, n, s0);
}
static void dense_bwd(sk_exec *ex, int id)
{
    const sk_node *nd = sk_exec_node(ex, id);
    int c, rows = dense_rows(ex, nd, ex->n, &c);
    const float *dpre = fused_act_backward(ex, id);
    sk_dense_backward(DIN(ex, id, 0), tgrad(ex, nd, "kernel"), tgrad(ex, nd, "bias"), dpre,
                      IN(ex, id, 0, 0), tval(ex, nd, "kernel"), rows, c, nd->c);
}

/* BN runs on batch statistics only when trainable and in a training pass (Keras 2.x). */
static int bn_batch_stats(const sk_exec *ex, const sk_node *nd)
{
    return ex->training && nd->trainable;
}
static void bn_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    size_t m = (size_t)n * nd->h * nd->w;
    float *gamma = tval(ex, nd, "gamma"), *beta = tval(ex, nd, "beta");
    float *mm = tval(ex, nd, "moving_mean"), *mv = tval(ex, nd, "moving_variance");
    if (bn_batch_stats(ex, nd)) {
        SK_ASSERT(s0 == 0); /* batch statistics never run per sample */
        float *st = ex->bnstat + ex->bnstat_off[id];
        float *mean = st, *var = st + nd->c, *invstd = st + 2 * nd->c;
        sk_bn_forward_train(ACT(ex, id, 0), mean, var, invstd, IN(ex, id, 0, 0), gamma, beta, m,
                            nd->c, nd->cfg.eps);
        sk_bn_update_moving(mm, mv, mean, var, m, nd->c, nd->cfg.momentum);
    } else {
        sk_bn_forward_infer(ACT(ex, id, s0), IN(ex, id, 0, s0), gamma, beta, mm, mv, m, nd->c,
                            nd->cfg.eps);
    }
}
static void bn_bwd(sk_exec *ex, int id)
{
    const sk_node *nd = sk_exec_node(ex, id);
    size_t m = (size_t)ex->n * nd->h * nd->w;
    float *gamma = tval(ex, nd, "gamma");
    if (bn_batch_stats(ex, nd)) {
        float *st = ex->bnstat + ex->bnstat_off[id];
        sk_bn_backward_train(DIN(ex, id, 0), tgrad(ex, nd, "gamma"), tgrad(ex, nd, "beta"),
                             ex->buf[B_GRAD][id], IN(ex, id, 0, 0), st, st + 2 * nd->c, gamma, m,
                             nd->c);
    } else {
        sk_bn_backward_infer(DIN(ex, id, 0), tgrad(ex, nd, "gamma"), tgrad(ex, nd, "beta"),
                             ex->buf[B_GRAD][id], IN(ex, id, 0, 0), gamma,
                             tval(ex, nd, "moving_mean"), tval(ex, nd, "moving_variance"), m,
                             nd->c, nd->cfg.eps);
    }
}

/* ReLU and Activation: elementwise, or softmax over channels. */
static void act_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    size_t cnt = (size_t)n * sk_node_numel(nd);
    if (nd->cfg.act == SK_ACT_SOFTMAX)
        sk_softmax_forward(ACT(ex, id, s0), IN(ex, id, 0, s0), (int)(cnt / nd->c), nd->c);
    else
        sk_act_forward(ACT(ex, id, s0), IN(ex, id, 0, s0), cnt, nd->cfg.act);
}
static void act_bwd(sk_exec *ex, int id)
{
    const sk_node *nd = sk_exec_node(ex, id);
    size_t cnt = (size_t)ex->n * sk_node_numel(nd);
    float *din = DIN(ex, id, 0);
    if (!din) return;
    if (nd->cfg.act == SK_ACT_SOFTMAX) {
        if (ex->skip_softmax && id == ex->g->output)
            sk_accumulate(din, ex->buf[B_GRAD][id], cnt);
        else
            sk_softmax_backward(din, ex->buf[B_GRAD][id], ex->buf[B_ACT][id],
                                (int)(cnt / nd->c), nd->c);
    } else {
        sk_act_backward(din, ex->buf[B_GRAD][id], IN(ex, id, 0, 0), ex->buf[B_ACT][id], cnt,
                        nd->cfg.act);
    }
}

static void add_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    size_t cnt = (size_t)n * sk_node_numel(nd);
    float *out = ACT(ex, id, s0);
    sk_add_forward(out, IN(ex, id, 0, s0), IN(ex, id, 1, s0), cnt);
    for (int k = 2; k < nd->ninputs; k++) sk_accumulate(out, IN(ex, id, k, s0), cnt);
}
static void add_bwd(sk_exec *ex, int id)
{
    const sk_node *nd = sk_exec_node(ex, id);
    size_t cnt = (size_t)ex->n * sk_node_numel(nd);
    for (int k = 0; k < nd->ninputs; k++) {
        float *din = DIN(ex, id, k);
        if (din) sk_accumulate(din, ex->buf[B_GRAD][id], cnt);
    }
}

static void concat_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    const float *ins[SK_NODE_MAX_INPUTS];
    int cs[SK_NODE_MAX_INPUTS];
    for (int k = 0; k < nd->ninputs; k++) {
        ins[k] = IN(ex, id, k, s0);
        cs[k] = sk_exec_node(ex, nd->inputs[k])->c;
    }
    sk_concat_forward(ACT(ex, id, s0), ins, cs, nd->ninputs, (size_t)n * nd->h * nd->w);
}
static void concat_bwd(sk_exec *ex, int id)
{
    const sk_node *nd = sk_exec_node(ex, id);
    float *dins[SK_NODE_MAX_INPUTS];
    int cs[SK_NODE_MAX_INPUTS];
    for (int k = 0; k < nd->ninputs; k++) {
        dins[k] = DIN(ex, id, k);
        cs[k] = sk_exec_node(ex, nd->inputs[k])->c;
    }
    sk_concat_backward(dins, ex->buf[B_GRAD][id], cs, nd->ninputs, (size_t)ex->n * nd->h * nd->w);
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
    sk_mul_bcast_forward(ACT(ex, id, s0), IN(ex, id, xi, s0), IN(ex, id, si, s0), n, hw, c);
}
static void mul_bwd(sk_exec *ex, int id)
{
    const sk_node *nd = sk_exec_node(ex, id);
    int xi, si, c;
    size_t hw;
    mul_shape(ex, nd, &xi, &si, &hw, &c);
    sk_mul_bcast_backward(DIN(ex, id, xi), DIN(ex, id, si), ex->buf[B_GRAD][id],
                          IN(ex, id, xi, 0), IN(ex, id, si, 0), ex->n, hw, c);
}

/* Reshape, and Dropout when inactive: a copy (cheap next to any conv). */
static void copy_fwd(sk_exec *ex, int id, int n, int s0)
{
    memcpy(ACT(ex, id, s0), IN(ex, id, 0, s0), (size_t)n * sk_node_numel(sk_exec_node(ex, id)) * 4);
}
static void copy_bwd(sk_exec *ex, int id)
{
    float *din = DIN(ex, id, 0);
    size_t cnt = (size_t)ex->n * sk_node_numel(sk_exec_node(ex, id));
    if (din) sk_accumulate(din, ex->buf[B_GRAD][id], cnt);
}

static void pad_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id), *in = sk_exec_node(ex, nd->inputs[0]);
    const int *p = nd->cfg.pad;
    if (nd->op == SK_OP_ZEROPADDING2D)
        sk_pad_forward(ACT(ex, id, s0), IN(ex, id, 0, s0), n, in->h, in->w, in->c, p[0], p[1],
                       p[2], p[3]);
    else
        sk_crop_forward(ACT(ex, id, s0), IN(ex, id, 0, s0), n, in->h, in->w, in->c, p[0], p[1],
                        p[2], p[3]);
}
static void pad_bwd(sk_exec *ex, int id)
{
    const sk_node *nd = sk_exec_node(ex, id), *in = sk_exec_node(ex, nd->inputs[0]);
    const int *p = nd->cfg.pad;
    float *din = DIN(ex, id, 0);
    if (!din) return;
    if (nd->op == SK_OP_ZEROPADDING2D)
        sk_pad_backward(din, ex->buf[B_GRAD][id], ex->n, in->h, in->w, in->c, p[0], p[1], p[2],
                        p[3]);
    else
        sk_crop_backward(din, ex->buf[B_GRAD][id], ex->n, in->h, in->w, in->c, p[0], p[1], p[2],
                         p[3]);
}

static void pool_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    sk_conv_dims d = sk_exec_window_dims(ex, nd, n, nd->c);
    if (nd->op == SK_OP_MAXPOOL2D)
        sk_maxpool_forward(ACT(ex, id, s0), IN(ex, id, 0, s0), &d);
    else
        sk_avgpool_forward(ACT(ex, id, s0), IN(ex, id, 0, s0), &d);
}
static void pool_bwd(sk_exec *ex, int id)
{
    const sk_node *nd = sk_exec_node(ex, id);
    sk_conv_dims d = sk_exec_window_dims(ex, nd, ex->n, nd->c);
    float *din = DIN(ex, id, 0);
    if (!din) return;
    if (nd->op == SK_OP_MAXPOOL2D)
        sk_maxpool_backward(din, ex->buf[B_GRAD][id], IN(ex, id, 0, 0), &d);
    else
        sk_avgpool_backward(din, ex->buf[B_GRAD][id], &d);
}

static void gap_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *in = sk_exec_node(ex, sk_exec_node(ex, id)->inputs[0]);
    sk_gap_forward(ACT(ex, id, s0), IN(ex, id, 0, s0), n, (size_t)in->h * in->w, in->c);
}
static void gap_bwd(sk_exec *ex, int id)
{
    const sk_node *in = sk_exec_node(ex, sk_exec_node(ex, id)->inputs[0]);
    float *din = DIN(ex, id, 0);
    if (din) sk_gap_backward(din, ex->buf[B_GRAD][id], ex->n, (size_t)in->h * in->w, in->c);
}

static void rescale_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    sk_rescale_forward(ACT(ex, id, s0), IN(ex, id, 0, s0), (size_t)n * sk_node_numel(nd),
                       nd->cfg.scale, nd->cfg.offset);
}
static void rescale_bwd(sk_exec *ex, int id)
{
    const sk_node *nd = sk_exec_node(ex, id);
    float *din = DIN(ex, id, 0);
    if (din)
        sk_rescale_backward(din, ex->buf[B_GRAD][id], (size_t)ex->n * sk_node_numel(nd),
                            nd->cfg.scale);
}

static void norm_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *nd = sk_exec_node(ex, id);
    sk_normalize_forward(ACT(ex, id, s0), IN(ex, id, 0, s0), tval(ex, nd, "mean"),
                         tval(ex, nd, "variance"), (size_t)n * nd->h * nd->w, nd->c);
}
static void norm_bwd(sk_exec *ex, int id)
{
    const sk_node *nd = sk_exec_node(ex, id);
    float *din = DIN(ex, id, 0);
    if (din)
        sk_normalize_backward(din, ex->buf[B_GRAD][id], tval(ex, nd, "variance"),
                              (size_t)ex->n * nd->h * nd->w, nd->c);
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
    sk_dropout_mask(mask, units, nd->cfg.rate, ex->seed, (ex->step << 20) | (uint64_t)id);
    sk_dropout_forward(ACT(ex, id, 0), IN(ex, id, 0, 0), mask, units, unit);
}
static void dropout_bwd(sk_exec *ex, int id)
{
    const sk_node *nd = sk_exec_node(ex, id);
    if (!dropout_active(ex, nd)) {
        copy_bwd(ex, id);
        return;
    }
    float *din = DIN(ex, id, 0);
    if (!din) return;
    size_t numel = sk_node_numel(nd);
    size_t units = nd->cfg.per_sample ? (size_t)ex->n : (size_t)ex->n * numel;
    size_t unit = nd->cfg.per_sample ? numel : 1;
    sk_dropout_backward(din, ex->buf[B_GRAD][id], ex->buf[B_MASK][id], units, unit);
}

const sk_exec_op sk_exec_ops[SK_OP_COUNT] = {
    [SK_OP_INPUT] = {input_fwd, input_bwd},
    [SK_OP_CONV2D] = {conv_fwd, conv_bwd},
    [SK_OP_DEPTHWISE_CONV2D] = {dwconv_fwd, dwconv_bwd},
    [SK_OP_SEPARABLE_CONV2D] = {sepconv_fwd, sepconv_bwd},
    [SK_OP_DENSE] = {dense_fwd, dense_bwd},
    [SK_OP_BATCHNORM] = {bn_fwd, bn_bwd},
    [SK_OP_RELU] = {act_fwd, act_bwd},
    [SK_OP_ACTIVATION] = {act_fwd, act_bwd},
    [SK_OP_ADD] = {add_fwd, add_bwd},
    [SK_OP_CONCATENATE] = {concat_fwd, concat_bwd},
    [SK_OP_MULTIPLY] = {mul_fwd, mul_bwd},
    [SK_OP_RESHAPE] = {copy_fwd, copy_bwd},
    [SK_OP_ZEROPADDING2D] = {pad_fwd, pad_bwd},
    [SK_OP_CROPPING2D] = {pad_fwd, pad_bwd},
    [SK_OP_MAXPOOL2D] = {pool_fwd, pool_bwd},
    [SK_OP_AVGPOOL2D] = {pool_fwd, pool_bwd},
    [SK_OP_GAP2D] = {gap_fwd, gap_bwd},
    [SK_OP_RESCALING] = {rescale_fwd, rescale_bwd},
    [SK_OP_NORMALIZATION] = {norm_fwd, norm_bwd},
    [SK_OP_DROPOUT] = {dropout_fwd, dropout_bwd},
};
_Static_assert(SK_ARRAY_LEN(sk_exec_ops) == SK_OP_COUNT, "op table must cover every sk_op");
