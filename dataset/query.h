/* query.h: the SkyServer SQL query that produces a study-format catalog.
 *
 * Builds the study's SELECT (PhotoObj joined to SpecObj on bestobjid, 19 columns, fiberMag_g
 * included), sends it to BASE/<release>/SkyServerWS/SearchTools/SqlSearch?cmd=<SQL>&format=csv
 * through the http engine with the published limit of 60 requests a minute (rate 1/s, applied
 * to retries too), strips SkyServer's leading "#Table1" line, checks that the answer is a CSV
 * with exactly the 19 expected columns and well-formed rows (an HTML page or an error text is
 * refused with its first words quoted), and writes it atomically. One query per call; TOP is
 * limited to SkyServer's 500,000 rows (no paging). Not here: parsing catalogs (catalog.h). */
#ifndef SK_QUERY_H
#define SK_QUERY_H

#include <stddef.h>
#include "catalog.h"
#include "http.h"
#include "sk_base.h"

#define SK_QUERY_MAX_TOP 500000L
/* Used when no WHERE clause is given: spectra without redshift warnings. The study did not
 * publish its query; this is our choice. */
#define SK_QUERY_DEFAULT_WHERE "s.zWarning = 0"

typedef struct {
    const char *base_url; /* default "https://skyserver.sdss.org" */
    const char *release;  /* default "dr16" */
    long top;             /* 1..SK_QUERY_MAX_TOP */
    const char *where;    /* SQL condition; NULL = SK_QUERY_DEFAULT_WHERE */
    const char *out_path;
    sk_http_opts http;    /* defaults: 1 job, rate 1/s, 3 retries, 600 s timeout */
} sk_query_opts;

void sk_query_opts_default(sk_query_opts *o);

/* The SQL text (malloc'ed). */
char *sk_query_sql(long top, const char *where);
/* The full request URL for sql (malloc'ed). */
char *sk_query_url(const sk_query_opts *o, const char *sql);

/* Checks a SkyServer answer: skips leading '#' lines, requires the 19 study columns and no bad
 * rows. On success *csv_start is the offset of the header line in body and cat holds the parsed
 * rows (caller frees). SK_EHTTP for HTML/error pages, SK_EFORMAT for wrong columns or rows. */
sk_status sk_query_validate(const char *body, size_t n, size_t *csv_start, sk_catalog *cat,
                            sk_error *err) SK_WUR;

/* Runs the query and writes o->out_path atomically; cat gets the parsed rows (caller frees).
 * Nothing is written on any error. */
sk_status sk_query_run(const sk_query_opts *o, sk_catalog *cat, sk_error *err) SK_WUR;

#endif
