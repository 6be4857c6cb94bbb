/* wcs.c: TAN projection with a CD matrix, both directions (see wcs.h).
 *
 * Invariant: sk_wcs_sky2pix(sk_wcs_pix2sky(p)) == p to ~1e-9 pixel for points within a few
 * degrees of the tangent point. Uses the standard gnomonic formulas with LONPOLE = 180. */
#include "wcs.h"

#include <math.h>

static const double DEG = 3.14159265358979323846 / 180.0;

sk_status sk_wcs_validate(const sk_wcs *w, sk_error *err)
{
    const double v[8] = {w->crpix[0], w->crpix[1], w->crval[0], w->crval[1],
                         w->cd[0][0], w->cd[0][1], w->cd[1][0], w->cd[1][1]};
    for (int i = 0; i < 8; i++)
        if (!isfinite(v[i]))
            return sk_error_set(err, SK_EFORMAT, "WCS: field %d is not finite", i);
    if (w->crval[1] < -90.0 || w->crval[1] > 90.0)
        return sk_error_set(err, SK_EFORMAT, "WCS: CRVAL2 (dec) expected in [-90, 90], found %g",
                            w->crval[1]);
    double det = w->cd[0][0] * w->cd[1][1] - w->cd[0][1] * w->cd[1][0];
    if (!(fabs(det) > 1e-30))
        return sk_error_set(err, SK_EFORMAT, "WCS: CD matrix is singular (det %g)", det);
    return SK_OK;
}

int sk_tan_project(double ra0, double dec0, double ra, double dec, double *xi, double *eta)
{
    double a = (ra - ra0) * DEG, d = dec * DEG, d0 = dec0 * DEG;
    double cosc = sin(d0) * sin(d) + cos(d0) * cos(d) * cos(a);
    if (!(cosc > 1e-12)) return -1;
    *xi = cos(d) * sin(a) / cosc / DEG;
    *eta = (cos(d0) * sin(d) - sin(d0) * cos(d) * cos(a)) / cosc / DEG;
    return 0;
}

void sk_tan_deproject(double ra0, double dec0, double xi, double eta, double *ra, double *dec)
{
    double x = xi * DEG, y = eta * DEG, d0 = dec0 * DEG;
    double denom = cos(d0) - y * sin(d0);
    double a = atan2(x, denom);
    double d = atan2(sin(d0) + y * cos(d0), sqrt(x * x + denom * denom));
    double r = ra0 + a / DEG;
    r = fmod(r, 360.0);
    if (r < 0) r += 360.0;
    *ra = r;
    *dec = d / DEG;
}

void sk_wcs_pix2sky(const sk_wcs *w, double x, double y, double *ra, double *dec)
{
    double dx = x + 1.0 - w->crpix[0], dy = y + 1.0 - w->crpix[1];
    double xi = w->cd[0][0] * dx + w->cd[0][1] * dy;
    double eta = w->cd[1][0] * dx + w->cd[1][1] * dy;
    sk_tan_deproject(w->crval[0], w->crval[1], xi, eta, ra, dec);
}

int sk_wcs_sky2pix(const sk_wcs *w, double ra, double dec, double *x, double *y)
{
    double xi, eta;
    if (sk_tan_project(w->crval[0], w->crval[1], ra, dec, &xi, &eta) != 0) return -1;
    double det = w->cd[0][0] * w->cd[1][1] - w->cd[0][1] * w->cd[1][0];
    double dx = (w->cd[1][1] * xi - w->cd[0][1] * eta) / det;
    double dy = (-w->cd[1][0] * xi + w->cd[0][0] * eta) / det;
    *x = dx + w->crpix[0] - 1.0;
    *y = dy + w->crpix[1] - 1.0;
    return 0;
}

double sk_wcs_scale_arcsec(const sk_wcs *w)
{
    double det = w->cd[0][0] * w->cd[1][1] - w->cd[0][1] * w->cd[1][0];
    return sqrt(fabs(det)) * 3600.0;
}
