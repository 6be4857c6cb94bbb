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

/* The old value an input gradient builds on in the *_mode backwards (ops.h): +0.0f when the
 * gradient is assigned, so dst = SK_GRAD_BASE(a, dst) + v has the bits of accumulating into a
 * zeroed buffer and never reads dst (the loops are unswitched on the invariant flag). */
#define SK_GRAD_BASE(assign, old) ((assign) ? 0.0f : (old))

/* Below this many floats of work an elementwise loop stays serial. */
#define SK_OMP_MIN_WORK 32768

/* Parallel regions with explicit partitioning (sk_ops_range), for kernels that need a barrier
 * between phases or per-thread scratch. */
#ifdef _OPENMP
#include <omp.h>
/* A team of at most nt threads (nt = sk_ops_max_threads() when per-thread scratch was sized). */
#define SK_OMP_PARALLEL_IF(cond, nt) SK_OPS_PRAGMA(omp parallel if (cond) num_threads(nt))
#define SK_OMP_BARRIER SK_OPS_PRAGMA(omp barrier)
static inline int sk_ops_tid(void) { return omp_get_thread_num(); }
static inline int sk_ops_nthreads(void) { return omp_get_num_threads(); }
static inline int sk_ops_max_threads(void) { return omp_in_parallel() ? 1 : omp_get_max_threads(); }
#else
#define SK_OMP_PARALLEL_IF(cond, nt)
#define SK_OMP_BARRIER
static inline int sk_ops_tid(void) { return 0; }
static inline int sk_ops_nthreads(void) { return 1; }
static inline int sk_ops_max_threads(void) { return 1; }
#endif

/* Items [*lo, *hi) of n for the calling thread under a static split. Which thread runs an item
 * never changes its arithmetic: callers only split work whose decomposition is fixed. */
static inline void sk_ops_range(size_t n, size_t *lo, size_t *hi)
{
    size_t t = (size_t)sk_ops_tid(), nt = (size_t)sk_ops_nthreads();
    *lo = n * t / nt;
    *hi = n * (t + 1) / nt;
}

/* Hot loops are compiled for AVX-512, AVX2 and baseline x86-64 and picked at load time. The
 * clones run the same C: without -ffast-math GCC neither contracts (ISO C mode: no FMA) nor
 * reassociates, and every loop vectorises across independent lanes (channels), so all clones
 * give the same bits. Only leaf functions carry it (an OpenMP-outlined body would not inherit a
 * target attribute). Off under sanitizers and on compilers without ifunc clones. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(SK_OPS_NO_CLONES)
#define SK_OPS_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SK_OPS_CLONES
#endif

/* Per-channel reductions over rows are split into fixed chunks of sk_ops_chunk_rows(c) rows;
 * chunk partials (double) are combined in chunk order, so the bits depend on the shape only,
 * never on the thread count. A chunk is ~64 KiB of floats (stays in L2 between passes). */
#define SK_OPS_CHUNK_FLOATS 16384
static inline size_t sk_ops_chunk_rows(int c)
{
    size_t r = SK_OPS_CHUNK_FLOATS / (size_t)c;
    return r < 8 ? 8 : r;
}

/* Scratch owned by the calling thread, at least `bytes`, 64-byte aligned. Grown on demand and
 * kept, so steady-state calls allocate nothing. Valid until this thread's next call; the
 * caller may share it with its OpenMP team. Contents undefined. */
void *sk_ops_scratch(size_t bytes);
/* One block of sk_act_forward on the calling thread (not softmax, not linear); out may be inp. */
void sk_ops_act_rows(float *out, const float *inp, size_t n, sk_act act);
/* One block of sk_act_backward_mode on the calling thread (not softmax, not linear): the same
 * per-element expression; assign 1 writes +0.0f + v. dinp must not alias the others. */
void sk_ops_act_grad_rows(float *dinp, const float *dout, const float *inp, const float *out,
                          size_t n, sk_act act, int assign);

/* Channel block used by per-channel reductions: each block is reduced by one thread, rows in
 * order, in double, so results do not depend on the thread count. */
#define SK_OPS_CBLOCK 32

/* dst[j] += sum over r of src[r * cols + j], j < cols. Rows summed in order in double;
 * parallel over channel blocks (deterministic for any thread count). */
void sk_ops_colsum_acc(float *dst, const float *src, size_t rows, int cols);

#endif
