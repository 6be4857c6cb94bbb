/* report_text.h: building text files for the report and escaping strings for each target
 * language (gnuplot, Markdown, HTML, LaTeX, CSV).
 *
 * Invariant: every string that did not come from this program's own code passes through the
 * escaper of the language it lands in. Escapers append to an sk_buf; they never fail. This is
 * not a templating engine: callers build text in order with sk_buf_printf. */
#ifndef SK_REPORT_TEXT_H
#define SK_REPORT_TEXT_H

#include "sk_base.h"

/* printf onto the end of b (keeps b NUL-terminated one past len). */
void sk_sb_puts(sk_buf *b, const char *s);
/* Returns b's text (NUL-terminated; "" when empty). */
const char *sk_sb_str(sk_buf *b);

/* A gnuplot single-quoted string literal: 'text' with ' doubled; newlines, tabs and other
 * control characters become spaces so user text can never end the command it is part of.
 * Single-quoted strings are not subject to backquote or @macro substitution in gnuplot. */
void sk_esc_gnuplot(sk_buf *b, const char *s);
/* Markdown table cell text: | and backslash escaped, < > & as HTML entities, newlines -> space,
 * Markdown punctuation (*_`[]#) backslash-escaped. */
void sk_esc_md(sk_buf *b, const char *s);
/* A complete Markdown code span for s (delimited by one more backtick than the longest run in
 * s, padded with spaces); newlines become spaces. Backslashes stay literal, as in code. */
void sk_md_code(sk_buf *b, const char *s);
/* HTML text/attribute: & < > " ' as entities; control characters other than \n -> space. */
void sk_esc_html(sk_buf *b, const char *s);
/* LaTeX text: # $ % & _ { } ~ ^ \ escaped; newlines -> space. */
void sk_esc_latex(sk_buf *b, const char *s);
/* RFC 4180 CSV field: quoted (with "" doubling) when it holds , " CR or LF. */
void sk_esc_csv(sk_buf *b, const char *s);
/* POSIX shell single-quoted word ('...' with ' as '\''). */
void sk_esc_shell(sk_buf *b, const char *s);

/* Writes b to path atomically (creating nothing else); err names the path. */
sk_status sk_sb_write(const char *path, const sk_buf *b, sk_error *err) SK_WUR;

#endif
