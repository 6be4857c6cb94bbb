// LABELS: fetch
/* test_predict_fetch.c: `skytune predict` on a catalog without --frames: its cutouts fetched as
 * `dataset fetch` fetches them, from the fault-injecting ImgCutout server of the tests on
 * 127.0.0.1, then predicted as a folder: one row per object with the catalog's objid, ra, dec
 * and class, the object the server refuses (404) named and left out, the cutouts kept beside
 * the output. The model is a small seeded MobileNetV2 checkpoint with its head and class names
 * (no training needed: predict only reads weights). */
#include "sk_benchmarks.h"
#include "sk_core.h"
#include "sk_base.h"
#include "http_server.h"
#include "sk_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A seeded MobileNetV2 at 32 px with a 3-class head, as a checkpoint naming its classes. */
static void write_model(const char *path)
{
    sk_cell_spec spec = {"mobilenetv2", 32, 3, 1, 5, 0 /* scratch */, NULL, NULL, "test"};
    sk_cell_model m;
    sk_error err;
    CHECK_OK(sk_cell_model_open(&m, &spec, &err), &err);
    if (!m.graph) return;
    sk_ckpt ck;
    sk_ckpt_init(&ck);
    sk_ckpt_add_graph(&ck, m.graph);
    snprintf(ck.arch, sizeof ck.arch, "mobilenetv2");
    const char names[3][64] = {"GALAXY", "QSO", "STAR"};
    sk_ckpt_set_class_names(&ck, names, 3);
    CHECK_OK(sk_ckpt_write(&ck, path, &err), &err);
    sk_ckpt_free(&ck);
    sk_cell_model_close(&m);
}

int main(void)
{
    sk_log_set_quiet(1);
    sk_test_server *srv = sk_test_server_start();
    if (!srv) return 77;
    char *dir = sk_test_tmpdir("predict_fetch");
    char *model = sk_path_join(dir, "m.skck"), *cat = sk_path_join(dir, "cat.csv"), *out = sk_path_join(dir, "p.csv");
    write_model(model);
    const char *csv = "objid,ra,dec,class\n"
                      "1237650000000000001,150.25,2.5,STAR\n"
                      "1237650000000000002,150.5,2.75,GALAXY\n"
                      "1237650000000000003,151.125,-1.5,QSO\n";
    sk_error err;
    CHECK_OK(sk_write_file_atomic(cat, csv, strlen(csv), &err), &err);
    sk_test_server_fault(srv, "ra=150.5", SK_FAULT_404, -1, 0);

    sk_trained_opts to = {NULL, NULL, model, SK_CELL_CKPT_LAST, 0, "test"};
    sk_trained t;
    CHECK_OK(sk_trained_open(&t, &to, &err), &err);
    sk_predict_opts o;
    memset(&o, 0, sizeof o);
    o.input = cat;
    o.out = out;
    o.split = SK_CELL_SPLIT_ALL;
    o.base_url = sk_test_server_url(srv);
    o.scale = 0.4;
    sk_predict_stats st;
    CHECK_OK(sk_predict_run(&t, &o, &st, &err), &err);
    CHECK_EQ_INT(st.n, 2);
    CHECK_EQ_INT(st.skipped, 1);
    CHECK_EQ_INT(st.labelled, 2);
    uint8_t *d = NULL;
    size_t n = 0;
    CHECK_OK(sk_read_file(out, &d, &n, 1 << 20, &err), &err);
    const char *text = d ? (const char *)d : "";
    CHECKF(strncmp(text, "id,ra,dec,p_GALAXY,p_QSO,p_STAR,predicted,label\n", 48) == 0, "%s", text);
    CHECKF(strstr(text, "\n1237650000000000001,150.25,2.5,") && strstr(text, ",STAR\n"), "%s", text);
    CHECKF(strstr(text, "\n1237650000000000003,151.125,-1.5,") && strstr(text, ",QSO\n"), "%s", text);
    CHECKF(!strstr(text, "1237650000000000002"), "the refused object is not predicted: %s", text);
    char *cut = sk_path_join(dir, "p.csv.cutouts/manifest.tsv");
    CHECK(sk_file_exists(cut));
    CHECKF(sk_test_server_count(srv, "width=32&height=32") >= 3, "cutouts fetched at the model's size");
    free(cut);
    free(d);

    /* A second run reuses the cutouts on disk and gives the same file. */
    char *again = sk_path_join(dir, "again.csv");
    o.out = again;
    o.cutout_dir = NULL;
    char *cdir = sk_path_join(dir, "p.csv.cutouts");
    o.cutout_dir = cdir;
    int before = sk_test_server_count(srv, "getjpeg");
    CHECK_OK(sk_predict_run(&t, &o, &st, &err), &err);
    CHECK_EQ_INT(sk_test_server_count(srv, "ra=150.25"), 1);
    CHECKF(sk_test_server_count(srv, "getjpeg") - before <= 1, "only the refused object asked again");
    uint8_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    CHECK_OK(sk_read_file(out, &a, &na, 1 << 20, &err), &err);
    CHECK_OK(sk_read_file(again, &b, &nb, 1 << 20, &err), &err);
    CHECK(a && b && na == nb && memcmp(a, b, na) == 0);
    free(a);
    free(b);
    free(cdir);
    free(again);
    sk_trained_close(&t);
    sk_test_server_stop(srv);
    free(model);
    free(cat);
    free(out);
    free(dir);
    return sk_test_finish();
}
