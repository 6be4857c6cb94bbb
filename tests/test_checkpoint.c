// LABELS: unit
/* test_checkpoint: .skck round trip (tensors by Keras name, metadata, optimizer, callbacks, the
 * EarlyStopping snapshot, key/values) and every damage the reader must catch with a message that
 * names the field: truncation, bad magic, wrong version, a flipped byte in a section and in the
 * header, trailing garbage, a missing file; loading checks shapes, missing and unused tensors. */
#include <stdlib.h>
#include <string.h>

#include "sk_core.h"
#include "sk_base.h"
#include "sk_test.h"

static sk_graph *build(int classes)
{
    sk_graph *g = sk_graph_new("ck_model");
    int x = sk_g_input(g, "input_1", 8, 8, 3);
    int c = sk_g_conv2d(g, "conv1_conv", x, 4, 3, 3, 1, 1, SK_PAD_SAME, SK_BIAS, SK_ACT_LINEAR);
    int b = sk_g_bn(g, "conv1_bn", c, 1e-3f, 0.99f);
    int p = sk_g_gap(g, "avg_pool", b, SK_GAP_FLAT);
    sk_g_dense(g, "predictions", p, classes, SK_BIAS, SK_ACT_SOFTMAX);
    sk_graph_finalize(g);
    return g;
}

static int write_bytes(const char *path, const uint8_t *d, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) return 0;
    size_t w = fwrite(d, 1, n, fp);
    fclose(fp);
    return w == n;
}

/* Writes a modified copy of good and expects reading it to fail with code and text. */
static void expect_bad(const char *dir, const char *name, const uint8_t *d, size_t n,
                       sk_status code, const char *text)
{
    char *path = sk_path_join(dir, name);
    CHECK(write_bytes(path, d, n));
    sk_ckpt ck;
    sk_error err;
    sk_error_clear(&err);
    sk_status st = sk_ckpt_read(path, &ck, &err);
    CHECKF(st == code, "%s: status %s, expected %s (%s)", name, sk_status_name(st),
           sk_status_name(code), err.msg);
    CHECKF(strstr(err.msg, text) != NULL, "%s: message '%s' lacks '%s'", name, err.msg, text);
    CHECKF(strstr(err.msg, path) != NULL, "%s: message '%s' does not name the file", name,
           err.msg);
    free(path);
}

/* Damaged copies of the good file at `path`: each fails with its own status and message. */
static void check_damage(const char *dir, const char *path)
{
    sk_error err;
    sk_error_clear(&err);
    uint8_t *good = NULL;
    size_t n = 0;
    CHECK_OK(sk_read_file(path, &good, &n, 1 << 26, &err), &err);
    uint8_t *bad = malloc(n + 16);
    memcpy(bad, good, n);
    expect_bad(dir, "trunc.skck", bad, n - 10, SK_EFORMAT, "field 'file_size'");
    expect_bad(dir, "short.skck", bad, 20, SK_EFORMAT, "too short");
    bad[0] = 'X';
    expect_bad(dir, "magic.skck", bad, n, SK_EFORMAT, "field 'magic'");
    memcpy(bad, good, n);
    bad[8] = 9;
    expect_bad(dir, "version.skck", bad, n, SK_EVERSION, "field 'version': expected 1..2, found 9");
    memcpy(bad, good, n);
    bad[17] ^= 1; /* file size field: caught by the header CRC */
    expect_bad(dir, "hdr.skck", bad, n, SK_ECHECKSUM, "header CRC-32");
    memcpy(bad, good, n);
    size_t data_at = 0;
    for (size_t i = 32; i + 4 < n && !data_at; i++)
        if (memcmp(good + i, "DATA", 4) == 0) data_at = i;
    CHECK(data_at > 0);
    bad[data_at + 12 + 5] ^= 0x10; /* inside DATA */
    expect_bad(dir, "flip.skck", bad, n, SK_ECHECKSUM, "section 'DATA' CRC-32");
    memcpy(bad, good, n);
    bad[40 + 12] ^= 0x01; /* inside META (first payload byte region) */
    expect_bad(dir, "flipmeta.skck", bad, n, SK_ECHECKSUM, "section 'META' CRC-32");
    memcpy(bad, good, n);
    memset(bad + n, 0, 16);
    expect_bad(dir, "long.skck", bad, n + 16, SK_EFORMAT, "field 'file_size'");
    char *nope = sk_path_join(dir, "absent.skck");
    sk_ckpt tmp;
    CHECK(sk_ckpt_read(nope, &tmp, &err) == SK_ENOTFOUND && strstr(err.msg, "absent.skck"));
    free(nope);

    free(bad);
    free(good);
}

/* Offset of section TAG's header in a .skck image (0 if absent); its payload starts 12 bytes on. */
static size_t find_section(const uint8_t *d, size_t n, const char *tag, uint64_t *len)
{
    for (size_t pos = 32; pos + 12 <= n;) {
        *len = sk_le_load64(d + pos + 4);
        if (memcmp(d + pos, tag, 4) == 0) return pos;
        pos += 12 + (size_t)*len + 4;
    }
    return 0;
}

/* Optimizer slabs are stored as runs of +0.0 and literals (version 2): long and short zero runs,
 * -0.0 and values round-trip bit for bit; the same file rewritten as version 1 (dense slabs)
 * reads back the same and is larger; runs that overrun the slab are refused. */
static void check_slab_runs(const char *dir, sk_graph *g)
{
    sk_error err;
    sk_error_clear(&err);
    size_t n = g->nparams;
    CHECK(n > 100);
    sk_opt_config oc = sk_opt_defaults(SK_OPT_ADAM);
    sk_optim *o = sk_optim_new(&oc, n);
    for (size_t i = 0; i < n; i++) {
        int zero = i < 40 || (i >= 60 && i < 63) || i + 20 >= n;
        o->slab[0][i] = zero ? 0.0f : 1.0f + (float)i;
        o->slab[1][i] = (i == 5 || i == 50) ? -0.0f : i == 70 ? 3.0f : 0.0f;
    }
    sk_ckpt ck;
    sk_ckpt_init(&ck);
    sk_ckpt_add_graph(&ck, g);
    sk_ckpt_set_optim(&ck, o);
    char *path = sk_path_join(dir, "runs.skck"), *p1 = sk_path_join(dir, "runs_v1.skck");
    CHECK_OK(sk_ckpt_write(&ck, path, &err), &err);
    sk_ckpt rd;
    CHECK_OK(sk_ckpt_read(path, &rd, &err), &err);
    CHECK(rd.has_optim && rd.opt_n == n && rd.opt_nslabs == 2);
    CHECK(memcmp(rd.opt_slab[0], o->slab[0], n * 4) == 0);
    CHECK(memcmp(rd.opt_slab[1], o->slab[1], n * 4) == 0); /* -0.0 kept */
    sk_ckpt_free(&rd);

    uint8_t *v2 = NULL;
    size_t n2 = 0;
    uint64_t olen = 0;
    CHECK_OK(sk_read_file(path, &v2, &n2, 1 << 26, &err), &err);
    size_t at = find_section(v2, n2, "OPTM", &olen);
    CHECK(at > 0 && olen > 52);
    if (at > 0 && olen > 52) {
        /* version 1: the same file with dense slabs */
        sk_buf b;
        sk_buf_init(&b);
        sk_buf_put_bytes(&b, v2, at);
        sk_buf_put_bytes(&b, (const uint8_t *)"OPTM", 4);
        sk_buf_put_u64(&b, 52 + 2 * (uint64_t)n * 4);
        size_t pay = b.len;
        sk_buf_put_bytes(&b, v2 + at + 12, 52);
        sk_buf_put_f32s(&b, o->slab[0], n);
        sk_buf_put_f32s(&b, o->slab[1], n);
        sk_buf_put_u32(&b, sk_crc32(0, b.data + pay, b.len - pay));
        size_t rest = at + 12 + (size_t)olen + 4;
        sk_buf_put_bytes(&b, v2 + rest, n2 - rest);
        sk_le_store32(b.data + 8, 1);
        sk_le_store64(b.data + 16, (uint64_t)b.len);
        sk_le_store32(b.data + 28, sk_crc32(0, b.data, 28));
        CHECKF(b.len > n2 + 4 * 100, "version 1 %zu bytes, version 2 %zu", b.len, n2);
        CHECK(write_bytes(p1, b.data, b.len));
        CHECK_OK(sk_ckpt_read(p1, &rd, &err), &err);
        CHECK(rd.has_optim && memcmp(rd.opt_slab[0], o->slab[0], n * 4) == 0 &&
              memcmp(rd.opt_slab[1], o->slab[1], n * 4) == 0);
        sk_ckpt_free(&rd);
        sk_buf_free(&b);

        /* the first run of slab 0 claims more zeros than the slab has */
        uint8_t *pl = v2 + at + 12;
        sk_le_store64(pl + 60, (uint64_t)n + 5);
        sk_le_store32(pl + olen, sk_crc32(0, pl, (size_t)olen));
        expect_bad(dir, "overrun.skck", v2, n2, SK_EFORMAT, "overrun the slab");
    }
    free(v2);
    free(path);
    free(p1);
    sk_ckpt_free(&ck);
    sk_optim_free(o);
}

int main(void)
{
    char *dir = sk_test_tmpdir("checkpoint");
    char *path = sk_path_join(dir, "a.skck");
    sk_error err;
    sk_error_clear(&err);

    sk_graph *g = build(3);
    sk_init_graph(g, NULL, 5);
    for (size_t i = 0; i < g->nstate; i++) g->state[i] += 0.25f * (float)i;
    sk_opt_config oc = sk_opt_defaults(SK_OPT_ADAM);
    sk_optim *o = sk_optim_new(&oc, g->nparams);
    for (size_t i = 0; i < g->nparams; i++) o->slab[0][i] = (float)i, o->slab[1][i] = 0.5f * i;
    o->iterations = 42;

    sk_ckpt ck;
    sk_ckpt_init(&ck);
    sk_ckpt_add_graph(&ck, g);
    sk_snprintf(ck.arch, sizeof ck.arch, "tiny");
    ck.freeze = 3;
    ck.seed = 0x1234567890abcdefull;
    ck.step = 42;
    ck.epoch = 7;
    ck.lr = 2.5e-4f;
    ck.rng_counter = 42;
    sk_ckpt_set_kv(&ck, "dataset", "quick.skds sha256 abc");
    sk_ckpt_set_optim(&ck, o);
    ck.has_reduce_lr = 1;
    sk_reduce_lr_init(&ck.reduce_lr, 0.5, 3, 1e-4, 1, 1e-6, SK_MODE_MIN);
    ck.reduce_lr.best = 0.123;
    ck.reduce_lr.wait = 2;
    ck.has_early_stop = 1;
    sk_early_stop_init(&ck.early_stop, 5, 0.0, 1, SK_MODE_MIN);
    ck.early_stop.best_epoch = 4;
    ck.early_stop.have_best_weights = 1;
    float *bp = malloc(g->nparams * sizeof(float)), *bs = malloc(g->nstate * sizeof(float));
    for (size_t i = 0; i < g->nparams; i++) bp[i] = -(float)i;
    for (size_t i = 0; i < g->nstate; i++) bs[i] = 3.0f;
    ck.has_best = 1;
    ck.best_nparams = g->nparams;
    ck.best_nstate = g->nstate;
    ck.best_params = bp;
    ck.best_state = bs;
    CHECK_EQ_INT(ck.ntensors, 8); /* kernel, bias, gamma, beta, mean, var, kernel, bias */
    CHECK(sk_ckpt_find(&ck, "conv1_conv/kernel") != NULL);
    CHECK_OK(sk_ckpt_write(&ck, path, &err), &err);

    /* round trip into a fresh graph */
    sk_ckpt rd;
    CHECK_OK(sk_ckpt_read(path, &rd, &err), &err);
    CHECK_STR(rd.arch, "tiny");
    CHECK_STR(rd.model, "ck_model");
    CHECK(rd.in_h == 8 && rd.in_w == 8 && rd.in_c == 3 && rd.classes == 3 && rd.freeze == 3);
    CHECK(rd.seed == 0x1234567890abcdefull && rd.step == 42 && rd.epoch == 7);
    CHECK(rd.lr == 2.5e-4f && rd.rng_counter == 42);
    CHECK_STR(sk_ckpt_get_kv(&rd, "dataset"), "quick.skds sha256 abc");
    CHECK(rd.has_reduce_lr && rd.reduce_lr.best == 0.123 && rd.reduce_lr.wait == 2 &&
          rd.reduce_lr.cooldown == 1 && rd.reduce_lr.factor == 0.5);
    CHECK(rd.has_early_stop && rd.early_stop.best_epoch == 4 &&
          rd.early_stop.restore_best_weights && rd.early_stop.best > 1e300);
    CHECK(rd.has_best && memcmp(rd.best_params, bp, g->nparams * 4) == 0 &&
          memcmp(rd.best_state, bs, g->nstate * 4) == 0);
    const sk_ckpt_tensor *t = sk_ckpt_find(&rd, "conv1_conv/kernel");
    CHECK(t && t->ndim == 4 && t->shape[0] == 3 && t->shape[2] == 3 && t->shape[3] == 4);

    sk_graph *g2 = build(3);
    int missing = -1, unused = -1;
    CHECK_OK(sk_ckpt_load_graph(&rd, g2, 0, &missing, &unused, &err), &err);
    CHECK(missing == 0 && unused == 0);
    CHECK(memcmp(g2->params, g->params, g->nparams * 4) == 0);
    CHECK(memcmp(g2->state, g->state, g->nstate * 4) == 0);
    sk_optim *o2 = sk_optim_new(&oc, g->nparams);
    CHECK_OK(sk_ckpt_load_optim(&rd, o2, &err), &err);
    CHECK(o2->iterations == 42 && memcmp(o2->slab[1], o->slab[1], g->nparams * 4) == 0);
    sk_opt_config sc = sk_opt_defaults(SK_OPT_SGD);
    sk_optim *o3 = sk_optim_new(&sc, g->nparams);
    CHECK(sk_ckpt_load_optim(&rd, o3, &err) == SK_EINVAL && strstr(err.msg, "expected sgd, found adam"));

    /* wrong shape: a 5-class head */
    sk_graph *g5 = build(5);
    CHECK(sk_ckpt_load_graph(&rd, g5, 0, NULL, NULL, &err) == SK_EFORMAT);
    CHECKF(strstr(err.msg, "predictions/kernel") && strstr(err.msg, "expected shape (4,5)") &&
           strstr(err.msg, "found (4,3)"), "shape message: %s", err.msg);

    /* missing and unused */
    sk_ckpt part;
    sk_ckpt_init(&part);
    for (int i = 0; i < rd.ntensors; i++)
        if (strncmp(rd.tensors[i].name, "predictions", 11) != 0)
            sk_ckpt_add_tensor(&part, rd.tensors[i].name, rd.tensors[i].ndim, rd.tensors[i].shape,
                               rd.tensors[i].data);
    int64_t sh[1] = {2};
    float extra[2] = {1, 2};
    sk_ckpt_add_tensor(&part, "aux/bias", 1, sh, extra);
    CHECK(sk_ckpt_load_graph(&part, g2, 0, &missing, &unused, &err) == SK_ENOTFOUND);
    CHECKF(strstr(err.msg, "predictions/kernel") != NULL, "missing message: %s", err.msg);
    CHECK(missing == 2 && unused == 1);
    CHECK(sk_ckpt_load_graph(&part, g2, SK_CKPT_ALLOW_MISSING, NULL, NULL, &err) == SK_ENOTFOUND);
    CHECKF(strstr(err.msg, "aux/bias") != NULL, "unused message: %s", err.msg);
    CHECK_OK(sk_ckpt_load_graph(&part, g2, SK_CKPT_ALLOW_MISSING | SK_CKPT_ALLOW_UNUSED, NULL,
                                NULL, &err), &err);
    sk_ckpt_free(&part);

    check_damage(dir, path);
    check_slab_runs(dir, g);

    /* the atomic writer leaves no temp file */
    CHECK(sk_file_exists(path));

    sk_ckpt_free(&rd);
    sk_ckpt_free(&ck);
    sk_optim_free(o);
    sk_optim_free(o2);
    sk_optim_free(o3);
    sk_graph_free(g);
    sk_graph_free(g2);
    sk_graph_free(g5);
    free(bp);
    free(bs);
    free(path);
    free(dir);
    return sk_test_finish();
}
