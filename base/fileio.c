/* fileio.c: atomic writes (temp + fsync + rename + directory fsync), non-blocking reads of
 * regular files only, symlink-safe folders, stale temp cleanup, paths, LE fields. */
#include "fileio.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

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
    sk_fsync_dir(d);
    free(d);
}

sk_status sk_atomic_open(sk_atomic_file *af, const char *path, sk_error *err)
{
    memset(af, 0, sizeof *af);
    size_t n = strlen(path) + 32;
    af->tmp = sk_xmalloc(n);
    snprintf(af->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    /* O_NOFOLLOW: a symbolic link planted under the temp name is refused, not written through */
    int fd = open(af->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    af->fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!af->fp) {
        sk_status s = sk_error_set(err, SK_EIO, "%s: cannot create temporary file %s: %s", path,
                                   af->tmp, strerror(errno));
        if (fd >= 0) close(fd);
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

sk_status sk_atomic_seek(sk_atomic_file *af, uint64_t off, sk_error *err)
{
    SK_ASSERT(af->fp);
    if (off > (uint64_t)INT64_MAX || fseeko(af->fp, (off_t)off, SEEK_SET) != 0)
        return sk_error_set(err, SK_EIO, "%s: seek to byte %llu failed: %s", af->path,
                            (unsigned long long)off, strerror(errno));
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
    sk_test_kill_point(af->path);
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

void sk_test_kill_point(const char *what)
{
    static int hits; /* a test hook: one process, one counter */
    const char *spec = getenv("SKYTUNE_TEST_KILL_AT");
    if (!spec || !*spec || !what) return;
    char text[256];
    snprintf(text, sizeof text, "%s", spec);
    int n = 1;
    char *colon = strrchr(text, ':');
    if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
        n = atoi(colon + 1);
        *colon = '\0';
    }
    if (!strstr(what, text) || ++hits < n) return;
    fprintf(stderr, "SKYTUNE_TEST_KILL_AT=%s: killing this process at %s\n", spec, what);
    fflush(stderr);
    raise(SIGKILL);
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

const char *sk_file_kind(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return "a regular file";
    case S_IFDIR: return "a directory";
    case S_IFIFO: return "a FIFO (named pipe)";
    case S_IFSOCK: return "a socket";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFLNK: return "a symbolic link";
    default: return "an unknown kind of file";
    }
}

static sk_status not_regular(const char *path, unsigned mode, sk_error *err)
{
    return sk_error_set(err, SK_EIO, "%s: is %s, expected a regular file", path, sk_file_kind(mode));
}

sk_status sk_open_regular(const char *path, int *fdp, uint64_t *size, sk_error *err)
{
    *fdp = -1;
    /* O_NONBLOCK: opening a FIFO with no writer (or a device) must not wait */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return sk_error_set(err, errno == ENOENT ? SK_ENOTFOUND : SK_EIO, "%s: cannot open: %s", path,
                            strerror(errno));
    struct stat st;
    sk_status s = SK_OK;
    int fl;
    if (fstat(fd, &st) != 0)
        s = sk_error_set(err, SK_EIO, "%s: cannot stat: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        s = not_regular(path, (unsigned)st.st_mode, err);
    else if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0)
        s = sk_error_set(err, SK_EIO, "%s: fcntl: %s", path, strerror(errno));
    if (s) {
        close(fd);
        return s;
    }
    if (size) *size = (uint64_t)st.st_size;
    *fdp = fd;
    return SK_OK;
}

FILE *sk_fopen_regular(const char *path, sk_error *err)
{
    int fd;
    if (sk_open_regular(path, &fd, NULL, err)) return NULL;
    FILE *fp = fdopen(fd, "rb");
    if (!fp) {
        sk_error_set(err, SK_EIO, "%s: fdopen: %s", path, strerror(errno));
        close(fd);
    }
    return fp;
}

sk_status sk_check_regular(const char *path, sk_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return sk_error_set(err, errno == ENOENT ? SK_ENOTFOUND : SK_EIO, "%s: %s", path,
                            errno == ENOENT ? "no such file" : strerror(errno));
    if (!S_ISREG(st.st_mode)) return not_regular(path, (unsigned)st.st_mode, err);
    return SK_OK;
}

sk_status sk_check_dir(const char *path, sk_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return sk_error_set(err, errno == ENOENT ? SK_ENOTFOUND : SK_EIO, "%s: %s", path,
                            errno == ENOENT ? "no such folder" : strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return sk_error_set(err, SK_EIO, "%s: is %s, expected a directory", path,
                            sk_file_kind((unsigned)st.st_mode));
    return SK_OK;
}

sk_status sk_read_file(const char *path, uint8_t **data, size_t *n, size_t max_bytes,
                       sk_error *err)
{
    *data = NULL;
    *n = 0;
    uint64_t fsize = 0;
    int fd;
    sk_status s = sk_open_regular(path, &fd, &fsize, err);
    if (s) return s;
    if (fsize > max_bytes) {
        close(fd);
        return sk_error_set(err, SK_ELIMIT, "%s: %llu bytes exceeds the limit of %zu bytes", path,
                            (unsigned long long)fsize, max_bytes);
    }
    size_t size = (size_t)fsize, got = 0;
    uint8_t *buf = sk_xmalloc(size + 1);
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (got != size) {
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

sk_status sk_mkdir_in(const char *root, const char *name, sk_error *err)
{
    SK_ASSERT(name[0] && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, ".."));
    int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return sk_error_set(err, SK_EIO, "%s: cannot open the folder: %s", root, strerror(errno));
    sk_status s = SK_OK;
    if (mkdirat(dfd, name, 0777) != 0 && errno != EEXIST)
        s = sk_error_set(err, SK_EIO, "%s/%s: cannot create directory: %s", root, name, strerror(errno));
    struct stat st;
    if (!s && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        s = sk_error_set(err, SK_EIO, "%s/%s: cannot stat: %s", root, name, strerror(errno));
    if (!s && S_ISLNK(st.st_mode)) {
        char target[512];
        ssize_t tl = readlinkat(dfd, name, target, sizeof target - 1);
        target[tl > 0 ? tl : 0] = '\0';
        s = sk_error_set(err, SK_EIO, "%s/%s: is a symbolic link (to %s); refusing to write through "
                         "it out of %s", root, name, target, root);
    } else if (!s && !S_ISDIR(st.st_mode)) {
        s = sk_error_set(err, SK_EIO, "%s/%s: is %s, expected a directory", root, name,
                         sk_file_kind((unsigned)st.st_mode));
    }
    close(dfd);
    return s;
}

/* Removes name inside the directory dfd, depth-first, never following a symbolic link. */
static int remove_at(int dfd, const char *name, int depth)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode)) return unlinkat(dfd, name, 0);
    if (depth > 64) { errno = ELOOP; return -1; }
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0) close(fd);
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) rc = remove_at(fd, e->d_name, depth + 1);
    closedir(d);
    return rc ? rc : unlinkat(dfd, name, AT_REMOVEDIR);
}

sk_status sk_remove_tree(const char *path, sk_error *err)
{
    if (remove_at(AT_FDCWD, path, 0) != 0)
        return sk_error_set(err, SK_EIO, "%s: cannot remove: %s", path, strerror(errno));
    return SK_OK;
}

void sk_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int sk_path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
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

/* pid of a "*.tmp.<pid>" name, or 0 when the name is not one. */
static long tmp_pid(const char *name)
{
    const char *t = NULL;
    for (const char *q = strstr(name, ".tmp."); q; q = strstr(q + 1, ".tmp.")) t = q;
    if (!t || !isdigit((unsigned char)t[5])) return 0;
    char *end;
    errno = 0;
    long pid = strtol(t + 5, &end, 10);
    return (*end || errno || pid <= 0) ? 0 : pid;
}

static int process_gone(long pid)
{
    return pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

int sk_tmp_clean_stale(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t pl = prefix ? strlen(prefix) : 0;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (pl && strncmp(e->d_name, prefix, pl) != 0) continue;
        long pid = tmp_pid(e->d_name);
        if (!pid || !process_gone(pid)) continue;
        char *p = strcmp(dir, ".") ? sk_path_join(dir, e->d_name) : sk_xstrdup(e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && !S_ISDIR(st.st_mode) && unlink(p) == 0) {
            sk_warn("removed stale temporary file %s (%lld bytes) left by process %ld, which no "
                    "longer runs", p, (long long)st.st_size, pid);
            removed++;
        }
        free(p);
    }
    closedir(d);
    return removed;
}

int sk_tmp_clean_stale_for(const char *path)
{
    char *d = dir_of(path);
    char *copy = sk_xstrdup(path);
    const char *base = basename(copy);
    size_t n = strlen(base) + 8;
    char *prefix = sk_xmalloc(n);
    snprintf(prefix, n, "%s.tmp.", base);
    int removed = sk_tmp_clean_stale(d, prefix);
    free(prefix);
    free(copy);
    free(d);
    return removed;
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

void sk_buf_put_f32_text(sk_buf *b, float v)
{
    char s[48];
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, (double)v);
        if (strtof(s, NULL) == v) break;
    }
    sk_buf_printf(b, "%s", s);
}

void sk_buf_put_f64_text(sk_buf *b, double v)
{
    char s[48];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, v);
        if (strtod(s, NULL) == v) break;
    }
    sk_buf_printf(b, "%s", s);
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
