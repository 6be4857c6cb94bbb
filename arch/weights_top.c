/* weights_top.c: an architecture with the 1000-class ImageNet top that Keras builds for
 * include_top=True, named as Keras names it, so full ImageNet weight files (with the classifier)
 * can be imported and checked end to end. Not the study's head (arch.h sk_arch_build does that). */
#include "arch.h"
#include "weights.h"

#include <string.h>

sk_graph *sk_weights_build_imagenet(const char *arch, int size, sk_error *err)
{
    /* Pooling layer name and dropout of each application's include_top branch. */
    static const struct { const char *id, *pool; float dropout; } tops[] = {
        {"resnet50", "avg_pool", 0.0f},      {"densenet121", "avg_pool", 0.0f},
        {"xception", "avg_pool", 0.0f},      {"efficientnetb2", "avg_pool", 0.3f},
        {"mobilenetv2", "global_average_pooling2d", 0.0f},
        {"nasnetmobile", "global_average_pooling2d", 0.0f},
    };
    const sk_arch_info *a = sk_arch_find(arch);
    if (!a) {
        sk_error_set(err, SK_ENOTFOUND, "unknown architecture '%s'", arch ? arch : "(null)");
        return NULL;
    }
    int t = -1;
    for (size_t i = 0; i < SK_ARRAY_LEN(tops); i++)
        if (strcmp(tops[i].id, arch) == 0) t = (int)i;
    if (t < 0) {
        sk_error_set(err, SK_EUNSUPPORTED,
                     "%s: the Keras ImageNet top (Flatten + fc1 + fc2 + predictions) is not built "
                     "by this program; import without the top",
                     arch);
        return NULL;
    }
    if (size < a->min_size || size > 4096) {
        sk_error_set(err, SK_EINVAL, "%s: input size: expected %d..4096, found %d", arch, a->min_size, size);
        return NULL;
    }
    sk_graph *g = sk_graph_new(a->keras_name);
    int x = sk_g_input(g, "input_1", size, size, 3);
    x = a->build(g, x);
    x = sk_g_gap(g, tops[t].pool, x, SK_GAP_FLAT);
    if (tops[t].dropout > 0)
        x = sk_g_dropout(g, "top_dropout", x, tops[t].dropout, SK_DROPOUT_ELEMENTS);
    sk_g_dense(g, "predictions", x, 1000, SK_BIAS, SK_ACT_SOFTMAX);
    sk_graph_finalize(g);
    return g;
}
