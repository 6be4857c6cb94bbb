/* fuzz_image.c: the JPEG and PNG decoders (dataset/image.h), TensorFlow's settings and the fast
 * DCT-scaled path; a decoded image has the size it says. */
#include "fuzz.h"
#include "sk_dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_fuzz_quiet();
    for (int pass = 0; pass < 2; pass++) {
        sk_decode_opts o;
        sk_decode_opts_init(&o);
        if (pass) o.scale_denom = 4;
        sk_image img;
        sk_error err;
        if (sk_image_decode(&img, data, size, &o, "fuzz", &err) != SK_OK) continue;
        SK_ASSERT(img.width > 0 && img.height > 0 && img.channels == 3 && img.px);
        volatile uint8_t sink = img.px[(size_t)img.width * img.height * 3 - 1];
        (void)sink;
        sk_image_free(&img);
    }
    return 0;
}
