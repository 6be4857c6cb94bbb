/* gemm_det_internal.h: what gemm_det.c needs from the per-ISA micro-kernel files.
 *
 * A micro-kernel computes one tile of at most mr x nr elements of C, rows 0..m-1 and columns
 * 0..n-1 (m <= mr, n <= nr), over kc steps of k in order, one fused multiply-add per step and
 * element, starting from C (load_c) or from +0.0f. It reads B element (k, j) at b[k * b_ks + j]
 * and never touches rows >= m of A or columns >= n of B and C, so it works on packed panels and
 * on the caller's matrices. A is read in one of three ways (sk_det_a):
 *  - STRIDED: A(r, k) = a[r * rs + k * cs] (a plain matrix, either orientation);
 *  - ROWS:    the rows of an implicit im2col matrix. k runs over taps of `seg` values each; row r
 *             reads tap t at ind[r * ntap + t] (a pointer to `seg` contiguous floats, or to zeros
 *             for a tap in the padding), and the call starts at value `c0` of its first tap;
 *  - KPTR:    the transpose of one: A(r, k) = kp[k][koff + r] (the tile's rows are contiguous
 *             channels of one tap, and k steps from one output pixel's pointer to the next).
 * Whatever the mode, element (r, j) sees the same fused multiply-adds in the same k order, so
 * the bits equal those of the plain matrix the mode stands for. */
#ifndef SK_GEMM_DET_INTERNAL_H
#define SK_GEMM_DET_INTERNAL_H

#include <stddef.h>

typedef enum { SK_DET_A_STRIDED = 0, SK_DET_A_ROWS, SK_DET_A_KPTR, SK_DET_A_MODES } sk_det_amode;

typedef struct {
    sk_det_amode mode;
    const float *a;                /* STRIDED */
    ptrdiff_t rs, cs;              /* STRIDED */
    const float *const *ind;       /* ROWS: ind[r * ntap + t] */
    int ntap, seg, c0;             /* ROWS */
    const float *const *kp;        /* KPTR: kp[k][koff + r] */
    ptrdiff_t koff;                /* KPTR */
} sk_det_a;

typedef void (*sk_det_kernel_fn)(int m, int n, int kc, const sk_det_a *a, const float *b,
                                 ptrdiff_t b_ks, float *c, ptrdiff_t ldc, int load_c);

typedef struct {
    int mr, nr; /* tile size of the kernel */
    sk_det_kernel_fn kernel;
} sk_det_kernel;

/* Defined in gemm_det_avx512.c / gemm_det_avx2.c; only call when the CPU supports the ISA. */
const sk_det_kernel *sk_gemm_det_avx512_kernel(void);
const sk_det_kernel *sk_gemm_det_avx2_kernel(void);

#endif
