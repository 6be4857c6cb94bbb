/* cmd_weights.c: `skytune weights`: dispatch to one file per subcommand (cmd_weights_<sub>.c). */
#include "commands.h"

int sk_cmd_weights(int argc, char **argv)
{
    static const sk_subcommand subs[] = {
        {"fetch", sk_cmd_weights_fetch, "download the official Keras ImageNet weights for an architecture"},
        {"import", sk_cmd_weights_import, "import Keras HDF5 or TF.js weights into a .skck checkpoint"},
        {"export", sk_cmd_weights_export, "a trained cell's weights as Keras HDF5 or a TF.js layers model"},
        {"compare", sk_cmd_weights_compare, "compare the tensors of two .skck checkpoints bit for bit"},
    };
    return sk_dispatch("skytune weights", subs, (int)SK_ARRAY_LEN(subs), argc, argv);
}
