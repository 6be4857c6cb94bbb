/* error.h: the status/error type, assertions and checked allocation every module uses.
 *
 * Three kinds of failure, never mixed: a broken invariant -> SK_ASSERT (never compiled out,
 * prints file:line, aborts); out of memory -> sk_xmalloc aborts naming the size; anything the
 * outside world can cause -> an sk_status return with a message in an sk_error that names the
 * thing, the expected and the found value. Library code never calls exit(). */
#ifndef SK_ERROR_H
#define SK_ERROR_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#define SK_WUR __attribute__((warn_unused_result))
#define SK_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define SK_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

typedef enum {
    SK_OK = 0,
    SK_EIO,          /* a file or directory could not be read or written */
    SK_EFORMAT,      /* malformed content: bad magic, bad field, unparsable text */
    SK_EVERSION,     /* a format version this build does not read */
    SK_ECHECKSUM,    /* content does not match its checksum */
    SK_EINVAL,       /* a bad argument or configuration value */
    SK_ENOTFOUND,    /* a named thing (file, layer, tensor, class) does not exist */
    SK_ENET,         /* network failure: connect, timeout, reset */
    SK_EHTTP,        /* an HTTP status or body that is not what was asked for */
    SK_ENUMERIC,     /* NaN or Inf where a finite number is required */
    SK_EUNSUPPORTED, /* valid input this build cannot handle */
    SK_EINTERRUPTED, /* stopped by a signal or a user request */
    SK_ELIMIT,       /* input exceeds a safety limit (size, dimensions, count) */
    SK_STATUS_COUNT
} sk_status;

/* The error filled by every status-returning function. msg names what went wrong. */
typedef struct {
    sk_status code;
    char msg[1024];
} sk_error;

/* Short stable name of a status ("io", "format", ...). Never NULL. */
const char *sk_status_name(sk_status s);

/* Sets err (if not NULL) to code and a printf-formatted message; returns code so callers can
 * write `return sk_error_set(err, SK_EIO, "...")`. */
sk_status sk_error_set(sk_error *err, sk_status code, const char *fmt, ...) SK_PRINTF(3, 4);

/* Prepends context ("reading data.skds: ") to an error already set; returns err->code. */
sk_status sk_error_prefix(sk_error *err, const char *fmt, ...) SK_PRINTF(2, 3);

/* Clears err to SK_OK with an empty message. */
void sk_error_clear(sk_error *err);

/* Prints "file:line: assertion failed: expr" (and an optional message) and aborts. */
_Noreturn void sk_assert_fail(const char *file, int line, const char *expr, const char *msg);

#define SK_ASSERT(cond) \
    do { if (!(cond)) sk_assert_fail(__FILE__, __LINE__, #cond, NULL); } while (0)
#define SK_ASSERT_MSG(cond, msg) \
    do { if (!(cond)) sk_assert_fail(__FILE__, __LINE__, #cond, (msg)); } while (0)

/* Allocation that aborts with the requested size on failure; never returns NULL
 * (sk_xmalloc(0) returns a unique pointer). Free with free(). */
void *sk_xmalloc(size_t n);
void *sk_xcalloc(size_t count, size_t size);
void *sk_xrealloc(void *p, size_t n);
char *sk_xstrdup(const char *s);
/* 64-byte aligned allocation for tensors and slabs; free with free(). */
void *sk_xmalloc_aligned(size_t n);
/* snprintf into a fixed buffer that asserts nothing was cut off. */
void sk_snprintf(char *buf, size_t cap, const char *fmt, ...) SK_PRINTF(3, 4);

#endif
