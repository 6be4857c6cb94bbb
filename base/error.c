/* error.c: sk_status names, sk_error formatting, assertion failure and checked allocation. */
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[SK_STATUS_COUNT] = {
    [SK_OK] = "ok",           [SK_EIO] = "io",
    [SK_EFORMAT] = "format",  [SK_EVERSION] = "version",
    [SK_ECHECKSUM] = "checksum", [SK_EINVAL] = "invalid",
    [SK_ENOTFOUND] = "not-found", [SK_ENET] = "network",
    [SK_EHTTP] = "http",      [SK_ENUMERIC] = "numeric",
    [SK_EUNSUPPORTED] = "unsupported", [SK_EINTERRUPTED] = "interrupted",
    [SK_ELIMIT] = "limit",
};
_Static_assert(SK_ARRAY_LEN(status_names) == SK_STATUS_COUNT, "status name table");

const char *sk_status_name(sk_status s)
{
    if ((int)s < 0 || s >= SK_STATUS_COUNT || !status_names[s]) return "unknown";
    return status_names[s];
}

sk_status sk_error_set(sk_error *err, sk_status code, const char *fmt, ...)
{
    if (!err) return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

sk_status sk_error_prefix(sk_error *err, const char *fmt, ...)
{
    if (!err) return SK_OK;
    char prefix[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char old[sizeof err->msg];
    memcpy(old, err->msg, sizeof old);
    size_t np = strlen(prefix);
    if (np >= sizeof err->msg) np = sizeof err->msg - 1;
    memcpy(err->msg, prefix, np);
    size_t room = sizeof err->msg - 1 - np, no = strlen(old);
    if (no > room) no = room;
    memcpy(err->msg + np, old, no);
    err->msg[np + no] = '\0';
    return err->code;
}

void sk_error_clear(sk_error *err)
{
    if (!err) return;
    err->code = SK_OK;
    err->msg[0] = '\0';
}

void sk_assert_fail(const char *file, int line, const char *expr, const char *msg)
{
    fprintf(stderr, "%s:%d: assertion failed: %s%s%s\n", file, line, expr,
            msg ? ": " : "", msg ? msg : "");
    fflush(stderr);
    abort();
}

static _Noreturn void oom(size_t n)
{
    fprintf(stderr, "skytune: out of memory allocating %zu bytes\n", n);
    fflush(stderr);
    abort();
}

void *sk_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *sk_xcalloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) oom(SIZE_MAX);
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) oom(count * size);
    return p;
}

void *sk_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *sk_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = sk_xmalloc(n);
    memcpy(p, s, n);
    return p;
}

void *sk_xmalloc_aligned(size_t n)
{
    void *p = NULL;
    size_t rounded = (n + 63) & ~(size_t)63;
    if (posix_memalign(&p, 64, rounded ? rounded : 64) != 0) oom(n);
    return p;
}

void sk_snprintf(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    SK_ASSERT_MSG(n >= 0 && (size_t)n < cap, "formatted string truncated");
}
