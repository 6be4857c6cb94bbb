/* cmd_report.c: `skytune report`. */
#include "commands.h"
#include "args.h"

#include <stddef.h>

int sk_cmd_report(int argc, char **argv)
{
    static const sk_opt opts[] = {{"quiet", SK_OPT_FLAG, NULL, "no progress output"}};
    sk_args a;
    int rc = sk_args_parse(&a, "skytune report", "skytune report [OPTIONS]", "Not implemented in this build yet.", opts, 1, argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    return sk_not_implemented("report");
}
