/* fuzz_catalog.c: CSV catalogs (dataset/catalog.h). Every kept row must satisfy the catalog's
 * invariants whatever the input. */
#include "sk_dataset.h"
#include "fuzz.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_fuzz_quiet();
    sk_catalog cat;
    sk_error err;
    if (sk_catalog_parse(&cat, (const char *)data, size, "fuzz.csv", &err) != SK_OK) return 0;
    for (size_t i = 0; i < cat.n; i++) {
        const sk_catalog_row *r = &cat.rows[i];
        SK_ASSERT(r->ra >= 0.0 && r->ra < 360.0 && r->dec >= -90.0 && r->dec <= 90.0);
        SK_ASSERT(r->cls >= 0 && r->cls < SK_CLASS_COUNT && r->name[0]);
    }
    sk_catalog_free(&cat);
    return 0;
}
