// LABELS: unit dataset
// LIBS: sk_dataset
/* test_image.c: TF half-pixel bilinear and area resize against values worked out by hand,
 * float -> uint8 rounding, JPEG/PNG round trips and conversions (grey, alpha), and bad input:
 * truncated and bit-flipped JPEG/PNG, non-images, decompression bombs refused before decoding. */
#include "sk_base.h"
#include "sk_dataset.h"
#include "sk_test.h"

#include <stdlib.h>
#include <string.h>

/* 4x4 image, 3 channels: channel k of pixel (y, x) is 10y + x + 100k (a linear ramp, which
 * bilinear interpolation reproduces exactly at any in-range source coordinate). */
static void ramp4(uint8_t *px)
{
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++)
            for (int k = 0; k < 3; k++) px[(y * 4 + x) * 3 + k] = (uint8_t)(10 * y + x + 100 * k);
}

static void test_bilinear(void)
{
    uint8_t in[48];
    ramp4(in);
    float out[8 * 8 * 3];

    /* 4 -> 2: source coords (i + 0.5) * 2 - 0.5 = 0.5, 2.5: the mean of each 2x2 block. */
    sk_resize_bilinear_tf(out, in, 4, 4, 2, 2, 3);
    static const float e2[4] = {5.5f, 7.5f, 25.5f, 27.5f};
    for (int i = 0; i < 4; i++) {
        CHECK_NEAR(out[i * 3], e2[i], 0);
        CHECK_NEAR(out[i * 3 + 2], e2[i] + 200, 0);
    }

    /* 4 -> 3: scale 4/3, source coords 1/6, 3/2, 17/6 (all inside): value 10a + b. */
    sk_resize_bilinear_tf(out, in, 4, 4, 3, 3, 3);
    static const double c3[3] = {1.0 / 6.0, 1.5, 17.0 / 6.0};
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 3; x++) {
            CHECK_NEAR(out[(y * 3 + x) * 3], 10 * c3[y] + c3[x], 2e-5);
            CHECK_NEAR(out[(y * 3 + x) * 3 + 1], 100 + 10 * c3[y] + c3[x], 2e-5);
        }

    /* 4 -> 8: source coords i/2 - 1/4, clamped to [0, 3] at the edges: 0, .25, .75, ... 2.75, 3.
     * All dyadic, so exact. */
    sk_resize_bilinear_tf(out, in, 4, 4, 8, 8, 3);
    static const float c8[8] = {0.0f, 0.25f, 0.75f, 1.25f, 1.75f, 2.25f, 2.75f, 3.0f};
    int exact = 1;
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++)
            for (int k = 0; k < 3; k++)
                exact &= out[(y * 8 + x) * 3 + k] == 10 * c8[y] + c8[x] + 100 * k;
    CHECKF(exact, "4x4 -> 8x8 half-pixel bilinear equals 10*c(y) + c(x) exactly");

    /* A non-linear 2x2 -> 3x3: corners copy (edge clamp), the centre is the mean of all four. */
    const uint8_t sq[4] = {0, 100, 200, 50};
    float o3[9];
    sk_resize_bilinear_tf(o3, sq, 2, 2, 3, 3, 1);
    static const float e3[9] = {0, 50, 100, 100, 87.5f, 75, 200, 125, 50};
    for (int i = 0; i < 9; i++) CHECK_NEAR(o3[i], e3[i], 1e-3);
    /* Identity size is the identity. */
    sk_resize_bilinear_tf(out, in, 4, 4, 4, 4, 3);
    int same = 1;
    for (int i = 0; i < 48; i++) same &= out[i] == in[i];
    CHECK(same);
}

static void test_area(void)
{
    uint8_t in[48];
    ramp4(in);
    float out[16 * 3];
    sk_resize_area(out, in, 4, 4, 2, 2, 3);
    static const float e2[4] = {5.5f, 7.5f, 25.5f, 27.5f};
    for (int i = 0; i < 4; i++) CHECK_NEAR(out[i * 3 + 1], e2[i] + 100, 1e-5);
    /* 4 -> 3: footprints [0, 4/3), [4/3, 8/3), [8/3, 4): weights (3/4, 1/4), (1/2, 1/2),
     * (1/4, 3/4), so the mean index is 0.25, 1.5, 2.75. */
    sk_resize_area(out, in, 4, 4, 3, 3, 3);
    static const double a3[3] = {0.25, 1.5, 2.75};
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 3; x++) CHECK_NEAR(out[(y * 3 + x) * 3], 10 * a3[y] + a3[x], 1e-5);
    /* 1 -> 4 wide (upscale) repeats the pixel. */
    const uint8_t one[3] = {7, 8, 9};
    sk_resize_area(out, one, 1, 1, 2, 2, 3);
    CHECK(out[0] == 7 && out[4] == 8 && out[11] == 9);
}

static void test_round_u8(void)
{
    const float in[8] = {0.5f, 1.5f, 2.5f, 254.6f, -3.0f, 300.0f, NAN, 127.49f};
    uint8_t out[8];
    sk_pixels_to_u8(out, in, 8);
    const uint8_t e[8] = {0, 2, 2, 255, 0, 255, 0, 127};
    CHECK(memcmp(out, e, 8) == 0);
}

static uint8_t *noise_image(uint32_t w, uint32_t h, uint32_t c, uint64_t seed)
{
    uint8_t *px = sk_xmalloc((size_t)w * h * c);
    sk_rng r = sk_rng_stream(seed, SK_RNG_TEST, 1);
    for (size_t i = 0; i < (size_t)w * h * c; i++) {
        /* smooth gradient plus noise: something JPEG can code reasonably */
        size_t p = i / c;
        px[i] = (uint8_t)((p % w) * 3 + (p / w) * 2 + sk_rng_below(&r, 8));
    }
    return px;
}

static void test_png(void)
{
    sk_error err;
    uint8_t *px = noise_image(7, 5, 3, 1);
    uint8_t *png = NULL, *png2 = NULL;
    size_t n = 0, n2 = 0;
    CHECK_OK(sk_image_encode_png(&png, &n, px, 7, 5, 3, &err), &err);
    CHECK_OK(sk_image_encode_png(&png2, &n2, px, 7, 5, 3, &err), &err);
    CHECK(n == n2 && memcmp(png, png2, n) == 0); /* deterministic bytes */
    CHECK(sk_image_sniff(png, n) == SK_IMG_PNG);
    sk_image img;
    CHECK_OK(sk_image_decode(&img, png, n, NULL, "t.png", &err), &err);
    CHECK(img.width == 7 && img.height == 5 && img.channels == 3);
    CHECK(img.px && memcmp(img.px, px, 7 * 5 * 3) == 0);
    sk_image_free(&img);
    uint32_t w = 0, h = 0;
    CHECK_OK(sk_image_probe(&w, &h, png, n, "t.png", &err), &err);
    CHECK(w == 7 && h == 5);

    /* Truncation anywhere fails cleanly. */
    int all_fail = 1;
    for (size_t len = 0; len < n; len++) {
        uint8_t *c = sk_xmalloc(len ? len : 1);
        memcpy(c, png, len);
        all_fail &= sk_image_decode(&img, c, len, NULL, "t.png", &err) != SK_OK;
        free(c);
    }
    CHECKF(all_fail, "every truncation of the PNG is an error");
    CHECK(strstr(err.msg, "t.png") != NULL);
    /* Bit flips: chunk CRCs catch them; never a crash. */
    int caught = 0;
    for (size_t off = 8; off < n; off++) {
        png[off] ^= 0x10;
        if (sk_image_decode(&img, png, n, NULL, "t.png", &err) != SK_OK) caught++;
        else sk_image_free(&img);
        png[off] ^= 0x10;
    }
    CHECKF(caught >= (int)(n - 8) * 9 / 10, "%d of %zu PNG bit flips refused", caught, n - 8);

    /* Grey and RGBA become RGB (grey replicated, alpha dropped). */
    uint8_t g[6] = {0, 50, 100, 150, 200, 250}, rgba[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    free(png);
    CHECK_OK(sk_image_encode_png(&png, &n, g, 3, 2, 1, &err), &err);
    CHECK_OK(sk_image_decode(&img, png, n, NULL, "g.png", &err), &err);
    CHECK(img.channels == 3 && img.px && img.px[3] == 50 && img.px[4] == 50 && img.px[17] == 250);
    sk_image_free(&img);
    free(png);
    CHECK_OK(sk_image_encode_png(&png, &n, rgba, 2, 1, 4, &err), &err);
    CHECK_OK(sk_image_decode(&img, png, n, NULL, "a.png", &err), &err);
    CHECK(img.channels == 3 && img.px && img.px[0] == 1 && img.px[2] == 3 && img.px[3] == 5 &&
          img.px[5] == 7);
    sk_image_free(&img);

    /* A bomb: IHDR declares 20000 x 20000 (CRC fixed up): refused with a limit error. */
    free(png);
    CHECK_OK(sk_image_encode_png(&png, &n, px, 7, 5, 3, &err), &err);
    sk_le_store32(png + 16, 0);
    png[16 + 2] = 0x4e, png[16 + 3] = 0x20; /* width 20000 big-endian */
    memcpy(png + 20, png + 16, 4);
    uint32_t crc = sk_crc32(0, png + 12, 17);
    png[29] = (uint8_t)(crc >> 24), png[30] = (uint8_t)(crc >> 16), png[31] = (uint8_t)(crc >> 8),
    png[32] = (uint8_t)crc;
    CHECK(sk_image_decode(&img, png, n, NULL, "bomb.png", &err) == SK_ELIMIT);
    CHECK(strstr(err.msg, "20000 x 20000") != NULL);
    free(png);
    free(png2);
    free(px);
}

static void test_jpeg(void)
{
    sk_error err;
    const uint32_t W = 64, H = 48;
    uint8_t *px = noise_image(W, H, 3, 2);
    uint8_t *jpg = NULL;
    size_t n = 0;
    CHECK_OK(sk_image_encode_jpeg(&jpg, &n, px, W, H, 3, 90, &err), &err);
    CHECK(sk_image_sniff(jpg, n) == SK_IMG_JPEG);
    sk_image a, b;
    sk_decode_opts o;
    sk_decode_opts_init(&o);
    CHECK(o.dct == SK_JPEG_DCT_IFAST && o.scale_denom == 1);
    CHECK_OK(sk_image_decode(&a, jpg, n, &o, "t.jpg", &err), &err);
    CHECK(a.width == W && a.height == H && a.channels == 3);
    double mae = 0;
    for (size_t i = 0; a.px && i < (size_t)W * H * 3; i++) mae += fabs((double)a.px[i] - px[i]);
    mae /= (double)W * H * 3;
    CHECKF(mae < 6.0, "JPEG q90 round trip mean abs error %.2f < 6", mae);
    o.dct = SK_JPEG_DCT_ISLOW;
    CHECK_OK(sk_image_decode(&b, jpg, n, &o, "t.jpg", &err), &err);
    int differ = 0;
    for (size_t i = 0; a.px && b.px && i < (size_t)W * H * 3; i++) differ += a.px[i] != b.px[i];
    CHECKF(differ > 0, "IFAST (TensorFlow's default) and ISLOW decodes differ (%d values)", differ);
    sk_image_free(&b);
    /* DCT scaling fast path: 1/2 size. */
    o.dct = SK_JPEG_DCT_IFAST;
    o.scale_denom = 2;
    CHECK_OK(sk_image_decode(&b, jpg, n, &o, "t.jpg", &err), &err);
    CHECK(b.width == W / 2 && b.height == H / 2);
    sk_image_free(&b);
    o.scale_denom = 3;
    CHECK(sk_image_decode(&b, jpg, n, &o, "t.jpg", &err) == SK_EINVAL);
    sk_image_free(&a);

    /* Grey JPEG decodes to three equal channels. */
    uint8_t *gj = NULL;
    size_t gn = 0;
    uint8_t grey[64];
    for (int i = 0; i < 64; i++) grey[i] = (uint8_t)(i * 4);
    CHECK_OK(sk_image_encode_jpeg(&gj, &gn, grey, 8, 8, 1, 95, &err), &err);
    CHECK_OK(sk_image_decode(&a, gj, gn, NULL, "g.jpg", &err), &err);
    int eq = a.px != NULL;
    for (int i = 0; a.px && i < 64; i++) eq &= a.px[3 * i] == a.px[3 * i + 1] && a.px[3 * i] == a.px[3 * i + 2];
    CHECK(eq && a.channels == 3);
    sk_image_free(&a);
    free(gj);

    /* Truncated: every cut is an error (premature end is not silently grey). */
    int all_fail = 1;
    size_t first_ok = 0;
    for (size_t len = 0; len < n; len += 1) {
        uint8_t *c = sk_xmalloc(len ? len : 1);
        memcpy(c, jpg, len);
        sk_status s = sk_image_decode(&a, c, len, NULL, "t.jpg", &err);
        if (s == SK_OK) {
            if (all_fail) first_ok = len;
            all_fail = 0;
            sk_image_free(&a);
        }
        free(c);
    }
    CHECKF(all_fail, "every truncation of the JPEG is an error (first accepted at %zu of %zu)",
           first_ok, n);
    /* Bit flips: no crash, no leak (JPEG has no checksum, so some decode). */
    for (size_t off = 2; off < n; off += 3) {
        jpg[off] ^= 0x08;
        if (sk_image_decode(&a, jpg, n, NULL, "t.jpg", &err) == SK_OK) sk_image_free(&a);
        jpg[off] ^= 0x08;
    }
    CHECK(1);

    /* Bomb: SOF0 claims 60000 x 60000 -> refused with a limit error before allocation. */
    size_t sof = 0;
    for (size_t i = 2; i + 9 < n; i++)
        if (jpg[i] == 0xff && jpg[i + 1] == 0xc0) { sof = i; break; }
    CHECK(sof > 0);
    jpg[sof + 5] = 0xea, jpg[sof + 6] = 0x60, jpg[sof + 7] = 0xea, jpg[sof + 8] = 0x60;
    CHECK(sk_image_decode(&a, jpg, n, NULL, "bomb.jpg", &err) == SK_ELIMIT);
    CHECK(strstr(err.msg, "60000 x 60000") != NULL);

    /* Not an image at all. */
    CHECK(sk_image_decode(&a, (const uint8_t *)"GIF89a....", 10, NULL, "x.gif", &err) == SK_EFORMAT);
    CHECK(strstr(err.msg, "x.gif") && strstr(err.msg, "not a JPEG or PNG"));
    CHECK(sk_image_decode(&a, (const uint8_t *)"", 0, NULL, "empty.jpg", &err) == SK_EFORMAT);
    free(jpg);
    free(px);
}

int main(void)
{
    test_bilinear();
    test_area();
    test_round_u8();
    test_png();
    test_jpeg();
    return sk_test_finish();
}
