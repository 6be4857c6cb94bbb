/* record.h: the result records, the only thing the report and CI read (docs/FORMATS.md, "Result
 * records"): the records library's main header (public through include/sk_records.h, with
 * eval.h). It holds no training code and depends on the base library only (errors, files,
 * checksums, build info) and cJSON.
 *
 * One directory per cell: run.json (everything about the cell, schema "skytune.run" version 2;
 * version 1 records, which have no test block, are still read),
 * metrics.jsonl (one line per epoch), DONE (written last), or FAILED (the runner's error). Every
 * file is written atomically, so a killed cell leaves either no record or a complete previous
 * one, never a torn file.
 *
 * The schema is ONE field table (record.c): each run.json and metrics.jsonl field with its JSON
 * path, type, struct member, bounds, whether readers of older records may find it absent, and
 * its `bench check` class. The writer, the reader, the build-info ("platform") block of every
 * JSON document skytune writes and the field lists of `bench check` all walk that table.
 *
 * Reader invariants after a successful sk_record_read_cell: every required field is present
 * and well typed; class arrays have num_classes entries and confusion num_classes^2;
 * 1 <= trainable_layers <= total_layers, trainable_params <= total_params, tlr/tlr_base/tpr
 * follow from the counts; arch is a safe file-name word ([A-Za-z0-9_.-]); best_epoch <=
 * epochs_run; metrics.jsonl has exactly epochs_run epochs numbered 1..epochs_run. Errors name
 * the file and the field: "results/a/run.json: field 'tpr': expected a finite number, found
 * nothing (missing)". */
#ifndef SK_RECORD_H
#define SK_RECORD_H

#include <stdint.h>
#include "sk_base.h"

#define SK_RECORD_SCHEMA "skytune.run"
#define SK_RECORD_SCHEMA_VERSION 2      /* written; 2 added the held-out test block */
#define SK_RECORD_SCHEMA_VERSION_MIN 1  /* oldest read */
#define SK_RECORD_MAX_CLASSES 16

/* One line of metrics.jsonl. */
typedef struct {
    int epoch;            /* 1-based, as Keras prints */
    double lr;            /* the rate used during the epoch */
    double loss, acc;
    double val_loss, val_acc;
    double val_recall[SK_RECORD_MAX_CLASSES];
    double seconds;
} sk_epoch_record;

/* run.json (its JSON names in docs/FORMATS.md), plus where a reader found it and its epochs. */
typedef struct {
    char suite[64];
    char cell[128];
    char arch[64];
    int input_size;
    int num_classes;
    char class_names[SK_RECORD_MAX_CLASSES][64];
    int trainable_layers, total_layers, base_layers;
    int64_t trainable_params, total_params;
    double tlr, tlr_base, tpr;
    uint64_t seed;
    char weights_kind[16];      /* "imagenet" | "scratch" */
    char weights_file[2048];
    char weights_sha256[65];
    char weights_source[16];    /* keras-h5 | tfjs | file | initialisers | scratch (cell.h) */
    char data_path[1024];       /* dataset.path */
    char data_sha256[65];
    int n_train, n_val;
    int n_test;                 /* dataset.n_test: the held-out test split; 0 = none (no test block) */
    /* protocol */
    char optimizer[16];
    double lr;
    int batch, epochs_requested; /* protocol.epochs */
    double rlr_factor, rlr_min_delta, rlr_min_lr;
    int rlr_patience, rlr_cooldown;
    int es_patience;            /* 0 = no EarlyStopping (written as null) */
    double class_weights[SK_RECORD_MAX_CLASSES];
    char input_scaling[32];     /* "rescale_1_255" | "raw_0_255" */
    char loss[32];              /* "keras_logits" | "clipped" */
    /* outcome */
    int epochs_run;
    char stop_reason[128];      /* "completed", "early_stopping", ... */
    double best_val_acc;
    int best_epoch;
    double final_val_acc, final_train_acc, final_val_loss;
    char final_weights_sha256[65]; /* SHA-256 of the final parameter and state slabs (LE floats) */
    double precision[SK_RECORD_MAX_CLASSES], recall[SK_RECORD_MAX_CLASSES], f1[SK_RECORD_MAX_CLASSES];
    int64_t confusion[SK_RECORD_MAX_CLASSES * SK_RECORD_MAX_CLASSES]; /* [true * num_classes + pred] */
    /* the test split, evaluated once after training (present when n_test > 0) with the weights
     * of the best validation epoch (best_epoch) and with the final weights */
    int test_best_epoch, test_last_epoch; /* = best_epoch and epochs_run */
    double test_best_acc, test_best_balanced_acc, test_best_loss;
    double test_last_acc, test_last_balanced_acc, test_last_loss;
    double wall_seconds, seconds_per_epoch_median;
    int64_t peak_rss_bytes;
    int cache_used;
    /* platform (sk_record_set_platform) */
    char version[32];           /* platform.skytune_version */
    char git_revision[64];
    char compiler[128];
    char flags[1024];
    char blas[32];
    char blas_config[256];
    char blas_core[64];
    char openblas_coretype_env[64];
    int omp_threads;
    char cpu_model[256];
    char fingerprint[32];
    char started_utc[32], finished_utc[32];
    /* filled by sk_record_read_cell, ignored by the writer */
    char *dir;                  /* the cell directory as found (malloc'ed) */
    int n_epochs;
    sk_epoch_record *epochs;    /* n_epochs entries, epoch i+1 at [i] (malloc'ed) */
} sk_run_record;

/* Fills defaults: zeros, "scratch", "rescale_1_255", "keras_logits", "adam", "completed". */
void sk_run_record_init(sk_run_record *r);
/* Frees what a reader allocated (dir, epochs); the record can be read into again. */
void sk_run_record_free(sk_run_record *r);
/* Fills the platform fields from this binary and machine (sk_buildinfo, the fingerprint). */
void sk_record_set_platform(sk_run_record *r);

/* Writes DIR/run.json atomically; the platform block is this binary's (set here). */
sk_status sk_record_write_run(const char *dir, const sk_run_record *r, sk_error *err) SK_WUR;
/* Writes DIR/metrics.jsonl atomically with epochs[0..n). */
sk_status sk_record_write_metrics(const char *dir, const sk_epoch_record *epochs, int n,
                                  int num_classes, sk_error *err) SK_WUR;
/* Reads DIR/run.json and DIR/metrics.jsonl into r (initialised here) with every check listed
 * above. On error r holds nothing to free. */
sk_status sk_record_read_cell(const char *dir, sk_run_record *r, sk_error *err) SK_WUR;
/* Reads back up to max epochs of DIR/metrics.jsonl as the runner wrote it (every field
 * required, val_recall with num_classes entries): resuming a cell. *n = count read. */
sk_status sk_record_read_metrics(const char *dir, int num_classes, sk_epoch_record *epochs, int max,
                                 int *n, sk_error *err) SK_WUR;

struct cJSON;
/* The "platform" object of run.json for this binary and machine, written by the same table
 * rows: every JSON document skytune writes (speed.json too) describes its build this way.
 * The caller owns the result. */
struct cJSON *sk_record_platform_json(void);

/* `bench check` classes of top-level run.json fields. */
typedef enum {
    SK_CHECK_EXACT = 1, /* structure: always compared exactly */
    SK_CHECK_ACC,       /* accuracies: bit-exact on the same platform, else within the acc tolerance */
    SK_CHECK_LOSS,      /* losses: likewise with the loss tolerance */
    SK_CHECK_BITS,      /* compared only on the same platform, exactly */
} sk_check_class;
/* The run.json field names of a check class in table order; returns how many (at most max). */
int sk_record_check_fields(sk_check_class cls, const char **names, int max);

/* DONE: the cell finished and its records are complete. */
sk_status sk_record_mark_done(const char *dir, sk_error *err) SK_WUR;
int sk_record_is_done(const char *dir);

/* What sk_record_walk found in a cell directory (one holding run.json or FAILED). */
typedef enum { SK_CELL_DONE, SK_CELL_INCOMPLETE, SK_CELL_FAILED } sk_cell_state;
/* Calls visit(ctx, dir, state) for every cell directory below root, depth first, names in
 * byte order; a cell's own subdirectories are not searched. A non-zero status from visit stops
 * the walk and is returned. More than 32 levels of directories is SK_ELIMIT. */
sk_status sk_record_walk(const char *root,
                         sk_status (*visit)(void *ctx, const char *dir, sk_cell_state state,
                                            sk_error *err),
                         void *ctx, sk_error *err) SK_WUR;

/* Writes a cJSON document to path atomically, indented, with a final newline. cJSON (1.7)
 * prints a double with 15 significant digits when they read back within a relative DBL_EPSILON,
 * else with 17: a value reads back exactly or one unit in the last place off. */
sk_status sk_json_write_file(const char *path, const struct cJSON *root, sk_error *err) SK_WUR;
/* Parses text as JSON; a syntax error names the file and line (lineno > 0: that line of a
 * JSON-lines file) and column, or says the text is cut off. NULL on error. */
struct cJSON *sk_json_parse(const char *text, size_t n, const char *file, int lineno, sk_error *err);
/* Reads and parses a whole JSON file (at most 64 MiB). */
sk_status sk_json_read_file(const char *path, struct cJSON **out, sk_error *err) SK_WUR;

/* The platform fingerprint: SHA-256 (hex, first 16 chars) of compiler, flags, BLAS config and
 * core (and OPENBLAS_CORETYPE), thread count and CPU model: what decides the floating-point
 * results besides the code. Bit-exact baseline comparison applies when fingerprints match; the
 * code version is deliberately not part of it, so a change that alters results on the same
 * platform shows up as a regression against the committed baseline. */
void sk_platform_fingerprint(char out[17]);
/* Current UTC time as ISO 8601 "YYYY-MM-DDTHH:MM:SSZ". */
void sk_utc_now(char out[32]);

#endif
