/* fuzz_fits.c: SDSS frame files (dataset/fits_frame.h): FITS in memory, and the same bytes as a
 * bzip2 stream (the .fits.bz2 path), under a small size limit. */
#include "../../dataset/fits_frame.h"
#include "fuzz.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_fuzz_quiet();
    sk_frame f;
    sk_error err;
    if (sk_frame_read_mem(&f, data, size, "fuzz.fits", &err) == SK_OK) {
        SK_ASSERT(f.width > 0 && f.height > 0 && f.pix);
        sk_frame_free(&f);
    }
    uint8_t *out = NULL;
    size_t n = 0;
    if (sk_bz2_decompress(&out, &n, data, size, (size_t)64 << 20, "fuzz.fits.bz2", &err) == SK_OK) {
        if (sk_frame_read_mem(&f, out, n, "fuzz.fits", &err) == SK_OK) sk_frame_free(&f);
        free(out);
    }
    return 0;
}
