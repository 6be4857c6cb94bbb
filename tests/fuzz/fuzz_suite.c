/* fuzz_suite.c: benchmark suite files (benchmarks/suite.h); the cells of an accepted suite can
 * be listed. */
#include "fuzz.h"
#include "sk_benchmarks.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_fuzz_quiet();
    char *text = sk_fuzz_text(data, size);
    sk_suite s;
    sk_error err;
    if (sk_suite_parse(&s, text, "fuzz.suite", &err) == SK_OK) {
        sk_cell *cells = NULL;
        int n = sk_suite_cells(&s, &cells);
        SK_ASSERT(n >= 0);
        free(cells);
    }
    free(text);
    return 0;
}
