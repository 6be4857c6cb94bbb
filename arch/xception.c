/* xception.c: Xception as keras/applications/xception.py builds it, include_top=False: entry
 * flow with projection shortcuts (auto-named conv2d / batch_normalization / add layers), eight
 * middle-flow blocks, exit flow. BN uses Keras defaults (epsilon 1e-3, momentum 0.99). The
 * minimum input is 71x71. */
#include "arch.h"

#define EPS 1e-3f
#define MOM 0.99f

static int sep(sk_graph *g, int x, int filters, const char *name)
{
    return sk_g_sepconv2d(g, name, x, filters, 3, 3, 1, 1, SK_PAD_SAME, SK_NO_BIAS);
}

/* Projection shortcut: 1x1 stride-2 conv + BN, both auto-named. */
static int residual_proj(sk_graph *g, int x, int filters)
{
    char b[SK_NAME_MAX];
    int r = sk_g_conv2d(g, sk_arch_auto(b, g, "conv2d"), x, filters, 1, 1, 2, 2, SK_PAD_SAME,
                        SK_NO_BIAS, SK_ACT_LINEAR);
    return sk_g_bn(g, sk_arch_auto(b, g, "batch_normalization"), r, EPS, MOM);
}

static int add2(sk_graph *g, int a, int c)
{
    char b[SK_NAME_MAX];
    int ins[2] = {a, c};
    return sk_g_add(g, sk_arch_auto(b, g, "add"), 2, ins);
}

/* Entry-flow blocks 3 and 4 (block 2 has no leading activation). */
static int entry_block(sk_graph *g, int x, int filters, int blk, int first_act)
{
    char b[SK_NAME_MAX];
    int residual = residual_proj(g, x, filters);
    if (first_act) x = sk_g_act(g, sk_arch_nm(b, "block%d_sepconv1_act", blk), x, SK_ACT_RELU);
    x = sep(g, x, filters, sk_arch_nm(b, "block%d_sepconv1", blk));
    x = sk_g_bn(g, sk_arch_nm(b, "block%d_sepconv1_bn", blk), x, EPS, MOM);
    x = sk_g_act(g, sk_arch_nm(b, "block%d_sepconv2_act", blk), x, SK_ACT_RELU);
    x = sep(g, x, filters, sk_arch_nm(b, "block%d_sepconv2", blk));
    x = sk_g_bn(g, sk_arch_nm(b, "block%d_sepconv2_bn", blk), x, EPS, MOM);
    x = sk_g_maxpool(g, sk_arch_nm(b, "block%d_pool", blk), x, 3, 3, 2, 2, SK_PAD_SAME);
    return add2(g, x, residual);
}

int sk_build_xception(sk_graph *g, int in)
{
    char b[SK_NAME_MAX];
    int x =
        sk_g_conv2d(g, "block1_conv1", in, 32, 3, 3, 2, 2, SK_PAD_VALID, SK_NO_BIAS, SK_ACT_LINEAR);
    x = sk_g_bn(g, "block1_conv1_bn", x, EPS, MOM);
    x = sk_g_act(g, "block1_conv1_act", x, SK_ACT_RELU);
    x = sk_g_conv2d(g, "block1_conv2", x, 64, 3, 3, 1, 1, SK_PAD_VALID, SK_NO_BIAS, SK_ACT_LINEAR);
    x = sk_g_bn(g, "block1_conv2_bn", x, EPS, MOM);
    x = sk_g_act(g, "block1_conv2_act", x, SK_ACT_RELU);

    x = entry_block(g, x, 128, 2, 0);
    x = entry_block(g, x, 256, 3, 1);
    x = entry_block(g, x, 728, 4, 1);

    for (int i = 0; i < 8; i++) {
        int blk = i + 5;
        int residual = x;
        for (int k = 1; k <= 3; k++) {
            x = sk_g_act(g, sk_arch_nm(b, "block%d_sepconv%d_act", blk, k), x, SK_ACT_RELU);
            x = sep(g, x, 728, sk_arch_nm(b, "block%d_sepconv%d", blk, k));
            x = sk_g_bn(g, sk_arch_nm(b, "block%d_sepconv%d_bn", blk, k), x, EPS, MOM);
        }
        x = add2(g, x, residual);
    }

    int residual = residual_proj(g, x, 1024);
    x = sk_g_act(g, "block13_sepconv1_act", x, SK_ACT_RELU);
    x = sep(g, x, 728, "block13_sepconv1");
    x = sk_g_bn(g, "block13_sepconv1_bn", x, EPS, MOM);
    x = sk_g_act(g, "block13_sepconv2_act", x, SK_ACT_RELU);
    x = sep(g, x, 1024, "block13_sepconv2");
    x = sk_g_bn(g, "block13_sepconv2_bn", x, EPS, MOM);
    x = sk_g_maxpool(g, "block13_pool", x, 3, 3, 2, 2, SK_PAD_SAME);
    x = add2(g, x, residual);

    x = sep(g, x, 1536, "block14_sepconv1");
    x = sk_g_bn(g, "block14_sepconv1_bn", x, EPS, MOM);
    x = sk_g_act(g, "block14_sepconv1_act", x, SK_ACT_RELU);
    x = sep(g, x, 2048, "block14_sepconv2");
    x = sk_g_bn(g, "block14_sepconv2_bn", x, EPS, MOM);
    return sk_g_act(g, "block14_sepconv2_act", x, SK_ACT_RELU);
}
