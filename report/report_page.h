/* report_page.h: the report's front page, OUT/index.md and OUT/index.html: what was run
 * (cells, suites, the commands), with what (versions, machine fingerprints, data set and weight
 * hashes, protocol), the tables inline and the figures linked as files.
 *
 * The HTML is self-contained (inline CSS, no scripts, no remote resources); every string from a
 * record or the command line is escaped for Markdown or HTML. */
#ifndef SK_REPORT_PAGE_H
#define SK_REPORT_PAGE_H

#include "sk_base.h"
#include "report_figures.h"
#include "report_gnuplot.h"
#include "report_paper.h"
#include "report_summary.h"

typedef struct {
    const char *title;          /* may be NULL */
    const char *command_line;   /* may be NULL */
    const char *paper_csv;      /* NULL when no study overlay */
    const sk_paper *paper;      /* the study's runs, or NULL */
    const sk_report_figs *figs;
    const sk_gp *gp;            /* for which files were rendered */
    const char *tables_md;      /* Markdown of the tables */
    const char *tables_html;    /* HTML of the tables */
} sk_report_page_in;

sk_status sk_report_page(const char *out_dir, const sk_report_summary *s, const sk_report_page_in *in,
                         sk_error *err) SK_WUR;

#endif
