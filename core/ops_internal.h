/* ops_internal.h: helpers shared by the op kernels (ops_*.c, loss.c) and nobody else.
 *
 * OpenMP pragmas go through these macros so the tree also builds without OpenMP (where a bare
 * `#pragma omp` would trip -Wunknown-pragmas). Only outer loops with disjoint writes use them.
 * Not part of the public API: include ops.h from outside core's op files. */
#ifndef SK_OPS_INTERNAL_H
#define SK_OPS_INTERNAL_H

#include <stddef.h>

#define SK_OPS_PRAGMA(x) _Pragma(#x)
#ifdef _OPENMP
#define SK_OMP_FOR SK_OPS_PRAGMA(omp parallel for schedule(static))
/* Parallel only when the work is big enough to pay for waking the pool. */
#define SK_OMP_FOR_IF(cond) SK_OPS_PRAGMA(omp parallel for schedule(static) if (cond))
#else
#define SK_OMP_FOR
#define SK_OMP_FOR_IF(cond)
#endif

/* Below this many floats of work an elementwise loop stays serial. */
#define SK_OMP_MIN_WORK 32768

/* Channel block used by per-channel reductions: each block is reduced by one thread, rows in
 * order, in double, so results do not depend on the thread count. */
#define SK_OPS_CBLOCK 32

/* dst[j] += sum over r of src[r * cols + j], j < cols. Rows summed in order in double;
 * parallel over channel blocks (deterministic for any thread count). */
void sk_ops_colsum_acc(float *dst, const float *src, size_t rows, int cols);

#endif
