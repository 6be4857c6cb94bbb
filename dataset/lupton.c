/* lupton.c: asinh colour composite (Lupton et al. 2004); see lupton.h for the formula and the
 * parameter choice. Pure per-pixel arithmetic in double, so results do not depend on threads. */
#include "lupton.h"

#include <math.h>

void sk_lupton_default(sk_lupton_params *p)
{
    p->q = 8.0f;
    p->alpha = 1.5f;
    p->scale[0] = 1.0f; /* i -> R */
    p->scale[1] = 1.5f; /* r -> G */
    p->scale[2] = 2.2f; /* g -> B */
    p->minimum = -0.01f;
}

void sk_lupton_pixel_f(float rgb[3], float red, float green, float blue, const sk_lupton_params *p)
{
    const float in[3] = {red, green, blue};
    double x[3];
    for (int c = 0; c < 3; c++) {
        double v = (isfinite(in[c]) ? (double)p->scale[c] * in[c] : 0.0) - p->minimum;
        x[c] = v > 0.0 ? v : 0.0;
    }
    double I = (x[0] + x[1] + x[2]) / 3.0;
    double qa = (double)p->q * p->alpha;
    /* F(I)/I -> alpha as I -> 0; the series avoids 0/0 and keeps the slope exact near 0. */
    double f = I * qa < 1e-6 ? p->alpha : asinh(qa * I) / (p->q * I);
    double m = 0.0;
    for (int c = 0; c < 3; c++) {
        x[c] *= f;
        if (x[c] > m) m = x[c];
    }
    double norm = m > 1.0 ? 1.0 / m : 1.0;
    for (int c = 0; c < 3; c++) rgb[c] = (float)(x[c] * norm);
}

void sk_lupton_rgb(uint8_t *out, const float *red, const float *green, const float *blue,
                   size_t n, size_t stride, const sk_lupton_params *p)
{
    for (size_t k = 0; k < n; k++) {
        float rgb[3];
        sk_lupton_pixel_f(rgb, red[k * stride], green[k * stride], blue[k * stride], p);
        for (int c = 0; c < 3; c++) {
            double v = floor(rgb[c] * 255.0 + 0.5);
            out[3 * k + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
}
