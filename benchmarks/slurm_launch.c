/* slurm_launch.c: what `skytune bench slurm` and `skytune reproduce --slurm` do on the login
 * node (slurm.h, sk_slurm_launch): absolute paths, the data set and the weights prepared once,
 * the scripts, and the submission, never twice while an earlier array is still queued. */
#include "slurm.h"
#include "sk_base.h"
#include "sweep.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void print_quoted(const char *s)
{
    sk_buf b;
    sk_buf_init(&b);
    sk_shell_quote(&b, s);
    printf("%.*s", (int)b.len, (const char *)b.data);
    sk_buf_free(&b);
}

static sk_status absolute(const char *path, char out[PATH_MAX], sk_error *err)
{
    if (!realpath(path, out)) return sk_error_set(err, SK_EIO, "%s: cannot resolve its absolute path: %s", path, strerror(errno));
    return SK_OK;
}

/* 1 when squeue still lists job id (queued, running or completing). */
static int job_queued(const char *job)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "squeue -h -j %s -o %%i 2>/dev/null", job);
    FILE *p = popen(cmd, "r");
    if (!p) return 0;
    char line[128];
    int found = 0;
    while (fgets(line, sizeof line, p)) found |= strspn(line, "0123456789_[]-%") > 0;
    pclose(p);
    return found;
}

static char *jobid_path(const char *out_abs) { return sk_path_join(out_abs, "slurm/sweep.jobid"); }

/* The array job id submitted earlier, if any, into job. */
static int earlier_job(const char *out_abs, char *job, size_t cap)
{
    char *p = jobid_path(out_abs);
    uint8_t *text = NULL;
    size_t n = 0;
    sk_error e;
    int ok = sk_file_exists(p) && sk_read_file(p, &text, &n, 256, &e) == SK_OK;
    free(p);
    if (ok) {
        snprintf(job, cap, "%.*s", (int)strcspn((char *)text, "\n"), (char *)text);
        ok = job[0] && strspn(job, "0123456789") == strlen(job);
    }
    free(text);
    return ok;
}

static sk_status submit(const sk_slurm_plan *plan, const char *out_abs, sk_slurm_launch_result *res, sk_error *err)
{
    printf("sbatch --parsable ");
    print_quoted(plan->sweep_sbatch);
    printf("\n");
    fflush(stdout);
    sk_status s = sk_slurm_sbatch(plan->sweep_sbatch, NULL, res->sweep_job, sizeof res->sweep_job, err);
    if (s) return s;
    res->submitted = 1;
    printf("sweep job %s (array 0-%d)\n", res->sweep_job, plan->todo - 1);
    char line[80], *jp = jobid_path(out_abs);
    snprintf(line, sizeof line, "%s\n", res->sweep_job);
    sk_error e;
    if (sk_write_file_atomic(jp, line, strlen(line), &e)) sk_warn("%s", e.msg);
    free(jp);
    char dep[96];
    snprintf(dep, sizeof dep, "--dependency=afterany:%s", res->sweep_job);
    printf("sbatch --parsable %s ", dep);
    print_quoted(plan->report_sbatch);
    printf("\n");
    fflush(stdout);
    s = sk_slurm_sbatch(plan->report_sbatch, dep, res->report_job, sizeof res->report_job, err);
    if (s) return sk_error_prefix(err, "the sweep job %s is queued, but: ", res->sweep_job);
    printf("report job %s\n", res->report_job);
    return SK_OK;
}

static void print_commands(const sk_slurm_plan *plan)
{
    printf("submit with:\n  jobid=$(sbatch --parsable ");
    print_quoted(plan->sweep_sbatch);
    printf(")\n  sbatch --parsable --dependency=afterany:${jobid%%%%;*} ");
    print_quoted(plan->report_sbatch);
    printf("\n");
}

/* Data set (once, before any task starts) and weights (nodes may have no network). */
static sk_status prepare(const sk_suite *s, const sk_slurm_launch_opts *o, const char *out_abs,
                         const char *cache_abs, char data_abs[PATH_MAX], sk_error *err)
{
    sk_sweep_opts so = {.data_path = o->data_path, .out_dir = out_abs, .cache_dir = cache_abs,
                        .weights_url = o->weights_url, .quiet = 1};
    char *data = NULL;
    sk_status st = sk_sweep_data(s, &so, &data, err);
    if (!st) st = absolute(data, data_abs, err);
    free(data);
    if (!st) st = sk_sweep_weights(s, &so, NULL, err);
    return st;
}

sk_status sk_slurm_launch(const sk_suite *s, const sk_slurm_launch_opts *o, sk_slurm_launch_result *res,
                          sk_error *err)
{
    memset(res, 0, sizeof *res);
    char suite_abs[PATH_MAX], out_abs[PATH_MAX], exe[PATH_MAX], data_abs[PATH_MAX], cache_abs[PATH_MAX];
    sk_status st = absolute(o->suite_path, suite_abs, err);
    if (!st) st = sk_mkdir_p(o->out_dir, err);
    if (!st) st = absolute(o->out_dir, out_abs, err);
    if (!st && o->cache_dir && !(st = sk_mkdir_p(o->cache_dir, err))) st = absolute(o->cache_dir, cache_abs, err);
    if (st) return st;
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (el <= 0) return sk_error_set(err, SK_EIO, "cannot read /proc/self/exe (the skytune path for the scripts)");
    exe[el] = '\0';
    if ((st = prepare(s, o, out_abs, o->cache_dir ? cache_abs : NULL, data_abs, err))) return st;

    sk_slurm_opts so = {exe, suite_abs, data_abs, out_abs, o->partition, o->time_limit, o->cpus_per_task > 0 ? o->cpus_per_task : 1,
                        o->mem, o->max_parallel, o->cache_dir ? cache_abs : NULL, o->cache_max};
    sk_slurm_plan plan;
    st = sk_slurm_generate(s, &so, &plan, err);
    if (st) {
        sk_slurm_plan_free(&plan);
        return st;
    }
    res->total = plan.total;
    res->todo = plan.todo;
    printf("suite %s: %d cells, %d already DONE, %d in the array\nwrote %s\n", s->name, plan.total,
           plan.total - plan.todo, plan.todo, plan.cells_tsv);
    char job[64];
    if (plan.todo == 0) {
        printf("nothing to do: every cell is DONE; nothing submitted (report: sbatch ");
        print_quoted(plan.report_sbatch);
        printf(")\n");
    } else if (o->submit && earlier_job(out_abs, job, sizeof job) && job_queued(job)) {
        res->queued = 1;
        snprintf(res->sweep_job, sizeof res->sweep_job, "%s", job);
        printf("the array job %s submitted earlier is still queued or running; nothing submitted "
               "(run again when it has finished)\n", job);
    } else {
        printf("wrote %s\nwrote %s\n", plan.sweep_sbatch, plan.report_sbatch);
        if (o->submit) st = submit(&plan, out_abs, res, err);
        else print_commands(&plan);
    }
    sk_slurm_plan_free(&plan);
    return st;
}
