/* synth_calibrate.c: derives the simulator's per-class colour-magnitude distributions from a
 * real SDSS catalog CSV and prints them as the complete text of dataset/synth_calib.h.
 *
 * Robust on purpose: the catalog has a few rows with broken photometry (g-r = -6), so every
 * class keeps only rows whose three components all lie inside that class's [0.5%, 99.5%]
 * quantiles, then fits mean and covariance (Cholesky factor printed). The output is a pure
 * function of the CSV (fixed row order, fixed printf formats), so tests can regenerate it and
 * compare byte for byte. Not the general catalog reader (catalog.h): the project's CSV scanner
 * (base/csv.h) with columns bound by header name (class, g, r, i), other columns ignored. */
#include "synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sk_base.h"

#define NCOMP 3

typedef struct {
    double *v; /* (n, NCOMP) */
    size_t n, cap;
} sample;

/* Quantile by the nearest-rank on a sorted copy (index floor(p*(n-1))). */
static double quantile(const double *sorted, size_t n, double p)
{
    return sorted[(size_t)floor(p * (double)(n - 1))];
}

/* Column index of header name in the current record (trimmed, exact), or -1. */
static int find_col(const sk_csv *csv, const char *name)
{
    char buf[64];
    for (size_t k = 0; k < sk_csv_nfields(csv); k++)
        if (sk_text_trimmed(sk_csv_field(csv, k), buf, sizeof buf) == 0 && strcmp(buf, name) == 0)
            return (int)k;
    return -1;
}

/* Reads (r, g-r, r-i) of every GALAXY/QSO/STAR row into s[label], in file order. */
static sk_status read_samples(sample s[SK_SYNTH_NCLASSES], const char *text, size_t len,
                              const char *path, sk_error *err)
{
    sk_csv csv;
    sk_csv_init(&csv, text, len);
    sk_csv_skip_comments(&csv);
    long line = 0;
    const char *why = NULL;
    int col[4] = {-1, -1, -1, -1}; /* class, g, r, i */
    static const char *const names[4] = {"class", "g", "r", "i"};
    sk_status st = SK_OK;
    int r = sk_csv_next(&csv, &line, &why);
    if (r > 0)
        for (int k = 0; k < 4; k++) col[k] = find_col(&csv, names[k]);
    if (r <= 0 || col[0] < 0 || col[1] < 0 || col[2] < 0 || col[3] < 0) {
        st = sk_error_set(err, SK_EFORMAT, "%s: line %ld: expected header columns class, g, r, i; "
                          "found class:%s g:%s r:%s i:%s", path, r > 0 ? line : 1L,
                          col[0] < 0 ? "missing" : "ok", col[1] < 0 ? "missing" : "ok",
                          col[2] < 0 ? "missing" : "ok", col[3] < 0 ? "missing" : "ok");
        goto done;
    }
    const size_t nheader = sk_csv_nfields(&csv);
    while ((r = sk_csv_next(&csv, &line, &why)) != 0) {
        if (r < 0) {
            st = sk_error_set(err, SK_EFORMAT, "%s: line %ld: %s", path, line, why);
            goto done;
        }
        if (sk_csv_blank_record(&csv)) continue;
        if (sk_csv_nfields(&csv) != nheader) {
            st = sk_error_set(err, SK_EFORMAT, "%s: line %ld: expected %zu fields (the header's count), "
                              "found %zu", path, line, nheader, sk_csv_nfields(&csv));
            goto done;
        }
        char cls[16];
        int label = sk_text_trimmed(sk_csv_field(&csv, (size_t)col[0]), cls, sizeof cls) ? -1
                                                                                         : sk_synth_class_parse(cls);
        if (label < 0) continue; /* other classes are not simulated */
        double m[3];
        for (int b = 0; b < 3; b++)
            if (sk_parse_f64(sk_csv_field(&csv, (size_t)col[1 + b]), &m[b]) != 0) {
                st = sk_error_set(err, SK_EFORMAT, "%s: line %ld: magnitude column %d: expected a "
                                  "number, found \"%.40s\"", path, line, col[1 + b] + 1,
                                  sk_csv_field(&csv, (size_t)col[1 + b]));
                goto done;
            }
        sample *sp = &s[label];
        if (sp->n == sp->cap) {
            sp->cap = sp->cap ? sp->cap * 2 : 1024;
            sp->v = sk_xrealloc(sp->v, sp->cap * NCOMP * sizeof(double));
        }
        double *v = sp->v + sp->n * NCOMP;
        v[0] = m[1];
        v[1] = m[0] - m[1];
        v[2] = m[1] - m[2];
        sp->n++;
    }
    for (int c = 0; c < SK_SYNTH_NCLASSES; c++)
        if (s[c].n < 10) {
            st = sk_error_set(err, SK_EFORMAT, "%s: class %s: expected at least 10 rows, found %zu",
                              path, sk_synth_class_name(c), s[c].n);
            goto done;
        }
done:
    sk_csv_free(&csv);
    return st;
}

/* One class's fit: quantile bounds, then mean, covariance and its Cholesky factor over the rows
 * inside the bounds. */
typedef struct {
    double lo[NCOMP], hi[NCOMP], mean[NCOMP], L[NCOMP][NCOMP];
    size_t used;
} class_fit;

static sk_status fit_class(class_fit *f, const sample *sc, const char *path, int c, sk_error *err)
{
    size_t n = sc->n;
    double *lo = f->lo, *hi = f->hi, *mean = f->mean;
    double *tmp = sk_xmalloc(n * sizeof(double));
    for (int k = 0; k < NCOMP; k++) {
        for (size_t j = 0; j < n; j++) tmp[j] = sc->v[j * NCOMP + k];
        qsort(tmp, n, sizeof(double), sk_cmp_double);
        lo[k] = quantile(tmp, n, 0.005);
        hi[k] = quantile(tmp, n, 0.995);
    }
    free(tmp);
    double cov[NCOMP][NCOMP];
    memset(cov, 0, sizeof cov);
    memset(mean, 0, NCOMP * sizeof *mean);
    size_t used = 0;
    for (size_t j = 0; j < n; j++) {
        const double *v = sc->v + j * NCOMP;
        int ok = 1;
        for (int k = 0; k < NCOMP; k++) ok &= v[k] >= lo[k] && v[k] <= hi[k];
        if (!ok) continue;
        used++;
        for (int k = 0; k < NCOMP; k++) mean[k] += v[k];
    }
    for (int k = 0; k < NCOMP; k++) mean[k] /= (double)used;
    for (size_t j = 0; j < n; j++) {
        const double *v = sc->v + j * NCOMP;
        int ok = 1;
        for (int k = 0; k < NCOMP; k++) ok &= v[k] >= lo[k] && v[k] <= hi[k];
        if (!ok) continue;
        for (int a = 0; a < NCOMP; a++)
            for (int b = 0; b < NCOMP; b++) cov[a][b] += (v[a] - mean[a]) * (v[b] - mean[b]);
    }
    for (int a = 0; a < NCOMP; a++)
        for (int b = 0; b < NCOMP; b++) cov[a][b] /= (double)(used - 1);
    memset(f->L, 0, sizeof f->L);
    for (int a = 0; a < NCOMP; a++)
        for (int b = 0; b <= a; b++) {
            double sum = cov[a][b];
            for (int k = 0; k < b; k++) sum -= f->L[a][k] * f->L[b][k];
            if (a == b) {
                if (!(sum > 0))
                    return sk_error_set(err, SK_ENUMERIC, "%s: class %s: covariance is not "
                                        "positive definite", path, sk_synth_class_name(c));
                f->L[a][a] = sqrt(sum);
            } else {
                f->L[a][b] = sum / f->L[b][b];
            }
        }
    f->used = used;
    return SK_OK;
}

static void print_header(FILE *out)
{
    fprintf(out,
            "/* synth_calib.h: per-class colour-magnitude distributions of the simulator, fitted to a\n"
            " * real SDSS catalog. GENERATED, do not edit: regenerate with\n"
            " *     skytune dataset synth --calibrate ../shared/data/sdss/catalog/sdss_dr14_kaggle_skyserver_10k.csv \\\n"
            " *         > dataset/synth_calib.h\n"
            " * (tests/test_synth.c regenerates it from the same catalog and compares byte for byte).\n"
            " * Per class: rows whose (r, g-r, r-i) all lie inside the class's [0.5%%, 99.5%%] quantiles,\n"
            " * their mean and the lower Cholesky factor L of their covariance (draw = mean + L z), and\n"
            " * the quantile bounds used to clip draws. Classes in label order GALAXY, QSO, STAR. */\n"
            "#ifndef SK_SYNTH_CALIB_H\n#define SK_SYNTH_CALIB_H\n\n"
            "typedef struct {\n"
            "    const char *name;\n"
            "    int rows_total, rows_used;\n"
            "    double mean[3];    /* r, g-r, r-i */\n"
            "    double chol[3][3]; /* lower triangular */\n"
            "    double lo[3], hi[3];\n"
            "} sk_synth_calib;\n\n"
            "static const sk_synth_calib SK_SYNTH_CALIB[3] = {\n");
}

sk_status sk_synth_calibrate(const char *catalog_path, FILE *out, sk_error *err)
{
    uint8_t *text = NULL;
    size_t len = 0;
    sk_status st = sk_read_file(catalog_path, &text, &len, (size_t)1 << 30, err);
    if (st) return st;
    sample s[SK_SYNTH_NCLASSES];
    memset(s, 0, sizeof s);
    class_fit fit[SK_SYNTH_NCLASSES];
    st = read_samples(s, (const char *)text, len, catalog_path, err);
    for (int c = 0; c < SK_SYNTH_NCLASSES && !st; c++) st = fit_class(&fit[c], &s[c], catalog_path, c, err);
    if (!st) {
        print_header(out);
        for (int c = 0; c < SK_SYNTH_NCLASSES; c++) {
            const class_fit *f = &fit[c];
            fprintf(out, "    {\"%s\", %zu, %zu,\n", sk_synth_class_name(c), s[c].n, f->used);
            fprintf(out, "     {%.6f, %.6f, %.6f},\n", f->mean[0], f->mean[1], f->mean[2]);
            fprintf(out, "     {{%.6f, 0, 0}, {%.6f, %.6f, 0}, {%.6f, %.6f, %.6f}},\n", f->L[0][0],
                    f->L[1][0], f->L[1][1], f->L[2][0], f->L[2][1], f->L[2][2]);
            fprintf(out, "     {%.6f, %.6f, %.6f},\n     {%.6f, %.6f, %.6f}},\n", f->lo[0], f->lo[1],
                    f->lo[2], f->hi[0], f->hi[1], f->hi[2]);
        }
        fprintf(out, "};\n\n#endif\n");
    }
    for (int c = 0; c < SK_SYNTH_NCLASSES; c++) free(s[c].v);
    free(text);
    return st;
}
