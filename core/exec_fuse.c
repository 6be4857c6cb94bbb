/* exec_fuse.c: BatchNormalization + activation fusion in the executor (issue 17).
 *
 * The graph keeps BatchNormalization and its ReLU / Activation as separate nodes (layer names,
 * trainable counts, export). When a BN node always runs in inference mode (frozen at plan time:
 * sk_exec checks the flags never change) and its ONLY consumer is a relu, relu6 or swish node,
 * the activation node's forward normalises and activates in one pass (sk_bn_act_forward_infer)
 * straight into its own output, the BN node's forward does nothing, and the BN output is never
 * planned. Bits are those of the two separate passes (same expressions per element).
 *
 * Not fused: the graph output or a prefix-cache boundary (someone else reads the BN output), a
 * swish whose backward runs (it reads its input, the BN output). The BN node's backward (frozen:
 * inference formula, reads no activation) and the activation's (relu: its own output) are
 * unchanged. */
#include <stdlib.h>

#include "exec_internal.h"
#include "sk_base.h"

static int fuse_enabled = 1;

int sk_exec_set_fuse(int on)
{
    int prev = fuse_enabled;
    fuse_enabled = on ? 1 : 0;
    return prev;
}

static int fusable_act(const sk_node *a)
{
    if (a->op != SK_OP_RELU && a->op != SK_OP_ACTIVATION) return 0;
    if (a->ninputs != 1) return 0;
    sk_act act = a->cfg.act;
    if (act == SK_ACT_SWISH) return !a->needs_grad;
    return act == SK_ACT_RELU || act == SK_ACT_RELU6;
}

static int is_boundary(const sk_exec *ex, int i)
{
    for (int k = 0; k < ex->nboundary; k++)
        if (ex->boundary[k] == i) return 1;
    return 0;
}

void sk_exec_plan_fuse(sk_exec *ex, int *last_fwd_use)
{
    const sk_graph *g = ex->g;
    int n = g->n;
    ex->fuse = sk_xmalloc((size_t)n * sizeof(int));
    int *consumers = sk_xcalloc((size_t)n, sizeof(int)), *last = sk_xmalloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++) ex->fuse[i] = last[i] = -1;
    for (int j = 0; j < n; j++)
        for (int k = 0; k < g->nodes[j].ninputs; k++) {
            consumers[g->nodes[j].inputs[k]]++;
            last[g->nodes[j].inputs[k]] = j;
        }
    for (int b = 0; fuse_enabled && b < n; b++) {
        const sk_node *bn = &g->nodes[b];
        if (bn->op != SK_OP_BATCHNORM || bn->trainable || bn->ninputs != 1) continue;
        if (consumers[b] != 1 || b == g->output || is_boundary(ex, b)) continue;
        int a = last[b];
        if (!fusable_act(&g->nodes[a])) continue;
        if (ex->in_prefix[a] != ex->in_prefix[b]) continue;
        int in = bn->inputs[0];
        if (ex->nprefix && ex->in_prefix[in] != ex->in_prefix[b]) continue;
        ex->fuse[b] = a;
        ex->fuse[a] = b;
        if (last_fwd_use[in] < a) last_fwd_use[in] = a; /* the activation reads the BN input */
    }
    free(consumers);
    free(last);
}

int sk_exec_fused_away(const sk_exec *ex, int id)
{
    return ex->fuse && ex->fuse[id] >= 0 && ex->g->nodes[id].op == SK_OP_BATCHNORM;
}

int sk_exec_fused_bn_of(const sk_exec *ex, int id)
{
    if (!ex->fuse || ex->g->nodes[id].op == SK_OP_BATCHNORM) return -1;
    return ex->fuse[id];
}

void sk_exec_bn_act_fwd(sk_exec *ex, int id, int n, int s0)
{
    const sk_node *a = sk_exec_node(ex, id);
    int b = ex->fuse[id];
    const sk_node *bn = sk_exec_node(ex, b);
    SK_ASSERT(!bn->trainable);
    size_t per = sk_node_numel(bn), m = (size_t)n * bn->h * bn->w;
    const float *x = ex->buf[B_ACT][bn->inputs[0]] + (size_t)s0 * per;
    float *out = ex->buf[B_ACT][id] + (size_t)s0 * sk_node_numel(a);
    sk_bn_act_forward_infer(out, x, sk_exec_var(ex, bn, SK_VAR_GAMMA),
                            sk_exec_var(ex, bn, SK_VAR_BETA),
                            sk_exec_var(ex, bn, SK_VAR_MOVING_MEAN),
                            sk_exec_var(ex, bn, SK_VAR_MOVING_VARIANCE), m, bn->c, bn->cfg.eps,
                            a->cfg.act);
}
