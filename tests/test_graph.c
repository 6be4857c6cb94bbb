// LABELS: unit
/* test_graph.c: the graph builder (shapes with TensorFlow's padding rules, Keras parameter
 * counts and variable layout), the Keras model.layers ordering and depths on a small branching
 * (ResNet-like) graph, and freezing with needs_grad propagation. Expected values are worked out
 * by hand from Keras's rules (see the comments). */
#include "sk_core.h"
#include "sk_test.h"

#include <string.h>

static void test_shapes_and_counts(void)
{
    sk_graph *g = sk_graph_new("shapes");
    int x = sk_g_input(g, "in", 15, 16, 3);
    /* 'same' stride 2: ceil(15/2)=8, ceil(16/2)=8 */
    int c = sk_g_conv2d(g, "c", x, 5, 3, 3, 2, 2, SK_PAD_SAME, SK_BIAS, SK_ACT_LINEAR);
    CHECK_EQ_INT(g->nodes[c].h, 8);
    CHECK_EQ_INT(g->nodes[c].w, 8);
    CHECK_EQ_INT(g->nodes[c].c, 5);
    CHECK_EQ_INT(g->nodes[c].trainable_params, 3 * 3 * 3 * 5 + 5);
    /* 'valid' 3x3 stride 2 on 15x16: floor(12/2)+1=7, floor(13/2)+1=7 */
    int v = sk_g_conv2d(g, "v", x, 4, 3, 3, 2, 2, SK_PAD_VALID, SK_NO_BIAS, SK_ACT_RELU);
    CHECK_EQ_INT(g->nodes[v].h, 7);
    CHECK_EQ_INT(g->nodes[v].w, 7);
    CHECK_EQ_INT(g->nodes[v].ntensors, 1);
    CHECK_EQ_INT(g->nodes[v].trainable_params, 3 * 3 * 3 * 4);
    int p = sk_g_zeropad(g, "p", x, 0, 1, 2, 3);
    CHECK_EQ_INT(g->nodes[p].h, 16);
    CHECK_EQ_INT(g->nodes[p].w, 21);
    int cr = sk_g_crop(g, "cr", p, 1, 0, 0, 5);
    CHECK_EQ_INT(g->nodes[cr].h, 15);
    CHECK_EQ_INT(g->nodes[cr].w, 16);
    int dw = sk_g_dwconv2d(g, "dw", cr, 3, 3, 1, 1, SK_PAD_SAME, SK_NO_BIAS);
    CHECK_EQ_INT(g->nodes[dw].trainable_params, 27);
    CHECK_STR(g->nodes[dw].tensors[0].name, "depthwise_kernel");
    CHECK_EQ_INT(g->nodes[dw].tensors[0].shape[2], 3);
    CHECK_EQ_INT(g->nodes[dw].tensors[0].shape[3], 1);
    int sp = sk_g_sepconv2d(g, "sp", dw, 7, 5, 5, 2, 2, SK_PAD_SAME, SK_NO_BIAS);
    /* depthwise 5*5*3 + pointwise 3*7, no bias */
    CHECK_EQ_INT(g->nodes[sp].trainable_params, 75 + 21);
    CHECK_EQ_INT(g->nodes[sp].h, 8);
    CHECK_STR(g->nodes[sp].tensors[1].name, "pointwise_kernel");
    int mp = sk_g_maxpool(g, "mp", sp, 3, 3, 2, 2, SK_PAD_VALID); /* floor((8-3)/2)+1 = 3 */
    CHECK_EQ_INT(g->nodes[mp].h, 3);
    int ap = sk_g_avgpool(g, "ap", sp, 3, 3, 2, 2, SK_PAD_SAME); /* ceil(8/2) = 4 */
    CHECK_EQ_INT(g->nodes[ap].w, 4);
    int bn = sk_g_bn(g, "bn", ap, 1e-3f, 0.99f);
    CHECK_EQ_INT(g->nodes[bn].trainable_params, 14);
    CHECK_EQ_INT(g->nodes[bn].non_trainable_params, 14);
    int gp = sk_g_gap(g, "gp", bn, SK_GAP_KEEPDIMS);
    CHECK_EQ_INT(g->nodes[gp].rank, 4);
    CHECK_EQ_INT(g->nodes[gp].h, 1);
    int se = sk_g_conv2d(g, "se", gp, 7, 1, 1, 1, 1, SK_PAD_SAME, SK_BIAS, SK_ACT_SIGMOID);
    int mul = sk_g_multiply(g, "mul", bn, se);
    CHECK_EQ_INT(g->nodes[mul].h, 4);
    CHECK_EQ_INT(g->nodes[mul].c, 7);
    int rs = sk_g_reshape(g, "rs", gp, 1, 1, 7);
    CHECK_EQ_INT(g->nodes[rs].c, 7);
    int nm = sk_g_normalization(g, "nm", x);
    CHECK_EQ_INT(g->nodes[nm].non_trainable_params, 7); /* mean 3, variance 3, count 1 */
    CHECK_EQ_INT(g->nodes[nm].tensors[2].ndim, 0);
    int a = sk_g_gap(g, "a", mul, SK_GAP_FLAT);
    CHECK_EQ_INT(g->nodes[a].rank, 2);
    int cat_in[2] = {mul, bn};
    int cat = sk_g_concat(g, "cat", 2, cat_in);
    CHECK_EQ_INT(g->nodes[cat].c, 14);
    int d = sk_g_dense(g, "d", a, 3, SK_BIAS, SK_ACT_SOFTMAX);
    CHECK_EQ_INT(g->nodes[d].trainable_params, 7 * 3 + 3);
    CHECK_EQ_INT(g->nodes[d].rank, 2);
    CHECK_STR(sk_op_keras_class(g->nodes[cat].op), "Concatenate");
    CHECK_STR(sk_op_keras_class(g->nodes[gp].op), "GlobalAveragePooling2D");
    CHECK_EQ_INT(sk_graph_find(g, "mp"), mp);
    CHECK_EQ_INT(sk_graph_find(g, "nope"), -1);
    sk_graph_free(g);
}

/* A ResNet-like block. Creation order (as resnet.py writes it): the shortcut conv s_0 before the
 * residual branch a_1, a_2; Add([shortcut, x]). Keras's order: depth from the output
 * (dense 0, avg_pool 1, add 2, s_0 = a_2 = 3, a_relu 4, a_bn 5, a_1 6, r1 7, bn1 8, c1 9,
 * input 10); at depth 3 the DFS from the output meets s_0 first (Add's first input). */
static void test_keras_order_and_freeze(void)
{
    sk_graph *g = sk_graph_new("block");
    int x = sk_g_input(g, "input_1", 8, 8, 3);
    int c1 = sk_g_conv2d(g, "c1", x, 4, 3, 3, 2, 2, SK_PAD_SAME, SK_BIAS, SK_ACT_LINEAR);
    int bn1 = sk_g_bn(g, "bn1", c1, 1.001e-5f, 0.99f);
    int r1 = sk_g_act(g, "r1", bn1, SK_ACT_RELU);
    int s0 = sk_g_conv2d(g, "s_0", r1, 8, 1, 1, 1, 1, SK_PAD_SAME, SK_BIAS, SK_ACT_LINEAR);
    int a1 = sk_g_conv2d(g, "a_1", r1, 8, 1, 1, 1, 1, SK_PAD_SAME, SK_BIAS, SK_ACT_LINEAR);
    int abn = sk_g_bn(g, "a_bn", a1, 1.001e-5f, 0.99f);
    int ar = sk_g_act(g, "a_relu", abn, SK_ACT_RELU);
    int a2 = sk_g_conv2d(g, "a_2", ar, 8, 3, 3, 1, 1, SK_PAD_SAME, SK_BIAS, SK_ACT_LINEAR);
    int ins[2] = {s0, a2};
    int add = sk_g_add(g, "add", 2, ins);
    int gap = sk_g_gap(g, "avg_pool", add, SK_GAP_FLAT);
    int dense = sk_g_dense(g, "dense", gap, 2, SK_BIAS, SK_ACT_SOFTMAX);
    sk_graph_finalize(g);

    const char *expect[] = {"input_1", "c1", "bn1", "r1", "a_1", "a_bn", "a_relu",
                            "s_0",     "a_2", "add", "avg_pool", "dense"};
    const int depth[] = {10, 9, 8, 7, 6, 5, 4, 3, 3, 2, 1, 0};
    CHECK_EQ_INT(g->n, 12);
    for (int k = 0; k < 12; k++) {
        CHECK_STR(g->nodes[g->by_keras[k]].name, expect[k]);
        CHECK_EQ_INT(g->nodes[g->by_keras[k]].keras_index, k);
        CHECK_EQ_INT(g->nodes[g->by_keras[k]].depth, depth[k]);
    }
    /* params: c1 112, bn1 8+8 (4 channels), a_1 40, a_bn 16+16, a_2 584, s_0 40, dense 18 */
    CHECK_EQ_INT(sk_graph_total_params(g), 842);
    CHECK_EQ_INT(g->nparams, 818);
    CHECK_EQ_INT(g->nstate, 24);
    CHECK_EQ_INT(sk_graph_trainable_params(g), 818);
    CHECK_EQ_INT(sk_graph_trainable_layers(g), 12);
    /* layout: Keras order, packed; the head's variables are the tail of the slab */
    CHECK_EQ_INT(g->nodes[dense].tensors[0].offset, 818 - 18);
    CHECK_EQ_INT(g->nodes[dense].tensors[1].offset, 818 - 2);
    CHECK_EQ_INT(g->nodes[c1].tensors[0].offset, 0);
    CHECK((size_t)g->params % 64 == 0);
    const sk_node *b = &g->nodes[bn1];
    CHECK(g->params[b->tensors[0].offset] == 1.0f && g->params[b->tensors[1].offset] == 0.0f);
    CHECK(g->state[b->tensors[2].offset] == 0.0f && g->state[b->tensors[3].offset + 3] == 1.0f);
    CHECK_EQ_INT(b->tensors[3].is_state, 1);

    sk_graph_freeze(g, 3); /* dense, avg_pool, add */
    CHECK_EQ_INT(sk_graph_trainable_layers(g), 3);
    CHECK_EQ_INT(sk_graph_trainable_params(g), 18);
    CHECK(g->nodes[add].trainable && !g->nodes[a2].trainable);
    CHECK(g->nodes[dense].needs_grad && !g->nodes[gap].needs_grad && !g->nodes[add].needs_grad);
    sk_graph_freeze(g, 4); /* + a_2 */
    CHECK_EQ_INT(sk_graph_trainable_params(g), 18 + 584);
    CHECK(g->nodes[a2].needs_grad && g->nodes[add].needs_grad && g->nodes[gap].needs_grad);
    CHECK(!g->nodes[s0].needs_grad && !g->nodes[ar].needs_grad);
    sk_graph_freeze(g, 5); /* + s_0 */
    CHECK_EQ_INT(sk_graph_trainable_params(g), 18 + 584 + 40);
    CHECK(g->nodes[s0].needs_grad && !g->nodes[r1].needs_grad);
    sk_graph_freeze(g, 9); /* down to r1 (index 3): a parameter-free layer needs no grad */
    CHECK(g->nodes[r1].trainable && !g->nodes[r1].needs_grad && g->nodes[a1].needs_grad);
    sk_graph_freeze(g, 100);
    CHECK_EQ_INT(sk_graph_trainable_layers(g), 12);
    CHECK(g->nodes[x].trainable && !g->nodes[x].needs_grad && g->nodes[c1].needs_grad);
    sk_graph_freeze(g, 0);
    CHECK_EQ_INT(sk_graph_trainable_params(g), 0);
    CHECK(!g->nodes[dense].needs_grad);
    sk_graph_free(g);
}

/* finalize_layout: same order and counts, no slabs. */
static void test_layout_only(void)
{
    sk_graph *g = sk_graph_new("layout");
    int x = sk_g_input(g, "input_1", 4, 4, 2);
    x = sk_g_conv2d(g, "c", x, 3, 1, 1, 1, 1, SK_PAD_SAME, SK_BIAS, SK_ACT_LINEAR);
    x = sk_g_bn(g, "bn", x, 1e-3f, 0.99f);
    sk_graph_finalize_layout(g);
    CHECK(g->finalized && g->params == NULL && g->state == NULL);
    CHECK_EQ_INT(g->nparams, 2 * 3 + 3 + 6);
    CHECK_EQ_INT(g->nstate, 6);
    CHECK_EQ_INT(g->nodes[x].keras_index, 2);
    sk_graph_freeze(g, 1);
    CHECK_EQ_INT(sk_graph_trainable_params(g), 6);
    sk_graph_free(g);
}

int main(void)
{
    test_layout_only();
    test_shapes_and_counts();
    test_keras_order_and_freeze();
    return sk_test_finish();
}
