// LABELS: unit dataset
// LIBS: sk_dataset
/* test_wcs.c: TAN projection: the reference pixel maps to CRVAL, pixel -> sky -> pixel round
 * trips over a whole SDSS frame, the real r-band WCS of frame 3918-3-213 reproduces the ra/dec
 * of objects_dev.csv (computed independently from the same header), RA wrap-around, the pole,
 * the far hemisphere, and bad matrices. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sk_base.h"
#include "sk_test.h"
#include "../dataset/wcs.h"

/* The r-band WCS of frame-r-003918-3-0213 (header values). */
static sk_wcs frame_r(void)
{
    sk_wcs w = {{1025.0, 745.0}, {229.537988811, 42.7632764344},
                {{6.12244995309E-05, 9.14089391883E-05}, {9.13919502146E-05, -6.12100865715E-05}}};
    return w;
}

static void test_objects_dev(const sk_wcs *w)
{
    const char *shared = sk_test_shared();
    char path[4096];
    if (!shared) {
        printf("objects_dev check skipped: no shared data\n");
        return;
    }
    snprintf(path, sizeof path, "%s/data/sdss/frame_dr17_003918-3-0213/objects_dev.csv", shared);
    uint8_t *text = NULL;
    size_t n = 0;
    sk_error err;
    if (sk_read_file(path, &text, &n, 1 << 22, &err) != SK_OK) {
        printf("objects_dev check skipped: %s\n", err.msg);
        return;
    }
    int rows = 0;
    double worst_sky = 0, worst_pix = 0;
    char *save = NULL;
    for (char *ln = strtok_r((char *)text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        char label[16];
        double x, y, ra, dec;
        if (sscanf(ln, "%15[^,],%lf,%lf,%lf,%lf", label, &x, &y, &ra, &dec) != 5) continue;
        double r2, d2, x2, y2;
        sk_wcs_pix2sky(w, x, y, &r2, &d2);
        double dsky = hypot((r2 - ra) * cos(dec * M_PI / 180), d2 - dec) * 3600.0;
        if (dsky > worst_sky) worst_sky = dsky;
        CHECK(sk_wcs_sky2pix(w, ra, dec, &x2, &y2) == 0);
        double dpix = hypot(x2 - x, y2 - y);
        if (dpix > worst_pix) worst_pix = dpix;
        rows++;
    }
    free(text);
    printf("objects_dev: %d rows, worst pix->sky %.2g arcsec, worst sky->pix %.2g px\n", rows,
           worst_sky, worst_pix);
    CHECK_EQ_INT(rows, 322);
    CHECK(worst_sky < 1e-3); /* the csv has 7 decimals of a degree (0.36 mas) */
    CHECK(worst_pix < 3e-3);
}

int main(void)
{
    sk_wcs w = frame_r();
    sk_error err;
    CHECK_OK(sk_wcs_validate(&w, &err), &err);
    double ra, dec, x, y;
    sk_wcs_pix2sky(&w, 1024.0, 744.0, &ra, &dec); /* 0-based pixel of CRPIX (1025, 745) */
    CHECK_NEAR(ra, 229.537988811, 1e-12);
    CHECK_NEAR(dec, 42.7632764344, 1e-12);
    CHECK_NEAR(sk_wcs_scale_arcsec(&w), 0.396, 0.001);

    double worst = 0;
    for (double py = -100; py <= 1600; py += 97.3)
        for (double px = -100; px <= 2150; px += 101.7) {
            sk_wcs_pix2sky(&w, px, py, &ra, &dec);
            CHECK(sk_wcs_sky2pix(&w, ra, dec, &x, &y) == 0);
            double e = hypot(x - px, y - py);
            if (e > worst) worst = e;
        }
    CHECKF(worst < 1e-7, "round trip worst %.3g px", worst);
    /* Rows go south-east-ish in this frame: +1 row changes dec by CD2_2 ~ -6.1e-5 deg. */
    double ra1, dec1;
    sk_wcs_pix2sky(&w, 1024.0, 745.0, &ra1, &dec1);
    CHECK_NEAR(dec1 - 42.7632764344, -6.12100865715E-05, 1e-8);

    test_objects_dev(&w);

    /* RA wrap: a tangent point at 359.9999 deg and points either side of 0. */
    sk_wcs wrap = {{10, 10}, {359.9999, 10.0}, {{-1e-4, 0}, {0, 1e-4}}};
    CHECK_OK(sk_wcs_validate(&wrap, &err), &err);
    sk_wcs_pix2sky(&wrap, 0, 9, &ra, &dec); /* x = 0 is 9 px east (CD1_1 < 0): across RA 0 */
    CHECK_NEAR(ra, 359.9999 + 9e-4 / cos(10.0 * M_PI / 180) - 360.0, 1e-9);
    CHECK(sk_wcs_sky2pix(&wrap, ra, dec, &x, &y) == 0);
    CHECK_NEAR(x, 0, 1e-7);
    CHECK_NEAR(y, 9, 1e-7);
    CHECK(sk_wcs_sky2pix(&wrap, 0.0005, 10.0, &x, &y) == 0);
    CHECK(x < 9); /* east of the tangent point is towards smaller x with CD1_1 < 0 */

    /* Near the pole and the standard-coordinate helpers. */
    double xi, eta, r2, d2;
    CHECK(sk_tan_project(120.0, 89.99, 300.0, 89.995, &xi, &eta) == 0);
    sk_tan_deproject(120.0, 89.99, xi, eta, &r2, &d2);
    CHECK_NEAR(d2, 89.995, 1e-9);
    CHECK_NEAR(fmod(r2 - 300.0 + 540.0, 360.0) - 180.0, 0.0, 1e-6);
    CHECK(sk_tan_project(10.0, 0.0, 10.0, 0.0 + 1.0 / 3600, &xi, &eta) == 0);
    CHECK_NEAR(eta * 3600, 1.0, 1e-9); /* north is +eta */
    CHECK(sk_tan_project(10.0, 0.0, 10.0 + 1.0 / 3600, 0.0, &xi, &eta) == 0);
    CHECK_NEAR(xi * 3600, 1.0, 1e-9); /* east is +xi */

    /* Far hemisphere and bad matrices. */
    CHECK(sk_wcs_sky2pix(&w, w.crval[0] + 180.0, -w.crval[1], &x, &y) == -1);
    sk_wcs bad = w;
    bad.cd[0][0] = bad.cd[0][1] = 0;
    CHECK(sk_wcs_validate(&bad, &err) == SK_EFORMAT);
    bad = w;
    bad.crval[1] = 91;
    CHECK(sk_wcs_validate(&bad, &err) == SK_EFORMAT);
    bad = w;
    bad.crpix[0] = NAN;
    CHECK(sk_wcs_validate(&bad, &err) == SK_EFORMAT);
    return sk_test_finish();
}
