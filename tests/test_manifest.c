// LABELS: unit dataset
// LIBS: sk_dataset
/* test_manifest.c: manifest.tsv, the one reader and writer (dataset/manifest.h).
 * Round trip of every writer's layout (fetch, cutout, synth, export); strict parsing (issue 18,
 * finding 7): "22=9.33" is not ra 22, ra -1 and ra 360 are out of range, a header without objid
 * (or with a column outside the vocabulary, or one twice) is an error, as are a wrong field
 * count, a file outside its class folder, "..", a bad sha256, a file listed twice; the writer
 * refuses what the reader would; errors name the line and the column. pack refuses a bad
 * manifest in its input folder instead of ignoring it. */
#include "sk_base.h"
#include "sk_dataset.h"
#include "sk_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char FETCH[] =
    "objid\tclass\tra\tdec\turl\tbytes\tsha256\thttp_status\tattempts\tfile\n"
    "1237\tSTAR\t12.5\t-3.25\thttp://x/?a=1&b=2\t10\t"
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\t200\t1\tSTAR/1237.jpg\n"
    "12\tGALAXY\t359.999\t90\thttp://x\t0\t"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\t0\t0\tGALAXY/12_L3.jpg\n";

static void test_round_trip(void)
{
    sk_error err;
    sk_manifest m;
    CHECK_OK(sk_manifest_parse(&m, FETCH, sizeof FETCH - 1, "fetch.tsv", &err), &err);
    CHECK_EQ_INT(m.nrows, 2);
    CHECK_EQ_INT(m.ncols, 10);
    if (m.nrows == 2) {
        CHECK(sk_manifest_objid(&m, 0) == 1237 && sk_manifest_f64(&m, 0, SK_MF_RA) == 12.5);
        CHECK(sk_manifest_f64(&m, 1, SK_MF_DEC) == 90.0);
        CHECK_STR(sk_manifest_get(&m, 0, SK_MF_URL), "http://x/?a=1&b=2");
        CHECK(sk_manifest_get(&m, 0, SK_MF_FIELD) == NULL && isnan(sk_manifest_f64(&m, 0, SK_MF_COVERAGE)));
        sk_manifest_sort(&m);
        CHECK(sk_manifest_find(&m, "STAR/1237.jpg") == 1 && sk_manifest_find(&m, "GALAXY/12_L3.jpg") == 0);
        CHECK(sk_manifest_find(&m, "STAR/nope.jpg") == -1);
    }
    sk_buf b;
    sk_buf_init(&b);
    sk_manifest_format(&m, NULL, &b);
    sk_manifest m2;
    CHECK_OK(sk_manifest_parse(&m2, (const char *)b.data, b.len, "again", &err), &err);
    CHECK(m2.nrows == 2 && !strcmp(sk_manifest_get(&m2, 0, SK_MF_FILE), "GALAXY/12_L3.jpg"));
    sk_manifest_free(&m2);
    sk_buf_free(&b);
    sk_manifest_free(&m);

    /* export's layout: a comment, empty ra/dec (unknown), split names. */
    static const sk_manifest_col ex[] = {SK_MF_INDEX, SK_MF_FILE, SK_MF_OBJID, SK_MF_CLASS, SK_MF_LABEL,
                                         SK_MF_SPLIT, SK_MF_RA, SK_MF_DEC};
    sk_manifest_init(&m, ex, 8);
    const char *r0[] = {"0", "QSO/000000_7.png", "7", "QSO", "1", "val", "", ""};
    const char *r1[] = {"1", "STAR/000001_8.png", "8", "STAR", "2", "train", "10.5", "-1"};
    CHECK_OK(sk_manifest_add(&m, r0, "export", &err), &err);
    CHECK_OK(sk_manifest_add(&m, r1, "export", &err), &err);
    sk_buf_init(&b);
    sk_manifest_format(&m, "skytune export: uint8 pixels", &b);
    CHECK(b.len > 2 && !memcmp(b.data, "# skytune export: uint8 pixels\nindex\tfile\tobjid", 46));
    CHECK_OK(sk_manifest_parse(&m2, (const char *)b.data, b.len, "export", &err), &err);
    CHECK(m2.nrows == 2 && isnan(sk_manifest_f64(&m2, 0, SK_MF_RA)) && sk_manifest_f64(&m2, 1, SK_MF_DEC) == -1.0);
    sk_manifest_free(&m2);
    sk_buf_free(&b);
    /* the writer refuses what the reader would */
    const char *bad[] = {"2", "STAR/x.png", "-1", "STAR", "2", "train", "", ""};
    CHECK(sk_manifest_add(&m, bad, "export", &err) == SK_EINVAL && strstr(err.msg, "column 'objid'"));
    const char *bad2[] = {"2", "STAR/x.png", "9", "STAR", "2", "later", "", ""};
    CHECK(sk_manifest_add(&m, bad2, "export", &err) == SK_EINVAL && strstr(err.msg, "column 'split'"));
    const char *twice[] = {"3", "QSO/000000_7.png", "7", "QSO", "1", "val", "", ""};
    CHECK_OK(sk_manifest_add(&m, twice, "export", &err), &err);
    char *dir = sk_test_tmpdir("manifest");
    char *p = sk_path_join(dir, "m.tsv");
    CHECK(sk_manifest_write(&m, p, NULL, &err) == SK_EINVAL && strstr(err.msg, "listed twice"));
    CHECK(!sk_path_exists(p));
    free(p);
    free(dir);
    sk_manifest_free(&m);
}

/* Each text must be refused with SK_EFORMAT and a message holding every needle. */
static void refused(const char *label, const char *text, const char *n1, const char *n2)
{
    sk_error err;
    sk_manifest m;
    sk_status s = sk_manifest_parse(&m, text, strlen(text), "m.tsv", &err);
    CHECKF(s == SK_EFORMAT && strstr(err.msg, n1) && (!n2 || strstr(err.msg, n2)), "%s: %s: %s", label,
           sk_status_name(s), err.msg);
    CHECK(m.nrows == 0 && m.row == NULL);
}

static void test_strict(void)
{
    const char *H = "objid\tclass\tra\tdec\tfile\n";
    char t[512];
#define ROW(r) (snprintf(t, sizeof t, "%s%s\n", H, r), t)
    refused("ra 22=9.33", ROW("1\tSTAR\t22=9.33\t1\tSTAR/1.png"), "line 2: column 'ra'", "22=9.33");
    refused("ra -1", ROW("1\tSTAR\t-1\t1\tSTAR/1.png"), "column 'ra'", "[0, 360)");
    refused("ra 360", ROW("1\tSTAR\t360\t1\tSTAR/1.png"), "column 'ra'", NULL);
    refused("dec 90.5", ROW("1\tSTAR\t1\t90.5\tSTAR/1.png"), "column 'dec'", NULL);
    refused("ra blank padded", ROW("1\tSTAR\t 1\t1\tSTAR/1.png"), "column 'ra'", NULL);
    refused("objid -1", ROW("-1\tSTAR\t1\t1\tSTAR/1.png"), "column 'objid'", NULL);
    refused("objid 2^64", ROW("18446744073709551616\tSTAR\t1\t1\tSTAR/1.png"), "column 'objid'", NULL);
    refused("objid float", ROW("1.5\tSTAR\t1\t1\tSTAR/1.png"), "column 'objid'", NULL);
    refused("class control", ROW("1\tST\001AR\t1\t1\tSTAR/1.png"), "column 'class'", NULL);
    refused("class backslash", ROW("1\tA\\B\t1\t1\tA\\B/1.png"), "column 'class'", NULL);
    refused("file outside its class", ROW("1\tSTAR\t1\t1\tGALAXY/1.png"), "column 'file'", "class");
    refused("file ..", ROW("1\tSTAR\t1\t1\tSTAR/../../x.png"), "column 'file'", "\"..\"");
    refused("file absolute", ROW("1\tSTAR\t1\t1\t/STAR/1.png"), "column 'file'", NULL);
    refused("field count", ROW("1\tSTAR\t1\tSTAR/1.png"), "line 2", "expected 5 tab-separated fields");
    refused("listed twice", ROW("1\tSTAR\t1\t1\tSTAR/1.png\n2\tSTAR\t2\t2\tSTAR/1.png"), "STAR/1.png", "twice");
    refused("no objid column", "class\tra\tdec\tfile\nSTAR\t1\t1\tSTAR/1.png\n", "no 'objid' column", NULL);
    refused("unknown column", "objid\tclass\tfile\tcolour\n1\tSTAR\tSTAR/1.png\tred\n", "\"colour\" is not a manifest column", NULL);
    refused("column twice", "objid\tclass\tfile\tra\tra\n1\tSTAR\tSTAR/1.png\t1\t1\n", "'ra' twice", NULL);
    refused("bad sha256", "objid\tclass\tfile\tsha256\n1\tSTAR\tSTAR/1.png\t00\n", "column 'sha256'", NULL);
    refused("empty", "", "found an empty file", NULL);
#undef ROW
    static const char nul[] = "objid\tclass\tfile\n1\tSTAR\tST\0AR/1.png\n";
    sk_error err;
    sk_manifest m;
    CHECK(sk_manifest_parse(&m, nul, sizeof nul - 1, "m.tsv", &err) == SK_EFORMAT &&
          strstr(err.msg, "line 2: NUL byte"));
}

/* pack reads the input folder's manifest strictly: a malformed one is an error naming it. */
static void test_pack_refuses(void)
{
    sk_error err;
    char *dir = sk_test_tmpdir("manifest_pack");
    char *cls = sk_path_join(dir, "STAR");
    CHECK_OK(sk_mkdir_p(cls, &err), &err);
    uint8_t px[4 * 4 * 3] = {0}, *png = NULL;
    size_t n = 0;
    CHECK_OK(sk_image_encode_png(&png, &n, px, 4, 4, 3, &err), &err);
    char *img = sk_path_join(cls, "1.png"), *man = sk_path_join(dir, "manifest.tsv"),
         *out = sk_path_join(dir, "o.skds");
    CHECK_OK(sk_write_file_atomic(img, png, n, &err), &err);
    const char bad[] = "objid\tclass\tra\tdec\tfile\n1\tSTAR\t22=9.33\t1\tSTAR/1.png\n";
    CHECK_OK(sk_write_file_atomic(man, bad, sizeof bad - 1, &err), &err);
    sk_pack_opts o;
    sk_pack_opts_init(&o);
    o.in_dir = dir;
    o.out_path = out;
    o.height = o.width = 4;
    CHECK(sk_pack_run(&o, NULL, &err) == SK_EFORMAT && strstr(err.msg, "manifest.tsv: line 2: column 'ra'"));
    CHECK(!sk_path_exists(out));
    const char good[] = "objid\tclass\tra\tdec\tfile\n77\tSTAR\t22\t1\tSTAR/1.png\n";
    CHECK_OK(sk_write_file_atomic(man, good, sizeof good - 1, &err), &err);
    CHECK_OK(sk_pack_run(&o, NULL, &err), &err);
    sk_skds ds;
    sk_status so = sk_skds_open(&ds, out, 0, &err);
    CHECK_OK(so, &err);
    if (so == SK_OK) {
        CHECK(ds.count == 1 && ds.records[0].objid == 77 && ds.records[0].ra == 22.0);
        sk_skds_close(&ds);
    }
    free(png);
    free(img);
    free(man);
    free(out);
    free(cls);
    free(dir);
}

int main(void)
{
    test_round_trip();
    test_strict();
    test_pack_refuses();
    return sk_test_finish();
}
