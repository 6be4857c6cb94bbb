/* report_summary.c: statistics over seeds, study comparison and level choice (see
 * report_summary.h). Pure computation over loaded records; no I/O. */
#include "report_summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

sk_stat sk_stat_of(const double *v, int n)
{
    sk_stat s = {NAN, NAN, NAN, NAN, n};
    if (n <= 0) return s;
    double sum = 0;
    s.min = s.max = v[0];
    for (int i = 0; i < n; i++) {
        sum += v[i];
        if (v[i] < s.min) s.min = v[i];
        if (v[i] > s.max) s.max = v[i];
    }
    s.mean = sum / n;
    if (n >= 2) {
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (v[i] - s.mean) * (v[i] - s.mean);
        s.sd = sqrt(ss / (n - 1));
    }
    return s;
}

/* Okabe & Ito (2008), in a fixed order; the registered architectures get the first colours in
 * the registry's order, so a model keeps its colour in every report. */
static const char *const palette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                      "#CC79A7", "#56B4E9", "#000000", "#F0E442"};
/* The registry's ids, from the descriptor table itself (an X-macro table: only the first
 * argument of each row is kept; the report links no architecture code). */
#define SK_MODEL(name, ...) #name,
static const char *const known_archs[] = {
#include "../arch/models.def"
};
#undef SK_MODEL

const char *sk_report_color(int color)
{
    return palette[(unsigned)color % SK_ARRAY_LEN(palette)];
}

int sk_report_point(int color)
{
    static const int pts[] = {7, 5, 9, 13, 11, 15, 3, 1};
    return pts[(unsigned)color % SK_ARRAY_LEN(pts)];
}

static int arch_color(const char *arch, int *next_unknown)
{
    for (size_t i = 0; i < SK_ARRAY_LEN(known_archs); i++)
        if (strcmp(arch, known_archs[i]) == 0) return (int)i;
    return (int)SK_ARRAY_LEN(known_archs) + (*next_unknown)++;
}

/* Test accuracies over the level's runs that have a test split. */
static void test_stats(sk_report_level *L, const sk_report_run *runs, double *v)
{
    int n = 0;
    for (int k = 0; k < L->count; k++)
        if (runs[k].n_test > 0) v[n++] = runs[k].test_best_acc;
    L->test_best = sk_stat_of(v, n);
    n = 0;
    for (int k = 0; k < L->count; k++)
        if (runs[k].n_test > 0) v[n++] = runs[k].test_last_acc;
    L->test_final = sk_stat_of(v, n);
}

const sk_stat *sk_report_sel(const sk_report_summary *s, const sk_report_level *L)
{
    return s->select == SK_SELECT_TEST ? &L->test_best : &L->best;
}

sk_status sk_report_select(sk_report_summary *s, sk_select_on on, sk_error *err)
{
    if (on == SK_SELECT_TEST)
        for (int l = 0; l < s->n_levels; l++) {
            const sk_report_level *L = &s->levels[l];
            for (int k = 0; k < L->count; k++)
                if (s->set->runs[L->first + k].n_test == 0)
                    return sk_error_set(err, SK_EINVAL, "%s: no test split in its data set (pack with --test F); "
                                        "levels can be chosen on test accuracy only when every cell has one",
                                        s->set->runs[L->first + k].dir);
        }
    s->select = on;
    for (int a = 0; a < s->n_archs; a++) {
        sk_report_arch *A = &s->archs[a];
        A->best = A->first;
        for (int l = A->first; l < A->first + A->count; l++)
            if (sk_report_sel(s, &s->levels[l])->mean > sk_report_sel(s, &s->levels[A->best])->mean) A->best = l;
        const sk_stat *B = sk_report_sel(s, &s->levels[A->best]);
        double se = B->n >= 2 ? B->sd / sqrt((double)B->n) : 0.0;
        A->ideal = A->best;
        for (int l = A->first; l < A->best; l++)
            if (sk_report_sel(s, &s->levels[l])->mean >= B->mean - se) {
                A->ideal = l;
                break;
            }
    }
    return SK_OK;
}

static sk_status check_same(const sk_report_run *a, const sk_report_run *b, sk_error *err)
{
    const char *what = NULL;
    if (a->trainable_params != b->trainable_params) what = "trainable_params";
    else if (a->total_params != b->total_params) what = "total_params";
    else if (a->total_layers != b->total_layers) what = "total_layers";
    else if (a->base_layers != b->base_layers) what = "base_layers";
    else if (a->num_classes != b->num_classes) what = "num_classes";
    else if (strcmp(a->input_scaling, b->input_scaling) != 0) what = "protocol.input_scaling";
    for (int k = 0; !what && k < a->num_classes; k++)
        if (strcmp(a->class_names[k], b->class_names[k]) != 0) what = "class_names";
    if (!what) return SK_OK;
    return sk_error_set(err, SK_EINVAL, "%s and %s: records of %s at trainable_layers %d disagree on '%s'; they cannot be averaged",
                        a->dir, b->dir, a->arch, a->trainable_layers, what);
}

sk_status sk_report_summarize(sk_report_summary *s, const sk_report_set *set, const sk_paper *paper,
                              sk_error *err)
{
    memset(s, 0, sizeof *s);
    s->set = set;
    s->levels = sk_xcalloc((size_t)set->n, sizeof *s->levels);
    s->archs = sk_xcalloc((size_t)set->n, sizeof *s->archs);
    double *v = sk_xmalloc((size_t)set->n * sizeof *v);
    int next_unknown = 0;
    for (int i = 0; i < set->n;) {
        const sk_report_run *r0 = &set->runs[i];
        int j = i + 1;
        while (j < set->n && strcmp(set->runs[j].arch, r0->arch) == 0 &&
               set->runs[j].trainable_layers == r0->trainable_layers) {
            sk_status st = check_same(r0, &set->runs[j], err);
            if (st) {
                free(v);
                sk_report_summary_free(s);
                return st;
            }
            j++;
        }
        sk_report_level *L = &s->levels[s->n_levels++];
        L->arch = r0->arch;
        L->level = r0->trainable_layers;
        L->first = i;
        L->count = j - i;
        L->trainable_params = r0->trainable_params;
        L->total_params = r0->total_params;
        L->total_layers = r0->total_layers;
        L->base_layers = r0->base_layers;
        L->tlr = r0->tlr;
        L->tlr_base = r0->tlr_base;
        L->tpr = r0->tpr;
        L->input_scaling = r0->input_scaling;
#define STAT_OF(field, expr)                                      \
    do {                                                          \
        for (int k = 0; k < L->count; k++) {                      \
            const sk_report_run *r = &set->runs[i + k];           \
            v[k] = (expr);                                        \
        }                                                         \
        L->field = sk_stat_of(v, L->count);                       \
    } while (0)
        STAT_OF(best, r->best_val_acc);
        STAT_OF(final, r->final_val_acc);
        STAT_OF(train_final, r->final_train_acc);
        STAT_OF(sec_epoch, r->seconds_per_epoch_median);
        test_stats(L, set->runs + i, v);
        for (int c = 0; c < r0->num_classes; c++) STAT_OF(recall[c], r->recall[c]);
#undef STAT_OF
        L->paper_n = sk_paper_level(paper, L->arch, L->level, L->input_scaling, &L->paper_best, &L->paper_final);

        if (s->n_archs == 0 || strcmp(s->archs[s->n_archs - 1].arch, L->arch) != 0) {
            sk_report_arch *A = &s->archs[s->n_archs++];
            A->arch = L->arch;
            A->first = s->n_levels - 1;
            A->color = arch_color(L->arch, &next_unknown);
            A->paper_peak = NAN;
            for (int k = 0; paper && k < paper->n; k++) {
                const sk_paper_run *pr = &paper->rows[k];
                if (!pr->ok || strcmp(pr->arch, A->arch) != 0 || strcmp(pr->input_scaling, L->input_scaling) != 0) continue;
                A->paper_n++;
                if (isnan(A->paper_peak) || pr->best_val_acc > A->paper_peak ||
                    (pr->best_val_acc == A->paper_peak && pr->trainable_layers < A->paper_peak_level)) {
                    A->paper_peak = pr->best_val_acc;
                    A->paper_peak_level = pr->trainable_layers;
                }
            }
        }
        s->archs[s->n_archs - 1].count++;
        i = j;
    }
    free(v);
    for (int i = 0; i < set->n; i++) s->has_test |= set->runs[i].n_test > 0;
    return sk_report_select(s, SK_SELECT_VAL, err);
}

void sk_report_summary_free(sk_report_summary *s)
{
    free(s->levels);
    free(s->archs);
    memset(s, 0, sizeof *s);
}
