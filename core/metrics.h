/* metrics.h: classification metrics over a whole evaluation: loss (running weighted mean),
 * accuracy (argmax, ties to the lowest class as np.argmax), confusion matrix (rows = true
 * class, columns = predicted), per-class precision/recall/F1 (0 where undefined, as
 * scikit-learn's zero_division=0) and their macro averages. Counts are integers; no float
 * reduction depends on threads. */
#ifndef SK_METRICS_H
#define SK_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define SK_METRICS_MAX_CLASSES 64

typedef struct {
    int k;                    /* classes */
    uint64_t n;               /* samples seen */
    uint64_t correct;
    double loss_sum;          /* sum of per-batch loss * batch size */
    uint64_t *confusion;      /* k*k, [true * k + pred] */
} sk_metrics;

void sk_metrics_init(sk_metrics *m, int k);
void sk_metrics_free(sk_metrics *m);
void sk_metrics_reset(sk_metrics *m);
/* argmax over one row of k scores (first maximum wins). */
int sk_argmax(const float *row, int k);
/* Adds a batch: probs (n, k), labels (n), and the batch's reduced loss (Keras logs the mean of
 * per-batch losses weighted by batch size over an epoch). */
void sk_metrics_add(sk_metrics *m, const float *probs, const int32_t *labels, int n,
                    double batch_loss);
double sk_metrics_loss(const sk_metrics *m);
double sk_metrics_accuracy(const sk_metrics *m);
/* Per-class values for class c. */
double sk_metrics_precision(const sk_metrics *m, int c);
double sk_metrics_recall(const sk_metrics *m, int c);
double sk_metrics_f1(const sk_metrics *m, int c);
/* Unweighted means over classes. */
double sk_metrics_macro_f1(const sk_metrics *m);
/* Mean recall over the classes that occur (scikit-learn's balanced_accuracy_score); 0 when
 * nothing was seen. */
double sk_metrics_balanced_accuracy(const sk_metrics *m);

#endif
