/* report_page.c: index.md and index.html (see report_page.h). Provenance is listed as the
 * distinct values found across the cells, each with how many cells carry it, so a report mixing
 * machines or builds says so instead of hiding it. */
#include "report_page.h"

#include "report_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char **vals;
    int *counts;
    int n;
} distinct;

static void distinct_add(distinct *d, const char *v)
{
    for (int i = 0; i < d->n; i++)
        if (strcmp(d->vals[i], v) == 0) {
            d->counts[i]++;
            return;
        }
    d->vals = sk_xrealloc(d->vals, (size_t)(d->n + 1) * sizeof *d->vals);
    d->counts = sk_xrealloc(d->counts, (size_t)(d->n + 1) * sizeof *d->counts);
    d->vals[d->n] = sk_xstrdup(v);
    d->counts[d->n++] = 1;
}

static void distinct_free(distinct *d)
{
    for (int i = 0; i < d->n; i++) free(d->vals[i]);
    free(d->vals);
    free(d->counts);
}

enum { F_BUILD, F_MACHINE, F_DATA, F_WEIGHTS, F_PROTOCOL, F_SUITE, F_COUNT };
static const char *const fact_label[F_COUNT] = {"Build (skytune version, git revision, compiler, flags)",
                                                "Machine (CPU, BLAS core, OpenMP threads, fingerprint)",
                                                "Data set (path, sha256, train/val)",
                                                "Weights (arch, kind (source), file, sha256)",
                                                "Protocol (optimizer, lr, batch, epochs, input scaling, loss)",
                                                "Suites"};

static void collect(distinct facts[F_COUNT], const sk_report_set *set)
{
    char b[4096];
    for (int i = 0; i < set->n; i++) {
        const sk_report_run *r = &set->runs[i];
        snprintf(b, sizeof b, "skytune %s, git %s, %s, flags %s", r->version, r->git_revision, r->compiler, r->flags);
        distinct_add(&facts[F_BUILD], b);
        snprintf(b, sizeof b, "%s; BLAS %s (%s); %d OpenMP threads; fingerprint %s", r->cpu_model, r->blas, r->blas_core,
                 r->omp_threads, r->fingerprint);
        distinct_add(&facts[F_MACHINE], b);
        snprintf(b, sizeof b, "%s, sha256 %s, %d train / %d val", r->data_path, r->data_sha256, r->n_train, r->n_val);
        distinct_add(&facts[F_DATA], b);
        if (!strcmp(r->weights_source, "initialisers"))
            snprintf(b, sizeof b, "%s: scratch: the seeded Keras initialisers, because no ImageNet weights were available",
                     r->arch);
        else
            snprintf(b, sizeof b, "%s: %s%s%s%s %s, sha256 %s", r->arch, r->weights_kind, r->weights_source[0] ? " (" : "",
                     r->weights_source, r->weights_source[0] ? ")" : "", r->weights_file, r->weights_sha256);
        distinct_add(&facts[F_WEIGHTS], b);
        snprintf(b, sizeof b, "%s, lr %g, batch %d, %d epochs, %s, %s", r->optimizer, r->lr, r->batch, r->epochs_requested,
                 r->input_scaling, r->loss);
        distinct_add(&facts[F_PROTOCOL], b);
        distinct_add(&facts[F_SUITE], r->suite);
    }
}

/* Cells whose setup differs from the study's (weights not ImageNet, or another input size than
 * the study used for that architecture): their "study" column is orientation, not a replication. */
static int count_off_protocol(const sk_report_set *set, const sk_paper *paper)
{
    int n = 0;
    for (int i = 0; paper && i < set->n; i++) {
        const sk_report_run *r = &set->runs[i];
        int size = 0;
        for (int k = 0; k < paper->n && !size; k++)
            if (strcmp(paper->rows[k].arch, r->arch) == 0) size = paper->rows[k].input_size;
        if (strcmp(r->weights_kind, "imagenet") != 0 || (size && r->input_size != size)) n++;
    }
    return n;
}

static int rendered(const sk_gp *gp, const char *name, const char *ext)
{
    char f[256];
    snprintf(f, sizeof f, "%s.%s", name, ext);
    for (int i = 0; i < gp->n_outputs; i++)
        if (strcmp(gp->outputs[i], f) == 0) return 1;
    return 0;
}

static void page_md(sk_buf *b, const sk_report_summary *s, const sk_report_page_in *in, distinct facts[F_COUNT])
{
    const sk_report_set *set = s->set;
    sk_sb_puts(b, "# ");
    sk_esc_md(b, in->title && *in->title ? in->title : "skytune report");
    sk_buf_printf(b, "\n\nLayer-wise fine-tuning results (reproducing arXiv:2205.07124): %d complete cells, %d architectures, %d (arch, level) pairs",
                 set->n, s->n_archs, s->n_levels);
    if (set->n_incomplete) sk_buf_printf(b, "; %d incomplete cells (no DONE) not included", set->n_incomplete);
    if (set->n_bad) sk_buf_printf(b, "; %d bad records skipped", set->n_bad);
    if (set->n_failed) sk_buf_printf(b, "; %d failed cells (listed below)", set->n_failed);
    sk_sb_puts(b, ".\n\n");
    for (int i = 0; i < set->n_failed; i++) {
        sk_sb_puts(b, "- failed: ");
        sk_esc_md(b, set->failed[i]);
        sk_sb_puts(b, "\n");
    }
    sk_sb_puts(b, "\n## How this was made\n\n");
    for (int i = 0; i < facts[F_SUITE].n; i++) {
        sk_sb_puts(b, "- cells of suite ");
        sk_md_code(b, facts[F_SUITE].vals[i]);
        sk_buf_printf(b, " (%d): ", facts[F_SUITE].counts[i]);
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "skytune bench run --suite %s", facts[F_SUITE].vals[i]);
        sk_md_code(b, cmd);
        sk_sb_puts(b, "\n");
    }
    if (in->command_line) {
        sk_sb_puts(b, "- this report: ");
        sk_md_code(b, in->command_line);
        sk_sb_puts(b, "\n");
    }
    sk_sb_puts(b, "- study values from: ");
    if (in->paper_csv) {
        sk_md_code(b, in->paper_csv);
        sk_sb_puts(b, "\n");
        int off = count_off_protocol(set, in->paper);
        if (off)
            sk_buf_printf(b, "- note: %d of %d cells differ from the study's setup (weights not ImageNet or another input size); "
                            "their comparison with the study is for orientation only\n", off, set->n);
    } else {
        sk_sb_puts(b, "(not used)\n");
    }
    sk_sb_puts(b, "\n## Provenance\n\n");
    for (int f = 0; f < F_SUITE; f++) {
        sk_buf_printf(b, "**%s**\n\n", fact_label[f]);
        for (int i = 0; i < facts[f].n; i++) {
            sk_sb_puts(b, "- ");
            sk_esc_md(b, facts[f].vals[i]);
            sk_buf_printf(b, " (%d cells)\n", facts[f].counts[i]);
        }
        sk_sb_puts(b, "\n");
    }
    sk_sb_puts(b, "## Tables\n\nAlso as CSV and LaTeX (booktabs) in `tables/`.\n\n");
    sk_sb_puts(b, in->tables_md);
    sk_sb_puts(b, "## Figures\n\nEach figure has its gnuplot script and data beside it in `figures/` (re-render with `cd figures && gnuplot NAME.gp`).\n\n");
    if (!in->gp->available) {
        sk_sb_puts(b, "> Figures were not rendered: ");
        sk_esc_md(b, in->gp->missing);
        sk_sb_puts(b, ". The scripts are written.\n\n");
    }
    for (int i = 0; i < in->figs->n; i++) {
        const sk_report_fig *f = &in->figs->figs[i];
        if (rendered(in->gp, f->name, "png")) sk_buf_printf(b, "![%s](figures/%s.png)\n\n", f->name, f->name);
        else if (rendered(in->gp, f->name, "svg")) sk_buf_printf(b, "![%s](figures/%s.svg)\n\n", f->name, f->name);
        sk_buf_printf(b, "*%s*: ", f->name);
        sk_esc_md(b, f->caption);
        sk_sb_puts(b, " Files:");
        static const char *const ext[] = {"png", "pdf", "svg"};
        for (int e = 0; e < 3; e++)
            if (rendered(in->gp, f->name, ext[e])) sk_buf_printf(b, " [%s](figures/%s.%s)", ext[e], f->name, ext[e]);
        sk_buf_printf(b, " [gp](figures/%s.gp) [dat](figures/%s.dat)\n\n", f->name, f->name);
    }
}

static const char *css =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;"
    "padding:0 1em;color:#222;line-height:1.45}\n"
    "h1,h2{border-bottom:1px solid #ddd;padding-bottom:.2em}\n"
    "table{border-collapse:collapse;margin:1em 0 2em;font-size:.85em}\n"
    "caption{text-align:left;caption-side:top;padding:.3em 0;color:#444}\n"
    "th,td{padding:.25em .6em;border-bottom:1px solid #e4e4e4;vertical-align:top}\n"
    "th{border-bottom:2px solid #888;text-align:left}\n.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #eee}\n"
    "figcaption{font-size:.9em;color:#444}\ncode{background:#f4f4f4;padding:0 .2em;word-break:break-all}\n"
    ".warn{background:#fff4e0;border-left:4px solid #E69F00;padding:.5em 1em}\n";

static void page_html(sk_buf *b, const sk_report_summary *s, const sk_report_page_in *in, distinct facts[F_COUNT])
{
    const sk_report_set *set = s->set;
    const char *title = in->title && *in->title ? in->title : "skytune report";
    sk_sb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    sk_esc_html(b, title);
    sk_buf_printf(b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", css);
    sk_esc_html(b, title);
    sk_buf_printf(b, "</h1>\n<p>Layer-wise fine-tuning results (reproducing arXiv:2205.07124): %d complete cells, %d architectures, %d (arch, level) pairs",
                 set->n, s->n_archs, s->n_levels);
    if (set->n_incomplete) sk_buf_printf(b, "; %d incomplete cells (no DONE) not included", set->n_incomplete);
    if (set->n_bad) sk_buf_printf(b, "; %d bad records skipped", set->n_bad);
    if (set->n_failed) sk_buf_printf(b, "; %d failed cells (listed below)", set->n_failed);
    sk_sb_puts(b, ".</p>\n");
    if (set->n_failed) {
        sk_sb_puts(b, "<ul class=\"warn\">\n");
        for (int i = 0; i < set->n_failed; i++) {
            sk_sb_puts(b, "<li>failed: ");
            sk_esc_html(b, set->failed[i]);
            sk_sb_puts(b, "</li>\n");
        }
        sk_sb_puts(b, "</ul>\n");
    }
    sk_sb_puts(b, "<h2>How this was made</h2>\n<ul>\n");
    for (int i = 0; i < facts[F_SUITE].n; i++) {
        sk_sb_puts(b, "<li>cells of suite <code>");
        sk_esc_html(b, facts[F_SUITE].vals[i]);
        sk_buf_printf(b, "</code> (%d): <code>skytune bench run --suite ", facts[F_SUITE].counts[i]);
        sk_esc_html(b, facts[F_SUITE].vals[i]);
        sk_sb_puts(b, "</code></li>\n");
    }
    if (in->command_line) {
        sk_sb_puts(b, "<li>this report: <code>");
        sk_esc_html(b, in->command_line);
        sk_sb_puts(b, "</code></li>\n");
    }
    sk_sb_puts(b, "<li>study values from: ");
    if (in->paper_csv) {
        sk_sb_puts(b, "<code>");
        sk_esc_html(b, in->paper_csv);
        sk_sb_puts(b, "</code>");
        int off = count_off_protocol(set, in->paper);
        if (off)
            sk_buf_printf(b, "</li>\n<li class=\"warn\">note: %d of %d cells differ from the study's setup (weights not ImageNet or "
                            "another input size); their comparison with the study is for orientation only", off, set->n);
    } else {
        sk_sb_puts(b, "(not used)");
    }
    sk_sb_puts(b, "</li>\n</ul>\n<h2>Provenance</h2>\n");
    for (int f = 0; f < F_SUITE; f++) {
        sk_buf_printf(b, "<h3>%s</h3>\n<ul>\n", fact_label[f]);
        for (int i = 0; i < facts[f].n; i++) {
            sk_sb_puts(b, "<li>");
            sk_esc_html(b, facts[f].vals[i]);
            sk_buf_printf(b, " (%d cells)</li>\n", facts[f].counts[i]);
        }
        sk_sb_puts(b, "</ul>\n");
    }
    sk_sb_puts(b, "<h2>Tables</h2>\n<p>Also as CSV and LaTeX (booktabs) in <code>tables/</code>.</p>\n");
    sk_sb_puts(b, in->tables_html);
    sk_sb_puts(b, "<h2>Figures</h2>\n<p>Each figure has its gnuplot script and data beside it in <code>figures/</code> "
                  "(re-render with <code>cd figures &amp;&amp; gnuplot NAME.gp</code>).</p>\n");
    if (!in->gp->available) {
        sk_sb_puts(b, "<p class=\"warn\">Figures were not rendered: ");
        sk_esc_html(b, in->gp->missing);
        sk_sb_puts(b, ". The scripts are written.</p>\n");
    }
    static const char *const ext[] = {"png", "pdf", "svg"};
    for (int i = 0; i < in->figs->n; i++) {
        const sk_report_fig *f = &in->figs->figs[i];
        sk_buf_printf(b, "<figure id=\"%s\">\n", f->name);
        if (rendered(in->gp, f->name, "png"))
            sk_buf_printf(b, "<a href=\"figures/%s.png\"><img src=\"figures/%s.png\" alt=\"%s\"></a>\n", f->name, f->name, f->name);
        else if (rendered(in->gp, f->name, "svg"))
            sk_buf_printf(b, "<a href=\"figures/%s.svg\"><img src=\"figures/%s.svg\" alt=\"%s\"></a>\n", f->name, f->name, f->name);
        sk_buf_printf(b, "<figcaption><b>%s</b>: ", f->name);
        sk_esc_html(b, f->caption);
        sk_sb_puts(b, " Files:");
        for (int e = 0; e < 3; e++)
            if (rendered(in->gp, f->name, ext[e]))
                sk_buf_printf(b, " <a href=\"figures/%s.%s\">%s</a>", f->name, ext[e], ext[e]);
        sk_buf_printf(b, " <a href=\"figures/%s.gp\">gp</a> <a href=\"figures/%s.dat\">dat</a></figcaption>\n</figure>\n",
                     f->name, f->name);
    }
    sk_sb_puts(b, "</body>\n</html>\n");
}

sk_status sk_report_page(const char *out_dir, const sk_report_summary *s, const sk_report_page_in *in,
                         sk_error *err)
{
    distinct facts[F_COUNT];
    memset(facts, 0, sizeof facts);
    collect(facts, s->set);
    sk_buf md, html;
    sk_buf_init(&md);
    sk_buf_init(&html);
    page_md(&md, s, in, facts);
    page_html(&html, s, in, facts);
    char *p = sk_path_join(out_dir, "index.md");
    sk_status st = sk_sb_write(p, &md, err);
    free(p);
    if (!st) {
        p = sk_path_join(out_dir, "index.html");
        st = sk_sb_write(p, &html, err);
        free(p);
    }
    sk_buf_free(&md);
    sk_buf_free(&html);
    for (int f = 0; f < F_COUNT; f++) distinct_free(&facts[f]);
    return st;
}
