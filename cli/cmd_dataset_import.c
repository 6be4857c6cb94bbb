/* cmd_dataset_import.c: `skytune dataset import`: a folder or archive of <CLASS>/<name>.jpg|png. */
#include "args.h"
#include "commands.h"
#include "sk_dataset.h"

#include <stdio.h>

int sk_cmd_dataset_import(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"out", SK_OPT_VALUE, "DIR", "destination folder (DIR/<CLASS>/<name>)"},
        {"strip-components", SK_OPT_VALUE, "N", "drop N leading path components first (like tar)"},
        {"max-entry-mb", SK_OPT_VALUE, "MB", "largest accepted entry (default 64)"},
        {"max-total-gb", SK_OPT_VALUE, "GB", "largest accepted total (default 64)"},
        {"overwrite", SK_OPT_FLAG, NULL, "replace files that already exist in DIR (and let a later duplicate entry win)"},
        {"quiet", SK_OPT_FLAG, NULL, "no progress output"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune dataset import",
                           "skytune dataset import ARCHIVE_OR_DIR --out DIR [OPTIONS]",
                           "Copies <CLASS>/<name>.jpg|png images from a folder or an archive (tar, "
                           "tar.gz, tar.bz2, tar.xz, tar.zst, zip) into DIR, streamed through "
                           "libarchive. Refuses absolute paths, '..', links, device files, oversized "
                           "entries, files that are not the image their name says, duplicate entries "
                           "and files that already exist in DIR (unless --overwrite). All or nothing: "
                           "entries are staged in DIR/.import.tmp.<pid> and moved into place only when "
                           "all passed; on any error DIR is left as it was.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 1, 1) || sk_args_require(&a, "out")) return 2;
    sk_import_opts o;
    sk_import_opts_init(&o);
    long strip, mb, gb;
    if (sk_args_long(&a, "strip-components", 0, 0, 32, &strip) ||
        sk_args_long(&a, "max-entry-mb", 64, 1, 4096, &mb) ||
        sk_args_long(&a, "max-total-gb", 64, 1, 1L << 20, &gb))
        return 2;
    o.strip_components = (int)strip;
    o.max_entry_bytes = (uint64_t)mb << 20;
    o.max_total_bytes = (uint64_t)gb << 30;
    o.progress = !sk_args_has(&a, "quiet");
    o.overwrite = sk_args_has(&a, "overwrite");
    sk_error err;
    sk_import_stats st;
    const char *out = sk_args_str(&a, "out", NULL);
    if (sk_import(a.pos[0], out, &o, &st, &err)) {
        fprintf(stderr, "skytune dataset import: %s\n", err.msg);
        return 1;
    }
    if (!sk_args_has(&a, "quiet"))
        fprintf(stderr, "imported %llu images (%u classes, %.1f MB) into %s; %llu entries skipped, "
                "%llu existing files replaced\n", (unsigned long long)st.images, st.classes,
                (double)st.bytes / 1e6, out, (unsigned long long)st.skipped,
                (unsigned long long)st.replaced);
    return 0;
}
