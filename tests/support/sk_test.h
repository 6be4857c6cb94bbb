/* sk_test.h: the tiny harness every test program uses. Checks count failures and keep going;
 * main returns sk_test_finish(), which prints "N passed, N failed" and is non-zero on any
 * failure. Tests seed their own RNG streams (SK_RNG_TEST) and never touch the network. */
#ifndef SK_TEST_H
#define SK_TEST_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include "sk_base.h"

extern int sk_test_passed, sk_test_failed;

void sk_test_report(int ok, const char *file, int line, const char *fmt, ...) SK_PRINTF(4, 5);
int sk_test_finish(void);

#define CHECK(cond) sk_test_report(!!(cond), __FILE__, __LINE__, "%s", #cond)
#define CHECKF(cond, ...) sk_test_report(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_EQ_INT(a, b)                                                                    \
    do {                                                                                      \
        long long _a = (long long)(a), _b = (long long)(b);                                   \
        sk_test_report(_a == _b, __FILE__, __LINE__, "%s == %s (%lld vs %lld)", #a, #b, _a, _b); \
    } while (0)
#define CHECK_STR(a, b)                                                                       \
    do {                                                                                      \
        const char *_a = (a), *_b = (b);                                                      \
        sk_test_report(_a && _b && strcmp(_a, _b) == 0, __FILE__, __LINE__,                  \
                       "%s == %s (\"%s\" vs \"%s\")", #a, #b, _a ? _a : "(null)",            \
                       _b ? _b : "(null)");                                                   \
    } while (0)
#define CHECK_NEAR(a, b, tol)                                                                 \
    do {                                                                                      \
        double _a = (double)(a), _b = (double)(b);                                            \
        sk_test_report(fabs(_a - _b) <= (tol), __FILE__, __LINE__, "%s ~ %s (%.9g vs %.9g, tol %g)", \
                       #a, #b, _a, _b, (double)(tol));                                        \
    } while (0)
/* A status call that must succeed; prints the error message if not. */
#define CHECK_OK(call, errp)                                                                  \
    do {                                                                                      \
        sk_status _s = (call);                                                                \
        sk_test_report(_s == SK_OK, __FILE__, __LINE__, "%s -> %s: %s", #call,                \
                       sk_status_name(_s), _s ? (errp)->msg : "");                            \
    } while (0)

/* A fresh empty directory for this test under $SK_TEST_TMP (or /tmp); malloc'ed path.
 * sk_test_finish removes it when every check passed (unless SK_TEST_KEEP is set). */
char *sk_test_tmpdir(const char *name);
/* The shared/ folder ($SHARED, else ../shared from the source tree); NULL if absent. */
const char *sk_test_shared(void);
/* Max |a-b| / max(1, max|b|) over n values. */
double sk_test_max_rel_err(const float *a, const float *b, size_t n);

#endif
