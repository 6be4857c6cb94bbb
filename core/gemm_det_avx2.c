/* gemm_det_avx2.c: the AVX2 + FMA micro-kernel of sk_sgemm_det (see gemm_det_internal.h).
 *
 * Tile MR x NR = 6 x 16: 12 ymm accumulators, per k two loads of B and six broadcasts of A.
 * Each accumulator lane is one element of C and sees exactly one vfmadd per k, in k order, so
 * lane bits equal the scalar fmaf chain of sk_sgemm_det_ref. Edge tiles are the same code with
 * fewer rows and a lane mask on the last vector (specialised at compile time). */
#include "gemm_det_internal.h"

#include <immintrin.h>

#define MR 6
#define NV 2
#define NR (8 * NV)

#define TGT __attribute__((target("avx2,fma")))

typedef void (*tile_fn)(int kc, const float *a, ptrdiff_t a_rs, ptrdiff_t a_cs, const float *b,
                        ptrdiff_t b_ks, float *c, ptrdiff_t ldc, int load_c, __m256i last);

/* m rows, nv vectors of 8 columns; when masked, the last vector only covers the lanes whose
 * `last` element is -1. m, nv and masked are compile-time constants in every caller. */
static inline __attribute__((always_inline)) TGT void
tile(const int m, const int nv, const int masked, int kc, const float *a, ptrdiff_t a_rs,
     ptrdiff_t a_cs, const float *b, ptrdiff_t b_ks, float *c, ptrdiff_t ldc, int load_c,
     __m256i last)
{
    __m256 acc[MR][NV];
#pragma GCC unroll 8
    for (int r = 0; r < m; r++) {
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            const float *cp = c + r * ldc + 8 * v;
            if (!load_c)
                acc[r][v] = _mm256_setzero_ps();
            else if (masked && v == nv - 1)
                acc[r][v] = _mm256_maskload_ps(cp, last);
            else
                acc[r][v] = _mm256_loadu_ps(cp);
        }
    }
    for (int k = 0; k < kc; k++) {
        __m256 bv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            bv[v] = (masked && v == nv - 1) ? _mm256_maskload_ps(b + 8 * v, last)
                                            : _mm256_loadu_ps(b + 8 * v);
#pragma GCC unroll 8
        for (int r = 0; r < m; r++) {
            __m256 av = _mm256_broadcast_ss(a + r * a_rs);
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++) acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
        }
        a += a_cs;
        b += b_ks;
    }
#pragma GCC unroll 8
    for (int r = 0; r < m; r++) {
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            float *cp = c + r * ldc + 8 * v;
            if (masked && v == nv - 1)
                _mm256_maskstore_ps(cp, last, acc[r][v]);
            else
                _mm256_storeu_ps(cp, acc[r][v]);
        }
    }
}

#define DEF1(M, V, MS)                                                                        \
    static TGT void tile_##M##_##V##_##MS(int kc, const float *a, ptrdiff_t a_rs,             \
                                          ptrdiff_t a_cs, const float *b, ptrdiff_t b_ks,     \
                                          float *c, ptrdiff_t ldc, int load_c, __m256i last)  \
    {                                                                                         \
        tile(M, V, MS, kc, a, a_rs, a_cs, b, b_ks, c, ldc, load_c, last);                     \
    }
#define DEFV(M, V) DEF1(M, V, 0) DEF1(M, V, 1)
#define DEFM(M) DEFV(M, 1) DEFV(M, 2)
DEFM(1)
DEFM(2)
DEFM(3)
DEFM(4)
DEFM(5)
DEFM(6)

#define ROWV(M, V) {tile_##M##_##V##_0, tile_##M##_##V##_1}
#define ROWM(M) {ROWV(M, 1), ROWV(M, 2)}
static const tile_fn tiles[MR][NV][2] = {ROWM(1), ROWM(2), ROWM(3), ROWM(4), ROWM(5), ROWM(6)};

static TGT void kernel(int m, int n, int kc, const float *a, ptrdiff_t a_rs, ptrdiff_t a_cs,
                       const float *b, ptrdiff_t b_ks, float *c, ptrdiff_t ldc, int load_c)
{
    int nv = (n + 7) / 8, rem = n % 8;
    __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i last = _mm256_cmpgt_epi32(_mm256_set1_epi32(rem ? rem : 8), lane);
    tiles[m - 1][nv - 1][rem != 0](kc, a, a_rs, a_cs, b, b_ks, c, ldc, load_c, last);
}

static const sk_det_kernel k_avx2 = {MR, NR, kernel};

const sk_det_kernel *sk_gemm_det_avx2_kernel(void) { return &k_avx2; }
