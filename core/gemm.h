/* gemm.h: the one GEMM entry point of skytune, in front of the BLAS chosen by SK_BLAS.
 *
 * Row-major single precision: C = alpha * op(A) * op(B) + beta * C, op(A) M x K, op(B) K x N.
 * Every matrix product in the training core goes through here, so the backend is one switch.
 * Must not be called from inside an OpenMP parallel region (one thread pool). */
#ifndef SK_GEMM_H
#define SK_GEMM_H

void sk_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc);

/* Backend facts for --version and run records. */
const char *sk_blas_name(void);
const char *sk_blas_config(void);
const char *sk_blas_corename(void);
/* Threads the BLAS will use. */
int sk_blas_threads(void);

#endif
