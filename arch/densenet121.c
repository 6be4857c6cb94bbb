/* densenet121.c: DenseNet121 as keras/applications/densenet.py builds it (blocks 6, 12, 24, 16,
 * growth rate 32, compression 0.5, no conv biases, BN epsilon 1.001e-5), include_top=False.
 * The two stem ZeroPadding2D layers carry Keras's automatic names. */
#include "arch.h"

#define EPS 1.001e-5f
#define MOM 0.99f

static int conv_block(sk_graph *g, int x, int growth, const char *name)
{
    char b[SK_NAME_MAX];
    int x1 = sk_g_bn(g, sk_arch_nm(b, "%s_0_bn", name), x, EPS, MOM);
    x1 = sk_g_act(g, sk_arch_nm(b, "%s_0_relu", name), x1, SK_ACT_RELU);
    x1 = sk_g_conv2d(g, sk_arch_nm(b, "%s_1_conv", name), x1, 4 * growth, 1, 1, 1, 1, SK_PAD_VALID,
                     SK_NO_BIAS, SK_ACT_LINEAR);
    x1 = sk_g_bn(g, sk_arch_nm(b, "%s_1_bn", name), x1, EPS, MOM);
    x1 = sk_g_act(g, sk_arch_nm(b, "%s_1_relu", name), x1, SK_ACT_RELU);
    x1 = sk_g_conv2d(g, sk_arch_nm(b, "%s_2_conv", name), x1, growth, 3, 3, 1, 1, SK_PAD_SAME,
                     SK_NO_BIAS, SK_ACT_LINEAR);
    int ins[2] = {x, x1};
    return sk_g_concat(g, sk_arch_nm(b, "%s_concat", name), 2, ins);
}

static int dense_block(sk_graph *g, int x, int blocks, const char *name)
{
    char b[SK_NAME_MAX];
    for (int i = 1; i <= blocks; i++) x = conv_block(g, x, 32, sk_arch_nm(b, "%s_block%d", name, i));
    return x;
}

static int transition_block(sk_graph *g, int x, const char *name)
{
    char b[SK_NAME_MAX];
    x = sk_g_bn(g, sk_arch_nm(b, "%s_bn", name), x, EPS, MOM);
    x = sk_g_act(g, sk_arch_nm(b, "%s_relu", name), x, SK_ACT_RELU);
    int c = (int)(g->nodes[x].c * 0.5);
    x = sk_g_conv2d(g, sk_arch_nm(b, "%s_conv", name), x, c, 1, 1, 1, 1, SK_PAD_VALID, SK_NO_BIAS,
                    SK_ACT_LINEAR);
    return sk_g_avgpool(g, sk_arch_nm(b, "%s_pool", name), x, 2, 2, 2, 2, SK_PAD_VALID);
}

int sk_build_densenet121(sk_graph *g, int in)
{
    char b[SK_NAME_MAX];
    int x = sk_g_zeropad(g, sk_arch_auto(b, g, "zero_padding2d"), in, 3, 3, 3, 3);
    x = sk_g_conv2d(g, "conv1/conv", x, 64, 7, 7, 2, 2, SK_PAD_VALID, SK_NO_BIAS, SK_ACT_LINEAR);
    x = sk_g_bn(g, "conv1/bn", x, EPS, MOM);
    x = sk_g_act(g, "conv1/relu", x, SK_ACT_RELU);
    x = sk_g_zeropad(g, sk_arch_auto(b, g, "zero_padding2d"), x, 1, 1, 1, 1);
    x = sk_g_maxpool(g, "pool1", x, 3, 3, 2, 2, SK_PAD_VALID);
    x = dense_block(g, x, 6, "conv2");
    x = transition_block(g, x, "pool2");
    x = dense_block(g, x, 12, "conv3");
    x = transition_block(g, x, "pool3");
    x = dense_block(g, x, 24, "conv4");
    x = transition_block(g, x, "pool4");
    x = dense_block(g, x, 16, "conv5");
    x = sk_g_bn(g, "bn", x, EPS, MOM);
    return sk_g_act(g, "relu", x, SK_ACT_RELU);
}
