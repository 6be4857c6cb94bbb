/* speed.c: the cells of the speed benchmark (speed.h): FLOP counting from the graph, timed
 * training / inference / cached steps through the same trainer the runner uses, the executor's
 * per-node profile folded into op classes, memory, and sk_sgemm rates per backend.
 * Invariants: timing never decides pass/fail here; every number is a median of repeats.
 * Not here: printing, JSON, the PyTorch peer (speed_out.c), the run of a grid (speed_bench.c). */
#include "speed.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sk_arch.h"
#include "sk_core.h"
#include "sk_base.h"

static const char *const opc_names[SK_OPC_COUNT] = {
    "conv", "depthwise", "separable", "dense", "batchnorm", "activation", "eltwise", "pool",
    "other"};

const char *sk_opclass_name(sk_opclass c)
{
    return c >= 0 && c < SK_OPC_COUNT ? opc_names[c] : "?";
}

/* Every op named (no default): a new op must choose its class here. */
static sk_opclass op_class(sk_op op)
{
    switch (op) {
    case SK_OP_CONV2D: return SK_OPC_CONV;
    case SK_OP_DEPTHWISE_CONV2D: return SK_OPC_DEPTHWISE;
    case SK_OP_SEPARABLE_CONV2D: return SK_OPC_SEPARABLE;
    case SK_OP_DENSE: return SK_OPC_DENSE;
    case SK_OP_BATCHNORM: return SK_OPC_BN;
    case SK_OP_RELU:
    case SK_OP_ACTIVATION: return SK_OPC_ACT;
    case SK_OP_ADD:
    case SK_OP_MULTIPLY:
    case SK_OP_CONCATENATE: return SK_OPC_ELTWISE;
    case SK_OP_MAXPOOL2D:
    case SK_OP_AVGPOOL2D:
    case SK_OP_GAP2D: return SK_OPC_POOL;
    case SK_OP_INPUT:
    case SK_OP_RESHAPE:
    case SK_OP_ZEROPADDING2D:
    case SK_OP_CROPPING2D:
    case SK_OP_RESCALING:
    case SK_OP_NORMALIZATION:
    case SK_OP_DROPOUT:
    case SK_OP_COUNT: return SK_OPC_OTHER;
    }
    return SK_OPC_OTHER;
}

double sk_timing_spread(const sk_timing *t)
{
    return t->median > 0 ? (t->max - t->min) / t->median : 0.0;
}

int sk_speed_level_layers(const char *arch, const char *level, int total_layers)
{
    const sk_arch_info *ai = sk_arch_find(arch);
    if (!ai) return 0;
    if (!strcmp(level, "head")) return 1;
    if (!strcmp(level, "best")) return ai->best_level;
    if (!strcmp(level, "full")) return total_layers;
    char *end;
    long v = strtol(level, &end, 10);
    if (*level && !*end && v >= 1 && v <= total_layers) return (int)v;
    return 0;
}

static int has_weights(const sk_node *nd)
{
    for (int t = 0; t < nd->ntensors; t++)
        if (!nd->tensors[t].is_state) return 1;
    return 0;
}

void sk_speed_flops(const sk_graph *g, double *fwd, double *bwd, double *infer)
{
    *fwd = *bwd = *infer = 0.0;
    for (int i = 0; i < g->n; i++) {
        const sk_node *nd = &g->nodes[i];
        double f = 2.0 * sk_node_macs(g, nd); /* per-op formulas: the op rows */
        *fwd += f;
        *infer += f;
        if (!nd->needs_grad) continue;
        int input_grad = 0;
        for (int k = 0; k < nd->ninputs; k++) input_grad |= g->nodes[nd->inputs[k]].needs_grad;
        if (input_grad) *bwd += f;
        if (nd->trainable && has_weights(nd)) *bwd += f;
    }
}

static void timing_from(sk_timing *t, double *v, int n)
{
    t->median = sk_median(v, n); /* sorts v */
    t->reps = n;
    t->min = v[0];
    t->max = v[n - 1];
}

static sk_graph *build(sk_speed_cell *c, sk_error *err)
{
    const sk_arch_info *ai = sk_arch_find(c->arch);
    if (!ai) {
        sk_error_set(err, SK_EINVAL, "unknown architecture '%s' (see skytune arch list)", c->arch);
        return NULL;
    }
    sk_graph *g = sk_arch_build(c->arch, c->size, 3, 1, err);
    if (!g) return NULL;
    c->total_layers = g->n;
    int layers = sk_speed_level_layers(c->arch, c->level, g->n);
    if (!layers) {
        sk_error_set(err, SK_EINVAL, "bad level '%s' for %s (head, best, full or 1..%d)", c->level,
                     c->arch, g->n);
        sk_graph_free(g);
        return NULL;
    }
    sk_graph_freeze(g, layers);
    c->trainable_layers = sk_graph_trainable_layers(g);
    c->trainable_params = sk_graph_trainable_params(g);
    c->total_params = sk_graph_total_params(g);
    sk_speed_flops(g, &c->fwd_flops, &c->bwd_flops, &c->infer_flops);
    return g;
}

void sk_speed_fixture_open(sk_speed_fixture *f, sk_graph *g, int size, int batch, uint64_t seed, float in_scale)
{
    size_t px = (size_t)batch * size * size * 3;
    f->pixels = sk_xmalloc(px);
    f->labels = sk_xmalloc((size_t)batch * sizeof *f->labels);
    sk_rng r = sk_rng_stream(seed, SK_RNG_TEST, 0);
    for (size_t i = 0; i < px; i++) f->pixels[i] = (uint8_t)(sk_rng_u32(&r) >> 24);
    for (int i = 0; i < batch; i++) f->labels[i] = i % 3;
    f->d = (sk_images){f->pixels, f->labels, batch, size, size, 3};
    sk_opt_config oc = sk_opt_defaults(SK_OPT_ADAM);
    f->opt = sk_optim_new(&oc, g->nparams);
    sk_train_cfg tc = sk_train_defaults();
    tc.batch_size = batch;
    tc.seed = seed;
    tc.in_scale = in_scale;
    f->t = sk_trainer_new(g, f->opt, &tc);
}

void sk_speed_fixture_close(sk_speed_fixture *f)
{
    sk_trainer_free(f->t);
    sk_optim_free(f->opt);
    free(f->pixels);
    free(f->labels);
    memset(f, 0, sizeof *f);
}

sk_status sk_speed_plan_cell(sk_speed_cell *c, sk_error *err)
{
    sk_graph *g = build(c, err);
    if (!g) return err->code;
    c->arena_bytes = sk_exec_plan_bytes(g, c->batch);
    sk_opt_config oc = sk_opt_defaults(SK_OPT_ADAM);
    c->slab_bytes = (2 + (size_t)sk_optim_slab_count(&oc)) * g->nparams * sizeof(float) +
                    g->nstate * sizeof(float);
    sk_graph_free(g);
    return SK_OK;
}

/* `warmup` untimed then `reps` timed epochs over a one-batch data set (one training step each);
 * returns the summed time of the timed ones. */
static double time_steps(sk_trainer *t, const sk_images *d, int warmup, int reps, sk_timing *out,
                         sk_metrics *m)
{
    double v[64], total = 0.0;
    for (int i = 0; i < warmup; i++) sk_train_epoch(t, d, i, m);
    for (int i = 0; i < reps; i++) {
        double t0 = sk_now();
        sk_train_epoch(t, d, warmup + i, m);
        v[i] = sk_now() - t0;
        total += v[i];
    }
    timing_from(out, v, reps);
    return total;
}

sk_status sk_speed_run_cell(sk_speed_cell *c, const sk_speed_opts *o, sk_error *err)
{
    SK_ASSERT(o->repeats >= 1 && o->repeats <= 64 && o->warmup >= 0);
    sk_peak_rss_reset();
    sk_graph *g = build(c, err);
    if (!g) return err->code;
    sk_init_graph(g, NULL, o->seed);

    sk_speed_fixture fx;
    sk_speed_fixture_open(&fx, g, c->size, c->batch, o->seed, sk_train_defaults().in_scale);
    sk_trainer *t = fx.t;
    sk_optim *opt = fx.opt;
    sk_images d = fx.d;
    size_t px = (size_t)c->batch * c->size * c->size * 3;
    const uint8_t *pixels = fx.pixels;
    sk_exec *ex = sk_trainer_exec(t);
    c->arena_bytes = sk_exec_arena_bytes(ex);
    c->slab_bytes = (2 + (size_t)opt->nslabs) * g->nparams * sizeof(float) +
                    g->nstate * sizeof(float);
    sk_metrics m;
    sk_metrics_init(&m, 3);

    /* training step, profiled */
    double *pf = sk_xcalloc((size_t)g->n, sizeof(double));
    double *pb = sk_xcalloc((size_t)g->n, sizeof(double));
    for (int i = 0; i < o->warmup; i++) sk_train_epoch(t, &d, i, &m);
    sk_exec_set_profile(ex, pf, pb);
    double total = time_steps(t, &d, 0, o->repeats, &c->train, &m);
    sk_exec_set_profile(ex, NULL, NULL);
    double accounted = 0.0;
    for (int i = 0; i < g->n; i++) {
        sk_opclass k = op_class(g->nodes[i].op);
        c->fwd_sec[k] += pf[i] / o->repeats;
        c->bwd_sec[k] += pb[i] / o->repeats;
        accounted += (pf[i] + pb[i]) / o->repeats;
    }
    c->step_other_sec = total / o->repeats - accounted;
    if (!isfinite(sk_metrics_loss(&m))) snprintf(c->error, sizeof c->error, "non-finite loss");

    /* inference: its own executor with every layer frozen, the whole batch at once */
    if (o->infer) {
        sk_graph_freeze(g, 0);
        sk_exec *ie = sk_exec_new(g, c->batch);
        sk_exec_set_prefix_batched(ie, 1);
        float *x = sk_xmalloc_aligned(px * sizeof(float));
        for (size_t i = 0; i < px; i++) x[i] = pixels[i];
        double v[64];
        for (int i = 0; i < o->warmup; i++) sk_exec_forward(ie, x, c->batch, 0, o->seed, 0);
        for (int i = 0; i < o->repeats; i++) {
            double t0 = sk_now();
            sk_exec_forward(ie, x, c->batch, 0, o->seed, 0);
            v[i] = sk_now() - t0;
        }
        timing_from(&c->infer, v, o->repeats);
        free(x);
        sk_exec_free(ie);
        sk_graph_freeze(g, c->trainable_layers);
    }

    /* cached step: the prefix computed once, steps on the stored boundary */
    if (o->cached && sk_exec_prefix_nodes(ex) > 0) {
        double t0 = sk_now();
        sk_cache_opts co = {.max_bytes = (size_t)1 << 34, .level = c->trainable_layers};
        int on = sk_trainer_enable_cache(t, &d, NULL, &co) != SK_CACHE_OFF;
        c->cache_fill_sec = sk_now() - t0;
        if (on) {
            c->has_cached = 1;
            time_steps(t, &d, o->warmup, o->repeats, &c->cached, &m);
        }
    }

    c->peak_rss_bytes = sk_peak_rss_bytes();
    c->contended = sk_timing_spread(&c->train) > 0.25 ||
                   (o->infer && sk_timing_spread(&c->infer) > 0.25) ||
                   (c->has_cached && sk_timing_spread(&c->cached) > 0.25);
    free(pf);
    free(pb);
    sk_metrics_free(&m);
    sk_speed_fixture_close(&fx);
    sk_graph_free(g);
    return SK_OK;
}

/* ---- GEMM rates ---- */

typedef struct {
    const char *name;
    int ta, tb, m, n, k;
} gemm_shape;

/* 2048^3, and the GEMMs of ResNet-50's conv 3x3 (56x56x64, batch 32 at 224 px) forward and
 * backward, a 1x1 conv, a deep late conv, and the one-image GEMM of a 7x7 map. */
static const gemm_shape shapes[] = {
    {"2048^3", 0, 0, 2048, 2048, 2048},
    {"conv3x3 fwd", 0, 0, 32 * 56 * 56, 64, 576},
    {"conv3x3 bwd-data", 0, 1, 32 * 56 * 56, 576, 64},
    {"conv3x3 bwd-weights", 1, 0, 576, 64, 32 * 56 * 56},
    {"conv1x1 fwd", 0, 0, 32 * 56 * 56, 256, 64},
    {"conv3x3 7x7x512 fwd", 0, 0, 32 * 7 * 7, 512, 4608},
    {"conv3x3 7x7x512 1 image", 0, 0, 7 * 7, 512, 4608},
};

int sk_speed_gemm_rates(sk_gemm_rate *out, int max, int repeats, int quick)
{
    const char *names[8];
    int nb = sk_gemm_backends(names, 8);
    const char *cur = sk_blas_name();
    char saved[16];
    snprintf(saved, sizeof saved, "%s", cur);
    int nshape = quick ? 2 : (int)SK_ARRAY_LEN(shapes);
    size_t amax = 0, bmax = 0, cmax = 0;
    for (int s = 0; s < nshape; s++) {
        const gemm_shape *sh = &shapes[s];
        if ((size_t)sh->m * sh->k > amax) amax = (size_t)sh->m * sh->k;
        if ((size_t)sh->k * sh->n > bmax) bmax = (size_t)sh->k * sh->n;
        if ((size_t)sh->m * sh->n > cmax) cmax = (size_t)sh->m * sh->n;
    }
    float *a = sk_xmalloc_aligned(amax * sizeof(float));
    float *b = sk_xmalloc_aligned(bmax * sizeof(float));
    float *c = sk_xmalloc_aligned(cmax * sizeof(float));
    sk_rng r = sk_rng_stream(7, SK_RNG_TEST, 1);
    for (size_t i = 0; i < amax; i++) a[i] = sk_rng_uniformf(&r) - 0.5f;
    for (size_t i = 0; i < bmax; i++) b[i] = sk_rng_uniformf(&r) - 0.5f;
    memset(c, 0, cmax * sizeof(float));
    int cnt = 0;
    if (repeats > 64) repeats = 64;
    for (int bi = 0; bi < nb; bi++) {
        if (sk_gemm_select(names[bi]) != 0) continue;
        for (int s = 0; s < nshape && cnt < max; s++) {
            const gemm_shape *sh = &shapes[s];
            int lda = sh->ta ? sh->m : sh->k, ldb = sh->tb ? sh->k : sh->n;
            double v[64];
            for (int i = -1; i < repeats; i++) {
                double t0 = sk_now();
                sk_sgemm(sh->ta, sh->tb, sh->m, sh->n, sh->k, 1.0f, a, lda, b, ldb, 0.0f, c,
                         sh->n);
                if (i >= 0) v[i] = sk_now() - t0;
            }
            sk_gemm_rate *gr = &out[cnt++];
            memset(gr, 0, sizeof *gr);
            snprintf(gr->backend, sizeof gr->backend, "%s", names[bi]);
            snprintf(gr->shape, sizeof gr->shape, "%s", sh->name);
            gr->ta = sh->ta, gr->tb = sh->tb, gr->m = sh->m, gr->n = sh->n, gr->k = sh->k;
            timing_from(&gr->t, v, repeats);
            gr->gflops = 2.0 * sh->m * (double)sh->n * sh->k / gr->t.median * 1e-9;
        }
    }
    SK_ASSERT(sk_gemm_select(saved) == 0);
    free(a);
    free(b);
    free(c);
    return cnt;
}
