/* conf_driver.c: the skytune side of the Keras conformance harness (README "Keras conformance").
 *
 * Model mode: loads a model exported by `skytune arch export` (weights travel by that file,
 * never regenerated here), builds a fixed batch of 4 images (2 synthetic from the simulator, 2
 * real SDSS frame cutouts when ../shared/data/sdss is present, else 4 synthetic), scales them as
 * the study did (x/255; raw 0..255 for EfficientNetB2), and writes into OUT:
 *   - the inference probabilities and logits;
 *   - per freeze level (head = 1, the study's best, all layers), from the loaded weights: the
 *     training-mode loss (categorical cross-entropy from the logits, the study's class weights as
 *     sample weights, SUM_OVER_BATCH_SIZE), its probabilities and logits, the gradient of every
 *     trainable tensor, the Dropout masks and BN batch statistics the forward used, and after one Adam step (lr 1e-4,
 *     Keras defaults) every trainable tensor and every BN moving statistic. Frozen tensors are
 *     compared bit for bit with the loaded weights here and the count of changed ones recorded;
 *   - per level, the values the backward decides on (README "Keras conformance", rule A): the
 *     pre-activation of every ReLU/ReLU6 and the input of every MaxPooling2D whose backward
 *     runs, read from an executor whose buffers are never shared (its gradients are asserted
 *     bit-identical to the planned executor's).
 * ImageNet mode: ResNet50 with the 1000-class top and the npm ImageNet weights (legacy names),
 * inference on bird.rgb and sunflower.rgb with Keras "caffe" preprocessing.
 *
 * OUT/index.json names every tensor (shape, byte offset into OUT/tensors.bin, float32 LE) and
 * holds the scalars; harness.js reads it. Both files are written atomically, index last.
 * Usage: conf_driver --arch A --model DIR --out DIR [--shared DIR] [--rate0] [--dump NODE]
 *        conf_driver --imagenet NPMDIR --shared DIR --out DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sk_arch.h"
#include "sk_dataset.h"
#include "sk_core.h"
#include "../../core/exec_internal.h" /* sk_exec_new_unshared, the arena buffers: decisions (rule A) */
#include "sk_base.h"
#include "../../benchmarks/speed.h"

#define NB 4
#define K 3
#define MAXT 8192

/* ---- the output files ---- */

typedef struct {
    sk_buf bin, idx;
    int ntensors;
} out_files;

static void put_tensor(out_files *o, const char *name, const float *v, int ndim, const int *shape)
{
    size_t n = 1;
    for (int d = 0; d < ndim; d++) n *= (size_t)shape[d];
    sk_buf_printf(&o->idx, "%s\n  \"%s\": {\"offset\": %zu, \"shape\": [", o->ntensors ? "," : "",
                  name, o->bin.len);
    for (int d = 0; d < ndim; d++) sk_buf_printf(&o->idx, "%s%d", d ? ", " : "", shape[d]);
    sk_buf_printf(&o->idx, "]}");
    sk_buf_put_f32s(&o->bin, v, n);
    o->ntensors++;
}

static void put_node_tensor(out_files *o, const char *prefix, const sk_node *nd,
                            const sk_tensor_info *t, const float *v)
{
    char name[256];
    snprintf(name, sizeof name, "%s/%s/%s", prefix, nd->name, t->name);
    put_tensor(o, name, v, t->ndim, t->shape);
}

/* ---- the batch ---- */

/* 2 synthetic objects (QSO, GALAXY) and 2 real cutouts (STAR, GALAXY) of the DR17 frame, or
 * 2 more synthetic ones (STAR, GALAXY) without the shared data. Returns the real count. */
static int make_images(uint8_t *px, int32_t *labels, int size, const char *shared)
{
    sk_synth_config sc;
    sk_synth_config_default(&sc);
    sc.size = size;
    sc.scale = 20.48 / size; /* the study's 20.48" field */
    sc.seed = 14;
    float *work = sk_xmalloc(sk_synth_workspace_floats(&sc) * sizeof(float));
    const int synth_labels[4] = {SK_SYNTH_QSO, SK_SYNTH_GALAXY, SK_SYNTH_STAR, SK_SYNTH_GALAXY};
    size_t per = (size_t)size * size * 3;
    for (int i = 0; i < NB; i++) {
        sk_synth_truth t;
        sk_synth_draw(&t, &sc, (uint64_t)i, synth_labels[i]);
        sk_synth_render(px + i * per, NULL, &t, &sc, work);
        labels[i] = synth_labels[i];
    }
    free(work);
    if (!shared) return 0;
    char dir[1024], csv[1200];
    snprintf(dir, sizeof dir, "%s/data/sdss/frame_dr17_003918-3-0213", shared);
    snprintf(csv, sizeof csv, "%s/objects_dev.csv", dir);
    if (!sk_file_exists(csv)) return 0;
    sk_field f;
    sk_error err;
    sk_cutout_object *objs = NULL;
    size_t nobj = 0;
    if (sk_field_load(&f, dir, "003918-3-0213", SK_CUTOUT_FROM_JPEG, &err) != SK_OK) {
        fprintf(stderr, "conf_driver: real cutouts skipped: %s\n", err.msg);
        return 0;
    }
    int real = 0;
    if (sk_cutout_read_objects(&objs, &nobj, csv, 0, &err) == SK_OK) {
        sk_lupton_params lp;
        sk_lupton_default(&lp);
        const char *want[2] = {"STAR", "GALAXY"};
        for (int w = 0; w < 2; w++)
            for (size_t i = 0; i < nobj; i++) {
                if (strcmp(objs[i].cls, want[w]) != 0 ||
                    sk_field_margin(&f, objs[i].ra, objs[i].dec) < 2.0 * size)
                    continue;
                sk_cutout_render(px + (2 + w) * per, &f, objs[i].ra, objs[i].dec, 0.2, size, &lp);
                labels[2 + w] = w == 0 ? SK_SYNTH_STAR : SK_SYNTH_GALAXY;
                real++;
                break;
            }
    }
    free(objs);
    sk_field_free(&f);
    return real;
}

/* ---- one pass ---- */

typedef struct {
    sk_graph *g;
    float *params0, *state0; /* the loaded weights */
    float *x;                /* (NB, H, W, 3), scaled */
    int32_t labels[NB];
    float w[NB];             /* class weights of the labels */
} model_run;

static void restore(model_run *m)
{
    memcpy(m->g->params, m->params0, m->g->nparams * sizeof(float));
    memcpy(m->g->state, m->state0, m->g->nstate * sizeof(float));
}

static void put_outputs(out_files *o, sk_exec *ex, const char *prefix)
{
    char name[256];
    int shape[2] = {NB, K};
    snprintf(name, sizeof name, "%s/probs", prefix);
    put_tensor(o, name, sk_exec_output(ex), 2, shape);
    snprintf(name, sizeof name, "%s/logits", prefix);
    put_tensor(o, name, sk_exec_logits(ex), 2, shape);
}

/* Counts tensors of frozen nodes (or non-updated state) whose bits differ from the loaded ones. */
static int frozen_changed(const model_run *m, int *nfrozen)
{
    const sk_graph *g = m->g;
    int changed = 0;
    *nfrozen = 0;
    for (int i = 0; i < g->n; i++) {
        const sk_node *nd = &g->nodes[i];
        for (int k = 0; k < nd->ntensors; k++) {
            const sk_tensor_info *t = &nd->tensors[k];
            if (nd->trainable && (nd->op == SK_OP_BATCHNORM || !t->is_state)) continue;
            const float *now = (t->is_state ? g->state : g->params) + t->offset;
            const float *was = (t->is_state ? m->state0 : m->params0) + t->offset;
            (*nfrozen)++;
            changed += memcmp(now, was, t->size * sizeof(float)) != 0;
        }
    }
    return changed;
}

/* The buffer holding the values node i's backward decides on, and the node whose shape it has:
 * a ReLU/ReLU6 (layer, Activation or fused) its pre-activation, a MaxPooling2D its input. */
static const float *decision_values(const sk_exec *ex, int i, int *shape_node)
{
    const sk_node *nd = &ex->g->nodes[i];
    int relu = nd->cfg.act == SK_ACT_RELU || nd->cfg.act == SK_ACT_RELU6;
    *shape_node = nd->inputs[0];
    if (nd->op == SK_OP_MAXPOOL2D || (relu && (nd->op == SK_OP_RELU || nd->op == SK_OP_ACTIVATION)))
        return ex->buf[B_ACT][nd->inputs[0]];
    *shape_node = i;
    return relu && sk_exec_has_act(nd) ? ex->buf[B_PRE][i] : NULL;
}

/* Rule A's inputs at the current freeze state: the same training forward and backward as
 * run_level on an unshared executor (every buffer survives the pass), writing "TAG/kink/NODE"
 * for each decision node with needs_grad. Returns the gradient slab (the caller compares it
 * with the planned executor's, bit for bit). Moving statistics change: the caller restores. */
static float *put_decisions(model_run *m, out_files *o, const char *tag, uint64_t seed)
{
    sk_graph *g = m->g;
    sk_exec *ex = sk_exec_new_unshared(g, NB);
    sk_exec_forward(ex, m->x, NB, 1, seed, 0);
    for (int i = 0; i < g->n; i++) {
        int s;
        const float *v = g->nodes[i].needs_grad ? decision_values(ex, i, &s) : NULL;
        if (!v) continue;
        const sk_node *sn = &g->nodes[s];
        int shape[4] = {NB, sn->h, sn->w, sn->c};
        char name[256];
        snprintf(name, sizeof name, "%s/kink/%s", tag, g->nodes[i].name);
        put_tensor(o, name, v, 4, shape);
    }
    float dlogits[NB * K];
    sk_xent_forward_backward(dlogits, sk_exec_logits(ex), sk_exec_output(ex), m->labels, m->w, NB,
                             K, SK_XENT_LOGITS);
    sk_exec_backward(ex, dlogits, 1);
    float *grads = sk_xmalloc((g->nparams + 1) * sizeof(float));
    memcpy(grads, sk_exec_grads(ex), g->nparams * sizeof(float));
    sk_exec_free(ex);
    return grads;
}

/* Training forward + loss + backward + one Adam step at `level` trainable layers. */
static void run_level(model_run *m, out_files *o, const char *tag, int level, const char *what)
{
    sk_graph *g = m->g;
    restore(m);
    sk_graph_freeze(g, level);
    const uint64_t seed = 5;
    float *unshared_grads = put_decisions(m, o, tag, seed);
    restore(m);
    sk_exec *ex = sk_exec_new(g, NB);
    sk_exec_forward(ex, m->x, NB, 1, seed, 0);
    char prefix[128], name[256];
    snprintf(prefix, sizeof prefix, "%s/train", tag);
    put_outputs(o, ex, prefix);
    for (int i = 0; i < g->n; i++) { /* the masks this forward drew (training, rate > 0) */
        const sk_node *nd = &g->nodes[i];
        if (nd->op != SK_OP_DROPOUT || nd->cfg.rate <= 0.0f) continue;
        float *mask = sk_xmalloc((size_t)NB * sk_node_numel(nd) * sizeof(float));
        sk_exec_dropout_draw(mask, g, i, NB, seed, 0);
        int shape[4] = {NB, nd->h, nd->w, nd->c};
        int per_sample[1] = {NB};
        snprintf(name, sizeof name, "%s/mask/%s", tag, nd->name);
        put_tensor(o, name, mask, nd->cfg.per_sample ? 1 : 4, nd->cfg.per_sample ? per_sample : shape);
        free(mask);
    }
    for (int i = 0; i < g->n; i++) {
        const float *mean, *var;
        if (!sk_exec_bn_batch_stats(ex, i, &mean, &var)) continue;
        const sk_node *nd = &g->nodes[i];
        int shape[1] = {nd->c};
        snprintf(name, sizeof name, "%s/bnstat/%s/mean", tag, nd->name);
        put_tensor(o, name, mean, 1, shape);
        snprintf(name, sizeof name, "%s/bnstat/%s/variance", tag, nd->name);
        put_tensor(o, name, var, 1, shape);
    }
    float dlogits[NB * K];
    double loss = sk_xent_forward_backward(dlogits, sk_exec_logits(ex), sk_exec_output(ex),
                                           m->labels, m->w, NB, K, SK_XENT_LOGITS);
    sk_exec_backward(ex, dlogits, 1);
    const float *grads = sk_exec_grads(ex);
    SK_ASSERT_MSG(memcmp(grads, unshared_grads, g->nparams * sizeof(float)) == 0,
                  "the unshared executor's gradients differ from the planned executor's");
    free(unshared_grads);
    for (int i = 0; i < g->n; i++) {
        const sk_node *nd = &g->nodes[i];
        if (!nd->trainable) continue;
        for (int k = 0; k < nd->ntensors; k++)
            if (!nd->tensors[k].is_state) {
                snprintf(prefix, sizeof prefix, "%s/grad", tag);
                put_node_tensor(o, prefix, nd, &nd->tensors[k], grads + nd->tensors[k].offset);
            }
    }
    sk_opt_config oc = sk_opt_defaults(SK_OPT_ADAM);
    oc.lr = 1e-4f;
    sk_optim *opt = sk_optim_new(&oc, g->nparams);
    const size_t *ranges;
    int nr = sk_exec_trainable_ranges(ex, &ranges);
    sk_optim_step(opt, g->params, grads, ranges, nr);
    snprintf(prefix, sizeof prefix, "%s/after", tag);
    for (int i = 0; i < g->n; i++) {
        const sk_node *nd = &g->nodes[i];
        if (!nd->trainable) continue;
        for (int k = 0; k < nd->ntensors; k++) {
            const sk_tensor_info *t = &nd->tensors[k];
            if (t->is_state && nd->op != SK_OP_BATCHNORM) continue;
            put_node_tensor(o, prefix, nd, t, (t->is_state ? g->state : g->params) + t->offset);
        }
    }
    int nfrozen, changed = frozen_changed(m, &nfrozen);
    sk_buf_printf(&o->idx, ",\n  \"%s/scalars\": {\"level\": %d, \"what\": \"%s\", \"loss\": %.17g, "
                           "\"trainable_layers\": %d, \"frozen_tensors\": %d, "
                           "\"frozen_changed\": %d, \"trainable_names\": [",
                  tag, level, what, loss, sk_graph_trainable_layers(g), nfrozen, changed);
    int first = 1;
    for (int k = 0; k < g->n; k++) {
        const sk_node *nd = &g->nodes[g->by_keras[k]];
        if (!nd->trainable) continue;
        sk_buf_printf(&o->idx, "%s\"%s\"", first ? "" : ", ", nd->name);
        first = 0;
    }
    sk_buf_printf(&o->idx, "]}");
    sk_optim_free(opt);
    sk_exec_free(ex);
}

/* ---- files ---- */

static int write_out(out_files *o, const char *out, const char *head)
{
    sk_error err;
    char *bin = sk_path_join(out, "tensors.bin"), *idx = sk_path_join(out, "index.json");
    sk_buf text;
    sk_buf_init(&text);
    sk_buf_printf(&text, "{%s,\n\"tensors\": {%s}}\n", head, o->idx.data ? (char *)o->idx.data : "");
    int rc = 0;
    if (sk_mkdir_p(out, &err) || sk_write_file_atomic(bin, o->bin.data, o->bin.len, &err) ||
        sk_write_file_atomic(idx, text.data, text.len, &err)) {
        fprintf(stderr, "conf_driver: %s\n", err.msg);
        rc = 1;
    }
    sk_buf_free(&text);
    free(bin);
    free(idx);
    return rc;
}

static sk_status load_weights(sk_graph *g, const char *path, int strict, sk_error *err)
{
    sk_wset ws;
    sk_wset_init(&ws, path);
    sk_status st = sk_weights_read(path, &ws, err);
    sk_wapply_opts lax = {1, 1};
    if (!st) st = sk_weights_apply(g, &ws, strict ? NULL : &lax, NULL, err);
    sk_wset_free(&ws);
    return st;
}

/* Diagnosis: the training-mode activation of one node at `level` trainable layers (the graph's
 * output moved to that node), as "dump" in OUT; level 0 means all layers. */
static void dump_node(model_run *m, out_files *o, const char *node, int level)
{
    sk_graph *g = m->g;
    int id = sk_graph_find(g, node);
    SK_ASSERT_MSG(id >= 0, node);
    restore(m);
    sk_graph_freeze(g, level > 0 ? level : g->n);
    int out = g->output;
    g->output = id;
    sk_exec *ex = sk_exec_new(g, NB);
    sk_exec_forward(ex, m->x, NB, 1, 5, 0);
    const sk_node *nd = &g->nodes[id];
    int shape[4] = {NB, nd->h, nd->w, nd->c};
    put_tensor(o, "dump", sk_exec_output(ex), 4, shape);
    sk_exec_free(ex);
    g->output = out;
}

/* ---- modes ---- */

static int model_mode(const char *arch, const char *model, const char *out, const char *shared,
                      int rate0, const char *dump, int dump_level)
{
    const sk_arch_info *ai = sk_arch_find(arch);
    if (!ai) {
        fprintf(stderr, "conf_driver: unknown arch '%s'\n", arch);
        return 2;
    }
    int size = ai->min_size > 64 ? ai->min_size : 64; /* Xception: 71 */
    sk_error err;
    model_run m;
    memset(&m, 0, sizeof m);
    m.g = sk_arch_build(arch, size, K, 1, &err);
    if (!m.g || load_weights(m.g, model, 1, &err)) {
        fprintf(stderr, "conf_driver: %s\n", err.msg);
        return 1;
    }
    sk_graph *g = m.g;
    if (rate0)
        for (int i = 0; i < g->n; i++)
            if (g->nodes[i].op == SK_OP_DROPOUT) g->nodes[i].cfg.rate = 0.0f, g->nodes[i].stochastic = 0;
    m.params0 = sk_xmalloc((g->nparams + 1) * sizeof(float));
    m.state0 = sk_xmalloc((g->nstate + 1) * sizeof(float));
    memcpy(m.params0, g->params, g->nparams * sizeof(float));
    memcpy(m.state0, g->state, g->nstate * sizeof(float));
    size_t per = (size_t)size * size * 3;
    uint8_t *px = sk_xcalloc(NB * per, 1);
    int real = make_images(px, m.labels, size, shared);
    m.x = sk_xmalloc(NB * per * sizeof(float));
    const float in_scale = ai->raw_input ? 1.0f : 1.0f / 255.0f; /* benchmarks/runner.c */
    for (size_t j = 0; j < NB * per; j++) m.x[j] = px[j] * in_scale + 0.0f;
    /* the study's class weights: largest count / count over STAR 498, GALAXY 440, QSO 62 */
    const float cw[K] = {(float)498 / (float)440, (float)498 / (float)62, 1.0f};
    for (int i = 0; i < NB; i++) m.w[i] = cw[m.labels[i]];

    out_files o;
    memset(&o, 0, sizeof o);
    sk_buf_init(&o.bin);
    sk_buf_init(&o.idx);
    int in_shape[4] = {NB, size, size, 3};
    put_tensor(&o, "input", m.x, 4, in_shape);
    sk_graph_freeze(g, g->n);
    sk_exec *ex = sk_exec_new(g, NB);
    sk_exec_forward(ex, m.x, NB, 0, 0, 0);
    put_outputs(&o, ex, "infer");
    sk_exec_free(ex);
    const int levels[3] = {1, ai->best_level, g->n};
    const char *what[3] = {"head", "best", "all"};
    char tags[3][16];
    for (int l = 0; l < 3; l++) snprintf(tags[l], sizeof tags[l], "L%d", levels[l]);
    if (dump) dump_node(&m, &o, dump, dump_level);
    for (int l = 0; l < 3 && !dump; l++) run_level(&m, &o, tags[l], levels[l], what[l]);
    sk_buf head;
    sk_buf_init(&head);
    sk_buf_printf(&head, "\"arch\": \"%s\", \"size\": %d, \"n\": %d, \"classes\": %d, \"real_images\": %d, "
                         "\"labels\": [%d, %d, %d, %d], \"sample_weights\": [%.9g, %.9g, %.9g, %.9g], "
                         "\"lr\": 1e-4, \"rate0\": %s, \"layers\": %d, \"levels\": [\"%s\", \"%s\", \"%s\"]",
                  arch, size, NB, K, real, m.labels[0], m.labels[1], m.labels[2], m.labels[3],
                  (double)m.w[0], (double)m.w[1], (double)m.w[2], (double)m.w[3],
                  rate0 ? "true" : "false", g->n, tags[0], tags[1], tags[2]);
    int rc = write_out(&o, out, (const char *)head.data);
    sk_buf_free(&head);
    sk_buf_free(&o.bin);
    sk_buf_free(&o.idx);
    free(px);
    free(m.x);
    free(m.params0);
    free(m.state0);
    sk_graph_free(g);
    return rc;
}

/* keras imagenet_utils.preprocess_input(mode='caffe'): RGB -> BGR, minus the BGR means. */
static int read_caffe(const char *shared, const char *name, float *out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/data/imagenet-check/%s", shared, name);
    uint8_t *d = NULL;
    size_t n = 0;
    sk_error err;
    if (sk_read_file(path, &d, &n, 1 << 20, &err) != SK_OK || n != 224u * 224u * 3u) {
        free(d);
        return 0;
    }
    static const float mean_bgr[3] = {103.939f, 116.779f, 123.68f};
    for (size_t i = 0; i < 224u * 224u; i++)
        for (int c = 0; c < 3; c++) out[3 * i + c] = (float)d[3 * i + (2 - c)] - mean_bgr[c];
    free(d);
    return 1;
}

static int imagenet_mode(const char *npm, const char *shared, const char *out)
{
    sk_error err;
    sk_graph *g = sk_weights_build_imagenet("resnet50", 224, &err);
    if (!g || load_weights(g, npm, 1, &err)) {
        fprintf(stderr, "conf_driver: %s\n", err.msg);
        return 1;
    }
    size_t per = 224u * 224u * 3u;
    float *x = sk_xmalloc(2 * per * sizeof(float));
    if (!read_caffe(shared, "bird.rgb", x) || !read_caffe(shared, "sunflower.rgb", x + per)) {
        fprintf(stderr, "conf_driver: bird.rgb / sunflower.rgb missing under %s/data/imagenet-check\n",
                shared);
        return 1;
    }
    sk_exec *ex = sk_exec_new(g, 2);
    sk_exec_forward(ex, x, 2, 0, 0, 0);
    out_files o;
    memset(&o, 0, sizeof o);
    sk_buf_init(&o.bin);
    sk_buf_init(&o.idx);
    int in_shape[4] = {2, 224, 224, 3}, p_shape[2] = {2, 1000};
    put_tensor(&o, "input", x, 4, in_shape);
    put_tensor(&o, "infer/probs", sk_exec_output(ex), 2, p_shape);
    int rc = write_out(&o, out, "\"arch\": \"resnet50\", \"imagenet\": true, \"images\": [\"bird.rgb\", \"sunflower.rgb\"]");
    sk_buf_free(&o.bin);
    sk_buf_free(&o.idx);
    sk_exec_free(ex);
    free(x);
    sk_graph_free(g);
    return rc;
}

int main(int argc, char **argv)
{
    const char *arch = NULL, *model = NULL, *out = NULL, *shared = NULL, *npm = NULL, *dump = NULL;
    int rate0 = 0, dump_level = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--rate0")) { rate0 = 1; continue; }
        if (!v) { fprintf(stderr, "conf_driver: %s needs a value\n", a); return 2; }
        if (!strcmp(a, "--arch")) arch = v;
        else if (!strcmp(a, "--model")) model = v;
        else if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--shared")) shared = v;
        else if (!strcmp(a, "--imagenet")) npm = v;
        else if (!strcmp(a, "--dump")) dump = v;
        else if (!strcmp(a, "--level")) {
            char *end;
            long lv = strtol(v, &end, 10);
            if (*end || lv < 1 || lv > 100000) {
                fprintf(stderr, "conf_driver: --level: expected a positive layer count, found '%s'\n", v);
                return 2;
            }
            dump_level = (int)lv;
        }
        else { fprintf(stderr, "conf_driver: unknown option %s\n", a); return 2; }
        i++;
    }
    if (!out || (npm ? !shared : (!arch || !model))) {
        fprintf(stderr, "usage: conf_driver --arch A --model DIR --out DIR [--shared DIR] [--rate0]\n"
                        "                   [--dump LAYER [--level N]]\n"
                        "       conf_driver --imagenet NPMDIR --shared DIR --out DIR\n");
        return 2;
    }
    return npm ? imagenet_mode(npm, shared, out) : model_mode(arch, model, out, shared, rate0, dump, dump_level);
}
