/* bench_conv.c: the det backend's implicit-GEMM convolutions against its im2col + GEMM path, in
 * one run (sk_bench_conv; not a test). For each shape: forward, kernel gradient and input
 * gradient timed separately, the two paths interleaved repeat by repeat (after one warm-up
 * each), medians; GFLOP/s count 2 per multiply-add of the im2col GEMM (padding included, as the
 * GEMM computes it) and the ratio implicit / im2col. Shapes are the 3x3 and 7x7 layers of VGG16
 * and ResNet50 at the study's sizes (224, 512); --batch sets the images per call. */
#include "sk_core.h"
#include "sk_base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    const char *name;
    int h, c, oc, k, s;
} shape;

static const shape g_shapes[] = {
    {"vgg b1c2 224", 224, 64, 64, 3, 1},   {"vgg b2c2 224", 112, 128, 128, 3, 1},
    {"vgg b3c2 224", 56, 256, 256, 3, 1},  {"vgg b4c2 224", 28, 512, 512, 3, 1},
    {"vgg b5c2 224", 14, 512, 512, 3, 1},  {"vgg b1c2 512", 512, 64, 64, 3, 1},
    {"vgg b2c2 512", 256, 128, 128, 3, 1}, {"vgg b3c2 512", 128, 256, 256, 3, 1},
    {"res 3x3 s2 224", 56, 64, 64, 3, 1},  {"res 3x3 s5 224", 7, 512, 512, 3, 1},
    {"res 3x3 s2 512", 128, 64, 64, 3, 1}, {"res stem 224", 230, 3, 64, 7, 2},
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *frand(size_t n, uint64_t idx)
{
    float *p = sk_xmalloc_aligned((n ? n : 1) * sizeof(float));
    sk_rng r = sk_rng_stream(3, SK_RNG_TEST, idx);
    for (size_t i = 0; i < n; i++) p[i] = sk_rng_uniformf(&r) - 0.5f;
    return p;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    sk_conv_dims d;
    float *x, *k, *y, *dy, *dx, *dk, *work;
} ctx;

static void run(ctx *c, int what)
{
    if (what == 0) sk_conv2d_forward(c->y, c->x, c->k, NULL, &c->d, c->work);
    if (what == 1) sk_conv2d_backward(NULL, c->dk, NULL, c->dy, c->x, c->k, &c->d, c->work);
    if (what == 2) sk_conv2d_backward(c->dx, NULL, NULL, c->dy, c->x, c->k, &c->d, c->work);
}

int main(int argc, char **argv)
{
    int batch = 8, repeats = 5;
    const char *only = NULL;
    shape custom = {"custom", 0, 0, 0, 0, 0};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--repeats")) repeats = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--only")) only = argv[i + 1];
        else if (!strcmp(argv[i], "--shape") &&
                 sscanf(argv[i + 1], "%d,%d,%d,%d,%d", &custom.h, &custom.c, &custom.oc, &custom.k,
                        &custom.s) == 5)
            only = "custom";
        else {
            fprintf(stderr, "usage: sk_bench_conv [--batch N] [--repeats N] [--only SUBSTR] "
                            "[--shape H,C,OC,K,S]\n");
            return 2;
        }
    }
    if (batch < 1 || repeats < 1 || repeats > 64) return 2;
    if (sk_gemm_select("det") != 0) return 1;
    static const char *what_name[] = {"fwd", "dW", "dX"};
    printf("%-16s %-4s %10s %10s %7s   (batch %d, GFLOP/s, median of %d)\n", "shape", "pass",
           "implicit", "im2col", "ratio", batch, repeats);
    for (size_t si = 0; si <= SK_ARRAY_LEN(g_shapes); si++) {
        const shape *s = si < SK_ARRAY_LEN(g_shapes) ? &g_shapes[si] : &custom;
        if (!s->h) continue;
        if (only && !strstr(s->name, only)) continue;
        ctx c;
        memset(&c, 0, sizeof c);
        c.d.n = batch, c.d.h = c.d.w = s->h, c.d.c = s->c, c.d.oc = s->oc;
        c.d.kh = c.d.kw = s->k, c.d.sh = c.d.sw = s->s;
        sk_conv_dims_pad(&c.d, s->k == 3);
        size_t xi = (size_t)batch * s->h * s->h * s->c, yo = (size_t)batch * c.d.oh * c.d.ow * s->oc;
        size_t kk = (size_t)s->k * s->k * s->c * s->oc;
        c.x = frand(xi, 1), c.dx = frand(xi, 2), c.k = frand(kk, 3), c.dk = frand(kk, 4);
        c.y = frand(yo, 5), c.dy = frand(yo, 6), c.work = frand(sk_conv2d_workspace(&c.d), 7);
        double flops = 2.0 * (double)yo * (double)s->k * s->k * s->c;
        for (int what = 0; what < 3; what++) {
            double t[2][64];
            for (int mode = 0; mode < 2; mode++) {
                sk_conv2d_set_implicit(!mode);
                run(&c, what);
            }
            for (int r = 0; r < repeats; r++)
                for (int mode = 0; mode < 2; mode++) {
                    sk_conv2d_set_implicit(!mode);
                    double t0 = now();
                    run(&c, what);
                    t[mode][r] = now() - t0;
                }
            qsort(t[0], (size_t)repeats, sizeof(double), cmpd);
            qsort(t[1], (size_t)repeats, sizeof(double), cmpd);
            double a = flops / t[0][repeats / 2] * 1e-9, b = flops / t[1][repeats / 2] * 1e-9;
            printf("%-16s %-4s %10.1f %10.1f %7.2f\n", s->name, what_name[what], a, b, a / b);
            fflush(stdout);
        }
        sk_conv2d_set_implicit(1);
        free(c.x), free(c.dx), free(c.k), free(c.dk), free(c.y), free(c.dy), free(c.work);
    }
    return 0;
}
