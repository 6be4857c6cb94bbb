/* record.h: result records, the only thing the report and CI read (schema in docs/FORMATS.md).
 *
 * One directory per cell: run.json (everything about the cell, schema_version 1),
 * metrics.jsonl (one line per epoch), DONE (written last). Every file is written atomically, so
 * a killed cell leaves either no record or a complete previous one, never a torn file. */
#ifndef SK_RECORD_H
#define SK_RECORD_H

#include <stdint.h>
#include "sk_common.h"

#define SK_RECORD_SCHEMA "skytune.run"
#define SK_RECORD_SCHEMA_VERSION 1
#define SK_RECORD_MAX_CLASSES 16

typedef struct {
    int epoch;            /* 1-based, as Keras prints */
    double lr;
    double loss, acc;
    double val_loss, val_acc;
    double val_recall[SK_RECORD_MAX_CLASSES];
    double seconds;
} sk_epoch_record;

typedef struct {
    char suite[64];
    char cell[96];
    char arch[32];
    int input_size;
    int num_classes;
    char class_names[SK_RECORD_MAX_CLASSES][64];
    int trainable_layers, total_layers, base_layers;
    uint64_t trainable_params, total_params;
    double tlr, tlr_base, tpr;
    uint64_t seed;
    char weights_kind[16];      /* "imagenet" | "scratch" */
    char weights_file[2048];
    char weights_sha256[65];
    char dataset_path[1024];
    char dataset_sha256[65];
    int n_train, n_val;
    /* protocol */
    char optimizer[16];
    double lr;
    int batch, epochs;
    double rlr_factor, rlr_min_delta, rlr_min_lr;
    int rlr_patience, rlr_cooldown;
    int es_patience;            /* 0 = none */
    double class_weights[SK_RECORD_MAX_CLASSES];
    char input_scaling[32];     /* "rescale_1_255" | "raw_0_255" */
    char loss[32];              /* "keras_logits" | "clipped" */
    /* outcome */
    int epochs_run;
    double best_val_acc;
    int best_epoch;
    double final_val_acc, final_train_acc, final_val_loss;
    double precision[SK_RECORD_MAX_CLASSES], recall[SK_RECORD_MAX_CLASSES], f1[SK_RECORD_MAX_CLASSES];
    int64_t confusion[SK_RECORD_MAX_CLASSES][SK_RECORD_MAX_CLASSES]; /* [true][pred] */
    double wall_seconds, seconds_per_epoch_median;
    int64_t peak_rss_bytes;
    int cache_used;
    char started_utc[32], finished_utc[32];
    char stop_reason[128];      /* "completed", "early_stopping", ... */
    char final_weights_sha256[65]; /* SHA-256 of the final parameter and state slabs (LE floats) */
} sk_run_record;

struct cJSON;
/* Writes a cJSON document to path atomically, indented, with a final newline. */
sk_status sk_json_write_file(const char *path, const struct cJSON *root, sk_error *err) SK_WUR;

/* Fills platform-independent defaults (zeros, "scratch", ...). */
void sk_run_record_init(sk_run_record *r);
/* Writes DIR/run.json atomically (platform block filled from sk_buildinfo). */
sk_status sk_record_write_run(const char *dir, const sk_run_record *r, sk_error *err) SK_WUR;
/* Writes DIR/metrics.jsonl atomically with epochs[0..n). */
sk_status sk_record_write_metrics(const char *dir, const sk_epoch_record *epochs, int n,
                                  int num_classes, sk_error *err) SK_WUR;
/* Reads back up to max epochs from DIR/metrics.jsonl (resume); *n = count read. */
sk_status sk_record_read_metrics(const char *dir, sk_epoch_record *epochs, int max, int *n,
                                 sk_error *err) SK_WUR;
sk_status sk_record_mark_done(const char *dir, sk_error *err) SK_WUR;
int sk_record_is_done(const char *dir);
/* The platform fingerprint: SHA-256 (hex, first 16 chars) of compiler, flags, BLAS config and
 * core (and OPENBLAS_CORETYPE), thread count and CPU model: what decides the floating-point
 * results besides the code. Bit-exact baseline comparison applies when fingerprints match; the
 * code version is deliberately not part of it, so a change that alters results on the same
 * platform shows up as a regression against the committed baseline. */
void sk_platform_fingerprint(char out[17]);
/* Current UTC time as ISO 8601 "YYYY-MM-DDTHH:MM:SSZ". */
void sk_utc_now(char out[32]);
/* Peak resident set size of this process in bytes (getrusage), 0 if unknown. */
int64_t sk_peak_rss_bytes(void);

#endif
