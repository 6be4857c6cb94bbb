// LABELS: unit dataset
// LIBS: sk_dataset
/* test_pack.c: pack a small class tree written by the test and check Keras' rules exactly:
 * sorted classes (empty ones kept), os.walk order (roots sorted as strings, so "s t" comes before
 * "s/u"), case-insensitive extensions, NumPy RandomState(seed).shuffle order and the last
 * int(val*n) files as validation; objid/ra/dec from manifest.tsv or the file name; pixels;
 * byte-identical output across runs and thread counts; bad inputs fail cleanly with no output.
 * Expected permutations come from NumPy 1.24.2:
 *   /usr/bin/python3 -c "import numpy as np; p=list(range(12));
 *                        np.random.RandomState(123).shuffle(p); print(p)"
 *   -> [5, 0, 4, 9, 8, 7, 10, 3, 1, 6, 11, 2]; seed 7 -> [7, 10, 2, 5, 0, 1, 11, 8, 3, 6, 9, 4]
 *   int(0.2*12) = 2, int(0.25*12) = 3, int(0.29*100) = 28 (0.29*100 = 28.999999999999996). */
#include "sk_base.h"
#include "sk_dataset.h"
#include "sk_test.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* The tree in Keras order: index i is the position in the concatenated sorted list. */
static const char *const FILES[] = {
    "A_GALAXY/10.png", "A_GALAXY/2.png", "A_GALAXY/x.JPG", "A_GALAXY/s/1.png",
    "A_GALAXY/s t/4.png", "A_GALAXY/s/u/3.png", "QSO/5.png", "QSO/a.png", "QSO/b.jpeg",
    "b_STAR/007.png", "b_STAR/1237.png", "b_STAR/9.PNG",
};
static const uint32_t LABELS[] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2};
static const uint64_t PERM123[12] = {5, 0, 4, 9, 8, 7, 10, 3, 1, 6, 11, 2};
static const uint64_t PERM7[12] = {7, 10, 2, 5, 0, 1, 11, 8, 3, 6, 9, 4};
#define NF 12

static uint8_t colour(size_t i) { return (uint8_t)(20 * i + 5); }

static void put(const char *dir, const char *rel, const void *data, size_t n)
{
    sk_error err;
    char *p = sk_path_join(dir, rel);
    char *slash = strrchr(p, '/');
    *slash = '\0';
    CHECK_OK(sk_mkdir_p(p, &err), &err);
    *slash = '/';
    CHECK_OK(sk_write_file_atomic(p, data, n, &err), &err);
    free(p);
}

/* Solid 6 (wide) x 4 (high) image of colour (v, v/2, 255-v) as PNG or JPEG. */
static void put_image(const char *dir, const char *rel, uint8_t v)
{
    sk_error err;
    uint8_t px[4 * 6 * 3];
    for (int i = 0; i < 24; i++) {
        px[3 * i] = v;
        px[3 * i + 1] = (uint8_t)(v / 2);
        px[3 * i + 2] = (uint8_t)(255 - v);
    }
    uint8_t *enc = NULL;
    size_t n = 0;
    int jpeg = strstr(rel, ".JPG") || strstr(rel, ".jpeg");
    if (jpeg) CHECK_OK(sk_image_encode_jpeg(&enc, &n, px, 6, 4, 3, 100, &err), &err);
    else CHECK_OK(sk_image_encode_png(&enc, &n, px, 6, 4, 3, &err), &err);
    put(dir, rel, enc, n);
    free(enc);
}

static const char MANIFEST[] =
    "objid\tclass\tra\tdec\turl\tbytes\tsha256\thttp_status\tattempts\tfile\n"
    "1237\tb_STAR\t12.5\t-3.25\thttp://x\t1\t"
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\t200\t1\tb_STAR/1237.png\n";

static void make_tree(const char *dir)
{
    for (size_t i = 0; i < NF; i++) put_image(dir, FILES[i], colour(i));
    put(dir, "A_GALAXY/zz.txt", "not an image", 12);
    put(dir, "readme.txt", "top-level files are not classes", 31);
    put(dir, "manifest.tsv", MANIFEST, sizeof MANIFEST - 1);
    sk_error err;
    char *empty = sk_path_join(dir, "c_EMPTY");
    CHECK_OK(sk_mkdir_p(empty, &err), &err);
    free(empty);
}

/* The held-out test subset, against NumPy: with labels 8 x 0, 7 x 1, 5 x 2, seed 123, val 0.25,
 * test 0.3: rs = RandomState(123); per class rs.shuffle(positions), the last int(0.3 * count)
 * are test; the other 15 files get RandomState(123).shuffle and the last int(0.25 * 15) = 3 are
 * validation; the test files follow in sorted order. And test 0 is exactly Keras' split. */
static void test_split_with_test(void)
{
    static const uint64_t want[20] = {9, 14, 4, 0, 7, 13, 12, 16, 3, 1, 8, 17, 2, 18, 19, 5, 6, 10, 11, 15};
    uint32_t labels[20], split[20], ksplit[20];
    uint64_t order[20], korder[20];
    for (int i = 0; i < 20; i++) labels[i] = i < 8 ? 0 : i < 15 ? 1 : 2;
    CHECK_EQ_INT(sk_pack_split(order, split, 20, labels, 3, 123, 0.25, 0.3), 5);
    CHECK(memcmp(order, want, sizeof want) == 0);
    int ok = 1;
    for (int k = 0; k < 20; k++)
        ok &= split[k] == (k < 12 ? SK_SPLIT_TRAIN : k < 15 ? SK_SPLIT_VAL : SK_SPLIT_TEST);
    CHECKF(ok, "train, validation and test positions");
    CHECK_EQ_INT(sk_pack_split(order, split, 20, labels, 3, 99, 0.2, 0.0), 0);
    sk_pack_keras_split(korder, ksplit, 20, 99, 0.2);
    CHECK(memcmp(order, korder, sizeof order) == 0 && memcmp(split, ksplit, sizeof split) == 0);
}

static void test_index_and_split(const char *dir)
{
    sk_error err;
    sk_pack_index idx;
    CHECK_OK(sk_pack_index_dir(&idx, dir, &err), &err);
    CHECK_EQ_INT(idx.nclasses, 4);
    if (idx.nclasses == 4) {
        CHECK_STR(idx.class_names[0], "A_GALAXY");
        CHECK_STR(idx.class_names[2], "b_STAR");
        CHECK_STR(idx.class_names[3], "c_EMPTY");
    }
    CHECK_EQ_INT(idx.nfiles, NF);
    int same = idx.nfiles == NF;
    for (size_t i = 0; same && i < NF; i++) same &= !strcmp(idx.relpath[i], FILES[i]) && idx.label[i] == LABELS[i];
    CHECKF(same, "file list in Keras' os.walk order with labels");
    sk_pack_index_free(&idx);

    uint64_t order[100];
    uint32_t split[100];
    sk_pack_keras_split(order, split, 12, 123, 0.2);
    CHECK(memcmp(order, PERM123, sizeof PERM123) == 0);
    int nval = 0;
    for (int k = 0; k < 12; k++) nval += split[k] == SK_SPLIT_VAL;
    CHECK(nval == 2 && split[10] == SK_SPLIT_VAL && split[11] == SK_SPLIT_VAL && split[9] == SK_SPLIT_TRAIN);
    sk_pack_keras_split(order, split, 100, 5, 0.29);
    nval = 0;
    for (int k = 0; k < 100; k++) nval += split[k] == SK_SPLIT_VAL;
    CHECK_EQ_INT(nval, 28);
    sk_pack_keras_split(order, split, 12, 7, 0.0);
    nval = 0;
    for (int k = 0; k < 12; k++) nval += split[k] == SK_SPLIT_VAL;
    CHECK_EQ_INT(nval, 0);
    test_split_with_test();
}

static void check_packed(const char *path, const uint64_t *perm, uint32_t nval, sk_skds_dtype dtype)
{
    sk_error err;
    sk_skds ds;
    sk_status s = sk_skds_open(&ds, path, 0, &err);
    CHECK_OK(s, &err);
    if (s) return;
    CHECK_EQ_INT(ds.count, NF);
    CHECK_EQ_INT(ds.h.nclasses, 4);
    CHECK(ds.h.height == 3 && ds.h.width == 5 && ds.h.channels == 3 && ds.h.dtype == dtype);
    CHECK_STR(ds.h.class_names[3], "c_EMPTY");
    int labels_ok = 1, split_ok = 1, px_ok = 1, meta_ok = 1;
    for (uint64_t k = 0; k < ds.count; k++) {
        const sk_skds_record *r = &ds.records[k];
        uint64_t fi = perm[k];
        labels_ok &= r->label == LABELS[fi];
        split_ok &= r->split == (k >= NF - nval ? SK_SPLIT_VAL : SK_SPLIT_TRAIN);
        double tol = strstr(FILES[fi], "JPG") || strstr(FILES[fi], "jpeg") ? 2.5 : 0.0;
        for (size_t p = 0; p < 15; p++) {
            double v0, v2;
            if (dtype == SK_SKDS_F32) {
                const float *f = sk_skds_pixels(&ds, k);
                v0 = f[3 * p];
                v2 = f[3 * p + 2];
            } else {
                const uint8_t *u = sk_skds_pixels(&ds, k);
                v0 = u[3 * p];
                v2 = u[3 * p + 2];
            }
            px_ok &= fabs(v0 - colour(fi)) <= tol && fabs(v2 - (255 - colour(fi))) <= tol;
        }
        /* objid: manifest for 1237.png (with ra/dec), numeric stems, else the sorted index. */
        const char *base = strrchr(FILES[fi], '/') + 1;
        uint64_t want = (base[0] >= '0' && base[0] <= '9') ? strtoull(base, NULL, 10) : fi;
        meta_ok &= r->objid == want;
        if (want == 1237) meta_ok &= r->ra == 12.5 && r->dec == -3.25;
        else meta_ok &= isnan(r->ra) && isnan(r->dec);
    }
    CHECKF(labels_ok, "labels follow the shuffled file order");
    CHECKF(split_ok, "the last %u records are validation", nval);
    CHECKF(px_ok, "each record's pixels are its file's colour (shuffled order)");
    CHECKF(meta_ok, "objid/ra/dec from manifest and names");
    char hex[65];
    sk_sha256_hex(MANIFEST, sizeof MANIFEST - 1, hex);
    CHECK_STR(sk_skds_provenance(&ds, "manifest_sha256"), hex);
    const char *fh = sk_skds_provenance(&ds, "files_sha256");
    CHECK(fh && strlen(fh) == 64);
    CHECK(sk_skds_provenance(&ds, "command") && strstr(sk_skds_provenance(&ds, "command"), "pack"));
    sk_skds_close(&ds);
}

static void test_pack(const char *dir, const char *outdir)
{
    sk_error err;
    sk_pack_opts o;
    sk_pack_opts_init(&o);
    CHECK(o.seed == 123 && o.val == 0.2 && o.resize == SK_RESIZE_BILINEAR && o.dtype == SK_SKDS_U8);
    char *out1 = sk_path_join(outdir, "a.skds"), *out2 = sk_path_join(outdir, "b.skds");
    o.in_dir = dir;
    o.out_path = out1;
    o.height = 3;
    o.width = 5;
    o.command = "skytune dataset pack (test)";
    sk_pack_stats st;
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    CHECK_OK(sk_pack_run(&o, &st, &err), &err);
    CHECK(st.nfiles == NF && st.nval == 2 && st.ntrain == 10 && st.nclasses == 4);
    check_packed(out1, PERM123, 2, SK_SKDS_U8);
#ifdef _OPENMP
    omp_set_num_threads(3);
#endif
    o.out_path = out2;
    CHECK_OK(sk_pack_run(&o, &st, &err), &err);
    uint8_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    CHECK_OK(sk_read_file(out1, &a, &na, 1 << 24, &err), &err);
    CHECK_OK(sk_read_file(out2, &b, &nb, 1 << 24, &err), &err);
    CHECKF(na == nb && a && b && memcmp(a, b, na) == 0, "1 and 3 threads write identical bytes");
    free(a);
    free(b);

    /* Another seed and fraction, float pixels, area resize (solid colours stay exact). */
    o.seed = 7;
    o.val = 0.25;
    o.dtype = SK_SKDS_F32;
    o.resize = SK_RESIZE_AREA;
    CHECK_OK(sk_pack_run(&o, &st, &err), &err);
    check_packed(out2, PERM7, 3, SK_SKDS_F32);
    sk_pack_opts_init(&o);
    o.in_dir = dir;
    o.out_path = out2;
    o.height = 3;
    o.width = 5;

    /* A corrupt image fails the pack naming the file; the previous output is untouched. */
    char *bad = sk_path_join(dir, "QSO/b.jpeg");
    uint8_t *jb = NULL;
    size_t jn = 0;
    CHECK_OK(sk_read_file(bad, &jb, &jn, 1 << 20, &err), &err);
    CHECK_OK(sk_write_file_atomic(bad, jb, jn / 2, &err), &err);
    o.val = 0.5;
    CHECK(sk_pack_run(&o, &st, &err) == SK_EFORMAT);
    CHECK(strstr(err.msg, "QSO/b.jpeg") != NULL);
    check_packed(out2, PERM7, 3, SK_SKDS_F32); /* still the old file */
    CHECK_OK(sk_write_file_atomic(bad, jb, jn, &err), &err);
    free(jb);
    free(bad);

    /* A GIF would be part of Keras' list: refused rather than silently skipped. */
    char *gif = sk_path_join(dir, "QSO/z.gif");
    CHECK_OK(sk_write_file_atomic(gif, "GIF89a", 6, &err), &err);
    CHECK(sk_pack_run(&o, &st, &err) == SK_EUNSUPPORTED);
    CHECK(strstr(err.msg, "z.gif") != NULL);
    unlink(gif);
    free(gif);

    /* No class folders; missing folder; bad options. */
    CHECK(sk_pack_run(&(sk_pack_opts){.in_dir = outdir, .out_path = out2, .height = 3, .width = 3,
                                      .val = 0.2, .resize = SK_RESIZE_BILINEAR}, &st, &err) == SK_EINVAL);
    o.in_dir = "/nonexistent/skytune";
    CHECK(sk_pack_run(&o, &st, &err) == SK_ENOTFOUND);
    o.in_dir = dir;
    o.height = 0;
    CHECK(sk_pack_run(&o, &st, &err) == SK_EINVAL);
    free(out1);
    free(out2);
}

/* A non-constant image: pack's pixels are exactly decode + TF bilinear (f32), and those values
 * rounded to nearest-even (u8). */
static void test_pixels_exact(const char *dir, const char *outdir)
{
    sk_error err;
    uint8_t px[9 * 7 * 3];
    for (int i = 0; i < 9 * 7 * 3; i++) px[i] = (uint8_t)((i * 53) % 256);
    uint8_t *png = NULL;
    size_t n = 0;
    CHECK_OK(sk_image_encode_png(&png, &n, px, 7, 9, 3, &err), &err);
    put(dir, "ONLY/img.png", png, n);
    free(png);
    float want[4 * 3 * 3];
    sk_resize_bilinear_tf(want, px, 9, 7, 4, 3, 3);
    sk_pack_opts o;
    sk_pack_opts_init(&o);
    o.in_dir = dir;
    o.height = 4;
    o.width = 3;
    char *pf = sk_path_join(outdir, "exact_f32.skds"), *pu = sk_path_join(outdir, "exact_u8.skds");
    o.out_path = pf;
    o.dtype = SK_SKDS_F32;
    CHECK_OK(sk_pack_run(&o, NULL, &err), &err);
    o.out_path = pu;
    o.dtype = SK_SKDS_U8;
    CHECK_OK(sk_pack_run(&o, NULL, &err), &err);
    sk_skds a, b;
    sk_status sa = sk_skds_open(&a, pf, 0, &err), sb = sk_skds_open(&b, pu, 0, &err);
    CHECK(sa == SK_OK && sb == SK_OK);
    if (sa == SK_OK && sb == SK_OK && a.count == 1 && b.count == 1) {
        const float *f = sk_skds_pixels(&a, 0);
        const uint8_t *u = sk_skds_pixels(&b, 0);
        int exact = 1, rounded = 1, nonint = 0;
        for (int i = 0; i < 36; i++) {
            exact &= f[i] == want[i];
            rounded &= u[i] == (uint8_t)nearbyintf(want[i]);
            nonint += want[i] != floorf(want[i]);
        }
        CHECKF(exact, "f32 pack equals decode + TF bilinear exactly");
        CHECKF(rounded, "u8 pack equals those values rounded");
        CHECKF(nonint > 10, "the test image really has fractional values (%d)", nonint);
    }
    if (sa == SK_OK) sk_skds_close(&a);
    if (sb == SK_OK) sk_skds_close(&b);
    free(pf);
    free(pu);
}

int main(void)
{
    char *dir = sk_test_tmpdir("pack_in");
    char *outdir = sk_test_tmpdir("pack_out");
    make_tree(dir);
    test_index_and_split(dir);
    test_pack(dir, outdir);
    char *dir2 = sk_test_tmpdir("pack_exact");
    test_pixels_exact(dir2, outdir);
    free(dir2);
    free(dir);
    free(outdir);
    return sk_test_finish();
}
