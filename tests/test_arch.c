// LABELS: arch
/* test_arch.c: the seven models against the Keras layer tables in shared/reference/keras/:
 * for every layer, in Keras model.layers order: index, name, class, the config fields the graph
 * models, output shape, trainable and non-trainable parameter counts, inbound layer names in
 * order, and depth; then the totals. Also builds each model at 512 (the study's size) with the
 * study's pooling + Dense(3) head and checks the output shapes and that the parameter totals do
 * not depend on the input size. Skipped when the shared folder is absent. */
#include "sk_arch.h"
#include "sk_base.h"
#include "sk_test.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int mismatches;

SK_PRINTF(3, 4) static void miss(const char *file, int k, const char *fmt, ...)
{
    if (mismatches++ >= 12) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "  %s layer %d: ", file, k);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static int json_int(const cJSON *o, const char *key, int def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? (int)v->valuedouble : def;
}

/* A [a, b] pair (kernel_size, strides, pool_size) or -1s. */
static void json_pair(const cJSON *o, const char *key, int out[2])
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    out[0] = out[1] = -1;
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 2) {
        out[0] = (int)cJSON_GetArrayItem(v, 0)->valuedouble;
        out[1] = (int)cJSON_GetArrayItem(v, 1)->valuedouble;
    }
}

static const char *json_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double json_num(const cJSON *o, const char *key, double def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static int close_rel(double a, double b) { return fabs(a - b) <= 1e-6 * fmax(fabs(a), fabs(b)); }

#define EXPECT_INT(what, ours, theirs)                                                        \
    do {                                                                                      \
        long long _o = (long long)(ours), _t = (long long)(theirs);                           \
        if (_o != _t) miss(file, k, "%s %s: ours %lld, keras %lld", nd->name, what, _o, _t);  \
    } while (0)

static void compare_window(const char *file, int k, const sk_node *nd, const cJSON *cfg,
                           const char *ksize_key)
{
    int ks[2], st[2];
    json_pair(cfg, ksize_key, ks);
    json_pair(cfg, "strides", st);
    EXPECT_INT("kernel/pool h", nd->cfg.kh, ks[0]);
    EXPECT_INT("kernel/pool w", nd->cfg.kw, ks[1]);
    EXPECT_INT("stride h", nd->cfg.sh, st[0]);
    EXPECT_INT("stride w", nd->cfg.sw, st[1]);
    const char *pad = json_str(cfg, "padding");
    EXPECT_INT("padding same", nd->cfg.same, strcmp(pad, "same") == 0);
    if (strcmp(pad, "same") != 0 && strcmp(pad, "valid") != 0)
        miss(file, k, "%s padding '%s' unknown", nd->name, pad);
}

static void compare_conv_common(const char *file, int k, const sk_node *nd, const cJSON *cfg)
{
    compare_window(file, k, nd, cfg, "kernel_size");
    EXPECT_INT("use_bias", nd->cfg.use_bias,
               cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg, "use_bias")));
    if (strcmp(sk_act_name(nd->cfg.act), json_str(cfg, "activation")) != 0)
        miss(file, k, "%s activation: ours %s, keras %s", nd->name, sk_act_name(nd->cfg.act),
             json_str(cfg, "activation"));
    int dil[2];
    json_pair(cfg, "dilation_rate", dil);
    if (dil[0] != 1 || dil[1] != 1) miss(file, k, "%s dilation not 1 (not modelled)", nd->name);
    EXPECT_INT("depth_multiplier", 1, json_int(cfg, "depth_multiplier", 1));
    EXPECT_INT("groups", 1, json_int(cfg, "groups", 1));
}

/* Four ints of [[a,b],[c,d]] (ZeroPadding2D padding, Cropping2D cropping). */
static void compare_pad4(const char *file, int k, const sk_node *nd, const cJSON *cfg,
                         const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2) {
        miss(file, k, "%s: %s not [[t,b],[l,r]]", nd->name, key);
        return;
    }
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) {
            const cJSON *x = cJSON_GetArrayItem(cJSON_GetArrayItem(v, a), b);
            EXPECT_INT(key, nd->cfg.pad[2 * a + b], x ? (int)x->valuedouble : -1);
        }
}

static void compare_config(const char *file, int k, const sk_node *nd, const cJSON *cfg)
{
    switch (nd->op) {
    case SK_OP_INPUT: {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(cfg, "batch_input_shape");
        EXPECT_INT("input h", nd->h, (int)cJSON_GetArrayItem(s, 1)->valuedouble);
        EXPECT_INT("input c", nd->c, (int)cJSON_GetArrayItem(s, 3)->valuedouble);
        break;
    }
    case SK_OP_CONV2D:
    case SK_OP_SEPARABLE_CONV2D:
        EXPECT_INT("filters", nd->cfg.filters, json_int(cfg, "filters", -1));
        compare_conv_common(file, k, nd, cfg);
        break;
    case SK_OP_DEPTHWISE_CONV2D:
        compare_conv_common(file, k, nd, cfg);
        break;
    case SK_OP_BATCHNORM:
        if (!close_rel(nd->cfg.eps, json_num(cfg, "epsilon", -1)))
            miss(file, k, "%s epsilon %g vs %g", nd->name, nd->cfg.eps, json_num(cfg, "epsilon", -1));
        if (!close_rel(nd->cfg.momentum, json_num(cfg, "momentum", -1)))
            miss(file, k, "%s momentum %g vs %g", nd->name, nd->cfg.momentum,
                 json_num(cfg, "momentum", -1));
        if (json_int(cfg, "axis", 0) != 3 && json_int(cfg, "axis", 0) != -1) /* both: channels */
            miss(file, k, "%s axis %d", nd->name, json_int(cfg, "axis", 0));
        EXPECT_INT("center", 1, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg, "center")));
        EXPECT_INT("scale", 1, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg, "scale")));
        break;
    case SK_OP_ACTIVATION:
        if (strcmp(sk_act_name(nd->cfg.act), json_str(cfg, "activation")) != 0)
            miss(file, k, "%s activation: ours %s, keras %s", nd->name, sk_act_name(nd->cfg.act),
                 json_str(cfg, "activation"));
        break;
    case SK_OP_RELU:
        if (!close_rel(nd->cfg.relu_max, json_num(cfg, "max_value", 0)))
            miss(file, k, "%s max_value %g vs %g", nd->name, nd->cfg.relu_max,
                 json_num(cfg, "max_value", 0));
        EXPECT_INT("negative_slope", 0, (int)(json_num(cfg, "negative_slope", 0) * 1e6));
        EXPECT_INT("threshold", 0, (int)(json_num(cfg, "threshold", 0) * 1e6));
        break;
    case SK_OP_ZEROPADDING2D:
        compare_pad4(file, k, nd, cfg, "padding");
        break;
    case SK_OP_CROPPING2D:
        compare_pad4(file, k, nd, cfg, "cropping");
        break;
    case SK_OP_MAXPOOL2D:
    case SK_OP_AVGPOOL2D:
        compare_window(file, k, nd, cfg, "pool_size");
        break;
    case SK_OP_GAP2D:
        EXPECT_INT("keepdims", nd->cfg.keepdims,
                   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg, "keepdims")));
        break;
    case SK_OP_RESHAPE: {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(cfg, "target_shape");
        for (int i = 0; i < 3; i++)
            EXPECT_INT("target_shape", nd->cfg.target[i],
                       t && cJSON_GetArrayItem(t, i) ? (int)cJSON_GetArrayItem(t, i)->valuedouble
                                                     : -1);
        break;
    }
    case SK_OP_RESCALING:
        if (!close_rel(nd->cfg.scale, json_num(cfg, "scale", -1)) ||
            nd->cfg.offset != json_num(cfg, "offset", -1))
            miss(file, k, "%s rescaling %g+%g", nd->name, nd->cfg.scale, nd->cfg.offset);
        break;
    case SK_OP_DROPOUT: {
        if (!close_rel(nd->cfg.rate, json_num(cfg, "rate", -1)))
            miss(file, k, "%s rate %.9g vs %.9g", nd->name, nd->cfg.rate, json_num(cfg, "rate", -1));
        const cJSON *ns = cJSON_GetObjectItemCaseSensitive(cfg, "noise_shape");
        int per_sample = cJSON_IsArray(ns) && cJSON_GetArraySize(ns) == 4 &&
                         cJSON_IsNull(cJSON_GetArrayItem(ns, 0)) &&
                         cJSON_GetArrayItem(ns, 1)->valuedouble == 1;
        EXPECT_INT("noise_shape (N,1,1,1)", nd->cfg.per_sample, per_sample);
        break;
    }
    case SK_OP_CONCATENATE:
    case SK_OP_NORMALIZATION: {
        int axis = json_int(cfg, "axis", 3);
        if (axis != 3 && axis != -1) miss(file, k, "%s axis %d", nd->name, axis);
        break;
    }
    case SK_OP_DENSE: /* no config compared beyond class, name and shape */
    case SK_OP_ADD:
    case SK_OP_MULTIPLY:
    case SK_OP_COUNT: break;
    }
}

/* Compares one built graph against one reference file; returns the number of mismatches. */
static void compare_file(const char *shared, const char *id, int size, size_t *total_out)
{
    char rel[128], file[64];
    snprintf(file, sizeof file, "%s_%d.json", id, size);
    snprintf(rel, sizeof rel, "reference/keras/%s", file);
    char *path = sk_path_join(shared, rel);
    uint8_t *data = NULL;
    size_t n = 0;
    sk_error err;
    sk_status st = sk_read_file(path, &data, &n, 16u << 20, &err);
    CHECK_OK(st, &err);
    free(path);
    if (st != SK_OK) return;
    cJSON *root = cJSON_ParseWithLength((const char *)data, n);
    free(data);
    CHECKF(root != NULL, "%s parses", file);
    if (!root) return;

    sk_graph *g = sk_arch_build_layout(id, size, 0, 0, &err);
    CHECKF(g != NULL, "build %s at %d: %s", id, size, g ? "" : err.msg);
    if (!g) {
        cJSON_Delete(root);
        return;
    }
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(root, "layers");
    int nl = cJSON_GetArraySize(layers);
    mismatches = 0;
    if (nl != g->n) miss(file, -1, "layer count: ours %d, keras %d", g->n, nl);
    int k = 0;
    const cJSON *L;
    cJSON_ArrayForEach(L, layers)
    {
        if (k >= g->n) break;
        const sk_node *nd = &g->nodes[g->by_keras[k]];
        EXPECT_INT("index", k, json_int(L, "index", -1));
        EXPECT_INT("keras_index", nd->keras_index, k);
        if (strcmp(nd->name, json_str(L, "name")) != 0)
            miss(file, k, "name: ours %s, keras %s", nd->name, json_str(L, "name"));
        if (strcmp(sk_op_keras_class(nd->op), json_str(L, "class")) != 0)
            miss(file, k, "%s class: ours %s, keras %s", nd->name, sk_op_keras_class(nd->op),
                 json_str(L, "class"));
        EXPECT_INT("depth", nd->depth, json_int(L, "depth", -1));
        EXPECT_INT("trainable_params", nd->trainable_params, json_int(L, "trainable_params", -1));
        EXPECT_INT("non_trainable_params", nd->non_trainable_params,
                   json_int(L, "non_trainable_params", -1));
        const cJSON *os = cJSON_GetObjectItemCaseSensitive(L, "output_shape");
        int rank = cJSON_GetArraySize(os);
        EXPECT_INT("rank", nd->rank, rank);
        if (rank == 4) {
            EXPECT_INT("out h", nd->h, (int)cJSON_GetArrayItem(os, 1)->valuedouble);
            EXPECT_INT("out w", nd->w, (int)cJSON_GetArrayItem(os, 2)->valuedouble);
            EXPECT_INT("out c", nd->c, (int)cJSON_GetArrayItem(os, 3)->valuedouble);
        } else if (rank == 2) {
            EXPECT_INT("out c", nd->c, (int)cJSON_GetArrayItem(os, 1)->valuedouble);
        }
        const cJSON *inb = cJSON_GetObjectItemCaseSensitive(L, "inbound");
        EXPECT_INT("inbound count", nd->ninputs, cJSON_GetArraySize(inb));
        for (int i = 0; i < nd->ninputs && i < cJSON_GetArraySize(inb); i++) {
            const char *theirs = cJSON_GetArrayItem(inb, i)->valuestring;
            const char *ours = g->nodes[nd->inputs[i]].name;
            if (!theirs || strcmp(ours, theirs) != 0)
                miss(file, k, "%s inbound %d: ours %s, keras %s", nd->name, i, ours,
                     theirs ? theirs : "?");
        }
        compare_config(file, k, nd, cJSON_GetObjectItemCaseSensitive(L, "config"));
        k++;
    }
    const cJSON *tot = cJSON_GetObjectItemCaseSensitive(root, "totals");
    sk_graph_freeze(g, g->n);
    size_t total = sk_graph_total_params(g), train = sk_graph_trainable_params(g);
    if ((double)total != json_num(tot, "total_params", -1))
        miss(file, -1, "total params: ours %zu, keras %.0f", total, json_num(tot, "total_params", -1));
    if ((double)train != json_num(tot, "trainable_params", -1))
        miss(file, -1, "trainable params: ours %zu, keras %.0f", train,
             json_num(tot, "trainable_params", -1));
    if ((double)g->nstate != json_num(tot, "non_trainable_params", -1))
        miss(file, -1, "non-trainable params: ours %zu", g->nstate);
    /* The remaining totals: model name, weight-carrying layers and tensors, class counts and
     * the output shape. */
    if (strcmp(g->name, json_str(tot, "model_name")) != 0)
        miss(file, -1, "model name: ours %s, keras %s", g->name, json_str(tot, "model_name"));
    int lw = 0, lt = 0, tt = 0, nt = 0;
    int per_class[SK_OP_COUNT] = {0};
    for (int i = 0; i < g->n; i++) {
        const sk_node *nd = &g->nodes[i];
        int t_here = 0;
        per_class[nd->op]++;
        for (int t = 0; t < nd->ntensors; t++) {
            if (nd->tensors[t].is_state) nt++;
            else tt++, t_here++;
        }
        lw += nd->ntensors > 0;
        lt += t_here > 0;
    }
    if (lw != json_int(tot, "layers_with_weights", -1)) miss(file, -1, "layers_with_weights %d", lw);
    if (lt != json_int(tot, "layers_with_trainable_weights", -1))
        miss(file, -1, "layers_with_trainable_weights %d", lt);
    if (tt != json_int(tot, "trainable_weight_tensors", -1))
        miss(file, -1, "trainable_weight_tensors %d", tt);
    if (nt != json_int(tot, "non_trainable_weight_tensors", -1))
        miss(file, -1, "non_trainable_weight_tensors %d", nt);
    const cJSON *cc = cJSON_GetObjectItemCaseSensitive(tot, "class_counts");
    int nclasses = 0;
    for (int op = 0; op < SK_OP_COUNT; op++) {
        if (!per_class[op]) continue;
        nclasses++;
        int theirs = json_int(cc, sk_op_keras_class((sk_op)op), 0);
        if (theirs != per_class[op])
            miss(file, -1, "class count %s: ours %d, keras %d", sk_op_keras_class((sk_op)op),
                 per_class[op], theirs);
    }
    if (nclasses != cJSON_GetArraySize(cc)) miss(file, -1, "number of classes %d", nclasses);
    const sk_node *out = &g->nodes[g->output];
    const cJSON *os = cJSON_GetObjectItemCaseSensitive(tot, "output_shape");
    if (cJSON_GetArraySize(os) != 4 || out->h != (int)cJSON_GetArrayItem(os, 1)->valuedouble ||
        out->w != (int)cJSON_GetArrayItem(os, 2)->valuedouble ||
        out->c != (int)cJSON_GetArrayItem(os, 3)->valuedouble)
        miss(file, -1, "model output shape (%d,%d,%d)", out->h, out->w, out->c);
    CHECKF(mismatches == 0, "%s: %d mismatches with the Keras layer table (%d layers)", file,
           mismatches, g->n);
    if (mismatches == 0) printf("%-22s %4d layers, %zu params: match\n", file, g->n, total);
    if (total_out) *total_out = total;
    sk_graph_free(g);
    cJSON_Delete(root);
}

/* At the study's size, with the study's head: the totals equal those at 224 plus the head,
 * and the pooled features have the base's channel count. */
static void check_study_model(const char *id, size_t total224, int size, int out_hw)
{
    sk_error err;
    sk_graph *g = sk_arch_build(id, size, 3, 1, &err);
    CHECKF(g != NULL, "build %s at %d with head", id, size);
    if (!g) return;
    const sk_node *head = &g->nodes[g->output];
    const sk_node *pool = &g->nodes[head->inputs[0]];
    const sk_node *last = &g->nodes[pool->inputs[0]];
    CHECK_STR(head->name, "dense");
    CHECK_EQ_INT(head->keras_index, g->n - 1);
    CHECK_EQ_INT(pool->keras_index, g->n - 2);
    CHECK_EQ_INT(pool->rank, 2);
    CHECK_STR(pool->name, sk_arch_find(id)->pool_name);
    CHECKF(last->h == out_hw && last->w == out_hw, "%s at %d: last base layer %dx%d, expected %d",
           id, size, last->h, last->w, out_hw);
    size_t head_params = (size_t)pool->c * 3 + 3;
    CHECK_EQ_INT(sk_graph_total_params(g), total224 + head_params);
    sk_graph_free(g);
}

static void test_bad_builds(void)
{
    sk_error err;
    sk_error_clear(&err);
    CHECK(sk_arch_build("resnet51", 224, 3, 1, &err) == NULL);
    CHECK(err.code == SK_ENOTFOUND && strstr(err.msg, "resnet51") != NULL);
    CHECK(sk_arch_build("xception", 70, 3, 1, &err) == NULL);
    CHECK(err.code == SK_EINVAL && strstr(err.msg, "71") != NULL);
    CHECK(sk_arch_build("vgg16", 224, -1, 1, &err) == NULL);
    CHECK_EQ_INT(sk_arch_count(), 7);
}

int main(void)
{
    test_bad_builds();
    const char *shared = sk_test_shared();
    if (!shared) {
        printf("SKIPPED: shared/reference not found (set SHARED)\n");
        return 77;
    }
    static const struct {
        const char *id;
        int small;
        int out512;
    } models[] = {
        {"resnet50", 64, 16},     {"densenet121", 64, 16},   {"vgg16", 64, 16},
        {"xception", 71, 16},     {"efficientnetb2", 64, 16}, {"mobilenetv2", 64, 16},
        {"nasnetmobile", 64, 16},
    };
    for (size_t i = 0; i < SK_ARRAY_LEN(models); i++) {
        size_t t224 = 0, tsmall = 0;
        compare_file(shared, models[i].id, 224, &t224);
        compare_file(shared, models[i].id, models[i].small, &tsmall);
        CHECK_EQ_INT(t224, tsmall);
        check_study_model(models[i].id, t224, 512, models[i].out512);
        if (strcmp(models[i].id, "nasnetmobile") == 0) check_study_model(models[i].id, t224, 224, 7);
    }
    return sk_test_finish();
}
