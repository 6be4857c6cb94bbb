/* weights_import.h: the whole import of a weight file into a .skck checkpoint: build the
 * architecture's graph, read the file (Keras HDF5 or TF.js), map it (weights.h), write the
 * checkpoint (core/checkpoint.h) with provenance metadata. What `skytune weights import` runs.
 *
 * Metadata written (key/value): weights=imagenet (file with --classes), weights_source=<path>, weights_format=
 * keras-h5|tfjs-layers, weights_sha256 (the .h5) or weights_model_json_sha256 (TF.js),
 * weights_top=none|imagenet-1000|dense (a study model's Dense head, e.g. a file `weights export`
 * wrote; with its class names as "class.<i>" when given). Nothing is written when any check
 * fails. */
#ifndef SK_WEIGHTS_IMPORT_H
#define SK_WEIGHTS_IMPORT_H

#include "sk_base.h"
#include "weights.h"

typedef struct {
    const char *arch;   /* registry id */
    int size;           /* input size recorded (weights do not depend on it) */
    int with_top;       /* graph with the ImageNet top (sk_weights_build_imagenet) */
    int allow_missing, allow_unused;
    int classes;        /* > 0: the study model, base + pooling + Dense(classes) "dense" */
    const char (*class_names)[64]; /* NULL or `classes` names, recorded in the checkpoint */
} sk_wimport_opts;

/* Imports `file` for o->arch and writes `out`. rep (may be NULL; free with sk_wreport_free)
 * receives the counts and the missing/unused names, also on a mapping error. */
sk_status sk_weights_import_file(const char *file, const sk_wimport_opts *o, const char *out,
                                 sk_wreport *rep, sk_error *err) SK_WUR;

#endif
