/* fuzz_skfc.c: the frozen-prefix cache reader (core/fcache.h): the input is the cache entry of
 * a fixed key, loaded as 2 images of 8 floats. */
#include "../../core/fcache.h"
#include "sk_base.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#define KEY "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_fuzz_quiet();
    char *path = sk_fcache_path(sk_fuzz_dir(), KEY);
    const char *base = strrchr(path, '/') + 1;
    free(sk_fuzz_file(base, data, size));
    sk_error err;
    float dst[16];
    int found = 0;
    sk_status s = sk_fcache_load(sk_fuzz_dir(), KEY, 2, 8, dst, &found, &err);
    SK_ASSERT(s != SK_OK || found == 1); /* a file that is there is either loaded or refused */
    free(path);
    return 0;
}
