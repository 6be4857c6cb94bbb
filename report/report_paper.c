/* report_paper.c: reader of the study's runs CSV (see report_paper.h), through the project's
 * RFC 4180 scanner (base/csv.h); errors name file:line and the column. */
#include "report_paper.h"

#include "sk_base.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLS 64

static sk_status parse_num(const char *s, double *v, const char *path, int line, const char *col, sk_error *err)
{
    char *end;
    *v = strtod(s, &end);
    if (end == s || *end || !isfinite(*v))
        return sk_error_set(err, SK_EFORMAT, "%s:%d: column '%s': expected a number, found \"%s\"", path, line, col, s);
    return SK_OK;
}

sk_status sk_paper_load(sk_paper *p, const char *path, sk_error *err)
{
    memset(p, 0, sizeof *p);
    uint8_t *data = NULL;
    size_t n = 0;
    sk_status st = sk_read_file(path, &data, &n, 16u << 20, err);
    if (st) return st;
    enum { ARCH, SCALING, SIZE, LEVEL, BASE, TPARAMS, PARAMS, BEST, FINAL, SEC, ERR, NCOL };
    static const char *const want[NCOL] = {"arch", "input_scaling", "input_size", "trainable_layers", "base_layers",
                                           "trainable_params", "total_params", "best_val_acc", "final_val_acc",
                                           "sec_per_epoch_median", "error"};
    int colidx[NCOL];
    for (int k = 0; k < NCOL; k++) colidx[k] = -1;
    int have_header = 0, cap = 0;
    const char *f[MAX_COLS];
    int nheader = 0;
    sk_csv csv;
    sk_csv_init(&csv, (const char *)data, n);
    for (;;) {
        sk_csv_skip_comments(&csv); /* '#' lines and blank lines, anywhere */
        long rec_line = 0;
        const char *why = NULL;
        int got = sk_csv_next(&csv, &rec_line, &why);
        if (got == 0) break;
        int line = (int)rec_line, nf = (int)sk_csv_nfields(&csv);
        if (got < 0 || nf > MAX_COLS) {
            st = sk_error_set(err, SK_EFORMAT, "%s:%d: malformed CSV record (%s)", path, line,
                              got < 0 ? why : "more than 64 columns");
            goto fail;
        }
        for (int i = 0; i < nf; i++) f[i] = sk_csv_field(&csv, (size_t)i);
        if (!have_header) {
            for (int k = 0; k < NCOL; k++)
                for (int i = 0; i < nf; i++)
                    if (strcmp(f[i], want[k]) == 0) colidx[k] = i;
            for (int k = 0; k < NCOL; k++)
                if (colidx[k] < 0) {
                    st = sk_error_set(err, SK_EFORMAT, "%s:%d: header: expected a column named '%s', found none", path, line, want[k]);
                    goto fail;
                }
            have_header = 1;
            nheader = nf;
            continue;
        }
        if (nf != nheader) {
            st = sk_error_set(err, SK_EFORMAT, "%s:%d: expected %d columns (as the header), found %d", path, line, nheader, nf);
            goto fail;
        }
        if (p->n == cap) {
            cap = cap ? 2 * cap : 128;
            p->rows = sk_xrealloc(p->rows, (size_t)cap * sizeof *p->rows);
        }
        sk_paper_run *r = &p->rows[p->n];
        memset(r, 0, sizeof *r);
        snprintf(r->arch, sizeof r->arch, "%s", f[colidx[ARCH]]);
        snprintf(r->input_scaling, sizeof r->input_scaling, "%s", f[colidx[SCALING]]);
        snprintf(r->error, sizeof r->error, "%s", f[colidx[ERR]]);
        double v;
        if ((st = parse_num(f[colidx[SIZE]], &v, path, line, "input_size", err))) goto fail;
        r->input_size = (int)v;
        if ((st = parse_num(f[colidx[LEVEL]], &v, path, line, "trainable_layers", err))) goto fail;
        r->trainable_layers = (int)v;
        if ((st = parse_num(f[colidx[BASE]], &v, path, line, "base_layers", err))) goto fail;
        r->base_layers = (int)v;
        if (*f[colidx[TPARAMS]]) {
            if ((st = parse_num(f[colidx[TPARAMS]], &v, path, line, "trainable_params", err))) goto fail;
            r->trainable_params = (int64_t)v;
            if ((st = parse_num(f[colidx[PARAMS]], &v, path, line, "total_params", err))) goto fail;
            r->total_params = (int64_t)v;
        }
        r->sec_per_epoch = NAN;
        if (*f[colidx[BEST]]) {
            if ((st = parse_num(f[colidx[BEST]], &r->best_val_acc, path, line, "best_val_acc", err))) goto fail;
            if ((st = parse_num(f[colidx[FINAL]], &r->final_val_acc, path, line, "final_val_acc", err))) goto fail;
            r->ok = 1;
        }
        if (*f[colidx[SEC]] && (st = parse_num(f[colidx[SEC]], &r->sec_per_epoch, path, line, "sec_per_epoch_median", err)))
            goto fail;
        p->n++;
    }
    if (!have_header) {
        st = sk_error_set(err, SK_EFORMAT, "%s: expected a header row, found an empty file", path);
        goto fail;
    }
    sk_csv_free(&csv);
    free(data);
    return SK_OK;
fail:
    sk_csv_free(&csv);
    free(data);
    sk_paper_free(p);
    return st;
}

void sk_paper_free(sk_paper *p)
{
    free(p->rows);
    p->rows = NULL;
    p->n = 0;
}

int sk_paper_level(const sk_paper *p, const char *arch, int level, const char *scaling,
                   double *mean_best, double *mean_final)
{
    double sb = 0, sf = 0;
    int n = 0;
    for (int i = 0; p && i < p->n; i++) {
        const sk_paper_run *r = &p->rows[i];
        if (!r->ok || r->trainable_layers != level || strcmp(r->arch, arch) != 0) continue;
        if (scaling && *scaling && strcmp(r->input_scaling, scaling) != 0) continue;
        sb += r->best_val_acc;
        sf += r->final_val_acc;
        n++;
    }
    if (mean_best) *mean_best = n ? sb / n : NAN;
    if (mean_final) *mean_final = n ? sf / n : NAN;
    return n;
}
