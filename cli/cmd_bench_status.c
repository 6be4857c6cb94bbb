/* cmd_bench_status.c: `skytune bench status`: which cells of a results directory are done,
 * in progress (checkpoint, no DONE), failed (FAILED, with its message) or not started. */
#include "args.h"
#include "commands.h"
#include "sk_base.h"
#include "sk_records.h"
#include "sk_benchmarks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A cell run by a Slurm array task has slurm.log, a link to RESULTS/slurm/logs/<job>_<task>.log
 * (benchmarks/slurm.h); print where the log itself is. */
static void print_slurm_log(const char *dir)
{
    char *log = sk_path_join(dir, "slurm.log");
    char target[4096];
    ssize_t n = readlink(log, target, sizeof target - 1);
    if (n > 0) {
        target[n] = '\0';
        printf("  (log: %s%s)", target, sk_file_exists(target) ? "" : ", missing");
    } else if (sk_file_exists(log)) {
        printf("  (log: %s)", log);
    }
    free(log);
}

int sk_cmd_bench_status(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"results", SK_OPT_VALUE, "DIR", "results directory of a sweep"},
        {"suite", SK_OPT_VALUE, "NAME|FILE", "the suite of the sweep (default: smoke/quick/paper as recorded)"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune bench status", "skytune bench status --results DIR --suite S",
                           "Lists every cell of the suite as done, running/interrupted, failed (with its\n"
                           "error and Slurm log, if any) or pending. Exit 1 if any cell failed.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0) || sk_args_require(&a, "results") || sk_args_require(&a, "suite")) return 2;
    sk_error err;
    char path[4096];
    sk_suite s;
    if (sk_suite_resolve(path, sizeof path, sk_args_str(&a, "suite", ""), &err) ||
        sk_suite_load(&s, path, &err)) {
        fprintf(stderr, "skytune bench status: %s\n", err.msg);
        return 1;
    }
    const char *results = sk_args_str(&a, "results", "");
    sk_cell *cells;
    int n = sk_suite_cells(&s, &cells);
    int counts[4] = {0};
    static const char *const names[4] = {"done", "started", "failed", "pending"};
    for (int i = 0; i < n; i++) {
        char *dir = sk_sweep_cell_dir(results, &cells[i]);
        char *failed = sk_path_join(dir, "FAILED");
        char *ck = sk_path_join(dir, "ckpt/last.skck");
        int st = sk_record_is_done(dir) ? 0 : sk_file_exists(failed) ? 2 : sk_file_exists(ck) ? 1 : 3;
        counts[st]++;
        printf("%-8s %s", names[st], cells[i].id);
        if (st == 2) {
            uint8_t *msg;
            size_t len;
            if (sk_read_file(failed, &msg, &len, 1 << 16, &err) == SK_OK) {
                msg[strcspn((char *)msg, "\n")] = '\0';
                printf("  %s", (char *)msg);
                free(msg);
            }
        }
        if (st == 1 || st == 2) print_slurm_log(dir);
        printf("\n");
        free(dir);
        free(failed);
        free(ck);
    }
    printf("%d cells: %d done, %d started, %d failed, %d pending\n", n, counts[0], counts[1], counts[2], counts[3]);
    free(cells);
    return counts[2] ? 1 : 0;
}
