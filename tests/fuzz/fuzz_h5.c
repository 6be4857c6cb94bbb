/* fuzz_h5.c: the Keras HDF5 weight reader (arch/weights_h5.h), through libhdf5 on a file. */
#include "fuzz.h"
#include "sk_arch.h"
#include "../../arch/weights_h5.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_fuzz_quiet();
    char *p = sk_fuzz_file("w.h5", data, size);
    sk_wset ws;
    sk_wset_init(&ws, p);
    sk_error err;
    if (sk_weights_read_h5(p, &ws, &err) == SK_OK)
        for (int i = 0; i < ws.n; i++) SK_ASSERT(ws.t[i].size == 0 || ws.t[i].data);
    sk_wset_free(&ws);
    free(p);
    return 0;
}
