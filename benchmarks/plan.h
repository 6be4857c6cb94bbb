/* plan.h: `skytune reproduce --plan`: what each stage of a suite will do and what the sweep
 * costs, printed before anything runs.
 *
 * The sweep is a set of cell shapes (architecture, input size, trainable layers); seeds repeat a
 * shape at the same cost. For each shape, from the graph (no executor is planned): whether the
 * runner will cache the frozen prefix (runner.h: a prefix with weights whose boundary tensors of
 * every image fit the in-memory limit) and the FLOPs of the cell (speed.h's counting rule): the
 * prefix forward once per image when cached, then per epoch a training step per training image
 * (forward + backward, of the suffix when cached) and a forward per validation image, and the
 * final evaluation. The FLOP floor is the total at the best sk_sgemm rate measured now.
 *
 * Hours come from recorded costs: seconds per image of the prefix forward, the training step and
 * the validation forward of each shape on this machine (same platform fingerprint and thread
 * count), measured by `--calibrate` (a warm-up step and two timed steps of `batch` random
 * images, batch = min(the suite's, SK_PLAN_CALIBRATION_BATCH), on the seeded initialisers) and
 * kept in <cache>/plan/costs.tsv. Without them the plan says so and shows the floor only. With
 * nodes > 0 the sweep's cells are also scheduled over that many Slurm nodes like this machine
 * (longest first onto the least-loaded node), giving the wall time and the busiest node's hours. */
#ifndef SK_PLAN_H
#define SK_PLAN_H

#include <stdio.h>
#include "sk_base.h"
#include "suite.h"

#define SK_PLAN_CALIBRATION_BATCH 4

typedef struct {
    const char *out_dir;     /* the results folder (stage markers say what is done) */
    const char *cache_dir;   /* cache root (recorded costs, weights); NULL: the default rule */
    const char *suite_path;  /* shown */
    int have_data;           /* --data given: no catalog, cutouts, pack */
    int calibrate;           /* measure the shapes without a recorded cost first */
    int nodes;               /* 0: no Slurm projection */
    int use_cache;           /* the runner's frozen-prefix cache (default on) */
} sk_plan_opts;

/* Prints the plan of s to f. Errors: an unknown architecture, an unwritable costs file. */
sk_status sk_plan_print(const sk_suite *s, const sk_plan_opts *o, FILE *f, sk_error *err) SK_WUR;

#endif
