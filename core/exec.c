/* exec.c: the graph executor: arena planning, running forward/backward through the op rows
 * (exec_ops.c), Keras freeze semantics, and the frozen-prefix split.
 *
 * Invariants: every buffer is planned in sk_exec_new (interval [t0, t1] on a timeline where
 * forward of node i is step i, the caller's use of the output is step n, backward of node i is
 * step 2n - i); buffers whose intervals overlap never share memory. What a backward reads and
 * which buffers an op needs besides its activation come from its op row, never from a case
 * here. Nothing is allocated after planning. Gradient buffers are zeroed by their first writer
 * (the consumer that runs first in backward), so ops can accumulate. Not here: the optimizer
 * (optim.c), the loss (loss.c), the on-disk prefix cache (fcache.c). */
#include "exec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec_internal.h"
#include "gemm.h"
#include "sk_base.h"


/* ---- planning ---- */

typedef struct {
    sk_plan_buf *v;
    int n, cap;
} plan_list;

static void plan_add(plan_list *pl, int node, int kind, size_t size, int t0, int t1)
{
    if (size == 0) return;
    if (pl->n == pl->cap) {
        pl->cap = pl->cap ? 2 * pl->cap : 64;
        pl->v = sk_xrealloc(pl->v, (size_t)pl->cap * sizeof *pl->v);
    }
    sk_plan_buf b = {size, t0, t1, 0, node, kind};
    pl->v[pl->n++] = b;
}

static int cmp_size_desc(const void *a, const void *b)
{
    const sk_plan_buf *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? 1 : -1;
    if (x->t0 != y->t0) return x->t0 < y->t0 ? -1 : 1;
    return x->kind - y->kind;
}

static int cmp_off(const void *a, const void *b)
{
    const sk_plan_buf *x = *(sk_plan_buf *const *)a, *y = *(sk_plan_buf *const *)b;
    return x->off < y->off ? -1 : x->off > y->off;
}

#define ALIGN_FLOATS 16

static size_t aligned(size_t floats)
{
    return (floats + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
}

/* Every buffer at its own offset, in plan order: no reuse. Returns the arena size. */
static size_t plan_offsets_unshared(plan_list *pl)
{
    size_t total = 0;
    for (int i = 0; i < pl->n; i++) {
        pl->v[i].off = total;
        total += aligned(pl->v[i].size);
    }
    return total;
}

/* Greedy first fit by decreasing size: each buffer takes the lowest offset that does not
 * collide with an already placed buffer whose lifetime overlaps. Returns the arena size. */
static size_t plan_offsets(plan_list *pl)
{
    qsort(pl->v, (size_t)pl->n, sizeof *pl->v, cmp_size_desc);
    sk_plan_buf **live = sk_xmalloc((size_t)(pl->n + 1) * sizeof *live);
    size_t total = 0;
    for (int i = 0; i < pl->n; i++) {
        sk_plan_buf *b = &pl->v[i];
        int nl = 0;
        for (int j = 0; j < i; j++) {
            sk_plan_buf *o = &pl->v[j];
            if (o->t0 <= b->t1 && b->t0 <= o->t1) live[nl++] = o;
        }
        qsort(live, (size_t)nl, sizeof *live, cmp_off);
        size_t need = aligned(b->size), off = 0;
        for (int j = 0; j < nl; j++) {
            size_t oend = live[j]->off + aligned(live[j]->size);
            if (off + need <= live[j]->off) break;
            if (oend > off) off = oend;
        }
        b->off = off;
        if (off + need > total) total = off + need;
    }
    free(live);
    return total;
}

int sk_exec_prefix_mask(const sk_graph *g, uint8_t *mask)
{
    int n = 0;
    for (int i = 0; i < g->n; i++) {
        const sk_node *nd = &g->nodes[i];
        int ok = !nd->needs_grad && !nd->stochastic && i != g->output;
        for (int k = 0; k < nd->ninputs && ok; k++) ok = mask[nd->inputs[k]];
        mask[i] = (uint8_t)ok;
        n += ok;
    }
    return n;
}

static void plan_prefix(sk_exec *ex)
{
    const sk_graph *g = ex->g;
    ex->in_prefix = sk_xcalloc((size_t)g->n, 1);
    ex->nprefix = sk_exec_prefix_mask(g, ex->in_prefix);
    ex->boundary = sk_xmalloc((size_t)g->n * sizeof(int));
    for (int i = 0; i < g->n; i++) {
        if (!ex->in_prefix[i]) continue;
        int crosses = 0;
        for (int j = i + 1; j < g->n && !crosses; j++) {
            if (ex->in_prefix[j]) continue;
            for (int k = 0; k < g->nodes[j].ninputs; k++)
                if (g->nodes[j].inputs[k] == i) crosses = 1;
        }
        if (crosses) {
            ex->boundary[ex->nboundary++] = i;
            ex->boundary_floats += sk_node_numel(&g->nodes[i]);
        }
    }
}

static void plan_ranges(sk_exec *ex)
{
    const sk_graph *g = ex->g;
    ex->ranges = sk_xmalloc(((size_t)g->n * SK_NODE_MAX_TENSORS + 1) * 2 * sizeof(size_t));
    for (int i = 0; i < g->n; i++) {
        const sk_node *nd = &g->nodes[i];
        if (!nd->trainable) continue;
        for (int t = 0; t < nd->ntensors; t++) {
            const sk_tensor_info *ti = &nd->tensors[t];
            if (ti->is_state) continue;
            size_t *last = ex->nranges ? &ex->ranges[2 * (ex->nranges - 1)] : NULL;
            if (last && last[0] + last[1] == ti->offset) {
                last[1] += ti->size;
            } else {
                ex->ranges[2 * ex->nranges] = ti->offset;
                ex->ranges[2 * ex->nranges + 1] = ti->size;
                ex->nranges++;
            }
        }
    }
}

static sk_exec *exec_new(sk_graph *g, int max_batch, int allocate, int share);

sk_exec *sk_exec_new(sk_graph *g, int max_batch) { return exec_new(g, max_batch, 1, 1); }

sk_exec *sk_exec_new_unshared(sk_graph *g, int max_batch) { return exec_new(g, max_batch, 1, 0); }

size_t sk_exec_plan_bytes(sk_graph *g, int max_batch)
{
    sk_exec *ex = exec_new(g, max_batch, 0, 1);
    size_t bytes = ex->arena_floats * sizeof(float);
    sk_exec_free(ex);
    return bytes;
}

/* Per node: the last forward step reading its activation, the last backward step reading it as
 * an input (the op rows' bwd_reads; -1: none), and its latest consumer that needs a gradient. */
static void plan_uses(sk_exec *ex, int *last_fwd_use, int *last_bwd_use)
{
    const sk_graph *g = ex->g;
    int n = g->n;
    ex->first_bwd_consumer = sk_xmalloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++) {
        ex->first_bwd_consumer[i] = -1;
        last_fwd_use[i] = i;
        last_bwd_use[i] = -1;
    }
    for (int j = 0; j < n; j++) {
        const sk_node *nd = &g->nodes[j];
        sk_bwd_reads r = sk_exec_bwd_reads(nd);
        int tb = sk_exec_bwd_step(n, j);
        for (int k = 0; k < nd->ninputs; k++) {
            int in = nd->inputs[k];
            SK_ASSERT(in >= 0 && in < j);
            last_fwd_use[in] = j;
            if (nd->needs_grad) {
                if (r.input[k] && tb > last_bwd_use[in]) last_bwd_use[in] = tb;
                if (j > ex->first_bwd_consumer[in]) ex->first_bwd_consumer[in] = j;
            }
        }
    }
}

typedef struct {
    plan_list pl;
    const int *last_fwd_use, *last_bwd_use;
    size_t work, bnstat; /* floats: largest op workspace, BN statistics so far */
} plan_state;

/* Plans node i's buffers: activation, gradient, fused pre-activation and what its row asks for
 * (middle, mask, workspace, statistics), each alive from its writer to its last reader. */
static void plan_node(sk_exec *ex, plan_state *ps, int i)
{
    const sk_graph *g = ex->g;
    const sk_node *nd = &g->nodes[i];
    int n = g->n, T_out = n, END = 2 * n + 1, tb = sk_exec_bwd_step(n, i);
    size_t mb = (size_t)ex->max_batch, numel = mb * sk_node_numel(nd);
    int ng = nd->needs_grad, out = i == g->output;
    sk_bwd_reads r = sk_exec_bwd_reads(nd);
    sk_op_buffers b = sk_exec_op_buffers(g, nd, ex->max_batch);
    plan_list *pl = &ps->pl;
    /* activation: alive until its last reader (forward, or a backward that reads it) */
    int t0 = i, t1 = ps->last_fwd_use[i];
    if (ng && r.output && tb > t1) t1 = tb;
    if (ps->last_bwd_use[i] > t1) t1 = ps->last_bwd_use[i];
    if (out) t1 = END;
    if (ex->nprefix && ex->in_prefix[i]) {
        for (int k = 0; k < ex->nboundary; k++)
            if (ex->boundary[k] == i) t0 = 0; /* written first by forward_suffix */
    }
    if (!sk_exec_fused_away(ex, i)) plan_add(pl, i, B_ACT, numel, t0, t1);
    if (ng && !sk_exec_fused_away_bwd(ex, i)) { /* a BN fused in backward: dy is not stored */
        int first = ex->first_bwd_consumer[i];
        plan_add(pl, i, B_GRAD, numel, out ? T_out : sk_exec_bwd_step(n, first >= 0 ? first : i),
                 sk_exec_grad_until(ex, i, tb));
    }
    if (sk_exec_has_act(nd)) {
        if (!sk_exec_conv_applies_act(nd))
            plan_add(pl, i, B_PRE, numel, i, out ? END : (ng && r.pre ? tb : i));
        if (ng) plan_add(pl, i, B_DPRE, numel, out ? T_out : tb, tb);
    }
    if (b.mid) {
        plan_add(pl, i, B_MID, mb * b.mid, i, ng && r.mid ? tb : i);
        if (ng) plan_add(pl, i, B_DMID, mb * b.mid, tb, tb);
    }
    if (b.work > ps->work) ps->work = b.work;
    if (b.mask) plan_add(pl, i, B_MASK, mb * b.mask, i, ng ? tb : i);
    if (b.stats) {
        ex->bnstat_off[i] = ps->bnstat;
        ps->bnstat += b.stats;
    }
}

/* Plans the buffers; with allocate == 0 only the sizes (no arena, nothing touched); with
 * share == 0 no two buffers share memory and no BN + activation pair is fused
 * (sk_exec_new_unshared). */
static sk_exec *exec_new(sk_graph *g, int max_batch, int allocate, int share)
{
    SK_ASSERT(g && g->finalized && max_batch > 0);
    SK_ASSERT_MSG((g->params || !g->nparams) && (g->state || !g->nstate),
                  "executor needs a graph finalized with slabs (sk_graph_finalize)");
    SK_ASSERT_MSG(g->n < (1 << 20), "dropout stream index packs the node id in 20 bits");
    sk_exec *ex = sk_xcalloc(1, sizeof *ex);
    ex->g = g;
    ex->max_batch = max_batch;
    int n = g->n;
    ex->frozen_snapshot = sk_xmalloc((size_t)n);
    for (int i = 0; i < n; i++) {
        ex->frozen_snapshot[i] = (uint8_t)g->nodes[i].trainable;
        if (g->nodes[i].needs_grad) ex->training_plan = 1;
    }
    plan_prefix(ex);
    plan_ranges(ex);

    int *last_fwd_use = sk_xmalloc((size_t)n * sizeof(int));
    int *last_bwd_use = sk_xmalloc((size_t)n * sizeof(int));
    plan_uses(ex, last_fwd_use, last_bwd_use);
    if (share) sk_exec_plan_fuse(ex, last_fwd_use, last_bwd_use); /* unshared: every output */
    plan_state ps = {{0}, last_fwd_use, last_bwd_use, 0, 0};
    ex->bnstat_off = sk_xcalloc((size_t)n, sizeof(size_t));
    for (int i = 0; i < n; i++) plan_node(ex, &ps, i);
    free(last_fwd_use);
    free(last_bwd_use);

    plan_list pl = ps.pl;
    for (int k = 0; k < pl.n; k++) ex->naive_floats += pl.v[k].size;
    ex->arena_floats = share ? plan_offsets(&pl) : plan_offsets_unshared(&pl);
    size_t work = ps.work, work_al = aligned(work), bn_al = aligned(ps.bnstat);
    size_t total = ex->arena_floats + work_al + bn_al;
    ex->naive_floats += work_al + bn_al;
    ex->arena_floats = total;
    ex->plan = pl.v;
    ex->nplan = pl.n;
    for (int k = 0; k < B_KINDS; k++) ex->buf[k] = sk_xcalloc((size_t)n, sizeof(float *));
    ex->bwd_ran = sk_xcalloc((size_t)n, 1);
    if (!allocate) return ex;
    ex->arena = sk_xmalloc_aligned((total ? total : 1) * sizeof(float));
    memset(ex->arena, 0, total * sizeof(float));
    for (int k = 0; k < pl.n; k++) ex->buf[pl.v[k].kind][pl.v[k].node] = ex->arena + pl.v[k].off;
    ex->work = ex->arena + (total - work_al - bn_al);
    ex->work_floats = work;
    ex->bnstat = ex->work + work_al;

    ex->grads = sk_xmalloc_aligned((g->nparams ? g->nparams : 1) * sizeof(float));
    memset(ex->grads, 0, g->nparams * sizeof(float));
    return ex;
}

void sk_exec_free(sk_exec *ex)
{
    if (!ex) return;
    free(ex->plan);
    for (int k = 0; k < B_KINDS; k++) free(ex->buf[k]);
    free(ex->arena);
    free(ex->bnstat_off);
    free(ex->grads);
    free(ex->frozen_snapshot);
    free(ex->in_prefix);
    free(ex->boundary);
    free(ex->first_bwd_consumer);
    free(ex->fuse);
    free(ex->bwd_ran);
    free(ex->ranges);
    free(ex);
}

const sk_plan_buf *sk_exec_planned(const sk_exec *ex, int node, int kind)
{
    for (int k = 0; k < ex->nplan; k++)
        if (ex->plan[k].node == node && ex->plan[k].kind == kind) return &ex->plan[k];
    return NULL;
}

static int alive_at(const sk_exec *ex, int node, int kind, int t)
{
    const sk_plan_buf *b = sk_exec_planned(ex, node, kind);
    return b && b->t0 <= t && t <= b->t1;
}

/* Violations of: every buffer a node's backward reads (its op row) or writes is alive at it. */
static int check_bwd_lifetimes(const sk_exec *ex)
{
    const sk_graph *g = ex->g;
    int bad = 0;
    for (int j = 0; j < g->n; j++) {
        const sk_node *nd = &g->nodes[j];
        if (!nd->needs_grad || !sk_op_row_of(nd->op)->bwd) continue;
        int tb = sk_exec_bwd_step(g->n, j);
        sk_bwd_reads r = sk_exec_bwd_reads(nd);
        sk_op_buffers b = sk_exec_op_buffers(g, nd, ex->max_batch);
        /* backward-fused pair (exec_fuse.c): the BN j reads its activation's output and output
         * gradient instead of its own gradient; the activation j writes no input gradient */
        int fb = sk_exec_fused_away_bwd(ex, j);
        int fa = sk_exec_fused_bn_of(ex, j) >= 0 && sk_exec_bwd_fused(ex, j);
        bad += !fb && !alive_at(ex, j, B_GRAD, tb);
        if (fb) {
            bad += !alive_at(ex, ex->fuse[j], B_ACT, tb) + !alive_at(ex, ex->fuse[j], B_GRAD, tb);
            bad += sk_exec_planned(ex, j, B_GRAD) != NULL;
        }
        bad += r.output && !alive_at(ex, j, B_ACT, tb);
        bad += r.pre && !alive_at(ex, j, B_PRE, tb);
        bad += r.mid && !alive_at(ex, j, B_MID, tb);
        bad += sk_exec_has_act(nd) && !alive_at(ex, j, B_DPRE, tb);
        bad += b.mid && !alive_at(ex, j, B_DMID, tb);
        bad += b.mask && !alive_at(ex, j, B_MASK, tb);
        for (int k = 0; k < nd->ninputs; k++) {
            int in = nd->inputs[k];
            bad += r.input[k] && !alive_at(ex, in, B_ACT, tb);
            bad += g->nodes[in].needs_grad && !fa && !alive_at(ex, in, B_GRAD, tb);
        }
    }
    return bad;
}

int sk_exec_plan_check(const sk_exec *ex)
{
    const sk_plan_buf *v = ex->plan;
    int bad = 0;
    for (int i = 0; i < ex->nplan; i++) {
        if (v[i].off + v[i].size > ex->arena_floats || v[i].t0 > v[i].t1) bad++;
        for (int j = i + 1; j < ex->nplan; j++) {
            int live = v[i].t0 <= v[j].t1 && v[j].t0 <= v[i].t1;
            int mem = v[i].off < v[j].off + v[j].size && v[j].off < v[i].off + v[i].size;
            bad += live && mem;
        }
    }
    return bad + check_bwd_lifetimes(ex);
}

void sk_exec_set_profile(sk_exec *ex, double *fwd, double *bwd)
{
    ex->prof_fwd = fwd;
    ex->prof_bwd = bwd;
}

void sk_exec_set_prefix_batched(sk_exec *ex, int batched) { ex->prefix_batched = batched != 0; }

sk_graph *sk_exec_graph(const sk_exec *ex) { return ex->g; }
int sk_exec_max_batch(const sk_exec *ex) { return ex->max_batch; }
size_t sk_exec_arena_bytes(const sk_exec *ex) { return ex->arena_floats * sizeof(float); }
size_t sk_exec_arena_naive_bytes(const sk_exec *ex) { return ex->naive_floats * sizeof(float); }

/* ---- running ---- */

static void check_freeze(const sk_exec *ex)
{
    for (int i = 0; i < ex->g->n; i++)
        SK_ASSERT_MSG(ex->frozen_snapshot[i] == (uint8_t)ex->g->nodes[i].trainable,
                      "graph re-frozen after sk_exec_new: plan a new executor");
}

static void begin(sk_exec *ex, int n, int training, uint64_t seed, uint64_t step)
{
    SK_ASSERT(n > 0 && n <= ex->max_batch);
    check_freeze(ex);
    ex->n = n;
    ex->training = training ? 1 : 0;
    ex->seed = seed;
    ex->step = step;
}

static void load_input(sk_exec *ex, const float *input, int n)
{
    const sk_graph *g = ex->g;
    for (int i = 0; i < g->n; i++)
        if (g->nodes[i].op == SK_OP_INPUT)
            memcpy(ex->buf[B_ACT][i], input, (size_t)n * sk_node_numel(&g->nodes[i]) * 4);
}

/* Runs node i: prefix nodes one sample at a time (see exec.h, Determinism). */
static void run_node(sk_exec *ex, int i, int n)
{
    sk_exec_fwd_fn f = sk_op_row_of(ex->g->nodes[i].op)->fwd;
    double t0 = ex->prof_fwd ? sk_now() : 0.0;
    if (ex->in_prefix[i] && !ex->prefix_batched && !sk_gemm_row_invariant()) {
        for (int s = 0; s < n; s++) f(ex, i, 1, s);
    } else {
        f(ex, i, n, 0);
    }
    if (ex->prof_fwd) ex->prof_fwd[i] += sk_now() - t0;
}

void sk_exec_forward(sk_exec *ex, const float *input, int n, int training, uint64_t seed,
                     uint64_t step)
{
    begin(ex, n, training, seed, step);
    load_input(ex, input, n);
    for (int i = 0; i < ex->g->n; i++) run_node(ex, i, n);
    ex->fwd_fresh = 1;
}

void sk_exec_forward_prefix(sk_exec *ex, const float *input, int n, float *boundary)
{
    begin(ex, n, 0, 0, 0);
    ex->fwd_fresh = 0;
    load_input(ex, input, n);
    for (int i = 0; i < ex->g->n; i++)
        if (ex->in_prefix[i]) run_node(ex, i, n);
    for (int s = 0; s < n; s++) {
        float *dst = boundary + (size_t)s * ex->boundary_floats;
        for (int b = 0; b < ex->nboundary; b++) {
            size_t numel = sk_node_numel(sk_exec_node(ex, ex->boundary[b]));
            memcpy(dst, ex->buf[B_ACT][ex->boundary[b]] + (size_t)s * numel, numel * 4);
            dst += numel;
        }
    }
}

void sk_exec_forward_suffix(sk_exec *ex, const float *boundary, int n, int training,
                            uint64_t seed, uint64_t step)
{
    begin(ex, n, training, seed, step);
    for (int s = 0; s < n; s++) {
        const float *src = boundary + (size_t)s * ex->boundary_floats;
        for (int b = 0; b < ex->nboundary; b++) {
            size_t numel = sk_node_numel(sk_exec_node(ex, ex->boundary[b]));
            memcpy(ex->buf[B_ACT][ex->boundary[b]] + (size_t)s * numel, src, numel * 4);
            src += numel;
        }
    }
    for (int i = 0; i < ex->g->n; i++)
        if (!ex->in_prefix[i]) run_node(ex, i, n);
    ex->fwd_fresh = 1;
}

const float *sk_exec_output(const sk_exec *ex) { return ex->buf[B_ACT][ex->g->output]; }
size_t sk_exec_output_size(const sk_exec *ex)
{
    return sk_node_numel(sk_exec_node(ex, ex->g->output));
}

const float *sk_exec_logits(const sk_exec *ex)
{
    const sk_node *nd = sk_exec_node(ex, ex->g->output);
    if (sk_exec_has_act(nd) && nd->cfg.act == SK_ACT_SOFTMAX) return ex->buf[B_PRE][ex->g->output];
    if (nd->op == SK_OP_ACTIVATION && nd->cfg.act == SK_ACT_SOFTMAX)
        return ex->buf[B_ACT][nd->inputs[0]];
    return NULL;
}

int sk_exec_set_grad_write(sk_exec *ex, int mode)
{
    SK_ASSERT(mode >= SK_GRAD_WRITE_ASSIGN && mode <= SK_GRAD_WRITE_POISON);
    int prev = ex->grad_write;
    ex->grad_write = mode;
    return prev;
}

static void fill_nan(float *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = NAN;
}

/* Node i's backward is the first to write the gradients of the inputs it consumes first (k is
 * an input's first position in the list): those get their bit in the returned assign mask when
 * the op's row can write them (bwd_assigns), and are zeroed otherwise. In POISON mode whatever
 * the backward must overwrite is filled with NaN first. */
static unsigned grad_assign_mask(sk_exec *ex, int i)
{
    const sk_node *nd = sk_exec_node(ex, i);
    const int poison = ex->grad_write == SK_GRAD_WRITE_POISON;
    const int can = sk_op_row_of(nd->op)->bwd_assigns && ex->grad_write != SK_GRAD_WRITE_ZERO;
    unsigned assign = 0;
    for (int k = 0; k < nd->ninputs; k++) {
        int in = nd->inputs[k];
        if (!sk_exec_node(ex, in)->needs_grad || ex->first_bwd_consumer[in] != i) continue;
        if (sk_exec_fused_away_bwd(ex, in)) continue; /* a fused BN's dy: never stored */
        int seen = 0;
        for (int k2 = 0; k2 < k; k2++) seen |= nd->inputs[k2] == in;
        if (seen) continue;
        size_t cnt = (size_t)ex->n * sk_node_numel(sk_exec_node(ex, in));
        if (can) {
            assign |= 1u << k;
            if (poison) fill_nan(ex->buf[B_GRAD][in], cnt);
        } else {
            sk_zero(ex->buf[B_GRAD][in], cnt);
        }
    }
    if (poison) { /* the op-internal gradients its backward writes before reading */
        size_t per = ex->n;
        if (ex->buf[B_DPRE][i] && !(ex->skip_softmax && i == ex->g->output))
            fill_nan(ex->buf[B_DPRE][i], per * sk_node_numel(nd));
        if (ex->buf[B_DMID][i]) {
            sk_op_buffers b = sk_exec_op_buffers(ex->g, nd, ex->max_batch);
            fill_nan(ex->buf[B_DMID][i], per * b.mid);
        }
    }
    return assign;
}

void sk_exec_backward(sk_exec *ex, const float *dout, int wrt_logits)
{
    sk_graph *g = ex->g;
    check_freeze(ex);
    SK_ASSERT_MSG(ex->fwd_fresh, "one backward per full or suffix forward");
    ex->fwd_fresh = 0;
    for (int r = 0; r < ex->nranges; r++) /* frozen ranges are never written: stay zero */
        sk_zero(ex->grads + ex->ranges[2 * r], ex->ranges[2 * r + 1]);
    memset(ex->bwd_ran, 0, (size_t)g->n);
    ex->bwd_count = 0;
    int out = g->output;
    const sk_node *on = sk_exec_node(ex, out);
    if (!on->needs_grad) return; /* everything frozen */
    size_t cnt = (size_t)ex->n * sk_node_numel(on);
    ex->skip_softmax = 0;
    if (wrt_logits) {
        SK_ASSERT_MSG(sk_exec_logits(ex) != NULL, "wrt_logits needs a softmax output");
        ex->skip_softmax = 1;
        if (sk_exec_has_act(on)) {
            memcpy(ex->buf[B_DPRE][out], dout, cnt * sizeof(float));
            memset(ex->buf[B_GRAD][out], 0, cnt * sizeof(float));
        } else {
            memcpy(ex->buf[B_GRAD][out], dout, cnt * sizeof(float));
        }
    } else {
        memcpy(ex->buf[B_GRAD][out], dout, cnt * sizeof(float));
    }
    for (int i = g->n - 1; i >= 0; i--) {
        const sk_node *nd = sk_exec_node(ex, i);
        sk_exec_bwd_fn bwd = sk_op_row_of(nd->op)->bwd;
        if (!nd->needs_grad || !bwd) continue; /* only the Input layer has no backward */
        unsigned assign = grad_assign_mask(ex, i);
        double t0 = ex->prof_bwd ? sk_now() : 0.0;
        bwd(ex, i, assign);
        if (ex->prof_bwd) ex->prof_bwd[i] += sk_now() - t0;
        ex->bwd_ran[i] = 1;
        ex->bwd_count++;
    }
    ex->skip_softmax = 0;
}

const float *sk_exec_grads(const sk_exec *ex) { return ex->grads; }

int sk_exec_bn_batch_stats(const sk_exec *ex, int id, const float **mean, const float **var)
{
    SK_ASSERT(id >= 0 && id < ex->g->n);
    const sk_node *nd = &ex->g->nodes[id];
    if (nd->op != SK_OP_BATCHNORM || !ex->training || !nd->trainable) return 0;
    *mean = ex->bnstat + ex->bnstat_off[id];
    *var = *mean + nd->c;
    return 1;
}

int sk_exec_backward_nodes_run(const sk_exec *ex) { return ex->bwd_count; }
const uint8_t *sk_exec_backward_ran(const sk_exec *ex) { return ex->bwd_ran; }
int sk_exec_prefix_nodes(const sk_exec *ex) { return ex->nprefix; }
size_t sk_exec_boundary_floats(const sk_exec *ex) { return ex->boundary_floats; }
int sk_exec_in_prefix(const sk_exec *ex, int id)
{
    SK_ASSERT(id >= 0 && id < ex->g->n);
    return ex->in_prefix[id];
}

int sk_exec_trainable_ranges(const sk_exec *ex, const size_t **ranges)
{
    *ranges = ex->ranges;
    return ex->nranges;
}
