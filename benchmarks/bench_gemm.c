/* bench_gemm.c: GFLOP/s of sk_sgemm on every compiled-in backend, in one run (sk_bench_gemm;
 * not a test).
 *
 * Shapes: 2048^3, and the GEMMs of ResNet-50 convolutions at batch 32, 224 px: conv 3x3 at 56x56
 * (M=32*56*56, N=64, K=576) forward and its two backward forms (dX = dY W^T: trans_b; dW =
 * X^T dY: trans_a), conv 1x1 expand at 56x56 (N=256, K=64), conv 3x3 at 7x7 (N=512, K=4608),
 * and the small M=4 the per-image frozen prefix produces at 2x2. Each case: one warm-up per
 * backend, then --repeats timings per backend interleaved (openblas, dnnl, openblas, ...) so
 * load on the shared machine hits both alike; the median is reported, and the ratio to the first
 * backend. Runs whose spread (max - min) / median exceeds 20% are flagged NOISY. */
#include "gemm.h"
#include "log.h"
#include "rng.h"
#include "sk_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

enum { MAX_BACKENDS = 4, MAX_REPEATS = 64 };

typedef struct {
    const char *name;
    int ta, tb, m, n, k;
} gemm_case;

static float *falloc_rand(size_t n, uint64_t idx)
{
    float *p = sk_xmalloc_aligned((n ? n : 1) * sizeof(float));
    sk_rng r = sk_rng_stream(1, SK_RNG_TEST, idx);
    for (size_t i = 0; i < n; i++) p[i] = sk_rng_uniformf(&r) - 0.5f;
    return p;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* op(A) (m,k), op(B) (k,n), C (m,n); all tightly packed. */
static void run(const gemm_case *g, const float *a, const float *b, float *c)
{
    sk_sgemm(g->ta, g->tb, g->m, g->n, g->k, 1.0f, a, g->ta ? g->m : g->k, b, g->tb ? g->k : g->n,
             0.0f, c, g->n);
}

static void bench_case(const gemm_case *g, const char **names, int nb, int repeats)
{
    size_t na = (size_t)g->m * g->k, nbb = (size_t)g->k * g->n, nc = (size_t)g->m * g->n;
    float *a = falloc_rand(na, 1), *b = falloc_rand(nbb, 2), *c = falloc_rand(nc, 3);
    double t[MAX_BACKENDS][MAX_REPEATS];
    for (int i = 0; i < nb; i++) {
        SK_ASSERT(sk_gemm_select(names[i]) == 0);
        run(g, a, b, c); /* warm-up: JIT kernels, page faults, thread pool */
    }
    for (int r = 0; r < repeats; r++)
        for (int i = 0; i < nb; i++) {
            SK_ASSERT(sk_gemm_select(names[i]) == 0);
            double t0 = sk_now();
            run(g, a, b, c);
            t[i][r] = sk_now() - t0;
        }
    double flops = 2.0 * g->m * (double)g->n * g->k, base = 0;
    char shape[64];
    snprintf(shape, sizeof shape, "%s%s M=%d N=%d K=%d", g->ta ? "T" : "N", g->tb ? "T" : "N", g->m,
             g->n, g->k);
    for (int i = 0; i < nb; i++) {
        qsort(t[i], (size_t)repeats, sizeof(double), cmp_double);
        double med = repeats % 2 ? t[i][repeats / 2]
                                 : 0.5 * (t[i][repeats / 2 - 1] + t[i][repeats / 2]);
        double spread = med > 0 ? (t[i][repeats - 1] - t[i][0]) / med : 0.0;
        double gf = flops / med * 1e-9;
        if (i == 0) base = gf;
        printf("%-14s %-32s %-9s %10.3f %9.2f %7.2fx%s\n", g->name, shape, names[i], med * 1e3, gf,
               base > 0 ? gf / base : 0.0, spread > 0.2 ? "  NOISY" : "");
    }
    fflush(stdout);
    free(a);
    free(b);
    free(c);
}

static void usage(FILE *fp)
{
    fprintf(fp, "usage: sk_bench_gemm [--repeats N] [--quick]\n"
                "  GFLOP/s of sk_sgemm on each compiled-in backend (openblas, dnnl) at 2048^3\n"
                "  and at ResNet-50 conv GEMM shapes (batch 32, 224 px), forward and backward.\n"
                "  --repeats N  timed runs per case and backend after one warm-up (default 5)\n"
                "  --quick      batch 2 instead of 32 and 512^3 (a smoke run, not for quoting)\n");
}

int main(int argc, char **argv)
{
    int repeats = 5, quick = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--quick")) {
            quick = 1;
        } else if (!strcmp(argv[i], "--repeats") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[i + 1], &end, 10);
            if (*end || v < 1 || v > MAX_REPEATS) {
                fprintf(stderr, "sk_bench_gemm: --repeats expects an integer in 1..%d, found '%s'\n",
                        MAX_REPEATS, argv[i + 1]);
                return 2;
            }
            repeats = (int)v;
            i++;
        } else {
            fprintf(stderr, "sk_bench_gemm: unknown or incomplete option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    const char *names[MAX_BACKENDS];
    int nb = sk_gemm_backends(names, MAX_BACKENDS);
    if (nb > MAX_BACKENDS) nb = MAX_BACKENDS;
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    printf("# sk_bench_gemm: OpenMP threads %d, repeats %d (median), OPENBLAS_CORETYPE=%s\n",
           threads, repeats, getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "");
    for (int i = 0; i < nb; i++) {
        SK_ASSERT(sk_gemm_select(names[i]) == 0);
        printf("# %-8s %s | core %s | %d threads\n", names[i], sk_blas_config(), sk_blas_corename(),
               sk_blas_threads());
    }
    printf("%-14s %-32s %-9s %10s %9s %8s\n", "case", "shape", "backend", "ms(med)", "GFLOP/s",
           "vs first");

    int bs = quick ? 2 : 32, g = quick ? 512 : 2048;
    const gemm_case cases[] = {
        {"sgemm", 0, 0, g, g, g},
        {"c3x3@56 fwd", 0, 0, bs * 56 * 56, 64, 576},
        {"c3x3@56 dX", 0, 1, bs * 56 * 56, 576, 64},  /* dcol = dY W^T */
        {"c3x3@56 dW", 1, 0, 576, 64, bs * 56 * 56},  /* dW = col^T dY */
        {"c1x1@56 fwd", 0, 0, bs * 56 * 56, 256, 64},
        {"c3x3@7 fwd", 0, 0, bs * 7 * 7, 512, 4608},
        {"c3x3@2 img", 0, 0, 4, 512, 4608},           /* per-image prefix, 2x2 output */
    };
    for (size_t i = 0; i < SK_ARRAY_LEN(cases); i++) bench_case(&cases[i], names, nb, repeats);
    return 0;
}
