/* cmd_report.c: `skytune report`: tables, gnuplot figures and a report page from result
 * records. Parses options and calls sk_report_generate (report/report.h); no logic of its own.
 * Exit status: 0 everything written and rendered; 1 a record, file or gnuplot failure (also
 * when gnuplot is missing: tables and scripts are still written); 2 usage error. */
#include "commands.h"
#include "args.h"
#include "sk_base.h"
#include "sk_report.h"

#include <stdio.h>
#include <string.h>

int sk_parse_formats(const char *cmd, const char *s, unsigned *out)
{
    *out = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "png") == 0) *out |= SK_FMT_PNG;
        else if (strcmp(t, "pdf") == 0) *out |= SK_FMT_PDF;
        else if (strcmp(t, "svg") == 0) *out |= SK_FMT_SVG;
        else {
            fprintf(stderr, "%s: --formats: expected a comma-separated list of png, pdf, svg; found \"%s\"\n", cmd, t);
            return SK_ARGS_ERROR;
        }
    }
    if (!*out) {
        fprintf(stderr, "%s: --formats: expected at least one of png, pdf, svg\n", cmd);
        return SK_ARGS_ERROR;
    }
    return SK_ARGS_OK;
}

int sk_cmd_report(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"results", SK_OPT_VALUE, "DIR", "results root; every cell directory below it with run.json and DONE is read"},
        {"out", SK_OPT_VALUE, "DIR", "output directory (index.md, index.html, tables/, figures/)"},
        {"formats", SK_OPT_VALUE, "LIST", "figure formats, comma-separated from png,pdf,svg (default png,pdf,svg)"},
        {"paper", SK_OPT_VALUE, "on|off|auto", "compare with and overlay the study's runs (default auto: when its CSV is found)"},
        {"paper-csv", SK_OPT_VALUE, "FILE", "the study's runs (default benchmarks/reference/paper_runs.csv, found near the binary)"},
        {"title", SK_OPT_VALUE, "TEXT", "title of the report page and prefix of figure titles"},
        {"dpi", SK_OPT_VALUE, "N", "PNG resolution in pixels per inch (default 200; figures are 3.5 or 7 in wide)"},
        {"skip-bad", SK_OPT_FLAG, NULL, "warn about and skip bad records instead of failing"},
        {"select", SK_OPT_VALUE, "val|test", "choose best and ideal levels on validation (default) or held-out test accuracy"},
        {"quiet", SK_OPT_FLAG, NULL, "no progress output"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune report", "skytune report --results DIR --out DIR [OPTIONS]",
                           "Reads the result records below --results and writes tables (Markdown, CSV, LaTeX), gnuplot figures "
                           "(PNG, PDF, SVG, each with its .gp script and .dat data) and a report page (index.md, index.html) "
                           "into --out. Needs gnuplot on PATH to render figures; without it everything else is still written "
                           "and the exit status is 1.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0) || sk_args_require(&a, "results") || sk_args_require(&a, "out")) return 2;
    if (sk_args_has(&a, "quiet")) sk_log_set_quiet(1);

    sk_report_options o;
    memset(&o, 0, sizeof o);
    o.results_dir = sk_args_str(&a, "results", NULL);
    o.out_dir = sk_args_str(&a, "out", NULL);
    if (sk_parse_formats("skytune report", sk_args_str(&a, "formats", "png,pdf,svg"), &o.formats)) return 2;
    const char *paper = sk_args_str(&a, "paper", "auto");
    if (strcmp(paper, "on") == 0) o.paper = SK_PAPER_ON;
    else if (strcmp(paper, "off") == 0) o.paper = SK_PAPER_OFF;
    else if (strcmp(paper, "auto") == 0) o.paper = SK_PAPER_AUTO;
    else {
        fprintf(stderr, "skytune report: --paper: expected on, off or auto; found \"%s\"\n", paper);
        return 2;
    }
    o.paper_csv = sk_args_str(&a, "paper-csv", NULL);
    o.title = sk_args_str(&a, "title", NULL);
    long dpi;
    if (sk_args_long(&a, "dpi", 200, 30, 1200, &dpi)) return 2;
    o.dpi = (int)dpi;
    o.skip_bad = sk_args_has(&a, "skip-bad");
    const char *sel = sk_args_str(&a, "select", "val");
    if (strcmp(sel, "val") && strcmp(sel, "test")) {
        fprintf(stderr, "skytune report: --select: expected val or test; found \"%s\"\n", sel);
        return 2;
    }
    o.select_on_test = !strcmp(sel, "test");

    /* The command line as a shell would need it, for the page. */
    sk_buf cmd;
    sk_buf_init(&cmd);
    sk_sb_puts(&cmd, "skytune report");
    for (int i = 0; i < argc; i++) {
        sk_sb_puts(&cmd, " ");
        if (argv[i][0] && strspn(argv[i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:") == strlen(argv[i]))
            sk_sb_puts(&cmd, argv[i]);
        else
            sk_esc_shell(&cmd, argv[i]);
    }
    o.command_line = sk_sb_str(&cmd);

    sk_report_result res;
    sk_error err;
    sk_error_clear(&err);
    sk_status st = sk_report_generate(&o, &res, &err);
    sk_buf_free(&cmd);
    if (st) {
        fprintf(stderr, "skytune report: %s\n", err.msg);
        return 1;
    }
    sk_info("report: %d cells, %d figures -> %s/index.html", res.n_cells, res.n_figures, o.out_dir);
    return 0;
}
