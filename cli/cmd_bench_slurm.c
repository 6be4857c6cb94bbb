/* cmd_bench_slurm.c: `skytune bench slurm`: write (and submit) a Slurm job array for a suite.
 * Prepares the suite's data set once (so array tasks never race to render it), then writes
 * RESULTS/slurm/{cells.tsv,sweep.sbatch,report.sbatch} (benchmarks/slurm.h) and prints or runs
 * the sbatch commands. */
#include "args.h"
#include "commands.h"
#include "fileio.h"
#include "slurm.h"
#include "sweep.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void print_quoted(const char *s)
{
    sk_buf b;
    sk_buf_init(&b);
    sk_shell_quote(&b, s);
    printf("%.*s", (int)b.len, (const char *)b.data);
    sk_buf_free(&b);
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
        {"submit", SK_OPT_FLAG, NULL, "submit the array and the dependent report job with sbatch"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune bench slurm",
                           "skytune bench slurm --suite S --out RESULTS [--data D] [--partition P] [--time HH:MM:SS]\n"
                           "    [--cpus-per-task C] [--mem M] [--max-parallel K] [--submit]",
                           "Writes RESULTS/slurm/cells.tsv (every cell, its array task or '-' when DONE),\n"
                           "RESULTS/slurm/sweep.sbatch (a job array: task i runs one cell with\n"
                           "`skytune bench run --only cell=<id>`, logs in RESULTS/slurm/logs/) and\n"
                           "RESULTS/slurm/report.sbatch (`skytune report` after the array), and prints the\n"
                           "sbatch commands; --submit runs them. Cells with DONE are left out of the array;\n"
                           "when every cell is DONE nothing is submitted. `skytune bench status` lists\n"
                           "failed cells with their Slurm logs.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0) || sk_args_require(&a, "suite") || sk_args_require(&a, "out")) return 2;
    long cpus, maxpar;
    if (sk_args_long(&a, "cpus-per-task", 1, 1, 4096, &cpus) ||
        sk_args_long(&a, "max-parallel", 0, 0, 1000000, &maxpar))
        return 2;

    sk_error err;
    char suite_rel[4096], suite_abs[PATH_MAX], out_abs[PATH_MAX], exe[PATH_MAX];
    sk_suite s;
    if (sk_suite_resolve(suite_rel, sizeof suite_rel, sk_args_str(&a, "suite", ""), &err) ||
        sk_suite_load(&s, suite_rel, &err)) {
        fprintf(stderr, "skytune bench slurm: %s\n", err.msg);
        return 1;
    }
    const char *out = sk_args_str(&a, "out", "");
    if (!realpath(suite_rel, suite_abs)) {
        fprintf(stderr, "skytune bench slurm: %s: cannot resolve its absolute path\n", suite_rel);
        return 1;
    }
    if (sk_mkdir_p(out, &err)) {
        fprintf(stderr, "skytune bench slurm: %s\n", err.msg);
        return 1;
    }
    if (!realpath(out, out_abs)) {
        fprintf(stderr, "skytune bench slurm: %s: cannot resolve its absolute path\n", out);
        return 1;
    }
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (el <= 0) {
        fprintf(stderr, "skytune bench slurm: cannot read /proc/self/exe (the skytune path for the scripts)\n");
        return 1;
    }
    exe[el] = '\0';

    /* The data set, once, before any task starts. */
    char data_abs[PATH_MAX];
    const char *data_arg = sk_args_str(&a, "data", NULL);
    sk_sweep_opts so = {.data_path = data_arg, .out_dir = out_abs, .quiet = 1};
    char *data = NULL;
    if (sk_sweep_data(&s, &so, &data, &err)) {
        fprintf(stderr, "skytune bench slurm: %s\n", err.msg);
        return 1;
    }
    if (!realpath(data, data_abs)) {
        fprintf(stderr, "skytune bench slurm: %s: cannot resolve its absolute path\n", data);
        free(data);
        return 1;
    }
    free(data);

    sk_slurm_opts o = {
        .exe = exe,
        .suite_path = suite_abs,
        .data_path = data_abs,
        .out_dir = out_abs,
        .partition = sk_args_str(&a, "partition", NULL),
        .time_limit = sk_args_str(&a, "time", NULL),
        .cpus_per_task = (int)cpus,
        .mem = sk_args_str(&a, "mem", NULL),
        .max_parallel = (int)maxpar,
    };
    sk_slurm_plan plan;
    if (sk_slurm_generate(&s, &o, &plan, &err)) {
        fprintf(stderr, "skytune bench slurm: %s\n", err.msg);
        sk_slurm_plan_free(&plan);
        return 1;
    }
    printf("suite %s: %d cells, %d already DONE, %d in the array\n", s.name, plan.total, plan.total - plan.todo,
           plan.todo);
    printf("wrote %s\n", plan.cells_tsv);
    if (plan.todo == 0) {
        printf("nothing to do: every cell is DONE; nothing submitted (report: sbatch ");
        print_quoted(plan.report_sbatch);
        printf(")\n");
        sk_slurm_plan_free(&plan);
        return 0;
    }
    printf("wrote %s\nwrote %s\n", plan.sweep_sbatch, plan.report_sbatch);
    if (!sk_args_has(&a, "submit")) {
        printf("submit with:\n  jobid=$(sbatch --parsable ");
        print_quoted(plan.sweep_sbatch);
        printf(")\n  sbatch --parsable --dependency=afterany:${jobid%%%%;*} ");
        print_quoted(plan.report_sbatch);
        printf("\n");
        sk_slurm_plan_free(&plan);
        return 0;
    }
    char job[64], rjob[64], dep[96];
    printf("sbatch --parsable ");
    print_quoted(plan.sweep_sbatch);
    printf("\n");
    fflush(stdout);
    if (sk_slurm_sbatch(plan.sweep_sbatch, NULL, job, sizeof job, &err)) {
        fprintf(stderr, "skytune bench slurm: %s\n", err.msg);
        sk_slurm_plan_free(&plan);
        return 1;
    }
    printf("sweep job %s (array 0-%d)\n", job, plan.todo - 1);
    snprintf(dep, sizeof dep, "--dependency=afterany:%s", job);
    printf("sbatch --parsable %s ", dep);
    print_quoted(plan.report_sbatch);
    printf("\n");
    fflush(stdout);
    if (sk_slurm_sbatch(plan.report_sbatch, dep, rjob, sizeof rjob, &err)) {
        fprintf(stderr, "skytune bench slurm: %s (the sweep job %s is queued)\n", err.msg, job);
        sk_slurm_plan_free(&plan);
        return 1;
    }
    printf("report job %s\n", rjob);
    sk_slurm_plan_free(&plan);
    return 0;
}
