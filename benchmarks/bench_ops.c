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
 * multiply-add of the mathematical op (padding cells not counted for depthwise).
 * A second table times the memory-bound kernels (BatchNormalization, activations, add, bias
 * column sums, squeeze-excite multiply, GAP) at MobileNetV2/EfficientNetB2 shapes for 64x64
 * inputs, batch 32: ms and GB/s of the bytes the op must move (read + write, once). */
#include "sk_core.h"
#include "sk_base.h"

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
    double med = sk_median(t, n); /* sorts t */
    *cpu = sk_median(c, n);
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

/* ---- memory-bound kernels ---- */
typedef struct {
    size_t m;
    int c, act;
    float *x, *y, *dy, *dx, *g, *b, *mean, *var, *is, *dg, *db;
} elem_ctx;
static void run_bn_train_fwd(void *p)
{
    elem_ctx *e = p;
    sk_bn_forward_train(e->y, e->mean, e->var, e->is, e->x, e->g, e->b, e->m, e->c, 1e-3f);
}
static void run_bn_train_bwd(void *p)
{
    elem_ctx *e = p;
    sk_bn_backward_train(e->dx, e->dg, e->db, e->dy, e->x, e->mean, e->is, e->g, e->m, e->c);
}
static void run_bn_infer_fwd(void *p)
{
    elem_ctx *e = p;
    sk_bn_forward_infer(e->y, e->x, e->g, e->b, e->mean, e->var, e->m, e->c, 1e-3f);
}
static void run_act_fwd(void *p)
{
    elem_ctx *e = p;
    sk_act_forward(e->y, e->x, e->m * e->c, (sk_act)e->act);
}
static void run_act_bwd(void *p)
{
    elem_ctx *e = p;
    sk_act_backward(e->dx, e->dy, e->x, e->y, e->m * e->c, (sk_act)e->act);
}
static void run_add(void *p)
{
    elem_ctx *e = p;
    sk_add_forward(e->y, e->x, e->dy, e->m * e->c);
}
static void run_colsum(void *p)
{
    elem_ctx *e = p;
    sk_dwconv2d_backward(NULL, NULL, e->db, e->dy, NULL, NULL,
                         &(sk_conv_dims){.n = 1, .h = (int)e->m, .w = 1, .c = e->c, .oc = e->c,
                                         .oh = (int)e->m, .ow = 1, .kh = 1, .kw = 1, .sh = 1,
                                         .sw = 1});
}
static void run_mul_fwd(void *p)
{
    elem_ctx *e = p;
    sk_mul_bcast_forward(e->y, e->x, e->g, 32, e->m / 32, e->c);
}
static void run_mul_bwd(void *p)
{
    elem_ctx *e = p;
    sk_mul_bcast_backward(e->dx, e->dg, e->dy, e->x, e->g, 32, e->m / 32, e->c);
}
static void run_gap_fwd(void *p)
{
    elem_ctx *e = p;
    sk_gap_forward(e->g, e->x, 32, e->m / 32, e->c);
}

static void row_mem(const char *name, size_t m, int c, const char *dir, double bytes, bench_fn f,
                    void *ctx)
{
    double spread, cpu, sec = time_it(f, ctx, &spread, &cpu);
    char shape[64];
    snprintf(shape, sizeof shape, "%zux%d", m, c);
    printf("%-12s %-28s %-5s %8.1f %10.3f %8.2f %9.3f%s\n", name, shape, dir, bytes * 1e-6,
           sec * 1e3, bytes / sec * 1e-9, cpu * 1e3, spread > 0.2 ? "  NOISY" : "");
    fflush(stdout);
}

/* One layer shape (m = N*H*W rows of c channels); gamma etc. sized for the mul/GAP cases too. */
static void bench_elem(size_t m, int c)
{
    size_t n = m * (size_t)c, cc = (size_t)32 * c;
    elem_ctx e = {m, c, 0, falloc_rand(n, 30), falloc_rand(n, 31), falloc_rand(n, 32),
                  falloc_rand(n, 33), falloc_rand(cc, 34), falloc_rand(c, 35),
                  falloc_rand(c, 36), falloc_rand(c, 37), falloc_rand(c, 38),
                  falloc_rand(cc, 39), falloc_rand(c, 40)};
    for (int j = 0; j < c; j++) e.var[j] = 1.0f + e.var[j];
    const double B = 4.0 * (double)n; /* bytes of one tensor */
    row_mem("bn-train", m, c, "fwd", 2 * B, run_bn_train_fwd, &e);
    row_mem("bn-train", m, c, "bwd", 3 * B, run_bn_train_bwd, &e);
    row_mem("bn-infer", m, c, "fwd", 2 * B, run_bn_infer_fwd, &e);
    e.act = SK_ACT_RELU6;
    row_mem("relu6", m, c, "fwd", 2 * B, run_act_fwd, &e);
    row_mem("relu6", m, c, "bwd", 3 * B, run_act_bwd, &e);
    e.act = SK_ACT_SWISH;
    row_mem("swish", m, c, "fwd", 2 * B, run_act_fwd, &e);
    row_mem("swish", m, c, "bwd", 3 * B, run_act_bwd, &e);
    row_mem("add", m, c, "fwd", 3 * B, run_add, &e);
    row_mem("colsum", m, c, "bwd", B, run_colsum, &e);
    if (m % 32 == 0) {
        row_mem("se-mul", m, c, "fwd", 2 * B, run_mul_fwd, &e);
        row_mem("se-mul", m, c, "bwd", 3 * B, run_mul_bwd, &e);
        row_mem("gap", m, c, "fwd", B, run_gap_fwd, &e);
    }
    free(e.x); free(e.y); free(e.dy); free(e.dx); free(e.g); free(e.b); free(e.mean);
    free(e.var); free(e.is); free(e.dg); free(e.db);
}

static void usage(FILE *fp)
{
    fprintf(fp, "usage: sk_bench_ops [--repeats N] [--batch N] [--quick] [--no-gemm]\n"
                "  GFLOP/s of conv 3x3 / 1x1, depthwise 3x3 and Dense (forward, backward)\n"
                "  next to sk_sgemm at 2048^3 and at each conv's GEMM shape.\n"
                "  --repeats N  timed runs per case after one warm-up (default 5, median)\n"
                "  --batch N    batch size of the conv cases (default 8)\n"
                "  --quick      smaller shapes (a smoke run, not for quoting)\n"
                "  --no-gemm    skip the GEMM-backed cases (sgemm, conv, dense)\n");
}

int main(int argc, char **argv)
{
    int batch = 8, quick = 0, no_gemm = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--quick")) {
            quick = 1;
        } else if (!strcmp(argv[i], "--no-gemm")) {
            no_gemm = 1;
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

    int hw = quick ? 28 : 56, hw2 = quick ? 56 : 112;
    if (!no_gemm) {
        int g = quick ? 512 : 2048;
        gemm_ctx big = {g, g, g, falloc_rand((size_t)g * g, 20), falloc_rand((size_t)g * g, 21),
                        falloc_rand((size_t)g * g, 22)};
        char gs[32];
        snprintf(gs, sizeof gs, "%dx%dx%d", g, g, g);
        g_ref_gflops = row("sgemm", gs, "-", 2.0 * g * (double)g * g, run_gemm, &big);
        free(big.a); free(big.b); free(big.c);
        bench_conv("conv3x3", batch, hw, hw, 64, 64, 3, 1);       /* ResNet-50 conv2_x 3x3 */
        bench_conv("conv1x1", batch, hw, hw, 64, 256, 1, 1);      /* ResNet-50 conv2_x expand */
        bench_conv("conv7x7s2", batch, hw2 * 2, hw2 * 2, 3, 64, 7, 2); /* ResNet-50 stem */
        bench_conv("conv3x3", 32, 2, 2, 512, 512, 3, 1);         /* ResNet-50 conv5_x, 64 in */
    }
    bench_dw("dw3x3s2", batch, hw2, hw2, 96, 3, 2);           /* MobileNetV2 block_3 */
    bench_dw("dw3x3", batch, hw, hw, 144, 3, 1);              /* MobileNetV2 block_2 */
    if (!no_gemm) {
        bench_dense("dense", 32, 2048, 1000);                 /* ResNet-50 ImageNet head */
        bench_dense("dense", 32, 1280, 3);                    /* MobileNetV2 3-class head */
    }
    bench_dw("dw3x3", 32, 32, 32, 32, 3, 1);                  /* MobileNetV2 at 64: first dw */
    bench_dw("dw3x3s2", 32, 33, 33, 96, 3, 2);                /* block_1 (padded input) */
    bench_dw("dw3x3", 32, 8, 8, 192, 3, 1);                   /* block_4 */
    bench_dw("dw5x5", 32, 4, 4, 480, 5, 1);                   /* EfficientNetB2 block4 */

    printf("\n%-12s %-28s %-5s %8s %10s %8s %9s\n", "op", "rows x channels", "pass", "MB",
           "ms(med)", "GB/s", "cpu-ms");
    if (quick) {
        bench_elem(4096, 96);
    } else {
        bench_elem((size_t)32 * 32 * 32, 32);  /* MobileNetV2 stem / EfficientNet stem */
        bench_elem((size_t)32 * 32 * 32, 96);  /* MobileNetV2 block_1 expand */
        bench_elem((size_t)32 * 8 * 8, 192);   /* MobileNetV2 block_4 expand */
        bench_elem((size_t)32 * 4 * 4, 672);   /* EfficientNetB2 block5 expand */
        bench_elem((size_t)32 * 2 * 2, 1408);  /* EfficientNetB2 top */
    }
    return 0;
}
