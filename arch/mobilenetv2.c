/* mobilenetv2.c: MobileNetV2 (alpha 1.0) as keras/applications/mobilenet_v2.py builds it,
 * include_top=False: inverted residual blocks with ReLU6, BN epsilon 1e-3 momentum 0.999,
 * correct_pad ZeroPadding2D before every stride-2 depthwise conv, _make_divisible widths. */
#include "arch.h"

#define EPS 1e-3f
#define MOM 0.999f
#define ALPHA 1.0

static int inverted_res_block(sk_graph *g, int inputs, int expansion, int stride, int filters,
                              int block_id)
{
    char b[SK_NAME_MAX], prefix[SK_NAME_MAX];
    int in_channels = g->nodes[inputs].c;
    int pointwise_filters = sk_arch_make_divisible((int)(filters * ALPHA), 8);
    int x = inputs;
    if (block_id) {
        sk_arch_nm(prefix, "block_%d_", block_id);
        x = sk_g_conv2d(g, sk_arch_nm(b, "%sexpand", prefix), x, expansion * in_channels, 1, 1, 1,
                        1, SK_PAD_SAME, SK_NO_BIAS, SK_ACT_LINEAR);
        x = sk_g_bn(g, sk_arch_nm(b, "%sexpand_BN", prefix), x, EPS, MOM);
        x = sk_g_relu(g, sk_arch_nm(b, "%sexpand_relu", prefix), x, 6.0f);
    } else {
        sk_arch_nm(prefix, "expanded_conv_");
    }
    if (stride == 2) {
        int p[4];
        sk_arch_correct_pad(p, &g->nodes[x], 3);
        x = sk_g_zeropad(g, sk_arch_nm(b, "%spad", prefix), x, p[0], p[1], p[2], p[3]);
    }
    x = sk_g_dwconv2d(g, sk_arch_nm(b, "%sdepthwise", prefix), x, 3, 3, stride, stride,
                      stride == 1 ? SK_PAD_SAME : SK_PAD_VALID, SK_NO_BIAS);
    x = sk_g_bn(g, sk_arch_nm(b, "%sdepthwise_BN", prefix), x, EPS, MOM);
    x = sk_g_relu(g, sk_arch_nm(b, "%sdepthwise_relu", prefix), x, 6.0f);
    x = sk_g_conv2d(g, sk_arch_nm(b, "%sproject", prefix), x, pointwise_filters, 1, 1, 1, 1,
                    SK_PAD_SAME, SK_NO_BIAS, SK_ACT_LINEAR);
    x = sk_g_bn(g, sk_arch_nm(b, "%sproject_BN", prefix), x, EPS, MOM);
    if (in_channels == pointwise_filters && stride == 1) {
        int ins[2] = {inputs, x};
        return sk_g_add(g, sk_arch_nm(b, "%sadd", prefix), 2, ins);
    }
    return x;
}

int sk_build_mobilenetv2(sk_graph *g, int in)
{
    /* (filters, stride, expansion) per block, block ids 0..16 */
    static const int cfg[17][3] = {{16, 1, 1},  {24, 2, 6},  {24, 1, 6},  {32, 2, 6},  {32, 1, 6},
                                   {32, 1, 6},  {64, 2, 6},  {64, 1, 6},  {64, 1, 6},  {64, 1, 6},
                                   {96, 1, 6},  {96, 1, 6},  {96, 1, 6},  {160, 2, 6}, {160, 1, 6},
                                   {160, 1, 6}, {320, 1, 6}};
    int first = sk_arch_make_divisible(32 * ALPHA, 8);
    int x = sk_g_conv2d(g, "Conv1", in, first, 3, 3, 2, 2, SK_PAD_SAME, SK_NO_BIAS, SK_ACT_LINEAR);
    x = sk_g_bn(g, "bn_Conv1", x, EPS, MOM);
    x = sk_g_relu(g, "Conv1_relu", x, 6.0f);
    for (int i = 0; i < 17; i++) x = inverted_res_block(g, x, cfg[i][2], cfg[i][1], cfg[i][0], i);
    int last = ALPHA > 1.0 ? sk_arch_make_divisible(1280 * ALPHA, 8) : 1280;
    x = sk_g_conv2d(g, "Conv_1", x, last, 1, 1, 1, 1, SK_PAD_VALID, SK_NO_BIAS, SK_ACT_LINEAR);
    x = sk_g_bn(g, "Conv_1_bn", x, EPS, MOM);
    return sk_g_relu(g, "out_relu", x, 6.0f);
}
