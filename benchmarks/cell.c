/* cell.c: a cell's model (graph, freeze, initialisers, weights, preprocessing) and its data
 * splits (see cell.h). */
#include "cell.h"
#include "sk_base.h"
#include "sk_dataset.h"
#include "sk_core.h"
#include "suite.h"
#include "sk_arch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ImageNet weights of a model in the cache: the Keras notop HDF5 file, or a TF.js model (the
 * descriptor's weights_script fills one). Sets path to the file used; SK_ENOTFOUND if none. */
static sk_status find_imagenet(const sk_arch_info *ai, const char *cache_dir, char *path, size_t cap,
                               sk_error *err)
{
    if (ai->notop.file_name) {
        snprintf(path, cap, "%s/keras/%s", cache_dir, ai->notop.file_name);
        if (sk_file_exists(path)) return SK_OK;
    }
    snprintf(path, cap, "%s/tfjs/%s/model.json", cache_dir, ai->id);
    if (sk_file_exists(path)) return SK_OK;
    return sk_error_set(err, SK_ENOTFOUND,
                        "no ImageNet weights for %s in %s (run `skytune weights fetch %s`%s%s)", ai->id,
                        cache_dir, ai->id, ai->weights_script ? " or " : "",
                        ai->weights_script ? ai->weights_script : "");
}

/* Loads every base tensor from the weight file; only the new head may be missing. */
static sk_status load_imagenet(sk_graph *g, const char *path, sk_error *err)
{
    sk_wset ws;
    sk_wset_init(&ws, path);
    sk_status s = sk_weights_read(path, &ws, err);
    if (s) {
        sk_wset_free(&ws);
        return s;
    }
    sk_wapply_opts o = {.allow_missing = 1, .allow_unused = 1};
    sk_wreport rep;
    memset(&rep, 0, sizeof rep);
    s = sk_weights_apply(g, &ws, &o, &rep, err);
    if (!s) {
        for (int i = 0; i < rep.nmissing; i++)
            if (strncmp(rep.missing[i], "dense/", 6) != 0) {
                s = sk_error_set(err, SK_ENOTFOUND, "%s: tensor %s of the model is not in the file (%d missing)",
                                 path, rep.missing[i], rep.nmissing);
                break;
            }
        if (!s) sk_info("weights: %d tensors from %s (%d renamed, %d unused in the file)", rep.loaded,
                        path, rep.renamed, rep.nunused);
    }
    sk_wreport_free(&rep);
    sk_wset_free(&ws);
    return s;
}

/* The ImageNet weights the spec asks for, over the initialised graph. */
static sk_status load_weights(sk_cell_model *m, const sk_cell_spec *spec, sk_error *err)
{
    if (spec->weights == SK_WEIGHTS_SCRATCH) return SK_OK;
    char wpath[2048];
    sk_status s = SK_OK;
    int explicit_file = spec->weights_file && spec->weights_file[0];
    if (explicit_file) snprintf(wpath, sizeof wpath, "%s", spec->weights_file);
    else s = find_imagenet(m->arch, m->cache_dir, wpath, sizeof wpath, err);
    if (s == SK_ENOTFOUND && spec->weights == SK_WEIGHTS_IMAGENET_IF_AVAILABLE) {
        sk_warn("%s: %s; no ImageNet weights available: training from the seeded Keras initialisers",
                spec->label ? spec->label : m->arch->id, err->msg);
        snprintf(m->weights_source, sizeof m->weights_source, "initialisers");
        return SK_OK;
    }
    if (s || (s = load_imagenet(m->graph, wpath, err))) return s;
    snprintf(m->weights_kind, sizeof m->weights_kind, "imagenet");
    snprintf(m->weights_source, sizeof m->weights_source, "%s",
             explicit_file ? "file" : strstr(wpath, "/tfjs/") ? "tfjs" : "keras-h5");
    snprintf(m->weights_file, sizeof m->weights_file, "%s", wpath);
    if (sk_file_exists(wpath)) return sk_sha256_file(wpath, m->weights_sha256, err);
    return SK_OK;
}

sk_status sk_cell_model_open(sk_cell_model *m, const sk_cell_spec *spec, sk_error *err)
{
    memset(m, 0, sizeof *m);
    snprintf(m->weights_kind, sizeof m->weights_kind, "scratch");
    snprintf(m->weights_source, sizeof m->weights_source, "scratch");
    m->arch = sk_arch_find(spec->arch);
    if (!m->arch) return sk_error_set(err, SK_EINVAL, "unknown architecture '%s' (see skytune arch list)", spec->arch);
    m->input_size = spec->input_size ? spec->input_size : m->arch->study_size;
    m->num_classes = spec->num_classes;
    m->in_scale = sk_arch_input_scale(m->arch);
    m->in_offset = 0.0f;
    char *cache = sk_weights_cache_dir(spec->cache_dir);
    snprintf(m->cache_dir, sizeof m->cache_dir, "%s", cache ? cache : "/tmp/.cache/skytune");
    free(cache);

    m->graph = sk_arch_build(m->arch->id, m->input_size, m->num_classes, 1, err);
    if (!m->graph) return err->code;
    int total = m->graph->n;
    m->level = spec->level == SK_LEVEL_ALL ? total : spec->level;
    sk_status s = SK_OK;
    if (m->level < 1 || m->level > total) {
        s = sk_error_set(err, SK_EINVAL, "%s: trainable layers must be 1..%d (or all), got %d", m->arch->id,
                         total, m->level);
    } else {
        sk_graph_freeze(m->graph, m->level);
        sk_init_graph(m->graph, m->arch->init, spec->seed);
        s = load_weights(m, spec, err);
    }
    if (s) sk_cell_model_close(m);
    return s;
}

void sk_cell_model_close(sk_cell_model *m)
{
    if (m->graph) sk_graph_free(m->graph);
    m->graph = NULL;
}

void sk_cell_model_preprocess(const sk_cell_model *m, sk_train_cfg *cfg)
{
    cfg->in_scale = m->in_scale;
    cfg->in_offset = m->in_offset;
}

sk_status sk_cell_split_load(sk_cell_split *s, const sk_skds *ds, uint32_t split, int size, sk_error *err)
{
    memset(s, 0, sizeof *s);
    const sk_skds_header *h = &ds->h;
    if (h->dtype != SK_SKDS_U8)
        return sk_error_set(err, SK_EUNSUPPORTED, "data set pixels are float32; training reads uint8 data sets");
    if (h->channels != 3)
        return sk_error_set(err, SK_EUNSUPPORTED, "data set has %u channels; the models take 3", h->channels);
    size_t n = 0;
    for (uint64_t i = 0; i < ds->count; i++) n += split == SK_CELL_SPLIT_ALL || ds->records[i].split == split;
    size_t per = (size_t)size * size * 3;
    s->pixels = sk_xmalloc(n * per + 1);
    s->labels = sk_xmalloc((n + 1) * sizeof *s->labels);
    s->index = sk_xmalloc((n + 1) * sizeof *s->index);
    float *tmp = ((int)h->height != size || (int)h->width != size) ? sk_xmalloc(per * sizeof(float)) : NULL;
    size_t k = 0;
    for (uint64_t i = 0; i < ds->count; i++) {
        if (split != SK_CELL_SPLIT_ALL && ds->records[i].split != split) continue;
        const uint8_t *src = sk_skds_pixels(ds, i);
        if (tmp) {
            sk_resize_bilinear_tf(tmp, src, h->height, h->width, (uint32_t)size, (uint32_t)size, 3);
            sk_pixels_to_u8(s->pixels + k * per, tmp, per);
        } else {
            memcpy(s->pixels + k * per, src, per);
        }
        s->index[k] = i;
        s->labels[k++] = (int32_t)ds->records[i].label;
    }
    free(tmp);
    s->im.pixels = s->pixels;
    s->im.labels = s->labels;
    s->im.n = (int)n;
    s->im.h = s->im.w = size;
    s->im.c = 3;
    return SK_OK;
}

void sk_cell_split_free(sk_cell_split *s)
{
    free(s->pixels);
    free(s->labels);
    free(s->index);
    memset(s, 0, sizeof *s);
}

sk_status sk_cell_image_load(uint8_t *out, const char *path, int size, int data_size, sk_error *err)
{
    int first = data_size > 0 ? data_size : size;
    size_t per = (size_t)first * first * 3;
    float *f = sk_xmalloc_aligned(per * sizeof(float));
    sk_status s = sk_pack_load_image(f, path, (uint32_t)first, (uint32_t)first, SK_RESIZE_BILINEAR, 0, err);
    if (!s && first == size) {
        sk_pixels_to_u8(out, f, per);
    } else if (!s) {
        uint8_t *u = sk_xmalloc(per);
        sk_pixels_to_u8(u, f, per);
        float *g = sk_xmalloc_aligned((size_t)size * size * 3 * sizeof(float));
        sk_resize_bilinear_tf(g, u, (uint32_t)first, (uint32_t)first, (uint32_t)size, (uint32_t)size, 3);
        sk_pixels_to_u8(out, g, (size_t)size * size * 3);
        free(g);
        free(u);
    }
    free(f);
    return s;
}

void sk_cell_infer(sk_exec *ex, float in_scale, float in_offset, const sk_images *d, int batch,
                   sk_xent_mode xent, float *probs, sk_metrics *m, sk_progress *bar)
{
    SK_ASSERT(batch >= 1 && batch <= sk_exec_max_batch(ex));
    int k = (int)sk_exec_output_size(ex);
    size_t per = (size_t)d->h * d->w * d->c;
    float *x = sk_xmalloc_aligned((size_t)batch * per * sizeof(float));
    float *ones = sk_xmalloc((size_t)batch * sizeof(float));
    for (int i = 0; i < batch; i++) ones[i] = 1.0f;
    if (m) {
        SK_ASSERT(m->k == k && d->labels);
        sk_metrics_reset(m);
    }
    for (int first = 0; first < d->n; first += batch) {
        int n = d->n - first < batch ? d->n - first : batch;
        const uint8_t *src = d->pixels + (size_t)first * per;
        /* The trainer's conversion (train.c gather), element for element. */
        for (size_t j = 0; j < (size_t)n * per; j++) x[j] = src[j] * in_scale + in_offset;
        sk_exec_forward(ex, x, n, 0, 0, 0);
        const float *p = sk_exec_output(ex);
        if (probs) memcpy(probs + (size_t)first * k, p, (size_t)n * k * sizeof(float));
        if (m) {
            const int32_t *y = d->labels + first;
            for (int i = 0; i < n; i++) SK_ASSERT(y[i] >= 0 && y[i] < k);
            const float *logits = sk_exec_logits(ex);
            double loss = sk_xent_forward_backward(NULL, logits ? logits : p, p, y, ones, n, k,
                                                   logits ? xent : SK_XENT_CLIPPED);
            sk_metrics_add(m, p, y, n, loss);
        }
        if (bar) sk_progress_update(bar, bar->done + (uint64_t)n);
    }
    free(x);
    free(ones);
}
