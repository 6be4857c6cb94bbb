/* synth_run.c: the batch driver of the simulator: labels, split flags, and the render and
 * describe steps of the sink's pipeline (sk_sink_run), which renders in parallel and writes in
 * index order (see sk_synth_write in synth.h).
 *
 * Parallelism: each thread owns a workspace and each object owns its output slot, so writes are
 * disjoint and results are independent of the thread count. */
#include "synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "sk_base.h"
#include "pack.h"
#include "sink.h"

static const sk_manifest_col EXTRA_COLUMNS[] = {
    SK_MF_R, SK_MF_G_R, SK_MF_R_I, SK_MF_SERSIC_N, SK_MF_RE_ARCSEC, SK_MF_AXIS_RATIO, SK_MF_PA_DEG,
    SK_MF_SEEING_FWHM, SK_MF_NEIGHBOURS};

sk_status sk_synth_write(const char *out, const sk_synth_config *c, uint64_t n, const double mix[3],
                         double val_fraction, const char *command, int progress, double *seconds,
                         sk_error *err)
{
    return sk_synth_write_split(out, c, n, mix, val_fraction, SK_SYNTH_SPLIT_SEED, command,
                                progress, seconds, err);
}

/* Labels and split flags of all objects, and one workspace per thread. */
typedef struct {
    const sk_synth_config *c;
    const uint8_t *labels, *split;
    float *work;
    size_t ws;
} synth_job;

static int synth_render(void *ctx, uint64_t i, int thread, uint8_t *rgb, void *slot)
{
    const synth_job *j = ctx;
    sk_synth_truth *t = slot;
    sk_synth_draw(t, j->c, i, j->labels[i]);
    sk_synth_render(rgb, NULL, t, j->c, j->work + (size_t)thread * j->ws);
    return 1;
}

static void synth_describe(void *ctx, uint64_t i, const void *slot, sk_skds_record *rec,
                           char (*f)[SK_SINK_FIELD_MAX])
{
    const synth_job *j = ctx;
    const sk_synth_truth *t = slot;
    *rec = (sk_skds_record){.objid = i + 1, .label = j->labels[i], .split = j->split[i], .ra = NAN,
                            .dec = NAN};
    const sk_synth_source *s = &t->target;
    sk_snprintf(f[0], SK_SINK_FIELD_MAX, "%.4f", s->mag_r);
    sk_snprintf(f[1], SK_SINK_FIELD_MAX, "%.4f", s->gr);
    sk_snprintf(f[2], SK_SINK_FIELD_MAX, "%.4f", s->ri);
    sk_snprintf(f[3], SK_SINK_FIELD_MAX, "%.3f", s->sersic_n);
    sk_snprintf(f[4], SK_SINK_FIELD_MAX, "%.3f", s->re_arcsec);
    sk_snprintf(f[5], SK_SINK_FIELD_MAX, "%.3f", s->axis_ratio);
    sk_snprintf(f[6], SK_SINK_FIELD_MAX, "%.1f", s->pa_deg);
    sk_snprintf(f[7], SK_SINK_FIELD_MAX, "%.3f", t->seeing_fwhm);
    sk_snprintf(f[8], SK_SINK_FIELD_MAX, "%d", t->nneighbours);
}

/* Split flags by Keras' rule over the file list the folder output would have: class-major
 * (labels are alphabetical), objid order. */
static void keras_split_flags(uint8_t *split, const uint8_t *labels, uint64_t n, uint32_t split_seed,
                              double val_fraction)
{
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
    keras_split_flags(split, labels, n, split_seed, val_fraction);

    const char *names[SK_SYNTH_NCLASSES];
    for (int k = 0; k < SK_SYNTH_NCLASSES; k++) names[k] = sk_synth_class_name(k);
    sk_sink *sink = NULL;
    st = sk_sink_open(&sink, out, c->size, names, SK_SYNTH_NCLASSES, "synth", split_seed,
                      val_fraction, SK_SPLIT_RULE_KERAS, EXTRA_COLUMNS,
                      (int)SK_ARRAY_LEN(EXTRA_COLUMNS), c->jpeg_quality, err);
    if (!st) {
        int nthreads = 1;
#ifdef _OPENMP
        nthreads = omp_get_max_threads();
#endif
        synth_job sj = {.c = c, .labels = labels, .split = split, .ws = sk_synth_workspace_floats(c)};
        sj.work = sk_xmalloc_aligned((size_t)nthreads * sj.ws * sizeof(float));
        const sk_sink_job job = {.ctx = &sj, .slot_bytes = sizeof(sk_synth_truth),
                                 .render = synth_render, .describe = synth_describe,
                                 .label = "synth", .progress = progress};
        uint64_t written = 0;
        st = sk_sink_run(sink, n, &job, &written, err);
        free(sj.work);
        if (st) sk_sink_abort(sink);
        else st = sk_sink_close(sink, command, err);
    }
    free(labels);
    free(split);
    if (seconds) *seconds = sk_now() - t0;
    if (st) return sk_error_prefix(err, "synth %s: ", out);
    return SK_OK;
}
