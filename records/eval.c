/* eval.c: eval.json as a field table (record_fields.h) plus the reliability bins and ROC curves,
 * and its writer and reader (see eval.h). */
#include "eval.h"
#include "sk_base.h"
#include "record_fields.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define M(member) offsetof(sk_eval_record, member), sizeof(((sk_eval_record *)0)->member)
#define BIG 4503599627370496.0
#define MAX_POINTS 100000000

_Static_assert(sizeof(((sk_eval_record *)0)->class_names[0]) == SK_FIELD_NAME_CAP, "class name stride");

static const sk_field eval_fields[] = {
    {"schema", FT_CONST, 0, 0, 0, 0, 0, 0, SK_EVAL_SCHEMA},
    {"schema_version", FT_VERSION, 0, 0, SK_EVAL_SCHEMA_VERSION, SK_EVAL_SCHEMA_VERSION, 0, 0, NULL},
    {"model.cell_dir", FT_STR, M(cell_dir), 0, 0, 0, 0, NULL},
    {"model.arch", FT_WORD, M(arch), 0, 0, 0, 0, NULL},
    {"model.input_size", FT_INT, M(input_size), 1, 100000, 0, 0, NULL},
    {"model.trainable_layers", FT_INT, M(trainable_layers), -1, 1000000, 0, 0, NULL},
    {"model.seed", FT_U64, M(seed), 0, BIG, 0, 0, NULL},
    {"model.checkpoint", FT_STR, M(checkpoint), 0, 0, 0, 0, NULL},
    {"model.checkpoint_path", FT_STR, M(checkpoint_path), 0, 0, 0, 0, NULL},
    {"model.epoch", FT_INT, M(epoch), 0, 1000000, 0, 0, NULL},
    {"model.loss", FT_STR, M(loss), 0, 0, 0, 0, NULL},
    {"data.path", FT_STR, M(data_path), 0, 0, 0, 0, NULL},
    {"data.sha256", FT_STR, M(data_sha256), 0, 0, 0, 0, NULL},
    {"data.split", FT_STR, M(split), 0, 0, 0, 0, NULL},
    {"data.n", FT_INT, M(n), 1, INT32_MAX, 0, 0, NULL},
    {"num_classes", FT_INT, M(num_classes), 2, SK_RECORD_MAX_CLASSES, 0, 0, NULL},
    {"class_names", FT_NAMES, M(class_names), 0, 0, 0, 0, NULL},
    {"accuracy", FT_NUM, M(accuracy), 0, 0, 0, 0, NULL},
    {"balanced_accuracy", FT_NUM, M(balanced_accuracy), 0, 0, 0, 0, NULL},
    {"log_loss", FT_NUM, M(log_loss), 0, 0, 0, 0, NULL},
    {"ece", FT_NUM, M(ece), 0, 0, 0, 0, NULL},
    {"macro_f1", FT_NUM, M(macro_f1), 0, 0, 0, 0, NULL},
    {"macro_auc", FT_NUM_OR_NULL, M(macro_auc), 0, 0, 0, 0, NULL},
    {"per_class.precision", FT_NUMS, M(precision), 0, 0, 0, 0, NULL},
    {"per_class.recall", FT_NUMS, M(recall), 0, 0, 0, 0, NULL},
    {"per_class.f1", FT_NUMS, M(f1), 0, 0, 0, 0, NULL},
    {"per_class.support", FT_I64S, M(support), 0, 0, 0, 0, NULL},
    {"per_class.auc", FT_NUMS_OR_NULL, M(auc), 0, 0, 0, 0, NULL},
    {"confusion", FT_CONFUSION, M(confusion), 0, 0, 0, 0, NULL},
    {"created_utc", FT_STR, M(created_utc), 0, 0, 0, 0, NULL},
};

#undef M

void sk_eval_init(sk_eval_record *e)
{
    memset(e, 0, sizeof *e);
}

void sk_eval_free(sk_eval_record *e)
{
    for (int c = 0; c < SK_RECORD_MAX_CLASSES; c++) {
        free(e->roc[c].fpr);
        free(e->roc[c].tpr);
        e->roc[c].fpr = e->roc[c].tpr = NULL;
        e->roc[c].n = 0;
    }
}

static cJSON *num_or_null(double v)
{
    return isnan(v) ? cJSON_CreateNull() : cJSON_CreateNumber(v);
}

static cJSON *bins_json(const sk_eval_record *e)
{
    cJSON *a = cJSON_CreateArray();
    for (int b = 0; b < SK_EVAL_BINS; b++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "lo", e->bins[b].lo);
        cJSON_AddNumberToObject(o, "hi", e->bins[b].hi);
        cJSON_AddNumberToObject(o, "count", (double)e->bins[b].count);
        cJSON_AddItemToObject(o, "confidence", num_or_null(e->bins[b].confidence));
        cJSON_AddItemToObject(o, "accuracy", num_or_null(e->bins[b].accuracy));
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *doubles(const double *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

static cJSON *roc_json(const sk_eval_record *e)
{
    cJSON *a = cJSON_CreateArray();
    for (int c = 0; c < e->num_classes; c++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "class", e->class_names[c]);
        cJSON_AddItemToObject(o, "auc", num_or_null(e->auc[c]));
        cJSON_AddItemToObject(o, "fpr", doubles(e->roc[c].fpr, e->roc[c].n));
        cJSON_AddItemToObject(o, "tpr", doubles(e->roc[c].tpr, e->roc[c].n));
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

sk_status sk_eval_write(const char *path, const sk_eval_record *e, sk_error *err)
{
    SK_ASSERT(e->num_classes >= 2 && e->num_classes <= SK_RECORD_MAX_CLASSES);
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < SK_ARRAY_LEN(eval_fields); i++) sk_field_write(o, &eval_fields[i], e, e->num_classes);
    cJSON_AddItemToObject(o, "reliability", bins_json(e));
    cJSON_AddItemToObject(o, "roc", roc_json(e));
    cJSON_AddItemToObject(o, "platform", sk_record_platform_json());
    sk_status s = sk_json_write_file(path, o, err);
    cJSON_Delete(o);
    return s;
}

/* ---- reading ---- */

/* Member `name` of o as a finite number (or NaN for null when nullable); the first error. */
static double get_num(sk_jctx *c, const cJSON *o, const char *where, const char *name, int nullable)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);
    if (nullable && cJSON_IsNull(j)) return NAN;
    if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble)) {
        char f[128];
        snprintf(f, sizeof f, "%s.%s", where, name);
        sk_jfail(c, f, nullable ? "a finite number or null" : "a finite number", j);
        return NAN;
    }
    return j->valuedouble;
}

static void fail_at(sk_jctx *c, const char *field, const char *what)
{
    if (!c->st) c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field '%s': %s", c->file, field, what);
}

static void read_bins(sk_jctx *c, const cJSON *root, sk_eval_record *e)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "reliability");
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != SK_EVAL_BINS) {
        if (!c->st) c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field 'reliability': expected an array of %d bins, "
                                         "found %s", c->file, SK_EVAL_BINS, sk_jtype(a));
        return;
    }
    int64_t total = 0;
    for (int b = 0; b < SK_EVAL_BINS && !c->st; b++) {
        const cJSON *o = cJSON_GetArrayItem(a, b);
        char where[32];
        snprintf(where, sizeof where, "reliability[%d]", b);
        sk_eval_bin *x = &e->bins[b];
        x->lo = get_num(c, o, where, "lo", 0);
        x->hi = get_num(c, o, where, "hi", 0);
        double n = get_num(c, o, where, "count", 0);
        x->confidence = get_num(c, o, where, "confidence", 1);
        x->accuracy = get_num(c, o, where, "accuracy", 1);
        if (c->st) return;
        if (n < 0 || n != floor(n) || n > BIG) fail_at(c, where, "expected a non-negative integer count");
        x->count = (int64_t)n;
        total += x->count;
        if (!(x->lo >= 0 && x->lo < x->hi && x->hi <= 1)) fail_at(c, where, "expected 0 <= lo < hi <= 1");
        if (x->count && (isnan(x->confidence) || isnan(x->accuracy)))
            fail_at(c, where, "expected a confidence and an accuracy for a bin with samples");
    }
    if (!c->st && total != e->n) fail_at(c, "reliability", "expected bin counts summing to data.n");
}

/* Reads array `name` of o into a malloc'ed (n) of numbers in [0, 1], non-decreasing. */
static double *read_axis(sk_jctx *c, const cJSON *o, const char *where, const char *name, int *n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, name);
    char f[128];
    snprintf(f, sizeof f, "%s.%s", where, name);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > MAX_POINTS) {
        sk_jfail(c, f, "an array of numbers", a);
        return NULL;
    }
    *n = cJSON_GetArraySize(a);
    double *v = sk_xmalloc(((size_t)*n + 1) * sizeof *v);
    int i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, a) {
        if (!cJSON_IsNumber(x) || !(x->valuedouble >= 0 && x->valuedouble <= 1) ||
            (i && x->valuedouble < v[i - 1])) {
            fail_at(c, f, "expected non-decreasing numbers in [0, 1]");
            free(v);
            return NULL;
        }
        v[i++] = x->valuedouble;
    }
    return v;
}

static void read_curve(sk_jctx *c, const cJSON *o, int k, sk_eval_record *e)
{
    char where[64];
    snprintf(where, sizeof where, "roc[%d]", k);
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(o, "class");
    if (!cJSON_IsString(cls) || strcmp(cls->valuestring, e->class_names[k]) != 0) {
        fail_at(c, where, "expected the curves in class_names order");
        return;
    }
    double auc = get_num(c, o, where, "auc", 1);
    if (c->st) return;
    if (!((isnan(auc) && isnan(e->auc[k])) || auc == e->auc[k])) fail_at(c, where, "auc differs from per_class.auc");
    sk_eval_curve *cv = &e->roc[k];
    int nf = 0, nt = 0;
    cv->fpr = read_axis(c, o, where, "fpr", &nf);
    if (!c->st) cv->tpr = read_axis(c, o, where, "tpr", &nt);
    if (c->st) return;
    cv->n = nf;
    if (nf != nt) fail_at(c, where, "expected fpr and tpr of the same length");
    else if (isnan(auc) ? nf != 0 : (nf < 2 || cv->fpr[0] != 0 || cv->tpr[0] != 0 || cv->fpr[nf - 1] != 1 ||
                                     cv->tpr[nf - 1] != 1))
        fail_at(c, where, isnan(auc) ? "expected no points for an undefined AUC"
                                     : "expected a curve from (0, 0) to (1, 1)");
}

static void read_curves(sk_jctx *c, const cJSON *root, sk_eval_record *e)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "roc");
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != e->num_classes) {
        if (!c->st) c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field 'roc': expected an array of %d curves (num_classes), "
                                         "found %s", c->file, e->num_classes, sk_jtype(a));
        return;
    }
    for (int k = 0; k < e->num_classes && !c->st; k++) read_curve(c, cJSON_GetArrayItem(a, k), k, e);
}

/* The confusion matrix must agree with support and n. */
static void check_counts(sk_jctx *c, const sk_eval_record *e)
{
    int k = e->num_classes;
    int64_t total = 0;
    for (int i = 0; i < k && !c->st; i++) {
        int64_t row = 0;
        for (int j = 0; j < k; j++) row += e->confusion[i * k + j];
        if (row != e->support[i]) fail_at(c, "per_class.support", "expected the row sums of confusion");
        total += row;
    }
    if (!c->st && total != e->n) fail_at(c, "confusion", "expected counts summing to data.n");
}

sk_status sk_eval_read(const char *path, sk_eval_record *e, sk_error *err)
{
    sk_eval_init(e);
    cJSON *root = NULL;
    sk_status st = sk_json_read_file(path, &root, err);
    if (st) return st;
    sk_jctx c = {path, err, SK_OK, 0, 0};
    if (!cJSON_IsObject(root)) sk_jfail(&c, "(top level)", "an object", root);
    for (size_t i = 0; i < SK_ARRAY_LEN(eval_fields) && !c.st; i++)
        sk_field_read(&c, root, &eval_fields[i], e, e->num_classes);
    check_counts(&c, e);
    if (!c.st) read_bins(&c, root, e);
    if (!c.st) read_curves(&c, root, e);
    cJSON_Delete(root);
    if (c.st) sk_eval_free(e);
    return c.st;
}
