/* fuzz_model_json.c: the TF.js layers model.json reader (arch/weights_tfjs.h). The input is
 * model.json; a 64-byte shard w.bin sits beside it, so manifests that name it read data. */
#include "fuzz.h"
#include "sk_arch.h"
#include "../../arch/weights_tfjs.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_fuzz_quiet();
    static int shard;
    if (!shard) {
        uint8_t w[64];
        for (int i = 0; i < 64; i++) w[i] = (uint8_t)(i * 7);
        free(sk_fuzz_file("w.bin", w, sizeof w));
        shard = 1;
    }
    free(sk_fuzz_file("model.json", data, size));
    sk_wset ws;
    sk_wset_init(&ws, "model.json");
    sk_error err;
    if (sk_weights_read_tfjs(sk_fuzz_dir(), &ws, &err) == SK_OK)
        for (int i = 0; i < ws.n; i++) SK_ASSERT(ws.t[i].size == 0 || ws.t[i].data);
    sk_wset_free(&ws);
    return 0;
}
