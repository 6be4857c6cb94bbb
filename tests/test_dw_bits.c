// LABELS: unit
/* test_dw_bits.c: the depthwise forward's bit contract. sk_dwconv2d_forward must give, per output
 * value, exactly the float expression "bias (or +0.0f), then + in * k for every valid tap in
 * row-major (ki, kj) order" (multiply and add rounded separately), which is what the models'
 * recorded baselines were computed with. Compared bit for bit (memcmp) against that expression
 * written out naively here, on shapes that reach every path of the register-blocked kernel:
 * interior blocks of 4 pixels and borders, strides 1 and 2, 3x3 and 5x5, both paddings, rows
 * narrower than a block, channel counts below, at and off multiples of the vector width (1, 5, 16,
 * 17, 35, 48, 96, 144), with and without bias, and the EfficientNet shapes (strided 5x5 on 144
 * channels and so on), alone and in a batch; plus signed zeros (+0 bias, -0 products). */
#include "sk_core.h"
#include "sk_base.h"
#include "sk_test.h"

#include <stdlib.h>
#include <string.h>

static float *falloc(size_t n) { return sk_xmalloc_aligned((n ? n : 1) * sizeof(float)); }

static void fill(float *x, size_t n, uint64_t idx)
{
    sk_rng r = sk_rng_stream(11, SK_RNG_TEST, idx);
    for (size_t i = 0; i < n; i++) x[i] = -1.0f + 2.0f * sk_rng_uniformf(&r);
}

/* The contract, one output value at a time (float, same order as the kernel promises). */
static void dw_float_twin(float *out, const float *inp, const float *kernel, const float *bias,
                          const sk_conv_dims *d)
{
    const int C = d->c;
    for (int n = 0; n < d->n; n++)
        for (int oh = 0; oh < d->oh; oh++)
            for (int ow = 0; ow < d->ow; ow++)
                for (int c = 0; c < C; c++) {
                    float acc = bias ? bias[c] : 0.0f;
                    for (int ki = 0; ki < d->kh; ki++)
                        for (int kj = 0; kj < d->kw; kj++) {
                            int ih = oh * d->sh - d->pt + ki, iw = ow * d->sw - d->pl + kj;
                            if (ih < 0 || ih >= d->h || iw < 0 || iw >= d->w) continue;
                            float p = inp[(((size_t)n * d->h + ih) * d->w + iw) * C + c] *
                                      kernel[((size_t)ki * d->kw + kj) * C + c];
                            acc = acc + p;
                        }
                    out[(((size_t)n * d->oh + oh) * d->ow + ow) * C + c] = acc;
                }
}

typedef struct {
    int n, h, w, c, k, s, same, bias;
} dw_case;

static void check_case(const dw_case *k, size_t ci, int zeros)
{
    sk_conv_dims d = {.n = k->n, .h = k->h, .w = k->w, .c = k->c, .oc = k->c, .kh = k->k,
                      .kw = k->k, .sh = k->s, .sw = k->s};
    sk_conv_dims_pad(&d, k->same);
    size_t ni = (size_t)d.n * d.h * d.w * d.c, nk = (size_t)d.kh * d.kw * d.c;
    size_t no = (size_t)d.n * d.oh * d.ow * d.c;
    float *inp = falloc(ni), *ker = falloc(nk), *bias = falloc(d.c), *out = falloc(no),
          *twin = falloc(no), *one = falloc(no / d.n);
    fill(inp, ni, 100 + ci);
    fill(ker, nk, 200 + ci);
    fill(bias, d.c, 300 + ci);
    if (zeros) { /* -0 products onto a +0 bias: the sign of every zero is part of the bits */
        for (size_t i = 0; i < ni; i += 3) inp[i] = -0.0f;
        for (size_t i = 0; i < nk; i += 2) ker[i] = 0.0f;
        for (int c = 0; c < d.c; c += 2) bias[c] = 0.0f;
    }
    const float *b = k->bias ? bias : NULL;
    memset(out, 0xff, no * sizeof(float)); /* NaN: every output must be written */
    sk_dwconv2d_forward(out, inp, ker, b, &d);
    dw_float_twin(twin, inp, ker, b, &d);
    CHECKF(memcmp(out, twin, no * sizeof(float)) == 0,
           "dw case %zu (%dx%d c%d k%d s%d %s%s%s): forward bits differ from the float twin", ci,
           k->h, k->w, k->c, k->k, k->s, k->same ? "same" : "valid", k->bias ? " bias" : "",
           zeros ? " zeros" : "");
    /* the last image alone gives the bits it had in the batch */
    sk_conv_dims d1 = d;
    d1.n = 1;
    sk_dwconv2d_forward(one, inp + (size_t)(d.n - 1) * d.h * d.w * d.c, ker, b, &d1);
    CHECKF(memcmp(one, out + (size_t)(d.n - 1) * (no / d.n), no / d.n * sizeof(float)) == 0,
           "dw case %zu: an image alone differs from the same image in a batch", ci);
    free(inp);
    free(ker);
    free(bias);
    free(out);
    free(twin);
    free(one);
}

int main(void)
{
    static const dw_case cases[] = {
        {2, 9, 13, 16, 3, 1, 1, 1},  {1, 8, 12, 17, 3, 1, 1, 0},  {2, 11, 21, 35, 5, 1, 1, 1},
        {1, 12, 23, 48, 5, 2, 1, 1}, {2, 9, 17, 5, 3, 2, 1, 1},   {1, 7, 30, 1, 3, 1, 1, 1},
        {1, 10, 19, 32, 3, 1, 0, 1}, {1, 13, 27, 33, 5, 2, 0, 0}, {2, 3, 3, 48, 5, 1, 1, 1},
        {1, 2, 5, 16, 5, 2, 1, 1},   {1, 1, 1, 17, 3, 2, 1, 1},   {1, 4, 6, 16, 3, 2, 0, 1},
        {2, 16, 16, 96, 3, 2, 1, 1}, {1, 15, 15, 144, 5, 2, 1, 1}, {2, 17, 19, 144, 3, 1, 1, 1},
        {1, 8, 40, 64, 5, 1, 1, 1},  {1, 6, 41, 80, 3, 2, 1, 0},
    };
    for (size_t ci = 0; ci < SK_ARRAY_LEN(cases); ci++)
        for (int zeros = 0; zeros < 2; zeros++) check_case(&cases[ci], ci, zeros);
    return sk_test_finish();
}
