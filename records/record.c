/* record.c: the run.json / metrics.jsonl schema as one field table, and its writer and reader
 * (see record.h). A field is (JSON path, type, struct member, bounds, flags); nested objects are
 * made from the dotted paths in table order, so the table order is the document order. The
 * reader checks every field the first problem at a time: "<file>: field '<path>': expected
 * <what>, found <what>". */
#include "record.h"
#include "buildinfo.h"
#include "fileio.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_JSON_BYTES (64u << 20)
#define NAME_CAP 64 /* bytes per class name */
_Static_assert(sizeof(((sk_run_record *)0)->class_names[0]) == NAME_CAP, "class name stride");

typedef enum {
    FT_CONST,      /* a fixed string (`value`): written as is; read: `schema` must equal it */
    FT_VERSION,    /* the integer SK_RECORD_SCHEMA_VERSION; read: must equal it */
    FT_STR,        /* char[size] */
    FT_WORD,       /* char[size] holding a safe file-name word */
    FT_INT,        /* int within [lo, hi] */
    FT_I64,        /* int64_t within [lo, hi] */
    FT_U64,        /* uint64_t within [lo, hi] */
    FT_NUM,        /* finite double */
    FT_BOOL,       /* int 0/1 */
    FT_NUMS,       /* double[num_classes] */
    FT_NAMES,      /* char[num_classes][64] */
    FT_CONFUSION,  /* int64_t[num_classes^2], rows true class */
    FT_EARLY_STOP, /* int patience: null when 0, else {monitor, patience, restore_best_weights} */
} ftype;

enum {
    F_OPTIONAL = 1 << 0, /* a reader accepts its absence (older or hand-written records) */
};

typedef struct {
    const char *path;
    ftype type;
    size_t off, size;
    double lo, hi;
    unsigned flags;
    sk_check_class check; /* 0: not compared by bench check */
    const char *value;    /* FT_CONST */
} fdef;

#define M(member) offsetof(sk_run_record, member), sizeof(((sk_run_record *)0)->member)
#define E(member) offsetof(sk_epoch_record, member), sizeof(((sk_epoch_record *)0)->member)
#define BIG 4503599627370496.0 /* 2^52: integers beyond it do not survive a double */

/* run.json, in document order. */
static const fdef run_fields[] = {
    {"schema", FT_CONST, 0, 0, 0, 0, 0, 0, SK_RECORD_SCHEMA},
    {"schema_version", FT_VERSION, 0, 0, 0, 0, 0, 0, NULL},
    {"suite", FT_STR, M(suite), 0, 0, 0, 0, NULL},
    {"cell", FT_STR, M(cell), 0, 0, 0, 0, NULL},
    {"arch", FT_WORD, M(arch), 0, 0, 0, 0, NULL},
    {"input_size", FT_INT, M(input_size), 1, 100000, 0, SK_CHECK_EXACT, NULL},
    {"num_classes", FT_INT, M(num_classes), 2, SK_RECORD_MAX_CLASSES, 0, SK_CHECK_EXACT, NULL},
    {"class_names", FT_NAMES, M(class_names), 0, 0, 0, 0, NULL},
    {"trainable_layers", FT_INT, M(trainable_layers), 1, 1000000, 0, SK_CHECK_EXACT, NULL},
    {"total_layers", FT_INT, M(total_layers), 1, 1000000, 0, SK_CHECK_EXACT, NULL},
    {"base_layers", FT_INT, M(base_layers), 1, 1000000, 0, SK_CHECK_EXACT, NULL},
    {"trainable_params", FT_I64, M(trainable_params), 0, BIG, 0, SK_CHECK_EXACT, NULL},
    {"total_params", FT_I64, M(total_params), 1, BIG, 0, SK_CHECK_EXACT, NULL},
    {"tlr", FT_NUM, M(tlr), 0, 0, 0, SK_CHECK_EXACT, NULL},
    {"tlr_base", FT_NUM, M(tlr_base), 0, 0, 0, SK_CHECK_EXACT, NULL},
    {"tpr", FT_NUM, M(tpr), 0, 0, 0, SK_CHECK_EXACT, NULL},
    {"seed", FT_U64, M(seed), 0, BIG, 0, 0, NULL},
    {"weights.kind", FT_STR, M(weights_kind), 0, 0, 0, 0, NULL},
    {"weights.file", FT_STR, M(weights_file), 0, 0, 0, 0, NULL},
    {"weights.sha256", FT_STR, M(weights_sha256), 0, 0, 0, 0, NULL},
    {"dataset.path", FT_STR, M(data_path), 0, 0, 0, 0, NULL},
    {"dataset.sha256", FT_STR, M(data_sha256), 0, 0, 0, 0, NULL},
    {"dataset.n_train", FT_INT, M(n_train), 0, INT32_MAX, 0, 0, NULL},
    {"dataset.n_val", FT_INT, M(n_val), 0, INT32_MAX, 0, 0, NULL},
    {"protocol.optimizer", FT_STR, M(optimizer), 0, 0, 0, 0, NULL},
    {"protocol.lr", FT_NUM, M(lr), 0, 0, 0, 0, NULL},
    {"protocol.batch", FT_INT, M(batch), 1, INT32_MAX, 0, 0, NULL},
    {"protocol.epochs", FT_INT, M(epochs_requested), 1, 1000000, 0, 0, NULL},
    {"protocol.reduce_lr.monitor", FT_CONST, 0, 0, 0, 0, F_OPTIONAL, 0, "val_loss"},
    {"protocol.reduce_lr.factor", FT_NUM, M(rlr_factor), 0, 0, F_OPTIONAL, 0, NULL},
    {"protocol.reduce_lr.patience", FT_INT, M(rlr_patience), 0, INT32_MAX, F_OPTIONAL, 0, NULL},
    {"protocol.reduce_lr.min_delta", FT_NUM, M(rlr_min_delta), 0, 0, F_OPTIONAL, 0, NULL},
    {"protocol.reduce_lr.cooldown", FT_INT, M(rlr_cooldown), 0, INT32_MAX, F_OPTIONAL, 0, NULL},
    {"protocol.reduce_lr.min_lr", FT_NUM, M(rlr_min_lr), 0, 0, F_OPTIONAL, 0, NULL},
    {"protocol.early_stopping", FT_EARLY_STOP, M(es_patience), 0, INT32_MAX, F_OPTIONAL, 0, NULL},
    {"protocol.class_weights", FT_NUMS, M(class_weights), 0, 0, F_OPTIONAL, 0, NULL},
    {"protocol.input_scaling", FT_STR, M(input_scaling), 0, 0, 0, 0, NULL},
    {"protocol.loss", FT_STR, M(loss), 0, 0, 0, 0, NULL},
    {"epochs_run", FT_INT, M(epochs_run), 0, 1000000, 0, SK_CHECK_BITS, NULL},
    {"stop_reason", FT_STR, M(stop_reason), 0, 0, F_OPTIONAL, 0, NULL},
    {"best_val_acc", FT_NUM, M(best_val_acc), 0, 0, 0, SK_CHECK_ACC, NULL},
    {"best_epoch", FT_INT, M(best_epoch), 0, 1000000, 0, SK_CHECK_BITS, NULL},
    {"final_val_acc", FT_NUM, M(final_val_acc), 0, 0, 0, SK_CHECK_ACC, NULL},
    {"final_train_acc", FT_NUM, M(final_train_acc), 0, 0, 0, SK_CHECK_ACC, NULL},
    {"final_val_loss", FT_NUM, M(final_val_loss), 0, 0, 0, SK_CHECK_LOSS, NULL},
    {"final_weights_sha256", FT_STR, M(final_weights_sha256), 0, 0, F_OPTIONAL, SK_CHECK_BITS, NULL},
    {"per_class.precision", FT_NUMS, M(precision), 0, 0, 0, 0, NULL},
    {"per_class.recall", FT_NUMS, M(recall), 0, 0, 0, 0, NULL},
    {"per_class.f1", FT_NUMS, M(f1), 0, 0, 0, 0, NULL},
    {"confusion", FT_CONFUSION, M(confusion), 0, 0, 0, 0, NULL},
    {"wall_seconds", FT_NUM, M(wall_seconds), 0, 0, 0, 0, NULL},
    {"seconds_per_epoch_median", FT_NUM, M(seconds_per_epoch_median), 0, 0, 0, 0, NULL},
    {"peak_rss_bytes", FT_I64, M(peak_rss_bytes), 0, BIG, 0, 0, NULL},
    {"cache.used", FT_BOOL, M(cache_used), 0, 0, 0, 0, NULL},
    {"platform.skytune_version", FT_STR, M(version), 0, 0, 0, 0, NULL},
    {"platform.git_revision", FT_STR, M(git_revision), 0, 0, 0, 0, NULL},
    {"platform.compiler", FT_STR, M(compiler), 0, 0, 0, 0, NULL},
    {"platform.flags", FT_STR, M(flags), 0, 0, 0, 0, NULL},
    {"platform.blas", FT_STR, M(blas), 0, 0, 0, 0, NULL},
    {"platform.blas_config", FT_STR, M(blas_config), 0, 0, F_OPTIONAL, 0, NULL},
    {"platform.blas_core", FT_STR, M(blas_core), 0, 0, 0, 0, NULL},
    {"platform.openblas_coretype_env", FT_STR, M(openblas_coretype_env), 0, 0, F_OPTIONAL, 0, NULL},
    {"platform.omp_threads", FT_INT, M(omp_threads), 0, 1 << 20, 0, 0, NULL},
    {"platform.cpu_model", FT_STR, M(cpu_model), 0, 0, 0, 0, NULL},
    {"platform.fingerprint", FT_STR, M(fingerprint), 0, 0, 0, 0, NULL},
    {"started_utc", FT_STR, M(started_utc), 0, 0, 0, 0, NULL},
    {"finished_utc", FT_STR, M(finished_utc), 0, 0, 0, 0, NULL},
};

/* One line of metrics.jsonl (offsets into sk_epoch_record). */
static const fdef epoch_fields[] = {
    {"epoch", FT_INT, E(epoch), 1, 1000000, 0, 0, NULL},
    {"lr", FT_NUM, E(lr), 0, 0, 0, 0, NULL},
    {"loss", FT_NUM, E(loss), 0, 0, 0, 0, NULL},
    {"acc", FT_NUM, E(acc), 0, 0, 0, 0, NULL},
    {"val_loss", FT_NUM, E(val_loss), 0, 0, 0, 0, NULL},
    {"val_acc", FT_NUM, E(val_acc), 0, 0, 0, 0, NULL},
    {"val_recall", FT_NUMS, E(val_recall), 0, 0, F_OPTIONAL, 0, NULL},
    {"seconds", FT_NUM, E(seconds), 0, 0, 0, 0, NULL},
};

#undef M
#undef E

void sk_run_record_init(sk_run_record *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->weights_kind, sizeof r->weights_kind, "scratch");
    snprintf(r->input_scaling, sizeof r->input_scaling, "rescale_1_255");
    snprintf(r->loss, sizeof r->loss, "keras_logits");
    snprintf(r->optimizer, sizeof r->optimizer, "adam");
    snprintf(r->stop_reason, sizeof r->stop_reason, "completed");
}

void sk_run_record_free(sk_run_record *r)
{
    free(r->dir);
    free(r->epochs);
    r->dir = NULL;
    r->epochs = NULL;
    r->n_epochs = 0;
}

void sk_record_set_platform(sk_run_record *r)
{
    sk_buildinfo bi;
    sk_buildinfo_get(&bi);
    snprintf(r->version, sizeof r->version, "%s", bi.version);
    snprintf(r->git_revision, sizeof r->git_revision, "%s", bi.git_revision);
    snprintf(r->compiler, sizeof r->compiler, "%s", bi.compiler);
    snprintf(r->flags, sizeof r->flags, "%s", bi.flags);
    snprintf(r->blas, sizeof r->blas, "%s", bi.blas);
    snprintf(r->blas_config, sizeof r->blas_config, "%s", bi.blas_config);
    snprintf(r->blas_core, sizeof r->blas_core, "%s", bi.blas_core);
    snprintf(r->openblas_coretype_env, sizeof r->openblas_coretype_env, "%s", bi.openblas_coretype_env);
    r->omp_threads = bi.omp_max_threads;
    snprintf(r->cpu_model, sizeof r->cpu_model, "%s", bi.cpu_model);
    char fp[17];
    sk_platform_fingerprint(fp);
    snprintf(r->fingerprint, sizeof r->fingerprint, "%s", fp);
}

/* ---- writing ---- */

/* The object that holds path's last component below root, created in table order; *leaf
 * receives that component. */
static cJSON *parent_of(cJSON *root, const char *path, const char **leaf)
{
    cJSON *o = root;
    const char *p = path, *dot;
    while ((dot = strchr(p, '.'))) {
        char key[64];
        size_t n = (size_t)(dot - p);
        SK_ASSERT(n < sizeof key);
        memcpy(key, p, n);
        key[n] = '\0';
        cJSON *sub = cJSON_GetObjectItemCaseSensitive(o, key);
        if (!sub) sub = cJSON_AddObjectToObject(o, key);
        o = sub;
        p = dot + 1;
    }
    *leaf = p;
    return o;
}

static cJSON *num_array(const double *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

/* Writes one field of the struct at base (k = num_classes for class arrays). */
static void write_field(cJSON *root, const fdef *f, const void *base, int k)
{
    const char *key;
    cJSON *o = parent_of(root, f->path, &key);
    const char *p = (const char *)base + f->off;
    switch (f->type) {
    case FT_CONST: cJSON_AddStringToObject(o, key, f->value); break;
    case FT_VERSION: cJSON_AddNumberToObject(o, key, SK_RECORD_SCHEMA_VERSION); break;
    case FT_STR:
    case FT_WORD: cJSON_AddStringToObject(o, key, p); break;
    case FT_INT: cJSON_AddNumberToObject(o, key, *(const int *)p); break;
    case FT_I64: cJSON_AddNumberToObject(o, key, (double)*(const int64_t *)p); break;
    case FT_U64: cJSON_AddNumberToObject(o, key, (double)*(const uint64_t *)p); break;
    case FT_NUM: cJSON_AddNumberToObject(o, key, *(const double *)p); break;
    case FT_BOOL: cJSON_AddBoolToObject(o, key, *(const int *)p); break;
    case FT_NUMS: cJSON_AddItemToObject(o, key, num_array((const double *)p, k)); break;
    case FT_NAMES: {
        cJSON *a = cJSON_AddArrayToObject(o, key);
        for (int i = 0; i < k; i++) cJSON_AddItemToArray(a, cJSON_CreateString(p + (size_t)i * NAME_CAP));
        break;
    }
    case FT_CONFUSION: {
        const int64_t *cm = (const int64_t *)p;
        cJSON *a = cJSON_AddArrayToObject(o, key);
        for (int i = 0; i < k; i++) {
            cJSON *row = cJSON_CreateArray();
            for (int j = 0; j < k; j++) cJSON_AddItemToArray(row, cJSON_CreateNumber((double)cm[i * k + j]));
            cJSON_AddItemToArray(a, row);
        }
        break;
    }
    case FT_EARLY_STOP: {
        int patience = *(const int *)p;
        if (patience <= 0) {
            cJSON_AddNullToObject(o, key);
            break;
        }
        cJSON *es = cJSON_AddObjectToObject(o, key);
        cJSON_AddStringToObject(es, "monitor", "val_loss");
        cJSON_AddNumberToObject(es, "patience", patience);
        cJSON_AddTrueToObject(es, "restore_best_weights");
        break;
    }
    }
}

static sk_status write_json(const char *dir, const char *name, cJSON *root, sk_error *err)
{
    char *path = sk_path_join(dir, name);
    sk_status s = sk_json_write_file(path, root, err);
    free(path);
    return s;
}

sk_status sk_record_write_run(const char *dir, const sk_run_record *r, sk_error *err)
{
    SK_ASSERT(r->num_classes > 0 && r->num_classes <= SK_RECORD_MAX_CLASSES);
    sk_run_record *w = sk_xmalloc(sizeof *w);
    *w = *r;
    sk_record_set_platform(w);
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < SK_ARRAY_LEN(run_fields); i++) write_field(o, &run_fields[i], w, w->num_classes);
    sk_status s = write_json(dir, "run.json", o, err);
    cJSON_Delete(o);
    free(w);
    return s;
}

cJSON *sk_record_platform_json(void)
{
    sk_run_record *w = sk_xmalloc(sizeof *w);
    sk_run_record_init(w);
    sk_record_set_platform(w);
    cJSON *root = cJSON_CreateObject();
    for (size_t i = 0; i < SK_ARRAY_LEN(run_fields); i++)
        if (strncmp(run_fields[i].path, "platform.", 9) == 0) write_field(root, &run_fields[i], w, 0);
    free(w);
    cJSON *pl = cJSON_DetachItemFromObjectCaseSensitive(root, "platform");
    cJSON_Delete(root);
    return pl;
}

sk_status sk_record_write_metrics(const char *dir, const sk_epoch_record *epochs, int n,
                                  int num_classes, sk_error *err)
{
    sk_buf b;
    sk_buf_init(&b);
    for (int i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        for (size_t f = 0; f < SK_ARRAY_LEN(epoch_fields); f++) write_field(o, &epoch_fields[f], &epochs[i], num_classes);
        char *line = cJSON_PrintUnformatted(o);
        sk_buf_put_bytes(&b, line, strlen(line));
        sk_buf_put_u8(&b, '\n');
        free(line);
        cJSON_Delete(o);
    }
    char *path = sk_path_join(dir, "metrics.jsonl");
    sk_status s = sk_write_file_atomic(path, b.data, b.len, err);
    free(path);
    sk_buf_free(&b);
    return s;
}

int sk_record_check_fields(sk_check_class cls, const char **names, int max)
{
    int n = 0;
    for (size_t i = 0; i < SK_ARRAY_LEN(run_fields) && n < max; i++)
        if (run_fields[i].check == cls) names[n++] = run_fields[i].path;
    return n;
}

/* ---- reading ---- */

/* First-error-wins reader over one JSON document. */
typedef struct {
    const char *file;
    sk_error *err;
    sk_status st;
    int strict; /* every field required, optional ones too */
} jctx;

static const char *jtype(const cJSON *j)
{
    if (!j) return "nothing (missing)";
    if (cJSON_IsNull(j)) return "null";
    if (cJSON_IsBool(j)) return "a boolean";
    if (cJSON_IsNumber(j)) return "a number";
    if (cJSON_IsString(j)) return "a string";
    if (cJSON_IsArray(j)) return "an array";
    if (cJSON_IsObject(j)) return "an object";
    return "an invalid value";
}

static void jfail(jctx *c, const char *name, const char *expected, const cJSON *found)
{
    if (c->st) return;
    c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field '%s': expected %s, found %s", c->file,
                         name, expected, jtype(found));
}

static int safe_word(const char *s)
{
    if (!*s || strlen(s) > 64) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            return 0;
    return s[0] != '.';
}

/* The value at path, or NULL when absent. A missing intermediate object is an error naming it
 * ("field 'weights': expected an object") unless the field is optional; one that is not an
 * object always is. */
static const cJSON *locate(jctx *c, const cJSON *root, const char *path, int optional)
{
    const cJSON *o = root;
    const char *p = path, *dot;
    while ((dot = strchr(p, '.'))) {
        char key[64], prefix[128];
        size_t n = (size_t)(dot - p);
        SK_ASSERT(n < sizeof key);
        memcpy(key, p, n);
        key[n] = '\0';
        const cJSON *sub = cJSON_GetObjectItemCaseSensitive(o, key);
        if (!sub && optional) return NULL;
        if (!cJSON_IsObject(sub)) {
            snprintf(prefix, sizeof prefix, "%.*s", (int)(dot - path), path);
            jfail(c, prefix, "an object", sub);
            return NULL;
        }
        o = sub;
        p = dot + 1;
    }
    return cJSON_GetObjectItemCaseSensitive(o, p);
}

/* An array of n entries (num_classes); otherwise the first error, and 0. */
static int is_class_array(jctx *c, const fdef *f, const cJSON *j, int n, const char *unit)
{
    if (!cJSON_IsArray(j)) {
        jfail(c, f->path, "an array", j);
        return 0;
    }
    if (cJSON_GetArraySize(j) != n) {
        c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field '%s': expected %d %s (num_classes), found %d",
                             c->file, f->path, n, unit, cJSON_GetArraySize(j));
        return 0;
    }
    return 1;
}

static void read_nums(jctx *c, const fdef *f, const cJSON *j, double *out, int n)
{
    if (!is_class_array(c, f, j, n, "entries")) return;
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j) {
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble)) {
            char name[128];
            snprintf(name, sizeof name, "%s[%d]", f->path, i);
            jfail(c, name, "a finite number", e);
            return;
        }
        out[i++] = e->valuedouble;
    }
}

static void read_names(jctx *c, const fdef *f, const cJSON *j, char *out, int n)
{
    if (!is_class_array(c, f, j, n, "entries")) return;
    for (int k = 0; k < n && !c->st; k++) {
        const cJSON *e = cJSON_GetArrayItem(j, k);
        char name[128];
        snprintf(name, sizeof name, "%s[%d]", f->path, k);
        if (!cJSON_IsString(e)) jfail(c, name, "a string", e);
        else if (strlen(e->valuestring) >= NAME_CAP) jfail(c, name, "a string of at most 63 bytes", e);
        else snprintf(out + (size_t)k * NAME_CAP, NAME_CAP, "%s", e->valuestring);
    }
}

static void read_confusion(jctx *c, const fdef *f, const cJSON *j, int64_t *out, int n)
{
    if (!is_class_array(c, f, j, n, "rows")) return;
    for (int i = 0; i < n && !c->st; i++) {
        const cJSON *row = cJSON_GetArrayItem(j, i);
        char name[128];
        snprintf(name, sizeof name, "%s[%d]", f->path, i);
        if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != n) {
            c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field '%s': expected an array of %d counts, found %s",
                                 c->file, name, n, jtype(row));
            return;
        }
        for (int k = 0; k < n; k++) {
            const cJSON *e = cJSON_GetArrayItem(row, k);
            if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble != floor(e->valuedouble)) {
                snprintf(name, sizeof name, "%s[%d][%d]", f->path, i, k);
                jfail(c, name, "a non-negative integer count", e);
                return;
            }
            out[i * n + k] = (int64_t)e->valuedouble;
        }
    }
}

/* An integer within [lo, hi], or an error naming the range. */
static int read_integer(jctx *c, const fdef *f, const cJSON *j, double *v)
{
    if (!cJSON_IsNumber(j) || j->valuedouble != floor(j->valuedouble)) {
        jfail(c, f->path, "an integer", j);
        return 0;
    }
    if (j->valuedouble < f->lo || j->valuedouble > f->hi) {
        c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field '%s': expected an integer in [%lld, %lld], found %.17g",
                             c->file, f->path, (long long)f->lo, (long long)f->hi, j->valuedouble);
        return 0;
    }
    *v = j->valuedouble;
    return 1;
}

static void read_string(jctx *c, const fdef *f, const cJSON *j, char *out)
{
    if (!cJSON_IsString(j)) {
        jfail(c, f->path, "a string", j);
        return;
    }
    if (strlen(j->valuestring) >= f->size) {
        char want[64];
        snprintf(want, sizeof want, "a string of at most %zu bytes", f->size - 1);
        jfail(c, f->path, want, j);
        return;
    }
    snprintf(out, f->size, "%s", j->valuestring);
    if (f->type == FT_WORD && !safe_word(out))
        c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field '%s': expected a name of letters, digits, '_', '-', '.', found \"%s\"",
                             c->file, f->path, out);
}

/* Reads one field into the struct at base; k = num_classes read so far. */
static void read_field(jctx *c, const cJSON *root, const fdef *f, void *base, int k)
{
    if (c->st) return;
    int optional = (f->flags & F_OPTIONAL) && !c->strict;
    const cJSON *j = locate(c, root, f->path, optional);
    if (c->st || (!j && optional)) return;
    char *p = (char *)base + f->off;
    double v;
    switch (f->type) {
    case FT_CONST:
        if (!cJSON_IsString(j)) {
            jfail(c, f->path, "a string", j);
            return;
        }
        if (!(f->flags & F_OPTIONAL) && strcmp(j->valuestring, f->value) != 0)
            c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field '%s': expected \"%s\", found \"%s\"", c->file,
                                 f->path, f->value, j->valuestring);
        return;
    case FT_VERSION:
        if (!cJSON_IsNumber(j)) {
            jfail(c, f->path, "the integer 1", j);
            return;
        }
        if (j->valuedouble != SK_RECORD_SCHEMA_VERSION)
            c->st = sk_error_set(c->err, SK_EVERSION, "%s: field '%s': expected %d, found %.17g (a newer runner? "
                                 "this build reads version %d)", c->file, f->path, SK_RECORD_SCHEMA_VERSION,
                                 j->valuedouble, SK_RECORD_SCHEMA_VERSION);
        return;
    case FT_STR:
    case FT_WORD: read_string(c, f, j, p); return;
    case FT_INT: if (read_integer(c, f, j, &v)) *(int *)p = (int)v; return;
    case FT_I64: if (read_integer(c, f, j, &v)) *(int64_t *)p = (int64_t)v; return;
    case FT_U64: if (read_integer(c, f, j, &v)) *(uint64_t *)p = (uint64_t)v; return;
    case FT_NUM:
        if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble)) {
            jfail(c, f->path, "a finite number", j);
            return;
        }
        *(double *)p = j->valuedouble;
        return;
    case FT_BOOL:
        if (!cJSON_IsBool(j)) {
            jfail(c, f->path, "a boolean", j);
            return;
        }
        *(int *)p = cJSON_IsTrue(j);
        return;
    case FT_NUMS: read_nums(c, f, j, (double *)p, k); return;
    case FT_NAMES: read_names(c, f, j, p, k); return;
    case FT_CONFUSION: read_confusion(c, f, j, (int64_t *)p, k); return;
    case FT_EARLY_STOP: {
        if (cJSON_IsNull(j)) {
            *(int *)p = 0;
            return;
        }
        if (!cJSON_IsObject(j)) {
            jfail(c, f->path, "null or an object", j);
            return;
        }
        const cJSON *pj = cJSON_GetObjectItemCaseSensitive(j, "patience");
        if (!cJSON_IsNumber(pj) || pj->valuedouble != floor(pj->valuedouble) || pj->valuedouble < 1 ||
            pj->valuedouble > INT32_MAX) {
            char name[128];
            snprintf(name, sizeof name, "%s.patience", f->path);
            jfail(c, name, "a positive integer", pj);
            return;
        }
        *(int *)p = (int)pj->valuedouble;
        return;
    }
    }
}

/* The cross-field rules the table cannot state. */
static void check_consistency(jctx *c, const sk_run_record *r)
{
    if (c->st) return;
    if (r->trainable_layers > r->total_layers) {
        c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field 'trainable_layers': expected an integer in [1, %d], found %d",
                             c->file, r->total_layers, r->trainable_layers);
        return;
    }
    if (r->trainable_params > r->total_params) {
        c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field 'trainable_params': expected an integer in [0, %lld], found %lld",
                             c->file, (long long)r->total_params, (long long)r->trainable_params);
        return;
    }
    /* The ratios must follow from the counts (a writer may round them to 6 decimals). */
    struct { const char *field; double have, want; } ratios[] = {
        {"tlr", r->tlr, (double)r->trainable_layers / r->total_layers},
        {"tlr_base", r->tlr_base, (double)r->trainable_layers / r->base_layers},
        {"tpr", r->tpr, (double)r->trainable_params / (double)r->total_params},
    };
    for (size_t i = 0; i < SK_ARRAY_LEN(ratios); i++)
        if (fabs(ratios[i].have - ratios[i].want) > 1e-6) {
            c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field '%s': expected %.6f (from the layer/parameter counts), found %.9g",
                                 c->file, ratios[i].field, ratios[i].want, ratios[i].have);
            return;
        }
    if (r->best_epoch > r->epochs_run)
        c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field 'best_epoch': expected at most epochs_run (%d), found %d",
                             c->file, r->epochs_run, r->best_epoch);
}

static sk_status read_run_json(const char *dir, sk_run_record *r, sk_error *err)
{
    char *file = sk_path_join(dir, "run.json");
    cJSON *root = NULL;
    sk_status st = sk_json_read_file(file, &root, err);
    if (!st) {
        jctx c = {file, err, SK_OK, 0};
        if (!cJSON_IsObject(root)) jfail(&c, "(top level)", "an object", root);
        for (size_t i = 0; i < SK_ARRAY_LEN(run_fields) && !c.st; i++)
            read_field(&c, root, &run_fields[i], r, r->num_classes);
        check_consistency(&c, r);
        st = c.st;
    }
    cJSON_Delete(root);
    free(file);
    return st;
}

/* Reads every epoch line of file (blank lines skipped) into a malloc'ed array. */
static sk_status read_epochs(const char *file, int strict, int num_classes, sk_epoch_record **out,
                             int *n, sk_error *err)
{
    *out = NULL;
    *n = 0;
    uint8_t *data = NULL;
    size_t len = 0;
    sk_status st = sk_read_file(file, &data, &len, MAX_JSON_BYTES, err);
    if (st) return st;
    int cap = 0, lineno = 0;
    for (char *line = (char *)data; line && *line;) {
        char *nl = strchr(line, '\n');
        size_t ll = nl ? (size_t)(nl - line) : strlen(line);
        lineno++;
        if (strspn(line, " \t\r") < ll) {
            cJSON *j = sk_json_parse(line, ll, file, lineno, err);
            if (!j) {
                st = err->code;
                break;
            }
            char where[1100];
            snprintf(where, sizeof where, "%s:%d", file, lineno);
            jctx c = {where, err, SK_OK, strict};
            sk_epoch_record e;
            memset(&e, 0, sizeof e);
            for (size_t f = 0; f < SK_ARRAY_LEN(epoch_fields); f++) read_field(&c, j, &epoch_fields[f], &e, num_classes);
            cJSON_Delete(j);
            if (!c.st && e.epoch != *n + 1)
                c.st = sk_error_set(err, SK_EFORMAT, "%s: field 'epoch': expected %d (epochs in order from 1), found %d",
                                    where, *n + 1, e.epoch);
            if ((st = c.st)) break;
            if (*n == cap) {
                cap = cap ? 2 * cap : 16;
                *out = sk_xrealloc(*out, (size_t)cap * sizeof **out);
            }
            (*out)[(*n)++] = e;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(data);
    if (st) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return st;
}

sk_status sk_record_read_cell(const char *dir, sk_run_record *r, sk_error *err)
{
    sk_run_record_init(r);
    sk_status st = read_run_json(dir, r, err);
    if (st) return st;
    char *file = sk_path_join(dir, "metrics.jsonl");
    st = read_epochs(file, 0, r->num_classes, &r->epochs, &r->n_epochs, err);
    if (!st && r->n_epochs != r->epochs_run)
        st = sk_error_set(err, SK_EFORMAT, "%s: expected %d epochs (run.json epochs_run), found %d lines",
                          file, r->epochs_run, r->n_epochs);
    free(file);
    if (st) {
        sk_run_record_free(r);
        return st;
    }
    r->dir = sk_xstrdup(dir);
    return SK_OK;
}

sk_status sk_record_read_metrics(const char *dir, int num_classes, sk_epoch_record *epochs, int max,
                                 int *n, sk_error *err)
{
    *n = 0;
    char *file = sk_path_join(dir, "metrics.jsonl");
    sk_epoch_record *all = NULL;
    int count = 0;
    sk_status st = read_epochs(file, 1, num_classes, &all, &count, err);
    if (!st) {
        *n = count < max ? count : max;
        memcpy(epochs, all, (size_t)*n * sizeof *epochs);
    }
    free(all);
    free(file);
    return st;
}
