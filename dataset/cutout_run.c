/* cutout_run.c: the `dataset cutout` driver: the objects CSV, field selection, and the render
 * and describe steps of the sink's pipeline (see sk_cutout_write in cutout.h).
 *
 * Fields are loaded once (single-threaded: cfitsio) and are read-only afterwards; the sink's
 * pipeline renders objects in parallel, each into its own slot, and writes them in input order.
 * Every object left out is reported with its reason; the caller turns the counts into the
 * exit-code contract (0 all written, 3 some skipped, 1 nothing usable). */
#include "cutout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sk_base.h"
#include "sink.h"

#define MAX_FIELDS 64
#define MAX_OBJECTS_BYTES ((size_t)1 << 30)

void sk_cutout_opts_init(sk_cutout_opts *o)
{
    memset(o, 0, sizeof *o);
    o->scale = 0.396127;
    o->size = 64;
    o->from = SK_CUTOUT_FROM_FITS;
    o->min_coverage = 0.5;
}

/* Header column named `name` or starting with `prefix` (case-insensitive), or -1. */
static int col_named(const sk_csv *csv, const char *name, const char *prefix)
{
    char buf[64];
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < sk_csv_nfields(csv); k++) {
            if (sk_text_trimmed(sk_csv_field(csv, k), buf, sizeof buf)) continue;
            if (pass == 0 && !strcasecmp(buf, name)) return (int)k;
            if (pass == 1 && prefix && !strncasecmp(buf, prefix, strlen(prefix))) return (int)k;
        }
    return -1;
}

/* Parses the fields of one record into o (columns col[0..3]: ra, dec, class, objid or -1). */
static sk_status parse_object(sk_cutout_object *o, const sk_csv *csv, const int *col, long line,
                              size_t row, const char *what, sk_error *err)
{
    memset(o, 0, sizeof *o);
    o->line = line;
    const char *ra = sk_csv_field(csv, (size_t)col[0]), *dec = sk_csv_field(csv, (size_t)col[1]);
    if (sk_parse_f64(ra, &o->ra) != 0 || !(o->ra >= 0.0 && o->ra < 360.0))
        return sk_error_set(err, SK_EFORMAT, "%s: line %ld: column ra: expected a number in [0, 360), "
                            "found \"%.40s\"", what, line, ra);
    if (sk_parse_f64(dec, &o->dec) != 0 || !(o->dec >= -90.0 && o->dec <= 90.0))
        return sk_error_set(err, SK_EFORMAT, "%s: line %ld: column dec: expected a number in [-90, 90], "
                            "found \"%.40s\"", what, line, dec);
    if (sk_text_trimmed(sk_csv_field(csv, (size_t)col[2]), o->cls, sizeof o->cls) ||
        sk_class_name_check(o->cls, what, NULL) != SK_OK)
        return sk_error_set(err, SK_EFORMAT, "%s: line %ld: column class: expected a class name of "
                            SK_CLASS_NAME_ALPHABET ", found something else", what, line);
    o->objid = (uint64_t)row;
    if (col[3] >= 0 && sk_parse_u64(sk_csv_field(csv, (size_t)col[3]), &o->objid) != 0)
        return sk_error_set(err, SK_EFORMAT, "%s: line %ld: column objid: expected decimal digits of "
                            "an integer below 2^64, found \"%.40s\"", what, line,
                            sk_csv_field(csv, (size_t)col[3]));
    return SK_OK;
}

static int cmp_objid_line(const void *a, const void *b)
{
    const sk_cutout_object *x = *(const sk_cutout_object *const *)a, *y = *(const sk_cutout_object *const *)b;
    if (x->objid != y->objid) return x->objid < y->objid ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Repeated objids: an error naming both lines, or (dedupe) the later rows dropped with a
 * warning each; file order is kept. */
static sk_status check_unique(sk_cutout_object *objs, size_t *n, const char *what, int dedupe,
                              sk_error *err)
{
    if (*n < 2) return SK_OK;
    sk_cutout_object **p = sk_xmalloc(*n * sizeof *p);
    for (size_t i = 0; i < *n; i++) p[i] = &objs[i];
    qsort(p, *n, sizeof *p, cmp_objid_line);
    sk_status st = SK_OK;
    size_t dropped = 0;
    for (size_t i = 1; i < *n && !st; i++) {
        if (p[i]->objid != p[i - 1]->objid) continue;
        size_t first = i - 1;
        while (first > 0 && p[first - 1]->objid == p[i]->objid) first--;
        if (!dedupe) {
            st = sk_error_set(err, SK_EFORMAT, "%s: objid %llu appears on lines %ld and %ld (their "
                              "cutouts would overwrite each other; give --dedupe to keep the first)",
                              what, (unsigned long long)p[i]->objid, p[first]->line, p[i]->line);
            break;
        }
        sk_warn("%s: line %ld: objid %llu already on line %ld; row dropped (--dedupe)", what,
                p[i]->line, (unsigned long long)p[i]->objid, p[first]->line);
        p[i]->line = -p[i]->line; /* marked; lines are positive */
        dropped++;
    }
    free(p);
    if (!st && dropped) {
        size_t w = 0;
        for (size_t i = 0; i < *n; i++)
            if (objs[i].line > 0) objs[w++] = objs[i];
        *n = w;
    }
    return st;
}

/* Binds the header: ra, dec, class, objid (-1 when absent) into col[4]. */
static sk_status bind_header(int *col, const sk_csv *csv, long line, const char *what, sk_error *err)
{
    col[0] = col_named(csv, "ra", "ra_");
    col[1] = col_named(csv, "dec", "dec_");
    col[2] = col_named(csv, "class", NULL);
    if (col[2] < 0) col[2] = col_named(csv, "label", NULL);
    col[3] = col_named(csv, "objid", NULL);
    if (col[0] < 0 || col[1] < 0 || col[2] < 0)
        return sk_error_set(err, SK_EFORMAT, "%s: line %ld: expected columns ra, dec and class (or "
                            "label), found ra:%s dec:%s class:%s", what, line,
                            col[0] < 0 ? "missing" : "ok", col[1] < 0 ? "missing" : "ok",
                            col[2] < 0 ? "missing" : "ok");
    return SK_OK;
}

sk_status sk_cutout_parse_objects(sk_cutout_object **objs, size_t *n, const char *buf, size_t len,
                                  const char *what, int dedupe, sk_error *err)
{
    *objs = NULL;
    *n = 0;
    sk_csv csv;
    sk_csv_init(&csv, buf, len);
    long line = 1;
    const char *why = NULL;
    int col[4] = {-1, -1, -1, -1};
    size_t cap = 0, row = 0;
    int r = sk_csv_next(&csv, &line, &why);
    sk_status st = r > 0 ? bind_header(col, &csv, line, what, err)
                         : sk_error_set(err, SK_EFORMAT, "%s: line %ld: expected a header naming ra, dec "
                                        "and class, found %s", what, line, r < 0 ? why : "an empty file");
    const size_t nheader = r > 0 ? sk_csv_nfields(&csv) : 0;
    while (!st && (r = sk_csv_next(&csv, &line, &why)) != 0) {
        if (r < 0) {
            st = sk_error_set(err, SK_EFORMAT, "%s: line %ld: %s", what, line, why);
            break;
        }
        if (sk_csv_blank_record(&csv)) continue;
        if (sk_csv_nfields(&csv) != nheader) {
            st = sk_error_set(err, SK_EFORMAT, "%s: line %ld: expected %zu fields (the header's "
                              "count), found %zu", what, line, nheader, sk_csv_nfields(&csv));
            break;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            *objs = sk_xrealloc(*objs, cap * sizeof **objs);
        }
        st = parse_object(&(*objs)[*n], &csv, col, line, ++row, what, err);
        if (!st) (*n)++;
    }
    sk_csv_free(&csv);
    if (!st && *n == 0) st = sk_error_set(err, SK_EFORMAT, "%s: expected at least one object row, found none", what);
    if (!st) st = check_unique(*objs, n, what, dedupe, err);
    if (st) {
        free(*objs);
        *objs = NULL;
        *n = 0;
    }
    return st;
}

sk_status sk_cutout_read_objects(sk_cutout_object **objs, size_t *n, const char *path, int dedupe,
                                 sk_error *err)
{
    *objs = NULL;
    *n = 0;
    uint8_t *text = NULL;
    size_t len = 0;
    sk_status st = sk_read_file(path, &text, &len, MAX_OBJECTS_BYTES, err);
    if (st) return st;
    st = sk_cutout_parse_objects(objs, n, (const char *)text, len, path, dedupe, err);
    free(text);
    return st;
}

/* ---- the run ---- */

typedef struct {
    const sk_cutout_opts *o;
    const sk_cutout_object *objs;
    const sk_field *fields;
    const int *which;    /* field per object, -1 = skipped */
    const char **names;  /* classes, alphabetical */
    int ncls;
    sk_lupton_params lp;
    sk_cutout_stats *st; /* updated by describe and left_out (one thread, in order) */
} cutout_job;

typedef struct {
    double coverage;
} cutout_slot;

static int cutout_render(void *ctx, uint64_t i, int thread, uint8_t *rgb, void *slot)
{
    const cutout_job *j = ctx;
    (void)thread;
    if (j->which[i] < 0) return 0;
    const sk_cutout_object *ob = &j->objs[i];
    cutout_slot *cs = slot;
    cs->coverage = sk_cutout_render(rgb, &j->fields[j->which[i]], ob->ra, ob->dec, j->o->scale,
                                    j->o->size, &j->lp);
    return cs->coverage >= j->o->min_coverage;
}

static void cutout_describe(void *ctx, uint64_t i, const void *slot, sk_skds_record *rec,
                            char (*f)[SK_SINK_FIELD_MAX])
{
    const cutout_job *j = ctx;
    const sk_cutout_object *ob = &j->objs[i];
    int label = 0;
    while (strcmp(j->names[label], ob->cls) != 0) label++;
    *rec = (sk_skds_record){.objid = ob->objid, .label = (uint32_t)label, .split = SK_SPLIT_TRAIN,
                            .ra = ob->ra, .dec = ob->dec};
    sk_snprintf(f[0], SK_SINK_FIELD_MAX, "%.7f", ob->ra);
    sk_snprintf(f[1], SK_SINK_FIELD_MAX, "%.7f", ob->dec);
    sk_snprintf(f[2], SK_SINK_FIELD_MAX, "%s", j->fields[j->which[i]].id);
    double cov = ((const cutout_slot *)slot)->coverage;
    sk_snprintf(f[3], SK_SINK_FIELD_MAX, "%.4f", cov);
    j->st->partial += cov < 1.0;
}

/* Left out by render: no field (already reported) or coverage below the minimum. */
static void cutout_left_out(void *ctx, uint64_t i, const void *slot)
{
    const cutout_job *j = ctx;
    if (j->which[i] < 0) return;
    const sk_cutout_object *ob = &j->objs[i];
    j->st->skipped++;
    sk_warn("cutout: object %llu (line %ld): the frames cover %.1f%% of its cutout, below the "
            "minimum %.1f%%; skipped", (unsigned long long)ob->objid, ob->line,
            100.0 * ((const cutout_slot *)slot)->coverage, 100.0 * j->o->min_coverage);
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Distinct class names of the objects in alphabetical order (Keras' numbering). */
static sk_status class_list(const char **names, int *ncls, const sk_cutout_object *objs, size_t n,
                            const char *what, sk_error *err)
{
    *ncls = 0;
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        for (int c = 0; c < *ncls; c++) seen |= strcmp(names[c], objs[i].cls) == 0;
        if (seen) continue;
        if (*ncls == SK_SKDS_MAX_CLASSES)
            return sk_error_set(err, SK_ELIMIT, "%s: more than %d classes", what, SK_SKDS_MAX_CLASSES);
        names[(*ncls)++] = objs[i].cls;
    }
    qsort(names, (size_t)*ncls, sizeof names[0], cmp_name);
    return SK_OK;
}

/* For each object the field that holds it in every band with the largest r-band margin, or -1
 * (warned and counted in *skipped). */
static void choose_fields(int *which, const sk_cutout_object *objs, size_t n, const sk_field *fields,
                          int nf, const char *frames_dir, size_t *skipped)
{
    for (size_t i = 0; i < n; i++) {
        which[i] = -1;
        double best = 0.0;
        char why[320] = "";
        for (int k = 0; k < nf; k++) {
            double m = sk_field_margin(&fields[k], objs[i].ra, objs[i].dec);
            if (m < 0.0 || (which[i] >= 0 && m <= best)) continue;
            if (!sk_field_bands_contain(&fields[k], objs[i].ra, objs[i].dec, why, sizeof why)) continue;
            which[i] = k;
            best = m;
        }
        if (which[i] >= 0) continue;
        (*skipped)++;
        if (why[0])
            sk_warn("cutout: object %llu (line %ld): %s; skipped", (unsigned long long)objs[i].objid,
                    objs[i].line, why);
        else
            sk_warn("cutout: object %llu (line %ld, ra %.6f, dec %.6f) lies in no field of %s; skipped",
                    (unsigned long long)objs[i].objid, objs[i].line, objs[i].ra, objs[i].dec, frames_dir);
    }
}

static sk_status check_opts(const sk_cutout_opts *o, sk_error *err)
{
    if (!(o->scale > 0 && o->scale <= 60))
        return sk_error_set(err, SK_EINVAL, "cutout: scale expected in (0, 60] arcsec/px, found %g", o->scale);
    if (o->jpeg_quality < 0 || o->jpeg_quality > 100)
        return sk_error_set(err, SK_EINVAL, "cutout: JPEG quality expected 0..100, found %d", o->jpeg_quality);
    if (o->size < 8 || o->size > 4096)
        return sk_error_set(err, SK_EINVAL, "cutout: size expected 8..4096, found %d", o->size);
    if (!(o->min_coverage >= 0.0 && o->min_coverage <= 1.0))
        return sk_error_set(err, SK_EINVAL, "cutout: minimum coverage expected in [0, 1], found %g",
                            o->min_coverage);
    return SK_OK;
}

sk_status sk_cutout_write(const char *out, const char *frames_dir, const char *objects_csv,
                          const sk_cutout_opts *o, sk_cutout_stats *stats, sk_error *err)
{
    memset(stats, 0, sizeof *stats);
    sk_status st = check_opts(o, err);
    if (st) return st;
    sk_cutout_object *objs = NULL;
    size_t n = 0;
    if ((st = sk_cutout_read_objects(&objs, &n, objects_csv, o->dedupe, err))) return st;
    stats->objects = n;
    const char *names[SK_SKDS_MAX_CLASSES];
    int ncls = 0;
    st = class_list(names, &ncls, objs, n, objects_csv, err);

    char (*ids)[64] = sk_xmalloc(MAX_FIELDS * sizeof *ids);
    int nf = 0;
    sk_field *fields = NULL;
    if (!st) st = sk_field_list(ids, MAX_FIELDS, &nf, frames_dir, err);
    if (!st) {
        fields = sk_xcalloc((size_t)nf, sizeof *fields);
        for (int k = 0; k < nf && !st; k++) st = sk_field_load(&fields[k], frames_dir, ids[k], o->from, err);
    }
    int *which = sk_xmalloc((n ? n : 1) * sizeof(int));
    if (!st) choose_fields(which, objs, n, fields, nf, frames_dir, &stats->skipped);
    sk_sink *sink = NULL;
    static const sk_manifest_col extra[] = {SK_MF_RA, SK_MF_DEC, SK_MF_FIELD, SK_MF_COVERAGE};
    if (!st && stats->skipped == n)
        st = sk_error_set(err, SK_ENOTFOUND, "cutout: none of the %zu objects of %s lies in the "
                          "frames of %s; nothing written", n, objects_csv, frames_dir);
    if (!st)
        st = sk_sink_open(&sink, out, o->size, names, ncls,
                          o->from == SK_CUTOUT_FROM_JPEG ? "cutout:jpeg" : "cutout:fits", 0, 0.0,
                          SK_SPLIT_RULE_CUSTOM, extra, (int)SK_ARRAY_LEN(extra), o->jpeg_quality, err);
    if (!st) {
        cutout_job cj = {.o = o, .objs = objs, .fields = fields, .which = which, .names = names,
                         .ncls = ncls, .st = stats};
        sk_lupton_default(&cj.lp);
        const sk_sink_job job = {.ctx = &cj, .slot_bytes = sizeof(cutout_slot), .render = cutout_render,
                                 .describe = cutout_describe, .left_out = cutout_left_out,
                                 .label = "cutout", .progress = o->progress};
        uint64_t written = 0;
        st = sk_sink_run(sink, n, &job, &written, err);
        stats->written = (size_t)written;
        if (!st && written == 0)
            st = sk_error_set(err, SK_ENOTFOUND, "cutout: no object of %s could be cut (%zu skipped); "
                              "nothing written", objects_csv, stats->skipped);
        if (st) sk_sink_abort(sink);
        else st = sk_sink_close(sink, o->command, err);
    }
    free(which);
    for (int k = 0; fields && k < nf; k++) sk_field_free(&fields[k]);
    free(fields);
    free(ids);
    free(objs);
    return st;
}
