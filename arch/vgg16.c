/* vgg16.c: VGG16 as keras/applications/vgg16.py builds it, include_top=False: five blocks of
 * 3x3 'same' ReLU convolutions with bias, each closed by a 2x2 stride-2 max pool. */
#include "arch.h"

int sk_build_vgg16(sk_graph *g, int in)
{
    static const int filters[5] = {64, 128, 256, 512, 512};
    static const int convs[5] = {2, 2, 3, 3, 3};
    char b[SK_NAME_MAX];
    int x = in;
    for (int blk = 0; blk < 5; blk++) {
        for (int i = 1; i <= convs[blk]; i++)
            x = sk_g_conv2d(g, sk_arch_nm(b, "block%d_conv%d", blk + 1, i), x, filters[blk], 3, 3,
                            1, 1, SK_PAD_SAME, SK_BIAS, SK_ACT_RELU);
        x = sk_g_maxpool(g, sk_arch_nm(b, "block%d_pool", blk + 1), x, 2, 2, 2, 2, SK_PAD_VALID);
    }
    return x;
}
