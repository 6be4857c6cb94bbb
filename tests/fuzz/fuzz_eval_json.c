/* fuzz_eval_json.c: eval.json as `skytune evaluate` hands it to the report (records/eval.h):
 * every reader check on arbitrary bytes; an accepted file has consistent counts and curves. */
#include "sk_records.h"
#include "fuzz.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_fuzz_quiet();
    char *path = sk_fuzz_file("eval.json", data, size);
    sk_error err;
    sk_eval_record *e = malloc(sizeof *e);
    SK_ASSERT(e);
    if (sk_eval_read(path, e, &err) == SK_OK) {
        int64_t total = 0;
        for (int b = 0; b < SK_EVAL_BINS; b++) total += e->bins[b].count;
        SK_ASSERT(total == e->n && e->num_classes >= 2 && e->num_classes <= SK_RECORD_MAX_CLASSES);
        for (int c = 0; c < e->num_classes; c++) SK_ASSERT(e->roc[c].n == 0 || e->roc[c].fpr[e->roc[c].n - 1] == 1);
        sk_eval_free(e);
    }
    free(e);
    free(path);
    return 0;
}
