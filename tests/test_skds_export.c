// LABELS: unit dataset
// LIBS: sk_dataset
/* test_skds_export.c: .skds -> NPY files (exact header text, 64-byte alignment, data equal to the
 * records) and -> tar.gz (two exports byte-identical, gzip time cleared, entries in record order
 * with mtime 0 / uid 0 / no owner names, PNGs decoding to the stored pixels). */
#include "sk_dataset.h"
#include "sk_base.h"
#include "sk_test.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#define N 5

static void make(const char *path)
{
    sk_error err;
    sk_skds_header h;
    sk_skds_header_init(&h);
    h.height = 3;
    h.width = 5;
    CHECK_OK(sk_skds_header_add_class(&h, "GALAXY", &err), &err);
    CHECK_OK(sk_skds_header_add_class(&h, "STAR", &err), &err);
    sk_skds_writer *w = NULL;
    CHECK_OK(sk_skds_writer_open(&w, path, &h, &err), &err);
    if (!w) return;
    for (int i = 0; i < N; i++) {
        uint8_t px[45];
        for (int k = 0; k < 45; k++) px[k] = (uint8_t)(i * 50 + k);
        sk_skds_record r = {.objid = 1000u + (uint64_t)i, .label = (uint32_t)(i % 2),
                            .split = i == 4 ? SK_SPLIT_VAL : SK_SPLIT_TRAIN, .ra = i * 1.5, .dec = -i};
        CHECK_OK(sk_skds_writer_add(w, &r, px, &err), &err);
    }
    CHECK_OK(sk_skds_writer_finish(w, &err), &err);
}

static uint8_t *slurp(const char *dir, const char *name, size_t *n)
{
    sk_error err;
    char *p = sk_path_join(dir, name);
    uint8_t *d = NULL;
    CHECK_OK(sk_read_file(p, &d, n, 1 << 24, &err), &err);
    free(p);
    return d;
}

static void test_npy(const sk_skds *ds, const char *dir)
{
    sk_error err;
    CHECK_OK(sk_export_npy(ds, dir, &err), &err);
    size_t n = 0;
    uint8_t *x = slurp(dir, "x.npy", &n);
    if (!x) return;
    CHECK(memcmp(x, "\x93NUMPY\x01\x00", 8) == 0);
    size_t hl = sk_le_load16(x + 8);
    CHECK((10 + hl) % 64 == 0);
    const char *want = "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 3, 5, 3), }";
    CHECK(strncmp((const char *)x + 10, want, strlen(want)) == 0);
    CHECK(x[10 + hl - 1] == '\n');
    CHECK_EQ_INT(n, 10 + hl + N * 45);
    CHECK(memcmp(x + 10 + hl, ds->pixels, N * 45) == 0);
    free(x);
    uint8_t *y = slurp(dir, "y.npy", &n);
    if (y) {
        size_t yl = sk_le_load16(y + 8);
        CHECK(strstr((const char *)y + 10, "'descr': '<i4'") && strstr((const char *)y + 10, "'shape': (5,)"));
        CHECK_EQ_INT(n, 10 + yl + 4 * N);
        CHECK(sk_le_load32(y + 10 + yl + 4 * 3) == 1 && sk_le_load32(y + 10 + yl + 4 * 4) == 0);
        free(y);
    }
    uint8_t *o = slurp(dir, "objid.npy", &n);
    if (o) {
        CHECK_EQ_INT(sk_le_load64(o + n - 8), 1004);
        free(o);
    }
    uint8_t *s = slurp(dir, "split.npy", &n);
    if (s) {
        CHECK(s[n - 1] == SK_SPLIT_VAL && s[n - 2] == SK_SPLIT_TRAIN);
        free(s);
    }
    uint8_t *c = slurp(dir, "class_names.txt", &n);
    if (c) {
        CHECK(n == 12 && memcmp(c, "GALAXY\nSTAR\n", 12) == 0);
        free(c);
    }
}

static void test_archive(const sk_skds *ds, const char *dir)
{
    sk_error err;
    char *a1 = sk_path_join(dir, "a.tar.gz"), *a2 = sk_path_join(dir, "b.tar.gz");
    CHECK_OK(sk_export_archive(ds, a1, &err), &err);
    CHECK_OK(sk_export_archive(ds, a2, &err), &err);
    size_t n1 = 0, n2 = 0;
    uint8_t *b1 = slurp(dir, "a.tar.gz", &n1), *b2 = slurp(dir, "b.tar.gz", &n2);
    CHECKF(b1 && b2 && n1 == n2 && memcmp(b1, b2, n1) == 0, "two exports are byte-identical");
    CHECK(b1 && n1 > 10 && b1[0] == 0x1f && b1[1] == 0x8b && sk_le_load32(b1 + 4) == 0);
    free(b1);
    free(b2);

    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_all(a);
    CHECK(archive_read_open_filename(a, a1, 1 << 16) == ARCHIVE_OK);
    struct archive_entry *e;
    int idx = -1, meta_ok = 1, px_ok = 1;
    char want[128];
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        meta_ok &= archive_entry_mtime(e) == 0 && archive_entry_uid(e) == 0 && archive_entry_gid(e) == 0;
        meta_ok &= archive_entry_uname(e) == NULL || archive_entry_uname(e)[0] == '\0';
        size_t sz = (size_t)archive_entry_size(e);
        uint8_t *d = sk_xmalloc(sz + 1);
        CHECK(archive_read_data(a, d, sz) == (la_ssize_t)sz);
        if (idx < 0) {
            CHECK_STR(archive_entry_pathname(e), "manifest.tsv");
            d[sz] = '\0';
            CHECK(strstr((char *)d, "3\tSTAR/000003_1003.png\t1003\tSTAR\t1\ttrain\t4.5\t-3\n") != NULL);
        } else {
            snprintf(want, sizeof want, "%s/%06d_%d.png", idx % 2 ? "STAR" : "GALAXY", idx, 1000 + idx);
            CHECK_STR(archive_entry_pathname(e), want);
            sk_image img;
            CHECK_OK(sk_image_decode(&img, d, sz, NULL, want, &err), &err);
            px_ok &= img.px && img.width == 5 && img.height == 3 &&
                     memcmp(img.px, sk_skds_pixels(ds, (uint64_t)idx), 45) == 0;
            sk_image_free(&img);
        }
        free(d);
        idx++;
    }
    archive_read_free(a);
    CHECK_EQ_INT(idx, N);
    CHECKF(meta_ok, "every entry has mtime 0, uid/gid 0, no owner name");
    CHECKF(px_ok, "every PNG decodes to its record's pixels");
    /* An unwritable destination fails cleanly. */
    CHECK(sk_export_archive(ds, "/nonexistent/dir/x.tar.gz", &err) != SK_OK);
    free(a1);
    free(a2);
}

int main(void)
{
    char *dir = sk_test_tmpdir("skds_export");
    char *path = sk_path_join(dir, "d.skds");
    make(path);
    sk_skds ds;
    sk_error err;
    sk_status s = sk_skds_open(&ds, path, 0, &err);
    CHECK_OK(s, &err);
    if (s == SK_OK) {
        char *npy = sk_path_join(dir, "npy");
        test_npy(&ds, npy);
        test_archive(&ds, dir);
        free(npy);
        sk_skds_close(&ds);
    }
    free(path);
    free(dir);
    return sk_test_finish();
}
