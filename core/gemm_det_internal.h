/* gemm_det_internal.h: what gemm_det.c needs from the per-ISA micro-kernel files.
 *
 * A micro-kernel computes one tile of at most mr x nr elements of C, rows 0..m-1 and columns
 * 0..n-1 (m <= mr, n <= nr), over kc steps of k in order, one fused multiply-add per step and
 * element, starting from C (load_c) or from +0.0f. It reads A element (r, k) at
 * a[r * a_rs + k * a_cs] and B element (k, j) at b[k * b_ks + j], and never touches rows >= m
 * of A or columns >= n of B and C, so it works on packed panels and on the caller's matrices. */
#ifndef SK_GEMM_DET_INTERNAL_H
#define SK_GEMM_DET_INTERNAL_H

#include <stddef.h>

typedef void (*sk_det_kernel_fn)(int m, int n, int kc, const float *a, ptrdiff_t a_rs,
                                 ptrdiff_t a_cs, const float *b, ptrdiff_t b_ks, float *c,
                                 ptrdiff_t ldc, int load_c);

typedef struct {
    int mr, nr; /* tile size of the kernel */
    sk_det_kernel_fn kernel;
} sk_det_kernel;

/* Defined in gemm_det_avx512.c / gemm_det_avx2.c; only call when the CPU supports the ISA. */
const sk_det_kernel *sk_gemm_det_avx512_kernel(void);
const sk_det_kernel *sk_gemm_det_avx2_kernel(void);

#endif
