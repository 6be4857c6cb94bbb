/* eval.h: eval.json, the evaluation of a trained cell on a split of a data set: what `skytune
 * evaluate` writes (benchmarks/evaluate.h computes it) and what the report draws its Markdown and
 * figures from (report/report_eval.h). Schema "skytune.eval" version 1 (docs/FORMATS.md,
 * "eval.json"), one field table of the records' engine (record_fields.h) plus the reliability
 * bins and the ROC curves, whose lengths vary.
 *
 * Reader invariants after a successful sk_eval_read: every required field present and well
 * typed, class arrays of num_classes entries, confusion num_classes^2 with row sums = support
 * and total = n, SK_EVAL_BINS bins whose counts sum to n, every curve from (0,0) to (1,1) with
 * fpr and tpr non-decreasing in [0,1] (or empty where the class's AUC is null). Errors name the
 * file and the field. */
#ifndef SK_EVAL_H
#define SK_EVAL_H

#include <stdint.h>
#include "record.h"

#define SK_EVAL_SCHEMA "skytune.eval"
#define SK_EVAL_SCHEMA_VERSION 1
#define SK_EVAL_BINS 15 /* reliability bins of width 1/15 over the top probability (Guo et al. 2017) */

typedef struct {
    double lo, hi;      /* the bin holds top probabilities in (lo, hi] */
    int64_t count;
    double confidence;  /* mean top probability of its samples; NaN (null) when empty */
    double accuracy;    /* fraction of them predicted right; NaN when empty */
} sk_eval_bin;

/* One-vs-rest ROC curve of a class: points at every distinct score, thresholds descending. */
typedef struct {
    int n;              /* points; 0 when the class's AUC is undefined */
    double *fpr, *tpr;  /* (n) each, malloc'ed */
} sk_eval_curve;

typedef struct {
    /* the model */
    char cell_dir[1024];       /* "" when loaded from a checkpoint file */
    char arch[64];
    int input_size, trainable_layers;
    uint64_t seed;
    char checkpoint[8];        /* "last" | "best" | "file" */
    char checkpoint_path[2048];
    int epoch;                 /* epochs completed at that checkpoint */
    char loss[32];             /* the cell's loss: "keras_logits" | "clipped" */
    /* the data */
    char data_path[1024], data_sha256[65];
    char split[8];             /* "test" | "val" | "train" | "all" */
    int n, num_classes;
    char class_names[SK_RECORD_MAX_CLASSES][64];
    /* the scores */
    double accuracy, balanced_accuracy;
    double log_loss;           /* categorical cross-entropy as model.evaluate computes it */
    double ece;                /* expected calibration error over the bins */
    double macro_f1, macro_auc; /* macro_auc NaN (null) when no class has one */
    double precision[SK_RECORD_MAX_CLASSES], recall[SK_RECORD_MAX_CLASSES], f1[SK_RECORD_MAX_CLASSES];
    int64_t support[SK_RECORD_MAX_CLASSES];
    double auc[SK_RECORD_MAX_CLASSES]; /* NaN (null): the split has no positive or no negative */
    int64_t confusion[SK_RECORD_MAX_CLASSES * SK_RECORD_MAX_CLASSES]; /* [true * k + pred] */
    sk_eval_bin bins[SK_EVAL_BINS];
    sk_eval_curve roc[SK_RECORD_MAX_CLASSES];
    char created_utc[32];
} sk_eval_record;

/* Zeroes e (curves empty). */
void sk_eval_init(sk_eval_record *e);
/* Frees the curves; e can be filled again. */
void sk_eval_free(sk_eval_record *e);
/* Writes e to path atomically, with this binary's platform block. */
sk_status sk_eval_write(const char *path, const sk_eval_record *e, sk_error *err) SK_WUR;
/* Reads path into e (initialised here) with the checks above; on error e holds nothing. */
sk_status sk_eval_read(const char *path, sk_eval_record *e, sk_error *err) SK_WUR;

#endif
