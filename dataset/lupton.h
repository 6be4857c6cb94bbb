/* lupton.h: the asinh colour composite of Lupton et al. (2004, PASP 116, 133), the way SDSS
 * builds its colour JPEGs: bands i, r, g (nanomaggies) -> R, G, B (uint8).
 *
 * With per-band multipliers s = (s_i, s_r, s_g), x_c = max(0, s_c * band_c - minimum) and the
 * intensity I = (x_R + x_G + x_B) / 3, every channel is scaled by the same factor
 *     F(I) / I,  F(I) = asinh(Q * alpha * I) / Q,
 * so colours (ratios) are preserved while the intensity is stretched: linear with slope alpha
 * for faint light (alpha * I << 1/Q), logarithmic for bright light. A pixel whose largest
 * channel exceeds 1 is divided by that channel (saturates to its own colour, not to white,
 * Lupton's recommendation), then channels map to round(255 * v).
 * Defaults (sk_lupton_default): Q = 8, alpha = 1.5 per nanomaggy, s = (1.0, 1.5, 2.2),
 * minimum = -0.01 nMgy (a black point just below zero, so sky noise shows as the faint grey
 * floor of SDSS JPEGs: ~4 grey levels). These were chosen by comparing FITS composites with
 * the SAS colour JPEG of field 3918-3-213 over ~100 objects (grid over Q, alpha, the g weight and
 * the black point; per-channel RMS difference ~4-7 grey levels, mean levels within ~1 level).
 * The i:r:g weights are the customary SDSS ones that make an F/G star look near white.
 * SkyServer's own JPEG code differs in details; this is close to it, not a bit-exact replica. */
#ifndef SK_LUPTON_H
#define SK_LUPTON_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    float q;        /* softening, Lupton's Q (> 0) */
    float alpha;    /* linear stretch, per nanomaggy (> 0) */
    float scale[3]; /* multipliers for the R, G, B inputs (i, r, g bands) */
    float minimum;  /* subtracted after scaling (the black point) */
} sk_lupton_params;

void sk_lupton_default(sk_lupton_params *p);

/* One pixel: R, G, B inputs (i, r, g in nanomaggies) -> rgb[3] in [0, 1] (float, before
 * quantisation), for tests and for callers that want floats. Non-finite inputs count as 0. */
void sk_lupton_pixel_f(float rgb[3], float red, float green, float blue, const sk_lupton_params *p);

/* Whole image: out (n, 3) uint8 from red/green/blue (n) float planes; the planes may be strided
 * by `stride` floats between pixels (1 for planar images, 3 for interleaved HWC). */
void sk_lupton_rgb(uint8_t *out, const float *red, const float *green, const float *blue,
                   size_t n, size_t stride, const sk_lupton_params *p);

#endif
