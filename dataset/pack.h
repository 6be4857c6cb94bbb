/* pack.h: a folder of <CLASS>/<name>.jpg|png -> a .skds file, the way the study's Keras loader
 * (`tf.keras.utils.image_dataset_from_directory`) saw it.
 *
 * Keras' rules, reproduced: classes are the subdirectories of the folder in sorted order (label =
 * position); each class folder is walked recursively, directories sorted by path and files by
 * name, keeping names that end (case-insensitively) in .bmp .gif .jpeg .jpg .png; the lists of
 * all classes are concatenated in class order; then np.random.RandomState(seed).shuffle is
 * applied to that list (mt19937.h) and the last int(val * n) files are the validation subset,
 * the first n - int(val * n) the training subset. Images are decoded like tf.io.decode_image
 * (image.h) and resized with tf.image.resize bilinear (half-pixel centres, no antialiasing).
 * Records are written in the shuffled order. The output is a pure function of the input files
 * and the options (same bytes every run, any thread count).
 * Not here: fetching, importing archives, the file format itself (skds.h). */
#ifndef SK_PACK_H
#define SK_PACK_H

#include <stddef.h>
#include <stdint.h>
#include "sk_base.h"
#include "skds.h"

/* The indexed input folder. */
typedef struct {
    uint32_t nclasses;
    char **class_names; /* sorted */
    size_t nfiles;
    char **relpath;     /* "<CLASS>/<sub>/<name>", Keras' concatenated order */
    uint32_t *label;
} sk_pack_index;

/* Lists dir like Keras' index_directory (see above). .bmp/.gif files are an SK_EUNSUPPORTED
 * error (Keras would include them; skipping would change the split). */
sk_status sk_pack_index_dir(sk_pack_index *idx, const char *dir, sk_error *err) SK_WUR;
void sk_pack_index_free(sk_pack_index *idx);

/* Keras' shuffle and split of n files: order[k] is the index (into the sorted list) of the k-th
 * file after RandomState(seed).shuffle; split[k] is SK_SPLIT_VAL for the last int(val * n)
 * positions, SK_SPLIT_TRAIN otherwise (val = 0: no validation subset). */
void sk_pack_keras_split(uint64_t *order, uint32_t *split, size_t n, uint32_t seed, double val);

/* The split with a held-out test subset drawn first: one RandomState(seed), for each class in
 * label order, shuffles the sorted-list positions of that class's files and sets aside the
 * last int(test * count) of them (so the test subset is stratified by class); the other files,
 * in sorted order, get Keras' split (sk_pack_keras_split, same seed) as if the test files were
 * not in the folder. order[0..n) lists those files in Keras' order, then the test files in
 * sorted order; split[k] says which subset order[k] is in. With test = 0 this is exactly
 * sk_pack_keras_split. label[i] < nclasses is the class of the i-th sorted file. Returns the
 * number of test files. */
size_t sk_pack_split(uint64_t *order, uint32_t *split, size_t n, const uint32_t *label, uint32_t nclasses,
                     uint32_t seed, double val, double test);

typedef struct {
    const char *in_dir;
    const char *out_path;
    uint32_t height, width;   /* Keras image_size */
    double val;               /* validation_split, 0..1 (default 0.2) */
    double test;              /* held-out test fraction, drawn first (sk_pack_split); default 0 */
    uint32_t seed;            /* default 123 */
    sk_resize_mode resize;    /* SK_RESIZE_BILINEAR (Keras, default) or SK_RESIZE_AREA */
    sk_skds_dtype dtype;      /* SK_SKDS_U8 (default, rounded) or SK_SKDS_F32 (Keras' floats) */
    int fast_dct;             /* opt-in: decode JPEGs with libjpeg DCT scaling (not Keras-exact) */
    const char *command;      /* recorded in the provenance (may be NULL) */
    int progress;             /* draw a progress bar on a terminal */
} sk_pack_opts;

/* Defaults as documented above; in_dir, out_path and the size must still be set. */
void sk_pack_opts_init(sk_pack_opts *o);

typedef struct {
    size_t nfiles, ntrain, nval, ntest;
    uint32_t nclasses;
    double seconds;
} sk_pack_stats;

/* Indexes, decodes, resizes and writes o->out_path atomically. Any unreadable image fails the
 * whole pack with its path in the message and leaves no output. stats may be NULL. */
sk_status sk_pack_run(const sk_pack_opts *o, sk_pack_stats *stats, sk_error *err) SK_WUR;

/* Decodes one image file and resizes it to (height, width, 3) as pack does; out holds
 * H*W*3 floats. scratch-free; used by pack and by tests. */
sk_status sk_pack_load_image(float *out, const char *path, uint32_t height, uint32_t width,
                             sk_resize_mode resize, int fast_dct, sk_error *err) SK_WUR;

#endif
