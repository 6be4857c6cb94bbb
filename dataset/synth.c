/* synth.c: draws and renders one simulated SDSS object (see synth.h for the model).
 *
 * Units: fluxes in nanomaggies (1 nMgy = 22.5 mag), lengths in native pixels inside the
 * renderer. Noise is Gaussian with the Poisson variance of (sky + source) electrons plus read
 * noise, then the sky is subtracted, as in SDSS corrected frames. Sersic profiles are normalised
 * analytically (total light 2 pi n e^b b^-2n Gamma(2n) Re^2), sub-sampled per pixel (finer near
 * the centre for the n~4 cusp), and convolved with a double-Gaussian PSF; PSF sources are
 * integrated over each pixel exactly (erf). Numbers that are assumptions, not fits, are named
 * constants below with their source. The colour-magnitude numbers come from synth_calib.h. */
#include "synth.h"

#include <math.h>
#include <string.h>

#include "sk_base.h"
#include "synth_calib.h"

static const char *const CLASS_NAMES[SK_SYNTH_NCLASSES] = {"GALAXY", "QSO", "STAR"};

/* SDSS camera and site (Gunn et al. 1998; DR8+ frame headers, e.g. NMGY of run 3918). */
#define GAIN_E_PER_COUNT 4.7
#define READ_NOISE_E 6.0
static const double NMGY_PER_COUNT[3] = {0.00378, 0.00511, 0.00679}; /* g r i */
/* Dark-sky surface brightness, mag/arcsec^2 (SDSS median sky: g ~21.8, r ~20.85, i ~20.25). */
#define SKY_R_MEAN 20.85
#define SKY_R_SIGMA 0.25
static const double SKY_OFFSET[3] = {0.95, 0.0, -0.6}; /* g-r, 0, i-r of the sky */
/* Seeing: SDSS quotes a median r-band PSF FWHM of ~1.3-1.4"; 1.3" nominal with the wing below
 * gives the half-light radius of the bright stars of field 3918-3-213 (0.69", test_cutout).
 * Lognormal spread, clipped. */
#define SEEING_MEDIAN 1.30
#define SEEING_LOG_SIGMA 0.12
/* PSF = 0.9 N(s) + 0.1 N(2 s): a core plus the SDSS-like extended wing. */
#define PSF_CORE_WEIGHT 0.9
#define PSF_WING_RATIO 2.0
/* The study's field of view: 2048 px at 0.01"/px. Neighbour density is per this area. */
#define REF_FOV_ARCSEC 20.48
#define MARGIN_PX 6

const char *sk_synth_class_name(int label)
{
    return label >= 0 && label < SK_SYNTH_NCLASSES ? CLASS_NAMES[label] : "?";
}

int sk_synth_class_parse(const char *name)
{
    for (int c = 0; c < SK_SYNTH_NCLASSES; c++) {
        const char *a = name, *b = CLASS_NAMES[c];
        while (*a && *b && (*a == *b || *a == *b + 32)) a++, b++;
        if (!*a && !*b) return c;
    }
    return -1;
}

void sk_synth_config_default(sk_synth_config *c)
{
    c->size = 2048;
    c->scale = 0.01;
    c->seed = 0;
    c->neighbour_rate = 0.3;
    sk_lupton_default(&c->lupton);
    c->jpeg_quality = 0;
}

sk_status sk_synth_config_check(const sk_synth_config *c, sk_error *err)
{
    if (c->size < 8 || c->size > SK_SYNTH_MAX_SIZE)
        return sk_error_set(err, SK_EINVAL, "synth: size expected 8..%d, found %d",
                            SK_SYNTH_MAX_SIZE, c->size);
    if (!(c->scale > 0.0) || !(c->scale <= 10.0))
        return sk_error_set(err, SK_EINVAL, "synth: scale expected in (0, 10] arcsec/px, found %g",
                            c->scale);
    if (c->size * c->scale > 600.0)
        return sk_error_set(err, SK_EINVAL, "synth: field of view size*scale expected <= 600\", "
                            "found %g\"", c->size * c->scale);
    if (!(c->neighbour_rate >= 0.0 && c->neighbour_rate <= 10.0))
        return sk_error_set(err, SK_EINVAL, "synth: neighbour rate expected in [0, 10], found %g",
                            c->neighbour_rate);
    if (c->jpeg_quality < 0 || c->jpeg_quality > 100)
        return sk_error_set(err, SK_EINVAL, "synth: JPEG quality expected 0..100, found %d",
                            c->jpeg_quality);
    if (!(c->lupton.q > 0) || !(c->lupton.alpha > 0))
        return sk_error_set(err, SK_EINVAL, "synth: Lupton Q and alpha must be > 0");
    return SK_OK;
}

void sk_synth_labels(uint8_t *labels, uint64_t n, const double mix[3], uint64_t seed)
{
    SK_ASSERT(n < UINT32_MAX);
    double total = mix[0] + mix[1] + mix[2];
    SK_ASSERT(total > 0 && mix[0] >= 0 && mix[1] >= 0 && mix[2] >= 0);
    uint64_t count[3], assigned = 0;
    double rem[3];
    for (int c = 0; c < 3; c++) {
        double exact = (double)n * mix[c] / total;
        count[c] = (uint64_t)floor(exact);
        rem[c] = exact - (double)count[c];
        assigned += count[c];
    }
    while (assigned < n) { /* largest remainder; ties go to the lower label */
        int best = 0;
        for (int c = 1; c < 3; c++)
            if (rem[c] > rem[best]) best = c;
        count[best]++;
        rem[best] = -1.0;
        assigned++;
    }
    uint64_t k = 0;
    for (int c = 0; c < 3; c++)
        for (uint64_t j = 0; j < count[c]; j++) labels[k++] = (uint8_t)c;
    sk_rng r = sk_rng_stream(seed, SK_RNG_SYNTH, UINT64_MAX);
    for (uint64_t i = n; i > 1; i--) {
        uint32_t j = sk_rng_below(&r, (uint32_t)i);
        uint8_t t = labels[i - 1];
        labels[i - 1] = labels[j];
        labels[j] = t;
    }
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

/* (r, g-r, r-i) from the class's multivariate normal, redrawn until inside its bounds. */
static void draw_colours(sk_rng *r, int cls, double v[3])
{
    const sk_synth_calib *k = &SK_SYNTH_CALIB[cls];
    for (int tries = 0;; tries++) {
        double z[3] = {sk_rng_normal(r), sk_rng_normal(r), sk_rng_normal(r)};
        int ok = 1;
        for (int a = 0; a < 3; a++) {
            v[a] = k->mean[a];
            for (int b = 0; b <= a; b++) v[a] += k->chol[a][b] * z[b];
            ok &= v[a] >= k->lo[a] && v[a] <= k->hi[a];
        }
        if (ok) return;
        if (tries == 50) { /* vanishingly rare; clamp rather than loop on */
            for (int a = 0; a < 3; a++) v[a] = clampd(v[a], k->lo[a], k->hi[a]);
            return;
        }
    }
}

/* Galaxy shape. Redder galaxies are more likely early types (de Vaucouleurs-like, rounder,
 * smaller at fixed magnitude); bluer ones discs (n ~ 1, thin when inclined). Sizes follow the
 * SDSS main-sample r50 ~ 1.5-3" at r ~ 17, shrinking ~0.17 dex per magnitude. */
static void draw_galaxy_shape(sk_rng *r, sk_synth_source *s)
{
    double p_early = 1.0 / (1.0 + exp(-(s->gr - 0.68) / 0.07));
    int early = sk_rng_uniform(r) < p_early;
    double u1 = sk_rng_uniform(r), u2 = sk_rng_uniform(r), z = sk_rng_normal(r);
    double mu, sig;
    if (early) {
        s->sersic_n = 2.5 + 2.5 * u1;
        s->axis_ratio = 0.55 + 0.45 * u2;
        mu = 0.20 - 0.17 * (s->mag_r - 17.0);
        sig = 0.12;
    } else {
        s->sersic_n = 0.6 + 1.0 * u1;
        const double q0 = 0.15; /* intrinsic disc thickness; cos(i) uniform */
        s->axis_ratio = sqrt(u2 * u2 * (1.0 - q0 * q0) + q0 * q0);
        mu = 0.35 - 0.17 * (s->mag_r - 17.0);
        sig = 0.15;
    }
    s->re_arcsec = clampd(pow(10.0, mu + sig * z), 0.3, 15.0);
    s->pa_deg = 180.0 * sk_rng_uniform(r);
}

static void set_fluxes(sk_synth_source *s)
{
    double mag[3] = {s->mag_r + s->gr, s->mag_r, s->mag_r - s->ri};
    for (int b = 0; b < 3; b++) s->flux[b] = pow(10.0, -0.4 * (mag[b] - 22.5));
}

void sk_synth_draw(sk_synth_truth *t, const sk_synth_config *c, uint64_t index, int label)
{
    SK_ASSERT(label >= 0 && label < SK_SYNTH_NCLASSES);
    memset(t, 0, sizeof *t);
    sk_rng r = sk_rng_stream(c->seed, SK_RNG_SYNTH, index);
    t->index = index;
    t->label = label;
    sk_synth_source *s = &t->target;
    double v[3];
    draw_colours(&r, label, v);
    s->kind = label;
    s->mag_r = v[0];
    s->gr = v[1];
    s->ri = v[2];
    set_fluxes(s);
    if (label == SK_SYNTH_GALAXY) draw_galaxy_shape(&r, s);
    t->seeing_fwhm = clampd(SEEING_MEDIAN * exp(SEEING_LOG_SIGMA * sk_rng_normal(&r)), 0.9, 2.3);
    double sky_r = clampd(SKY_R_MEAN + SKY_R_SIGMA * sk_rng_normal(&r), 20.0, 21.6);
    for (int b = 0; b < 3; b++) {
        t->sky_mag[b] = sky_r + SKY_OFFSET[b] + (b == 1 ? 0.0 : 0.08 * sk_rng_normal(&r));
        t->nmgy_per_count[b] = NMGY_PER_COUNT[b] * exp(0.05 * sk_rng_normal(&r));
    }
    t->phase[0] = sk_rng_uniform(&r) - 0.5;
    t->phase[1] = sk_rng_uniform(&r) - 0.5;
    /* Neighbours: Poisson count (inversion), uniform positions at least 3" from the target,
     * r uniform in [18.5, 22], half stars and half galaxies with their classes' colours. */
    double fov = c->size * c->scale;
    double lambda = c->neighbour_rate * (fov * fov) / (REF_FOV_ARCSEC * REF_FOV_ARCSEC);
    double u = sk_rng_uniform(&r), p = exp(-lambda), cum = p;
    int k = 0;
    while (u > cum && k < SK_SYNTH_MAX_NEIGHBOURS) {
        k++;
        p *= lambda / k;
        cum += p;
    }
    t->nneighbours = k;
    for (int j = 0; j < k; j++) {
        sk_synth_source *nb = &t->neighbour[j];
        nb->kind = sk_rng_uniform(&r) < 0.5 ? SK_SYNTH_STAR : SK_SYNTH_GALAXY;
        draw_colours(&r, nb->kind, v);
        nb->mag_r = 18.5 + 3.5 * sk_rng_uniform(&r);
        nb->gr = v[1];
        nb->ri = v[2];
        set_fluxes(nb);
        if (nb->kind == SK_SYNTH_GALAXY) draw_galaxy_shape(&r, nb);
        for (int tries = 0; tries < 20; tries++) {
            nb->x_arcsec = (sk_rng_uniform(&r) - 0.5) * fov;
            nb->y_arcsec = (sk_rng_uniform(&r) - 0.5) * fov;
            if (hypot(nb->x_arcsec, nb->y_arcsec) >= 3.0) break;
        }
    }
}

int sk_synth_native_size(const sk_synth_config *c)
{
    return (int)ceil(c->size * c->scale / SK_SYNTH_NATIVE_SCALE) + 2 * MARGIN_PX;
}

size_t sk_synth_workspace_floats(const sk_synth_config *c)
{
    size_t nat = (size_t)sk_synth_native_size(c);
    return nat * nat * 10 + nat * 8 + 64;
}

/* Pixel-integrated 1-D Gaussian: g[j] = mass of N(x0, s) in [j, j+1) (edge coordinates). */
static void gauss_1d(double *g, int n, double x0, double s)
{
    const double k = 1.0 / (s * sqrt(2.0));
    double prev = 0.5 * erfc(-(0.0 - x0) * k);
    for (int j = 0; j < n; j++) {
        double next = 0.5 * erfc(-((double)(j + 1) - x0) * k);
        g[j] = next - prev;
        prev = next;
    }
}

/* Adds flux[b] * PSF(centred at (x0, y0)) to the three band planes (nat, nat). */
static void add_psf(float *band, int nat, const double flux[3], double x0, double y0, double sigma,
                    double *gx, double *gy)
{
    const double w[2] = {PSF_CORE_WEIGHT, 1.0 - PSF_CORE_WEIGHT};
    const double s[2] = {sigma, sigma * PSF_WING_RATIO};
    for (int comp = 0; comp < 2; comp++) {
        gauss_1d(gx, nat, x0, s[comp]);
        gauss_1d(gy, nat, y0, s[comp]);
        for (int b = 0; b < 3; b++) {
            float *img = band + (size_t)b * nat * nat;
            double f = flux[b] * w[comp];
            for (int y = 0; y < nat; y++) {
                double fy = f * gy[y];
                if (fy == 0.0) continue;
                for (int x = 0; x < nat; x++) img[(size_t)y * nat + x] += (float)(fy * gx[x]);
            }
        }
    }
}

/* Sersic b_n (Ciotti & Bertin 1999 asymptotic series). */
static double sersic_b(double n)
{
    return 2.0 * n - 1.0 / 3.0 + 4.0 / (405.0 * n) + 46.0 / (25515.0 * n * n);
}

/* Unit-flux Sersic (pixel-averaged) into prof (nat, nat); lengths in native pixels. */
static void render_sersic(float *prof, int nat, const sk_synth_source *s, double x0, double y0)
{
    double n = s->sersic_n, re = s->re_arcsec / SK_SYNTH_NATIVE_SCALE, q = s->axis_ratio;
    double b = sersic_b(n);
    double total = 2.0 * M_PI * n * exp(b) * pow(b, -2.0 * n) * tgamma(2.0 * n) * re * re;
    double pa = s->pa_deg * M_PI / 180.0, cp = cos(pa), sp = sin(pa);
    double rmax = 8.0 * re;
    for (int y = 0; y < nat; y++)
        for (int x = 0; x < nat; x++) {
            double dxc = x + 0.5 - x0, dyc = y + 0.5 - y0;
            double dist = hypot(dxc, dyc);
            if (dist > rmax + 1.0) {
                prof[(size_t)y * nat + x] = 0.0f;
                continue;
            }
            int ss = dist < 3.0 ? 15 : dist < 8.0 ? 5 : 3;
            double acc = 0.0;
            for (int a = 0; a < ss; a++)
                for (int bb = 0; bb < ss; bb++) {
                    double dx = dxc - 0.5 + (a + 0.5) / ss, dy = dyc - 0.5 + (bb + 0.5) / ss;
                    double xp = dx * cp + dy * sp, yp = -dx * sp + dy * cp;
                    double rr = sqrt(q * xp * xp + yp * yp / q);
                    if (rr > rmax) continue;
                    acc += exp(-b * (pow(rr / re, 1.0 / n) - 1.0));
                }
            prof[(size_t)y * nat + x] = (float)(acc / (ss * ss) / total);
        }
}

/* out += w * (G_sigma (x) in), separable, zero outside; tmp is (nat, nat), k has 2R+1 taps. */
static void convolve_add(float *out, const float *in, float *tmp, int nat, double sigma, double w,
                         double *k)
{
    int R = (int)ceil(4.0 * sigma);
    if (R > nat - 1) R = nat - 1;
    double sum = 0.0;
    for (int d = -R; d <= R; d++) sum += (k[d + R] = exp(-0.5 * d * d / (sigma * sigma)));
    for (int d = 0; d <= 2 * R; d++) k[d] /= sum;
    for (int y = 0; y < nat; y++)
        for (int x = 0; x < nat; x++) {
            double acc = 0.0;
            int lo = x - R < 0 ? -x : -R, hi = x + R >= nat ? nat - 1 - x : R;
            for (int d = lo; d <= hi; d++) acc += k[d + R] * in[(size_t)y * nat + x + d];
            tmp[(size_t)y * nat + x] = (float)acc;
        }
    for (int y = 0; y < nat; y++) {
        int lo = y - R < 0 ? -y : -R, hi = y + R >= nat ? nat - 1 - y : R;
        for (int x = 0; x < nat; x++) {
            double acc = 0.0;
            for (int d = lo; d <= hi; d++) acc += k[d + R] * tmp[(size_t)(y + d) * nat + x];
            out[(size_t)y * nat + x] += (float)(w * acc);
        }
    }
}

static void add_source(float *band, int nat, const sk_synth_source *s, double cx, double cy,
                       double sigma, float *prof, float *conv, float *tmp, double *scratch)
{
    double x0 = cx + s->x_arcsec / SK_SYNTH_NATIVE_SCALE, y0 = cy + s->y_arcsec / SK_SYNTH_NATIVE_SCALE;
    if (s->kind != SK_SYNTH_GALAXY) {
        add_psf(band, nat, s->flux, x0, y0, sigma, scratch, scratch + nat);
        return;
    }
    size_t npix = (size_t)nat * nat;
    render_sersic(prof, nat, s, x0, y0);
    memset(conv, 0, npix * sizeof(float));
    convolve_add(conv, prof, tmp, nat, sigma, PSF_CORE_WEIGHT, scratch);
    convolve_add(conv, prof, tmp, nat, sigma * PSF_WING_RATIO, 1.0 - PSF_CORE_WEIGHT, scratch);
    for (int b = 0; b < 3; b++) {
        float *img = band + (size_t)b * npix;
        for (size_t p = 0; p < npix; p++) img[p] += (float)(s->flux[b] * conv[p]);
    }
}

void sk_synth_render(uint8_t *out, float *bands, const sk_synth_truth *t, const sk_synth_config *c,
                     float *work)
{
    const int nat = sk_synth_native_size(c);
    const size_t npix = (size_t)nat * nat;
    float *band = work;            /* 3 planes g, r, i */
    float *rgb = band + 3 * npix;  /* interleaved R G B in [0, 1] */
    float *prof = rgb + 3 * npix;
    float *conv = prof + npix;
    float *tmp = conv + npix;
    double *scratch = (double *)(tmp + npix); /* 2*nat doubles or 2R+1 taps */
    SK_ASSERT((size_t)((float *)scratch - work) + 4 * (size_t)nat + 8 <= sk_synth_workspace_floats(c));
    memset(band, 0, 3 * npix * sizeof(float));

    const double cx = nat * 0.5 + t->phase[0], cy = nat * 0.5 + t->phase[1];
    const double sigma = t->seeing_fwhm / 2.354820045 / SK_SYNTH_NATIVE_SCALE;
    add_source(band, nat, &t->target, cx, cy, sigma, prof, conv, tmp, scratch);
    for (int j = 0; j < t->nneighbours; j++)
        add_source(band, nat, &t->neighbour[j], cx, cy, sigma, prof, conv, tmp, scratch);

    /* Noise: electrons = nMgy / NMGY * gain; variance = sky + source electrons + read noise^2.
     * Its own stream index space (index | 1<<63) keeps the parameters above independent of the
     * grid size. */
    sk_rng r = sk_rng_stream(c->seed, SK_RNG_SYNTH, t->index | (UINT64_C(1) << 63));
    const double pix_area = SK_SYNTH_NATIVE_SCALE * SK_SYNTH_NATIVE_SCALE;
    for (int b = 0; b < 3; b++) {
        float *img = band + (size_t)b * npix;
        double e_per_nmgy = GAIN_E_PER_COUNT / t->nmgy_per_count[b];
        double sky_e = pow(10.0, -0.4 * (t->sky_mag[b] - 22.5)) * pix_area * e_per_nmgy;
        for (size_t p = 0; p < npix; p++) {
            double src_e = img[p] * e_per_nmgy;
            double var = sky_e + (src_e > 0 ? src_e : 0) + READ_NOISE_E * READ_NOISE_E;
            img[p] = (float)(img[p] + sk_rng_normal(&r) * sqrt(var) / e_per_nmgy);
        }
    }
    if (bands) memcpy(bands, band, 3 * npix * sizeof(float));

    for (size_t p = 0; p < npix; p++) /* R = i, G = r, B = g */
        sk_lupton_pixel_f(rgb + 3 * p, band[2 * npix + p], band[npix + p], band[p], &c->lupton);

    /* Resample: output pixel centres mapped onto the native grid around the centre; bilinear,
     * averaged over k x k sub-samples when the output pixel is larger than a native one. */
    const double ratio = c->scale / SK_SYNTH_NATIVE_SCALE;
    const int k = ratio > 1.0 ? (int)ceil(ratio) : 1;
    const int S = c->size;
    for (int v = 0; v < S; v++)
        for (int u = 0; u < S; u++) {
            double acc[3] = {0, 0, 0};
            for (int a = 0; a < k; a++)
                for (int bb = 0; bb < k; bb++) {
                    double ou = u + (a + 0.5) / k - S * 0.5, ov = v + (bb + 0.5) / k - S * 0.5;
                    double px = cx + ou * ratio - 0.5, py = cy + ov * ratio - 0.5;
                    int x0 = (int)floor(px), y0 = (int)floor(py);
                    double tx = px - x0, ty = py - y0;
                    if (x0 < 0 || y0 < 0 || x0 + 1 >= nat || y0 + 1 >= nat) continue;
                    const float *p00 = rgb + 3 * ((size_t)y0 * nat + x0), *p01 = p00 + 3;
                    const float *p10 = p00 + 3 * (size_t)nat, *p11 = p10 + 3;
                    for (int ch = 0; ch < 3; ch++)
                        acc[ch] += (1 - ty) * ((1 - tx) * p00[ch] + tx * p01[ch]) +
                                   ty * ((1 - tx) * p10[ch] + tx * p11[ch]);
                }
            uint8_t *o = out + 3 * ((size_t)v * S + u);
            for (int ch = 0; ch < 3; ch++) {
                double val = floor(acc[ch] / (k * k) * 255.0 + 0.5);
                o[ch] = (uint8_t)(val < 0 ? 0 : val > 255 ? 255 : val);
            }
        }
}
