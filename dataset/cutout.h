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
#include "sk_base.h"

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
/* The same for band b (0 = i, 1 = r, 2 = g) through that band's own WCS. */
double sk_field_band_margin(const sk_field *f, int b, double ra, double dec);
/* 1 when every band the field uses (FITS: i, r, g; JPEG: r) places (ra, dec) inside its own
 * frame; else 0 with why[cap] naming the first band that does not, its pixel and frame size. */
int sk_field_bands_contain(const sk_field *f, double ra, double dec, char *why, size_t cap);

/* Renders the cutout into out (size, size, 3). Returns the fraction of output pixels that fell
 * inside the frame(s) in all bands. */
double sk_cutout_render(uint8_t *out, const sk_field *f, double ra, double dec, double scale,
                        int size, const sk_lupton_params *lp);

/* One object to cut: position, class name and id. */
typedef struct {
    uint64_t objid;
    double ra, dec;
    char cls[64];
    long line; /* of the objects CSV */
} sk_cutout_object;

/* Parses an objects CSV (the project's RFC 4180 scanner, base/csv.h) whose header names ra (or
 * ra_*), dec (or dec_*), class (or label), and optionally objid (case-insensitive; other columns
 * ignored). Strict: every record has the header's field count, ra is a number in [0, 360), dec
 * in [-90, 90], class a name of the class-name alphabet (skds.h), objid decimal digits below
 * 2^64 (no sign: "-1" is refused); without an objid column the 1-based row number is the id.
 * Two rows with the same objid are an error naming both lines, unless dedupe is set: then the
 * later rows are dropped with a warning each. A malformed record (unterminated quote...) is an
 * error with its line. *objs is malloc'ed. */
sk_status sk_cutout_parse_objects(sk_cutout_object **objs, size_t *n, const char *buf, size_t len,
                                  const char *what, int dedupe, sk_error *err) SK_WUR;
/* Reads a regular file (never blocks on a FIFO) and parses it as above. */
sk_status sk_cutout_read_objects(sk_cutout_object **objs, size_t *n, const char *path, int dedupe,
                                 sk_error *err) SK_WUR;

typedef struct {
    double scale;        /* arcsec per output pixel, (0, 60] */
    int size;            /* output width = height, 8..4096 */
    sk_cutout_from from;
    int jpeg_quality;    /* folder output: 0 = PNG, 1..100 = JPEG */
    double min_coverage; /* objects whose cutout covers less of the output are skipped (0.5) */
    int dedupe;          /* drop repeated objids instead of failing */
    const char *command; /* provenance (may be NULL) */
    int progress;
} sk_cutout_opts;

/* Defaults: native scale 0.396127"/px, 64 px, FITS, PNG, min coverage 0.5, no dedupe. */
void sk_cutout_opts_init(sk_cutout_opts *o);

typedef struct {
    size_t objects; /* rows of the objects CSV kept */
    size_t written;
    size_t skipped; /* outside every field, outside a band's frame, or below min_coverage */
    size_t partial; /* written with coverage below 1 */
} sk_cutout_stats;

/* The whole command: loads every field in frames_dir (FITS or JPEG), cuts each object from the
 * field that contains it in every band with the largest r-band margin, and writes the images
 * through the sink at out (folder + manifest.tsv, or .skds when out ends in ".skds"); classes
 * are the object classes in alphabetical order. Objects outside every field, outside one band's
 * frame (a broken WCS) or covering less than min_coverage of the cutout are skipped with a
 * warning each and counted. SK_OK when at least one object was written; when none could be,
 * SK_ENOTFOUND and no output. Cutouts run in parallel; bytes do not depend on the thread
 * count. The exit-code contract of `dataset cutout` (0 all, 3 some skipped, 1 nothing) is
 * built from st. */
sk_status sk_cutout_write(const char *out, const char *frames_dir, const char *objects_csv,
                          const sk_cutout_opts *o, sk_cutout_stats *st, sk_error *err) SK_WUR;

#endif
