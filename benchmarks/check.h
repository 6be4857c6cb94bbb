/* check.h: compare a results directory against a committed baseline (benchmarks/baselines/).
 *
 * Structural facts (layer and parameter counts, TLR, TPR) must match exactly, always. Metrics
 * (accuracies, losses, best epoch, epochs run) must match bit for bit when the platform
 * fingerprint of the results equals the baseline's (same binary, BLAS, threads and CPU), and
 * within the baseline's stated tolerances otherwise. Every difference is printed as one line
 * "cell: field: baseline X, found Y". */
#ifndef SK_CHECK_H
#define SK_CHECK_H

#include <stdio.h>
#include "sk_base.h"

typedef struct {
    int cells_checked;
    int differences;      /* regressions found */
    int exact;            /* 1 if the metric comparison was bit-exact (fingerprints matched) */
} sk_check_result;

/* Compares; prints differences to `out`. Returns SK_OK even when differences exist (see
 * res->differences); errors are unreadable files. */
sk_status sk_check_results(const char *results_dir, const char *baseline_path, FILE *out,
                           sk_check_result *res, sk_error *err) SK_WUR;
/* Writes a baseline from a results directory (all DONE cells) with the given tolerances. */
sk_status sk_check_write_baseline(const char *results_dir, const char *baseline_path,
                                  double acc_tol, double loss_tol, sk_error *err) SK_WUR;
/* Compares two results directories cell by cell, requiring bit-identical metrics. */
sk_status sk_check_identical(const char *dir_a, const char *dir_b, FILE *out,
                             sk_check_result *res, sk_error *err) SK_WUR;

#endif
