// LABELS: unit
/* test_gemm: sk_sgemm on every compiled-in backend (openblas, det, dnnl), and what each one does for
 * determinism.
 *  - correctness against a naive double-accumulating reference: odd shapes, all four transpose
 *    combinations, alpha/beta not 1/0, leading dimensions above the minimum (the gap in C must
 *    stay untouched), beta = 0 on a NaN-filled C (BLAS semantics: C is not read), K = 0;
 *  - backend selection: sk_gemm_select, sk_gemm_backends, SKYTUNE_GEMM via sk_gemm_init_from_env;
 *  - determinism facts, printed as a table per backend: (a) run-to-run identity at a fixed thread
 *    count (asserted: neither library has a source of run-to-run variation), (b) does a row's
 *    result depend on M (row 0 for M in 1..257; row r of a 512-row call vs a 1-row call; each
 *    image of a per-image call vs the batched call), (c) 1 vs 2 and 8 threads. (b) and (c) are
 *    printed, not asserted: neither library guarantees them, and they change with shape, thread
 *    count and version (why: the comment at the top of core/gemm.c). */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "sk_core.h"
#include "sk_base.h"
#include "sk_test.h"

void openblas_set_num_threads(int n); /* OpenBLAS's own API; declared here to set it in tests */

static float *frand(size_t n, uint64_t idx)
{
    float *p = sk_xmalloc_aligned((n ? n : 1) * sizeof(float));
    sk_rng r = sk_rng_stream(7, SK_RNG_TEST, idx);
    for (size_t i = 0; i < n; i++) p[i] = (float)sk_rng_normal(&r);
    return p;
}

static void set_threads(int n)
{
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
    openblas_set_num_threads(n);
}

static int max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* ---- correctness ---- */

/* C (m, ldc)  A: op(A) (m,k) stored (m,lda) or (k,lda) if ta  B: op(B) (k,n) stored (k,ldb) or
 * (n,ldb) if tb. Checks one sk_sgemm call against the reference; returns 1 if all good. */
static int check_case(int ta, int tb, int m, int n, int k, float alpha, float beta, int pad,
                      uint64_t seed)
{
    int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
    if (lda < 1) lda = 1;
    if (ldb < 1) ldb = 1;
    size_t na = (size_t)(ta ? k : m) * lda, nb = (size_t)(tb ? n : k) * ldb, nc = (size_t)m * ldc;
    float *a = frand(na, seed * 3), *b = frand(nb, seed * 3 + 1), *c = frand(nc, seed * 3 + 2);
    float *c0 = sk_xmalloc(nc * sizeof(float) + 1);
    /* The gap between rows of C holds a sentinel that must survive. */
    for (int i = 0; i < m; i++)
        for (int j = n; j < ldc; j++) c[(size_t)i * ldc + j] = 12345.0f;
    if (beta == 0.0f)
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] = NAN;
    memcpy(c0, c, nc * sizeof(float));
    sk_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    int ok = 1;
    double worst = 0;
    for (int i = 0; i < m && ok; i++) {
        for (int j = 0; j < n; j++) {
            double s = 0, sabs = 0;
            for (int p = 0; p < k; p++) {
                double x = ta ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                double y = tb ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
                s += x * y;
                sabs += fabs(x * y);
            }
            double cin = beta == 0.0f ? 0.0 : (double)c0[(size_t)i * ldc + j];
            double ref = alpha * s + beta * cin;
            double bound = fabs(alpha) * sabs + fabs(beta * cin);
            double err = fabs((double)c[(size_t)i * ldc + j] - ref);
            double rel = err / (bound > 0 ? bound : 1.0);
            if (!(rel <= 1e-5)) ok = 0; /* also catches NaN */
            if (rel > worst) worst = rel;
        }
        for (int j = n; j < ldc; j++)
            if (c[(size_t)i * ldc + j] != 12345.0f) ok = 0;
    }
    if (!ok)
        fprintf(stderr, "  %s: ta=%d tb=%d m=%d n=%d k=%d alpha=%g beta=%g pad=%d: rel err %.3g "
                        "(or the gap of C was written)\n",
                sk_blas_name(), ta, tb, m, n, k, alpha, beta, pad, worst);
    free(a);
    free(b);
    free(c);
    free(c0);
    return ok;
}

static void test_correctness(void)
{
    static const int dims[] = {1, 3, 17, 64, 129};
    const int nd = (int)SK_ARRAY_LEN(dims);
    int cases = 0, good = 0;
    uint64_t seed = 1;
    for (int t = 0; t < 4; t++)
        for (int im = 0; im < nd; im++)
            for (int in = 0; in < nd; in++)
                for (int ik = 0; ik < nd; ik++) {
                    int pad = (im + in + ik) % 3 == 0 ? 0 : 5;
                    good += check_case(t & 1, t >> 1, dims[im], dims[in], dims[ik], 0.75f, -0.5f,
                                       pad, seed++);
                    cases++;
                }
    /* beta = 0 on a NaN C, K = 0, alpha = 0, and shapes big enough to be threaded. */
    for (int t = 0; t < 4; t++) {
        good += check_case(t & 1, t >> 1, 33, 65, 17, 1.0f, 0.0f, 3, seed++);
        good += check_case(t & 1, t >> 1, 17, 9, 0, 2.0f, 0.5f, 1, seed++);
        good += check_case(t & 1, t >> 1, 17, 9, 5, 0.0f, 0.25f, 2, seed++);
        good += check_case(t & 1, t >> 1, 517, 300, 257, -1.25f, 1.0f, 7, seed++);
        good += check_case(t & 1, t >> 1, 2, 700, 1031, 1.0f, 0.0f, 1, seed++);
        cases += 5;
    }
    CHECKF(good == cases, "%s: %d of %d sgemm cases within 1e-5 of the reference", sk_blas_name(),
           good, cases);
    printf("%-8s correctness: %d of %d cases within 1e-5 (relative to sum |alpha a b| + |beta c|)\n",
           sk_blas_name(), good, cases);
}

/* ---- determinism facts ---- */

/* Outputs of (n) that differ bitwise; *rel = max relative difference. */
static size_t ndiff(const float *x, const float *y, size_t n, double *rel)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++) d += memcmp(&x[i], &y[i], sizeof(float)) != 0;
    if (rel) *rel = sk_test_max_rel_err(x, y, n);
    return d;
}

typedef struct {
    int m, n, k;
} shape;

/* (a) three identical calls give identical bits. */
static void run_to_run(const shape *s)
{
    size_t mn = (size_t)s->m * s->n;
    float *a = frand((size_t)s->m * s->k, 100), *b = frand((size_t)s->k * s->n, 101);
    float *c1 = sk_xmalloc_aligned(mn * sizeof(float)), *c2 = sk_xmalloc_aligned(mn * sizeof(float));
    sk_sgemm(0, 0, s->m, s->n, s->k, 1.0f, a, s->k, b, s->n, 0.0f, c1, s->n);
    size_t worst = 0;
    for (int rep = 0; rep < 2; rep++) {
        sk_sgemm(0, 0, s->m, s->n, s->k, 1.0f, a, s->k, b, s->n, 0.0f, c2, s->n);
        size_t d = ndiff(c1, c2, mn, NULL);
        if (d > worst) worst = d;
    }
    printf("%-8s %-18s (a) run-to-run, %d thr: %zu of %zu outputs differ\n", sk_blas_name(), "",
           max_threads(), worst, mn);
    CHECKF(worst == 0, "%s: %dx%dx%d run-to-run at %d threads: %zu outputs differ", sk_blas_name(),
           s->m, s->n, s->k, max_threads(), worst);
    free(a);
    free(b);
    free(c1);
    free(c2);
}

/* (b) row dependence on M, for B (k,n): row 0 of an M-row call for M in 1..257 vs row 0 of the
 * 512-row call; every 7th row alone (1-row call) vs the 512-row call; and per-image
 * calls of `img` rows vs the batched call (the frozen prefix's question). */
static void row_vs_m(const shape *s, int img)
{
    enum { MBIG = 512 };
    int n = s->n, k = s->k;
    float *a = frand((size_t)MBIG * k, 200), *b = frand((size_t)k * n, 201);
    float *cbig = sk_xmalloc_aligned((size_t)MBIG * n * sizeof(float));
    float *c = sk_xmalloc_aligned((size_t)MBIG * n * sizeof(float));
    sk_sgemm(0, 0, MBIG, n, k, 1.0f, a, k, b, n, 0.0f, cbig, n);

    static const int ms[] = {1,  2,  3,  4,  5,  7,  8,  15, 16,  17,  31,  32,
                             33, 47, 48, 49, 63, 64, 65, 127, 128, 129, 196, 257};
    int mdiff = 0, first = 0;
    for (size_t i = 0; i < SK_ARRAY_LEN(ms); i++) {
        sk_sgemm(0, 0, ms[i], n, k, 1.0f, a, k, b, n, 0.0f, c, n);
        if (ndiff(c, cbig, (size_t)n, NULL)) {
            if (!mdiff) first = ms[i];
            mdiff++;
        }
    }
    int rdiff = 0, rows = 0;
    double rrel = 0;
    for (int r = 0; r < MBIG; r += 7, rows++) { /* every 7th row: all positions mod 16, 48 */
        double rel;
        sk_sgemm(0, 0, 1, n, k, 1.0f, a + (size_t)r * k, k, b, n, 0.0f, c, n);
        if (ndiff(c, cbig + (size_t)r * n, (size_t)n, &rel)) rdiff++;
        if (rel > rrel) rrel = rel;
    }
    for (int i = 0; i + img <= MBIG; i += img)
        sk_sgemm(0, 0, img, n, k, 1.0f, a + (size_t)i * k, k, b, n, 0.0f, c + (size_t)i * n, n);
    int used = MBIG / img * img;
    double irel;
    size_t idiff = ndiff(c, cbig, (size_t)used * n, &irel);

    char name[64];
    snprintf(name, sizeof name, "N=%d K=%d", n, k);
    printf("%-8s %-18s (b) %d thr: row 0, %d M in 1..257 vs M=%d: %d differ (first M=%d); "
           "1-row vs M=%d: %d of %d rows differ (max rel %.2g); M=%d per image vs batched: "
           "%zu of %zu outputs differ (max rel %.2g)\n",
           sk_blas_name(), name, max_threads(), (int)SK_ARRAY_LEN(ms), MBIG, mdiff, first, MBIG,
           rdiff, rows, rrel, img, idiff, (size_t)used * n, irel);
    free(a);
    free(b);
    free(cbig);
    free(c);
}

/* (c) 1 vs t threads. */
static void threads_1_vs(const shape *s, int t, int threads_before)
{
    size_t mn = (size_t)s->m * s->n;
    float *a = frand((size_t)s->m * s->k, 300), *b = frand((size_t)s->k * s->n, 301);
    float *c1 = sk_xmalloc_aligned(mn * sizeof(float)), *c2 = sk_xmalloc_aligned(mn * sizeof(float));
    set_threads(1);
    sk_sgemm(0, 0, s->m, s->n, s->k, 1.0f, a, s->k, b, s->n, 0.0f, c1, s->n);
    set_threads(t);
    sk_sgemm(0, 0, s->m, s->n, s->k, 1.0f, a, s->k, b, s->n, 0.0f, c2, s->n);
    set_threads(threads_before);
    double rel;
    size_t d = ndiff(c1, c2, mn, &rel);
    char name[64];
    snprintf(name, sizeof name, "M=%d N=%d K=%d", s->m, s->n, s->k);
    printf("%-8s %-18s (c) 1 vs %d thr: %zu of %zu outputs differ (max rel %.2g)\n",
           sk_blas_name(), name, t, d, mn, rel);
    /* Whatever the partition, each output is one K-sum of float products: a few ulps at most. */
    CHECKF(rel < 1e-5, "%s %s: 1 vs %d threads differ by %.3g", sk_blas_name(), name, t, rel);
    free(a);
    free(b);
    free(c1);
    free(c2);
}

static void test_determinism_facts(void)
{
    static const shape conv[] = {{6272, 64, 576}, {8 * 4, 512, 4608}, {1024, 128, 288}};
    static const int img[] = {196, 4, 49}; /* rows per image: 14x14, 2x2, 7x7 outputs */
    /* 8 threads oversubscribe a small machine on purpose: it shows the partitions a bigger node
     * would get (oneDNN splits K across threads only from 8 threads on). */
    static const int thr[] = {1, 2, 8};
    int before = max_threads();
    for (size_t i = 0; i < SK_ARRAY_LEN(conv); i++) {
        printf("%-8s M=%d N=%d K=%d\n", sk_blas_name(), conv[i].m, conv[i].n, conv[i].k);
        run_to_run(&conv[i]);
        for (size_t t = 0; t < SK_ARRAY_LEN(thr); t++) {
            set_threads(thr[t]);
            row_vs_m(&conv[i], img[i]);
        }
        set_threads(before);
        threads_1_vs(&conv[i], 2, before);
        threads_1_vs(&conv[i], 8, before);
    }
}

/* ---- selection ---- */

static void test_selection(const char *env_before)
{
    const char *names[4];
    int n = sk_gemm_backends(names, 4);
    CHECK(n >= 2 && n <= 3);
    CHECK_STR(names[0], "openblas");
    CHECK_STR(names[1], "det");
    CHECK(sk_gemm_select("det") == 0);
    CHECK_STR(sk_blas_name(), "det");
    CHECK(sk_gemm_row_invariant());
    CHECK(sk_gemm_select("no-such-blas") == -1);
    CHECK(sk_gemm_select(NULL) == -1);
    CHECK(sk_gemm_select("openblas") == 0);
    CHECK_STR(sk_blas_name(), "openblas");
    CHECK(!sk_gemm_row_invariant());
#ifdef SK_HAVE_DNNL
    CHECK_EQ_INT(n, 3);
    CHECK_STR(names[2], "dnnl");
    CHECK(sk_gemm_select("dnnl") == 0);
    CHECK_STR(sk_blas_name(), "dnnl");
    CHECK(strncmp(sk_blas_config(), "oneDNN ", 7) == 0);
    /* Debian builds oneDNN on OpenMP: it must share libgomp's pool with our loops. */
    CHECKF(strstr(sk_blas_config(), "cpu_runtime OMP") != NULL, "config: %s", sk_blas_config());
#else
    CHECK(sk_gemm_select("dnnl") == -1);
#endif
    sk_error err;
    setenv("SKYTUNE_GEMM", "openblas", 1);
    CHECK_OK(sk_gemm_init_from_env(&err), &err);
    CHECK_STR(sk_blas_name(), "openblas");
    setenv("SKYTUNE_GEMM", "mkl", 1);
    CHECK(sk_gemm_init_from_env(&err) == SK_EINVAL);
    CHECKF(strstr(err.msg, "SKYTUNE_GEMM='mkl'") && strstr(err.msg, "openblas"), "msg: %s", err.msg);
    CHECK_STR(sk_blas_name(), "openblas"); /* unchanged */
    if (env_before)
        setenv("SKYTUNE_GEMM", env_before, 1);
    else
        unsetenv("SKYTUNE_GEMM");
}

int main(void)
{
    const char *env = getenv("SKYTUNE_GEMM");
    char env_before[32] = "";
    if (env) snprintf(env_before, sizeof env_before, "%s", env);
    sk_error err;
    CHECK_OK(sk_gemm_init_from_env(&err), &err);
    printf("SKYTUNE_GEMM=%s -> %s\n", env ? env_before : "(unset)", sk_blas_name());

    test_selection(env ? env_before : NULL);

    const char *names[4];
    int n = sk_gemm_backends(names, 4);
    for (int i = 0; i < n && i < 4; i++) {
        CHECK(sk_gemm_select(names[i]) == 0);
        printf("== %s: %s | core %s | %d threads\n", sk_blas_name(), sk_blas_config(),
               sk_blas_corename(), sk_blas_threads());
        test_correctness();
        test_determinism_facts();
    }
    return sk_test_finish();
}
