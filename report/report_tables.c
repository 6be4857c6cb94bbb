/* report_tables.c: table model (cells with a machine and a human text) and its Markdown, CSV,
 * LaTeX and HTML writers (see report_tables.h). */
#include "report_tables.h"

#include "report_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *key;   /* CSV header */
    const char *label; /* human header */
    int right;         /* right-aligned (numbers) */
    int csv_only;      /* detail kept for machines; people see it in another column */
    const char *test_label; /* the label when levels are chosen on the test split (NULL: label) */
} column;

typedef struct {
    const char *name, *caption;
    const column *cols;
    int on_test;              /* show the columns' test labels */
    int ncol, nrow, cap, col; /* col: next cell of the current row */
    char **csv, **hum; /* nrow x ncol */
} table;

static void table_init(table *t, const char *name, const char *caption, const column *cols, int ncol)
{
    memset(t, 0, sizeof *t);
    t->name = name;
    t->caption = caption;
    t->cols = cols;
    t->ncol = ncol;
}

static const char *label(const table *t, int c)
{
    return t->on_test && t->cols[c].test_label ? t->cols[c].test_label : t->cols[c].label;
}

static void table_free(table *t)
{
    for (int i = 0; i < t->nrow * t->ncol; i++) free(t->csv[i]), free(t->hum[i]);
    free(t->csv);
    free(t->hum);
}

static void row_begin(table *t)
{
    if (t->nrow == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->csv = sk_xrealloc(t->csv, (size_t)(t->cap * t->ncol) * sizeof *t->csv);
        t->hum = sk_xrealloc(t->hum, (size_t)(t->cap * t->ncol) * sizeof *t->hum);
    }
    t->nrow++;
    t->col = 0;
}

static void cell(table *t, const char *csv, const char *hum)
{
    SK_ASSERT(t->col < t->ncol);
    int i = (t->nrow - 1) * t->ncol + t->col++;
    t->csv[i] = sk_xstrdup(csv);
    t->hum[i] = sk_xstrdup(hum ? hum : csv);
}

static void cell_int(table *t, long long v)
{
    char b[32];
    snprintf(b, sizeof b, "%lld", v);
    cell(t, b, NULL);
}

/* A number: full precision for CSV, `prec` decimals for people; NaN -> empty / dash. */
static void cell_num(table *t, double v, int prec)
{
    char c[64], h[64];
    if (isnan(v)) {
        cell(t, "", "-");
        return;
    }
    snprintf(c, sizeof c, "%.10g", v);
    snprintf(h, sizeof h, "%.*f", prec, v);
    cell(t, c, h);
}

/* A human-only "mean ± sd (n)" summary with the csv text given separately. */
static void fmt_msd(char *h, size_t cap, const sk_stat *st)
{
    if (isnan(st->mean)) snprintf(h, cap, "-");
    else if (isnan(st->sd)) snprintf(h, cap, "%.4f (n=%d)", st->mean, st->n);
    else snprintf(h, cap, "%.4f ± %.4f (n=%d)", st->mean, st->sd, st->n);
}

/* mean for machines, "mean ± sd (n)" for people; "-" when there are none. */
static void cell_msd(table *t, const sk_stat *st)
{
    char c[64], h[128];
    if (isnan(st->mean)) c[0] = '\0';
    else snprintf(c, sizeof c, "%.10g", st->mean);
    fmt_msd(h, sizeof h, st);
    cell(t, c, h);
}

/* ---- writers ---- */

static void write_md(sk_buf *b, const table *t)
{
    sk_sb_puts(b, "|");
    for (int c = 0; c < t->ncol; c++) {
        if (t->cols[c].csv_only) continue;
        sk_sb_puts(b, " ");
        sk_esc_md(b, label(t, c));
        sk_sb_puts(b, " |");
    }
    sk_sb_puts(b, "\n|");
    for (int c = 0; c < t->ncol; c++)
        if (!t->cols[c].csv_only) sk_sb_puts(b, t->cols[c].right ? "---:|" : "---|");
    sk_sb_puts(b, "\n");
    for (int r = 0; r < t->nrow; r++) {
        sk_sb_puts(b, "|");
        for (int c = 0; c < t->ncol; c++) {
            if (t->cols[c].csv_only) continue;
            sk_sb_puts(b, " ");
            sk_esc_md(b, t->hum[r * t->ncol + c]);
            sk_sb_puts(b, " |");
        }
        sk_sb_puts(b, "\n");
    }
}

static void write_csv(sk_buf *b, const table *t)
{
    for (int c = 0; c < t->ncol; c++) {
        if (c) sk_sb_puts(b, ",");
        sk_esc_csv(b, t->cols[c].key);
    }
    sk_sb_puts(b, "\n");
    for (int r = 0; r < t->nrow; r++) {
        for (int c = 0; c < t->ncol; c++) {
            if (c) sk_sb_puts(b, ",");
            sk_esc_csv(b, t->csv[r * t->ncol + c]);
        }
        sk_sb_puts(b, "\n");
    }
}

/* LaTeX escaping plus ± -> $\pm$ (the only non-ASCII text this module produces). */
static void esc_tex(sk_buf *b, const char *s)
{
    const char *pm = "±";
    for (const char *p = s; *p;) {
        const char *q = strstr(p, pm);
        size_t n = q ? (size_t)(q - p) : strlen(p);
        char *part = sk_xmalloc(n + 1);
        memcpy(part, p, n);
        part[n] = 0;
        sk_esc_latex(b, part);
        free(part);
        if (!q) break;
        sk_sb_puts(b, "$\\pm$");
        p = q + strlen(pm);
    }
}

static void write_tex(sk_buf *b, const table *t)
{
    sk_sb_puts(b, "% Written by `skytune report`; needs \\usepackage{booktabs}.\n\\begin{table*}\n\\centering\n\\caption{");
    esc_tex(b, t->caption);
    sk_buf_printf(b, "}\n\\label{tab:skytune-%s}\n\\small\n\\begin{tabular}{", t->name);
    for (int c = 0; c < t->ncol; c++)
        if (!t->cols[c].csv_only) sk_sb_puts(b, t->cols[c].right ? "r" : "l");
    sk_sb_puts(b, "}\n\\toprule\n");
    for (int c = 0, first = 1; c < t->ncol; c++) {
        if (t->cols[c].csv_only) continue;
        if (!first) sk_sb_puts(b, " & ");
        first = 0;
        esc_tex(b, label(t, c));
    }
    sk_sb_puts(b, " \\\\\n\\midrule\n");
    for (int r = 0; r < t->nrow; r++) {
        for (int c = 0, first = 1; c < t->ncol; c++) {
            if (t->cols[c].csv_only) continue;
            if (!first) sk_sb_puts(b, " & ");
            first = 0;
            esc_tex(b, t->hum[r * t->ncol + c]);
        }
        sk_sb_puts(b, " \\\\\n");
    }
    sk_sb_puts(b, "\\bottomrule\n\\end{tabular}\n\\end{table*}\n");
}

static void write_html(sk_buf *b, const table *t)
{
    sk_sb_puts(b, "<table>\n<caption>");
    sk_esc_html(b, t->caption);
    sk_sb_puts(b, "</caption>\n<thead><tr>");
    for (int c = 0; c < t->ncol; c++) {
        if (t->cols[c].csv_only) continue;
        sk_sb_puts(b, t->cols[c].right ? "<th class=\"num\">" : "<th>");
        sk_esc_html(b, label(t, c));
        sk_sb_puts(b, "</th>");
    }
    sk_sb_puts(b, "</tr></thead>\n<tbody>\n");
    for (int r = 0; r < t->nrow; r++) {
        sk_sb_puts(b, "<tr>");
        for (int c = 0; c < t->ncol; c++) {
            if (t->cols[c].csv_only) continue;
            sk_sb_puts(b, t->cols[c].right ? "<td class=\"num\">" : "<td>");
            sk_esc_html(b, t->hum[r * t->ncol + c]);
            sk_sb_puts(b, "</td>");
        }
        sk_sb_puts(b, "</tr>\n");
    }
    sk_sb_puts(b, "</tbody>\n</table>\n");
}

static sk_status emit(const char *dir, const table *t, sk_buf *md_out, sk_buf *html_out, sk_error *err)
{
    static const char *const ext[] = {"md", "csv", "tex"};
    sk_status st = SK_OK;
    for (int i = 0; i < 3 && !st; i++) {
        sk_buf b;
        sk_buf_init(&b);
        if (i == 0) {
            sk_sb_puts(&b, "**");
            sk_esc_md(&b, t->caption);
            sk_sb_puts(&b, "**\n\n");
            write_md(&b, t);
            sk_buf_put_bytes(md_out, b.data, b.len);
            sk_sb_puts(md_out, "\n");
        } else if (i == 1) {
            write_csv(&b, t);
        } else {
            write_tex(&b, t);
        }
        char f[128];
        snprintf(f, sizeof f, "%s.%s", t->name, ext[i]);
        char *path = sk_path_join(dir, f);
        st = sk_sb_write(path, &b, err);
        free(path);
        sk_buf_free(&b);
    }
    write_html(html_out, t);
    return st;
}

/* ---- the three tables ---- */

static const column levels_cols[] = {
    {"arch", "Architecture", 0, 0, NULL},
    {"trainable_layers", "Trainable layers", 1, 0, NULL},
    {"trainable_params", "Trainable params", 1, 0, NULL},
    {"total_params", "Total params", 1, 1, NULL},
    {"tlr", "TLR (of total layers, head incl.)", 1, 0, NULL},
    {"tlr_base", "TLR_base (of base layers)", 1, 0, NULL},
    {"tpr", "TPR", 1, 0, NULL},
    {"n", "Seeds", 1, 0, NULL},
    {"best_val_acc_mean", "Best val acc (mean ± sd, n)", 1, 0, NULL},
    {"best_val_acc_sd", "sd", 1, 1, NULL},
    {"best_val_acc_min", "min", 1, 1, NULL},
    {"best_val_acc_max", "max", 1, 1, NULL},
    {"final_val_acc_mean", "Final val acc (mean ± sd, n)", 1, 0, NULL},
    {"final_val_acc_sd", "sd", 1, 1, NULL},
    {"paper_n", "Study runs", 1, 0, NULL},
    {"paper_best_val_acc", "Study best val acc (mean of runs)", 1, 0, NULL},
    {"diff_best_val_acc", "Ours - study", 1, 0, NULL},
    {"input_scaling", "Input scaling", 0, 0, NULL},
    /* only when some record has a test split: */
    {"test_acc_best_epoch_mean", "Test acc, best epoch's weights (mean ± sd, n)", 1, 0, NULL},
    {"test_acc_final_mean", "Test acc, final weights (mean ± sd, n)", 1, 0, NULL},
};

static void levels_table(table *t, const sk_report_summary *s)
{
    table_init(t, "levels",
               "Validation accuracy per architecture and freeze level. TLR = trainable layers / total layers of the full model "
               "(head included); TLR_base = trainable layers / base-model layers; TPR = trainable / total parameters. Mean and "
               "sample sd (n-1) over seeds. Study = best-epoch accuracy of arXiv:2205.07124 at the same level and input scaling "
               "(mean of its runs when it has several).",
               levels_cols, (int)SK_ARRAY_LEN(levels_cols) - (s->has_test ? 0 : 2));
    char h[128];
    for (int l = 0; l < s->n_levels; l++) {
        const sk_report_level *L = &s->levels[l];
        row_begin(t);
        cell(t, L->arch, NULL);
        cell_int(t, L->level);
        cell_int(t, (long long)L->trainable_params);
        cell_int(t, (long long)L->total_params);
        cell_num(t, L->tlr, 4);
        cell_num(t, L->tlr_base, 4);
        cell_num(t, L->tpr, 4);
        cell_int(t, L->best.n);
        char c[64];
        snprintf(c, sizeof c, "%.10g", L->best.mean);
        fmt_msd(h, sizeof h, &L->best);
        cell(t, c, h);
        cell_num(t, L->best.sd, 4);
        cell_num(t, L->best.min, 4);
        cell_num(t, L->best.max, 4);
        snprintf(c, sizeof c, "%.10g", L->final.mean);
        fmt_msd(h, sizeof h, &L->final);
        cell(t, c, h);
        cell_num(t, L->final.sd, 4);
        cell_int(t, L->paper_n);
        if (L->paper_n > 1) {
            snprintf(c, sizeof c, "%.10g", L->paper_best);
            snprintf(h, sizeof h, "%.4f (mean of %d runs)", L->paper_best, L->paper_n);
            cell(t, c, h);
        } else {
            cell_num(t, L->paper_best, 4);
        }
        cell_num(t, L->paper_n ? L->best.mean - L->paper_best : NAN, 4);
        cell(t, L->input_scaling, NULL);
        if (s->has_test) {
            cell_msd(t, &L->test_best);
            cell_msd(t, &L->test_final);
        }
    }
}

static const column ideal_cols[] = {
    {"arch", "Architecture", 0, 0, NULL},
    {"best_level", "Best level (highest mean)", 1, 0, "Best level (highest mean test acc)"},
    {"best_mean", "Its mean best val acc", 1, 0, "Its mean test acc (best epoch's weights)"},
    {"best_sd", "sd", 1, 0, NULL},
    {"best_n", "n", 1, 0, NULL},
    {"best_se", "se = sd/sqrt(n)", 1, 0, NULL},
    {"ideal_level", "Ideal level (smallest within 1 se)", 1, 0, NULL},
    {"ideal_mean", "Its mean", 1, 0, NULL},
    {"ideal_tpr", "Its TPR", 1, 0, NULL},
    {"ideal_tlr", "Its TLR", 1, 0, NULL},
};


static void ideal_table(table *t, const sk_report_summary *s)
{
    int on_test = s->select == SK_SELECT_TEST;
    table_init(t, "ideal",
               on_test ? "Ideal freeze level per architecture, chosen on the held-out test split. Best level: the highest mean "
                         "test accuracy (weights of the best validation epoch) over seeds (ties: fewer layers). Ideal level: "
                         "the smallest level whose mean is at least the best mean minus one standard error of the best level "
                         "(se = 0 with one seed)."
                       : "Ideal freeze level per architecture. Best level: the highest mean best-epoch validation accuracy over seeds "
               "(ties: fewer layers). Ideal level: the smallest level whose mean is at least the best mean minus one standard "
               "error of the best level (se = 0 with one seed).",
               ideal_cols, (int)SK_ARRAY_LEN(ideal_cols));
    t->on_test = on_test;
    for (int a = 0; a < s->n_archs; a++) {
        const sk_report_arch *A = &s->archs[a];
        const sk_report_level *B = &s->levels[A->best], *I = &s->levels[A->ideal];
        const sk_stat *b = sk_report_sel(s, B);
        row_begin(t);
        cell(t, A->arch, NULL);
        cell_int(t, B->level);
        cell_num(t, b->mean, 4);
        cell_num(t, b->sd, 4);
        cell_int(t, b->n);
        cell_num(t, b->n >= 2 ? b->sd / sqrt((double)b->n) : NAN, 4);
        cell_int(t, I->level);
        cell_num(t, sk_report_sel(s, I)->mean, 4);
        cell_num(t, I->tpr, 4);
        cell_num(t, I->tlr, 4);
    }
}

static const column summary_cols[] = {
    {"arch", "Architecture", 0, 0, NULL},
    {"levels", "Levels", 1, 0, NULL},
    {"cells", "Cells", 1, 0, NULL},
    {"lowest_level", "Lowest level", 1, 0, NULL},
    {"lowest_mean", "Its mean best val acc", 1, 0, "Its mean test acc"},
    {"best_level", "Best level", 1, 0, "Best level (on test)"},
    {"best_mean", "Best mean val acc", 1, 0, "Best mean test acc"},
    {"ideal_level", "Ideal level (1 se)", 1, 0, "Ideal level (1 se, on test)"},
    {"paper_peak_level", "Study peak level", 1, 0, NULL},
    {"paper_peak", "Study peak val acc", 1, 0, NULL},
    {"sec_epoch_lowest", "s/epoch at lowest", 1, 0, NULL},
    {"sec_epoch_best", "s/epoch at best", 1, 0, NULL},
};


static void summary_table(table *t, const sk_report_summary *s)
{
    table_init(t, "summary",
               "Summary per architecture: accuracy at the lowest level run (head only when 1), at the best level, the ideal "
               "level (smallest within one standard error of the best), the study's own peak, and median seconds per epoch.",
               summary_cols, (int)SK_ARRAY_LEN(summary_cols));
    t->on_test = s->select == SK_SELECT_TEST;
    for (int a = 0; a < s->n_archs; a++) {
        const sk_report_arch *A = &s->archs[a];
        const sk_report_level *lo = &s->levels[A->first], *B = &s->levels[A->best];
        int cells = 0;
        for (int l = A->first; l < A->first + A->count; l++) cells += s->levels[l].count;
        row_begin(t);
        cell(t, A->arch, NULL);
        cell_int(t, A->count);
        cell_int(t, cells);
        cell_int(t, lo->level);
        cell_num(t, sk_report_sel(s, lo)->mean, 4);
        cell_int(t, B->level);
        cell_num(t, sk_report_sel(s, B)->mean, 4);
        cell_int(t, s->levels[A->ideal].level);
        if (A->paper_n) cell_int(t, A->paper_peak_level);
        else cell(t, "", "-");
        cell_num(t, A->paper_peak, 4);
        cell_num(t, lo->sec_epoch.mean, 2);
        cell_num(t, B->sec_epoch.mean, 2);
    }
}

sk_status sk_report_tables(const char *out_dir, const sk_report_summary *s, sk_buf *md_out,
                           sk_buf *html_out, sk_error *err)
{
    sk_status st = sk_mkdir_in(out_dir, "tables", err);
    char *dir = sk_path_join(out_dir, "tables");
    if (!st) sk_tmp_clean_stale(dir, NULL); /* tables a killed run was writing */
    void (*const build[])(table *, const sk_report_summary *) = {summary_table, ideal_table, levels_table};
    for (size_t i = 0; i < SK_ARRAY_LEN(build) && !st; i++) {
        table t;
        build[i](&t, s);
        st = emit(dir, &t, md_out, html_out, err);
        table_free(&t);
    }
    free(dir);
    return st;
}
