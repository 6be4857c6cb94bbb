/* gemm.h: the one GEMM entry point of skytune, in front of the compiled-in BLAS backends.
 *
 * Row-major single precision: C = alpha * op(A) * op(B) + beta * C, op(A) M x K, op(B) K x N.
 * Every matrix product in the training core goes through here, so the backend is one switch.
 * Must not be called from inside an OpenMP parallel region (one thread pool).
 *
 * Backends: "openblas" (always built), "det" (ours, gemm_det.h: always built; bit-identical for
 * any M, thread count and ISA) and "dnnl" (oneDNN, built when libdnnl-dev is installed).
 * The default is the CMake option SK_BLAS; the environment variable SKYTUNE_GEMM (openblas|det|dnnl)
 * overrides it when the backend is first used; sk_gemm_select overrides both. Results are not
 * bit-identical across backends (different kernels sum K in different orders). */
#ifndef SK_GEMM_H
#define SK_GEMM_H

#include "sk_common.h"

void sk_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc);

/* Makes `name` ("openblas" or "dnnl") the current backend. Returns 0, or -1 (current backend
 * unchanged) if the name is unknown or that backend is not compiled in. Not thread-safe: call at
 * start-up or between benchmarks, never while another thread may be in sk_sgemm. */
int sk_gemm_select(const char *name);

/* Applies SKYTUNE_GEMM (unset or empty: the compiled default). SK_EINVAL naming the value and
 * the compiled-in backends if it names none of them; the current backend is then unchanged.
 * Programs call this at start-up to report a bad value cleanly; otherwise the first use of the
 * backend applies it and, since sk_sgemm cannot return an error, a bad value there prints one
 * line on stderr and falls back to the compiled default. */
sk_status sk_gemm_init_from_env(sk_error *err) SK_WUR;

/* Writes up to max compiled-in backend names (static strings) to names; returns how many are
 * compiled in (may exceed max). The first is "openblas". */
int sk_gemm_backends(const char **names, int max);

/* 1 if the current backend gives every output element bits that depend only on its row of
 * op(A) and column of op(B): not on M, the row's position or the thread count ("det"). The
 * executor then runs the frozen prefix batched, since that equals the per-image result. */
int sk_gemm_row_invariant(void);

/* Facts about the CURRENT backend, for --version and run records (static strings). */
const char *sk_blas_name(void);     /* "openblas" or "dnnl" */
const char *sk_blas_config(void);   /* OpenBLAS build config; "oneDNN 2.6.3 (...)" */
const char *sk_blas_corename(void); /* OpenBLAS core (e.g. Haswell); oneDNN's effective ISA */
/* Threads the current BLAS will use. */
int sk_blas_threads(void);

#endif
