// LABELS: unit
/* test_ops_ref.c: every fast op kernel against its naive _ref twin on random shapes (odd sizes,
 * strides 1/2, both paddings, 1x1 .. 7x7 and 1x7/7x1, with/without bias, NULL gradient
 * combinations, accumulation into non-zero gradients), plus known answers computed by hand:
 * TF 'same' padding table, a tiny convolution, a BN training step with its moving update,
 * weighted cross-entropy in both modes, average/max pooling at the edges, dropout masks; and
 * thread-count independence of the kernels that reduce without BLAS. */
#include "sk_core.h"
#include "sk_base.h"
#include "sk_test.h"

#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static float *falloc(size_t n) { return sk_xmalloc_aligned((n ? n : 1) * sizeof(float)); }

static void fill(float *x, size_t n, uint64_t idx, float lo, float hi)
{
    sk_rng r = sk_rng_stream(7, SK_RNG_TEST, idx);
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * sk_rng_uniformf(&r);
}

/* max |a-b| / max |b| (relative to the largest magnitude of the reference) */
static double relerr(const float *a, const float *b, size_t n)
{
    double mx = 0.0, worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (fabs(b[i]) > mx) mx = fabs(b[i]);
        double d = fabs((double)a[i] - b[i]);
        if (isnan(d)) return INFINITY;
        if (d > worst) worst = d;
    }
    return mx > 0 ? worst / mx : worst;
}

#define TOL 2e-5

typedef struct {
    int n, h, w, c, oc, kh, kw, s, same, bias;
} conv_case;

static sk_conv_dims dims_of(const conv_case *k)
{
    sk_conv_dims d = {.n = k->n, .h = k->h, .w = k->w, .c = k->c, .oc = k->oc,
                      .kh = k->kh, .kw = k->kw, .sh = k->s, .sw = k->s};
    sk_conv_dims_pad(&d, k->same);
    return d;
}

static void test_conv_vs_ref(void)
{
    static const conv_case cases[] = {
        {2, 7, 9, 3, 5, 3, 3, 2, 1, 1},    {1, 8, 8, 4, 6, 3, 3, 2, 1, 0},
        {3, 5, 6, 2, 3, 1, 1, 1, 0, 1},    {2, 9, 7, 3, 4, 1, 1, 2, 1, 0},
        {1, 11, 10, 3, 2, 5, 5, 1, 1, 1},  {2, 13, 12, 3, 4, 7, 7, 2, 1, 1},
        {2, 6, 6, 8, 8, 3, 3, 1, 0, 0},    {2, 9, 9, 4, 5, 1, 7, 1, 1, 1},
        {1, 9, 8, 4, 3, 7, 1, 1, 1, 0},    {2, 10, 11, 5, 7, 3, 3, 2, 0, 1},
        {1, 1, 1, 16, 9, 1, 1, 1, 1, 1},   {3, 64, 64, 40, 2, 3, 3, 1, 1, 1}, /* > 1 chunk */
        {2, 5, 5, 3, 4, 5, 5, 1, 0, 1},    {1, 7, 7, 2, 3, 3, 3, 2, 0, 0},
        {2, 2, 2, 8, 4, 3, 3, 1, 1, 1},    {1, 1, 1, 4, 3, 3, 3, 2, 1, 0}, /* kernel > input */
    };
    for (size_t ci = 0; ci < SK_ARRAY_LEN(cases); ci++) {
        const conv_case *k = &cases[ci];
        sk_conv_dims d = dims_of(k);
        size_t ni = (size_t)d.n * d.h * d.w * d.c, nk = (size_t)d.kh * d.kw * d.c * d.oc;
        size_t no = (size_t)d.n * d.oh * d.ow * d.oc;
        float *inp = falloc(ni), *ker = falloc(nk), *bias = falloc(d.oc), *out = falloc(no),
              *outr = falloc(no), *dout = falloc(no), *work = falloc(sk_conv2d_workspace(&d));
        float *di = falloc(ni), *dir = falloc(ni), *dk = falloc(nk), *dkr = falloc(nk),
              *db = falloc(d.oc), *dbr = falloc(d.oc);
        fill(inp, ni, ci * 16 + 1, -1, 1);
        fill(ker, nk, ci * 16 + 2, -1, 1);
        fill(bias, d.oc, ci * 16 + 3, -1, 1);
        fill(dout, no, ci * 16 + 4, -1, 1);
        const float *b = k->bias ? bias : NULL;
        sk_conv2d_forward(out, inp, ker, b, &d, work);
        sk_conv2d_forward_ref(outr, inp, ker, b, &d);
        double e = relerr(out, outr, no);
        CHECKF(e < TOL, "conv case %zu forward: rel err %.3g", ci, e);
        /* all gradients, then a subset, each accumulating into random initial values */
        int masks[2] = {7, (int)(ci % 7)};
        for (int mi = 0; mi < 2; mi++) {
            int m = masks[mi];
            fill(di, ni, 1000 + ci, -1, 1);
            fill(dk, nk, 2000 + ci, -1, 1);
            fill(db, d.oc, 3000 + ci, -1, 1);
            memcpy(dir, di, ni * sizeof(float));
            memcpy(dkr, dk, nk * sizeof(float));
            memcpy(dbr, db, d.oc * sizeof(float));
            sk_conv2d_backward(m & 1 ? di : NULL, m & 2 ? dk : NULL, m & 4 ? db : NULL, dout, inp,
                               ker, &d, work);
            sk_conv2d_backward_ref(m & 1 ? dir : NULL, m & 2 ? dkr : NULL, m & 4 ? dbr : NULL,
                                   dout, inp, ker, &d);
            e = relerr(di, dir, ni);
            CHECKF(e < TOL, "conv case %zu mask %d dinp: rel err %.3g", ci, m, e);
            e = relerr(dk, dkr, nk);
            CHECKF(e < TOL, "conv case %zu mask %d dkernel: rel err %.3g", ci, m, e);
            e = relerr(db, dbr, d.oc);
            CHECKF(e < TOL, "conv case %zu mask %d dbias: rel err %.3g", ci, m, e);
        }
        free(inp); free(ker); free(bias); free(out); free(outr); free(dout); free(work);
        free(di); free(dir); free(dk); free(dkr); free(db); free(dbr);
    }
}

static void test_dwconv_vs_ref(void)
{
    static const conv_case cases[] = {
        {2, 7, 9, 3, 3, 3, 3, 2, 1, 1},   {1, 8, 8, 37, 37, 3, 3, 2, 1, 0},
        {2, 11, 10, 5, 5, 5, 5, 1, 1, 1}, {2, 12, 13, 40, 40, 5, 5, 2, 1, 1},
        {1, 6, 6, 8, 8, 3, 3, 1, 0, 0},   {2, 9, 9, 4, 4, 7, 7, 1, 1, 1},
        {3, 10, 7, 66, 66, 3, 3, 1, 1, 1}, {1, 9, 9, 3, 3, 3, 3, 2, 0, 1},
        {2, 2, 2, 48, 48, 5, 5, 1, 1, 1}, {1, 1, 1, 17, 17, 3, 3, 2, 1, 1}, /* kernel > input */
    };
    for (size_t ci = 0; ci < SK_ARRAY_LEN(cases); ci++) {
        const conv_case *k = &cases[ci];
        sk_conv_dims d = {.n = k->n, .h = k->h, .w = k->w, .c = k->c, .oc = k->c,
                          .kh = k->kh, .kw = k->kw, .sh = k->s, .sw = k->s};
        sk_conv_dims_pad(&d, k->same);
        size_t ni = (size_t)d.n * d.h * d.w * d.c, nk = (size_t)d.kh * d.kw * d.c;
        size_t no = (size_t)d.n * d.oh * d.ow * d.c;
        float *inp = falloc(ni), *ker = falloc(nk), *bias = falloc(d.c), *out = falloc(no),
              *outr = falloc(no), *dout = falloc(no);
        float *di = falloc(ni), *dir = falloc(ni), *dk = falloc(nk), *dkr = falloc(nk),
              *db = falloc(d.c), *dbr = falloc(d.c);
        fill(inp, ni, 500 + ci, -1, 1);
        fill(ker, nk, 600 + ci, -1, 1);
        fill(bias, d.c, 700 + ci, -1, 1);
        fill(dout, no, 800 + ci, -1, 1);
        const float *b = k->bias ? bias : NULL;
        sk_dwconv2d_forward(out, inp, ker, b, &d);
        sk_dwconv2d_forward_ref(outr, inp, ker, b, &d);
        double e = relerr(out, outr, no);
        CHECKF(e < TOL, "dwconv case %zu forward: rel err %.3g", ci, e);
        int masks[2] = {7, (int)((ci + 3) % 7)};
        for (int mi = 0; mi < 2; mi++) {
            int m = masks[mi];
            fill(di, ni, 1100 + ci, -1, 1);
            fill(dk, nk, 1200 + ci, -1, 1);
            fill(db, d.c, 1300 + ci, -1, 1);
            memcpy(dir, di, ni * sizeof(float));
            memcpy(dkr, dk, nk * sizeof(float));
            memcpy(dbr, db, d.c * sizeof(float));
            sk_dwconv2d_backward(m & 1 ? di : NULL, m & 2 ? dk : NULL, m & 4 ? db : NULL, dout,
                                 inp, ker, &d);
            sk_dwconv2d_backward_ref(m & 1 ? dir : NULL, m & 2 ? dkr : NULL, m & 4 ? dbr : NULL,
                                     dout, inp, ker, &d);
            e = relerr(di, dir, ni);
            CHECKF(e < TOL, "dwconv case %zu mask %d dinp: rel err %.3g", ci, m, e);
            e = relerr(dk, dkr, nk);
            CHECKF(e < TOL, "dwconv case %zu mask %d dkernel: rel err %.3g", ci, m, e);
            e = relerr(db, dbr, d.c);
            CHECKF(e < TOL, "dwconv case %zu mask %d dbias: rel err %.3g", ci, m, e);
        }
        free(inp); free(ker); free(bias); free(out); free(outr); free(dout);
        free(di); free(dir); free(dk); free(dkr); free(db); free(dbr);
    }
}

static void test_dense_vs_ref(void)
{
    static const int cases[][4] = {{1, 1, 1, 1}, {3, 7, 5, 0}, {32, 129, 3, 1}, {5, 64, 100, 1}};
    for (size_t ci = 0; ci < SK_ARRAY_LEN(cases); ci++) {
        int n = cases[ci][0], c = cases[ci][1], oc = cases[ci][2];
        size_t ni = (size_t)n * c, nk = (size_t)c * oc, no = (size_t)n * oc;
        float *inp = falloc(ni), *ker = falloc(nk), *bias = falloc(oc), *out = falloc(no),
              *outr = falloc(no), *dout = falloc(no), *di = falloc(ni), *dir = falloc(ni),
              *dk = falloc(nk), *dkr = falloc(nk), *db = falloc(oc), *dbr = falloc(oc);
        fill(inp, ni, 900 + ci, -1, 1);
        fill(ker, nk, 910 + ci, -1, 1);
        fill(bias, oc, 920 + ci, -1, 1);
        fill(dout, no, 930 + ci, -1, 1);
        const float *b = cases[ci][3] ? bias : NULL;
        sk_dense_forward(out, inp, ker, b, n, c, oc);
        sk_dense_forward_ref(outr, inp, ker, b, n, c, oc);
        double e = relerr(out, outr, no);
        CHECKF(e < TOL, "dense case %zu forward: rel err %.3g", ci, e);
        for (int m = 1; m < 8; m += 3) {
            fill(di, ni, 940 + ci, -1, 1);
            fill(dk, nk, 950 + ci, -1, 1);
            fill(db, oc, 960 + ci, -1, 1);
            memcpy(dir, di, ni * sizeof(float));
            memcpy(dkr, dk, nk * sizeof(float));
            memcpy(dbr, db, oc * sizeof(float));
            sk_dense_backward(m & 1 ? di : NULL, m & 2 ? dk : NULL, m & 4 ? db : NULL, dout, inp,
                              ker, n, c, oc);
            sk_dense_backward_ref(m & 1 ? dir : NULL, m & 2 ? dkr : NULL, m & 4 ? dbr : NULL,
                                  dout, inp, ker, n, c, oc);
            e = relerr(di, dir, ni) + relerr(dk, dkr, nk) + relerr(db, dbr, oc);
            CHECKF(e < TOL, "dense case %zu mask %d backward: rel err %.3g", ci, m, e);
        }
        free(inp); free(ker); free(bias); free(out); free(outr); free(dout);
        free(di); free(dir); free(dk); free(dkr); free(db); free(dbr);
    }
}

static void test_bn_vs_ref(void)
{
    static const int cases[][2] = {{4, 1}, {37, 3}, {300, 70}, {64, 33}};
    for (size_t ci = 0; ci < SK_ARRAY_LEN(cases); ci++) {
        size_t m = (size_t)cases[ci][0];
        int c = cases[ci][1];
        size_t n = m * c;
        float *x = falloc(n), *g = falloc(c), *b = falloc(c), *o = falloc(n), *or = falloc(n),
              *mu = falloc(c), *mur = falloc(c), *v = falloc(c), *vr = falloc(c),
              *is = falloc(c), *isr = falloc(c), *dy = falloc(n), *dx = falloc(n),
              *dxr = falloc(n), *dg = falloc(c), *dgr = falloc(c), *dbt = falloc(c),
              *dbtr = falloc(c);
        fill(x, n, 1400 + ci, -2, 3);
        fill(g, c, 1410 + ci, 0.5f, 1.5f);
        fill(b, c, 1420 + ci, -1, 1);
        fill(dy, n, 1430 + ci, -1, 1);
        sk_bn_forward_train(o, mu, v, is, x, g, b, m, c, 1e-3f);
        sk_bn_forward_train_ref(or, mur, vr, isr, x, g, b, m, c, 1e-3f);
        double e = relerr(o, or, n) + relerr(mu, mur, c) + relerr(v, vr, c) + relerr(is, isr, c);
        CHECKF(e < TOL, "bn case %zu forward: rel err %.3g", ci, e);
        fill(dx, n, 1440 + ci, -1, 1);
        fill(dg, c, 1450 + ci, -1, 1);
        fill(dbt, c, 1460 + ci, -1, 1);
        memcpy(dxr, dx, n * sizeof(float));
        memcpy(dgr, dg, c * sizeof(float));
        memcpy(dbtr, dbt, c * sizeof(float));
        sk_bn_backward_train(dx, dg, dbt, dy, x, mu, is, g, m, c);
        sk_bn_backward_train_ref(dxr, dgr, dbtr, dy, x, mu, is, g, m, c);
        e = relerr(dx, dxr, n) + relerr(dg, dgr, c) + relerr(dbt, dbtr, c);
        CHECKF(e < TOL, "bn case %zu backward: rel err %.3g", ci, e);
        free(x); free(g); free(b); free(o); free(or); free(mu); free(mur); free(v); free(vr);
        free(is); free(isr); free(dy); free(dx); free(dxr); free(dg); free(dgr); free(dbt);
        free(dbtr);
    }
}

static void test_same_padding_table(void)
{
    /* in, k, s, same -> out, pad top (bottom = total - top) */
    static const int t[][7] = {
        {7, 3, 2, 1, 4, 1, 1},     {8, 3, 2, 1, 4, 0, 1},   {224, 7, 2, 1, 112, 2, 3},
        {225, 7, 2, 1, 113, 3, 3}, {5, 1, 1, 1, 5, 0, 0},   {2, 3, 1, 1, 2, 1, 1},
        {1, 3, 2, 1, 1, 1, 1},     {112, 3, 2, 1, 56, 0, 1}, {7, 3, 2, 0, 3, 0, 0},
        {224, 7, 2, 0, 109, 0, 0}, {299, 3, 2, 0, 149, 0, 0}, {17, 5, 1, 1, 17, 2, 2},
    };
    for (size_t i = 0; i < SK_ARRAY_LEN(t); i++) {
        sk_conv_dims d = {.n = 1, .h = t[i][0], .w = t[i][0], .c = 1, .oc = 1, .kh = t[i][1],
                          .kw = t[i][1], .sh = t[i][2], .sw = t[i][2]};
        sk_conv_dims_pad(&d, t[i][3]);
        int bottom = (d.oh - 1) * d.sh + d.kh - d.h - d.pt;
        if (!t[i][3]) bottom = 0;
        CHECKF(d.oh == t[i][4] && d.ow == t[i][4] && d.pt == t[i][5] && d.pl == t[i][5] &&
                   bottom == t[i][6],
               "padding in %d k %d s %d same %d: out %d pad %d/%d, expected %d pad %d/%d",
               t[i][0], t[i][1], t[i][2], t[i][3], d.oh, d.pt, bottom, t[i][4], t[i][5], t[i][6]);
    }
    /* asymmetric strides and kernels (Inception's 1x7 / 7x1) */
    sk_conv_dims d = {.n = 1, .h = 17, .w = 8, .c = 1, .oc = 1, .kh = 1, .kw = 7, .sh = 1, .sw = 2};
    sk_conv_dims_pad(&d, 1);
    CHECK(d.oh == 17 && d.pt == 0 && d.ow == 4 && d.pl == 2);
}

static void test_tiny_conv_by_hand(void)
{
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, out[4], work[64];
    float k2[4] = {1, 2, 3, 4}, bias = 0.5f;
    sk_conv_dims d = {.n = 1, .h = 3, .w = 3, .c = 1, .oc = 1, .kh = 2, .kw = 2, .sh = 1, .sw = 1};
    sk_conv_dims_pad(&d, 0);
    CHECK(sk_conv2d_workspace(&d) <= 64);
    sk_conv2d_forward(out, x, k2, &bias, &d, work);
    CHECK_NEAR(out[0], 37.5, 1e-6);
    CHECK_NEAR(out[1], 47.5, 1e-6);
    CHECK_NEAR(out[2], 67.5, 1e-6);
    CHECK_NEAR(out[3], 77.5, 1e-6);
    /* 3x3 ones, stride 2, 'same' on 3x3: pad 1 top/left, windows clipped by the padding */
    float ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    sk_conv_dims e = {.n = 1, .h = 3, .w = 3, .c = 1, .oc = 1, .kh = 3, .kw = 3, .sh = 2, .sw = 2};
    sk_conv_dims_pad(&e, 1);
    CHECK(e.oh == 2 && e.pt == 1);
    CHECK(sk_conv2d_workspace(&e) <= 64);
    sk_conv2d_forward(out, x, ones, NULL, &e, work);
    CHECK_NEAR(out[0], 12, 1e-6);
    CHECK_NEAR(out[1], 16, 1e-6);
    CHECK_NEAR(out[2], 24, 1e-6);
    CHECK_NEAR(out[3], 28, 1e-6);
    /* backward of the first conv: dkernel = sum of input windows weighted by dout = 1 */
    float dout[4] = {1, 1, 1, 1}, dk[4] = {0}, dx[9] = {0}, db = 0;
    sk_conv2d_backward(dx, dk, &db, dout, x, k2, &d, work);
    CHECK_NEAR(dk[0], 1 + 2 + 4 + 5, 1e-6);
    CHECK_NEAR(dk[3], 5 + 6 + 8 + 9, 1e-6);
    CHECK_NEAR(db, 4, 1e-6);
    CHECK_NEAR(dx[4], 1 + 2 + 3 + 4, 1e-6); /* the centre pixel is in all four windows */
    CHECK_NEAR(dx[0], 1, 1e-6);
    CHECK_NEAR(dx[8], 4, 1e-6);
    /* accumulation: a second backward doubles everything */
    sk_conv2d_backward(dx, dk, &db, dout, x, k2, &d, work);
    CHECK_NEAR(dk[0], 24, 1e-6);
    CHECK_NEAR(db, 8, 1e-6);
    CHECK_NEAR(dx[4], 20, 1e-6);
}

static void test_bn_by_hand(void)
{
    /* m = 4, one channel: x = 1 2 3 6 -> mean 3, biased var 14/4 = 3.5 */
    float x[4] = {1, 2, 3, 6}, out[4], mean, var, invstd, gamma = 2.0f, beta = 0.5f;
    sk_bn_forward_train(out, &mean, &var, &invstd, x, &gamma, &beta, 4, 1, 1e-3f);
    CHECK_NEAR(mean, 3.0, 1e-7);
    CHECK_NEAR(var, 3.5, 1e-6);
    CHECK_NEAR(invstd, 1.0 / sqrt(3.501), 1e-7);
    CHECK_NEAR(out[0], -2.0 * 2.0 / sqrt(3.501) + 0.5, 1e-6);
    CHECK_NEAR(out[3], 3.0 * 2.0 / sqrt(3.501) + 0.5, 1e-6);
    float mm = 0.0f, mv = 1.0f;
    sk_bn_update_moving(&mm, &mv, &mean, &var, 4, 1, 0.99f);
    CHECK_NEAR(mm, 0.03, 1e-7);                      /* 0 * 0.99 + 3 * 0.01 */
    CHECK_NEAR(mv, 0.99 + 3.5 * 4.0 / 3.0 * 0.01, 1e-6); /* Bessel: 14/3, = 1.0366667 */
    CHECK_NEAR(mv, 1.0366667, 1e-6);
    /* Keras's factor float32(1.0 - 0.999), not 1 - 0.999f (off by 1.3e-5, found by the TF.js
     * conformance harness), and TF's float expression, bit for bit */
    CHECK(sk_bn_avg_factor(0.999f) == 0.001f);
    CHECK(sk_bn_avg_factor(0.99f) == 0.01f);
    CHECK(sk_bn_avg_factor(0.9997f) == (float)(1.0 - 0.9997));
    CHECK(sk_bn_avg_factor(0.999f) != 1.0f - 0.999f);
    float m2 = 0.5f, v2 = 2.0f, bm = 0.25f, bv = 3.0f;
    sk_bn_update_moving(&m2, &v2, &bm, &bv, 16, 1, 0.999f);
    CHECK(m2 == (1.0f - 0.001f) * 0.5f + 0.001f * 0.25f);
    CHECK(v2 == (1.0f - 0.001f) * 2.0f + 0.001f * 3.0f * (16.0f / 15.0f));
    /* inference uses the moving statistics */
    float oi[4];
    sk_bn_forward_infer(oi, x, &gamma, &beta, &mm, &mv, 4, 1, 1e-3f);
    CHECK_NEAR(oi[3], (6.0 - 0.03) / sqrt(1.0366667 + 1e-3) * 2.0 + 0.5, 1e-5);
    /* Normalization layer: (x - mean) / max(sqrt(var), 1e-7) */
    float nm[2] = {1.0f, -2.0f}, nv[2] = {4.0f, 0.0f}, nx[2] = {3.0f, -2.0f}, no[2];
    sk_normalize_forward(no, nx, nm, nv, 1, 2);
    CHECK_NEAR(no[0], 1.0, 1e-7);
    CHECK_NEAR(no[1], 0.0, 1e-7);
}

static void test_xent_by_hand(void)
{
    /* LOGITS: row 0 logits 1 2 3, label 2, weight 2; row 1 zeros, label 0, weight 0.5 */
    float z[6] = {1, 2, 3, 0, 0, 0}, w[2] = {2.0f, 0.5f}, dz[6];
    int32_t y[2] = {2, 0};
    double l0 = log(exp(1.0) + exp(2.0) + exp(3.0)) - 3.0; /* 0.40760596 */
    double l1 = log(3.0);                                   /* 1.09861229 */
    double loss = sk_xent_forward_backward(dz, z, NULL, y, w, 2, 3, SK_XENT_LOGITS);
    CHECK_NEAR(loss, (2.0 * l0 + 0.5 * l1) / 2.0, 1e-9);
    CHECK_NEAR(loss, 0.68225903, 1e-7);
    double s = exp(1.0) + exp(2.0) + exp(3.0);
    CHECK_NEAR(dz[0], 2.0 / 2.0 * exp(1.0) / s, 1e-7);
    CHECK_NEAR(dz[2], 2.0 / 2.0 * (exp(3.0) / s - 1.0), 1e-7);
    CHECK_NEAR(dz[3], 0.5 / 2.0 * (1.0 / 3.0 - 1.0), 1e-7);
    CHECK_NEAR(dz[4], 0.5 / 2.0 * (1.0 / 3.0), 1e-7);
    /* unweighted = weights of one; divides by n, not the weight sum */
    double lu = sk_xent_forward_backward(NULL, z, NULL, y, NULL, 2, 3, SK_XENT_LOGITS);
    CHECK_NEAR(lu, (l0 + l1) / 2.0, 1e-9);
    /* CLIPPED on probabilities: p / sum p, clip [1e-7, 1 - 1e-7] */
    float p[9] = {0.2f, 0.2f, 0.4f, 1, 0, 0, 0, 0, 1}, wc[3] = {1, 2, 1}, dzc[9];
    int32_t yc[3] = {2, 1, 2};
    double lc = sk_xent_forward_backward(dzc, NULL, p, yc, wc, 3, 3, SK_XENT_CLIPPED);
    double e0 = log(2.0);                          /* q = 0.4 / 0.8 */
    double e1 = -log((double)1e-7f);               /* clipped from 0 */
    double e2 = -log((double)(1.0f - (float)1e-7)); /* clipped from 1 */
    CHECK_NEAR(lc, (e0 + 2.0 * e1 + e2) / 3.0, 1e-6);
    CHECK_NEAR(lc, 10.976446, 1e-5);
    for (int j = 3; j < 9; j++) CHECKF(dzc[j] == 0.0f, "clipped rows have zero gradient (%d)", j);
    /* unclipped row: dL/dz_i = w/n * p_i (g_i - sum_j g_j p_j), g = -1/q (d_iy/S - p_y/S^2) */
    double S = 0.8, q = 0.5, g[3], dot = 0;
    for (int j = 0; j < 3; j++) {
        g[j] = -1.0 / q * ((j == 2 ? 1.0 / S : 0.0) - 0.4 / (S * S));
        dot += g[j] * p[j];
    }
    for (int j = 0; j < 3; j++) CHECK_NEAR(dzc[j], 1.0 / 3.0 * p[j] * (g[j] - dot), 1e-6);
    /* on a true softmax both modes agree */
    float pr[6];
    sk_softmax_forward(pr, z, 2, 3);
    double la = sk_xent_forward_backward(NULL, z, NULL, y, w, 2, 3, SK_XENT_LOGITS);
    double lb = sk_xent_forward_backward(NULL, NULL, pr, y, w, 2, 3, SK_XENT_CLIPPED);
    CHECK_NEAR(la, lb, 1e-6);
}

static void test_pool_by_hand(void)
{
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, out[9];
    /* avg 2x2 s2 'same' on 3x3: pad bottom/right 1, divisor = non-padded cells */
    sk_conv_dims d = {.n = 1, .h = 3, .w = 3, .c = 1, .oc = 1, .kh = 2, .kw = 2, .sh = 2, .sw = 2};
    sk_conv_dims_pad(&d, 1);
    CHECK(d.oh == 2 && d.pt == 0);
    sk_avgpool_forward(out, x, &d);
    CHECK_NEAR(out[0], 3.0, 1e-6);
    CHECK_NEAR(out[1], 4.5, 1e-6);
    CHECK_NEAR(out[2], 7.5, 1e-6);
    CHECK_NEAR(out[3], 9.0, 1e-6);
    /* avg 3x3 s1 'same': corner divides by 4, edge by 6, centre by 9 */
    sk_conv_dims e = {.n = 1, .h = 3, .w = 3, .c = 1, .oc = 1, .kh = 3, .kw = 3, .sh = 1, .sw = 1};
    sk_conv_dims_pad(&e, 1);
    sk_avgpool_forward(out, x, &e);
    CHECK_NEAR(out[0], 3.0, 1e-6);
    CHECK_NEAR(out[1], 21.0 / 6.0, 1e-6);
    CHECK_NEAR(out[4], 5.0, 1e-6);
    float dx[9] = {0}, dout[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    sk_avgpool_backward(dx, dout, &e);
    CHECK_NEAR(dx[0], 1.0 / 4 + 2.0 / 6 + 1.0 / 9, 1e-6);
    /* max 3x3 s1 'same' on negatives: the zero padding never wins */
    float neg[9];
    for (int i = 0; i < 9; i++) neg[i] = -x[i];
    sk_maxpool_forward(out, neg, &e);
    CHECK_NEAR(out[0], -1.0, 0);
    CHECK_NEAR(out[8], -5.0, 0);
    /* ties go to the first cell in row-major window order */
    float tie[4] = {2, 2, 2, 2}, tout[1], tdx[4] = {0}, tg[1] = {1};
    sk_conv_dims t = {.n = 1, .h = 2, .w = 2, .c = 1, .oc = 1, .kh = 2, .kw = 2, .sh = 2, .sw = 2};
    sk_conv_dims_pad(&t, 0);
    sk_maxpool_forward(tout, tie, &t);
    sk_maxpool_backward(tdx, tg, tie, &t);
    CHECK(tout[0] == 2.0f && tdx[0] == 1.0f && tdx[1] == 0.0f && tdx[3] == 0.0f);
    /* GAP */
    float g2[2];
    float hw[8] = {1, 10, 2, 20, 3, 30, 6, 60}; /* (1, 4, 2) */
    sk_gap_forward(g2, hw, 1, 4, 2);
    CHECK_NEAR(g2[0], 3.0, 1e-6);
    CHECK_NEAR(g2[1], 30.0, 1e-5);
}

static void test_dropout(void)
{
    const size_t units = 100000;
    float *m1 = falloc(units), *m2 = falloc(units), *m3 = falloc(units), *m4 = falloc(units);
    sk_dropout_mask(m1, units, 0.3f, 42, 5);
    sk_dropout_mask(m2, units, 0.3f, 42, 5);
    sk_dropout_mask(m3, units, 0.3f, 42, 6);
    sk_dropout_mask(m4, units, 0.3f, 43, 5);
    CHECK(memcmp(m1, m2, units * sizeof(float)) == 0);
    size_t kept = 0, diff3 = 0, diff4 = 0, bad = 0;
    const float scale = 1.0f / 0.7f;
    for (size_t i = 0; i < units; i++) {
        if (m1[i] != 0.0f) kept++;
        if (m1[i] != 0.0f && m1[i] != scale) bad++;
        diff3 += m1[i] != m3[i];
        diff4 += m1[i] != m4[i];
    }
    double frac = (double)kept / units;
    CHECKF(fabs(frac - 0.7) < 0.01, "dropout keep fraction %.4f, expected 0.7", frac);
    CHECK(bad == 0);
    /* independent masks differ in about 2 * 0.3 * 0.7 = 42% of the units */
    CHECKF(diff3 > units / 3 && diff4 > units / 3, "masks differ: %zu %zu", diff3, diff4);
    /* rate 0 keeps everything at scale 1 */
    sk_dropout_mask(m3, 1000, 0.0f, 1, 1);
    size_t ones = 0;
    for (size_t i = 0; i < 1000; i++) ones += m3[i] == 1.0f;
    CHECK(ones == 1000);
    /* per-sample (noise_shape (N,1,1,1)): one value per unit of 6 floats */
    float x[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, o[12], mk[2] = {0.0f, 2.0f};
    sk_dropout_forward(o, x, mk, 2, 6);
    CHECK(o[0] == 0.0f && o[5] == 0.0f && o[6] == 14.0f && o[11] == 24.0f);
    free(m1); free(m2); free(m3); free(m4);
}

/* sk_conv2d_forward_per_image: an image's output bits do not depend on its batch; both
 * forwards agree with the reference. dwconv (direct loops) has the same property. */
static void test_batch_independence(void)
{
    static const conv_case cases[] = {
        {4, 9, 9, 16, 24, 3, 3, 1, 1, 1}, {3, 7, 7, 32, 48, 1, 1, 1, 1, 0},
        {5, 2, 2, 64, 32, 3, 3, 1, 1, 1}, {3, 64, 64, 40, 2, 3, 3, 1, 1, 1},
    };
    for (size_t ci = 0; ci < SK_ARRAY_LEN(cases); ci++) {
        const conv_case *k = &cases[ci];
        sk_conv_dims d = dims_of(k);
        size_t ni = (size_t)d.n * d.h * d.w * d.c, nk = (size_t)d.kh * d.kw * d.c * d.oc;
        size_t no = (size_t)d.n * d.oh * d.ow * d.oc;
        size_t pi = ni / d.n, po = no / d.n;
        float *inp = falloc(ni), *ker = falloc(nk), *bias = falloc(d.oc), *out = falloc(no),
              *one = falloc(no), *ref = falloc(no), *work = falloc(sk_conv2d_workspace(&d));
        fill(inp, ni, 4000 + ci, -1, 1);
        fill(ker, nk, 4100 + ci, -1, 1);
        fill(bias, d.oc, 4200 + ci, -1, 1);
        const float *b = k->bias ? bias : NULL;
        sk_conv2d_forward_per_image(out, inp, ker, b, &d, work);
        sk_conv_dims d1 = d;
        d1.n = 1;
        CHECK(sk_conv2d_workspace(&d1) <= sk_conv2d_workspace(&d));
        /* images alone, in reverse order */
        for (int i = d.n - 1; i >= 0; i--)
            sk_conv2d_forward_per_image(one + i * po, inp + i * pi, ker, b, &d1, work);
        CHECKF(memcmp(out, one, no * sizeof(float)) == 0,
               "conv per-image case %zu: batch changes the bits", ci);
        sk_conv2d_forward_ref(ref, inp, ker, b, &d);
        double e = relerr(out, ref, no);
        CHECKF(e < TOL, "conv per-image case %zu vs ref: %.3g", ci, e);
        sk_conv2d_forward(one, inp, ker, b, &d, work);
        e = relerr(one, ref, no);
        CHECKF(e < TOL, "conv batched case %zu vs ref: %.3g", ci, e);
        free(inp); free(ker); free(bias); free(out); free(one); free(ref); free(work);
    }
}

/* The kernels that reduce without BLAS must give the same bits on 1 and 2 threads. */
static void test_thread_independence(void)
{
#ifdef _OPENMP
    sk_conv_dims d = {.n = 3, .h = 15, .w = 14, .c = 96, .oc = 96, .kh = 3, .kw = 3, .sh = 2,
                      .sw = 2};
    sk_conv_dims_pad(&d, 1);
    size_t ni = (size_t)d.n * d.h * d.w * d.c, no = (size_t)d.n * d.oh * d.ow * d.c;
    size_t nk = 9 * (size_t)d.c;
    float *x = falloc(ni), *k = falloc(nk), *dy = falloc(no);
    float *dx[2], *dk[2], *db[2], *bo[2], *bm[2], *bv[2], *bi[2], *bdx[2], *bg[2], *bb[2], *gp[2];
    fill(x, ni, 3001, -1, 1);
    fill(k, nk, 3002, -1, 1);
    fill(dy, no, 3003, -1, 1);
    int saved = omp_get_max_threads();
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        dx[t] = falloc(ni); dk[t] = falloc(nk); db[t] = falloc(d.c);
        memset(dx[t], 0, ni * 4); memset(dk[t], 0, nk * 4); memset(db[t], 0, d.c * 4);
        sk_dwconv2d_backward(dx[t], dk[t], db[t], dy, x, k, &d);
        bo[t] = falloc(ni); bm[t] = falloc(d.c); bv[t] = falloc(d.c); bi[t] = falloc(d.c);
        bdx[t] = falloc(ni); bg[t] = falloc(d.c); bb[t] = falloc(d.c); gp[t] = falloc(d.n * d.c);
        memset(bdx[t], 0, ni * 4); memset(bg[t], 0, d.c * 4); memset(bb[t], 0, d.c * 4);
        size_t m = ni / d.c;
        sk_bn_forward_train(bo[t], bm[t], bv[t], bi[t], x, k, k + d.c, m, d.c, 1e-3f);
        sk_bn_backward_train(bdx[t], bg[t], bb[t], x, x, bm[t], bi[t], k, m, d.c);
        sk_gap_forward(gp[t], x, d.n, (size_t)d.h * d.w, d.c);
    }
    omp_set_num_threads(saved);
    CHECK(memcmp(dx[0], dx[1], ni * 4) == 0);
    CHECK(memcmp(dk[0], dk[1], nk * 4) == 0);
    CHECK(memcmp(db[0], db[1], d.c * 4) == 0);
    CHECK(memcmp(bo[0], bo[1], ni * 4) == 0 && memcmp(bv[0], bv[1], d.c * 4) == 0);
    CHECK(memcmp(bdx[0], bdx[1], ni * 4) == 0 && memcmp(bg[0], bg[1], d.c * 4) == 0);
    CHECK(memcmp(gp[0], gp[1], (size_t)d.n * d.c * 4) == 0);
    for (int t = 0; t < 2; t++) {
        free(dx[t]); free(dk[t]); free(db[t]); free(bo[t]); free(bm[t]); free(bv[t]);
        free(bi[t]); free(bdx[t]); free(bg[t]); free(bb[t]); free(gp[t]);
    }
    free(x); free(k); free(dy);
#endif
}

/* sk_conv2d_forward_act: the bits of sk_conv2d_forward then sk_act_forward, for linear (bias
 * only), relu and relu6, with and without bias, on every GEMM backend compiled in, with the
 * implicit GEMM on and off, on 1x1 (direct), 3x3 'same', 3x3 stride 2 and a 3-channel stem. */
static void test_conv_act_fused(void)
{
    static const conv_case cases[] = {
        {2, 9, 9, 16, 24, 1, 1, 1, 0, 1}, {2, 9, 8, 16, 20, 3, 3, 1, 1, 1},
        {1, 10, 11, 24, 17, 3, 3, 2, 1, 0}, {2, 12, 12, 3, 16, 3, 3, 1, 1, 1},
        {3, 20, 20, 64, 64, 3, 3, 1, 1, 1},
    };
    const char *names[8], *was = sk_blas_name();
    int nb = sk_gemm_backends(names, 8);
    const sk_act acts[] = {SK_ACT_LINEAR, SK_ACT_RELU, SK_ACT_RELU6};
    int checked = 0, clipped = 0;
    for (int be = 0; be < nb; be++) {
        if (sk_gemm_select(names[be]) != 0) continue;
        for (int impl = 0; impl < 2; impl++) {
            int prev = sk_conv2d_set_implicit(impl);
            for (size_t ci = 0; ci < SK_ARRAY_LEN(cases); ci++) {
                const conv_case *k = &cases[ci];
                sk_conv_dims d = dims_of(k);
                size_t ni = (size_t)d.n * d.h * d.w * d.c, nk = (size_t)d.kh * d.kw * d.c * d.oc;
                size_t no = (size_t)d.n * d.oh * d.ow * d.oc;
                float *inp = falloc(ni), *ker = falloc(nk), *bias = falloc(d.oc), *want = falloc(no),
                      *got = falloc(no), *work = falloc(sk_conv2d_workspace(&d));
                fill(inp, ni, ci * 16 + 7, -1, 1);
                fill(ker, nk, ci * 16 + 8, -1.5f, 1.5f);
                fill(bias, d.oc, ci * 16 + 9, -2, 2);
                for (size_t a = 0; a < SK_ARRAY_LEN(acts); a++)
                    for (int hb = 0; hb < 2; hb++) {
                        const float *b = hb ? bias : NULL;
                        sk_conv2d_forward(want, inp, ker, b, &d, work);
                        if (acts[a] != SK_ACT_LINEAR) sk_act_forward(want, want, no, acts[a]);
                        memset(got, 0xff, no * sizeof(float));
                        sk_conv2d_forward_act(got, inp, ker, b, &d, work, acts[a]);
                        CHECKF(memcmp(got, want, no * sizeof(float)) == 0,
                               "conv+%s (bias %d) bits differ: backend %s implicit %d case %zu",
                               sk_act_name(acts[a]), hb, names[be], impl, ci);
                        for (size_t i = 0; i < no; i++) clipped += acts[a] == SK_ACT_RELU6 && got[i] == 6.0f;
                        checked++;
                    }
                free(inp), free(ker), free(bias), free(want), free(got), free(work);
            }
            sk_conv2d_set_implicit(prev);
        }
    }
    CHECK(sk_gemm_select(was) == 0);
    CHECK(checked >= 2 * 5 * 6);
    CHECKF(clipped > 50, "only %d relu6 outputs at 6", clipped);
}

int main(void)
{
    test_same_padding_table();
    test_tiny_conv_by_hand();
    test_conv_vs_ref();
    test_conv_act_fused();
    test_dwconv_vs_ref();
    test_dense_vs_ref();
    test_bn_vs_ref();
    test_bn_by_hand();
    test_xent_by_hand();
    test_pool_by_hand();
    test_dropout();
    test_batch_independence();
    test_thread_independence();
    return sk_test_finish();
}
