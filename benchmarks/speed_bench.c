/* speed_bench.c: the `skytune bench speed` run (see speed_bench.h): grid, plan or measurements,
 * the PyTorch peer, tables and JSON. */
#include "speed_bench.h"
#include "sk_arch.h"
#include "sk_base.h"
#include "sk_core.h"
#include "sk_records.h"
#include "speed.h"
#include "speed_out.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

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

/* Every registered id, comma-separated. */
static void all_archs(char *buf, size_t cap)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < sk_arch_count() && off < cap; i++)
        off += (size_t)snprintf(buf + off, cap - off, "%s%s", i ? "," : "", sk_arch_get(i)->id);
}

static sk_status select_gemm(const char *gemm, sk_error *err)
{
    if (!gemm || sk_gemm_select(gemm) == 0) return SK_OK;
    const char *names[8];
    int nb = sk_gemm_backends(names, 8);
    char have[128] = "";
    size_t off = 0;
    for (int i = 0; i < nb && off < sizeof have; i++)
        off += (size_t)snprintf(have + off, sizeof have - off, " %s", names[i]);
    return sk_error_set(err, SK_EINVAL, "GEMM backend '%s' not in this build (have:%s)", gemm, have);
}

/* The cells of archs x sizes x levels, sizes raised to each model's minimum; *n their count. */
static sk_status make_grid(const sk_speed_request *r, sk_speed_cell **out, int *n, sk_error *err)
{
    char archs[MAX_LIST][32], sizes[MAX_LIST][32], levels[MAX_LIST][32], every[512];
    all_archs(every, sizeof every);
    int na = split(r->archs ? r->archs : r->quick ? "resnet50,mobilenetv2" : every, archs, MAX_LIST);
    int ns = split(r->sizes ? r->sizes : r->quick ? "64" : "64,224,512", sizes, MAX_LIST);
    int nl = split(r->levels ? r->levels : r->quick ? "head,full" : "head,best,full", levels, MAX_LIST);
    if (na < 0 || ns < 0 || nl < 0) return sk_error_set(err, SK_EINVAL, "bad --arch/--sizes/--levels list");
    sk_speed_cell *cells = sk_xcalloc((size_t)(na * ns * nl), sizeof *cells);
    int k = 0;
    for (int i = 0; i < na; i++) {
        const sk_arch_info *ai = sk_arch_find(archs[i]);
        if (!ai) {
            free(cells);
            return sk_error_set(err, SK_EINVAL, "unknown architecture '%s' (see skytune arch list)", archs[i]);
        }
        for (int j = 0; j < ns; j++) {
            long sz = strtol(sizes[j], NULL, 10);
            if (sz < 32 || sz > 1024) {
                free(cells);
                return sk_error_set(err, SK_EINVAL, "bad size '%s' (32..1024)", sizes[j]);
            }
            if (sz < ai->min_size) sz = ai->min_size;
            for (int l = 0; l < nl; l++) {
                sk_speed_cell *c = &cells[k++];
                memcpy(c->arch, archs[i], sizeof c->arch);
                memcpy(c->level, levels[l], sizeof c->level);
                c->size = (int)sz;
                c->batch = r->batch;
            }
        }
    }
    *out = cells;
    *n = k;
    return SK_OK;
}

/* Runs the peer script on the cells (files beside the JSON output) and loads its result. */
static sk_status run_peer(const sk_speed_request *r, const sk_speed_cell *cells, int n, cJSON **peer,
                          sk_error *err)
{
    char *dir = dirname_of(r->out);
    sk_status s = sk_mkdir_p(dir, err);
    char *cells_path = sk_path_join(dir, "peer-cells.json");
    char *peer_path = sk_path_join(dir, "peer-pytorch.json");
    free(dir);
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    if (!s) s = sk_speed_write_cells(cells_path, cells, n, err);
    if (!s) {
        fprintf(stderr, "bench speed: running the PyTorch peer (%s)\n", peer_path);
        s = sk_speed_run_peer(r->python, r->peer_script ? r->peer_script : sk_speed_default_peer_script(),
                              cells_path, peer_path, r->repeats, r->warmup < 2 ? 2 : r->warmup, threads, err);
    }
    if (!s) s = sk_speed_load_peer(peer_path, peer, err);
    if (s) sk_error_prefix(err, "peer: ");
    free(cells_path);
    free(peer_path);
    return s;
}

/* Measures every cell (GEMM rates first), then peer, tables and JSON. */
static sk_status measure(const sk_speed_request *r, sk_speed_cell *cells, int n, FILE *out, sk_error *err)
{
    sk_gemm_rate rates[64];
    int nr = 0;
    if (r->gemm_rates) {
        fprintf(stderr, "bench speed: GEMM rates\n");
        nr = sk_speed_gemm_rates(rates, 64, r->repeats, r->quick);
    }
    sk_speed_opts so = {r->repeats, r->warmup, r->infer, r->cached, 1};
    for (int i = 0; i < n; i++) {
        sk_speed_cell *c = &cells[i];
        fprintf(stderr, "bench speed: [%d/%d] %s %d %s (batch %d)\n", i + 1, n, c->arch, c->size,
                c->level, c->batch);
        sk_status s = sk_speed_run_cell(c, &so, err);
        if (s) return s;
    }
    sk_status first = SK_OK;
    sk_error e2;
    cJSON *peer = NULL;
    if (r->peer && !r->peer_json) first = run_peer(r, cells, n, &peer, err);
    else if (r->peer_json) first = sk_speed_load_peer(r->peer_json, &peer, err);

    sk_speed_print(out, cells, n, rates, nr, peer, r->breakdown);
    cJSON *doc = sk_speed_json(cells, n, rates, nr, peer);
    char *dir = dirname_of(r->out);
    sk_status s = sk_mkdir_p(dir, &e2);
    if (!s) s = sk_json_write_file(r->out, doc, &e2);
    if (!s) fprintf(out, "\nwrote %s\n", r->out);
    else if (first) sk_warn("%s", e2.msg);
    else {
        *err = e2;
        first = s;
    }
    free(dir);
    cJSON_Delete(doc);
    cJSON_Delete(peer);
    return first;
}

sk_status sk_speed_bench(const sk_speed_request *r, FILE *out, sk_error *err)
{
    sk_status s = select_gemm(r->gemm, err);
    if (s) return s;
    const char *fuse = getenv("SKYTUNE_BN_FUSE"); /* A/B of the executor's BN + act fusion */
    if (fuse && fuse[0] >= '0' && fuse[0] <= '3' && !fuse[1]) sk_exec_set_fuse(fuse[0] - '0');
    sk_speed_cell *cells = NULL;
    int n = 0;
    if ((s = make_grid(r, &cells, &n, err))) return s;
    /* Facts first: validates every level before hours of measuring. */
    for (int i = 0; i < n && !s; i++) {
        sk_speed_cell probe = cells[i];
        s = sk_speed_plan_cell(&probe, err);
        if (!s && r->plan) cells[i] = probe;
    }
    if (s) s = SK_EINVAL;
    else if (r->plan) sk_speed_print_plan(out, cells, n);
    else if ((s = measure(r, cells, n, out, err)) == SK_EINVAL)
        s = err->code = SK_EIO; /* SK_EINVAL is kept for a bad request */
    free(cells);
    return s;
}
