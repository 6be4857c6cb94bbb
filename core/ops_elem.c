/* ops_elem.c: elementwise ops: activations, softmax, add/accumulate, squeeze-excite multiply,
 * channel concatenation, dropout; plus the shared per-channel column sum.
 *
 * Invariants: backward accumulates (+=), or assigns +0.0f + the value (*_mode, SK_GRAD_BASE);
 * reductions (softmax rows, the squeeze-excite ds, column
 * sums over fixed row chunks) run in a fixed order in double, so results do not depend on the
 * thread count; sigmoid/swish use a vectorisable exp (exp_nonpos) instead of libm; dropout
 * masks are a pure function of (seed, stream_index, unit). Not here: loss (loss.c). */
#include "ops.h"
#include "ops_internal.h"
#include "sk_base.h"
#include "sk_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void *sk_ops_scratch(size_t bytes) { return sk_thread_scratch(SK_SCRATCH_OPS, bytes); }

/* acc[j] = sum over the rows of src (stride c) of src[j], in double. */
SK_OPS_CLONES static void colsum_chunk(double *restrict acc, const float *restrict src,
                                       size_t rows, int c)
{
    for (int j = 0; j < c; j++) acc[j] = 0.0;
    for (size_t r = 0; r < rows; r++, src += c)
        for (int j = 0; j < c; j++) acc[j] += src[j];
}

void sk_ops_colsum_acc(float *dst, const float *src, size_t rows, int cols)
{
    if (rows == 0) return;
    const size_t cr = sk_ops_chunk_rows(cols), nch = (rows + cr - 1) / cr;
    double *part = sk_ops_scratch(nch * (size_t)cols * sizeof(double));
    SK_OMP_PARALLEL_IF(nch > 1 && rows * (size_t)cols >= SK_OMP_MIN_WORK, sk_ops_max_threads())
    {
        size_t lo, hi;
        sk_ops_range(nch, &lo, &hi);
        for (size_t k = lo; k < hi; k++) {
            size_t r0 = k * cr, rn = rows - r0 < cr ? rows - r0 : cr;
            colsum_chunk(part + k * cols, src + r0 * cols, rn, cols);
        }
        SK_OMP_BARRIER
        sk_ops_range((size_t)cols, &lo, &hi);
        for (size_t j = lo; j < hi; j++) {
            double t = part[j];
            for (size_t k = 1; k < nch; k++) t += part[k * cols + j];
            dst[j] += (float)t;
        }
    }
}

const char *sk_act_name(sk_act a)
{
    static const char *const names[] = {"linear", "relu", "relu6", "swish", "sigmoid", "softmax"};
    _Static_assert(sizeof names / sizeof names[0] == SK_ACT_COUNT, "sk_act names");
    return (unsigned)a < SK_ACT_COUNT ? names[a] : "unknown";
}

/* e^x for x <= 0, vectorisable (no libm call, no float->int conversion): Cody-Waite reduction
 * x = r ln2 + f, |f| <= ln2/2, degree-7 Taylor polynomial (error < 1e-8 relative), then 2^r
 * applied as two exact power-of-two factors so results down to the subnormal range are
 * correctly scaled. Within 2 ulp of expf; x < -103 gives 0 (as expf's result rounds to). */
static inline float exp_nonpos(float x)
{
    union {
        float f;
        int32_t i;
    } t, m = {.f = 12582912.0f}, s1, s2;
    x = x > -103.0f ? x : -103.0f;
    t.f = x * 1.44269502f + 12582912.0f; /* 1.5 * 2^23: rounds r to the units bit */
    float r = t.f - 12582912.0f;
    int32_t ri = t.i - m.i;
    float f = (x - r * 0.693359375f) - r * -2.12194440e-4f;
    float p = 1.0f / 5040.0f;
    p = p * f + 1.0f / 720.0f;
    p = p * f + 1.0f / 120.0f;
    p = p * f + 1.0f / 24.0f;
    p = p * f + 1.0f / 6.0f;
    p = p * f + 0.5f;
    p = p * f + 1.0f;
    p = p * f + 1.0f;
    int32_t r1 = ri / 2, r2 = ri - r1;
    s1.i = (r1 + 127) << 23;
    s2.i = (r2 + 127) << 23;
    return (p * s1.f) * s2.f;
}

/* Both branches avoid overflow: e = exp(-|x|) <= 1. */
static inline float sigmoidf(float x)
{
    float e = exp_nonpos(-fabsf(x));
    return (x >= 0.0f ? 1.0f : e) / (1.0f + e);
}

/* Elementwise work is split into fixed blocks (a block's bits never depend on the split). */
#define EB ((size_t)16384)

SK_OPS_CLONES static void act_fwd_block(float *out, const float *inp, size_t n, sk_act act)
{
    switch (act) {
    case SK_ACT_RELU:
        for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
        break;
    case SK_ACT_RELU6:
        for (size_t i = 0; i < n; i++) {
            float x = inp[i] > 0.0f ? inp[i] : 0.0f;
            out[i] = x < 6.0f ? x : 6.0f;
        }
        break;
    case SK_ACT_SWISH:
        for (size_t i = 0; i < n; i++) out[i] = inp[i] * sigmoidf(inp[i]);
        break;
    case SK_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) out[i] = sigmoidf(inp[i]);
        break;
    case SK_ACT_LINEAR: /* the callers handle linear and softmax and check the range */
    case SK_ACT_SOFTMAX:
    case SK_ACT_COUNT: SK_ASSERT_MSG(0, "unknown activation");
    }
}

/* Masks are selects, not branches, so the loops vectorise (dinp + 0 only drops a -0 sign). */
SK_OPS_CLONES static void act_bwd_block(float *restrict dinp, const float *restrict dout,
                                        const float *restrict inp, const float *restrict out,
                                        size_t n, sk_act act, int as)
{
    switch (act) {
    case SK_ACT_RELU: /* out > 0 iff inp > 0 */
        for (size_t i = 0; i < n; i++)
            dinp[i] = SK_GRAD_BASE(as, dinp[i]) + (out[i] > 0.0f ? dout[i] : 0.0f);
        break;
    case SK_ACT_RELU6: /* 0 < out < 6 iff 0 < inp < 6 (TF's relu6 grad) */
        for (size_t i = 0; i < n; i++)
            dinp[i] = SK_GRAD_BASE(as, dinp[i]) +
                      ((out[i] > 0.0f && out[i] < 6.0f) ? dout[i] : 0.0f);
        break;
    case SK_ACT_SWISH:
        for (size_t i = 0; i < n; i++) {
            float s = sigmoidf(inp[i]);
            dinp[i] = SK_GRAD_BASE(as, dinp[i]) + dout[i] * (s * (1.0f + inp[i] * (1.0f - s)));
        }
        break;
    case SK_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            dinp[i] = SK_GRAD_BASE(as, dinp[i]) + dout[i] * (out[i] * (1.0f - out[i]));
        break;
    case SK_ACT_LINEAR: /* the callers handle linear and softmax and check the range */
    case SK_ACT_SOFTMAX:
    case SK_ACT_COUNT: SK_ASSERT_MSG(0, "unknown activation");
    }
}

/* Floats below which an activation stays serial: the exp-based ones cost ~4x a relu. */
static size_t act_min_work(sk_act act)
{
    return act == SK_ACT_SWISH || act == SK_ACT_SIGMOID ? SK_OMP_MIN_WORK / 4 : SK_OMP_MIN_WORK;
}

void sk_ops_act_rows(float *out, const float *inp, size_t n, sk_act act)
{
    act_fwd_block(out, inp, n, act);
}

void sk_ops_act_grad_rows(float *dinp, const float *dout, const float *inp, const float *out,
                          size_t n, sk_act act, int assign)
{
    act_bwd_block(dinp, dout, inp, out, n, act, assign);
}

void sk_act_forward(float *out, const float *inp, size_t n, sk_act act)
{
    SK_ASSERT_MSG(act != SK_ACT_SOFTMAX, "softmax goes through sk_softmax_forward");
    SK_ASSERT_MSG((unsigned)act < SK_ACT_COUNT, "unknown activation");
    if (act == SK_ACT_LINEAR) {
        if (out != inp) memmove(out, inp, n * sizeof(float));
        return;
    }
    const size_t nb = (n + EB - 1) / EB;
    SK_OMP_FOR_IF(nb > 1 && n >= act_min_work(act))
    for (size_t b = 0; b < nb; b++)
        act_fwd_block(out + b * EB, inp + b * EB, n - b * EB < EB ? n - b * EB : EB, act);
}

void sk_act_backward(float *dinp, const float *dout, const float *inp, const float *out, size_t n,
                     sk_act act)
{
    sk_act_backward_mode(dinp, dout, inp, out, n, act, 0);
}

void sk_act_backward_mode(float *dinp, const float *dout, const float *inp, const float *out,
                          size_t n, sk_act act, unsigned assign)
{
    SK_ASSERT_MSG(act != SK_ACT_SOFTMAX, "softmax goes through sk_softmax_backward");
    SK_ASSERT_MSG((unsigned)act < SK_ACT_COUNT, "unknown activation");
    const int as = (int)(assign & 1u);
    if (act == SK_ACT_LINEAR) {
        sk_accumulate_mode(dinp, dout, n, assign);
        return;
    }
    if (act == SK_ACT_SWISH) SK_ASSERT(inp != NULL);
    const size_t nb = (n + EB - 1) / EB;
    SK_OMP_FOR_IF(nb > 1 && n >= act_min_work(act))
    for (size_t b = 0; b < nb; b++) {
        const size_t o = b * EB, len = n - o < EB ? n - o : EB;
        act_bwd_block(dinp + o, dout + o, inp ? inp + o : NULL, out ? out + o : NULL, len, act,
                      as);
    }
}

void sk_softmax_forward(float *out, const float *inp, int rows, int cols)
{
    SK_ASSERT(rows >= 0 && cols > 0);
    SK_OMP_FOR_IF((size_t)rows * cols >= SK_OMP_MIN_WORK)
    for (int r = 0; r < rows; r++) {
        const float *x = inp + (size_t)r * cols;
        float *o = out + (size_t)r * cols;
        float mx = x[0];
        for (int j = 1; j < cols; j++)
            if (x[j] > mx) mx = x[j];
        double s = 0.0;
        for (int j = 0; j < cols; j++) {
            o[j] = expf(x[j] - mx);
            s += o[j];
        }
        float inv = (float)(1.0 / s);
        for (int j = 0; j < cols; j++) o[j] *= inv;
    }
}

void sk_softmax_backward(float *dinp, const float *dout, const float *out, int rows, int cols)
{
    sk_softmax_backward_mode(dinp, dout, out, rows, cols, 0);
}

void sk_softmax_backward_mode(float *dinp, const float *dout, const float *out, int rows,
                              int cols, unsigned assign)
{
    SK_ASSERT(rows >= 0 && cols > 0);
    const int as = (int)(assign & 1u);
    SK_OMP_FOR_IF((size_t)rows * cols >= SK_OMP_MIN_WORK)
    for (int r = 0; r < rows; r++) {
        const float *g = dout + (size_t)r * cols, *y = out + (size_t)r * cols;
        float *dx = dinp + (size_t)r * cols;
        double dot = 0.0;
        for (int j = 0; j < cols; j++) dot += (double)g[j] * y[j];
        float fd = (float)dot;
        for (int j = 0; j < cols; j++) dx[j] = SK_GRAD_BASE(as, dx[j]) + y[j] * (g[j] - fd);
    }
}

void sk_add_forward(float *out, const float *a, const float *b, size_t n)
{
    SK_OMP_FOR_IF(n >= SK_OMP_MIN_WORK)
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void sk_accumulate(float *dst, const float *src, size_t n) { sk_accumulate_mode(dst, src, n, 0); }

void sk_accumulate_mode(float *dst, const float *src, size_t n, unsigned assign)
{
    const int as = (int)(assign & 1u);
    SK_OMP_FOR_IF(n >= SK_OMP_MIN_WORK)
    for (size_t i = 0; i < n; i++) dst[i] = SK_GRAD_BASE(as, dst[i]) + src[i];
}

void sk_zero(float *dst, size_t n)
{
    /* one memset per thread on 16 KiB-aligned pieces: zeroing an activation gradient is memory
     * bound, and one thread alone does not reach the socket's write bandwidth */
    const size_t piece = 4096;
    size_t pieces = (n + piece - 1) / piece;
    SK_OMP_FOR_IF(n >= 8 * SK_OMP_MIN_WORK)
    for (size_t k = 0; k < pieces; k++) {
        size_t o = k * piece, len = n - o < piece ? n - o : piece;
        memset(dst + o, 0, len * sizeof(float));
    }
}

void sk_mul_bcast_forward(float *out, const float *x, const float *s, int n, size_t hw, int c)
{
    const size_t rows = (size_t)n * hw;
    SK_OMP_FOR_IF(rows * (size_t)c >= SK_OMP_MIN_WORK)
    for (size_t r = 0; r < rows; r++) {
        const float *sv = s + (r / hw) * c;
        const float *xv = x + r * c;
        float *o = out + r * c;
        for (int j = 0; j < c; j++) o[j] = xv[j] * sv[j];
    }
}

void sk_mul_bcast_backward(float *dx, float *ds, const float *dout, const float *x,
                           const float *s, int n, size_t hw, int c)
{
    sk_mul_bcast_backward_mode(dx, ds, dout, x, s, n, hw, c, 0);
}

void sk_mul_bcast_backward_mode(float *dx, float *ds, const float *dout, const float *x,
                                const float *s, int n, size_t hw, int c, unsigned assign)
{
    const size_t rows = (size_t)n * hw;
    const int ax = (int)(assign & 1u), as = (int)((assign >> 1) & 1u);
    if (dx) {
        SK_OMP_FOR_IF(rows * (size_t)c >= SK_OMP_MIN_WORK)
        for (size_t r = 0; r < rows; r++) {
            const float *sv = s + (r / hw) * c;
            const float *g = dout + r * c;
            float *d = dx + r * c;
            for (int j = 0; j < c; j++) d[j] = SK_GRAD_BASE(ax, d[j]) + g[j] * sv[j];
        }
    }
    if (ds) {
        /* one (image, channel block) per iteration; pixels summed in order in double */
        const int CB = SK_OPS_CBLOCK;
        const int nblk = (c + CB - 1) / CB;
        const int items = n * nblk;
        SK_OMP_FOR_IF(rows * (size_t)c >= SK_OMP_MIN_WORK)
        for (int it = 0; it < items; it++) {
            const int i = it / nblk, c0 = (it % nblk) * CB;
            const int cn = c - c0 < CB ? c - c0 : CB;
            double acc[SK_OPS_CBLOCK] = {0};
            for (size_t p = 0; p < hw; p++) {
                const float *g = dout + ((size_t)i * hw + p) * c + c0;
                const float *xv = x + ((size_t)i * hw + p) * c + c0;
                for (int j = 0; j < cn; j++) acc[j] += (double)(g[j] * xv[j]);
            }
            float *d = ds + (size_t)i * c + c0;
            for (int j = 0; j < cn; j++) d[j] = SK_GRAD_BASE(as, d[j]) + (float)acc[j];
        }
    }
}

void sk_concat_forward(float *out, const float *const *inps, const int *cs, int k, size_t m)
{
    int total = 0;
    for (int i = 0; i < k; i++) total += cs[i];
    SK_OMP_FOR_IF(m * (size_t)total >= SK_OMP_MIN_WORK)
    for (size_t r = 0; r < m; r++) {
        float *o = out + r * total;
        for (int i = 0; i < k; i++) {
            memcpy(o, inps[i] + r * cs[i], sizeof(float) * cs[i]);
            o += cs[i];
        }
    }
}

void sk_concat_backward(float *const *dinps, const float *dout, const int *cs, int k, size_t m)
{
    sk_concat_backward_mode(dinps, dout, cs, k, m, 0);
}

void sk_concat_backward_mode(float *const *dinps, const float *dout, const int *cs, int k,
                             size_t m, unsigned assign)
{
    int total = 0;
    for (int i = 0; i < k; i++) total += cs[i];
    SK_OMP_FOR_IF(m * (size_t)total >= SK_OMP_MIN_WORK)
    for (size_t r = 0; r < m; r++) {
        const float *g = dout + r * total;
        for (int i = 0; i < k; i++) {
            if (dinps[i]) {
                float *d = dinps[i] + r * cs[i];
                const int as = (int)((assign >> i) & 1u);
                for (int j = 0; j < cs[i]; j++) d[j] = SK_GRAD_BASE(as, d[j]) + g[j];
            }
            g += cs[i];
        }
    }
}

void sk_dropout_mask(float *mask, size_t units, float rate, uint64_t seed, uint64_t stream_index)
{
    SK_ASSERT_MSG(rate >= 0.0f && rate < 1.0f, "dropout rate outside [0, 1)");
    /* Keras: keep = uniform >= rate, scale = 1 / (1 - rate) */
    const float scale = 1.0f / (1.0f - rate);
    sk_rng r = sk_rng_stream(seed, SK_RNG_DROPOUT, stream_index);
    for (size_t u = 0; u < units; u++) mask[u] = sk_rng_uniformf(&r) >= rate ? scale : 0.0f;
}

void sk_dropout_forward(float *out, const float *inp, const float *mask, size_t units, size_t unit)
{
    SK_OMP_FOR_IF(units * unit >= SK_OMP_MIN_WORK)
    for (size_t u = 0; u < units; u++) {
        const float m = mask[u];
        for (size_t i = 0; i < unit; i++) out[u * unit + i] = inp[u * unit + i] * m;
    }
}

void sk_dropout_backward(float *dinp, const float *dout, const float *mask, size_t units,
                         size_t unit)
{
    sk_dropout_backward_mode(dinp, dout, mask, units, unit, 0);
}

void sk_dropout_backward_mode(float *dinp, const float *dout, const float *mask, size_t units,
                              size_t unit, unsigned assign)
{
    const int as = (int)(assign & 1u);
    SK_OMP_FOR_IF(units * unit >= SK_OMP_MIN_WORK)
    for (size_t u = 0; u < units; u++) {
        const float m = mask[u];
        float *d = dinp + u * unit;
        for (size_t i = 0; i < unit; i++) d[i] = SK_GRAD_BASE(as, d[i]) + dout[u * unit + i] * m;
    }
}
