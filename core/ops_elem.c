/* ops_elem.c: elementwise ops: activations, softmax, add/accumulate, squeeze-excite multiply,
 * channel concatenation, dropout; plus the shared per-channel column sum.
 *
 * Invariants: backward accumulates (+=); reductions (softmax rows, the squeeze-excite ds, column
 * sums) run in a fixed order in double, so results do not depend on the thread count; dropout
 * masks are a pure function of (seed, stream_index, unit). Not here: loss (loss.c). */
#include "ops.h"
#include "ops_internal.h"
#include "rng.h"
#include "sk_common.h"

#include <math.h>
#include <string.h>

void sk_ops_colsum_acc(float *dst, const float *src, size_t rows, int cols)
{
    const int CB = SK_OPS_CBLOCK;
    const int nblk = (cols + CB - 1) / CB;
    SK_OMP_FOR_IF(rows * (size_t)cols >= SK_OMP_MIN_WORK)
    for (int b = 0; b < nblk; b++) {
        const int c0 = b * CB, cn = cols - c0 < CB ? cols - c0 : CB;
        double acc[SK_OPS_CBLOCK] = {0};
        for (size_t r = 0; r < rows; r++) {
            const float *s = src + r * cols + c0;
            for (int j = 0; j < cn; j++) acc[j] += s[j];
        }
        for (int j = 0; j < cn; j++) dst[c0 + j] += (float)acc[j];
    }
}

const char *sk_act_name(sk_act a)
{
    static const char *const names[] = {"linear", "relu", "relu6", "swish", "sigmoid", "softmax"};
    _Static_assert(sizeof names / sizeof names[0] == SK_ACT_COUNT, "sk_act names");
    return (unsigned)a < SK_ACT_COUNT ? names[a] : "unknown";
}

static inline float sigmoidf(float x)
{
    /* both branches avoid exp overflow */
    if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

void sk_act_forward(float *out, const float *inp, size_t n, sk_act act)
{
    SK_ASSERT_MSG(act != SK_ACT_SOFTMAX, "softmax goes through sk_softmax_forward");
    switch (act) {
    case SK_ACT_LINEAR:
        if (out != inp) memmove(out, inp, n * sizeof(float));
        break;
    case SK_ACT_RELU:
        SK_OMP_FOR_IF(n >= SK_OMP_MIN_WORK)
        for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
        break;
    case SK_ACT_RELU6:
        SK_OMP_FOR_IF(n >= SK_OMP_MIN_WORK)
        for (size_t i = 0; i < n; i++) {
            float x = inp[i] > 0.0f ? inp[i] : 0.0f;
            out[i] = x < 6.0f ? x : 6.0f;
        }
        break;
    case SK_ACT_SWISH:
        SK_OMP_FOR_IF(n >= SK_OMP_MIN_WORK / 4)
        for (size_t i = 0; i < n; i++) out[i] = inp[i] * sigmoidf(inp[i]);
        break;
    case SK_ACT_SIGMOID:
        SK_OMP_FOR_IF(n >= SK_OMP_MIN_WORK / 4)
        for (size_t i = 0; i < n; i++) out[i] = sigmoidf(inp[i]);
        break;
    default:
        SK_ASSERT_MSG(0, "unknown activation");
    }
}

void sk_act_backward(float *dinp, const float *dout, const float *inp, const float *out, size_t n,
                     sk_act act)
{
    SK_ASSERT_MSG(act != SK_ACT_SOFTMAX, "softmax goes through sk_softmax_backward");
    switch (act) {
    case SK_ACT_LINEAR:
        sk_accumulate(dinp, dout, n);
        break;
    case SK_ACT_RELU: /* out > 0 iff inp > 0 */
        SK_OMP_FOR_IF(n >= SK_OMP_MIN_WORK)
        for (size_t i = 0; i < n; i++)
            if (out[i] > 0.0f) dinp[i] += dout[i];
        break;
    case SK_ACT_RELU6: /* 0 < out < 6 iff 0 < inp < 6 (TF's relu6 grad) */
        SK_OMP_FOR_IF(n >= SK_OMP_MIN_WORK)
        for (size_t i = 0; i < n; i++)
            if (out[i] > 0.0f && out[i] < 6.0f) dinp[i] += dout[i];
        break;
    case SK_ACT_SWISH:
        SK_ASSERT(inp != NULL);
        SK_OMP_FOR_IF(n >= SK_OMP_MIN_WORK / 4)
        for (size_t i = 0; i < n; i++) {
            float s = sigmoidf(inp[i]);
            dinp[i] += dout[i] * (s * (1.0f + inp[i] * (1.0f - s)));
        }
        break;
    case SK_ACT_SIGMOID:
        SK_OMP_FOR_IF(n >= SK_OMP_MIN_WORK)
        for (size_t i = 0; i < n; i++) dinp[i] += dout[i] * (out[i] * (1.0f - out[i]));
        break;
    default:
        SK_ASSERT_MSG(0, "unknown activation");
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
    SK_ASSERT(rows >= 0 && cols > 0);
    SK_OMP_FOR_IF((size_t)rows * cols >= SK_OMP_MIN_WORK)
    for (int r = 0; r < rows; r++) {
        const float *g = dout + (size_t)r * cols, *y = out + (size_t)r * cols;
        float *dx = dinp + (size_t)r * cols;
        double dot = 0.0;
        for (int j = 0; j < cols; j++) dot += (double)g[j] * y[j];
        float fd = (float)dot;
        for (int j = 0; j < cols; j++) dx[j] += y[j] * (g[j] - fd);
    }
}

void sk_add_forward(float *out, const float *a, const float *b, size_t n)
{
    SK_OMP_FOR_IF(n >= SK_OMP_MIN_WORK)
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void sk_accumulate(float *dst, const float *src, size_t n)
{
    SK_OMP_FOR_IF(n >= SK_OMP_MIN_WORK)
    for (size_t i = 0; i < n; i++) dst[i] += src[i];
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
    const size_t rows = (size_t)n * hw;
    if (dx) {
        SK_OMP_FOR_IF(rows * (size_t)c >= SK_OMP_MIN_WORK)
        for (size_t r = 0; r < rows; r++) {
            const float *sv = s + (r / hw) * c;
            const float *g = dout + r * c;
            float *d = dx + r * c;
            for (int j = 0; j < c; j++) d[j] += g[j] * sv[j];
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
            for (int j = 0; j < cn; j++) ds[(size_t)i * c + c0 + j] += (float)acc[j];
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
    int total = 0;
    for (int i = 0; i < k; i++) total += cs[i];
    SK_OMP_FOR_IF(m * (size_t)total >= SK_OMP_MIN_WORK)
    for (size_t r = 0; r < m; r++) {
        const float *g = dout + r * total;
        for (int i = 0; i < k; i++) {
            if (dinps[i]) {
                float *d = dinps[i] + r * cs[i];
                for (int j = 0; j < cs[i]; j++) d[j] += g[j];
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
    SK_OMP_FOR_IF(units * unit >= SK_OMP_MIN_WORK)
    for (size_t u = 0; u < units; u++) {
        const float m = mask[u];
        for (size_t i = 0; i < unit; i++) dinp[u * unit + i] += dout[u * unit + i] * m;
    }
}
