/* record.c: the run.json / metrics.jsonl schema as field tables of the records' engine
 * (record_fields.h), and their writers and readers (see record.h). */
#include "record.h"
#include "record_fields.h"
#include "sk_base.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_JSON_BYTES (64u << 20)
_Static_assert(sizeof(((sk_run_record *)0)->class_names[0]) == SK_FIELD_NAME_CAP, "class name stride");

#define M(member) offsetof(sk_run_record, member), sizeof(((sk_run_record *)0)->member)
#define E(member) offsetof(sk_epoch_record, member), sizeof(((sk_epoch_record *)0)->member)
#define BIG 4503599627370496.0 /* 2^52: integers beyond it do not survive a double */

/* run.json, in document order. */
static const sk_field run_fields[] = {
    {"schema", FT_CONST, 0, 0, 0, 0, 0, 0, SK_RECORD_SCHEMA},
    {"schema_version", FT_VERSION, 0, 0, SK_RECORD_SCHEMA_VERSION_MIN, SK_RECORD_SCHEMA_VERSION, 0, 0, NULL},
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
    {"weights.source", FT_STR, M(weights_source), 0, 0, F_OPTIONAL, 0, NULL},
    {"dataset.path", FT_STR, M(data_path), 0, 0, 0, 0, NULL},
    {"dataset.sha256", FT_STR, M(data_sha256), 0, 0, 0, 0, NULL},
    {"dataset.n_train", FT_INT, M(n_train), 0, INT32_MAX, 0, 0, NULL},
    {"dataset.n_val", FT_INT, M(n_val), 0, INT32_MAX, 0, 0, NULL},
    {"dataset.n_test", FT_INT, M(n_test), 1, INT32_MAX, F_COND, 0, NULL},
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
    {"test.best.epoch", FT_INT, M(test_best_epoch), 0, 1000000, F_COND, 0, NULL},
    {"test.best.acc", FT_NUM, M(test_best_acc), 0, 0, F_COND, 0, NULL},
    {"test.best.balanced_acc", FT_NUM, M(test_best_balanced_acc), 0, 0, F_COND, 0, NULL},
    {"test.best.loss", FT_NUM, M(test_best_loss), 0, 0, F_COND, 0, NULL},
    {"test.last.epoch", FT_INT, M(test_last_epoch), 0, 1000000, F_COND, 0, NULL},
    {"test.last.acc", FT_NUM, M(test_last_acc), 0, 0, F_COND, 0, NULL},
    {"test.last.balanced_acc", FT_NUM, M(test_last_balanced_acc), 0, 0, F_COND, 0, NULL},
    {"test.last.loss", FT_NUM, M(test_last_loss), 0, 0, F_COND, 0, NULL},
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
static const sk_field epoch_fields[] = {
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
    for (size_t i = 0; i < SK_ARRAY_LEN(run_fields); i++)
        if (!(run_fields[i].flags & F_COND) || w->n_test > 0) sk_field_write(o, &run_fields[i], w, w->num_classes);
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
        if (strncmp(run_fields[i].path, "platform.", 9) == 0) sk_field_write(root, &run_fields[i], w, 0);
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
        for (size_t f = 0; f < SK_ARRAY_LEN(epoch_fields); f++) sk_field_write(o, &epoch_fields[f], &epochs[i], num_classes);
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

/* The cross-field rules the table cannot state. */
static void check_consistency(sk_jctx *c, const sk_run_record *r)
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
    if (r->best_epoch > r->epochs_run) {
        c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field 'best_epoch': expected at most epochs_run (%d), found %d",
                             c->file, r->epochs_run, r->best_epoch);
        return;
    }
    if (r->n_test > 0 && (r->test_best_epoch != r->best_epoch || r->test_last_epoch != r->epochs_run))
        c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field 'test.%s.epoch': expected %d (%s), found %d", c->file,
                             r->test_best_epoch != r->best_epoch ? "best" : "last",
                             r->test_best_epoch != r->best_epoch ? r->best_epoch : r->epochs_run,
                             r->test_best_epoch != r->best_epoch ? "best_epoch" : "epochs_run",
                             r->test_best_epoch != r->best_epoch ? r->test_best_epoch : r->test_last_epoch);
}

static sk_status read_run_json(const char *dir, sk_run_record *r, sk_error *err)
{
    char *file = sk_path_join(dir, "run.json");
    cJSON *root = NULL;
    sk_status st = sk_json_read_file(file, &root, err);
    if (!st) {
        sk_jctx c = {file, err, SK_OK, 0, 0};
        if (!cJSON_IsObject(root)) sk_jfail(&c, "(top level)", "an object", root);
        for (size_t i = 0; i < SK_ARRAY_LEN(run_fields) && !c.st; i++) {
            c.cond = r->n_test > 0;
            sk_field_read(&c, root, &run_fields[i], r, r->num_classes);
        }
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
            sk_jctx c = {where, err, SK_OK, strict, 0};
            sk_epoch_record e;
            memset(&e, 0, sizeof e);
            for (size_t f = 0; f < SK_ARRAY_LEN(epoch_fields); f++) sk_field_read(&c, j, &epoch_fields[f], &e, num_classes);
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
