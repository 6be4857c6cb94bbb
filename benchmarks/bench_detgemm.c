/* bench_detgemm.c: GFLOP/s of sk_sgemm_det next to cblas_sgemm (OpenBLAS) on the shapes the
 * training core runs (sk_bench_detgemm; not a test).
 *
 * 2048^3, ResNet-50 conv GEMMs at batch 32 / 224 px (forward, and the dX / dW backward forms of
 * the 3x3 64-channel conv), small-M shapes (per-image and single-row products) and a Dense head.
 * Both GEMMs run in the same process on the same buffers, one warm-up then the median of
 * --repeats timings each, alternating per repeat so drifting load hits both alike. Threads:
 * OMP_NUM_THREADS (OpenBLAS is the OpenMP build and shares the pool). maxrel is
 * max|det - blas| / max|blas| over C, a sanity check (the two sum in different orders).
 * The /cpu columns divide by process CPU time instead of wall time: on a loaded shared host
 * they estimate the rate per core actually received (spin-waits of idle threads count too).
 * Options: --repeats N (default 5), --isa auto|scalar|avx2|avx512, --quick (skip the
 * M = 100352 shapes). */
#include "sk_core.h"
#include "sk_base.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static float *falloc_rand(size_t n, uint64_t idx)
{
    float *p = sk_xmalloc_aligned((n ? n : 1) * sizeof(float));
    sk_rng r = sk_rng_stream(1, SK_RNG_TEST, idx);
    for (size_t i = 0; i < n; i++) p[i] = sk_rng_uniformf(&r) - 0.5f;
    return p;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    const char *name;
    int ta, tb, m, n, k;
    float beta;
    int big; /* skipped by --quick */
} shape;

static const shape shapes[] = {
    {"square", 0, 0, 2048, 2048, 2048, 0.0f, 0},
    {"conv3x3 fwd", 0, 0, 100352, 64, 576, 0.0f, 1},
    {"conv1x1 fwd", 0, 0, 100352, 256, 64, 0.0f, 1},
    {"conv3x3 fwd", 0, 0, 1568, 512, 4608, 0.0f, 0},
    {"conv3x3 dX", 0, 1, 100352, 576, 64, 0.0f, 1},
    {"conv3x3 dW", 1, 0, 576, 64, 100352, 1.0f, 1},
    {"per-image", 0, 0, 4, 512, 4608, 0.0f, 0},
    {"row", 0, 0, 1, 1000, 2048, 0.0f, 0},
    {"dense head", 0, 0, 32, 3, 2048, 0.0f, 0},
};

int main(int argc, char **argv)
{
    int repeats = 5, quick = 0, isa = SK_GEMM_DET_AUTO;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            quick = 1;
        } else if (!strcmp(argv[i], "--repeats") && i + 1 < argc) {
            repeats = atoi(argv[++i]);
            if (repeats < 1 || repeats > 64) {
                fprintf(stderr, "sk_bench_detgemm: --repeats wants 1..64, got '%s'\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--isa") && i + 1 < argc) {
            const char *v = argv[++i];
            isa = -1;
            for (int q = 0; q < SK_GEMM_DET_ISA_COUNT; q++)
                if (!strcmp(v, sk_gemm_det_isa_name(q))) isa = q;
            if (isa < 0 || sk_gemm_det_set_isa(isa) < 0) {
                fprintf(stderr, "sk_bench_detgemm: --isa '%s' unknown or not supported here\n", v);
                return 2;
            }
        } else {
            fprintf(stderr, "usage: sk_bench_detgemm [--repeats N] "
                            "[--isa auto|scalar|avx2|avx512] [--quick]\n");
            return 2;
        }
    }
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    printf("sk_sgemm_det (%s) vs cblas_sgemm (OpenBLAS %s), %d threads, median of %d\n",
           sk_gemm_det_isa_name(sk_gemm_det_isa_current()), openblas_get_corename(), threads,
           repeats);
    printf("%-12s %2s %2s %7s %5s %7s %9s %9s %9s %6s %8s %8s %8s\n", "name", "ta", "tb", "M", "N",
           "K", "det GF/s", "blas GF/s", "det ms", "ratio", "det/cpu", "blas/cpu", "maxrel");
    for (size_t s = 0; s < SK_ARRAY_LEN(shapes); s++) {
        const shape *sh = &shapes[s];
        if (quick && sh->big) continue;
        int lda = sh->ta ? sh->m : sh->k, ldb = sh->tb ? sh->k : sh->n, ldc = sh->n;
        size_t asz = (size_t)sh->m * sh->k, bsz = (size_t)sh->k * sh->n;
        size_t csz = (size_t)sh->m * sh->n;
        float *a = falloc_rand(asz, 3 * s), *b = falloc_rand(bsz, 3 * s + 1);
        float *c0 = falloc_rand(csz, 3 * s + 2);
        float *cd = sk_xmalloc_aligned(csz * sizeof(float));
        float *cb = sk_xmalloc_aligned(csz * sizeof(float));
        double td[64], tbl[64], cdt[64], cbt[64];
        for (int r = -1; r < repeats; r++) {
            memcpy(cd, c0, csz * sizeof(float));
            double u0 = cpu_now(), t0 = sk_now();
            sk_sgemm_det(sh->ta, sh->tb, sh->m, sh->n, sh->k, 1.0f, a, lda, b, ldb, sh->beta, cd,
                         ldc);
            double t1 = sk_now(), u1 = cpu_now();
            memcpy(cb, c0, csz * sizeof(float));
            double u2 = cpu_now(), t2 = sk_now();
            cblas_sgemm(CblasRowMajor, sh->ta ? CblasTrans : CblasNoTrans,
                        sh->tb ? CblasTrans : CblasNoTrans, sh->m, sh->n, sh->k, 1.0f, a, lda, b,
                        ldb, sh->beta, cb, ldc);
            double t3 = sk_now(), u3 = cpu_now();
            if (r >= 0) td[r] = t1 - t0, tbl[r] = t3 - t2, cdt[r] = u1 - u0, cbt[r] = u3 - u2;
        }
        double mx = 0.0, err = 0.0;
        for (size_t i = 0; i < csz; i++) {
            if (fabs(cb[i]) > mx) mx = fabs(cb[i]);
            double d = fabs((double)cd[i] - cb[i]);
            if (!(d <= err)) err = d;
        }
        double flops = 2.0 * sh->m * sh->n * sh->k;
        double md = sk_median(td, repeats), mb = sk_median(tbl, repeats);
        double cdm = sk_median(cdt, repeats), cbm = sk_median(cbt, repeats);
        printf("%-12s %2d %2d %7d %5d %7d %9.1f %9.1f %9.3f %6.2f %8.1f %8.1f %8.1e\n", sh->name,
               sh->ta, sh->tb, sh->m, sh->n, sh->k, flops / md * 1e-9, flops / mb * 1e-9, md * 1e3,
               mb / md, flops / cdm * 1e-9, flops / cbm * 1e-9, mx > 0 ? err / mx : err);
        fflush(stdout);
        free(a), free(b), free(c0), free(cd), free(cb);
    }
    return 0;
}
