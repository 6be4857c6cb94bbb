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

/* Pieces the evaluation figures share (report_eval.c). */
/* 'USER: what' as a gnuplot string literal, the user's title escaped (title NULL/"" = none). */
void sk_fig_title(sk_buf *b, const char *title, const char *what);
/* `set <axis>tics ('A' 0, 'B' 1, ...)` for n class names. */
void sk_fig_class_tics(sk_buf *b, const char *axis, const char (*names)[64], int n);
/* A confusion-matrix panel of n classes from block `index` of the data file `dat` (rows
 * "predicted true row_fraction count"): axes, class tics, colour = fraction, count labels. */
void sk_fig_confusion_panel(sk_buf *b, const char *dat, int index, const char (*names)[64], int n);

#endif
