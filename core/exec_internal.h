/* exec_internal.h: the executor's private state and the op row, shared by exec.c (planning,
 * running), exec_ops.c (per-op forward/backward and the row table) and the row test. Not a
 * public API. */
#ifndef SK_EXEC_INTERNAL_H
#define SK_EXEC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "exec.h"
#include "ops.h"

enum { B_ACT, B_GRAD, B_PRE, B_DPRE, B_MID, B_DMID, B_MASK, B_KINDS };

/* One planned buffer: `size` floats at arena offset `off` (floats), alive on the timeline steps
 * [t0, t1]. Forward of node i is step i, the caller's use of the output step n, backward of
 * node i step 2n - i (sk_exec_bwd_step). */
typedef struct {
    size_t size;
    int t0, t1;
    size_t off;
    int node, kind;
} sk_plan_buf;

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
    sk_plan_buf *plan; /* the planned buffers, kept for sk_exec_plan_check */
    int nplan;
    size_t *ranges;
    int nranges;
    int training_plan; /* some node needs a gradient */
    int skip_softmax;  /* backward of the current pass started from the logits */
    int prefix_batched; /* run prefix nodes on the whole batch (see sk_exec_set_prefix_batched) */
    int fwd_fresh;     /* a forward ran since the last backward */
    double *prof_fwd, *prof_bwd; /* per-node seconds, accumulated (sk_exec_set_profile) */
    int grad_write;    /* SK_GRAD_WRITE_*: how first consumers write gradients (tests) */
    int fuse_bwd;      /* fused pairs also fuse their backward (SK_FUSE_BACKWARD) */
    int *fuse;         /* per node: its BN + activation partner (exec_fuse.c), or -1 */
};

/* How the first backward consumer of a tensor writes its gradient (sk_exec_set_grad_write).
 * ASSIGN: rows with bwd_assigns write it, the others get a zeroed buffer (the default).
 * ZERO: every gradient is zeroed, every backward accumulates (the reference).
 * POISON: as ASSIGN, but what would be written is first filled with NaN, as are the fused
 * pre-activation and SeparableConv2D middle gradients before the node's backward: an op that
 * reads what it should overwrite shows up as NaN. */
enum { SK_GRAD_WRITE_ASSIGN = 0, SK_GRAD_WRITE_ZERO, SK_GRAD_WRITE_POISON };
/* Sets the mode for later backward passes; returns the previous one. For tests. */
int sk_exec_set_grad_write(sk_exec *ex, int mode);

/* BatchNormalization + activation fusion (exec_fuse.c; sk_exec_set_fuse in exec.h). */
/* Picks the fused pairs (ex->fuse) after plan_uses; extends the BN inputs' forward lifetimes to
 * the activation that reads them instead, and the activations' outputs to the BN backward that
 * reads them when that backward is fused too. */
void sk_exec_plan_fuse(sk_exec *ex, int *last_fwd_use, int *last_bwd_use);
/* BN node whose forward its activation consumer runs (no B_ACT planned for it). */
int sk_exec_fused_away(const sk_exec *ex, int id);
/* For an activation node: the BN node it normalises itself, or -1. */
int sk_exec_fused_bn_of(const sk_exec *ex, int id);
/* Either node of a pair whose backward is fused: the BN's backward applies the activation's
 * (no B_GRAD planned for the BN output; the activation's backward does nothing). */
int sk_exec_bwd_fused(const sk_exec *ex, int id);
/* BN node of a backward-fused pair (no B_GRAD planned for it). */
int sk_exec_fused_away_bwd(const sk_exec *ex, int id);
/* Last step the gradient of node id's output is read: tb (its own backward), or for the
 * activation of a backward-fused pair its BN's backward step. */
int sk_exec_grad_until(const sk_exec *ex, int id, int tb);

static inline const sk_node *sk_exec_node(const sk_exec *ex, int id) { return &ex->g->nodes[id]; }
/* Timeline step of node i's backward in a graph of n nodes (see sk_plan_buf). */
static inline int sk_exec_bwd_step(int n, int i) { return 2 * n - i; }

/* sk_exec_new with the same buffers and lifetimes but no two buffers sharing memory and no
 * BN + activation fusion (every node's output and gradient exists; the bits are the same): the
 * reference the op-row test holds the planned arena to, and the conformance driver's source of
 * pre-activation values. */
sk_exec *sk_exec_new_unshared(sk_graph *g, int max_batch);
/* The planned buffer `kind` (B_*) of a node, or NULL if it has none. O(buffers): for checks. */
const sk_plan_buf *sk_exec_planned(const sk_exec *ex, int node, int kind);

/* Conv2D / SeparableConv2D / Dense with a fused non-linear activation. */
int sk_exec_has_act(const sk_node *nd);
/* A Conv2D whose activation (relu, relu6) the convolution applies itself (sk_conv2d_forward_act):
 * it writes its output directly and keeps no pre-activation (B_PRE), which neither activation's
 * backward reads. */
int sk_exec_conv_applies_act(const sk_node *nd);
/* Window geometry of a conv/pool node for n samples with oc output channels. */
sk_conv_dims sk_exec_window_dims(const sk_graph *g, const sk_node *nd, int n, int oc);
/* The pointwise half of a SeparableConv2D: 1x1, stride 1, on the depthwise output. */
sk_conv_dims sk_exec_pointwise_dims(const sk_node *nd, int n, int c);

/* ---- the op row: everything about an op, one row per sk_op (sk_op_rows, exec_ops.c) ---- */

/* Forward of n samples starting at sample s0; backward of the whole batch (ex->n). Backward
 * accumulates into input k's gradient, or WRITES it when bit k of `assign` is set (this node is
 * that input's first backward consumer and k its first position in the input list; nobody
 * zeroed the buffer). Only rows with bwd_assigns ever get bits; a row that sets bwd_assigns
 * must honour every bit, handle inputs in order (a repeated input is assigned at its first
 * position, accumulated at the later ones) and write every element of an assigned gradient. */
typedef void (*sk_exec_fwd_fn)(sk_exec *ex, int id, int n, int s0);
typedef void (*sk_exec_bwd_fn)(sk_exec *ex, int id, unsigned assign);

/* What a node's backward reads besides gradients. The planner keeps exactly these alive until
 * the node's backward and lets everything else die after its last forward reader, so a read
 * missing here is memory reused under backward's feet (the op-row test poisons dead memory to
 * catch it). */
typedef struct {
    uint8_t input[SK_NODE_MAX_INPUTS]; /* activation of input k */
    uint8_t output;                    /* the node's own activation */
    uint8_t pre;                       /* pre-activation of a fused activation (B_PRE) */
    uint8_t mid;                       /* depthwise middle of a SeparableConv2D (B_MID) */
} sk_bwd_reads;

/* Buffers a node needs besides its activation, gradient and fused pre-activation. */
typedef struct {
    size_t mid;   /* floats per sample of a middle buffer (B_MID; B_DMID when it needs a grad) */
    size_t mask;  /* floats per sample of a dropout mask (B_MASK) */
    size_t stats; /* persistent floats (BatchNormalization batch mean, variance, 1/std) */
    size_t work;  /* floats of the shared op workspace for max_batch samples */
} sk_op_buffers;

typedef struct {
    const char *keras_class; /* "Conv2D", ... (sk_op_keras_class) */
    sk_exec_fwd_fn fwd;
    sk_exec_bwd_fn bwd;      /* NULL only for the Input layer: no inputs, no variables */
    int fused_act;           /* applies cfg.act itself (pre-activation buffer when not linear) */
    void (*bwd_reads)(const sk_node *nd, sk_bwd_reads *r);
    void (*buffers)(const sk_graph *g, const sk_node *nd, int max_batch, sk_op_buffers *b);
    double (*macs)(const sk_graph *g, const sk_node *nd); /* per sample (sk_node_macs) */
    int bwd_assigns; /* backward honours `assign` (else the executor zeroes input gradients) */
} sk_op_row;

extern const sk_op_row sk_op_rows[SK_OP_COUNT];

static inline const sk_op_row *sk_op_row_of(sk_op op)
{
    SK_ASSERT(op >= 0 && op < SK_OP_COUNT);
    return &sk_op_rows[op];
}

/* The row's reads and buffers of a node (zeroed, then filled by the row). */
sk_bwd_reads sk_exec_bwd_reads(const sk_node *nd);
sk_op_buffers sk_exec_op_buffers(const sk_graph *g, const sk_node *nd, int max_batch);

#endif
