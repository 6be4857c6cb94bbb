/* cutout.h: SkyServer-like colour cutouts from SDSS frame files, without a web service.
 *
 * A field is one (run, camcol, field) of SDSS imaging: the g, r, i corrected frames (each with
 * its own TAN WCS; the bands are not pixel aligned) or the SAS colour JPEG frame-irg-*.jpg
 * together with the r-band WCS (the JPEG is in r-band pixels, its row 0 the FITS last row).
 * A cutout of size x size pixels at `scale` arcsec/px is centred on (ra, dec), north up and east
 * left like SkyServer: output pixel (u, v) sits at standard coordinates
 *     xi = -(u + 0.5 - size/2) * scale,  eta = -(v + 0.5 - size/2) * scale
 * about (ra, dec); each band is sampled through its own WCS (bilinear; averaged over k x k
 * sub-samples when scale exceeds the native pixel), combined with the Lupton asinh composite
 * (lupton.h, i,r,g -> R,G,B). Outside the frame the output is black and not counted in the
 * returned coverage. Invariants: a cutout is a pure function of (field, ra, dec, scale, size,
 * Lupton parameters); fields are read-only after loading, so cutouts can run in parallel.
 * Not here: fetching frames, mosaicking across fields (the field that contains the object
 * best is used). */
#ifndef SK_CUTOUT_H
#define SK_CUTOUT_H

#include <stdint.h>
#include "fits_frame.h"
#include "lupton.h"
#include "sk_common.h"

typedef enum { SK_CUTOUT_FROM_FITS = 0, SK_CUTOUT_FROM_JPEG = 1 } sk_cutout_from;

typedef struct {
    char id[64];        /* "RRRRRR-C-FFFF", from the file names */
    sk_cutout_from from;
    sk_frame band[3];   /* FITS: i, r, g (R, G, B order); JPEG: band[1] = r (WCS only, no pixels) */
    uint8_t *jpeg;      /* JPEG: (jh, jw, 3) RGB, row 0 = top = FITS row jh-1 */
    int jw, jh;
} sk_field;

/* Loads field `id` from dir: frame-{i,r,g}-<id>.fits(.bz2) for FITS, or frame-irg-<id>.jpg plus
 * frame-r-<id>.fits(.bz2) for JPEG (whose size must match the r frame). On failure the field is
 * zeroed and the error names the file. */
sk_status sk_field_load(sk_field *f, const char *dir, const char *id, sk_cutout_from from,
                        sk_error *err) SK_WUR;
void sk_field_free(sk_field *f);

/* Lists the field ids that have an r-band frame in dir (sorted; at most cap). */
sk_status sk_field_list(char (*ids)[64], int cap, int *count, const char *dir, sk_error *err) SK_WUR;

/* Distance in r-band pixels from (ra, dec) to the nearest edge of the field (negative when
 * outside, -1e9 on the far hemisphere). */
double sk_field_margin(const sk_field *f, double ra, double dec);

/* Renders the cutout into out (size, size, 3). Returns the fraction of output pixels that fell
 * inside the frame(s) in all bands. */
double sk_cutout_render(uint8_t *out, const sk_field *f, double ra, double dec, double scale,
                        int size, const sk_lupton_params *lp);

/* One object to cut: position, class name and id. */
typedef struct {
    uint64_t objid;
    double ra, dec;
    char cls[32];
} sk_cutout_object;

/* Reads an objects CSV with a header naming ra (or ra_*), dec (or dec_*), class or label, and
 * optionally objid (integer; otherwise the 1-based row number is the id). *objs is malloc'ed.
 * Bad rows fail with the line number. */
sk_status sk_cutout_read_objects(sk_cutout_object **objs, size_t *n, const char *path,
                                 sk_error *err) SK_WUR;

/* The whole command: loads every field in frames_dir (FITS or JPEG), cuts each object from the
 * field that contains it with the largest margin, and writes the images through the sink at out
 * (folder + manifest.tsv, or .skds when out ends in ".skds"); classes are the object classes in
 * alphabetical order; folder images are PNG, or JPEG when jpeg_quality is 1..100. Objects
 * outside every field are skipped with a warning and counted in *skipped. Cutouts run in
 * parallel over objects; bytes do not depend on the thread count. */
sk_status sk_cutout_write(const char *out, const char *frames_dir, const char *objects_csv,
                          double scale, int size, sk_cutout_from from, int jpeg_quality,
                          const char *command, int progress, size_t *written, size_t *skipped,
                          sk_error *err) SK_WUR;

#endif
