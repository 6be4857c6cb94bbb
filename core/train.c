/* train.c: model.fit / model.evaluate for one epoch over in-memory images (see train.h).
 * All buffers are allocated in sk_trainer_new / sk_trainer_enable_cache; steps allocate
 * nothing. */
#include "train.h"

#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fcache.h"
#include "sk_base.h"

/* The boundary tensors of one data split: in memory, or in an .skfc file read per batch. */
typedef struct {
    int on, n;             /* n images */
    float *mem;            /* (n, bf), or NULL when on disk */
    sk_fcache_reader rd;   /* rd.fd >= 0 when on disk */
    char *spill;           /* a spill file, removed when the trainer goes */
} cache_part;

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
    size_t bf;             /* boundary floats per image */
    cache_part ctrain, cval;
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
    t->ctrain.rd.fd = t->cval.rd.fd = -1;
    return t;
}

static void part_free(cache_part *p)
{
    free(p->mem);
    p->mem = NULL;
    sk_fcache_close(&p->rd);
    if (p->spill) unlink(p->spill);
    free(p->spill);
    p->spill = NULL;
    p->on = 0;
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
    part_free(&t->ctrain);
    part_free(&t->cval);
    free(t->bbatch);
    free(t);
}

sk_exec *sk_trainer_exec(sk_trainer *t) { return t->ex; }

/* Converts samples idx[first..first+n) of d into t->x (unless labels_only) and their
 * labels/weights. */
static void gather(sk_trainer *t, const sk_images *d, const uint32_t *idx, int first, int n,
                   int weighted, int labels_only)
{
    size_t per = (size_t)d->h * d->w * d->c;
    SK_ASSERT(per == t->in_floats);
    for (int s = 0; s < n; s++) {
        uint32_t i = idx ? idx[first + s] : (uint32_t)(first + s);
        const uint8_t *src = d->pixels + (size_t)i * per;
        float *dst = t->x + (size_t)s * per;
        if (!labels_only)
            for (size_t j = 0; j < per; j++) dst[j] = src[j] * t->cfg.in_scale + t->cfg.in_offset;
        t->y[s] = d->labels[i];
        SK_ASSERT(t->y[s] >= 0 && t->y[s] < t->k);
        t->w[s] = weighted && t->cfg.class_weights ? t->cfg.class_weights[t->y[s]] : 1.0f;
    }
}

/* The boundaries of samples idx[first..first+n) of d into t->bbatch, with labels and weights:
 * from memory, or read from the part's file (a run of consecutive images in one read). If the
 * file fails, the batch's boundaries are computed instead (the same bits) and the part falls
 * back to running the whole network. */
static void gather_cached(sk_trainer *t, cache_part *p, const sk_images *d, const uint32_t *idx,
                         int first, int n, int weighted)
{
    sk_error err;
    sk_error_clear(&err);
    sk_status st = SK_OK;
    for (int s = 0; s < n && !st;) {
        uint32_t i = idx ? idx[first + s] : (uint32_t)(first + s);
        if (p->mem) {
            memcpy(t->bbatch + (size_t)s * t->bf, p->mem + (size_t)i * t->bf, t->bf * sizeof(float));
            s++;
            continue;
        }
        int run = 1;
        while (s + run < n && (idx ? idx[first + s + run] : (uint32_t)(first + s + run)) == i + (uint32_t)run)
            run++;
        st = sk_fcache_read(&p->rd, i, (size_t)run, t->bbatch + (size_t)s * t->bf, NULL, &err);
        s += run;
    }
    gather(t, d, idx, first, n, weighted, st == SK_OK);
    if (st) {
        sk_warn("prefix cache: %s; computing the frozen prefix every step from now on", err.msg);
        part_free(p);
        sk_exec_forward_prefix(t->ex, t->x, n, t->bbatch);
    }
}

static void fill_cache(sk_trainer *t, const sk_images *d, float *dst)
{
    int b = t->cfg.batch_size;
    for (int first = 0; first < d->n; first += b) {
        int n = d->n - first < b ? d->n - first : b;
        gather(t, d, NULL, first, n, 0, 0);
        sk_exec_forward_prefix(t->ex, t->x, n, dst + (size_t)first * t->bf);
    }
}

static void key_of(sk_trainer *t, const char *dataset_id, const char *part, int level, char key[65])
{
    char id[512];
    sk_snprintf(id, sizeof id, "%s#%s", dataset_id ? dataset_id : "-", part);
    sk_fcache_key(t->ex, id, level, key);
}

static void cache_in_memory(sk_trainer *t, const sk_images *d, cache_part *p, const sk_cache_opts *o,
                            const char *part)
{
    p->mem = sk_xmalloc_aligned(((size_t)d->n * t->bf + 1) * sizeof(float));
    p->n = d->n;
    p->on = 1;
    if (!o->dir || !o->dataset_id) {
        fill_cache(t, d, p->mem);
        return;
    }
    char key[65];
    key_of(t, o->dataset_id, part, o->level, key);
    sk_error err;
    int found = 0;
    sk_error_clear(&err);
    if (sk_fcache_load(o->dir, key, (size_t)d->n, t->bf, p->mem, &found, &err) != SK_OK) {
        sk_warn("prefix cache: %s; recomputing", err.msg);
        found = 0;
    }
    if (found) return;
    fill_cache(t, d, p->mem);
    if (sk_fcache_store(o->dir, key, (size_t)d->n, t->bf, p->mem, &err) != SK_OK)
        sk_warn("prefix cache: %s; continuing without the file", err.msg);
}

/* Computes d's boundaries batch by batch into the file path (atomically). */
static sk_status fill_file(sk_trainer *t, const sk_images *d, const char *path, const char *key,
                           sk_error *err)
{
    sk_fcache_writer w;
    sk_status st = sk_fcache_writer_open(&w, path, key, (size_t)d->n, t->bf, err);
    if (st) return st;
    int b = t->cfg.batch_size;
    for (int first = 0; first < d->n && !st; first += b) {
        int n = d->n - first < b ? d->n - first : b;
        gather(t, d, NULL, first, n, 0, 0);
        sk_exec_forward_prefix(t->ex, t->x, n, t->bbatch);
        st = sk_fcache_writer_put(&w, t->bbatch, (size_t)n, err);
    }
    if (st) {
        sk_fcache_writer_abort(&w);
        return st;
    }
    return sk_fcache_writer_commit(&w, err);
}

/* Bytes free for an unprivileged writer in dir, or UINT64_MAX when unknown. */
static uint64_t free_bytes(const char *dir)
{
    struct statvfs v;
    if (statvfs(dir, &v) != 0) return UINT64_MAX;
    return (uint64_t)v.f_bavail * (uint64_t)v.f_frsize;
}

/* The part's boundaries in an .skfc file under folder: an intact entry is used as it is, else
 * it is (re)computed. Returns 0 (with a message) when it cannot be had. */
static int cache_on_disk(sk_trainer *t, const sk_images *d, cache_part *p, const sk_cache_opts *o,
                         const char *folder, int spill, const char *part)
{
    char key[65];
    key_of(t, o->dataset_id, part, o->level, key);
    char *path = sk_fcache_path(folder, key);
    sk_error err;
    sk_error_clear(&err);
    int found = 0;
    if (sk_fcache_open(&p->rd, path, key, (size_t)d->n, t->bf, 1, &found, &err) != SK_OK) {
        sk_warn("prefix cache: %s; recomputing", err.msg);
        found = 0;
    }
    if (!found) {
        uint64_t need = (uint64_t)d->n * t->bf * 4, have = free_bytes(folder);
        const uint64_t margin = (uint64_t)1 << 30;
        if (have < need + margin) {
            sk_warn("prefix cache: %s has %.1f GB free, the %s boundaries need %.1f GB (+1 GB "
                    "spare); running the whole network every step", folder, (double)have / 1e9,
                    part, (double)need / 1e9);
            free(path);
            return 0;
        }
        double t0 = sk_now();
        if (fill_file(t, d, path, key, &err) != SK_OK ||
            sk_fcache_open(&p->rd, path, key, (size_t)d->n, t->bf, 0, &found, &err) != SK_OK ||
            !found) {
            sk_warn("prefix cache: %s; running the whole network every step",
                    found ? err.msg : "the file just written is missing");
            free(path);
            return 0;
        }
        sk_info("prefix cache: %s boundaries of %d images (%.1f GB) written to %s in %.0f s", part,
                d->n, (double)need / 1e9, path, sk_now() - t0);
    }
    p->spill = spill ? path : NULL;
    if (!spill) free(path);
    p->n = d->n;
    p->on = 1;
    return 1;
}

int sk_trainer_enable_cache(sk_trainer *t, const sk_images *train, const sk_images *val,
                            const sk_cache_opts *o)
{
    t->bf = sk_exec_boundary_floats(t->ex);
    if (!sk_exec_prefix_nodes(t->ex) || t->bf == 0) return SK_CACHE_OFF;
    int heavy = 0; /* a prefix of only Input/Rescaling/padding saves nothing */
    for (int i = 0; i < t->g->n; i++)
        heavy |= sk_exec_in_prefix(t->ex, i) && t->g->nodes[i].ntensors > 0;
    if (!heavy) return SK_CACHE_OFF;
    if (!t->bbatch) t->bbatch = sk_xmalloc_aligned((size_t)t->cfg.batch_size * t->bf * sizeof(float));
    uint64_t bytes = ((uint64_t)train->n + (val ? (uint64_t)val->n : 0)) * t->bf * sizeof(float);
    if (bytes <= o->max_bytes) {
        cache_in_memory(t, train, &t->ctrain, o, "train");
        if (val) cache_in_memory(t, val, &t->cval, o, "val");
        return SK_CACHE_MEMORY;
    }
    const char *folder = o->dir && o->dataset_id && (!o->dir_max || bytes <= o->dir_max) ? o->dir
                                                                                         : o->spill_dir;
    if (!folder) return SK_CACHE_OFF;
    int spill = folder != o->dir;
    sk_error err;
    if (sk_mkdir_p(folder, &err) != SK_OK) {
        sk_warn("prefix cache: %s; running the whole network every step", err.msg);
        return SK_CACHE_OFF;
    }
    sk_info("prefix cache: the frozen prefix's boundaries (%.1f GB) exceed the %.1f GB memory "
            "limit; streaming them from %s%s", (double)bytes / 1e9, (double)o->max_bytes / 1e9, folder,
            spill ? " (removed when the cell ends)" : "");
    if (!cache_on_disk(t, train, &t->ctrain, o, folder, spill, "train")) return SK_CACHE_OFF;
    if (val && !cache_on_disk(t, val, &t->cval, o, folder, spill, "val")) {
        part_free(&t->ctrain);
        return SK_CACHE_OFF;
    }
    return SK_CACHE_DISK;
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
    cache_part *cp = t->ctrain.on && t->ctrain.n == train->n ? &t->ctrain : NULL;
    int b = t->cfg.batch_size;
    for (int first = 0; first < train->n; first += b) {
        int n = train->n - first < b ? train->n - first : b;
        uint64_t step = t->opt->iterations;
        if (cp && cp->on) {
            gather_cached(t, cp, train, t->order, first, n, 1);
            sk_exec_forward_suffix(t->ex, t->bbatch, n, 1, t->cfg.seed, step);
        } else {
            gather(t, train, t->order, first, n, 1, 0);
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
    cache_part *cp = is_val && t->cval.on && t->cval.n == d->n ? &t->cval : NULL;
    int b = t->cfg.batch_size;
    for (int first = 0; first < d->n; first += b) {
        int n = d->n - first < b ? d->n - first : b;
        if (cp && cp->on) {
            gather_cached(t, cp, d, NULL, first, n, 0);
            sk_exec_forward_suffix(t->ex, t->bbatch, n, 0, t->cfg.seed, 0);
        } else {
            gather(t, d, NULL, first, n, 0, 0);
            sk_exec_forward(t->ex, t->x, n, 0, t->cfg.seed, 0);
        }
        const float *probs = sk_exec_output(t->ex);
        const float *logits = sk_exec_logits(t->ex);
        double loss = sk_xent_forward_backward(NULL, logits ? logits : probs, probs, t->y, t->w,
                                               n, t->k, logits ? t->cfg.xent : SK_XENT_CLIPPED);
        sk_metrics_add(m, probs, t->y, n, loss);
    }
}
