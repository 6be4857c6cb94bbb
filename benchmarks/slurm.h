/* slurm.h: a suite's sweep as a Slurm job array: generate the scripts, optionally submit them.
 *
 * Files (all under RESULTS/slurm/, written atomically):
 *   cells.tsv      every cell of the suite in suite order, one line each after a header:
 *                  index, cell, arch, level, seed, done (1/0 when generated), task (the array
 *                  index that runs it in sweep.sbatch, or '-' when it was DONE and is skipped).
 *   sweep.sbatch   an array job over the cells not DONE at generation time. The cell list is
 *                  embedded in the script (task i runs the cell whose task column is i), so a
 *                  later regeneration of cells.tsv cannot change what an already queued array
 *                  runs. Each task links RESULTS/<arch>/<cell>/slurm.log to its log
 *                  RESULTS/slurm/logs/<array job id>_<task>.log before it runs the cell.
 *   report.sbatch  `skytune report` over RESULTS, submitted with --dependency=afterany.
 * Every path in the scripts is absolute and single-quoted. Values that land on #SBATCH lines
 * (partition, time, memory) are checked against a small character set; RESULTS must not
 * contain '%', '"', '\\' or a newline (Slurm expands or cannot quote them there).
 * This is not a scheduler: it only writes scripts and calls sbatch. */
#ifndef SK_SLURM_H
#define SK_SLURM_H

#include "sk_base.h"
#include "suite.h"

typedef struct {
    const char *exe;          /* absolute path of the skytune binary */
    const char *suite_path;   /* absolute path of the .suite file */
    const char *data_path;    /* absolute path of the data set (prepared by the caller) */
    const char *out_dir;      /* absolute RESULTS directory */
    const char *partition;    /* NULL: the cluster's default */
    const char *time_limit;   /* NULL: the partition's default; e.g. 12:00:00 or 1-00:00:00 */
    int cpus_per_task;        /* >= 1 */
    const char *mem;          /* NULL: default; e.g. 16G */
    int max_parallel;         /* 0: no limit; else the array's %K */
    const char *cache_dir;    /* NULL: none; else absolute, passed to every task as --cache */
    uint64_t cache_max;       /* with cache_dir: --cache-max (0: the default) */
} sk_slurm_opts;

typedef struct {
    int total;                /* cells in the suite */
    int todo;                 /* cells in the array (not DONE) */
    char *dir;                /* RESULTS/slurm (malloc'ed) */
    char *cells_tsv, *sweep_sbatch, *report_sbatch; /* malloc'ed paths */
} sk_slurm_plan;

/* Writes cells.tsv, sweep.sbatch and report.sbatch for the suite. plan is filled (free with
 * sk_slurm_plan_free, also after an error). Errors: bad option values, unwritable files. */
sk_status sk_slurm_generate(const sk_suite *s, const sk_slurm_opts *o, sk_slurm_plan *plan,
                            sk_error *err) SK_WUR;
void sk_slurm_plan_free(sk_slurm_plan *plan);

/* Appends s to b as one shell word in single quotes (' becomes '\''). No NUL is appended. */
void sk_shell_quote(sk_buf *b, const char *s);

/* Runs `sbatch --parsable [extra...] script` (execvp, no shell) and stores the job id it
 * prints in jobid. extra may be NULL. Errors name the command and its exit status. */
sk_status sk_slurm_sbatch(const char *script, const char *extra, char *jobid, size_t cap,
                          sk_error *err) SK_WUR;

/* ---- `skytune bench slurm` and `reproduce --slurm`: prepare, generate, submit ---- */

typedef struct {
    const char *suite_path;   /* the .suite file (any path; made absolute here) */
    const char *data_path;    /* NULL: the suite's own (synth suites render it here, once) */
    const char *out_dir;      /* RESULTS (created; made absolute) */
    const char *cache_dir;    /* sweep.h cache_dir for every task (made absolute); NULL: none */
    uint64_t cache_max;
    const char *weights_url;  /* weights_get.h url_base, used here (the nodes read the cache) */
    const char *partition, *time_limit, *mem; /* NULL: the cluster's defaults */
    int cpus_per_task, max_parallel;
    int submit;               /* run sbatch; else print the commands */
} sk_slurm_launch_opts;

typedef struct {
    int total, todo;          /* cells of the suite; cells in the array (not DONE) */
    int submitted;            /* 1: sbatch ran */
    int queued;               /* 1: an array submitted earlier is still queued or running */
    char sweep_job[64], report_job[64];
} sk_slurm_launch_result;

/* Prepares the data set (synth suites) and every model's weights in the cache once, on this
 * machine (compute nodes may have no network), writes the scripts (sk_slurm_generate) and, with
 * submit, submits the array and the report job, recording the array's job id in
 * RESULTS/slurm/sweep.jobid. When that job is still known to squeue, nothing is submitted again
 * (res->queued). Prints what it did and the sbatch commands on stdout. */
sk_status sk_slurm_launch(const sk_suite *s, const sk_slurm_launch_opts *o, sk_slurm_launch_result *res,
                          sk_error *err) SK_WUR;

#endif
