/* cmd_bench_slurm.c: `skytune bench slurm`: write (and submit) a Slurm job array for a suite.
 * Parses options and calls sk_slurm_launch (benchmarks/slurm.h), which prepares the data set and
 * the weights once, writes RESULTS/slurm/{cells.tsv,sweep.sbatch,report.sbatch} and prints or
 * runs the sbatch commands. */
#include "args.h"
#include "commands.h"
#include "slurm_args.h"
#include "sk_benchmarks.h"

#include <stdio.h>

int sk_cli_slurm_opts(const sk_args *a, sk_slurm_launch_opts *o)
{
    long cpus, maxpar;
    if (sk_args_long(a, "cpus-per-task", 1, 1, 4096, &cpus) || sk_args_long(a, "max-parallel", 0, 0, 1000000, &maxpar))
        return 2;
    o->partition = sk_args_str(a, "partition", NULL);
    o->time_limit = sk_args_str(a, "time", NULL);
    o->mem = sk_args_str(a, "mem", NULL);
    o->cpus_per_task = (int)cpus;
    o->max_parallel = (int)maxpar;
    o->submit = sk_args_has(a, "submit");
    return 0;
}

int sk_cmd_bench_slurm(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"suite", SK_OPT_VALUE, "NAME|FILE", "paper, quick, smoke, or a .suite file"},
        {"data", SK_OPT_VALUE, "FILE.skds", "data set (synth suites render theirs into RESULTS/data when absent)"},
        {"out", SK_OPT_VALUE, "DIR", "results directory on a file system every node sees"},
        {"partition", SK_OPT_VALUE, "P", "Slurm partition (default: the cluster's)"},
        {"time", SK_OPT_VALUE, "HH:MM:SS", "time limit per cell (default: the partition's)"},
        {"cpus-per-task", SK_OPT_VALUE, "C", "cores per cell; OMP_NUM_THREADS follows it (default 1)"},
        {"mem", SK_OPT_VALUE, "M", "memory per cell, e.g. 16G (default: the partition's)"},
        {"max-parallel", SK_OPT_VALUE, "K", "at most K cells at once (the array's %K; default no limit)"},
        {"cache", SK_OPT_VALUE, "DIR", "cache folder every node sees: weights, and the frozen-prefix cache in DIR/prefix"},
        {"cache-max", SK_OPT_VALUE, "SIZE", "size limit of the frozen-prefix cache, e.g. 16G (default 16G)"},
        {"submit", SK_OPT_FLAG, NULL, "submit the array and the dependent report job with sbatch"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune bench slurm",
                           "skytune bench slurm --suite S --out RESULTS [--data D] [--partition P] [--time HH:MM:SS]\n"
                           "    [--cpus-per-task C] [--mem M] [--max-parallel K] [--cache DIR] [--submit]",
                           "Writes RESULTS/slurm/cells.tsv (every cell, its array task or '-' when DONE),\n"
                           "RESULTS/slurm/sweep.sbatch (a job array: task i runs one cell with\n"
                           "`skytune bench run --only cell=<id>`, logs in RESULTS/slurm/logs/) and\n"
                           "RESULTS/slurm/report.sbatch (`skytune report` after the array), and prints the\n"
                           "sbatch commands; --submit runs them. The data set and every model's weights are\n"
                           "prepared here first (compute nodes may have no network). Cells with DONE are left\n"
                           "out of the array; when every cell is DONE, or the array submitted earlier is still\n"
                           "queued, nothing is submitted. `skytune bench status` lists failed cells with their\n"
                           "Slurm logs.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0) || sk_args_require(&a, "suite") || sk_args_require(&a, "out")) return 2;
    sk_error err;
    uint64_t cache_max = 0;
    if (sk_args_has(&a, "cache-max") && sk_parse_size(sk_args_str(&a, "cache-max", ""), &cache_max, &err)) {
        fprintf(stderr, "skytune bench slurm: --cache-max: %s\n", err.msg);
        return 2;
    }
    char suite_path[4096];
    sk_suite s;
    if (sk_suite_resolve(suite_path, sizeof suite_path, sk_args_str(&a, "suite", ""), &err) ||
        sk_suite_load(&s, suite_path, &err)) {
        fprintf(stderr, "skytune bench slurm: %s\n", err.msg);
        return 1;
    }
    sk_slurm_launch_opts o = {
        .suite_path = suite_path,
        .data_path = sk_args_str(&a, "data", NULL),
        .out_dir = sk_args_str(&a, "out", ""),
        .cache_dir = sk_args_str(&a, "cache", NULL),
        .cache_max = cache_max,
    };
    if (sk_cli_slurm_opts(&a, &o)) return 2;
    sk_slurm_launch_result res;
    if (sk_slurm_launch(&s, &o, &res, &err)) {
        fprintf(stderr, "skytune bench slurm: %s\n", err.msg);
        return 1;
    }
    return 0;
}
