/* report.c: the report pipeline (see report.h): load records -> summary -> tables -> figures
 * -> page. Everything is computed before the first file is written, so a bad record leaves
 * the output directory untouched. */
#include "report.h"

#include "sk_base.h"
#include "report_figures.h"
#include "report_gnuplot.h"
#include "report_page.h"
#include "report_paper.h"
#include "report_records.h"
#include "report_summary.h"
#include "report_tables.h"
#include "report_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *sk_report_find_paper_csv(void)
{
    const char *env = getenv("SKYTUNE_PAPER_CSV");
    if (env && *env && sk_file_exists(env)) return sk_xstrdup(env);
    static const char *const rel = "benchmarks/reference/paper_runs.csv";
    if (sk_file_exists(rel)) return sk_xstrdup(rel);
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return NULL;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return NULL;
    *slash = 0;
    static const char *const ups[] = {"..", "../..", "../share/skytune"};
    for (size_t i = 0; i < SK_ARRAY_LEN(ups); i++) {
        char p[8192];
        if (i == 2) snprintf(p, sizeof p, "%s/%s/paper_runs.csv", exe, ups[i]);
        else snprintf(p, sizeof p, "%s/%s/%s", exe, ups[i], rel);
        if (sk_file_exists(p)) return sk_xstrdup(p);
    }
    return NULL;
}

sk_status sk_report_generate(const sk_report_options *o, sk_report_result *res, sk_error *err)
{
    sk_report_result dummy;
    if (!res) res = &dummy;
    memset(res, 0, sizeof *res);
    sk_report_set set;
    sk_paper paper = {0};
    int have_paper = 0;
    char *paper_path = NULL;
    sk_report_summary sum = {0};
    sk_report_figs figs = {0};
    sk_gp gp;
    int have_gp = 0;
    sk_buf md, html;
    sk_buf_init(&md);
    sk_buf_init(&html);
    char *dir = NULL;

    sk_status st = sk_report_set_load(&set, o->results_dir, o->skip_bad, err);
    if (st) return st;
    res->n_cells = set.n;
    res->n_incomplete = set.n_incomplete;
    res->n_bad = set.n_bad;
    for (int i = 0; i < set.n_failed; i++) sk_warn("failed cell, not in the report: %s", set.failed[i]);

    if (o->paper != SK_PAPER_OFF) {
        paper_path = o->paper_csv ? sk_xstrdup(o->paper_csv) : sk_report_find_paper_csv();
        if (!paper_path) {
            if (o->paper == SK_PAPER_ON) {
                st = sk_error_set(err, SK_ENOTFOUND, "the study's runs (benchmarks/reference/paper_runs.csv) were not found; "
                                  "give --paper-csv FILE or --paper off");
                goto done;
            }
            sk_warn("the study's runs CSV was not found (give --paper-csv FILE); no study overlay");
        } else {
            st = sk_paper_load(&paper, paper_path, err);
            if (st) goto done;
            have_paper = 1;
        }
    }
    st = sk_report_summarize(&sum, &set, have_paper ? &paper : NULL, err);
    if (!st && o->select_on_test) st = sk_report_select(&sum, SK_SELECT_TEST, err);
    if (st) goto done;

    st = sk_mkdir_p(o->out_dir, err);
    if (st) goto done;
    sk_tmp_clean_stale(o->out_dir, NULL); /* the page a killed run was writing */
    st = sk_report_tables(o->out_dir, &sum, &md, &html, err);
    if (st) goto done;

    dir = sk_path_join(o->out_dir, "figures");
    st = sk_gp_init(&gp, dir, o->formats, o->dpi, err);
    if (st) goto done;
    have_gp = 1;
    if (!gp.available) sk_warn("%s: figures will not be rendered; their .gp and .dat scripts are still written", gp.missing);
    st = sk_report_figures(&gp, &sum, have_paper ? &paper : NULL, o->title, &figs, err);
    if (st) goto done;
    res->n_figures = gp.n_ok;
    res->n_figures_failed = gp.n_failed;
    res->gnuplot_missing = !gp.available;

    sk_report_page_in in = {o->title, o->command_line, have_paper ? paper_path : NULL, have_paper ? &paper : NULL, &figs, &gp,
                            sk_sb_str(&md), sk_sb_str(&html)};
    st = sk_report_page(o->out_dir, &sum, &in, err);
    if (st) goto done;

    if (!gp.available)
        st = sk_error_set(err, SK_ENOTFOUND, "%s; tables, pages and figure scripts are written in %s (render later with `cd %s && gnuplot NAME.gp`)",
                          gp.missing, o->out_dir, dir);
    else if (gp.n_failed)
        st = sk_error_set(err, SK_EUNSUPPORTED, "%d of %d figures failed in gnuplot:\n%s", gp.n_failed,
                          gp.n_failed + gp.n_ok, sk_sb_str(&gp.failures));
done:
    free(dir);
    if (have_gp) sk_gp_free(&gp);
    sk_report_figs_free(&figs);
    sk_buf_free(&md);
    sk_buf_free(&html);
    sk_report_summary_free(&sum);
    sk_paper_free(&paper);
    free(paper_path);
    sk_report_set_free(&set);
    return st;
}
