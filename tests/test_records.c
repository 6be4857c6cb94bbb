// LABELS: unit
// LIBS: sk_records
/* test_records.c: the records library (records/record.h). A record written by an earlier
 * skytune (tests/data/records_v1_770a456) and the report fixture are read; written again, a
 * record is the same document (the platform block aside, which describes the writing binary);
 * write-read round trips every field (early stopping null and set); a minimal record without
 * the optional fields loads; the resume reader requires every epoch field; speed.json's build
 * block is run.json's (one vocabulary); bench check's field lists come from the table; the walk
 * finds DONE, incomplete and FAILED cells in name order. */
#include "sk_base.h"
#include "sk_records.h"
#include "sk_test.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *src_path(const char *rel)
{
    const char *src = getenv("SRC");
    return sk_path_join(src ? src : ".", rel);
}

static char *read_text(const char *dir, const char *name)
{
    char *p = sk_path_join(dir, name);
    uint8_t *d = NULL;
    size_t n = 0;
    sk_error err;
    if (sk_read_file(p, &d, &n, 1 << 20, &err) != SK_OK) d = NULL;
    free(p);
    return (char *)d;
}

/* Reads the old record, writes it again and compares the documents. */
static void test_old_record(const char *tmp)
{
    char *dir = src_path("tests/data/records_v1_770a456/vgg16-t1-s1");
    sk_run_record r;
    sk_error err;
    CHECK_OK(sk_record_read_cell(dir, &r, &err), &err);
    CHECK_STR(r.arch, "vgg16");
    CHECK_EQ_INT(r.trainable_layers, 1);
    CHECK_EQ_INT(r.total_params, 14716227);
    CHECK_EQ_INT(r.n_epochs, 2);
    CHECK_EQ_INT(r.confusion[0 * 3 + 2], 5);
    CHECK_STR(r.version, "0.1.0");
    CHECK_STR(r.class_names[2], "STAR");
    CHECK(r.es_patience == 0 && r.rlr_patience == 1 && r.class_weights[1] > 6.19);

    char *out = sk_path_join(tmp, "rewritten");
    CHECK_OK(sk_mkdir_p(out, &err), &err);
    CHECK_OK(sk_record_write_run(out, &r, &err), &err);
    CHECK_OK(sk_record_write_metrics(out, r.epochs, r.n_epochs, r.num_classes, &err), &err);
    char *a = read_text(dir, "run.json"), *b = read_text(out, "run.json");
    cJSON *ja = a ? cJSON_Parse(a) : NULL, *jb = b ? cJSON_Parse(b) : NULL;
    CHECK(ja && jb);
    if (ja && jb) {
        /* The same document, key order included, once the platform blocks agree; a version 1
         * record is written back as the current version (it has no test block). */
        cJSON_ReplaceItemInObjectCaseSensitive(ja, "platform", cJSON_Duplicate(cJSON_GetObjectItem(jb, "platform"), 1));
        CHECK(cJSON_GetObjectItem(ja, "schema_version")->valuedouble == 1);
        CHECK(cJSON_GetObjectItem(jb, "schema_version")->valuedouble == SK_RECORD_SCHEMA_VERSION);
        cJSON_ReplaceItemInObjectCaseSensitive(ja, "schema_version", cJSON_CreateNumber(SK_RECORD_SCHEMA_VERSION));
        CHECK(cJSON_GetObjectItem(jb, "test") == NULL);
        /* weights.source came after version 1 records (optional): written empty for this one */
        cJSON *ws = cJSON_GetObjectItem(jb, "weights");
        CHECK(ws && cJSON_IsString(cJSON_GetObjectItem(ws, "source")) &&
              !strcmp(cJSON_GetObjectItem(ws, "source")->valuestring, ""));
        cJSON_DeleteItemFromObjectCaseSensitive(ws, "source");
        char *ta = cJSON_Print(ja), *tb = cJSON_Print(jb);
        CHECKF(strcmp(ta, tb) == 0, "rewritten run.json equals the old one:\n%s\n---\n%s", ta, tb);
        free(ta);
        free(tb);
    }
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    free(a);
    free(b);
    a = read_text(dir, "metrics.jsonl");
    b = read_text(out, "metrics.jsonl");
    CHECKF(a && b && strcmp(a, b) == 0, "rewritten metrics.jsonl is byte-identical");
    free(a);
    free(b);
    sk_run_record_free(&r);
    free(out);
    free(dir);

    /* The report fixture (hand-made records of the same schema) reads too. */
    dir = src_path("tests/data/report_fixture/results/quick/resnet50/resnet50-t6-s1");
    CHECK_OK(sk_record_read_cell(dir, &r, &err), &err);
    CHECK_EQ_INT(r.total_layers, 177);
    sk_run_record_free(&r);
    free(dir);
}

/* Values cJSON 1.7 prints exactly (it prints 15 digits when they read back within a relative
 * DBL_EPSILON, so e.g. 0.1 + 0.2 comes back as 0.3, one unit in the last place off). */
static void fill(sk_run_record *r, int es)
{
    sk_run_record_init(r);
    snprintf(r->suite, sizeof r->suite, "t");
    snprintf(r->cell, sizeof r->cell, "x-t2-s7");
    snprintf(r->arch, sizeof r->arch, "x");
    r->input_size = 64;
    r->num_classes = 2;
    snprintf(r->class_names[0], 64, "A");
    snprintf(r->class_names[1], 64, "B \"quoted\"");
    r->trainable_layers = 2, r->total_layers = 10, r->base_layers = 9;
    r->trainable_params = 7, r->total_params = 1000;
    r->tlr = 0.2, r->tlr_base = 2.0 / 9, r->tpr = 0.007;
    r->seed = 7;
    r->lr = 1e-4, r->batch = 4, r->epochs_requested = 3;
    r->rlr_factor = 0.1, r->rlr_patience = 5, r->rlr_min_delta = 1e-4;
    r->es_patience = es;
    r->class_weights[0] = 1, r->class_weights[1] = 6.199999809265137;
    r->epochs_run = 2, r->best_epoch = 1;
    r->best_val_acc = 0.75, r->final_val_acc = 0.25, r->final_train_acc = 1.0 / 3, r->final_val_loss = 1e-300;
    r->precision[1] = r->recall[1] = r->f1[1] = 0.5;
    r->confusion[0] = 3, r->confusion[1] = 1, r->confusion[2] = 0, r->confusion[3] = 4;
    r->peak_rss_bytes = 123456789;
    r->cache_used = 1;
    snprintf(r->started_utc, sizeof r->started_utc, "2020-01-01T00:00:00Z");
    snprintf(r->finished_utc, sizeof r->finished_utc, "2020-01-01T00:00:01Z");
}

/* Rewrites DIR/run.json with `from` replaced by `to` and returns the reader's status. */
static sk_status read_edited(const char *dir, const char *from, const char *to, sk_error *err)
{
    char *text = read_text(dir, "run.json");
    char *at = text ? strstr(text, from) : NULL;
    CHECKF(at != NULL, "run.json contains %s", from);
    if (!at) {
        free(text);
        return SK_EINVAL;
    }
    sk_buf b;
    sk_buf_init(&b);
    sk_buf_put_bytes(&b, text, (size_t)(at - text));
    sk_buf_put_bytes(&b, to, strlen(to));
    sk_buf_put_bytes(&b, at + strlen(from), strlen(at + strlen(from)));
    char *p = sk_path_join(dir, "run.json");
    sk_status s = sk_write_file_atomic(p, b.data, b.len, err);
    sk_run_record r;
    if (!s) s = sk_record_read_cell(dir, &r, err);
    if (!s) sk_run_record_free(&r);
    sk_status back = sk_write_file_atomic(p, text, strlen(text), &(sk_error){0});
    CHECK(back == SK_OK);
    free(p);
    sk_buf_free(&b);
    free(text);
    return s;
}

/* The test block is required once dataset.n_test says there is a test split, and its epochs
 * are best_epoch and epochs_run. */
static void test_block_checks(const char *dir)
{
    sk_error err;
    CHECK(read_edited(dir, "\"acc\":\t0.8", "\"accuracy\":\t0.8", &err) == SK_EFORMAT);
    CHECKF(strstr(err.msg, "field 'test.best.acc': expected a finite number, found nothing (missing)") != NULL, "%s",
           err.msg);
    CHECK(read_edited(dir, "\"epoch\":\t2", "\"epoch\":\t1", &err) == SK_EFORMAT);
    CHECKF(strstr(err.msg, "field 'test.last.epoch': expected 2 (epochs_run), found 1") != NULL, "%s", err.msg);
    CHECK(read_edited(dir, "\"n_test\":\t5", "\"n_tests\":\t5", &err) == SK_OK);
}

static void test_round_trip(const char *tmp)
{
    sk_epoch_record ep[2];
    memset(ep, 0, sizeof ep);
    for (int i = 0; i < 2; i++) {
        ep[i].epoch = i + 1;
        ep[i].lr = 1e-4;
        ep[i].loss = 0.7 / (i + 1);
        ep[i].acc = ep[i].val_acc = 0.5;
        ep[i].val_loss = 0.9;
        ep[i].val_recall[0] = 0.25, ep[i].val_recall[1] = 1.0 / 7;
        ep[i].seconds = 0.01;
    }
    for (int es = 0; es <= 4; es += 4) {
        char name[32];
        snprintf(name, sizeof name, "rt%d", es);
        char *dir = sk_path_join(tmp, name);
        sk_error err;
        sk_run_record w, r;
        fill(&w, es);
        if (es) { /* with a held-out test split */
            w.n_test = 5;
            w.test_best_epoch = w.best_epoch, w.test_last_epoch = w.epochs_run;
            w.test_best_acc = 0.8, w.test_best_balanced_acc = 0.75, w.test_best_loss = 0.5;
            w.test_last_acc = 0.6, w.test_last_balanced_acc = 1.0 / 3, w.test_last_loss = 0.7;
        }
        CHECK_OK(sk_mkdir_p(dir, &err), &err);
        CHECK_OK(sk_record_write_run(dir, &w, &err), &err);
        CHECK_OK(sk_record_write_metrics(dir, ep, 2, 2, &err), &err);
        CHECK_OK(sk_record_read_cell(dir, &r, &err), &err);
        sk_record_set_platform(&w); /* the writer describes this binary */
        /* Every struct member but the reader's own (dir, epochs) comes back bit for bit. */
        CHECK(r.dir && strcmp(r.dir, dir) == 0 && r.n_epochs == 2);
        CHECK(memcmp(&r, &w, offsetof(sk_run_record, dir)) == 0);
        CHECK(r.epochs && memcmp(r.epochs, ep, sizeof ep) == 0);
        CHECK_EQ_INT(r.es_patience, es);
        sk_run_record_free(&r);
        /* The resume reader wants every field: a line without val_recall is refused. */
        sk_epoch_record back[4];
        int n = 0;
        CHECK_OK(sk_record_read_metrics(dir, 2, back, 4, &n, &err), &err);
        CHECK(n == 2 && memcmp(back, ep, sizeof ep) == 0);
        CHECK_OK(sk_record_read_metrics(dir, 2, back, 1, &n, &err), &err);
        CHECK_EQ_INT(n, 1);
        CHECK(sk_record_read_metrics(dir, 3, back, 4, &n, &err) == SK_EFORMAT);
        CHECKF(strstr(err.msg, "metrics.jsonl:1: field 'val_recall': expected 3 entries") != NULL, "%s", err.msg);
        if (es) test_block_checks(dir);
        free(dir);
    }
}

/* A record with only the fields readers have always required (no class weights, reduce_lr,
 * early stopping, stop reason, final weights digest, BLAS config or val_recall). */
static void test_minimal(const char *tmp)
{
    char *dir = sk_path_join(tmp, "minimal");
    sk_error err;
    CHECK_OK(sk_mkdir_p(dir, &err), &err);
    const char *run =
        "{\"schema\":\"skytune.run\",\"schema_version\":1,\"suite\":\"t\",\"cell\":\"c\",\"arch\":\"m\",\"input_size\":8,"
        "\"num_classes\":2,\"class_names\":[\"a\",\"b\"],\"trainable_layers\":1,\"total_layers\":4,\"base_layers\":3,"
        "\"trainable_params\":2,\"total_params\":8,\"tlr\":0.25,\"tlr_base\":0.333333333,\"tpr\":0.25,\"seed\":1,"
        "\"weights\":{\"kind\":\"scratch\",\"file\":\"\",\"sha256\":\"\"},\"dataset\":{\"path\":\"d\",\"sha256\":\"e\",\"n_train\":2,\"n_val\":2},"
        "\"protocol\":{\"optimizer\":\"adam\",\"lr\":0.001,\"batch\":2,\"epochs\":1,\"input_scaling\":\"rescale_1_255\",\"loss\":\"keras_logits\"},"
        "\"epochs_run\":1,\"best_val_acc\":0.5,\"best_epoch\":1,\"final_val_acc\":0.5,\"final_train_acc\":0.5,\"final_val_loss\":0.6,"
        "\"per_class\":{\"precision\":[1,0],\"recall\":[1,0],\"f1\":[1,0]},\"confusion\":[[1,0],[1,0]],\"wall_seconds\":1,"
        "\"seconds_per_epoch_median\":1,\"peak_rss_bytes\":1,\"cache\":{\"used\":false},\"platform\":{\"skytune_version\":\"0\","
        "\"git_revision\":\"g\",\"compiler\":\"c\",\"flags\":\"f\",\"blas\":\"b\",\"blas_core\":\"k\",\"omp_threads\":1,\"cpu_model\":\"m\","
        "\"fingerprint\":\"p\"},\"started_utc\":\"s\",\"finished_utc\":\"f\"}";
    const char *metrics = "{\"epoch\":1,\"lr\":0.001,\"loss\":0.6,\"acc\":0.5,\"val_loss\":0.6,\"val_acc\":0.5,\"seconds\":1}\n\n";
    char *p = sk_path_join(dir, "run.json");
    CHECK_OK(sk_write_file_atomic(p, run, strlen(run), &err), &err);
    free(p);
    p = sk_path_join(dir, "metrics.jsonl");
    CHECK_OK(sk_write_file_atomic(p, metrics, strlen(metrics), &err), &err);
    free(p);
    sk_run_record r;
    CHECK_OK(sk_record_read_cell(dir, &r, &err), &err);
    CHECK(r.es_patience == 0 && r.class_weights[0] == 0 && r.final_weights_sha256[0] == 0);
    CHECK_STR(r.stop_reason, "completed");
    sk_run_record_free(&r);
    CHECK(sk_record_read_metrics(dir, 2, NULL, 0, &(int){0}, &err) == SK_EFORMAT);
    CHECKF(strstr(err.msg, "field 'val_recall': expected an array, found nothing (missing)") != NULL, "%s", err.msg);
    free(dir);
}

static void test_platform_and_check_fields(void)
{
    cJSON *pl = sk_record_platform_json();
    const char *keys[] = {"skytune_version", "git_revision", "compiler", "flags", "blas", "blas_config", "blas_core",
                          "openblas_coretype_env", "omp_threads", "cpu_model", "fingerprint"};
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, pl) {
        CHECKF(i < (int)SK_ARRAY_LEN(keys) && strcmp(it->string, keys[i]) == 0, "platform key %d: %s", i, it->string);
        i++;
    }
    CHECK_EQ_INT(i, SK_ARRAY_LEN(keys));
    char fp[17];
    sk_platform_fingerprint(fp);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(pl, "fingerprint")), fp);
    cJSON_Delete(pl);

    const char *names[32];
    int n = sk_record_check_fields(SK_CHECK_EXACT, names, 32);
    CHECK_EQ_INT(n, 10);
    int has_tpr = 0;
    for (int k = 0; k < n; k++) has_tpr |= strcmp(names[k], "tpr") == 0;
    CHECK(has_tpr);
    CHECK_EQ_INT(sk_record_check_fields(SK_CHECK_ACC, names, 32), 3);
    CHECK_EQ_INT(sk_record_check_fields(SK_CHECK_LOSS, names, 32), 1);
    CHECK_STR(names[0], "final_val_loss");
    CHECK_EQ_INT(sk_record_check_fields(SK_CHECK_BITS, names, 32), 3);
    CHECK_EQ_INT(sk_record_check_fields(SK_CHECK_EXACT, names, 2), 2);
}

typedef struct {
    char seen[512];
} walk_log;

static sk_status log_cell(void *ctx, const char *dir, sk_cell_state state, sk_error *err)
{
    (void)err;
    walk_log *w = ctx;
    const char *base = strrchr(dir, '/');
    size_t len = strlen(w->seen);
    snprintf(w->seen + len, sizeof w->seen - len, "%s:%d ", base ? base + 1 : dir, (int)state);
    return SK_OK;
}

static void touch(const char *dir, const char *name)
{
    sk_error err;
    SK_ASSERT(sk_mkdir_p(dir, &err) == SK_OK);
    char *p = sk_path_join(dir, name);
    SK_ASSERT(sk_write_file_atomic(p, "x", 1, &err) == SK_OK);
    free(p);
}

static void test_walk(const char *tmp)
{
    char *root = sk_path_join(tmp, "walk");
    char d[2048];
    snprintf(d, sizeof d, "%s/b/done", root), touch(d, "run.json"), touch(d, "DONE");
    snprintf(d, sizeof d, "%s/b/done/ckpt/inner", root), touch(d, "run.json"); /* inside a cell: not searched */
    snprintf(d, sizeof d, "%s/a/incomplete", root), touch(d, "run.json");
    snprintf(d, sizeof d, "%s/c/failed", root), touch(d, "FAILED");
    snprintf(d, sizeof d, "%s/c/empty", root), touch(d, "notes.txt");
    walk_log w = {""};
    sk_error err;
    CHECK_OK(sk_record_walk(root, log_cell, &w, &err), &err);
    CHECK_STR(w.seen, "incomplete:1 done:0 failed:2 ");
    free(root);
}

int main(void)
{
    char *tmp = sk_test_tmpdir("records");
    test_old_record(tmp);
    test_round_trip(tmp);
    test_minimal(tmp);
    test_platform_and_check_fields();
    test_walk(tmp);
    free(tmp);
    return sk_test_finish();
}
