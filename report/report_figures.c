/* report_figures.c: data blocks and gnuplot commands of each figure (see report_figures.h).
 * Only numbers go into .dat files; every label (titles, class and arch names) is written into
 * the script through sk_esc_gnuplot. */
#include "report_figures.h"

#include "report_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_fig(sk_report_figs *figs, const char *name, const char *caption)
{
    figs->figs = sk_xrealloc(figs->figs, (size_t)(figs->n + 1) * sizeof *figs->figs);
    sk_report_fig *f = &figs->figs[figs->n++];
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->caption, sizeof f->caption, "%s", caption);
}

void sk_report_figs_free(sk_report_figs *figs)
{
    free(figs->figs);
    figs->figs = NULL;
    figs->n = 0;
}

void sk_fig_title(sk_buf *b, const char *title, const char *what)
{
    char t[2048];
    if (title && *title) snprintf(t, sizeof t, "%s: %s", title, what);
    else snprintf(t, sizeof t, "%s", what);
    sk_esc_gnuplot(b, t);
}

/* `CMD 'USER: what'` and a newline. */
static void set_title(sk_buf *b, const char *cmd, const char *title, const char *what)
{
    sk_buf_printf(b, "%s ", cmd);
    sk_fig_title(b, title, what);
    sk_sb_puts(b, "\n");
}

/* A plot clause's tail: line colour, point type (none when pt <= 0) and an escaped title. */
static void style(sk_buf *b, const char *color, int pt, const char *extra, const char *title)
{
    sk_buf_printf(b, " lc rgb '%s'", color);
    if (pt > 0) sk_buf_printf(b, " pt %d", pt);
    sk_buf_printf(b, " %s title ", extra ? extra : "");
    sk_esc_gnuplot(b, title);
}

static void data_name(sk_buf *b, const char *name)
{
    char f[160];
    snprintf(f, sizeof f, "%s.dat", name);
    sk_esc_gnuplot(b, f);
}

static const char *common =
    "set grid lc rgb '#dddddd'\n"
    "set border lw 0.8\n"
    "set key samplen 1.5 spacing 0.9 font ',6' opaque box lc rgb '#bbbbbb'\n"
    "set title font ',7'\n"
    "set style fill solid 0.85 noborder\n";

/* 1. accuracy vs trainable layers, one figure per architecture */
static sk_status fig_acc_layers(sk_gp *g, const sk_report_summary *s, const sk_report_arch *A,
                                const sk_paper *paper, const char *title, sk_report_figs *figs, sk_error *err)
{
    char name[128];
    snprintf(name, sizeof name, "acc_layers_%s", A->arch);
    sk_buf d, b;
    sk_buf_init(&d);
    sk_buf_init(&b);
    const char *scaling = s->levels[A->first].input_scaling;
    sk_buf_printf(&d, "# %s: validation accuracy vs trainable layers over seeds\n"
                     "# level best_mean best_min best_max final_mean final_min final_max n\n", A->arch);
    for (int l = A->first; l < A->first + A->count; l++) {
        const sk_report_level *L = &s->levels[l];
        sk_buf_printf(&d, "%d %.6f %.6f %.6f %.6f %.6f %.6f %d\n", L->level, L->best.mean, L->best.min, L->best.max,
                     L->final.mean, L->final.min, L->final.max, L->best.n);
    }
    int npaper = 0;
    sk_buf_printf(&d, "\n\n# the study (arXiv:2205.07124), input scaling %s: level best_val_acc final_val_acc\n", scaling);
    for (int i = 0; paper && i < paper->n; i++) {
        const sk_paper_run *p = &paper->rows[i];
        if (!p->ok || strcmp(p->arch, A->arch) != 0 || strcmp(p->input_scaling, scaling) != 0) continue;
        sk_buf_printf(&d, "%d %.6f %.6f\n", p->trainable_layers, p->best_val_acc, p->final_val_acc);
        npaper++;
    }
    const char *c = sk_report_color(A->color);
    int pt = sk_report_point(A->color);
    sk_sb_puts(&b, common);
    char what[256];
    snprintf(what, sizeof what, "%s: accuracy vs trainable layers", A->arch);
    int maxlevel = s->levels[A->first + A->count - 1].level;
    set_title(&b, "set title", title, what);
    sk_sb_puts(&b, "set xlabel 'Trainable layers (last N, head included)'\nset ylabel 'Validation accuracy'\n"
                   "set yrange [0:1.05]\nset key bottom right\nset offsets graph 0.03, graph 0.03, 0, 0\n");
    sk_buf_printf(&b, "set xrange [0:%d<*]\n", maxlevel > 10 ? 10 : maxlevel);
    sk_sb_puts(&b, "plot ");
    data_name(&b, name);
    sk_sb_puts(&b, " index 0 using 1:2:3:4 with yerrorlines lw 1.5 ps 0.8");
    style(&b, c, pt, NULL, "best epoch (mean, range)");
    sk_sb_puts(&b, ", \\\n  '' index 0 using 1:5:6:7 with yerrorlines lw 1 dt 2 ps 0.6");
    style(&b, c, (pt >= 5 && pt % 2 == 1) ? pt - 1 : pt, NULL, "final epoch (mean, range)"); /* open twin */
    if (npaper) {
        sk_sb_puts(&b, ", \\\n  '' index 1 using 1:2 with points ps 0.9");
        style(&b, "#555555", 6, NULL, "study (arXiv:2205.07124)");
    }
    sk_sb_puts(&b, "\n");
    sk_status st = sk_gp_figure(g, name, SK_FIG_SINGLE_IN, 2.6, &d, sk_sb_str(&b), err);
    char cap[512];
    snprintf(cap, sizeof cap, "%s: validation accuracy at the best and at the final epoch against trainable layers; mean over seeds with min-max bars%s.",
             A->arch, npaper ? "; grey circles: the study's own runs" : "");
    if (!st) add_fig(figs, name, cap);
    sk_buf_free(&d);
    sk_buf_free(&b);
    return st;
}

/* 2. accuracy vs TLR or TPR (log x), all architectures */
static sk_status fig_acc_ratio(sk_gp *g, const sk_report_summary *s, int tpr, const char *title,
                               sk_report_figs *figs, sk_error *err)
{
    const char *name = tpr ? "acc_tpr" : "acc_tlr";
    sk_buf d, b;
    sk_buf_init(&d);
    sk_buf_init(&b);
    sk_buf_printf(&d, "# mean best validation accuracy vs %s, one block per architecture\n# ratio best_mean best_min best_max level\n",
                 tpr ? "TPR (trainable/total params)" : "TLR (trainable/total layers, head included)");
    sk_sb_puts(&b, common);
    set_title(&b, "set title", title, tpr ? "accuracy vs tuning parameter ratio" : "accuracy vs tuning layer ratio");
    sk_buf_printf(&b, "set logscale x\nset xlabel '%s'\nset ylabel 'Best validation accuracy'\n"
                     "set yrange [0:1.05]\nset xrange [*:1.5]\nset key bottom right\n",
                 tpr ? "TPR = trainable / total parameters" : "TLR = trainable / total layers (head incl.)");
    sk_sb_puts(&b, "set format x '%g'\nplot ");
    int block = 0;
    for (int a = 0; a < s->n_archs; a++) {
        const sk_report_arch *A = &s->archs[a];
        sk_buf_printf(&d, "# %s\n", A->arch);
        for (int l = A->first; l < A->first + A->count; l++) {
            const sk_report_level *L = &s->levels[l];
            double x = tpr ? L->tpr : L->tlr;
            if (x > 0) sk_buf_printf(&d, "%.8g %.6f %.6f %.6f %d\n", x, L->best.mean, L->best.min, L->best.max, L->level);
        }
        sk_sb_puts(&d, "\n\n");
        if (block) sk_sb_puts(&b, ", \\\n  ");
        if (block == 0) data_name(&b, name);
        else sk_sb_puts(&b, "''");
        sk_buf_printf(&b, " index %d using 1:2 with linespoints lw 1.5 ps 0.8", block);
        style(&b, sk_report_color(A->color), sk_report_point(A->color), NULL, A->arch);
        block++;
    }
    sk_sb_puts(&b, "\n");
    sk_status st = sk_gp_figure(g, name, SK_FIG_SINGLE_IN, 2.8, &d, sk_sb_str(&b), err);
    if (!st)
        add_fig(figs, name, tpr ? "Mean best validation accuracy against the tuning parameter ratio (trainable/total parameters, log scale), one curve per architecture."
                                : "Mean best validation accuracy against the tuning layer ratio (trainable/total layers of the full model, head included; log scale), one curve per architecture.");
    sk_buf_free(&d);
    sk_buf_free(&b);
    return st;
}

/* 3. training curves, one sheet per architecture: rows = levels, columns = seeds */
static sk_status fig_curves(sk_gp *g, const sk_report_summary *s, const sk_report_arch *A, const char *title,
                            sk_report_figs *figs, sk_error *err)
{
    const sk_report_set *set = s->set;
    char name[128];
    snprintf(name, sizeof name, "curves_%s", A->arch);
    /* Three or more seeds: one row per level, a column per seed. Fewer: panels flow, 4 a row. */
    int cols = 1, ncells = 0;
    for (int l = A->first; l < A->first + A->count; l++) {
        if (s->levels[l].count > cols) cols = s->levels[l].count;
        ncells += s->levels[l].count;
    }
    int row_per_level = cols >= 3;
    if (cols > 5) cols = 5;
    if (!row_per_level) cols = ncells < 4 ? ncells : 4;
    int rows = 0;
    if (row_per_level)
        for (int l = A->first; l < A->first + A->count; l++) rows += (s->levels[l].count + cols - 1) / cols;
    else
        rows = (ncells + cols - 1) / cols;
    sk_buf d, b;
    sk_buf_init(&d);
    sk_buf_init(&b);
    sk_sb_puts(&d, "# training curves, one block per cell: epoch acc val_acc loss val_loss lr\n");
    sk_sb_puts(&b, "set grid lc rgb '#e4e4e4'\nset border lw 0.6\nset tics font ',6'\nset key font ',6' samplen 1.5 top left horizontal\n"
                   "set yrange [0:1.05]\nset y2tics 0.2 font ',6'\nset ytics 0.25\nset y2range [0:*]\nset xtics out nomirror\n"
                   "set title font ',7' offset 0,-0.6\n");
    double h_in = 0.5 + 1.45 * rows;
    char what[256];
    snprintf(what, sizeof what, "%s: accuracy (left) and loss (right, grey) per epoch", A->arch);
    sk_sb_puts(&b, "set multiplot title ");
    sk_fig_title(&b, title, what);
    sk_buf_printf(&b, " font ',8' layout %d,%d margins 0.05,0.95,%.4f,%.4f spacing 0.08,%.4f\n", rows, cols,
                 0.25 / h_in, 1.0 - 0.4 / h_in, 0.4 / h_in);
    const char *c = sk_report_color(A->color);
    int block = 0, panel = 0;
    for (int l = A->first; l < A->first + A->count; l++) {
        const sk_report_level *L = &s->levels[l];
        for (int k = 0; k < L->count; k++) {
            const sk_report_run *r = &set->runs[L->first + k];
            sk_buf_printf(&d, "# %s\n", r->cell);
            for (int e = 0; e < r->n_epochs; e++) {
                const sk_report_epoch *E = &r->epochs[e];
                sk_buf_printf(&d, "%d %.6f %.6f %.6f %.6f %.6g\n", E->epoch, E->acc, E->val_acc, E->loss, E->val_loss, E->lr);
            }
            sk_sb_puts(&d, "\n\n");
            char pt[128];
            snprintf(pt, sizeof pt, "N=%d, seed %lld", L->level, (long long)r->seed);
            set_title(&b, "set title", NULL, pt);
            sk_sb_puts(&b, panel == 0 ? "set key\n" : "unset key\n");
            sk_sb_puts(&b, "plot ");
            data_name(&b, name);
            sk_buf_printf(&b, " index %d using 1:2 with lines lw 1.2", block);
            style(&b, c, 0, NULL, "train acc");
            sk_buf_printf(&b, ", '' index %d using 1:3 with lines lw 1.2 dt 2", block);
            style(&b, c, 0, NULL, "val acc");
            sk_buf_printf(&b, ", '' index %d using 1:4 axes x1y2 with lines lw 1", block);
            style(&b, "#888888", 0, NULL, "train loss");
            sk_buf_printf(&b, ", '' index %d using 1:5 axes x1y2 with lines lw 1 dt 2", block);
            style(&b, "#888888", 0, NULL, "val loss");
            sk_sb_puts(&b, "\n");
            block++;
            panel++;
        }
        /* Start each level on a new row. */
        for (int k = L->count; row_per_level && k % cols; k++) sk_sb_puts(&b, "set multiplot next\n");
    }
    sk_status st = sk_gp_figure(g, name, SK_FIG_DOUBLE_IN, h_in, &d, sk_sb_str(&b), err);
    char cap[512];
    snprintf(cap, sizeof cap, "%s: training curves of every cell (panel titles: trainable layers N and seed); accuracy solid (train) and dashed (validation) on the left axis, loss in grey on the right axis.", A->arch);
    if (!st) add_fig(figs, name, cap);
    sk_buf_free(&d);
    sk_buf_free(&b);
    return st;
}

static int same_classes(const sk_report_run *a, const sk_report_run *b)
{
    if (a->num_classes != b->num_classes) return 0;
    for (int k = 0; k < a->num_classes; k++)
        if (strcmp(a->class_names[k], b->class_names[k]) != 0) return 0;
    return 1;
}

void sk_fig_class_tics(sk_buf *b, const char *axis, const char (*names)[64], int n)
{
    sk_buf_printf(b, "set %stics (", axis);
    for (int k = 0; k < n; k++) {
        if (k) sk_sb_puts(b, ", ");
        sk_esc_gnuplot(b, names[k]);
        sk_buf_printf(b, " %d", k);
    }
    sk_sb_puts(b, ")\n");
}

void sk_fig_confusion_panel(sk_buf *b, const char *dat, int index, const char (*names)[64], int n)
{
    sk_buf_printf(b, "set xrange [-0.5:%d.5]\nset yrange [%d.5:-0.5]\nset xlabel 'predicted' font ',6'\nset ylabel 'true' font ',6'\n",
                 n - 1, n - 1);
    sk_fig_class_tics(b, "x", names, n);
    sk_fig_class_tics(b, "y", names, n);
    sk_sb_puts(b, "plot ");
    sk_esc_gnuplot(b, dat);
    sk_buf_printf(b, " index %d using 1:2:3 with image title 'fraction', '' index %d using 1:2:(sprintf('%%d', int($4))):($3 > 0.6 ? 0xffffff : 0x000000) with labels tc rgb variable font ',7' title 'count'\n",
                 index, index);
}

/* 4a. per-class recall at each architecture's best level (grouped bars) */
static sk_status fig_recall(sk_gp *g, const sk_report_summary *s, const char *title, sk_report_figs *figs, sk_error *err)
{
    const sk_report_run *ref = &s->set->runs[s->levels[s->archs[0].best].first];
    int nc = ref->num_classes;
    sk_buf d, b;
    sk_buf_init(&d);
    sk_buf_init(&b);
    sk_sb_puts(&d, "# mean recall over seeds at each architecture's best level; rows = classes (in class_names order), one column per architecture\n# class");
    int na = 0, incl[64];
    for (int a = 0; a < s->n_archs && na < 64; a++) {
        const sk_report_run *r = &s->set->runs[s->levels[s->archs[a].best].first];
        if (!same_classes(r, ref)) continue;
        incl[na++] = a;
        sk_buf_printf(&d, " %s", s->archs[a].arch);
    }
    sk_sb_puts(&d, "\n");
    for (int k = 0; k < nc; k++) {
        sk_buf_printf(&d, "%d", k);
        for (int i = 0; i < na; i++) sk_buf_printf(&d, " %.6f", s->levels[s->archs[incl[i]].best].recall[k].mean);
        sk_sb_puts(&d, "\n");
    }
    sk_sb_puts(&b, common);
    set_title(&b, "set title", title, "per-class recall at the best level");
    sk_sb_puts(&b, "set style data histograms\nset style histogram clustered gap 1\nset boxwidth 0.9\n"
                   "set yrange [0:1.15]\nset ylabel 'Validation recall (mean over seeds)'\nset key top left horizontal font ',6' maxcols 4\n"
                   "set grid noxtics\n");
    sk_buf_printf(&b, "set xrange [-0.6:%d.6]\n", nc - 1);
    sk_fig_class_tics(&b, "x", ref->class_names, ref->num_classes);
    sk_sb_puts(&b, "plot ");
    for (int i = 0; i < na; i++) {
        const sk_report_arch *A = &s->archs[incl[i]];
        char t[128];
        snprintf(t, sizeof t, "%s (N=%d)", A->arch, s->levels[A->best].level);
        if (i) sk_sb_puts(&b, ", \\\n  ''");
        else data_name(&b, "recall_best");
        sk_buf_printf(&b, " using %d", i + 2);
        sk_buf_printf(&b, " lc rgb '%s' title ", sk_report_color(A->color));
        sk_esc_gnuplot(&b, t);
    }
    sk_sb_puts(&b, "\n");
    sk_status st = sk_gp_figure(g, "recall_best", SK_FIG_SINGLE_IN, 2.6, &d, sk_sb_str(&b), err);
    if (!st) add_fig(figs, "recall_best", "Per-class validation recall (mean over seeds) at each architecture's best level (highest mean best-epoch accuracy).");
    sk_buf_free(&d);
    sk_buf_free(&b);
    return st;
}

/* 4b. confusion matrices at the best level, one panel per architecture */
static sk_status fig_confusion(sk_gp *g, const sk_report_summary *s, const char *title, sk_report_figs *figs, sk_error *err)
{
    int n = s->n_archs, cols = n < 3 ? n : 3, rows = (n + cols - 1) / cols;
    sk_buf d, b;
    sk_buf_init(&d);
    sk_buf_init(&b);
    sk_sb_puts(&d, "# confusion at each architecture's best level, summed over seeds; one block per architecture\n"
                   "# predicted true row_fraction count\n");
    sk_sb_puts(&b, "set border lw 0.6\nset tics font ',6' scale 0\nunset key\nunset colorbox\n"
                   "set palette defined (0 '#ffffff', 0.5 '#56B4E9', 1 '#0072B2')\nset cbrange [0:1]\nset size ratio -1\n");
    sk_sb_puts(&b, "set multiplot title ");
    sk_fig_title(&b, title, "confusion at the best level (rows: true class; summed over seeds)");
    sk_buf_printf(&b, " font ',8' layout %d,%d\n", rows, cols);
    for (int a = 0; a < n; a++) {
        const sk_report_arch *A = &s->archs[a];
        const sk_report_level *L = &s->levels[A->best];
        const sk_report_run *r0 = &s->set->runs[L->first];
        int nc = r0->num_classes;
        sk_buf_printf(&d, "# %s at N=%d\n", A->arch, L->level);
        for (int t = 0; t < nc; t++) {
            int64_t row = 0, cnt[SK_REPORT_MAX_CLASSES] = {0};
            for (int p = 0; p < nc; p++) {
                for (int k = 0; k < L->count; k++) cnt[p] += s->set->runs[L->first + k].confusion[t * nc + p];
                row += cnt[p];
            }
            for (int p = 0; p < nc; p++)
                sk_buf_printf(&d, "%d %d %.6f %lld\n", p, t, row ? (double)cnt[p] / (double)row : 0.0, (long long)cnt[p]);
        }
        sk_sb_puts(&d, "\n\n");
        char t[160];
        snprintf(t, sizeof t, "%s, N=%d (%d seeds)", A->arch, L->level, L->count);
        set_title(&b, "set title", NULL, t);
        sk_fig_confusion_panel(&b, "confusion_best.dat", a, r0->class_names, nc);
    }
    sk_status st = sk_gp_figure(g, "confusion_best", SK_FIG_DOUBLE_IN, 0.4 + 2.1 * rows, &d, sk_sb_str(&b), err);
    if (!st) add_fig(figs, "confusion_best", "Confusion matrices at each architecture's best level, counts summed over seeds; colour = fraction of the true class (row).");
    sk_buf_free(&d);
    sk_buf_free(&b);
    return st;
}

/* 5. seconds per epoch vs trainable layers */
static sk_status fig_time(sk_gp *g, const sk_report_summary *s, const char *title, sk_report_figs *figs, sk_error *err)
{
    sk_buf d, b;
    sk_buf_init(&d);
    sk_buf_init(&b);
    sk_sb_puts(&d, "# median seconds per epoch (per cell), mean/min/max over seeds; one block per architecture\n# level mean min max\n");
    sk_sb_puts(&b, common);
    set_title(&b, "set title", title, "time per epoch vs trainable layers");
    sk_sb_puts(&b, "set xlabel 'Trainable layers (last N, head included)'\nset ylabel 'Seconds per epoch (median)'\n"
                   "set yrange [0:*]\nset key top left\nset offsets graph 0.03, graph 0.03, graph 0.05, 0\nplot ");
    for (int a = 0; a < s->n_archs; a++) {
        const sk_report_arch *A = &s->archs[a];
        sk_buf_printf(&d, "# %s\n", A->arch);
        for (int l = A->first; l < A->first + A->count; l++) {
            const sk_report_level *L = &s->levels[l];
            sk_buf_printf(&d, "%d %.6g %.6g %.6g\n", L->level, L->sec_epoch.mean, L->sec_epoch.min, L->sec_epoch.max);
        }
        sk_sb_puts(&d, "\n\n");
        if (a) sk_sb_puts(&b, ", \\\n  ''");
        else data_name(&b, "time_epoch");
        sk_buf_printf(&b, " index %d using 1:2:3:4 with yerrorlines lw 1.5 ps 0.8", a);
        style(&b, sk_report_color(A->color), sk_report_point(A->color), NULL, A->arch);
    }
    sk_sb_puts(&b, "\n");
    sk_status st = sk_gp_figure(g, "time_epoch", SK_FIG_SINGLE_IN, 2.6, &d, sk_sb_str(&b), err);
    if (!st) add_fig(figs, "time_epoch", "Median seconds per epoch against trainable layers (mean over seeds, min-max bars): what freezing and the frozen-prefix cache save.");
    sk_buf_free(&d);
    sk_buf_free(&b);
    return st;
}

sk_status sk_report_figures(sk_gp *g, const sk_report_summary *s, const sk_paper *paper, const char *title,
                            sk_report_figs *figs, sk_error *err)
{
    sk_status st = SK_OK;
    for (int a = 0; a < s->n_archs && !st; a++) st = fig_acc_layers(g, s, &s->archs[a], paper, title, figs, err);
    if (!st) st = fig_acc_ratio(g, s, 0, title, figs, err);
    if (!st) st = fig_acc_ratio(g, s, 1, title, figs, err);
    for (int a = 0; a < s->n_archs && !st; a++) st = fig_curves(g, s, &s->archs[a], title, figs, err);
    if (!st) st = fig_recall(g, s, title, figs, err);
    if (!st) st = fig_confusion(g, s, title, figs, err);
    if (!st) st = fig_time(g, s, title, figs, err);
    return st;
}
