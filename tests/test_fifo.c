// LABELS: unit dataset
// TIMEOUT: 120
/* test_fifo.c: issue 18, finding 1: a named pipe given to a reader must not block it. Each
 * reader of the libraries (catalog, objects CSV, manifest.tsv, .skds, images, FITS frames,
 * archives, pack's image folder and manifest, file digests, .skck, .skfc, Keras .h5, TF.js
 * model.json and its weight shards, the study's runs CSV, synth calibration) is called on a
 * FIFO nobody writes to, under a 10 s alarm (SIGALRM kills the test: a hang is a failure), and
 * must fail at once with a message saying the path is a FIFO. The CLI readers of benchmarks and
 * report (suite, baseline, run.json, metrics.jsonl) are covered by test_fifo_cli.sh. */
#include "sk_dataset.h"
#include "sk_core.h"
#include "sk_base.h"
#include "../core/fcache.h"
#include "../dataset/fits_frame.h"
#include "../report/report_paper.h"
#include "sk_test.h"
#include "sk_arch.h"
#include "../arch/weights_h5.h"
#include "../arch/weights_tfjs.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *g_dir;

static char *fifo(const char *name)
{
    char *p = sk_path_join(g_dir, name);
    unlink(p);
    CHECKF(mkfifo(p, 0600) == 0, "mkfifo %s", p);
    return p;
}

/* The call must return (the alarm kills a hang), fail, and say "FIFO". */
#define REFUSED(label, call, errp)                                                             \
    do {                                                                                       \
        alarm(10);                                                                             \
        sk_status _s = (call);                                                                 \
        alarm(0);                                                                              \
        CHECKF(_s != SK_OK && strstr((errp)->msg, "FIFO") != NULL, "%s: %s -> %s: %s", label, \
               #call, sk_status_name(_s), (errp)->msg);                                        \
    } while (0)

static void test_files(void)
{
    sk_error err;
    char *p = fifo("x.csv");
    uint8_t *d;
    size_t n;
    REFUSED("read_file", sk_read_file(p, &d, &n, 100, &err), &err);
    sk_catalog cat;
    REFUSED("catalog", sk_catalog_read(&cat, p, &err), &err);
    sk_cutout_object *objs;
    REFUSED("objects CSV", sk_cutout_read_objects(&objs, &n, p, 0, &err), &err);
    REFUSED("synth calibration catalog", sk_synth_calibrate(p, stdout, &err), &err);
    sk_paper paper;
    REFUSED("study runs CSV", sk_paper_load(&paper, p, &err), &err);
    sk_manifest m;
    REFUSED("manifest.tsv", sk_manifest_read(&m, p, NULL, &err), &err);
    char hex[65];
    REFUSED("sha256 of a file", sk_sha256_file(p, hex, &err), &err);
    REFUSED("md5 of a file", sk_md5_file(p, hex, &err), &err);
    free(p);

    p = fifo("x.skds");
    sk_skds ds;
    REFUSED(".skds", sk_skds_open(&ds, p, 0, &err), &err);
    REFUSED(".skds verify", sk_skds_verify(p, &err), &err);
    free(p);
    p = fifo("x.png");
    sk_image img;
    sk_decode_opts o;
    sk_decode_opts_init(&o);
    REFUSED("image", sk_image_decode_file(&img, p, &o, &err), &err);
    free(p);
    p = fifo("frame-r-000001-1-0001.fits");
    sk_frame fr;
    REFUSED("FITS frame", sk_frame_read(&fr, p, &err), &err);
    free(p);
    p = fifo("x.tar");
    char *out = sk_path_join(g_dir, "import_out");
    REFUSED("archive", sk_import(p, out, NULL, NULL, &err), &err);
    free(out);
    free(p);
    p = fifo("x.skck");
    sk_ckpt ck;
    REFUSED(".skck", sk_ckpt_read(p, &ck, &err), &err);
    free(p);
    p = fifo("x.h5");
    sk_wset ws;
    sk_wset_init(&ws, p);
    REFUSED("Keras .h5", sk_weights_read_h5(p, &ws, &err), &err);
    sk_wset_free(&ws);
    free(p);
}

static void test_cache_and_tfjs(void)
{
    sk_error err;
    const char *key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char *cache = sk_path_join(g_dir, "cache");
    CHECK_OK(sk_mkdir_p(cache, &err), &err);
    char *entry = sk_fcache_path(cache, key);
    unlink(entry);
    CHECK(mkfifo(entry, 0600) == 0);
    float dst[4];
    int found = 0;
    REFUSED(".skfc", sk_fcache_load(cache, key, 1, 4, dst, &found, &err), &err);
    free(entry);
    free(cache);

    /* model.json itself, then a weight shard it names. */
    char *d1 = sk_path_join(g_dir, "tfjs1"), *d2 = sk_path_join(g_dir, "tfjs2");
    CHECK_OK(sk_mkdir_p(d1, &err), &err);
    CHECK_OK(sk_mkdir_p(d2, &err), &err);
    char *mj = sk_path_join(d1, "model.json");
    CHECK(mkfifo(mj, 0600) == 0);
    sk_wset ws;
    sk_wset_init(&ws, d1);
    REFUSED("model.json", sk_weights_read_tfjs(d1, &ws, &err), &err);
    free(mj);
    const char *json = "{\"format\": \"layers-model\", \"weightsManifest\": [{\"paths\": [\"w.bin\"], "
                       "\"weights\": [{\"name\": \"Conv1/kernel\", \"shape\": [2], \"dtype\": \"float32\"}]}]}";
    mj = sk_path_join(d2, "model.json");
    CHECK_OK(sk_write_file_atomic(mj, json, strlen(json), &err), &err);
    char *bin = sk_path_join(d2, "w.bin");
    CHECK(mkfifo(bin, 0600) == 0);
    REFUSED("TF.js weight shard", sk_weights_read_tfjs(d2, &ws, &err), &err);
    sk_wset_free(&ws);
    free(bin);
    free(mj);
    free(d1);
    free(d2);
}

/* pack: a FIFO named like an image inside a class folder, and a FIFO manifest.tsv. */
static void test_pack(void)
{
    sk_error err;
    char *in = sk_path_join(g_dir, "pack_in"), *cls = sk_path_join(in, "STAR");
    CHECK_OK(sk_mkdir_p(cls, &err), &err);
    uint8_t px[4 * 4 * 3] = {0};
    uint8_t *png = NULL;
    size_t n = 0;
    CHECK_OK(sk_image_encode_png(&png, &n, px, 4, 4, 3, &err), &err);
    char *a = sk_path_join(cls, "a.png"), *b = sk_path_join(cls, "b.png");
    CHECK_OK(sk_write_file_atomic(a, png, n, &err), &err);
    CHECK(mkfifo(b, 0600) == 0);
    char *out = sk_path_join(g_dir, "pack.skds");
    sk_pack_opts o;
    sk_pack_opts_init(&o);
    o.in_dir = in;
    o.out_path = out;
    o.height = o.width = 4;
    REFUSED("pack: FIFO image", sk_pack_run(&o, NULL, &err), &err);
    CHECK(strstr(err.msg, "b.png") != NULL);
    unlink(b);
    char *man = sk_path_join(in, "manifest.tsv");
    CHECK(mkfifo(man, 0600) == 0);
    REFUSED("pack: FIFO manifest", sk_pack_run(&o, NULL, &err), &err);
    CHECK(!sk_path_exists(out));
    free(man);
    free(out);
    free(a);
    free(b);
    free(png);
    free(cls);
    free(in);
}

/* Other non-regular files are named too; a folder where a file is expected is not "missing". */
static void test_kinds(void)
{
    sk_error err;
    uint8_t *d;
    size_t n;
    CHECK(sk_read_file(g_dir, &d, &n, 100, &err) == SK_EIO && strstr(err.msg, "is a directory"));
    CHECK(sk_read_file("/dev/null", &d, &n, 100, &err) == SK_EIO && strstr(err.msg, "character device"));
    char *missing = sk_path_join(g_dir, "nope.csv");
    CHECK(sk_read_file(missing, &d, &n, 100, &err) == SK_ENOTFOUND);
    CHECK(sk_check_regular(missing, &err) == SK_ENOTFOUND && strstr(err.msg, "no such file"));
    CHECK(sk_check_regular(g_dir, &err) == SK_EIO && strstr(err.msg, "is a directory"));
    free(missing);
}

int main(void)
{
    g_dir = sk_test_tmpdir("fifo");
    test_files();
    test_cache_and_tfjs();
    test_pack();
    test_kinds();
    free(g_dir);
    return sk_test_finish();
}
