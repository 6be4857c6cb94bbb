/* cutout_run.c: the `dataset cutout` driver: objects CSV, field selection, parallel cutouts,
 * output through the sink (see sk_cutout_write in cutout.h).
 *
 * Fields are loaded once (single-threaded: cfitsio) and are read-only afterwards; the OpenMP
 * loop writes each object's own slot only, then results go to the sink in input order. */
#include "cutout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "fileio.h"
#include "log.h"
#include "sink.h"

#define MAX_FIELDS 64
#define MAX_COLS 64

static char *trim(char *s)
{
    while (*s == ' ' || *s == '"') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '"')) s[--n] = 0;
    return s;
}

static int split(char *line, char **f, int cap)
{
    int n = 0;
    for (char *p = line; n < cap;) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = 0;
        p = c + 1;
    }
    for (int k = 0; k < n; k++) f[k] = trim(f[k]);
    return n;
}

static int col_named(char **f, int n, const char *a, const char *prefix)
{
    for (int k = 0; k < n; k++)
        if (strcmp(f[k], a) == 0) return k;
    if (prefix)
        for (int k = 0; k < n; k++)
            if (strncmp(f[k], prefix, strlen(prefix)) == 0) return k;
    return -1;
}

sk_status sk_cutout_read_objects(sk_cutout_object **objs, size_t *n, const char *path, sk_error *err)
{
    *objs = NULL;
    *n = 0;
    uint8_t *text = NULL;
    size_t len = 0;
    sk_status st = sk_read_file(path, &text, &len, (size_t)1 << 30, err);
    if (st) return st;
    char *f[MAX_COLS];
    int cra = -1, cdec = -1, ccls = -1, cid = -1;
    size_t cap = 0, lineno = 0;
    char *save = NULL;
    for (char *ln = strtok_r((char *)text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        lineno++;
        int nf = split(ln, f, MAX_COLS);
        if (lineno == 1) {
            cra = col_named(f, nf, "ra", "ra_");
            cdec = col_named(f, nf, "dec", "dec_");
            ccls = col_named(f, nf, "class", NULL);
            if (ccls < 0) ccls = col_named(f, nf, "label", NULL);
            cid = col_named(f, nf, "objid", NULL);
            if (cra < 0 || cdec < 0 || ccls < 0) {
                st = sk_error_set(err, SK_EFORMAT, "%s: line 1: expected columns ra, dec and class "
                                  "(or label), found ra:%s dec:%s class:%s", path,
                                  cra < 0 ? "missing" : "ok", cdec < 0 ? "missing" : "ok",
                                  ccls < 0 ? "missing" : "ok");
                goto done;
            }
            continue;
        }
        if (nf == 1 && !f[0][0]) continue;
        int need = cra > cdec ? cra : cdec;
        if (ccls > need) need = ccls;
        if (cid > need) need = cid;
        if (nf <= need) {
            st = sk_error_set(err, SK_EFORMAT, "%s: line %zu: expected at least %d fields, found %d",
                              path, lineno, need + 1, nf);
            goto done;
        }
        sk_cutout_object o;
        memset(&o, 0, sizeof o);
        char *end;
        o.ra = strtod(f[cra], &end);
        int bad = end == f[cra] || *end || !(o.ra >= 0 && o.ra <= 360);
        o.dec = strtod(f[cdec], &end);
        bad |= end == f[cdec] || *end || !(o.dec >= -90 && o.dec <= 90);
        if (bad) {
            st = sk_error_set(err, SK_EFORMAT, "%s: line %zu: ra/dec expected numbers in [0,360] and "
                              "[-90,90], found \"%s\", \"%s\"", path, lineno, f[cra], f[cdec]);
            goto done;
        }
        size_t cl = strlen(f[ccls]);
        if (cl == 0 || cl >= sizeof o.cls || strchr(f[ccls], '/') || f[ccls][0] == '.') {
            st = sk_error_set(err, SK_EFORMAT, "%s: line %zu: class expected a plain name of 1..%zu "
                              "characters, found \"%s\"", path, lineno, sizeof o.cls - 1, f[ccls]);
            goto done;
        }
        memcpy(o.cls, f[ccls], cl + 1);
        o.objid = lineno - 1;
        if (cid >= 0) {
            unsigned long long v = strtoull(f[cid], &end, 10);
            if (end != f[cid] && !*end) o.objid = v;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            *objs = sk_xrealloc(*objs, cap * sizeof **objs);
        }
        (*objs)[(*n)++] = o;
    }
    if (*n == 0) st = sk_error_set(err, SK_EFORMAT, "%s: expected at least one object row, found none", path);
done:
    free(text);
    if (st) {
        free(*objs);
        *objs = NULL;
        *n = 0;
    }
    return st;
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

sk_status sk_cutout_write(const char *out, const char *frames_dir, const char *objects_csv,
                          double scale, int size, sk_cutout_from from, int jpeg_quality,
                          const char *command, int progress, size_t *written, size_t *skipped,
                          sk_error *err)
{
    *written = *skipped = 0;
    if (!(scale > 0 && scale <= 60))
        return sk_error_set(err, SK_EINVAL, "cutout: scale expected in (0, 60] arcsec/px, found %g", scale);
    if (jpeg_quality < 0 || jpeg_quality > 100)
        return sk_error_set(err, SK_EINVAL, "cutout: JPEG quality expected 0..100, found %d", jpeg_quality);
    if (size < 8 || size > 4096)
        return sk_error_set(err, SK_EINVAL, "cutout: size expected 8..4096, found %d", size);
    sk_cutout_object *objs = NULL;
    size_t n = 0;
    sk_status st = sk_cutout_read_objects(&objs, &n, objects_csv, err);
    if (st) return st;

    /* Classes: distinct names in alphabetical order (Keras' numbering). */
    const char *names[SK_SKDS_MAX_CLASSES];
    int ncls = 0;
    for (size_t i = 0; i < n && !st; i++) {
        int seen = 0;
        for (int c = 0; c < ncls; c++) seen |= strcmp(names[c], objs[i].cls) == 0;
        if (seen) continue;
        if (ncls == SK_SKDS_MAX_CLASSES)
            st = sk_error_set(err, SK_ELIMIT, "%s: more than %d classes", objects_csv, SK_SKDS_MAX_CLASSES);
        else
            names[ncls++] = objs[i].cls;
    }
    qsort(names, (size_t)ncls, sizeof names[0], cmp_name);

    char (*ids)[64] = sk_xmalloc(MAX_FIELDS * sizeof *ids);
    int nf = 0;
    sk_field *fields = NULL;
    if (!st) st = sk_field_list(ids, MAX_FIELDS, &nf, frames_dir, err);
    if (!st) {
        fields = sk_xcalloc((size_t)nf, sizeof *fields);
        for (int k = 0; k < nf && !st; k++) st = sk_field_load(&fields[k], frames_dir, ids[k], from, err);
    }
    int *which = sk_xmalloc((n ? n : 1) * sizeof(int));
    for (size_t i = 0; i < n && !st; i++) {
        which[i] = -1;
        double best = 0.0;
        for (int k = 0; k < nf; k++) {
            double m = sk_field_margin(&fields[k], objs[i].ra, objs[i].dec);
            if (m >= 0.0 && (which[i] < 0 || m > best)) which[i] = k, best = m;
        }
        if (which[i] < 0) {
            sk_warn("cutout: object %llu (ra %.6f, dec %.6f) lies in no field of %s; skipped",
                    (unsigned long long)objs[i].objid, objs[i].ra, objs[i].dec, frames_dir);
            (*skipped)++;
        }
    }
    sk_sink *sink = NULL;
    if (!st) st = sk_sink_open(&sink, out, size, names, ncls, from == SK_CUTOUT_FROM_JPEG ? "cutout:jpeg" : "cutout:fits",
                               0, 0.0, SK_SPLIT_RULE_CUSTOM, "ra\tdec\tfield\tcoverage", err);
    sk_lupton_params lp;
    sk_lupton_default(&lp);
    const size_t img = (size_t)size * size * 3;
    size_t chunk = ((size_t)256 << 20) / img;
    if (chunk < 1) chunk = 1;
    if (chunk > 256) chunk = 256;
    uint8_t *pix = sk_xmalloc(chunk * img);
    double *cov = sk_xmalloc(chunk * sizeof(double));
    sk_buf *pngs = sk_xcalloc(chunk, sizeof(sk_buf));
    sk_status *pst = sk_xcalloc(chunk, sizeof(sk_status));
    sk_error *perr = sk_xcalloc(chunk, sizeof(sk_error));
    const int png = sink && !sk_sink_is_skds(sink);
    if (png) sk_sink_set_jpeg(sink, jpeg_quality);
    sk_progress bar;
    if (progress && !st) sk_progress_begin(&bar, "cutout", n, NULL);
    for (size_t base = 0; base < n && !st; base += chunk) {
        long m = (long)(n - base < chunk ? n - base : chunk);
#pragma omp parallel for schedule(dynamic, 1)
        for (long j = 0; j < m; j++) {
            size_t i = base + (size_t)j;
            pst[j] = SK_OK;
            if (which[i] < 0) continue;
            cov[j] = sk_cutout_render(pix + (size_t)j * img, &fields[which[i]], objs[i].ra, objs[i].dec,
                                      scale, size, &lp);
            if (png) {
                pngs[j].len = 0;
                pst[j] = sk_sink_encode(sink, &pngs[j], pix + (size_t)j * img, &perr[j]);
            }
        }
        for (long j = 0; j < m && !st; j++) {
            size_t i = base + (size_t)j;
            if (which[i] < 0) continue;
            if (pst[j]) {
                *err = perr[j];
                st = pst[j];
                break;
            }
            int label = 0;
            while (strcmp(names[label], objs[i].cls) != 0) label++;
            sk_skds_record rec = {.objid = objs[i].objid, .label = (uint32_t)label,
                                  .split = SK_SPLIT_TRAIN, .ra = objs[i].ra, .dec = objs[i].dec};
            char extra[160];
            sk_snprintf(extra, sizeof extra, "%.7f\t%.7f\t%s\t%.4f", objs[i].ra, objs[i].dec,
                        fields[which[i]].id, cov[j]);
            st = sk_sink_add(sink, &rec, pix + (size_t)j * img, png ? &pngs[j] : NULL, extra, err);
            if (!st) (*written)++;
        }
        if (progress) sk_progress_update(&bar, base + (size_t)m);
    }
    if (progress && sink) sk_progress_end(&bar);
    if (sink) {
        if (st)
            sk_sink_abort(sink);
        else
            st = sk_sink_close(sink, command, err);
    }
    for (size_t j = 0; j < chunk; j++) sk_buf_free(&pngs[j]);
    free(pngs);
    free(pst);
    free(perr);
    free(cov);
    free(pix);
    free(which);
    for (int k = 0; fields && k < nf; k++) sk_field_free(&fields[k]);
    free(fields);
    free(ids);
    free(objs);
    return st;
}
