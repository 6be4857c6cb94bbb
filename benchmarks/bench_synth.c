/* bench_synth.c: sk_bench_synth: simulator and cutout throughput. Renders objects in memory (no
 * files) at 64 and 512 px (the study's 20.48" field), single-threaded and with all OpenMP
 * threads, median of 5 repeats after a warm-up; optionally (with a frames folder argument)
 * cutouts from real SDSS frames. Prints images per second; not a test.
 * Usage: sk_bench_synth [FRAMES_DIR] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "sk_dataset.h"
#include "sk_base.h"

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Seconds to render n objects with t threads. */
static double run_synth(const sk_synth_config *c, int n, int t)
{
    size_t ws = sk_synth_workspace_floats(c), img = (size_t)c->size * c->size * 3;
    float *work = sk_xmalloc_aligned(ws * (size_t)t * sizeof(float));
    uint8_t *out = sk_xmalloc(img * (size_t)t);
    double t0 = sk_now();
#pragma omp parallel for num_threads(t) schedule(dynamic, 1)
    for (int i = 0; i < n; i++) {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        sk_synth_truth tr;
        sk_synth_draw(&tr, c, (uint64_t)i, i % 3);
        sk_synth_render(out + img * (size_t)tid, NULL, &tr, c, work + ws * (size_t)tid);
    }
    double dt = sk_now() - t0;
    free(work);
    free(out);
    return dt;
}

int main(int argc, char **argv)
{
    int maxt = 1;
#ifdef _OPENMP
    maxt = omp_get_max_threads();
#endif
    const int sizes[2] = {64, 512}, counts[2] = {400, 40};
    for (int s = 0; s < 2; s++) {
        sk_synth_config c;
        sk_synth_config_default(&c);
        c.size = sizes[s];
        c.scale = 20.48 / sizes[s];
        for (int t = 1; t <= maxt; t += (maxt > 1 ? maxt - 1 : 1)) {
            run_synth(&c, counts[s] / 4, t);
            double r[5];
            for (int k = 0; k < 5; k++) r[k] = run_synth(&c, counts[s], t);
            qsort(r, 5, sizeof r[0], cmp_d);
            printf("synth %4d px, %d thread(s): %8.1f images/s (median of 5, %d objects)\n", sizes[s],
                   t, counts[s] / r[2], counts[s]);
        }
    }
    if (argc > 1) {
        sk_error err;
        char ids[4][64];
        int nid = 0;
        sk_field f;
        if (sk_field_list(ids, 4, &nid, argv[1], &err) ||
            sk_field_load(&f, argv[1], ids[0], SK_CUTOUT_FROM_FITS, &err)) {
            fprintf(stderr, "sk_bench_synth: %s\n", err.msg);
            return 1;
        }
        double ra, dec;
        sk_wcs_pix2sky(&f.band[1].wcs, f.band[1].width / 2.0, f.band[1].height / 2.0, &ra, &dec);
        sk_lupton_params lp;
        sk_lupton_default(&lp);
        const int cs[3] = {64, 512, 2048};
        const double sc[3] = {0.32, 0.04, 0.01};
        for (int s = 0; s < 3; s++) {
            uint8_t *out = sk_xmalloc((size_t)cs[s] * cs[s] * 3);
            int n = s == 2 ? 2 : 20;
            double r[5];
            sk_cutout_render(out, &f, ra, dec, sc[s], cs[s], &lp);
            for (int k = 0; k < 5; k++) {
                double t0 = sk_now();
                for (int i = 0; i < n; i++)
                    sk_cutout_render(out, &f, ra + i * 1e-4, dec, sc[s], cs[s], &lp);
                r[k] = sk_now() - t0;
            }
            qsort(r, 5, sizeof r[0], cmp_d);
            printf("cutout %4d px from FITS, 1 thread: %8.2f images/s\n", cs[s], n / r[2]);
            free(out);
        }
        sk_field_free(&f);
    }
    return 0;
}
