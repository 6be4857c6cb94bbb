/* gemm.c: sk_sgemm on OpenBLAS (the OpenMP build, so it shares libgomp's pool with our loops). */
#include "gemm.h"
#include "sk_common.h"

#include <cblas.h>

/* Declared by OpenBLAS's cblas.h in recent versions; repeated here for older headers. */
char *openblas_get_config(void);
char *openblas_get_corename(void);
int openblas_get_num_threads(void);

void sk_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc)
{
    SK_ASSERT(m >= 0 && n >= 0 && k >= 0);
    if (m == 0 || n == 0) return;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

const char *sk_blas_name(void) { return "openblas"; }
const char *sk_blas_config(void) { return openblas_get_config(); }
const char *sk_blas_corename(void) { return openblas_get_corename(); }
int sk_blas_threads(void) { return openblas_get_num_threads(); }
