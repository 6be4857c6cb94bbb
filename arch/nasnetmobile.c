/* nasnetmobile.c: NASNetMobile as keras/applications/nasnet.py builds it, include_top=False
 * (penultimate_filters 1056, num_blocks 4, stem_block_filters 32, skip_reduction False,
 * filter_multiplier 2): stem, two stem reduction cells, 4 normal cells, reduction, 4 normal,
 * reduction, 4 normal, final ReLU. BN momentum 0.9997, epsilon 1e-3; no conv biases.
 * Invariant: layers are created in nasnet.py's call order, so the many auto-named layers
 * (activation_N, add_N, zero_padding2d_N, cropping2d_N, concatenate_N) get Keras's numbers. */
#include "arch.h"

#define EPS 1e-3f
#define MOM 0.9997f

static int relu_auto(sk_graph *g, int x)
{
    char b[SK_NAME_MAX];
    return sk_g_act(g, sk_arch_auto(b, g, "activation"), x, SK_ACT_RELU);
}

static int bn(sk_graph *g, const char *name, int x) { return sk_g_bn(g, name, x, EPS, MOM); }

static int separable_conv_block(sk_graph *g, int ip, int filters, int k, int stride,
                                const char *id)
{
    char b[SK_NAME_MAX];
    int x = relu_auto(g, ip);
    if (stride == 2) {
        int p[4];
        sk_arch_correct_pad(p, &g->nodes[x], k);
        x = sk_g_zeropad(g, sk_arch_nm(b, "separable_conv_1_pad_%s", id), x, p[0], p[1], p[2],
                         p[3]);
    }
    x = sk_g_sepconv2d(g, sk_arch_nm(b, "separable_conv_1_%s", id), x, filters, k, k, stride,
                       stride, stride != 2 ? SK_PAD_SAME : SK_PAD_VALID, SK_NO_BIAS);
    x = bn(g, sk_arch_nm(b, "separable_conv_1_bn_%s", id), x);
    x = relu_auto(g, x);
    x = sk_g_sepconv2d(g, sk_arch_nm(b, "separable_conv_2_%s", id), x, filters, k, k, 1, 1,
                       SK_PAD_SAME, SK_NO_BIAS);
    return bn(g, sk_arch_nm(b, "separable_conv_2_bn_%s", id), x);
}

/* Makes the previous cell's output p match ip's spatial size and `filters` channels. p < 0 means
 * "no previous cell" (then p = ip). */
static int adjust_block(sk_graph *g, int p, int ip, int filters, const char *id)
{
    char b[SK_NAME_MAX];
    if (p < 0) return ip;
    const sk_node *pn = &g->nodes[p], *in = &g->nodes[ip];
    if (pn->w != in->w) {
        p = sk_g_act(g, sk_arch_nm(b, "adjust_relu_1_%s", id), p, SK_ACT_RELU);
        int p1 =
            sk_g_avgpool(g, sk_arch_nm(b, "adjust_avg_pool_1_%s", id), p, 1, 1, 2, 2, SK_PAD_VALID);
        p1 = sk_g_conv2d(g, sk_arch_nm(b, "adjust_conv_1_%s", id), p1, filters / 2, 1, 1, 1, 1,
                         SK_PAD_SAME, SK_NO_BIAS, SK_ACT_LINEAR);
        int p2 = sk_g_zeropad(g, sk_arch_auto(b, g, "zero_padding2d"), p, 0, 1, 0, 1);
        p2 = sk_g_crop(g, sk_arch_auto(b, g, "cropping2d"), p2, 1, 0, 1, 0);
        p2 = sk_g_avgpool(g, sk_arch_nm(b, "adjust_avg_pool_2_%s", id), p2, 1, 1, 2, 2,
                          SK_PAD_VALID);
        p2 = sk_g_conv2d(g, sk_arch_nm(b, "adjust_conv_2_%s", id), p2, filters / 2, 1, 1, 1, 1,
                         SK_PAD_SAME, SK_NO_BIAS, SK_ACT_LINEAR);
        int ins[2] = {p1, p2};
        p = sk_g_concat(g, sk_arch_auto(b, g, "concatenate"), 2, ins);
        return bn(g, sk_arch_nm(b, "adjust_bn_%s", id), p);
    }
    if (pn->c != filters) {
        p = relu_auto(g, p);
        p = sk_g_conv2d(g, sk_arch_nm(b, "adjust_conv_projection_%s", id), p, filters, 1, 1, 1, 1,
                        SK_PAD_SAME, SK_NO_BIAS, SK_ACT_LINEAR);
        return bn(g, sk_arch_nm(b, "adjust_bn_%s", id), p);
    }
    return p;
}

static int add2(sk_graph *g, const char *name, int a, int c)
{
    int ins[2] = {a, c};
    return sk_g_add(g, name, 2, ins);
}

/* Returns the cell output; *prev receives the cell input (the next cell's p). */
static int normal_a_cell(sk_graph *g, int ip, int p, int filters, const char *id, int *prev)
{
    char b[SK_NAME_MAX], s[SK_NAME_MAX];
    p = adjust_block(g, p, ip, filters, id);
    int h = relu_auto(g, ip);
    h = sk_g_conv2d(g, sk_arch_nm(b, "normal_conv_1_%s", id), h, filters, 1, 1, 1, 1, SK_PAD_SAME,
                    SK_NO_BIAS, SK_ACT_LINEAR);
    h = bn(g, sk_arch_nm(b, "normal_bn_1_%s", id), h);

    int x1_1 = separable_conv_block(g, h, filters, 5, 1, sk_arch_nm(s, "normal_left1_%s", id));
    int x1_2 = separable_conv_block(g, p, filters, 3, 1, sk_arch_nm(s, "normal_right1_%s", id));
    int x1 = add2(g, sk_arch_nm(b, "normal_add_1_%s", id), x1_1, x1_2);

    int x2_1 = separable_conv_block(g, p, filters, 5, 1, sk_arch_nm(s, "normal_left2_%s", id));
    int x2_2 = separable_conv_block(g, p, filters, 3, 1, sk_arch_nm(s, "normal_right2_%s", id));
    int x2 = add2(g, sk_arch_nm(b, "normal_add_2_%s", id), x2_1, x2_2);

    int x3 = sk_g_avgpool(g, sk_arch_nm(b, "normal_left3_%s", id), h, 3, 3, 1, 1, SK_PAD_SAME);
    x3 = add2(g, sk_arch_nm(b, "normal_add_3_%s", id), x3, p);

    int x4_1 = sk_g_avgpool(g, sk_arch_nm(b, "normal_left4_%s", id), p, 3, 3, 1, 1, SK_PAD_SAME);
    int x4_2 = sk_g_avgpool(g, sk_arch_nm(b, "normal_right4_%s", id), p, 3, 3, 1, 1, SK_PAD_SAME);
    int x4 = add2(g, sk_arch_nm(b, "normal_add_4_%s", id), x4_1, x4_2);

    int x5 = separable_conv_block(g, h, filters, 3, 1, sk_arch_nm(s, "normal_left5_%s", id));
    x5 = add2(g, sk_arch_nm(b, "normal_add_5_%s", id), x5, h);

    int ins[6] = {p, x1, x2, x3, x4, x5};
    *prev = ip;
    return sk_g_concat(g, sk_arch_nm(b, "normal_concat_%s", id), 6, ins);
}

static int reduction_a_cell(sk_graph *g, int ip, int p, int filters, const char *id, int *prev)
{
    char b[SK_NAME_MAX], s[SK_NAME_MAX];
    p = adjust_block(g, p, ip, filters, id);
    int h = relu_auto(g, ip);
    h = sk_g_conv2d(g, sk_arch_nm(b, "reduction_conv_1_%s", id), h, filters, 1, 1, 1, 1,
                    SK_PAD_SAME, SK_NO_BIAS, SK_ACT_LINEAR);
    h = bn(g, sk_arch_nm(b, "reduction_bn_1_%s", id), h);
    int pad[4];
    sk_arch_correct_pad(pad, &g->nodes[h], 3);
    int h3 = sk_g_zeropad(g, sk_arch_nm(b, "reduction_pad_1_%s", id), h, pad[0], pad[1], pad[2],
                          pad[3]);

    int x1_1 = separable_conv_block(g, h, filters, 5, 2, sk_arch_nm(s, "reduction_left1_%s", id));
    int x1_2 = separable_conv_block(g, p, filters, 7, 2, sk_arch_nm(s, "reduction_right1_%s", id));
    int x1 = add2(g, sk_arch_nm(b, "reduction_add_1_%s", id), x1_1, x1_2);

    int x2_1 =
        sk_g_maxpool(g, sk_arch_nm(b, "reduction_left2_%s", id), h3, 3, 3, 2, 2, SK_PAD_VALID);
    int x2_2 = separable_conv_block(g, p, filters, 7, 2, sk_arch_nm(s, "reduction_right2_%s", id));
    int x2 = add2(g, sk_arch_nm(b, "reduction_add_2_%s", id), x2_1, x2_2);

    int x3_1 =
        sk_g_avgpool(g, sk_arch_nm(b, "reduction_left3_%s", id), h3, 3, 3, 2, 2, SK_PAD_VALID);
    int x3_2 = separable_conv_block(g, p, filters, 5, 2, sk_arch_nm(s, "reduction_right3_%s", id));
    int x3 = add2(g, sk_arch_nm(b, "reduction_add3_%s", id), x3_1, x3_2);

    int x4 = sk_g_avgpool(g, sk_arch_nm(b, "reduction_left4_%s", id), x1, 3, 3, 1, 1, SK_PAD_SAME);
    x4 = add2(g, sk_arch_auto(b, g, "add"), x2, x4);

    int x5_1 = separable_conv_block(g, x1, filters, 3, 1, sk_arch_nm(s, "reduction_left4_%s", id));
    int x5_2 =
        sk_g_maxpool(g, sk_arch_nm(b, "reduction_right5_%s", id), h3, 3, 3, 2, 2, SK_PAD_VALID);
    int x5 = add2(g, sk_arch_nm(b, "reduction_add4_%s", id), x5_1, x5_2);

    int ins[4] = {x2, x3, x4, x5};
    *prev = ip;
    return sk_g_concat(g, sk_arch_nm(b, "reduction_concat_%s", id), 4, ins);
}

int sk_build_nasnetmobile(sk_graph *g, int in)
{
    const int num_blocks = 4, mult = 2, filters = 1056 / 24;
    char id[SK_NAME_MAX];
    int x =
        sk_g_conv2d(g, "stem_conv1", in, 32, 3, 3, 2, 2, SK_PAD_VALID, SK_NO_BIAS, SK_ACT_LINEAR);
    x = bn(g, "stem_bn1", x);
    int p = -1, p0;
    x = reduction_a_cell(g, x, p, filters / (mult * mult), "stem_1", &p);
    x = reduction_a_cell(g, x, p, filters / mult, "stem_2", &p);
    for (int i = 0; i < num_blocks; i++)
        x = normal_a_cell(g, x, p, filters, sk_arch_nm(id, "%d", i), &p);
    x = reduction_a_cell(g, x, p, filters * mult, sk_arch_nm(id, "reduce_%d", num_blocks), &p0);
    p = p0;
    for (int i = 0; i < num_blocks; i++)
        x = normal_a_cell(g, x, p, filters * mult, sk_arch_nm(id, "%d", num_blocks + i + 1), &p);
    x = reduction_a_cell(g, x, p, filters * mult * mult,
                         sk_arch_nm(id, "reduce_%d", 2 * num_blocks), &p0);
    p = p0;
    for (int i = 0; i < num_blocks; i++)
        x = normal_a_cell(g, x, p, filters * mult * mult,
                          sk_arch_nm(id, "%d", 2 * num_blocks + i + 1), &p);
    return relu_auto(g, x);
}
