/* record_io.c: the file side of the result records (see record.h): JSON files read and written
 * whole, the DONE marker, the walk that finds cell directories below a results root, the
 * platform fingerprint and UTC stamps. */
#include "record.h"
#include "sk_base.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_JSON_BYTES (64u << 20)
#define MAX_DEPTH 32

void sk_utc_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void sk_platform_fingerprint(char out[17])
{
    sk_buildinfo bi;
    sk_buildinfo_get(&bi);
    char text[2048];
    snprintf(text, sizeof text, "%s|%s|%s|%s|%s|%s|%d|%s", bi.compiler, bi.flags, bi.blas,
             bi.blas_config, bi.blas_core, bi.openblas_coretype_env, bi.omp_max_threads,
             bi.cpu_model);
    char hex[65];
    sk_sha256_hex(text, strlen(text), hex);
    memcpy(out, hex, 16);
    out[16] = '\0';
}

sk_status sk_json_write_file(const char *path, const cJSON *root, sk_error *err)
{
    char *text = cJSON_Print(root);
    SK_ASSERT(text);
    size_t n = strlen(text);
    text = sk_xrealloc(text, n + 2);
    text[n] = '\n';
    text[n + 1] = '\0';
    sk_status s = sk_write_file_atomic(path, text, n + 1, err);
    free(text);
    return s;
}

/* True when text ends inside a string or an open object/array: a cut-off file. */
static int looks_truncated(const char *text, size_t n)
{
    int depth = 0, in_str = 0, esc = 0;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (in_str) {
            if (esc) esc = 0;
            else if (c == '\\') esc = 1;
            else if (c == '"') in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return in_str || depth > 0;
}

cJSON *sk_json_parse(const char *text, size_t n, const char *file, int lineno, sk_error *err)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, n, &end, 0);
    if (j) return j;
    size_t off = end && end >= text ? (size_t)(end - text) : 0;
    int line = 1, col = 1;
    for (size_t i = 0; i < off && i < n; i++) {
        if (text[i] == '\n') line++, col = 1;
        else col++;
    }
    if (lineno > 0) line = lineno;
    if (off + 1 >= n || looks_truncated(text, n))
        sk_error_set(err, SK_EFORMAT, "%s:%d: invalid JSON: unexpected end of text (truncated file?)", file, line);
    else
        sk_error_set(err, SK_EFORMAT, "%s:%d:%d: invalid JSON near '%.20s'", file, line, col, text + off);
    return NULL;
}

sk_status sk_json_read_file(const char *path, cJSON **out, sk_error *err)
{
    *out = NULL;
    uint8_t *data = NULL;
    size_t n = 0;
    sk_status st = sk_read_file(path, &data, &n, MAX_JSON_BYTES, err);
    if (st) return st;
    *out = sk_json_parse((const char *)data, n, path, 0, err);
    free(data);
    return *out ? SK_OK : err->code;
}

sk_status sk_record_mark_done(const char *dir, sk_error *err)
{
    char *path = sk_path_join(dir, "DONE");
    char stamp[40];
    sk_utc_now(stamp);
    size_t n = strlen(stamp);
    stamp[n] = '\n';
    sk_status s = sk_write_file_atomic(path, stamp, n + 1, err);
    free(path);
    return s;
}

int sk_record_is_done(const char *dir)
{
    char *path = sk_path_join(dir, "DONE");
    int done = sk_file_exists(path);
    free(path);
    return done;
}

static int has_file(const char *dir, const char *name)
{
    char *path = sk_path_join(dir, name);
    int yes = sk_file_exists(path);
    free(path);
    return yes;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct {
    sk_status (*visit)(void *ctx, const char *dir, sk_cell_state state, sk_error *err);
    void *ctx;
} walker;

static sk_status walk(const walker *w, const char *dir, int depth, sk_error *err)
{
    if (depth > MAX_DEPTH)
        return sk_error_set(err, SK_ELIMIT, "%s: directories nested deeper than %d below the results root", dir, MAX_DEPTH);
    if (has_file(dir, "FAILED")) return w->visit(w->ctx, dir, SK_CELL_FAILED, err);
    char *rj = sk_path_join(dir, "run.json");
    int is_cell = sk_path_exists(rj); /* a FIFO run.json is refused when read, not skipped */
    free(rj);
    if (is_cell)
        return w->visit(w->ctx, dir, sk_record_is_done(dir) ? SK_CELL_DONE : SK_CELL_INCOMPLETE, err);
    DIR *d = opendir(dir);
    if (!d) return sk_error_set(err, SK_EIO, "%s: cannot open directory", dir);
    char **names = NULL;
    int nn = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (nn == cap) {
            cap = cap ? 2 * cap : 32;
            names = sk_xrealloc(names, (size_t)cap * sizeof *names);
        }
        names[nn++] = sk_xstrdup(e->d_name);
    }
    closedir(d);
    if (nn) qsort(names, (size_t)nn, sizeof *names, cmp_str);
    sk_status st = SK_OK;
    for (int i = 0; i < nn; i++) {
        char *sub = sk_path_join(dir, names[i]);
        struct stat sb;
        if (!st && stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode)) st = walk(w, sub, depth + 1, err);
        free(sub);
        free(names[i]);
    }
    free(names);
    return st;
}

sk_status sk_record_walk(const char *root,
                         sk_status (*visit)(void *ctx, const char *dir, sk_cell_state state,
                                            sk_error *err),
                         void *ctx, sk_error *err)
{
    walker w = {visit, ctx};
    return walk(&w, root, 0, err);
}
