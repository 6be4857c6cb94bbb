/* graph.c: the graph builder (shape inference, Keras variable layout, Keras layer order) and the
 * freeze mask. See graph.h for the contract.
 *
 * Invariants: nodes are appended in a topological order (every input id < the new id); after
 * sk_graph_finalize() every node has its Keras index and depth, by_keras is a permutation of the
 * node ids, and every tensor has an offset into its slab. Tensors are laid out in Keras index
 * order and packed (no padding between tensors), so the trainable variables of the last N Keras
 * layers form a contiguous tail of g->params.
 *
 * Not here: any computation on tensors (ops_*.c) and execution (the executor). Shapes are
 * computed here directly with TensorFlow's padding rules, not through the ops functions. */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

sk_graph *sk_graph_new(const char *name)
{
    sk_graph *g = sk_xcalloc(1, sizeof *g);
    sk_snprintf(g->name, sizeof g->name, "%s", name ? name : "model");
    g->cap = 64;
    g->nodes = sk_xcalloc((size_t)g->cap, sizeof *g->nodes);
    g->output = -1;
    return g;
}

void sk_graph_free(sk_graph *g)
{
    if (!g) return;
    free(g->nodes);
    free(g->by_keras);
    free(g->params);
    free(g->state);
    free(g);
}

const sk_node *sk_graph_node(const sk_graph *g, int id)
{
    SK_ASSERT(id >= 0 && id < g->n);
    return &g->nodes[id];
}

int sk_graph_find(const sk_graph *g, const char *name)
{
    for (int i = 0; i < g->n; i++)
        if (strcmp(g->nodes[i].name, name) == 0) return i;
    return -1;
}

size_t sk_node_numel(const sk_node *nd)
{
    return (size_t)nd->h * (size_t)nd->w * (size_t)nd->c;
}

/* ---- builder plumbing ---- */

/* Appends a node with the given inputs; shape and tensors are filled by the caller. */
static sk_node *add_node(sk_graph *g, const char *name, sk_op op, int nin, const int *ins)
{
    SK_ASSERT_MSG(!g->finalized, "builder called after sk_graph_finalize");
    SK_ASSERT(name && strlen(name) < SK_NAME_MAX);
    SK_ASSERT_MSG(sk_graph_find(g, name) < 0, name);
    SK_ASSERT(nin >= 0 && nin <= SK_NODE_MAX_INPUTS);
    for (int i = 0; i < nin; i++) SK_ASSERT_MSG(ins[i] >= 0 && ins[i] < g->n, name);
    if (g->n == g->cap) {
        g->cap *= 2;
        g->nodes = sk_xrealloc(g->nodes, (size_t)g->cap * sizeof *g->nodes);
    }
    sk_node *nd = &g->nodes[g->n];
    memset(nd, 0, sizeof *nd);
    sk_snprintf(nd->name, sizeof nd->name, "%s", name);
    nd->op = op;
    nd->ninputs = nin;
    for (int i = 0; i < nin; i++) nd->inputs[i] = ins[i];
    nd->keras_index = -1;
    nd->depth = -1;
    nd->rank = 4;
    nd->trainable = 1;
    g->output = g->n;
    g->n++;
    return nd;
}

static int node_id(const sk_graph *g, const sk_node *nd) { return (int)(nd - g->nodes); }

static const sk_node *in_node(const sk_graph *g, int id)
{
    SK_ASSERT(id >= 0 && id < g->n);
    return &g->nodes[id];
}

/* Declares the variable in `slot` (SK_VAR_*: Keras order, so slots are declared in turn); its
 * offset is set by finalize. */
static void add_tensor(sk_node *nd, int slot, const char *name, int is_state, int ndim, int d0,
                       int d1, int d2, int d3)
{
    SK_ASSERT(slot == nd->ntensors && nd->ntensors < SK_NODE_MAX_TENSORS);
    sk_tensor_info *t = &nd->tensors[nd->ntensors++];
    sk_snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim;
    int dims[4] = {d0, d1, d2, d3};
    t->size = 1;
    for (int i = 0; i < ndim; i++) {
        SK_ASSERT(dims[i] > 0);
        t->shape[i] = dims[i];
        t->size *= (size_t)dims[i];
    }
    t->is_state = is_state;
    if (is_state) nd->non_trainable_params += t->size;
    else nd->trainable_params += t->size;
}

/* TensorFlow output size along one axis: 'same' = ceil(n/s); 'valid' = floor((n-k)/s)+1. */
static int out_dim(int n, int k, int s, sk_padding pad, const char *name)
{
    SK_ASSERT(s > 0 && k > 0);
    if (pad == SK_PAD_SAME) return (n + s - 1) / s;
    SK_ASSERT_MSG(n >= k, name);
    return (n - k) / s + 1;
}

static void set_window(sk_layer_cfg *cfg, int kh, int kw, int sh, int sw, sk_padding pad)
{
    SK_ASSERT(pad == SK_PAD_VALID || pad == SK_PAD_SAME);
    cfg->kh = kh;
    cfg->kw = kw;
    cfg->sh = sh;
    cfg->sw = sw;
    cfg->same = pad == SK_PAD_SAME;
}

static int has_bias(sk_bias bias)
{
    SK_ASSERT(bias == SK_NO_BIAS || bias == SK_BIAS);
    return bias == SK_BIAS;
}

/* ---- builders ---- */

int sk_g_input(sk_graph *g, const char *name, int h, int w, int c)
{
    SK_ASSERT(h > 0 && w > 0 && c > 0);
    sk_node *nd = add_node(g, name, SK_OP_INPUT, 0, NULL);
    nd->h = h;
    nd->w = w;
    nd->c = c;
    return node_id(g, nd);
}

int sk_g_conv2d(sk_graph *g, const char *name, int in, int filters, int kh, int kw, int sh, int sw,
                sk_padding pad, sk_bias bias, sk_act act)
{
    const sk_node *x = in_node(g, in);
    SK_ASSERT(x->rank == 4 && filters > 0);
    int xh = x->h, xw = x->w, xc = x->c;
    sk_node *nd = add_node(g, name, SK_OP_CONV2D, 1, &in);
    set_window(&nd->cfg, kh, kw, sh, sw, pad);
    nd->cfg.filters = filters;
    nd->cfg.use_bias = has_bias(bias);
    nd->cfg.act = act;
    nd->h = out_dim(xh, kh, sh, pad, name);
    nd->w = out_dim(xw, kw, sw, pad, name);
    nd->c = filters;
    add_tensor(nd, SK_VAR_KERNEL, "kernel", 0, 4, kh, kw, xc, filters);
    if (nd->cfg.use_bias) add_tensor(nd, SK_VAR_BIAS, "bias", 0, 1, filters, 0, 0, 0);
    return node_id(g, nd);
}

int sk_g_dwconv2d(sk_graph *g, const char *name, int in, int kh, int kw, int sh, int sw,
                  sk_padding pad, sk_bias bias)
{
    const sk_node *x = in_node(g, in);
    SK_ASSERT(x->rank == 4);
    int xh = x->h, xw = x->w, xc = x->c;
    sk_node *nd = add_node(g, name, SK_OP_DEPTHWISE_CONV2D, 1, &in);
    set_window(&nd->cfg, kh, kw, sh, sw, pad);
    nd->cfg.use_bias = has_bias(bias);
    nd->cfg.act = SK_ACT_LINEAR;
    nd->h = out_dim(xh, kh, sh, pad, name);
    nd->w = out_dim(xw, kw, sw, pad, name);
    nd->c = xc;
    add_tensor(nd, SK_VAR_DW_KERNEL, "depthwise_kernel", 0, 4, kh, kw, xc, 1);
    if (nd->cfg.use_bias) add_tensor(nd, SK_VAR_DW_BIAS, "bias", 0, 1, xc, 0, 0, 0);
    return node_id(g, nd);
}

int sk_g_sepconv2d(sk_graph *g, const char *name, int in, int filters, int kh, int kw, int sh,
                   int sw, sk_padding pad, sk_bias bias)
{
    const sk_node *x = in_node(g, in);
    SK_ASSERT(x->rank == 4 && filters > 0);
    int xh = x->h, xw = x->w, xc = x->c;
    sk_node *nd = add_node(g, name, SK_OP_SEPARABLE_CONV2D, 1, &in);
    set_window(&nd->cfg, kh, kw, sh, sw, pad);
    nd->cfg.filters = filters;
    nd->cfg.use_bias = has_bias(bias);
    nd->cfg.act = SK_ACT_LINEAR;
    nd->h = out_dim(xh, kh, sh, pad, name);
    nd->w = out_dim(xw, kw, sw, pad, name);
    nd->c = filters;
    add_tensor(nd, SK_VAR_SEP_DEPTHWISE, "depthwise_kernel", 0, 4, kh, kw, xc, 1);
    add_tensor(nd, SK_VAR_SEP_POINTWISE, "pointwise_kernel", 0, 4, 1, 1, xc, filters);
    if (nd->cfg.use_bias) add_tensor(nd, SK_VAR_SEP_BIAS, "bias", 0, 1, filters, 0, 0, 0);
    return node_id(g, nd);
}

int sk_g_dense(sk_graph *g, const char *name, int in, int units, sk_bias bias, sk_act act)
{
    const sk_node *x = in_node(g, in);
    SK_ASSERT(units > 0);
    int rank = x->rank, xh = x->h, xw = x->w, xc = x->c;
    sk_node *nd = add_node(g, name, SK_OP_DENSE, 1, &in);
    nd->cfg.filters = units;
    nd->cfg.use_bias = has_bias(bias);
    nd->cfg.act = act;
    nd->rank = rank; /* Keras Dense acts on the last axis */
    nd->h = xh;
    nd->w = xw;
    nd->c = units;
    add_tensor(nd, SK_VAR_KERNEL, "kernel", 0, 2, xc, units, 0, 0);
    if (nd->cfg.use_bias) add_tensor(nd, SK_VAR_BIAS, "bias", 0, 1, units, 0, 0, 0);
    return node_id(g, nd);
}

/* Layers whose output has the input's shape. */
static sk_node *add_same_shape(sk_graph *g, const char *name, sk_op op, int in)
{
    const sk_node *x = in_node(g, in);
    int rank = x->rank, xh = x->h, xw = x->w, xc = x->c;
    sk_node *nd = add_node(g, name, op, 1, &in);
    nd->rank = rank;
    nd->h = xh;
    nd->w = xw;
    nd->c = xc;
    return nd;
}

int sk_g_bn(sk_graph *g, const char *name, int in, float eps, float momentum)
{
    sk_node *nd = add_same_shape(g, name, SK_OP_BATCHNORM, in);
    nd->cfg.eps = eps;
    nd->cfg.momentum = momentum;
    add_tensor(nd, SK_VAR_GAMMA, "gamma", 0, 1, nd->c, 0, 0, 0);
    add_tensor(nd, SK_VAR_BETA, "beta", 0, 1, nd->c, 0, 0, 0);
    add_tensor(nd, SK_VAR_MOVING_MEAN, "moving_mean", 1, 1, nd->c, 0, 0, 0);
    add_tensor(nd, SK_VAR_MOVING_VARIANCE, "moving_variance", 1, 1, nd->c, 0, 0, 0);
    return node_id(g, nd);
}

int sk_g_relu(sk_graph *g, const char *name, int in, float max_value)
{
    SK_ASSERT(max_value >= 0.0f);
    sk_node *nd = add_same_shape(g, name, SK_OP_RELU, in);
    nd->cfg.relu_max = max_value;
    nd->cfg.act = max_value == 6.0f ? SK_ACT_RELU6 : SK_ACT_RELU;
    SK_ASSERT_MSG(max_value == 0.0f || max_value == 6.0f, "ReLU max_value must be none or 6");
    return node_id(g, nd);
}

int sk_g_act(sk_graph *g, const char *name, int in, sk_act act)
{
    SK_ASSERT(act >= 0 && act < SK_ACT_COUNT);
    sk_node *nd = add_same_shape(g, name, SK_OP_ACTIVATION, in);
    nd->cfg.act = act;
    return node_id(g, nd);
}

int sk_g_add(sk_graph *g, const char *name, int nin, const int *ins)
{
    SK_ASSERT(nin >= 2);
    const sk_node *a = in_node(g, ins[0]);
    for (int i = 1; i < nin; i++) {
        const sk_node *b = in_node(g, ins[i]);
        SK_ASSERT_MSG(a->rank == b->rank && a->h == b->h && a->w == b->w && a->c == b->c, name);
    }
    int rank = a->rank, ah = a->h, aw = a->w, ac = a->c;
    sk_node *nd = add_node(g, name, SK_OP_ADD, nin, ins);
    nd->rank = rank;
    nd->h = ah;
    nd->w = aw;
    nd->c = ac;
    return node_id(g, nd);
}

int sk_g_concat(sk_graph *g, const char *name, int nin, const int *ins)
{
    SK_ASSERT(nin >= 2);
    const sk_node *a = in_node(g, ins[0]);
    int c = 0;
    for (int i = 0; i < nin; i++) {
        const sk_node *b = in_node(g, ins[i]);
        SK_ASSERT_MSG(b->rank == 4 && a->h == b->h && a->w == b->w, name);
        c += b->c;
    }
    int ah = a->h, aw = a->w;
    sk_node *nd = add_node(g, name, SK_OP_CONCATENATE, nin, ins);
    nd->h = ah;
    nd->w = aw;
    nd->c = c;
    return node_id(g, nd);
}

int sk_g_multiply(sk_graph *g, const char *name, int a, int b)
{
    const sk_node *x = in_node(g, a), *s = in_node(g, b);
    /* Keras broadcasting as squeeze-excite uses it: (H,W,C) * (1,1,C), either order. */
    SK_ASSERT_MSG(x->rank == s->rank && x->c == s->c, name);
    SK_ASSERT_MSG((x->h == s->h && x->w == s->w) || (s->h == 1 && s->w == 1) ||
                      (x->h == 1 && x->w == 1),
                  name);
    int rank = x->rank, c = x->c;
    int h = x->h > s->h ? x->h : s->h, w = x->w > s->w ? x->w : s->w;
    int ins[2] = {a, b};
    sk_node *nd = add_node(g, name, SK_OP_MULTIPLY, 2, ins);
    nd->rank = rank;
    nd->h = h;
    nd->w = w;
    nd->c = c;
    return node_id(g, nd);
}

int sk_g_reshape(sk_graph *g, const char *name, int in, int h, int w, int c)
{
    const sk_node *x = in_node(g, in);
    SK_ASSERT_MSG((size_t)h * (size_t)w * (size_t)c == sk_node_numel(x), name);
    sk_node *nd = add_node(g, name, SK_OP_RESHAPE, 1, &in);
    nd->cfg.target[0] = h;
    nd->cfg.target[1] = w;
    nd->cfg.target[2] = c;
    nd->h = h;
    nd->w = w;
    nd->c = c;
    return node_id(g, nd);
}

int sk_g_zeropad(sk_graph *g, const char *name, int in, int t, int b, int l, int r)
{
    SK_ASSERT(t >= 0 && b >= 0 && l >= 0 && r >= 0);
    sk_node *nd = add_same_shape(g, name, SK_OP_ZEROPADDING2D, in);
    SK_ASSERT(nd->rank == 4);
    nd->cfg.pad[0] = t;
    nd->cfg.pad[1] = b;
    nd->cfg.pad[2] = l;
    nd->cfg.pad[3] = r;
    nd->h += t + b;
    nd->w += l + r;
    return node_id(g, nd);
}

int sk_g_crop(sk_graph *g, const char *name, int in, int t, int b, int l, int r)
{
    SK_ASSERT(t >= 0 && b >= 0 && l >= 0 && r >= 0);
    sk_node *nd = add_same_shape(g, name, SK_OP_CROPPING2D, in);
    SK_ASSERT(nd->rank == 4);
    nd->cfg.pad[0] = t;
    nd->cfg.pad[1] = b;
    nd->cfg.pad[2] = l;
    nd->cfg.pad[3] = r;
    nd->h -= t + b;
    nd->w -= l + r;
    SK_ASSERT_MSG(nd->h > 0 && nd->w > 0, name);
    return node_id(g, nd);
}

static int add_pool(sk_graph *g, const char *name, sk_op op, int in, int ph, int pw, int sh,
                    int sw, sk_padding pad)
{
    sk_node *nd = add_same_shape(g, name, op, in);
    SK_ASSERT(nd->rank == 4);
    set_window(&nd->cfg, ph, pw, sh, sw, pad);
    nd->h = out_dim(nd->h, ph, sh, pad, name);
    nd->w = out_dim(nd->w, pw, sw, pad, name);
    return node_id(g, nd);
}

int sk_g_maxpool(sk_graph *g, const char *name, int in, int ph, int pw, int sh, int sw,
                 sk_padding pad)
{
    return add_pool(g, name, SK_OP_MAXPOOL2D, in, ph, pw, sh, sw, pad);
}

int sk_g_avgpool(sk_graph *g, const char *name, int in, int ph, int pw, int sh, int sw,
                 sk_padding pad)
{
    return add_pool(g, name, SK_OP_AVGPOOL2D, in, ph, pw, sh, sw, pad);
}

int sk_g_gap(sk_graph *g, const char *name, int in, sk_gap_dims dims)
{
    SK_ASSERT(dims == SK_GAP_FLAT || dims == SK_GAP_KEEPDIMS);
    sk_node *nd = add_same_shape(g, name, SK_OP_GAP2D, in);
    SK_ASSERT(nd->rank == 4);
    nd->cfg.keepdims = dims == SK_GAP_KEEPDIMS;
    nd->rank = dims == SK_GAP_KEEPDIMS ? 4 : 2;
    nd->h = 1;
    nd->w = 1;
    return node_id(g, nd);
}

int sk_g_rescaling(sk_graph *g, const char *name, int in, float scale, float offset)
{
    sk_node *nd = add_same_shape(g, name, SK_OP_RESCALING, in);
    nd->cfg.scale = scale;
    nd->cfg.offset = offset;
    return node_id(g, nd);
}

int sk_g_normalization(sk_graph *g, const char *name, int in)
{
    sk_node *nd = add_same_shape(g, name, SK_OP_NORMALIZATION, in);
    /* Keras Normalization(axis=-1): mean (C), variance (C), count () all non-trainable. */
    add_tensor(nd, SK_VAR_NORM_MEAN, "mean", 1, 1, nd->c, 0, 0, 0);
    add_tensor(nd, SK_VAR_NORM_VARIANCE, "variance", 1, 1, nd->c, 0, 0, 0);
    add_tensor(nd, SK_VAR_NORM_COUNT, "count", 1, 0, 0, 0, 0, 0);
    return node_id(g, nd);
}

int sk_g_dropout(sk_graph *g, const char *name, int in, float rate, sk_dropout_noise noise)
{
    SK_ASSERT(rate >= 0.0f && rate < 1.0f);
    SK_ASSERT(noise == SK_DROPOUT_ELEMENTS || noise == SK_DROPOUT_SAMPLES);
    sk_node *nd = add_same_shape(g, name, SK_OP_DROPOUT, in);
    nd->cfg.rate = rate;
    nd->cfg.per_sample = noise == SK_DROPOUT_SAMPLES;
    nd->stochastic = rate > 0.0f;
    return node_id(g, nd);
}

/* ---- Keras layer order (keras/engine/functional.py _map_graph_network) ---- */

typedef struct {
    const sk_graph *g;
    int *first_seen; /* layer_indices: order in which the DFS first meets a layer */
    int nseen;
    char *finished;
    int *order;      /* nodes_in_decreasing_depth */
    int norder;
} dfs_state;

/* build_map: explicit stack so that 800-layer graphs need no deep recursion. Each frame is a
 * node and the next input to visit; a node is appended when all its inputs are done. */
static void build_map(dfs_state *st, int root)
{
    int n = st->g->n;
    int *stack = sk_xmalloc((size_t)n * sizeof *stack);
    int *next = sk_xmalloc((size_t)n * sizeof *next);
    int sp = 0;
    stack[sp] = root;
    next[sp] = 0;
    sp++;
    if (st->first_seen[root] < 0) st->first_seen[root] = st->nseen++;
    while (sp > 0) {
        int id = stack[sp - 1];
        const sk_node *nd = &st->g->nodes[id];
        if (next[sp - 1] < nd->ninputs) {
            int in = nd->inputs[next[sp - 1]++];
            if (st->finished[in]) continue;
            if (st->first_seen[in] < 0) st->first_seen[in] = st->nseen++;
            SK_ASSERT(sp < n); /* the graph is acyclic: a path has at most n nodes */
            stack[sp] = in;
            next[sp] = 0;
            sp++;
        } else {
            sp--;
            if (!st->finished[id]) {
                st->finished[id] = 1;
                st->order[st->norder++] = id;
            }
        }
    }
    free(stack);
    free(next);
}

static void keras_order(sk_graph *g)
{
    int n = g->n;
    dfs_state st = {g, sk_xmalloc((size_t)n * sizeof(int)), 0, sk_xcalloc((size_t)n, 1),
                    sk_xmalloc((size_t)n * sizeof(int)), 0};
    for (int i = 0; i < n; i++) st.first_seen[i] = -1;
    build_map(&st, g->output);
    SK_ASSERT_MSG(st.norder == n, "every layer must be reachable from the model output");

    int *depth = sk_xcalloc((size_t)n, sizeof *depth);
    int maxdepth = 0;
    for (int k = n - 1; k >= 0; k--) {
        int id = st.order[k];
        int d = depth[id];
        const sk_node *nd = &g->nodes[id];
        for (int i = 0; i < nd->ninputs; i++) {
            int p = nd->inputs[i];
            if (depth[p] < d + 1) depth[p] = d + 1;
        }
        if (d > maxdepth) maxdepth = d;
    }
    /* Group by depth (decreasing); within a depth, by first_seen. */
    int *by_seen = sk_xmalloc((size_t)n * sizeof *by_seen);
    for (int i = 0; i < n; i++) by_seen[st.first_seen[i]] = i;
    free(g->by_keras);
    g->by_keras = sk_xmalloc((size_t)n * sizeof *g->by_keras);
    int k = 0;
    for (int d = maxdepth; d >= 0; d--)
        for (int s = 0; s < n; s++) {
            int id = by_seen[s];
            if (depth[id] != d) continue;
            g->nodes[id].keras_index = k;
            g->nodes[id].depth = d;
            g->by_keras[k++] = id;
        }
    SK_ASSERT(k == n);
    free(by_seen);
    free(depth);
    free(st.first_seen);
    free(st.finished);
    free(st.order);
}

void sk_graph_finalize_layout(sk_graph *g)
{
    SK_ASSERT_MSG(!g->finalized, "sk_graph_finalize called twice");
    SK_ASSERT(g->n > 0 && g->output >= 0);
    keras_order(g);
    size_t np = 0, ns = 0;
    for (int k = 0; k < g->n; k++) {
        sk_node *nd = &g->nodes[g->by_keras[k]];
        for (int t = 0; t < nd->ntensors; t++) {
            sk_tensor_info *ti = &nd->tensors[t];
            if (ti->is_state) {
                ti->offset = ns;
                ns += ti->size;
            } else {
                ti->offset = np;
                np += ti->size;
            }
        }
    }
    g->nparams = np;
    g->nstate = ns;
    g->finalized = 1;
    sk_graph_freeze(g, g->n);
}

void sk_graph_finalize(sk_graph *g)
{
    sk_graph_finalize_layout(g);
    size_t np = g->nparams, ns = g->nstate;
    g->params = sk_xmalloc_aligned((np ? np : 1) * sizeof(float));
    g->state = sk_xmalloc_aligned((ns ? ns : 1) * sizeof(float));
    memset(g->params, 0, (np ? np : 1) * sizeof(float));
    memset(g->state, 0, (ns ? ns : 1) * sizeof(float));
    for (int i = 0; i < g->n; i++) {
        sk_node *nd = &g->nodes[i];
        int ones[2] = {-1, -1}; /* slots Keras initialises to 1 */
        if (nd->op == SK_OP_BATCHNORM) ones[0] = SK_VAR_GAMMA, ones[1] = SK_VAR_MOVING_VARIANCE;
        if (nd->op == SK_OP_NORMALIZATION) ones[0] = SK_VAR_NORM_VARIANCE;
        for (int k = 0; k < 2; k++) {
            if (ones[k] < 0) continue;
            sk_tensor_info *ti = &nd->tensors[ones[k]];
            float *base = ti->is_state ? g->state : g->params;
            for (size_t j = 0; j < ti->size; j++) base[ti->offset + j] = 1.0f;
        }
    }
}

/* ---- freezing ---- */

void sk_graph_freeze(sk_graph *g, int n_trainable)
{
    SK_ASSERT_MSG(g->finalized, "sk_graph_freeze needs a finalized graph");
    SK_ASSERT(n_trainable >= 0);
    int first = g->n - n_trainable; /* Keras index of the first trainable layer */
    for (int i = 0; i < g->n; i++) g->nodes[i].trainable = g->nodes[i].keras_index >= first;
    /* Creation order is topological, so inputs are final when a node is visited. */
    for (int i = 0; i < g->n; i++) {
        sk_node *nd = &g->nodes[i];
        int ng = nd->trainable && nd->trainable_params > 0;
        for (int j = 0; j < nd->ninputs && !ng; j++) ng = g->nodes[nd->inputs[j]].needs_grad;
        nd->needs_grad = ng;
    }
}

int sk_graph_trainable_layers(const sk_graph *g)
{
    int k = 0;
    for (int i = 0; i < g->n; i++) k += g->nodes[i].trainable;
    return k;
}

size_t sk_graph_trainable_params(const sk_graph *g)
{
    size_t s = 0;
    for (int i = 0; i < g->n; i++)
        if (g->nodes[i].trainable) s += g->nodes[i].trainable_params;
    return s;
}

size_t sk_graph_total_params(const sk_graph *g)
{
    size_t s = 0;
    for (int i = 0; i < g->n; i++)
        s += g->nodes[i].trainable_params + g->nodes[i].non_trainable_params;
    return s;
}
