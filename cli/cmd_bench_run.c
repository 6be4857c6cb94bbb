/* cmd_bench_run.c: `skytune bench run`: a suite's grid, resumable, failures reported. */
#include "args.h"
#include "commands.h"
#include "sk_base.h"
#include "sk_benchmarks.h"

#include <stdio.h>
#include <string.h>

/* Joins argv into one provenance string. */
static void command_line(char *buf, size_t cap, const char *prefix, int argc, char **argv)
{
    size_t n = (size_t)snprintf(buf, cap, "%s", prefix);
    for (int i = 0; i < argc && n < cap; i++) n += (size_t)snprintf(buf + n, cap - n, " %s", argv[i]);
}

int sk_cmd_bench_run(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"suite", SK_OPT_VALUE, "NAME|FILE", "paper, quick, smoke, or a .suite file"},
        {"data", SK_OPT_VALUE, "FILE.skds", "data set (quick and smoke synthesize their own when absent)"},
        {"out", SK_OPT_VALUE, "DIR", "results directory (one sub-directory per cell)"},
        {"only", SK_OPT_VALUE, "FILTER", "cells to run, e.g. arch=resnet50,level=6 (keys arch, level, seed, cell; '+' for alternatives)"},
        {"cache", SK_OPT_VALUE, "DIR", "cache folder: weights, and the frozen-prefix cache in DIR/prefix"},
        {"cache-max", SK_OPT_VALUE, "SIZE", "size limit of the frozen-prefix cache, e.g. 16G (default 16G)"},
        {"weights-url", SK_OPT_VALUE, "URL", "download missing Keras weight files from URL/<file name> (default $SKYTUNE_WEIGHTS_URL, else the official URLs)"},
        {"no-cache", SK_OPT_FLAG, NULL, "do not reuse frozen-prefix outputs"},
        {"quiet", SK_OPT_FLAG, NULL, "no per-epoch lines"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune bench run", "skytune bench run --suite S --out RESULTS [--data FILE.skds] [--only FILTER]",
                           "Runs every (arch, level, seed) cell of a suite. Cells with DONE are skipped,\n"
                           "interrupted cells resume from their last epoch, a failed cell does not stop the\n"
                           "others; the exit status is non-zero if any cell failed.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0) || sk_args_require(&a, "suite") || sk_args_require(&a, "out")) return 2;
    sk_error err;
    uint64_t cache_max = 0;
    if (sk_args_has(&a, "cache-max") && sk_parse_size(sk_args_str(&a, "cache-max", ""), &cache_max, &err)) {
        fprintf(stderr, "skytune bench run: --cache-max: %s\n", err.msg);
        return 2;
    }
    char path[4096];
    sk_suite s;
    if (sk_suite_resolve(path, sizeof path, sk_args_str(&a, "suite", ""), &err) ||
        sk_suite_load(&s, path, &err)) {
        fprintf(stderr, "skytune bench run: %s\n", err.msg);
        return 1;
    }
    char cmd[4096];
    command_line(cmd, sizeof cmd, "skytune bench run", argc, argv);
    sk_sweep_opts o = {
        .data_path = sk_args_str(&a, "data", NULL),
        .out_dir = sk_args_str(&a, "out", NULL),
        .only = sk_args_str(&a, "only", NULL),
        .cache_dir = sk_args_str(&a, "cache", NULL),
        .cache_max = cache_max,
        .weights_url = sk_args_str(&a, "weights-url", NULL),
        .use_cache = !sk_args_has(&a, "no-cache"),
        .quiet = sk_args_has(&a, "quiet"),
        .command = cmd,
    };
    sk_sweep_summary sum;
    if (sk_sweep_run(&s, &o, &sum, &err) != SK_OK) {
        fprintf(stderr, "skytune bench run: %s\n", err.msg);
        return 1;
    }
    fprintf(stderr, "skytune bench run: suite %s: %d cells: %d ran, %d already done, %d failed (%.1f s)\n",
            s.name, sum.total, sum.ran, sum.skipped, sum.failed, sum.seconds);
    return sum.failed ? 1 : 0;
}
