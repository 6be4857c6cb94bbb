/* cmd_reproduce.c: `skytune reproduce`: the whole pipeline: data, weights, sweep, report. */
#include "args.h"
#include "commands.h"
#include "log.h"
#include "sweep.h"

#include <stdio.h>
#include <string.h>

int sk_cmd_reproduce(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"suite", SK_OPT_VALUE, "quick|paper|FILE", "which suite (default quick: synthetic data, minutes)"},
        {"data", SK_OPT_VALUE, "FILE.skds", "use this data set instead of synthesizing or downloading"},
        {"out", SK_OPT_VALUE, "DIR", "results directory (default results/<suite>)"},
        {"cache", SK_OPT_VALUE, "DIR", "cache directory (weights, prefix tensors)"},
        {"quiet", SK_OPT_FLAG, NULL, "no per-epoch lines"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune reproduce", "skytune reproduce [--suite quick|paper] [--data FILE.skds] [--out DIR]",
                           "Runs the pipeline end to end: the data set (quick: the built-in simulator;\n"
                           "paper: --data, i.e. SkyServer query + fetch + pack done beforehand), the sweep of\n"
                           "every cell (resumable), then the report (tables and figures) in OUT/report.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0)) return 2;
    const char *suite = sk_args_str(&a, "suite", "quick");
    char out[2048];
    snprintf(out, sizeof out, "%s", sk_args_str(&a, "out", ""));
    if (!out[0]) snprintf(out, sizeof out, "results/%s", suite);
    sk_error err;
    char path[4096];
    sk_suite s;
    if (sk_suite_resolve(path, sizeof path, suite, &err) || sk_suite_load(&s, path, &err)) {
        fprintf(stderr, "skytune reproduce: %s\n", err.msg);
        return 1;
    }
    if (!strcmp(s.data, "file") && !sk_args_has(&a, "data")) {
        fprintf(stderr,
                "skytune reproduce: suite '%s' runs on the real SDSS cutouts. Build them first:\n"
                "  skytune dataset query --release dr16 --top 1000 --out catalog.csv\n"
                "  skytune dataset fetch --catalog catalog.csv --out raw --preset paper\n"
                "  skytune dataset pack --in raw --out sdss.skds --size 512 --val 0.2 --seed 123\n"
                "then run: skytune reproduce --suite %s --data sdss.skds\n", s.name, s.name);
        return 2;
    }
    char cmd[512];
    snprintf(cmd, sizeof cmd, "skytune reproduce --suite %s", suite);
    sk_sweep_opts o = {
        .data_path = sk_args_str(&a, "data", NULL),
        .out_dir = out,
        .cache_dir = sk_args_str(&a, "cache", NULL),
        .use_cache = 1,
        .quiet = sk_args_has(&a, "quiet"),
        .command = cmd,
    };
    sk_sweep_summary sum;
    if (sk_sweep_run(&s, &o, &sum, &err) != SK_OK) {
        fprintf(stderr, "skytune reproduce: %s\n", err.msg);
        return 1;
    }
    sk_info("sweep: %d cells: %d ran, %d already done, %d failed (%.1f s)", sum.total, sum.ran,
            sum.skipped, sum.failed, sum.seconds);
    char report_dir[2200];
    snprintf(report_dir, sizeof report_dir, "%s/report", out);
    char *rargv[] = {"--results", out, "--out", report_dir};
    int rrc = sk_cmd_report((int)SK_ARRAY_LEN(rargv), rargv);
    if (rrc) fprintf(stderr, "skytune reproduce: the report failed (exit %d)\n", rrc);
    else sk_info("report: %s/index.html", report_dir);
    return sum.failed || rrc ? 1 : 0;
}
