/* speed_bench.h: `skytune bench speed` as one library call: the grid of cells from comma lists,
 * the plan (FLOPs and memory, no measuring) or the measurements, the GEMM rates, the PyTorch
 * peer run or loaded, the tables printed and the JSON written (speed.h measures, speed_out.h
 * formats; this file decides what runs). The command line only parses options into a request.
 *
 * Validation comes first: an unknown architecture or GEMM backend, a bad list, size or level is
 * SK_EINVAL before anything is measured, and only such a request returns SK_EINVAL. A failing
 * cell is an error. A failing peer or JSON
 * write does not stop the tables: they are printed, the first such error is returned. */
#ifndef SK_SPEED_BENCH_H
#define SK_SPEED_BENCH_H

#include <stdio.h>
#include "sk_base.h"

typedef struct {
    const char *archs;       /* comma-separated ids; NULL: every registered model (quick: two) */
    const char *sizes;       /* comma-separated sizes; NULL: 64,224,512 (quick: 64) */
    const char *levels;      /* head, best, full, layer counts; NULL: head,best,full (quick: head,full) */
    int batch, repeats, warmup;
    int quick;               /* the small default grid and a shorter GEMM table */
    int plan;                /* print FLOPs and planned memory only */
    int breakdown;           /* also print the per-op-class table */
    int gemm_rates, infer, cached;
    const char *gemm;        /* GEMM backend for the cells; NULL: the current one */
    const char *out;         /* JSON output path */
    int peer;                /* run the peer script on the same cells */
    const char *peer_json;   /* or read its result from here */
    const char *python;      /* the peer's interpreter */
    const char *peer_script; /* NULL: the source tree's benchmarks/peers/pytorch_speed.py */
} sk_speed_request;

/* Runs the request, tables to out, progress on stderr. */
sk_status sk_speed_bench(const sk_speed_request *r, FILE *out, sk_error *err) SK_WUR;

#endif
