/* check.c: baseline comparison of result records (cJSON); the compared fields and their classes
 * are the record schema's (records/record.h), the cells come from its walk. */
#include "check.h"
#include "sk_base.h"
#include "sk_records.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The compared run.json fields, by check class, from the record schema's field table. */
typedef struct {
    const char *names[32];
    int n;
} field_list;

/* Every class, in the order differences are listed and baselines written. */
static const sk_check_class check_classes[] = {SK_CHECK_EXACT, SK_CHECK_ACC, SK_CHECK_LOSS, SK_CHECK_BITS};

static field_list fields_of(sk_check_class cls)
{
    field_list l;
    l.n = sk_record_check_fields(cls, l.names, (int)SK_ARRAY_LEN(l.names));
    return l;
}

typedef struct {
    cJSON *cells;
} collect_state;

/* Adds the run.json of every DONE cell to an object cell id -> run (owned by it). */
static sk_status collect_cell(void *ctx, const char *dir, sk_cell_state state, sk_error *err)
{
    collect_state *cs = ctx;
    if (state != SK_CELL_DONE) return SK_OK;
    char *p = sk_path_join(dir, "run.json");
    cJSON *run;
    sk_status s = sk_json_read_file(p, &run, err);
    if (!s) {
        const cJSON *cell = cJSON_GetObjectItemCaseSensitive(run, "cell");
        if (!cJSON_IsString(cell)) {
            s = sk_error_set(err, SK_EFORMAT, "%s: field 'cell' missing", p);
            cJSON_Delete(run);
        } else if (cJSON_GetObjectItemCaseSensitive(cs->cells, cell->valuestring)) {
            s = sk_error_set(err, SK_EFORMAT, "%s: cell '%s' appears twice", p, cell->valuestring);
            cJSON_Delete(run);
        } else {
            cJSON_AddItemToObject(cs->cells, cell->valuestring, run);
        }
    }
    free(p);
    return s;
}

/* Collects every finished cell below DIR into cells. */
static sk_status collect(const char *dir, cJSON *cells, sk_error *err)
{
    if (!sk_dir_exists(dir)) return sk_error_set(err, SK_EIO, "%s: cannot open results directory", dir);
    collect_state cs = {cells};
    return sk_record_walk(dir, collect_cell, &cs, err);
}

static const cJSON *field(const cJSON *o, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(o, name);
}

static void fmt_value(const cJSON *v, char *buf, size_t cap)
{
    if (!v) snprintf(buf, cap, "(missing)");
    else if (cJSON_IsNumber(v)) snprintf(buf, cap, "%.17g", v->valuedouble);
    else if (cJSON_IsString(v)) snprintf(buf, cap, "\"%s\"", v->valuestring);
    else snprintf(buf, cap, "(non-number)");
}

static int diff(FILE *out, const char *cell, const char *name, const cJSON *want, const cJSON *got,
                double tol)
{
    int same;
    if (!want || !got || !cJSON_IsNumber(want) || !cJSON_IsNumber(got)) {
        same = want && got && cJSON_Compare(want, got, 1);
    } else if (tol <= 0) {
        same = want->valuedouble == got->valuedouble;
    } else {
        same = fabs(want->valuedouble - got->valuedouble) <= tol;
    }
    if (same) return 0;
    char a[64], b[64];
    fmt_value(want, a, sizeof a);
    fmt_value(got, b, sizeof b);
    if (tol > 0)
        fprintf(out, "%s: %s: baseline %s, found %s (tolerance %g)\n", cell, name, a, b, tol);
    else
        fprintf(out, "%s: %s: baseline %s, found %s\n", cell, name, a, b);
    return 1;
}

static int compare_cell(FILE *out, const char *cell, const cJSON *want, const cJSON *got,
                        int exact, double acc_tol, double loss_tol)
{
    int n = 0;
    for (size_t c = 0; c < SK_ARRAY_LEN(check_classes); c++) {
        sk_check_class cls = check_classes[c];
        if (cls == SK_CHECK_BITS && !exact) continue; /* bits only mean something on one platform */
        double tol = exact || cls == SK_CHECK_EXACT ? 0 : cls == SK_CHECK_ACC ? acc_tol : loss_tol;
        field_list l = fields_of(cls);
        for (int i = 0; i < l.n; i++)
            n += diff(out, cell, l.names[i], field(want, l.names[i]), field(got, l.names[i]), tol);
    }
    return n;
}

static const char *fingerprint_of(const cJSON *run)
{
    const cJSON *pl = field(run, "platform");
    const cJSON *fp = pl ? field(pl, "fingerprint") : NULL;
    return cJSON_IsString(fp) ? fp->valuestring : "";
}

sk_status sk_check_results(const char *results_dir, const char *baseline_path, FILE *out,
                           sk_check_result *res, sk_error *err)
{
    memset(res, 0, sizeof *res);
    cJSON *base = NULL, *cells = cJSON_CreateObject();
    sk_status s = sk_json_read_file(baseline_path, &base, err);
    if (!s) s = collect(results_dir, cells, err);
    if (s) goto done;
    const cJSON *bcells = field(base, "cells");
    const cJSON *tol = field(base, "tolerances");
    const cJSON *bfp = field(base, "platform_fingerprint");
    if (!cJSON_IsObject(bcells) || !cJSON_IsObject(tol) || !cJSON_IsString(bfp) ||
        !cJSON_IsNumber(field(tol, "acc")) || !cJSON_IsNumber(field(tol, "loss"))) {
        s = sk_error_set(err, SK_EFORMAT,
                         "%s: expected fields 'cells', 'tolerances' {acc, loss} and 'platform_fingerprint'",
                         baseline_path);
        goto done;
    }
    double acc_tol = field(tol, "acc")->valuedouble, loss_tol = field(tol, "loss")->valuedouble;
    /* Bit-exact only when every result cell ran on the baseline's platform. */
    int exact = cJSON_GetArraySize(cells) > 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cells) exact &= !strcmp(fingerprint_of(c), bfp->valuestring);
    res->exact = exact;
    fprintf(out, "bench check: %s against %s (%s comparison)\n", results_dir, baseline_path,
            exact ? "bit-exact: same platform fingerprint" : "within tolerances: platform differs");
    cJSON_ArrayForEach(c, bcells) {
        const cJSON *got = field(cells, c->string);
        res->cells_checked++;
        if (!got) {
            fprintf(out, "%s: missing from the results (no DONE record)\n", c->string);
            res->differences++;
            continue;
        }
        res->differences += compare_cell(out, c->string, c, got, exact, acc_tol, loss_tol);
    }
    cJSON_ArrayForEach(c, cells) if (!field(bcells, c->string))
        fprintf(out, "%s: not in the baseline (ignored)\n", c->string);
    fprintf(out, "bench check: %d cells, %d differences\n", res->cells_checked, res->differences);
done:
    cJSON_Delete(base);
    cJSON_Delete(cells);
    return s;
}

sk_status sk_check_identical(const char *dir_a, const char *dir_b, FILE *out,
                             sk_check_result *res, sk_error *err)
{
    memset(res, 0, sizeof *res);
    res->exact = 1;
    cJSON *a = cJSON_CreateObject(), *b = cJSON_CreateObject();
    sk_status s = collect(dir_a, a, err);
    if (!s) s = collect(dir_b, b, err);
    if (!s) {
        const cJSON *c;
        cJSON_ArrayForEach(c, a) {
            res->cells_checked++;
            const cJSON *other = field(b, c->string);
            if (!other) {
                fprintf(out, "%s: only in %s\n", c->string, dir_a);
                res->differences++;
                continue;
            }
            res->differences += compare_cell(out, c->string, c, other, 1, 0, 0);
        }
        cJSON_ArrayForEach(c, b) if (!field(a, c->string)) {
            fprintf(out, "%s: only in %s\n", c->string, dir_b);
            res->differences++;
        }
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
    return s;
}

sk_status sk_check_write_baseline(const char *results_dir, const char *baseline_path,
                                  double acc_tol, double loss_tol, sk_error *err)
{
    cJSON *cells = cJSON_CreateObject();
    sk_status s = collect(results_dir, cells, err);
    if (s) {
        cJSON_Delete(cells);
        return s;
    }
    if (cJSON_GetArraySize(cells) == 0) {
        cJSON_Delete(cells);
        return sk_error_set(err, SK_ENOTFOUND, "%s: no finished cells (DONE) to make a baseline from",
                            results_dir);
    }
    cJSON *base = cJSON_CreateObject();
    cJSON_AddStringToObject(base, "schema", "skytune.baseline");
    cJSON_AddNumberToObject(base, "schema_version", 1);
    cJSON *first = cells->child;
    cJSON_AddStringToObject(base, "platform_fingerprint", fingerprint_of(first));
    cJSON *pl = cJSON_Duplicate(field(first, "platform"), 1);
    if (pl) cJSON_AddItemToObject(base, "platform", pl);
    cJSON *tol = cJSON_AddObjectToObject(base, "tolerances");
    cJSON_AddNumberToObject(tol, "acc", acc_tol);
    cJSON_AddNumberToObject(tol, "loss", loss_tol);
    cJSON *out = cJSON_AddObjectToObject(base, "cells");
    const cJSON *c;
    cJSON_ArrayForEach(c, cells) {
        cJSON *k = cJSON_AddObjectToObject(out, c->string);
        for (size_t cl = 0; cl < SK_ARRAY_LEN(check_classes); cl++) {
            field_list l = fields_of(check_classes[cl]);
            for (int i = 0; i < l.n; i++) {
                const cJSON *v = field(c, l.names[i]);
                if (v) cJSON_AddItemToObject(k, l.names[i], cJSON_Duplicate(v, 1));
            }
        }
    }
    s = sk_json_write_file(baseline_path, base, err);
    cJSON_Delete(base);
    cJSON_Delete(cells);
    return s;
}
