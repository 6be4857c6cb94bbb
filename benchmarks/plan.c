/* plan.c: `reproduce --plan` (plan.h): the stages' work, the sweep's cell shapes with their
 * FLOPs from the graphs, hours from recorded costs (plan_costs.h), the FLOP floor at the best
 * GEMM rate measured now, and the Slurm projection. */
#include "plan.h"
#include "sk_arch.h"
#include "sk_base.h"
#include "sk_core.h"
#include "plan_costs.h"
#include "sk_records.h"
#include "reproduce.h"
#include "runner.h"
#include "speed.h"
#include "sweep.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int arch;             /* index into the suite's arch list */
    int size, layers, cached;
    double disk_bytes;    /* > 0: the boundaries exceed the memory cache and are streamed from a file */
    double pf, fwd, bwd;  /* FLOPs per image: prefix forward, whole forward, backward */
    double flops;         /* one cell */
    const sk_shape_cost *cost;
    double seconds;       /* one cell, when cost */
} pshape;

typedef struct {
    const sk_suite *s;
    const sk_plan_opts *o;
    long n_all, n_train, n_val;
    pshape *sh;
    int nsh;
    size_t cache_max;     /* the runner's in-memory prefix cache limit */
    int spill;            /* and it streams larger boundaries from a file (sk_cell_cfg.spill_disk) */
} plan;

static void data_counts(plan *p)
{
    const sk_suite *s = p->s;
    if (!strcmp(s->data, "synth")) p->n_all = (long)s->synth_star + s->synth_galaxy + s->synth_qso;
    else if (!strcmp(s->data, "sdss")) p->n_all = s->sdss_top;
    else p->n_all = 1000; /* data = file: the study's size, said in the output */
    p->n_val = (long)(s->val_fraction * (double)p->n_all);
    p->n_train = p->n_all - p->n_val;
}

/* FLOPs of one cell of the shape, as the runner runs it. */
static double cell_flops(const plan *p, const pshape *x)
{
    double e = p->s->epochs, nt = (double)p->n_train, nv = (double)p->n_val;
    if (x->cached) {
        double sfwd = x->fwd - x->pf;
        return (nt + nv) * x->pf + e * (nt * (sfwd + x->bwd) + nv * sfwd) + nv * sfwd;
    }
    return e * (nt * (x->fwd + x->bwd) + nv * x->fwd) + nv * x->fwd;
}

static double cell_seconds(const plan *p, const pshape *x)
{
    const sk_shape_cost *c = x->cost;
    double e = p->s->epochs, nt = (double)p->n_train, nv = (double)p->n_val;
    return (x->cached ? (nt + nv) * c->prefix_s : 0.0) + e * (nt * c->step_s + nv * c->infer_s) + nv * c->infer_s;
}

/* The graph facts of every level of one architecture at one size. */
static sk_status arch_shapes(plan *p, int a, int size, const int *levels, int nlevels, sk_error *err)
{
    sk_graph *g = sk_arch_build(p->s->arch[a].id, size, 3, 1, err);
    if (!g) return err->code;
    uint8_t *mask = sk_xmalloc((size_t)g->n);
    for (int l = 0; l < nlevels; l++) {
        int layers = levels[l] == SK_LEVEL_ALL ? g->n : levels[l];
        if (layers < 1 || layers > g->n) continue;
        pshape *x = &p->sh[p->nsh++];
        memset(x, 0, sizeof *x);
        x->arch = a, x->size = size, x->layers = layers;
        sk_graph_freeze(g, layers);
        double infer;
        sk_speed_flops(g, &x->fwd, &x->bwd, &infer);
        int np = sk_exec_prefix_mask(g, mask), heavy = 0;
        size_t bf = 0;
        for (int i = 0; i < g->n; i++) {
            if (!mask[i]) continue;
            x->pf += 2.0 * sk_node_macs(g, &g->nodes[i]);
            heavy |= g->nodes[i].ntensors > 0;
            int crosses = 0;
            for (int j = i + 1; j < g->n && !crosses; j++)
                for (int k = 0; !mask[j] && k < g->nodes[j].ninputs; k++) crosses |= g->nodes[j].inputs[k] == i;
            if (crosses) bf += sk_node_numel(&g->nodes[i]);
        }
        double bytes = (double)p->n_all * (double)bf * sizeof(float);
        x->cached = p->o->use_cache && np > 0 && heavy && bf > 0 && (bytes <= (double)p->cache_max || p->spill);
        if (x->cached && bytes > (double)p->cache_max) x->disk_bytes = bytes;
        x->flops = cell_flops(p, x);
    }
    free(mask);
    sk_graph_free(g);
    return SK_OK;
}

static sk_status build_shapes(plan *p, sk_error *err)
{
    int total = 0;
    for (int a = 0; a < p->s->narch; a++) total += p->s->arch[a].nlevels;
    p->sh = sk_xcalloc((size_t)total + 1, sizeof *p->sh);
    for (int a = 0; a < p->s->narch; a++) {
        const sk_suite_arch *ar = &p->s->arch[a];
        if (!sk_arch_find(ar->id)) return sk_error_set(err, SK_EINVAL, "unknown architecture '%s'", ar->id);
        sk_status st = arch_shapes(p, a, ar->input_size ? ar->input_size : p->s->input_size, ar->levels, ar->nlevels, err);
        if (st) return st;
    }
    return SK_OK;
}

/* Costs for every shape: recorded, or measured now with --calibrate. */
static sk_status shape_costs(plan *p, sk_cost_table *t, sk_error *err)
{
    int batch = p->s->batch < SK_PLAN_CALIBRATION_BATCH ? p->s->batch : SK_PLAN_CALIBRATION_BATCH;
    int todo = 0;
    for (int i = 0; i < p->nsh; i++) {
        pshape *x = &p->sh[i];
        x->cost = sk_costs_find(t, p->s->arch[x->arch].id, x->size, x->layers, x->cached);
        todo += !x->cost;
    }
    if (!p->o->calibrate || !todo) return SK_OK;
    sk_info("plan: calibrating %d cell shapes (a warm-up and two timed steps of %d images each)", todo, batch);
    for (int i = 0, k = 0; i < p->nsh; i++) {
        pshape *x = &p->sh[i];
        if (x->cost) continue;
        const char *id = p->s->arch[x->arch].id;
        sk_info("plan: [%d/%d] %s at %d px, %d trainable layers%s", ++k, todo, id, x->size, x->layers,
                x->cached ? ", prefix cached" : "");
        sk_shape_cost c;
        sk_status st = sk_costs_measure(&c, id, x->size, x->layers, x->cached, batch, err);
        if (!st) st = sk_costs_put(t, &c, err);
        if (st) return st;
    }
    for (int i = 0; i < p->nsh; i++)
        p->sh[i].cost = sk_costs_find(t, p->s->arch[p->sh[i].arch].id, p->sh[i].size, p->sh[i].layers, p->sh[i].cached);
    return SK_OK;
}

static const char *mark(const plan *p, const char *stage)
{
    return sk_repro_stage_done(p->o->out_dir, stage) ? "done " : "to do";
}

/* The cells whose frozen-prefix boundaries are streamed from a file, and the room that takes. */
static void print_disk_cells(const plan *p, FILE *f)
{
    double most = 0;
    for (int i = 0; i < p->nsh; i++) {
        const pshape *x = &p->sh[i];
        if (x->disk_bytes <= 0) continue;
        if (most == 0)
            fprintf(f, "           frozen-prefix boundaries over the %.1f GB memory cache, streamed from a file in "
                       "the cell's folder while it runs:", (double)p->cache_max / 1e9);
        fprintf(f, " %s t%d (%.1f GB)", p->s->arch[x->arch].id, x->layers, x->disk_bytes / 1e9);
        if (x->disk_bytes > most) most = x->disk_bytes;
    }
    if (most > 0) fprintf(f, "; free disk needed: %.1f GB per concurrent cell\n", most / 1e9);
}

static void print_stages(const plan *p, FILE *f, const char *cache_root)
{
    const sk_suite *s = p->s;
    const char *out = p->o->out_dir;
    fprintf(f, "Stages (results in %s; markers in %s/stages/):\n", out, out);
    const char *const *names = sk_repro_stage_names(s, p->o->have_data);
    int pack = s->pack_size ? s->pack_size : s->input_size;
    for (int i = 0; names[i]; i++) {
        const char *n = names[i];
        fprintf(f, "  %-8s %s  ", n, mark(p, n));
        if (!strcmp(n, "catalog"))
            fprintf(f, "SkyServer SQL (%s): TOP %ld objects, the study's 19 columns -> %s/data/catalog.csv\n",
                    s->sdss_release, s->sdss_top, out);
        else if (!strcmp(n, "cutouts"))
            fprintf(f, "%ld ImgCutout JPEGs of %d x %d px at %g arcsec/px -> %s/data/raw/\n", s->sdss_top,
                    s->cutout_size, s->cutout_size, s->cutout_scale, out);
        else if (!strcmp(n, "pack"))
            fprintf(f, "%ld images decoded and resized to %d px (Keras-exact), %ld train / %ld val, seed %llu: "
                       "%.1f MB data set\n", p->n_all, pack, p->n_train, p->n_val, (unsigned long long)s->split_seed,
                    (double)p->n_all * pack * pack * 3 / 1e6);
        else if (!strcmp(n, "data"))
            if (p->o->have_data) fprintf(f, "the given data set\n");
            else fprintf(f, "the simulator's data set: %ld objects at %d px\n", p->n_all, s->synth_size);
        else if (!strcmp(n, "weights")) {
            fprintf(f, "weights = %s:", s->weights == SK_WEIGHTS_SCRATCH ? "scratch" :
                    s->weights == SK_WEIGHTS_IMAGENET ? "imagenet" : "imagenet-if-available");
            for (int a = 0; a < s->narch; a++) {
                const sk_arch_info *ai = sk_arch_find(s->arch[a].id);
                char path[2300];
                snprintf(path, sizeof path, "%s/keras/%s", cache_root, ai->notop.file_name ? ai->notop.file_name : "-");
                fprintf(f, " %s%s", ai->id, sk_file_exists(path) ? " (cached)" : "");
            }
            fprintf(f, "\n");
        } else if (!strcmp(n, "sweep")) {
            int cells = 0;
            for (int a = 0; a < s->narch; a++) cells += s->arch[a].nlevels;
            fprintf(f, "%d cell shapes x %d seeds = %d cells, %d epochs each, batch %d\n", cells, s->nseeds,
                    cells * s->nseeds, s->epochs, s->batch);
            print_disk_cells(p, f);
        } else {
            fprintf(f, "tables, figures and index.html in %s/report/\n", out);
        }
    }
    if (!strcmp(s->data, "file")) fprintf(f, "  (data = file: the FLOPs below assume the study's 1000 objects)\n");
}

static int by_seconds_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Longest cell first onto the least-loaded of n nodes: the wall time and the busiest node. */
static double schedule(const plan *p, int nodes)
{
    int ncell = p->nsh * p->s->nseeds;
    double *c = sk_xmalloc(sizeof(double) * (size_t)(ncell + 1));
    for (int i = 0, k = 0; i < p->nsh; i++)
        for (int j = 0; j < p->s->nseeds; j++) c[k++] = p->sh[i].seconds;
    qsort(c, (size_t)ncell, sizeof *c, by_seconds_desc);
    double *load = sk_xcalloc((size_t)nodes, sizeof *load);
    for (int i = 0; i < ncell; i++) {
        int best = 0;
        for (int k = 1; k < nodes; k++)
            if (load[k] < load[best]) best = k;
        load[best] += c[i];
    }
    double wall = 0;
    for (int k = 0; k < nodes; k++)
        if (load[k] > wall) wall = load[k];
    free(load);
    free(c);
    return wall;
}

static double best_gemm_rate(char *what, size_t cap)
{
    sk_gemm_rate r[16];
    int n = sk_speed_gemm_rates(r, 16, 3, 1);
    double best = 0;
    for (int i = 0; i < n; i++)
        if (r[i].gflops > best) {
            best = r[i].gflops;
            snprintf(what, cap, "%.15s %.40s", r[i].backend, r[i].shape);
        }
    return best;
}

/* The table per architecture, the totals, the floor and the Slurm projection. */
static void print_costs(plan *p, FILE *f)
{
    const sk_suite *s = p->s;
    double tot_flops = 0, tot_sec = 0;
    int missing = 0;
    fprintf(f, "\nSweep per architecture, one seed (%ld train + %ld val images, %d epochs; FLOPs counted from "
               "the graphs; hours from recorded costs on this machine):\n", p->n_train, p->n_val, s->epochs);
    fprintf(f, "  %-15s %5s %7s %12s %12s\n", "arch", "cells", "cached", "PFLOP/seed", "hours/seed");
    for (int a = 0; a < s->narch; a++) {
        double fl = 0, sec = 0;
        int cells = 0, cached = 0, have = 1;
        for (int i = 0; i < p->nsh; i++) {
            pshape *x = &p->sh[i];
            if (x->arch != a) continue;
            cells++;
            cached += x->cached;
            fl += x->flops;
            if (x->cost) sec += x->seconds = cell_seconds(p, x);
            else have = 0, missing++;
        }
        tot_flops += fl;
        tot_sec += sec;
        char h[32];
        if (have) snprintf(h, sizeof h, "%.1f", sec / 3600.0);
        else snprintf(h, sizeof h, "not measured");
        fprintf(f, "  %-15s %5d %7d %12.2f %12s\n", s->arch[a].id, cells, cached, fl / 1e15, h);
    }
    char th[48];
    if (!missing) snprintf(th, sizeof th, "%.1f", tot_sec / 3600.0);
    else snprintf(th, sizeof th, "%d shapes not measured", missing);
    fprintf(f, "  %-15s %5d %7s %12.2f %12s\n", "total", p->nsh, "", tot_flops / 1e15, th);
    if (!missing)
        fprintf(f, "  all %d seeds: %.1f h (%.1f days) on this machine\n", s->nseeds, tot_sec * s->nseeds / 3600.0,
                tot_sec * s->nseeds / 86400.0);
    char what[64] = "";
    double gf = best_gemm_rate(what, sizeof what);
    if (gf > 0)
        fprintf(f, "FLOP floor: %.2f PFLOP per seed at the best GEMM rate measured now (%.1f GFLOP/s, %s): %.1f h per seed, "
                   "%.1f h for %d seeds\n", tot_flops / 1e15, gf, what, tot_flops / (gf * 1e9) / 3600.0,
                tot_flops * s->nseeds / (gf * 1e9) / 3600.0, s->nseeds);
    if (missing)
        fprintf(f, "Hours: %d of %d cell shapes have no recorded cost on this machine; `--plan --calibrate` measures "
                   "them (a few steps of %d images each) and records them for the next --plan.\n", missing, p->nsh,
                SK_PLAN_CALIBRATION_BATCH);
    else if (p->o->nodes > 0) {
        double wall = schedule(p, p->o->nodes);
        fprintf(f, "On %d Slurm nodes like this machine (cells longest first onto the least-loaded node): %.1f h wall "
                   "for all %d seeds (%.1f days); the sum over nodes stays %.1f h\n", p->o->nodes, wall / 3600.0,
                s->nseeds, wall / 86400.0, tot_sec * s->nseeds / 3600.0);
    }
}

static void print_header(const plan *p, FILE *f, const sk_cost_table *t)
{
    sk_buildinfo bi;
    sk_buildinfo_get(&bi);
    double l1 = -1;
    FILE *la = fopen("/proc/loadavg", "r");
    if (la) {
        if (fscanf(la, "%lf", &l1) != 1) l1 = -1;
        fclose(la);
    }
    fprintf(f, "Plan of suite %s (%s): %s\n", p->s->name, p->o->suite_path ? p->o->suite_path : "", p->s->description);
    fprintf(f, "Machine: %s, %d OpenMP threads, GEMM %s, git %s; load average now %.2f\n", bi.cpu_model,
            bi.omp_max_threads, bi.blas, bi.git_revision, l1);
    double lmin = 1e30, lmax = -1;
    char git[48] = "";
    for (int i = 0; i < t->n; i++) {
        if (t->v[i].load1 < lmin) lmin = t->v[i].load1;
        if (t->v[i].load1 > lmax) lmax = t->v[i].load1;
        snprintf(git, sizeof git, "%s", t->v[i].git);
    }
    if (t->n)
        fprintf(f, "Recorded costs: %s, %d shapes (measured at load %.2f..%.2f%s%s)\n", t->path, t->n, lmin, lmax,
                strcmp(git, bi.git_revision) ? "; last measured with git " : "", strcmp(git, bi.git_revision) ? git : "");
}

sk_status sk_plan_print(const sk_suite *s, const sk_plan_opts *o, FILE *f, sk_error *err)
{
    plan p;
    memset(&p, 0, sizeof p);
    p.s = s;
    p.o = o;
    sk_cell_cfg dflt;
    sk_cell_cfg_defaults(&dflt);
    p.cache_max = dflt.cache_max_bytes;
    p.spill = dflt.spill_disk;
    data_counts(&p);
    char *root = sk_weights_cache_dir(o->cache_dir);
    if (!root) return sk_error_set(err, SK_EINVAL, "no cache folder: give --cache DIR or set SKYTUNE_CACHE or HOME");
    sk_cost_table t;
    sk_status st = sk_costs_load(&t, root, err);
    if (!st) st = build_shapes(&p, err);
    if (!st) st = shape_costs(&p, &t, err);
    if (!st) {
        print_header(&p, f, &t);
        print_stages(&p, f, root);
        print_costs(&p, f);
    }
    sk_costs_free(&t);
    free(p.sh);
    free(root);
    return st;
}
