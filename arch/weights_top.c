/* weights_top.c: an architecture with the 1000-class ImageNet top that Keras builds for
 * include_top=True, named as Keras names it, so full ImageNet weight files (with the classifier)
 * can be imported and checked end to end. The pooling layer and dropout of each application's top
 * are its descriptor's (top_pool, top_dropout). Not the study's head (arch.h sk_arch_build). */
#include "arch.h"
#include "weights.h"

sk_graph *sk_weights_build_imagenet(const char *arch, int size, sk_error *err)
{
    const sk_arch_info *a = sk_arch_find(arch);
    if (!a) {
        sk_error_set(err, SK_ENOTFOUND, "unknown architecture '%s'", arch ? arch : "(null)");
        return NULL;
    }
    if (!a->top_pool) {
        sk_error_set(err, SK_EUNSUPPORTED,
                     "%s: the Keras ImageNet top (Flatten + fc1 + fc2 + predictions) is not built "
                     "by this program; import without the top",
                     arch);
        return NULL;
    }
    if (size < a->min_size || size > SK_ARCH_MAX_SIZE) {
        sk_error_set(err, SK_EINVAL, "%s: input size: expected %d..%d, found %d", arch, a->min_size,
                     SK_ARCH_MAX_SIZE, size);
        return NULL;
    }
    sk_graph *g = sk_graph_new(a->keras_name);
    int x = sk_g_input(g, "input_1", size, size, 3);
    x = a->build(g, x);
    x = sk_g_gap(g, a->top_pool, x, SK_GAP_FLAT);
    if (a->top_dropout > 0)
        x = sk_g_dropout(g, "top_dropout", x, a->top_dropout, SK_DROPOUT_ELEMENTS);
    sk_g_dense(g, "predictions", x, 1000, SK_BIAS, SK_ACT_SOFTMAX);
    sk_graph_finalize(g);
    return g;
}
