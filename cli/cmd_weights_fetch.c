/* cmd_weights_fetch.c: `skytune weights fetch`: download the official Keras ImageNet weights for an architecture. */
#include "args.h"
#include "commands.h"

#include <stddef.h>

int sk_cmd_weights_fetch(int argc, char **argv)
{
    static const sk_opt opts[] = {{"quiet", SK_OPT_FLAG, NULL, "no progress output"}};
    sk_args a;
    int rc = sk_args_parse(&a, "skytune weights fetch", "skytune weights fetch [OPTIONS]",
                           "Not implemented in this build yet.", opts, 1, argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    return sk_not_implemented("weights fetch");
}
