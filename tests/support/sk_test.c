/* sk_test.c: the test harness. */
#include "sk_test.h"
#include "sk_base.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sk_test_passed, sk_test_failed;

void sk_test_report(int ok, const char *file, int line, const char *fmt, ...)
{
    if (ok) {
        sk_test_passed++;
        return;
    }
    sk_test_failed++;
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The directories sk_test_tmpdir made: removed by sk_test_finish when every check passed (and
 * SK_TEST_KEEP is unset), kept for a look when one failed. */
static char *tmpdirs[16];
static int ntmpdirs;

static void remove_tree(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", dir);
}

int sk_test_finish(void)
{
    printf("%d passed, %d failed\n", sk_test_passed, sk_test_failed);
    const char *keep = getenv("SK_TEST_KEEP");
    for (int i = 0; i < ntmpdirs; i++) {
        if (!sk_test_failed && !(keep && *keep)) remove_tree(tmpdirs[i]);
        else fprintf(stderr, "kept %s\n", tmpdirs[i]);
        free(tmpdirs[i]);
    }
    ntmpdirs = 0;
    return sk_test_failed ? 1 : 0;
}

char *sk_test_tmpdir(const char *name)
{
    const char *base = getenv("SK_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    size_t n = strlen(base) + strlen(name) + 64;
    char *dir = sk_xmalloc(n);
    snprintf(dir, n, "%s/%s.%ld", base, name, (long)getpid());
    remove_tree(dir);
    if (ntmpdirs < (int)SK_ARRAY_LEN(tmpdirs)) tmpdirs[ntmpdirs++] = sk_xstrdup(dir);
    sk_error err;
    if (sk_mkdir_p(dir, &err) != SK_OK) {
        fprintf(stderr, "cannot create test directory: %s\n", err.msg);
        abort();
    }
    return dir;
}

const char *sk_test_shared(void)
{
    static char path[4096];
    const char *env = getenv("SHARED");
    if (env && sk_dir_exists(env)) return env;
    const char *src = getenv("SRC");
    if (src) {
        snprintf(path, sizeof path, "%s/../shared", src);
        if (sk_dir_exists(path)) return path;
    }
    return NULL;
}

double sk_test_max_rel_err(const float *a, const float *b, size_t n)
{
    double scale = 1.0, worst = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs((double)b[i]) > scale) scale = fabs((double)b[i]);
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (isnan(d)) return INFINITY;
        if (d > worst) worst = d;
    }
    return worst / scale;
}
