/* fuzz_skck.c: the .skck checkpoint reader (core/checkpoint.h). */
#include "sk_core.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_fuzz_quiet();
    sk_ckpt ck;
    sk_error err;
    if (sk_ckpt_parse(data, size, "fuzz.skck", &ck, &err) == SK_OK) {
        for (int i = 0; i < ck.ntensors; i++)
            if (ck.tensors[i].n) {
                volatile float sink = ck.tensors[i].data[ck.tensors[i].n - 1];
                (void)sink;
            }
    }
    sk_ckpt_free(&ck);
    return 0;
}
