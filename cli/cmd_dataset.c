/* cmd_dataset.c: `skytune dataset`: dispatch to one file per subcommand (cmd_dataset_<sub>.c). */
#include "commands.h"

int sk_cmd_dataset(int argc, char **argv)
{
    static const sk_subcommand subs[] = {
        {"query", sk_cmd_dataset_query, "run a SkyServer SQL query into a catalog CSV"},
        {"fetch", sk_cmd_dataset_fetch, "download cutouts for a catalog (libcurl, parallel, resumable)"},
        {"cutout", sk_cmd_dataset_cutout, "cut SkyServer-like colour cutouts from SDSS frame files"},
        {"synth", sk_cmd_dataset_synth, "render the SDSS-calibrated synthetic data set"},
        {"import", sk_cmd_dataset_import, "import a folder or archive of <CLASS>/<name>.jpg|png"},
        {"pack", sk_cmd_dataset_pack, "decode, resize and split images into a .skds file"},
        {"info", sk_cmd_dataset_info, "print a .skds header and class counts"},
        {"verify", sk_cmd_dataset_verify, "check every checksum of a .skds file"},
        {"export", sk_cmd_dataset_export, "write a .skds as NumPy arrays or a reproducible archive"},
    };
    return sk_dispatch("skytune dataset", subs, (int)SK_ARRAY_LEN(subs), argc, argv);
}
