/* evaluate.c: scores of a trained cell on a split of a labelled .skds (see evaluate.h). */
#include "evaluate.h"
#include "sk_base.h"
#include "predict.h"
#include "sk_records.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sk_status sk_split_parse(const char *name, uint32_t *split, sk_error *err)
{
    static const struct { const char *name; uint32_t split; } names[] = {
        {"test", SK_SPLIT_TEST}, {"val", SK_SPLIT_VAL}, {"train", SK_SPLIT_TRAIN}, {"all", SK_CELL_SPLIT_ALL}};
    for (size_t i = 0; i < SK_ARRAY_LEN(names); i++)
        if (strcmp(name, names[i].name) == 0) {
            *split = names[i].split;
            return SK_OK;
        }
    return sk_error_set(err, SK_EINVAL, "split: expected test, val, train or all, found '%s'", name);
}

static const char *split_word(uint32_t split)
{
    return split == SK_CELL_SPLIT_ALL ? "all" : split == SK_SPLIT_VAL ? "val" : sk_split_name(split);
}

/* Reliability bins and ECE over the top probability. */
static void calibration(sk_eval_record *e, const float *probs, const int32_t *labels, int n, int k)
{
    double conf[SK_EVAL_BINS] = {0}, hits[SK_EVAL_BINS] = {0};
    for (int b = 0; b < SK_EVAL_BINS; b++) {
        e->bins[b].lo = (double)b / SK_EVAL_BINS;
        e->bins[b].hi = (double)(b + 1) / SK_EVAL_BINS;
        e->bins[b].count = 0;
    }
    for (int i = 0; i < n; i++) {
        const float *p = probs + (size_t)i * k;
        int pred = sk_argmax(p, k);
        double top = p[pred];
        int b = (int)ceil(top * SK_EVAL_BINS) - 1;
        b = b < 0 ? 0 : b >= SK_EVAL_BINS ? SK_EVAL_BINS - 1 : b;
        e->bins[b].count++;
        conf[b] += top;
        hits[b] += pred == labels[i];
    }
    e->ece = 0;
    for (int b = 0; b < SK_EVAL_BINS; b++) {
        sk_eval_bin *x = &e->bins[b];
        x->confidence = x->count ? conf[b] / (double)x->count : NAN;
        x->accuracy = x->count ? hits[b] / (double)x->count : NAN;
        if (x->count) e->ece += (double)x->count / n * fabs(x->accuracy - x->confidence);
    }
}

typedef struct {
    float score;
    int index;
} scored;

static int by_score_desc(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->index - y->index;
}

/* One-vs-rest ROC of class c and its AUC (NaN when undefined). */
static void roc_curve(sk_eval_record *e, int c, const float *probs, const int32_t *labels, int n, int k,
                      scored *tmp)
{
    int64_t pos = 0;
    for (int i = 0; i < n; i++) {
        tmp[i] = (scored){probs[(size_t)i * k + c], i};
        pos += labels[i] == c;
    }
    int64_t neg = n - pos;
    sk_eval_curve *cv = &e->roc[c];
    if (pos == 0 || neg == 0) {
        e->auc[c] = NAN;
        return;
    }
    qsort(tmp, (size_t)n, sizeof *tmp, by_score_desc);
    cv->fpr = sk_xmalloc(((size_t)n + 2) * sizeof *cv->fpr);
    cv->tpr = sk_xmalloc(((size_t)n + 2) * sizeof *cv->tpr);
    cv->fpr[0] = cv->tpr[0] = 0;
    cv->n = 1;
    int64_t tp = 0, fp = 0;
    double auc = 0;
    for (int i = 0; i < n; i++) {
        if (labels[tmp[i].index] == c) tp++;
        else fp++;
        if (i + 1 < n && tmp[i + 1].score == tmp[i].score) continue; /* ties make one point */
        double x = (double)fp / neg, y = (double)tp / pos;
        auc += (x - cv->fpr[cv->n - 1]) * (y + cv->tpr[cv->n - 1]) / 2;
        cv->fpr[cv->n] = x;
        cv->tpr[cv->n++] = y;
    }
    e->auc[c] = auc;
}

void sk_eval_scores(sk_eval_record *e, const float *probs, const int32_t *labels, int n, int k,
                    const sk_metrics *m)
{
    SK_ASSERT(m->k == k && (int)m->n == n && k <= SK_RECORD_MAX_CLASSES);
    e->n = n;
    e->num_classes = k;
    e->accuracy = sk_metrics_accuracy(m);
    e->balanced_accuracy = sk_metrics_balanced_accuracy(m);
    e->log_loss = sk_metrics_loss(m);
    e->macro_f1 = sk_metrics_macro_f1(m);
    for (int c = 0; c < k; c++) {
        e->precision[c] = sk_metrics_precision(m, c);
        e->recall[c] = sk_metrics_recall(m, c);
        e->f1[c] = sk_metrics_f1(m, c);
        e->support[c] = 0;
        for (int j = 0; j < k; j++) {
            e->confusion[c * k + j] = (int64_t)m->confusion[c * k + j];
            e->support[c] += e->confusion[c * k + j];
        }
    }
    calibration(e, probs, labels, n, k);
    scored *tmp = sk_xmalloc(((size_t)n + 1) * sizeof *tmp);
    double sum = 0;
    int defined = 0;
    for (int c = 0; c < k; c++) {
        roc_curve(e, c, probs, labels, n, k, tmp);
        if (!isnan(e->auc[c])) {
            sum += e->auc[c];
            defined++;
        }
    }
    free(tmp);
    e->macro_auc = defined ? sum / defined : NAN;
}

/* The model and data fields of eval.json. */
static sk_status describe(sk_eval_record *e, const sk_trained *t, const sk_evaluate_opts *o, sk_error *err)
{
    snprintf(e->cell_dir, sizeof e->cell_dir, "%s", o->cell_dir ? o->cell_dir : "");
    snprintf(e->arch, sizeof e->arch, "%s", t->model.arch->id);
    e->input_size = t->model.input_size;
    e->trainable_layers = t->level;
    e->seed = t->seed;
    snprintf(e->checkpoint, sizeof e->checkpoint, "%s", t->which);
    snprintf(e->checkpoint_path, sizeof e->checkpoint_path, "%s", t->ckpt_path);
    e->epoch = t->epoch;
    snprintf(e->loss, sizeof e->loss, "%s", t->xent == SK_XENT_CLIPPED ? "clipped" : "keras_logits");
    snprintf(e->data_path, sizeof e->data_path, "%s", o->data);
    snprintf(e->split, sizeof e->split, "%s", split_word(o->split));
    for (int c = 0; c < t->num_classes; c++) snprintf(e->class_names[c], sizeof e->class_names[c], "%s", t->class_names[c]);
    sk_utc_now(e->created_utc);
    return sk_sha256_file(o->data, e->data_sha256, err);
}

static sk_status score_split(const sk_trained *t, const sk_evaluate_opts *o, const sk_skds *ds,
                             const sk_cell_split *sp, sk_eval_record *e, sk_error *err)
{
    int k = t->num_classes, n = sp->im.n;
    float *probs = sk_xmalloc((size_t)n * k * sizeof *probs);
    sk_metrics m;
    sk_metrics_init(&m, k);
    sk_exec *ex = sk_exec_new(t->model.graph, t->batch);
    sk_progress bar;
    if (o->progress) sk_progress_begin(&bar, "evaluate", (uint64_t)n, NULL);
    sk_cell_infer(ex, t->model.in_scale, t->model.in_offset, &sp->im, t->batch, t->xent, probs, &m,
                  o->progress ? &bar : NULL);
    if (o->progress) sk_progress_end(&bar);
    sk_exec_free(ex);
    sk_eval_scores(e, probs, sp->labels, n, k, &m);
    sk_metrics_free(&m);
    sk_status s = describe(e, t, o, err);
    char *dir = sk_xstrdup(o->eval_json), *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    if (!s && slash) s = sk_mkdir_p(dir, err); /* only now: a failure before leaves no folder */
    free(dir);
    if (!s && o->preds_csv) {
        sk_pred_row *rows = sk_xcalloc((size_t)n, sizeof *rows);
        for (int i = 0; i < n; i++) {
            const sk_skds_record *r = &ds->records[sp->index[i]];
            char id[32];
            snprintf(id, sizeof id, "%llu", (unsigned long long)r->objid);
            rows[i] = (sk_pred_row){sk_xstrdup(id), r->ra, r->dec, (int)r->label};
        }
        s = sk_preds_write(o->preds_csv, t, rows, probs, n, err);
        sk_pred_rows_free(rows, n);
    }
    if (!s) s = sk_eval_write(o->eval_json, e, err);
    free(probs);
    return s;
}

sk_status sk_evaluate_run(const sk_trained *t, const sk_evaluate_opts *o, sk_eval_record *out, sk_error *err)
{
    sk_skds ds;
    sk_status s = sk_skds_open(&ds, o->data, SK_SKDS_OPEN_DEFAULT, err);
    if (s) return s;
    sk_cell_split sp;
    memset(&sp, 0, sizeof sp);
    sk_eval_record *e = sk_xmalloc(sizeof *e);
    sk_eval_init(e);
    s = sk_trained_check_data(t, &ds, o->data, 1, err);
    if (!s) s = sk_cell_split_load(&sp, &ds, o->split, t->model.input_size, err);
    if (!s && sp.im.n == 0)
        s = sk_error_set(err, SK_EINVAL, "%s: no records in split '%s'%s", o->data, split_word(o->split),
                         o->split == SK_SPLIT_TEST ? " (pack the data with --test F to hold out a test split, or "
                                                     "evaluate --split val)" : "");
    if (!s) s = score_split(t, o, &ds, &sp, e, err);
    sk_cell_split_free(&sp);
    sk_skds_close(&ds);
    if (!s && out) *out = *e;
    else sk_eval_free(e);
    free(e);
    return s;
}
