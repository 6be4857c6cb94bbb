/* cmd_bench.c: `skytune bench`: dispatch to one file per subcommand (cmd_bench_<sub>.c). */
#include "commands.h"

int sk_cmd_bench(int argc, char **argv)
{
    static const sk_subcommand subs[] = {
        {"run", sk_cmd_bench_run, "run a suite: every (arch, level, seed) cell, resumable"},
        {"check", sk_cmd_bench_check, "compare results against a committed baseline"},
        {"status", sk_cmd_bench_status, "list done, running and failed cells"},
        {"slurm", sk_cmd_bench_slurm, "write (and submit) a Slurm job array for a suite"},
        {"speed", sk_cmd_bench_speed, "training and inference speed benchmark"},
        {"cache", sk_cmd_bench_cache, "list or prune the on-disk frozen-prefix cache"},
    };
    return sk_dispatch("skytune bench", subs, (int)SK_ARRAY_LEN(subs), argc, argv);
}
