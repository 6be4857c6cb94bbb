/* csv.c: the RFC 4180 scanner and whole-field number parsing (see csv.h). */
#include "csv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

void sk_csv_init(sk_csv *s, const char *buf, size_t n)
{
    memset(s, 0, sizeof *s);
    s->buf = buf;
    s->n = n;
    s->line = 1;
    if (n >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB &&
        (unsigned char)buf[2] == 0xBF)
        s->pos = 3; /* UTF-8 byte order mark */
}

void sk_csv_free(sk_csv *s)
{
    free(s->text);
    free(s->off);
    s->text = NULL;
    s->off = NULL;
    s->text_len = s->text_cap = s->nf = s->cap_f = 0;
}

void sk_csv_skip_comments(sk_csv *s)
{
    while (s->pos < s->n && (s->buf[s->pos] == '#' || s->buf[s->pos] == '\n' || s->buf[s->pos] == '\r')) {
        while (s->pos < s->n && s->buf[s->pos] != '\n') s->pos++;
        if (s->pos < s->n) { s->pos++; s->line++; }
    }
}

static void text_put(sk_csv *s, char c)
{
    if (s->text_len + 1 >= s->text_cap) {
        s->text_cap = s->text_cap ? 2 * s->text_cap : 256;
        s->text = sk_xrealloc(s->text, s->text_cap);
    }
    s->text[s->text_len++] = c;
}

static void field_begin(sk_csv *s)
{
    if (s->nf == s->cap_f) {
        s->cap_f = s->cap_f ? 2 * s->cap_f : 32;
        s->off = sk_xrealloc(s->off, s->cap_f * sizeof(*s->off));
    }
    s->off[s->nf++] = s->text_len;
}

int sk_csv_next(sk_csv *s, long *rec_line, const char **why)
{
    s->text_len = 0;
    s->nf = 0;
    if (s->pos >= s->n) return 0;
    *rec_line = s->line;
    field_begin(s);
    int quoted = 0, was_quoted = 0;
    while (s->pos < s->n) {
        char c = s->buf[s->pos++];
        if (c == '\0') { *why = "NUL byte in the text"; goto skip_line; }
        if (quoted) {
            if (c == '"') {
                if (s->pos < s->n && s->buf[s->pos] == '"') { text_put(s, '"'); s->pos++; }
                else quoted = 0;
            } else {
                if (c == '\n') s->line++;
                text_put(s, c);
            }
            continue;
        }
        if (c == '"') {
            /* a quote opens a quoted section only at the start of a field */
            size_t start = s->off[s->nf - 1];
            if (s->text_len != start || was_quoted) {
                *why = "stray '\"' inside an unquoted field";
                goto skip_line;
            }
            quoted = 1;
            was_quoted = 1;
        } else if (c == ',') {
            text_put(s, '\0');
            field_begin(s);
            was_quoted = 0;
        } else if (c == '\r' && s->pos < s->n && s->buf[s->pos] == '\n') {
            continue;
        } else if (c == '\n') {
            s->line++;
            text_put(s, '\0');
            return 1;
        } else {
            if (was_quoted) { *why = "text after a closing quote"; goto skip_line; }
            text_put(s, c);
        }
    }
    if (quoted) { *why = "unterminated quoted field at end of file"; return -1; }
    text_put(s, '\0');
    return 1;
skip_line:
    while (s->pos < s->n && s->buf[s->pos] != '\n') s->pos++;
    if (s->pos < s->n) { s->pos++; s->line++; }
    return -1;
}

int sk_csv_blank_record(const sk_csv *s)
{
    return s->nf == 1 && sk_text_is_blank(sk_csv_field(s, 0));
}

void sk_text_trim(const char *f, const char **b, size_t *len)
{
    size_t n = strlen(f);
    while (n && isspace((unsigned char)f[n - 1])) n--;
    while (n && isspace((unsigned char)*f)) { f++; n--; }
    *b = f;
    *len = n;
}

int sk_text_is_blank(const char *f)
{
    const char *b;
    size_t n;
    sk_text_trim(f, &b, &n);
    return n == 0;
}

int sk_text_trimmed(const char *f, char *buf, size_t cap)
{
    const char *b;
    size_t n;
    sk_text_trim(f, &b, &n);
    if (n >= cap) return -1;
    memcpy(buf, b, n);
    buf[n] = '\0';
    return 0;
}

int sk_parse_f64(const char *f, double *out)
{
    char tmp[64];
    if (sk_text_is_blank(f)) return 1;
    if (sk_text_trimmed(f, tmp, sizeof tmp)) return -1;
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (end == tmp || *end || errno == ERANGE || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int sk_parse_long(const char *f, long *out)
{
    char tmp[32];
    if (sk_text_is_blank(f)) return 1;
    if (sk_text_trimmed(f, tmp, sizeof tmp)) return -1;
    char *end;
    errno = 0;
    long v = strtol(tmp, &end, 10);
    if (end == tmp || *end || errno == ERANGE) return -1;
    *out = v;
    return 0;
}

int sk_parse_u64(const char *f, uint64_t *out)
{
    char tmp[32];
    if (sk_text_is_blank(f)) return 1;
    if (sk_text_trimmed(f, tmp, sizeof tmp)) return -1;
    for (const char *p = tmp; *p; p++)
        if (!isdigit((unsigned char)*p)) return -1;
    errno = 0;
    unsigned long long v = strtoull(tmp, NULL, 10);
    if (errno == ERANGE) return -1;
    *out = (uint64_t)v;
    return 0;
}

void sk_csv_put_field(sk_buf *b, const char *s)
{
    if (!s[strcspn(s, ",\"\r\n")]) {
        sk_buf_put_bytes(b, s, strlen(s));
        return;
    }
    sk_buf_put_u8(b, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"') sk_buf_put_u8(b, '"');
        sk_buf_put_u8(b, (uint8_t)*p);
    }
    sk_buf_put_u8(b, '"');
}
