/* report_records.c: the set of result records below a results root (see report_records.h):
 * the walk and each record come from the records library; here the FAILED messages, the
 * sorting and the duplicate rule the report needs. */
#include "report_records.h"

#include "sk_base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sk_status sk_report_run_load(sk_report_run *r, const char *dir, sk_error *err)
{
    return sk_record_read_cell(dir, r, err);
}

void sk_report_run_free(sk_report_run *r)
{
    sk_run_record_free(r);
}

typedef struct {
    sk_report_set *set;
    int cap, skip_bad;
} walk_state;

/* "DIR: first line of its FAILED file". */
static void add_failed(sk_report_set *set, const char *dir)
{
    char *failed = sk_path_join(dir, "FAILED");
    uint8_t *msg = NULL;
    size_t n = 0;
    sk_error e2;
    char line[512] = "(FAILED file unreadable)";
    if (sk_read_file(failed, &msg, &n, 1u << 20, &e2) == SK_OK) {
        snprintf(line, sizeof line, "%s", (const char *)msg);
        line[strcspn(line, "\r\n")] = 0;
    }
    free(msg);
    free(failed);
    size_t cap = strlen(dir) + strlen(line) + 3;
    char *entry = sk_xmalloc(cap);
    snprintf(entry, cap, "%s: %s", dir, line);
    set->failed = sk_xrealloc(set->failed, (size_t)(set->n_failed + 1) * sizeof *set->failed);
    set->failed[set->n_failed++] = entry;
}

static sk_status visit(void *ctx, const char *dir, sk_cell_state state, sk_error *err)
{
    walk_state *w = ctx;
    if (state == SK_CELL_FAILED) {
        add_failed(w->set, dir);
        return SK_OK;
    }
    if (state == SK_CELL_INCOMPLETE) {
        w->set->n_incomplete++;
        return SK_OK;
    }
    if (w->set->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 16;
        w->set->runs = sk_xrealloc(w->set->runs, (size_t)w->cap * sizeof *w->set->runs);
    }
    sk_status st = sk_report_run_load(&w->set->runs[w->set->n], dir, err);
    if (!st) {
        w->set->n++;
        return SK_OK;
    }
    if (!w->skip_bad) return st;
    sk_warn("skipping bad record: %s", err->msg);
    w->set->n_bad++;
    return SK_OK;
}

static int cmp_run(const void *a, const void *b)
{
    const sk_report_run *x = a, *y = b;
    int c = strcmp(x->arch, y->arch);
    if (c) return c;
    if (x->trainable_layers != y->trainable_layers) return x->trainable_layers < y->trainable_layers ? -1 : 1;
    if (x->seed != y->seed) return x->seed < y->seed ? -1 : 1;
    return strcmp(x->dir, y->dir);
}

sk_status sk_report_set_load(sk_report_set *set, const char *root, int skip_bad, sk_error *err)
{
    memset(set, 0, sizeof *set);
    if (!sk_dir_exists(root))
        return sk_error_set(err, SK_ENOTFOUND, "%s: results directory does not exist", root);
    walk_state w = {set, 0, skip_bad};
    sk_status st = sk_record_walk(root, visit, &w, err);
    if (st) {
        sk_report_set_free(set);
        return st;
    }
    if (set->n == 0) {
        st = sk_error_set(err, SK_ENOTFOUND, "%s: no complete result cells (directories with run.json and DONE) below it; "
                          "%d incomplete, %d failed, %d bad",
                          root, set->n_incomplete, set->n_failed, set->n_bad);
        sk_report_set_free(set);
        return st;
    }
    qsort(set->runs, (size_t)set->n, sizeof *set->runs, cmp_run);
    /* One record per (arch, level, seed): a duplicate would silently weight the mean. */
    for (int i = 1; i < set->n; i++) {
        sk_report_run *a = &set->runs[i - 1], *b = &set->runs[i];
        if (strcmp(a->arch, b->arch) == 0 && a->trainable_layers == b->trainable_layers && a->seed == b->seed) {
            if (!skip_bad) {
                st = sk_error_set(err, SK_EINVAL, "%s and %s: two records for the same cell (arch %s, trainable_layers %d, seed %lld); keep one",
                                  a->dir, b->dir, a->arch, a->trainable_layers, (long long)a->seed);
                sk_report_set_free(set);
                return st;
            }
            sk_warn("skipping duplicate record %s (same cell as %s)", b->dir, a->dir);
            sk_report_run_free(b);
            memmove(b, b + 1, (size_t)(set->n - i - 1) * sizeof *b);
            set->n--;
            set->n_bad++;
            i--;
        }
    }
    return SK_OK;
}

void sk_report_set_free(sk_report_set *set)
{
    for (int i = 0; i < set->n; i++) sk_report_run_free(&set->runs[i]);
    free(set->runs);
    for (int i = 0; i < set->n_failed; i++) free(set->failed[i]);
    free(set->failed);
    memset(set, 0, sizeof *set);
}
