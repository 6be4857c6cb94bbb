// LABELS: unit
/* test_freeze: Keras freeze semantics through the executor, the optimizer and the trainer.
 * After several Adam steps with the last N layers trainable: every variable of a frozen layer
 * (kernels, biases, BN gamma/beta AND moving statistics) is bit-identical to its start; every
 * trainable tensor and every trainable BN's moving statistics changed; the gradient slab and
 * the Adam moments are exactly zero on frozen ranges; backward ran on exactly the nodes with
 * needs_grad (and on fewer nodes than the graph has). */
#include <stdlib.h>
#include <string.h>

#include "sk_core.h"
#include "sk_base.h"
#include "sk_test.h"

enum { H = 8, W = 8, C = 3, K = 3, NIMG = 20 };

static sk_graph *build(void)
{
    sk_graph *g = sk_graph_new("freeze_test");
    int x = sk_g_input(g, "input_1", H, W, C);
    int r = sk_g_rescaling(g, "rescale", x, 1.0f / 255.0f, 0.0f);
    int c1 = sk_g_conv2d(g, "conv1", r, 6, 3, 3, 2, 2, SK_PAD_SAME, SK_NO_BIAS, SK_ACT_LINEAR);
    int b1 = sk_g_bn(g, "bn1", c1, 1e-3f, 0.99f);
    int a1 = sk_g_relu(g, "relu1", b1, 0.0f);
    int c2 = sk_g_conv2d(g, "conv2", a1, 6, 3, 3, 1, 1, SK_PAD_SAME, SK_NO_BIAS, SK_ACT_LINEAR);
    int b2 = sk_g_bn(g, "bn2", c2, 1e-3f, 0.99f);
    int a2 = sk_g_relu(g, "relu2", b2, 0.0f);
    int dw = sk_g_dwconv2d(g, "dw", a2, 3, 3, 1, 1, SK_PAD_SAME, SK_NO_BIAS);
    int b3 = sk_g_bn(g, "bn3", dw, 1e-3f, 0.99f);
    int ins[2] = {b3, a2};
    int add = sk_g_add(g, "add", 2, ins);
    int gap = sk_g_gap(g, "gap", add, SK_GAP_FLAT);
    sk_g_dense(g, "predictions", gap, K, SK_BIAS, SK_ACT_SOFTMAX);
    sk_graph_finalize(g);
    sk_init_graph(g, NULL, 21);
    return g;
}

static void run_level(int level)
{
    sk_graph *g = build();
    sk_graph_freeze(g, level);
    float *p0 = malloc(g->nparams * sizeof(float)), *s0 = malloc(g->nstate * sizeof(float));
    memcpy(p0, g->params, g->nparams * sizeof(float));
    memcpy(s0, g->state, g->nstate * sizeof(float));

    uint8_t *pix = malloc((size_t)NIMG * H * W * C);
    int32_t lab[NIMG];
    sk_rng r = sk_rng_stream(4, SK_RNG_TEST, (uint64_t)level);
    for (size_t i = 0; i < (size_t)NIMG * H * W * C; i++) pix[i] = (uint8_t)sk_rng_below(&r, 256);
    for (int i = 0; i < NIMG; i++) lab[i] = (int32_t)sk_rng_below(&r, K);
    sk_images d = {pix, lab, NIMG, H, W, C};

    sk_opt_config oc = sk_opt_defaults(SK_OPT_ADAM);
    oc.lr = 0.01f;
    sk_optim *opt = sk_optim_new(&oc, g->nparams);
    sk_train_cfg tc = sk_train_defaults();
    tc.batch_size = 8;
    tc.seed = 9;
    sk_trainer *t = sk_trainer_new(g, opt, &tc);
    sk_metrics m;
    sk_metrics_init(&m, K);
    sk_train_epoch(t, &d, 0, &m); /* 3 steps: 8 + 8 + 4 */
    sk_train_epoch(t, &d, 1, &m);
    CHECK_EQ_INT(opt->iterations, 6);
    sk_exec *ex = sk_trainer_exec(t);

    int frozen_bn = 0, trainable_bn = 0, ran_expected = 0;
    const uint8_t *ran = sk_exec_backward_ran(ex);
    const float *grads = sk_exec_grads(ex);
    for (int i = 0; i < g->n; i++) {
        const sk_node *nd = sk_graph_node(g, i);
        int expect_ran = nd->needs_grad && nd->op != SK_OP_INPUT;
        ran_expected += expect_ran;
        CHECKF(ran[i] == expect_ran, "level %d: node %s backward ran %d, expected %d", level,
               nd->name, ran[i], expect_ran);
        if (nd->op == SK_OP_BATCHNORM) nd->trainable ? trainable_bn++ : frozen_bn++;
        for (int k = 0; k < nd->ntensors; k++) {
            const sk_tensor_info *ti = &nd->tensors[k];
            const float *now = (ti->is_state ? g->state : g->params) + ti->offset;
            const float *was = (ti->is_state ? s0 : p0) + ti->offset;
            int same = memcmp(now, was, ti->size * sizeof(float)) == 0;
            if (!nd->trainable) {
                CHECKF(same, "level %d: frozen %s/%s changed", level, nd->name, ti->name);
                if (!ti->is_state) {
                    int zero = 1;
                    for (size_t j = 0; j < ti->size; j++)
                        zero &= grads[ti->offset + j] == 0.0f && opt->slab[0][ti->offset + j] == 0.0f &&
                                opt->slab[1][ti->offset + j] == 0.0f;
                    CHECKF(zero, "level %d: frozen %s/%s has gradient or moments", level,
                           nd->name, ti->name);
                }
            } else {
                CHECKF(!same, "level %d: trainable %s/%s did not change", level, nd->name,
                       ti->name);
            }
        }
    }
    CHECK_EQ_INT(sk_exec_backward_nodes_run(ex), ran_expected);
    if (level < g->n) CHECKF(ran_expected < g->n - 1, "level %d: backward skipped nothing", level);
    printf("level %d: %d trainable layers, %d/%d nodes ran backward, BN frozen %d trainable %d, "
           "prefix %d nodes\n", level, sk_graph_trainable_layers(g), ran_expected, g->n,
           frozen_bn, trainable_bn, sk_exec_prefix_nodes(ex));
    if (level == 5) CHECK(frozen_bn > 0 && trainable_bn > 0);

    sk_metrics_free(&m);
    sk_trainer_free(t);
    sk_optim_free(opt);
    free(pix);
    free(p0);
    free(s0);
    sk_graph_free(g);
}

int main(void)
{
    run_level(2);  /* only the head */
    run_level(5);  /* bn3 trainable, bn1/bn2 frozen */
    run_level(100);
    return sk_test_finish();
}
