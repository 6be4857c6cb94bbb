/* cmd_dataset_info.c: `skytune dataset info`: print a .skds header and class counts. */
#include "args.h"
#include "commands.h"
#include "sk_dataset.h"

#include <stdio.h>

int sk_cmd_dataset_info(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"quiet", SK_OPT_FLAG, NULL, "no progress output"},
        {"no-pixel-crc", SK_OPT_FLAG, NULL, "skip the pixel checksum (fast on big files)"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune dataset info", "skytune dataset info [OPTIONS] FILE.skds",
                           "Prints the header, provenance and the class counts per split of a "
                           ".skds file (after checking it).",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 1, 1)) return 2;
    sk_error err;
    sk_skds ds;
    unsigned flags = sk_args_has(&a, "no-pixel-crc") ? SK_SKDS_OPEN_SKIP_PIXEL_CRC : 0;
    if (sk_skds_open(&ds, a.pos[0], flags, &err)) {
        fprintf(stderr, "skytune dataset info: %s\n", err.msg);
        return 1;
    }
    sk_skds_print_info(&ds, a.pos[0], stdout);
    sk_skds_close(&ds);
    return 0;
}
