/* fits_frame.c: SDSS corrected-frame reader: bzip2 in memory (libarchive), FITS via cfitsio's
 * memory files, HDU0 image + TAN WCS (see fits_frame.h).
 *
 * Every failure (bad bzip2, truncated stream, not FITS, wrong BITPIX/NAXIS, missing WCS keyword)
 * becomes an sk_status with a message naming the file and the field; nothing is written to disk.
 * cfitsio is used single-threaded only (the caller reads frames before any parallel work). */
#include "fits_frame.h"

#include <archive.h>
#include <fitsio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sk_base.h"

sk_status sk_bz2_decompress(uint8_t **out, size_t *out_n, const uint8_t *in, size_t in_n,
                            size_t max_bytes, const char *what, sk_error *err)
{
    *out = NULL;
    *out_n = 0;
    if (in_n < 4 || memcmp(in, "BZh", 3) != 0 || in[3] < '1' || in[3] > '9')
        return sk_error_set(err, SK_EFORMAT, "%s: expected bzip2 magic \"BZh[1-9]\", found %s",
                            what, in_n < 4 ? "a file shorter than 4 bytes" : "other bytes");
    struct archive *a = archive_read_new();
    SK_ASSERT(a != NULL);
    sk_status st = SK_OK;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    if (archive_read_support_filter_bzip2(a) != ARCHIVE_OK ||
        archive_read_support_format_raw(a) != ARCHIVE_OK) {
        st = sk_error_set(err, SK_EUNSUPPORTED, "%s: libarchive lacks bzip2 support: %s", what,
                          archive_error_string(a));
        goto done;
    }
    if (archive_read_open_memory(a, in, in_n) != ARCHIVE_OK) {
        st = sk_error_set(err, SK_EFORMAT, "%s: not a readable bzip2 stream: %s", what,
                          archive_error_string(a));
        goto done;
    }
    struct archive_entry *entry;
    if (archive_read_next_header(a, &entry) != ARCHIVE_OK) {
        st = sk_error_set(err, SK_EFORMAT, "%s: bzip2 stream header: %s", what,
                          archive_error_string(a));
        goto done;
    }
    cap = in_n * 4 + 65536;
    if (cap > max_bytes) cap = max_bytes;
    buf = sk_xmalloc(cap);
    for (;;) {
        if (len == cap) {
            if (cap >= max_bytes) {
                st = sk_error_set(err, SK_ELIMIT,
                                  "%s: decompressed size exceeds the limit of %zu bytes", what,
                                  max_bytes);
                goto done;
            }
            cap = cap * 2 > max_bytes ? max_bytes : cap * 2;
            buf = sk_xrealloc(buf, cap);
        }
        la_ssize_t got = archive_read_data(a, buf + len, cap - len);
        if (got < 0) {
            st = sk_error_set(err, SK_EFORMAT, "%s: corrupt or truncated bzip2 data after %zu bytes: %s",
                              what, len, archive_error_string(a));
            goto done;
        }
        if (got == 0) break;
        len += (size_t)got;
    }
done:
    archive_read_free(a);
    if (st != SK_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    *out_n = len;
    return SK_OK;
}

static sk_status fits_fail(sk_error *err, const char *what, const char *doing, int status)
{
    char text[FLEN_STATUS] = "";
    fits_get_errstatus(status, text);
    fits_clear_errmsg();
    return sk_error_set(err, SK_EFORMAT, "%s: %s: cfitsio status %d (%s)", what, doing, status, text);
}

/* Reads a double keyword; *found = 0 when absent (not an error). */
static sk_status key_double(fitsfile *fp, const char *key, double *v, int *found, const char *what,
                            sk_error *err)
{
    int status = 0;
    fits_read_key(fp, TDOUBLE, key, v, NULL, &status);
    if (status == KEY_NO_EXIST) {
        fits_clear_errmsg();
        *found = 0;
        return SK_OK;
    }
    if (status) return fits_fail(err, what, key, status);
    *found = 1;
    return SK_OK;
}

static sk_status read_wcs(fitsfile *fp, sk_wcs *w, const char *what, sk_error *err)
{
    char ctype[2][FLEN_VALUE];
    const char *ckeys[2] = {"CTYPE1", "CTYPE2"};
    const char *want[2] = {"RA---TAN", "DEC--TAN"};
    for (int i = 0; i < 2; i++) {
        int status = 0;
        fits_read_key(fp, TSTRING, ckeys[i], ctype[i], NULL, &status);
        if (status) return fits_fail(err, what, ckeys[i], status);
        if (strncmp(ctype[i], want[i], 8) != 0)
            return sk_error_set(err, SK_EUNSUPPORTED, "%s: %s expected \"%s\", found \"%s\"", what,
                                ckeys[i], want[i], ctype[i]);
    }
    const char *req[4] = {"CRPIX1", "CRPIX2", "CRVAL1", "CRVAL2"};
    double *dst[4] = {&w->crpix[0], &w->crpix[1], &w->crval[0], &w->crval[1]};
    for (int i = 0; i < 4; i++) {
        int found = 0;
        sk_status st = key_double(fp, req[i], dst[i], &found, what, err);
        if (st) return st;
        if (!found) return sk_error_set(err, SK_EFORMAT, "%s: WCS keyword %s missing", what, req[i]);
    }
    const char *cdk[4] = {"CD1_1", "CD1_2", "CD2_1", "CD2_2"};
    double cd[4] = {0, 0, 0, 0};
    int nfound = 0;
    for (int i = 0; i < 4; i++) {
        int found = 0;
        sk_status st = key_double(fp, cdk[i], &cd[i], &found, what, err);
        if (st) return st;
        nfound += found;
    }
    if (nfound == 0) { /* CDELT form without rotation */
        int f1 = 0, f2 = 0;
        sk_status st = key_double(fp, "CDELT1", &cd[0], &f1, what, err);
        if (!st) st = key_double(fp, "CDELT2", &cd[3], &f2, what, err);
        if (st) return st;
        if (!f1 || !f2)
            return sk_error_set(err, SK_EFORMAT, "%s: neither CD1_1.. nor CDELT1/2 present", what);
    }
    w->cd[0][0] = cd[0];
    w->cd[0][1] = cd[1];
    w->cd[1][0] = cd[2];
    w->cd[1][1] = cd[3];
    sk_status st = sk_wcs_validate(w, err);
    if (st) return sk_error_prefix(err, "%s: ", what);
    return SK_OK;
}

sk_status sk_frame_read_mem(sk_frame *f, const uint8_t *data, size_t n, const char *what,
                            sk_error *err)
{
    memset(f, 0, sizeof *f);
    if (n < 2880 || memcmp(data, "SIMPLE  =", 9) != 0)
        return sk_error_set(err, SK_EFORMAT,
                            "%s: expected a FITS file (\"SIMPLE  =\" and at least 2880 bytes), "
                            "found %zu bytes%s", what, n, n >= 9 ? " without that card" : "");
    /* cfitsio reads whole 2880-byte records from a memory file, past its end if the last one is
     * short (found by tests/fuzz/fuzz_fits); a FITS file is whole records by definition. */
    if (n % 2880 != 0)
        return sk_error_set(err, SK_EFORMAT, "%s: expected a FITS file of whole 2880-byte records, "
                            "found %zu bytes (%zu records and %zu bytes: truncated?)", what, n,
                            n / 2880, n % 2880);
    /* cfitsio wants a writable pointer pair but never writes in READONLY mode; hand it a copy of
     * the pointer, not ownership. */
    void *mem = (void *)data;
    size_t memsize = n;
    fitsfile *fp = NULL;
    int status = 0;
    sk_status st = SK_OK;
    if (fits_open_memfile(&fp, "frame.fits", READONLY, &mem, &memsize, 0, NULL, &status))
        return fits_fail(err, what, "opening FITS", status);
    int bitpix = 0, naxis = 0;
    long naxes[3] = {0, 0, 0};
    if (fits_get_img_param(fp, 3, &bitpix, &naxis, naxes, &status)) {
        st = fits_fail(err, what, "reading HDU0 image parameters", status);
        goto done;
    }
    if (naxis != 2) {
        st = sk_error_set(err, SK_EFORMAT, "%s: HDU0 NAXIS expected 2, found %d", what, naxis);
        goto done;
    }
    if (naxes[0] < 1 || naxes[1] < 1 || naxes[0] > SK_FRAME_MAX_DIM || naxes[1] > SK_FRAME_MAX_DIM) {
        st = sk_error_set(err, SK_ELIMIT, "%s: HDU0 size %ldx%ld outside 1..%d", what, naxes[0],
                          naxes[1], SK_FRAME_MAX_DIM);
        goto done;
    }
    st = read_wcs(fp, &f->wcs, what, err);
    if (st) goto done;
    char filter[FLEN_VALUE] = "";
    fits_read_key(fp, TSTRING, "FILTER", filter, NULL, &status);
    if (status) {
        status = 0;
        fits_clear_errmsg();
        filter[0] = '?';
        filter[1] = 0;
    }
    f->band = filter[0] ? filter[0] : '?';
    f->width = (int)naxes[0];
    f->height = (int)naxes[1];
    size_t npix = (size_t)f->width * (size_t)f->height;
    /* cfitsio does not notice a memory file that ends inside the data: check it here. */
    LONGLONG headstart = 0, datastart = 0, dataend = 0;
    if (fits_get_hduaddrll(fp, &headstart, &datastart, &dataend, &status)) {
        st = fits_fail(err, what, "locating HDU0 data", status);
        goto done;
    }
    size_t need = (size_t)datastart + npix * (size_t)(bitpix < 0 ? -bitpix : bitpix) / 8;
    if (need > n) {
        st = sk_error_set(err, SK_EFORMAT, "%s: truncated: HDU0 needs %zu bytes, file has %zu",
                          what, need, n);
        goto done;
    }
    f->pix = sk_xmalloc_aligned(npix * sizeof(float));
    long first[2] = {1, 1};
    float nulval = NAN;
    int anynul = 0;
    if (fits_read_pix(fp, TFLOAT, first, (LONGLONG)npix, &nulval, f->pix, &anynul, &status)) {
        st = fits_fail(err, what, "reading HDU0 pixels (truncated file?)", status);
        goto done;
    }
done:
    status = 0;
    fits_close_file(fp, &status);
    if (st) {
        free(f->pix);
        memset(f, 0, sizeof *f);
    }
    return st;
}

sk_status sk_frame_read(sk_frame *f, const char *path, sk_error *err)
{
    memset(f, 0, sizeof *f);
    uint8_t *raw = NULL;
    size_t n = 0;
    sk_status st = sk_read_file(path, &raw, &n, SK_FRAME_MAX_BYTES, err);
    if (st) return st;
    if (n >= 3 && memcmp(raw, "BZh", 3) == 0) {
        uint8_t *fits = NULL;
        size_t fn = 0;
        st = sk_bz2_decompress(&fits, &fn, raw, n, SK_FRAME_MAX_BYTES, path, err);
        free(raw);
        if (st) return st;
        st = sk_frame_read_mem(f, fits, fn, path, err);
        free(fits);
        return st;
    }
    st = sk_frame_read_mem(f, raw, n, path, err);
    free(raw);
    return st;
}

float sk_frame_sample(const sk_frame *f, double x, double y, int *valid)
{
    if (valid) *valid = 0;
    if (!(x >= 0.0 && y >= 0.0 && x <= f->width - 1 && y <= f->height - 1)) return 0.0f;
    int x0 = (int)x, y0 = (int)y;
    int x1 = x0 + 1 < f->width ? x0 + 1 : x0, y1 = y0 + 1 < f->height ? y0 + 1 : y0;
    double tx = x - x0, ty = y - y0;
    const float *r0 = f->pix + (size_t)y0 * f->width, *r1 = f->pix + (size_t)y1 * f->width;
    double v = (1 - ty) * ((1 - tx) * r0[x0] + tx * r0[x1]) + ty * ((1 - tx) * r1[x0] + tx * r1[x1]);
    if (!isfinite(v)) return 0.0f;
    if (valid) *valid = 1;
    return (float)v;
}

void sk_frame_free(sk_frame *f)
{
    free(f->pix);
    memset(f, 0, sizeof *f);
}
