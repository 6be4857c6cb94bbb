/* report_text.c: string building and per-language escaping for report outputs (see
 * report_text.h). Escapers treat input as bytes; UTF-8 passes through unchanged except where
 * a byte is special in the target language. */
#include "report_text.h"
#include "sk_base.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sk_sb_puts(sk_buf *b, const char *s)
{
    size_t n = strlen(s);
    sk_buf_reserve(b, n + 1);
    memcpy(b->data + b->len, s, n + 1);
    b->len += n;
}

static void putc_sb(sk_buf *b, char c)
{
    sk_buf_reserve(b, 2);
    b->data[b->len++] = (uint8_t)c;
    b->data[b->len] = 0;
}

const char *sk_sb_str(sk_buf *b)
{
    if (!b->data) sk_buf_reserve(b, 1), b->data[0] = 0;
    return (const char *)b->data;
}

static int is_ctrl(unsigned char c) { return c < 0x20 || c == 0x7f; }

void sk_esc_gnuplot(sk_buf *b, const char *s)
{
    putc_sb(b, '\'');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\'') sk_sb_puts(b, "''");
        else if (is_ctrl(*p)) putc_sb(b, ' ');
        else putc_sb(b, (char)*p);
    }
    putc_sb(b, '\'');
}

void sk_esc_md(sk_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '<': sk_sb_puts(b, "&lt;"); break;
        case '>': sk_sb_puts(b, "&gt;"); break;
        case '&': sk_sb_puts(b, "&amp;"); break;
        case '|': case '\\': case '*': case '_': case '`': case '[': case ']': case '#':
            putc_sb(b, '\\');
            putc_sb(b, (char)*p);
            break;
        default: putc_sb(b, is_ctrl(*p) ? ' ' : (char)*p);
        }
    }
}

void sk_md_code(sk_buf *b, const char *s)
{
    int longest = 0, run = 0;
    for (const char *p = s; *p; p++) {
        run = *p == '`' ? run + 1 : 0;
        if (run > longest) longest = run;
    }
    for (int i = 0; i <= longest; i++) putc_sb(b, '`');
    putc_sb(b, ' ');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) putc_sb(b, is_ctrl(*p) ? ' ' : (char)*p);
    putc_sb(b, ' ');
    for (int i = 0; i <= longest; i++) putc_sb(b, '`');
}

void sk_esc_html(sk_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&': sk_sb_puts(b, "&amp;"); break;
        case '<': sk_sb_puts(b, "&lt;"); break;
        case '>': sk_sb_puts(b, "&gt;"); break;
        case '"': sk_sb_puts(b, "&quot;"); break;
        case '\'': sk_sb_puts(b, "&#39;"); break;
        default: putc_sb(b, (is_ctrl(*p) && *p != '\n') ? ' ' : (char)*p);
        }
    }
}

void sk_esc_latex(sk_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '#': case '$': case '%': case '&': case '_': case '{': case '}':
            putc_sb(b, '\\');
            putc_sb(b, (char)*p);
            break;
        case '~': sk_sb_puts(b, "\\textasciitilde{}"); break;
        case '^': sk_sb_puts(b, "\\textasciicircum{}"); break;
        case '\\': sk_sb_puts(b, "\\textbackslash{}"); break;
        case '<': sk_sb_puts(b, "\\textless{}"); break;
        case '>': sk_sb_puts(b, "\\textgreater{}"); break;
        default: putc_sb(b, is_ctrl(*p) ? ' ' : (char)*p);
        }
    }
}

void sk_esc_csv(sk_buf *b, const char *s)
{
    sk_csv_put_field(b, s);
    sk_buf_reserve(b, 1); /* sk_sb_* keep the text NUL-terminated */
    b->data[b->len] = '\0';
}

void sk_esc_shell(sk_buf *b, const char *s)
{
    putc_sb(b, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '\'') sk_sb_puts(b, "'\\''");
        else putc_sb(b, *p);
    }
    putc_sb(b, '\'');
}

sk_status sk_sb_write(const char *path, const sk_buf *b, sk_error *err)
{
    return sk_write_file_atomic(path, b->data ? (const void *)b->data : (const void *)"", b->len, err);
}
