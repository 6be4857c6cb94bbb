/* cmd_dataset_query.c: `skytune dataset query`: run a SkyServer SQL query into a catalog CSV.
 * Parses options and runs sk_query_run; prints the row and class counts. */
#include "args.h"
#include "sk_dataset.h"
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sk_cmd_dataset_query(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"release", SK_OPT_VALUE, "DRnn", "SDSS data release (default dr16)"},
        {"top", SK_OPT_VALUE, "N", "number of rows, 1..500000 (default 1000)"},
        {"out", SK_OPT_VALUE, "CSV", "output catalog (required); written atomically"},
        {"where", SK_OPT_VALUE, "SQL", "WHERE condition on p (PhotoObj) and s (SpecObj) (default " SK_QUERY_DEFAULT_WHERE ")"},
        {"base-url", SK_OPT_VALUE, "URL", "service root (default https://skyserver.sdss.org)"},
        {"retries", SK_OPT_VALUE, "N", "retries after the first attempt (default 3)"},
        {"timeout", SK_OPT_VALUE, "S", "timeout in seconds (default 600)"},
        {"print-sql", SK_OPT_FLAG, NULL, "print the SQL and the URL on stdout and exit"},
        {"quiet", SK_OPT_FLAG, NULL, "no progress output"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune dataset query",
                           "skytune dataset query --release dr16 --top N --out catalog.csv [--where SQL] [--base-url URL]",
                           "Runs the study's SkyServer SQL (PhotoObj joined to SpecObj on bestobjid, 19 columns "
                           "with fiberMag_g) and writes the CSV answer after checking its columns and rows. "
                           "Requests respect SkyServer's 60 queries per minute.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0)) return 2;
    int print_only = sk_args_has(&a, "print-sql");
    if (!print_only && sk_args_require(&a, "out")) return 2;
    sk_query_opts o;
    sk_query_opts_default(&o);
    long top, retries;
    double timeout;
    if (sk_args_long(&a, "top", 1000, 1, SK_QUERY_MAX_TOP, &top) ||
        sk_args_long(&a, "retries", 3, 0, 100, &retries) ||
        sk_args_double(&a, "timeout", 600.0, 0.05, 86400.0, &timeout))
        return 2;
    o.top = top;
    o.http.retries = (int)retries;
    o.http.timeout_s = timeout;
    o.http.stall_s = timeout;
    o.http.connect_timeout_s = timeout < 20.0 ? timeout : 20.0;
    o.release = sk_args_str(&a, "release", "dr16");
    size_t rl = strlen(o.release);
    int rel_ok = rl >= 3 && rl <= 5 && (o.release[0] == 'd' || o.release[0] == 'D') &&
                 (o.release[1] == 'r' || o.release[1] == 'R');
    for (size_t k = 2; rel_ok && k < rl; k++) rel_ok = o.release[k] >= '0' && o.release[k] <= '9';
    if (!rel_ok) {
        fprintf(stderr, "skytune dataset query: --release '%s' is not of the form drNN\n", o.release);
        return 2;
    }
    o.base_url = sk_args_str(&a, "base-url", o.base_url);
    if (strncmp(o.base_url, "http://", 7) != 0 && strncmp(o.base_url, "https://", 8) != 0) {
        fprintf(stderr, "skytune dataset query: --base-url '%s' must start with http:// or https://\n", o.base_url);
        return 2;
    }
    o.where = sk_args_str(&a, "where", NULL);
    o.out_path = sk_args_str(&a, "out", NULL);
    if (print_only) {
        char *sql = sk_query_sql(o.top, o.where);
        char *url = sk_query_url(&o, sql);
        printf("%s\n%s\n", sql, url);
        free(sql);
        free(url);
        return 0;
    }
    sk_catalog cat;
    sk_error err;
    if (sk_query_run(&o, &cat, &err)) {
        fprintf(stderr, "skytune dataset query: %s\n", err.msg);
        return 1;
    }
    fprintf(stderr, "query: %zu rows (GALAXY %zu, QSO %zu, STAR %zu) -> %s\n", cat.n,
            cat.n_class[SK_CLASS_GALAXY], cat.n_class[SK_CLASS_QSO], cat.n_class[SK_CLASS_STAR], o.out_path);
    sk_catalog_free(&cat);
    return 0;
}
