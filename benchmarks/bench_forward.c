/* bench_forward.c: inference time per image of each architecture (sk_bench_forward; not a test).
 *
 * Builds every model of the registry with the study's head (GAP + Dense(3, softmax)) at the
 * given input size (default 224), plans an executor for the batch (default 8), runs one warm-up
 * forward in inference mode, then reports the median of --repeats forwards as milliseconds per
 * image, with the spread (max - min) / median so contended runs are visible. Weights are the
 * seeded Keras initialisers (speed does not depend on their values).
 * Usage: sk_bench_forward [--size H] [--batch B] [--repeats R] [ARCH ...] */
#include "sk_arch.h"
#include "sk_core.h"
#include "sk_base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static void bench(const char *id, int size, int batch, int repeats)
{
    sk_error err;
    sk_graph *g = sk_arch_build(id, size, 3, 1, &err);
    if (!g) {
        fprintf(stderr, "%s: %s\n", id, err.msg);
        return;
    }
    sk_graph_freeze(g, 1);
    sk_init_graph(g, NULL, 1);
    sk_exec *ex = sk_exec_new(g, batch);
    size_t n = (size_t)batch * size * size * 3;
    float *x = sk_xmalloc_aligned(n * sizeof(float));
    sk_rng r = sk_rng_stream(1, SK_RNG_TEST, 0);
    for (size_t i = 0; i < n; i++) x[i] = sk_rng_uniformf(&r);
    sk_exec_forward(ex, x, batch, 0, 1, 0);
    double t[64];
    if (repeats > 64) repeats = 64;
    for (int i = 0; i < repeats; i++) {
        double t0 = sk_now();
        sk_exec_forward(ex, x, batch, 0, 1, 0);
        t[i] = sk_now() - t0;
    }
    double med = sk_median(t, repeats); /* sorts t */
    printf("%-16s %5d %5d %12.1f %9.0f%%\n", id, size, batch, 1e3 * med / batch,
           100.0 * (t[repeats - 1] - t[0]) / med);
    free(x);
    sk_exec_free(ex);
    sk_graph_free(g);
}

int main(int argc, char **argv)
{
    int size = 224, batch = 8, repeats = 5, first = 1;
    for (; first < argc && argv[first][0] == '-'; first += 2) {
        if (first + 1 >= argc) break;
        if (!strcmp(argv[first], "--size")) size = atoi(argv[first + 1]);
        else if (!strcmp(argv[first], "--batch")) batch = atoi(argv[first + 1]);
        else if (!strcmp(argv[first], "--repeats")) repeats = atoi(argv[first + 1]);
        else break;
    }
    if (size < 32 || batch < 1 || repeats < 1) {
        fprintf(stderr, "usage: sk_bench_forward [--size H] [--batch B] [--repeats R] [ARCH ...]\n");
        return 2;
    }
#ifdef _OPENMP
    int threads = omp_get_max_threads();
#else
    int threads = 1;
#endif
    printf("inference forward, %d threads, median of %d after one warm-up\n", threads, repeats);
    printf("%-16s %5s %5s %12s %10s\n", "arch", "size", "batch", "ms/image", "spread");
    if (first < argc) {
        for (int i = first; i < argc; i++) bench(argv[i], size, batch, repeats);
    } else {
        for (int i = 0; i < sk_arch_count(); i++) {
            const sk_arch_info *ai = sk_arch_get(i);
            bench(ai->id, size < ai->min_size ? ai->min_size : size, batch, repeats);
        }
    }
    return 0;
}
