/* fuzz_manifest.c: manifest.tsv (dataset/manifest.h). What the reader accepts, the writer
 * formats and the reader accepts again, row for row. */
#include "fuzz.h"
#include "sk_dataset.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_fuzz_quiet();
    sk_manifest m, m2;
    sk_error err;
    if (sk_manifest_parse(&m, (const char *)data, size, "fuzz.tsv", &err) != SK_OK) return 0;
    sk_buf b;
    sk_buf_init(&b);
    sk_manifest_format(&m, "round trip", &b);
    SK_ASSERT_MSG(sk_manifest_parse(&m2, (const char *)b.data, b.len, "again", &err) == SK_OK, err.msg);
    SK_ASSERT(m2.nrows == m.nrows && m2.ncols == m.ncols);
    for (size_t i = 0; i < m.nrows; i++)
        for (int k = 0; k < m.ncols; k++)
            SK_ASSERT(!strcmp(sk_manifest_get(&m, i, m.cols[k]), sk_manifest_get(&m2, i, m.cols[k])));
    sk_manifest_free(&m2);
    sk_manifest_free(&m);
    sk_buf_free(&b);
    return 0;
}
