/* cmd_weights_import.c: `skytune weights import`: import Keras HDF5 or TF.js weights into a .skck checkpoint. */
#include "args.h"
#include "commands.h"

#include <stddef.h>

int sk_cmd_weights_import(int argc, char **argv)
{
    static const sk_opt opts[] = {{"quiet", SK_OPT_FLAG, NULL, "no progress output"}};
    sk_args a;
    int rc = sk_args_parse(&a, "skytune weights import", "skytune weights import [OPTIONS]",
                           "Not implemented in this build yet.", opts, 1, argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    return sk_not_implemented("weights import");
}
