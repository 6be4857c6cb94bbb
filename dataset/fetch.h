/* fetch.h: download one SkyServer ImgCutout JPEG per catalog object, in parallel, resumably.
 *
 * Files land as OUT/<CLASS>/<name>.jpg (name = objid, see catalog.h) through "<file>.part",
 * fsync and rename, so a killed run never leaves a half file under the final name; stale .part
 * files are removed at the start of a run. A response counts only if it is HTTP 200, declares
 * an image Content-Type, decodes completely as JPEG (libjpeg warnings are errors) and has the
 * requested width and height. A re-run keeps every existing file that passes the same decode
 * check and fetches the rest. OUT/manifest.tsv (manifest.h; one row per file sorted by file:
 * objid class ra dec url bytes sha256 http_status attempts file, where objid is the catalog's
 * digits and file is CLASS/name.jpg) is rewritten atomically, merged with the previous one (rows
 * are keyed by file; a previous manifest that is malformed or not fetch's is an error, not
 * overwritten), also every few seconds during a run; a valid file whose row was lost (killed run)
 * gets http_status 0 and attempts 0. OUT/failed.tsv (objid file class line url http_status
 * attempts reason) lists the objects that failed; removed when none. Class folders are created
 * with sk_mkdir_in: one that is a symbolic link out of OUT is refused.
 * Not here: HTTP mechanics (http.h), catalog parsing (catalog.h). */
#ifndef SK_FETCH_H
#define SK_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include "catalog.h"
#include "http.h"
#include "sk_base.h"

typedef struct {
    const char *base_url; /* default "https://skyserver.sdss.org" (no trailing slash needed) */
    const char *release;  /* default "dr16" */
    double scale;         /* arcsec per pixel; default 0.01 (the study) */
    int width, height;    /* default 2048 x 2048 (the study) */
    const char *out_dir;
    int progress;         /* draw a progress bar when stderr is a terminal */
    double checkpoint_s;  /* rewrite the manifest at most this often during a run (default 2) */
    sk_http_opts http;
} sk_fetch_opts;

/* The study's settings (DR16, 0.01"/px, 2048x2048) and sk_http_opts_default. out_dir NULL. */
void sk_fetch_opts_default(sk_fetch_opts *o);

/* The cutout URL of one position into buf[cap]; ra/dec printed with 15 significant digits. */
void sk_fetch_url(char *buf, size_t cap, const sk_fetch_opts *o, double ra, double dec);

typedef struct {
    size_t row;           /* index into the catalog */
    long status;          /* last HTTP status, 0 if none */
    int attempts;
    char reason[320];
} sk_fetch_failure;

typedef struct {
    size_t total;         /* catalog rows */
    size_t present;       /* already on disk and valid */
    size_t fetched;       /* downloaded in this run */
    size_t failed;
    size_t replaced;      /* files on disk that failed the check and were fetched again */
    uint64_t bytes, attempts;
    double seconds;
    sk_fetch_failure *failures; /* failed of them */
} sk_fetch_summary;

/* Fetches every row of cat into o->out_dir. Returns SK_OK when the run completed, whether or
 * not objects failed (see sum->failed); SK_EINTERRUPTED when cancelled (manifest still
 * written); SK_EIO / SK_EINVAL / SK_ENET for problems that stop the whole run. Free sum with
 * sk_fetch_summary_free in every case. */
sk_status sk_fetch_run(const sk_fetch_opts *o, const sk_catalog *cat, sk_fetch_summary *sum,
                       sk_error *err) SK_WUR;
void sk_fetch_summary_free(sk_fetch_summary *sum);

/* Complete-decode check of a JPEG in memory: 0 if it decodes without warnings and is
 * want_w x want_h (0 = any), else -1 with the reason in why[cap]. */
int sk_fetch_check_jpeg(const uint8_t *data, size_t n, int want_w, int want_h, char *why, size_t cap);

#endif
