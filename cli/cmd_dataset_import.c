/* cmd_dataset_import.c: `skytune dataset import`: import a folder or archive of <CLASS>/<name>.jpg|png. */
#include "args.h"
#include "commands.h"

#include <stddef.h>

int sk_cmd_dataset_import(int argc, char **argv)
{
    static const sk_opt opts[] = {{"quiet", SK_OPT_FLAG, NULL, "no progress output"}};
    sk_args a;
    int rc = sk_args_parse(&a, "skytune dataset import", "skytune dataset import [OPTIONS]",
                           "Not implemented in this build yet.", opts, 1, argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    return sk_not_implemented("dataset import");
}
