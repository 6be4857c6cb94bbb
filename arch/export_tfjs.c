/* export_tfjs.c: an sk_graph as a TF.js layers model (model.json + weight shards); see
 * export_tfjs.h. The JSON is written by hand into an sk_buf (layer configs in tf.keras 2.9's
 * key order); the shards are the float32 tensors of every node, in node order, cut every
 * shard_bytes bytes as the TF.js converter cuts them. */
#include "export_tfjs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "sk_base.h"
#include "sk_core.h"
#include "weights.h"
#include "weights_fetch.h"
#include "weights_tfjs.h"

/* ---- JSON text ---- */

/* The shortest decimal that reads back as the same float32 (Python's repr of the float32). */
static void put_float(sk_buf *b, float v)
{
    size_t at = b->len;
    sk_buf_put_f32_text(b, v);
    /* JSON numbers need a digit after '.', and Keras writes integral floats as "6.0" */
    if (!strpbrk((const char *)b->data + at, ".eEn")) sk_buf_printf(b, ".0");
}

static void put_str(sk_buf *b, const char *s)
{
    sk_buf_put_u8(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') sk_buf_printf(b, "\\%c", c);
        else if (c < 0x20) sk_buf_printf(b, "\\u%04x", c);
        else sk_buf_put_u8(b, c);
    }
    sk_buf_put_u8(b, '"');
}

static void put_key(sk_buf *b, const char *key)
{
    sk_buf_printf(b, ", ");
    put_str(b, key);
    sk_buf_printf(b, ": ");
}

static void put_pair(sk_buf *b, const char *key, int x, int y)
{
    put_key(b, key);
    sk_buf_printf(b, "[%d, %d]", x, y);
}

static void put_bool(sk_buf *b, const char *key, int v)
{
    put_key(b, key);
    sk_buf_printf(b, "%s", v ? "true" : "false");
}

static void put_null(sk_buf *b, const char *key)
{
    put_key(b, key);
    sk_buf_printf(b, "null");
}

static void put_strkey(sk_buf *b, const char *key, const char *v)
{
    put_key(b, key);
    put_str(b, v);
}

static const char *act_name(sk_act a)
{
    static const char *const names[SK_ACT_COUNT] = {
        [SK_ACT_LINEAR] = "linear", [SK_ACT_RELU] = "relu",       [SK_ACT_RELU6] = "relu6",
        [SK_ACT_SWISH] = "swish",   [SK_ACT_SIGMOID] = "sigmoid", [SK_ACT_SOFTMAX] = "softmax",
    };
    SK_ASSERT(a >= 0 && a < SK_ACT_COUNT);
    return names[a];
}

static void put_init(sk_buf *b, const char *key, const char *cls)
{
    put_key(b, key);
    sk_buf_printf(b, "{\"class_name\": \"%s\", \"config\": {}}", cls);
}

static void put_initializer(sk_buf *b, const sk_initializer *in)
{
    static const char *const modes[] = {"fan_in", "fan_out", "fan_avg"};
    static const char *const dists[] = {"truncated_normal", "untruncated_normal", "uniform"};
    switch (in->kind) {
    case SK_INIT_VARIANCE_SCALING:
        sk_buf_printf(b, "{\"class_name\": \"VarianceScaling\", \"config\": {\"scale\": %.17g, "
                         "\"mode\": \"%s\", \"distribution\": \"%s\", \"seed\": null}}",
                      in->scale, modes[in->mode], dists[in->dist]);
        return;
    case SK_INIT_HE_NORMAL:
        sk_buf_printf(b, "{\"class_name\": \"HeNormal\", \"config\": {\"seed\": null}}");
        return;
    case SK_INIT_ZEROS: sk_buf_printf(b, "{\"class_name\": \"Zeros\", \"config\": {}}"); return;
    case SK_INIT_ONES: sk_buf_printf(b, "{\"class_name\": \"Ones\", \"config\": {}}"); return;
    case SK_INIT_GLOROT_UNIFORM: break;
    }
    sk_buf_printf(b, "{\"class_name\": \"GlorotUniform\", \"config\": {\"seed\": null}}");
}

/* The kernel initialiser Keras's code names: the descriptor's scheme (EfficientNet's
 * CONV_KERNEL_INITIALIZER for convolutions, DENSE_KERNEL_INITIALIZER for its own ImageNet top
 * "predictions"); a Dense head added by the user keeps glorot_uniform. */
static void put_kernel_init(sk_buf *b, const char *key, const sk_arch_info *f, const sk_node *nd)
{
    put_key(b, key);
    sk_initializer glorot = sk_init_glorot_uniform();
    const sk_initializer *in = &glorot;
    if (f->init && nd->op != SK_OP_DENSE) in = &f->init->conv;
    else if (f->init && strcmp(nd->name, "predictions") == 0) in = &f->init->dense;
    put_initializer(b, in);
}

/* kernel_size, strides, padding, data_format, dilation_rate of a windowed layer. */
static void put_window(sk_buf *b, const sk_layer_cfg *c, int with_dilation)
{
    put_pair(b, "kernel_size", c->kh, c->kw);
    put_pair(b, "strides", c->sh, c->sw);
    put_strkey(b, "padding", c->same ? "same" : "valid");
    put_strkey(b, "data_format", "channels_last");
    if (with_dilation) put_pair(b, "dilation_rate", 1, 1);
}

static void put_act_bias(sk_buf *b, const sk_node *nd)
{
    put_strkey(b, "activation", act_name(nd->cfg.act));
    put_bool(b, "use_bias", nd->cfg.use_bias);
}

static void put_nulls(sk_buf *b, const char *const *keys, int n)
{
    for (int i = 0; i < n; i++) put_null(b, keys[i]);
}

/* The config body after {"name", "trainable", "dtype"} for every class but InputLayer. */
static void put_config_body(sk_buf *b, const sk_node *nd, const sk_arch_info *f)
{
    const sk_layer_cfg *c = &nd->cfg;
    static const char *const conv_nulls[] = {"kernel_regularizer", "bias_regularizer",
                                             "activity_regularizer", "kernel_constraint",
                                             "bias_constraint"};
    switch (nd->op) {
    case SK_OP_CONV2D:
        sk_buf_printf(b, ", \"filters\": %d", c->filters);
        put_window(b, c, 1);
        sk_buf_printf(b, ", \"groups\": 1");
        put_act_bias(b, nd);
        put_kernel_init(b, "kernel_initializer", f, nd);
        put_init(b, "bias_initializer", "Zeros");
        put_nulls(b, conv_nulls, 5);
        break;
    case SK_OP_DENSE:
        sk_buf_printf(b, ", \"units\": %d", c->filters);
        put_act_bias(b, nd);
        put_kernel_init(b, "kernel_initializer", f, nd);
        put_init(b, "bias_initializer", "Zeros");
        put_nulls(b, conv_nulls, 5);
        break;
    case SK_OP_DEPTHWISE_CONV2D: {
        static const char *const n1[] = {"bias_regularizer", "activity_regularizer",
                                         "bias_constraint"};
        put_window(b, c, 1);
        put_act_bias(b, nd);
        put_init(b, "bias_initializer", "Zeros");
        put_nulls(b, n1, 3);
        sk_buf_printf(b, ", \"depth_multiplier\": 1");
        put_kernel_init(b, "depthwise_initializer", f, nd);
        put_null(b, "depthwise_regularizer");
        put_null(b, "depthwise_constraint");
        break;
    }
    case SK_OP_SEPARABLE_CONV2D: {
        static const char *const n2[] = {"depthwise_regularizer", "pointwise_regularizer",
                                         "bias_regularizer", "activity_regularizer",
                                         "depthwise_constraint", "pointwise_constraint",
                                         "bias_constraint"};
        sk_buf_printf(b, ", \"filters\": %d", c->filters);
        put_window(b, c, 1);
        put_act_bias(b, nd);
        sk_buf_printf(b, ", \"depth_multiplier\": 1");
        put_kernel_init(b, "depthwise_initializer", f, nd);
        put_kernel_init(b, "pointwise_initializer", f, nd);
        put_init(b, "bias_initializer", "Zeros");
        put_nulls(b, n2, 7);
        break;
    }
    case SK_OP_BATCHNORM: {
        static const char *const n3[] = {"beta_regularizer", "gamma_regularizer",
                                         "beta_constraint", "gamma_constraint"};
        sk_buf_printf(b, ", \"axis\": [3], \"momentum\": ");
        put_float(b, c->momentum);
        sk_buf_printf(b, ", \"epsilon\": ");
        put_float(b, c->eps);
        sk_buf_printf(b, ", \"center\": true, \"scale\": true");
        put_init(b, "beta_initializer", "Zeros");
        put_init(b, "gamma_initializer", "Ones");
        put_init(b, "moving_mean_initializer", "Zeros");
        put_init(b, "moving_variance_initializer", "Ones");
        put_nulls(b, n3, 4);
        break;
    }
    case SK_OP_RELU:
        put_key(b, "max_value");
        if (c->relu_max > 0.0f) put_float(b, c->relu_max);
        else sk_buf_printf(b, "null");
        sk_buf_printf(b, ", \"negative_slope\": 0.0, \"threshold\": 0.0");
        break;
    case SK_OP_ACTIVATION: put_strkey(b, "activation", act_name(c->act)); break;
    case SK_OP_CONCATENATE:
        sk_buf_printf(b, ", \"axis\": %d", f->concat_axis ? f->concat_axis : -1);
        break;
    case SK_OP_RESHAPE:
        sk_buf_printf(b, ", \"target_shape\": [%d, %d, %d]", c->target[0], c->target[1],
                      c->target[2]);
        break;
    case SK_OP_ZEROPADDING2D:
    case SK_OP_CROPPING2D:
        put_key(b, nd->op == SK_OP_ZEROPADDING2D ? "padding" : "cropping");
        sk_buf_printf(b, "[[%d, %d], [%d, %d]]", c->pad[0], c->pad[1], c->pad[2], c->pad[3]);
        put_strkey(b, "data_format", "channels_last");
        break;
    case SK_OP_MAXPOOL2D:
    case SK_OP_AVGPOOL2D:
        put_pair(b, "pool_size", c->kh, c->kw);
        put_strkey(b, "padding", c->same ? "same" : "valid");
        put_pair(b, "strides", c->sh, c->sw);
        put_strkey(b, "data_format", "channels_last");
        break;
    case SK_OP_GAP2D:
        put_strkey(b, "data_format", "channels_last");
        put_bool(b, "keepdims", c->keepdims);
        break;
    case SK_OP_RESCALING:
        sk_buf_printf(b, ", \"scale\": ");
        put_float(b, c->scale);
        sk_buf_printf(b, ", \"offset\": ");
        put_float(b, c->offset);
        break;
    case SK_OP_NORMALIZATION:
        sk_buf_printf(b, ", \"axis\": [3], \"mean\": null, \"variance\": null");
        break;
    case SK_OP_DROPOUT:
        sk_buf_printf(b, ", \"rate\": ");
        put_float(b, c->rate);
        sk_buf_printf(b, ", \"noise_shape\": %s, \"seed\": null",
                      c->per_sample ? "[null, 1, 1, 1]" : "null");
        break;
    case SK_OP_ADD:
    case SK_OP_MULTIPLY: break;
    case SK_OP_INPUT: /* written by put_layer with its own config */
    case SK_OP_COUNT: SK_ASSERT_MSG(0, "not a layer with a config body"); break;
    }
}

static void put_layer(sk_buf *b, const sk_graph *g, const sk_node *nd, const sk_arch_info *f)
{
    sk_buf_printf(b, "{\"class_name\": ");
    put_str(b, sk_op_keras_class(nd->op));
    sk_buf_printf(b, ", \"config\": {\"name\": ");
    put_str(b, nd->name);
    if (nd->op == SK_OP_INPUT) {
        sk_buf_printf(b, ", \"batch_input_shape\": [null, %d, %d, %d], \"dtype\": \"float32\", "
                         "\"sparse\": false, \"ragged\": false}",
                      nd->h, nd->w, nd->c);
    } else {
        put_bool(b, "trainable", nd->trainable);
        put_strkey(b, "dtype", "float32");
        put_config_body(b, nd, f);
        sk_buf_printf(b, "}");
    }
    sk_buf_printf(b, ", \"name\": ");
    put_str(b, nd->name);
    sk_buf_printf(b, ", \"inbound_nodes\": [");
    if (nd->ninputs > 0) {
        sk_buf_printf(b, "[");
        for (int k = 0; k < nd->ninputs; k++) {
            sk_buf_printf(b, "%s[", k ? ", " : "");
            put_str(b, g->nodes[nd->inputs[k]].name);
            sk_buf_printf(b, ", 0, 0, {}]");
        }
        sk_buf_printf(b, "]");
    }
    sk_buf_printf(b, "]}");
}

static void put_topology(sk_buf *b, const sk_graph *g, const sk_arch_info *f)
{
    const char *input = NULL;
    for (int i = 0; i < g->n && !input; i++)
        if (g->nodes[i].op == SK_OP_INPUT) input = g->nodes[i].name;
    SK_ASSERT(input != NULL);
    sk_buf_printf(b, "\"modelTopology\": {\"keras_version\": \"2.9.0\", \"backend\": "
                     "\"tensorflow\", \"model_config\": {\"class_name\": \"Functional\", "
                     "\"config\": {\"name\": ");
    put_str(b, g->name);
    sk_buf_printf(b, ", \"layers\": [\n");
    /* Creation order is a topological order, as Keras's own config lists layers. */
    for (int i = 0; i < g->n; i++) {
        sk_buf_printf(b, "%s", i ? ",\n" : "");
        put_layer(b, g, &g->nodes[i], f);
    }
    sk_buf_printf(b, "], \"input_layers\": [[");
    put_str(b, input);
    sk_buf_printf(b, ", 0, 0]], \"output_layers\": [[");
    put_str(b, g->nodes[g->output].name);
    sk_buf_printf(b, ", 0, 0]]}}}");
}

/* ---- weights ---- */

static const float *tensor_data(const sk_graph *g, const sk_tensor_info *t)
{
    return (t->is_state ? g->state : g->params) + t->offset;
}

static size_t total_weight_bytes(const sk_graph *g)
{
    size_t n = 0;
    for (int i = 0; i < g->n; i++)
        for (int k = 0; k < g->nodes[i].ntensors; k++) n += g->nodes[i].tensors[k].size * 4;
    return n;
}

static void put_manifest(sk_buf *b, const sk_graph *g, int nshards)
{
    sk_buf_printf(b, "\"weightsManifest\": [{\"paths\": [");
    for (int s = 0; s < nshards; s++)
        sk_buf_printf(b, "%s\"group1-shard%dof%d.bin\"", s ? ", " : "", s + 1, nshards);
    sk_buf_printf(b, "], \"weights\": [");
    int first = 1;
    for (int i = 0; i < g->n; i++) {
        const sk_node *nd = &g->nodes[i];
        for (int k = 0; k < nd->ntensors; k++) {
            const sk_tensor_info *t = &nd->tensors[k];
            char name[SK_NAME_MAX + 32];
            sk_snprintf(name, sizeof name, "%s/%s", nd->name, t->name);
            sk_buf_printf(b, "%s\n{\"name\": ", first ? "" : ",");
            put_str(b, name);
            sk_buf_printf(b, ", \"shape\": [");
            for (int d = 0; d < t->ndim; d++) sk_buf_printf(b, "%s%d", d ? ", " : "", t->shape[d]);
            sk_buf_printf(b, "], \"dtype\": \"%s\"}", SK_TFJS_DTYPE);
            first = 0;
        }
    }
    sk_buf_printf(b, "]}]");
}

/* All tensors little-endian into one buffer, in manifest order. */
static uint8_t *weight_bytes(const sk_graph *g, size_t total)
{
    uint8_t *all = sk_xmalloc(total ? total : 1), *p = all;
    for (int i = 0; i < g->n; i++)
        for (int k = 0; k < g->nodes[i].ntensors; k++) {
            const sk_tensor_info *t = &g->nodes[i].tensors[k];
            const float *v = tensor_data(g, t);
            for (size_t e = 0; e < t->size; e++, p += 4) {
                uint32_t bits;
                memcpy(&bits, &v[e], 4);
                sk_le_store32(p, bits);
            }
        }
    return all;
}

sk_status sk_export_tfjs(const sk_graph *g, const char *arch, const char *dir, size_t shard_bytes,
                         sk_error *err)
{
    SK_ASSERT(g && g->finalized && g->output >= 0);
    SK_ASSERT_MSG((g->params || !g->nparams) && (g->state || !g->nstate),
                  "export needs a graph with weights (sk_graph_finalize)");
    if (shard_bytes == 0) shard_bytes = SK_TFJS_SHARD_BYTES;
    const sk_arch_info *f = sk_arch_find(arch);
    if (!f) return sk_error_set(err, SK_EINVAL, "unknown architecture '%s'", arch ? arch : "(null)");
    if (sk_file_exists(dir) && !sk_dir_exists(dir))
        return sk_error_set(err, SK_EINVAL, "%s: expected a directory for the TF.js model, found a file",
                            dir);
    sk_status st = sk_mkdir_p(dir, err);
    if (st) return st;
    size_t total = total_weight_bytes(g);
    int nshards = total ? (int)((total + shard_bytes - 1) / shard_bytes) : 0;
    uint8_t *all = weight_bytes(g, total);
    sk_buf b;
    sk_buf_init(&b);
    for (int s = 0; s < nshards && st == SK_OK; s++) {
        char name[64];
        sk_snprintf(name, sizeof name, "group1-shard%dof%d.bin", s + 1, nshards);
        char *path = sk_path_join(dir, name);
        size_t off = (size_t)s * shard_bytes;
        size_t len = total - off < shard_bytes ? total - off : shard_bytes;
        st = sk_write_file_atomic(path, all + off, len, err);
        free(path);
    }
    if (st == SK_OK) {
        sk_buildinfo bi;
        sk_buildinfo_get(&bi);
        sk_buf_printf(&b, "{\"format\": \"%s\", \"generatedBy\": \"skytune %s\", \"convertedBy\": "
                          "null,\n",
                      SK_TFJS_FORMAT, bi.version);
        put_topology(&b, g, f);
        sk_buf_printf(&b, ",\n");
        put_manifest(&b, g, nshards);
        sk_buf_printf(&b, "}\n");
        char *path = sk_path_join(dir, SK_TFJS_MODEL_FILE);
        st = sk_write_file_atomic(path, b.data, b.len, err);
        free(path);
    }
    sk_buf_free(&b);
    free(all);
    return st;
}

/* ---- the `skytune arch export` pipeline ---- */

static sk_status load_file(sk_graph *g, const char *path, int *loaded, sk_error *err)
{
    sk_wset ws;
    sk_wset_init(&ws, path);
    sk_wreport rep;
    memset(&rep, 0, sizeof rep);
    sk_status st = sk_weights_read(path, &ws, err);
    sk_wapply_opts o = {.allow_missing = 1, .allow_unused = 1};
    if (!st) st = sk_weights_apply(g, &ws, &o, &rep, err);
    /* only the new head ("dense") may be missing from the file */
    for (int i = 0; !st && i < rep.nmissing; i++)
        if (strncmp(rep.missing[i], "dense/", 6) != 0)
            st = sk_error_set(err, SK_ENOTFOUND,
                              "%s: tensor %s of the model is not in the file (%d missing)", path,
                              rep.missing[i], rep.nmissing);
    if (!st && loaded) *loaded = rep.loaded;
    sk_wreport_free(&rep);
    sk_wset_free(&ws);
    return st;
}

/* The cached ImageNet file of arch: the Keras HDF5 from `skytune weights fetch`, else a TF.js
 * model under tfjs/<arch>/ (ci/fetch-resnet50-weights.sh). */
static sk_status cached_imagenet(const char *arch, const char *cache, char *path, size_t cap,
                                 sk_error *err)
{
    char *dir = sk_weights_cache_dir(cache);
    if (!dir) return sk_error_set(err, SK_ENOTFOUND, "no cache directory (HOME is not set)");
    const sk_weights_source *src = sk_weights_source_find(arch);
    int found = 0;
    if (src) {
        snprintf(path, cap, "%s/keras/%s", dir, src->file_name);
        found = sk_file_exists(path);
    }
    if (!found) {
        snprintf(path, cap, "%s/tfjs/%s/%s", dir, arch, SK_TFJS_MODEL_FILE);
        found = sk_file_exists(path);
    }
    sk_status st = found ? SK_OK
                         : sk_error_set(err, SK_ENOTFOUND,
                                        "no ImageNet weights for %s in %s (run `skytune weights fetch %s`)",
                                        arch, dir, arch);
    free(dir);
    return st;
}

sk_status sk_arch_export(const sk_arch_export_opts *o, const char *dir, int *loaded,
                         sk_error *err)
{
    if (loaded) *loaded = 0;
    if (o->classes < 1)
        return sk_error_set(err, SK_EINVAL, "--classes: expected at least 1, found %d", o->classes);
    const char *w = o->weights ? o->weights : "scratch";
    char path[4096];
    sk_status st = SK_OK;
    if (strcmp(w, "imagenet") == 0) st = cached_imagenet(o->arch, o->cache_dir, path, sizeof path, err);
    else if (strcmp(w, "scratch") != 0) snprintf(path, sizeof path, "%s", w);
    if (st) return st;
    sk_graph *g = sk_arch_build(o->arch, o->size, o->classes, 1, err);
    if (!g) return err->code;
    sk_init_graph(g, sk_arch_find(o->arch)->init, o->seed);
    if (strcmp(w, "scratch") != 0) st = load_file(g, path, loaded, err);
    if (!st) {
        sk_graph_freeze(g, o->trainable < 0 ? g->n : o->trainable);
        st = sk_export_tfjs(g, o->arch, dir, 0, err);
    }
    sk_graph_free(g);
    return st;
}
