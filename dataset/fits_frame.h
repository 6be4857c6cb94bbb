/* fits_frame.h: read one SDSS "corrected frame" (frame-<band>-RRRRRR-C-FFFF.fits[.bz2]): the
 * HDU0 float image in nanomaggies and its TAN WCS.
 *
 * .bz2 files are decompressed in memory (libarchive raw format + bzip2 filter), then opened with
 * cfitsio as a memory file: no temp files. Plain FITS (starting with "SIMPLE") is read as is.
 * Invariant on success: pix holds width*height finite-or-NaN floats, row-major, row y = FITS row
 * y+1 (so pixel (x, y) here is the WCS's 0-based pixel), and wcs passed sk_wcs_validate.
 * Not a general FITS reader: HDU0 only, 2-D images only, CD-matrix (or CDELT) TAN WCS only. */
#ifndef SK_FITS_FRAME_H
#define SK_FITS_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include "sk_base.h"
#include "wcs.h"

#define SK_FRAME_MAX_DIM 16384
#define SK_FRAME_MAX_BYTES ((size_t)512 << 20) /* decompressed size limit */

typedef struct {
    int width, height; /* NAXIS1, NAXIS2 */
    float *pix;        /* (height, width), nanomaggies; owned, free with sk_frame_free */
    sk_wcs wcs;
    char band;         /* FILTER keyword's first letter ('u','g','r','i','z'), or '?' */
} sk_frame;

/* Decompresses a bzip2 stream held in memory. *out is malloc'ed (caller frees) on success.
 * Outputs over max_bytes fail with SK_ELIMIT; corrupt or truncated input with SK_EFORMAT.
 * `what` names the source in error messages. */
sk_status sk_bz2_decompress(uint8_t **out, size_t *out_n, const uint8_t *in, size_t in_n,
                            size_t max_bytes, const char *what, sk_error *err) SK_WUR;

/* Parses a whole FITS file held in memory (HDU0 image + WCS). On failure f is zeroed. */
sk_status sk_frame_read_mem(sk_frame *f, const uint8_t *data, size_t n, const char *what,
                            sk_error *err) SK_WUR;

/* Reads path: bzip2-compressed (by its "BZh" magic) or plain FITS. On failure f is zeroed and
 * the error names the path. */
sk_status sk_frame_read(sk_frame *f, const char *path, sk_error *err) SK_WUR;

/* Bilinear sample at 0-based (x, y); outside the image (or NaN neighbours) returns 0 and sets
 * *valid = 0 when valid is not NULL. */
float sk_frame_sample(const sk_frame *f, double x, double y, int *valid);

void sk_frame_free(sk_frame *f);

#endif
