/* report_tables.h: the report's tables, each written as NAME.md, NAME.csv and NAME.tex
 * (LaTeX tabular with booktabs rules) into a directory:
 *   levels   per architecture and level: trainable layers and params, TLR (total layers of the
 *            full model, head included) and TLR_base (base layers), TPR, best and final
 *            validation accuracy over seeds (mean, sd, min, max, n), the study's value at that
 *            level (mean of its runs, and how many) and our mean minus it;
 *   ideal    per architecture the best level (highest mean) and the ideal level (smallest level
 *            within one standard error of the best);
 *   summary  one row per architecture.
 * CSV cells hold full-precision numbers (%.10g; empty = not available) for machines; Markdown
 * and LaTeX hold rounded ones for people. Every text cell is escaped for its language. */
#ifndef SK_REPORT_TABLES_H
#define SK_REPORT_TABLES_H

#include "sk_base.h"
#include "report_summary.h"

/* Writes the three tables in three formats into out_dir/tables, a folder made inside out_dir
 * and never a symbolic link out of it (sk_mkdir_in). The Markdown of all three is also appended
 * to md_out (for the report page) and their HTML to html_out. */
sk_status sk_report_tables(const char *out_dir, const sk_report_summary *s, sk_buf *md_out,
                           sk_buf *html_out, sk_error *err) SK_WUR;

#endif
