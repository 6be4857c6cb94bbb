/* test_export_tfjs.c: `skytune arch export`'s writer (arch/export_tfjs.c) without node.
 *  - every layer of the seven models in model.json against the Keras tables in
 *    shared/reference/keras/ (tf.keras 2.9): name, class, inbound layers, and every config value
 *    the table lists (BatchNormalization's axis as Keras writes it after build: [axis_resolved];
 *    Normalization's as Keras stores it: a list); the head is GlobalAveragePooling2D + Dense;
 *  - the weights read back through the TF.js reader (weights_tfjs.c) onto a fresh graph, strict
 *    (nothing missing or unused), bit-identical; several shards when small shards are asked;
 *  - frozen layers written with "trainable": false; a file where the directory should be is an
 *    error that names it. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "sk_arch.h"
#include "sk_base.h"
#include "sk_core.h"
#include "sk_test.h"
#include "../../arch/weights_tfjs.h"

static cJSON *read_json(const char *path)
{
    uint8_t *d = NULL;
    size_t n = 0;
    sk_error err;
    if (sk_read_file(path, &d, &n, (size_t)64 << 20, &err) != SK_OK) return NULL;
    cJSON *j = cJSON_ParseWithLength((const char *)d, n);
    free(d);
    return j;
}

/* Keras table value vs exported value: numbers equal as float32, the rest structurally. */
static int same_value(const cJSON *ref, const cJSON *got)
{
    if (cJSON_IsNumber(ref))
        return cJSON_IsNumber(got) && (float)ref->valuedouble == (float)got->valuedouble;
    if (cJSON_IsArray(ref)) {
        if (!cJSON_IsArray(got) || cJSON_GetArraySize(ref) != cJSON_GetArraySize(got)) return 0;
        for (int i = 0; i < cJSON_GetArraySize(ref); i++)
            if (!same_value(cJSON_GetArrayItem(ref, i), cJSON_GetArrayItem(got, i))) return 0;
        return 1;
    }
    if (cJSON_IsString(ref)) return cJSON_IsString(got) && !strcmp(ref->valuestring, got->valuestring);
    if (cJSON_IsBool(ref)) return cJSON_IsBool(got) && cJSON_IsTrue(ref) == cJSON_IsTrue(got);
    return cJSON_IsNull(ref) && cJSON_IsNull(got);
}

static const cJSON *find_layer(const cJSON *layers, const char *name)
{
    const cJSON *l;
    cJSON_ArrayForEach(l, layers)
    {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(l, "name");
        if (cJSON_IsString(n) && !strcmp(n->valuestring, name)) return l;
    }
    return NULL;
}

/* Compares one reference layer; returns the number of differences (reported). */
static int check_layer(const char *arch, const cJSON *ref, const cJSON *layers)
{
    const char *name = cJSON_GetObjectItemCaseSensitive(ref, "name")->valuestring;
    const char *cls = cJSON_GetObjectItemCaseSensitive(ref, "class")->valuestring;
    const cJSON *got = find_layer(layers, name);
    if (!got) {
        CHECKF(0, "%s: layer %s missing from model.json", arch, name);
        return 1;
    }
    int bad = 0;
    bad += strcmp(cJSON_GetObjectItemCaseSensitive(got, "class_name")->valuestring, cls) != 0;
    /* inbound: [[[name, 0, 0, {}], ...]] against ["name", ...] */
    const cJSON *rin = cJSON_GetObjectItemCaseSensitive(ref, "inbound");
    const cJSON *gin = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(got, "inbound_nodes"), 0);
    int nin = cJSON_GetArraySize(rin);
    bad += (gin ? cJSON_GetArraySize(gin) : 0) != nin;
    for (int i = 0; i < nin && gin && !bad; i++)
        bad += strcmp(cJSON_GetArrayItem(rin, i)->valuestring,
                      cJSON_GetArrayItem(cJSON_GetArrayItem(gin, i), 0)->valuestring) != 0;
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(got, "config"), *kv;
    cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(ref, "config"))
    {
        int is_bn = !strcmp(cls, "BatchNormalization");
        if (is_bn && !strcmp(kv->string, "axis")) continue; /* the constructor's argument */
        const char *key = !strcmp(kv->string, "axis_resolved") ? "axis" : kv->string;
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(cfg, key);
        int ok;
        if ((is_bn && !strcmp(key, "axis")) || (!strcmp(cls, "Normalization") && !strcmp(key, "axis")))
            ok = cJSON_IsArray(g) && cJSON_GetArraySize(g) == 1 && same_value(kv, cJSON_GetArrayItem(g, 0));
        else
            ok = g && same_value(kv, g);
        if (!ok) CHECKF(0, "%s: layer %s config %s differs from the Keras table", arch, name, key);
        bad += !ok;
    }
    return bad;
}

static void check_arch(const sk_arch_info *ai, const char *shared, const char *tmp)
{
    int size = strcmp(ai->id, "xception") ? 64 : 71;
    sk_error err;
    sk_graph *g = sk_arch_build(ai->id, size, 3, 1, &err);
    CHECK(g != NULL);
    if (!g) return;
    sk_init_scheme sch = sk_init_scheme_default();
    sk_init_graph(g, &sch, 3);
    for (size_t i = 0; i < g->nstate; i++) g->state[i] = (float)(i % 97) * 0.25f; /* non-trivial */
    char *dir = sk_path_join(tmp, ai->id);
    CHECK_OK(sk_export_tfjs(g, ai->id, dir, (size_t)1 << 20, &err), &err);
    char *mj = sk_path_join(dir, SK_TFJS_MODEL_FILE);
    cJSON *model = read_json(mj);
    CHECKF(model != NULL, "%s: model.json is valid JSON", ai->id);
    char ref_path[1024];
    snprintf(ref_path, sizeof ref_path, "%s/reference/keras/%s_%d.json", shared, ai->id, size);
    cJSON *ref = read_json(ref_path);
    CHECKF(ref != NULL, "%s readable", ref_path);
    if (model && ref) {
        const cJSON *mc = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(model, "modelTopology"), "model_config");
        const cJSON *layers = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(mc, "config"), "layers");
        const cJSON *rl = cJSON_GetObjectItemCaseSensitive(ref, "layers"), *l;
        int bad = 0;
        cJSON_ArrayForEach(l, rl) bad += check_layer(ai->id, l, layers);
        CHECKF(bad == 0, "%s: %d Keras layers as in the table (%d differences)", ai->id,
               cJSON_GetArraySize(rl), bad);
        CHECK_EQ_INT(cJSON_GetArraySize(layers), cJSON_GetArraySize(rl) + 2);
        const cJSON *pool = find_layer(layers, ai->pool_name), *dense = find_layer(layers, "dense");
        CHECKF(pool && dense, "%s: head %s + dense", ai->id, ai->pool_name);
    }
    /* weights back through the reader: strict, bit-identical */
    sk_graph *h = sk_arch_build(ai->id, size, 3, 1, &err);
    sk_wset ws;
    sk_wset_init(&ws, dir);
    CHECK_OK(sk_weights_read_tfjs(dir, &ws, &err), &err);
    CHECK_OK(sk_weights_apply(h, &ws, NULL, NULL, &err), &err);
    CHECKF(!memcmp(g->params, h->params, g->nparams * 4) && !memcmp(g->state, h->state, g->nstate * 4),
           "%s: %zu + %zu floats read back bit-identical", ai->id, g->nparams, g->nstate);
    sk_wset_free(&ws);
    sk_graph_free(h);
    cJSON_Delete(model);
    cJSON_Delete(ref);
    free(mj);
    free(dir);
    sk_graph_free(g);
}

static void check_freeze_and_errors(const char *tmp)
{
    sk_error err;
    sk_graph *g = sk_arch_build("vgg16", 32, 2, 1, &err);
    sk_graph_freeze(g, 3);
    char *dir = sk_path_join(tmp, "frozen");
    CHECK_OK(sk_export_tfjs(g, "vgg16", dir, 0, &err), &err);
    char *mj = sk_path_join(dir, SK_TFJS_MODEL_FILE);
    cJSON *m = read_json(mj);
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "modelTopology"), "model_config"),
            "config"),
        "layers");
    const cJSON *c5 = cJSON_GetObjectItemCaseSensitive(find_layer(layers, "block5_conv3"), "config");
    const cJSON *c4 = cJSON_GetObjectItemCaseSensitive(find_layer(layers, "block4_conv3"), "config");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(find_layer(layers, "dense"), "config"), "trainable")));
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(c5, "trainable")));
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(c4, "trainable")));
    cJSON_Delete(m);
    /* model.json where the directory should be */
    sk_status st = sk_export_tfjs(g, "vgg16", mj, 0, &err);
    CHECK_EQ_INT(st, SK_EINVAL);
    CHECKF(strstr(err.msg, mj) != NULL, "error names the path: %s", err.msg);
    free(mj);
    free(dir);
    sk_graph_free(g);
}

int main(void)
{
    const char *shared = sk_test_shared();
    char *tmp = sk_test_tmpdir("export_tfjs");
    if (!shared) {
        printf("SKIPPED the Keras tables: shared/reference not found (set SHARED)\n");
    } else {
        for (int i = 0; i < sk_arch_count(); i++) check_arch(sk_arch_get(i), shared, tmp);
    }
    check_freeze_and_errors(tmp);
    free(tmp);
    return sk_test_finish();
}
