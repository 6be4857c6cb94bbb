/* efficientnetb2.c: EfficientNetB2 as keras/applications/efficientnet.py builds it (width 1.1,
 * depth 1.2, swish, drop-connect 0.2), include_top=False, weights=None: Rescaling(1/255) and
 * Normalization at the input, correct_pad ZeroPadding2D before stride-2 depthwise convs,
 * squeeze-excite with GlobalAveragePooling2D + Reshape + two 1x1 convs + Multiply, and
 * Dropout(noise_shape=(None,1,1,1)) before every identity Add with rate 0.2 * b / blocks.
 * BN uses Keras defaults (epsilon 1e-3, momentum 0.99). Not here: the tf.math.truediv layer
 * that weights='imagenet' adds in tf.keras 2.9 (the study's 340-layer model has none). */
#include "arch.h"

#include <math.h>

#define EPS 1e-3f
#define MOM 0.99f
#define WIDTH 1.1
#define DEPTH 1.2
#define DROP_CONNECT 0.2

typedef struct {
    int kernel, repeats, filters_in, filters_out, expand, strides;
} block_args;

static const block_args blocks_args[7] = {
    {3, 1, 32, 16, 1, 1},  {3, 2, 16, 24, 6, 2},   {5, 2, 24, 40, 6, 2},  {3, 3, 40, 80, 6, 2},
    {5, 3, 80, 112, 6, 1}, {5, 4, 112, 192, 6, 2}, {3, 1, 192, 320, 6, 1},
};

static int round_filters(int filters)
{
    double f = filters * WIDTH;
    int nf = (int)(f + 8 / 2.0) / 8 * 8;
    if (nf < 8) nf = 8;
    if (nf < 0.9 * f) nf += 8;
    return nf;
}

static int round_repeats(int repeats) { return (int)ceil(DEPTH * repeats); }

static int block(sk_graph *g, int inputs, double drop_rate, const char *name, int filters_in,
                 int filters_out, int kernel, int strides, int expand)
{
    char b[SK_NAME_MAX];
    int filters = filters_in * expand;
    int x = inputs;
    if (expand != 1) {
        x = sk_g_conv2d(g, sk_arch_nm(b, "%sexpand_conv", name), x, filters, 1, 1, 1, 1,
                        SK_PAD_SAME, SK_NO_BIAS, SK_ACT_LINEAR);
        x = sk_g_bn(g, sk_arch_nm(b, "%sexpand_bn", name), x, EPS, MOM);
        x = sk_g_act(g, sk_arch_nm(b, "%sexpand_activation", name), x, SK_ACT_SWISH);
    }
    if (strides == 2) {
        int p[4];
        sk_arch_correct_pad(p, &g->nodes[x], kernel);
        x = sk_g_zeropad(g, sk_arch_nm(b, "%sdwconv_pad", name), x, p[0], p[1], p[2], p[3]);
    }
    x = sk_g_dwconv2d(g, sk_arch_nm(b, "%sdwconv", name), x, kernel, kernel, strides, strides,
                      strides != 2 ? SK_PAD_SAME : SK_PAD_VALID, SK_NO_BIAS);
    x = sk_g_bn(g, sk_arch_nm(b, "%sbn", name), x, EPS, MOM);
    x = sk_g_act(g, sk_arch_nm(b, "%sactivation", name), x, SK_ACT_SWISH);

    int filters_se = (int)(filters_in * 0.25);
    if (filters_se < 1) filters_se = 1;
    int se = sk_g_gap(g, sk_arch_nm(b, "%sse_squeeze", name), x, SK_GAP_FLAT);
    se = sk_g_reshape(g, sk_arch_nm(b, "%sse_reshape", name), se, 1, 1, filters);
    se = sk_g_conv2d(g, sk_arch_nm(b, "%sse_reduce", name), se, filters_se, 1, 1, 1, 1, SK_PAD_SAME,
                     SK_BIAS, SK_ACT_SWISH);
    se = sk_g_conv2d(g, sk_arch_nm(b, "%sse_expand", name), se, filters, 1, 1, 1, 1, SK_PAD_SAME,
                     SK_BIAS, SK_ACT_SIGMOID);
    x = sk_g_multiply(g, sk_arch_nm(b, "%sse_excite", name), x, se);

    x = sk_g_conv2d(g, sk_arch_nm(b, "%sproject_conv", name), x, filters_out, 1, 1, 1, 1,
                    SK_PAD_SAME, SK_NO_BIAS, SK_ACT_LINEAR);
    x = sk_g_bn(g, sk_arch_nm(b, "%sproject_bn", name), x, EPS, MOM);
    if (strides == 1 && filters_in == filters_out) {
        if (drop_rate > 0)
            x = sk_g_dropout(g, sk_arch_nm(b, "%sdrop", name), x, (float)drop_rate,
                             SK_DROPOUT_SAMPLES);
        int ins[2] = {x, inputs};
        x = sk_g_add(g, sk_arch_nm(b, "%sadd", name), 2, ins);
    }
    return x;
}

int sk_build_efficientnetb2(sk_graph *g, int in)
{
    char b[SK_NAME_MAX];
    int x = sk_g_rescaling(g, "rescaling", in, (float)(1.0 / 255.0), 0.0f);
    x = sk_g_normalization(g, "normalization", x);
    int p[4];
    sk_arch_correct_pad(p, &g->nodes[x], 3);
    x = sk_g_zeropad(g, "stem_conv_pad", x, p[0], p[1], p[2], p[3]);
    x = sk_g_conv2d(g, "stem_conv", x, round_filters(32), 3, 3, 2, 2, SK_PAD_VALID, SK_NO_BIAS,
                    SK_ACT_LINEAR);
    x = sk_g_bn(g, "stem_bn", x, EPS, MOM);
    x = sk_g_act(g, "stem_activation", x, SK_ACT_SWISH);

    int total = 0;
    for (int i = 0; i < 7; i++) total += round_repeats(blocks_args[i].repeats);
    int bidx = 0;
    for (int i = 0; i < 7; i++) {
        const block_args *a = &blocks_args[i];
        int fin = round_filters(a->filters_in), fout = round_filters(a->filters_out);
        int strides = a->strides;
        int reps = round_repeats(a->repeats);
        for (int j = 0; j < reps; j++) {
            if (j > 0) {
                strides = 1;
                fin = fout;
            }
            x = block(g, x, DROP_CONNECT * bidx / (double)total,
                      sk_arch_nm(b, "block%d%c_", i + 1, 'a' + j), fin, fout, a->kernel, strides,
                      a->expand);
            bidx++;
        }
    }
    x = sk_g_conv2d(g, "top_conv", x, round_filters(1280), 1, 1, 1, 1, SK_PAD_SAME, SK_NO_BIAS,
                    SK_ACT_LINEAR);
    x = sk_g_bn(g, "top_bn", x, EPS, MOM);
    return sk_g_act(g, "top_activation", x, SK_ACT_SWISH);
}
