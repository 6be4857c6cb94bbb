/* speed_out.c: JSON, tables and the PyTorch peer of the speed benchmark (speed_out.h). */
#include "speed_out.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sk_arch.h"
#include "sk_records.h"

double sk_speed_best_gemm(const sk_gemm_rate *rates, int nr)
{
    double best = 0.0;
    for (int i = 0; i < nr; i++)
        if (rates[i].gflops > best) best = rates[i].gflops;
    return best;
}

/* The speed issue's target ratio skytune / peer for a cell, from the architecture's descriptor. */
static double peer_target(const char *arch, const char *level)
{
    const sk_arch_info *ai = sk_arch_find(arch);
    if (!ai) return 1.0;
    return strcmp(level, "full") ? ai->peer_target : ai->peer_target_full;
}

static double ips(const sk_timing *t, int batch)
{
    return t->median > 0 ? batch / t->median : 0.0;
}

static double fwd_total(const sk_speed_cell *c)
{
    double s = 0;
    for (int k = 0; k < SK_OPC_COUNT; k++) s += c->fwd_sec[k];
    return s;
}

static double bwd_total(const sk_speed_cell *c)
{
    double s = 0;
    for (int k = 0; k < SK_OPC_COUNT; k++) s += c->bwd_sec[k];
    return s;
}

/* GFLOP/s of the training step, forward part and backward part. */
static void cell_gflops(const sk_speed_cell *c, double *train, double *fwd, double *bwd)
{
    double f = fwd_total(c), b = bwd_total(c);
    *train = c->train.median > 0
                 ? (c->fwd_flops + c->bwd_flops) * c->batch / c->train.median * 1e-9 : 0.0;
    *fwd = f > 0 ? c->fwd_flops * c->batch / f * 1e-9 : 0.0;
    *bwd = b > 0 ? c->bwd_flops * c->batch / b * 1e-9 : 0.0;
}

static double peer_num(const cJSON *pc, const char *key)
{
    const cJSON *v = pc ? cJSON_GetObjectItemCaseSensitive(pc, key) : NULL;
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static cJSON *timing_json(const sk_timing *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "median_s", t->median);
    cJSON_AddNumberToObject(o, "min_s", t->min);
    cJSON_AddNumberToObject(o, "max_s", t->max);
    cJSON_AddNumberToObject(o, "repeats", t->reps);
    cJSON_AddNumberToObject(o, "spread", sk_timing_spread(t));
    return o;
}

/* What names a cell, in both the result document and the peer's cell list. */
static cJSON *cell_identity(const sk_speed_cell *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "arch", c->arch);
    cJSON_AddNumberToObject(o, "size", c->size);
    cJSON_AddNumberToObject(o, "batch", c->batch);
    cJSON_AddStringToObject(o, "level", c->level);
    cJSON_AddNumberToObject(o, "trainable_layers", c->trainable_layers);
    cJSON_AddNumberToObject(o, "trainable_params", (double)c->trainable_params);
    return o;
}

cJSON *sk_speed_json(const sk_speed_cell *cells, int n, const sk_gemm_rate *rates, int nr,
                     const cJSON *peer)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "kind", "skytune-speed");
    cJSON_AddNumberToObject(root, "schema", 2); /* 2: the platform block in run.json's keys */
    /* The build block of every record: run.json's vocabulary, one writer. */
    cJSON_AddItemToObject(root, "platform", sk_record_platform_json());
    double best = sk_speed_best_gemm(rates, nr);
    cJSON *gr = cJSON_AddArrayToObject(root, "gemm_rates");
    for (int i = 0; i < nr; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "backend", rates[i].backend);
        cJSON_AddStringToObject(o, "shape", rates[i].shape);
        cJSON_AddNumberToObject(o, "trans_a", rates[i].ta);
        cJSON_AddNumberToObject(o, "trans_b", rates[i].tb);
        cJSON_AddNumberToObject(o, "m", rates[i].m);
        cJSON_AddNumberToObject(o, "n", rates[i].n);
        cJSON_AddNumberToObject(o, "k", rates[i].k);
        cJSON_AddNumberToObject(o, "gflops", rates[i].gflops);
        cJSON_AddItemToObject(o, "time", timing_json(&rates[i].t));
        cJSON_AddItemToArray(gr, o);
    }
    cJSON_AddNumberToObject(root, "best_gemm_gflops", best);
    cJSON *arr = cJSON_AddArrayToObject(root, "cells");
    for (int i = 0; i < n; i++) {
        const sk_speed_cell *c = &cells[i];
        cJSON *o = cell_identity(c);
        cJSON_AddNumberToObject(o, "total_layers", c->total_layers);
        cJSON_AddNumberToObject(o, "total_params", (double)c->total_params);
        if (c->error[0]) {
            cJSON_AddStringToObject(o, "error", c->error);
            cJSON_AddItemToArray(arr, o);
            continue;
        }
        cJSON_AddNumberToObject(o, "fwd_gflop_per_image", c->fwd_flops * 1e-9);
        cJSON_AddNumberToObject(o, "bwd_gflop_per_image", c->bwd_flops * 1e-9);
        cJSON_AddNumberToObject(o, "infer_gflop_per_image", c->infer_flops * 1e-9);
        double tg, fg, bg;
        cell_gflops(c, &tg, &fg, &bg);
        cJSON *tr = cJSON_AddObjectToObject(o, "train");
        cJSON_AddItemToObject(tr, "step", timing_json(&c->train));
        cJSON_AddNumberToObject(tr, "images_per_s", ips(&c->train, c->batch));
        cJSON_AddNumberToObject(tr, "gflops", tg);
        cJSON_AddNumberToObject(tr, "fwd_gflops", fg);
        cJSON_AddNumberToObject(tr, "bwd_gflops", bg);
        cJSON_AddNumberToObject(tr, "fraction_of_best_gemm", best > 0 ? tg / best : 0.0);
        cJSON_AddNumberToObject(tr, "fwd_fraction_of_best_gemm", best > 0 ? fg / best : 0.0);
        cJSON_AddNumberToObject(tr, "bwd_fraction_of_best_gemm", best > 0 ? bg / best : 0.0);
        cJSON *bd = cJSON_AddObjectToObject(tr, "breakdown_s");
        cJSON *bf = cJSON_AddObjectToObject(bd, "forward");
        cJSON *bb = cJSON_AddObjectToObject(bd, "backward");
        for (int k = 0; k < SK_OPC_COUNT; k++) {
            cJSON_AddNumberToObject(bf, sk_opclass_name((sk_opclass)k), c->fwd_sec[k]);
            cJSON_AddNumberToObject(bb, sk_opclass_name((sk_opclass)k), c->bwd_sec[k]);
        }
        cJSON_AddNumberToObject(bd, "other", c->step_other_sec);
        if (c->infer.reps) {
            cJSON *in = cJSON_AddObjectToObject(o, "infer");
            cJSON_AddItemToObject(in, "batch_time", timing_json(&c->infer));
            cJSON_AddNumberToObject(in, "images_per_s", ips(&c->infer, c->batch));
            cJSON_AddNumberToObject(in, "gflops",
                                    c->infer.median > 0
                                        ? c->infer_flops * c->batch / c->infer.median * 1e-9
                                        : 0.0);
        }
        if (c->has_cached) {
            cJSON *ca = cJSON_AddObjectToObject(o, "cached");
            cJSON_AddItemToObject(ca, "step", timing_json(&c->cached));
            cJSON_AddNumberToObject(ca, "images_per_s", ips(&c->cached, c->batch));
            cJSON_AddNumberToObject(ca, "fraction_of_uncached",
                                    c->train.median > 0 ? c->cached.median / c->train.median : 0);
            cJSON_AddNumberToObject(ca, "fill_s_per_image", c->cache_fill_sec / c->batch);
        }
        cJSON *mem = cJSON_AddObjectToObject(o, "memory");
        cJSON_AddNumberToObject(mem, "arena_bytes", (double)c->arena_bytes);
        cJSON_AddNumberToObject(mem, "slab_bytes", (double)c->slab_bytes);
        cJSON_AddNumberToObject(mem, "peak_rss_bytes", (double)c->peak_rss_bytes);
        cJSON_AddBoolToObject(o, "contended", c->contended);
        const cJSON *pc = peer ? sk_speed_peer_cell(peer, c->arch, c->size, c->level) : NULL;
        if (pc) {
            cJSON *p = cJSON_AddObjectToObject(o, "peer");
            double pt = peer_num(pc, "train_images_per_s"), pi = peer_num(pc, "infer_images_per_s");
            if (isfinite(pt)) {
                cJSON_AddNumberToObject(p, "train_images_per_s", pt);
                cJSON_AddNumberToObject(p, "train_ratio", ips(&c->train, c->batch) / pt);
                cJSON_AddNumberToObject(p, "train_target", peer_target(c->arch, c->level));
            }
            if (isfinite(pi) && c->infer.reps) {
                cJSON_AddNumberToObject(p, "infer_images_per_s", pi);
                cJSON_AddNumberToObject(p, "infer_ratio", ips(&c->infer, c->batch) / pi);
            }
            const cJSON *pe = cJSON_GetObjectItemCaseSensitive(pc, "error");
            if (cJSON_IsString(pe)) cJSON_AddStringToObject(p, "error", pe->valuestring);
        }
        cJSON_AddItemToArray(arr, o);
    }
    if (peer) cJSON_AddItemToObject(root, "peer", cJSON_Duplicate(peer, 1));
    return root;
}

void sk_speed_print_plan(FILE *out, const sk_speed_cell *cells, int n)
{
    fprintf(out, "%-14s %4s %-5s %6s %12s %10s %10s %10s %9s %9s\n", "arch", "size", "level",
            "layers", "trainable", "fwd GF/im", "bwd GF/im", "inf GF/im", "arena MB", "slabs MB");
    for (int i = 0; i < n; i++) {
        const sk_speed_cell *c = &cells[i];
        fprintf(out, "%-14s %4d %-5s %6d %12zu %10.3f %10.3f %10.3f %9.0f %9.0f\n", c->arch, c->size,
                c->level, c->trainable_layers, c->trainable_params, c->fwd_flops * 1e-9,
                c->bwd_flops * 1e-9, c->infer_flops * 1e-9, c->arena_bytes / 1048576.0,
                c->slab_bytes / 1048576.0);
    }
}

/* "a, b" of the architectures whose full fine-tuning target exceeds the common one. */
static void high_targets(char *buf, size_t cap)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < sk_arch_count() && off < cap; i++)
        if (sk_arch_get(i)->peer_model && sk_arch_get(i)->peer_target_full > sk_arch_get(i)->peer_target)
            off += (size_t)snprintf(buf + off, cap - off, "%s%s", off ? ", " : "", sk_arch_get(i)->id);
}

void sk_speed_print(FILE *out, const sk_speed_cell *cells, int n, const sk_gemm_rate *rates,
                    int nr, const cJSON *peer, int breakdown)
{
    double best = sk_speed_best_gemm(rates, nr);
    if (nr) {
        fprintf(out, "GEMM (sk_sgemm; median of %d)\n", rates[0].t.reps);
        fprintf(out, "%-9s %-24s %7s %6s %7s %9s %7s\n", "backend", "shape", "M", "N", "K",
                "GFLOP/s", "spread");
        for (int i = 0; i < nr; i++)
            fprintf(out, "%-9s %-24s %7d %6d %7d %9.1f %6.0f%%\n", rates[i].backend,
                    rates[i].shape, rates[i].m, rates[i].n, rates[i].k, rates[i].gflops,
                    100 * sk_timing_spread(&rates[i].t));
        fprintf(out, "best GEMM rate: %.1f GFLOP/s\n\n", best);
    }
    fprintf(out, "%-14s %4s %-5s %6s %9s %8s %6s %6s %6s %9s %8s %8s %8s %s\n", "arch", "size",
            "level", "layers", "train/s", "GFLOP/s", "%gemm", "fwd%", "bwd%", "infer/s",
            "cached%", "arenaMB", "peakMB", "");
    for (int i = 0; i < n; i++) {
        const sk_speed_cell *c = &cells[i];
        if (c->error[0]) {
            fprintf(out, "%-14s %4d %-5s %6d  error: %s\n", c->arch, c->size, c->level,
                    c->trainable_layers, c->error);
            continue;
        }
        double tg, fg, bg;
        cell_gflops(c, &tg, &fg, &bg);
        char cached[16] = "-", infer[16] = "-";
        if (c->has_cached)
            snprintf(cached, sizeof cached, "%.2f", 100.0 * c->cached.median / c->train.median);
        if (c->infer.reps) snprintf(infer, sizeof infer, "%.1f", ips(&c->infer, c->batch));
        fprintf(out, "%-14s %4d %-5s %6d %9.1f %8.1f %5.0f%% %5.0f%% %5.0f%% %9s %8s %8.0f %8.0f %s\n",
                c->arch, c->size, c->level, c->trainable_layers, ips(&c->train, c->batch), tg,
                best > 0 ? 100 * tg / best : 0, best > 0 ? 100 * fg / best : 0,
                best > 0 ? 100 * bg / best : 0, infer, cached, c->arena_bytes / 1048576.0,
                c->peak_rss_bytes / 1048576.0, c->contended ? "contended" : "");
    }
    if (breakdown) {
        fprintf(out, "\nper step, ms: forward / backward by op class, other = data+loss+optimizer\n");
        fprintf(out, "%-14s %4s %-5s", "arch", "size", "level");
        for (int k = 0; k < SK_OPC_COUNT; k++) fprintf(out, " %13s", sk_opclass_name((sk_opclass)k));
        fprintf(out, " %8s\n", "other");
        for (int i = 0; i < n; i++) {
            const sk_speed_cell *c = &cells[i];
            if (c->error[0]) continue;
            fprintf(out, "%-14s %4d %-5s", c->arch, c->size, c->level);
            for (int k = 0; k < SK_OPC_COUNT; k++)
                fprintf(out, " %6.1f/%6.1f", 1e3 * c->fwd_sec[k], 1e3 * c->bwd_sec[k]);
            fprintf(out, " %8.1f\n", 1e3 * c->step_other_sec);
        }
    }
    if (!peer) return;
    const cJSON *tv = cJSON_GetObjectItemCaseSensitive(peer, "torch_version");
    char high[256];
    high_targets(high, sizeof high);
    fprintf(out,
            "\nversus PyTorch %s (images/s; ratio = skytune / PyTorch; target >= 1.2 in every cell, "
            ">= 2 at full for %s)\n",
            cJSON_IsString(tv) ? tv->valuestring : "?", high);
    fprintf(out, "%-14s %4s %-5s %10s %10s %7s %6s  %10s %10s %7s\n", "arch", "size", "level",
            "skytune", "pytorch", "ratio", "", "sky infer", "pt infer", "ratio");
    for (int i = 0; i < n; i++) {
        const sk_speed_cell *c = &cells[i];
        const cJSON *pc = sk_speed_peer_cell(peer, c->arch, c->size, c->level);
        if (c->error[0]) continue;
        if (!pc) {
            fprintf(out, "%-14s %4d %-5s %10.1f %10s\n", c->arch, c->size, c->level,
                    ips(&c->train, c->batch), "absent");
            continue;
        }
        double pt = peer_num(pc, "train_images_per_s"), pi = peer_num(pc, "infer_images_per_s");
        double st = ips(&c->train, c->batch), si = ips(&c->infer, c->batch);
        const cJSON *pe = cJSON_GetObjectItemCaseSensitive(pc, "error");
        if (!isfinite(pt)) { /* the peer failed this cell (out of memory, say): say so */
            fprintf(out, "%-14s %4d %-5s %10.1f %10s %7s %6s  PyTorch: %s (skytune peak RSS "
                    "%.2f GiB)\n", c->arch, c->size, c->level, st, "-", "-", "",
                    cJSON_IsString(pe) ? pe->valuestring : "no number",
                    (double)c->peak_rss_bytes / (1024.0 * 1024.0 * 1024.0));
            continue;
        }
        double rt = st / pt;
        fprintf(out, "%-14s %4d %-5s %10.1f %10.1f %7.2f %6s", c->arch, c->size, c->level, st, pt,
                rt, rt >= peer_target(c->arch, c->level) ? "ok" : "MISS");
        if (c->infer.reps && isfinite(pi))
            fprintf(out, "  %10.1f %10.1f %7.2f\n", si, pi, si / pi);
        else
            fprintf(out, "  %10s %10s %7s\n", "-", "-", "-");
    }
}

sk_status sk_speed_write_cells(const char *path, const sk_speed_cell *cells, int n, sk_error *err)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "cells");
    for (int i = 0; i < n; i++) {
        cJSON *c = cell_identity(&cells[i]);
        const sk_arch_info *ai = sk_arch_find(cells[i].arch);
        if (ai && ai->peer_model) cJSON_AddStringToObject(c, "peer_model", ai->peer_model);
        else cJSON_AddNullToObject(c, "peer_model");
        cJSON_AddItemToArray(arr, c);
    }
    sk_status s = sk_json_write_file(path, root, err);
    cJSON_Delete(root);
    return s;
}

sk_status sk_speed_run_peer(const char *python, const char *script, const char *cells_path,
                            const char *out_path, int repeats, int warmup, int threads,
                            sk_error *err)
{
    char rep[16], wu[16], th[16];
    snprintf(rep, sizeof rep, "%d", repeats);
    snprintf(wu, sizeof wu, "%d", warmup);
    snprintf(th, sizeof th, "%d", threads);
    char *argv[] = {(char *)python, (char *)script, "--cells", (char *)cells_path, "--out",
                    (char *)out_path, "--repeats", rep, "--warmup", wu, "--threads", th, "--retries", "1",
                    NULL};
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return sk_error_set(err, SK_EIO, "fork: %s", strerror(errno));
    if (pid == 0) {
        execv(python, argv);
        fprintf(stderr, "skytune: cannot run %s: %s\n", python, strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return sk_error_set(err, SK_EIO, "waitpid: %s", strerror(errno));
    if (WIFSIGNALED(st))
        return sk_error_set(err, SK_EIO, "peer %s killed by signal %d", script, WTERMSIG(st));
    if (WEXITSTATUS(st) == 127)
        return sk_error_set(err, SK_EIO, "peer interpreter %s not runnable", python);
    if (WEXITSTATUS(st) != 0)
        return sk_error_set(err, SK_EIO, "peer %s exited with status %d (is python3-torch "
                                         "installed? ci/install-deps.sh peer)",
                            script, WEXITSTATUS(st));
    return SK_OK;
}

const char *sk_speed_default_peer_script(void)
{
    return SK_SOURCE_DIR "/benchmarks/peers/pytorch_speed.py";
}

sk_status sk_speed_load_peer(const char *path, cJSON **out, sk_error *err)
{
    cJSON *root;
    sk_status s = sk_json_read_file(path, &root, err);
    if (s) return s;
    const cJSON *peer = cJSON_GetObjectItemCaseSensitive(root, "peer");
    const cJSON *cells = cJSON_GetObjectItemCaseSensitive(root, "cells");
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
    if (!cJSON_IsString(peer) || !cJSON_IsArray(cells) || !cJSON_IsNumber(schema) ||
        schema->valueint != 1) {
        cJSON_Delete(root);
        return sk_error_set(err, SK_EFORMAT, "%s: not a peer speed file (schema 1 with "
                                             "\"peer\" and \"cells\")", path);
    }
    *out = root;
    return SK_OK;
}

const cJSON *sk_speed_peer_cell(const cJSON *peer, const char *arch, int size, const char *level)
{
    const cJSON *cells = cJSON_GetObjectItemCaseSensitive(peer, "cells"), *c;
    cJSON_ArrayForEach(c, cells)
    {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(c, "arch");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(c, "size");
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(c, "level");
        if (cJSON_IsString(a) && cJSON_IsNumber(s) && cJSON_IsString(l) &&
            !strcmp(a->valuestring, arch) && s->valueint == size && !strcmp(l->valuestring, level))
            return c;
    }
    return NULL;
}
