/* synth_calibrate.c: derives the simulator's per-class colour-magnitude distributions from a
 * real SDSS catalog CSV and prints them as the complete text of dataset/synth_calib.h.
 *
 * Robust on purpose: the catalog has a few rows with broken photometry (g-r = -6), so every
 * class keeps only rows whose three components all lie inside that class's [0.5%, 99.5%]
 * quantiles, then fits mean and covariance (Cholesky factor printed). The output is a pure
 * function of the CSV (fixed row order, fixed printf formats), so tests can regenerate it and
 * compare byte for byte. Not the general catalog reader (catalog.h): header names + commas only. */
#include "synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "stats.h"

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

/* Splits line in place at commas into at most cap fields; returns the count. */
static int split_csv(char *line, char **field, int cap)
{
    int nf = 0;
    char *p = line;
    while (nf < cap) {
        field[nf++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = 0;
        p = c + 1;
    }
    for (int k = 0; k < nf; k++) { /* trim CR, spaces and quotes */
        char *s = field[k];
        size_t len = strlen(s);
        while (len && (s[len - 1] == '\r' || s[len - 1] == '\n' || s[len - 1] == ' ' ||
                       s[len - 1] == '"'))
            s[--len] = 0;
        while (*s == ' ' || *s == '"') s++;
        field[k] = s;
    }
    return nf;
}

static int find_col(char **field, int nf, const char *name)
{
    for (int k = 0; k < nf; k++)
        if (strcmp(field[k], name) == 0) return k;
    return -1;
}

sk_status sk_synth_calibrate(const char *catalog_path, FILE *out, sk_error *err)
{
    uint8_t *text = NULL;
    size_t len = 0;
    sk_status st = sk_read_file(catalog_path, &text, &len, (size_t)1 << 30, err);
    if (st) return st;
    sample s[SK_SYNTH_NCLASSES];
    memset(s, 0, sizeof s);
    char *field[64];
    int col_class = -1, col_g = -1, col_r = -1, col_i = -1;
    size_t lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r((char *)text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        int nf = split_csv(line, field, 64);
        if (lineno == 1) {
            col_class = find_col(field, nf, "class");
            col_g = find_col(field, nf, "g");
            col_r = find_col(field, nf, "r");
            col_i = find_col(field, nf, "i");
            if (col_class < 0 || col_g < 0 || col_r < 0 || col_i < 0) {
                st = sk_error_set(err, SK_EFORMAT,
                                  "%s: line 1: expected header columns class, g, r, i; found "
                                  "class:%s g:%s r:%s i:%s", catalog_path,
                                  col_class < 0 ? "missing" : "ok", col_g < 0 ? "missing" : "ok",
                                  col_r < 0 ? "missing" : "ok", col_i < 0 ? "missing" : "ok");
                goto done;
            }
            continue;
        }
        if (nf == 1 && field[0][0] == 0) continue; /* blank line */
        int need = col_class;
        if (col_g > need) need = col_g;
        if (col_r > need) need = col_r;
        if (col_i > need) need = col_i;
        if (nf <= need) {
            st = sk_error_set(err, SK_EFORMAT, "%s: line %zu: expected at least %d fields, found %d",
                              catalog_path, lineno, need + 1, nf);
            goto done;
        }
        int label = sk_synth_class_parse(field[col_class]);
        if (label < 0) continue; /* other classes are not simulated */
        double m[3];
        const int cols[3] = {col_g, col_r, col_i};
        for (int b = 0; b < 3; b++) {
            char *end = NULL;
            m[b] = strtod(field[cols[b]], &end);
            if (end == field[cols[b]] || *end != 0 || !isfinite(m[b])) {
                st = sk_error_set(err, SK_EFORMAT, "%s: line %zu: magnitude column %d: expected a "
                                  "number, found \"%s\"", catalog_path, lineno, cols[b] + 1,
                                  field[cols[b]]);
                goto done;
            }
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
                              catalog_path, sk_synth_class_name(c), s[c].n);
            goto done;
        }

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
    for (int c = 0; c < SK_SYNTH_NCLASSES; c++) {
        size_t n = s[c].n;
        double lo[NCOMP], hi[NCOMP];
        double *tmp = sk_xmalloc(n * sizeof(double));
        for (int k = 0; k < NCOMP; k++) {
            for (size_t j = 0; j < n; j++) tmp[j] = s[c].v[j * NCOMP + k];
            qsort(tmp, n, sizeof(double), sk_cmp_double);
            lo[k] = quantile(tmp, n, 0.005);
            hi[k] = quantile(tmp, n, 0.995);
        }
        free(tmp);
        double mean[NCOMP] = {0, 0, 0}, cov[NCOMP][NCOMP];
        memset(cov, 0, sizeof cov);
        size_t used = 0;
        for (size_t j = 0; j < n; j++) {
            const double *v = s[c].v + j * NCOMP;
            int ok = 1;
            for (int k = 0; k < NCOMP; k++) ok &= v[k] >= lo[k] && v[k] <= hi[k];
            if (!ok) continue;
            used++;
            for (int k = 0; k < NCOMP; k++) mean[k] += v[k];
        }
        for (int k = 0; k < NCOMP; k++) mean[k] /= (double)used;
        for (size_t j = 0; j < n; j++) {
            const double *v = s[c].v + j * NCOMP;
            int ok = 1;
            for (int k = 0; k < NCOMP; k++) ok &= v[k] >= lo[k] && v[k] <= hi[k];
            if (!ok) continue;
            for (int a = 0; a < NCOMP; a++)
                for (int b = 0; b < NCOMP; b++) cov[a][b] += (v[a] - mean[a]) * (v[b] - mean[b]);
        }
        for (int a = 0; a < NCOMP; a++)
            for (int b = 0; b < NCOMP; b++) cov[a][b] /= (double)(used - 1);
        double L[NCOMP][NCOMP];
        memset(L, 0, sizeof L);
        for (int a = 0; a < NCOMP; a++)
            for (int b = 0; b <= a; b++) {
                double sum = cov[a][b];
                for (int k = 0; k < b; k++) sum -= L[a][k] * L[b][k];
                if (a == b) {
                    if (!(sum > 0)) {
                        st = sk_error_set(err, SK_ENUMERIC, "%s: class %s: covariance is not "
                                          "positive definite", catalog_path, sk_synth_class_name(c));
                        goto done;
                    }
                    L[a][a] = sqrt(sum);
                } else {
                    L[a][b] = sum / L[b][b];
                }
            }
        fprintf(out, "    {\"%s\", %zu, %zu,\n", sk_synth_class_name(c), n, used);
        fprintf(out, "     {%.6f, %.6f, %.6f},\n", mean[0], mean[1], mean[2]);
        fprintf(out, "     {{%.6f, 0, 0}, {%.6f, %.6f, 0}, {%.6f, %.6f, %.6f}},\n", L[0][0], L[1][0],
                L[1][1], L[2][0], L[2][1], L[2][2]);
        fprintf(out, "     {%.6f, %.6f, %.6f},\n     {%.6f, %.6f, %.6f}},\n", lo[0], lo[1], lo[2],
                hi[0], hi[1], hi[2]);
    }
    fprintf(out, "};\n\n#endif\n");
done:
    for (int c = 0; c < SK_SYNTH_NCLASSES; c++) free(s[c].v);
    free(text);
    return st;
}
