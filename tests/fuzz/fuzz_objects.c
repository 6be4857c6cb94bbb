/* fuzz_objects.c: the objects CSV of `dataset cutout` (dataset/cutout.h), with and without
 * --dedupe. Accepted objects must be in range, uniquely numbered, with safe class names. */
#include "sk_dataset.h"
#include "fuzz.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_fuzz_quiet();
    for (int dedupe = 0; dedupe < 2; dedupe++) {
        sk_cutout_object *o = NULL;
        size_t n = 0;
        sk_error err;
        if (sk_cutout_parse_objects(&o, &n, (const char *)data, size, "fuzz.csv", dedupe, &err) != SK_OK)
            continue;
        for (size_t i = 0; i < n; i++) {
            SK_ASSERT(o[i].ra >= 0.0 && o[i].ra < 360.0 && o[i].dec >= -90.0 && o[i].dec <= 90.0);
            SK_ASSERT(sk_class_name_check(o[i].cls, "fuzz", NULL) == SK_OK);
            for (size_t j = 0; j < i && n < 256; j++) SK_ASSERT(o[j].objid != o[i].objid);
        }
        free(o);
    }
    return 0;
}
