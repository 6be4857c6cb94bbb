/* report_gnuplot.h: figures through gnuplot. Each figure is written as NAME.dat (its data,
 * gnuplot data blocks separated by two blank lines) and NAME.gp (a complete script that renders
 * every requested format, using only paths relative to its own directory), then gnuplot runs
 * the script in DIR, so a user can re-render it the same way (`cd DIR && gnuplot NAME.gp`).
 *
 * Figures are atomic: skytune runs gnuplot with the output names set to temporary names in DIR
 * (NAME.png.tmp.<pid>; the script's own defaults are the final names), checks each file (not
 * empty; PNG: its chunks through IEND; PDF: %PDF- ... %%EOF; SVG: <svg ... </svg>), then
 * renames it into place; so an interrupted or failing run leaves each figure absent, the
 * previous complete one, or the new complete one. A gnuplot that fails, or exits 0 after
 * writing a short file (a full disk), is an error naming the figure. gnuplot runs in skytune's
 * process group (Ctrl-C and a group kill reach it) and dies with skytune (PR_SET_PDEATHSIG).
 * PDFs are reproducible: their /CreationDate (and /ModDate) are set from SOURCE_DATE_EPOCH, or a
 * fixed date (1970-01-01) when it is unset, so two reports of the same records are
 * byte-identical. Stale temporary files of killed runs are removed (and reported) by the next.
 *
 * Invariants: every string put into a script goes through sk_esc_gnuplot (single-quoted, no
 * substitution) and the terminals are `noenhanced`, so no record, title or path can execute
 * anything or change the markup. A failed figure is recorded with gnuplot's own error text;
 * when gnuplot is missing the .gp/.dat files are still written. This is not a plotting
 * library: callers write the plot commands. */
#ifndef SK_REPORT_GNUPLOT_H
#define SK_REPORT_GNUPLOT_H

#include <stdint.h>

#include "sk_base.h"

enum { SK_FMT_PNG = 1, SK_FMT_PDF = 2, SK_FMT_SVG = 4 };

/* Paper sizes in inches. */
#define SK_FIG_SINGLE_IN 3.5
#define SK_FIG_DOUBLE_IN 7.0

typedef struct {
    char *dir;          /* figure directory */
    unsigned formats;   /* SK_FMT_* bits */
    int dpi;            /* PNG pixels per inch */
    int available;      /* gnuplot found on PATH with the cairo and svg terminals */
    char gnuplot[4096]; /* its path */
    char pdf_date[24];  /* "D:YYYYMMDDHHMMSS" of SOURCE_DATE_EPOCH (or the fixed default) */
    char missing[512];  /* why not available */
    int n_ok, n_failed;
    sk_buf failures;    /* "NAME: gnuplot's message" lines */
    char **outputs;     /* rendered file names (relative to dir), n_outputs entries */
    int n_outputs;
} sk_gp;

/* Prepares the figure directory and looks for gnuplot (program `gnuplot` on PATH) and its
 * pngcairo/pdfcairo/svg terminals. Missing gnuplot is not an error here (available = 0);
 * only failing to create dir is. */
sk_status sk_gp_init(sk_gp *g, const char *dir, unsigned formats, int dpi, sk_error *err) SK_WUR;
void sk_gp_free(sk_gp *g);

/* Checks a rendered figure's bytes for its format (SK_FMT_*): NULL when complete, else why not. */
const char *sk_gp_check_figure(const uint8_t *data, size_t n, unsigned fmt);

/* Writes NAME.dat and NAME.gp and renders NAME.{png,pdf,svg} (atomically, checked, see above).
 * The script sets the terminal of each format at w_in x h_in inches, then runs `body` (plot
 * commands that read 'NAME.dat'). Returns an error only if the files cannot be written; a
 * gnuplot failure or an incomplete figure is counted in n_failed with its message in failures. */
sk_status sk_gp_figure(sk_gp *g, const char *name, double w_in, double h_in, const sk_buf *data,
                       const char *body, sk_error *err) SK_WUR;

#endif
