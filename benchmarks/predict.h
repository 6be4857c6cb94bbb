/* predict.h: `skytune predict`: a trained cell (cell.h) applied to new objects, one row of
 * preds.csv per object (docs/FORMATS.md, "preds.csv").
 *
 * Inputs: a .skds data set (every record, or one split), a folder of images of any size (JPEG or
 * PNG, walked recursively in byte order of their relative paths, decoded and resized as `dataset
 * pack` does; a file under a top-level folder named like one of the cell's classes has that true
 * label), or a catalog CSV with ra/dec (its cutouts fetched as `dataset fetch` fetches them, or
 * cut from SDSS frames as `dataset cutout` cuts them, into a folder that is then predicted).
 * Inference is batched (cell.h: sk_cell_infer) and its bits do not depend on the thread count or
 * the batch size. An image that cannot be read is reported by name and left out; the others are
 * predicted. The output is written once, atomically, at the end: nothing is written on error.
 * Not here: scores over a labelled split (evaluate.h). */
#ifndef SK_PREDICT_H
#define SK_PREDICT_H

#include <stdint.h>
#include "cell.h"
#include "sk_base.h"

/* One object of preds.csv. */
typedef struct {
    char *id;          /* objid, or the image's path relative to the input folder (malloc'ed) */
    double ra, dec;    /* degrees; NAN when unknown */
    int label;         /* true class (index into the cell's classes); -1 when unknown */
} sk_pred_row;

/* Writes preds.csv atomically: a header `id,ra,dec,p_<class>...,predicted,label`, then one row
 * per object with probs (n, num_classes) as the shortest decimals that read back as the same
 * float32, the argmax class (first maximum), and the true label's class name (empty when
 * unknown; ra and dec likewise). Fields are quoted as RFC 4180 asks when needed. */
sk_status sk_preds_write(const char *path, const sk_trained *t, const sk_pred_row *rows, const float *probs,
                         int n, sk_error *err) SK_WUR;
void sk_pred_rows_free(sk_pred_row *rows, int n);

typedef struct {
    const char *input;      /* .skds, folder of images, or catalog .csv */
    const char *out;        /* preds.csv */
    uint32_t split;         /* .skds: SK_SPLIT_* or SK_CELL_SPLIT_ALL (default) */
    int batch;              /* 0: the cell's batch size */
    int progress;           /* progress bar on stderr when it is a terminal */
    /* catalog input */
    const char *frames_dir; /* cut from the SDSS frames in this folder; NULL: fetch */
    const char *cutout_dir; /* where the catalog's cutouts go; NULL: <out>.cutouts */
    const char *base_url;   /* fetch: the ImgCutout service; NULL: SkyServer DR16 */
    double scale;           /* arcsec/pixel of the cutouts; 0: the tools' default */
    int cutout_size;        /* pixels; 0: the cell's training data size (else input size) */
} sk_predict_opts;

typedef struct {
    int n;                  /* objects predicted (rows written) */
    int skipped;            /* images that could not be read (named on stderr) */
    int labelled, correct;  /* rows with a true label, and of those predicted right */
} sk_predict_stats;

/* Predicts every object of o->input with the trained cell and writes o->out. A data set whose
 * size, channels or classes do not fit the cell, an input with nothing to predict, or one where
 * no image could be read is an error and writes nothing; skipped images are counted in st. */
sk_status sk_predict_run(const sk_trained *t, const sk_predict_opts *o, sk_predict_stats *st,
                         sk_error *err) SK_WUR;

#endif
