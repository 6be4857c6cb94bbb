/* report_eval.c: eval.json -> eval.md and three figures (see report_eval.h). Only numbers go
 * into .dat files; class names and titles reach the scripts through sk_esc_gnuplot and the page
 * through sk_esc_md. */
#include "report_eval.h"

#include "sk_base.h"
#include "report_figures.h"
#include "report_gnuplot.h"
#include "report_summary.h"
#include "report_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "arch, checkpoint ep. E, split (n=N)": short enough for a 3.5 in title. */
static void subject(char *out, size_t cap, const sk_eval_record *e)
{
    snprintf(out, cap, "%s, %s ep. %d, %s (n=%d)", e->arch, e->checkpoint, e->epoch, e->split, e->n);
}

/* The script's first lines: a style, then the title "prefix: arch, checkpoint, split (n)". */
static void fig_head(sk_buf *b, const char *style, const char *title, const char *prefix, const sk_eval_record *e)
{
    char what[512], s[400];
    subject(s, sizeof s, e);
    snprintf(what, sizeof what, "%s: %s", prefix, s);
    sk_sb_puts(b, style);
    sk_sb_puts(b, "set title font ',7'\nset title ");
    sk_fig_title(b, title, what);
    sk_sb_puts(b, "\n");
}

/* Writes and renders a figure, then frees its data and script. */
static sk_status render(sk_gp *g, const char *name, double h_in, sk_buf *d, sk_buf *b, sk_error *err)
{
    sk_status st = sk_gp_figure(g, name, SK_FIG_SINGLE_IN, h_in, d, sk_sb_str(b), err);
    sk_buf_free(d);
    sk_buf_free(b);
    return st;
}

/* Reliability and ROC: both on the unit square. */
static const char *unit_square = "set grid lc rgb '#dddddd'\nset border lw 0.8\nset xrange [0:1]\nset yrange [0:1]\n"
                                 "set size ratio -1\nset key bottom right font ',6' opaque box lc rgb '#bbbbbb'\n";

static sk_status fig_confusion(sk_gp *g, const sk_eval_record *e, const char *title, sk_error *err)
{
    int k = e->num_classes;
    sk_buf d, b;
    sk_buf_init(&d);
    sk_buf_init(&b);
    sk_sb_puts(&d, "# predicted true row_fraction count\n");
    for (int t = 0; t < k; t++)
        for (int p = 0; p < k; p++) {
            int64_t c = e->confusion[t * k + p];
            sk_buf_printf(&d, "%d %d %.6f %lld\n", p, t, e->support[t] ? (double)c / (double)e->support[t] : 0.0,
                          (long long)c);
        }
    fig_head(&b, "set border lw 0.6\nset tics font ',6' scale 0\nunset key\nset cbrange [0:1]\n"
                 "set palette defined (0 '#ffffff', 0.5 '#56B4E9', 1 '#0072B2')\n"
                 "set cblabel 'fraction of the true class' font ',6'\nset size ratio -1\n",
             title, "confusion", e);
    sk_fig_confusion_panel(&b, "confusion.dat", 0, e->class_names, k);
    return render(g, "confusion", 3.0, &d, &b, err);
}

static sk_status fig_reliability(sk_gp *g, const sk_eval_record *e, const char *title, sk_error *err)
{
    sk_buf d, b;
    sk_buf_init(&d);
    sk_buf_init(&b);
    sk_sb_puts(&d, "# bin_centre lo hi count confidence accuracy (empty bins left out)\n");
    for (int i = 0; i < SK_EVAL_BINS; i++) {
        const sk_eval_bin *x = &e->bins[i];
        if (!x->count) continue;
        sk_buf_printf(&d, "%.6f %.6f %.6f %lld %.9g %.9g\n", (x->lo + x->hi) / 2, x->lo, x->hi, (long long)x->count,
                      x->confidence, x->accuracy);
    }
    char prefix[32];
    snprintf(prefix, sizeof prefix, "ECE %.3f", e->ece);
    fig_head(&b, unit_square, title, prefix, e);
    sk_buf_printf(&b, "set xlabel 'confidence (top probability)'\nset ylabel 'accuracy'\n"
                      "set style fill solid 0.6 border lc rgb '#0072B2'\nset boxwidth %.6f absolute\n"
                      "plot 'reliability.dat' using 1:6 with boxes lc rgb '#56B4E9' title 'accuracy per bin', \\\n"
                      "  '' using 5:6 with points pt 7 ps 0.6 lc rgb '#D55E00' title 'mean confidence', \\\n"
                      "  x with lines dt 2 lc rgb '#555555' title 'perfect calibration'\n",
                  1.0 / SK_EVAL_BINS);
    return render(g, "reliability", 3.2, &d, &b, err);
}

static sk_status fig_roc(sk_gp *g, const sk_eval_record *e, const char *title, sk_error *err)
{
    sk_buf d, b;
    sk_buf_init(&d);
    sk_buf_init(&b);
    sk_sb_puts(&d, "# one block per class with an AUC: fpr tpr\n");
    fig_head(&b, unit_square, title, "ROC", e);
    sk_sb_puts(&b, "set xlabel 'false positive rate'\nset ylabel 'true positive rate (one vs rest)'\nplot ");
    int block = 0;
    for (int c = 0; c < e->num_classes; c++) {
        const sk_eval_curve *cv = &e->roc[c];
        if (!cv->n) continue;
        for (int i = 0; i < cv->n; i++) sk_buf_printf(&d, "%.9g %.9g\n", cv->fpr[i], cv->tpr[i]);
        sk_sb_puts(&d, "\n\n");
        char key[128];
        snprintf(key, sizeof key, "%s (AUC %.3f)", e->class_names[c], e->auc[c]);
        sk_sb_puts(&b, block ? ", \\\n  '' " : "'roc.dat' ");
        sk_buf_printf(&b, "index %d using 1:2 with lines lw 1.5 lc rgb '%s' title ", block, sk_report_color(c));
        sk_esc_gnuplot(&b, key);
        block++;
    }
    sk_sb_puts(&b, block ? ", \\\n  " : "");
    sk_sb_puts(&b, "x with lines dt 2 lc rgb '#555555' title 'chance'\n");
    return render(g, "roc", 3.2, &d, &b, err);
}

static void md_num(sk_buf *b, double v)
{
    if (isnan(v)) sk_sb_puts(b, "n/a");
    else sk_buf_printf(b, "%.4f", v);
}

/* The page: what was evaluated, the scores, per class, the confusion matrix, the bins, figures. */
static void page(sk_buf *b, const sk_eval_record *e, unsigned formats)
{
    int k = e->num_classes;
    sk_sb_puts(b, "# Evaluation: ");
    sk_esc_md(b, e->arch);
    sk_buf_printf(b, ", %s weights, %s split\n\n", e->checkpoint, e->split);
    sk_sb_puts(b, "Model: ");
    sk_md_code(b, e->checkpoint_path);
    sk_buf_printf(b, " (epoch %d, %d px, trainable layers %d, seed %llu). Data: ", e->epoch, e->input_size,
                  e->trainable_layers, (unsigned long long)e->seed);
    sk_md_code(b, e->data_path);
    sk_buf_printf(b, ", split %s, %d objects (SHA-256 %.16s...).\n\n", e->split, e->n, e->data_sha256);
    sk_sb_puts(b, "| score | value |\n|---|---:|\n| accuracy | ");
    md_num(b, e->accuracy);
    sk_sb_puts(b, " |\n| balanced accuracy | ");
    md_num(b, e->balanced_accuracy);
    sk_sb_puts(b, " |\n| log-loss | ");
    md_num(b, e->log_loss);
    sk_buf_printf(b, " |\n| expected calibration error (%d bins) | ", SK_EVAL_BINS);
    md_num(b, e->ece);
    sk_sb_puts(b, " |\n| macro F1 | ");
    md_num(b, e->macro_f1);
    sk_sb_puts(b, " |\n| macro one-vs-rest AUC | ");
    md_num(b, e->macro_auc);
    sk_sb_puts(b, " |\n\n| class | precision | recall | F1 | AUC | support |\n|---|---:|---:|---:|---:|---:|\n");
    for (int c = 0; c < k; c++) {
        sk_sb_puts(b, "| ");
        sk_esc_md(b, e->class_names[c]);
        const double v[4] = {e->precision[c], e->recall[c], e->f1[c], e->auc[c]};
        for (int i = 0; i < 4; i++) {
            sk_sb_puts(b, " | ");
            md_num(b, v[i]);
        }
        sk_buf_printf(b, " | %lld |\n", (long long)e->support[c]);
    }
    sk_sb_puts(b, "\nConfusion matrix (rows: true class, columns: predicted):\n\n| true \\\\ predicted |");
    for (int c = 0; c < k; c++) {
        sk_sb_puts(b, " ");
        sk_esc_md(b, e->class_names[c]);
        sk_sb_puts(b, " |");
    }
    sk_sb_puts(b, "\n|---|");
    for (int c = 0; c < k; c++) sk_sb_puts(b, "---:|");
    for (int t = 0; t < k; t++) {
        sk_sb_puts(b, "\n| ");
        sk_esc_md(b, e->class_names[t]);
        for (int p = 0; p < k; p++) sk_buf_printf(b, " | %lld", (long long)e->confusion[t * k + p]);
        sk_sb_puts(b, " |");
    }
    sk_sb_puts(b, "\n\nReliability bins (top probability):\n\n| bin | count | mean confidence | accuracy |\n|---|---:|---:|---:|\n");
    for (int i = 0; i < SK_EVAL_BINS; i++) {
        const sk_eval_bin *x = &e->bins[i];
        sk_buf_printf(b, "| (%.3f, %.3f] | %lld | ", x->lo, x->hi, (long long)x->count);
        md_num(b, x->confidence);
        sk_sb_puts(b, " | ");
        md_num(b, x->accuracy);
        sk_sb_puts(b, " |\n");
    }
    const char *ext = formats & SK_FMT_PNG ? "png" : formats & SK_FMT_SVG ? "svg" : "pdf";
    sk_buf_printf(b, "\n![confusion matrix](figures/confusion.%s)\n![reliability diagram](figures/reliability.%s)\n"
                     "![ROC curves](figures/roc.%s)\n", ext, ext, ext);
}

sk_status sk_report_eval(const sk_report_eval_opts *o, sk_report_eval_result *res, sk_error *err)
{
    sk_report_eval_result dummy;
    if (!res) res = &dummy;
    memset(res, 0, sizeof *res);
    sk_eval_record *e = sk_xmalloc(sizeof *e);
    sk_status st = sk_eval_read(o->eval_json, e, err);
    if (st) {
        free(e);
        return st;
    }
    sk_buf md;
    sk_buf_init(&md);
    page(&md, e, o->formats);
    char *path = sk_path_join(o->out_dir, "eval.md");
    char *dir = sk_path_join(o->out_dir, "figures");
    sk_gp gp;
    int have_gp = 0;
    st = sk_mkdir_p(o->out_dir, err);
    if (!st) sk_tmp_clean_stale_for(path); /* an eval.md a killed run was writing */
    if (!st) st = sk_sb_write(path, &md, err);
    if (!st) st = sk_gp_init(&gp, dir, o->formats, o->dpi, err);
    if (!st) {
        have_gp = 1;
        if (!gp.available) sk_warn("%s: figures will not be rendered; their .gp and .dat scripts are still written", gp.missing);
        st = fig_confusion(&gp, e, o->title, err);
        if (!st) st = fig_reliability(&gp, e, o->title, err);
        if (!st) st = fig_roc(&gp, e, o->title, err);
        res->n_figures = gp.n_ok;
        res->n_figures_failed = gp.n_failed;
        res->gnuplot_missing = !gp.available;
    }
    if (!st && !gp.available)
        st = sk_error_set(err, SK_ENOTFOUND, "%s; eval.md and the figure scripts are written in %s (render later with "
                          "`cd %s && gnuplot NAME.gp`)", gp.missing, o->out_dir, dir);
    else if (!st && gp.n_failed)
        st = sk_error_set(err, SK_EUNSUPPORTED, "%d of %d figures failed in gnuplot:\n%s", gp.n_failed,
                          gp.n_failed + gp.n_ok, sk_sb_str(&gp.failures));
    if (have_gp) sk_gp_free(&gp);
    free(path);
    free(dir);
    sk_buf_free(&md);
    sk_eval_free(e);
    free(e);
    return st;
}
