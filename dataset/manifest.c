/* manifest.c: the manifest.tsv reader and writer (see manifest.h).
 *
 * One column table says how every field is checked; the parser and sk_manifest_add share the
 * same row check, so whatever is written can be read back. Rows are kept as text (one
 * allocation per row, fields NUL-separated), parsed on access. */
#include "manifest.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sk_base.h"
#include "skds.h"

#define MAX_BYTES ((size_t)1 << 30)
#define MAX_FIELD 4096

typedef enum { K_U64, K_INT, K_REAL, K_COORD, K_TEXT, K_CLASS, K_FILE, K_SHA256, K_SPLIT } kind;

static const struct {
    const char *name;
    kind k;
    double lo, hi; /* K_INT, K_REAL: inclusive range; K_COORD: [lo, hi) when hi_open */
    int hi_open;
} COLS[SK_MF_NCOLS] = {
    [SK_MF_OBJID] = {"objid", K_U64, 0, 0, 0},
    [SK_MF_CLASS] = {"class", K_CLASS, 0, 0, 0},
    [SK_MF_FILE] = {"file", K_FILE, 0, 0, 0},
    [SK_MF_RA] = {"ra", K_COORD, 0, 360, 1},
    [SK_MF_DEC] = {"dec", K_COORD, -90, 90, 0},
    [SK_MF_URL] = {"url", K_TEXT, 0, 0, 0},
    [SK_MF_BYTES] = {"bytes", K_U64, 0, 0, 0},
    [SK_MF_SHA256] = {"sha256", K_SHA256, 0, 0, 0},
    [SK_MF_HTTP_STATUS] = {"http_status", K_INT, 0, 999, 0},
    [SK_MF_ATTEMPTS] = {"attempts", K_INT, 0, 1e6, 0},
    [SK_MF_FIELD] = {"field", K_TEXT, 0, 0, 0},
    [SK_MF_COVERAGE] = {"coverage", K_REAL, 0, 1, 0},
    [SK_MF_R] = {"r", K_REAL, -100, 100, 0},
    [SK_MF_G_R] = {"g_r", K_REAL, -100, 100, 0},
    [SK_MF_R_I] = {"r_i", K_REAL, -100, 100, 0},
    [SK_MF_SERSIC_N] = {"sersic_n", K_REAL, 0, 100, 0},
    [SK_MF_RE_ARCSEC] = {"re_arcsec", K_REAL, 0, 3600, 0},
    [SK_MF_AXIS_RATIO] = {"axis_ratio", K_REAL, 0, 1, 0},
    [SK_MF_PA_DEG] = {"pa_deg", K_REAL, -360, 360, 0},
    [SK_MF_SEEING_FWHM] = {"seeing_fwhm", K_REAL, 0, 100, 0},
    [SK_MF_NEIGHBOURS] = {"neighbours", K_INT, 0, 1000, 0},
    [SK_MF_INDEX] = {"index", K_U64, 0, 0, 0},
    [SK_MF_LABEL] = {"label", K_INT, 0, SK_SKDS_MAX_CLASSES - 1, 0},
    [SK_MF_SPLIT] = {"split", K_SPLIT, 0, 0, 0},
};

const char *sk_manifest_col_name(sk_manifest_col c)
{
    SK_ASSERT(c >= 0 && c < SK_MF_NCOLS);
    return COLS[c].name;
}

void sk_manifest_init(sk_manifest *m, const sk_manifest_col *cols, int ncols)
{
    memset(m, 0, sizeof *m);
    for (int c = 0; c < SK_MF_NCOLS; c++) m->pos[c] = -1;
    SK_ASSERT(ncols > 0 && ncols <= SK_MF_NCOLS);
    for (int k = 0; k < ncols; k++) {
        SK_ASSERT(cols[k] >= 0 && cols[k] < SK_MF_NCOLS && m->pos[cols[k]] < 0);
        m->cols[k] = cols[k];
        m->pos[cols[k]] = k;
    }
    m->ncols = ncols;
    m->sorted = 1; /* no rows yet */
    SK_ASSERT(m->pos[SK_MF_OBJID] >= 0 && m->pos[SK_MF_CLASS] >= 0 && m->pos[SK_MF_FILE] >= 0);
}

void sk_manifest_free(sk_manifest *m)
{
    for (size_t i = 0; i < m->nrows; i++) free(m->row[i]);
    free(m->row);
    free(m->off);
    memset(m, 0, sizeof *m);
    for (int c = 0; c < SK_MF_NCOLS; c++) m->pos[c] = -1;
}

/* ---- field checks ---- */

/* Copies f for a message with bytes outside printable ASCII shown as '?'. */
static const char *shown(const char *f, char *buf, size_t cap)
{
    size_t k = 0;
    for (; f[k] && k + 1 < cap && k < 60; k++)
        buf[k] = (f[k] >= 0x20 && f[k] < 0x7f) ? f[k] : '?';
    buf[k] = '\0';
    return buf;
}

static int plain_text(const char *f)
{
    for (const unsigned char *p = (const unsigned char *)f; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return 0;
    return 1;
}

/* A relative path CLASS/NAME[/...] whose first component is cls; NULL when fine, else why. */
static const char *file_problem(const char *f, const char *cls)
{
    if (!plain_text(f) || strchr(f, '\\')) return "control characters or a backslash";
    if (f[0] == '/') return "an absolute path";
    size_t cl = strlen(cls);
    if (strncmp(f, cls, cl) != 0 || f[cl] != '/') return "not inside the folder of its class";
    for (const char *c = f; *c;) {
        const char *e = strchr(c, '/');
        size_t len = e ? (size_t)(e - c) : strlen(c);
        if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
            return "an empty, \".\" or \"..\" path component";
        if (!e) break;
        c = e + 1;
    }
    if (f[strlen(f) - 1] == '/') return "a folder, not a file";
    return NULL;
}

/* A field with something in it and no blanks around it. */
static int tight(const char *f)
{
    size_t n = strlen(f);
    return n && !isspace((unsigned char)f[0]) && !isspace((unsigned char)f[n - 1]);
}

/* Checks field f of column c (the row's class is cls, for K_FILE); NULL when valid, else what
 * was expected (possibly written into why[cap]). */
static const char *field_problem(sk_manifest_col c, const char *f, const char *cls, char *why,
                                 size_t cap)
{
    const double lo = COLS[c].lo, hi = COLS[c].hi;
    switch (COLS[c].k) {
    case K_U64: {
        uint64_t v;
        return tight(f) && sk_parse_u64(f, &v) == 0 ? NULL : "decimal digits of an integer below 2^64";
    }
    case K_INT: {
        long v;
        if (tight(f) && sk_parse_long(f, &v) == 0 && v >= lo && v <= hi) return NULL;
        snprintf(why, cap, "an integer in [%.0f, %.0f]", lo, hi);
        return why;
    }
    case K_REAL:
    case K_COORD: {
        if (COLS[c].k == K_COORD && f[0] == '\0') return NULL; /* unknown */
        double v;
        if (tight(f) && sk_parse_f64(f, &v) == 0 && v >= lo && (COLS[c].hi_open ? v < hi : v <= hi))
            return NULL;
        snprintf(why, cap, "a number in [%g, %g%c%s", lo, hi, COLS[c].hi_open ? ')' : ']',
                 COLS[c].k == K_COORD ? " or nothing (unknown)" : "");
        return why;
    }
    case K_TEXT:
        return plain_text(f) && strlen(f) < MAX_FIELD ? NULL : "text without control characters";
    case K_CLASS:
        return sk_class_name_check(f, "", NULL) == SK_OK ? NULL
                                                          : "a class name of " SK_CLASS_NAME_ALPHABET;
    case K_FILE: {
        const char *p = file_problem(f, cls);
        if (!p) return NULL;
        snprintf(why, cap, "a relative path <class>/<name> (found %s)", p);
        return why;
    }
    case K_SHA256: {
        size_t n = strlen(f);
        int ok = n == 64;
        for (size_t k = 0; ok && k < n; k++) ok = (f[k] >= '0' && f[k] <= '9') || (f[k] >= 'a' && f[k] <= 'f');
        return ok ? NULL : "64 lowercase hexadecimal digits";
    }
    case K_SPLIT:
        return (!strcmp(f, "train") || !strcmp(f, "val") || !strcmp(f, "test")) ? NULL
                                                                              : "train, val or test";
    }
    return "?";
}

/* Checks one row's fields (in m's column order). */
static sk_status check_row(const sk_manifest *m, const char *const *f, const char *what, long line,
                           sk_error *err)
{
    const char *cls = f[m->pos[SK_MF_CLASS]];
    for (int k = 0; k < m->ncols; k++) {
        sk_manifest_col c = m->cols[k];
        const char *v = f[k] ? f[k] : "";
        char wbuf[160];
        const char *why = field_problem(c, v, cls, wbuf, sizeof wbuf);
        if (why) {
            char buf[64];
            if (line > 0)
                return sk_error_set(err, SK_EFORMAT, "%s: line %ld: column '%s': expected %s, found \"%s\"",
                                    what, line, COLS[c].name, why, shown(v, buf, sizeof buf));
            return sk_error_set(err, SK_EINVAL, "%s: row %zu: column '%s': expected %s, found \"%s\"",
                                what, m->nrows + 1, COLS[c].name, why, shown(v, buf, sizeof buf));
        }
    }
    return SK_OK;
}

/* Appends a checked row (no duplicate check). */
static void append(sk_manifest *m, const char *const *f)
{
    if (m->nrows == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 256;
        m->row = sk_xrealloc(m->row, m->cap * sizeof *m->row);
        m->off = sk_xrealloc(m->off, m->cap * (size_t)m->ncols * sizeof *m->off);
    }
    size_t total = 0;
    for (int k = 0; k < m->ncols; k++) total += strlen(f[k] ? f[k] : "") + 1;
    char *t = sk_xmalloc(total);
    size_t at = 0;
    uint32_t *off = m->off + m->nrows * (size_t)m->ncols;
    for (int k = 0; k < m->ncols; k++) {
        const char *v = f[k] ? f[k] : "";
        size_t n = strlen(v) + 1;
        memcpy(t + at, v, n);
        off[k] = (uint32_t)at;
        at += n;
    }
    m->row[m->nrows++] = t;
    m->sorted = 0;
}

const char *sk_manifest_get(const sk_manifest *m, size_t i, sk_manifest_col c)
{
    SK_ASSERT(i < m->nrows);
    int k = m->pos[c];
    return k < 0 ? NULL : m->row[i] + m->off[i * (size_t)m->ncols + (size_t)k];
}

uint64_t sk_manifest_objid(const sk_manifest *m, size_t i)
{
    uint64_t v = 0;
    SK_ASSERT(sk_parse_u64(sk_manifest_get(m, i, SK_MF_OBJID), &v) == 0);
    return v;
}

double sk_manifest_f64(const sk_manifest *m, size_t i, sk_manifest_col c)
{
    const char *f = sk_manifest_get(m, i, c);
    double v;
    return f && sk_parse_f64(f, &v) == 0 ? v : NAN;
}

static int cmp_by_file(const void *a, const void *b, void *ctx)
{
    const sk_manifest *m = ctx;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    return strcmp(sk_manifest_get(m, i, SK_MF_FILE), sk_manifest_get(m, j, SK_MF_FILE));
}

/* Sorts a permutation of the rows by file (qsort has no context argument: a small merge sort). */
static void sort_perm(size_t *p, size_t *tmp, size_t n, const sk_manifest *m)
{
    if (n < 2) return;
    size_t h = n / 2;
    sort_perm(p, tmp, h, m);
    sort_perm(p + h, tmp, n - h, m);
    size_t a = 0, b = h, k = 0;
    while (a < h && b < n) tmp[k++] = cmp_by_file(&p[b], &p[a], (void *)m) < 0 ? p[b++] : p[a++];
    while (a < h) tmp[k++] = p[a++];
    while (b < n) tmp[k++] = p[b++];
    memcpy(p, tmp, n * sizeof *p);
}

void sk_manifest_sort(sk_manifest *m)
{
    size_t n = m->nrows, nc = (size_t)m->ncols;
    size_t *p = sk_xmalloc((n ? n : 1) * sizeof *p), *tmp = sk_xmalloc((n ? n : 1) * sizeof *tmp);
    for (size_t i = 0; i < n; i++) p[i] = i;
    sort_perm(p, tmp, n, m);
    char **row = sk_xmalloc((n ? n : 1) * sizeof *row);
    uint32_t *off = sk_xmalloc((n ? n : 1) * nc * sizeof *off);
    for (size_t i = 0; i < n; i++) {
        row[i] = m->row[p[i]];
        memcpy(off + i * nc, m->off + p[i] * nc, nc * sizeof *off);
    }
    free(m->row);
    free(m->off);
    m->row = row;
    m->off = off;
    m->cap = n;
    m->sorted = 1;
    free(p);
    free(tmp);
}

long sk_manifest_find(const sk_manifest *m, const char *file)
{
    SK_ASSERT(m->sorted);
    size_t lo = 0, hi = m->nrows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(sk_manifest_get(m, mid, SK_MF_FILE), file);
        if (c == 0) return (long)mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

/* SK_OK when no file is listed twice (sorts a permutation, the rows keep their order). */
static sk_status check_unique(const sk_manifest *m, const char *what, sk_status code, sk_error *err)
{
    size_t n = m->nrows;
    size_t *p = sk_xmalloc((n ? n : 1) * sizeof *p), *tmp = sk_xmalloc((n ? n : 1) * sizeof *tmp);
    for (size_t i = 0; i < n; i++) p[i] = i;
    sort_perm(p, tmp, n, m);
    sk_status s = SK_OK;
    for (size_t i = 1; i < n && !s; i++) {
        const char *f = sk_manifest_get(m, p[i], SK_MF_FILE);
        if (!strcmp(f, sk_manifest_get(m, p[i - 1], SK_MF_FILE)))
            s = sk_error_set(err, code, "%s: file \"%s\" is listed twice", what, f);
    }
    free(p);
    free(tmp);
    return s;
}

sk_status sk_manifest_add(sk_manifest *m, const char *const *fields, const char *what, sk_error *err)
{
    sk_status s = check_row(m, fields, what, 0, err);
    if (s) return s;
    append(m, fields);
    return SK_OK;
}

void sk_manifest_add_from(sk_manifest *m, const sk_manifest *src, size_t i)
{
    SK_ASSERT(m->ncols == src->ncols && !memcmp(m->cols, src->cols, (size_t)m->ncols * sizeof *m->cols));
    const char *f[SK_MF_NCOLS];
    for (int k = 0; k < m->ncols; k++) f[k] = sk_manifest_get(src, i, m->cols[k]);
    append(m, f);
}

/* ---- reading ---- */

/* Splits line [b, e) at tabs into fields (copied into buf, NUL-separated). Returns the count,
 * or -1 when more than SK_MF_NCOLS. */
static int split_tabs(const char *b, const char *e, char *buf, const char **f)
{
    int n = 0;
    char *o = buf;
    f[n++] = o;
    for (const char *p = b; p < e; p++) {
        if (*p == '\t') {
            *o++ = '\0';
            if (n == SK_MF_NCOLS) return -1;
            f[n++] = o;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return n;
}

static sk_status parse_header(sk_manifest *m, const char **f, int nf, const char *what, long line,
                              sk_error *err)
{
    char buf[64];
    for (int k = 0; k < nf; k++) {
        int c = 0;
        while (c < SK_MF_NCOLS && strcmp(f[k], COLS[c].name) != 0) c++;
        if (c == SK_MF_NCOLS)
            return sk_error_set(err, SK_EFORMAT, "%s: line %ld: header column %d: \"%s\" is not a "
                                "manifest column (see docs/FORMATS.md, manifest.tsv)", what, line,
                                k + 1, shown(f[k], buf, sizeof buf));
        if (m->pos[c] >= 0)
            return sk_error_set(err, SK_EFORMAT, "%s: line %ld: header names column '%s' twice",
                                what, line, COLS[c].name);
        m->cols[k] = (sk_manifest_col)c;
        m->pos[c] = k;
    }
    m->ncols = nf;
    static const sk_manifest_col req[] = {SK_MF_OBJID, SK_MF_CLASS, SK_MF_FILE};
    for (size_t k = 0; k < SK_ARRAY_LEN(req); k++)
        if (m->pos[req[k]] < 0)
            return sk_error_set(err, SK_EFORMAT, "%s: line %ld: header has no '%s' column (expected "
                                "at least objid, class and file)", what, line, COLS[req[k]].name);
    return SK_OK;
}

sk_status sk_manifest_parse(sk_manifest *m, const char *buf, size_t n, const char *what, sk_error *err)
{
    memset(m, 0, sizeof *m);
    for (int c = 0; c < SK_MF_NCOLS; c++) m->pos[c] = -1;
    sk_status s = SK_OK;
    char *tmp = NULL;
    size_t tmp_cap = 0;
    long line = 0;
    int have_header = 0;
    for (size_t at = 0; at < n && !s;) {
        const char *b = buf + at, *nl = memchr(b, '\n', n - at), *e = nl ? nl : buf + n;
        at = (size_t)(e - buf) + (nl != NULL);
        line++;
        if (e > b && e[-1] == '\r') e--;
        if (memchr(b, '\0', (size_t)(e - b))) {
            s = sk_error_set(err, SK_EFORMAT, "%s: line %ld: NUL byte in the text", what, line);
            break;
        }
        if (!have_header && e > b && b[0] == '#') continue; /* leading comments */
        if (!have_header && e == b) {
            s = sk_error_set(err, SK_EFORMAT, "%s: line %ld: expected the header line, found an "
                             "empty line", what, line);
            break;
        }
        if (have_header && e == b && at >= n) break; /* the final newline */
        if ((size_t)(e - b) + 1 > tmp_cap) {
            tmp_cap = (size_t)(e - b) + 1;
            tmp = sk_xrealloc(tmp, tmp_cap);
        }
        const char *f[SK_MF_NCOLS];
        int nf = split_tabs(b, e, tmp, f);
        if (!have_header) {
            if (nf < 0)
                s = sk_error_set(err, SK_EFORMAT, "%s: line %ld: more than %d header columns", what,
                                 line, SK_MF_NCOLS);
            else
                s = parse_header(m, f, nf, what, line, err);
            have_header = 1;
            continue;
        }
        if (nf != m->ncols) {
            s = sk_error_set(err, SK_EFORMAT, "%s: line %ld: expected %d tab-separated fields (the "
                             "header's count), found %s%d", what, line, m->ncols, nf < 0 ? "more than " : "",
                             nf < 0 ? SK_MF_NCOLS : nf);
            break;
        }
        if ((s = check_row(m, f, what, line, err))) break;
        append(m, f);
    }
    if (!s && !have_header)
        s = sk_error_set(err, SK_EFORMAT, "%s: expected a header line (objid, class, file, ...), "
                         "found an empty file", what);
    free(tmp);
    if (!s) s = check_unique(m, what, SK_EFORMAT, err);
    if (s) sk_manifest_free(m);
    return s;
}

sk_status sk_manifest_read(sk_manifest *m, const char *path, char *sha256, sk_error *err)
{
    memset(m, 0, sizeof *m);
    uint8_t *data = NULL;
    size_t n = 0;
    sk_status s = sk_read_file(path, &data, &n, MAX_BYTES, err);
    if (s) return s;
    if (sha256) sk_sha256_hex(data, n, sha256);
    s = sk_manifest_parse(m, (const char *)data, n, path, err);
    free(data);
    return s;
}

/* ---- writing ---- */

void sk_manifest_format(const sk_manifest *m, const char *comment, sk_buf *out)
{
    for (const char *c = comment; c && *c;) {
        const char *e = strchr(c, '\n');
        size_t len = e ? (size_t)(e - c) : strlen(c);
        sk_buf_put_bytes(out, "# ", 2);
        sk_buf_put_bytes(out, c, len);
        sk_buf_put_u8(out, '\n');
        c = e ? e + 1 : c + len;
    }
    for (int k = 0; k < m->ncols; k++) {
        if (k) sk_buf_put_u8(out, '\t');
        sk_buf_put_bytes(out, COLS[m->cols[k]].name, strlen(COLS[m->cols[k]].name));
    }
    sk_buf_put_u8(out, '\n');
    for (size_t i = 0; i < m->nrows; i++) {
        for (int k = 0; k < m->ncols; k++) {
            if (k) sk_buf_put_u8(out, '\t');
            const char *f = m->row[i] + m->off[i * (size_t)m->ncols + (size_t)k];
            sk_buf_put_bytes(out, f, strlen(f));
        }
        sk_buf_put_u8(out, '\n');
    }
}

sk_status sk_manifest_write(const sk_manifest *m, const char *path, const char *comment, sk_error *err)
{
    sk_status s = check_unique(m, path, SK_EINVAL, err);
    if (s) return s;
    sk_buf b;
    sk_buf_init(&b);
    sk_manifest_format(m, comment, &b);
    s = sk_write_file_atomic(path, b.data, b.len, err);
    sk_buf_free(&b);
    return s;
}
