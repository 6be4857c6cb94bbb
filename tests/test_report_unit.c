// LABELS: unit
// LIBS: sk_report
/* test_report_unit.c: the report's pieces without gnuplot: escapers for every target language,
 * statistics over seeds and the ideal-level rule, the study CSV reader, and the result-record
 * loader's errors (truncated JSON, missing and ill-typed fields, wrong schema version, epoch
 * count mismatch, incomplete cells ignored, duplicates refused). */
#include "sk_test.h"

#include "sk_base.h"
#include "../report/report_paper.h"
#include "../report/report_records.h"
#include "../report/report_summary.h"
#include "sk_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *esc(void (*fn)(sk_buf *, const char *), const char *s)
{
    static sk_buf b;
    sk_buf_free(&b);
    fn(&b, s);
    return sk_sb_str(&b);
}

static void test_escapers(void)
{
    CHECK_STR(esc(sk_esc_gnuplot, "plain"), "'plain'");
    CHECK_STR(esc(sk_esc_gnuplot, "it's \"x\" \\n"), "'it''s \"x\" \\n'");
    CHECK_STR(esc(sk_esc_gnuplot, "a\nset output 'p'\r\tb"), "'a set output ''p''  b'");
    CHECK_STR(esc(sk_esc_gnuplot, "'; system('touch pwned'); '"), "'''; system(''touch pwned''); '''");
    CHECK_STR(esc(sk_esc_latex, "a_b & 50% #1 {x} ~^\\"),
              "a\\_b \\& 50\\% \\#1 \\{x\\} \\textasciitilde{}\\textasciicircum{}\\textbackslash{}");
    CHECK_STR(esc(sk_esc_html, "<b a=\"x\">'&"), "&lt;b a=&quot;x&quot;&gt;&#39;&amp;");
    CHECK_STR(esc(sk_esc_md, "a|b_c*<x>"), "a\\|b\\_c\\*&lt;x&gt;");
    CHECK_STR(esc(sk_esc_csv, "plain"), "plain");
    CHECK_STR(esc(sk_esc_csv, "a,\"b\"\nc"), "\"a,\"\"b\"\"\nc\"");
    CHECK_STR(esc(sk_esc_shell, "it's"), "'it'\\''s'");
    CHECK_STR(esc(sk_md_code, "a`b\\c_d"), "`` a`b\\c_d ``");
    CHECK_STR(esc(sk_md_code, "x\ny"), "` x y `");
}

static void test_stats(void)
{
    double v[] = {0.9, 0.92, 0.94};
    sk_stat s = sk_stat_of(v, 3);
    CHECK_NEAR(s.mean, 0.92, 1e-12);
    CHECK_NEAR(s.sd, 0.02, 1e-12);
    CHECK_NEAR(s.min, 0.9, 0);
    CHECK_NEAR(s.max, 0.94, 0);
    CHECK_EQ_INT(s.n, 3);
    sk_stat one = sk_stat_of(v, 1);
    CHECK(isnan(one.sd));
    CHECK_NEAR(one.mean, 0.9, 0);
}

/* A minimal valid record; `patch` replaces the first occurrence of `from` with `to`. */
static void write_cell(const char *root, const char *name, const char *arch, int level, int seed, int done,
                       double best, const char *from, const char *to)
{
    char dir[2048], path[2100], json[8192];
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    sk_error err;
    SK_ASSERT(sk_mkdir_p(dir, &err) == SK_OK);
    snprintf(json, sizeof json,
             "{\"schema\":\"skytune.run\",\"schema_version\":1,\"suite\":\"t\",\"cell\":\"%s\",\"arch\":\"%s\",\"input_size\":64,"
             "\"num_classes\":3,\"class_names\":[\"GALAXY\",\"QSO\",\"STAR\"],\"trainable_layers\":%d,\"total_layers\":177,"
             "\"base_layers\":176,\"trainable_params\":6147,\"total_params\":23593859,\"tlr\":%.9g,\"tlr_base\":%.9g,\"tpr\":%.9g,"
             "\"seed\":%d,\"weights\":{\"kind\":\"imagenet\",\"file\":\"w\",\"sha256\":\"00\"},"
             "\"dataset\":{\"path\":\"d\",\"sha256\":\"11\",\"n_train\":8,\"n_val\":2},"
             "\"protocol\":{\"optimizer\":\"adam\",\"lr\":0.0001,\"batch\":32,\"epochs\":2,\"early_stopping\":null,"
             "\"input_scaling\":\"rescale_1_255\",\"loss\":\"keras_logits\"},"
             "\"epochs_run\":2,\"best_val_acc\":%g,\"best_epoch\":2,\"final_val_acc\":0.5,\"final_train_acc\":0.6,"
             "\"final_val_loss\":0.7,\"per_class\":{\"precision\":[1,0,1],\"recall\":[1,0.5,1],\"f1\":[1,0,1]},"
             "\"confusion\":[[1,0,0],[0,1,1],[0,0,1]],\"wall_seconds\":2.5,\"seconds_per_epoch_median\":1.0,"
             "\"peak_rss_bytes\":1000,\"cache\":{\"used\":false},\"platform\":{\"skytune_version\":\"0.1.0\","
             "\"git_revision\":\"x\",\"compiler\":\"GCC\",\"flags\":\"-O2\",\"blas\":\"openblas\",\"blas_config\":\"c\","
             "\"blas_core\":\"Haswell\",\"omp_threads\":1,\"cpu_model\":\"cpu\",\"fingerprint\":\"f\"},"
             "\"started_utc\":\"s\",\"finished_utc\":\"f\"}",
             name, arch, level, level / 177.0, level / 176.0, 6147.0 / 23593859.0, seed, best);
    if (from) {
        char *p = strstr(json, from);
        SK_ASSERT(p);
        char tail[8192];
        snprintf(tail, sizeof tail, "%s", p + strlen(from));
        snprintf(p, sizeof json - (size_t)(p - json), "%s%s", to, tail);
    }
    snprintf(path, sizeof path, "%s/run.json", dir);
    SK_ASSERT(sk_write_file_atomic(path, json, strlen(json), &err) == SK_OK);
    const char *m = "{\"epoch\":1,\"lr\":0.0001,\"loss\":1,\"acc\":0.5,\"val_loss\":1,\"val_acc\":0.4,\"seconds\":1}\n"
                    "{\"epoch\":2,\"lr\":0.0001,\"loss\":0.9,\"acc\":0.6,\"val_loss\":0.8,\"val_acc\":0.5,\"seconds\":1}\n";
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    SK_ASSERT(sk_write_file_atomic(path, m, strlen(m), &err) == SK_OK);
    if (done) {
        snprintf(path, sizeof path, "%s/DONE", dir);
        SK_ASSERT(sk_write_file_atomic(path, "", 0, &err) == SK_OK);
    }
}

/* Loads root expecting failure whose message contains all of want1 and want2. */
static void expect_error(const char *root, const char *want1, const char *want2)
{
    sk_report_set set;
    sk_error err;
    sk_error_clear(&err);
    sk_status st = sk_report_set_load(&set, root, 0, &err);
    CHECKF(st != SK_OK, "loading %s should fail", root);
    CHECKF(strstr(err.msg, want1) && (!want2 || strstr(err.msg, want2)), "error \"%s\" names \"%s\" and \"%s\"", err.msg,
           want1, want2 ? want2 : "");
    if (st == SK_OK) sk_report_set_free(&set);
}

static void test_records(const char *tmp)
{
    char root[1024];
    sk_error err;
    /* A good set: 3 seeds at level 1, 2 at level 6, one incomplete cell. */
    snprintf(root, sizeof root, "%s/good", tmp);
    write_cell(root, "a/r1s1", "resnet50", 1, 1, 1, 0.50, NULL, NULL);
    write_cell(root, "a/r1s2", "resnet50", 1, 2, 1, 0.60, NULL, NULL);
    write_cell(root, "b/r1s3", "resnet50", 1, 3, 1, 0.70, NULL, NULL);
    write_cell(root, "b/r6s1", "resnet50", 6, 1, 1, 0.66, NULL, NULL);
    write_cell(root, "b/r6s2", "resnet50", 6, 2, 1, 0.68, NULL, NULL);
    write_cell(root, "b/r11s1", "resnet50", 11, 1, 0, 0.99, NULL, NULL);
    sk_report_set set;
    CHECK_OK(sk_report_set_load(&set, root, 0, &err), &err);
    CHECK_EQ_INT(set.n, 5);
    CHECK_EQ_INT(set.n_incomplete, 1);
    if (set.n == 5) {
        CHECK_EQ_INT(set.runs[0].trainable_layers, 1);
        CHECK_EQ_INT(set.runs[4].trainable_layers, 6);
        CHECK_EQ_INT(set.runs[2].seed, 3);
        CHECK_EQ_INT(set.runs[0].n_epochs, 2);
        CHECK_NEAR(set.runs[0].epochs[1].val_acc, 0.5, 0);
        CHECK_EQ_INT(set.runs[0].confusion[1 * 3 + 2], 1);
        CHECK_STR(set.runs[0].class_names[1], "QSO");
        sk_report_summary s;
        CHECK_OK(sk_report_summarize(&s, &set, NULL, &err), &err);
        CHECK_EQ_INT(s.n_levels, 2);
        CHECK_EQ_INT(s.n_archs, 1);
        if (s.n_levels == 2) {
            CHECK_NEAR(s.levels[0].best.mean, 0.6, 1e-12);
            CHECK_NEAR(s.levels[0].best.sd, 0.1, 1e-12);
            CHECK_NEAR(s.levels[1].best.mean, 0.67, 1e-12);
            /* best = level 6 (0.67, se = 0.01); level 1 (0.60) is not within one se -> ideal 6 */
            CHECK_EQ_INT(s.levels[s.archs[0].best].level, 6);
            CHECK_EQ_INT(s.levels[s.archs[0].ideal].level, 6);
            CHECK_EQ_INT(s.levels[0].paper_n, 0);
            CHECK(isnan(s.levels[0].paper_best));
        }
        sk_report_summary_free(&s);
        sk_report_set_free(&set);
    }

    /* The ideal level moves down when the lower level is within one se of the best. */
    snprintf(root, sizeof root, "%s/ideal", tmp);
    write_cell(root, "c1", "vgg16", 2, 1, 1, 0.90, NULL, NULL);
    write_cell(root, "c2", "vgg16", 2, 2, 1, 0.90, NULL, NULL);
    write_cell(root, "c3", "vgg16", 5, 1, 1, 0.88, NULL, NULL);
    write_cell(root, "c4", "vgg16", 5, 2, 1, 0.96, NULL, NULL);
    CHECK_OK(sk_report_set_load(&set, root, 0, &err), &err);
    if (set.n == 4) {
        sk_report_summary s;
        CHECK_OK(sk_report_summarize(&s, &set, NULL, &err), &err);
        CHECK_EQ_INT(s.levels[s.archs[0].best].level, 5);   /* mean 0.92, se 0.04 */
        CHECK_EQ_INT(s.levels[s.archs[0].ideal].level, 2);  /* 0.90 >= 0.92 - 0.04 */
        sk_report_summary_free(&s);
        sk_report_set_free(&set);
    }

    /* Bad records: each error names the file and the field. */
    snprintf(root, sizeof root, "%s/missing", tmp);
    write_cell(root, "x", "resnet50", 1, 1, 1, 0.5, "\"tpr\":", "\"tpr_renamed\":");
    expect_error(root, "missing/x/run.json: field 'tpr'", "missing");
    snprintf(root, sizeof root, "%s/ratio", tmp);
    write_cell(root, "x", "resnet50", 1, 1, 1, 0.5, "\"tpr\":", "\"tpr\":0.5,\"was\":");
    expect_error(root, "ratio/x/run.json: field 'tpr': expected 0.000261 (from the layer/parameter counts), found 0.5", NULL);
    snprintf(root, sizeof root, "%s/type", tmp);
    write_cell(root, "x", "resnet50", 1, 1, 1, 0.5, "\"seed\":1", "\"seed\":\"one\"");
    expect_error(root, "type/x/run.json: field 'seed': expected an integer", "a string");
    snprintf(root, sizeof root, "%s/nested", tmp);
    write_cell(root, "x", "resnet50", 1, 1, 1, 0.5, "\"fingerprint\":\"f\"", "\"fingerprint\":7");
    expect_error(root, "nested/x/run.json: field 'platform.fingerprint'", "a number");
    snprintf(root, sizeof root, "%s/version", tmp);
    write_cell(root, "x", "resnet50", 1, 1, 1, 0.5, "\"schema_version\":1", "\"schema_version\":3");
    expect_error(root, "version/x/run.json: field 'schema_version': expected 1..2, found 3", NULL);
    snprintf(root, sizeof root, "%s/classes", tmp);
    write_cell(root, "x", "resnet50", 1, 1, 1, 0.5, "\"recall\":[1,0.5,1]", "\"recall\":[1,0.5]");
    expect_error(root, "field 'per_class.recall': expected 3 entries", NULL);
    snprintf(root, sizeof root, "%s/archname", tmp);
    write_cell(root, "x", "../../etc", 1, 1, 1, 0.5, NULL, NULL);
    expect_error(root, "field 'arch'", "../../etc");
    snprintf(root, sizeof root, "%s/trunc", tmp);
    write_cell(root, "x", "resnet50", 1, 1, 1, 0.5, "\"started_utc\"", "\"start");
    {
        char p[2048];
        snprintf(p, sizeof p, "%s/x/run.json", root);
        uint8_t *d;
        size_t n;
        SK_ASSERT(sk_read_file(p, &d, &n, 1 << 20, &err) == SK_OK);
        char *cut = strstr((char *)d, "\"start");
        SK_ASSERT(sk_write_file_atomic(p, d, (size_t)(cut - (char *)d) + 6, &err) == SK_OK);
        free(d);
    }
    expect_error(root, "trunc/x/run.json", "unexpected end of text");
    snprintf(root, sizeof root, "%s/epochs", tmp);
    write_cell(root, "x", "resnet50", 1, 1, 1, 0.5, "\"epochs_run\":2", "\"epochs_run\":3");
    expect_error(root, "epochs/x/metrics.jsonl: expected 3 epochs", NULL);
    snprintf(root, sizeof root, "%s/dup", tmp);
    write_cell(root, "x", "resnet50", 1, 1, 1, 0.5, NULL, NULL);
    write_cell(root, "y", "resnet50", 1, 1, 1, 0.6, NULL, NULL);
    expect_error(root, "two records for the same cell", NULL);
    snprintf(root, sizeof root, "%s/disagree", tmp);
    write_cell(root, "x", "resnet50", 1, 1, 1, 0.5, NULL, NULL);
    write_cell(root, "y", "resnet50", 1, 2, 1, 0.6, "\"trainable_params\":6147", "\"trainable_params\":6148");
    CHECK_OK(sk_report_set_load(&set, root, 0, &err), &err);
    if (set.n == 2) {
        sk_report_summary s;
        sk_status st = sk_report_summarize(&s, &set, NULL, &err);
        CHECK(st != SK_OK && strstr(err.msg, "disagree on 'trainable_params'"));
        if (!st) sk_report_summary_free(&s);
        sk_report_set_free(&set);
    }
    /* --skip-bad: the bad cell is counted and skipped. */
    snprintf(root, sizeof root, "%s/skip", tmp);
    write_cell(root, "good", "resnet50", 1, 1, 1, 0.5, NULL, NULL);
    write_cell(root, "bad", "resnet50", 1, 2, 1, 0.5, "\"tpr\":", "\"tpr_renamed\":");
    sk_log_set_quiet(1);
    sk_log_set_level(SK_LOG_ERROR);
    CHECK_OK(sk_report_set_load(&set, root, 1, &err), &err);
    CHECK_EQ_INT(set.n, 1);
    CHECK_EQ_INT(set.n_bad, 1);
    sk_report_set_free(&set);
    snprintf(root, sizeof root, "%s/empty", tmp);
    SK_ASSERT(sk_mkdir_p(root, &err) == SK_OK);
    expect_error(root, "no complete result cells", NULL);
}

static void test_paper(const char *tmp)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/paper.csv", tmp);
    const char *csv = "# comment, with commas\n"
                      "arch,input_scaling,input_size,trainable_layers,base_layers,trainable_params,total_params,callbacks,best_val_acc,final_val_acc,sec_per_epoch_median,error\n"
                      "resnet50,rescale_1_255,512,6,176,1060867,23593859,\"reduce_lr,early_stop\",0.815,0.815,17.0,\n"
                      "resnet50,rescale_1_255,512,6,176,1060867,23593859,\"reduce_lr,early_stop\",0.855,0.85,17.0,\r\n"
                      "resnet50,raw_0_255,512,6,176,1060867,23593859,reduce_lr,0.5,0.5,17.0,\n"
                      "resnet50,rescale_1_255,512,177,176,,,reduce_lr,,,,ResourceExhaustedError\n";
    sk_error err;
    SK_ASSERT(sk_write_file_atomic(p, csv, strlen(csv), &err) == SK_OK);
    sk_paper paper;
    CHECK_OK(sk_paper_load(&paper, p, &err), &err);
    CHECK_EQ_INT(paper.n, 4);
    double mb, mf;
    CHECK_EQ_INT(sk_paper_level(&paper, "resnet50", 6, "rescale_1_255", &mb, &mf), 2);
    CHECK_NEAR(mb, 0.835, 1e-12);
    CHECK_NEAR(mf, 0.8325, 1e-12);
    CHECK_EQ_INT(sk_paper_level(&paper, "resnet50", 6, NULL, &mb, NULL), 3);
    CHECK_EQ_INT(sk_paper_level(&paper, "resnet50", 177, NULL, &mb, NULL), 0);
    CHECK(isnan(mb));
    if (paper.n == 4) CHECK_STR(paper.rows[3].error, "ResourceExhaustedError");
    sk_paper_free(&paper);
    const char *bad = "arch,input_scaling\nresnet50,x\n";
    SK_ASSERT(sk_write_file_atomic(p, bad, strlen(bad), &err) == SK_OK);
    CHECK(sk_paper_load(&paper, p, &err) == SK_EFORMAT && strstr(err.msg, "input_size"));
}

int main(void)
{
    char *tmp = sk_test_tmpdir("test_report_unit");
    test_escapers();
    test_stats();
    test_records(tmp);
    test_paper(tmp);
    free(tmp);
    return sk_test_finish();
}
