/* gemm_det_avx512.c: the AVX-512F + FMA micro-kernel of sk_sgemm_det (see gemm_det_internal.h).
 *
 * Tile MR x NR = 6 x 64: 24 zmm accumulators, per k four loads of B and six broadcasts of A.
 * Each accumulator lane is one element of C and sees exactly one vfmadd per k, in k order, so
 * lane bits equal the scalar fmaf chain of sk_sgemm_det_ref. Edge tiles are the same code with
 * fewer rows and a lane mask on the last vector (specialised at compile time: no spills). */
#include "gemm_det_internal.h"

#include <immintrin.h>

#define MR 6
#define NV 4
#define NR (16 * NV)

#define TGT __attribute__((target("avx512f,fma")))

typedef void (*tile_fn)(int kc, const float *a, ptrdiff_t a_rs, ptrdiff_t a_cs, const float *b,
                        ptrdiff_t b_ks, float *c, ptrdiff_t ldc, int load_c, __mmask16 last);

/* m rows, nv vectors of 16 columns; when masked, the last vector only covers the lanes in
 * `last`. m, nv and masked are compile-time constants in every caller. */
static inline __attribute__((always_inline)) TGT void
tile(const int m, const int nv, const int masked, int kc, const float *a, ptrdiff_t a_rs,
     ptrdiff_t a_cs, const float *b, ptrdiff_t b_ks, float *c, ptrdiff_t ldc, int load_c,
     __mmask16 last)
{
    __m512 acc[MR][NV];
#pragma GCC unroll 8
    for (int r = 0; r < m; r++) {
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            const float *cp = c + r * ldc + 16 * v;
            if (!load_c)
                acc[r][v] = _mm512_setzero_ps();
            else if (masked && v == nv - 1)
                acc[r][v] = _mm512_maskz_loadu_ps(last, cp);
            else
                acc[r][v] = _mm512_loadu_ps(cp);
        }
    }
    for (int k = 0; k < kc; k++) {
        __m512 bv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            bv[v] = (masked && v == nv - 1) ? _mm512_maskz_loadu_ps(last, b + 16 * v)
                                            : _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 8
        for (int r = 0; r < m; r++) {
            __m512 av = _mm512_set1_ps(a[r * a_rs]);
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
        }
        a += a_cs;
        b += b_ks;
    }
#pragma GCC unroll 8
    for (int r = 0; r < m; r++) {
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            float *cp = c + r * ldc + 16 * v;
            if (masked && v == nv - 1)
                _mm512_mask_storeu_ps(cp, last, acc[r][v]);
            else
                _mm512_storeu_ps(cp, acc[r][v]);
        }
    }
}

#define DEF1(M, V, MS)                                                                        \
    static TGT void tile_##M##_##V##_##MS(int kc, const float *a, ptrdiff_t a_rs,             \
                                          ptrdiff_t a_cs, const float *b, ptrdiff_t b_ks,     \
                                          float *c, ptrdiff_t ldc, int load_c,                \
                                          __mmask16 last)                                     \
    {                                                                                         \
        tile(M, V, MS, kc, a, a_rs, a_cs, b, b_ks, c, ldc, load_c, last);                     \
    }
#define DEFV(M, V) DEF1(M, V, 0) DEF1(M, V, 1)
#define DEFM(M) DEFV(M, 1) DEFV(M, 2) DEFV(M, 3) DEFV(M, 4)
DEFM(1)
DEFM(2)
DEFM(3)
DEFM(4)
DEFM(5)
DEFM(6)

#define ROWV(M, V) {tile_##M##_##V##_0, tile_##M##_##V##_1}
#define ROWM(M) {ROWV(M, 1), ROWV(M, 2), ROWV(M, 3), ROWV(M, 4)}
static const tile_fn tiles[MR][NV][2] = {ROWM(1), ROWM(2), ROWM(3), ROWM(4), ROWM(5), ROWM(6)};

static void kernel(int m, int n, int kc, const float *a, ptrdiff_t a_rs, ptrdiff_t a_cs,
                   const float *b, ptrdiff_t b_ks, float *c, ptrdiff_t ldc, int load_c)
{
    int nv = (n + 15) / 16, rem = n % 16;
    __mmask16 last = rem ? (__mmask16)((1u << rem) - 1u) : (__mmask16)0xFFFF;
    tiles[m - 1][nv - 1][rem != 0](kc, a, a_rs, a_cs, b, b_ks, c, ldc, load_c, last);
}

static const sk_det_kernel k_avx512 = {MR, NR, kernel};

const sk_det_kernel *sk_gemm_det_avx512_kernel(void) { return &k_avx512; }
