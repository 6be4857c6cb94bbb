// LABELS: unit dataset
// LIBS: sk_dataset
/* test_lupton.c: the asinh colour composite on known values: zero, the linear regime, a
 * hand-computed mid value, colour-preserving saturation, monotonicity, bad inputs, and the
 * uint8 image path with strided planes. */
#include <math.h>
#include <string.h>

#include "../dataset/lupton.h"
#include "sk_test.h"

int main(void)
{
    sk_lupton_params p;
    sk_lupton_default(&p);
    CHECK_NEAR(p.q, 8.0, 0);
    CHECK_NEAR(p.alpha, 1.5, 1e-7);
    CHECK_NEAR(p.minimum, -0.01, 1e-9);
    float rgb[3];

    /* Zero light sits on the black point's grey floor: 0.01 * F(0.01)/0.01 ~ 0.01496. */
    sk_lupton_pixel_f(rgb, 0, 0, 0, &p);
    CHECK_NEAR(rgb[0], 0.0149642313, 1e-8);
    CHECK(rgb[0] == rgb[1] && rgb[1] == rgb[2]);
    uint8_t px[3];
    float zero = 0.0f;
    sk_lupton_rgb(px, &zero, &zero, &zero, 1, 1, &p);
    CHECK(px[0] == 4 && px[1] == 4 && px[2] == 4);
    p.minimum = 0;
    sk_lupton_pixel_f(rgb, 0, 0, 0, &p);
    CHECK(rgb[0] == 0 && rgb[1] == 0 && rgb[2] == 0);

    /* Linear regime (black point 0): out = alpha * scale * band for faint light. */
    sk_lupton_pixel_f(rgb, 1e-8f, 2e-8f, 3e-8f, &p);
    CHECK_NEAR(rgb[0], 1.5 * 1.0 * 1e-8, 1e-14);
    CHECK_NEAR(rgb[1], 1.5 * 1.5 * 2e-8, 1e-14);
    CHECK_NEAR(rgb[2], 1.5 * 2.2 * 3e-8, 1e-14);
    sk_lupton_default(&p);

    /* i = r = g = 1 nMgy: x = (1.01, 1.51, 2.21), I = 1.5767, F(I)/I = asinh(8*1.5*I) / (8*I). */
    sk_lupton_pixel_f(rgb, 1, 1, 1, &p);
    CHECK_NEAR(rgb[0], 0.29099406, 1e-6);
    CHECK_NEAR(rgb[1], 0.43505052, 1e-6);
    CHECK_NEAR(rgb[2], 0.63672957, 1e-6);
    float one = 1.0f;
    sk_lupton_rgb(px, &one, &one, &one, 1, 1, &p);
    CHECK(px[0] == 74 && px[1] == 111 && px[2] == 162);

    /* Saturation keeps the colour: (2000, 2250, 2200) scaled -> (0.8889, 1.0, 0.9778). */
    sk_lupton_pixel_f(rgb, 2000, 1500, 1000, &p);
    CHECK_NEAR(rgb[0], 0.88888938, 1e-6);
    CHECK_NEAR(rgb[1], 1.0, 1e-6);
    CHECK_NEAR(rgb[2], 0.97777788, 1e-6);

    /* Monotone in brightness for a fixed colour, and never above 1. */
    float prev = -1;
    int mono = 1;
    for (double v = 0.001; v < 1e5; v *= 1.3) {
        sk_lupton_pixel_f(rgb, (float)v, (float)v, (float)v, &p);
        mono &= rgb[2] >= prev && rgb[2] <= 1.0f && rgb[0] <= rgb[1] && rgb[1] <= rgb[2];
        prev = rgb[2];
    }
    CHECK(mono);

    /* Non-finite inputs count as no light; negative ones below the black point clip to 0. */
    float floor0[3];
    sk_lupton_pixel_f(floor0, 0, 0, 0, &p);
    sk_lupton_pixel_f(rgb, NAN, INFINITY, -INFINITY, &p);
    CHECK(rgb[0] == floor0[0] && rgb[1] == floor0[1] && rgb[2] == floor0[2]);
    sk_lupton_pixel_f(rgb, -5, -5, -5, &p);
    CHECK(rgb[0] == 0 && rgb[1] == 0 && rgb[2] == 0);
    sk_lupton_pixel_f(rgb, -5, 1, 0, &p);
    CHECK(rgb[0] == 0 && rgb[1] > 0.3 && rgb[2] > 0 && rgb[2] < 0.01);

    /* Interleaved planes (stride 3) give the same bytes as planar ones. */
    float inter[6] = {1, 1, 1, 0.1f, 0.2f, 0.3f};
    float pr[2] = {1, 0.1f}, pg[2] = {1, 0.2f}, pb[2] = {1, 0.3f};
    uint8_t a[6], b[6];
    sk_lupton_rgb(a, inter, inter + 1, inter + 2, 2, 3, &p);
    sk_lupton_rgb(b, pr, pg, pb, 2, 1, &p);
    CHECK(memcmp(a, b, 6) == 0);

    /* A larger Q compresses bright light more. */
    sk_lupton_params p2 = p;
    p2.q = 20;
    float hi1[3], hi2[3];
    sk_lupton_pixel_f(hi1, 50, 50, 50, &p);
    sk_lupton_pixel_f(hi2, 50, 50, 50, &p2);
    CHECK(hi2[0] < hi1[0]);
    return sk_test_finish();
}
