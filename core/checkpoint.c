/* checkpoint.c: .skck writer and verifying reader (layout in docs/FORMATS.md).
 *
 * The file is built section by section in an sk_buf (little-endian, field by field), each
 * section followed by its CRC-32, and committed atomically. The reader verifies the header, the
 * total size and every CRC before it interprets a section, then bounds-checks every field. */
#include "checkpoint.h"

#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "sk_base.h"

static const uint8_t MAGIC[8] = {'S', 'K', 'C', 'K', '\r', '\n', 0x1a, '\n'};
#define HEADER_SIZE 32u
#define DTYPE_F32 1u

void sk_ckpt_init(sk_ckpt *ck)
{
    memset(ck, 0, sizeof *ck);
    ck->freeze = -1;
}

void sk_ckpt_free(sk_ckpt *ck)
{
    free(ck->tensors);
    free(ck->owned);
    memset(ck, 0, sizeof *ck);
}

void sk_ckpt_add_tensor(sk_ckpt *ck, const char *name, int ndim, const int64_t *shape,
                        const float *data)
{
    SK_ASSERT(ndim >= 0 && ndim <= SK_CKPT_MAX_DIMS);
    SK_ASSERT_MSG(sk_ckpt_find(ck, name) == NULL, name);
    if (ck->ntensors == ck->cap) {
        ck->cap = ck->cap ? 2 * ck->cap : 64;
        ck->tensors = sk_xrealloc(ck->tensors, (size_t)ck->cap * sizeof *ck->tensors);
    }
    sk_ckpt_tensor *t = &ck->tensors[ck->ntensors++];
    memset(t, 0, sizeof *t);
    sk_snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim;
    t->n = 1;
    for (int i = 0; i < ndim; i++) {
        SK_ASSERT(shape[i] >= 0);
        t->shape[i] = shape[i];
        t->n *= (size_t)shape[i];
    }
    t->data = data;
}

void sk_ckpt_add_graph(sk_ckpt *ck, const sk_graph *g)
{
    for (int i = 0; i < g->n; i++) {
        const sk_node *nd = &g->nodes[i];
        if (nd->op == SK_OP_INPUT && ck->in_h == 0) {
            ck->in_h = nd->h;
            ck->in_w = nd->w;
            ck->in_c = nd->c;
        }
        for (int k = 0; k < nd->ntensors; k++) {
            const sk_tensor_info *t = &nd->tensors[k];
            char name[SK_CKPT_NAME_MAX];
            sk_snprintf(name, sizeof name, "%s/%s", nd->name, t->name);
            int64_t shape[SK_CKPT_MAX_DIMS];
            for (int d = 0; d < t->ndim; d++) shape[d] = t->shape[d];
            sk_ckpt_add_tensor(ck, name, t->ndim, shape,
                               (t->is_state ? g->state : g->params) + t->offset);
        }
    }
    sk_snprintf(ck->model, sizeof ck->model, "%s", g->name);
    ck->classes = (int)sk_node_numel(&g->nodes[g->output]);
}

void sk_ckpt_set_optim(sk_ckpt *ck, const sk_optim *o)
{
    ck->has_optim = 1;
    ck->opt_cfg = o->cfg;
    ck->opt_iterations = o->iterations;
    ck->opt_n = o->n;
    ck->opt_nslabs = o->nslabs;
    ck->opt_slab[0] = o->slab[0];
    ck->opt_slab[1] = o->slab[1];
}

void sk_ckpt_set_kv(sk_ckpt *ck, const char *key, const char *value)
{
    for (int i = 0; i < ck->nkv; i++)
        if (strcmp(ck->kv[i].key, key) == 0) {
            sk_snprintf(ck->kv[i].value, sizeof ck->kv[i].value, "%s", value);
            return;
        }
    SK_ASSERT(ck->nkv < SK_CKPT_MAX_KV);
    sk_snprintf(ck->kv[ck->nkv].key, sizeof ck->kv[ck->nkv].key, "%s", key);
    sk_snprintf(ck->kv[ck->nkv].value, sizeof ck->kv[ck->nkv].value, "%s", value);
    ck->nkv++;
}

const char *sk_ckpt_get_kv(const sk_ckpt *ck, const char *key)
{
    for (int i = 0; i < ck->nkv; i++)
        if (strcmp(ck->kv[i].key, key) == 0) return ck->kv[i].value;
    return NULL;
}

void sk_ckpt_set_class_names(sk_ckpt *ck, const char (*names)[64], int n)
{
    for (int i = 0; i < n; i++) {
        char key[32];
        sk_snprintf(key, sizeof key, "class.%d", i);
        SK_ASSERT(names[i][0]);
        sk_ckpt_set_kv(ck, key, names[i]);
    }
}

int sk_ckpt_get_class_names(const sk_ckpt *ck, char (*names)[64], int max)
{
    int n = 0;
    for (; n < max; n++) {
        char key[32];
        sk_snprintf(key, sizeof key, "class.%d", n);
        const char *v = sk_ckpt_get_kv(ck, key);
        if (!v || !*v || strlen(v) >= 64) break;
        sk_snprintf(names[n], 64, "%s", v);
    }
    return n;
}

const sk_ckpt_tensor *sk_ckpt_find(const sk_ckpt *ck, const char *name)
{
    for (int i = 0; i < ck->ntensors; i++)
        if (strcmp(ck->tensors[i].name, name) == 0) return &ck->tensors[i];
    return NULL;
}

/* ---- writing ---- */

/* Starts a section: tag and a length placeholder; returns the payload start. */
static size_t section_begin(sk_buf *b, const char tag[4])
{
    sk_buf_put_bytes(b, tag, 4);
    sk_buf_put_u64(b, 0);
    return b->len;
}

static void section_end(sk_buf *b, size_t start)
{
    sk_le_store64(b->data + start - 8, (uint64_t)(b->len - start));
    sk_buf_put_u32(b, sk_crc32(0, b->data + start, b->len - start));
}

static void put_meta(sk_buf *b, const sk_ckpt *ck)
{
    size_t s = section_begin(b, "META");
    sk_buf_put_str(b, ck->arch);
    sk_buf_put_str(b, ck->model);
    sk_buf_put_i32(b, ck->in_h);
    sk_buf_put_i32(b, ck->in_w);
    sk_buf_put_i32(b, ck->in_c);
    sk_buf_put_i32(b, ck->classes);
    sk_buf_put_i32(b, ck->freeze);
    sk_buf_put_u64(b, ck->seed);
    sk_buf_put_u64(b, ck->step);
    sk_buf_put_i32(b, ck->epoch);
    sk_buf_put_f32(b, ck->lr);
    sk_buf_put_u32(b, 1); /* RNG algorithm: Philox4x32-10, counter based */
    sk_buf_put_u64(b, ck->seed);
    sk_buf_put_u64(b, ck->rng_counter);
    sk_buf_put_u32(b, (uint32_t)ck->nkv);
    for (int i = 0; i < ck->nkv; i++) {
        sk_buf_put_str(b, ck->kv[i].key);
        sk_buf_put_str(b, ck->kv[i].value);
    }
    section_end(b, s);
}

static void put_tensors(sk_buf *b, const sk_ckpt *ck)
{
    size_t s = section_begin(b, "TNSR");
    sk_buf_put_u32(b, (uint32_t)ck->ntensors);
    uint64_t off = 0;
    for (int i = 0; i < ck->ntensors; i++) {
        const sk_ckpt_tensor *t = &ck->tensors[i];
        sk_buf_put_str(b, t->name);
        sk_buf_put_u32(b, DTYPE_F32);
        sk_buf_put_u32(b, (uint32_t)t->ndim);
        for (int d = 0; d < t->ndim; d++) sk_buf_put_u64(b, (uint64_t)t->shape[d]);
        sk_buf_put_u64(b, off);
        sk_buf_put_u64(b, (uint64_t)t->n * 4);
        off += (uint64_t)t->n * 4;
    }
    section_end(b, s);
    s = section_begin(b, "DATA");
    for (int i = 0; i < ck->ntensors; i++) sk_buf_put_f32s(b, ck->tensors[i].data, ck->tensors[i].n);
    section_end(b, s);
}

/* An optimizer slab as runs (version 2): u64 run count, then per run u64 zeros (floats whose
 * bits are all 0, i.e. +0.0) and u64 len followed by len float32. A frozen variable's moments
 * stay +0.0, so a checkpoint of a cell that trains a few layers keeps little more than its
 * weights (VGG16 with one trainable layer: 172 MB in version 1, 59 MB now). Bits are kept:
 * -0.0 and every other value are literals. */
#define ZERO_RUN_MIN 16u

static size_t zero_run(const float *v, size_t i, size_t n)
{
    size_t j = i;
    while (j < n) {
        uint32_t u;
        memcpy(&u, &v[j], 4);
        if (u) break;
        j++;
    }
    return j - i;
}

static void put_slab_runs(sk_buf *b, const float *v, size_t n)
{
    size_t count_at = b->len, nruns = 0;
    sk_buf_put_u64(b, 0); /* run count, patched below */
    size_t i = 0;
    while (i < n) {
        size_t z = zero_run(v, i, n), lit = i + z;
        /* the literal part ends where a zero run long enough to be worth a run header starts */
        while (lit < n) {
            size_t zl = zero_run(v, lit, n);
            if (zl >= ZERO_RUN_MIN || lit + zl == n) break;
            lit += zl ? zl : 1;
        }
        sk_buf_put_u64(b, (uint64_t)z);
        sk_buf_put_u64(b, (uint64_t)(lit - i - z));
        sk_buf_put_f32s(b, v + i + z, lit - i - z);
        nruns++;
        i = lit;
    }
    sk_le_store64(b->data + count_at, (uint64_t)nruns);
}

static void put_optim(sk_buf *b, const sk_ckpt *ck)
{
    size_t s = section_begin(b, "OPTM");
    const sk_opt_config *c = &ck->opt_cfg;
    sk_buf_put_u32(b, (uint32_t)c->kind);
    sk_buf_put_f32(b, c->lr);
    sk_buf_put_f32(b, c->beta1);
    sk_buf_put_f32(b, c->beta2);
    sk_buf_put_f32(b, c->rho);
    sk_buf_put_f32(b, c->momentum);
    sk_buf_put_f32(b, c->epsilon);
    sk_buf_put_u32(b, (uint32_t)c->nesterov);
    sk_buf_put_u64(b, ck->opt_iterations);
    sk_buf_put_u64(b, ck->opt_n);
    sk_buf_put_u32(b, (uint32_t)ck->opt_nslabs);
    for (int k = 0; k < ck->opt_nslabs; k++) put_slab_runs(b, ck->opt_slab[k], ck->opt_n);
    section_end(b, s);
}

static void put_callbacks(sk_buf *b, const sk_ckpt *ck)
{
    size_t s = section_begin(b, "CALL");
    sk_buf_put_u32(b, (uint32_t)(ck->has_reduce_lr | ck->has_early_stop << 1));
    if (ck->has_reduce_lr) {
        const sk_reduce_lr *r = &ck->reduce_lr;
        sk_buf_put_u32(b, (uint32_t)r->mode);
        sk_buf_put_f64(b, r->factor);
        sk_buf_put_f64(b, r->min_delta);
        sk_buf_put_f64(b, r->min_lr);
        sk_buf_put_i32(b, r->patience);
        sk_buf_put_i32(b, r->cooldown);
        sk_buf_put_f64(b, r->best);
        sk_buf_put_i32(b, r->wait);
        sk_buf_put_i32(b, r->cooldown_counter);
    }
    if (ck->has_early_stop) {
        const sk_early_stop *e = &ck->early_stop;
        sk_buf_put_u32(b, (uint32_t)e->mode);
        sk_buf_put_f64(b, e->min_delta);
        sk_buf_put_i32(b, e->patience);
        sk_buf_put_u32(b, (uint32_t)e->has_baseline);
        sk_buf_put_f64(b, e->baseline);
        sk_buf_put_u32(b, (uint32_t)e->restore_best_weights);
        sk_buf_put_f64(b, e->best);
        sk_buf_put_i32(b, e->wait);
        sk_buf_put_i32(b, e->best_epoch);
        sk_buf_put_i32(b, e->stopped_epoch);
        sk_buf_put_u32(b, (uint32_t)e->have_best_weights);
    }
    section_end(b, s);
}

static void put_best(sk_buf *b, const sk_ckpt *ck)
{
    size_t s = section_begin(b, "BEST");
    sk_buf_put_u64(b, ck->best_nparams);
    sk_buf_put_u64(b, ck->best_nstate);
    sk_buf_put_f32s(b, ck->best_params, ck->best_nparams);
    sk_buf_put_f32s(b, ck->best_state, ck->best_nstate);
    section_end(b, s);
}

sk_status sk_ckpt_write(const sk_ckpt *ck, const char *path, sk_error *err)
{
    sk_buf b;
    sk_buf_init(&b);
    sk_buf_put_bytes(&b, MAGIC, 8);
    sk_buf_put_u32(&b, SK_CKPT_VERSION);
    sk_buf_put_u32(&b, HEADER_SIZE);
    sk_buf_put_u64(&b, 0); /* file size, patched below */
    uint32_t nsec = 3u + (ck->has_optim ? 1u : 0u) + 1u + (ck->has_best ? 1u : 0u);
    sk_buf_put_u32(&b, nsec);
    sk_buf_put_u32(&b, 0); /* header CRC, patched below */
    put_meta(&b, ck);
    put_tensors(&b, ck);
    if (ck->has_optim) put_optim(&b, ck);
    put_callbacks(&b, ck);
    if (ck->has_best) put_best(&b, ck);
    sk_le_store64(b.data + 16, (uint64_t)b.len);
    sk_le_store32(b.data + 28, sk_crc32(0, b.data, 28));
    sk_status st = sk_write_file_atomic(path, b.data, b.len, err);
    sk_buf_free(&b);
    if (st) return sk_error_prefix(err, "writing checkpoint: ");
    return SK_OK;
}

/* ---- reading ---- */

typedef struct {
    char tag[5];
    const uint8_t *p;
    size_t len;
} section;

#define TRY(x)                      \
    do {                            \
        sk_status _s = (x);         \
        if (_s) return _s;          \
    } while (0)

static sk_status read_meta(sk_reader *r, sk_ckpt *ck, sk_error *err)
{
    TRY(sk_rd_str(r, ck->arch, sizeof ck->arch, "META.arch", err));
    TRY(sk_rd_str(r, ck->model, sizeof ck->model, "META.model", err));
    int32_t v[5];
    const char *names[5] = {"META.input_h", "META.input_w", "META.input_c", "META.classes",
                            "META.freeze"};
    for (int i = 0; i < 5; i++) TRY(sk_rd_i32(r, &v[i], names[i], err));
    ck->in_h = v[0], ck->in_w = v[1], ck->in_c = v[2], ck->classes = v[3], ck->freeze = v[4];
    TRY(sk_rd_u64(r, &ck->seed, "META.seed", err));
    TRY(sk_rd_u64(r, &ck->step, "META.step", err));
    TRY(sk_rd_i32(r, &ck->epoch, "META.epoch", err));
    TRY(sk_rd_f32(r, &ck->lr, "META.lr", err));
    uint32_t algo, nkv;
    uint64_t rseed;
    TRY(sk_rd_u32(r, &algo, "META.rng_algorithm", err));
    if (algo != 1)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'META.rng_algorithm': expected 1 "
                            "(philox4x32-10), found %u", r->what, algo);
    TRY(sk_rd_u64(r, &rseed, "META.rng_seed", err));
    if (rseed != ck->seed)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'META.rng_seed': expected %llu (the run "
                            "seed), found %llu", r->what, (unsigned long long)ck->seed,
                            (unsigned long long)rseed);
    TRY(sk_rd_u64(r, &ck->rng_counter, "META.rng_counter", err));
    TRY(sk_rd_u32(r, &nkv, "META.kv_count", err));
    if (nkv > SK_CKPT_MAX_KV)
        return sk_error_set(err, SK_ELIMIT, "%s: field 'META.kv_count': expected at most %d, "
                            "found %u", r->what, SK_CKPT_MAX_KV, nkv);
    for (uint32_t i = 0; i < nkv; i++) {
        TRY(sk_rd_str(r, ck->kv[i].key, sizeof ck->kv[i].key, "META.kv.key", err));
        TRY(sk_rd_str(r, ck->kv[i].value, sizeof ck->kv[i].value, "META.kv.value", err));
    }
    ck->nkv = (int)nkv;
    return SK_OK;
}

/* Parses the tensor table and copies the data into owned floats (extra floats reserved at the
 * end of ck->owned for the OPTM and BEST slabs). */
static sk_status read_tensors(sk_reader *r, const section *data, size_t extra, sk_ckpt *ck,
                              sk_error *err)
{
    uint32_t count;
    TRY(sk_rd_u32(r, &count, "TNSR.count", err));
    if (count > (1u << 22))
        return sk_error_set(err, SK_ELIMIT, "%s: field 'TNSR.count': expected at most %u, "
                            "found %u", r->what, 1u << 22, count);
    uint64_t total = 0;
    ck->tensors = sk_xcalloc(count ? count : 1, sizeof *ck->tensors);
    ck->cap = (int)count;
    uint64_t *offs = sk_xcalloc(count ? count : 1, sizeof(uint64_t));
    sk_status st = SK_OK;
    for (uint32_t i = 0; i < count && !st; i++) {
        sk_ckpt_tensor *t = &ck->tensors[i];
        uint32_t dtype, ndim;
        uint64_t nbytes, n = 1;
        if ((st = sk_rd_str(r, t->name, sizeof t->name, "TNSR.name", err))) break;
        if ((st = sk_rd_u32(r, &dtype, "TNSR.dtype", err))) break;
        if (dtype != DTYPE_F32) {
            st = sk_error_set(err, SK_EFORMAT, "%s: tensor '%s' field 'dtype': expected 1 "
                              "(float32), found %u", r->what, t->name, dtype);
            break;
        }
        if ((st = sk_rd_u32(r, &ndim, "TNSR.ndim", err))) break;
        if (ndim > SK_CKPT_MAX_DIMS) {
            st = sk_error_set(err, SK_EFORMAT, "%s: tensor '%s' field 'ndim': expected at most "
                              "%d, found %u", r->what, t->name, SK_CKPT_MAX_DIMS, ndim);
            break;
        }
        t->ndim = (int)ndim;
        for (uint32_t d = 0; d < ndim && !st; d++) {
            uint64_t dim;
            if ((st = sk_rd_u64(r, &dim, "TNSR.shape", err))) break;
            if (dim > (1ull << 40) || (dim && n > (1ull << 40) / dim)) {
                st = sk_error_set(err, SK_ELIMIT, "%s: tensor '%s': shape too large", r->what,
                                  t->name);
                break;
            }
            t->shape[d] = (int64_t)dim;
            n *= dim;
        }
        if (st) break;
        if ((st = sk_rd_u64(r, &offs[i], "TNSR.offset", err))) break;
        if ((st = sk_rd_u64(r, &nbytes, "TNSR.nbytes", err))) break;
        if (nbytes != n * 4 || offs[i] != total || total + nbytes > data->len) {
            st = sk_error_set(err, SK_EFORMAT, "%s: tensor '%s': expected %llu bytes at DATA "
                              "offset %llu (of %zu), found %llu bytes at %llu", r->what,
                              t->name, (unsigned long long)(n * 4), (unsigned long long)total,
                              data->len, (unsigned long long)nbytes,
                              (unsigned long long)offs[i]);
            break;
        }
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(ck->tensors[j].name, t->name) == 0) {
                st = sk_error_set(err, SK_EFORMAT, "%s: tensor name '%s' appears twice",
                                  r->what, t->name);
                break;
            }
        t->n = (size_t)n;
        total += nbytes;
    }
    ck->ntensors = st ? 0 : (int)count;
    if (!st && total != data->len)
        st = sk_error_set(err, SK_EFORMAT, "%s: section DATA: expected %llu bytes (sum of the "
                          "tensor table), found %zu", r->what, (unsigned long long)total,
                          data->len);
    if (!st && sk_reader_left(r) != 0)
        st = sk_error_set(err, SK_EFORMAT, "%s: section TNSR: %zu unexpected trailing bytes",
                          r->what, sk_reader_left(r));
    if (!st) {
        size_t nf = (size_t)(total / 4) + extra;
        ck->owned = sk_xmalloc_aligned((nf ? nf : 1) * sizeof(float));
        sk_reader dr;
        sk_reader_init(&dr, data->p, data->len, r->what);
        float *dst = ck->owned;
        for (int i = 0; i < ck->ntensors && !st; i++) {
            st = sk_rd_f32s(&dr, dst, ck->tensors[i].n, "DATA", err);
            ck->tensors[i].data = dst;
            dst += ck->tensors[i].n;
        }
    }
    free(offs);
    return st;
}

static sk_status read_slab_runs(sk_reader *r, float *dst, size_t n, sk_error *err)
{
    uint64_t nruns, done = 0;
    TRY(sk_rd_u64(r, &nruns, "OPTM.runs", err));
    if (nruns > n)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'OPTM.runs': expected at most %zu, "
                            "found %llu", r->what, n, (unsigned long long)nruns);
    for (uint64_t i = 0; i < nruns; i++) {
        uint64_t z, len;
        TRY(sk_rd_u64(r, &z, "OPTM.run.zeros", err));
        TRY(sk_rd_u64(r, &len, "OPTM.run.len", err));
        if (z > n - done || len > n - done - z)
            return sk_error_set(err, SK_EFORMAT, "%s: OPTM run %llu: %llu zeros and %llu values "
                                "overrun the slab of %zu (at %llu)", r->what,
                                (unsigned long long)i, (unsigned long long)z,
                                (unsigned long long)len, n, (unsigned long long)done);
        memset(dst + done, 0, (size_t)z * sizeof(float));
        TRY(sk_rd_f32s(r, dst + done + z, (size_t)len, "OPTM.run.values", err));
        done += z + len;
    }
    if (done != n)
        return sk_error_set(err, SK_EFORMAT, "%s: OPTM runs: expected %zu floats, found %llu",
                            r->what, n, (unsigned long long)done);
    return SK_OK;
}

static sk_status read_optim(sk_reader *r, uint32_t version, size_t cap_n, float *dst,
                            sk_ckpt *ck, sk_error *err)
{
    uint32_t kind, nesterov, nslabs;
    sk_opt_config *c = &ck->opt_cfg;
    TRY(sk_rd_u32(r, &kind, "OPTM.kind", err));
    if (kind >= SK_OPT_COUNT)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'OPTM.kind': expected 0..%d, found %u",
                            r->what, SK_OPT_COUNT - 1, kind);
    c->kind = (sk_opt_kind)kind;
    TRY(sk_rd_f32(r, &c->lr, "OPTM.lr", err));
    TRY(sk_rd_f32(r, &c->beta1, "OPTM.beta1", err));
    TRY(sk_rd_f32(r, &c->beta2, "OPTM.beta2", err));
    TRY(sk_rd_f32(r, &c->rho, "OPTM.rho", err));
    TRY(sk_rd_f32(r, &c->momentum, "OPTM.momentum", err));
    TRY(sk_rd_f32(r, &c->epsilon, "OPTM.epsilon", err));
    TRY(sk_rd_u32(r, &nesterov, "OPTM.nesterov", err));
    c->nesterov = nesterov != 0;
    TRY(sk_rd_u64(r, &ck->opt_iterations, "OPTM.iterations", err));
    uint64_t n;
    TRY(sk_rd_u64(r, &n, "OPTM.n", err));
    TRY(sk_rd_u32(r, &nslabs, "OPTM.nslabs", err));
    if ((int)nslabs != sk_optim_slab_count(c))
        return sk_error_set(err, SK_EFORMAT, "%s: field 'OPTM.nslabs': expected %d for %s, "
                            "found %u", r->what, sk_optim_slab_count(c), sk_opt_name(c->kind),
                            nslabs);
    if (n > cap_n)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'OPTM.n': expected at most %zu (the "
                            "tensors' floats), found %llu", r->what, cap_n,
                            (unsigned long long)n);
    if (version == 1 && sk_reader_left(r) != (size_t)n * 4 * nslabs)
        return sk_error_set(err, SK_EFORMAT, "%s: section OPTM: expected %llu slab bytes, "
                            "found %zu", r->what, (unsigned long long)(n * 4 * nslabs),
                            sk_reader_left(r));
    ck->opt_n = (size_t)n;
    ck->opt_nslabs = (int)nslabs;
    for (uint32_t k = 0; k < nslabs; k++) {
        if (version == 1) TRY(sk_rd_f32s(r, dst, (size_t)n, "OPTM.slab", err));
        else TRY(read_slab_runs(r, dst, (size_t)n, err));
        ck->opt_slab[k] = dst;
        dst += n;
    }
    if (sk_reader_left(r))
        return sk_error_set(err, SK_EFORMAT, "%s: section OPTM: %zu unexpected trailing bytes",
                            r->what, sk_reader_left(r));
    ck->has_optim = 1;
    return SK_OK;
}

static sk_status read_callbacks(sk_reader *r, sk_ckpt *ck, sk_error *err)
{
    uint32_t flags, u;
    TRY(sk_rd_u32(r, &flags, "CALL.flags", err));
    if (flags > 3)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'CALL.flags': expected 0..3, found %u",
                            r->what, flags);
    if (flags & 1) {
        sk_reduce_lr *x = &ck->reduce_lr;
        TRY(sk_rd_u32(r, &u, "CALL.reduce_lr.mode", err));
        x->mode = u ? SK_MODE_MAX : SK_MODE_MIN;
        TRY(sk_rd_f64(r, &x->factor, "CALL.reduce_lr.factor", err));
        TRY(sk_rd_f64(r, &x->min_delta, "CALL.reduce_lr.min_delta", err));
        TRY(sk_rd_f64(r, &x->min_lr, "CALL.reduce_lr.min_lr", err));
        TRY(sk_rd_i32(r, &x->patience, "CALL.reduce_lr.patience", err));
        TRY(sk_rd_i32(r, &x->cooldown, "CALL.reduce_lr.cooldown", err));
        TRY(sk_rd_f64(r, &x->best, "CALL.reduce_lr.best", err));
        TRY(sk_rd_i32(r, &x->wait, "CALL.reduce_lr.wait", err));
        TRY(sk_rd_i32(r, &x->cooldown_counter, "CALL.reduce_lr.cooldown_counter", err));
        ck->has_reduce_lr = 1;
    }
    if (flags & 2) {
        sk_early_stop *e = &ck->early_stop;
        TRY(sk_rd_u32(r, &u, "CALL.early_stop.mode", err));
        e->mode = u ? SK_MODE_MAX : SK_MODE_MIN;
        TRY(sk_rd_f64(r, &e->min_delta, "CALL.early_stop.min_delta", err));
        TRY(sk_rd_i32(r, &e->patience, "CALL.early_stop.patience", err));
        TRY(sk_rd_u32(r, &u, "CALL.early_stop.has_baseline", err));
        e->has_baseline = u != 0;
        TRY(sk_rd_f64(r, &e->baseline, "CALL.early_stop.baseline", err));
        TRY(sk_rd_u32(r, &u, "CALL.early_stop.restore_best_weights", err));
        e->restore_best_weights = u != 0;
        TRY(sk_rd_f64(r, &e->best, "CALL.early_stop.best", err));
        TRY(sk_rd_i32(r, &e->wait, "CALL.early_stop.wait", err));
        TRY(sk_rd_i32(r, &e->best_epoch, "CALL.early_stop.best_epoch", err));
        TRY(sk_rd_i32(r, &e->stopped_epoch, "CALL.early_stop.stopped_epoch", err));
        TRY(sk_rd_u32(r, &u, "CALL.early_stop.have_best_weights", err));
        e->have_best_weights = u != 0;
        ck->has_early_stop = 1;
    }
    if (sk_reader_left(r))
        return sk_error_set(err, SK_EFORMAT, "%s: section CALL: %zu unexpected trailing bytes",
                            r->what, sk_reader_left(r));
    return SK_OK;
}

static sk_status read_best(sk_reader *r, float *dst, sk_ckpt *ck, sk_error *err)
{
    uint64_t np, ns;
    TRY(sk_rd_u64(r, &np, "BEST.nparams", err));
    TRY(sk_rd_u64(r, &ns, "BEST.nstate", err));
    if (sk_reader_left(r) != (np + ns) * 4)
        return sk_error_set(err, SK_EFORMAT, "%s: section BEST: expected %llu bytes, found %zu",
                            r->what, (unsigned long long)((np + ns) * 4), sk_reader_left(r));
    TRY(sk_rd_f32s(r, dst, (size_t)np, "BEST.params", err));
    TRY(sk_rd_f32s(r, dst + np, (size_t)ns, "BEST.state", err));
    ck->best_nparams = (size_t)np;
    ck->best_nstate = (size_t)ns;
    ck->best_params = dst;
    ck->best_state = dst + np;
    ck->has_best = 1;
    return SK_OK;
}

static sk_status parse(const uint8_t *data, size_t n, const char *what, sk_ckpt *ck,
                       sk_error *err)
{
    if (n < HEADER_SIZE)
        return sk_error_set(err, SK_EFORMAT, "%s: file too short: expected at least %u bytes "
                            "(header), found %zu", what, HEADER_SIZE, n);
    if (memcmp(data, MAGIC, 8) != 0)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'magic': expected \"SKCK\\r\\n\\x1a\\n\" "
                            "(a .skck checkpoint), found %02x %02x %02x %02x %02x %02x %02x %02x",
                            what, data[0], data[1], data[2], data[3], data[4], data[5], data[6],
                            data[7]);
    uint32_t version = sk_le_load32(data + 8), hsize = sk_le_load32(data + 12);
    if (version < 1 || version > SK_CKPT_VERSION)
        return sk_error_set(err, SK_EVERSION, "%s: field 'version': expected 1..%d, found %u",
                            what, SK_CKPT_VERSION, version);
    if (hsize != HEADER_SIZE)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'header_size': expected %u, found %u",
                            what, HEADER_SIZE, hsize);
    uint32_t hcrc = sk_le_load32(data + 28), ccrc = sk_crc32(0, data, 28);
    if (hcrc != ccrc)
        return sk_error_set(err, SK_ECHECKSUM, "%s: header CRC-32: expected %08x (stored), "
                            "computed %08x", what, hcrc, ccrc);
    uint64_t fsize = sk_le_load64(data + 16);
    if (fsize != n)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'file_size': expected %llu bytes (from "
                            "the header), found %zu (truncated or extended?)", what,
                            (unsigned long long)fsize, n);
    uint32_t nsec = sk_le_load32(data + 24);
    if (nsec < 4 || nsec > 6)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'section_count': expected 4..6, found %u",
                            what, nsec);
    section sec[6];
    size_t pos = HEADER_SIZE;
    for (uint32_t i = 0; i < nsec; i++) {
        if (n - pos < 16)
            return sk_error_set(err, SK_EFORMAT, "%s: section %u header at offset %zu: expected "
                                "12 bytes + CRC, found %zu bytes left", what, i, pos, n - pos);
        memcpy(sec[i].tag, data + pos, 4);
        sec[i].tag[4] = 0;
        uint64_t len = sk_le_load64(data + pos + 4);
        pos += 12;
        if (len > n - pos - 4)
            return sk_error_set(err, SK_EFORMAT, "%s: section '%s' length: expected at most %zu, "
                                "found %llu", what, sec[i].tag, n - pos - 4,
                                (unsigned long long)len);
        sec[i].p = data + pos;
        sec[i].len = (size_t)len;
        uint32_t stored = sk_le_load32(data + pos + len), calc = sk_crc32(0, sec[i].p, sec[i].len);
        if (stored != calc)
            return sk_error_set(err, SK_ECHECKSUM, "%s: section '%s' CRC-32: expected %08x "
                                "(stored), computed %08x (file damaged)", what, sec[i].tag,
                                stored, calc);
        pos += (size_t)len + 4;
    }
    if (pos != n)
        return sk_error_set(err, SK_EFORMAT, "%s: expected the file to end after the last "
                            "section at offset %zu, found %zu bytes", what, pos, n);
    const char *order[3] = {"META", "TNSR", "DATA"};
    for (int i = 0; i < 3; i++)
        if (strcmp(sec[i].tag, order[i]) != 0)
            return sk_error_set(err, SK_EFORMAT, "%s: section %d: expected '%s', found '%s'",
                                what, i, order[i], sec[i].tag);
    const section *optm = NULL, *call = NULL, *best = NULL;
    for (uint32_t i = 3; i < nsec; i++) {
        const section **slot = strcmp(sec[i].tag, "OPTM") == 0   ? &optm
                               : strcmp(sec[i].tag, "CALL") == 0 ? &call
                               : strcmp(sec[i].tag, "BEST") == 0 ? &best
                                                                 : NULL;
        if (!slot || *slot)
            return sk_error_set(err, SK_EFORMAT, "%s: section %u: expected OPTM, CALL or BEST "
                                "(once each), found '%s'", what, i, sec[i].tag);
        *slot = &sec[i];
    }
    if (!call)
        return sk_error_set(err, SK_EFORMAT, "%s: section CALL: expected, not found", what);
    sk_reader r;
    sk_reader_init(&r, sec[0].p, sec[0].len, what);
    TRY(read_meta(&r, ck, err));
    if (sk_reader_left(&r))
        return sk_error_set(err, SK_EFORMAT, "%s: section META: %zu unexpected trailing bytes",
                            what, sk_reader_left(&r));
    /* OPTM's slabs: n floats each (u64 at payload offset 40, the slab count u32 at 48), at most
     * the tensors' own floats and 2 slabs, whatever the section claims (checked in read_optim) */
    size_t cap_n = sec[2].len / 4, opt_floats = 0;
    if (optm && optm->len >= 52) {
        uint64_t on = sk_le_load64(optm->p + 40);
        uint32_t ns = sk_le_load32(optm->p + 48);
        opt_floats = (size_t)(on < cap_n ? on : cap_n) * (ns < 2 ? ns : 2);
    }
    size_t extra = opt_floats + (best ? best->len / 4 : 0);
    sk_reader_init(&r, sec[1].p, sec[1].len, what);
    TRY(read_tensors(&r, &sec[2], extra, ck, err));
    float *dst = ck->owned;
    for (int i = 0; i < ck->ntensors; i++) dst += ck->tensors[i].n;
    if (optm) {
        sk_reader_init(&r, optm->p, optm->len, what);
        TRY(read_optim(&r, version, cap_n, dst, ck, err));
        dst += ck->opt_n * (size_t)ck->opt_nslabs;
    }
    sk_reader_init(&r, call->p, call->len, what);
    TRY(read_callbacks(&r, ck, err));
    if (best) {
        sk_reader_init(&r, best->p, best->len, what);
        TRY(read_best(&r, dst, ck, err));
    }
    return SK_OK;
}

sk_status sk_ckpt_parse(const uint8_t *data, size_t n, const char *what, sk_ckpt *ck,
                        sk_error *err)
{
    sk_ckpt_init(ck);
    sk_status st = parse(data, n, what, ck, err);
    if (st) sk_ckpt_free(ck);
    return st;
}

sk_status sk_ckpt_read(const char *path, sk_ckpt *ck, sk_error *err)
{
    uint8_t *data = NULL;
    size_t n = 0;
    sk_ckpt_init(ck);
    sk_status st = sk_read_file(path, &data, &n, (size_t)64 << 30, err);
    if (st) return st;
    st = sk_ckpt_parse(data, n, path, ck, err);
    free(data);
    return st;
}

/* ---- loading into a graph ---- */

sk_status sk_ckpt_load_graph(const sk_ckpt *ck, sk_graph *g, int flags, int *missing,
                             int *unused, sk_error *err)
{
    int nmiss = 0, nused = 0;
    char first_missing[SK_CKPT_NAME_MAX] = "";
    for (int i = 0; i < g->n; i++) {
        const sk_node *nd = &g->nodes[i];
        for (int k = 0; k < nd->ntensors; k++) {
            const sk_tensor_info *ti = &nd->tensors[k];
            char name[SK_CKPT_NAME_MAX];
            sk_snprintf(name, sizeof name, "%s/%s", nd->name, ti->name);
            const sk_ckpt_tensor *t = sk_ckpt_find(ck, name);
            if (!t) {
                if (!nmiss++) sk_snprintf(first_missing, sizeof first_missing, "%s", name);
                continue;
            }
            nused++;
            int same = t->ndim == ti->ndim;
            for (int d = 0; d < ti->ndim && same; d++) same = t->shape[d] == ti->shape[d];
            if (!same) {
                char es[96] = "", fs[96] = "";
                size_t el = 0, fl = 0;
                for (int d = 0; d < ti->ndim; d++)
                    el += (size_t)snprintf(es + el, sizeof es - el, "%s%d", d ? "," : "",
                                           ti->shape[d]);
                for (int d = 0; d < t->ndim && fl < sizeof fs - 24; d++)
                    fl += (size_t)snprintf(fs + fl, sizeof fs - fl, "%s%lld", d ? "," : "",
                                           (long long)t->shape[d]);
                return sk_error_set(err, SK_EFORMAT, "tensor '%s': expected shape (%s), found "
                                    "(%s)", name, es, fs);
            }
            float *dst = (ti->is_state ? g->state : g->params) + ti->offset;
            memcpy(dst, t->data, ti->size * sizeof(float));
        }
    }
    int nunused = ck->ntensors - nused;
    if (missing) *missing = nmiss;
    if (unused) *unused = nunused;
    if (nmiss && !(flags & SK_CKPT_ALLOW_MISSING))
        return sk_error_set(err, SK_ENOTFOUND, "graph '%s': %d variable(s) not in the checkpoint, "
                            "expected all present; first missing: '%s'", g->name, nmiss,
                            first_missing);
    if (nunused && !(flags & SK_CKPT_ALLOW_UNUSED)) {
        const char *first = "";
        for (int i = 0; i < ck->ntensors && !*first; i++) {
            const char *slash = strrchr(ck->tensors[i].name, '/');
            char layer[SK_CKPT_NAME_MAX];
            sk_snprintf(layer, sizeof layer, "%s", ck->tensors[i].name);
            if (slash) layer[slash - ck->tensors[i].name] = 0;
            int id = sk_graph_find(g, layer), found = 0;
            if (id >= 0) {
                const sk_node *nd = sk_graph_node(g, id);
                for (int k = 0; k < nd->ntensors; k++)
                    if (slash && strcmp(nd->tensors[k].name, slash + 1) == 0) found = 1;
            }
            if (!found) first = ck->tensors[i].name;
        }
        return sk_error_set(err, SK_ENOTFOUND, "graph '%s': %d checkpoint tensor(s) match no "
                            "variable; first unused: '%s'", g->name, nunused, first);
    }
    return SK_OK;
}

sk_status sk_ckpt_load_optim(const sk_ckpt *ck, sk_optim *o, sk_error *err)
{
    if (!ck->has_optim)
        return sk_error_set(err, SK_ENOTFOUND, "checkpoint: section OPTM: expected, not found");
    if (ck->opt_cfg.kind != o->cfg.kind)
        return sk_error_set(err, SK_EINVAL, "checkpoint: field 'OPTM.kind': expected %s, found %s",
                            sk_opt_name(o->cfg.kind), sk_opt_name(ck->opt_cfg.kind));
    if (ck->opt_n != o->n || ck->opt_nslabs != o->nslabs)
        return sk_error_set(err, SK_EINVAL, "checkpoint: field 'OPTM.n': expected %zu floats x %d "
                            "slabs, found %zu x %d", o->n, o->nslabs, ck->opt_n, ck->opt_nslabs);
    o->cfg = ck->opt_cfg;
    o->iterations = ck->opt_iterations;
    for (int k = 0; k < o->nslabs; k++)
        memcpy(o->slab[k], ck->opt_slab[k], o->n * sizeof(float));
    return SK_OK;
}

int sk_ckpt_compare(const sk_ckpt *a, const sk_ckpt *b, sk_ckpt_diff *d)
{
    memset(d, 0, sizeof *d);
    for (int i = 0; i < a->ntensors; i++) {
        const sk_ckpt_tensor *x = &a->tensors[i], *y = sk_ckpt_find(b, x->name);
        int differs = 1;
        if (!y) {
            d->only_a++;
        } else {
            d->common++;
            int same_shape = x->ndim == y->ndim;
            for (int k = 0; k < x->ndim && same_shape; k++) same_shape = x->shape[k] == y->shape[k];
            if (!same_shape) {
                d->shape_differ++;
            } else {
                differs = x->n && memcmp(x->data, y->data, x->n * sizeof(float)) != 0;
                d->value_differ += differs;
                for (size_t e = 0; differs && e < x->n; e++) {
                    double diff = fabs((double)x->data[e] - (double)y->data[e]);
                    if (diff != diff) diff = INFINITY;
                    if (diff > d->max_abs) d->max_abs = diff;
                }
            }
        }
        if (differs && !d->first[0]) sk_snprintf(d->first, sizeof d->first, "%s", x->name);
    }
    for (int i = 0; i < b->ntensors; i++)
        if (!sk_ckpt_find(a, b->tensors[i].name)) {
            d->only_b++;
            if (!d->first[0]) sk_snprintf(d->first, sizeof d->first, "%s", b->tensors[i].name);
        }
    return !d->only_a && !d->only_b && !d->shape_differ && !d->value_differ;
}
