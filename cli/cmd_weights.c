/* cmd_weights.c: `skytune weights`: dispatch to one file per subcommand (cmd_weights_<sub>.c). */
#include "commands.h"

int sk_cmd_weights(int argc, char **argv)
{
    static const sk_subcommand subs[] = {
        {"fetch", sk_cmd_weights_fetch, "download the official Keras ImageNet weights for an architecture"},
        {"import", sk_cmd_weights_import, "import Keras HDF5 or TF.js weights into a .skck checkpoint"},
    };
    return sk_dispatch("skytune weights", subs, (int)SK_ARRAY_LEN(subs), argc, argv);
}
