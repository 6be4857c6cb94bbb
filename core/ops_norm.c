/* ops_norm.c: BatchNormalization (training and inference), its moving-statistics update,
 * Rescaling and Keras Normalization, forward and backward, with naive twins for BN training.
 *
 * Data is m rows of c channels (m = N*H*W). Per-channel reductions (batch statistics, dgamma,
 * dbeta and the dx terms) run over fixed row chunks (sk_ops_chunk_rows) into double partials
 * that are combined in chunk order, so they are the same bits for any thread count; statistics
 * take one pass (sums shifted by the first row), the normalisation a second, in one parallel
 * region. Inference BN is row-wise, so a sample's bits do not depend on its batch. The chunk
 * kernels are dispatched per CPU (SK_OPS_CLONES) with identical bits on every path.
 * gamma/beta may be NULL (Keras scale=False / center=False): treated as 1 / 0.
 * Backward accumulates (+=); the BN *_mode twins assign +0.0f + the value instead (ops.h).
 * The sk_bn_act_* kernels fuse the executor's BN + relu/relu6/swish pairs (exec_fuse.c): the
 * same chunk loops, with the activation applied to each output chunk while in cache, or its
 * backward recomputed per chunk into a per-thread dy chunk fed to the same reductions.
 * Not here: choosing train vs infer mode (the graph does that from the freeze mask). */
#include "ops.h"
#include "ops_internal.h"
#include "sk_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- chunk kernels (leaf functions: dispatched per CPU, see SK_OPS_CLONES) ---- */

/* s[j] = sum (x - k[j]), q[j] = sum (x - k[j])^2 over the rows of one chunk, in double. */
SK_OPS_CLONES static void stats_chunk(double *restrict s, double *restrict q,
                                      const float *restrict x, const double *restrict k,
                                      size_t rows, int c)
{
    for (int j = 0; j < c; j++) s[j] = q[j] = 0.0;
    for (size_t r = 0; r < rows; r++, x += c)
        for (int j = 0; j < c; j++) {
            double d = (double)x[j] - k[j];
            s[j] += d;
            q[j] += d * d;
        }
}

/* out = (x - mean) * scale + shift, row by row. out may alias x. */
SK_OPS_CLONES static void affine_rows(float *out, const float *x, const float *restrict mean,
                                      const float *restrict scale, const float *restrict shift,
                                      size_t rows, int c)
{
    for (size_t r = 0; r < rows; r++, x += c, out += c)
        for (int j = 0; j < c; j++) out[j] = (x[j] - mean[j]) * scale[j] + shift[j];
}

/* sg[j] = sum dy, sgx[j] = sum dy * (x - md[j]) over one chunk, in double. */
SK_OPS_CLONES static void grad_stats_chunk(double *restrict sg, double *restrict sgx,
                                           const float *restrict dy, const float *restrict x,
                                           const double *restrict md, size_t rows, int c)
{
    for (int j = 0; j < c; j++) sg[j] = sgx[j] = 0.0;
    for (size_t r = 0; r < rows; r++, x += c, dy += c)
        for (int j = 0; j < c; j++) {
            double g = dy[j];
            sg[j] += g;
            sgx[j] += g * ((double)x[j] - md[j]);
        }
}

/* dx += k1 * (dy - k2 - xhat * k3), xhat = (x - mean) * invstd. */
SK_OPS_CLONES static void bn_dx_rows(float *restrict dx, const float *restrict dy,
                                     const float *restrict x, const float *restrict mean,
                                     const float *restrict invstd, const float *restrict k1,
                                     const float *restrict k2, const float *restrict k3,
                                     size_t rows, int c, int as)
{
    for (size_t r = 0; r < rows; r++, x += c, dy += c, dx += c)
        for (int j = 0; j < c; j++) {
            float xh = (x[j] - mean[j]) * invstd[j];
            dx[j] = SK_GRAD_BASE(as, dx[j]) + k1[j] * (dy[j] - k2[j] - xh * k3[j]);
        }
}

/* dx += dy * scale (dx = +0.0f + dy * scale with as). */
SK_OPS_CLONES static void scale_acc_rows(float *restrict dx, const float *restrict dy,
                                         const float *restrict scale, size_t rows, int c, int as)
{
    for (size_t r = 0; r < rows; r++, dy += c, dx += c)
        for (int j = 0; j < c; j++) dx[j] = SK_GRAD_BASE(as, dx[j]) + dy[j] * scale[j];
}

/* Partial pairs part[k] = (a[c], b[c]) of chunks 0..nch-1, summed in chunk order into ta, tb. */
static void combine_pairs(double *ta, double *tb, const double *part, size_t nch, int c)
{
    for (int j = 0; j < c; j++) ta[j] = part[j], tb[j] = part[c + j];
    for (size_t k = 1; k < nch; k++) {
        const double *a = part + k * 2 * (size_t)c, *b = a + c;
        for (int j = 0; j < c; j++) ta[j] += a[j], tb[j] += b[j];
    }
}

static inline size_t chunk_len(size_t m, size_t cr, size_t k)
{
    return m - k * cr < cr ? m - k * cr : cr;
}

/* Scratch layout of the BN training kernels: per-channel doubles (shift), the chunk partials,
 * then per thread: two double totals, four float vectors of c and, when the kernel fuses an
 * activation's backward, one chunk of dy (dy_floats). */
typedef struct {
    double *k, *part;
    char *thr;
    size_t thr_bytes;
    int nt; /* threads the slots were sized for */
} bn_scratch;

static bn_scratch bn_scratch_get(size_t nch, int c, size_t dy_floats)
{
    const size_t cd = ((size_t)c * sizeof(double) + 63) & ~(size_t)63;
    const size_t cf = ((size_t)c * sizeof(float) + 63) & ~(size_t)63;
    const size_t dyb = (dy_floats * sizeof(float) + 63) & ~(size_t)63;
    bn_scratch b;
    b.thr_bytes = 2 * cd + 4 * cf + dyb;
    b.nt = sk_ops_max_threads();
    char *p = sk_ops_scratch(cd + nch * 2 * cd + (size_t)b.nt * b.thr_bytes);
    b.k = (double *)p;
    b.part = (double *)(p + cd);
    b.thr = p + cd + nch * 2 * cd;
    return b;
}

/* The calling thread's slot: double totals a, b, float vectors f[0..3] of c each, and its dy
 * chunk (only when the scratch was sized for one). */
typedef struct {
    double *a, *b;
    float *f[4];
    float *dy;
} bn_slot;

static bn_slot bn_thread_slot(const bn_scratch *sc, int c)
{
    const size_t cd = ((size_t)c * sizeof(double) + 63) & ~(size_t)63;
    const size_t cf = ((size_t)c * sizeof(float) + 63) & ~(size_t)63;
    char *t = sc->thr + (size_t)sk_ops_tid() * sc->thr_bytes;
    bn_slot s = {(double *)t, (double *)(t + cd), {NULL, NULL, NULL, NULL}, NULL};
    for (int i = 0; i < 4; i++) s.f[i] = (float *)(t + 2 * cd + (size_t)i * cf);
    s.dy = (float *)(t + 2 * cd + 4 * cf);
    return s;
}

/* The gradient reaching a BN output: given (dout, act NULL), or the backward of the relu /
 * relu6 that consumes it, computed from that activation's output and output gradient. */
typedef struct {
    const float *dout;   /* dL/d(BN output), or dL/d(activation output) when out != NULL */
    const float *out;    /* the fused activation's output, or NULL */
    sk_act act;
} bn_dy;

/* dy of elements [off, off + n) of the BN output: the caller's buffer, or the fused
 * activation's backward into the thread's dy chunk with sk_act_backward_mode's per-element
 * expression, assigned (+0.0f + v: the bits the separate pass writes into the BN output's
 * gradient in every grad-write mode, since it is that gradient's only writer). */
static const float *bn_dy_at(const bn_dy *g, const bn_slot *sl, size_t off, size_t n)
{
    if (!g->out) return g->dout + off;
    sk_ops_act_grad_rows(sl->dy, g->dout + off, NULL, g->out + off, n, g->act, 1);
    return sl->dy;
}

/* Parallel when there are at least two chunks and enough work to pay for the pool. */
#define BN_PAR(m, c, nch) ((nch) > 1 && (m) * (size_t)(c) >= SK_OMP_MIN_WORK)

/* ---- BatchNormalization ---- */

/* Batch statistics then out = affine(x), chunk by chunk; with act != SK_ACT_LINEAR the chunk
 * is activated in place right after (still in cache): the bits of the two separate passes. */
static void bn_forward_train_act(float *out, float *mean, float *var, float *invstd,
                                 const float *inp, const float *gamma, const float *beta,
                                 size_t m, int c, float eps, sk_act act)
{
    SK_ASSERT(m > 0 && c > 0);
    const size_t cr = sk_ops_chunk_rows(c), nch = (m + cr - 1) / cr;
    bn_scratch sc = bn_scratch_get(nch, c, 0);
    /* sums are shifted by the first row: one pass without E[x^2] - E[x]^2 cancellation */
    for (int j = 0; j < c; j++) sc.k[j] = inp[j];
    SK_OMP_PARALLEL_IF(BN_PAR(m, c, nch), sc.nt)
    {
        size_t lo, hi;
        sk_ops_range(nch, &lo, &hi);
        for (size_t k = lo; k < hi; k++)
            stats_chunk(sc.part + k * 2 * c, sc.part + k * 2 * c + c, inp + k * cr * c, sc.k,
                        chunk_len(m, cr, k), c);
        SK_OMP_BARRIER
        /* every thread combines all chunks (same order, same bits): no second barrier */
        bn_slot sl = bn_thread_slot(&sc, c);
        double *ts = sl.a, *tq = sl.b;
        float *fm = sl.f[0], *fs = sl.f[1], *fb = sl.f[2];
        combine_pairs(ts, tq, sc.part, nch, c);
        for (int j = 0; j < c; j++) {
            double d = ts[j] / (double)m;
            double v = tq[j] / (double)m - d * d;
            if (v < 0.0) v = 0.0;
            float is = (float)(1.0 / sqrt(v + (double)eps));
            fm[j] = (float)(sc.k[j] + d);
            fs[j] = is * (gamma ? gamma[j] : 1.0f);
            fb[j] = beta ? beta[j] : 0.0f;
            if (sk_ops_tid() == 0) {
                mean[j] = fm[j];
                var[j] = (float)v;
                invstd[j] = is;
            }
        }
        for (size_t k = lo; k < hi; k++) {
            size_t rows = chunk_len(m, cr, k);
            float *o = out + k * cr * c;
            affine_rows(o, inp + k * cr * c, fm, fs, fb, rows, c);
            if (act != SK_ACT_LINEAR) sk_ops_act_rows(o, o, rows * (size_t)c, act);
        }
    }
}

void sk_bn_forward_train(float *out, float *mean, float *var, float *invstd, const float *inp,
                         const float *gamma, const float *beta, size_t m, int c, float eps)
{
    bn_forward_train_act(out, mean, var, invstd, inp, gamma, beta, m, c, eps, SK_ACT_LINEAR);
}

void sk_bn_act_forward_train(float *out, float *mean, float *var, float *invstd,
                             const float *inp, const float *gamma, const float *beta, size_t m,
                             int c, float eps, sk_act act)
{
    SK_ASSERT_MSG(act == SK_ACT_RELU || act == SK_ACT_RELU6 || act == SK_ACT_SWISH,
                  "fused BatchNormalization activation");
    bn_forward_train_act(out, mean, var, invstd, inp, gamma, beta, m, c, eps, act);
}

float sk_bn_avg_factor(float momentum)
{
    /* Keras passes exponential_avg_factor = 1.0 - momentum, computed in double from the Python
     * float the model was written with (0.99, 0.999, 0.9997), then rounded to float32. The graph
     * keeps momentum as float32, whose own 1 - momentum is off by up to 1.3e-5 (0.999f), so the
     * decimal is recovered first: the shortest one that reads back as this float. */
    char s[32];
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, (double)momentum);
        if (strtof(s, NULL) == momentum) break;
    }
    return (float)(1.0 - strtod(s, NULL));
}

void sk_bn_update_moving(float *moving_mean, float *moving_var, const float *mean,
                         const float *var_biased, size_t m, int c, float momentum)
{
    SK_ASSERT(m > 0 && c > 0);
    /* TF's FusedBatchNorm CPU kernel, in float: f = exponential_avg_factor,
     * new = (1 - f) * old + f * batch, the variance times rest_size / (rest_size - 1) */
    const float f = sk_bn_avg_factor(momentum), keep = 1.0f - f;
    const float adjust = m > 1 ? (float)m / (float)(m - 1) : 1.0f;
    for (int j = 0; j < c; j++) {
        moving_mean[j] = keep * moving_mean[j] + f * mean[j];
        moving_var[j] = keep * moving_var[j] + f * var_biased[j] * adjust;
    }
}

/* Reductions of the BN backward over fixed chunks (sg = sum dy, sgx = sum dy * (x - sc->k))
 * into sc->part, then every thread's own totals in its slot (sl->a = sg, sl->b = sgx). Called
 * by all threads of the team. */
static void bn_grad_sums(const bn_scratch *sc, bn_slot *sl, const bn_dy *g, const float *inp,
                         size_t m, int c, size_t cr, size_t nch)
{
    size_t lo, hi;
    sk_ops_range(nch, &lo, &hi);
    *sl = bn_thread_slot(sc, c);
    for (size_t k = lo; k < hi; k++) {
        size_t rows = chunk_len(m, cr, k);
        grad_stats_chunk(sc->part + k * 2 * c, sc->part + k * 2 * c + c,
                         bn_dy_at(g, sl, k * cr * c, rows * (size_t)c), inp + k * cr * c, sc->k,
                         rows, c);
    }
    SK_OMP_BARRIER
    combine_pairs(sl->a, sl->b, sc->part, nch, c);
}

/* Floats of the per-thread dy chunk a backward with gradient g needs. */
static size_t bn_dy_floats(const bn_dy *g, int c)
{
    return g->out ? sk_ops_chunk_rows(c) * (size_t)c : 0;
}

void sk_bn_backward_train(float *dinp, float *dgamma, float *dbeta, const float *dout,
                          const float *inp, const float *mean, const float *invstd,
                          const float *gamma, size_t m, int c)
{
    sk_bn_backward_train_mode(dinp, dgamma, dbeta, dout, inp, mean, invstd, gamma, m, c, 0);
}

static void bn_backward_train_dy(float *dinp, float *dgamma, float *dbeta, const bn_dy *g,
                                 const float *inp, const float *mean, const float *invstd,
                                 const float *gamma, size_t m, int c, unsigned assign)
{
    SK_ASSERT(m > 0 && c > 0);
    const int as = (int)(assign & 1u);
    const size_t cr = sk_ops_chunk_rows(c), nch = (m + cr - 1) / cr;
    const double inv_m = 1.0 / (double)m;
    bn_scratch sc = bn_scratch_get(nch, c, bn_dy_floats(g, c));
    for (int j = 0; j < c; j++) sc.k[j] = mean[j];
    SK_OMP_PARALLEL_IF(BN_PAR(m, c, nch), sc.nt)
    {
        bn_slot sl;
        bn_grad_sums(&sc, &sl, g, inp, m, c, cr, nch);
        const double *ts = sl.a, *tq = sl.b;
        float *k1 = sl.f[0], *k2 = sl.f[1], *k3 = sl.f[2];
        for (int j = 0; j < c; j++) {
            double sgx = tq[j] * (double)invstd[j]; /* sum dy * xhat */
            if (sk_ops_tid() == 0) {
                if (dbeta) dbeta[j] += (float)ts[j];
                if (dgamma) dgamma[j] += (float)sgx;
            }
            /* dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)) */
            k1[j] = (gamma ? gamma[j] : 1.0f) * invstd[j];
            k2[j] = (float)(ts[j] * inv_m);
            k3[j] = (float)(sgx * inv_m);
        }
        if (dinp) {
            size_t lo, hi;
            sk_ops_range(nch, &lo, &hi);
            for (size_t k = lo; k < hi; k++) { /* fused: dy recomputed (a second time) per chunk */
                size_t rows = chunk_len(m, cr, k), off = k * cr * c;
                bn_dx_rows(dinp + off, bn_dy_at(g, &sl, off, rows * (size_t)c), inp + off, mean,
                           invstd, k1, k2, k3, rows, c, as);
            }
        }
    }
}

void sk_bn_backward_train_mode(float *dinp, float *dgamma, float *dbeta, const float *dout,
                               const float *inp, const float *mean, const float *invstd,
                               const float *gamma, size_t m, int c, unsigned assign)
{
    bn_dy g = {dout, NULL, SK_ACT_LINEAR};
    bn_backward_train_dy(dinp, dgamma, dbeta, &g, inp, mean, invstd, gamma, m, c, assign);
}

/* The relu / relu6 backward a fused BN backward computes on the fly. */
static bn_dy fused_dy(const float *dact, const float *act_out, sk_act act)
{
    SK_ASSERT_MSG(act == SK_ACT_RELU || act == SK_ACT_RELU6,
                  "fused BatchNormalization backward: relu or relu6 (their grad reads the output)");
    SK_ASSERT(dact && act_out);
    bn_dy g = {dact, act_out, act};
    return g;
}

void sk_bn_act_backward_train_mode(float *dinp, float *dgamma, float *dbeta, const float *dact,
                                   const float *act_out, sk_act act, const float *inp,
                                   const float *mean, const float *invstd, const float *gamma,
                                   size_t m, int c, unsigned assign)
{
    bn_dy g = fused_dy(dact, act_out, act);
    bn_backward_train_dy(dinp, dgamma, dbeta, &g, inp, mean, invstd, gamma, m, c, assign);
}

/* scale[j] = gamma / sqrt(moving_var + eps) in float, as Keras' inference formula. */
static void infer_scale(float *scale, float *shift, const float *gamma, const float *beta,
                        const float *moving_var, int c, float eps)
{
    for (int j = 0; j < c; j++) {
        float is = 1.0f / sqrtf(moving_var[j] + eps);
        scale[j] = is * (gamma ? gamma[j] : 1.0f);
        if (shift) shift[j] = beta ? beta[j] : 0.0f;
    }
}

/* out = the inference formula of x, then activation act on each chunk while it is in cache
 * (none for SK_ACT_LINEAR). Row-parallel over fixed row blocks; a row's bits never depend on
 * its neighbours. */
static void bn_infer_act(float *out, const float *inp, const float *gamma, const float *beta,
                         const float *moving_mean, const float *moving_var, size_t m, int c,
                         float eps, sk_act act)
{
    SK_ASSERT(m > 0 && c > 0);
    float *scale = sk_ops_scratch(2 * ((size_t)c + 16) * sizeof(float));
    float *shift = scale + c + 16;
    infer_scale(scale, shift, gamma, beta, moving_var, c, eps);
    const size_t cr = sk_ops_chunk_rows(c), nch = (m + cr - 1) / cr;
    SK_OMP_PARALLEL_IF(BN_PAR(m, c, nch), sk_ops_max_threads())
    {
        size_t lo, hi;
        sk_ops_range(nch, &lo, &hi);
        for (size_t k = lo; k < hi; k++) {
            size_t rows = chunk_len(m, cr, k);
            float *o = out + k * cr * c;
            affine_rows(o, inp + k * cr * c, moving_mean, scale, shift, rows, c);
            if (act != SK_ACT_LINEAR) sk_ops_act_rows(o, o, rows * (size_t)c, act);
        }
    }
}

void sk_bn_forward_infer(float *out, const float *inp, const float *gamma, const float *beta,
                         const float *moving_mean, const float *moving_var, size_t m, int c,
                         float eps)
{
    bn_infer_act(out, inp, gamma, beta, moving_mean, moving_var, m, c, eps, SK_ACT_LINEAR);
}

void sk_bn_act_forward_infer(float *out, const float *inp, const float *gamma, const float *beta,
                             const float *moving_mean, const float *moving_var, size_t m, int c,
                             float eps, sk_act act)
{
    SK_ASSERT_MSG(act == SK_ACT_RELU || act == SK_ACT_RELU6 || act == SK_ACT_SWISH,
                  "fused BatchNormalization activation");
    bn_infer_act(out, inp, gamma, beta, moving_mean, moving_var, m, c, eps, act);
}

void sk_bn_backward_infer(float *dinp, float *dgamma, float *dbeta, const float *dout,
                          const float *inp, const float *gamma, const float *moving_mean,
                          const float *moving_var, size_t m, int c, float eps)
{
    sk_bn_backward_infer_mode(dinp, dgamma, dbeta, dout, inp, gamma, moving_mean, moving_var, m,
                              c, eps, 0);
}

static void bn_backward_infer_dy(float *dinp, float *dgamma, float *dbeta, const bn_dy *g,
                                 const float *inp, const float *gamma, const float *moving_mean,
                                 const float *moving_var, size_t m, int c, float eps,
                                 unsigned assign)
{
    SK_ASSERT(m > 0 && c > 0);
    const int as = (int)(assign & 1u);
    const size_t cr = sk_ops_chunk_rows(c), nch = (m + cr - 1) / cr;
    const int want = dgamma || dbeta;
    bn_scratch sc = bn_scratch_get(nch, c, bn_dy_floats(g, c));
    for (int j = 0; j < c; j++) sc.k[j] = moving_mean[j];
    SK_OMP_PARALLEL_IF(BN_PAR(m, c, nch), sc.nt)
    {
        bn_slot sl = bn_thread_slot(&sc, c);
        if (want) {
            bn_grad_sums(&sc, &sl, g, inp, m, c, cr, nch);
            if (sk_ops_tid() == 0)
                for (int j = 0; j < c; j++) {
                    float isj = 1.0f / sqrtf(moving_var[j] + eps);
                    if (dbeta) dbeta[j] += (float)sl.a[j];
                    if (dgamma) dgamma[j] += (float)(sl.b[j] * (double)isj);
                }
        }
        if (dinp) {
            float *sv = sl.f[0];
            infer_scale(sv, NULL, gamma, NULL, moving_var, c, eps);
            size_t lo, hi;
            sk_ops_range(nch, &lo, &hi);
            for (size_t k = lo; k < hi; k++) {
                size_t rows = chunk_len(m, cr, k), off = k * cr * c;
                scale_acc_rows(dinp + off, bn_dy_at(g, &sl, off, rows * (size_t)c), sv, rows, c,
                               as);
            }
        }
    }
}

void sk_bn_backward_infer_mode(float *dinp, float *dgamma, float *dbeta, const float *dout,
                               const float *inp, const float *gamma, const float *moving_mean,
                               const float *moving_var, size_t m, int c, float eps,
                               unsigned assign)
{
    bn_dy g = {dout, NULL, SK_ACT_LINEAR};
    bn_backward_infer_dy(dinp, dgamma, dbeta, &g, inp, gamma, moving_mean, moving_var, m, c, eps,
                         assign);
}

void sk_bn_act_backward_infer_mode(float *dinp, float *dgamma, float *dbeta, const float *dact,
                                   const float *act_out, sk_act act, const float *inp,
                                   const float *gamma, const float *moving_mean,
                                   const float *moving_var, size_t m, int c, float eps,
                                   unsigned assign)
{
    bn_dy g = fused_dy(dact, act_out, act);
    bn_backward_infer_dy(dinp, dgamma, dbeta, &g, inp, gamma, moving_mean, moving_var, m, c, eps,
                         assign);
}

void sk_bn_forward_train_ref(float *out, float *mean, float *var, float *invstd,
                             const float *inp, const float *gamma, const float *beta, size_t m,
                             int c, float eps)
{
    for (int j = 0; j < c; j++) {
        double s = 0, q = 0;
        for (size_t r = 0; r < m; r++) s += inp[r * c + j];
        s /= (double)m;
        for (size_t r = 0; r < m; r++) q += (inp[r * c + j] - s) * (inp[r * c + j] - s);
        q /= (double)m;
        double is = 1.0 / sqrt(q + eps);
        mean[j] = (float)s;
        var[j] = (float)q;
        invstd[j] = (float)is;
        double g = gamma ? gamma[j] : 1.0, b = beta ? beta[j] : 0.0;
        for (size_t r = 0; r < m; r++) out[r * c + j] = (float)((inp[r * c + j] - s) * is * g + b);
    }
}

void sk_bn_backward_train_ref(float *dinp, float *dgamma, float *dbeta, const float *dout,
                              const float *inp, const float *mean, const float *invstd,
                              const float *gamma, size_t m, int c)
{
    for (int j = 0; j < c; j++) {
        double sg = 0, sgx = 0;
        for (size_t r = 0; r < m; r++) {
            double xh = ((double)inp[r * c + j] - mean[j]) * invstd[j];
            sg += dout[r * c + j];
            sgx += dout[r * c + j] * xh;
        }
        if (dbeta) dbeta[j] += (float)sg;
        if (dgamma) dgamma[j] += (float)sgx;
        if (!dinp) continue;
        double g = gamma ? gamma[j] : 1.0;
        for (size_t r = 0; r < m; r++) {
            double xh = ((double)inp[r * c + j] - mean[j]) * invstd[j];
            dinp[r * c + j] += (float)(g * invstd[j] *
                                       (dout[r * c + j] - sg / (double)m - xh * sgx / (double)m));
        }
    }
}

/* ---- Rescaling, Normalization ---- */

void sk_rescale_forward(float *out, const float *inp, size_t n, float scale, float offset)
{
    SK_OMP_FOR_IF(n >= SK_OMP_MIN_WORK)
    for (size_t i = 0; i < n; i++) out[i] = inp[i] * scale + offset;
}

void sk_rescale_backward(float *dinp, const float *dout, size_t n, float scale)
{
    SK_OMP_FOR_IF(n >= SK_OMP_MIN_WORK)
    for (size_t i = 0; i < n; i++) dinp[i] += dout[i] * scale;
}

static inline float norm_denom(float v)
{
    float s = sqrtf(v);
    return s > 1e-7f ? s : 1e-7f;
}

void sk_normalize_forward(float *out, const float *inp, const float *mean, const float *var,
                          size_t m, int c)
{
    SK_OMP_FOR_IF(m * (size_t)c >= SK_OMP_MIN_WORK)
    for (size_t r = 0; r < m; r++)
        for (int j = 0; j < c; j++)
            out[r * c + j] = (inp[r * c + j] - mean[j]) / norm_denom(var[j]);
}

void sk_normalize_backward(float *dinp, const float *dout, const float *var, size_t m, int c)
{
    SK_OMP_FOR_IF(m * (size_t)c >= SK_OMP_MIN_WORK)
    for (size_t r = 0; r < m; r++)
        for (int j = 0; j < c; j++) dinp[r * c + j] += dout[r * c + j] / norm_denom(var[j]);
}
