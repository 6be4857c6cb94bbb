/* record_fields.c: the field-table engine (see record_fields.h): one writer and one reader for
 * every type a table field can have. */
#include "record_fields.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing ---- */

cJSON *sk_json_parent(cJSON *root, const char *path, const char **leaf)
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

static cJSON *num_or_null(double v)
{
    return isnan(v) ? cJSON_CreateNull() : cJSON_CreateNumber(v);
}

static cJSON *num_array(const double *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

void sk_field_write(cJSON *root, const sk_field *f, const void *base, int k)
{
    const char *key;
    cJSON *o = sk_json_parent(root, f->path, &key);
    const char *p = (const char *)base + f->off;
    switch (f->type) {
    case FT_CONST: cJSON_AddStringToObject(o, key, f->value); break;
    case FT_VERSION: cJSON_AddNumberToObject(o, key, f->hi); break;
    case FT_STR:
    case FT_WORD: cJSON_AddStringToObject(o, key, p); break;
    case FT_INT: cJSON_AddNumberToObject(o, key, *(const int *)p); break;
    case FT_I64: cJSON_AddNumberToObject(o, key, (double)*(const int64_t *)p); break;
    case FT_U64: cJSON_AddNumberToObject(o, key, (double)*(const uint64_t *)p); break;
    case FT_NUM: cJSON_AddNumberToObject(o, key, *(const double *)p); break;
    case FT_NUM_OR_NULL: cJSON_AddItemToObject(o, key, num_or_null(*(const double *)p)); break;
    case FT_BOOL: cJSON_AddBoolToObject(o, key, *(const int *)p); break;
    case FT_NUMS: cJSON_AddItemToObject(o, key, num_array((const double *)p, k)); break;
    case FT_NUMS_OR_NULL: {
        cJSON *a = cJSON_AddArrayToObject(o, key);
        for (int i = 0; i < k; i++) cJSON_AddItemToArray(a, num_or_null(((const double *)p)[i]));
        break;
    }
    case FT_I64S: {
        cJSON *a = cJSON_AddArrayToObject(o, key);
        for (int i = 0; i < k; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)((const int64_t *)p)[i]));
        break;
    }
    case FT_NAMES: {
        cJSON *a = cJSON_AddArrayToObject(o, key);
        for (int i = 0; i < k; i++) cJSON_AddItemToArray(a, cJSON_CreateString(p + (size_t)i * SK_FIELD_NAME_CAP));
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

/* ---- reading ---- */

const char *sk_jtype(const cJSON *j)
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

void sk_jfail(sk_jctx *c, const char *name, const char *expected, const cJSON *found)
{
    if (c->st) return;
    c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field '%s': expected %s, found %s", c->file,
                         name, expected, sk_jtype(found));
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
static const cJSON *locate(sk_jctx *c, const cJSON *root, const char *path, int optional)
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
            sk_jfail(c, prefix, "an object", sub);
            return NULL;
        }
        o = sub;
        p = dot + 1;
    }
    return cJSON_GetObjectItemCaseSensitive(o, p);
}

/* An array of n entries (num_classes); otherwise the first error, and 0. */
static int is_class_array(sk_jctx *c, const sk_field *f, const cJSON *j, int n, const char *unit)
{
    if (!cJSON_IsArray(j)) {
        sk_jfail(c, f->path, "an array", j);
        return 0;
    }
    if (cJSON_GetArraySize(j) != n) {
        c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field '%s': expected %d %s (num_classes), found %d",
                             c->file, f->path, n, unit, cJSON_GetArraySize(j));
        return 0;
    }
    return 1;
}

/* A class array of finite numbers (with nulls as NaN when nullable). */
static void read_nums(sk_jctx *c, const sk_field *f, const cJSON *j, double *out, int n, int nullable)
{
    if (!is_class_array(c, f, j, n, "entries")) return;
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j) {
        if (nullable && cJSON_IsNull(e)) {
            out[i++] = NAN;
            continue;
        }
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble)) {
            char name[128];
            snprintf(name, sizeof name, "%s[%d]", f->path, i);
            sk_jfail(c, name, nullable ? "a finite number or null" : "a finite number", e);
            return;
        }
        out[i++] = e->valuedouble;
    }
}

static int is_count(const cJSON *e)
{
    return cJSON_IsNumber(e) && e->valuedouble >= 0 && e->valuedouble <= 4503599627370496.0 &&
           e->valuedouble == floor(e->valuedouble);
}

static void read_counts(sk_jctx *c, const sk_field *f, const cJSON *j, int64_t *out, int n)
{
    if (!is_class_array(c, f, j, n, "entries")) return;
    for (int i = 0; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(j, i);
        if (!is_count(e)) {
            char name[128];
            snprintf(name, sizeof name, "%s[%d]", f->path, i);
            sk_jfail(c, name, "a non-negative integer count", e);
            return;
        }
        out[i] = (int64_t)e->valuedouble;
    }
}

static void read_names(sk_jctx *c, const sk_field *f, const cJSON *j, char *out, int n)
{
    if (!is_class_array(c, f, j, n, "entries")) return;
    for (int k = 0; k < n && !c->st; k++) {
        const cJSON *e = cJSON_GetArrayItem(j, k);
        char name[128];
        snprintf(name, sizeof name, "%s[%d]", f->path, k);
        if (!cJSON_IsString(e)) sk_jfail(c, name, "a string", e);
        else if (strlen(e->valuestring) >= SK_FIELD_NAME_CAP) sk_jfail(c, name, "a string of at most 63 bytes", e);
        else snprintf(out + (size_t)k * SK_FIELD_NAME_CAP, SK_FIELD_NAME_CAP, "%s", e->valuestring);
    }
}

static void read_confusion(sk_jctx *c, const sk_field *f, const cJSON *j, int64_t *out, int n)
{
    if (!is_class_array(c, f, j, n, "rows")) return;
    for (int i = 0; i < n && !c->st; i++) {
        const cJSON *row = cJSON_GetArrayItem(j, i);
        char name[128];
        snprintf(name, sizeof name, "%s[%d]", f->path, i);
        if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != n) {
            c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field '%s': expected an array of %d counts, found %s",
                                 c->file, name, n, sk_jtype(row));
            return;
        }
        for (int k = 0; k < n; k++) {
            const cJSON *e = cJSON_GetArrayItem(row, k);
            if (!is_count(e)) {
                snprintf(name, sizeof name, "%s[%d][%d]", f->path, i, k);
                sk_jfail(c, name, "a non-negative integer count", e);
                return;
            }
            out[i * n + k] = (int64_t)e->valuedouble;
        }
    }
}

/* An integer within [lo, hi], or an error naming the range. */
static int read_integer(sk_jctx *c, const sk_field *f, const cJSON *j, double *v)
{
    if (!cJSON_IsNumber(j) || j->valuedouble != floor(j->valuedouble)) {
        sk_jfail(c, f->path, "an integer", j);
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

static void read_string(sk_jctx *c, const sk_field *f, const cJSON *j, char *out)
{
    if (!cJSON_IsString(j)) {
        sk_jfail(c, f->path, "a string", j);
        return;
    }
    if (strlen(j->valuestring) >= f->size) {
        char want[64];
        snprintf(want, sizeof want, "a string of at most %zu bytes", f->size - 1);
        sk_jfail(c, f->path, want, j);
        return;
    }
    snprintf(out, f->size, "%s", j->valuestring);
    if (f->type == FT_WORD && !safe_word(out))
        c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field '%s': expected a name of letters, digits, '_', '-', '.', found \"%s\"",
                             c->file, f->path, out);
}

void sk_field_read(sk_jctx *c, const cJSON *root, const sk_field *f, void *base, int k)
{
    if (c->st) return;
    int optional = ((f->flags & F_OPTIONAL) || ((f->flags & F_COND) && !c->cond)) && !c->strict;
    const cJSON *j = locate(c, root, f->path, optional);
    if (c->st || (!j && optional)) return;
    char *p = (char *)base + f->off;
    double v;
    switch (f->type) {
    case FT_CONST:
        if (!cJSON_IsString(j)) {
            sk_jfail(c, f->path, "a string", j);
            return;
        }
        if (!(f->flags & F_OPTIONAL) && strcmp(j->valuestring, f->value) != 0)
            c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field '%s': expected \"%s\", found \"%s\"", c->file,
                                 f->path, f->value, j->valuestring);
        return;
    case FT_VERSION:
        if (!cJSON_IsNumber(j)) {
            sk_jfail(c, f->path, "an integer version", j);
            return;
        }
        if (j->valuedouble < f->lo || j->valuedouble > f->hi || j->valuedouble != floor(j->valuedouble)) {
            if (f->lo == f->hi)
                c->st = sk_error_set(c->err, SK_EVERSION, "%s: field '%s': expected %d, found %.17g (a newer skytune? "
                                     "this build reads version %d)", c->file, f->path, (int)f->hi, j->valuedouble,
                                     (int)f->hi);
            else
                c->st = sk_error_set(c->err, SK_EVERSION, "%s: field '%s': expected %d..%d, found %.17g (a newer "
                                     "skytune? this build reads versions %d to %d)", c->file, f->path, (int)f->lo,
                                     (int)f->hi, j->valuedouble, (int)f->lo, (int)f->hi);
        }
        return;
    case FT_STR:
    case FT_WORD: read_string(c, f, j, p); return;
    case FT_INT: if (read_integer(c, f, j, &v)) *(int *)p = (int)v; return;
    case FT_I64: if (read_integer(c, f, j, &v)) *(int64_t *)p = (int64_t)v; return;
    case FT_U64: if (read_integer(c, f, j, &v)) *(uint64_t *)p = (uint64_t)v; return;
    case FT_NUM:
        if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble)) {
            sk_jfail(c, f->path, "a finite number", j);
            return;
        }
        *(double *)p = j->valuedouble;
        return;
    case FT_BOOL:
        if (!cJSON_IsBool(j)) {
            sk_jfail(c, f->path, "a boolean", j);
            return;
        }
        *(int *)p = cJSON_IsTrue(j);
        return;
    case FT_NUM_OR_NULL:
        if (cJSON_IsNull(j)) {
            *(double *)p = NAN;
            return;
        }
        if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble)) {
            sk_jfail(c, f->path, "a finite number or null", j);
            return;
        }
        *(double *)p = j->valuedouble;
        return;
    case FT_NUMS: read_nums(c, f, j, (double *)p, k, 0); return;
    case FT_NUMS_OR_NULL: read_nums(c, f, j, (double *)p, k, 1); return;
    case FT_I64S: read_counts(c, f, j, (int64_t *)p, k); return;
    case FT_NAMES: read_names(c, f, j, p, k); return;
    case FT_CONFUSION: read_confusion(c, f, j, (int64_t *)p, k); return;
    case FT_EARLY_STOP: {
        if (cJSON_IsNull(j)) {
            *(int *)p = 0;
            return;
        }
        if (!cJSON_IsObject(j)) {
            sk_jfail(c, f->path, "null or an object", j);
            return;
        }
        const cJSON *pj = cJSON_GetObjectItemCaseSensitive(j, "patience");
        if (!cJSON_IsNumber(pj) || pj->valuedouble != floor(pj->valuedouble) || pj->valuedouble < 1 ||
            pj->valuedouble > INT32_MAX) {
            char name[128];
            snprintf(name, sizeof name, "%s.patience", f->path);
            sk_jfail(c, name, "a positive integer", pj);
            return;
        }
        *(int *)p = (int)pj->valuedouble;
        return;
    }
    }
}

