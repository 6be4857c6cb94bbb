/* cmd_reproduce.c: `skytune reproduce`: the whole pipeline in resumable stages (benchmarks/
 * reproduce.h), or with --plan its work and cost (benchmarks/plan.h). Parses options and
 * dispatches; the report stage calls `skytune report` through a callback. */
#include "args.h"
#include "commands.h"
#include "slurm_args.h"
#include "sk_base.h"
#include "sk_benchmarks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sk_status run_report(void *ctx, const char *results, const char *out, sk_error *err)
{
    (void)ctx;
    char *rargv[] = {"--results", (char *)results, "--out", (char *)out};
    int rc = sk_cmd_report((int)SK_ARRAY_LEN(rargv), rargv);
    if (rc) return sk_error_set(err, SK_EIO, "skytune report --results %s --out %s failed (exit %d)", results, out, rc);
    sk_info("report: %s/index.html", out);
    return SK_OK;
}

static const sk_opt opts[] = {
    {"suite", SK_OPT_VALUE, "quick|paper|FILE", "which suite (default quick: synthetic data, minutes)"},
    {"out", SK_OPT_VALUE, "DIR", "results directory (default results/<suite>)"},
    {"data", SK_OPT_VALUE, "FILE.skds", "use this data set: no catalog, cutouts or pack stages"},
    {"catalog", SK_OPT_VALUE, "CSV", "data = sdss suites: this catalog instead of the SkyServer query"},
    {"skyserver-url", SK_OPT_VALUE, "URL", "SkyServer root for the query and ImgCutout (default $SKYTUNE_SKYSERVER_URL, else https://skyserver.sdss.org)"},
    {"weights-url", SK_OPT_VALUE, "URL", "download Keras weight files from URL/<file name> (default $SKYTUNE_WEIGHTS_URL, else the official URLs)"},
    {"jobs", SK_OPT_VALUE, "N", "cutout downloads in flight (default 4)"},
    {"max-missing", SK_OPT_VALUE, "N", "cutouts that may fail for the stage to be done (default 0)"},
    {"cache", SK_OPT_VALUE, "DIR", "cache folder: weights, and the frozen-prefix cache in DIR/prefix"},
    {"cache-max", SK_OPT_VALUE, "SIZE", "size limit of the frozen-prefix cache (default 16G)"},
    {"no-cache", SK_OPT_FLAG, NULL, "do not reuse frozen-prefix outputs"},
    {"plan", SK_OPT_FLAG, NULL, "print each stage's work and the projected cost, run nothing"},
    {"calibrate", SK_OPT_FLAG, NULL, "with --plan: time a few steps of every cell shape first and record them"},
    {"nodes", SK_OPT_VALUE, "N", "with --plan: also project the sweep on N Slurm nodes like this machine"},
    {"slurm", SK_OPT_FLAG, NULL, "hand the sweep stage to `skytune bench slurm` (options below)"},
    {"partition", SK_OPT_VALUE, "P", "--slurm: partition"},
    {"time", SK_OPT_VALUE, "HH:MM:SS", "--slurm: time limit per cell"},
    {"cpus-per-task", SK_OPT_VALUE, "C", "--slurm: cores per cell (default 1)"},
    {"mem", SK_OPT_VALUE, "M", "--slurm: memory per cell, e.g. 32G"},
    {"max-parallel", SK_OPT_VALUE, "K", "--slurm: at most K cells at once"},
    {"submit", SK_OPT_FLAG, NULL, "--slurm: submit with sbatch (else print the commands)"},
    {"quiet", SK_OPT_FLAG, NULL, "no per-epoch lines"},
};

static int do_plan(const sk_args *a, const sk_suite *s, const char *out, const char *suite_path)
{
    long nodes;
    if (sk_args_long(a, "nodes", 0, 0, 100000, &nodes)) return 2;
    sk_plan_opts po = {
        .out_dir = out,
        .cache_dir = sk_args_str(a, "cache", NULL),
        .have_data = sk_args_has(a, "data"),
        .calibrate = sk_args_has(a, "calibrate"),
        .nodes = (int)nodes,
        .use_cache = !sk_args_has(a, "no-cache"),
        .suite_path = suite_path,
    };
    sk_error err;
    if (sk_plan_print(s, &po, stdout, &err)) {
        fprintf(stderr, "skytune reproduce --plan: %s\n", err.msg);
        return 1;
    }
    return 0;
}

int sk_cmd_reproduce(int argc, char **argv)
{
    sk_args a;
    int rc = sk_args_parse(&a, "skytune reproduce",
                           "skytune reproduce [--suite quick|paper|FILE] [--out DIR] [--plan [--calibrate] [--nodes N]]\n"
                           "       [--data FILE.skds | --catalog CSV] [--cache DIR] [--slurm [--submit] ...]",
                           "Runs a suite end to end in stages, each marked done in OUT/stages/ and resumable:\n"
                           "paper (data = sdss): catalog (SkyServer SQL), cutouts (ImgCutout), pack (512 px,\n"
                           "validation 0.2, seed 123), weights (the official Keras files, verified), sweep,\n"
                           "report; quick: data (the built-in simulator), weights (ImageNet when available),\n"
                           "sweep, report. Run again, it continues from the first unfinished stage. --plan\n"
                           "prints the work and the projected hours first. Exit 0 when every stage is done (or\n"
                           "the sweep was handed to Slurm), 1 on an error (the stage is named), 2 usage.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0)) return 2;
    const char *suite = sk_args_str(&a, "suite", "quick");
    char out[2048];
    snprintf(out, sizeof out, "%s", sk_args_str(&a, "out", ""));
    if (!out[0]) snprintf(out, sizeof out, "results/%s", suite);
    long jobs, max_missing;
    sk_slurm_launch_opts so = {.suite_path = NULL};
    if (sk_args_long(&a, "jobs", 4, 1, 256, &jobs) || sk_args_long(&a, "max-missing", 0, 0, 100000000, &max_missing) ||
        sk_cli_slurm_opts(&a, &so))
        return 2;
    sk_error err;
    uint64_t cache_max = 0;
    if (sk_args_has(&a, "cache-max") && sk_parse_size(sk_args_str(&a, "cache-max", ""), &cache_max, &err)) {
        fprintf(stderr, "skytune reproduce: --cache-max: %s\n", err.msg);
        return 2;
    }
    if (sk_args_has(&a, "data") && sk_args_has(&a, "catalog")) {
        fprintf(stderr, "skytune reproduce: give --data or --catalog, not both\n");
        return 2;
    }
    char path[4096];
    sk_suite s;
    if (sk_suite_resolve(path, sizeof path, suite, &err) || sk_suite_load(&s, path, &err)) {
        fprintf(stderr, "skytune reproduce: %s\n", err.msg);
        return 1;
    }
    if (sk_args_has(&a, "plan")) return do_plan(&a, &s, out, path);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "skytune reproduce --suite %s", suite);
    so.suite_path = path;
    sk_repro_opts o = {
        .out_dir = out,
        .catalog = sk_args_str(&a, "catalog", NULL),
        .data_path = sk_args_str(&a, "data", NULL),
        .skyserver_url = sk_args_str(&a, "skyserver-url", NULL),
        .weights_url = sk_args_str(&a, "weights-url", NULL),
        .cache_dir = sk_args_str(&a, "cache", NULL),
        .cache_max = cache_max,
        .use_cache = !sk_args_has(&a, "no-cache"),
        .fetch_jobs = (int)jobs,
        .max_missing = max_missing,
        .quiet = sk_args_has(&a, "quiet"),
        .command = cmd,
        .slurm = sk_args_has(&a, "slurm") ? &so : NULL,
        .report = run_report,
    };
    sk_repro_summary sum;
    if (sk_repro_run(&s, &o, &sum, &err) != SK_OK) {
        fprintf(stderr, "skytune reproduce: %s\n(run the same command again to continue from this stage)\n", err.msg);
        return 1;
    }
    if (sum.waiting_for_slurm)
        sk_info("reproduce: the sweep is on Slurm; run the same command again when the array has finished "
                "(stages after it run then)");
    else
        sk_info("reproduce: every stage done (%d run now, %d done before); report: %s/report/index.html",
                sum.stages_run, sum.stages_skipped, out);
    return 0;
}
