/* cmd_bench_speed.c: `skytune bench speed`: training and inference speed, GEMM rates, and the
 * PyTorch peer side by side (benchmarks/speed.h, speed_out.h). */
#include "args.h"
#include "commands.h"
#include "fileio.h"
#include "gemm.h"
#include "record.h"
#include "speed.h"
#include "speed_out.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "arch.h"

#define MAX_LIST 32

/* Splits a comma list into (copied) items; returns the count or -1 when too many/empty. */
static int split(const char *s, char items[][32], int max)
{
    int n = 0;
    const char *p = s;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0 || len >= 32 || n == max) return -1;
        memcpy(items[n], p, len);
        items[n++][len] = '\0';
        p = e ? e + 1 : p + len;
    }
    return n ? n : -1;
}

/* The directory part of a path ("." for a bare file name); caller frees. */
static char *dirname_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return sk_xstrdup(".");
    if (slash == path) return sk_xstrdup("/");
    size_t len = (size_t)(slash - path);
    char *d = sk_xmalloc(len + 1);
    memcpy(d, path, len);
    d[len] = '\0';
    return d;
}

int sk_cmd_bench_speed(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"arch", SK_OPT_VALUE, "LIST", "architectures, comma-separated (default: all seven)"},
        {"sizes", SK_OPT_VALUE, "LIST", "input sizes (default 64,224,512; raised to a model's minimum, Xception 71)"},
        {"levels", SK_OPT_VALUE, "LIST", "head, best (the study's best level), full, or layer counts (default head,best,full)"},
        {"batch", SK_OPT_VALUE, "N", "batch size (default 32)"},
        {"repeats", SK_OPT_VALUE, "R", "timed repeats per measurement; the median is reported (default 5)"},
        {"warmup", SK_OPT_VALUE, "W", "untimed runs before timing (default 1)"},
        {"gemm", SK_OPT_VALUE, "NAME", "GEMM backend for the cells (default: the build's, or SKYTUNE_GEMM)"},
        {"no-gemm-rates", SK_OPT_FLAG, NULL, "skip the sk_sgemm rate measurements"},
        {"no-infer", SK_OPT_FLAG, NULL, "skip inference timing"},
        {"no-cached", SK_OPT_FLAG, NULL, "skip the cached (frozen-prefix) step"},
        {"quick", SK_OPT_FLAG, NULL, "a small check: resnet50,mobilenetv2 at 64, head and full, 2 repeats"},
        {"plan", SK_OPT_FLAG, NULL, "print FLOPs and planned memory of the cells without running them"},
        {"breakdown", SK_OPT_FLAG, NULL, "also print the per-op-class time table"},
        {"out", SK_OPT_VALUE, "FILE", "JSON output (default results/speed/speed.json)"},
        {"peer", SK_OPT_FLAG, NULL, "also run benchmarks/peers/pytorch_speed.py on the same cells and print ratios"},
        {"peer-json", SK_OPT_VALUE, "FILE", "use a peer result file written earlier instead of running the peer"},
        {"python", SK_OPT_VALUE, "PATH", "interpreter for the peer (default /usr/bin/python3)"},
        {"peer-script", SK_OPT_VALUE, "PATH", "peer script (default: the source tree's benchmarks/peers/pytorch_speed.py)"},
    };
    sk_args a;
    int rc = sk_args_parse(
        &a, "skytune bench speed", "skytune bench speed [OPTIONS]",
        "For each cell (architecture x size x level, batch 32) measures the training step\n"
        "(forward + loss + backward + Adam), inference, and with a frozen prefix the cached step;\n"
        "reports images/s, GFLOP/s counted from the graph, the fraction of the best sk_sgemm rate\n"
        "measured in the same run (every compiled-in GEMM backend), a per-op-class breakdown,\n"
        "planned and peak memory. Medians of --repeats; a cell whose spread exceeds 25% is flagged\n"
        "contended (the host is shared). Writes a table to stdout and JSON to --out.\n"
        "The default grid (7 models x 3 sizes x 3 levels) includes 512 px and runs for hours;\n"
        "--quick took 10 s on the 2-core development machine.",
        opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0)) return 2;
    int quick = sk_args_has(&a, "quick"), plan = sk_args_has(&a, "plan");
    long batch, repeats, warmup;
    if (sk_args_long(&a, "batch", 32, 1, 4096, &batch) ||
        sk_args_long(&a, "repeats", quick ? 2 : 5, 1, 64, &repeats) ||
        sk_args_long(&a, "warmup", 1, 0, 100, &warmup))
        return 2;
    char archs[MAX_LIST][32], sizes[MAX_LIST][32], levels[MAX_LIST][32];
    const char *arch_def = quick ? "resnet50,mobilenetv2"
                                 : "resnet50,densenet121,vgg16,xception,efficientnetb2,mobilenetv2,nasnetmobile";
    int na = split(sk_args_str(&a, "arch", arch_def), archs, MAX_LIST);
    int ns = split(sk_args_str(&a, "sizes", quick ? "64" : "64,224,512"), sizes, MAX_LIST);
    int nl = split(sk_args_str(&a, "levels", quick ? "head,full" : "head,best,full"), levels,
                   MAX_LIST);
    if (na < 0 || ns < 0 || nl < 0) {
        fprintf(stderr, "skytune bench speed: bad --arch/--sizes/--levels list\n");
        return 2;
    }
    const char *gemm = sk_args_str(&a, "gemm", NULL);
    if (gemm && sk_gemm_select(gemm) != 0) {
        const char *names[8];
        int nb = sk_gemm_backends(names, 8);
        fprintf(stderr, "skytune bench speed: GEMM backend '%s' not in this build (have:", gemm);
        for (int i = 0; i < nb; i++) fprintf(stderr, " %s", names[i]);
        fprintf(stderr, ")\n");
        return 2;
    }
    const char *out = sk_args_str(&a, "out", "results/speed/speed.json");

    int n = na * ns * nl;
    sk_speed_cell *cells = sk_xcalloc((size_t)n, sizeof *cells);
    int k = 0;
    for (int i = 0; i < na; i++) {
        const sk_arch_info *ai = sk_arch_find(archs[i]);
        if (!ai) {
            fprintf(stderr, "skytune bench speed: unknown architecture '%s' (see skytune arch list)\n",
                    archs[i]);
            free(cells);
            return 2;
        }
        for (int j = 0; j < ns; j++) {
            long sz = strtol(sizes[j], NULL, 10);
            if (sz < 32 || sz > 1024) {
                fprintf(stderr, "skytune bench speed: bad size '%s' (32..1024)\n", sizes[j]);
                free(cells);
                return 2;
            }
            if (sz < ai->min_size) sz = ai->min_size;
            for (int l = 0; l < nl; l++) {
                sk_speed_cell *c = &cells[k++];
                memcpy(c->arch, archs[i], sizeof c->arch);
                memcpy(c->level, levels[l], sizeof c->level);
                c->size = (int)sz;
                c->batch = (int)batch;
            }
        }
    }

    sk_error err;
    /* Facts first: validates every level before hours of measuring. */
    for (int i = 0; i < n; i++) {
        sk_speed_cell probe = cells[i];
        if (sk_speed_plan_cell(&probe, &err)) {
            fprintf(stderr, "skytune bench speed: %s\n", err.msg);
            free(cells);
            return 2;
        }
        if (plan) cells[i] = probe;
    }
    if (plan) {
        printf("%-14s %4s %-5s %6s %12s %10s %10s %10s %9s %9s\n", "arch", "size", "level",
               "layers", "trainable", "fwd GF/im", "bwd GF/im", "inf GF/im", "arena MB", "slabs MB");
        for (int i = 0; i < n; i++) {
            const sk_speed_cell *c = &cells[i];
            printf("%-14s %4d %-5s %6d %12zu %10.3f %10.3f %10.3f %9.0f %9.0f\n", c->arch, c->size,
                   c->level, c->trainable_layers, c->trainable_params, c->fwd_flops * 1e-9,
                   c->bwd_flops * 1e-9, c->infer_flops * 1e-9, c->arena_bytes / 1048576.0,
                   c->slab_bytes / 1048576.0);
        }
        free(cells);
        return 0;
    }

    sk_gemm_rate rates[64];
    int nr = 0;
    if (!sk_args_has(&a, "no-gemm-rates")) {
        fprintf(stderr, "bench speed: GEMM rates\n");
        nr = sk_speed_gemm_rates(rates, 64, (int)repeats, quick);
    }
    sk_speed_opts so = {(int)repeats, (int)warmup, !sk_args_has(&a, "no-infer"),
                        !sk_args_has(&a, "no-cached"), 1};
    for (int i = 0; i < n; i++) {
        sk_speed_cell *c = &cells[i];
        fprintf(stderr, "bench speed: [%d/%d] %s %d %s (batch %d)\n", i + 1, n, c->arch, c->size,
                c->level, c->batch);
        if (sk_speed_run_cell(c, &so, &err)) {
            fprintf(stderr, "skytune bench speed: %s\n", err.msg);
            free(cells);
            return 1;
        }
    }

    int status = 0;
    cJSON *peer = NULL;
    const char *peer_json = sk_args_str(&a, "peer-json", NULL);
    if (sk_args_has(&a, "peer") && !peer_json) {
        char *dir = dirname_of(out);
        sk_status s = sk_mkdir_p(dir, &err);
        char *cells_path = sk_path_join(dir, "peer-cells.json");
        char *peer_path = sk_path_join(dir, "peer-pytorch.json");
        free(dir);
        int threads = 1;
#ifdef _OPENMP
        threads = omp_get_max_threads();
#endif
        if (!s) s = sk_speed_write_cells(cells_path, cells, n, &err);
        if (!s) {
            fprintf(stderr, "bench speed: running the PyTorch peer (%s)\n", peer_path);
            s = sk_speed_run_peer(sk_args_str(&a, "python", "/usr/bin/python3"),
                                  sk_args_str(&a, "peer-script",
                                              sk_speed_default_peer_script()),
                                  cells_path, peer_path, (int)repeats, (int)(warmup < 2 ? 2 : warmup),
                                  threads, &err);
        }
        if (!s) s = sk_speed_load_peer(peer_path, &peer, &err);
        if (s) {
            fprintf(stderr, "skytune bench speed: peer: %s\n", err.msg);
            status = 1;
        }
        free(cells_path);
        free(peer_path);
    } else if (peer_json && sk_speed_load_peer(peer_json, &peer, &err)) {
        fprintf(stderr, "skytune bench speed: %s\n", err.msg);
        status = 1;
    }

    sk_speed_print(stdout, cells, n, rates, nr, peer, sk_args_has(&a, "breakdown"));
    cJSON *doc = sk_speed_json(cells, n, rates, nr, peer);
    char *dir = dirname_of(out);
    if (sk_mkdir_p(dir, &err) || sk_json_write_file(out, doc, &err)) {
        fprintf(stderr, "skytune bench speed: %s\n", err.msg);
        status = 1;
    } else {
        printf("\nwrote %s\n", out);
    }
    free(dir);
    cJSON_Delete(doc);
    cJSON_Delete(peer);
    free(cells);
    return status;
}
