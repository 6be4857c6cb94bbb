/* checkpoint.h: the .skck checkpoint: named float32 tensors (Keras names "layer/var") plus run
 * metadata, optimizer state, callback state and RNG state, so a run resumed from an epoch
 * checkpoint continues bit-identically. Byte layout: docs/FORMATS.md, "`.skck` checkpoint".
 *
 * Writing goes through base/fileio.h (temp file, fsync, rename). Reading checks the magic, the
 * version, the header size and CRC, the file size, every section's CRC-32 and bounds, and
 * names the file, field, expected and found value in every error. An sk_ckpt is also the
 * generic name -> tensor container weight importers fill and write.
 *
 * Ownership: tensors added with sk_ckpt_add_tensor / sk_ckpt_add_graph are borrowed (the caller
 * keeps the memory alive until the write); everything sk_ckpt_read produces is owned by the
 * sk_ckpt and released by sk_ckpt_free. */
#ifndef SK_CHECKPOINT_H
#define SK_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include "callbacks.h"
#include "graph.h"
#include "optim.h"
#include "sk_common.h"

#define SK_CKPT_VERSION 2
#define SK_CKPT_MAX_DIMS 8
#define SK_CKPT_NAME_MAX 160
#define SK_CKPT_MAX_KV 64

typedef struct {
    char name[SK_CKPT_NAME_MAX];
    int ndim;
    int64_t shape[SK_CKPT_MAX_DIMS];
    size_t n;          /* elements */
    const float *data;
} sk_ckpt_tensor;

typedef struct {
    char key[64];
    char value[512];
} sk_ckpt_kv;

typedef struct {
    /* META */
    char arch[64];      /* registry name, e.g. "resnet50" */
    char model[64];     /* Keras model name */
    int in_h, in_w, in_c, classes;
    int freeze;         /* trainable layers (N of "last N"), -1 = all */
    uint64_t seed;      /* run seed: keys every Philox stream (init, shuffle, dropout, ...) */
    uint64_t step;      /* optimizer steps done */
    int32_t epoch;      /* epochs completed */
    float lr;           /* current learning rate */
    uint64_t rng_counter; /* next step index for step-keyed streams (dropout) */
    int nkv;
    sk_ckpt_kv kv[SK_CKPT_MAX_KV];
    /* TNSR + DATA */
    int ntensors, cap;
    sk_ckpt_tensor *tensors;
    /* OPTM (optional) */
    int has_optim;
    sk_opt_config opt_cfg;
    uint64_t opt_iterations;
    size_t opt_n;
    int opt_nslabs;
    const float *opt_slab[2];
    /* CALL (optional) */
    int has_reduce_lr, has_early_stop;
    sk_reduce_lr reduce_lr;
    sk_early_stop early_stop;
    /* BEST (optional): EarlyStopping's weight snapshot, slab layouts of the graph */
    int has_best;
    size_t best_nparams, best_nstate;
    const float *best_params, *best_state;
    /* owned storage of a read checkpoint */
    float *owned;
} sk_ckpt;

void sk_ckpt_init(sk_ckpt *ck);
void sk_ckpt_free(sk_ckpt *ck);

/* Adds a borrowed tensor; names must be unique (asserted). */
void sk_ckpt_add_tensor(sk_ckpt *ck, const char *name, int ndim, const int64_t *shape,
                        const float *data);
/* Adds every variable of g as "layer/var" (params and state slabs, borrowed) and fills model,
 * input shape and classes (output size). */
void sk_ckpt_add_graph(sk_ckpt *ck, const sk_graph *g);
/* Borrowed optimizer state (o must stay alive until the write). */
void sk_ckpt_set_optim(sk_ckpt *ck, const sk_optim *o);
void sk_ckpt_set_kv(sk_ckpt *ck, const char *key, const char *value);
const char *sk_ckpt_get_kv(const sk_ckpt *ck, const char *key); /* NULL if absent */
const sk_ckpt_tensor *sk_ckpt_find(const sk_ckpt *ck, const char *name);
/* The class names of a classifier's outputs, as the metadata keys "class.0", "class.1", ...
 * Names must be 1..63 bytes. get returns how many consecutive keys from class.0 are there (at
 * most max, 0 when none). */
void sk_ckpt_set_class_names(sk_ckpt *ck, const char (*names)[64], int n);
int sk_ckpt_get_class_names(const sk_ckpt *ck, char (*names)[64], int max);

sk_status sk_ckpt_write(const sk_ckpt *ck, const char *path, sk_error *err) SK_WUR;
/* Reads and verifies path into ck (initialised by this call). Files over 64 GiB are refused. */
sk_status sk_ckpt_read(const char *path, sk_ckpt *ck, sk_error *err) SK_WUR;
/* Same on bytes already in memory; `what` names the source in errors. */
sk_status sk_ckpt_parse(const uint8_t *data, size_t n, const char *what, sk_ckpt *ck,
                        sk_error *err) SK_WUR;

/* Loading into a graph by Keras name. Shape mismatches are always errors. */
enum {
    SK_CKPT_ALLOW_MISSING = 1, /* graph variables absent from the file keep their values */
    SK_CKPT_ALLOW_UNUSED = 2,  /* file tensors with no graph variable are ignored */
};
/* Copies every matching tensor into g's slabs. missing/unused (may be NULL) receive the counts;
 * without the ALLOW flags a missing or unused tensor is an SK_ENOTFOUND error naming the first
 * few. On error g may be partly loaded. */
sk_status sk_ckpt_load_graph(const sk_ckpt *ck, sk_graph *g, int flags, int *missing,
                             int *unused, sk_error *err) SK_WUR;
/* Tensor-by-tensor comparison of two checkpoints by name (metadata and optimizer state aside). */
typedef struct {
    int common;              /* names in both */
    int only_a, only_b;      /* names in one only */
    int shape_differ;        /* common names whose shapes differ */
    int value_differ;        /* common names, same shape, some element's bits differ */
    double max_abs;          /* largest |a - b| over elements of same-shape tensors (NaN-aware: inf) */
    char first[SK_CKPT_NAME_MAX]; /* the first differing name (in a's order, then b's), "" if none */
} sk_ckpt_diff;
/* Fills d; returns 1 when both hold the same names, shapes and bits. */
int sk_ckpt_compare(const sk_ckpt *a, const sk_ckpt *b, sk_ckpt_diff *d);

/* Restores optimizer state into o (same kind, same slab size): SK_EINVAL naming the field. */
sk_status sk_ckpt_load_optim(const sk_ckpt *ck, sk_optim *o, sk_error *err) SK_WUR;

#endif
