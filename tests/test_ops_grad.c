// LABELS: grad
/* test_ops_grad.c: every backward kernel against central finite differences of its forward.
 *
 * The scalar is L = sum(out * R) for a fixed random R (the loss itself for cross-entropy),
 * evaluated in double; the analytic gradient is the backward with dout = R. Error is the
 * global normalised error ||a - n|| / (||a|| + ||n||) over the checked elements (all of them for
 * small tensors, an evenly spaced subset otherwise). Inputs are kept more than 2h away from the
 * kinks of ReLU/ReLU6, and max-pool windows hold distinct values spaced wider than 2h. */
#include "sk_core.h"
#include "sk_base.h"
#include "sk_test.h"

#include <stdlib.h>
#include <string.h>

#define H 1e-2
#define GTOL 2e-3

static float *falloc(size_t n) { return sk_xmalloc_aligned((n ? n : 1) * sizeof(float)); }
static float *zalloc(size_t n)
{
    float *p = falloc(n);
    memset(p, 0, (n ? n : 1) * sizeof(float));
    return p;
}

static void fill(float *x, size_t n, uint64_t idx, float lo, float hi)
{
    sk_rng r = sk_rng_stream(11, SK_RNG_TEST, idx);
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * sk_rng_uniformf(&r);
}

/* Moves values within `gap` of any kink to kink +- gap. */
static void avoid_kinks(float *x, size_t n, const float *kinks, int nk, float gap)
{
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < nk; j++)
            if (fabsf(x[i] - kinks[j]) < gap)
                x[i] = x[i] < kinks[j] ? kinks[j] - gap : kinks[j] + gap;
}

/* Distinct values 0.05 apart, shuffled, centred on 0. */
static void fill_distinct(float *x, size_t n, uint64_t idx)
{
    uint32_t *perm = sk_xmalloc(n * sizeof(uint32_t));
    for (size_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
    sk_rng r = sk_rng_stream(11, SK_RNG_TEST, idx);
    sk_rng_shuffle_u32(&r, perm, (uint32_t)n);
    for (size_t i = 0; i < n; i++) x[i] = 0.05f * ((float)perm[i] - (float)n / 2);
    free(perm);
}

/* ---- the function under test, as globals the forward closures read ---- */
static float *R;          /* loss weights, size of the output */
static size_t R_n;
static double dotR(const float *out)
{
    double s = 0;
    for (size_t i = 0; i < R_n; i++) s += (double)out[i] * R[i];
    return s;
}

typedef double (*lossfn)(void);

static void check_grad(const char *what, lossfn f, float *x, size_t n, const float *ga)
{
    size_t step = n > 400 ? n / 400 : 1;
    double d2 = 0, a2 = 0, n2 = 0;
    for (size_t i = (step > 1 ? step / 3 : 0); i < n; i += step) {
        float x0 = x[i];
        x[i] = (float)(x0 + H);
        double xp = x[i], lp = f();
        x[i] = (float)(x0 - H);
        double xm = x[i], lm = f();
        x[i] = x0;
        double gn = (lp - lm) / (xp - xm);
        d2 += (ga[i] - gn) * (ga[i] - gn);
        a2 += (double)ga[i] * ga[i];
        n2 += gn * gn;
    }
    double err = sqrt(d2) / (sqrt(a2) + sqrt(n2) + 1e-30);
    CHECKF(err < GTOL && a2 > 0, "%s: normalised gradient error %.3g (|a| %.3g, |n| %.3g)", what,
           err, sqrt(a2), sqrt(n2));
}

/* ---- conv family ---- */
static sk_conv_dims D;
static float *X, *K, *B, *OUT, *WORK, *P1, *P2, *P3;

static double f_conv(void)
{
    sk_conv2d_forward(OUT, X, K, B, &D, WORK);
    return dotR(OUT);
}
static double f_dwconv(void)
{
    sk_dwconv2d_forward(OUT, X, K, B, &D);
    return dotR(OUT);
}

static void grad_conv(int dw, int n, int h, int w, int c, int oc, int k, int s, int same)
{
    D = (sk_conv_dims){.n = n, .h = h, .w = w, .c = c, .oc = dw ? c : oc, .kh = k, .kw = k,
                       .sh = s, .sw = s};
    sk_conv_dims_pad(&D, same);
    size_t ni = (size_t)n * h * w * c, nk = (size_t)k * k * c * (dw ? 1 : D.oc);
    R_n = (size_t)n * D.oh * D.ow * D.oc;
    X = falloc(ni); K = falloc(nk); B = falloc(D.oc); OUT = falloc(R_n); R = falloc(R_n);
    WORK = dw ? NULL : falloc(sk_conv2d_workspace(&D));
    fill(X, ni, 1, -1, 1); fill(K, nk, 2, -1, 1); fill(B, D.oc, 3, -1, 1); fill(R, R_n, 4, -1, 1);
    float *dx = zalloc(ni), *dk = zalloc(nk), *db = zalloc(D.oc);
    char name[96];
    snprintf(name, sizeof name, "%s k%d s%d %s", dw ? "dwconv" : "conv", k, s,
             same ? "same" : "valid");
    lossfn f = dw ? f_dwconv : f_conv;
    if (dw)
        sk_dwconv2d_backward(dx, dk, db, R, X, K, &D);
    else
        sk_conv2d_backward(dx, dk, db, R, X, K, &D, WORK);
    char nm[128];
    snprintf(nm, sizeof nm, "%s dinp", name);
    check_grad(nm, f, X, ni, dx);
    snprintf(nm, sizeof nm, "%s dkernel", name);
    check_grad(nm, f, K, nk, dk);
    snprintf(nm, sizeof nm, "%s dbias", name);
    check_grad(nm, f, B, D.oc, db);
    free(X); free(K); free(B); free(OUT); free(R); free(WORK); free(dx); free(dk); free(db);
}

static int DN, DC, DOC;
static double f_dense(void)
{
    sk_dense_forward(OUT, X, K, B, DN, DC, DOC);
    return dotR(OUT);
}

static void grad_dense(void)
{
    DN = 4; DC = 9; DOC = 5;
    R_n = (size_t)DN * DOC;
    X = falloc(DN * DC); K = falloc(DC * DOC); B = falloc(DOC); OUT = falloc(R_n); R = falloc(R_n);
    fill(X, DN * DC, 5, -1, 1); fill(K, DC * DOC, 6, -1, 1); fill(B, DOC, 7, -1, 1);
    fill(R, R_n, 8, -1, 1);
    float *dx = zalloc(DN * DC), *dk = zalloc(DC * DOC), *db = zalloc(DOC);
    sk_dense_backward(dx, dk, db, R, X, K, DN, DC, DOC);
    check_grad("dense dinp", f_dense, X, DN * DC, dx);
    check_grad("dense dkernel", f_dense, K, DC * DOC, dk);
    check_grad("dense dbias", f_dense, B, DOC, db);
    free(X); free(K); free(B); free(OUT); free(R); free(dx); free(dk); free(db);
}

/* ---- normalisation ---- */
static size_t M;
static int C;
static double f_bn_train(void)
{
    sk_bn_forward_train(OUT, P1, P2, P3, X, K, B, M, C, 1e-3f);
    return dotR(OUT);
}
static float *MM, *MV;
static double f_bn_infer(void)
{
    sk_bn_forward_infer(OUT, X, K, B, MM, MV, M, C, 1e-3f);
    return dotR(OUT);
}
static double f_normalize(void)
{
    sk_normalize_forward(OUT, X, MM, MV, M, C);
    return dotR(OUT);
}
static double f_rescale(void)
{
    sk_rescale_forward(OUT, X, M * C, 1.0f / 127.5f, -1.0f);
    return dotR(OUT);
}

static void grad_norm(void)
{
    M = 12; C = 5;
    size_t n = M * C;
    R_n = n;
    X = falloc(n); K = falloc(C); B = falloc(C); OUT = falloc(n); R = falloc(n);
    P1 = falloc(C); P2 = falloc(C); P3 = falloc(C); MM = falloc(C); MV = falloc(C);
    fill(X, n, 9, -2, 2); fill(K, C, 10, 0.5f, 1.5f); fill(B, C, 11, -1, 1); fill(R, n, 12, -1, 1);
    fill(MM, C, 13, -0.5f, 0.5f); fill(MV, C, 14, 0.5f, 2.0f);
    float *dx = zalloc(n), *dg = zalloc(C), *db = zalloc(C);
    f_bn_train();
    sk_bn_backward_train(dx, dg, db, R, X, P1, P3, K, M, C);
    check_grad("bn train dinp", f_bn_train, X, n, dx);
    check_grad("bn train dgamma", f_bn_train, K, C, dg);
    check_grad("bn train dbeta", f_bn_train, B, C, db);
    memset(dx, 0, n * 4); memset(dg, 0, C * 4); memset(db, 0, C * 4);
    sk_bn_backward_infer(dx, dg, db, R, X, K, MM, MV, M, C, 1e-3f);
    check_grad("bn infer dinp", f_bn_infer, X, n, dx);
    check_grad("bn infer dgamma", f_bn_infer, K, C, dg);
    check_grad("bn infer dbeta", f_bn_infer, B, C, db);
    memset(dx, 0, n * 4);
    sk_normalize_backward(dx, R, MV, M, C);
    check_grad("normalization dinp", f_normalize, X, n, dx);
    memset(dx, 0, n * 4);
    sk_rescale_backward(dx, R, n, 1.0f / 127.5f);
    check_grad("rescaling dinp", f_rescale, X, n, dx);
    free(X); free(K); free(B); free(OUT); free(R); free(P1); free(P2); free(P3); free(MM);
    free(MV); free(dx); free(dg); free(db);
}

/* ---- elementwise ---- */
static sk_act ACT;
static double f_act(void)
{
    sk_act_forward(OUT, X, R_n, ACT);
    return dotR(OUT);
}
static int SR, SC;
static double f_softmax(void)
{
    sk_softmax_forward(OUT, X, SR, SC);
    return dotR(OUT);
}

static void grad_elem(void)
{
    const size_t n = 200;
    R_n = n;
    X = falloc(n); OUT = falloc(n); R = falloc(n);
    fill(R, n, 20, -1, 1);
    float *dx = falloc(n);
    const float kinks[2] = {0.0f, 6.0f};
    for (int a = 0; a < SK_ACT_COUNT; a++) {
        if (a == SK_ACT_SOFTMAX) continue;
        ACT = (sk_act)a;
        fill(X, n, 21 + a, a == SK_ACT_RELU6 ? -2.0f : -4.0f, a == SK_ACT_RELU6 ? 8.0f : 4.0f);
        avoid_kinks(X, n, kinks, 2, 3 * H);
        memset(dx, 0, n * 4);
        sk_act_forward(OUT, X, n, ACT);
        sk_act_backward(dx, R, X, OUT, n, ACT);
        char nm[64];
        snprintf(nm, sizeof nm, "activation %s", sk_act_name(ACT));
        check_grad(nm, f_act, X, n, dx);
    }
    /* in-place forward gives the same values */
    float *y = falloc(n);
    ACT = SK_ACT_SWISH;
    sk_act_forward(OUT, X, n, ACT);
    memcpy(y, X, n * 4);
    sk_act_forward(y, y, n, ACT);
    CHECK(memcmp(y, OUT, n * 4) == 0);
    SR = 8; SC = 25;
    fill(X, n, 30, -3, 3);
    sk_softmax_forward(OUT, X, SR, SC);
    memset(dx, 0, n * 4);
    sk_softmax_backward(dx, R, OUT, SR, SC);
    check_grad("softmax", f_softmax, X, n, dx);
    free(X); free(OUT); free(R); free(dx); free(y);
}

static int MN, MC;
static size_t MHW;
static double f_mul(void)
{
    sk_mul_bcast_forward(OUT, X, K, MN, MHW, MC);
    return dotR(OUT);
}
static double f_add(void)
{
    sk_add_forward(OUT, X, K, R_n);
    return dotR(OUT);
}
static const float *CIN[3];
static int CCS[3] = {2, 3, 1};
static double f_concat(void)
{
    sk_concat_forward(OUT, CIN, CCS, 3, M);
    return dotR(OUT);
}
static float *MASK;
static size_t UNITS, UNIT;
static double f_dropout(void)
{
    sk_dropout_forward(OUT, X, MASK, UNITS, UNIT);
    return dotR(OUT);
}

static void grad_combine(void)
{
    MN = 2; MHW = 6; MC = 7;
    R_n = MN * MHW * MC;
    X = falloc(R_n); K = falloc(MN * MC); OUT = falloc(R_n); R = falloc(R_n);
    fill(X, R_n, 40, -1, 1); fill(K, MN * MC, 41, -1, 1); fill(R, R_n, 42, -1, 1);
    float *dx = zalloc(R_n), *ds = zalloc(MN * MC);
    sk_mul_bcast_backward(dx, ds, R, X, K, MN, MHW, MC);
    check_grad("multiply-broadcast dx", f_mul, X, R_n, dx);
    check_grad("multiply-broadcast ds", f_mul, K, MN * MC, ds);
    /* Add: dout flows to both; callers accumulate, so check with sk_accumulate */
    free(K);
    K = falloc(R_n);
    fill(K, R_n, 43, -1, 1);
    memset(dx, 0, R_n * 4);
    sk_accumulate(dx, R, R_n);
    check_grad("add a", f_add, X, R_n, dx);
    check_grad("add b", f_add, K, R_n, dx);
    free(X); free(K); free(OUT); free(R); free(dx); free(ds);

    /* concat of (M,2) (M,3) (M,1), with one NULL gradient */
    M = 5;
    R_n = M * 6;
    float *a = falloc(M * 2), *b = falloc(M * 3), *c = falloc(M * 1);
    fill(a, M * 2, 44, -1, 1); fill(b, M * 3, 45, -1, 1); fill(c, M, 46, -1, 1);
    CIN[0] = a; CIN[1] = b; CIN[2] = c;
    OUT = falloc(R_n); R = falloc(R_n);
    fill(R, R_n, 47, -1, 1);
    float *da = zalloc(M * 2), *dc = zalloc(M);
    float *const dins[3] = {da, NULL, dc};
    sk_concat_backward(dins, R, CCS, 3, M);
    check_grad("concat input 0", f_concat, a, M * 2, da);
    check_grad("concat input 2", f_concat, c, M, dc);
    free(a); free(b); free(c); free(OUT); free(R); free(da); free(dc);

    /* dropout with a fixed mask, per element and per sample */
    for (int per_sample = 0; per_sample < 2; per_sample++) {
        UNIT = per_sample ? 12 : 1;
        UNITS = per_sample ? 4 : 48;
        R_n = UNITS * UNIT;
        X = falloc(R_n); OUT = falloc(R_n); R = falloc(R_n); MASK = falloc(UNITS);
        fill(X, R_n, 48, -1, 1); fill(R, R_n, 49, -1, 1);
        sk_dropout_mask(MASK, UNITS, 0.4f, 3, 7 + per_sample);
        dx = zalloc(R_n);
        sk_dropout_backward(dx, R, MASK, UNITS, UNIT);
        check_grad(per_sample ? "dropout per sample" : "dropout", f_dropout, X, R_n, dx);
        free(X); free(OUT); free(R); free(MASK); free(dx);
    }
}

/* ---- spatial ---- */
static int PN, PH, PW, PC, PT, PB, PL, PR;
static double f_pad(void)
{
    sk_pad_forward(OUT, X, PN, PH, PW, PC, PT, PB, PL, PR);
    return dotR(OUT);
}
static double f_crop(void)
{
    sk_crop_forward(OUT, X, PN, PH, PW, PC, PT, PB, PL, PR);
    return dotR(OUT);
}
static double f_maxpool(void)
{
    sk_maxpool_forward(OUT, X, &D);
    return dotR(OUT);
}
static double f_avgpool(void)
{
    sk_avgpool_forward(OUT, X, &D);
    return dotR(OUT);
}
static double f_gap(void)
{
    sk_gap_forward(OUT, X, PN, (size_t)PH * PW, PC);
    return dotR(OUT);
}

static void grad_spatial(void)
{
    PN = 2; PH = 5; PW = 4; PC = 3; PT = 1; PB = 2; PL = 0; PR = 1;
    size_t ni = (size_t)PN * PH * PW * PC;
    X = falloc(ni);
    fill(X, ni, 50, -1, 1);
    float *dx = zalloc(ni);
    R_n = (size_t)PN * (PH + PT + PB) * (PW + PL + PR) * PC;
    OUT = falloc(R_n); R = falloc(R_n);
    fill(R, R_n, 51, -1, 1);
    sk_pad_backward(dx, R, PN, PH, PW, PC, PT, PB, PL, PR);
    check_grad("zero padding (asymmetric)", f_pad, X, ni, dx);
    free(OUT); free(R);
    R_n = (size_t)PN * (PH - PT - PB) * (PW - PL - PR) * PC;
    OUT = falloc(R_n); R = falloc(R_n);
    fill(R, R_n, 52, -1, 1);
    memset(dx, 0, ni * 4);
    sk_crop_backward(dx, R, PN, PH, PW, PC, PT, PB, PL, PR);
    check_grad("cropping", f_crop, X, ni, dx);
    free(OUT); free(R); free(X); free(dx);

    /* pools: 3x3 s2 same, 2x2 s2 valid on odd sizes, 3x3 s1 same */
    static const int pc[][3] = {{3, 2, 1}, {2, 2, 0}, {3, 1, 1}};
    for (size_t i = 0; i < SK_ARRAY_LEN(pc); i++) {
        D = (sk_conv_dims){.n = 2, .h = 7, .w = 6, .c = 3, .oc = 3, .kh = pc[i][0],
                           .kw = pc[i][0], .sh = pc[i][1], .sw = pc[i][1]};
        sk_conv_dims_pad(&D, pc[i][2]);
        ni = (size_t)D.n * D.h * D.w * D.c;
        R_n = (size_t)D.n * D.oh * D.ow * D.c;
        X = falloc(ni); OUT = falloc(R_n); R = falloc(R_n);
        fill_distinct(X, ni, 60 + i);
        fill(R, R_n, 70 + i, -1, 1);
        dx = zalloc(ni);
        char nm[64];
        sk_maxpool_backward(dx, R, X, &D);
        const char *pad = pc[i][2] ? "same" : "valid";
        snprintf(nm, sizeof nm, "maxpool %dx%d s%d %s", D.kh, D.kw, D.sh, pad);
        check_grad(nm, f_maxpool, X, ni, dx);
        memset(dx, 0, ni * 4);
        sk_avgpool_backward(dx, R, &D);
        snprintf(nm, sizeof nm, "avgpool %dx%d s%d %s", D.kh, D.kw, D.sh, pad);
        check_grad(nm, f_avgpool, X, ni, dx);
        free(X); free(OUT); free(R); free(dx);
    }

    PN = 3; PH = 4; PW = 5; PC = 6;
    ni = (size_t)PN * PH * PW * PC;
    R_n = (size_t)PN * PC;
    X = falloc(ni); OUT = falloc(R_n); R = falloc(R_n);
    fill(X, ni, 80, -1, 1); fill(R, R_n, 81, -1, 1);
    dx = zalloc(ni);
    sk_gap_backward(dx, R, PN, (size_t)PH * PW, PC);
    check_grad("global average pooling", f_gap, X, ni, dx);
    free(X); free(OUT); free(R); free(dx);
}

/* ---- cross-entropy ---- */
static int XN, XK;
static int32_t *XY;
static float *XW;
static sk_xent_mode XMODE;
static double f_xent(void)
{
    if (XMODE == SK_XENT_CLIPPED) sk_softmax_forward(OUT, X, XN, XK);
    return sk_xent_forward_backward(NULL, X, OUT, XY, XW, XN, XK, XMODE);
}

static void grad_xent(void)
{
    XN = 6; XK = 4;
    X = falloc(XN * XK); OUT = falloc(XN * XK); XW = falloc(XN);
    XY = sk_xmalloc(XN * sizeof(int32_t));
    float *dz = falloc(XN * XK);
    for (int m = 0; m < 2; m++) {
        XMODE = (sk_xent_mode)m;
        for (int weighted = 0; weighted < 2; weighted++) {
            fill(X, XN * XK, 90 + m, -2, 2);
            fill(XW, XN, 92, 0.2f, 3.0f);
            for (int i = 0; i < XN; i++) XY[i] = (i * 3 + 1) % XK;
            if (m == SK_XENT_CLIPPED) {
                /* one sample far below the clip: constant loss, zero gradient */
                X[0 * XK + XY[0]] = -30.0f;
            }
            sk_softmax_forward(OUT, X, XN, XK);
            float *w = weighted ? XW : NULL;
            float *saved = XW;
            XW = w;
            sk_xent_forward_backward(dz, X, OUT, XY, XW, XN, XK, XMODE);
            char nm[64];
            snprintf(nm, sizeof nm, "cross-entropy %s %s", m ? "clipped" : "logits",
                     weighted ? "weighted" : "unweighted");
            check_grad(nm, f_xent, X, XN * XK, dz);
            if (m == SK_XENT_CLIPPED)
                for (int j = 0; j < XK; j++) CHECK(dz[j] == 0.0f);
            XW = saved;
        }
    }
    free(X); free(OUT); free(XW); free(XY); free(dz);
}

int main(void)
{
    grad_conv(0, 2, 7, 6, 3, 4, 3, 2, 1);
    grad_conv(0, 1, 6, 7, 2, 3, 3, 1, 0);
    grad_conv(0, 2, 5, 5, 4, 3, 1, 1, 1);
    grad_conv(0, 1, 9, 9, 2, 2, 5, 2, 1);
    grad_conv(1, 2, 7, 6, 5, 5, 3, 2, 1);
    grad_conv(1, 1, 8, 8, 3, 3, 5, 1, 0);
    grad_dense();
    grad_norm();
    grad_elem();
    grad_combine();
    grad_spatial();
    grad_xent();
    return sk_test_finish();
}
