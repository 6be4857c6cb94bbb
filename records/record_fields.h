/* record_fields.h: the field-table engine of the records library (internal to records/): a JSON
 * document described as a table of fields (JSON path, type, struct member, bounds, flags),
 * written in table order (nested objects made from the dotted paths, so the table order is the
 * document order) and read back the first problem at a time: "<file>: field '<path>':
 * expected <what>, found <what>". run.json and metrics.jsonl (record.c) and eval.json (eval.c)
 * are tables of this engine; nothing else writes or reads them. */
#ifndef SK_RECORD_FIELDS_H
#define SK_RECORD_FIELDS_H

#include <stddef.h>
#include "record.h"

struct cJSON;

#define SK_FIELD_NAME_CAP 64 /* bytes per class name (FT_NAMES stride) */

typedef enum {
    FT_CONST,        /* a fixed string (`value`): written as is; read: must equal it */
    FT_VERSION,      /* an integer version: written as hi; read: lo..hi */
    FT_STR,          /* char[size] */
    FT_WORD,         /* char[size] holding a safe file-name word */
    FT_INT,          /* int within [lo, hi] */
    FT_I64,          /* int64_t within [lo, hi] */
    FT_U64,          /* uint64_t within [lo, hi] */
    FT_NUM,          /* finite double */
    FT_NUM_OR_NULL,  /* double; NaN is written and read as null (undefined) */
    FT_BOOL,         /* int 0/1 */
    FT_NUMS,         /* double[num_classes] */
    FT_NUMS_OR_NULL, /* double[num_classes], NaN entries as null */
    FT_I64S,         /* int64_t[num_classes] counts (non-negative integers) */
    FT_NAMES,        /* char[num_classes][64] */
    FT_CONFUSION,    /* int64_t[num_classes^2], rows true class */
    FT_EARLY_STOP,   /* int patience: null when 0, else {monitor, patience, restore_best_weights} */
} sk_ftype;

enum {
    F_OPTIONAL = 1 << 0, /* a reader accepts its absence (older or hand-written records) */
    F_COND = 1 << 1,     /* written only when the document's condition holds, then required
                            (run.json: the test block, when n_test > 0) */
};

typedef struct {
    const char *path;
    sk_ftype type;
    size_t off, size;
    double lo, hi;
    unsigned flags;
    sk_check_class check; /* 0: not compared by bench check */
    const char *value;    /* FT_CONST */
} sk_field;

/* First-error-wins reader over one JSON document. */
typedef struct {
    const char *file;
    sk_error *err;
    sk_status st;
    int strict; /* every field required, optional ones too */
    int cond;   /* the document's condition holds: F_COND fields are required */
} sk_jctx;

/* The object that holds path's last component below root, created in table order; *leaf
 * receives that component. */
struct cJSON *sk_json_parent(struct cJSON *root, const char *path, const char **leaf);
/* Writes one field of the struct at base (k = num_classes for class arrays). */
void sk_field_write(struct cJSON *root, const sk_field *f, const void *base, int k);
/* Reads one field into the struct at base (k = num_classes read so far); the first error
 * lands in c. */
void sk_field_read(sk_jctx *c, const struct cJSON *root, const sk_field *f, void *base, int k);
/* What a JSON value is, for messages ("a string", "nothing (missing)"). */
const char *sk_jtype(const struct cJSON *j);
/* Records "field 'name': expected E, found <what found is>" unless an error is already set. */
void sk_jfail(sk_jctx *c, const char *name, const char *expected, const struct cJSON *found);

#endif
