/* fuzz_archive.c: `dataset import` of an archive (dataset/import.h), from memory into a fresh
 * folder. Whatever the archive, nothing may be written outside that folder and a failed import
 * must leave it as it was (absent). */
#include "sk_base.h"
#include "fuzz.h"
#include "sk_dataset.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_fuzz_quiet();
    char *out = sk_path_join(sk_fuzz_dir(), "out");
    sk_error err;
    sk_import_opts o;
    sk_import_opts_init(&o);
    o.max_entry_bytes = (uint64_t)4 << 20;
    o.max_total_bytes = (uint64_t)16 << 20;
    o.max_entries = 1000;
    sk_status s = sk_import_memory(data, size, "fuzz.tar", out, &o, NULL, &err);
    SK_ASSERT_MSG(s == SK_OK || !sk_path_exists(out), "a failed import left its output folder");
    SK_ASSERT(sk_remove_tree(out, &err) == SK_OK);
    free(out);
    return 0;
}
