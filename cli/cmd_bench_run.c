/* cmd_bench_run.c: `skytune bench run`: run a suite: every (arch, level, seed) cell, resumable. */
#include "args.h"
#include "commands.h"

#include <stddef.h>

int sk_cmd_bench_run(int argc, char **argv)
{
    static const sk_opt opts[] = {{"quiet", SK_OPT_FLAG, NULL, "no progress output"}};
    sk_args a;
    int rc = sk_args_parse(&a, "skytune bench run", "skytune bench run [OPTIONS]",
                           "Not implemented in this build yet.", opts, 1, argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    return sk_not_implemented("bench run");
}
