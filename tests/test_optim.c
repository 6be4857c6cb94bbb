// LABELS: unit
/* test_optim: known answers worked out by hand (in double, from the Keras formulas) for Adam
 * (two steps, bias correction), SGD (plain, momentum, Nesterov), RMSprop; optimizer ranges;
 * a ReduceLROnPlateau trajectory with patience, cooldown, min_delta and min_lr; EarlyStopping
 * with restore_best_weights, min_delta and the epoch > 0 rule; metrics on a fixed confusion. */
#include <stdlib.h>
#include <string.h>

#include "sk_core.h"
#include "sk_test.h"

static void test_adam(void)
{
    sk_opt_config c = sk_opt_defaults(SK_OPT_ADAM);
    CHECK(c.lr == 1e-3f);
    CHECK(c.epsilon == 1e-7f);
    sk_optim *o = sk_optim_new(&c, 3);
    float p[3] = {0.5f, 7.0f, -1.0f}, g[3] = {0.2f, 1.0f, 1.0f};
    size_t ranges[2] = {0, 2}; /* the third parameter is frozen */
    /* t=1: m = 0.02, v = 4e-5, lr_t = 1e-3 * sqrt(0.001) / 0.1 = 3.16227766e-4,
     * p = 0.5 - lr_t * 0.02 / (0.0063245553 + 1e-7) = 0.49900001581 */
    sk_optim_step(o, p, g, ranges, 1);
    CHECK_NEAR(p[0], 0.4990000158111383, 2e-7);
    CHECK_NEAR(o->slab[0][0], 0.02, 1e-8);
    CHECK_NEAR(o->slab[1][0], 4e-5, 1e-9); /* (1 - 0.999f) is float32, as in Keras */
    /* t=2, g=-0.1: m = 0.9*0.02 - 0.01 = 0.008, v = 0.999*4e-5 + 1e-5 = 4.996e-5,
     * lr_t = 1e-3 * sqrt(1 - 0.999^2) / (1 - 0.81), p = 0.49873368254 */
    g[0] = -0.1f;
    sk_optim_step(o, p, g, ranges, 1);
    CHECK_NEAR(p[0], 0.4987336825395067, 2e-7);
    CHECK_NEAR(o->slab[0][0], 0.008, 1e-8);
    CHECK_EQ_INT(o->iterations, 2);
    /* second element: first range only covers p[0..2); p[1] moved, p[2] never touched */
    CHECK(p[1] != 7.0f);
    CHECK(p[2] == -1.0f && o->slab[0][2] == 0.0f && o->slab[1][2] == 0.0f);
    sk_optim_free(o);
}

static void test_sgd(void)
{
    sk_opt_config c = sk_opt_defaults(SK_OPT_SGD);
    CHECK(c.lr == 0.01f);
    sk_optim *o = sk_optim_new(&c, 1);
    CHECK_EQ_INT(o->nslabs, 0);
    float p = 1.0f, g = 0.5f;
    size_t r[2] = {0, 1};
    sk_optim_step(o, &p, &g, r, 1);
    CHECK_NEAR(p, 0.995, 1e-7); /* 1 - 0.01 * 0.5 */
    sk_optim_free(o);

    c.lr = 0.1f;
    c.momentum = 0.9f;
    o = sk_optim_new(&c, 1);
    p = 1.0f;
    sk_optim_step(o, &p, &g, r, 1); /* a = -0.05, p = 0.95 */
    CHECK_NEAR(p, 0.95, 1e-7);
    sk_optim_step(o, &p, &g, r, 1); /* a = 0.9 * -0.05 - 0.05 = -0.095, p = 0.855 */
    CHECK_NEAR(p, 0.855, 1e-7);
    CHECK_NEAR(o->slab[0][0], -0.095, 1e-7);
    sk_optim_free(o);

    c.nesterov = 1;
    o = sk_optim_new(&c, 1);
    p = 1.0f;
    sk_optim_step(o, &p, &g, r, 1); /* a = -0.05, p += 0.9 a - 0.05 = -0.095 -> 0.905 */
    CHECK_NEAR(p, 0.905, 1e-7);
    sk_optim_step(o, &p, &g, r, 1); /* a = -0.095, p += -0.0855 - 0.05 -> 0.7695 */
    CHECK_NEAR(p, 0.7695, 1e-7);
    sk_optim_free(o);
}

static void test_rmsprop(void)
{
    sk_opt_config c = sk_opt_defaults(SK_OPT_RMSPROP);
    CHECK_NEAR(c.rho, 0.9, 1e-7);
    sk_optim *o = sk_optim_new(&c, 1);
    float p = 1.0f, g = 0.5f;
    size_t r[2] = {0, 1};
    /* r = 0.1 * 0.25 = 0.025, p -= 1e-3 * 0.5 / (sqrt(0.025) + 1e-7) */
    sk_optim_step(o, &p, &g, r, 1);
    CHECK_NEAR(p, 0.9968377243398303, 2e-7);
    /* r = 0.9 * 0.025 + 0.1 * 0.04 = 0.0265, p += 1e-3 * 0.2 / (sqrt(0.0265) + 1e-7) */
    g = -0.2f;
    sk_optim_step(o, &p, &g, r, 1);
    CHECK_NEAR(p, 0.9980663138187817, 2e-7);
    sk_optim_free(o);
}

static void test_reduce_lr(void)
{
    sk_reduce_lr rl;
    sk_reduce_lr_init(&rl, 0.5, 2, 0.01, 1, 3e-4, SK_MODE_MIN);
    float lr = 1e-3f;
    const double vl[] = {1.0, 0.995, 0.993, 0.97, 0.975, 0.965, 0.95, 0.945, 0.944, 0.943, 0.90};
    /* worked by hand: reduce at epoch 2 (wait reaches 2) to 5e-4, cooldown 1 swallows epoch 3
     * (which also improves: best 0.97), wait 1, 2 -> reduce at epoch 5 to max(2.5e-4, 3e-4);
     * epochs 8, 9 reach patience but lr == min_lr, so nothing happens (wait keeps counting) */
    const float want[] = {1e-3f, 1e-3f, 5e-4f, 5e-4f, 5e-4f, 3e-4f, 3e-4f,
                          3e-4f, 3e-4f, 3e-4f, 3e-4f};
    const int reduced[] = {0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0};
    const int wait[] = {0, 1, 0, 0, 1, 0, 0, 1, 2, 3, 0};
    for (size_t e = 0; e < SK_ARRAY_LEN(vl); e++) {
        int red = sk_reduce_lr_epoch_end(&rl, vl[e], &lr);
        CHECKF(lr == want[e], "epoch %zu: lr %.9g, expected %.9g", e, lr, want[e]);
        CHECKF(red == reduced[e], "epoch %zu: reduced %d, expected %d", e, red, reduced[e]);
        CHECKF(rl.wait == wait[e], "epoch %zu: wait %d, expected %d", e, rl.wait, wait[e]);
    }
    CHECK(lr == (float)(1e-3f * 0.5 * 0 + 3e-4));
    CHECK_NEAR(rl.best, 0.90, 0);
    /* the float32 product: 0.001f * 0.5 stays exact */
    sk_reduce_lr_init(&rl, 0.1, 0, 0.0, 0, 0.0, SK_MODE_MIN);
    lr = 1e-3f;
    sk_reduce_lr_epoch_end(&rl, 1.0, &lr); /* improves: no change, even with patience 0 */
    CHECK(lr == 1e-3f);
    sk_reduce_lr_epoch_end(&rl, 1.0, &lr); /* wait 1 >= 0: lr = float(double(1e-3f) * 0.1) */
    CHECK(lr == (float)((double)1e-3f * 0.1));
}

static void test_early_stop(void)
{
    /* patience 2, restore: best at epoch 1 (0.4); epochs 2, 3 do not improve -> stop at 3 */
    sk_early_stop es;
    sk_early_stop_init(&es, 2, 0.0, 1, SK_MODE_MIN);
    const double vl[] = {0.5, 0.4, 0.45, 0.41, 0.1};
    float weights = 0.0f, snapshot = -1.0f;
    int stopped_at = -1;
    for (int e = 0; e < 5 && stopped_at < 0; e++) {
        weights = (float)(e + 1); /* the "model" after epoch e */
        sk_es_decision d = sk_early_stop_epoch_end(&es, e, vl[e]);
        if (d.snapshot) snapshot = weights;
        if (d.restore) weights = snapshot;
        if (d.stop) stopped_at = e;
        CHECKF(d.snapshot == (e <= 1), "epoch %d: snapshot %d", e, d.snapshot);
    }
    CHECK_EQ_INT(stopped_at, 3);
    CHECK_EQ_INT(es.stopped_epoch, 3);
    CHECK_EQ_INT(es.best_epoch, 1);
    CHECK(weights == 2.0f); /* restored to the weights after epoch 1 */

    /* min_delta 0.05 (Keras: current + 0.05 < best), patience 1: epoch 1 (0.46) is not an
     * improvement over 0.5 -> stop at 1, restore epoch 0's weights */
    sk_early_stop_init(&es, 1, 0.05, 1, SK_MODE_MIN);
    sk_es_decision d = sk_early_stop_epoch_end(&es, 0, 0.5);
    CHECK(d.snapshot && !d.stop);
    d = sk_early_stop_epoch_end(&es, 1, 0.46);
    CHECK(!d.snapshot && d.stop && d.restore);
    CHECK_EQ_INT(es.best_epoch, 0);

    /* patience 0: never stops at epoch 0, always at epoch 1; no restore without the flag */
    sk_early_stop_init(&es, 0, 0.0, 0, SK_MODE_MIN);
    d = sk_early_stop_epoch_end(&es, 0, 0.5);
    CHECK(!d.stop && !d.snapshot);
    d = sk_early_stop_epoch_end(&es, 1, 0.1);
    CHECK(d.stop && !d.restore);

    /* a baseline that is never beaten: wait keeps counting although best improves */
    sk_early_stop_init(&es, 2, 0.0, 0, SK_MODE_MIN);
    sk_early_stop_set_baseline(&es, 0.2);
    d = sk_early_stop_epoch_end(&es, 0, 0.5);
    CHECK(!d.stop);
    d = sk_early_stop_epoch_end(&es, 1, 0.4);
    CHECK(d.stop && es.best_epoch == 1);
}

static void test_metrics(void)
{
    sk_metrics m;
    sk_metrics_init(&m, 3);
    /* true: 0 0 1 1 2 2 ; predicted: 0 1 1 1 2 0 */
    const float probs[] = {0.8f, 0.1f, 0.1f, 0.2f, 0.7f, 0.1f, 0.1f, 0.8f, 0.1f,
                           0.3f, 0.4f, 0.3f, 0.1f, 0.1f, 0.8f, 0.5f, 0.2f, 0.3f};
    const int32_t y[] = {0, 0, 1, 1, 2, 2};
    sk_metrics_add(&m, probs, y, 4, 1.0);
    sk_metrics_add(&m, probs + 12, y + 4, 2, 0.25);
    CHECK_NEAR(sk_metrics_accuracy(&m), 4.0 / 6.0, 1e-12);
    CHECK_NEAR(sk_metrics_loss(&m), (4 * 1.0 + 2 * 0.25) / 6, 1e-12);
    CHECK_EQ_INT(m.confusion[0 * 3 + 1], 1);
    CHECK_EQ_INT(m.confusion[2 * 3 + 0], 1);
    CHECK_NEAR(sk_metrics_precision(&m, 0), 0.5, 1e-12);     /* 1 of 2 predicted 0 */
    CHECK_NEAR(sk_metrics_recall(&m, 1), 1.0, 1e-12);
    CHECK_NEAR(sk_metrics_precision(&m, 1), 2.0 / 3.0, 1e-12);
    CHECK_NEAR(sk_metrics_f1(&m, 1), 0.8, 1e-12);             /* 2 * (2/3) / (5/3) */
    CHECK_NEAR(sk_metrics_f1(&m, 2), 2.0 / 3.0, 1e-12);       /* p 1, r 0.5 */
    CHECK_NEAR(sk_metrics_macro_f1(&m), (0.5 + 0.8 + 2.0 / 3.0) / 3, 1e-12);
    CHECK_EQ_INT(sk_argmax((const float[]){1, 3, 3}, 3), 1); /* ties: first */
    sk_metrics_free(&m);
}

int main(void)
{
    test_adam();
    test_sgd();
    test_rmsprop();
    test_reduce_lr();
    test_early_stop();
    test_metrics();
    sk_opt_kind k;
    sk_error err;
    CHECK(sk_opt_parse("adam", &k, &err) == SK_OK && k == SK_OPT_ADAM);
    CHECK(sk_opt_parse("Adamw", &k, &err) == SK_EINVAL && strstr(err.msg, "Adamw"));
    return sk_test_finish();
}
