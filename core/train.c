/* train.c: model.fit / model.evaluate for one epoch over in-memory images (see train.h).
 * All buffers are allocated in sk_trainer_new / sk_trainer_enable_cache; steps allocate
 * nothing. */
#include "train.h"

#include <stdlib.h>
#include <string.h>

#include "fcache.h"
#include "sk_base.h"

struct sk_trainer {
    sk_graph *g;
    sk_optim *opt;
    sk_train_cfg cfg;
    sk_exec *ex;
    int k;                 /* classes */
    size_t in_floats;      /* per sample */
    float *x;              /* (batch, in) */
    float *dlogits;        /* (batch, k) */
    float *w;              /* (batch) */
    int32_t *y;            /* (batch) */
    uint32_t *order;
    int order_n;
    const size_t *ranges;
    int nranges;
    /* prefix cache */
    int cache_on;
    size_t bf;             /* boundary floats per image */
    float *cache_train, *cache_val;
    int cache_ntrain, cache_nval;
    float *bbatch;         /* (batch, bf) */
};

sk_train_cfg sk_train_defaults(void)
{
    sk_train_cfg c;
    memset(&c, 0, sizeof c);
    c.batch_size = 32;
    c.xent = SK_XENT_LOGITS;
    c.shuffle = 1;
    c.in_scale = 1.0f;
    return c;
}

sk_trainer *sk_trainer_new(sk_graph *g, sk_optim *opt, const sk_train_cfg *cfg)
{
    SK_ASSERT(cfg->batch_size > 0 && opt->n == g->nparams);
    sk_trainer *t = sk_xcalloc(1, sizeof *t);
    t->g = g;
    t->opt = opt;
    t->cfg = *cfg;
    t->ex = sk_exec_new(g, cfg->batch_size);
    t->k = (int)sk_exec_output_size(t->ex);
    for (int i = 0; i < g->n; i++)
        if (g->nodes[i].op == SK_OP_INPUT) t->in_floats = sk_node_numel(&g->nodes[i]);
    size_t b = (size_t)cfg->batch_size;
    t->x = sk_xmalloc_aligned(b * t->in_floats * sizeof(float));
    t->dlogits = sk_xmalloc_aligned(b * (size_t)t->k * sizeof(float));
    t->w = sk_xmalloc(b * sizeof(float));
    t->y = sk_xmalloc(b * sizeof(int32_t));
    t->nranges = sk_exec_trainable_ranges(t->ex, &t->ranges);
    return t;
}

void sk_trainer_free(sk_trainer *t)
{
    if (!t) return;
    sk_exec_free(t->ex);
    free(t->x);
    free(t->dlogits);
    free(t->w);
    free(t->y);
    free(t->order);
    free(t->cache_train);
    free(t->cache_val);
    free(t->bbatch);
    free(t);
}

sk_exec *sk_trainer_exec(sk_trainer *t) { return t->ex; }

/* Converts samples idx[0..n) of d into t->x and their labels/weights. */
static void gather(sk_trainer *t, const sk_images *d, const uint32_t *idx, int first, int n,
                   int weighted)
{
    size_t per = (size_t)d->h * d->w * d->c;
    SK_ASSERT(per == t->in_floats);
    for (int s = 0; s < n; s++) {
        uint32_t i = idx ? idx[first + s] : (uint32_t)(first + s);
        const uint8_t *src = d->pixels + (size_t)i * per;
        float *dst = t->x + (size_t)s * per;
        for (size_t j = 0; j < per; j++) dst[j] = src[j] * t->cfg.in_scale + t->cfg.in_offset;
        t->y[s] = d->labels[i];
        SK_ASSERT(t->y[s] >= 0 && t->y[s] < t->k);
        t->w[s] = weighted && t->cfg.class_weights ? t->cfg.class_weights[t->y[s]] : 1.0f;
    }
}

static void gather_cached(sk_trainer *t, const float *cache, const sk_images *d,
                          const uint32_t *idx, int first, int n, int weighted)
{
    for (int s = 0; s < n; s++) {
        uint32_t i = idx ? idx[first + s] : (uint32_t)(first + s);
        memcpy(t->bbatch + (size_t)s * t->bf, cache + (size_t)i * t->bf, t->bf * sizeof(float));
        t->y[s] = d->labels[i];
        SK_ASSERT(t->y[s] >= 0 && t->y[s] < t->k);
        t->w[s] = weighted && t->cfg.class_weights ? t->cfg.class_weights[t->y[s]] : 1.0f;
    }
}

static void fill_cache(sk_trainer *t, const sk_images *d, float *dst)
{
    int b = t->cfg.batch_size;
    for (int first = 0; first < d->n; first += b) {
        int n = d->n - first < b ? d->n - first : b;
        gather(t, d, NULL, first, n, 0);
        sk_exec_forward_prefix(t->ex, t->x, n, dst + (size_t)first * t->bf);
    }
}

static void cache_one(sk_trainer *t, const sk_images *d, float *dst, const char *dir,
                      const char *dataset_id, const char *part, int level)
{
    char key[65], id[512];
    if (dir && dataset_id) {
        sk_snprintf(id, sizeof id, "%s#%s", dataset_id, part);
        sk_fcache_key(t->ex, id, level, key);
        sk_error err;
        int found = 0;
        sk_error_clear(&err);
        if (sk_fcache_load(dir, key, (size_t)d->n, t->bf, dst, &found, &err) != SK_OK) {
            sk_warn("prefix cache: %s; recomputing", err.msg);
            found = 0;
        }
        if (found) return;
        fill_cache(t, d, dst);
        if (sk_fcache_store(dir, key, (size_t)d->n, t->bf, dst, &err) != SK_OK)
            sk_warn("prefix cache: %s; continuing without the file", err.msg);
        return;
    }
    fill_cache(t, d, dst);
}

int sk_trainer_enable_cache(sk_trainer *t, const sk_images *train, const sk_images *val,
                            size_t max_bytes, const char *cache_dir, const char *dataset_id,
                            int level)
{
    t->bf = sk_exec_boundary_floats(t->ex);
    if (!sk_exec_prefix_nodes(t->ex) || t->bf == 0) return 0;
    int heavy = 0; /* a prefix of only Input/Rescaling/padding saves nothing */
    for (int i = 0; i < t->g->n; i++)
        heavy |= sk_exec_in_prefix(t->ex, i) && t->g->nodes[i].ntensors > 0;
    if (!heavy) return 0;
    size_t imgs = (size_t)train->n + (val ? (size_t)val->n : 0);
    if (imgs * t->bf * sizeof(float) > max_bytes) return 0;
    t->cache_train = sk_xmalloc_aligned(((size_t)train->n * t->bf + 1) * sizeof(float));
    cache_one(t, train, t->cache_train, cache_dir, dataset_id, "train", level);
    t->cache_ntrain = train->n;
    if (val) {
        t->cache_val = sk_xmalloc_aligned(((size_t)val->n * t->bf + 1) * sizeof(float));
        cache_one(t, val, t->cache_val, cache_dir, dataset_id, "val", level);
        t->cache_nval = val->n;
    }
    t->bbatch = sk_xmalloc_aligned((size_t)t->cfg.batch_size * t->bf * sizeof(float));
    t->cache_on = 1;
    return 1;
}

void sk_train_epoch(sk_trainer *t, const sk_images *train, int epoch, sk_metrics *m)
{
    SK_ASSERT(m->k == t->k);
    sk_metrics_reset(m);
    if (t->order_n != train->n) {
        free(t->order);
        t->order = sk_xmalloc(((size_t)train->n + 1) * sizeof(uint32_t));
        t->order_n = train->n;
    }
    for (int i = 0; i < train->n; i++) t->order[i] = (uint32_t)i;
    if (t->cfg.shuffle) {
        sk_rng r = sk_rng_stream(t->cfg.seed, SK_RNG_SHUFFLE, (uint64_t)epoch);
        sk_rng_shuffle_u32(&r, t->order, (uint32_t)train->n);
    }
    int use_cache = t->cache_on && t->cache_ntrain == train->n;
    int b = t->cfg.batch_size;
    for (int first = 0; first < train->n; first += b) {
        int n = train->n - first < b ? train->n - first : b;
        uint64_t step = t->opt->iterations;
        if (use_cache) {
            gather_cached(t, t->cache_train, train, t->order, first, n, 1);
            sk_exec_forward_suffix(t->ex, t->bbatch, n, 1, t->cfg.seed, step);
        } else {
            gather(t, train, t->order, first, n, 1);
            sk_exec_forward(t->ex, t->x, n, 1, t->cfg.seed, step);
        }
        const float *probs = sk_exec_output(t->ex);
        const float *logits = sk_exec_logits(t->ex);
        SK_ASSERT_MSG(logits != NULL, "training needs a softmax output");
        double loss = sk_xent_forward_backward(t->dlogits, logits, probs, t->y, t->w, n, t->k,
                                               t->cfg.xent);
        sk_metrics_add(m, probs, t->y, n, loss);
        sk_exec_backward(t->ex, t->dlogits, 1);
        sk_optim_step(t->opt, t->g->params, sk_exec_grads(t->ex), t->ranges, t->nranges);
    }
}

void sk_evaluate(sk_trainer *t, const sk_images *d, int is_val, sk_metrics *m)
{
    SK_ASSERT(m->k == t->k);
    sk_metrics_reset(m);
    int use_cache = t->cache_on && is_val && t->cache_val && t->cache_nval == d->n;
    int b = t->cfg.batch_size;
    for (int first = 0; first < d->n; first += b) {
        int n = d->n - first < b ? d->n - first : b;
        if (use_cache) {
            gather_cached(t, t->cache_val, d, NULL, first, n, 0);
            sk_exec_forward_suffix(t->ex, t->bbatch, n, 0, t->cfg.seed, 0);
        } else {
            gather(t, d, NULL, first, n, 0);
            sk_exec_forward(t->ex, t->x, n, 0, t->cfg.seed, 0);
        }
        const float *probs = sk_exec_output(t->ex);
        const float *logits = sk_exec_logits(t->ex);
        double loss = sk_xent_forward_backward(NULL, logits ? logits : probs, probs, t->y, t->w,
                                               n, t->k, logits ? t->cfg.xent : SK_XENT_CLIPPED);
        sk_metrics_add(m, probs, t->y, n, loss);
    }
}
