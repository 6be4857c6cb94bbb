/* record.c: run.json / metrics.jsonl / DONE writers and the metrics reader (cJSON). */
#include "record.h"
#include "buildinfo.h"
#include "checksum.h"
#include "fileio.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

void sk_run_record_init(sk_run_record *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->weights_kind, sizeof r->weights_kind, "scratch");
    snprintf(r->input_scaling, sizeof r->input_scaling, "rescale_1_255");
    snprintf(r->loss, sizeof r->loss, "keras_logits");
    snprintf(r->optimizer, sizeof r->optimizer, "adam");
    snprintf(r->stop_reason, sizeof r->stop_reason, "completed");
}

void sk_utc_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t sk_peak_rss_bytes(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (int64_t)ru.ru_maxrss * 1024;
}

void sk_platform_fingerprint(char out[17])
{
    sk_buildinfo bi;
    sk_buildinfo_get(&bi);
    char text[2048];
    snprintf(text, sizeof text, "%s|%s|%s|%s|%s|%s|%d|%s", bi.compiler, bi.flags, bi.blas,
             bi.blas_config, bi.blas_core, bi.openblas_coretype_env, bi.omp_max_threads,
             bi.cpu_model);
    char hex[65];
    sk_sha256_hex(text, strlen(text), hex);
    memcpy(out, hex, 16);
    out[16] = '\0';
}

static cJSON *num_array(const double *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

/* cJSON prints doubles with 17 significant digits when needed, so values round-trip. */
sk_status sk_json_write_file(const char *path, const cJSON *root, sk_error *err)
{
    char *text = cJSON_Print(root);
    SK_ASSERT(text);
    size_t n = strlen(text);
    text = sk_xrealloc(text, n + 2);
    text[n] = '\n';
    text[n + 1] = '\0';
    sk_status s = sk_write_file_atomic(path, text, n + 1, err);
    free(text);
    return s;
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
    int k = r->num_classes;
    SK_ASSERT(k > 0 && k <= SK_RECORD_MAX_CLASSES);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "schema", SK_RECORD_SCHEMA);
    cJSON_AddNumberToObject(o, "schema_version", SK_RECORD_SCHEMA_VERSION);
    cJSON_AddStringToObject(o, "suite", r->suite);
    cJSON_AddStringToObject(o, "cell", r->cell);
    cJSON_AddStringToObject(o, "arch", r->arch);
    cJSON_AddNumberToObject(o, "input_size", r->input_size);
    cJSON_AddNumberToObject(o, "num_classes", k);
    cJSON *names = cJSON_CreateArray();
    for (int i = 0; i < k; i++) cJSON_AddItemToArray(names, cJSON_CreateString(r->class_names[i]));
    cJSON_AddItemToObject(o, "class_names", names);
    cJSON_AddNumberToObject(o, "trainable_layers", r->trainable_layers);
    cJSON_AddNumberToObject(o, "total_layers", r->total_layers);
    cJSON_AddNumberToObject(o, "base_layers", r->base_layers);
    cJSON_AddNumberToObject(o, "trainable_params", (double)r->trainable_params);
    cJSON_AddNumberToObject(o, "total_params", (double)r->total_params);
    cJSON_AddNumberToObject(o, "tlr", r->tlr);
    cJSON_AddNumberToObject(o, "tlr_base", r->tlr_base);
    cJSON_AddNumberToObject(o, "tpr", r->tpr);
    cJSON_AddNumberToObject(o, "seed", (double)r->seed);
    cJSON *w = cJSON_AddObjectToObject(o, "weights");
    cJSON_AddStringToObject(w, "kind", r->weights_kind);
    cJSON_AddStringToObject(w, "file", r->weights_file);
    cJSON_AddStringToObject(w, "sha256", r->weights_sha256);
    cJSON *d = cJSON_AddObjectToObject(o, "dataset");
    cJSON_AddStringToObject(d, "path", r->dataset_path);
    cJSON_AddStringToObject(d, "sha256", r->dataset_sha256);
    cJSON_AddNumberToObject(d, "n_train", r->n_train);
    cJSON_AddNumberToObject(d, "n_val", r->n_val);
    cJSON *p = cJSON_AddObjectToObject(o, "protocol");
    cJSON_AddStringToObject(p, "optimizer", r->optimizer);
    cJSON_AddNumberToObject(p, "lr", r->lr);
    cJSON_AddNumberToObject(p, "batch", r->batch);
    cJSON_AddNumberToObject(p, "epochs", r->epochs);
    cJSON *rl = cJSON_AddObjectToObject(p, "reduce_lr");
    cJSON_AddStringToObject(rl, "monitor", "val_loss");
    cJSON_AddNumberToObject(rl, "factor", r->rlr_factor);
    cJSON_AddNumberToObject(rl, "patience", r->rlr_patience);
    cJSON_AddNumberToObject(rl, "min_delta", r->rlr_min_delta);
    cJSON_AddNumberToObject(rl, "cooldown", r->rlr_cooldown);
    cJSON_AddNumberToObject(rl, "min_lr", r->rlr_min_lr);
    if (r->es_patience > 0) {
        cJSON *es = cJSON_AddObjectToObject(p, "early_stopping");
        cJSON_AddStringToObject(es, "monitor", "val_loss");
        cJSON_AddNumberToObject(es, "patience", r->es_patience);
        cJSON_AddTrueToObject(es, "restore_best_weights");
    } else {
        cJSON_AddNullToObject(p, "early_stopping");
    }
    cJSON_AddItemToObject(p, "class_weights", num_array(r->class_weights, k));
    cJSON_AddStringToObject(p, "input_scaling", r->input_scaling);
    cJSON_AddStringToObject(p, "loss", r->loss);
    cJSON_AddNumberToObject(o, "epochs_run", r->epochs_run);
    cJSON_AddStringToObject(o, "stop_reason", r->stop_reason);
    cJSON_AddNumberToObject(o, "best_val_acc", r->best_val_acc);
    cJSON_AddNumberToObject(o, "best_epoch", r->best_epoch);
    cJSON_AddNumberToObject(o, "final_val_acc", r->final_val_acc);
    cJSON_AddNumberToObject(o, "final_train_acc", r->final_train_acc);
    cJSON_AddNumberToObject(o, "final_val_loss", r->final_val_loss);
    cJSON_AddStringToObject(o, "final_weights_sha256", r->final_weights_sha256);
    cJSON *pc = cJSON_AddObjectToObject(o, "per_class");
    cJSON_AddItemToObject(pc, "precision", num_array(r->precision, k));
    cJSON_AddItemToObject(pc, "recall", num_array(r->recall, k));
    cJSON_AddItemToObject(pc, "f1", num_array(r->f1, k));
    cJSON *cm = cJSON_CreateArray();
    for (int i = 0; i < k; i++) {
        cJSON *row = cJSON_CreateArray();
        for (int j = 0; j < k; j++) cJSON_AddItemToArray(row, cJSON_CreateNumber((double)r->confusion[i][j]));
        cJSON_AddItemToArray(cm, row);
    }
    cJSON_AddItemToObject(o, "confusion", cm);
    cJSON_AddNumberToObject(o, "wall_seconds", r->wall_seconds);
    cJSON_AddNumberToObject(o, "seconds_per_epoch_median", r->seconds_per_epoch_median);
    cJSON_AddNumberToObject(o, "peak_rss_bytes", (double)r->peak_rss_bytes);
    cJSON *cache = cJSON_AddObjectToObject(o, "cache");
    cJSON_AddBoolToObject(cache, "used", r->cache_used);
    sk_buildinfo bi;
    sk_buildinfo_get(&bi);
    cJSON *pl = cJSON_AddObjectToObject(o, "platform");
    cJSON_AddStringToObject(pl, "skytune_version", bi.version);
    cJSON_AddStringToObject(pl, "git_revision", bi.git_revision);
    cJSON_AddStringToObject(pl, "compiler", bi.compiler);
    cJSON_AddStringToObject(pl, "flags", bi.flags);
    cJSON_AddStringToObject(pl, "blas", bi.blas);
    cJSON_AddStringToObject(pl, "blas_config", bi.blas_config);
    cJSON_AddStringToObject(pl, "blas_core", bi.blas_core);
    cJSON_AddStringToObject(pl, "openblas_coretype_env", bi.openblas_coretype_env);
    cJSON_AddNumberToObject(pl, "omp_threads", bi.omp_max_threads);
    cJSON_AddStringToObject(pl, "cpu_model", bi.cpu_model);
    char fp[17];
    sk_platform_fingerprint(fp);
    cJSON_AddStringToObject(pl, "fingerprint", fp);
    cJSON_AddStringToObject(o, "started_utc", r->started_utc);
    cJSON_AddStringToObject(o, "finished_utc", r->finished_utc);
    sk_status s = write_json(dir, "run.json", o, err);
    cJSON_Delete(o);
    return s;
}

sk_status sk_record_write_metrics(const char *dir, const sk_epoch_record *epochs, int n,
                                  int num_classes, sk_error *err)
{
    sk_buf b;
    sk_buf_init(&b);
    for (int i = 0; i < n; i++) {
        const sk_epoch_record *e = &epochs[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "epoch", e->epoch);
        cJSON_AddNumberToObject(o, "lr", e->lr);
        cJSON_AddNumberToObject(o, "loss", e->loss);
        cJSON_AddNumberToObject(o, "acc", e->acc);
        cJSON_AddNumberToObject(o, "val_loss", e->val_loss);
        cJSON_AddNumberToObject(o, "val_acc", e->val_acc);
        cJSON_AddItemToObject(o, "val_recall", num_array(e->val_recall, num_classes));
        cJSON_AddNumberToObject(o, "seconds", e->seconds);
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

static int get_num(const cJSON *o, const char *key, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v)) return 0;
    *out = v->valuedouble;
    return 1;
}

sk_status sk_record_read_metrics(const char *dir, sk_epoch_record *epochs, int max, int *n,
                                 sk_error *err)
{
    *n = 0;
    char *path = sk_path_join(dir, "metrics.jsonl");
    uint8_t *text;
    size_t len;
    sk_status s = sk_read_file(path, &text, &len, 64u << 20, err);
    if (s) {
        free(path);
        return s;
    }
    int lineno = 0;
    for (char *line = (char *)text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        lineno++;
        if (*n >= max) break;
        cJSON *o = cJSON_Parse(line);
        sk_epoch_record *e = &epochs[*n];
        memset(e, 0, sizeof *e);
        double ep = 0;
        int ok = o && get_num(o, "epoch", &ep) && get_num(o, "lr", &e->lr) &&
                 get_num(o, "loss", &e->loss) && get_num(o, "acc", &e->acc) &&
                 get_num(o, "val_loss", &e->val_loss) && get_num(o, "val_acc", &e->val_acc) &&
                 get_num(o, "seconds", &e->seconds);
        const cJSON *rec = o ? cJSON_GetObjectItemCaseSensitive(o, "val_recall") : NULL;
        ok = ok && cJSON_IsArray(rec) && cJSON_GetArraySize(rec) <= SK_RECORD_MAX_CLASSES;
        if (ok) {
            int i = 0;
            const cJSON *x;
            cJSON_ArrayForEach(x, rec) e->val_recall[i++] = x->valuedouble;
        }
        cJSON_Delete(o);
        if (!ok || (int)ep != *n + 1) {
            s = sk_error_set(err, SK_EFORMAT, "%s:%d: malformed epoch record (expected epoch %d)",
                             path, lineno, *n + 1);
            break;
        }
        e->epoch = (int)ep;
        (*n)++;
    }
    free(text);
    free(path);
    return s;
}

sk_status sk_record_mark_done(const char *dir, sk_error *err)
{
    char *path = sk_path_join(dir, "DONE");
    char stamp[40];
    sk_utc_now(stamp);
    size_t n = strlen(stamp);
    stamp[n] = '\n';
    sk_status s = sk_write_file_atomic(path, stamp, n + 1, err);
    free(path);
    return s;
}

int sk_record_is_done(const char *dir)
{
    char *path = sk_path_join(dir, "DONE");
    int done = sk_file_exists(path);
    free(path);
    return done;
}
