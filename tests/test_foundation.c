// LABELS: unit
// LIBS: sk_base
/* test_foundation.c: errors, RNG known answers, checksums, atomic writes, LE fields, progress. */
#include "sk_base.h"
#include "sk_test.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_errors(void)
{
    sk_error err;
    sk_error_clear(&err);
    CHECK(err.code == SK_OK && err.msg[0] == '\0');
    sk_status s = sk_error_set(&err, SK_EFORMAT, "field '%s': expected %d, found %d", "count", 3, 4);
    CHECK(s == SK_EFORMAT);
    CHECK_STR(err.msg, "field 'count': expected 3, found 4");
    sk_error_prefix(&err, "%s: ", "data.skds");
    CHECK_STR(err.msg, "data.skds: field 'count': expected 3, found 4");
    CHECK_STR(sk_status_name(SK_ECHECKSUM), "checksum");
    CHECK_STR(sk_status_name((sk_status)999), "unknown");
    CHECK(sk_error_set(NULL, SK_EIO, "x") == SK_EIO);
}

/* Known-answer vectors of Philox4x32-10 from the Random123 distribution (kat_vectors). */
static void test_philox_kat(void)
{
    static const struct { uint32_t ctr[4], key[2], out[4]; } kat[] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff},
         {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
         {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };
    for (size_t i = 0; i < SK_ARRAY_LEN(kat); i++) {
        uint32_t out[4];
        sk_philox4x32_10(out, kat[i].ctr, kat[i].key);
        CHECKF(memcmp(out, kat[i].out, sizeof out) == 0, "philox KAT %zu: %08x %08x %08x %08x", i,
               out[0], out[1], out[2], out[3]);
    }
}

static void test_rng_streams(void)
{
    /* Stream (seed, purpose, index) draws = Philox blocks at ctr (k, purpose, index lo, hi). */
    sk_rng r = sk_rng_stream(0x0000000200000001ull, 7, 0x0000000400000003ull);
    uint32_t expect[8];
    for (uint32_t blk = 0; blk < 2; blk++) {
        uint32_t ctr[4] = {blk, 7, 3, 4}, key[2] = {1, 2};
        sk_philox4x32_10(expect + 4 * blk, ctr, key);
    }
    int same = 1;
    for (int i = 0; i < 8; i++) same &= sk_rng_u32(&r) == expect[i];
    CHECKF(same, "stream draws equal the Philox blocks of its counter");

    sk_rng a = sk_rng_stream(123, SK_RNG_SHUFFLE, 0), b = sk_rng_stream(123, SK_RNG_SHUFFLE, 1);
    sk_rng c = sk_rng_stream(123, SK_RNG_SHUFFLE, 0);
    int differ = 0, equal = 1;
    for (int i = 0; i < 64; i++) {
        uint32_t x = sk_rng_u32(&a), y = sk_rng_u32(&b), z = sk_rng_u32(&c);
        differ |= x != y;
        equal &= x == z;
    }
    CHECK(differ);
    CHECK(equal);

    /* Uniform moments and range over many draws. */
    sk_rng u = sk_rng_stream(42, SK_RNG_TEST, 0);
    double sum = 0, sum2 = 0, lo = 1, hi = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double x = sk_rng_uniform(&u);
        sum += x; sum2 += x * x;
        if (x < lo) lo = x;
        if (x > hi) hi = x;
    }
    CHECK(lo >= 0.0 && hi < 1.0);
    CHECK_NEAR(sum / n, 0.5, 0.005);
    CHECK_NEAR(sum2 / n - (sum / n) * (sum / n), 1.0 / 12.0, 0.002);
    sk_rng g = sk_rng_stream(42, SK_RNG_TEST, 1);
    double m = 0, v = 0;
    for (int i = 0; i < n; i++) {
        double x = sk_rng_normal(&g);
        m += x; v += x * x;
    }
    CHECK_NEAR(m / n, 0.0, 0.01);
    CHECK_NEAR(v / n, 1.0, 0.02);
    /* below(n) stays in range and hits every value. */
    sk_rng k = sk_rng_stream(5, SK_RNG_TEST, 2);
    int hits[7] = {0};
    int inrange = 1;
    for (int i = 0; i < 7000; i++) {
        uint32_t x = sk_rng_below(&k, 7);
        if (x >= 7) inrange = 0; else hits[x]++;
    }
    CHECK(inrange);
    for (int i = 0; i < 7; i++) CHECKF(hits[i] > 800 && hits[i] < 1200, "below(7) bin %d: %d", i, hits[i]);
    /* A shuffle is a permutation. */
    uint32_t idx[100], seen[100] = {0};
    for (uint32_t i = 0; i < 100; i++) idx[i] = i;
    sk_rng sh = sk_rng_stream(9, SK_RNG_SHUFFLE, 0);
    sk_rng_shuffle_u32(&sh, idx, 100);
    int perm = 1, moved = 0;
    for (uint32_t i = 0; i < 100; i++) { if (seen[idx[i]]++) perm = 0; moved += idx[i] != i; }
    CHECK(perm);
    CHECK(moved > 80);
}

static void test_checksums(void)
{
    char hex[65];
    sk_sha256_hex("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sk_sha256_hex("", 0, hex);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sk_sha256_hex(two, strlen(two), hex);
    CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* Streaming in odd pieces equals one shot: one million 'a'. */
    sk_sha256 s;
    sk_sha256_init(&s);
    char chunk[997];
    memset(chunk, 'a', sizeof chunk);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof chunk ? left : sizeof chunk;
        sk_sha256_update(&s, chunk, n);
        left -= n;
    }
    uint8_t d[32];
    sk_sha256_final(&s, d);
    sk_hex_encode(d, 32, hex);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    CHECK(sk_crc32(0, "123456789", 9) == 0xCBF43926u);
    CHECK(sk_fnv1a64(SK_FNV64_INIT, "a", 1) == 0xaf63dc4c8601ec8cull);
}

static void test_atomic_files(void)
{
    char *dir = sk_test_tmpdir("foundation");
    char *path = sk_path_join(dir, "sub/deeper/file.bin");
    char *sub = sk_path_join(dir, "sub/deeper");
    sk_error err;
    CHECK_OK(sk_mkdir_p(sub, &err), &err);
    CHECK_OK(sk_write_file_atomic(path, "hello", 5, &err), &err);
    uint8_t *data;
    size_t n;
    CHECK_OK(sk_read_file(path, &data, &n, 1 << 20, &err), &err);
    CHECK(n == 5 && memcmp(data, "hello", 5) == 0);
    free(data);

    /* An aborted write leaves the old content and no temp file behind. */
    sk_atomic_file af;
    CHECK_OK(sk_atomic_open(&af, path, &err), &err);
    char *tmp = sk_xstrdup(af.tmp);
    CHECK_OK(sk_atomic_write(&af, "partial", 7, &err), &err);
    sk_atomic_abort(&af);
    CHECK(!sk_file_exists(tmp));
    CHECK_OK(sk_read_file(path, &data, &n, 1 << 20, &err), &err);
    CHECK(n == 5 && memcmp(data, "hello", 5) == 0);
    free(data);
    free(tmp);

    /* Size limit and missing files are clear errors. */
    CHECK(sk_read_file(path, &data, &n, 3, &err) == SK_ELIMIT);
    CHECK(strstr(err.msg, "limit") != NULL);
    char *missing = sk_path_join(dir, "nope");
    CHECK(sk_read_file(missing, &data, &n, 100, &err) == SK_ENOTFOUND);
    CHECK(strstr(err.msg, "nope") != NULL);
    /* Writing into a directory that does not exist fails cleanly. */
    char *bad = sk_path_join(dir, "no/such/dir/x");
    CHECK(sk_write_file_atomic(bad, "x", 1, &err) == SK_EIO);
    /* mkdir over a file is an error. */
    CHECK(sk_mkdir_p(path, &err) != SK_OK);
    free(bad); free(missing); free(sub); free(path); free(dir);
}

static void test_le_fields(void)
{
    sk_buf b;
    sk_buf_init(&b);
    sk_buf_put_u8(&b, 0xab);
    sk_buf_put_u16(&b, 0x1234);
    sk_buf_put_u32(&b, 0xdeadbeef);
    sk_buf_put_u64(&b, 0x0102030405060708ull);
    sk_buf_put_i32(&b, -5);
    sk_buf_put_f32(&b, 1.5f);
    sk_buf_put_f64(&b, -2.25);
    sk_buf_put_str(&b, "GALAXY");
    float fs[3] = {0.1f, -0.0f, 3e38f};
    sk_buf_put_f32s(&b, fs, 3);
    CHECK(b.len == 1 + 2 + 4 + 8 + 4 + 4 + 8 + 4 + 6 + 12);
    CHECK(b.data[1] == 0x34 && b.data[2] == 0x12); /* little-endian on the wire */
    CHECK(b.data[3] == 0xef && b.data[6] == 0xde);

    sk_reader r;
    sk_error err;
    sk_reader_init(&r, b.data, b.len, "test.bin");
    uint8_t u8; uint16_t u16; uint32_t u32; uint64_t u64; int32_t i32; float f; double dd;
    char str[16]; float back[3];
    CHECK_OK(sk_rd_u8(&r, &u8, "u8", &err), &err);
    CHECK_OK(sk_rd_u16(&r, &u16, "u16", &err), &err);
    CHECK_OK(sk_rd_u32(&r, &u32, "u32", &err), &err);
    CHECK_OK(sk_rd_u64(&r, &u64, "u64", &err), &err);
    CHECK_OK(sk_rd_i32(&r, &i32, "i32", &err), &err);
    CHECK_OK(sk_rd_f32(&r, &f, "f32", &err), &err);
    CHECK_OK(sk_rd_f64(&r, &dd, "f64", &err), &err);
    CHECK_OK(sk_rd_str(&r, str, sizeof str, "name", &err), &err);
    CHECK_OK(sk_rd_f32s(&r, back, 3, "floats", &err), &err);
    CHECK(u8 == 0xab && u16 == 0x1234 && u32 == 0xdeadbeef && u64 == 0x0102030405060708ull);
    CHECK(i32 == -5 && f == 1.5f && dd == -2.25);
    CHECK_STR(str, "GALAXY");
    CHECK(memcmp(back, fs, sizeof fs) == 0);
    CHECK(sk_reader_left(&r) == 0);
    /* Reading past the end names the field, the offset and the file. */
    CHECK(sk_rd_u32(&r, &u32, "count", &err) == SK_EFORMAT);
    CHECK(strstr(err.msg, "test.bin") && strstr(err.msg, "'count'") && strstr(err.msg, "truncated"));
    /* A string longer than the buffer is refused. */
    sk_reader_init(&r, b.data + 35, b.len - 35, "test.bin");
    CHECK(sk_rd_str(&r, str, 4, "name", &err) == SK_EFORMAT);
    sk_buf_free(&b);
}

static void test_progress(void)
{
    /* A pipe is not a terminal: nothing is drawn. */
    FILE *fp = tmpfile();
    sk_progress p;
    sk_progress_begin(&p, "fetch", 10, fp);
    CHECK(!p.enabled);
    sk_progress_update(&p, 5);
    sk_progress_end(&p);
    CHECK(ftell(fp) == 0);
    fclose(fp);
    /* The formatted line: half done after 10 s leaves 10 s. */
    p.t_start = 100.0;
    p.total = 10;
    p.done = 5;
    char line[256];
    sk_progress_format(&p, 110.0, line, sizeof line);
    CHECKF(strstr(line, "5/10") && strstr(line, " 50.0%") && strstr(line, "ETA 0:00:10"), "%s", line);
    /* Quiet mode silences info messages but not warnings. */
    FILE *lf = tmpfile();
    sk_log_set_stream(lf);
    sk_log_set_quiet(1);
    sk_info("hidden");
    sk_warn("shown %d", 1);
    sk_log_set_quiet(0);
    sk_log_set_stream(NULL);
    rewind(lf);
    char buf[256] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, lf);
    fclose(lf);
    CHECK(n > 0 && !strstr(buf, "hidden") && strstr(buf, "warning: shown 1"));
}

int main(void)
{
    test_errors();
    test_philox_kat();
    test_rng_streams();
    test_checksums();
    test_atomic_files();
    test_le_fields();
    test_progress();
    return sk_test_finish();
}
