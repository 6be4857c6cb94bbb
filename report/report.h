/* report.h: `skytune report` as a library call: read every complete result record below a
 * results directory, and write into an output directory
 *   tables/{summary,ideal,levels}.{md,csv,tex} (levels: test accuracy beside validation when
 *   the records have a test split; best and ideal levels on validation, or on test)
 *   figures/NAME.{gp,dat} and NAME.{png,pdf,svg} (rendered by gnuplot when it is available)
 *   index.md and index.html (figures linked, tables inline, provenance, the commands).
 * Reads result files only (no training code). Output files are each written atomically (the
 * temp files a killed earlier report left in these folders are removed first, saying so); a
 * failing record stops the report before anything is written (unless skip_bad). */
#ifndef SK_REPORT_H
#define SK_REPORT_H

#include "sk_base.h"

typedef enum { SK_PAPER_OFF = 0, SK_PAPER_ON, SK_PAPER_AUTO } sk_paper_mode;

typedef struct {
    const char *results_dir;
    const char *out_dir;
    unsigned formats;         /* SK_FMT_* bits (report_gnuplot.h) */
    int dpi;                  /* PNG pixels per inch */
    sk_paper_mode paper;      /* AUTO: overlay when paper_csv can be read, else warn */
    const char *paper_csv;    /* the study's runs; NULL = search the usual places */
    const char *title;        /* prefix of figure titles and the page title; may be NULL */
    int skip_bad;             /* warn about and skip bad records instead of failing */
    const char *command_line; /* shown on the page as the command that made it */
    int select_on_test;       /* choose best and ideal levels on the held-out test accuracy */
} sk_report_options;

typedef struct {
    int n_cells, n_incomplete, n_bad;
    int n_figures, n_figures_failed;
    int gnuplot_missing;      /* figures not rendered because gnuplot is unavailable */
} sk_report_result;

/* Generates the report. Returns SK_OK only if every output, including every figure, was
 * written. When gnuplot is missing, tables, pages and .gp/.dat scripts are still written and the
 * status is SK_ENOTFOUND with a message saying so; a gnuplot failure is SK_EUNSUPPORTED with
 * gnuplot's own text. res (may be NULL) receives the counts. */
sk_status sk_report_generate(const sk_report_options *o, sk_report_result *res, sk_error *err) SK_WUR;

/* Where the study's runs CSV is looked for when none is given: $SKYTUNE_PAPER_CSV, then
 * benchmarks/reference/paper_runs.csv relative to the current directory and to the executable
 * (../, ../../, ../share/skytune/). Returns a malloc'ed path of an existing file, or NULL. */
char *sk_report_find_paper_csv(void);

#endif
