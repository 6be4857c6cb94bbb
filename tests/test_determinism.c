// LABELS: determinism
/* test_determinism: the reproducibility contract on a tiny network with a frozen prefix and a
 * dropout layer in the trainable part, trained for a few epochs with Adam, class weights and
 * ReduceLROnPlateau on random data:
 *  - two runs give bit-identical parameters, moving statistics and per-epoch losses;
 *  - a run checkpointed (.skck) after epoch 1 and resumed in a fresh process state gives the
 *    same final bits as the uninterrupted run;
 *  - the frozen-prefix cache (in memory, and through a cache file, also after the file is
 *    damaged; streamed per batch from a spill file or a kept file, also when the file is damaged
 *    before or cut short during the run) gives the same bits as no cache;
 *  - 1 vs 2 threads: OpenBLAS sgemm results depend on the thread count (see exec.h), so the
 *    test measures the difference and bounds it (relative 1e-3 after 15 steps). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "sk_core.h"
#include "sk_base.h"
#include "sk_test.h"

void openblas_set_num_threads(int n); /* OpenBLAS's own API; declared here to set it in tests */

enum { H = 12, W = 12, C = 3, K = 3, NTRAIN = 40, NVAL = 16, EPOCHS = 3, LEVEL = 8 };

static sk_graph *build(void)
{
    sk_graph *g = sk_graph_new("det_model");
    int x = sk_g_input(g, "input_1", H, W, C);
    int r = sk_g_rescaling(g, "rescaling", x, 1.0f / 127.5f, -1.0f);
    int c1 = sk_g_conv2d(g, "conv1", r, 8, 3, 3, 1, 1, SK_PAD_SAME, SK_NO_BIAS, SK_ACT_LINEAR);
    int b1 = sk_g_bn(g, "bn1", c1, 1e-3f, 0.99f);
    int a1 = sk_g_relu(g, "relu1", b1, 6.0f);
    int c2 = sk_g_conv2d(g, "conv2", a1, 12, 3, 3, 2, 2, SK_PAD_SAME, SK_NO_BIAS, SK_ACT_LINEAR);
    int b2 = sk_g_bn(g, "bn2", c2, 1e-3f, 0.99f);
    int a2 = sk_g_relu(g, "relu2", b2, 0.0f);
    int s3 = sk_g_sepconv2d(g, "sep3", a2, 16, 3, 3, 1, 1, SK_PAD_SAME, SK_NO_BIAS);
    int b3 = sk_g_bn(g, "bn3", s3, 1e-3f, 0.99f);
    int a3 = sk_g_act(g, "act3", b3, SK_ACT_SWISH);
    int gp = sk_g_gap(g, "gap", a3, SK_GAP_FLAT);
    int dr = sk_g_dropout(g, "dropout", gp, 0.25f, SK_DROPOUT_ELEMENTS);
    sk_g_dense(g, "predictions", dr, K, SK_BIAS, SK_ACT_SOFTMAX);
    sk_graph_finalize(g);
    return g;
}

typedef struct {
    uint8_t *tp, *vp;
    int32_t tl[NTRAIN], vl[NVAL];
} data;

static void make_data(data *d)
{
    d->tp = malloc((size_t)NTRAIN * H * W * C);
    d->vp = malloc((size_t)NVAL * H * W * C);
    sk_rng r = sk_rng_stream(77, SK_RNG_TEST, 0);
    for (int i = 0; i < NTRAIN; i++) {
        d->tl[i] = (int32_t)sk_rng_below(&r, K);
        for (int j = 0; j < H * W * C; j++) /* class-dependent brightness, so it can learn */
            d->tp[(size_t)i * H * W * C + j] = (uint8_t)(sk_rng_below(&r, 128) + 60 * d->tl[i]);
    }
    for (int i = 0; i < NVAL; i++) {
        d->vl[i] = (int32_t)sk_rng_below(&r, K);
        for (int j = 0; j < H * W * C; j++)
            d->vp[(size_t)i * H * W * C + j] = (uint8_t)(sk_rng_below(&r, 128) + 60 * d->vl[i]);
    }
}

typedef struct {
    int cache;             /* 0 none, 1 memory, 2 memory + file, 3 streamed from a spill file,
                            * 4 streamed from a file kept in cache_dir */
    const char *cache_dir;
    int stop_after;        /* write a checkpoint after this many epochs and stop (0: no) */
    const char *ckpt;      /* checkpoint path (write when stop_after, read when resume) */
    int resume;
    int cut_files;         /* truncate the cache files once the cache is on: reads fail */
} run_opts;

/* Flips a byte of (or, with cut, truncates) every .skfc file in dir; returns how many. */
static int harm_files(const char *dir, int cut)
{
    int n = 0;
    char cmd[1024];
    sk_snprintf(cmd, sizeof cmd, "ls %s/*.skfc 2>/dev/null", dir);
    FILE *ls = popen(cmd, "r");
    char line[900];
    while (ls && fgets(line, sizeof line, ls)) {
        line[strcspn(line, "\n")] = 0;
        if (cut) {
            CHECK(truncate(line, 300) == 0);
            n++;
            continue;
        }
        FILE *fp = fopen(line, "r+b");
        if (!fp) continue;
        fseek(fp, 200, SEEK_SET);
        int ch = fgetc(fp);
        fseek(fp, 200, SEEK_SET);
        fputc(ch ^ 0x40, fp);
        fclose(fp);
        n++;
    }
    if (ls) pclose(ls);
    return n;
}

typedef struct {
    uint64_t hash;
    double losses[EPOCHS], val_losses[EPOCHS];
    float lr[EPOCHS];
    float *params;
    size_t nparams;
} run_out;

static uint64_t graph_hash(const sk_graph *g)
{
    uint64_t h = sk_fnv1a64(SK_FNV64_INIT, g->params, g->nparams * sizeof(float));
    return sk_fnv1a64(h, g->state, g->nstate * sizeof(float));
}

static void run(const data *d, const run_opts *ro, run_out *out)
{
    static const float cw[K] = {1.0f, 2.0f, 0.5f};
    sk_error err;
    sk_error_clear(&err);
    sk_graph *g = build();
    sk_init_graph(g, NULL, 1234);
    sk_graph_freeze(g, LEVEL);
    sk_opt_config oc = sk_opt_defaults(SK_OPT_ADAM);
    oc.lr = 3e-3f;
    sk_optim *opt = sk_optim_new(&oc, g->nparams);
    sk_reduce_lr rl;
    sk_reduce_lr_init(&rl, 0.5, 1, 1e-4, 0, 1e-5, SK_MODE_MIN);
    int first_epoch = 0;
    if (ro->resume) {
        sk_ckpt ck;
        CHECK_OK(sk_ckpt_read(ro->ckpt, &ck, &err), &err);
        CHECK_OK(sk_ckpt_load_graph(&ck, g, 0, NULL, NULL, &err), &err);
        CHECK_OK(sk_ckpt_load_optim(&ck, opt, &err), &err);
        CHECK(ck.has_reduce_lr && ck.seed == 99);
        rl = ck.reduce_lr;
        opt->cfg.lr = ck.lr;
        first_epoch = ck.epoch;
        sk_ckpt_free(&ck);
    }
    sk_train_cfg tc = sk_train_defaults();
    tc.batch_size = 8;
    tc.seed = 99;
    tc.class_weights = cw;
    sk_trainer *t = sk_trainer_new(g, opt, &tc);
    sk_images tr = {d->tp, d->tl, NTRAIN, H, W, C}, va = {d->vp, d->vl, NVAL, H, W, C};
    sk_cache_opts co = {.max_bytes = ro->cache >= 3 ? 0 : (size_t)1 << 26, .dataset_id = "det-data",
                        .level = LEVEL, .dir = ro->cache == 2 || ro->cache == 4 ? ro->cache_dir : NULL,
                        .spill_dir = ro->cache == 3 ? ro->cache_dir : NULL};
    if (ro->cache)
        CHECK_EQ_INT(sk_trainer_enable_cache(t, &tr, &va, &co), ro->cache >= 3 ? SK_CACHE_DISK : SK_CACHE_MEMORY);
    if (ro->cut_files) CHECK_EQ_INT(harm_files(ro->cache_dir, 1), 2);
    sk_metrics m;
    sk_metrics_init(&m, K);
    for (int e = first_epoch; e < EPOCHS; e++) {
        sk_train_epoch(t, &tr, e, &m);
        out->losses[e] = sk_metrics_loss(&m);
        sk_evaluate(t, &va, 1, &m);
        out->val_losses[e] = sk_metrics_loss(&m);
        sk_reduce_lr_epoch_end(&rl, out->val_losses[e], &opt->cfg.lr);
        out->lr[e] = opt->cfg.lr;
        if (ro->stop_after && e + 1 == ro->stop_after) {
            sk_ckpt ck;
            sk_ckpt_init(&ck);
            sk_ckpt_add_graph(&ck, g);
            sk_ckpt_set_optim(&ck, opt);
            ck.has_reduce_lr = 1;
            ck.reduce_lr = rl;
            ck.seed = tc.seed;
            ck.epoch = e + 1;
            ck.step = opt->iterations;
            ck.rng_counter = opt->iterations;
            ck.lr = opt->cfg.lr;
            ck.freeze = LEVEL;
            CHECK_OK(sk_ckpt_write(&ck, ro->ckpt, &err), &err);
            sk_ckpt_free(&ck);
            break;
        }
    }
    out->hash = graph_hash(g);
    out->nparams = g->nparams;
    out->params = malloc(g->nparams * sizeof(float));
    memcpy(out->params, g->params, g->nparams * sizeof(float));
    sk_metrics_free(&m);
    sk_trainer_free(t);
    sk_optim_free(opt);
    sk_graph_free(g);
}

static void same(const run_out *a, const run_out *b, int from_epoch, const char *what)
{
    CHECKF(a->hash == b->hash, "%s: parameter hash %016llx vs %016llx", what,
           (unsigned long long)a->hash, (unsigned long long)b->hash);
    for (int e = from_epoch; e < EPOCHS; e++) {
        CHECKF(a->losses[e] == b->losses[e] && a->val_losses[e] == b->val_losses[e] &&
               a->lr[e] == b->lr[e], "%s: epoch %d loss %.17g/%.17g val %.17g/%.17g", what, e,
               a->losses[e], b->losses[e], a->val_losses[e], b->val_losses[e]);
    }
}

static void set_threads(int n)
{
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
    openblas_set_num_threads(n);
}

/* What OpenBLAS itself does across thread counts on a GEMM big enough to be split: reported,
 * and bounded (a few ulps: one K-sum reassociated), not required to be identical. */
static void gemm_threads(void)
{
    enum { M = 1024, NN = 128, KK = 288 };
    float *a = malloc(sizeof(float) * M * KK), *b = malloc(sizeof(float) * KK * NN);
    float *c1 = malloc(sizeof(float) * M * NN), *c2 = malloc(sizeof(float) * M * NN);
    sk_rng r = sk_rng_stream(3, SK_RNG_TEST, 9);
    for (int i = 0; i < M * KK; i++) a[i] = (float)sk_rng_normal(&r);
    for (int i = 0; i < KK * NN; i++) b[i] = (float)sk_rng_normal(&r);
    set_threads(1);
    sk_sgemm(0, 0, M, NN, KK, 1.0f, a, KK, b, NN, 0.0f, c1, NN);
    set_threads(2);
    sk_sgemm(0, 0, M, NN, KK, 1.0f, a, KK, b, NN, 0.0f, c2, NN);
    size_t ndiff = 0;
    for (int i = 0; i < M * NN; i++) ndiff += c1[i] != c2[i];
    double rel = sk_test_max_rel_err(c2, c1, (size_t)M * NN);
    printf("sgemm %dx%dx%d, 1 vs 2 threads: %zu of %d outputs differ, max relative %.3g\n", M,
           NN, KK, ndiff, M * NN, rel);
    CHECKF(rel < 1e-5, "sgemm 1 vs 2 threads: max relative difference %.3g", rel);
    if (sk_gemm_row_invariant()) /* det: the same FMA chain per element on any thread count */
        CHECKF(ndiff == 0, "%s sgemm: %zu outputs differ between 1 and 2 threads", sk_blas_name(),
               ndiff);
    free(a);
    free(b);
    free(c1);
    free(c2);
}

int main(void)
{
    data d;
    make_data(&d);
    char *dir = sk_test_tmpdir("determinism");
    char *ckpt = sk_path_join(dir, "epoch1.skck");
    char *cdir = sk_path_join(dir, "cache");
    char *sdir = sk_path_join(dir, "spill"), *kdir = sk_path_join(dir, "kept");
    gemm_threads();
    set_threads(2);

    run_opts plain = {0, NULL, 0, NULL, 0, 0};
    run_out a, b, c, f1, f2, f3, s1, s2, s3, s4, s5, r0, r1, t1;
    memset(&a, 0, sizeof a);
    run(&d, &plain, &a);
    b = a;
    run(&d, &plain, &b);
    same(&a, &b, 0, "run twice");
    printf("losses: %.6f %.6f %.6f, val %.6f %.6f %.6f, lr %g %g %g\n", a.losses[0], a.losses[1],
           a.losses[2], a.val_losses[0], a.val_losses[1], a.val_losses[2], a.lr[0], a.lr[1],
           a.lr[2]);
    CHECK(a.losses[2] < a.losses[0]); /* it learns something */

    run_opts mem = {1, NULL, 0, NULL, 0, 0};
    c = a;
    run(&d, &mem, &c);
    same(&a, &c, 0, "in-memory prefix cache");

    run_opts file = {2, cdir, 0, NULL, 0, 0};
    f1 = a;
    run(&d, &file, &f1); /* computes and stores */
    same(&a, &f1, 0, "file cache (store)");
    f2 = a;
    run(&d, &file, &f2); /* loads */
    same(&a, &f2, 0, "file cache (load)");
    /* damage every cache file: the trainer must warn, recompute and still match */
    CHECK_EQ_INT(harm_files(cdir, 0), 2); /* train and val entries */
    f3 = a;
    run(&d, &file, &f3);
    same(&a, &f3, 0, "file cache (damaged, recomputed)");

    /* boundaries too big for memory, streamed from a file per batch */
    run_opts spill = {3, sdir, 0, NULL, 0, 0};
    s1 = a;
    run(&d, &spill, &s1);
    same(&a, &s1, 0, "streamed from a spill file");
    CHECK_EQ_INT(harm_files(sdir, 0), 0); /* removed with the trainer */
    run_opts kept = {4, kdir, 0, NULL, 0, 0};
    s2 = a;
    run(&d, &kept, &s2); /* computes and keeps */
    same(&a, &s2, 0, "streamed from a kept file (store)");
    s3 = a;
    run(&d, &kept, &s3); /* verifies and reads */
    same(&a, &s3, 0, "streamed from a kept file (load)");
    CHECK_EQ_INT(harm_files(kdir, 0), 2);
    s4 = a;
    run(&d, &kept, &s4);
    same(&a, &s4, 0, "streamed from a kept file (damaged, recomputed)");
    run_opts cut = {3, sdir, 0, NULL, 0, 1}; /* the file fails in the middle of the run */
    s5 = a;
    run(&d, &cut, &s5);
    same(&a, &s5, 0, "streamed file cut short (falls back to the whole network)");

    run_opts stop = {0, NULL, 1, ckpt, 0, 0};
    r0 = a;
    run(&d, &stop, &r0);
    run_opts resume = {1, NULL, 0, ckpt, 1, 0}; /* resumed with the cache on: also identical */
    r1 = a;
    run(&d, &resume, &r1);
    same(&a, &r1, 1, "resume after epoch 1");

    set_threads(1);
    t1 = a;
    run(&d, &plain, &t1);
    double rel = sk_test_max_rel_err(t1.params, a.params, a.nparams);
    printf("1 vs 2 threads: parameters %s (max relative difference %.3g)\n",
           t1.hash == a.hash ? "bit-identical" : "differ", rel);
    CHECKF(rel < 1e-3, "1 vs 2 threads: max relative difference %.3g above 1e-3", rel);
    if (sk_gemm_row_invariant()) same(&a, &t1, 0, "1 vs 2 threads (row-invariant GEMM)");
    CHECK(fabs(t1.losses[2] - a.losses[2]) < 1e-3);
    set_threads(2);

    run_out *all[] = {&a, &b, &c, &f1, &f2, &f3, &s1, &s2, &s3, &s4, &s5, &r0, &r1, &t1};
    for (size_t i = 0; i < SK_ARRAY_LEN(all); i++) free(all[i]->params);
    free(d.tp);
    free(d.vp);
    free(ckpt);
    free(cdir);
    free(sdir);
    free(kdir);
    free(dir);
    return sk_test_finish();
}
