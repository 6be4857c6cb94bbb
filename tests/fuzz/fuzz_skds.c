/* fuzz_skds.c: the .skds reader (dataset/skds.h), with and without the pixel CRC; every record
 * of an accepted file is readable. */
#include "fuzz.h"
#include "sk_dataset.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_fuzz_quiet();
    for (unsigned flags = 0; flags < 2; flags++) {
        sk_skds ds;
        sk_error err;
        if (sk_skds_open_buffer(&ds, data, size, "fuzz.skds", flags, &err) != SK_OK) continue;
        uint64_t *counts = sk_xcalloc((size_t)ds.h.nclasses * SK_SPLIT_COUNT, sizeof *counts);
        sk_skds_class_counts(&ds, counts);
        free(counts);
        if (ds.count) {
            volatile uint8_t sink = ((const uint8_t *)sk_skds_pixels(&ds, ds.count - 1))[ds.record_bytes - 1];
            (void)sink;
        }
        sk_skds_close(&ds);
    }
    return 0;
}
