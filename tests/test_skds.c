// LABELS: unit dataset
// LIBS: sk_dataset
/* test_skds.c: .skds round trip (uint8 and float32), exact byte layout facts, and hostile input:
 * truncation at every length, a bit flip at every byte, wrong version, bad fields; the writer's
 * argument checks and atomicity. Every corrupt buffer is a fresh exact-size allocation so ASan
 * catches any read past the end. */
#include "sk_base.h"
#include "sk_test.h"
#include "sk_dataset.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sk_skds_header small_header(sk_skds_dtype dtype)
{
    sk_skds_header h;
    sk_error err;
    sk_skds_header_init(&h);
    h.height = 4;
    h.width = 5;
    h.channels = 3;
    h.dtype = dtype;
    h.split_seed = 123;
    h.val_fraction = 0.2;
    h.test_fraction = 0.125;
    h.resize = SK_RESIZE_BILINEAR;
    snprintf(h.source, sizeof h.source, "test:%s", dtype == SK_SKDS_F32 ? "f32" : "u8");
    CHECK_OK(sk_skds_header_add_class(&h, "GALAXY", &err), &err);
    CHECK_OK(sk_skds_header_add_class(&h, "QSO", &err), &err);
    CHECK_OK(sk_skds_header_add_class(&h, "STAR", &err), &err);
    return h;
}

static uint8_t pix_u8(uint64_t i, size_t k) { return (uint8_t)(i * 31 + k * 7 + 1); }

/* Writes n records with pixels pix_u8 (or pix_u8/3 as float). */
static void write_file(const char *path, sk_skds_dtype dtype, uint64_t n)
{
    sk_error err;
    sk_skds_header h = small_header(dtype);
    size_t rb = sk_skds_record_bytes(&h);
    sk_skds_writer *w = NULL;
    CHECK_OK(sk_skds_writer_open(&w, path, &h, &err), &err);
    if (!w) return;
    uint8_t *buf = sk_xmalloc(rb);
    for (uint64_t i = 0; i < n; i++) {
        if (dtype == SK_SKDS_F32)
            for (size_t k = 0; k < rb / 4; k++) ((float *)buf)[k] = pix_u8(i, k) / 3.0f;
        else
            for (size_t k = 0; k < rb; k++) buf[k] = pix_u8(i, k);
        sk_skds_record rec = {.objid = 1237650000000000000ull + i, .label = (uint32_t)(i % 3),
                              .split = i % 4 == 3 ? SK_SPLIT_VAL : SK_SPLIT_TRAIN,
                              .ra = 180.0 + 0.5 * (double)i, .dec = -1.25 * (double)i};
        CHECK_OK(sk_skds_writer_add(w, &rec, buf, &err), &err);
    }
    CHECK_EQ_INT(sk_skds_writer_count(w), n);
    if (n > 2) CHECK_OK(sk_skds_writer_set_split(w, 2, SK_SPLIT_TEST, &err), &err);
    CHECK(sk_skds_writer_set_split(w, n, SK_SPLIT_TEST, &err) == SK_EINVAL);
    sk_skds_writer_set_provenance(w, "command", "skytune dataset pack --in x");
    sk_skds_writer_set_provenance(w, "manifest_sha256", "00ff");
    sk_skds_writer_set_provenance(w, "manifest_sha256", "abcd"); /* replaces */
    CHECK_OK(sk_skds_writer_finish(w, &err), &err);
    free(buf);
}

static void test_round_trip(const char *dir, sk_skds_dtype dtype)
{
    sk_error err;
    char *path = sk_path_join(dir, dtype == SK_SKDS_F32 ? "f32.skds" : "u8.skds");
    const uint64_t n = 7;
    write_file(path, dtype, n);
    sk_skds ds;
    CHECK_OK(sk_skds_open(&ds, path, SK_SKDS_OPEN_DEFAULT, &err), &err);
    CHECK_EQ_INT(ds.count, n);
    CHECK_EQ_INT(ds.h.height, 4);
    CHECK_EQ_INT(ds.h.width, 5);
    CHECK_EQ_INT(ds.h.channels, 3);
    CHECK_EQ_INT(ds.h.dtype, dtype);
    CHECK_EQ_INT(ds.h.nclasses, 3);
    CHECK_STR(ds.h.class_names[1], "QSO");
    CHECK_EQ_INT(ds.h.split_seed, 123);
    CHECK_NEAR(ds.h.val_fraction, 0.2, 0);
    CHECK_NEAR(ds.h.test_fraction, 0.125, 0);
    CHECK_EQ_INT(ds.h.resize, SK_RESIZE_BILINEAR);
    CHECK_STR(ds.h.source, dtype == SK_SKDS_F32 ? "test:f32" : "test:u8");
    CHECK_EQ_INT(ds.record_bytes, 4 * 5 * 3 * (dtype == SK_SKDS_F32 ? 4 : 1));
    CHECK(((uintptr_t)ds.pixels & 63) == 0);
    CHECK_STR(sk_skds_provenance(&ds, "command"), "skytune dataset pack --in x");
    CHECK_STR(sk_skds_provenance(&ds, "manifest_sha256"), "abcd");
    CHECK(sk_skds_provenance(&ds, "skytune_version") != NULL);
    CHECK(sk_skds_provenance(&ds, "nope") == NULL);
    int ok = 1;
    for (uint64_t i = 0; i < ds.count; i++) {
        const sk_skds_record *r = &ds.records[i];
        ok &= r->objid == 1237650000000000000ull + i && r->label == i % 3;
        ok &= r->split == (i == 2 ? SK_SPLIT_TEST : i % 4 == 3 ? SK_SPLIT_VAL : SK_SPLIT_TRAIN);
        ok &= r->ra == 180.0 + 0.5 * (double)i && r->dec == -1.25 * (double)i;
        const void *px = sk_skds_pixels(&ds, i);
        for (size_t k = 0; k < 60; k++) {
            if (dtype == SK_SKDS_F32) ok &= ((const float *)px)[k] == pix_u8(i, k) / 3.0f;
            else ok &= ((const uint8_t *)px)[k] == pix_u8(i, k);
        }
    }
    CHECKF(ok, "records and pixels read back equal what was written (%s)", dtype ? "f32" : "u8");
    uint64_t counts[3 * SK_SPLIT_COUNT];
    sk_skds_class_counts(&ds, counts);
    /* i=0..6: labels 0,1,2,0,1,2,0; split val at 3, test at 2. */
    CHECK_EQ_INT(counts[0 * 3 + SK_SPLIT_TRAIN], 2);
    CHECK_EQ_INT(counts[0 * 3 + SK_SPLIT_VAL], 1);
    CHECK_EQ_INT(counts[2 * 3 + SK_SPLIT_TEST], 1);
    CHECK_EQ_INT(counts[2 * 3 + SK_SPLIT_TRAIN], 1);
    char *txt = NULL;
    size_t txtlen = 0;
    FILE *mf = open_memstream(&txt, &txtlen);
    sk_skds_print_info(&ds, path, mf);
    fclose(mf);
    CHECK(strstr(txt, "records:       7") != NULL);
    CHECK(strstr(txt, "GALAXY") != NULL);
    free(txt);
    sk_skds_close(&ds);
    CHECK_OK(sk_skds_verify(path, &err), &err);

    /* Determinism: the same input writes the same bytes. */
    char *path2 = sk_path_join(dir, "again.skds");
    write_file(path2, dtype, n);
    uint8_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    CHECK_OK(sk_read_file(path, &a, &na, 1 << 20, &err), &err);
    CHECK_OK(sk_read_file(path2, &b, &nb, 1 << 20, &err), &err);
    CHECK(na == nb && a && b && memcmp(a, b, na) == 0);
    /* Known layout facts from docs/FORMATS.md. */
    if (a && na >= 128) {
        CHECK(memcmp(a, "SKDS\r\n\x1a\n", 8) == 0);
        CHECK_EQ_INT(sk_le_load32(a + 8), SK_SKDS_VERSION);
        CHECK_EQ_INT(sk_le_load32(a + 12), 128);
        CHECK_EQ_INT(sk_le_load64(a + 16), na);
        CHECK(memcmp(a + 24, "HEAD", 4) == 0 && memcmp(a + 48, "PIXL", 4) == 0);
        CHECK_EQ_INT(sk_le_load64(a + 32), 128);
        CHECK_EQ_INT(sk_le_load64(a + 128), n); /* HEAD starts with the count */
        CHECK_EQ_INT(sk_le_load32(a + 124), sk_crc32(0, a, 124));
    }
    free(a);
    free(b);
    free(path2);
    free(path);
}

/* Opens a fresh exact-size copy of buf; returns the status. */
static sk_status open_copy(const uint8_t *buf, size_t n, sk_error *err)
{
    uint8_t *c = sk_xmalloc(n);
    memcpy(c, buf, n);
    sk_skds ds;
    sk_status s = sk_skds_open_buffer(&ds, c, n, "mem.skds", SK_SKDS_OPEN_DEFAULT, err);
    if (s == SK_OK) sk_skds_close(&ds);
    free(c);
    return s;
}

static void test_corruption(const char *dir)
{
    sk_error err;
    char *path = sk_path_join(dir, "c.skds");
    write_file(path, SK_SKDS_U8, 5);
    uint8_t *buf = NULL;
    size_t n = 0;
    CHECK_OK(sk_read_file(path, &buf, &n, 1 << 20, &err), &err);
    if (!buf) return;
    CHECK_OK(open_copy(buf, n, &err), &err);

    /* Truncation at every length, section boundaries included. */
    int all_fail = 1, all_msg = 1;
    for (size_t len = 0; len < n; len++) {
        sk_status s = open_copy(buf, len, &err);
        all_fail &= s != SK_OK;
        all_msg &= strstr(err.msg, "mem.skds") != NULL;
    }
    CHECKF(all_fail, "every truncation of the %zu-byte file is refused", n);
    CHECKF(all_msg, "every truncation error names the file");
    /* One extra byte. */
    uint8_t *ext = sk_xcalloc(n + 1, 1);
    memcpy(ext, buf, n);
    CHECK(open_copy(ext, n + 1, &err) == SK_EFORMAT);
    CHECK(strstr(err.msg, "file_size") != NULL);
    free(ext);

    /* A flipped bit anywhere is detected: every byte, a bit chosen by the test stream; plus all
     * bits of the preamble. */
    sk_rng rng = sk_rng_stream(1, SK_RNG_TEST, 5);
    int undetected = 0;
    size_t first_bad = 0;
    for (size_t off = 0; off < n; off++) {
        int nbits = off < 128 ? 8 : 1;
        for (int t = 0; t < nbits; t++) {
            int bit = nbits == 8 ? t : (int)sk_rng_below(&rng, 8);
            buf[off] ^= (uint8_t)(1u << bit);
            if (open_copy(buf, n, &err) == SK_OK) {
                if (!undetected) first_bad = off;
                undetected++;
            }
            buf[off] ^= (uint8_t)(1u << bit);
        }
    }
    CHECKF(undetected == 0, "bit flips detected at every offset (%d undetected, first at %zu)",
           undetected, first_bad);
    CHECK_OK(open_copy(buf, n, &err), &err);

    /* Wrong version with a valid preamble CRC: a version error. */
    sk_le_store32(buf + 8, 3);
    sk_le_store32(buf + 124, sk_crc32(0, buf, 124));
    CHECK(open_copy(buf, n, &err) == SK_EVERSION);
    CHECKF(strstr(err.msg, "version") && strstr(err.msg, "expected 1..2, found 3"), "%s", err.msg);
    sk_le_store32(buf + 8, 2);
    sk_le_store32(buf + 124, sk_crc32(0, buf, 124));
    CHECK_OK(open_copy(buf, n, &err), &err);

    /* A pixel byte changed: checksum error naming the section; skipping the pixel CRC opens. */
    size_t pix_off = (size_t)sk_le_load64(buf + 24 + 24 + 8);
    buf[pix_off + 3] ^= 0x40;
    CHECK(open_copy(buf, n, &err) == SK_ECHECKSUM);
    CHECK(strstr(err.msg, "PIXL") != NULL);
    sk_skds ds;
    CHECK_OK(sk_skds_open_buffer(&ds, buf, n, "mem", SK_SKDS_OPEN_SKIP_PIXEL_CRC, &err), &err);
    sk_skds_close(&ds);
    buf[pix_off + 3] ^= 0x40;

    /* Not a .skds at all; on disk: truncated file -> verify fails, missing file -> not found. */
    CHECK(open_copy((const uint8_t *)"P6\n4 4\n255\n0123456789012345678901234567890123456789"
                    "0123456789012345678901234567890123456789012345678901234567890123456789"
                    "0123456789", 130, &err) == SK_EFORMAT);
    CHECK(strstr(err.msg, "magic") != NULL);
    CHECK_OK(sk_write_file_atomic(path, buf, n - 10, &err), &err);
    CHECK(sk_skds_verify(path, &err) != SK_OK);
    CHECK(strstr(err.msg, path) != NULL);
    CHECK_OK(sk_write_file_atomic(path, buf, 5, &err), &err);
    CHECK(sk_skds_verify(path, &err) == SK_EFORMAT);
    char *missing = sk_path_join(dir, "missing.skds");
    CHECK(sk_skds_verify(missing, &err) == SK_ENOTFOUND);
    free(missing);
    free(buf);
    free(path);
}

/* Re-seals a mutated buffer: recomputes every section CRC and the preamble CRC, so the parser's
 * field checks (not the checksums) are what stands between the bytes and a crash. */
static void reseal(uint8_t *b, size_t n)
{
    for (int k = 0; k < 4; k++) {
        uint8_t *e = b + 24 + 24 * k;
        uint64_t off = sk_le_load64(e + 8), len = sk_le_load64(e + 16);
        if (off <= n && len <= n - off) sk_le_store32(e + 4, sk_crc32(0, b + off, (size_t)len));
    }
    sk_le_store32(b + 124, sk_crc32(0, b, 124));
}

/* The same data set as a version 1 file: HEAD without the test fraction (8 bytes after the
 * validation fraction), the sections after it moved to the next 64-byte boundary, resealed. */
static uint8_t *to_version1(const uint8_t *b, size_t n, size_t *out_n)
{
    uint64_t head_len = sk_le_load64(b + 24 + 16), pix_off = sk_le_load64(b + 48 + 8);
    size_t at = 128 + 32, nclasses = sk_le_load32(b + 128 + 28);
    for (size_t c = 0; c < nclasses; c++) at += 4 + sk_le_load32(b + at);
    at += 16; /* split seed, validation fraction */
    uint64_t new_head = head_len - 8, new_pix = (128 + new_head + 63) / 64 * 64;
    *out_n = (size_t)(new_pix + (n - pix_off));
    uint8_t *v = sk_xcalloc(*out_n, 1);
    memcpy(v, b, at);
    memcpy(v + at, b + at + 8, (size_t)(128 + head_len - at - 8));
    memcpy(v + new_pix, b + pix_off, n - (size_t)pix_off);
    sk_le_store32(v + 8, 1);
    sk_le_store64(v + 16, *out_n);
    sk_le_store64(v + 24 + 16, new_head);
    for (int k = 1; k < 4; k++) sk_le_store64(v + 24 + 24 * k + 8, sk_le_load64(b + 24 + 24 * k + 8) - pix_off + new_pix);
    reseal(v, *out_n);
    return v;
}

/* A version 1 file (no test fraction) still opens, with test fraction 0 and its records. */
static void test_version1(const char *dir)
{
    sk_error err;
    char *path = sk_path_join(dir, "v2.skds");
    write_file(path, SK_SKDS_U8, 5);
    uint8_t *buf = NULL;
    size_t n = 0, n1 = 0;
    CHECK_OK(sk_read_file(path, &buf, &n, 1 << 20, &err), &err);
    if (!buf) return;
    uint8_t *v1 = to_version1(buf, n, &n1);
    sk_skds a, b;
    CHECK_OK(sk_skds_open_buffer(&a, buf, n, "v2", SK_SKDS_OPEN_DEFAULT, &err), &err);
    CHECK_OK(sk_skds_open_buffer(&b, v1, n1, "v1", SK_SKDS_OPEN_DEFAULT, &err), &err);
    CHECK(a.version == 2 && b.version == 1 && b.h.test_fraction == 0.0 && b.h.val_fraction == 0.2);
    CHECK(a.count == b.count && memcmp(a.records, b.records, a.count * sizeof *a.records) == 0);
    CHECK(memcmp(a.pixels, b.pixels, a.count * a.record_bytes) == 0);
    CHECK_STR(b.h.source, a.h.source);
    sk_skds_close(&a);
    sk_skds_close(&b);
    free(v1);
    free(buf);
    free(path);
}

static void test_structured_fuzz(const char *dir)
{
    sk_error err;
    char *path = sk_path_join(dir, "f.skds");
    write_file(path, SK_SKDS_U8, 4);
    uint8_t *buf = NULL;
    size_t n = 0;
    CHECK_OK(sk_read_file(path, &buf, &n, 1 << 20, &err), &err);
    if (!buf) return;
    sk_rng rng = sk_rng_stream(2, SK_RNG_TEST, 7);
    uint8_t *c = sk_xmalloc(n);
    int accepted = 0, refused = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(c, buf, n);
        int k = (int)sk_rng_below(&rng, 5); /* 0..3 a section, 4 the preamble fields */
        uint64_t off = k == 4 ? 8 : sk_le_load64(c + 24 + 24 * k + 8);
        uint64_t len = k == 4 ? 112 : sk_le_load64(c + 24 + 24 * k + 16);
        if (len == 0) continue;
        int nmut = 1 + (int)sk_rng_below(&rng, 3);
        for (int m = 0; m < nmut; m++) {
            size_t at = (size_t)(off + sk_rng_below(&rng, (uint32_t)len));
            c[at] = sk_rng_below(&rng, 4) == 0 ? 0xff : (uint8_t)sk_rng_u32(&rng);
        }
        reseal(c, n);
        if (open_copy(c, n, &err) == SK_OK) accepted++;
        else refused++;
    }
    CHECKF(refused > 0, "structured fuzz: %d refused, %d accepted, no crash", refused, accepted);
    /* Targeted: an absurd record count and class count with valid CRCs. */
    memcpy(c, buf, n);
    sk_le_store64(c + 128, UINT64_MAX / 2);
    reseal(c, n);
    CHECK(open_copy(c, n, &err) == SK_EFORMAT);
    memcpy(c, buf, n);
    sk_le_store32(c + 128 + 28, 100000); /* nclasses */
    reseal(c, n);
    CHECK(open_copy(c, n, &err) == SK_EFORMAT);
    CHECK(strstr(err.msg, "nclasses") != NULL);
    free(c);
    free(buf);
    free(path);
}

static void test_writer_checks(const char *dir)
{
    sk_error err;
    sk_skds_header h = small_header(SK_SKDS_U8);
    CHECK(sk_skds_header_add_class(&h, "QSO", &err) == SK_EINVAL);  /* duplicate */
    CHECK(sk_skds_header_add_class(&h, "a/b", &err) == SK_EINVAL);  /* slash */
    CHECK(sk_skds_header_add_class(&h, "..", &err) == SK_EINVAL);
    CHECK(sk_skds_header_add_class(&h, "", &err) == SK_EINVAL);
    char *path = sk_path_join(dir, "w.skds");
    sk_skds_writer *w = NULL;
    sk_skds_header bad = h;
    bad.channels = 2;
    CHECK(sk_skds_writer_open(&w, path, &bad, &err) == SK_EINVAL && w == NULL);
    CHECK(strstr(err.msg, "channels") != NULL);
    bad = h;
    bad.height = 0;
    CHECK(sk_skds_writer_open(&w, path, &bad, &err) == SK_EINVAL);
    bad = h;
    bad.nclasses = 0;
    CHECK(sk_skds_writer_open(&w, path, &bad, &err) == SK_EINVAL);

    /* An existing file stays untouched by an aborted writer; no temp file remains. */
    write_file(path, SK_SKDS_U8, 2);
    CHECK_OK(sk_skds_writer_open(&w, path, &h, &err), &err);
    uint8_t px[60] = {0};
    sk_skds_record rec = {.objid = 1, .label = 3, .split = 0};
    CHECK(sk_skds_writer_add(w, &rec, px, &err) == SK_EINVAL); /* label out of range */
    rec.label = 0;
    rec.split = 7;
    CHECK(sk_skds_writer_add(w, &rec, px, &err) == SK_EINVAL);
    CHECK_EQ_INT(sk_skds_writer_count(w), 0);
    sk_skds_writer_abort(w);
    sk_skds ds;
    CHECK_OK(sk_skds_open(&ds, path, 0, &err), &err);
    CHECK_EQ_INT(ds.count, 2);
    sk_skds_close(&ds);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp > /dev/null", dir);
    CHECK(system(cmd) != 0);

    /* Zero records is a valid (empty) data set. */
    CHECK_OK(sk_skds_writer_open(&w, path, &h, &err), &err);
    CHECK_OK(sk_skds_writer_finish(w, &err), &err);
    CHECK_OK(sk_skds_open(&ds, path, 0, &err), &err);
    CHECK_EQ_INT(ds.count, 0);
    sk_skds_close(&ds);
    free(path);
}

int main(void)
{
    char *dir = sk_test_tmpdir("skds");
    test_round_trip(dir, SK_SKDS_U8);
    test_round_trip(dir, SK_SKDS_F32);
    test_corruption(dir);
    test_structured_fuzz(dir);
    test_version1(dir);
    test_writer_checks(dir);
    free(dir);
    return sk_test_finish();
}
