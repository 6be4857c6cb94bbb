/* cutout.c: SkyServer-like cutouts from SDSS frames (FITS bands or the colour JPEG); see
 * cutout.h for the geometry. Every output (sub-)pixel is mapped exactly: standard coordinates
 * about the target -> (ra, dec) -> each band's own TAN WCS -> bilinear sample. */
#include "cutout.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sk_base.h"
#include "image.h"

static const char BAND_LETTER[3] = {'i', 'r', 'g'}; /* R, G, B */

/* Finds frame-<band>-<id>.fits.bz2 or .fits in dir; malloc'ed path or NULL. */
static char *frame_path(const char *dir, const char *band, const char *id)
{
    const char *ext[2] = {".fits.bz2", ".fits"};
    for (int k = 0; k < 2; k++) {
        char name[160];
        sk_snprintf(name, sizeof name, "frame-%s-%s%s", band, id, ext[k]);
        char *p = sk_path_join(dir, name);
        if (sk_path_exists(p)) return p; /* a FIFO or folder here is refused by the reader, named */
        free(p);
    }
    return NULL;
}

static int cmp_id(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

sk_status sk_field_list(char (*ids)[64], int cap, int *count, const char *dir, sk_error *err)
{
    *count = 0;
    DIR *d = opendir(dir);
    if (!d) return sk_error_set(err, SK_EIO, "%s: cannot open the frames directory", dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (strncmp(n, "frame-r-", 8) != 0) continue;
        const char *dot = strstr(n + 8, ".fits");
        if (!dot || (strcmp(dot, ".fits") != 0 && strcmp(dot, ".fits.bz2") != 0)) continue;
        size_t len = (size_t)(dot - (n + 8));
        if (len == 0 || len >= 64 || *count >= cap) continue;
        memcpy(ids[*count], n + 8, len);
        ids[*count][len] = 0;
        (*count)++;
    }
    closedir(d);
    qsort(ids, (size_t)*count, 64, cmp_id);
    if (*count == 0)
        return sk_error_set(err, SK_ENOTFOUND, "%s: expected frame-r-<run>-<camcol>-<field>.fits[.bz2] "
                            "files, found none", dir);
    return SK_OK;
}

void sk_field_free(sk_field *f)
{
    for (int b = 0; b < 3; b++) sk_frame_free(&f->band[b]);
    free(f->jpeg);
    memset(f, 0, sizeof *f);
}

sk_status sk_field_load(sk_field *f, const char *dir, const char *id, sk_cutout_from from,
                        sk_error *err)
{
    memset(f, 0, sizeof *f);
    sk_snprintf(f->id, sizeof f->id, "%s", id);
    f->from = from;
    sk_status st = SK_OK;
    for (int b = 0; b < 3 && !st; b++) {
        if (from == SK_CUTOUT_FROM_JPEG && b != 1) continue;
        char letter[2] = {BAND_LETTER[b], 0};
        char *p = frame_path(dir, letter, id);
        if (!p) {
            st = sk_error_set(err, SK_ENOTFOUND, "%s: frame-%s-%s.fits[.bz2] not found", dir, letter, id);
            break;
        }
        st = sk_frame_read(&f->band[b], p, err);
        if (!st && f->band[b].band != '?' && f->band[b].band != BAND_LETTER[b])
            st = sk_error_set(err, SK_EFORMAT, "%s: FILTER expected '%c', found '%c'", p,
                              BAND_LETTER[b], f->band[b].band);
        free(p);
    }
    if (!st && from == SK_CUTOUT_FROM_JPEG) {
        /* Only the r-band WCS and size are needed; drop its pixels. */
        free(f->band[1].pix);
        f->band[1].pix = NULL;
        char name[160];
        sk_snprintf(name, sizeof name, "frame-irg-%s.jpg", id);
        char *p = sk_path_join(dir, name);
        sk_decode_opts o;
        sk_decode_opts_init(&o);
        o.dct = SK_JPEG_DCT_ISLOW;
        sk_image img;
        st = sk_image_decode_file(&img, p, &o, err);
        if (!st && ((int)img.width != f->band[1].width || (int)img.height != f->band[1].height ||
                    img.channels != 3)) {
            st = sk_error_set(err, SK_EFORMAT, "%s: expected a %dx%d RGB image (the r frame's size), "
                              "found %ux%ux%u", p, f->band[1].width, f->band[1].height, img.width,
                              img.height, img.channels);
            sk_image_free(&img);
        }
        if (!st) {
            f->jpeg = img.px;
            f->jw = (int)img.width;
            f->jh = (int)img.height;
        }
        free(p);
    }
    if (st) sk_field_free(f);
    return st;
}

double sk_field_band_margin(const sk_field *f, int b, double ra, double dec)
{
    const sk_frame *r = &f->band[b];
    double x, y;
    if (sk_wcs_sky2pix(&r->wcs, ra, dec, &x, &y) != 0) return -1e9;
    double m = x;
    if (y < m) m = y;
    if (r->width - 1 - x < m) m = r->width - 1 - x;
    if (r->height - 1 - y < m) m = r->height - 1 - y;
    return m;
}

double sk_field_margin(const sk_field *f, double ra, double dec)
{
    return sk_field_band_margin(f, 1, ra, dec);
}

int sk_field_bands_contain(const sk_field *f, double ra, double dec, char *why, size_t cap)
{
    for (int b = 0; b < 3; b++) {
        if (f->from == SK_CUTOUT_FROM_JPEG && b != 1) continue;
        if (sk_field_band_margin(f, b, ra, dec) >= 0.0) continue;
        const sk_frame *fr = &f->band[b];
        double x = 0, y = 0;
        if (sk_wcs_sky2pix(&fr->wcs, ra, dec, &x, &y) != 0)
            snprintf(why, cap, "band %c of field %s: its WCS puts the object on the far side of "
                     "the sky", BAND_LETTER[b], f->id);
        else
            snprintf(why, cap, "band %c of field %s: its WCS puts the object at pixel (%.1f, %.1f), "
                     "outside the %dx%d frame", BAND_LETTER[b], f->id, x, y, fr->width, fr->height);
        return 0;
    }
    return 1;
}

/* Bilinear RGB sample of the JPEG at r-band pixel (x, y); the JPEG's row 0 is FITS row h-1. */
static int sample_jpeg(double rgb[3], const sk_field *f, double x, double y)
{
    double jy = (f->jh - 1) - y;
    if (!(x >= 0 && jy >= 0 && x <= f->jw - 1 && jy <= f->jh - 1)) return 0;
    int x0 = (int)x, y0 = (int)jy;
    int x1 = x0 + 1 < f->jw ? x0 + 1 : x0, y1 = y0 + 1 < f->jh ? y0 + 1 : y0;
    double tx = x - x0, ty = jy - y0;
    const uint8_t *p00 = f->jpeg + 3 * ((size_t)y0 * f->jw + x0), *p01 = f->jpeg + 3 * ((size_t)y0 * f->jw + x1);
    const uint8_t *p10 = f->jpeg + 3 * ((size_t)y1 * f->jw + x0), *p11 = f->jpeg + 3 * ((size_t)y1 * f->jw + x1);
    for (int c = 0; c < 3; c++)
        rgb[c] = ((1 - ty) * ((1 - tx) * p00[c] + tx * p01[c]) + ty * ((1 - tx) * p10[c] + tx * p11[c])) / 255.0;
    return 1;
}

/* Local affine map from standard coordinates (deg) about (ra, dec) to a band's pixels, by
 * central differences of the exact map (step 10"). Over a field of <= 600" the TAN map's
 * curvature moves a position by ~1e-3 native pixel at most (measured on frame 3918-3-213), so
 * the affine map is exact for our purpose and ~10x cheaper than trigonometry per sample. */
typedef struct {
    double x0, y0, xx, xe, yx, ye;
} affine;

static int band_affine(affine *A, const sk_wcs *w, double ra, double dec)
{
    const double h = 10.0 / 3600.0;
    const double d[5][2] = {{0, 0}, {h, 0}, {-h, 0}, {0, h}, {0, -h}};
    double px[5], py[5];
    for (int k = 0; k < 5; k++) {
        double a, b;
        sk_tan_deproject(ra, dec, d[k][0], d[k][1], &a, &b);
        if (sk_wcs_sky2pix(w, a, b, &px[k], &py[k]) != 0) return -1;
    }
    A->x0 = px[0];
    A->y0 = py[0];
    A->xx = (px[1] - px[2]) / (2 * h);
    A->yx = (py[1] - py[2]) / (2 * h);
    A->xe = (px[3] - px[4]) / (2 * h);
    A->ye = (py[3] - py[4]) / (2 * h);
    return 0;
}

/* Maps standard coordinates to band pixels: affine when given, else exact. */
static int map_point(const affine *A, const sk_wcs *w, double ra, double dec, double xi, double eta,
                     double *x, double *y)
{
    if (A) {
        *x = A->x0 + A->xx * xi + A->xe * eta;
        *y = A->y0 + A->yx * xi + A->ye * eta;
        return 0;
    }
    double a, b;
    sk_tan_deproject(ra, dec, xi, eta, &a, &b);
    return sk_wcs_sky2pix(w, a, b, x, y);
}

double sk_cutout_render(uint8_t *out, const sk_field *f, double ra, double dec, double scale,
                        int size, const sk_lupton_params *lp)
{
    const double native = sk_wcs_scale_arcsec(&f->band[1].wcs);
    const int k = scale > native ? (int)ceil(scale / native) : 1;
    affine aff[3];
    int use_affine = size * scale <= 600.0;
    for (int c = 0; c < 3 && use_affine; c++)
        if ((f->from == SK_CUTOUT_FROM_FITS || c == 1) &&
            band_affine(&aff[c], &f->band[c].wcs, ra, dec) != 0)
            use_affine = 0;
    size_t covered = 0;
    for (int v = 0; v < size; v++)
        for (int u = 0; u < size; u++) {
            double acc[3] = {0, 0, 0};
            int inside = 1;
            for (int a = 0; a < k && inside; a++)
                for (int b = 0; b < k && inside; b++) {
                    double xi = -(u + (a + 0.5) / k - size * 0.5) * scale / 3600.0;
                    double eta = -(v + (b + 0.5) / k - size * 0.5) * scale / 3600.0;
                    if (f->from == SK_CUTOUT_FROM_JPEG) {
                        double x, y, rgb[3];
                        if (map_point(use_affine ? &aff[1] : NULL, &f->band[1].wcs, ra, dec, xi,
                                      eta, &x, &y) != 0 ||
                            !sample_jpeg(rgb, f, x, y)) {
                            inside = 0;
                            break;
                        }
                        for (int c = 0; c < 3; c++) acc[c] += rgb[c];
                        continue;
                    }
                    float val[3];
                    for (int c = 0; c < 3 && inside; c++) {
                        double x, y;
                        int ok = 0;
                        if (map_point(use_affine ? &aff[c] : NULL, &f->band[c].wcs, ra, dec, xi,
                                      eta, &x, &y) == 0)
                            val[c] = sk_frame_sample(&f->band[c], x, y, &ok);
                        inside = ok;
                    }
                    if (!inside) break;
                    float rgb[3];
                    sk_lupton_pixel_f(rgb, val[0], val[1], val[2], lp);
                    for (int c = 0; c < 3; c++) acc[c] += rgb[c];
                }
            uint8_t *o = out + 3 * ((size_t)v * size + u);
            if (!inside) {
                o[0] = o[1] = o[2] = 0;
                continue;
            }
            covered++;
            for (int c = 0; c < 3; c++) {
                double q = floor(acc[c] / (k * k) * 255.0 + 0.5);
                o[c] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
            }
        }
    return (double)covered / ((double)size * size);
}
