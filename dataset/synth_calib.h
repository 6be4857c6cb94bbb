/* synth_calib.h: per-class colour-magnitude distributions of the simulator, fitted to a
 * real SDSS catalog. GENERATED, do not edit: regenerate with
 *     skytune dataset synth --calibrate ../shared/data/sdss/catalog/sdss_dr14_kaggle_skyserver_10k.csv \
 *         > dataset/synth_calib.h
 * (tests/test_synth.c regenerates it from the same catalog and compares byte for byte).
 * Per class: rows whose (r, g-r, r-i) all lie inside the class's [0.5%, 99.5%] quantiles,
 * their mean and the lower Cholesky factor L of their covariance (draw = mean + L z), and
 * the quantile bounds used to clip draws. Classes in label order GALAXY, QSO, STAR. */
#ifndef SK_SYNTH_CALIB_H
#define SK_SYNTH_CALIB_H

typedef struct {
    const char *name;
    int rows_total, rows_used;
    double mean[3];    /* r, g-r, r-i */
    double chol[3][3]; /* lower triangular */
    double lo[3], hi[3];
} sk_synth_calib;

static const sk_synth_calib SK_SYNTH_CALIB[3] = {
    {"GALAXY", 4998, 4890,
     {16.654251, 0.704372, 0.379119},
     {{0.792904, 0, 0}, {-0.101144, 0.183723, 0}, {-0.025015, 0.061277, 0.045228}},
     {13.776150, 0.025100, -0.019970},
     {18.499440, 1.142760, 0.552130}},
    {"QSO", 850, 828,
     {18.513160, 0.175258, 0.135273},
     {{0.629819, 0, 0}, {-0.065893, 0.178096, 0}, {-0.019867, 0.048415, 0.138140}},
     {15.937220, -0.285560, -0.260120},
     {19.473400, 0.944170, 0.554610}},
    {"STAR", 4152, 4048,
     {16.725753, 0.404986, 0.145055},
     {{1.036256, 0, 0}, {-0.104710, 0.223288, 0}, {-0.041055, 0.101036, 0.049095}},
     {14.176760, -0.488300, -0.387400},
     {19.504620, 1.127220, 0.644030}},
};

#endif
