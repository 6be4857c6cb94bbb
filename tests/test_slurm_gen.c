// LABELS: unit
/* test_slurm_gen.c: the Slurm job array generator without Slurm: cells.tsv lines and columns,
 * DONE cells left out of the array, the #SBATCH lines, option checks, shell quoting, and the
 * generated sweep.sbatch run by bash as array task 2 with a fake skytune that records its
 * arguments (paths with blanks and single quotes must arrive intact). */
#include "sk_base.h"
#include "sk_records.h"
#include "sk_test.h"
#include "sk_benchmarks.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *suite_text =
    "[suite]\n"
    "name = t\n"
    "seeds = 1, 2\n"
    "weights = scratch\n"
    "[arch resnet50]\n"
    "levels = 1, 11, all\n"
    "[arch vgg16]\n"
    "levels = 2\n";

static char *read_text(const char *path)
{
    uint8_t *d = NULL;
    size_t n;
    sk_error err;
    if (sk_read_file(path, &d, &n, 1 << 20, &err) != SK_OK) return NULL;
    return (char *)d;
}

static char *join3(const char *a, const char *b, const char *c)
{
    char *ab = sk_path_join(a, b);
    char *abc = sk_path_join(ab, c);
    free(ab);
    return abc;
}

int main(void)
{
    sk_error err;
    sk_suite s;
    CHECK_OK(sk_suite_parse(&s, suite_text, "t.suite", &err), &err);
    sk_cell *cells;
    int n = sk_suite_cells(&s, &cells);
    CHECK_EQ_INT(n, 8);

    /* shell quoting */
    sk_buf q;
    sk_buf_init(&q);
    sk_shell_quote(&q, "a'b c");
    sk_buf_put_u8(&q, 0);
    CHECK_STR((char *)q.data, "'a'\\''b c'");
    sk_buf_free(&q);

    char *tmp = sk_test_tmpdir("slurm_gen");
    char *out = sk_path_join(tmp, "res x'y");
    char *exe = sk_path_join(tmp, "fake skytune");
    char *argsf = sk_path_join(tmp, "args.txt");
    const char *suite_path = "/nowhere/my 'suite'.suite";
    char *data = sk_path_join(tmp, "d'a ta.skds");
    /* A fake skytune: records its environment and arguments, one per line. */
    {
        sk_buf b;
        sk_buf_init(&b);
        const char *head = "#!/bin/bash\n{ echo \"OMP=$OMP_NUM_THREADS BLAS=$OPENBLAS_NUM_THREADS\"; printf '%s\\n' \"$@\"; } > ";
        sk_buf_put_bytes(&b, head, strlen(head));
        sk_shell_quote(&b, argsf);
        sk_buf_put_u8(&b, '\n');
        CHECK_OK(sk_write_file_atomic(exe, b.data, b.len, &err), &err);
        sk_buf_free(&b);
        CHECK(chmod(exe, 0755) == 0);
    }
    /* Cell 1 (resnet50-t1-s2; cells go arch x level x seed) is DONE before generation. */
    char *done_dir = sk_sweep_cell_dir(out, &cells[1]);
    CHECK_OK(sk_mkdir_p(done_dir, &err), &err);
    CHECK_OK(sk_record_mark_done(done_dir, &err), &err);

    sk_slurm_opts o = {.exe = exe, .suite_path = suite_path, .data_path = data, .out_dir = out,
                       .partition = "gpu-a.1", .time_limit = "1-00:00:00", .cpus_per_task = 4,
                       .mem = "16G", .max_parallel = 3};
    sk_slurm_plan plan;
    CHECK_OK(sk_slurm_generate(&s, &o, &plan, &err), &err);
    CHECK_EQ_INT(plan.total, 8);
    CHECK_EQ_INT(plan.todo, 7);

    /* cells.tsv: header, then every cell in suite order with done and task columns. */
    char *tsv = read_text(plan.cells_tsv);
    CHECK(tsv != NULL);
    int task_of[8];
    if (tsv) {
        char *save = NULL;
        char *line = strtok_r(tsv, "\n", &save);
        CHECK_STR(line, "index\tcell\tarch\tlevel\tseed\tdone\ttask");
        int i = 0, next_task = 0;
        while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
            char id[96], arch[32], lv[16], task[16];
            int idx, done;
            unsigned long long seed;
            int k = sscanf(line, "%d\t%95[^\t]\t%31[^\t]\t%15[^\t]\t%llu\t%d\t%15s", &idx, id, arch, lv, &seed, &done, task);
            CHECKF(k == 7, "cells.tsv line %d: '%s'", i + 2, line);
            if (k != 7 || i >= 8) break;
            CHECK_EQ_INT(idx, i);
            CHECK_STR(id, cells[i].id);
            CHECK_STR(arch, cells[i].arch);
            CHECK_EQ_INT(seed, cells[i].seed);
            if (cells[i].level == SK_LEVEL_ALL) CHECK_STR(lv, "all");
            else CHECK_EQ_INT(atoi(lv), cells[i].level);
            CHECK_EQ_INT(done, i == 1);
            if (i == 1) {
                CHECK_STR(task, "-");
                task_of[i] = -1;
            } else {
                CHECK_EQ_INT(atoi(task), next_task);
                task_of[i] = next_task++;
            }
            i++;
        }
        CHECK_EQ_INT(i, 8);
        free(tsv);
    }

    /* sweep.sbatch: the #SBATCH lines. */
    char *sb = read_text(plan.sweep_sbatch);
    CHECK(sb != NULL);
    if (sb) {
        CHECK(strncmp(sb, "#!/bin/bash\n", 12) == 0);
        CHECK(strstr(sb, "\n#SBATCH --array=0-6%3\n") != NULL);
        CHECK(strstr(sb, "\n#SBATCH --cpus-per-task=4\n") != NULL);
        CHECK(strstr(sb, "\n#SBATCH --partition=gpu-a.1\n") != NULL);
        CHECK(strstr(sb, "\n#SBATCH --time=1-00:00:00\n") != NULL);
        CHECK(strstr(sb, "\n#SBATCH --mem=16G\n") != NULL);
        CHECK(strstr(sb, "/slurm/logs/%A_%a.log\"\n") != NULL);
        CHECK(strstr(sb, cells[1].id) == NULL); /* the DONE cell is not in the array */
        free(sb);
    }
    char *rep = read_text(plan.report_sbatch);
    CHECK(rep && strstr(rep, "report --results \"$RESULTS\" --out \"$RESULTS/report\"") != NULL);
    CHECK(rep && strstr(rep, "#SBATCH --dependency") == NULL); /* given at submit time */
    free(rep);

    /* Run the script as array task 2 of job 77 with bash: the fake skytune gets the cell. */
    {
        sk_buf c;
        sk_buf_init(&c);
        const char *pre = "SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_JOB_ID=77 SLURM_CPUS_PER_TASK=4 bash ";
        sk_buf_put_bytes(&c, pre, strlen(pre));
        sk_shell_quote(&c, plan.sweep_sbatch);
        const char *post = " >/dev/null";
        sk_buf_put_bytes(&c, post, strlen(post) + 1);
        CHECK_EQ_INT(system((char *)c.data), 0);
        sk_buf_free(&c);
        int cell2 = -1;
        for (int i = 0; i < 8; i++)
            if (task_of[i] == 2) cell2 = i;
        CHECK(cell2 == 3);
        char *got = read_text(argsf);
        CHECK(got != NULL);
        if (got && cell2 >= 0) {
            char want[8192];
            snprintf(want, sizeof want,
                     "OMP=4 BLAS=4\nbench\nrun\n--suite\n%s\n--out\n%s\n--data\n%s\n--only\ncell=%s\n", suite_path,
                     out, data, cells[cell2].id);
            CHECK_STR(got, want);
            char *cdir = sk_sweep_cell_dir(out, &cells[cell2]);
            char *link = sk_path_join(cdir, "slurm.log");
            char target[4096];
            ssize_t tl = readlink(link, target, sizeof target - 1);
            CHECK(tl > 0);
            if (tl > 0) {
                target[tl] = '\0';
                char *want_log = join3(out, "slurm/logs", "77_2.log");
                CHECK_STR(target, want_log);
                free(want_log);
            }
            free(link);
            free(cdir);
        }
        free(got);
        /* A task index past the list fails instead of running something. */
        sk_buf_init(&c);
        const char *pre9 = "SLURM_ARRAY_TASK_ID=9 SLURM_ARRAY_JOB_ID=77 bash ";
        sk_buf_put_bytes(&c, pre9, strlen(pre9));
        sk_shell_quote(&c, plan.sweep_sbatch);
        const char *post9 = " >/dev/null 2>&1";
        sk_buf_put_bytes(&c, post9, strlen(post9) + 1);
        CHECK(system((char *)c.data) != 0);
        sk_buf_free(&c);
    }
    sk_slurm_plan_free(&plan);

    /* Every cell DONE: an empty plan, no sweep.sbatch left to submit. */
    for (int i = 0; i < n; i++) {
        char *d = sk_sweep_cell_dir(out, &cells[i]);
        CHECK_OK(sk_mkdir_p(d, &err), &err);
        CHECK_OK(sk_record_mark_done(d, &err), &err);
        free(d);
    }
    CHECK_OK(sk_slurm_generate(&s, &o, &plan, &err), &err);
    CHECK_EQ_INT(plan.todo, 0);
    CHECK(!sk_file_exists(plan.sweep_sbatch));
    CHECK(sk_file_exists(plan.report_sbatch));
    sk_slurm_plan_free(&plan);

    /* Option checks. */
    sk_slurm_opts bad = o;
    bad.partition = "a b";
    CHECK(sk_slurm_generate(&s, &bad, &plan, &err) == SK_EINVAL && strstr(err.msg, "--partition"));
    sk_slurm_plan_free(&plan);
    bad = o;
    bad.time_limit = "1h;rm";
    CHECK(sk_slurm_generate(&s, &bad, &plan, &err) == SK_EINVAL && strstr(err.msg, "--time"));
    sk_slurm_plan_free(&plan);
    bad = o;
    bad.out_dir = "/tmp/a%b";
    CHECK(sk_slurm_generate(&s, &bad, &plan, &err) == SK_EINVAL && strstr(err.msg, "'%'"));
    sk_slurm_plan_free(&plan);
    bad = o;
    bad.data_path = "rel.skds";
    CHECK(sk_slurm_generate(&s, &bad, &plan, &err) == SK_EINVAL && strstr(err.msg, "absolute"));
    sk_slurm_plan_free(&plan);
    bad = o;
    bad.cpus_per_task = 0;
    CHECK(sk_slurm_generate(&s, &bad, &plan, &err) == SK_EINVAL);
    sk_slurm_plan_free(&plan);

    free(done_dir);
    free(data);
    free(argsf);
    free(exe);
    free(out);
    free(tmp);
    free(cells);
    return sk_test_finish();
}
