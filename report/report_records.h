/* report_records.h: reading the benchmark runner's result records (schema "skytune.run",
 * version 1; see docs/FORMATS.md): one directory per cell holding run.json, metrics.jsonl and
 * a DONE marker, anywhere below a results root.
 *
 * Invariants after a successful load: every field the report uses is present and well typed;
 * class_names/per-class arrays have num_classes entries and confusion is num_classes^2;
 * 1 <= trainable_layers <= total_layers; arch is a safe file-name word ([A-Za-z0-9_.-]);
 * metrics.jsonl has exactly epochs_run epochs numbered 1..epochs_run; the records are sorted
 * by (arch, trainable_layers, seed) and no two share that key. A cell without DONE is
 * incomplete and ignored (counted); one with a FAILED file (the runner's error message) is
 * listed with that message. This reader never writes anything. */
#ifndef SK_REPORT_RECORDS_H
#define SK_REPORT_RECORDS_H

#include <stdint.h>
#include "sk_common.h"

#define SK_REPORT_MAX_CLASSES 16

typedef struct {
    int epoch;
    double lr, loss, acc, val_loss, val_acc, seconds;
} sk_report_epoch;

typedef struct {
    char *dir;                      /* the cell directory as found */
    char *suite, *cell, *arch;
    int input_size, num_classes;
    char *class_names[SK_REPORT_MAX_CLASSES];
    int trainable_layers, total_layers, base_layers;
    int64_t trainable_params, total_params;
    double tlr, tlr_base, tpr;
    int64_t seed;
    char *weights_kind, *weights_file, *weights_sha256;
    char *data_path, *data_sha256;
    int n_train, n_val;
    char *optimizer, *input_scaling, *loss;
    double lr;
    int batch, epochs_requested;
    int epochs_run, best_epoch;
    double best_val_acc, final_val_acc, final_train_acc, final_val_loss;
    double precision[SK_REPORT_MAX_CLASSES], recall[SK_REPORT_MAX_CLASSES], f1[SK_REPORT_MAX_CLASSES];
    int64_t confusion[SK_REPORT_MAX_CLASSES * SK_REPORT_MAX_CLASSES]; /* [true][pred] */
    double wall_seconds, seconds_per_epoch_median;
    int64_t peak_rss_bytes;
    int cache_used;
    char *version, *git_revision, *compiler, *flags, *blas, *blas_core, *cpu_model, *fingerprint;
    int omp_threads;
    char *started_utc, *finished_utc;
    int n_epochs;
    sk_report_epoch *epochs;        /* n_epochs entries, epoch i+1 at [i] */
} sk_report_run;

typedef struct {
    sk_report_run *runs;
    int n;
    int n_incomplete;               /* cell directories without DONE */
    int n_bad;                      /* bad records skipped (only with skip_bad) */
    int n_failed;                   /* cells the runner marked FAILED */
    char **failed;                  /* "DIR: first line of FAILED", n_failed entries */
} sk_report_set;

/* Loads one cell directory (run.json + metrics.jsonl). On error the message names the file
 * and the field, e.g. "results/a/run.json: field 'tpr': expected a number, found string". */
sk_status sk_report_run_load(sk_report_run *r, const char *dir, sk_error *err) SK_WUR;
void sk_report_run_free(sk_report_run *r);

/* Finds every cell below root (recursively; a directory holding run.json is a cell) and loads
 * the complete ones. A bad record is an error unless skip_bad, which warns (naming the file and
 * the problem) and skips it. Zero complete cells is an error (SK_ENOTFOUND). */
sk_status sk_report_set_load(sk_report_set *set, const char *root, int skip_bad, sk_error *err) SK_WUR;
void sk_report_set_free(sk_report_set *set);

#endif
