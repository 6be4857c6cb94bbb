/* report_eval.h: an evaluation (eval.json, records/eval.h) as a page and figures. Reads the file
 * only (no training code). Writes into an output directory
 *   eval.md                 scores, per-class table, confusion matrix, reliability bins
 *   figures/confusion.*     the confusion matrix (colour: fraction of the true class)
 *   figures/reliability.*   the reliability diagram: accuracy per confidence bin vs the diagonal
 *   figures/roc.*           one-vs-rest ROC curves, AUC per class in the key
 * each with its .gp and .dat beside it (report_gnuplot.h: atomic, checked, re-renderable). */
#ifndef SK_REPORT_EVAL_H
#define SK_REPORT_EVAL_H

#include "sk_records.h"
#include "sk_base.h"

typedef struct {
    const char *eval_json;   /* the evaluation to render */
    const char *out_dir;     /* eval.md and figures/ go here */
    unsigned formats;        /* SK_FMT_* bits */
    int dpi;
    const char *title;       /* figure title prefix; NULL or "" = none */
} sk_report_eval_opts;

typedef struct {
    int n_figures, n_figures_failed;
    int gnuplot_missing;
} sk_report_eval_result;

/* Renders o->eval_json. Returns SK_OK only when eval.md and every figure were written; without
 * gnuplot, eval.md and the figure scripts are written and the status is SK_ENOTFOUND saying so;
 * a gnuplot failure is SK_EUNSUPPORTED with its text. A bad eval.json writes nothing. */
sk_status sk_report_eval(const sk_report_eval_opts *o, sk_report_eval_result *res, sk_error *err) SK_WUR;

#endif
