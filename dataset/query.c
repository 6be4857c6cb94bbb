/* query.c: SkyServer SQL search into a study-format catalog CSV (see query.h).
 * The body is judged inside the http engine's check callback so an HTML or malformed answer
 * fails the job with a message instead of being written. */
#include "query.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sk_base.h"

static const char *const COLUMNS[19] = {"objid", "ra", "dec", "u", "g", "r", "i", "z", "run",
                                        "rerun", "camcol", "field", "fiberMag_g", "specobjid",
                                        "class", "redshift", "plate", "mjd", "fiberid"};

void sk_query_opts_default(sk_query_opts *o)
{
    memset(o, 0, sizeof *o);
    o->base_url = "https://skyserver.sdss.org";
    o->release = "dr16";
    o->top = 1000;
    o->where = NULL;
    sk_http_opts_default(&o->http);
    o->http.jobs = 1;
    o->http.rate = 1.0; /* SkyServer: 60 queries per minute */
    o->http.retries = 3;
    o->http.timeout_s = 600.0; /* SkyServer's own limit for SQL search */
    o->http.stall_s = 600.0;
}

char *sk_query_sql(long top, const char *where)
{
    static const char fmt[] =
        "SELECT TOP %ld p.objid, p.ra, p.dec, p.u, p.g, p.r, p.i, p.z, p.run, p.rerun, p.camcol, "
        "p.field, p.fiberMag_g, s.specobjid, s.class, s.z as redshift, s.plate, s.mjd, s.fiberid "
        "FROM PhotoObj AS p JOIN SpecObj AS s ON s.bestobjid = p.objid WHERE %s";
    const char *w = where && where[0] ? where : SK_QUERY_DEFAULT_WHERE;
    size_t cap = sizeof fmt + strlen(w) + 32;
    char *sql = sk_xmalloc(cap);
    snprintf(sql, cap, fmt, top, w);
    return sql;
}

char *sk_query_url(const sk_query_opts *o, const char *sql)
{
    char *enc = sk_http_urlencode(sql);
    size_t bl = strlen(o->base_url);
    while (bl > 0 && o->base_url[bl - 1] == '/') bl--;
    size_t cap = bl + strlen(o->release) + strlen(enc) + 96;
    char *url = sk_xmalloc(cap);
    snprintf(url, cap, "%.*s/%s/SkyServerWS/SearchTools/SqlSearch?cmd=%s&format=csv", (int)bl, o->base_url,
             o->release, enc);
    free(enc);
    return url;
}

/* The first words of a text answer with tags and control characters removed, for messages. */
static void snippet(char *out, size_t cap, const char *body, size_t n)
{
    size_t w = 0;
    int in_tag = 0, space = 1;
    for (size_t k = 0; k < n && k < 4096 && w + 1 < cap; k++) {
        unsigned char c = (unsigned char)body[k];
        if (c == '<') { in_tag = 1; continue; }
        if (c == '>') { in_tag = 0; c = ' '; }
        if (in_tag) continue;
        if (c < 32 || c >= 127) c = ' ';
        if (c == ' ' && space) continue;
        space = c == ' ';
        out[w++] = (char)c;
    }
    while (w && out[w - 1] == ' ') w--;
    out[w] = '\0';
}

sk_status sk_query_validate(const char *body, size_t n, size_t *csv_start, sk_catalog *cat,
                            sk_error *err)
{
    memset(cat, 0, sizeof *cat);
    char snip[201];
    size_t k = 0;
    while (k < n && isspace((unsigned char)body[k])) k++;
    int html = k < n && body[k] == '<';
    for (size_t j = k; !html && j + 5 <= n && j < 1024; j++)
        if (!strncasecmp(body + j, "<html", 5) || !strncasecmp(body + j, "<!doc", 5)) html = 1;
    if (html) {
        snippet(snip, sizeof snip, body, n);
        return sk_error_set(err, SK_EHTTP, "SkyServer answered with an HTML page, not CSV: \"%s\"", snip);
    }
    /* skip "#Table1" and any other leading comment lines */
    while (k < n && body[k] == '#') {
        while (k < n && body[k] != '\n') k++;
        if (k < n) k++;
    }
    size_t hdr_end = k;
    while (hdr_end < n && body[hdr_end] != '\n') hdr_end++;
    size_t hl = hdr_end - k;
    if (hl && body[k + hl - 1] == '\r') hl--;
    char expect[256] = "";
    for (int c = 0; c < 19; c++) {
        strcat(expect, COLUMNS[c]);
        if (c < 18) strcat(expect, ",");
    }
    if (hl != strlen(expect) || strncasecmp(body + k, expect, hl) != 0) {
        snippet(snip, sizeof snip, body + k, n - k < 200 ? n - k : 200);
        return sk_error_set(err, SK_EFORMAT, "SkyServer answer: expected the header '%s', found \"%s\"", expect, snip);
    }
    sk_status st = sk_catalog_parse(cat, body + k, n - k, "SkyServer answer", err);
    if (st) return st;
    if (cat->n_bad) {
        /* line numbers counted from the header; add the skipped comment lines */
        long skipped = 0;
        for (size_t j = 0; j < k; j++) skipped += body[j] == '\n';
        st = sk_error_set(err, SK_EFORMAT, "SkyServer answer: %zu bad rows (lines counted after %ld comment lines), first: %s",
                          cat->n_bad, skipped, cat->bad[0]);
        sk_catalog_free(cat);
        return st;
    }
    *csv_start = k;
    return SK_OK;
}

typedef struct {
    sk_catalog cat;
    size_t start;
    uint8_t *body;
    size_t len;
    int have;
    sk_error verr;
} query_state;

static sk_http_verdict check_answer(void *ctx, size_t job, const sk_http_response *resp, char *why, size_t cap)
{
    query_state *q = ctx;
    (void)job;
    sk_catalog_free(&q->cat);
    if (sk_query_validate((const char *)resp->body, resp->len, &q->start, &q->cat, &q->verr) != SK_OK) {
        snprintf(why, cap, "%.300s", q->verr.msg);
        return SK_HTTP_FAIL;
    }
    return SK_HTTP_ACCEPT;
}

static void on_answer(void *ctx, size_t job, const sk_http_result *res)
{
    query_state *q = ctx;
    (void)job;
    if (!res->ok) {
        if (!q->verr.msg[0] || q->verr.code == SK_OK)
            sk_error_set(&q->verr, SK_ENET, "%s (after %d attempt%s)", res->reason, res->attempts,
                         res->attempts == 1 ? "" : "s");
        return;
    }
    q->body = sk_xmalloc(res->len + 1);
    memcpy(q->body, res->body, res->len);
    q->len = res->len;
    q->have = 1;
}

sk_status sk_query_run(const sk_query_opts *o, sk_catalog *cat, sk_error *err)
{
    memset(cat, 0, sizeof *cat);
    if (o->top < 1 || o->top > SK_QUERY_MAX_TOP)
        return sk_error_set(err, SK_EINVAL, "query: TOP %ld, expected 1..%ld (SkyServer's row limit)", o->top,
                            SK_QUERY_MAX_TOP);
    if (!o->out_path) return sk_error_set(err, SK_EINVAL, "query: no output path");
    char *sql = sk_query_sql(o->top, o->where);
    char *url = sk_query_url(o, sql);
    sk_info("query: %s", sql);
    query_state q;
    memset(&q, 0, sizeof q);
    const char *urls[1] = {url};
    sk_status st = sk_http_run(&o->http, urls, 1, check_answer, on_answer, &q, NULL, err);
    if (st == SK_OK && !q.have) {
        if (err) {
            *err = q.verr;
            sk_error_prefix(err, "query %s: ", o->release);
        }
        st = q.verr.code != SK_OK ? q.verr.code : SK_ENET;
    }
    if (st == SK_OK) {
        st = sk_write_file_atomic(o->out_path, q.body + q.start, q.len - q.start, err);
        if (st == SK_OK) {
            *cat = q.cat;
            memset(&q.cat, 0, sizeof q.cat);
        }
    }
    sk_catalog_free(&q.cat);
    free(q.body);
    free(sql);
    free(url);
    return st;
}
