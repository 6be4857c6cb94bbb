/* report_figures.h: the report's five kinds of figure, built from a summary and rendered
 * through report_gnuplot (which writes each figure's .gp and .dat beside it).
 *
 *  1. acc_layers_<arch>: best/final validation accuracy vs trainable layers (mean, min-max over
 *     seeds), with the study's runs overlaid when a paper table is given;
 *  2. acc_tlr, acc_tpr: mean best accuracy vs TLR and vs TPR (log x), one curve per arch;
 *  3. curves_<arch>: training curves of every cell (small multiples, level x seed);
 *  4. recall_best, confusion_best: per-class recall and confusion matrices at each arch's best
 *     level;
 *  5. time_epoch: median seconds per epoch vs trainable layers.
 * Every architecture keeps its palette colour and point type in every figure. */
#ifndef SK_REPORT_FIGURES_H
#define SK_REPORT_FIGURES_H

#include "report_gnuplot.h"
#include "report_paper.h"
#include "report_summary.h"

typedef struct {
    char name[128];     /* file stem inside the figure directory */
    char caption[512];
} sk_report_fig;

typedef struct {
    sk_report_fig *figs;
    int n;
} sk_report_figs;

/* Writes (and renders, if gnuplot is available) every figure; appends their names and captions
 * to figs. paper may be NULL (no overlay); title may be NULL or "" (no prefix). */
sk_status sk_report_figures(sk_gp *g, const sk_report_summary *s, const sk_paper *paper, const char *title,
                            sk_report_figs *figs, sk_error *err) SK_WUR;
void sk_report_figs_free(sk_report_figs *figs);

#endif
