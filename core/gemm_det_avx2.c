/* gemm_det_avx2.c: the AVX2 + FMA micro-kernel of sk_sgemm_det (see gemm_det_internal.h).
 *
 * Tile MR x NR = 6 x 16: 12 ymm accumulators, per k two loads of B and six broadcasts of A.
 * Each accumulator lane is one element of C and sees exactly one vfmadd per k, in k order, so
 * lane bits equal the scalar fmaf chain of sk_sgemm_det_ref whichever way A is read (strided,
 * implicit im2col rows, or its transpose). Edge tiles are the same code with fewer rows and a
 * lane mask on the last vector (specialised at compile time). */
#include "gemm_det_internal.h"

#include <immintrin.h>

#define MR 6
#define NV 2
#define NR (8 * NV)

#define TGT __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline)) TGT

typedef void (*tile_fn)(int kc, const sk_det_a *a, const float *b, ptrdiff_t b_ks, float *c,
                        ptrdiff_t ldc, int load_c, __m256i last);

INLINE void load_b(const int nv, const int masked, __m256 bv[NV], const float *b, __m256i last)
{
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++)
        bv[v] = (masked && v == nv - 1) ? _mm256_maskload_ps(b + 8 * v, last)
                                        : _mm256_loadu_ps(b + 8 * v);
}

/* acc[r][.] += x * bv for one row */
INLINE void fma_row(const int nv, __m256 acc[NV], float x, const __m256 bv[NV])
{
    __m256 av = _mm256_set1_ps(x);
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++) acc[v] = _mm256_fmadd_ps(av, bv[v], acc[v]);
}

/* m rows, nv vectors of 8 columns; when masked, the last vector only covers the lanes in
 * lanes whose `last` element is -1. m, nv, masked and mode are compile-time constants in every caller. */
INLINE void tile(const int m, const int nv, const int masked, const int mode, int kc,
                 const sk_det_a *A, const float *b, ptrdiff_t b_ks, float *c, ptrdiff_t ldc,
                 int load_c, __m256i last)
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
    __m256 bv[NV];
    if (mode == SK_DET_A_STRIDED) {
        const float *a = A->a;
        const ptrdiff_t a_rs = A->rs, a_cs = A->cs;
        for (int k = 0; k < kc; k++) {
            load_b(nv, masked, bv, b, last);
#pragma GCC unroll 8
            for (int r = 0; r < m; r++) fma_row(nv, acc[r], a[r * a_rs], bv);
            a += a_cs;
            b += b_ks;
        }
    } else if (mode == SK_DET_A_ROWS) {
        int t = 0, c0 = A->c0, left = kc;
        while (left > 0) {
            int seg = A->seg - c0 < left ? A->seg - c0 : left;
            const float *ap[MR];
#pragma GCC unroll 8
            for (int r = 0; r < m; r++) ap[r] = A->ind[r * A->ntap + t] + c0;
            for (int k = 0; k < seg; k++) {
                load_b(nv, masked, bv, b, last);
#pragma GCC unroll 8
                for (int r = 0; r < m; r++) fma_row(nv, acc[r], ap[r][k], bv);
                b += b_ks;
            }
            left -= seg;
            t++;
            c0 = 0;
        }
    } else {
        const float *const *kp = A->kp;
        for (int k = 0; k < kc; k++) {
            const float *ap = kp[k] + A->koff;
            load_b(nv, masked, bv, b, last);
#pragma GCC unroll 8
            for (int r = 0; r < m; r++) fma_row(nv, acc[r], ap[r], bv);
            b += b_ks;
        }
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

#define DEF1(MO, M, V, MS)                                                                    \
    static TGT void tile_##MO##_##M##_##V##_##MS(int kc, const sk_det_a *a, const float *b,   \
                                                 ptrdiff_t b_ks, float *c, ptrdiff_t ldc,     \
                                                 int load_c, __m256i last)                  \
    {                                                                                         \
        tile(M, V, MS, MO, kc, a, b, b_ks, c, ldc, load_c, last);                             \
    }
#define DEFV(MO, M, V) DEF1(MO, M, V, 0) DEF1(MO, M, V, 1)
#define DEFM(MO, M) DEFV(MO, M, 1) DEFV(MO, M, 2)
#define DEFMO(MO) DEFM(MO, 1) DEFM(MO, 2) DEFM(MO, 3) DEFM(MO, 4) DEFM(MO, 5) DEFM(MO, 6)
DEFMO(0)
DEFMO(1)
DEFMO(2)

#define ROWV(MO, M, V) {tile_##MO##_##M##_##V##_0, tile_##MO##_##M##_##V##_1}
#define ROWM(MO, M) {ROWV(MO, M, 1), ROWV(MO, M, 2)}
#define ROWMO(MO)                                                                             \
    {ROWM(MO, 1), ROWM(MO, 2), ROWM(MO, 3), ROWM(MO, 4), ROWM(MO, 5), ROWM(MO, 6)}
_Static_assert(SK_DET_A_STRIDED == 0 && SK_DET_A_ROWS == 1 && SK_DET_A_KPTR == 2 &&
                   SK_DET_A_MODES == 3,
               "the tile table below is indexed by sk_det_amode");
static const tile_fn tiles[SK_DET_A_MODES][MR][NV][2] = {ROWMO(0), ROWMO(1), ROWMO(2)};

static TGT void kernel(int m, int n, int kc, const sk_det_a *a, const float *b, ptrdiff_t b_ks,
                       float *c, ptrdiff_t ldc, int load_c)
{
    int nv = (n + 7) / 8, rem = n % 8;
    __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i last = _mm256_cmpgt_epi32(_mm256_set1_epi32(rem ? rem : 8), lane);
    tiles[a->mode][m - 1][nv - 1][rem != 0](kc, a, b, b_ks, c, ldc, load_c, last);
}

static const sk_det_kernel k_avx2 = {MR, NR, kernel};

const sk_det_kernel *sk_gemm_det_avx2_kernel(void) { return &k_avx2; }
