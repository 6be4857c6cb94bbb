/* cmd_dataset_query.c: `skytune dataset query`: run a SkyServer SQL query into a catalog CSV. */
#include "args.h"
#include "commands.h"

#include <stddef.h>

int sk_cmd_dataset_query(int argc, char **argv)
{
    static const sk_opt opts[] = {{"quiet", SK_OPT_FLAG, NULL, "no progress output"}};
    sk_args a;
    int rc = sk_args_parse(&a, "skytune dataset query", "skytune dataset query [OPTIONS]",
                           "Not implemented in this build yet.", opts, 1, argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    return sk_not_implemented("dataset query");
}
