/* synth_run.c: the batch driver of the simulator: labels, parallel rendering in chunks, PNG
 * encoding, and writing through the sink in index order (see sk_synth_write in synth.h).
 *
 * Parallelism: one OpenMP loop over the objects of a chunk; each thread owns a workspace and
 * each object owns its output slot, so writes are disjoint and results are independent of the
 * thread count. Chunks bound memory (about 256 MB of pixels in flight). */
#include "synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "log.h"
#include "pack.h"
#include "sink.h"

static const char MANIFEST_COLUMNS[] =
    "r\tg_r\tr_i\tsersic_n\tre_arcsec\taxis_ratio\tpa_deg\tseeing_fwhm\tneighbours";

sk_status sk_synth_write(const char *out, const sk_synth_config *c, uint64_t n, const double mix[3],
                         double val_fraction, const char *command, int progress, double *seconds,
                         sk_error *err)
{
    return sk_synth_write_split(out, c, n, mix, val_fraction, SK_SYNTH_SPLIT_SEED, command,
                                progress, seconds, err);
}

sk_status sk_synth_write_split(const char *out, const sk_synth_config *c, uint64_t n,
                               const double mix[3], double val_fraction, uint32_t split_seed,
                               const char *command, int progress, double *seconds, sk_error *err)
{
    double t0 = sk_now();
    sk_status st = sk_synth_config_check(c, err);
    if (st) return st;
    if (n < 1 || n >= UINT32_MAX)
        return sk_error_set(err, SK_EINVAL, "synth: n expected 1..%u, found %llu", UINT32_MAX - 1,
                            (unsigned long long)n);
    if (!(mix[0] >= 0 && mix[1] >= 0 && mix[2] >= 0 && mix[0] + mix[1] + mix[2] > 0))
        return sk_error_set(err, SK_EINVAL, "synth: mix weights must be >= 0 and not all 0");
    if (!(val_fraction >= 0.0 && val_fraction < 1.0))
        return sk_error_set(err, SK_EINVAL, "synth: val fraction expected in [0, 1), found %g",
                            val_fraction);

    uint8_t *labels = sk_xmalloc(n);
    sk_synth_labels(labels, n, mix, c->seed);
    uint8_t *split = sk_xcalloc(n, 1);
    {
        /* The folder's sorted file list: class-major (labels are alphabetical), objid order. */
        uint64_t *file_obj = sk_xmalloc(n * sizeof(uint64_t)), *order = sk_xmalloc(n * sizeof(uint64_t));
        uint32_t *fsplit = sk_xmalloc(n * sizeof(uint32_t));
        uint64_t s = 0;
        for (int cls = 0; cls < SK_SYNTH_NCLASSES; cls++)
            for (uint64_t i = 0; i < n; i++)
                if (labels[i] == cls) file_obj[s++] = i;
        sk_pack_keras_split(order, fsplit, n, split_seed, val_fraction);
        for (uint64_t k = 0; k < n; k++) split[file_obj[order[k]]] = (uint8_t)fsplit[k];
        free(file_obj);
        free(order);
        free(fsplit);
    }

    const char *names[SK_SYNTH_NCLASSES];
    for (int k = 0; k < SK_SYNTH_NCLASSES; k++) names[k] = sk_synth_class_name(k);
    sk_sink *sink = NULL;
    st = sk_sink_open(&sink, out, c->size, names, SK_SYNTH_NCLASSES, "synth", split_seed,
                      val_fraction, SK_SPLIT_RULE_KERAS, MANIFEST_COLUMNS, err);
    if (st) {
        free(labels);
        free(split);
        return st;
    }
    const int png = !sk_sink_is_skds(sink);
    if (png) sk_sink_set_jpeg(sink, c->jpeg_quality);
    const size_t img_bytes = (size_t)c->size * c->size * 3;
    size_t chunk = ((size_t)256 << 20) / img_bytes;
    if (chunk < 1) chunk = 1;
    if (chunk > 256) chunk = 256;
    if (chunk > n) chunk = n;
    int nthreads = 1;
#ifdef _OPENMP
    nthreads = omp_get_max_threads();
#endif
    const size_t ws = sk_synth_workspace_floats(c);
    float *work = sk_xmalloc_aligned((size_t)nthreads * ws * sizeof(float));
    uint8_t *pix = sk_xmalloc(chunk * img_bytes);
    sk_synth_truth *truth = sk_xmalloc(chunk * sizeof(sk_synth_truth));
    sk_buf *pngs = sk_xcalloc(chunk, sizeof(sk_buf));
    sk_status *pst = sk_xcalloc(chunk, sizeof(sk_status));
    sk_error *perr = sk_xcalloc(chunk, sizeof(sk_error));
    sk_progress bar;
    if (progress) sk_progress_begin(&bar, "synth", n, NULL);

    for (uint64_t base = 0; base < n && !st; base += chunk) {
        long m = (long)(n - base < chunk ? n - base : chunk);
#pragma omp parallel for schedule(dynamic, 1)
        for (long j = 0; j < m; j++) {
            int tid = 0;
#ifdef _OPENMP
            tid = omp_get_thread_num();
#endif
            uint64_t i = base + (uint64_t)j;
            sk_synth_draw(&truth[j], c, i, labels[i]);
            sk_synth_render(pix + (size_t)j * img_bytes, NULL, &truth[j], c, work + (size_t)tid * ws);
            pst[j] = SK_OK;
            if (png) {
                pngs[j].len = 0;
                pst[j] = sk_sink_encode(sink, &pngs[j], pix + (size_t)j * img_bytes, &perr[j]);
            }
        }
        for (long j = 0; j < m && !st; j++) {
            if (pst[j]) {
                *err = perr[j];
                st = pst[j];
                break;
            }
            uint64_t i = base + (uint64_t)j;
            const sk_synth_truth *t = &truth[j];
            sk_skds_record rec = {.objid = i + 1, .label = labels[i], .split = split[i],
                                  .ra = NAN, .dec = NAN};
            char extra[256];
            sk_snprintf(extra, sizeof extra, "%.4f\t%.4f\t%.4f\t%.3f\t%.3f\t%.3f\t%.1f\t%.3f\t%d",
                        t->target.mag_r, t->target.gr, t->target.ri, t->target.sersic_n,
                        t->target.re_arcsec, t->target.axis_ratio, t->target.pa_deg,
                        t->seeing_fwhm, t->nneighbours);
            st = sk_sink_add(sink, &rec, pix + (size_t)j * img_bytes, png ? &pngs[j] : NULL, extra,
                             err);
        }
        if (progress) sk_progress_update(&bar, base + (uint64_t)m);
    }
    if (progress) sk_progress_end(&bar);
    if (st)
        sk_sink_abort(sink);
    else
        st = sk_sink_close(sink, command, err);
    for (size_t j = 0; j < chunk; j++) sk_buf_free(&pngs[j]);
    free(pngs);
    free(pst);
    free(perr);
    free(truth);
    free(pix);
    free(work);
    free(labels);
    free(split);
    if (seconds) *seconds = sk_now() - t0;
    if (st) return sk_error_prefix(err, "synth %s: ", out);
    return SK_OK;
}
