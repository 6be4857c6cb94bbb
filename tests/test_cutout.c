// LABELS: dataset
// TIMEOUT: 600
// LIBS: sk_dataset
/* test_cutout.c: cutouts from the real SDSS field 3918-3-213. The labelled objects of
 * objects_dev.csv (the brighter half, away from the edges) must sit at the centre of their
 * cutouts (background-subtracted light centroid in a small aperture: median offset < 1 native
 * pixel, most within 1.5 px) for both FITS and JPEG sources; neighbours must appear where the
 * sky says (north up, east left), FITS and JPEG cutouts must agree; the frames' noise is at the
 * level synth assumes; corrupt and truncated .bz2/FITS inputs fail cleanly; the driver writes
 * .skds and folders. Skips (77) when the shared data is absent. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sk_dataset.h"
#include "sk_base.h"
#include "sk_test.h"

#define SCALE 0.2
#define NATIVE 0.396127

typedef struct {
    double ra, dec;
    int star;
} obj;

/* Border median of R+G+B (the local background). */
static double background(const uint8_t *img, int S)
{
    double *v = malloc(sizeof(double) * 8 * S);
    int n = 0;
    for (int k = 0; k < S; k++)
        for (int e = 0; e < 2; e++) {
            const uint8_t *p[4] = {img + 3 * (e * S + k), img + 3 * ((S - 1 - e) * S + k),
                                   img + 3 * (k * S + e), img + 3 * (k * S + S - 1 - e)};
            for (int q = 0; q < 4; q++) v[n++] = p[q][0] + p[q][1] + p[q][2];
        }
    double m = sk_median(v, n);
    free(v);
    return m;
}

/* Iterated light centroid of (R+G+B - bg) within radius rad of (cx, cy) (pixel centres at
 * +0.5). Returns the aperture flux; cx, cy are updated. */
static double centroid(const uint8_t *img, int S, double bg, double *cx, double *cy, double rad)
{
    double flux = 0;
    for (int it = 0; it < 6; it++) {
        double sx = 0, sy = 0, sw = 0;
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                double dx = x + 0.5 - *cx, dy = y + 0.5 - *cy;
                if (dx * dx + dy * dy > rad * rad) continue;
                const uint8_t *p = img + 3 * (y * S + x);
                double w = p[0] + p[1] + p[2] - bg;
                if (w <= 0) continue;
                sx += w * (x + 0.5);
                sy += w * (y + 0.5);
                sw += w;
            }
        if (sw <= 0) return 0;
        *cx = sx / sw;
        *cy = sy / sw;
        flux = sw;
    }
    return flux;
}

static void test_bad_inputs(const char *dir, const char *tmp)
{
    sk_error err;
    sk_frame f;
    char *gpath = sk_path_join(dir, "frame-g-003918-3-0213.fits.bz2");
    uint8_t *raw = NULL;
    size_t n = 0;
    CHECK_OK(sk_read_file(gpath, &raw, &n, 1 << 26, &err), &err);
    if (!raw) return;
    /* Truncated bzip2 stream. */
    char *p = sk_path_join(tmp, "trunc.fits.bz2");
    CHECK_OK(sk_write_file_atomic(p, raw, n / 3, &err), &err);
    sk_status st = sk_frame_read(&f, p, &err);
    CHECKF(st == SK_EFORMAT && strstr(err.msg, "trunc.fits.bz2"), "truncated bz2: %s", err.msg);
    CHECK(f.pix == NULL);
    free(p);
    /* Corrupted bytes in the middle of the stream (bzip2 block CRC). */
    uint8_t *bad = malloc(n);
    memcpy(bad, raw, n);
    for (size_t k = n / 2; k < n / 2 + 64; k++) bad[k] ^= 0x5a;
    p = sk_path_join(tmp, "corrupt.fits.bz2");
    CHECK_OK(sk_write_file_atomic(p, bad, n, &err), &err);
    st = sk_frame_read(&f, p, &err);
    CHECKF(st == SK_EFORMAT, "corrupt bz2: %s", err.msg);
    free(p);
    free(bad);
    /* A file that is neither bzip2 nor FITS. */
    p = sk_path_join(tmp, "junk.fits");
    const char junk[] = "this is not a FITS file at all";
    CHECK_OK(sk_write_file_atomic(p, junk, sizeof junk, &err), &err);
    st = sk_frame_read(&f, p, &err);
    CHECKF(st == SK_EFORMAT && strstr(err.msg, "FITS"), "junk: %s", err.msg);
    free(p);
    /* A truncated plain FITS (valid header, pixels cut short). */
    uint8_t *fits = NULL;
    size_t fn = 0;
    CHECK_OK(sk_bz2_decompress(&fits, &fn, raw, n, SK_FRAME_MAX_BYTES, "g", &err), &err);
    CHECKF(fn > 12000000 && fits && memcmp(fits, "SIMPLE  =", 9) == 0, "decompressed %zu bytes", fn);
    if (fits) {
        p = sk_path_join(tmp, "short.fits");
        CHECK_OK(sk_write_file_atomic(p, fits, 1000000, &err), &err);
        st = sk_frame_read(&f, p, &err);
        CHECKF(st == SK_EFORMAT, "short FITS: %s", err.msg);
        free(p);
        /* Header only, with a broken WCS type. */
        uint8_t *hdr = malloc(fn);
        memcpy(hdr, fits, fn);
        for (size_t k = 0; k + 80 <= 2880 * 4; k += 80)
            if (memcmp(hdr + k, "CTYPE1  =", 9) == 0) memcpy(hdr + k + 11, "RA---SIN", 8);
        st = sk_frame_read_mem(&f, hdr, fn, "sin.fits", &err);
        CHECKF(st == SK_EUNSUPPORTED && strstr(err.msg, "CTYPE1"), "SIN projection: %s", err.msg);
        free(hdr);
        free(fits);
    }
    /* Not bzip2 at all for the decompressor; a missing file. */
    uint8_t *out = NULL;
    size_t on = 0;
    CHECK(sk_bz2_decompress(&out, &on, (const uint8_t *)junk, sizeof junk, 1 << 20, "junk", &err) == SK_EFORMAT);
    CHECK(sk_bz2_decompress(&out, &on, raw, n, 1 << 20, "limit", &err) == SK_ELIMIT);
    p = sk_path_join(tmp, "missing.fits.bz2");
    CHECK(sk_frame_read(&f, p, &err) != SK_OK);
    free(p);
    free(raw);
    free(gpath);
}

/* Robust sigma (1.4826 MAD) of a frame's pixels. */
static double robust_sigma(const sk_frame *f)
{
    int n = 0;
    double *v = malloc(sizeof(double) * 200000);
    for (size_t k = 0; k < (size_t)f->width * f->height && n < 200000; k += 13) v[n++] = f->pix[k];
    double med = sk_median(v, n);
    for (int k = 0; k < n; k++) v[k] = fabs(v[k] - med);
    double mad = sk_median(v, n);
    free(v);
    return 1.4826 * mad;
}

/* Half-light radius (native px) of a point source at (x, y) in a float image, from the light
 * within 12 px (sky-subtracted frames), by growing circular apertures of pixel centres. */
static double r50_px(const float *img, int w, int h, double x, double y, double *total)
{
    int x0 = (int)floor(x + 0.5), y0 = (int)floor(y + 0.5);
    double tot = 0;
    for (int dy = -13; dy <= 13; dy++)
        for (int dx = -13; dx <= 13; dx++) {
            int px = x0 + dx, py = y0 + dy;
            if (px >= 0 && py >= 0 && px < w && py < h && hypot(px - x, py - y) <= 12)
                tot += img[(size_t)py * w + px];
        }
    *total = tot;
    for (double r = 0.3; r < 12; r += 0.05) {
        double sum = 0;
        for (int dy = -13; dy <= 13; dy++)
            for (int dx = -13; dx <= 13; dx++) {
                int px = x0 + dx, py = y0 + dy;
                if (px >= 0 && py >= 0 && px < w && py < h && hypot(px - x, py - y) <= r)
                    sum += img[(size_t)py * w + px];
            }
        if (sum >= 0.5 * tot) return r;
    }
    return 12;
}

/* Sim-to-real: bright real stars of the r frame vs synth stars at the median SDSS seeing
 * (1.4"), measured the same way: the half-light radii must agree within 20%. */
static void test_seeing(const sk_frame *r, const sk_cutout_object *objs, size_t n)
{
    double real[400];
    int m = 0;
    for (size_t i = 0; i < n && m < 400; i++) {
        if (strcmp(objs[i].cls, "STAR") != 0) continue;
        double x, y, tot;
        if (sk_wcs_sky2pix(&r->wcs, objs[i].ra, objs[i].dec, &x, &y) || x < 20 || y < 20 ||
            x > r->width - 21 || y > r->height - 21)
            continue;
        double rr = r50_px(r->pix, r->width, r->height, x, y, &tot);
        if (tot > 30) real[m++] = rr; /* r < ~18.8 */
    }
    sk_synth_config c;
    sk_synth_config_default(&c);
    c.size = 64;
    c.scale = 0.32;
    const int nat = sk_synth_native_size(&c);
    float *w = sk_xmalloc_aligned(sk_synth_workspace_floats(&c) * sizeof(float));
    float *bands = malloc(sizeof(float) * 3 * (size_t)nat * nat);
    uint8_t *rgb = malloc(64 * 64 * 3);
    double sim[20];
    for (int k = 0; k < 20; k++) {
        sk_synth_truth t;
        sk_synth_draw(&t, &c, (uint64_t)k, SK_SYNTH_STAR);
        t.nneighbours = 0;
        t.seeing_fwhm = 1.4;
        t.target.flux[1] = 150.0; /* r ~ 17 */
        sk_synth_render(rgb, bands, &t, &c, w);
        double tot;
        sim[k] = r50_px(bands + (size_t)nat * nat, nat, nat, nat * 0.5 + t.phase[0] - 0.5,
                        nat * 0.5 + t.phase[1] - 0.5, &tot);
    }
    double mr = sk_median(real, m), ms = sk_median(sim, 20);
    printf("seeing: %d bright real stars r50 %.2f\" (FWHM ~%.2f\"), synth stars at 1.4\" r50 %.2f\"\n",
           m, mr * NATIVE, 2 * mr * NATIVE, ms * NATIVE);
    CHECK(m >= 10);
    CHECKF(fabs(mr / ms - 1.0) < 0.2, "real r50 %.2f px vs synth %.2f px", mr, ms);
    free(w);
    free(bands);
    free(rgb);
}

/* Writes frames of field 003918-3-0213 into dst with band g's FITS decompressed and its CRVAL2
 * moved by ddec degrees (a broken WCS); i and r are copied as they are. */
static void broken_g_frames(const char *src, const char *dst, double ddec)
{
    sk_error err;
    CHECK_OK(sk_mkdir_p(dst, &err), &err);
    static const char *const keep[] = {"frame-i-003918-3-0213.fits.bz2", "frame-r-003918-3-0213.fits.bz2"};
    for (int k = 0; k < 2; k++) {
        char *a = sk_path_join(src, keep[k]), *b = sk_path_join(dst, keep[k]);
        uint8_t *d = NULL;
        size_t n = 0;
        CHECK_OK(sk_read_file(a, &d, &n, 1 << 26, &err), &err);
        if (d) CHECK_OK(sk_write_file_atomic(b, d, n, &err), &err);
        free(d);
        free(a);
        free(b);
    }
    char *g = sk_path_join(src, "frame-g-003918-3-0213.fits.bz2");
    uint8_t *raw = NULL, *fits = NULL;
    size_t n = 0, fn = 0;
    CHECK_OK(sk_read_file(g, &raw, &n, 1 << 26, &err), &err);
    if (raw) CHECK_OK(sk_bz2_decompress(&fits, &fn, raw, n, SK_FRAME_MAX_BYTES, "g", &err), &err);
    int patched = 0;
    for (size_t k = 0; fits && k + 80 <= 2880 * 4 && k + 80 <= fn; k += 80)
        if (memcmp(fits + k, "CRVAL2  =", 9) == 0) {
            double v = atof((const char *)fits + k + 10) + ddec;
            char card[32];
            snprintf(card, sizeof card, "%20.12f", v);
            memcpy(fits + k + 10, card, 20);
            patched = 1;
        }
    CHECK(patched);
    char *out = sk_path_join(dst, "frame-g-003918-3-0213.fits");
    if (fits) CHECK_OK(sk_write_file_atomic(out, fits, fn, &err), &err);
    free(out);
    free(fits);
    free(raw);
    free(g);
}

/* Finding 6: a broken WCS in the g frame (the object is not inside that band's frame) skips the
 * object with a warning naming the band, instead of an all-black g channel; nothing usable ->
 * SK_ENOTFOUND and no output. A small shift inside the frame still cuts (coverage reported). */
static void test_broken_band_wcs(const char *dir, const char *tmp, const char *objects)
{
    const char few[] = "objid,ra,dec,class\n11,229.4114223,42.7183459,STAR\n"
                       "12,229.4134517,42.7186248,GALAXY\n";
    sk_error err;
    CHECK_OK(sk_write_file_atomic(objects, few, sizeof few - 1, &err), &err);
    char *frames = sk_path_join(tmp, "broken_g");
    broken_g_frames(dir, frames, 1.0);
    char *out = sk_path_join(tmp, "broken.skds"), *logp = sk_path_join(tmp, "broken.log");
    sk_cutout_opts co;
    sk_cutout_opts_init(&co);
    co.scale = 0.4;
    co.size = 48;
    sk_cutout_stats cs;
    FILE *log = fopen(logp, "w+");
    sk_log_set_stream(log);
    sk_status st = sk_cutout_write(out, frames, objects, &co, &cs, &err);
    sk_log_set_stream(NULL);
    char text[4096] = "";
    rewind(log);
    size_t tn = fread(text, 1, sizeof text - 1, log);
    text[tn] = 0;
    fclose(log);
    CHECKF(st == SK_ENOTFOUND && cs.skipped == 2 && cs.written == 0, "broken g WCS: %s", err.msg);
    CHECKF(strstr(text, "object 11 (line 2): band g of field 003918-3-0213: its WCS puts the object at pixel") != NULL,
           "warning names the band: %s", text);
    CHECK(!sk_path_exists(out));
    free(out);
    free(logp);
    free(frames);
}

int main(void)
{
    const char *shared = sk_test_shared();
    char dir[4096];
    if (!shared) {
        printf("SKIPPED: no shared data folder\n");
        return 77;
    }
    snprintf(dir, sizeof dir, "%s/data/sdss/frame_dr17_003918-3-0213", shared);
    char *csv = sk_path_join(dir, "objects_dev.csv");
    if (!sk_file_exists(csv)) {
        printf("SKIPPED: %s absent\n", csv);
        return 77;
    }
    char *tmp = sk_test_tmpdir("cutout");
    test_bad_inputs(dir, tmp);

    sk_error err;
    sk_field fits, jpeg;
    CHECK_OK(sk_field_load(&fits, dir, "003918-3-0213", SK_CUTOUT_FROM_FITS, &err), &err);
    CHECK_OK(sk_field_load(&jpeg, dir, "003918-3-0213", SK_CUTOUT_FROM_JPEG, &err), &err);
    if (!fits.band[1].pix || !jpeg.jpeg) return sk_test_finish();
    CHECK_EQ_INT(fits.band[1].width, 2048);
    CHECK_EQ_INT(fits.band[1].height, 1489);
    CHECK(fits.band[0].band == 'i' && fits.band[1].band == 'r' && fits.band[2].band == 'g');
    CHECK_NEAR(fits.band[1].wcs.crval[0], 229.537988811, 1e-9);
    CHECK_NEAR(fits.band[2].wcs.cd[1][1], -6.11954720527E-05, 1e-15);
    char ids[4][64];
    int nid = 0;
    CHECK_OK(sk_field_list(ids, 4, &nid, dir, &err), &err);
    CHECK(nid == 1 && strcmp(ids[0], "003918-3-0213") == 0);

    /* Sky noise of the real frames (nMgy per pixel), the level synth assumes (0.02-0.04). */
    double sig[3];
    for (int b = 0; b < 3; b++) sig[b] = robust_sigma(&fits.band[b]);
    printf("real frame sky noise (1.4826 MAD, nMgy/px): i %.4f  r %.4f  g %.4f\n", sig[0], sig[1], sig[2]);
    CHECK(sig[1] > 0.015 && sig[1] < 0.05);

    sk_cutout_object *objs = NULL;
    size_t nobj = 0;
    CHECK_OK(sk_cutout_read_objects(&objs, &nobj, csv, 0, &err), &err);
    CHECK_EQ_INT(nobj, 322);
    test_seeing(&fits.band[1], objs, nobj);

    /* Centring, both sources. */
    const int S = 64;
    const double c0 = S * 0.5;
    sk_lupton_params lp;
    sk_lupton_default(&lp);
    uint8_t *img = malloc((size_t)S * S * 3), *img2 = malloc((size_t)S * S * 3);
    double *flux = calloc(nobj, sizeof(double));
    double *off[2] = {calloc(nobj, sizeof(double)), calloc(nobj, sizeof(double))};
    int *use = calloc(nobj, sizeof(int));
    double corr_num = 0, corr_a = 0, corr_b = 0, sa = 0, sb = 0;
    long ncorr = 0;
    for (size_t i = 0; i < nobj; i++) {
        if (sk_field_margin(&fits, objs[i].ra, objs[i].dec) < 40) continue;
        use[i] = 1;
        for (int s = 0; s < 2; s++) {
            const sk_field *f = s ? &jpeg : &fits;
            uint8_t *im = s ? img2 : img;
            double cov = sk_cutout_render(im, f, objs[i].ra, objs[i].dec, SCALE, S, &lp);
            CHECK(cov == 1.0);
            double bg = background(im, S), cx = c0, cy = c0;
            double fl = centroid(im, S, bg, &cx, &cy, 2.0 / SCALE);
            if (s == 0) flux[i] = fl;
            off[s][i] = hypot(cx - c0, cy - c0) * SCALE / NATIVE;
        }
        for (int k = 0; k < S * S * 3; k++) {
            double a = img[k], b = img2[k];
            sa += a, sb += b, corr_num += a * b, corr_a += a * a, corr_b += b * b, ncorr++;
        }
    }
    double mfl[400];
    int nb = 0;
    for (size_t i = 0; i < nobj; i++)
        if (use[i]) mfl[nb++] = flux[i];
    double fl_med = sk_median(mfl, nb);
    for (int s = 0; s < 2; s++) {
        double v[400];
        int m = 0, within = 0;
        for (size_t i = 0; i < nobj; i++)
            if (use[i] && flux[i] >= fl_med) {
                v[m++] = off[s][i];
                within += off[s][i] < 1.5;
            }
        double med = sk_median(v, m);
        printf("%s: %d bright objects, centroid offset median %.3f native px, p90 %.3f, within 1.5 px %d (%.0f%%)\n",
               s ? "jpeg" : "fits", m, med, v[(int)(0.9 * (m - 1))], within, 100.0 * within / m);
        CHECK(m >= 100);
        CHECKF(med < 1.0, "median offset %.3f native px", med);
        CHECKF(within >= 0.8 * m, "%d of %d within 1.5 px", within, m);
    }
    double ma = sa / ncorr, mb = sb / ncorr;
    double corr = (corr_num / ncorr - ma * mb) /
                  sqrt((corr_a / ncorr - ma * ma) * (corr_b / ncorr - mb * mb));
    printf("fits vs jpeg cutout pixel correlation %.3f (mean levels %.1f vs %.1f)\n", corr, ma, mb);
    CHECK(corr > 0.8);
    CHECKF(fabs(ma - mb) < 3.0, "mean grey level of FITS composites %.2f vs SDSS JPEG %.2f", ma, mb);

    /* Orientation: in a 25.6" cutout around each bright object, the other bright objects sit
     * where the sky says (east left, north up): standard coordinates -> pixels. */
    const int S2 = 128;
    uint8_t *big = malloc((size_t)S2 * S2 * 3);
    double pos_off[2000];
    int npos = 0;
    for (size_t i = 0; i < nobj && npos < 2000; i++) {
        if (!use[i] || flux[i] < fl_med) continue;
        int rendered = 0;
        for (size_t j = 0; j < nobj && npos < 2000; j++) {
            if (j == i || !use[j] || flux[j] < fl_med) continue;
            double xi, eta;
            if (sk_tan_project(objs[i].ra, objs[i].dec, objs[j].ra, objs[j].dec, &xi, &eta)) continue;
            double u = S2 * 0.5 - xi * 3600 / SCALE, v = S2 * 0.5 - eta * 3600 / SCALE;
            double sep = hypot(xi, eta) * 3600;
            if (sep < 4.0 || u < 15 || v < 15 || u > S2 - 15 || v > S2 - 15) continue;
            if (!rendered) {
                sk_cutout_render(big, &fits, objs[i].ra, objs[i].dec, SCALE, S2, &lp);
                rendered = 1;
            }
            double bg = background(big, S2), cx = u, cy = v;
            centroid(big, S2, bg, &cx, &cy, 1.2 / SCALE);
            pos_off[npos++] = hypot(cx - u, cy - v) * SCALE / NATIVE;
        }
    }
    double pmed = sk_median(pos_off, npos);
    printf("orientation: %d neighbour pairs, median offset from predicted position %.3f native px\n",
           npos, pmed);
    CHECK(npos >= 10);
    CHECK(pmed < 1.0);

    /* The driver: .skds and folder output, from both sources, on a few objects. */
    char *small = sk_path_join(tmp, "few.csv");
    const char few[] = "objid,ra,dec,class\n11,229.4114223,42.7183459,STAR\n"
                       "12,229.4134517,42.7186248,GALAXY\n13,10.0,-20.0,STAR\n";
    CHECK_OK(sk_write_file_atomic(small, few, sizeof few - 1, &err), &err);
    char *skds = sk_path_join(tmp, "few.skds"), *folder = sk_path_join(tmp, "few");
    sk_cutout_opts co;
    sk_cutout_opts_init(&co);
    co.scale = 0.4;
    co.size = 48;
    co.from = SK_CUTOUT_FROM_JPEG;
    co.command = "test";
    sk_cutout_stats cs;
    CHECK_OK(sk_cutout_write(skds, dir, small, &co, &cs, &err), &err);
    CHECK(cs.written == 2 && cs.skipped == 1 && cs.objects == 3 && cs.partial == 0);
    sk_skds ds;
    sk_status so = sk_skds_open(&ds, skds, SK_SKDS_OPEN_DEFAULT, &err);
    CHECK_OK(so, &err);
    if (so == SK_OK) {
        CHECK_EQ_INT(ds.count, 2);
        CHECK_STR(ds.h.class_names[0], "GALAXY");
        CHECK(ds.records[0].objid == 11 && ds.records[0].label == 1 && ds.records[1].label == 0);
        CHECK_NEAR(ds.records[1].ra, 229.4134517, 1e-9);
        uint8_t ref[48 * 48 * 3];
        sk_cutout_render(ref, &jpeg, 229.4114223, 42.7183459, 0.4, 48, &lp);
        CHECK(memcmp(ref, sk_skds_pixels(&ds, 0), sizeof ref) == 0);
        sk_skds_close(&ds);
    }
    co.from = SK_CUTOUT_FROM_FITS;
    CHECK_OK(sk_cutout_write(folder, dir, small, &co, &cs, &err), &err);
    char *png = sk_path_join(folder, "GALAXY/00000012.png");
    CHECK(sk_file_exists(png));
    free(png);
    /* Bad objects CSV: a clear error with the line number. */
    const char badcsv[] = "objid,ra,dec,class\n1,229.4,42.7,STAR\n2,abc,42.7,STAR\n";
    CHECK_OK(sk_write_file_atomic(small, badcsv, sizeof badcsv - 1, &err), &err);
    CHECK(sk_cutout_write(skds, dir, small, &co, &cs, &err) == SK_EFORMAT && strstr(err.msg, "line 3") != NULL);
    /* Finding 6: two rows sharing an objid would overwrite each other's PNG: an error naming
     * both lines, or with dedupe the first kept, one PNG, one manifest row. */
    const char dup[] = "objid,ra,dec,class\n11,229.4114223,42.7183459,STAR\n"
                       "11,229.4134517,42.7186248,GALAXY\n";
    CHECK_OK(sk_write_file_atomic(small, dup, sizeof dup - 1, &err), &err);
    char *dupdir = sk_path_join(tmp, "dup");
    CHECKF(sk_cutout_write(dupdir, dir, small, &co, &cs, &err) == SK_EFORMAT &&
               strstr(err.msg, "lines 2 and 3") && strstr(err.msg, "--dedupe"), "duplicate objid: %s", err.msg);
    CHECK(!sk_path_exists(dupdir));
    co.dedupe = 1;
    CHECK_OK(sk_cutout_write(dupdir, dir, small, &co, &cs, &err), &err);
    CHECK(cs.written == 1 && cs.objects == 1);
    char *man = sk_path_join(dupdir, "manifest.tsv");
    uint8_t *mt = NULL;
    size_t mn = 0;
    CHECK_OK(sk_read_file(man, &mt, &mn, 1 << 20, &err), &err);
    CHECKF(mt && strstr((char *)mt, "11\tSTAR\tSTAR/00000011.png\t") && !strstr((char *)mt, "GALAXY"),
           "one manifest row for objid 11: %s", mt ? (char *)mt : "");
    free(mt);
    free(man);
    free(dupdir);
    co.dedupe = 0;
    test_broken_band_wcs(dir, tmp, small);

    free(small);
    free(skds);
    free(folder);
    free(big);
    free(img);
    free(img2);
    free(flux);
    free(off[0]);
    free(off[1]);
    free(use);
    free(objs);
    sk_field_free(&fits);
    sk_field_free(&jpeg);
    free(csv);
    free(tmp);
    return sk_test_finish();
}
