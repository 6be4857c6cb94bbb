/* gemm_det.h: a bit-deterministic row-major SGEMM of our own.
 *
 * C = op(A) * op(B) + beta * C, op(A) M x K, op(B) K x N, same argument meaning as sk_sgemm and
 * cblas row-major. Only alpha == 1 and beta in {0, 1} are supported (SK_ASSERT otherwise).
 * Every element is computed by ONE fixed sequence of operations, the one of sk_sgemm_det_ref:
 *     acc = (beta == 1 ? C[i][j] : 0.0f);
 *     for k = 0 .. K-1 in order: acc = fmaf(opA[i][k], opB[k][j], acc);
 *     C[i][j] = acc;
 * so the bits of a row of C depend neither on M, nor on the row's position in the call, nor on
 * the thread count, nor on the ISA path (AVX-512, AVX2+FMA, scalar fmaf). Threads split C only
 * (never K). Must not be called from inside an OpenMP parallel region (it would run on one
 * thread, still with the same bits). Thread-safe: packing buffers are per thread. */
#ifndef SK_GEMM_DET_H
#define SK_GEMM_DET_H

#include "sk_common.h"

void sk_sgemm_det(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                  int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* The naive scalar loop above, single-threaded: the twin the tests compare against. */
void sk_sgemm_det_ref(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                      int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* The implicit im2col matrix of an NHWC tensor for a kh x kw window: row q = (image, oh, ow)
 * holds the window of output pixel q, taps (ki, kj) row-major, each tap's c channels, and zeros
 * where the window lies in the padding (pt rows above, pl columns left): the matrix ops_conv.c's
 * im2col would materialise, never materialised here. M = n*oh*ow rows, K = kh*kw*c columns. */
typedef struct {
    const float *x; /* (n, h, w, c) */
    int n, h, w, c;
    int oh, ow, kh, kw, sh, sw, pt, pl;
} sk_det_patches;

/* C (M x N) = im2col(P) * B (+ C when beta == 1), B (K x N) row-major: the bits of
 * sk_sgemm_det(0, 0, M, N, K, 1, col, K, b, ldb, beta, c, ldc) on the materialised matrix. */
void sk_sgemm_det_patches(const sk_det_patches *P, int n, const float *b, int ldb, float beta,
                          float *c, int ldc);
/* C (K x N) = im2col(P)^T * B (+ C), B (M x N) row-major: the bits of
 * sk_sgemm_det(1, 0, K, N, M, 1, col, K, b, ldb, beta, c, ldc). */
void sk_sgemm_det_patches_t(const sk_det_patches *P, int n, const float *b, int ldb, float beta,
                            float *c, int ldc);
/* An epilogue applied to each element of C once all its K products are in (beta 0 only):
 * c = c + bias[j] when bias is not NULL, then ReLU (c > 0 ? c : 0) or ReLU6 (that, then
 * x < 6 ? x : 6): the same operations, so the same bits, as a separate bias pass and activation
 * pass over C (ops_conv.c add_bias_rows, ops_elem.c sk_act_forward), done while C's tile is
 * still in cache. */
typedef enum { SK_DET_EP_LINEAR = 0, SK_DET_EP_RELU, SK_DET_EP_RELU6 } sk_det_ep_act;
typedef struct {
    const float *bias; /* (N) or NULL */
    sk_det_ep_act act;
} sk_det_epilogue;

/* sk_sgemm_det(0, 0, m, n, k, 1, a, lda, b, ldb, 0, c, ldc), then the epilogue. */
void sk_sgemm_det_ep(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                     float *c, int ldc, const sk_det_epilogue *ep);
/* sk_sgemm_det_patches(P, n, b, ldb, 0, c, ldc), then the epilogue. */
void sk_sgemm_det_patches_ep(const sk_det_patches *P, int n, const float *b, int ldb, float *c,
                             int ldc, const sk_det_epilogue *ep);
/* The epilogue alone on rows x n of C (row stride ldc): the twin the fused path must equal. */
void sk_det_epilogue_apply(float *c, size_t rows, int n, int ldc, const sk_det_epilogue *ep);

/* Their scalar twin (transposed selects the second), single-threaded, for tests. */
void sk_sgemm_det_patches_ref(const sk_det_patches *P, int transposed, int n, const float *b,
                              int ldb, float beta, float *c, int ldc);

/* Code paths. AUTO picks the best one this CPU supports (AVX-512, then AVX2, then scalar). */
typedef enum {
    SK_GEMM_DET_AUTO = 0,
    SK_GEMM_DET_SCALAR,
    SK_GEMM_DET_AVX2,   /* AVX2 + FMA */
    SK_GEMM_DET_AVX512, /* AVX-512F + FMA */
    SK_GEMM_DET_ISA_COUNT
} sk_gemm_det_isa;

/* 1 if this CPU (and OS) can run `isa` (AUTO and SCALAR always can), else 0. */
int sk_gemm_det_isa_supported(int isa);
/* Forces the path used by later calls (for tests and benchmarks); returns the previously forced
 * value (AUTO if none), or -1 (nothing changed) if `isa` is unknown or unsupported here.
 * Not thread-safe: call while no other thread is inside sk_sgemm_det. */
int sk_gemm_det_set_isa(int isa);
/* The path the next call will take (never AUTO), and a static name for it. */
int sk_gemm_det_isa_current(void);
const char *sk_gemm_det_isa_name(int isa);

#endif
