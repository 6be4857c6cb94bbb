/* loss.c: categorical cross-entropy of a softmax head, with per-sample weights, reduced as
 * Keras SUM_OVER_BATCH_SIZE (sum of w_i * l_i divided by n, not by the sum of weights).
 *
 * Two modes (see ops.h): SK_XENT_LOGITS, what tf.keras model.fit computes for a softmax Dense
 * head (log-sum-exp on the logits, no clipping); SK_XENT_CLIPPED, the backend formula on
 * probabilities (p / sum p, clipped to [1e-7, 1 - 1e-7]). Gradients are w.r.t. the logits; in
 * CLIPPED mode they chain through the clip (zero where the clip is active, as TF's
 * clip_by_value gradient: passes for eps <= q <= 1 - eps), the normalisation and the softmax.
 * Invariants: samples reduced in order in double; the gradient is written, not accumulated.
 * Not here: metrics (accuracy, confusion matrix). */
#include "ops.h"
#include "sk_common.h"

#include <math.h>

#define XENT_EPS 1e-7

static double xent_logits_row(float *dz, const float *z, int y, int k, double gscale)
{
    double mx = z[0];
    for (int j = 1; j < k; j++)
        if (z[j] > mx) mx = z[j];
    double s = 0.0;
    for (int j = 0; j < k; j++) s += exp((double)z[j] - mx);
    double lse = mx + log(s);
    if (dz) {
        for (int j = 0; j < k; j++) {
            double p = exp((double)z[j] - lse);
            dz[j] = (float)(gscale * (p - (j == y ? 1.0 : 0.0)));
        }
    }
    return lse - z[y];
}

static double xent_clipped_row(float *dz, const float *p, int y, int k, double gscale)
{
    double S = 0.0;
    for (int j = 0; j < k; j++) S += p[j];
    /* Keras does this in float32: q = p / sum(p), clip, -log */
    float fS = (float)S;
    float q = p[y] / fS;
    float qc = q;
    const float lo = (float)XENT_EPS, hi = 1.0f - (float)XENT_EPS;
    if (qc < lo) qc = lo;
    if (qc > hi) qc = hi;
    double loss = -log((double)qc);
    if (dz) {
        int pass = q >= lo && q <= hi;
        if (!pass) {
            for (int j = 0; j < k; j++) dz[j] = 0.0f;
        } else {
            /* dL/dp_j = -1/q * (delta_jy / S - p_y / S^2); dz_i = p_i (g_i - sum_j g_j p_j) */
            double inv_q = 1.0 / (double)qc, py = p[y];
            double dot = 0.0;
            for (int j = 0; j < k; j++) {
                double g = -inv_q * ((j == y ? 1.0 / S : 0.0) - py / (S * S));
                dot += g * p[j];
            }
            for (int j = 0; j < k; j++) {
                double g = -inv_q * ((j == y ? 1.0 / S : 0.0) - py / (S * S));
                dz[j] = (float)(gscale * p[j] * (g - dot));
            }
        }
    }
    return loss;
}

double sk_xent_forward_backward(float *dlogits, const float *logits, const float *probs,
                                const int32_t *labels, const float *weights, int n, int k,
                                sk_xent_mode mode)
{
    SK_ASSERT(n > 0 && k > 0);
    SK_ASSERT(mode == SK_XENT_LOGITS || mode == SK_XENT_CLIPPED);
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        int y = labels[i];
        SK_ASSERT_MSG(y >= 0 && y < k, "label outside [0, classes)");
        double w = weights ? weights[i] : 1.0;
        double gscale = w / (double)n;
        float *dz = dlogits ? dlogits + (size_t)i * k : NULL;
        double l;
        if (mode == SK_XENT_LOGITS) {
            SK_ASSERT(logits != NULL);
            l = xent_logits_row(dz, logits + (size_t)i * k, y, k, gscale);
        } else {
            SK_ASSERT(probs != NULL);
            l = xent_clipped_row(dz, probs + (size_t)i * k, y, k, gscale);
        }
        total += w * l;
    }
    return total / (double)n;
}
