/* image.h: JPEG/PNG decode exactly as TensorFlow's loader does it, resizing as tf.image.resize
 * does it, and deterministic JPEG/PNG encoding (for export and tests).
 *
 * Decode always yields 8-bit RGB (3 channels), like `tf.io.decode_image(channels=3)` in Keras'
 * image_dataset_from_directory: JPEG through libjpeg-turbo with TF's defaults (integer-fast
 * IDCT JDCT_IFAST, fancy upsampling on, grey -> RGB by libjpeg), PNG through libpng (palette and
 * low-bit grey expanded, 16-bit -> 8-bit by dropping the low byte like convert_image_dtype's
 * shift, alpha dropped, grey replicated). Declared dimensions are checked against limits
 * before any pixel memory is allocated, so a decompression bomb costs nothing. A truncated or
 * corrupt file is an error (libjpeg warnings included), never a partially grey image.
 * Not here: file lists, splits, .skds (pack.h). */
#ifndef SK_IMAGE_H
#define SK_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "sk_base.h"

/* An 8-bit image, rows top to bottom, HWC, channel fastest. px is malloc'ed. */
typedef struct {
    uint32_t width, height, channels;
    uint8_t *px;
} sk_image;

typedef enum { SK_JPEG_DCT_IFAST = 0, SK_JPEG_DCT_ISLOW = 1, SK_JPEG_DCT_FLOAT = 2 } sk_jpeg_dct;

typedef struct {
    uint32_t max_dim;     /* largest width or height accepted (default 32768) */
    uint64_t max_pixels;  /* largest width*height accepted (default 2^28) */
    sk_jpeg_dct dct;      /* default SK_JPEG_DCT_IFAST = TensorFlow's default */
    uint32_t scale_denom; /* JPEG only: 1 (exact, default), 2, 4 or 8 = libjpeg DCT scaling; a
                             fast path that is NOT what Keras computes */
} sk_decode_opts;

/* Defaults as documented above. */
void sk_decode_opts_init(sk_decode_opts *o);

typedef enum { SK_IMG_UNKNOWN = 0, SK_IMG_JPEG, SK_IMG_PNG } sk_image_kind;
/* Sniffs the signature bytes. */
sk_image_kind sk_image_sniff(const uint8_t *data, size_t n);

/* Decodes JPEG or PNG (by signature) from memory into out (RGB). `what` names the input in
 * errors (a path). o may be NULL for defaults. On failure out is zeroed and nothing is leaked.
 * Errors: SK_EFORMAT (not an image, corrupt, truncated), SK_ELIMIT (dimensions over the
 * limits), SK_EUNSUPPORTED (e.g. CMYK JPEG). */
sk_status sk_image_decode(sk_image *out, const uint8_t *data, size_t n, const sk_decode_opts *o,
                          const char *what, sk_error *err) SK_WUR;
/* Reads the header only: width, height (no pixel allocation). */
sk_status sk_image_probe(uint32_t *width, uint32_t *height, const uint8_t *data, size_t n,
                         const char *what, sk_error *err) SK_WUR;
/* Reads path (at most 256 MiB) and decodes it. */
sk_status sk_image_decode_file(sk_image *out, const char *path, const sk_decode_opts *o,
                               sk_error *err) SK_WUR;
void sk_image_free(sk_image *img);

/* Deterministic encoders: the same pixels give the same bytes (no timestamps, fixed settings).
 * *out is malloc'ed. channels 1 or 3 (PNG also 4). */
sk_status sk_image_encode_png(uint8_t **out, size_t *n, const uint8_t *px, uint32_t width,
                              uint32_t height, uint32_t channels, sk_error *err) SK_WUR;
sk_status sk_image_encode_jpeg(uint8_t **out, size_t *n, const uint8_t *px, uint32_t width,
                               uint32_t height, uint32_t channels, int quality,
                               sk_error *err) SK_WUR;

/* tf.image.resize(method="bilinear", antialias=False) = ResizeBilinear with half_pixel_centers:
 * source coordinate (i + 0.5) * (in/out) - 0.5 in float, clamped neighbours, and TF's lerp order
 * top = tl + (tr - tl) * dx, bottom likewise, out = top + (bottom - top) * dy, all in float32.
 * out (oh,ow,c) float32   inp (ih,iw,c) uint8 */
void sk_resize_bilinear_tf(float *out, const uint8_t *inp, uint32_t ih, uint32_t iw, uint32_t oh,
                           uint32_t ow, uint32_t c);
/* Antialiased area averaging: each output pixel is the mean of the input over its footprint
 * [o*in/out, (o+1)*in/out) in both axes, partial pixels weighted by coverage (separable; in
 * double). For downscaling this is what a box prefilter does; for upscaling it picks the
 * covering pixels.   out (oh,ow,c) float32   inp (ih,iw,c) uint8 */
void sk_resize_area(float *out, const uint8_t *inp, uint32_t ih, uint32_t iw, uint32_t oh,
                    uint32_t ow, uint32_t c);
/* Rounds float pixels to uint8: nearest, ties to even, clamped to 0..255 (NaN -> 0).
 * out (n) uint8   inp (n) float32 */
void sk_pixels_to_u8(uint8_t *out, const float *inp, size_t n);

#endif
