/* speed_out.h: what `skytune bench speed` writes and prints, and its PyTorch peer.
 *
 * The JSON document (schema 2, described in docs/FORMATS.md "Speed benchmark"): build facts,
 * the GEMM rates, one object per cell with timings, FLOP rates, the fraction of the best GEMM
 * rate of the run, the op-class breakdown and memory, and, when a peer file is given, the
 * peer's numbers and the ratios skytune / peer per cell.
 * The peer is benchmarks/peers/pytorch_speed.py, run as a child process (no shell) on a cells
 * file this module writes (with each model's torchvision name from its descriptor); its JSON is read back and matched by (arch, size, level). */
#ifndef SK_SPEED_OUT_H
#define SK_SPEED_OUT_H

#include <stdio.h>
#include "speed.h"

struct cJSON;

/* Best GFLOP/s among the rates (0 if none). */
double sk_speed_best_gemm(const sk_gemm_rate *rates, int nr);

/* The whole result document; peer may be NULL. The caller frees it with cJSON_Delete. */
struct cJSON *sk_speed_json(const sk_speed_cell *cells, int n, const sk_gemm_rate *rates, int nr,
                            const struct cJSON *peer);

/* The plan table: layers, trainable parameters, FLOPs per image and planned memory per cell. */
void sk_speed_print_plan(FILE *out, const sk_speed_cell *cells, int n);

/* Human-readable tables: GEMM rates, cells, breakdown (if breakdown), ratios (if peer). */
void sk_speed_print(FILE *out, const sk_speed_cell *cells, int n, const sk_gemm_rate *rates,
                    int nr, const struct cJSON *peer, int breakdown);

/* Writes the cells file the peer script reads ({"cells":[{arch,size,batch,level,...}]}). */
sk_status sk_speed_write_cells(const char *path, const sk_speed_cell *cells, int n,
                               sk_error *err) SK_WUR;
/* Runs `python script --cells cells_path --out out_path --repeats R --warmup W --threads T
 * --retries 1` (a contended peer cell is measured once more, the faster kept) and waits
 * for it. A missing interpreter, a non-zero exit or a signal is an error. */
sk_status sk_speed_run_peer(const char *python, const char *script, const char *cells_path,
                            const char *out_path, int repeats, int warmup, int threads,
                            sk_error *err) SK_WUR;
/* benchmarks/peers/pytorch_speed.py in the source tree this binary was built from. */
const char *sk_speed_default_peer_script(void);
/* Reads and checks a peer JSON file (peer, schema 1, cells array). */
sk_status sk_speed_load_peer(const char *path, struct cJSON **out, sk_error *err) SK_WUR;

/* The peer cell matching (arch, size, level), or NULL. */
const struct cJSON *sk_speed_peer_cell(const struct cJSON *peer, const char *arch, int size,
                                       const char *level);

#endif
