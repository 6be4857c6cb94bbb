/* report_summary.h: the numbers every table and figure shows, computed once from the loaded
 * records: per (arch, level) statistics over seeds, the study's value beside them, and per
 * architecture the best and the "ideal" level.
 *
 * Conventions (stated in every table): mean and sample standard deviation (n-1) over seeds,
 * sd and se are NaN for n = 1; TLR = trainable layers / total layers of the full model, head
 * included (tlr_base divides by the base model's layers instead); TPR = trainable params /
 * total params (non-trainable BN statistics included). Best level = highest mean best-epoch
 * validation accuracy (ties: fewer layers). Ideal level = the smallest level whose mean is
 * within one standard error (se = sd/sqrt(n) of the best level) of the best mean. Both can be
 * chosen on the held-out test accuracy instead (sk_report_select), with the weights of the best
 * validation epoch: the validation accuracy chose that epoch, so it is no longer unbiased. */
#ifndef SK_REPORT_SUMMARY_H
#define SK_REPORT_SUMMARY_H

#include "report_paper.h"
#include "report_records.h"

typedef struct {
    double mean, sd, min, max;
    int n;
} sk_stat;

typedef struct {
    const char *arch;
    int level;                /* trainable layers */
    int first, count;         /* runs[first .. first+count) of the set, sorted by seed */
    int64_t trainable_params, total_params;
    int total_layers, base_layers;
    double tlr, tlr_base, tpr;   /* from the records (the runner computes them from the graph) */
    const char *input_scaling;
    sk_stat best, final, train_final, sec_epoch;
    sk_stat test_best, test_final; /* test accuracy with the best epoch's and the final weights, over
                                      the seeds whose data had a test split (n of them; NaN if none) */
    sk_stat recall[SK_REPORT_MAX_CLASSES];
    int paper_n;              /* study runs at this level with the same input scaling */
    double paper_best, paper_final; /* their means; NaN when paper_n == 0 */
} sk_report_level;

typedef struct {
    const char *arch;
    int first, count;         /* levels[first .. first+count), sorted by level */
    int best, ideal;          /* indices into levels */
    int color;                /* index into the palette, fixed per architecture name */
    int paper_n;              /* successful study runs for this arch and scaling */
    int paper_peak_level;
    double paper_peak;        /* highest best_val_acc of the study; NaN if none */
} sk_report_arch;

typedef enum { SK_SELECT_VAL = 0, SK_SELECT_TEST = 1 } sk_select_on;

typedef struct {
    sk_report_level *levels;
    int n_levels;
    sk_report_arch *archs;
    int n_archs;
    const sk_report_set *set;
    int has_test;             /* some record has a test split */
    sk_select_on select;      /* what best and ideal were chosen on */
} sk_report_summary;

/* Computes the summary. Records at one (arch, level) that disagree on their parameter or layer
 * counts, input scaling or class names are an error naming both cells. paper may be NULL. */
sk_status sk_report_summarize(sk_report_summary *s, const sk_report_set *set, const sk_paper *paper,
                              sk_error *err) SK_WUR;
void sk_report_summary_free(sk_report_summary *s);
/* Chooses every architecture's best and ideal level on validation (what summarize did) or test
 * accuracy. Test needs a test split in every record of the summary: else SK_EINVAL naming the
 * first cell without one. */
sk_status sk_report_select(sk_report_summary *s, sk_select_on on, sk_error *err) SK_WUR;
/* The statistic levels are chosen on: best (validation) or test_best. */
const sk_stat *sk_report_sel(const sk_report_summary *s, const sk_report_level *L);

/* Mean, sample sd, min, max of n values (sd NaN when n < 2); summed in the given order. */
sk_stat sk_stat_of(const double *v, int n);

/* The Okabe-Ito colour-blind-safe palette: "#RRGGBB" for a colour index. */
const char *sk_report_color(int color);
/* The gnuplot point type (pt) used with a colour index, so curves differ in shape too. */
int sk_report_point(int color);

#endif
