/* evaluate.h: `skytune evaluate`: a trained cell (cell.h) scored on one split of a labelled
 * .skds: accuracy, balanced accuracy, per-class precision, recall, F1, support and one-vs-rest
 * ROC AUC, the confusion matrix, log-loss (model.evaluate's loss at the cell's batch size, so on
 * the validation split with the last checkpoint it is run.json's final_val_loss), expected
 * calibration error with its reliability bins, and the ROC curves; written as eval.json
 * (records/eval.h) plus the objects' preds.csv (predict.h). The Markdown and the figures are
 * the report's (report/report_eval.h), drawn from eval.json.
 *
 * Definitions (docs/FORMATS.md, "eval.json"): predicted class = first maximum; balanced accuracy
 * = mean recall over the classes present; ECE = sum over SK_EVAL_BINS equal-width bins of the top
 * probability, (bin count / n) * |accuracy - mean top probability|, a sample with top
 * probability p in bin ceil(p * bins) - 1; ROC of class c: score p_c, positives label c, one
 * point per distinct score from the highest, AUC by trapezoids (undefined, null, when the split
 * has no positive or no negative). Every sum runs in sample order: the numbers are a pure
 * function of the probabilities. */
#ifndef SK_EVALUATE_H
#define SK_EVALUATE_H

#include <stdint.h>
#include "cell.h"
#include "sk_records.h"
#include "sk_base.h"

/* The scores of probs (n, k) against labels (n): fills every score field of e and num_classes,
 * n (not the model or data fields). m holds model.evaluate's metrics of the same samples. */
void sk_eval_scores(sk_eval_record *e, const float *probs, const int32_t *labels, int n, int k,
                    const sk_metrics *m);

typedef struct {
    const char *data;        /* a labelled .skds */
    uint32_t split;          /* SK_SPLIT_* or SK_CELL_SPLIT_ALL */
    const char *eval_json;   /* where eval.json goes */
    const char *preds_csv;   /* where the objects' predictions go; NULL: not written */
    const char *cell_dir;    /* recorded in eval.json ("" when from a file) */
    int progress;
} sk_evaluate_opts;

/* Evaluates the trained cell on the split and writes eval.json (and preds.csv). A data set that
 * does not fit the cell (size, channels, classes) or an empty split is an error that writes
 * nothing. e (may be NULL) receives the record; free it with sk_eval_free. */
sk_status sk_evaluate_run(const sk_trained *t, const sk_evaluate_opts *o, sk_eval_record *e, sk_error *err) SK_WUR;

/* "test", "val", "train" or "all" -> SK_SPLIT_* / SK_CELL_SPLIT_ALL; SK_EINVAL otherwise. */
sk_status sk_split_parse(const char *name, uint32_t *split, sk_error *err) SK_WUR;

#endif
