/* ops_norm.c: BatchNormalization (training and inference), its moving-statistics update,
 * Rescaling and Keras Normalization, forward and backward, with naive twins for BN training.
 *
 * Data is m rows of c channels (m = N*H*W). Per-channel reductions run per channel block, rows
 * in order, with double accumulators, one block per thread, so statistics and parameter
 * gradients are the same bits for any thread count; row-wise passes are parallel over rows.
 * gamma/beta may be NULL (Keras scale=False / center=False): treated as 1 / 0.
 * Backward accumulates (+=). Not here: choosing train vs infer mode (the graph does that from
 * the freeze mask). */
#include "ops.h"
#include "ops_internal.h"
#include "sk_common.h"

#include <math.h>
#include <string.h>

#define CB SK_OPS_CBLOCK

static inline int block_len(int c, int c0) { return c - c0 < CB ? c - c0 : CB; }

/* out = (x - mean) * invstd * gamma + beta, parallel over rows. */
static void normalize_rows(float *out, const float *inp, const float *mean, const float *invstd,
                           const float *gamma, const float *beta, size_t m, int c)
{
    SK_OMP_FOR_IF(m * (size_t)c >= SK_OMP_MIN_WORK)
    for (size_t r = 0; r < m; r++) {
        const float *x = inp + r * c;
        float *o = out + r * c;
        for (int j = 0; j < c; j++) {
            float g = gamma ? gamma[j] : 1.0f, b = beta ? beta[j] : 0.0f;
            o[j] = (x[j] - mean[j]) * (invstd[j] * g) + b;
        }
    }
}

void sk_bn_forward_train(float *out, float *mean, float *var, float *invstd, const float *inp,
                         const float *gamma, const float *beta, size_t m, int c, float eps)
{
    SK_ASSERT(m > 0 && c > 0);
    const int nblk = (c + CB - 1) / CB;
    SK_OMP_FOR_IF(m * (size_t)c >= SK_OMP_MIN_WORK)
    for (int b = 0; b < nblk; b++) {
        const int c0 = b * CB, cn = block_len(c, c0);
        double s[CB] = {0}, q[CB] = {0};
        for (size_t r = 0; r < m; r++) {
            const float *x = inp + r * c + c0;
            for (int j = 0; j < cn; j++) s[j] += x[j];
        }
        for (int j = 0; j < cn; j++) s[j] /= (double)m;
        for (size_t r = 0; r < m; r++) {
            const float *x = inp + r * c + c0;
            for (int j = 0; j < cn; j++) {
                double t = x[j] - s[j];
                q[j] += t * t;
            }
        }
        for (int j = 0; j < cn; j++) {
            double v = q[j] / (double)m;
            mean[c0 + j] = (float)s[j];
            var[c0 + j] = (float)v;
            invstd[c0 + j] = (float)(1.0 / sqrt(v + (double)eps));
        }
    }
    normalize_rows(out, inp, mean, invstd, gamma, beta, m, c);
}

void sk_bn_update_moving(float *moving_mean, float *moving_var, const float *mean,
                         const float *var_biased, size_t m, int c, float momentum)
{
    SK_ASSERT(m > 0 && c > 0);
    /* TF's fused kernel: factor = 1 - momentum; Bessel with max(m - 1, 1) */
    const float factor = 1.0f - momentum;
    const float bessel = (float)((double)m / (double)(m > 1 ? m - 1 : 1));
    for (int j = 0; j < c; j++) {
        moving_mean[j] = moving_mean[j] * momentum + mean[j] * factor;
        moving_var[j] = moving_var[j] * momentum + (var_biased[j] * bessel) * factor;
    }
}

void sk_bn_backward_train(float *dinp, float *dgamma, float *dbeta, const float *dout,
                          const float *inp, const float *mean, const float *invstd,
                          const float *gamma, size_t m, int c)
{
    SK_ASSERT(m > 0 && c > 0);
    const int nblk = (c + CB - 1) / CB;
    const double inv_m = 1.0 / (double)m;
    SK_OMP_FOR_IF(m * (size_t)c >= SK_OMP_MIN_WORK)
    for (int b = 0; b < nblk; b++) {
        const int c0 = b * CB, cn = block_len(c, c0);
        double sg[CB] = {0}, sgx[CB] = {0};
        for (size_t r = 0; r < m; r++) {
            const float *x = inp + r * c + c0, *g = dout + r * c + c0;
            for (int j = 0; j < cn; j++) {
                sg[j] += g[j];
                sgx[j] += (double)g[j] * ((x[j] - mean[c0 + j]) * invstd[c0 + j]);
            }
        }
        for (int j = 0; j < cn; j++) {
            if (dbeta) dbeta[c0 + j] += (float)sg[j];
            if (dgamma) dgamma[c0 + j] += (float)sgx[j];
        }
        if (!dinp) continue;
        /* dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)) */
        float k1[CB], k2[CB], k3[CB];
        for (int j = 0; j < cn; j++) {
            float g = gamma ? gamma[c0 + j] : 1.0f;
            k1[j] = g * invstd[c0 + j];
            k2[j] = (float)(sg[j] * inv_m);
            k3[j] = (float)(sgx[j] * inv_m);
        }
        for (size_t r = 0; r < m; r++) {
            const float *x = inp + r * c + c0, *g = dout + r * c + c0;
            float *dx = dinp + r * c + c0;
            for (int j = 0; j < cn; j++) {
                float xh = (x[j] - mean[c0 + j]) * invstd[c0 + j];
                dx[j] += k1[j] * (g[j] - k2[j] - xh * k3[j]);
            }
        }
    }
}

void sk_bn_forward_infer(float *out, const float *inp, const float *gamma, const float *beta,
                         const float *moving_mean, const float *moving_var, size_t m, int c,
                         float eps)
{
    SK_ASSERT(m > 0 && c > 0);
    SK_OMP_FOR_IF(m * (size_t)c >= SK_OMP_MIN_WORK)
    for (size_t r = 0; r < m; r++) {
        const float *x = inp + r * c;
        float *o = out + r * c;
        for (int j = 0; j < c; j++) {
            float g = gamma ? gamma[j] : 1.0f, b = beta ? beta[j] : 0.0f;
            float is = 1.0f / sqrtf(moving_var[j] + eps);
            o[j] = (x[j] - moving_mean[j]) * (is * g) + b;
        }
    }
}

void sk_bn_backward_infer(float *dinp, float *dgamma, float *dbeta, const float *dout,
                          const float *inp, const float *gamma, const float *moving_mean,
                          const float *moving_var, size_t m, int c, float eps)
{
    SK_ASSERT(m > 0 && c > 0);
    if (dgamma || dbeta) {
        const int nblk = (c + CB - 1) / CB;
        SK_OMP_FOR_IF(m * (size_t)c >= SK_OMP_MIN_WORK)
        for (int b = 0; b < nblk; b++) {
            const int c0 = b * CB, cn = block_len(c, c0);
            double sg[CB] = {0}, sgx[CB] = {0};
            float is[CB];
            for (int j = 0; j < cn; j++) is[j] = 1.0f / sqrtf(moving_var[c0 + j] + eps);
            for (size_t r = 0; r < m; r++) {
                const float *x = inp + r * c + c0, *g = dout + r * c + c0;
                for (int j = 0; j < cn; j++) {
                    sg[j] += g[j];
                    sgx[j] += (double)g[j] * ((x[j] - moving_mean[c0 + j]) * is[j]);
                }
            }
            for (int j = 0; j < cn; j++) {
                if (dbeta) dbeta[c0 + j] += (float)sg[j];
                if (dgamma) dgamma[c0 + j] += (float)sgx[j];
            }
        }
    }
    if (!dinp) return;
    SK_OMP_FOR_IF(m * (size_t)c >= SK_OMP_MIN_WORK)
    for (size_t r = 0; r < m; r++) {
        const float *g = dout + r * c;
        float *dx = dinp + r * c;
        for (int j = 0; j < c; j++) {
            float gm = gamma ? gamma[j] : 1.0f;
            dx[j] += g[j] * (gm * (1.0f / sqrtf(moving_var[j] + eps)));
        }
    }
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
