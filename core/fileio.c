/* fileio.c: atomic writes (temp + fsync + rename + directory fsync), reading, paths, LE fields. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir_of(const char *path)
{
    char *copy = sk_xstrdup(path);
    char *d = sk_xstrdup(dirname(copy));
    free(copy);
    return d;
}

static void fsync_dir(const char *path)
{
    char *d = dir_of(path);
    int fd = open(d, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd); /* best effort: some file systems refuse directory fsync */
        close(fd);
    }
    free(d);
}

sk_status sk_atomic_open(sk_atomic_file *af, const char *path, sk_error *err)
{
    memset(af, 0, sizeof *af);
    size_t n = strlen(path) + 32;
    af->tmp = sk_xmalloc(n);
    snprintf(af->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    af->fp = fopen(af->tmp, "wb");
    if (!af->fp) {
        sk_status s = sk_error_set(err, SK_EIO, "%s: cannot create temporary file %s: %s", path,
                                   af->tmp, strerror(errno));
        free(af->tmp);
        af->tmp = NULL;
        return s;
    }
    af->path = sk_xstrdup(path);
    return SK_OK;
}

sk_status sk_atomic_write(sk_atomic_file *af, const void *data, size_t n, sk_error *err)
{
    SK_ASSERT(af->fp);
    if (n && fwrite(data, 1, n, af->fp) != n)
        return sk_error_set(err, SK_EIO, "%s: write failed: %s", af->path, strerror(errno));
    return SK_OK;
}

static void atomic_release(sk_atomic_file *af)
{
    free(af->path);
    free(af->tmp);
    af->path = af->tmp = NULL;
    af->fp = NULL;
}

void sk_atomic_abort(sk_atomic_file *af)
{
    if (af->fp) fclose(af->fp);
    if (af->tmp) unlink(af->tmp);
    atomic_release(af);
}

sk_status sk_atomic_commit(sk_atomic_file *af, sk_error *err)
{
    SK_ASSERT(af->fp);
    int rc = fflush(af->fp);
    if (rc == 0) rc = fsync(fileno(af->fp));
    int e = errno;
    if (fclose(af->fp) != 0 && rc == 0) { rc = -1; e = errno; }
    af->fp = NULL;
    if (rc != 0) {
        sk_error_set(err, SK_EIO, "%s: flushing to disk failed: %s", af->path, strerror(e));
        sk_atomic_abort(af);
        return SK_EIO;
    }
    if (rename(af->tmp, af->path) != 0) {
        sk_error_set(err, SK_EIO, "%s: rename from %s failed: %s", af->path, af->tmp,
                     strerror(errno));
        sk_atomic_abort(af);
        return SK_EIO;
    }
    fsync_dir(af->path);
    atomic_release(af);
    return SK_OK;
}

sk_status sk_write_file_atomic(const char *path, const void *data, size_t n, sk_error *err)
{
    sk_atomic_file af;
    sk_status s = sk_atomic_open(&af, path, err);
    if (s) return s;
    s = sk_atomic_write(&af, data, n, err);
    if (s) {
        sk_atomic_abort(&af);
        return s;
    }
    return sk_atomic_commit(&af, err);
}

sk_status sk_read_file(const char *path, uint8_t **data, size_t *n, size_t max_bytes,
                       sk_error *err)
{
    *data = NULL;
    *n = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return sk_error_set(err, errno == ENOENT ? SK_ENOTFOUND : SK_EIO,
                                 "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return sk_error_set(err, SK_EIO, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > max_bytes) {
        fclose(fp);
        return sk_error_set(err, SK_ELIMIT, "%s: %lld bytes exceeds the limit of %zu bytes", path,
                            (long long)st.st_size, max_bytes);
    }
    size_t size = (size_t)st.st_size;
    uint8_t *buf = sk_xmalloc(size + 1);
    size_t got = fread(buf, 1, size, fp);
    int bad = ferror(fp);
    fclose(fp);
    if (bad || got != size) {
        free(buf);
        return sk_error_set(err, SK_EIO, "%s: read %zu of %zu bytes", path, got, size);
    }
    buf[size] = 0;
    *data = buf;
    *n = size;
    return SK_OK;
}

sk_status sk_mkdir_p(const char *path, sk_error *err)
{
    char *p = sk_xstrdup(path);
    size_t len = strlen(p);
    while (len > 1 && p[len - 1] == '/') p[--len] = '\0';
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            sk_status st = sk_error_set(err, SK_EIO, "%s: cannot create directory: %s", p,
                                        strerror(errno));
            free(p);
            return st;
        }
        *s = '/';
    }
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
        sk_status st = sk_error_set(err, SK_EIO, "%s: cannot create directory: %s", p,
                                    strerror(errno));
        free(p);
        return st;
    }
    int ok = sk_dir_exists(p);
    free(p);
    if (!ok) return sk_error_set(err, SK_EIO, "%s: exists and is not a directory", path);
    return SK_OK;
}

int sk_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int sk_dir_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *sk_path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    while (la > 1 && a[la - 1] == '/') la--;
    char *out = sk_xmalloc(la + lb + 2);
    memcpy(out, a, la);
    out[la] = '/';
    memcpy(out + la + 1, b, lb + 1);
    return out;
}

/* ---- sk_buf ---- */

void sk_buf_init(sk_buf *b) { b->data = NULL; b->len = b->cap = 0; }
void sk_buf_free(sk_buf *b) { free(b->data); sk_buf_init(b); }

void sk_buf_reserve(sk_buf *b, size_t extra)
{
    if (b->len + extra <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) cap *= 2;
    b->data = sk_xrealloc(b->data, cap);
    b->cap = cap;
}

void sk_buf_put_bytes(sk_buf *b, const void *p, size_t n)
{
    sk_buf_reserve(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
}

void sk_buf_put_u8(sk_buf *b, uint8_t v) { sk_buf_put_bytes(b, &v, 1); }
void sk_buf_put_u16(sk_buf *b, uint16_t v) { uint8_t t[2]; sk_le_store16(t, v); sk_buf_put_bytes(b, t, 2); }
void sk_buf_put_u32(sk_buf *b, uint32_t v) { uint8_t t[4]; sk_le_store32(t, v); sk_buf_put_bytes(b, t, 4); }
void sk_buf_put_u64(sk_buf *b, uint64_t v) { uint8_t t[8]; sk_le_store64(t, v); sk_buf_put_bytes(b, t, 8); }
void sk_buf_put_i32(sk_buf *b, int32_t v) { sk_buf_put_u32(b, (uint32_t)v); }
void sk_buf_put_i64(sk_buf *b, int64_t v) { sk_buf_put_u64(b, (uint64_t)v); }

void sk_buf_put_f32(sk_buf *b, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    sk_buf_put_u32(b, u);
}

void sk_buf_put_f64(sk_buf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    sk_buf_put_u64(b, u);
}

void sk_buf_printf(sk_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    SK_ASSERT(n >= 0);
    sk_buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sk_buf_put_str(sk_buf *b, const char *s)
{
    size_t n = strlen(s);
    SK_ASSERT(n <= UINT32_MAX);
    sk_buf_put_u32(b, (uint32_t)n);
    sk_buf_put_bytes(b, s, n);
}

void sk_buf_put_f32s(sk_buf *b, const float *v, size_t n)
{
    sk_buf_reserve(b, 4 * n);
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        sk_le_store32(b->data + b->len + 4 * i, u);
    }
    b->len += 4 * n;
}

/* ---- sk_reader ---- */

void sk_reader_init(sk_reader *r, const void *p, size_t len, const char *what)
{
    r->p = p;
    r->len = len;
    r->pos = 0;
    r->what = what ? what : "input";
}

size_t sk_reader_left(const sk_reader *r) { return r->len - r->pos; }

static sk_status need(sk_reader *r, size_t n, const char *field, sk_error *err)
{
    if (n > r->len - r->pos)
        return sk_error_set(err, SK_EFORMAT,
                            "%s: truncated: field '%s' needs %zu bytes at offset %zu, only %zu left",
                            r->what, field, n, r->pos, r->len - r->pos);
    return SK_OK;
}

sk_status sk_rd_view(sk_reader *r, const uint8_t **out, size_t n, const char *field, sk_error *err)
{
    sk_status s = need(r, n, field, err);
    if (s) return s;
    *out = r->p + r->pos;
    r->pos += n;
    return SK_OK;
}

sk_status sk_rd_bytes(sk_reader *r, void *out, size_t n, const char *field, sk_error *err)
{
    const uint8_t *v;
    sk_status s = sk_rd_view(r, &v, n, field, err);
    if (s) return s;
    if (n) memcpy(out, v, n);
    return SK_OK;
}

sk_status sk_rd_u8(sk_reader *r, uint8_t *v, const char *field, sk_error *err)
{
    return sk_rd_bytes(r, v, 1, field, err);
}

#define RD_INT(name, type, bytes, load)                                              \
    sk_status name(sk_reader *r, type *v, const char *field, sk_error *err)          \
    {                                                                                \
        const uint8_t *p;                                                            \
        sk_status s = sk_rd_view(r, &p, bytes, field, err);                          \
        if (s) return s;                                                             \
        *v = (type)load(p);                                                          \
        return SK_OK;                                                                \
    }
RD_INT(sk_rd_u16, uint16_t, 2, sk_le_load16)
RD_INT(sk_rd_u32, uint32_t, 4, sk_le_load32)
RD_INT(sk_rd_u64, uint64_t, 8, sk_le_load64)
RD_INT(sk_rd_i32, int32_t, 4, sk_le_load32)
RD_INT(sk_rd_i64, int64_t, 8, sk_le_load64)
#undef RD_INT

sk_status sk_rd_f32(sk_reader *r, float *v, const char *field, sk_error *err)
{
    uint32_t u;
    sk_status s = sk_rd_u32(r, &u, field, err);
    if (s) return s;
    memcpy(v, &u, 4);
    return SK_OK;
}

sk_status sk_rd_f64(sk_reader *r, double *v, const char *field, sk_error *err)
{
    uint64_t u;
    sk_status s = sk_rd_u64(r, &u, field, err);
    if (s) return s;
    memcpy(v, &u, 8);
    return SK_OK;
}

sk_status sk_rd_str(sk_reader *r, char *buf, size_t cap, const char *field, sk_error *err)
{
    uint32_t n;
    sk_status s = sk_rd_u32(r, &n, field, err);
    if (s) return s;
    if ((size_t)n + 1 > cap)
        return sk_error_set(err, SK_EFORMAT, "%s: field '%s' is %u bytes long, at most %zu allowed",
                            r->what, field, n, cap - 1);
    s = sk_rd_bytes(r, buf, n, field, err);
    if (s) return s;
    buf[n] = '\0';
    if (memchr(buf, '\0', n))
        return sk_error_set(err, SK_EFORMAT, "%s: field '%s' contains a NUL byte", r->what, field);
    return SK_OK;
}

sk_status sk_rd_f32s(sk_reader *r, float *v, size_t n, const char *field, sk_error *err)
{
    const uint8_t *p;
    if (n > SIZE_MAX / 4) return sk_error_set(err, SK_EFORMAT, "%s: field '%s' too large", r->what, field);
    sk_status s = sk_rd_view(r, &p, 4 * n, field, err);
    if (s) return s;
    for (size_t i = 0; i < n; i++) {
        uint32_t u = sk_le_load32(p + 4 * i);
        memcpy(&v[i], &u, 4);
    }
    return SK_OK;
}
