/* wcs.h: the gnomonic (TAN) world coordinate system of FITS images (Calabretta & Greisen 2002),
 * with a CD matrix, both ways: pixel <-> (ra, dec) in degrees.
 *
 * Pixel coordinates in this API are 0-based (column x, row y), the way C indexes the image:
 * FITS pixel (1,1) is our (0,0). CRPIX is stored as the FITS (1-based) value. LONPOLE is the
 * TAN default (180 deg), which is what SDSS frames use. It is not a general WCS library: no SIP
 * distortion, no other projections, no celestial frame conversions. */
#ifndef SK_WCS_H
#define SK_WCS_H

#include "sk_base.h"

typedef struct {
    double crpix[2]; /* FITS CRPIX1, CRPIX2 (1-based pixel of the tangent point) */
    double crval[2]; /* ra, dec of the tangent point, degrees */
    double cd[2][2]; /* CD1_1 CD1_2 / CD2_1 CD2_2, degrees per pixel */
} sk_wcs;

/* Checks that the CD matrix is invertible and finite and crval is in range. */
sk_status sk_wcs_validate(const sk_wcs *w, sk_error *err) SK_WUR;

/* 0-based pixel (x, y) -> (ra, dec) in degrees, ra in [0, 360). */
void sk_wcs_pix2sky(const sk_wcs *w, double x, double y, double *ra, double *dec);

/* (ra, dec) in degrees -> 0-based pixel. Returns 0 on success, -1 if the point is on the far
 * hemisphere from the tangent point (no projection); x, y are then left untouched. */
int sk_wcs_sky2pix(const sk_wcs *w, double ra, double dec, double *x, double *y);

/* Gnomonic projection about an arbitrary tangent point (ra0, dec0): standard coordinates
 * (xi, eta) in degrees, xi towards east, eta towards north. Returns -1 on the far hemisphere. */
int sk_tan_project(double ra0, double dec0, double ra, double dec, double *xi, double *eta);
void sk_tan_deproject(double ra0, double dec0, double xi, double eta, double *ra, double *dec);

/* Pixel scale in arcsec/pixel (square root of |det CD|). */
double sk_wcs_scale_arcsec(const sk_wcs *w);

#endif
