// LABELS: unit dataset
// LIBS: sk_dataset
/* test_csv.c: the one CSV scanner (base/csv.h), whole-field number parsing, and the objects CSV
 * of `dataset cutout` read through them (issue 18, finding 6): quoting, CRLF, BOM, line numbers
 * across quoted newlines, malformed records reported and skipped; an unterminated quote, a
 * negative, non-numeric or too large objid, control bytes or a backslash in a class name and a
 * repeated objid are errors naming the line (a repeat is dropped with --dedupe instead). */
#include "sk_base.h"
#include "sk_dataset.h"
#include "sk_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_scanner(void)
{
    static const char text[] = "\xEF\xBB\xBF# comment\n\na,\"b,c\",\"say \"\"hi\"\"\"\r\n"
                               "1,\"two\nlines\",3\n4,5\"x,6\n7,8,9";
    sk_csv s;
    sk_csv_init(&s, text, sizeof text - 1);
    sk_csv_skip_comments(&s);
    long line = 0;
    const char *why = NULL;
    CHECK(sk_csv_next(&s, &line, &why) == 1 && line == 3 && sk_csv_nfields(&s) == 3);
    CHECK_STR(sk_csv_field(&s, 1), "b,c");
    CHECK_STR(sk_csv_field(&s, 2), "say \"hi\"");
    CHECK(sk_csv_next(&s, &line, &why) == 1 && line == 4);
    CHECK_STR(sk_csv_field(&s, 1), "two\nlines");
    CHECK(sk_csv_next(&s, &line, &why) == -1 && line == 6 && strstr(why, "stray"));
    CHECK(sk_csv_next(&s, &line, &why) == 1 && line == 7 && !strcmp(sk_csv_field(&s, 2), "9"));
    CHECK(sk_csv_next(&s, &line, &why) == 0);
    sk_csv_free(&s);
    static const char open_quote[] = "a,b\n1,\"never closed\n";
    sk_csv_init(&s, open_quote, sizeof open_quote - 1);
    CHECK(sk_csv_next(&s, &line, &why) == 1);
    CHECK(sk_csv_next(&s, &line, &why) == -1 && strstr(why, "unterminated"));
    sk_csv_free(&s);
    static const char nul[] = "a,b\n1,x\0y\n2,3\n";
    sk_csv_init(&s, nul, sizeof nul - 1);
    CHECK(sk_csv_next(&s, &line, &why) == 1);
    CHECK(sk_csv_next(&s, &line, &why) == -1 && strstr(why, "NUL"));
    CHECK(sk_csv_next(&s, &line, &why) == 1 && !strcmp(sk_csv_field(&s, 0), "2"));
    sk_csv_free(&s);
}

static void test_numbers(void)
{
    double d = 0;
    long l = 0;
    uint64_t u = 0;
    CHECK(sk_parse_f64(" 1.5 ", &d) == 0 && d == 1.5);
    CHECK(sk_parse_f64("", &d) == 1 && sk_parse_f64("  ", &d) == 1);
    CHECK(sk_parse_f64("22=9.33", &d) == -1);
    CHECK(sk_parse_f64("nan", &d) == -1 && sk_parse_f64("inf", &d) == -1 && sk_parse_f64("1e999", &d) == -1);
    CHECK(sk_parse_f64("1 2", &d) == -1);
    CHECK(sk_parse_long("-12", &l) == 0 && l == -12);
    CHECK(sk_parse_long("12abc", &l) == -1 && sk_parse_long("99999999999999999999", &l) == -1);
    CHECK(sk_parse_u64("18446744073709551615", &u) == 0 && u == UINT64_MAX);
    CHECK(sk_parse_u64("18446744073709551616", &u) == -1);
    CHECK(sk_parse_u64("-1", &u) == -1 && sk_parse_u64("+1", &u) == -1 && sk_parse_u64("1e3", &u) == -1);
}

/* Parses text as an objects CSV; expects `code` and, on error, needles in the message. */
static void objects(const char *label, const char *text, int dedupe, sk_status code, size_t want_n,
                    const char *n1, const char *n2)
{
    sk_error err;
    sk_cutout_object *o = NULL;
    size_t n = 0;
    sk_status s = sk_cutout_parse_objects(&o, &n, text, strlen(text), "objects.csv", dedupe, &err);
    CHECKF(s == code, "%s: %s, expected %s (%s)", label, sk_status_name(s), sk_status_name(code), s ? err.msg : "");
    if (s == SK_OK) CHECKF(n == want_n, "%s: %zu objects, expected %zu", label, n, want_n);
    if (s) CHECKF(strstr(err.msg, n1) && (!n2 || strstr(err.msg, n2)), "%s: message \"%s\"", label, err.msg);
    free(o);
}

static void test_objects(void)
{
    const char *H = "objid,ra,dec,class\n";
    char t[512];
#define CSV(rows) (snprintf(t, sizeof t, "%s%s", H, rows), t)
    objects("good", CSV("1,10,20,STAR\n2,\"11\",-20,GALAXY\r\n"), 0, SK_OK, 2, NULL, NULL);
    objects("objid -1 (was 2^64-1)", CSV("-1,10,20,STAR\n"), 0, SK_EFORMAT, 0, "line 2: column objid", "\"-1\"");
    objects("objid text", CSV("abc,10,20,STAR\n"), 0, SK_EFORMAT, 0, "column objid", NULL);
    objects("objid too large", CSV("18446744073709551616,10,20,STAR\n"), 0, SK_EFORMAT, 0, "column objid", NULL);
    objects("class control byte", CSV("1,10,20,ST\001AR\n"), 0, SK_EFORMAT, 0, "line 2: column class", NULL);
    objects("class backslash", CSV("1,10,20,A\\B\n"), 0, SK_EFORMAT, 0, "column class", NULL);
    objects("class slash", CSV("1,10,20,A/B\n"), 0, SK_EFORMAT, 0, "column class", NULL);
    objects("class dotdot", CSV("1,10,20,..\n"), 0, SK_EFORMAT, 0, "column class", NULL);
    objects("unterminated quote", CSV("1,10,20,STAR\n2,\"10,20,STAR\n"), 0, SK_EFORMAT, 0, "line 3", "unterminated");
    objects("ra 360", CSV("1,360,20,STAR\n"), 0, SK_EFORMAT, 0, "column ra", "[0, 360)");
    objects("dec -91", CSV("1,1,-91,STAR\n"), 0, SK_EFORMAT, 0, "column dec", NULL);
    objects("field count", CSV("1,1,1\n"), 0, SK_EFORMAT, 0, "line 2", "expected 4 fields");
    objects("duplicate objid", CSV("5,1,1,STAR\n6,1,1,STAR\n5,2,2,QSO\n"), 0, SK_EFORMAT, 0,
            "objid 5 appears on lines 2 and 4", "--dedupe");
    sk_log_set_level(SK_LOG_ERROR); /* the dedupe warnings */
    objects("dedupe", CSV("5,1,1,STAR\n6,1,1,STAR\n5,2,2,QSO\n"), 1, SK_OK, 2, NULL, NULL);
    sk_log_set_level(SK_LOG_INFO);
    objects("no header", "", 0, SK_EFORMAT, 0, "expected a header", NULL);
    objects("no ra", "objid,dec,class\n1,1,STAR\n", 0, SK_EFORMAT, 0, "ra:missing", NULL);
    objects("no rows", H, 0, SK_EFORMAT, 0, "at least one object", NULL);
#undef CSV
    /* Without objid the row number is the id; headers bind case-insensitively and by prefix. */
    sk_error err;
    sk_cutout_object *o = NULL;
    size_t n = 0;
    const char alt[] = "Label,x,RA_deg,Dec_deg\nSTAR,1,10.5,20\nGALAXY,2,11,-5\n";
    CHECK_OK(sk_cutout_parse_objects(&o, &n, alt, sizeof alt - 1, "alt.csv", 0, &err), &err);
    CHECK(n == 2 && o[1].objid == 2 && o[1].ra == 11.0 && !strcmp(o[1].cls, "GALAXY") && o[1].line == 3);
    free(o);
}

int main(void)
{
    test_scanner();
    test_numbers();
    test_objects();
    return sk_test_finish();
}
