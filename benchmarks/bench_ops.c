/* bench_ops.c: GFLOP/s of the convolution-family op kernels (sk_bench_ops; not a test).
 *
 * Forward and backward (dinp + dkernel + dbias) of conv 3x3 and conv 1x1 at ResNet-50 shapes,
 * depthwise 3x3 at MobileNetV2 shapes and Dense heads, next to cblas_sgemm (through sk_sgemm)
 * at 2048^3 and at the conv's own GEMM shape ("fwd/i" = sk_conv2d_forward_per_image, the
 * batch-independent forward), all measured in the same run: one warm-up, then
 * the median of --repeats timings. Runs whose spread (max - min) / median exceeds 20% are
 * flagged: the machine is shared, so treat those numbers as noisy. GF/cpu-s divides by the
 * process CPU time instead of wall time (robust to other load; with OMP_NUM_THREADS=1 it is the
 * per-core rate). vs2048 = GF/cpu-s relative to the 2048^3 sgemm's. FLOPs count 2 per
 * multiply-add of the mathematical op (padding cells not counted for depthwise). */
#include "ops.h"
#include "gemm.h"
#include "log.h"
#include "rng.h"
#include "sk_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int g_repeats = 5;

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

typedef void (*bench_fn)(void *ctx);

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Median wall seconds of g_repeats runs after one warm-up; *spread = (max - min) / median;
 * *cpu = median process CPU seconds (all threads, so spin-waits count too). */
static double time_it(bench_fn f, void *ctx, double *spread, double *cpu)
{
    double t[64], c[64];
    int n = g_repeats < 64 ? g_repeats : 64;
    f(ctx);
    for (int i = 0; i < n; i++) {
        double c0 = cpu_now(), t0 = sk_now();
        f(ctx);
        t[i] = sk_now() - t0;
        c[i] = cpu_now() - c0;
    }
    qsort(t, n, sizeof(double), cmp_double);
    qsort(c, n, sizeof(double), cmp_double);
    double med = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    *cpu = n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
    *spread = med > 0 ? (t[n - 1] - t[0]) / med : 0.0;
    return med;
}

static double g_ref_gflops;

/* Prints one table row; returns GFLOP per CPU second. */
static double row(const char *name, const char *shape, const char *dir, double flops, bench_fn f,
                  void *ctx)
{
    double spread, cpu, sec = time_it(f, ctx, &spread, &cpu);
    double gf = flops / sec * 1e-9, gfc = cpu > 0 ? flops / cpu * 1e-9 : 0.0;
    printf("%-12s %-28s %-5s %8.2f %10.3f %8.2f %9.2f %7.0f%%%s\n", name, shape, dir, flops * 1e-9,
           sec * 1e3, gf, gfc, g_ref_gflops > 0 ? 100.0 * gfc / g_ref_gflops : 100.0,
           spread > 0.2 ? "  NOISY" : "");
    fflush(stdout);
    return gfc;
}

/* ---- cases ---- */
typedef struct {
    int m, n, k;
    float *a, *b, *c;
} gemm_ctx;
static void run_gemm(void *p)
{
    gemm_ctx *g = p;
    sk_sgemm(0, 0, g->m, g->n, g->k, 1.0f, g->a, g->k, g->b, g->n, 0.0f, g->c, g->n);
}

typedef struct {
    sk_conv_dims d;
    float *x, *k, *b, *y, *dy, *dx, *dk, *db, *work;
} conv_ctx;
static void run_conv_fwd(void *p)
{
    conv_ctx *c = p;
    sk_conv2d_forward(c->y, c->x, c->k, c->b, &c->d, c->work);
}
static void run_conv_fwd_img(void *p)
{
    conv_ctx *c = p;
    sk_conv2d_forward_per_image(c->y, c->x, c->k, c->b, &c->d, c->work);
}
static void run_conv_bwd(void *p)
{
    conv_ctx *c = p;
    sk_conv2d_backward(c->dx, c->dk, c->db, c->dy, c->x, c->k, &c->d, c->work);
}
static void run_dw_fwd(void *p)
{
    conv_ctx *c = p;
    sk_dwconv2d_forward(c->y, c->x, c->k, c->b, &c->d);
}
static void run_dw_bwd(void *p)
{
    conv_ctx *c = p;
    sk_dwconv2d_backward(c->dx, c->dk, c->db, c->dy, c->x, c->k, &c->d);
}
static void run_dense_fwd(void *p)
{
    conv_ctx *c = p;
    sk_dense_forward(c->y, c->x, c->k, c->b, c->d.n, c->d.c, c->d.oc);
}
static void run_dense_bwd(void *p)
{
    conv_ctx *c = p;
    sk_dense_backward(c->dx, c->dk, c->db, c->dy, c->x, c->k, c->d.n, c->d.c, c->d.oc);
}

static void conv_alloc(conv_ctx *c, int depthwise)
{
    const sk_conv_dims *d = &c->d;
    size_t ni = (size_t)d->n * d->h * d->w * d->c, no = (size_t)d->n * d->oh * d->ow * d->oc;
    size_t nk = (size_t)d->kh * d->kw * d->c * (depthwise ? 1 : d->oc);
    c->x = falloc_rand(ni, 1); c->dx = falloc_rand(ni, 2);
    c->y = falloc_rand(no, 3); c->dy = falloc_rand(no, 4);
    c->k = falloc_rand(nk, 5); c->dk = falloc_rand(nk, 6);
    c->b = falloc_rand(d->oc, 7); c->db = falloc_rand(d->oc, 8);
    c->work = depthwise ? NULL : falloc_rand(sk_conv2d_workspace(d), 9);
}

static void conv_free(conv_ctx *c)
{
    free(c->x); free(c->dx); free(c->y); free(c->dy); free(c->k); free(c->dk); free(c->b);
    free(c->db); free(c->work);
}

static void bench_conv(const char *name, int n, int h, int w, int c, int oc, int k, int s)
{
    conv_ctx cx = {.d = {.n = n, .h = h, .w = w, .c = c, .oc = oc, .kh = k, .kw = k, .sh = s,
                         .sw = s}};
    sk_conv_dims_pad(&cx.d, 1);
    conv_alloc(&cx, 0);
    double fl = 2.0 * n * cx.d.oh * cx.d.ow * oc * (double)k * k * c;
    char shape[64];
    snprintf(shape, sizeof shape, "%dx%dx%dx%d->%d s%d", n, h, w, c, oc, s);
    row(name, shape, "fwd", fl, run_conv_fwd, &cx);
    row(name, shape, "fwd/i", fl, run_conv_fwd_img, &cx);
    row(name, shape, "bwd", 2.0 * fl, run_conv_bwd, &cx);
    /* the GEMM the forward runs per chunk, alone */
    size_t ws = sk_conv2d_workspace(&cx.d);
    int K = k * k * c;
    int M = ws ? (int)(ws / (size_t)K) : n * cx.d.oh * cx.d.ow;
    gemm_ctx g = {M, oc, K, falloc_rand((size_t)M * K, 10), cx.k, falloc_rand((size_t)M * oc, 11)};
    char gs[64];
    snprintf(gs, sizeof gs, "%dx%dx%d", M, oc, K);
    row("  sgemm", gs, "same", 2.0 * M * oc * (double)K, run_gemm, &g);
    free(g.a); free(g.c);
    conv_free(&cx);
}

static void bench_dw(const char *name, int n, int h, int w, int c, int k, int s)
{
    conv_ctx cx = {.d = {.n = n, .h = h, .w = w, .c = c, .oc = c, .kh = k, .kw = k, .sh = s,
                         .sw = s}};
    sk_conv_dims_pad(&cx.d, 1);
    conv_alloc(&cx, 1);
    double fl = 2.0 * n * cx.d.oh * cx.d.ow * c * (double)k * k;
    char shape[64];
    snprintf(shape, sizeof shape, "%dx%dx%dx%d s%d", n, h, w, c, s);
    row(name, shape, "fwd", fl, run_dw_fwd, &cx);
    row(name, shape, "bwd", 2.0 * fl, run_dw_bwd, &cx);
    conv_free(&cx);
}

static void bench_dense(const char *name, int n, int c, int oc)
{
    conv_ctx cx = {.d = {.n = n, .h = 1, .w = 1, .c = c, .oc = oc, .oh = 1, .ow = 1, .kh = 1,
                         .kw = 1, .sh = 1, .sw = 1}};
    conv_alloc(&cx, 0);
    double fl = 2.0 * n * (double)c * oc;
    char shape[64];
    snprintf(shape, sizeof shape, "%dx%d->%d", n, c, oc);
    row(name, shape, "fwd", fl, run_dense_fwd, &cx);
    row(name, shape, "bwd", 2.0 * fl, run_dense_bwd, &cx);
    conv_free(&cx);
}

static void usage(FILE *fp)
{
    fprintf(fp, "usage: sk_bench_ops [--repeats N] [--batch N] [--quick]\n"
                "  GFLOP/s of conv 3x3 / 1x1, depthwise 3x3 and Dense (forward, backward)\n"
                "  next to sk_sgemm at 2048^3 and at each conv's GEMM shape.\n"
                "  --repeats N  timed runs per case after one warm-up (default 5, median)\n"
                "  --batch N    batch size of the conv cases (default 8)\n"
                "  --quick      smaller shapes (a smoke run, not for quoting)\n");
}

int main(int argc, char **argv)
{
    int batch = 8, quick = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--quick")) {
            quick = 1;
        } else if ((!strcmp(argv[i], "--repeats") || !strcmp(argv[i], "--batch")) && i + 1 < argc) {
            char *end;
            long v = strtol(argv[i + 1], &end, 10);
            if (*end || v < 1 || v > 1024) {
                fprintf(stderr, "sk_bench_ops: %s expects an integer in 1..1024, found '%s'\n",
                        argv[i], argv[i + 1]);
                return 2;
            }
            if (!strcmp(argv[i], "--repeats"))
                g_repeats = v > 64 ? 64 : (int)v;
            else
                batch = (int)v;
            i++;
        } else {
            fprintf(stderr, "sk_bench_ops: unknown or incomplete option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    printf("# sk_bench_ops: OpenMP threads %d, BLAS %s (%s, %d threads), repeats %d, batch %d\n",
           threads, sk_blas_name(), sk_blas_corename(), sk_blas_threads(), g_repeats, batch);
    printf("%-12s %-28s %-5s %8s %10s %8s %9s %8s\n", "op", "shape", "pass", "GFLOP", "ms(med)",
           "GFLOP/s", "GF/cpu-s", "vs2048");

    int g = quick ? 512 : 2048;
    gemm_ctx big = {g, g, g, falloc_rand((size_t)g * g, 20), falloc_rand((size_t)g * g, 21),
                    falloc_rand((size_t)g * g, 22)};
    char gs[32];
    snprintf(gs, sizeof gs, "%dx%dx%d", g, g, g);
    g_ref_gflops = row("sgemm", gs, "-", 2.0 * g * (double)g * g, run_gemm, &big);
    free(big.a); free(big.b); free(big.c);

    int hw = quick ? 28 : 56, hw2 = quick ? 56 : 112;
    bench_conv("conv3x3", batch, hw, hw, 64, 64, 3, 1);       /* ResNet-50 conv2_x 3x3 */
    bench_conv("conv1x1", batch, hw, hw, 64, 256, 1, 1);      /* ResNet-50 conv2_x expand */
    bench_conv("conv7x7s2", batch, hw2 * 2, hw2 * 2, 3, 64, 7, 2); /* ResNet-50 stem */
    bench_conv("conv3x3", 32, 2, 2, 512, 512, 3, 1);         /* ResNet-50 conv5_x at 64x64 in */
    bench_dw("dw3x3s2", batch, hw2, hw2, 96, 3, 2);           /* MobileNetV2 block_3 */
    bench_dw("dw3x3", batch, hw, hw, 144, 3, 1);              /* MobileNetV2 block_2 */
    bench_dense("dense", 32, 2048, 1000);                     /* ResNet-50 ImageNet head */
    bench_dense("dense", 32, 1280, 3);                        /* MobileNetV2 3-class head */
    return 0;
}
