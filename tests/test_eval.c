// LABELS: unit
/* test_eval.c: the scores of `skytune evaluate` against naive twins (one-vs-rest ROC AUC as the
 * Mann-Whitney pair count with ties 1/2, ECE from its definition, balanced accuracy), eval.json
 * written and read back field for field and its reader's checks, preds.csv (quoting, float32
 * round trip, empty unknowns), and the fit checks of a data set against a trained cell (dtype,
 * channels, size, classes) with their messages. */
#include "sk_benchmarks.h"
#include "sk_records.h"
#include "sk_base.h"
#include "sk_test.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* P(score of a positive > score of a negative) + 1/2 P(equal), over all pairs. */
static double naive_auc(const float *p, const int32_t *y, int n, int k, int c)
{
    double wins = 0, pairs = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            if (y[i] != c || y[j] == c) continue;
            float a = p[(size_t)i * k + c], b = p[(size_t)j * k + c];
            wins += a > b ? 1.0 : a == b ? 0.5 : 0.0;
            pairs += 1;
        }
    return pairs ? wins / pairs : NAN;
}

/* Random probabilities with many ties (quantised), labels of k classes. */
static void make_case(float *p, int32_t *y, int n, int k, uint64_t seed)
{
    sk_rng r = sk_rng_stream(seed, SK_RNG_TEST, 0);
    for (int i = 0; i < n; i++) {
        float s = 0;
        for (int c = 0; c < k; c++) s += p[(size_t)i * k + c] = (float)(1 + sk_rng_below(&r, 8));
        for (int c = 0; c < k; c++) p[(size_t)i * k + c] /= s;
        y[i] = (int32_t)sk_rng_below(&r, (uint32_t)k);
    }
}

static void scores(sk_eval_record *e, const float *p, const int32_t *y, int n, int k)
{
    sk_metrics m;
    sk_metrics_init(&m, k);
    for (int i = 0; i < n; i++) sk_metrics_add(&m, p + (size_t)i * k, y + i, 1, 0.5);
    sk_eval_init(e);
    sk_eval_scores(e, p, y, n, k, &m);
    sk_metrics_free(&m);
}

static void test_scores(void)
{
    enum { N = 400, K = 3 };
    float *p = sk_xmalloc(sizeof(float) * N * K);
    int32_t y[N];
    make_case(p, y, N, K, 5);
    sk_eval_record e;
    scores(&e, p, y, N, K);
    double ece = 0, rec = 0;
    int present = 0;
    for (int c = 0; c < K; c++) {
        CHECK_NEAR(e.auc[c], naive_auc(p, y, N, K, c), 1e-12);
        CHECK(e.roc[c].n >= 2 && e.roc[c].fpr[0] == 0 && e.roc[c].tpr[e.roc[c].n - 1] == 1);
        int64_t tp = e.confusion[c * K + c];
        if (e.support[c]) rec += (double)tp / (double)e.support[c], present++;
    }
    CHECK_NEAR(e.balanced_accuracy, rec / present, 1e-15);
    /* ECE: the definition, bin by bin. */
    for (int b = 0; b < SK_EVAL_BINS; b++) {
        double conf = 0, hit = 0;
        int cnt = 0;
        for (int i = 0; i < N; i++) {
            const float *q = p + (size_t)i * K;
            int pred = sk_argmax(q, K);
            if (q[pred] > (double)b / SK_EVAL_BINS && q[pred] <= (double)(b + 1) / SK_EVAL_BINS)
                cnt++, conf += q[pred], hit += pred == y[i];
        }
        CHECK_EQ_INT(e.bins[b].count, cnt);
        if (cnt) ece += (double)cnt / N * fabs(hit / cnt - conf / cnt);
    }
    CHECK_NEAR(e.ece, ece, 1e-12);
    sk_eval_free(&e);

    /* A class absent from the labels: its AUC is undefined (null), the macro mean skips it. */
    for (int i = 0; i < N; i++) y[i] = y[i] == 2 ? 0 : y[i];
    scores(&e, p, y, N, K);
    CHECK(isnan(e.auc[2]) && e.roc[2].n == 0 && e.support[2] == 0);
    CHECK_NEAR(e.macro_auc, (e.auc[0] + e.auc[1]) / 2, 1e-15);
    sk_eval_free(&e);
    /* A perfect ranking: AUC 1. */
    float q[8] = {0.9f, 0.1f, 0.8f, 0.2f, 0.3f, 0.7f, 0.4f, 0.6f};
    int32_t z[4] = {0, 0, 1, 1};
    scores(&e, q, z, 4, 2);
    CHECK(e.auc[0] == 1.0 && e.auc[1] == 1.0 && e.accuracy == 1.0);
    sk_eval_free(&e);
    free(p);
}

/* eval.json: back field for field; a broken file is refused naming the field. */
static void test_eval_json(const char *dir)
{
    enum { N = 50, K = 3 };
    float p[N * K];
    int32_t y[N];
    make_case(p, y, N, K, 9);
    sk_eval_record e, r;
    scores(&e, p, y, N, K);
    snprintf(e.arch, sizeof e.arch, "vgg16");
    snprintf(e.checkpoint, sizeof e.checkpoint, "best");
    snprintf(e.split, sizeof e.split, "test");
    e.input_size = 32, e.epoch = 3, e.trainable_layers = 6;
    const char *names[K] = {"GALAXY", "QSO \"x\"", "STAR"};
    for (int c = 0; c < K; c++) snprintf(e.class_names[c], 64, "%s", names[c]);
    char *path = sk_path_join(dir, "eval.json");
    sk_error err;
    CHECK_OK(sk_eval_write(path, &e, &err), &err);
    CHECK_OK(sk_eval_read(path, &r, &err), &err);
    /* Every number reads back exactly or one unit in the last place off (cJSON prints 15 digits
     * when they read back within DBL_EPSILON): what is read writes the same text again. */
    char *again = sk_path_join(dir, "again.json");
    CHECK_OK(sk_eval_write(again, &r, &err), &err);
    uint8_t *ta = NULL, *tb = NULL;
    size_t na = 0, nb = 0;
    CHECK_OK(sk_read_file(path, &ta, &na, 1 << 24, &err), &err);
    CHECK_OK(sk_read_file(again, &tb, &nb, 1 << 24, &err), &err);
    CHECK(ta && tb && na == nb && memcmp(ta, tb, na) == 0);
    CHECK(r.n == N && r.num_classes == K && !strcmp(r.class_names[1], names[1]) && r.epoch == 3);
    CHECK(r.confusion[4] == e.confusion[4] && r.support[2] == e.support[2] && r.bins[7].count == e.bins[7].count);
    CHECK_NEAR(r.ece, e.ece, 1e-15);
    CHECK(r.roc[1].n == e.roc[1].n);
    free(ta);
    free(tb);
    free(again);
    sk_eval_free(&r);

    struct { const char *edit, *msg; } bad[] = {
        {"[b for b in d['reliability'] if b['count']][0]['count'] += 1", "field 'reliability': expected bin counts summing to data.n"},
        {"d['per_class']['support'][0] += 1", "field 'per_class.support': expected the row sums of confusion"},
        {"d['roc'][0], d['roc'][1] = d['roc'][1], d['roc'][0]", "field 'roc[0]': expected the curves in class_names order"},
        {"d['roc'][2]['fpr'][1] = 2", "field 'roc[2].fpr': expected non-decreasing numbers in [0, 1]"},
        {"d['schema_version'] = 2", "field 'schema_version': expected 1, found 2"},
        {"del d['ece']", "field 'ece': expected a finite number, found nothing (missing)"},
    };
    for (size_t i = 0; i < SK_ARRAY_LEN(bad); i++) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c \"import json; d = json.load(open('%s')); %s; "
                 "json.dump(d, open('%s.bad', 'w'))\"", path, bad[i].edit, path);
        if (system(cmd) != 0) {
            CHECKF(0, "python3 edit: %s", bad[i].edit);
            continue;
        }
        char *bp = sk_xmalloc(strlen(path) + 8);
        sprintf(bp, "%s.bad", path);
        CHECK(sk_eval_read(bp, &r, &err) != SK_OK);
        CHECKF(strstr(err.msg, bad[i].msg) != NULL, "%s -> %s", bad[i].edit, err.msg);
        free(bp);
    }
    sk_eval_free(&e);
    free(path);
}

/* A trained cell's name plate without a model: what preds.csv and the data checks read. */
static sk_trained fake_cell(void)
{
    sk_trained t;
    memset(&t, 0, sizeof t);
    t.num_classes = 2;
    snprintf(t.class_names[0], 64, "GALAXY");
    snprintf(t.class_names[1], 64, "STAR");
    t.model.input_size = 32;
    t.data_size = 64;
    return t;
}

static void test_preds_csv(const char *dir)
{
    sk_trained t = fake_cell();
    float p[4] = {0.1f, 0.9f, 1.0f / 3.0f, 2.0f / 3.0f};
    sk_pred_row rows[2] = {{"1237", 229.5, 42.25, 1}, {"STAR/a \"b\".png", NAN, NAN, -1}};
    char *path = sk_path_join(dir, "preds.csv");
    sk_error err;
    CHECK_OK(sk_preds_write(path, &t, rows, p, 2, &err), &err);
    uint8_t *d = NULL;
    size_t n = 0;
    CHECK_OK(sk_read_file(path, &d, &n, 1 << 20, &err), &err);
    const char *want = "id,ra,dec,p_GALAXY,p_STAR,predicted,label\n"
                       "1237,229.5,42.25,0.1,0.9,STAR,STAR\n"
                       "\"STAR/a \"\"b\"\".png\",,,0.33333334,0.6666667,STAR,\n";
    CHECKF(d && strcmp((char *)d, want) == 0, "preds.csv:\n%s", d ? (char *)d : "");
    CHECK(strtof("0.33333334", NULL) == p[2] && strtof("0.6666667", NULL) == p[3]);
    free(d);
    free(path);
}

static void test_check_data(void)
{
    sk_trained t = fake_cell();
    sk_skds ds;
    memset(&ds, 0, sizeof ds);
    sk_skds_header_init(&ds.h);
    sk_error err;
    CHECK_OK(sk_skds_header_add_class(&ds.h, "GALAXY", &err), &err);
    CHECK_OK(sk_skds_header_add_class(&ds.h, "STAR", &err), &err);
    ds.h.height = ds.h.width = 32;
    CHECK_OK(sk_trained_check_data(&t, &ds, "d.skds", 1, &err), &err);
    ds.h.height = ds.h.width = 64; /* the training data's size: resized as training did */
    CHECK_OK(sk_trained_check_data(&t, &ds, "d.skds", 1, &err), &err);
    ds.h.height = 48;
    CHECK(sk_trained_check_data(&t, &ds, "d.skds", 1, &err) == SK_EINVAL);
    CHECKF(strstr(err.msg, "d.skds: image size: the cell takes 32x32 (or 64x64, its training data), found 48x64"), "%s",
           err.msg);
    ds.h.height = 32, ds.h.width = 32, ds.h.channels = 1;
    CHECK(sk_trained_check_data(&t, &ds, "d.skds", 1, &err) == SK_EINVAL);
    CHECKF(strstr(err.msg, "d.skds: field 'channels': the cell takes 3 (RGB), found 1"), "%s", err.msg);
    ds.h.channels = 3, ds.h.dtype = SK_SKDS_F32;
    CHECK(sk_trained_check_data(&t, &ds, "d.skds", 1, &err) == SK_EUNSUPPORTED);
    ds.h.dtype = SK_SKDS_U8;
    CHECK_OK(sk_skds_header_add_class(&ds.h, "QSO", &err), &err);
    CHECK(sk_trained_check_data(&t, &ds, "d.skds", 1, &err) == SK_EINVAL);
    CHECKF(strstr(err.msg, "classes: the cell was trained on 2 classes (GALAXY, STAR), the data set has 3"), "%s",
           err.msg);
    CHECK_OK(sk_trained_check_data(&t, &ds, "d.skds", 0, &err), &err);
}

int main(void)
{
    char *dir = sk_test_tmpdir("eval");
    test_scores();
    test_eval_json(dir);
    test_preds_csv(dir);
    test_check_data();
    free(dir);
    return sk_test_finish();
}
