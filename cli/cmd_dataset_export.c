/* cmd_dataset_export.c: `skytune dataset export`: .skds -> NumPy arrays or a reproducible archive. */
#include "args.h"
#include "commands.h"
#include "sk_dataset.h"

#include <stdio.h>

int sk_cmd_dataset_export(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"npy", SK_OPT_VALUE, "DIR", "write x.npy y.npy split.npy objid.npy ra.npy dec.npy class_names.txt"},
        {"archive", SK_OPT_VALUE, "OUT.tar.gz", "write PNG files + manifest.tsv, byte-reproducible"},
        {"quiet", SK_OPT_FLAG, NULL, "no summary output"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune dataset export",
                           "skytune dataset export FILE.skds [--npy DIR] [--archive OUT.tar.gz]",
                           "Writes a .skds data set as NumPy arrays for Python users and/or as a "
                           "tar.gz of PNG files whose bytes depend only on the data set (fixed "
                           "order, times, owners; gzip timestamp cleared).",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 1, 1)) return 2;
    const char *npy = sk_args_str(&a, "npy", NULL), *arc = sk_args_str(&a, "archive", NULL);
    if (!npy && !arc) {
        fprintf(stderr, "skytune dataset export: give --npy DIR and/or --archive OUT.tar.gz\n");
        return 2;
    }
    sk_error err;
    sk_skds ds;
    if (sk_skds_open(&ds, a.pos[0], SK_SKDS_OPEN_DEFAULT, &err)) {
        fprintf(stderr, "skytune dataset export: %s\n", err.msg);
        return 1;
    }
    int bad = 0;
    if (npy && sk_export_npy(&ds, npy, &err)) {
        fprintf(stderr, "skytune dataset export: %s\n", err.msg);
        bad = 1;
    }
    if (!bad && arc && sk_export_archive(&ds, arc, &err)) {
        fprintf(stderr, "skytune dataset export: %s\n", err.msg);
        bad = 1;
    }
    if (!bad && !sk_args_has(&a, "quiet"))
        fprintf(stderr, "exported %llu records from %s\n", (unsigned long long)ds.count, a.pos[0]);
    sk_skds_close(&ds);
    return bad;
}
