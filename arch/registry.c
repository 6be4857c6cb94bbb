/* registry.c: the seven models by id, with the study's defaults (input size and scaling, the
 * freeze levels it tested from shared/reference/paper/PROTOCOL.md), and sk_arch_build, which adds
 * pooling='avg' and the Dense softmax head the study put on every base. */
#include "arch.h"

#include <string.h>

static const int lv_resnet[] = {1, 6, 11, 16, 21, 26, 31, 36, 41, 46};
static const int lv_densenet[] = {1, 6, 11, 16, 21, 26, 31, 36, 41, 46};
static const int lv_vgg[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 21};
static const int lv_xception[] = {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27};
static const int lv_effnet[] = {1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 34, 37, 40};
static const int lv_mobilenet[] = {1, 2, 4, 6, 8, 11, 16, 21, 26, 31};
static const int lv_nasnet[] = {1, 11, 21, 31, 41, 51, 61, 71, 81, 91};

#define LV(a) a, (int)SK_ARRAY_LEN(a)

/* Pooling names: resnet.py, densenet.py and efficientnet.py pass name='avg_pool' for
 * pooling='avg'; vgg16.py, xception.py, mobilenet_v2.py and nasnet.py do not. */
static const sk_arch_info archs[] = {
    {"resnet50", "resnet50", 224, 32, 512, 0, LV(lv_resnet), sk_build_resnet50, "avg_pool"},
    {"densenet121", "densenet121", 224, 32, 512, 0, LV(lv_densenet), sk_build_densenet121,
     "avg_pool"},
    {"vgg16", "vgg16", 224, 32, 512, 0, LV(lv_vgg), sk_build_vgg16, "global_average_pooling2d"},
    {"xception", "xception", 299, 71, 512, 0, LV(lv_xception), sk_build_xception,
     "global_average_pooling2d"},
    {"efficientnetb2", "efficientnetb2", 260, 32, 512, 1, LV(lv_effnet), sk_build_efficientnetb2,
     "avg_pool"},
    {"mobilenetv2", "mobilenetv2_1.00", 224, 32, 512, 0, LV(lv_mobilenet), sk_build_mobilenetv2,
     "global_average_pooling2d"},
    {"nasnetmobile", "NASNet", 224, 32, 224, 0, LV(lv_nasnet), sk_build_nasnetmobile,
     "global_average_pooling2d"},
};

#define SK_ARCH_MAX_SIZE 4096

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
        sk_error_set(err, SK_ENOTFOUND,
                     "unknown architecture '%s' (expected one of: resnet50 densenet121 vgg16 "
                     "xception efficientnetb2 mobilenetv2 nasnetmobile)",
                     id ? id : "(null)");
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
    /* mobilenet_v2.py names its model 'mobilenetv2_%0.2f_%s' % (alpha, rows). */
    if (strcmp(a->id, "mobilenetv2") == 0)
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
