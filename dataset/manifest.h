/* manifest.h: `manifest.tsv`, the one table that describes a folder of class images, read and
 * written here and nowhere else (fetch, cutout, synth, import, pack, export).
 *
 * Layout (docs/FORMATS.md, "manifest.tsv"): UTF-8, tab-separated, optional leading '#' comment
 * lines, one header line naming the columns, then one row per image. Every column name comes
 * from one vocabulary (sk_manifest_col); `objid`, `class` and `file` are required, the others
 * are optional and each writer adds its own (fetch: url, bytes, sha256, ...; cutout: ra, dec,
 * field, coverage; synth: the drawn truth; export: index, label, split). A header naming a
 * column outside the vocabulary, a column twice or missing a required one is an error.
 *
 * Every field is checked strictly against its column's type, whole field, no blanks: objid
 * decimal digits below 2^64; class from the class-name alphabet (skds.h); file a relative path
 * CLASS/NAME... whose first component is the row's class, no "." or ".." component, no control
 * characters; ra in [0, 360) and dec in [-90, 90] or empty (unknown); integers and reals in
 * their column's range; sha256 64 lowercase hex digits; split train/val/test. A row with the
 * wrong number of fields, or a second row for the same file, is an error. The writer applies
 * the same checks to what it is given, so it cannot write a manifest the reader refuses.
 * Errors name the file, the line, the column, expected and found. Not a CSV reader. */
#ifndef SK_MANIFEST_H
#define SK_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include "sk_base.h"

typedef enum {
    SK_MF_OBJID, SK_MF_CLASS, SK_MF_FILE,                       /* required */
    SK_MF_RA, SK_MF_DEC,                                        /* degrees, empty = unknown */
    SK_MF_URL, SK_MF_BYTES, SK_MF_SHA256, SK_MF_HTTP_STATUS, SK_MF_ATTEMPTS, /* fetch */
    SK_MF_FIELD, SK_MF_COVERAGE,                                /* cutout */
    SK_MF_R, SK_MF_G_R, SK_MF_R_I, SK_MF_SERSIC_N, SK_MF_RE_ARCSEC, SK_MF_AXIS_RATIO,
    SK_MF_PA_DEG, SK_MF_SEEING_FWHM, SK_MF_NEIGHBOURS,          /* synth */
    SK_MF_INDEX, SK_MF_LABEL, SK_MF_SPLIT,                      /* export */
    SK_MF_NCOLS
} sk_manifest_col;

/* The column's header name ("objid", "g_r", ...). */
const char *sk_manifest_col_name(sk_manifest_col c);

typedef struct {
    int ncols;
    sk_manifest_col cols[SK_MF_NCOLS]; /* header order */
    int pos[SK_MF_NCOLS];              /* column -> position in the header, -1 when absent */
    size_t nrows, cap;
    char **row;                        /* per row: its fields, NUL-separated (one allocation) */
    uint32_t *off;                     /* nrows * ncols field offsets into row[i] */
    int sorted;                        /* rows sorted by file (sk_manifest_sort), none added since */
} sk_manifest;

/* An empty manifest with these columns (which must include objid, class and file, no column
 * twice), to be filled with sk_manifest_add. */
void sk_manifest_init(sk_manifest *m, const sk_manifest_col *cols, int ncols);
void sk_manifest_free(sk_manifest *m);

/* Parses manifest text buf[0..n) (as described above); `what` names it in errors. On failure
 * m is left empty. */
sk_status sk_manifest_parse(sk_manifest *m, const char *buf, size_t n, const char *what,
                            sk_error *err) SK_WUR;
/* Reads and parses a regular file (never blocks on a FIFO). sha256 (if not NULL, 65 bytes)
 * receives the SHA-256 of the file's bytes. */
sk_status sk_manifest_read(sk_manifest *m, const char *path, char *sha256, sk_error *err) SK_WUR;

/* Appends a row: fields[k] is the text of column m->cols[k] (NULL or "" for an empty optional
 * field). Checked like a parsed row, `what` naming the destination in errors. A file listed
 * twice is found when the manifest is written (sk_manifest_write fails) or parsed. */
sk_status sk_manifest_add(sk_manifest *m, const char *const *fields, const char *what,
                          sk_error *err) SK_WUR;
/* Appends row i of src (which must have the same columns). */
void sk_manifest_add_from(sk_manifest *m, const sk_manifest *src, size_t i);

/* Field of row i in column c, or NULL when the manifest has no such column. */
const char *sk_manifest_get(const sk_manifest *m, size_t i, sk_manifest_col c);
uint64_t sk_manifest_objid(const sk_manifest *m, size_t i);
/* A real column's value, NAN when the column is absent or the field empty. */
double sk_manifest_f64(const sk_manifest *m, size_t i, sk_manifest_col c);

/* Sorts the rows by file (byte order); afterwards sk_manifest_find works. */
void sk_manifest_sort(sk_manifest *m);
/* Row whose file is `file`, or -1 (the manifest must be sorted). */
long sk_manifest_find(const sk_manifest *m, const char *file);

/* The text: "# comment" lines when comment is not NULL (each line prefixed), the header, the
 * rows in their current order. */
void sk_manifest_format(const sk_manifest *m, const char *comment, sk_buf *out);
/* Writes the text to path atomically; SK_EINVAL (nothing written) when a file is listed twice. */
sk_status sk_manifest_write(const sk_manifest *m, const char *path, const char *comment,
                            sk_error *err) SK_WUR;

#endif
