/* registry.c: the descriptor table (arch/models.def expanded into sk_arch_info rows), lookup,
 * and sk_arch_build, which adds pooling='avg' and the Dense softmax head the study put on every
 * base; the study's input scaling and freeze statistics derived from a row and a graph. */
#include "arch.h"

#include <stdio.h>
#include <string.h>

#define LEVELS(...)                                                                            \
    .paper_levels = (const int[]){__VA_ARGS__},                                                \
    .npaper_levels = (int)(sizeof((const int[]){__VA_ARGS__}) / sizeof(int))
#define KERAS_APPS "https://storage.googleapis.com/tensorflow/keras-applications/"
#define SK_MODEL(name, ...) {.id = #name, .build = sk_build_##name, __VA_ARGS__},

static const sk_arch_info archs[] = {
#include "models.def"
};

#undef SK_MODEL
#undef KERAS_APPS
#undef LEVELS

int sk_arch_count(void) { return (int)SK_ARRAY_LEN(archs); }

const sk_arch_info *sk_arch_get(int i)
{
    SK_ASSERT(i >= 0 && i < sk_arch_count());
    return &archs[i];
}

const sk_arch_info *sk_arch_find(const char *id)
{
    for (int i = 0; i < sk_arch_count(); i++)
        if (id && strcmp(archs[i].id, id) == 0) return &archs[i];
    return NULL;
}

static sk_graph *build(const char *id, int input_size, int num_classes, int with_pooling,
                        int alloc, sk_error *err)
{
    const sk_arch_info *a = sk_arch_find(id);
    if (!a) {
        char known[512];
        size_t off = 0;
        for (int i = 0; i < sk_arch_count() && off < sizeof known; i++)
            off += (size_t)snprintf(known + off, sizeof known - off, "%s%s", i ? " " : "", archs[i].id);
        sk_error_set(err, SK_ENOTFOUND, "unknown architecture '%s' (expected one of: %s)",
                     id ? id : "(null)", known);
        return NULL;
    }
    if (input_size < a->min_size || input_size > SK_ARCH_MAX_SIZE) {
        sk_error_set(err, SK_EINVAL, "%s: input size: expected %d..%d, found %d", id, a->min_size,
                     SK_ARCH_MAX_SIZE, input_size);
        return NULL;
    }
    if (num_classes < 0 || num_classes > 1000000) {
        sk_error_set(err, SK_EINVAL, "%s: number of classes: expected 0..1000000, found %d", id,
                     num_classes);
        return NULL;
    }
    char model_name[SK_NAME_MAX];
    if (a->keras_name_size)
        sk_arch_nm(model_name, "%s_%d", a->keras_name, input_size);
    else
        sk_arch_nm(model_name, "%s", a->keras_name);
    sk_graph *g = sk_graph_new(model_name);
    int in = sk_g_input(g, "input_1", input_size, input_size, 3);
    int x = a->build(g, in);
    if (with_pooling || num_classes > 0) x = sk_g_gap(g, a->pool_name, x, SK_GAP_FLAT);
    if (num_classes > 0) x = sk_g_dense(g, "dense", x, num_classes, SK_BIAS, SK_ACT_SOFTMAX);
    g->output = x;
    if (alloc) sk_graph_finalize(g);
    else sk_graph_finalize_layout(g);
    return g;
}

sk_graph *sk_arch_build(const char *id, int input_size, int num_classes, int with_pooling,
                        sk_error *err)
{
    return build(id, input_size, num_classes, with_pooling, 1, err);
}

sk_graph *sk_arch_build_layout(const char *id, int input_size, int num_classes, int with_pooling,
                               sk_error *err)
{
    return build(id, input_size, num_classes, with_pooling, 0, err);
}

float sk_arch_input_scale(const sk_arch_info *a)
{
    return a->raw_input ? 1.0f : 1.0f / 255.0f;
}

const char *sk_arch_input_scaling(const sk_arch_info *a)
{
    return a->raw_input ? "raw_0_255" : "rescale_1_255";
}

sk_freeze_stats sk_arch_freeze_stats(const sk_graph *g)
{
    sk_freeze_stats s;
    s.trainable_layers = sk_graph_trainable_layers(g);
    s.total_layers = g->n;
    s.base_layers = g->n - 1;
    s.trainable_params = sk_graph_trainable_params(g);
    s.total_params = sk_graph_total_params(g);
    s.tlr = s.total_layers > 0 ? (double)s.trainable_layers / s.total_layers : 0.0;
    s.tlr_base = s.base_layers > 0 ? (double)s.trainable_layers / s.base_layers : 0.0;
    s.tpr = s.total_params > 0 ? (double)s.trainable_params / (double)s.total_params : 0.0;
    return s;
}
