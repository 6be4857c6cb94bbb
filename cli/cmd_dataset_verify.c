/* cmd_dataset_verify.c: `skytune dataset verify`: check every field and checksum of .skds files. */
#include "args.h"
#include "commands.h"
#include "sk_base.h"
#include "sk_dataset.h"

#include <inttypes.h>
#include <stdio.h>

int sk_cmd_dataset_verify(int argc, char **argv)
{
    static const sk_opt opts[] = {{"quiet", SK_OPT_FLAG, NULL, "print nothing on success"}};
    sk_args a;
    int rc = sk_args_parse(&a, "skytune dataset verify", "skytune dataset verify [OPTIONS] FILE.skds...",
                           "Checks magic, version, sizes, every field and every CRC-32 of each "
                           "file. Exit status 0 only if every file is intact.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 1, SK_ARGS_MAX_POS)) return 2;
    int bad = 0;
    for (int i = 0; i < a.npos; i++) {
        sk_error err;
        sk_skds ds;
        if (sk_skds_open(&ds, a.pos[i], SK_SKDS_OPEN_DEFAULT, &err)) {
            fprintf(stderr, "skytune dataset verify: FAILED: %s\n", err.msg);
            bad++;
            continue;
        }
        if (!sk_args_has(&a, "quiet"))
            printf("%s: OK (%" PRIu64 " records, %ux%ux%u, %" PRIu64 " bytes)\n", a.pos[i], ds.count,
                   ds.h.height, ds.h.width, ds.h.channels, ds.file_size);
        sk_skds_close(&ds);
    }
    return bad ? 1 : 0;
}
