// LABELS: unit
/* test_gemm_det.c: sk_sgemm_det is bit-identical (memcmp) to its naive twin sk_sgemm_det_ref
 * on every ISA path this CPU has, on 1 and 2 threads: odd sizes 1..129 and shapes that cross the
 * tile and cache-block edges (MR, NR, KC, MC, the resident/classic B orders, in-place B for few
 * rows), all four transpose cases, beta 0 and 1, leading dimensions above the minimum and
 * pointers off 64-byte alignment; K == 0; a row's bits do not depend on M or on its position in
 * the call; NaN and Inf propagate as in the reference; beta == 0 ignores NaN already in C. */
#include "sk_core.h"
#include "sk_base.h"
#include "sk_test.h"

#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static void set_threads(int n)
{
#ifdef _OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

/* Values with 12 significant bits in [-1, 1): products are exact-ish but sums of thousands of
 * them still round, so an order change shows up in the bits. */
static void fill(float *x, size_t n, uint64_t idx)
{
    sk_rng r = sk_rng_stream(11, SK_RNG_TEST, idx);
    for (size_t i = 0; i < n; i++) x[i] = 2.0f * sk_rng_uniformf(&r) - 1.0f;
}

typedef struct {
    int ta, tb, m, n, k, lda, ldb, ldc;
    float beta;
    float *abuf, *bbuf, *cbuf, *a, *b, *c0, *cref, *cout; /* a, b, c0.. are off alignment */
    size_t asz, bsz, csz;
} gcase;

static void case_init(gcase *g, int ta, int tb, int m, int n, int k, int pad, int beta1,
                      uint64_t seed)
{
    memset(g, 0, sizeof *g);
    g->ta = ta, g->tb = tb, g->m = m, g->n = n, g->k = k, g->beta = beta1 ? 1.0f : 0.0f;
    int arows = ta ? k : m, acols = ta ? m : k, brows = tb ? n : k, bcols = tb ? k : n;
    g->lda = (acols > 0 ? acols : 1) + pad;
    g->ldb = (bcols > 0 ? bcols : 1) + pad;
    g->ldc = (n > 0 ? n : 1) + pad;
    g->asz = (size_t)arows * g->lda + 1, g->bsz = (size_t)brows * g->ldb + 1;
    g->csz = (size_t)m * g->ldc + 1;
    /* +1 float: every matrix starts 4 bytes past a 64-byte boundary */
    g->abuf = sk_xmalloc_aligned((g->asz + 1) * sizeof(float));
    g->bbuf = sk_xmalloc_aligned((g->bsz + 1) * sizeof(float));
    g->cbuf = sk_xmalloc_aligned((3 * g->csz + 3) * sizeof(float));
    g->a = g->abuf + 1, g->b = g->bbuf + 1;
    g->c0 = g->cbuf + 1, g->cref = g->c0 + g->csz + 1, g->cout = g->cref + g->csz + 1;
    fill(g->a, g->asz, seed * 4 + 0);
    fill(g->b, g->bsz, seed * 4 + 1);
    fill(g->c0, g->csz, seed * 4 + 2);
    memcpy(g->cref, g->c0, g->csz * sizeof(float));
    sk_sgemm_det_ref(ta, tb, m, n, k, 1.0f, g->a, g->lda, g->b, g->ldb, g->beta, g->cref, g->ldc);
}

static void case_free(gcase *g)
{
    free(g->abuf), free(g->bbuf), free(g->cbuf);
}

/* Runs the fast path into cout (from c0) and compares every float of the C buffer, padding
 * included (it must be left untouched). */
static int case_run(gcase *g)
{
    memcpy(g->cout, g->c0, g->csz * sizeof(float));
    sk_sgemm_det(g->ta, g->tb, g->m, g->n, g->k, 1.0f, g->a, g->lda, g->b, g->ldb, g->beta,
                 g->cout, g->ldc);
    return memcmp(g->cout, g->cref, g->csz * sizeof(float)) == 0;
}

static int g_isas[SK_GEMM_DET_ISA_COUNT], g_nisa;

/* One shape: all four transposes x beta 0/1, every ISA, 1 and 2 threads. */
static void check_shape(int m, int n, int k, int pad, uint64_t seed)
{
    for (int t = 0; t < 8; t++) {
        int ta = t & 1, tb = (t >> 1) & 1, beta1 = (t >> 2) & 1;
        gcase g;
        case_init(&g, ta, tb, m, n, k, pad, beta1, seed * 8 + (uint64_t)t);
        for (int i = 0; i < g_nisa; i++) {
            sk_gemm_det_set_isa(g_isas[i]);
            for (int th = 1; th <= 2; th++) {
                set_threads(th);
                CHECKF(case_run(&g),
                       "bits differ: %s threads=%d ta=%d tb=%d m=%d n=%d k=%d pad=%d beta=%g",
                       sk_gemm_det_isa_name(g_isas[i]), th, ta, tb, m, n, k, pad, (double)g.beta);
            }
        }
        case_free(&g);
    }
    sk_gemm_det_set_isa(SK_GEMM_DET_AUTO);
}

static void test_shapes(void)
{
    static const int fixed[][3] = {
        {1, 1, 1},     {1, 1, 7},      {2, 3, 5},     {6, 64, 128},  {7, 65, 129},
        {5, 15, 17},   {13, 17, 31},   {12, 48, 3},   {1, 1000, 33}, {4, 512, 300},
        {32, 3, 257},  {129, 129, 129}, {200, 130, 140}, {400, 70, 40}, {14, 40, 3300},
        {390, 3, 2100}, {3, 129, 2},  {97, 1, 64},   {1, 129, 129}, {200, 7, 1},
    };
    uint64_t seed = 0;
    for (size_t i = 0; i < SK_ARRAY_LEN(fixed); i++)
        check_shape(fixed[i][0], fixed[i][1], fixed[i][2], (int)(i % 3) * 3, seed++);
    sk_rng r = sk_rng_stream(12, SK_RNG_TEST, 0);
    for (int i = 0; i < 16; i++) {
        int m = 1 + 2 * (int)sk_rng_below(&r, 65), n = 1 + 2 * (int)sk_rng_below(&r, 65);
        int k = 1 + 2 * (int)sk_rng_below(&r, 65);
        check_shape(m, n, k, (int)sk_rng_below(&r, 4), seed++);
    }
}

/* K == 0: C = beta * C; M or N == 0: nothing written. */
static void test_empty(void)
{
    float c[6], z[6] = {0}, orig[6] = {1, 2, 3, 4, 5, 6}, a[1] = {7}, b[1] = {9};
    for (int i = 0; i < g_nisa; i++) {
        sk_gemm_det_set_isa(g_isas[i]);
        memcpy(c, orig, sizeof c);
        sk_sgemm_det(0, 0, 2, 3, 0, 1.0f, a, 1, b, 3, 0.0f, c, 3);
        CHECK(memcmp(c, z, sizeof c) == 0);
        memcpy(c, orig, sizeof c);
        sk_sgemm_det(0, 0, 2, 3, 0, 1.0f, a, 1, b, 3, 1.0f, c, 3);
        CHECK(memcmp(c, orig, sizeof c) == 0);
        sk_sgemm_det(0, 0, 0, 3, 4, 1.0f, a, 4, b, 3, 0.0f, c, 3);
        sk_sgemm_det(0, 0, 2, 0, 4, 1.0f, a, 4, b, 1, 0.0f, c, 1);
        CHECK(memcmp(c, orig, sizeof c) == 0);
    }
    sk_gemm_det_set_isa(SK_GEMM_DET_AUTO);
}

/* Row r of a 300-row call equals the same row computed alone (and inside a 7-row call starting
 * at r), for every ISA and thread count: what lets a batch replace per-image calls. */
static void test_m_independence(void)
{
    const int M = 300, N = 100, K = 400;
    for (int ta = 0; ta < 2; ta++) {
        gcase g;
        case_init(&g, ta, 0, M, N, K, 1, 0, 900 + (uint64_t)ta);
        float *row = sk_xmalloc_aligned((size_t)7 * g.ldc * sizeof(float));
        for (int i = 0; i < g_nisa; i++) {
            sk_gemm_det_set_isa(g_isas[i]);
            for (int th = 1; th <= 2; th++) {
                set_threads(th);
                const char *name = sk_gemm_det_isa_name(g_isas[i]);
                CHECKF(case_run(&g), "full call %s threads=%d ta=%d", name, th, ta);
                static const int rows[] = {0, 1, 5, 6, 149, 150, 293, 299};
                for (size_t q = 0; q < SK_ARRAY_LEN(rows); q++) {
                    int r = rows[q], h = M - r < 7 ? M - r : 7;
                    const float *ar = ta ? g.a + r : g.a + (size_t)r * g.lda;
                    sk_sgemm_det(ta, 0, 1, N, K, 1.0f, ar, g.lda, g.b, g.ldb, 0.0f, row, g.ldc);
                    CHECKF(memcmp(row, g.cout + (size_t)r * g.ldc, (size_t)N * sizeof(float)) == 0,
                           "row %d alone differs (%s threads=%d ta=%d)", r, name, th, ta);
                    sk_sgemm_det(ta, 0, h, N, K, 1.0f, ar, g.lda, g.b, g.ldb, 0.0f, row, g.ldc);
                    CHECKF(memcmp(row, g.cout + (size_t)r * g.ldc, (size_t)N * sizeof(float)) == 0,
                           "row %d first of %d rows differs (%s threads=%d ta=%d)", r, h, name,
                           th, ta);
                }
            }
        }
        free(row);
        case_free(&g);
    }
    sk_gemm_det_set_isa(SK_GEMM_DET_AUTO);
}

/* Same bits, except that any NaN matches any NaN (payloads are not part of the contract). */
static int same_or_both_nan(const float *x, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]) && isnan(y[i])) continue;
        if (memcmp(&x[i], &y[i], sizeof(float)) != 0) return 0;
    }
    return 1;
}

static void test_nonfinite(void)
{
    for (int beta1 = 0; beta1 < 2; beta1++) {
        gcase g;
        case_init(&g, 0, 0, 37, 70, 50, 0, beta1, 77 + (uint64_t)beta1);
        g.a[3 * g.lda + 5] = NAN;                /* row 3 all NaN */
        g.a[10 * g.lda + 7] = INFINITY;          /* row 10: +-Inf, or NaN where B(7, j) == 0 */
        g.b[9 * g.ldb + 20] = -INFINITY;         /* column 20: -+Inf; Inf - Inf = NaN in row 10? */
        g.b[7 * g.ldb + 30] = 0.0f;              /* Inf * 0 = NaN at (10, 30) */
        g.c0[20 * g.ldc + 40] = NAN;             /* ignored when beta == 0 */
        g.c0[21 * g.ldc + 41] = INFINITY;
        memcpy(g.cref, g.c0, g.csz * sizeof(float));
        sk_sgemm_det_ref(0, 0, g.m, g.n, g.k, 1.0f, g.a, g.lda, g.b, g.ldb, g.beta, g.cref, g.ldc);
        CHECK(isnan(g.cref[3 * g.ldc]) && isnan(g.cref[10 * g.ldc + 30]));
        CHECK(beta1 ? isnan(g.cref[20 * g.ldc + 40]) : !isnan(g.cref[20 * g.ldc + 40]));
        CHECK(beta1 ? isinf(g.cref[21 * g.ldc + 41]) : isfinite(g.cref[21 * g.ldc + 41]));
        for (int i = 0; i < g_nisa; i++) {
            sk_gemm_det_set_isa(g_isas[i]);
            for (int th = 1; th <= 2; th++) {
                set_threads(th);
                memcpy(g.cout, g.c0, g.csz * sizeof(float));
                sk_sgemm_det(0, 0, g.m, g.n, g.k, 1.0f, g.a, g.lda, g.b, g.ldb, g.beta, g.cout,
                             g.ldc);
                CHECKF(same_or_both_nan(g.cout, g.cref, g.csz), "non-finite %s threads=%d beta=%d",
                       sk_gemm_det_isa_name(g_isas[i]), th, beta1);
            }
        }
        case_free(&g);
    }
    sk_gemm_det_set_isa(SK_GEMM_DET_AUTO);
}

/* The reference itself, on a case small enough to write down: 2x2 with K = 3. */
static void test_ref_known(void)
{
    float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 0, 1, 1, 1}, c[4] = {10, 20, 30, 40};
    sk_sgemm_det_ref(0, 0, 2, 2, 3, 1.0f, a, 3, b, 2, 1.0f, c, 2);
    CHECK(c[0] == 14 && c[1] == 25 && c[2] == 40 && c[3] == 51);
    /* one fused rounding per step: -(1 + 2^-11) + (1 + 2^-12)^2 = 2^-24 exactly with fma, 0
     * with a separately rounded product */
    float x = 1.0f + 0x1p-12f, y[2] = {1.0f, x}, z = -(1.0f + 0x1p-11f), w[2] = {0, 0};
    float aa[2] = {z, x};
    sk_sgemm_det_ref(0, 0, 1, 1, 2, 1.0f, aa, 2, y, 1, 0.0f, w, 1);
    CHECK(w[0] == 0x1p-24f);
}

int main(void)
{
    for (int isa = SK_GEMM_DET_SCALAR; isa < SK_GEMM_DET_ISA_COUNT; isa++)
        if (sk_gemm_det_isa_supported(isa)) g_isas[g_nisa++] = isa;
    printf("paths:");
    for (int i = 0; i < g_nisa; i++) printf(" %s", sk_gemm_det_isa_name(g_isas[i]));
    printf(" (auto = %s)\n", sk_gemm_det_isa_name(sk_gemm_det_isa_current()));
    CHECK(sk_gemm_det_set_isa(SK_GEMM_DET_ISA_COUNT) == -1);
    CHECK(sk_gemm_det_set_isa(SK_GEMM_DET_SCALAR) == SK_GEMM_DET_AUTO);
    CHECK(sk_gemm_det_isa_current() == SK_GEMM_DET_SCALAR);
    CHECK(sk_gemm_det_set_isa(SK_GEMM_DET_AUTO) == SK_GEMM_DET_SCALAR);
    test_ref_known();
    test_empty();
    test_shapes();
    test_m_independence();
    test_nonfinite();
    set_threads(2);
    return sk_test_finish();
}
