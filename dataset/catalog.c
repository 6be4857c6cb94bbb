/* catalog.c: CSV catalog reader (see catalog.h for the accepted formats and invariants).
 *
 * The project's RFC 4180 scanner (base/csv.h) turns the text into records (quoted fields may
 * hold commas, quotes and newlines; the record's first line is what errors name). Columns are bound by header name,
 * so column order is free. Bad rows are dropped and listed, never fatal: a caller decides
 * whether a partial catalog is acceptable. Not a general CSV library. */
#include "catalog.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sk_base.h"

static const char *const CLASS_NAMES[SK_CLASS_COUNT] = {"GALAXY", "QSO", "STAR"};

const char *sk_class_name(sk_obj_class c)
{
    SK_ASSERT(c >= 0 && c < SK_CLASS_COUNT);
    return CLASS_NAMES[c];
}

int sk_class_parse(const char *s)
{
    if (!strcasecmp(s, "GALAXY") || !strcasecmp(s, "GAL")) return SK_CLASS_GALAXY;
    if (!strcasecmp(s, "STAR")) return SK_CLASS_STAR;
    if (!strcasecmp(s, "QSO") || !strcasecmp(s, "QUASAR")) return SK_CLASS_QSO;
    return -1;
}

const char *sk_catalog_format_name(sk_catalog_format f)
{
    switch (f) {
    case SK_CATALOG_STUDY19: return "study (19 columns)";
    case SK_CATALOG_DR14_18: return "DR14 export (18 columns)";
    case SK_CATALOG_GENERIC: return "generic (objid,ra,dec,class)";
    }
    return "?";
}

/* Column roles bound from the header. */
enum {
    C_OBJID, C_RA, C_DEC, C_CLASS, C_U, C_G, C_R, C_I, C_Z, C_RUN, C_RERUN, C_CAMCOL, C_FIELD,
    C_FIBERMAG_G, C_SPECOBJID, C_REDSHIFT, C_PLATE, C_MJD, C_FIBERID, C_COUNT
};
static const char *const ROLE_NAMES[C_COUNT] = {
    "objid", "ra", "dec", "class", "u", "g", "r", "i", "z", "run", "rerun", "camcol", "field",
    "fibermag_g", "specobjid", "redshift", "plate", "mjd", "fiberid"};

static const char *const STUDY19[] = {"objid", "ra", "dec", "u", "g", "r", "i", "z", "run",
                                      "rerun", "camcol", "field", "fiberMag_g", "specobjid",
                                      "class", "redshift", "plate", "mjd", "fiberid"};
static const char *const DR14_18[] = {"objid", "ra", "dec", "u", "g", "r", "i", "z", "run",
                                      "rerun", "camcol", "field", "specobjid", "class",
                                      "redshift", "plate", "mjd", "fiberid"};

int sk_catalog_parse_objid(const char *tok, char *digits, size_t cap, uint64_t *id, int *inexact)
{
    const char *b;
    size_t n;
    sk_text_trim(tok, &b, &n);
    if (n == 0 || n > 40) return -1;
    char mant[48];
    size_t nm = 0, ndot = (size_t)-1, k = 0;
    if (b[0] == '+') k++;
    for (; k < n && (isdigit((unsigned char)b[k]) || b[k] == '.'); k++) {
        if (b[k] == '.') {
            if (ndot != (size_t)-1) return -1;
            ndot = nm;
        } else {
            mant[nm++] = b[k];
        }
    }
    if (nm == 0) return -1;
    long exp10 = 0;
    int floating = ndot != (size_t)-1;
    if (k < n) {
        if (b[k] != 'e' && b[k] != 'E') return -1;
        floating = 1;
        char *end;
        char tmp[16];
        size_t el = n - k - 1;
        if (el == 0 || el >= sizeof tmp) return -1;
        memcpy(tmp, b + k + 1, el);
        tmp[el] = '\0';
        exp10 = strtol(tmp, &end, 10);
        if (*end || exp10 < -40 || exp10 > 40) return -1;
    }
    if (ndot == (size_t)-1) ndot = nm;
    /* integer digits = mantissa digits shifted so the point sits at ndot + exp10 */
    long point = (long)ndot + exp10;
    char out[48];
    size_t no = 0;
    for (long j = 0; j < point; j++) {
        char c = j < (long)nm ? mant[j] : '0';
        if (no == 0 && c == '0' && j + 1 < point) continue; /* leading zeros */
        if (no + 1 >= sizeof out) return -1;
        out[no++] = c;
    }
    for (long j = point < 0 ? 0 : point; j < (long)nm; j++)
        if (mant[j] != '0') return -1; /* a fractional part: not an integer id */
    if (no == 0) out[no++] = '0';
    out[no] = '\0';
    if (no > 20) return -1;
    errno = 0;
    unsigned long long v = strtoull(out, NULL, 10);
    if (errno == ERANGE) return -1;
    if (no + 1 > cap) return -1;
    memcpy(digits, out, no + 1);
    *id = (uint64_t)v;
    *inexact = floating;
    return 0;
}

static void add_bad(sk_catalog *cat, long line, const char *fmt, ...) SK_PRINTF(3, 4);
static void add_bad(sk_catalog *cat, long line, const char *fmt, ...)
{
    cat->n_bad++;
    if (cat->n_bad_listed >= SK_CATALOG_MAX_BAD) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char full[600];
    snprintf(full, sizeof full, "line %ld: %s", line, msg);
    if (!cat->bad) cat->bad = sk_xcalloc(SK_CATALOG_MAX_BAD, sizeof(char *));
    cat->bad[cat->n_bad_listed++] = sk_xstrdup(full);
}

static int header_is(const sk_csv *s, const char *const *names, size_t nn)
{
    if (s->nf != nn) return 0;
    for (size_t k = 0; k < nn; k++) {
        const char *b;
        size_t len;
        sk_text_trim(sk_csv_field(s, k), &b, &len);
        if (len != strlen(names[k]) || strncasecmp(b, names[k], len)) return 0;
    }
    return 1;
}

/* Fills one row from the record; returns 0, or -1 after add_bad. */
static int parse_row(sk_catalog *cat, const sk_csv *s, const int *col, long line,
                     sk_catalog_row *row)
{
    if (s->nf != cat->n_columns) {
        add_bad(cat, line, "%zu fields, expected %zu (the header's count)", s->nf, cat->n_columns);
        return -1;
    }
    memset(row, 0, sizeof *row);
    row->line = line;
    const char *tok = sk_csv_field(s, (size_t)col[C_OBJID]);
    if (sk_catalog_parse_objid(tok, row->objid, sizeof row->objid, &row->id, &row->inexact)) {
        add_bad(cat, line, "objid '%.40s' is not a non-negative integer below 2^64", tok);
        return -1;
    }
    if (row->inexact) sk_snprintf(row->name, sizeof row->name, "%s_L%ld", row->objid, line);
    else sk_snprintf(row->name, sizeof row->name, "%s", row->objid);

    if (sk_parse_f64(sk_csv_field(s, (size_t)col[C_RA]), &row->ra) ||
        !(row->ra >= 0.0 && row->ra < 360.0)) {
        add_bad(cat, line, "ra '%.40s' is not a number in [0, 360)", sk_csv_field(s, (size_t)col[C_RA]));
        return -1;
    }
    if (sk_parse_f64(sk_csv_field(s, (size_t)col[C_DEC]), &row->dec) ||
        !(row->dec >= -90.0 && row->dec <= 90.0)) {
        add_bad(cat, line, "dec '%.40s' is not a number in [-90, 90]", sk_csv_field(s, (size_t)col[C_DEC]));
        return -1;
    }
    const char *cb;
    size_t cl;
    sk_text_trim(sk_csv_field(s, (size_t)col[C_CLASS]), &cb, &cl);
    char cname[16];
    int cls = -1;
    if (cl < sizeof cname) {
        memcpy(cname, cb, cl);
        cname[cl] = '\0';
        cls = sk_class_parse(cname);
    }
    if (cls < 0) {
        add_bad(cat, line, "class '%.40s' is not GALAXY, STAR or QSO", sk_csv_field(s, (size_t)col[C_CLASS]));
        return -1;
    }
    row->cls = (sk_obj_class)cls;

    double *dst_d[] = {&row->u, &row->g, &row->r, &row->i, &row->z, &row->fiber_mag_g, &row->redshift};
    const int role_d[] = {C_U, C_G, C_R, C_I, C_Z, C_FIBERMAG_G, C_REDSHIFT};
    for (size_t k = 0; k < SK_ARRAY_LEN(role_d); k++) {
        *dst_d[k] = NAN;
        if (col[role_d[k]] < 0) continue;
        if (sk_parse_f64(sk_csv_field(s, (size_t)col[role_d[k]]), dst_d[k]) < 0) {
            add_bad(cat, line, "%s '%.40s' is not a number", ROLE_NAMES[role_d[k]],
                    sk_csv_field(s, (size_t)col[role_d[k]]));
            return -1;
        }
    }
    long *dst_l[] = {&row->run, &row->rerun, &row->camcol, &row->field, &row->plate, &row->mjd, &row->fiberid};
    const int role_l[] = {C_RUN, C_RERUN, C_CAMCOL, C_FIELD, C_PLATE, C_MJD, C_FIBERID};
    for (size_t k = 0; k < SK_ARRAY_LEN(role_l); k++) {
        *dst_l[k] = -1;
        if (col[role_l[k]] < 0) continue;
        if (sk_parse_long(sk_csv_field(s, (size_t)col[role_l[k]]), dst_l[k]) < 0) {
            add_bad(cat, line, "%s '%.40s' is not an integer", ROLE_NAMES[role_l[k]],
                    sk_csv_field(s, (size_t)col[role_l[k]]));
            return -1;
        }
    }
    if (col[C_SPECOBJID] >= 0 && !sk_text_is_blank(sk_csv_field(s, (size_t)col[C_SPECOBJID]))) {
        uint64_t sid;
        int inex;
        if (sk_catalog_parse_objid(sk_csv_field(s, (size_t)col[C_SPECOBJID]), row->specobjid,
                                   sizeof row->specobjid, &sid, &inex)) {
            add_bad(cat, line, "specobjid '%.40s' is not a non-negative integer",
                    sk_csv_field(s, (size_t)col[C_SPECOBJID]));
            return -1;
        }
    }
    return 0;
}

typedef struct {
    const char *name;
    size_t idx;
} name_ref;

static int cmp_name_ref(const void *a, const void *b)
{
    const name_ref *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Drops rows whose name repeats an earlier row's, reporting them; keeps file order. */
static void drop_duplicates(sk_catalog *cat)
{
    if (cat->n < 2) return;
    name_ref *refs = sk_xmalloc(cat->n * sizeof *refs);
    for (size_t k = 0; k < cat->n; k++) refs[k] = (name_ref){cat->rows[k].name, k};
    qsort(refs, cat->n, sizeof *refs, cmp_name_ref);
    unsigned char *drop = sk_xcalloc(cat->n, 1);
    size_t ndrop = 0;
    for (size_t k = 1; k < cat->n; k++) {
        if (strcmp(refs[k].name, refs[k - 1].name)) continue;
        size_t first = k - 1;
        while (first > 0 && !strcmp(refs[first - 1].name, refs[k].name)) first--;
        drop[refs[k].idx] = 1;
        ndrop++;
        add_bad(cat, cat->rows[refs[k].idx].line, "duplicate objid %s (first at line %ld)",
                refs[k].name, cat->rows[refs[first].idx].line);
    }
    if (ndrop) {
        size_t w = 0;
        for (size_t k = 0; k < cat->n; k++)
            if (!drop[k]) cat->rows[w++] = cat->rows[k];
        cat->n = w;
    }
    free(drop);
    free(refs);
}

sk_status sk_catalog_parse(sk_catalog *cat, const char *buf, size_t n, const char *what,
                           sk_error *err)
{
    memset(cat, 0, sizeof *cat);
    sk_csv s;
    sk_csv_init(&s, buf, n);
    sk_csv_skip_comments(&s); /* SkyServer's "#Table1" and blank lines */
    long line = 0;
    const char *why = NULL;
    int r = sk_csv_next(&s, &line, &why);
    sk_status st = SK_OK;
    if (r <= 0) {
        st = sk_error_set(err, SK_EFORMAT, "%s: no header line (expected objid,ra,dec,...,class)%s%s",
                          what, why ? ": " : "", why ? why : "");
        goto fail;
    }
    int col[C_COUNT];
    for (int k = 0; k < C_COUNT; k++) col[k] = -1;
    cat->n_columns = s.nf;
    cat->columns = sk_xcalloc(s.nf, sizeof(char *));
    for (size_t k = 0; k < s.nf; k++) {
        const char *b;
        size_t len;
        sk_text_trim(sk_csv_field(&s, k), &b, &len);
        char *name = sk_xmalloc(len + 1);
        memcpy(name, b, len);
        name[len] = '\0';
        cat->columns[k] = name;
        for (int role = 0; role < C_COUNT; role++) {
            if (strcasecmp(name, ROLE_NAMES[role])) continue;
            if (col[role] >= 0) {
                st = sk_error_set(err, SK_EFORMAT, "%s: line %ld: column '%s' appears twice (columns %d and %zu)",
                                  what, line, name, col[role] + 1, k + 1);
                goto fail;
            }
            col[role] = (int)k;
        }
    }
    const int required[] = {C_OBJID, C_RA, C_DEC, C_CLASS};
    for (size_t k = 0; k < SK_ARRAY_LEN(required); k++) {
        if (col[required[k]] < 0) {
            st = sk_error_set(err, SK_EFORMAT,
                              "%s: line %ld: header has no '%s' column (expected at least objid, ra, dec, class; found %zu columns starting '%.60s')",
                              what, line, ROLE_NAMES[required[k]], s.nf, cat->columns[0]);
            goto fail;
        }
    }
    cat->format = header_is(&s, STUDY19, SK_ARRAY_LEN(STUDY19))   ? SK_CATALOG_STUDY19
                  : header_is(&s, DR14_18, SK_ARRAY_LEN(DR14_18)) ? SK_CATALOG_DR14_18
                                                                  : SK_CATALOG_GENERIC;
    size_t cap = 0;
    for (;;) {
        why = NULL;
        r = sk_csv_next(&s, &line, &why);
        if (r == 0) break;
        if (r < 0) { add_bad(cat, line, "%s", why); continue; }
        if (sk_csv_blank_record(&s)) continue;
        if (cat->n == cap) {
            cap = cap ? 2 * cap : 1024;
            cat->rows = sk_xrealloc(cat->rows, cap * sizeof *cat->rows);
        }
        if (parse_row(cat, &s, col, line, &cat->rows[cat->n]) == 0) cat->n++;
    }
    drop_duplicates(cat);
    for (size_t k = 0; k < cat->n; k++) {
        cat->n_class[cat->rows[k].cls]++;
        cat->n_inexact += (size_t)cat->rows[k].inexact;
    }
    sk_csv_free(&s);
    return SK_OK;
fail:
    sk_csv_free(&s);
    sk_catalog_free(cat);
    return st;
}

sk_status sk_catalog_read(sk_catalog *cat, const char *path, sk_error *err)
{
    memset(cat, 0, sizeof *cat);
    uint8_t *data = NULL;
    size_t n = 0;
    sk_status st = sk_read_file(path, &data, &n, SK_CATALOG_MAX_BYTES, err);
    if (st) return st;
    st = sk_catalog_parse(cat, (const char *)data, n, path, err);
    free(data);
    return st;
}

void sk_catalog_free(sk_catalog *cat)
{
    if (!cat) return;
    free(cat->rows);
    for (size_t k = 0; k < cat->n_bad_listed; k++) free(cat->bad[k]);
    free(cat->bad);
    for (size_t k = 0; k < cat->n_columns; k++) free(cat->columns[k]);
    free(cat->columns);
    memset(cat, 0, sizeof *cat);
}
