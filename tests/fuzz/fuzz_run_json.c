/* fuzz_run_json.c: a result cell's run.json and metrics.jsonl as the report reads them
 * (report/report_records.h). The input is run.json, a NUL byte, then metrics.jsonl (without a
 * NUL: run.json only, metrics.jsonl empty); a DONE marker makes the folder a complete cell. */
#include "fuzz.h"
#include "../../report/report_records.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_fuzz_quiet();
    const uint8_t *nul = memchr(data, 0, size);
    size_t n1 = nul ? (size_t)(nul - data) : size;
    char *a = sk_fuzz_file("run.json", data, n1);
    char *b = sk_fuzz_file("metrics.jsonl", nul ? nul + 1 : data, nul ? size - n1 - 1 : 0);
    char *c = sk_fuzz_file("DONE", "", 0);
    const char *cell = sk_fuzz_dir();
    sk_error err;
    sk_report_run r;
    if (sk_report_run_load(&r, cell, &err) == SK_OK) SK_ASSERT(r.n_epochs >= 0 && (r.n_epochs == 0 || r.epochs != NULL));
    sk_report_run_free(&r);
    free(a);
    free(b);
    free(c);
    return 0;
}
