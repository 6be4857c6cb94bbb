/* metrics.c: accuracy, confusion matrix and per-class precision/recall/F1 from integer counts. */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

#include "sk_common.h"

void sk_metrics_init(sk_metrics *m, int k)
{
    SK_ASSERT(k > 0 && k <= SK_METRICS_MAX_CLASSES);
    memset(m, 0, sizeof *m);
    m->k = k;
    m->confusion = sk_xcalloc((size_t)k * k, sizeof(uint64_t));
}

void sk_metrics_free(sk_metrics *m)
{
    free(m->confusion);
    m->confusion = NULL;
}

void sk_metrics_reset(sk_metrics *m)
{
    m->n = m->correct = 0;
    m->loss_sum = 0.0;
    memset(m->confusion, 0, (size_t)m->k * m->k * sizeof(uint64_t));
}

int sk_argmax(const float *row, int k)
{
    int best = 0;
    for (int j = 1; j < k; j++)
        if (row[j] > row[best]) best = j;
    return best;
}

void sk_metrics_add(sk_metrics *m, const float *probs, const int32_t *labels, int n,
                    double batch_loss)
{
    for (int i = 0; i < n; i++) {
        SK_ASSERT(labels[i] >= 0 && labels[i] < m->k);
        int p = sk_argmax(probs + (size_t)i * m->k, m->k);
        m->confusion[(size_t)labels[i] * m->k + p]++;
        m->correct += p == labels[i];
    }
    m->n += (uint64_t)n;
    m->loss_sum += batch_loss * n;
}

double sk_metrics_loss(const sk_metrics *m) { return m->n ? m->loss_sum / (double)m->n : 0.0; }
double sk_metrics_accuracy(const sk_metrics *m)
{
    return m->n ? (double)m->correct / (double)m->n : 0.0;
}

double sk_metrics_precision(const sk_metrics *m, int c)
{
    uint64_t pred = 0;
    for (int t = 0; t < m->k; t++) pred += m->confusion[(size_t)t * m->k + c];
    return pred ? (double)m->confusion[(size_t)c * m->k + c] / (double)pred : 0.0;
}

double sk_metrics_recall(const sk_metrics *m, int c)
{
    uint64_t actual = 0;
    for (int p = 0; p < m->k; p++) actual += m->confusion[(size_t)c * m->k + p];
    return actual ? (double)m->confusion[(size_t)c * m->k + c] / (double)actual : 0.0;
}

double sk_metrics_f1(const sk_metrics *m, int c)
{
    double p = sk_metrics_precision(m, c), r = sk_metrics_recall(m, c);
    return p + r > 0.0 ? 2.0 * p * r / (p + r) : 0.0;
}

double sk_metrics_macro_f1(const sk_metrics *m)
{
    double s = 0.0;
    for (int c = 0; c < m->k; c++) s += sk_metrics_f1(m, c);
    return s / m->k;
}

double sk_metrics_balanced_accuracy(const sk_metrics *m)
{
    double s = 0.0;
    int present = 0;
    for (int c = 0; c < m->k; c++) {
        uint64_t actual = 0;
        for (int p = 0; p < m->k; p++) actual += m->confusion[(size_t)c * m->k + p];
        if (!actual) continue;
        s += sk_metrics_recall(m, c);
        present++;
    }
    return present ? s / present : 0.0;
}
