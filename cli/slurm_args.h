/* slurm_args.h: the Slurm options `bench slurm` and `reproduce --slurm` share. */
#ifndef SK_CLI_SLURM_ARGS_H
#define SK_CLI_SLURM_ARGS_H

#include "args.h"
#include "sk_benchmarks.h"

/* --partition, --time, --mem, --cpus-per-task, --max-parallel, --submit into o (defined in
 * cmd_bench_slurm.c); 2 on a usage error (printed). */
int sk_cli_slurm_opts(const sk_args *a, sk_slurm_launch_opts *o);

#endif
