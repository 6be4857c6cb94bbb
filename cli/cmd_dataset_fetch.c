/* cmd_dataset_fetch.c: `skytune dataset fetch`: download cutouts for a catalog (libcurl, parallel, resumable).
 * Parses options, reads the catalog, runs sk_fetch_run, prints the summary and the failures.
 * Exit 0 when every catalog object is on disk and valid afterwards, 3 when some are (the others
 * failed or were bad catalog rows, each listed), 1 when none is or on an error, 130 when
 * interrupted, 2 on usage. */
#include "args.h"
#include "sk_dataset.h"
#include "commands.h"
#include "sk_base.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t g_cancel;

static void on_signal(int sig)
{
    (void)sig;
    g_cancel = 1;
}

int sk_cmd_dataset_fetch(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"catalog", SK_OPT_VALUE, "CSV", "catalog with objid, ra, dec, class columns (required)"},
        {"out", SK_OPT_VALUE, "DIR", "output folder: DIR/<CLASS>/<objid>.jpg + manifest.tsv (required)"},
        {"preset", SK_OPT_VALUE, "NAME", "'paper': DR16, 0.01 arcsec/px, 2048x2048 (the study)"},
        {"release", SK_OPT_VALUE, "DRnn", "SDSS data release (default dr16)"},
        {"scale", SK_OPT_VALUE, "ARCSEC", "arcsec per pixel (default 0.01)"},
        {"size", SK_OPT_VALUE, "PX", "width and height in pixels (default 2048)"},
        {"base-url", SK_OPT_VALUE, "URL", "service root (default https://skyserver.sdss.org)"},
        {"jobs", SK_OPT_VALUE, "N", "transfers in flight (default 4)"},
        {"retries", SK_OPT_VALUE, "N", "retries per object after the first attempt (default 4)"},
        {"timeout", SK_OPT_VALUE, "S", "per-attempt timeout in seconds; also the stall limit (default 120)"},
        {"rate", SK_OPT_VALUE, "REQ_PER_S", "at most this many requests per second (default unlimited)"},
        {"backoff", SK_OPT_VALUE, "S", "first retry delay in seconds, doubling per retry (default 1)"},
        {"quiet", SK_OPT_FLAG, NULL, "no progress output"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune dataset fetch",
                           "skytune dataset fetch --catalog CSV --out DIR [--preset paper] [--release dr16]\n"
                           "       [--scale ARCSEC_PER_PX] [--size PX] [--base-url URL] [--jobs N]\n"
                           "       [--retries N] [--timeout S] [--rate REQ_PER_S]",
                           "Downloads one SkyServer ImgCutout JPEG per catalog object into "
                           "DIR/<CLASS>/<objid>.jpg. A response counts only if it is HTTP 200, an image "
                           "type, a complete JPEG of the requested size. Files land via .part + rename; a "
                           "re-run keeps valid files and fetches the rest. Failures are listed and written "
                           "to DIR/failed.tsv. Exit status: 0 every object on disk; 3 some on disk, some "
                           "failed or bad catalog rows (rerun to retry); 1 nothing usable (or an error); "
                           "130 interrupted; 2 usage error.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0) || sk_args_require(&a, "catalog") || sk_args_require(&a, "out")) return 2;
    sk_fetch_opts o;
    sk_fetch_opts_default(&o);
    const char *preset = sk_args_str(&a, "preset", NULL);
    if (preset && strcmp(preset, "paper") != 0) {
        fprintf(stderr, "skytune dataset fetch: --preset '%s' unknown (expected 'paper')\n", preset);
        return 2;
    }
    if (preset && (sk_args_has(&a, "scale") || sk_args_has(&a, "size") || sk_args_has(&a, "release"))) {
        fprintf(stderr, "skytune dataset fetch: --preset paper fixes --release, --scale and --size; "
                        "give either the preset or those options\n");
        return 2;
    }
    o.release = sk_args_str(&a, "release", "dr16");
    size_t rl = strlen(o.release);
    int rel_ok = rl >= 3 && rl <= 5 && (o.release[0] == 'd' || o.release[0] == 'D') &&
                 (o.release[1] == 'r' || o.release[1] == 'R');
    for (size_t k = 2; rel_ok && k < rl; k++) rel_ok = o.release[k] >= '0' && o.release[k] <= '9';
    if (!rel_ok) {
        fprintf(stderr, "skytune dataset fetch: --release '%s' is not of the form drNN\n", o.release);
        return 2;
    }
    long size, jobs, retries;
    double timeout, rate, backoff;
    if (sk_args_double(&a, "scale", 0.01, 1e-6, 3600.0, &o.scale) ||
        sk_args_long(&a, "size", 2048, 1, 4096, &size) || sk_args_long(&a, "jobs", 4, 1, 256, &jobs) ||
        sk_args_long(&a, "retries", 4, 0, 100, &retries) ||
        sk_args_double(&a, "timeout", 120.0, 0.05, 86400.0, &timeout) ||
        sk_args_double(&a, "rate", 0.0, 0.0, 1e6, &rate) ||
        sk_args_double(&a, "backoff", 1.0, 0.0, 3600.0, &backoff))
        return 2;
    o.width = o.height = (int)size;
    o.base_url = sk_args_str(&a, "base-url", o.base_url);
    if (strncmp(o.base_url, "http://", 7) != 0 && strncmp(o.base_url, "https://", 8) != 0) {
        fprintf(stderr, "skytune dataset fetch: --base-url '%s' must start with http:// or https://\n", o.base_url);
        return 2;
    }
    o.out_dir = sk_args_str(&a, "out", NULL);
    o.progress = !sk_args_has(&a, "quiet");
    o.http.jobs = (int)jobs;
    o.http.retries = (int)retries;
    o.http.timeout_s = timeout;
    o.http.stall_s = timeout < 30.0 ? timeout : 30.0;
    o.http.connect_timeout_s = timeout < 20.0 ? timeout : 20.0;
    o.http.rate = rate;
    o.http.backoff_base_s = backoff;
    o.http.cancel = &g_cancel;

    const char *catalog = sk_args_str(&a, "catalog", NULL);
    sk_catalog cat;
    sk_error err;
    if (sk_catalog_read(&cat, catalog, &err)) {
        fprintf(stderr, "skytune dataset fetch: %s\n", err.msg);
        return 1;
    }
    for (size_t k = 0; k < cat.n_bad_listed; k++) fprintf(stderr, "%s: bad row: %s\n", catalog, cat.bad[k]);
    if (cat.n_bad > cat.n_bad_listed)
        fprintf(stderr, "%s: ... and %zu more bad rows\n", catalog, cat.n_bad - cat.n_bad_listed);
    if (cat.n_inexact)
        fprintf(stderr, "%s: note: %zu objids are in floating notation and therefore inexact; their files "
                        "are named <digits>_L<line>.jpg\n", catalog, cat.n_inexact);
    sk_info("fetch: %zu objects (%s; GALAXY %zu, QSO %zu, STAR %zu) -> %s", cat.n,
            sk_catalog_format_name(cat.format), cat.n_class[SK_CLASS_GALAXY], cat.n_class[SK_CLASS_QSO],
            cat.n_class[SK_CLASS_STAR], o.out_dir);

    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sk_fetch_summary sum;
    sk_status st = sk_fetch_run(&o, &cat, &sum, &err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);

    for (size_t k = 0; k < sum.failed; k++) {
        const sk_fetch_failure *f = &sum.failures[k];
        fprintf(stderr, "failed: %s (%s, line %ld) after %d attempt%s: %s\n", cat.rows[f->row].name,
                sk_class_name(cat.rows[f->row].cls), cat.rows[f->row].line, f->attempts,
                f->attempts == 1 ? "" : "s", f->reason);
    }
    fprintf(stderr,
            "fetch: %zu objects: %zu already present, %zu fetched, %zu failed, %zu bad catalog rows; "
            "%.1f MB in %.1f s (%.1f objects/s, %llu requests)\n",
            sum.total, sum.present, sum.fetched, sum.failed, cat.n_bad, (double)sum.bytes / 1e6, sum.seconds,
            sum.seconds > 0 ? (double)sum.fetched / sum.seconds : 0.0, (unsigned long long)sum.attempts);
    int exit_code = 0;
    if (st) {
        fprintf(stderr, "skytune dataset fetch: %s\n", err.msg);
        exit_code = st == SK_EINTERRUPTED ? 130 : 1;
    } else if (sum.present + sum.fetched == 0) {
        fprintf(stderr, "skytune dataset fetch: no object could be fetched; nothing usable in %s\n", o.out_dir);
        exit_code = 1;
    } else if (sum.failed || cat.n_bad || sum.present + sum.fetched != sum.total) {
        exit_code = 3;
    }
    sk_fetch_summary_free(&sum);
    sk_catalog_free(&cat);
    return exit_code;
}
