/* synth.h: the SDSS-calibrated simulator of galaxy, star and quasar cutouts.
 *
 * Each object is drawn from its own RNG stream (seed, SK_RNG_SYNTH, index): magnitudes and
 * colours (r, g-r, r-i) from the per-class multivariate normals of synth_calib.h (fitted to a
 * real SDSS catalog); stars and quasars are PSF sources, galaxies PSF-convolved Sersic profiles
 * whose index, size, axis ratio and angle follow their colour and magnitude; a few faint field
 * neighbours; sky, Poisson and read noise at SDSS levels (nanomaggies, NMGY per count, gain).
 * Rendering happens at the native 0.396"/px, then the Lupton asinh composite (lupton.h), then
 * bilinear resampling to the output scale with the object at the image centre (like SkyServer).
 * Invariants: object i depends only on (seed, i, its label, size, scale), never on n, the
 * thread count or other objects; all arithmetic is per object in double, so results are
 * bit-identical across OMP_NUM_THREADS. Not here: writing files (sink.h), the CLI. */
#ifndef SK_SYNTH_H
#define SK_SYNTH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "lupton.h"
#include "sk_base.h"

/* Class labels in alphabetical order, as Keras' image_dataset_from_directory numbers them. */
enum { SK_SYNTH_GALAXY = 0, SK_SYNTH_QSO = 1, SK_SYNTH_STAR = 2, SK_SYNTH_NCLASSES = 3 };

#define SK_SYNTH_NATIVE_SCALE 0.396127 /* arcsec per SDSS pixel */
#define SK_SYNTH_MAX_SIZE 4096
#define SK_SYNTH_MAX_NEIGHBOURS 3

typedef struct {
    int size;        /* output width = height, pixels */
    double scale;    /* output arcsec per pixel */
    uint64_t seed;
    double neighbour_rate; /* mean number of field neighbours per (20.48")^2; 0 disables */
    sk_lupton_params lupton;
    int jpeg_quality;      /* folder output only: 0 = PNG files, 1..100 = JPEG of this quality */
} sk_synth_config;

/* One source (target or neighbour) as drawn. Fluxes are in nanomaggies, band order g, r, i. */
typedef struct {
    int kind;                /* SK_SYNTH_* (a galaxy is a Sersic, the others PSF sources) */
    double mag_r, gr, ri;    /* r magnitude and colours */
    double flux[3];          /* g, r, i */
    double sersic_n, re_arcsec, axis_ratio, pa_deg; /* galaxies only */
    double x_arcsec, y_arcsec; /* offset from the cutout centre: +x right (west), +y down (south) */
} sk_synth_source;

/* Everything drawn for one object: the ground truth behind its pixels. */
typedef struct {
    uint64_t index;
    int label;
    sk_synth_source target;
    int nneighbours;
    sk_synth_source neighbour[SK_SYNTH_MAX_NEIGHBOURS];
    double seeing_fwhm;      /* arcsec, r band */
    double sky_mag[3];       /* mag/arcsec^2, g r i */
    double nmgy_per_count[3];
    double phase[2];         /* native pixel phase of the centre, in [-0.5, 0.5) */
} sk_synth_truth;

const char *sk_synth_class_name(int label);
/* "GALAXY"/"QSO"/"STAR" (case-insensitive) -> label, or -1. */
int sk_synth_class_parse(const char *name);

/* Defaults: 2048 px at 0.01"/px (the study's cutouts), seed 0, neighbour rate 0.3, Lupton
 * defaults, PNG output. */
void sk_synth_config_default(sk_synth_config *c);
sk_status sk_synth_config_check(const sk_synth_config *c, sk_error *err) SK_WUR;

/* Splits n objects into classes proportionally to mix[3] (GALAXY, QSO, STAR weights, not all
 * 0) by largest remainder, then orders the labels with a seeded shuffle (stream
 * (seed, SK_RNG_SYNTH, UINT64_MAX)). labels has n entries. */
void sk_synth_labels(uint8_t *labels, uint64_t n, const double mix[3], uint64_t seed);

/* Draws everything about object `index` of class `label` (pure function of its arguments). */
void sk_synth_draw(sk_synth_truth *t, const sk_synth_config *c, uint64_t index, int label);

/* Floats of scratch space sk_synth_render needs for config c (one workspace per thread). */
size_t sk_synth_workspace_floats(const sk_synth_config *c);

/* Renders object t: out (size, size, 3) uint8 RGB (R=i, G=r, B=g). If bands is not NULL it
 * receives the native-resolution noisy g, r, i images (nat*nat*3, planar, nanomaggies) where
 * nat = sk_synth_native_size(c). work has sk_synth_workspace_floats(c) floats. */
void sk_synth_render(uint8_t *out, float *bands, const sk_synth_truth *t, const sk_synth_config *c,
                     float *work);
int sk_synth_native_size(const sk_synth_config *c);

/* Reads an SDSS catalog CSV (columns class, g, r, i by header name; other columns ignored) and
 * writes the C text of synth_calib.h's numbers to out: per class the mean and Cholesky factor of
 * (r, g-r, r-i) after trimming each component to its [0.5%, 99.5%] quantiles, and the
 * [0.5%, 99.5%] bounds used to clip draws. */
sk_status sk_synth_calibrate(const char *catalog_path, FILE *out, sk_error *err) SK_WUR;

/* Renders n objects into out (a folder DIR/<CLASS>/<objid>.png + manifest.tsv, or a .skds when
 * out ends in ".skds"). mix[3] are class weights in label order (GALAXY, QSO, STAR); labels via
 * sk_synth_labels; object i has objid i+1 and file name %08llu.png of it. For .skds, records are
 * in objid order and their split flags follow Keras' rule (sk_pack_keras_split with split_seed
 * and val_fraction) applied to the file list the folder output would have (classes
 * alphabetical, files sorted), so `synth --out X.skds` and `synth --out DIR` + `pack --in DIR`
 * put the same objects in validation. Objects render in parallel (OpenMP over objects within
 * chunks) and are written in index order; output bytes do not depend on the thread count.
 * `command` is recorded as provenance. seconds (if not NULL) receives the wall time. */
sk_status sk_synth_write_split(const char *out, const sk_synth_config *c, uint64_t n,
                               const double mix[3], double val_fraction, uint32_t split_seed,
                               const char *command, int progress, double *seconds,
                               sk_error *err) SK_WUR;
/* sk_synth_write_split with the study's split seed (SK_SYNTH_SPLIT_SEED = 123). */
#define SK_SYNTH_SPLIT_SEED 123u
sk_status sk_synth_write(const char *out, const sk_synth_config *c, uint64_t n, const double mix[3],
                         double val_fraction, const char *command, int progress, double *seconds,
                         sk_error *err) SK_WUR;

#endif
