/* exec_internal.h: the executor's private state, shared by exec.c (planning, running) and
 * exec_ops.c (per-op forward/backward and the op table). Not a public API. */
#ifndef SK_EXEC_INTERNAL_H
#define SK_EXEC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "exec.h"
#include "ops.h"

enum { B_ACT, B_GRAD, B_PRE, B_DPRE, B_MID, B_DMID, B_MASK, B_KINDS };

struct sk_exec {
    sk_graph *g;
    int max_batch;
    int n;            /* samples in the last forward */
    int training;     /* mode of the last forward */
    uint64_t seed, step;
    float *arena;
    size_t arena_floats, naive_floats;
    float **buf[B_KINDS]; /* per kind, per node: pointer into the arena or NULL */
    float *work;
    size_t work_floats;
    float *bnstat;    /* per BN node: mean, var, invstd (3*C), persistent */
    size_t *bnstat_off;
    float *grads;     /* gradient slab, g->nparams */
    uint8_t *frozen_snapshot; /* trainable flags at plan time */
    uint8_t *in_prefix;
    int nprefix;
    int *boundary;
    int nboundary;
    size_t boundary_floats;
    int *first_bwd_consumer; /* per node: latest consumer with needs_grad, or -1 */
    uint8_t *bwd_ran;
    int bwd_count;
    void *plan;        /* the planned buffers (plan_buf, exec.c), kept for sk_exec_plan_check */
    int nplan;
    size_t *ranges;
    int nranges;
    int training_plan; /* some node needs a gradient */
    int skip_softmax;  /* backward of the current pass started from the logits */
    int prefix_batched; /* run prefix nodes on the whole batch (see sk_exec_set_prefix_batched) */
    int fwd_fresh;     /* a forward ran since the last backward */
    double *prof_fwd, *prof_bwd; /* per-node seconds, accumulated (sk_exec_set_profile) */
};

static inline const sk_node *sk_exec_node(const sk_exec *ex, int id) { return &ex->g->nodes[id]; }

/* Conv2D / SeparableConv2D / Dense with a fused non-linear activation. */
int sk_exec_has_act(const sk_node *nd);
/* What a node's backward reads besides gradients, so the planner can end a buffer's lifetime
 * early: input k (as an activation), its own output, its pre-activation / depthwise middle. */
int sk_exec_bwd_reads_input(const sk_node *nd, int k);
int sk_exec_bwd_reads_output(const sk_node *nd);
int sk_exec_bwd_reads_pre(const sk_node *nd);
int sk_exec_bwd_reads_mid(const sk_node *nd);
/* Window geometry of a conv/pool node for n samples with oc output channels. */
sk_conv_dims sk_exec_window_dims(const sk_exec *ex, const sk_node *nd, int n, int oc);
/* The pointwise half of a SeparableConv2D: 1x1, stride 1, on the depthwise output. */
sk_conv_dims sk_exec_pointwise_dims(const sk_node *nd, int n, int c);

/* Forward of n samples starting at sample s0; backward of the whole batch (ex->n). */
typedef void (*sk_exec_fwd_fn)(sk_exec *ex, int id, int n, int s0);
typedef void (*sk_exec_bwd_fn)(sk_exec *ex, int id);
typedef struct {
    sk_exec_fwd_fn fwd;
    sk_exec_bwd_fn bwd;
} sk_exec_op;

extern const sk_exec_op sk_exec_ops[SK_OP_COUNT];

#endif
