/* resnet50.c: ResNet50 as keras/applications/resnet.py builds it (ResNet v1, use_bias=True,
 * stack1/block1, BN epsilon 1.001e-5, momentum 0.99), include_top=False.
 * Invariant: call order follows resnet.py, the shortcut branch before the residual branch. */
#include "arch.h"

#define EPS 1.001e-5f
#define MOM 0.99f

/* block1: bottleneck residual block; conv_shortcut selects a projection shortcut. */
static int block1(sk_graph *g, int x, int filters, int stride, int conv_shortcut,
                  const char *name)
{
    char b[SK_NAME_MAX];
    int shortcut = x;
    if (conv_shortcut) {
        shortcut = sk_g_conv2d(g, sk_arch_nm(b, "%s_0_conv", name), x, 4 * filters, 1, 1, stride,
                               stride, SK_PAD_VALID, SK_BIAS, SK_ACT_LINEAR);
        shortcut = sk_g_bn(g, sk_arch_nm(b, "%s_0_bn", name), shortcut, EPS, MOM);
    }
    x = sk_g_conv2d(g, sk_arch_nm(b, "%s_1_conv", name), x, filters, 1, 1, stride, stride,
                    SK_PAD_VALID, SK_BIAS, SK_ACT_LINEAR);
    x = sk_g_bn(g, sk_arch_nm(b, "%s_1_bn", name), x, EPS, MOM);
    x = sk_g_act(g, sk_arch_nm(b, "%s_1_relu", name), x, SK_ACT_RELU);
    x = sk_g_conv2d(g, sk_arch_nm(b, "%s_2_conv", name), x, filters, 3, 3, 1, 1, SK_PAD_SAME,
                    SK_BIAS, SK_ACT_LINEAR);
    x = sk_g_bn(g, sk_arch_nm(b, "%s_2_bn", name), x, EPS, MOM);
    x = sk_g_act(g, sk_arch_nm(b, "%s_2_relu", name), x, SK_ACT_RELU);
    x = sk_g_conv2d(g, sk_arch_nm(b, "%s_3_conv", name), x, 4 * filters, 1, 1, 1, 1, SK_PAD_VALID,
                    SK_BIAS, SK_ACT_LINEAR);
    x = sk_g_bn(g, sk_arch_nm(b, "%s_3_bn", name), x, EPS, MOM);
    int ins[2] = {shortcut, x};
    x = sk_g_add(g, sk_arch_nm(b, "%s_add", name), 2, ins);
    return sk_g_act(g, sk_arch_nm(b, "%s_out", name), x, SK_ACT_RELU);
}

static int stack1(sk_graph *g, int x, int filters, int blocks, int stride1, const char *name)
{
    char b[SK_NAME_MAX];
    x = block1(g, x, filters, stride1, 1, sk_arch_nm(b, "%s_block1", name));
    for (int i = 2; i <= blocks; i++) {
        char nb[SK_NAME_MAX];
        x = block1(g, x, filters, 1, 0, sk_arch_nm(nb, "%s_block%d", name, i));
    }
    return x;
}

int sk_build_resnet50(sk_graph *g, int in)
{
    int x = sk_g_zeropad(g, "conv1_pad", in, 3, 3, 3, 3);
    x = sk_g_conv2d(g, "conv1_conv", x, 64, 7, 7, 2, 2, SK_PAD_VALID, SK_BIAS, SK_ACT_LINEAR);
    x = sk_g_bn(g, "conv1_bn", x, EPS, MOM);
    x = sk_g_act(g, "conv1_relu", x, SK_ACT_RELU);
    x = sk_g_zeropad(g, "pool1_pad", x, 1, 1, 1, 1);
    x = sk_g_maxpool(g, "pool1_pool", x, 3, 3, 2, 2, SK_PAD_VALID);
    x = stack1(g, x, 64, 3, 1, "conv2");
    x = stack1(g, x, 128, 4, 2, "conv3");
    x = stack1(g, x, 256, 6, 2, "conv4");
    return stack1(g, x, 512, 3, 2, "conv5");
}
