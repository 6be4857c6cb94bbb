/* report_paper.h: the study's published runs (benchmarks/reference/paper_runs.csv), read for
 * overlaying and comparing with our own numbers.
 *
 * The CSV has a header row naming its columns (looked up by name, so column order may change);
 * lines starting with '#' are comments. Rows with an empty best_val_acc are runs that failed in
 * the study (e.g. out of GPU memory): kept (ok = 0) but never averaged. */
#ifndef SK_REPORT_PAPER_H
#define SK_REPORT_PAPER_H

#include <stdint.h>
#include "sk_base.h"

typedef struct {
    char arch[48], input_scaling[32], error[64];
    int input_size, trainable_layers, base_layers;
    int64_t trainable_params, total_params; /* 0 when unknown (failed runs) */
    int ok;                                 /* has accuracies */
    double best_val_acc, final_val_acc, sec_per_epoch; /* sec_per_epoch NaN when absent */
} sk_paper_run;

typedef struct {
    sk_paper_run *rows;
    int n;
} sk_paper;

sk_status sk_paper_load(sk_paper *p, const char *path, sk_error *err) SK_WUR;
void sk_paper_free(sk_paper *p);

/* The study's successful runs for (arch, trainable_layers) with the given input scaling (NULL
 * or "" = any): their count, and the means of best and final validation accuracy (NaN if
 * none). */
int sk_paper_level(const sk_paper *p, const char *arch, int level, const char *scaling,
                   double *mean_best, double *mean_final);

#endif
