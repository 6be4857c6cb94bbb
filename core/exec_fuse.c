/* exec_fuse.c: BatchNormalization + activation fusion in the executor (issue 17).
 *
 * The graph keeps BatchNormalization and its ReLU / Activation as separate nodes (layer names,
 * trainable counts, export). When a BN node's ONLY consumer is a relu, relu6 or swish node, the
 * activation node's forward normalises and activates in one pass straight into its own output
 * (exec_ops.c bn_forward_into: sk_bn_act_forward_infer, or for a trainable BN in a training
 * pass sk_bn_act_forward_train, which stores the batch statistics and updates the moving ones
 * exactly as the BN node would), the BN node's forward does nothing, and the BN output is
 * never planned. Both modes of one executor go through the activation node.
 *
 * With SK_FUSE_BACKWARD (off by default: measured slower than the separate passes, exec.h), when
 * the BN's backward runs (its act is then relu or relu6: a swish whose backward runs reads its
 * input, the BN output, and is not fused): the activation's backward does
 * nothing and the BN's backward computes dy = dout * act'(out) per chunk from the activation's
 * output and output gradient (sk_bn_act_backward_*_mode); the BN output's gradient is never
 * planned, the activation's output and gradient live until the BN's backward. Bits are those
 * of the separate passes (same expressions per element, see ops.h). Without it the activation's
 * backward writes the BN output's gradient as usual (relu and relu6 read only their output).
 *
 * Not fused: the graph output or a prefix-cache boundary (someone else reads the BN output),
 * a swish whose backward runs, an activation on the other side of the prefix split. */
#include <stdlib.h>

#include "exec_internal.h"
#include "sk_base.h"

static int fuse_mode = SK_FUSE_FORWARD;

int sk_exec_set_fuse(int mode)
{
    int prev = fuse_mode;
    fuse_mode = mode & (SK_FUSE_FORWARD | SK_FUSE_BACKWARD);
    if (!(fuse_mode & SK_FUSE_FORWARD)) fuse_mode = 0; /* backward fusion needs the forward one */
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

void sk_exec_plan_fuse(sk_exec *ex, int *last_fwd_use, int *last_bwd_use)
{
    const sk_graph *g = ex->g;
    int n = g->n;
    ex->fuse = sk_xmalloc((size_t)n * sizeof(int));
    int *consumers = sk_xcalloc((size_t)n, sizeof(int)), *last = sk_xmalloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++) ex->fuse[i] = last[i] = -1;
    ex->fuse_bwd = (fuse_mode & SK_FUSE_BACKWARD) != 0;
    for (int j = 0; j < n; j++)
        for (int k = 0; k < g->nodes[j].ninputs; k++) {
            consumers[g->nodes[j].inputs[k]]++;
            last[g->nodes[j].inputs[k]] = j;
        }
    for (int b = 0; fuse_mode && b < n; b++) {
        const sk_node *bn = &g->nodes[b];
        if (bn->op != SK_OP_BATCHNORM || bn->ninputs != 1) continue;
        if (consumers[b] != 1 || b == g->output || is_boundary(ex, b)) continue;
        int a = last[b];
        if (!fusable_act(&g->nodes[a])) continue;
        if (ex->in_prefix[a] != ex->in_prefix[b]) continue;
        int in = bn->inputs[0];
        if (ex->nprefix && ex->in_prefix[in] != ex->in_prefix[b]) continue;
        ex->fuse[b] = a;
        ex->fuse[a] = b;
        if (last_fwd_use[in] < a) last_fwd_use[in] = a; /* the activation reads the BN input */
        int tb = sk_exec_bwd_step(n, b); /* the BN backward reads the activation's output */
        if (sk_exec_bwd_fused(ex, b) && last_bwd_use[a] < tb) last_bwd_use[a] = tb;
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

int sk_exec_bwd_fused(const sk_exec *ex, int id)
{
    if (!ex->fuse || !ex->fuse_bwd || ex->fuse[id] < 0) return 0;
    int b = ex->g->nodes[id].op == SK_OP_BATCHNORM ? id : ex->fuse[id];
    return ex->g->nodes[b].needs_grad;
}

int sk_exec_fused_away_bwd(const sk_exec *ex, int id)
{
    return sk_exec_fused_away(ex, id) && sk_exec_bwd_fused(ex, id);
}

int sk_exec_grad_until(const sk_exec *ex, int id, int tb)
{
    if (!sk_exec_bwd_fused(ex, id) || sk_exec_node(ex, id)->op == SK_OP_BATCHNORM) return tb;
    return sk_exec_bwd_step(ex->g->n, ex->fuse[id]);
}
