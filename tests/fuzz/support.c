/* support.c: the harnesses' temporary folder and small helpers (see fuzz.h). */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sk_base.h"

static char g_dir[4096];

static void remove_dir(void)
{
    sk_error err;
    if (g_dir[0] && sk_remove_tree(g_dir, &err)) fprintf(stderr, "fuzz: %s\n", err.msg);
}

const char *sk_fuzz_dir(void)
{
    if (!g_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(g_dir, sizeof g_dir, "%s/skfuzz.XXXXXX", t && *t ? t : "/tmp");
        SK_ASSERT_MSG(mkdtemp(g_dir) != NULL, "cannot create the fuzz temporary folder");
        atexit(remove_dir);
    }
    return g_dir;
}

char *sk_fuzz_file(const char *name, const void *data, size_t n)
{
    char *p = sk_path_join(sk_fuzz_dir(), name);
    FILE *fp = fopen(p, "wb");
    SK_ASSERT_MSG(fp && (n == 0 || fwrite(data, 1, n, fp) == n) && fclose(fp) == 0,
                  "cannot write a fuzz input file");
    return p;
}

void sk_fuzz_quiet(void)
{
    static int done;
    if (!done) sk_log_set_level(SK_LOG_SILENT);
    done = 1;
}

char *sk_fuzz_text(const uint8_t *data, size_t n)
{
    char *t = sk_xmalloc(n + 1);
    if (n) memcpy(t, data, n);
    t[n] = '\0';
    return t;
}
