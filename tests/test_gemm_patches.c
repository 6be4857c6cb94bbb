// LABELS: unit
/* test_gemm_patches.c: the implicit-im2col GEMMs of the det backend (sk_sgemm_det_patches and
 * its transpose) give, byte for byte, what sk_sgemm_det gives on the materialised im2col matrix
 * and what their scalar twin gives, on every ISA path and on 1 and 2 threads: window sizes 1..7,
 * strides 1..3, 'same' and 'valid' padding and padding wider than the window's reach, channel
 * counts that are and are not multiples of the tile height (so tiles straddle taps), beta 0 and
 * 1, and leading dimensions above the minimum. The epilogues (bias, ReLU, ReLU6 applied to each
 * tile once its K products are in: sk_sgemm_det_patches_ep, sk_sgemm_det_ep) give the bits of the
 * plain GEMM followed by sk_det_epilogue_apply, on the same paths. */
#include "sk_core.h"
#include "sk_base.h"
#include "sk_test.h"

#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static void set_threads(int n)
{
#ifdef _OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

static void fill(float *x, size_t n, uint64_t idx)
{
    sk_rng r = sk_rng_stream(21, SK_RNG_TEST, idx);
    for (size_t i = 0; i < n; i++) x[i] = 2.0f * sk_rng_uniformf(&r) - 1.0f;
}

/* The im2col matrix, written out the obvious way. */
static float *materialise(const sk_det_patches *P)
{
    const size_t K = (size_t)P->kh * P->kw * P->c, M = (size_t)P->n * P->oh * P->ow;
    float *col = sk_xcalloc(M * K + 1, sizeof(float));
    for (int n = 0; n < P->n; n++)
        for (int oh = 0; oh < P->oh; oh++)
            for (int ow = 0; ow < P->ow; ow++) {
                float *row = col + (((size_t)n * P->oh + oh) * P->ow + ow) * K;
                for (int ki = 0; ki < P->kh; ki++)
                    for (int kj = 0; kj < P->kw; kj++) {
                        int ih = oh * P->sh - P->pt + ki, iw = ow * P->sw - P->pl + kj;
                        if (ih < 0 || ih >= P->h || iw < 0 || iw >= P->w) continue;
                        memcpy(row + ((size_t)ki * P->kw + kj) * P->c,
                               P->x + (((size_t)n * P->h + ih) * P->w + iw) * P->c,
                               sizeof(float) * (size_t)P->c);
                    }
            }
    return col;
}

static int g_isas[SK_GEMM_DET_ISA_COUNT], g_nisa;
static long g_clipped; /* relu6 outputs clipped at 6: the cap is exercised */

/* The epilogues on the forward orientation: bias or none x linear, relu, relu6 (b scaled so some
 * outputs pass 6), against the plain GEMM + sk_det_epilogue_apply, every ISA and 1/2 threads;
 * buffers as check_geom's (want, got: rows x ldc scratch). */
static void check_epilogues(const sk_det_patches *P, const float *col, float *b, int ldb, int N,
                            int ldc, const float *c0, float *want, float *got, uint64_t seed)
{
    const int M = P->n * P->oh * P->ow, K = P->kh * P->kw * P->c;
    const size_t cs = (size_t)M * ldc;
    float *bias = sk_xmalloc(((size_t)N + 1) * sizeof(float));
    fill(bias, (size_t)N, seed * 8 + 5);
    float *bs = sk_xmalloc(((size_t)K * ldb + 1) * sizeof(float));
    for (size_t i = 0; i < (size_t)K * ldb; i++) bs[i] = 6.0f * b[i];
    int clipped = 0;
    for (int hb = 0; hb < 2; hb++)
        for (int act = SK_DET_EP_LINEAR; act <= SK_DET_EP_RELU6; act++) {
            if (!hb && act == SK_DET_EP_LINEAR) continue;
            sk_det_epilogue ep = {hb ? bias : NULL, (sk_det_ep_act)act};
            memcpy(want, c0, cs * sizeof(float));
            sk_sgemm_det_ref(0, 0, M, N, K, 1.0f, col, K, bs, ldb, 0.0f, want, ldc);
            sk_det_epilogue_apply(want, (size_t)M, N, ldc, &ep);
            for (int r = 0; r < M; r++)
                for (int j = 0; j < N; j++) clipped += want[(size_t)r * ldc + j] == 6.0f;
            for (int i = 0; i < g_nisa; i++) {
                sk_gemm_det_set_isa(g_isas[i]);
                for (int th = 1; th <= 2; th++) {
                    set_threads(th);
                    for (int impl = 0; impl < 2; impl++) {
                        memcpy(got, c0, cs * sizeof(float));
                        if (impl) sk_sgemm_det_patches_ep(P, N, bs, ldb, got, ldc, &ep);
                        else sk_sgemm_det_ep(M, N, K, col, K, bs, ldb, got, ldc, &ep);
                        int bad = 0;
                        for (int r = 0; r < M && !bad; r++)
                            bad = memcmp(got + (size_t)r * ldc, want + (size_t)r * ldc, (size_t)N * sizeof(float)) != 0;
                        CHECKF(!bad, "epilogue bits differ: %s threads=%d %s bias=%d act=%d %dx%dx%d k%dx%d N=%d",
                               sk_gemm_det_isa_name(g_isas[i]), th, impl ? "patches" : "plain", hb, act,
                               P->h, P->w, P->c, P->kh, P->kw, N);
                    }
                }
            }
            sk_gemm_det_set_isa(SK_GEMM_DET_AUTO);
        }
    g_clipped += clipped;
    free(bias), free(bs);
}

/* One geometry, N columns, both orientations, beta 0/1, every ISA and 1/2 threads. */
static void check_geom(int n, int h, int w, int c, int kh, int kw, int sh, int sw, int pt, int pl,
                       int oh, int ow, int N, int pad, uint64_t seed)
{
    sk_det_patches P = {NULL, n, h, w, c, oh, ow, kh, kw, sh, sw, pt, pl};
    size_t xs = (size_t)n * h * w * c;
    float *x = sk_xmalloc((xs + 1) * sizeof(float));
    fill(x, xs + 1, seed * 8);
    P.x = x + 1; /* off 64-byte alignment */
    float *col = materialise(&P);
    const int M = n * oh * ow, K = kh * kw * c;
    for (int tr = 0; tr < 2; tr++) {
        const int rows = tr ? K : M, inner = tr ? M : K, ldb = N + pad, ldc = N + pad;
        float *b = sk_xmalloc(((size_t)inner * ldb + 1) * sizeof(float));
        fill(b, (size_t)inner * ldb + 1, seed * 8 + 1 + (uint64_t)tr);
        const size_t cs = (size_t)rows * ldc;
        float *c0 = sk_xmalloc(cs * sizeof(float)), *want = sk_xmalloc(cs * sizeof(float));
        float *got = sk_xmalloc(cs * sizeof(float)), *twin = sk_xmalloc(cs * sizeof(float));
        fill(c0, cs, seed * 8 + 3 + (uint64_t)tr);
        for (int beta1 = 0; beta1 < 2; beta1++) {
            float beta = beta1 ? 1.0f : 0.0f;
            memcpy(want, c0, cs * sizeof(float));
            sk_sgemm_det_ref(tr, 0, rows, N, inner, 1.0f, col, K, b, ldb, beta, want, ldc);
            memcpy(twin, c0, cs * sizeof(float));
            sk_sgemm_det_patches_ref(&P, tr, N, b, ldb, beta, twin, ldc);
            CHECKF(memcmp(twin, want, cs * sizeof(float)) == 0,
                   "scalar twin differs: tr=%d %dx%dx%d k%dx%d s%dx%d p%d,%d N=%d beta=%d", tr, h,
                   w, c, kh, kw, sh, sw, pt, pl, N, beta1);
            for (int i = 0; i < g_nisa; i++) {
                sk_gemm_det_set_isa(g_isas[i]);
                for (int th = 1; th <= 2; th++) {
                    set_threads(th);
                    memcpy(got, c0, cs * sizeof(float));
                    if (tr)
                        sk_sgemm_det_patches_t(&P, N, b, ldb, beta, got, ldc);
                    else
                        sk_sgemm_det_patches(&P, N, b, ldb, beta, got, ldc);
                    CHECKF(memcmp(got, want, cs * sizeof(float)) == 0,
                           "bits differ: %s threads=%d tr=%d n=%d %dx%dx%d k%dx%d s%dx%d p%d,%d "
                           "out %dx%d N=%d beta=%d",
                           sk_gemm_det_isa_name(g_isas[i]), th, tr, n, h, w, c, kh, kw, sh, sw, pt,
                           pl, oh, ow, N, beta1);
                }
            }
            sk_gemm_det_set_isa(SK_GEMM_DET_AUTO);
        }
        if (!tr) check_epilogues(&P, col, b, ldb, N, ldc, c0, want, got, seed);
        free(b), free(c0), free(want), free(got), free(twin);
    }
    free(col), free(x);
}

/* 'same' (Keras: pad total = max((o-1)*s + k - i, 0), the smaller half first) or 'valid'. */
static void check_conv(int n, int h, int w, int c, int k, int s, int same, int N, int pad,
                       uint64_t seed)
{
    int oh, ow, pt = 0, pl = 0;
    if (same) {
        oh = (h + s - 1) / s, ow = (w + s - 1) / s;
        int th = (oh - 1) * s + k - h, tw = (ow - 1) * s + k - w;
        pt = th > 0 ? th / 2 : 0, pl = tw > 0 ? tw / 2 : 0;
    } else {
        oh = (h - k) / s + 1, ow = (w - k) / s + 1;
    }
    check_geom(n, h, w, c, k, k, s, s, pt, pl, oh, ow, N, pad, seed);
}

int main(void)
{
    for (int isa = SK_GEMM_DET_SCALAR; isa < SK_GEMM_DET_ISA_COUNT; isa++)
        if (sk_gemm_det_isa_supported(isa)) g_isas[g_nisa++] = isa;
    uint64_t seed = 0;
    /* the layer shapes of the seven models, scaled down */
    check_conv(2, 9, 9, 3, 3, 1, 1, 64, 0, seed++);    /* VGG block1_conv1 */
    check_conv(2, 12, 10, 64, 3, 1, 1, 64, 1, seed++); /* VGG block1_conv2 */
    check_conv(1, 11, 11, 3, 7, 2, 0, 64, 0, seed++);  /* ResNet stem after ZeroPadding2D */
    check_conv(2, 8, 8, 3, 3, 2, 0, 32, 2, seed++);    /* Xception block1_conv1 */
    check_conv(2, 7, 9, 32, 3, 1, 0, 64, 0, seed++);   /* Xception block1_conv2 */
    check_conv(3, 6, 6, 128, 3, 1, 1, 32, 0, seed++);  /* DenseNet 3x3 */
    check_conv(2, 9, 7, 40, 1, 2, 0, 96, 3, seed++);   /* 1x1 stride 2 */
    check_conv(1, 5, 5, 10, 3, 1, 1, 130, 0, seed++);  /* N past two AVX-512 panels */
    check_conv(2, 6, 5, 7, 5, 2, 1, 17, 1, seed++);    /* odd everything */
    check_conv(1, 4, 4, 520, 3, 1, 1, 70, 0, seed++);  /* K past the cache blocks */
    check_conv(1, 3, 3, 1, 3, 3, 1, 5, 0, seed++);     /* stride 3 */
    /* full padding (the transposed convolution of a 'valid' one): pads of kh - 1 */
    check_geom(2, 5, 6, 9, 3, 3, 1, 1, 2, 2, 7, 8, 24, 0, seed++);
    check_geom(1, 4, 4, 6, 5, 5, 1, 1, 4, 4, 8, 8, 13, 2, seed++);
    /* many rows: the resident and classic orders, several row blocks per thread */
    check_conv(4, 40, 40, 16, 3, 1, 1, 48, 0, seed++);
    check_conv(2, 30, 30, 64, 3, 1, 1, 64, 0, seed++);
    CHECKF(g_clipped > 100, "only %ld relu6 outputs reached 6", g_clipped);
    set_threads(2);
    return sk_test_finish();
}
