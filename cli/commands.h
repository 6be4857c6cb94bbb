/* commands.h: one entry point per top-level subcommand; each file cmd_<name>.c implements one.
 * argv[0] is the first word after the subcommand name. Returns the process exit status:
 * 0 success, 1 failure of the work, 2 usage error. */
#ifndef SK_COMMANDS_H
#define SK_COMMANDS_H

#include "sk_base.h"

int sk_cmd_dataset(int argc, char **argv);
int sk_cmd_arch(int argc, char **argv);
int sk_cmd_weights(int argc, char **argv);
int sk_cmd_train(int argc, char **argv);
int sk_cmd_bench(int argc, char **argv);
int sk_cmd_report(int argc, char **argv);
int sk_cmd_reproduce(int argc, char **argv);
int sk_cmd_predict(int argc, char **argv);
int sk_cmd_evaluate(int argc, char **argv);

/* Subcommands of the command groups, one file each (cmd_<group>_<sub>.c). */
int sk_cmd_dataset_query(int argc, char **argv);
int sk_cmd_dataset_fetch(int argc, char **argv);
int sk_cmd_dataset_cutout(int argc, char **argv);
int sk_cmd_dataset_synth(int argc, char **argv);
int sk_cmd_dataset_import(int argc, char **argv);
int sk_cmd_dataset_pack(int argc, char **argv);
int sk_cmd_dataset_info(int argc, char **argv);
int sk_cmd_dataset_verify(int argc, char **argv);
int sk_cmd_dataset_export(int argc, char **argv);
int sk_cmd_bench_run(int argc, char **argv);
int sk_cmd_bench_check(int argc, char **argv);
int sk_cmd_bench_status(int argc, char **argv);
int sk_cmd_bench_slurm(int argc, char **argv);
int sk_cmd_bench_speed(int argc, char **argv);
int sk_cmd_bench_cache(int argc, char **argv);
int sk_cmd_weights_fetch(int argc, char **argv);
int sk_cmd_weights_import(int argc, char **argv);
int sk_cmd_weights_export(int argc, char **argv);
int sk_cmd_weights_compare(int argc, char **argv);

/* Sub-subcommand dispatch shared by the command groups (dataset, arch, weights, bench). */
typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} sk_subcommand;

int sk_dispatch(const char *prog, const sk_subcommand *subs, int nsubs, int argc, char **argv);

/* --formats LIST of `skytune report` and `evaluate`: png,pdf,svg -> SK_FMT_* bits; prints the
 * error naming cmd and returns SK_ARGS_ERROR for anything else. */
int sk_parse_formats(const char *cmd, const char *s, unsigned *out);

/* Prints that a command is not part of this build yet; returns exit status 1. */
int sk_not_implemented(const char *what);

#endif
