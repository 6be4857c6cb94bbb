/* csv.h: the one CSV scanner of the project (RFC 4180) and strict parsing of text fields.
 *
 * The scanner turns a buffer into records: fields separated by ',', a field that starts with
 * '"' is quoted and may hold commas, newlines and doubled quotes; CRLF or LF line ends; a UTF-8
 * byte order mark is skipped. A record that breaks the rules (a quote inside an unquoted field,
 * text after a closing quote, a NUL byte, a quoted field still open at the end of the input) is
 * reported with the line it starts on and a reason, and scanning resumes at the next line, so a
 * caller chooses between dropping the record and failing. No dialects (no other separators,
 * no escapes but ""); the writing side is one function, sk_csv_put_field.
 *
 * The field parsers accept a whole field or nothing: surrounding ASCII blanks are allowed,
 * anything else left over is an error, so "22=9.33" is not 22 and "1e999" is not a number. */
#ifndef SK_CSV_H
#define SK_CSV_H

#include <stddef.h>
#include <stdint.h>
#include "fileio.h"

typedef struct {
    const char *buf;
    size_t n, pos;
    long line;        /* 1-based line of the next unread character */
    char *text;       /* the current record's unquoted fields, NUL-separated */
    size_t text_len, text_cap;
    size_t *off;      /* field start offsets into text */
    size_t nf, cap_f;
} sk_csv;

/* Appends one field as this scanner reads it back: as is, or quoted (with "" doubling) when it
 * holds a comma, a quote, CR or LF. */
void sk_csv_put_field(sk_buf *b, const char *s);

/* Starts scanning buf[0..n) (not copied; must outlive s). */
void sk_csv_init(sk_csv *s, const char *buf, size_t n);
void sk_csv_free(sk_csv *s);
/* Skips lines that start with '#' (SkyServer's "#Table1") and blank lines at the current
 * position (use before the header). */
void sk_csv_skip_comments(sk_csv *s);
/* Reads the next record. Returns 1 with its fields in s (*rec_line = its first line), 0 at the
 * end of the input, -1 when the record is malformed (*why says how; the rest of its line is
 * skipped, so the next call continues after it). */
int sk_csv_next(sk_csv *s, long *rec_line, const char **why);
static inline size_t sk_csv_nfields(const sk_csv *s) { return s->nf; }
/* Field k (< nfields) of the current record, unquoted, NUL-terminated. */
static inline const char *sk_csv_field(const sk_csv *s, size_t k) { return s->text + s->off[k]; }
/* 1 when the current record is one blank field (an empty line). */
int sk_csv_blank_record(const sk_csv *s);

/* Trims ASCII blanks: *b and *len describe the trimmed text inside f. */
void sk_text_trim(const char *f, const char **b, size_t *len);
int sk_text_is_blank(const char *f);
/* Copies the trimmed field into buf[cap]; -1 when it does not fit. */
int sk_text_trimmed(const char *f, char *buf, size_t cap);

/* Whole-field numbers: 0 parsed, 1 empty (only blanks), -1 malformed. Doubles must be finite;
 * integers in range of the type; u64 is decimal digits only (no sign, no exponent). */
int sk_parse_f64(const char *f, double *out);
int sk_parse_long(const char *f, long *out);
int sk_parse_u64(const char *f, uint64_t *out);

#endif
