// LABELS: unit
/* test_weights_md5.c: MD5 known answers (RFC 1321 appendix A.5), streaming in odd pieces equals
 * one shot, and the md5/sha256 file check used to verify Keras weight files. */
#include "sk_base.h"
#include "sk_test.h"
#include "sk_arch.h"

#include <stdlib.h>
#include <string.h>

static void test_rfc1321(void)
{
    static const struct { const char *in, *md5; } kat[] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"a", "0cc175b9c0f1b6a831c399e269772661"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
         "d174ab98d277d9f5a5611c2c9f419d9f"},
        {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"},
    };
    for (size_t i = 0; i < SK_ARRAY_LEN(kat); i++) {
        char hex[33];
        sk_md5_hex(kat[i].in, strlen(kat[i].in), hex);
        CHECKF(strcmp(hex, kat[i].md5) == 0, "md5(\"%s\") = %s, expected %s", kat[i].in, hex, kat[i].md5);
    }
}

/* Lengths around the 55/56/64-byte padding edges, fed in uneven pieces. */
static void test_streaming(void)
{
    uint8_t buf[1000];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 131u + 7u);
    static const size_t lens[] = {55, 56, 57, 63, 64, 65, 119, 120, 128, 1000};
    for (size_t li = 0; li < SK_ARRAY_LEN(lens); li++) {
        size_t n = lens[li];
        char one[33], two[33];
        sk_md5_hex(buf, n, one);
        sk_md5 m;
        sk_md5_init(&m);
        size_t pos = 0, step = 1;
        while (pos < n) {
            size_t take = step < n - pos ? step : n - pos;
            sk_md5_update(&m, buf + pos, take);
            pos += take;
            step = step * 3 + 1;
        }
        uint8_t d[16];
        sk_md5_final(&m, d);
        sk_hex_encode(d, 16, two);
        CHECKF(strcmp(one, two) == 0, "len %zu: streamed %s vs one-shot %s", n, two, one);
    }
    /* A million 'a' (the classic long vector). */
    sk_md5 m;
    sk_md5_init(&m);
    memset(buf, 'a', sizeof buf);
    for (int i = 0; i < 1000; i++) sk_md5_update(&m, buf, 1000);
    uint8_t d[16];
    char hex[33];
    sk_md5_final(&m, d);
    sk_hex_encode(d, 16, hex);
    CHECK_STR(hex, "7707d6ae4e027c70eea2a935c2296f21");
}

static void test_file_check(void)
{
    char *dir = sk_test_tmpdir("weights_md5");
    char *p = sk_path_join(dir, "abc.bin");
    sk_error err;
    CHECK_OK(sk_write_file_atomic(p, "abc", 3, &err), &err);
    char hex[33];
    CHECK_OK(sk_md5_file(p, hex, &err), &err);
    CHECK_STR(hex, "900150983cd24fb0d6963f7d28e17f72");
    CHECK_OK(sk_file_hash_check(p, "900150983cd24fb0d6963f7d28e17f72", &err), &err);
    CHECK_OK(sk_file_hash_check(p, "900150983CD24FB0D6963F7D28E17F72", &err), &err);
    CHECK_OK(sk_file_hash_check(p, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                                &err), &err);
    sk_status s = sk_file_hash_check(p, "900150983cd24fb0d6963f7d28e17f73", &err);
    CHECK(s == SK_ECHECKSUM);
    CHECKF(strstr(err.msg, "md5 expected 900150983cd24fb0d6963f7d28e17f73, found 900150983cd24fb0d6963f7d28e17f72") != NULL,
           "message: %s", err.msg);
    s = sk_file_hash_check(p, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ae", &err);
    CHECK(s == SK_ECHECKSUM && strstr(err.msg, "sha256") != NULL);
    CHECK(sk_file_hash_check(p, "1234", &err) == SK_EINVAL);
    char *nope = sk_path_join(dir, "nope.bin");
    CHECK(sk_md5_file(nope, hex, &err) == SK_ENOTFOUND && strstr(err.msg, "nope.bin") != NULL);
    free(nope);
    free(p);
    free(dir);
}

int main(void)
{
    test_rfc1321();
    test_streaming();
    test_file_check();
    return sk_test_finish();
}
