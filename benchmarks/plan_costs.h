/* plan_costs.h: recorded per-image costs of cell shapes on this machine, for the plan (plan.h):
 * measured by a short calibration and kept in <cache>/plan/costs.tsv, one line per (platform
 * fingerprint, architecture, input size, trainable layers, cached):
 *   fingerprint arch size layers cached batch prefix_s step_s infer_s load1 git utc
 * prefix_s, step_s and infer_s are seconds per image of the frozen prefix's forward (cached
 * shapes), the training step (of the suffix when cached) and the validation forward; load1 the
 * 1-minute load average when measured. A later measurement of a key replaces the earlier one. */
#ifndef SK_PLAN_COSTS_H
#define SK_PLAN_COSTS_H

#include "sk_base.h"

typedef struct {
    char arch[32];
    int size, layers, cached, batch;
    double prefix_s, step_s, infer_s; /* per image */
    double load1;
    char git[48], utc[32];
} sk_shape_cost;

typedef struct {
    char path[2048];
    char fingerprint[17];
    sk_shape_cost *v;  /* this fingerprint's entries */
    int n;
    char *others;      /* lines of other fingerprints, kept verbatim on save */
} sk_cost_table;

/* Reads <cache_root>/plan/costs.tsv (missing = empty) for this machine's fingerprint. A malformed
 * line is an error naming the file and line. */
sk_status sk_costs_load(sk_cost_table *t, const char *cache_root, sk_error *err) SK_WUR;
void sk_costs_free(sk_cost_table *t);
const sk_shape_cost *sk_costs_find(const sk_cost_table *t, const char *arch, int size, int layers, int cached);
/* Adds or replaces c, then writes the table atomically. */
sk_status sk_costs_put(sk_cost_table *t, const sk_shape_cost *c, sk_error *err) SK_WUR;

/* Measures a shape: the graph of arch at size (3 classes), the last `layers` layers trainable,
 * seeded initialisers, `batch` random images; with cached the prefix forward is timed (a warm-up,
 * then timed) and the steps run on the cached boundary, as the runner runs them. */
sk_status sk_costs_measure(sk_shape_cost *c, const char *arch, int size, int layers, int cached,
                           int batch, sk_error *err) SK_WUR;

#endif
