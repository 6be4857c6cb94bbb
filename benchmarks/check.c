/* check.c: baseline comparison of result records (cJSON). */
#include "check.h"
#include "fileio.h"
#include "record.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const exact_fields[] = {"trainable_layers", "total_layers", "base_layers",
                                           "trainable_params", "total_params", "tlr",
                                           "tlr_base", "tpr", "input_size", "num_classes"};
static const char *const acc_fields[] = {"best_val_acc", "final_val_acc", "final_train_acc"};
static const char *const loss_fields[] = {"final_val_loss"};
static const char *const int_fields[] = {"best_epoch", "epochs_run", "final_weights_sha256"};

static sk_status load_json(const char *path, cJSON **out, sk_error *err)
{
    uint8_t *text;
    size_t n;
    sk_status s = sk_read_file(path, &text, &n, 64u << 20, err);
    if (s) return s;
    *out = cJSON_ParseWithLength((const char *)text, n);
    free(text);
    if (!*out) return sk_error_set(err, SK_EFORMAT, "%s: not valid JSON", path);
    return SK_OK;
}

/* Collects every run.json below DIR whose directory has DONE into an object cell -> run (owned by the result). */
static sk_status collect(const char *dir, cJSON *cells, int depth, sk_error *err)
{
    if (depth > 6) return SK_OK;
    DIR *d = opendir(dir);
    if (!d) return sk_error_set(err, SK_EIO, "%s: cannot open results directory", dir);
    sk_status s = SK_OK;
    struct dirent *e;
    while (!s && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *p = sk_path_join(dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            s = collect(p, cells, depth + 1, err);
        } else if (!strcmp(e->d_name, "run.json") && sk_record_is_done(dir)) {
            cJSON *run;
            s = load_json(p, &run, err);
            if (!s) {
                const cJSON *cell = cJSON_GetObjectItemCaseSensitive(run, "cell");
                if (!cJSON_IsString(cell)) {
                    s = sk_error_set(err, SK_EFORMAT, "%s: field 'cell' missing", p);
                    cJSON_Delete(run);
                } else if (cJSON_GetObjectItemCaseSensitive(cells, cell->valuestring)) {
                    s = sk_error_set(err, SK_EFORMAT, "%s: cell '%s' appears twice", p, cell->valuestring);
                    cJSON_Delete(run);
                } else {
                    cJSON_AddItemToObject(cells, cell->valuestring, run);
                }
            }
        }
        free(p);
    }
    closedir(d);
    return s;
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
    for (size_t i = 0; i < SK_ARRAY_LEN(exact_fields); i++)
        n += diff(out, cell, exact_fields[i], field(want, exact_fields[i]), field(got, exact_fields[i]), 0);
    for (size_t i = 0; i < SK_ARRAY_LEN(acc_fields); i++)
        n += diff(out, cell, acc_fields[i], field(want, acc_fields[i]), field(got, acc_fields[i]),
                  exact ? 0 : acc_tol);
    for (size_t i = 0; i < SK_ARRAY_LEN(loss_fields); i++)
        n += diff(out, cell, loss_fields[i], field(want, loss_fields[i]), field(got, loss_fields[i]),
                  exact ? 0 : loss_tol);
    if (exact)
        for (size_t i = 0; i < SK_ARRAY_LEN(int_fields); i++)
            n += diff(out, cell, int_fields[i], field(want, int_fields[i]), field(got, int_fields[i]), 0);
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
    sk_status s = load_json(baseline_path, &base, err);
    if (!s) s = collect(results_dir, cells, 0, err);
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
    sk_status s = collect(dir_a, a, 0, err);
    if (!s) s = collect(dir_b, b, 0, err);
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
    sk_status s = collect(results_dir, cells, 0, err);
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
        const char *const *lists[] = {exact_fields, acc_fields, loss_fields, int_fields};
        size_t lens[] = {SK_ARRAY_LEN(exact_fields), SK_ARRAY_LEN(acc_fields),
                         SK_ARRAY_LEN(loss_fields), SK_ARRAY_LEN(int_fields)};
        for (size_t l = 0; l < 4; l++)
            for (size_t i = 0; i < lens[l]; i++) {
                const cJSON *v = field(c, lists[l][i]);
                if (v) cJSON_AddItemToObject(k, lists[l][i], cJSON_Duplicate(v, 1));
            }
    }
    s = sk_json_write_file(baseline_path, base, err);
    cJSON_Delete(base);
    cJSON_Delete(cells);
    return s;
}
