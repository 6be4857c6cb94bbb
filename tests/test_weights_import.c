// LABELS: unit arch
/* test_weights_import.c: Keras HDF5 and TF.js weight files (written here with libhdf5 and plain
 * stdio) imported into a small graph: values land where the graph's tensor table says (params
 * and BN state), missing/unused tensors are named, shapes are checked, corrupt files give clear
 * errors and leave the graph untouched; the legacy ResNet50 name table; Keras layouts
 * (model_weights group, chunked layer_names, layer names containing '/'). */
#include "sk_base.h"
#include "sk_core.h"
#include "sk_test.h"
#include "sk_arch.h"
#include "../arch/weights_h5.h"
#include "../arch/weights_tfjs.h"

#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the graph and its reference tensors ---- */

typedef struct {
    const char *name; /* "layer/var" */
    int ndim;
    int shape[4];
} tdef;

static const tdef TENSORS[] = {
    {"conv_a/kernel", 4, {3, 3, 3, 4}},     {"conv_a/bias", 1, {4}},
    {"bn_a/gamma", 1, {4}},                 {"bn_a/beta", 1, {4}},
    {"bn_a/moving_mean", 1, {4}},           {"bn_a/moving_variance", 1, {4}},
    {"dw_a/depthwise_kernel", 4, {3, 3, 4, 1}}, {"fc/kernel", 2, {4, 5}},
    {"fc/bias", 1, {5}},
};
#define NT ((int)SK_ARRAY_LEN(TENSORS))

static size_t numel(const tdef *t)
{
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= (size_t)t->shape[i];
    return n;
}

/* Value k of tensor i: distinct per tensor and element, exactly representable. */
static float val(int i, size_t k) { return (float)(i + 1) + (float)k / 1024.0f; }

static sk_graph *small_graph(const char *conv_name)
{
    sk_graph *g = sk_graph_new("small");
    int x = sk_g_input(g, "input_1", 6, 6, 3);
    x = sk_g_conv2d(g, conv_name, x, 4, 3, 3, 1, 1, SK_PAD_SAME, SK_BIAS, SK_ACT_LINEAR);
    x = sk_g_bn(g, "bn_a", x, 1e-3f, 0.99f);
    x = sk_g_relu(g, "relu_a", x, 0.0f);
    x = sk_g_dwconv2d(g, "dw_a", x, 3, 3, 1, 1, SK_PAD_SAME, SK_NO_BIAS);
    x = sk_g_gap(g, "pool", x, SK_GAP_FLAT);
    sk_g_dense(g, "fc", x, 5, SK_BIAS, SK_ACT_SOFTMAX);
    sk_graph_finalize(g);
    return g;
}

static uint64_t graph_hash(const sk_graph *g)
{
    uint64_t h = sk_fnv1a64(SK_FNV64_INIT, g->params, g->nparams * sizeof(float));
    return sk_fnv1a64(h, g->state, g->nstate * sizeof(float));
}

/* The graph holds exactly the reference values for every tensor. */
static int graph_has_values(const sk_graph *g, const char *conv_name)
{
    for (int i = 0; i < NT; i++) {
        char layer[64];
        const char *slash = strchr(TENSORS[i].name, '/');
        snprintf(layer, sizeof layer, "%.*s", (int)(slash - TENSORS[i].name), TENSORS[i].name);
        const char *lname = strcmp(layer, "conv_a") == 0 ? conv_name : layer;
        int id = sk_graph_find(g, lname);
        if (id < 0) return 0;
        const sk_node *nd = sk_graph_node(g, id);
        const sk_tensor_info *ti = NULL;
        for (int k = 0; k < nd->ntensors; k++)
            if (strcmp(nd->tensors[k].name, slash + 1) == 0) ti = &nd->tensors[k];
        if (!ti || ti->size != numel(&TENSORS[i])) return 0;
        const float *p = (ti->is_state ? g->state : g->params) + ti->offset;
        for (size_t k = 0; k < ti->size; k++)
            if (p[k] != val(i, k)) return 0;
    }
    return 1;
}

/* ---- writing Keras HDF5 files the way h5py does ---- */

typedef struct {
    const char *layer;   /* group name (may contain '/') */
    const char *prefix;  /* weight-name layer part; NULL = same as layer */
    int first, count;    /* TENSORS range */
} ldef;

static hid_t lcpl_intermediate(void)
{
    hid_t p = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(p, 1);
    return p;
}

static int vlen_strings; /* write variable-length string attributes instead */

/* Fixed-length NULL-padded string array attribute, like h5py writes np.array of bytes (or
 * variable-length strings, as other writers do). */
static void put_str_attr(hid_t obj, const char *name, const char *const *s, int n)
{
    if (vlen_strings && n > 0) {
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, H5T_VARIABLE);
        hsize_t dn = (hsize_t)n;
        hid_t sp = H5Screate_simple(1, &dn, NULL);
        hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, t, s);
        H5Aclose(a);
        H5Sclose(sp);
        H5Tclose(t);
        return;
    }
    if (n == 0) { /* Keras writes an empty float64 array for layers without weights */
        hsize_t d0 = 0;
        hid_t sp = H5Screate_simple(1, &d0, NULL);
        hid_t a = H5Acreate2(obj, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
        H5Aclose(a);
        H5Sclose(sp);
        return;
    }
    size_t w = 1;
    for (int i = 0; i < n; i++) w = strlen(s[i]) > w ? strlen(s[i]) : w;
    char *buf = calloc((size_t)n, w);
    for (int i = 0; i < n; i++) memcpy(buf + (size_t)i * w, s[i], strlen(s[i]));
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, w);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    hsize_t dn = (hsize_t)n;
    hid_t sp = H5Screate_simple(1, &dn, NULL);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, buf);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    free(buf);
}

enum { H5_ROOT = 0, H5_MODEL_WEIGHTS = 1, H5_CHUNKED = 2 };

/* Writes layers L (with the reference values; tensor `skip` omitted, `bad_shape` given one more
 * output channel). Returns 0 on success. A layer with count 0 has no weights. */
static int write_h5(const char *path, const ldef *L, int nl, int mode, int skip, int bad_shape,
                    int missing_dataset)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) return -1;
    hid_t lcpl = lcpl_intermediate();
    hid_t base = mode == H5_MODEL_WEIGHTS ? H5Gcreate2(f, "model_weights", lcpl, H5P_DEFAULT, H5P_DEFAULT)
                                         : H5Gopen2(f, "/", H5P_DEFAULT);
    const char *names[16] = {0};
    for (int i = 0; i < nl; i++) names[i] = L[i].layer;
    if (mode == H5_CHUNKED) {
        int half = nl / 2;
        put_str_attr(base, "layer_names0", names, half);
        put_str_attr(base, "layer_names1", names + half, nl - half);
    } else {
        put_str_attr(base, "layer_names", names, nl);
    }
    for (int i = 0; i < nl; i++) {
        hid_t grp = H5Gcreate2(base, L[i].layer, lcpl, H5P_DEFAULT, H5P_DEFAULT);
        char wn[8][128];
        const char *wp[8] = {0};
        int nw = 0;
        for (int t = L[i].first; t < L[i].first + L[i].count; t++) {
            if (t == skip) continue;
            const char *var = strchr(TENSORS[t].name, '/') + 1;
            snprintf(wn[nw], sizeof wn[nw], "%s/%s:0", L[i].prefix ? L[i].prefix : L[i].layer, var);
            wp[nw] = wn[nw];
            tdef td = TENSORS[t];
            if (t == bad_shape) td.shape[td.ndim - 1] += 1;
            size_t n = numel(&td);
            float *data = malloc(n * sizeof(float));
            for (size_t k = 0; k < n; k++) data[k] = val(t, k);
            hsize_t dims[4];
            for (int d = 0; d < td.ndim; d++) dims[d] = (hsize_t)td.shape[d];
            hid_t sp = H5Screate_simple(td.ndim, dims, NULL);
            if (t != missing_dataset) {
                hid_t ds = H5Dcreate2(grp, wn[nw], H5T_IEEE_F32LE, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
                H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
                H5Dclose(ds);
            }
            H5Sclose(sp);
            free(data);
            nw++;
        }
        put_str_attr(grp, "weight_names", wp, nw);
        H5Gclose(grp);
    }
    H5Gclose(base);
    H5Pclose(lcpl);
    H5Fclose(f);
    return 0;
}

/* The layers of small_graph with the given conv layer name. */
static int std_layers(ldef *L, const char *conv)
{
    ldef d[] = {{"input_1", NULL, 0, 0}, {conv, NULL, 0, 2}, {"bn_a", NULL, 2, 4},
                {"relu_a", NULL, 0, 0},  {"dw_a", NULL, 6, 1}, {"pool", NULL, 0, 0},
                {"fc", NULL, 7, 2}};
    memcpy(L, d, sizeof d);
    return (int)SK_ARRAY_LEN(d);
}

/* ---- writing TF.js models ---- */

typedef struct {
    const char *dtype;   /* for tensor `dtype_at` */
    int dtype_at;
    int quantize_at;
    long cut;            /* bytes to drop from the end of the last shard (<0: add bytes) */
    const char *shard0;  /* name of the first shard */
    int no_second_shard; /* do not write the second shard file */
} tfjs_opts;

static void write_tfjs(const char *dir, const tfjs_opts *o)
{
    sk_buf js, bin;
    sk_buf_init(&js);
    sk_buf_init(&bin);
    char tmp[512];
    const char *s0 = o && o->shard0 ? o->shard0 : "group1-shard1of2.bin";
    snprintf(tmp, sizeof tmp,
             "{\"format\": \"layers-model\", \"modelTopology\": {}, \"weightsManifest\": [{\"paths\": "
             "[\"%s\", \"group1-shard2of2.bin\"], \"weights\": [",
             s0);
    sk_buf_put_bytes(&js, tmp, strlen(tmp));
    for (int i = 0; i < NT; i++) {
        const tdef *t = &TENSORS[i];
        const char *dt = o && o->dtype && o->dtype_at == i ? o->dtype : "float32";
        int n = snprintf(tmp, sizeof tmp, "%s{\"name\": \"%s\", \"shape\": [", i ? ", " : "", t->name);
        sk_buf_put_bytes(&js, tmp, (size_t)n);
        for (int d = 0; d < t->ndim; d++) {
            n = snprintf(tmp, sizeof tmp, "%s%d", d ? ", " : "", t->shape[d]);
            sk_buf_put_bytes(&js, tmp, (size_t)n);
        }
        n = snprintf(tmp, sizeof tmp, "], \"dtype\": \"%s\"%s}", dt,
                     o && o->quantize_at == i ? ", \"quantization\": {\"dtype\": \"uint8\", \"min\": 0, \"scale\": 1}" : "");
        sk_buf_put_bytes(&js, tmp, (size_t)n);
        for (size_t k = 0; k < numel(t); k++) sk_buf_put_f32(&bin, val(i, k));
    }
    sk_buf_put_bytes(&js, "]}]}", 4);
    sk_error err;
    char *p = sk_path_join(dir, "model.json");
    SK_ASSERT(sk_write_file_atomic(p, js.data, js.len, &err) == SK_OK);
    free(p);
    /* Split the bytes at an odd offset so a tensor straddles the two shards. */
    size_t split = 101;
    long total = (long)bin.len - (o ? o->cut : 0);
    if (o && o->cut < 0)
        for (long k = 0; k < -o->cut; k++) sk_buf_put_u8(&bin, 0);
    p = sk_path_join(dir, s0[0] == '.' ? "x.bin" : s0);
    SK_ASSERT(sk_write_file_atomic(p, bin.data, split, &err) == SK_OK);
    free(p);
    if (!(o && o->no_second_shard)) {
        p = sk_path_join(dir, "group1-shard2of2.bin");
        SK_ASSERT(sk_write_file_atomic(p, bin.data + split, (size_t)total - split, &err) == SK_OK);
        free(p);
    }
    sk_buf_free(&js);
    sk_buf_free(&bin);
}

/* ---- tests ---- */

static void test_h5_roundtrip(const char *dir)
{
    ldef L[8];
    int nl = std_layers(L, "conv_a");
    sk_error err;
    for (int m = 0; m < 4; m++) {
        int mode = m < 3 ? m : H5_ROOT;
        vlen_strings = m == 3;
        char name[64];
        snprintf(name, sizeof name, "w%d.h5", m);
        char *p = sk_path_join(dir, name);
        CHECK(write_h5(p, L, nl, mode, -1, -1, -1) == 0);
        sk_wset ws;
        sk_wset_init(&ws, p);
        CHECK_OK(sk_weights_read_h5(p, &ws, &err), &err);
        CHECKF(ws.n == NT, "file %d: %d tensors read", m, ws.n);
        const sk_wtensor *k = sk_wset_find(&ws, "conv_a", "kernel");
        CHECK(k && k->ndim == 4 && k->shape[3] == 4 && k->data[5] == val(0, 5));
        sk_graph *g = small_graph("conv_a");
        sk_wreport rep;
        CHECK_OK(sk_weights_apply(g, &ws, NULL, &rep, &err), &err);
        CHECK_EQ_INT(rep.loaded, NT);
        CHECK_EQ_INT(rep.nmissing + rep.nunused + rep.renamed, 0);
        CHECKF(graph_has_values(g, "conv_a"), "file %d: values in params/state", m);
        sk_wreport_free(&rep);
        sk_graph_free(g);
        sk_wset_free(&ws);
        free(p);
    }
    vlen_strings = 0;
}

/* DenseNet-style layer names with '/', and a nested-model save whose weight names carry the
 * inner layer names while the group is the outer model. */
static void test_h5_names(const char *dir)
{
    sk_error err;
    ldef L[8];
    int nl = std_layers(L, "conv1/conv");
    char *p = sk_path_join(dir, "slash.h5");
    CHECK(write_h5(p, L, nl, H5_ROOT, -1, -1, -1) == 0);
    sk_wset ws;
    sk_wset_init(&ws, p);
    CHECK_OK(sk_weights_read_h5(p, &ws, &err), &err);
    CHECK(sk_wset_find(&ws, "conv1/conv", "bias") != NULL);
    sk_graph *g = small_graph("conv1/conv");
    CHECK_OK(sk_weights_apply(g, &ws, NULL, NULL, &err), &err);
    CHECK(graph_has_values(g, "conv1/conv"));
    sk_graph_free(g);
    sk_wset_free(&ws);
    free(p);

    /* One group "base_model" holding every weight under its own layer prefix. */
    ldef n[4] = {{"base_model", "conv_a", 0, 2}};
    p = sk_path_join(dir, "nested.h5");
    CHECK(write_h5(p, n, 1, H5_ROOT, -1, -1, -1) == 0);
    sk_wset_init(&ws, p);
    CHECK_OK(sk_weights_read_h5(p, &ws, &err), &err);
    CHECK(ws.n == 2 && strcmp(ws.t[0].layer, "conv_a") == 0 && strcmp(ws.t[0].alt_layer, "base_model") == 0);
    sk_wset_free(&ws);
    free(p);
}

static void test_missing_unused_shape(const char *dir)
{
    ldef L[8];
    int nl = std_layers(L, "conv_a");
    sk_error err;
    sk_graph *g = small_graph("conv_a");
    uint64_t h0 = graph_hash(g);

    /* Missing bn_a/moving_variance (tensor 5). */
    char *p = sk_path_join(dir, "missing.h5");
    CHECK(write_h5(p, L, nl, H5_ROOT, 5, -1, -1) == 0);
    sk_wset ws;
    sk_wset_init(&ws, p);
    CHECK_OK(sk_weights_read_h5(p, &ws, &err), &err);
    sk_wreport rep;
    sk_status s = sk_weights_apply(g, &ws, NULL, &rep, &err);
    CHECK(s == SK_ENOTFOUND);
    CHECKF(strstr(err.msg, "bn_a/moving_variance") && strstr(err.msg, "1 tensor(s)"), "msg: %s", err.msg);
    CHECK(rep.nmissing == 1 && strcmp(rep.missing[0], "bn_a/moving_variance") == 0);
    CHECK(graph_hash(g) == h0);
    sk_wreport_free(&rep);
    sk_wapply_opts allow = {1, 0};
    CHECK_OK(sk_weights_apply(g, &ws, &allow, &rep, &err), &err);
    CHECK_EQ_INT(rep.loaded, NT - 1);
    CHECK_EQ_INT(rep.nmissing, 1);
    sk_wreport_free(&rep);
    sk_wset_free(&ws);
    free(p);

    /* Unused: an extra tensor of a layer the graph lacks, and an extra variable of a layer it has. */
    sk_graph_free(g);
    g = small_graph("conv_a");
    p = sk_path_join(dir, "ok.h5");
    CHECK(write_h5(p, L, nl, H5_ROOT, -1, -1, -1) == 0);
    sk_wset_init(&ws, p);
    CHECK_OK(sk_weights_read_h5(p, &ws, &err), &err);
    int sh[1] = {3};
    sk_wset_add(&ws, "head_x", "kernel", 1, sh);
    sk_wset_add(&ws, "fc", "scale", 1, sh);
    s = sk_weights_apply(g, &ws, NULL, &rep, &err);
    CHECK(s == SK_EINVAL);
    CHECKF(strstr(err.msg, "head_x/kernel") && strstr(err.msg, "fc/scale") && strstr(err.msg, "2 tensor(s)"),
           "msg: %s", err.msg);
    CHECK(rep.nunused == 2);
    CHECK(graph_hash(g) == h0);
    sk_wreport_free(&rep);
    sk_wapply_opts allow_unused = {0, 1};
    CHECK_OK(sk_weights_apply(g, &ws, &allow_unused, &rep, &err), &err);
    CHECK(rep.loaded == NT && rep.nunused == 2);
    CHECK(graph_has_values(g, "conv_a"));
    sk_wreport_free(&rep);
    sk_wset_free(&ws);
    free(p);

    /* Shape mismatch on conv_a/kernel: error even when everything is allowed. */
    sk_graph_free(g);
    g = small_graph("conv_a");
    p = sk_path_join(dir, "shape.h5");
    CHECK(write_h5(p, L, nl, H5_ROOT, -1, 0, -1) == 0);
    sk_wset_init(&ws, p);
    CHECK_OK(sk_weights_read_h5(p, &ws, &err), &err);
    sk_wapply_opts all = {1, 1};
    s = sk_weights_apply(g, &ws, &all, NULL, &err);
    CHECK(s == SK_EFORMAT);
    CHECKF(strstr(err.msg, "conv_a/kernel") && strstr(err.msg, "expected shape (3, 3, 3, 4), found (3, 3, 3, 5)"),
           "msg: %s", err.msg);
    CHECK(graph_hash(g) == h0);
    sk_wset_free(&ws);
    free(p);

    /* A NaN is refused. */
    p = sk_path_join(dir, "ok.h5");
    sk_wset_init(&ws, p);
    CHECK_OK(sk_weights_read_h5(p, &ws, &err), &err);
    ws.t[3].data[2] = NAN;
    s = sk_weights_apply(g, &ws, NULL, NULL, &err);
    CHECKF(s == SK_ENUMERIC && strstr(err.msg, "element 2"), "msg: %s", err.msg);
    CHECK(graph_hash(g) == h0);
    sk_wset_free(&ws);
    free(p);
    sk_graph_free(g);
}

static void test_h5_corrupt(const char *dir)
{
    sk_error err;
    sk_wset ws;
    char *p = sk_path_join(dir, "nope.h5");
    sk_wset_init(&ws, p);
    CHECK(sk_weights_read_h5(p, &ws, &err) == SK_ENOTFOUND && strstr(err.msg, "nope.h5"));
    sk_wset_free(&ws);
    free(p);

    p = sk_path_join(dir, "text.h5");
    CHECK_OK(sk_write_file_atomic(p, "not hdf5 at all", 15, &err), &err);
    sk_wset_init(&ws, p);
    sk_status s = sk_weights_read_h5(p, &ws, &err);
    CHECKF(s == SK_EFORMAT && strstr(err.msg, "expected an HDF5 file"), "msg: %s", err.msg);
    sk_wset_free(&ws);
    free(p);

    /* An HDF5 file that is not a Keras weight file. */
    p = sk_path_join(dir, "plain.h5");
    hid_t f = H5Fcreate(p, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Fclose(f);
    sk_wset_init(&ws, p);
    s = sk_weights_read_h5(p, &ws, &err);
    CHECKF(s == SK_EFORMAT && strstr(err.msg, "layer_names"), "msg: %s", err.msg);
    sk_wset_free(&ws);
    free(p);

    /* weight_names lists a dataset that is not there. */
    ldef L[8];
    int nl = std_layers(L, "conv_a");
    p = sk_path_join(dir, "nodata.h5");
    CHECK(write_h5(p, L, nl, H5_ROOT, -1, -1, 7) == 0);
    sk_wset_init(&ws, p);
    s = sk_weights_read_h5(p, &ws, &err);
    CHECKF(s == SK_EFORMAT && strstr(err.msg, "fc/kernel:0") && strstr(err.msg, "no such dataset"),
           "msg: %s", err.msg);
    sk_wset_free(&ws);
    free(p);

    /* Truncated at several points: an error, never a crash. */
    p = sk_path_join(dir, "ok.h5");
    CHECK(write_h5(p, L, nl, H5_ROOT, -1, -1, -1) == 0);
    uint8_t *data = NULL;
    size_t n = 0;
    CHECK_OK(sk_read_file(p, &data, &n, 1 << 24, &err), &err);
    char *q = sk_path_join(dir, "trunc.h5");
    static const double fracs[] = {0.1, 0.5, 0.9, 0.99};
    for (size_t i = 0; i < SK_ARRAY_LEN(fracs); i++) {
        CHECK_OK(sk_write_file_atomic(q, data, (size_t)(n * fracs[i]), &err), &err);
        sk_wset_init(&ws, q);
        s = sk_weights_read_h5(q, &ws, &err);
        CHECKF(s != SK_OK && strstr(err.msg, "trunc.h5"), "truncated at %.2f: %s %s", fracs[i],
               sk_status_name(s), err.msg);
        sk_wset_free(&ws);
    }
    free(q);
    free(data);
    free(p);
}

static void test_tfjs(const char *root)
{
    sk_error err;
    char *dir = sk_path_join(root, "tfjs_ok");
    CHECK_OK(sk_mkdir_p(dir, &err), &err);
    write_tfjs(dir, NULL);
    sk_wset ws;
    sk_wset_init(&ws, dir);
    CHECK_OK(sk_weights_read_tfjs(dir, &ws, &err), &err);
    CHECK_EQ_INT(ws.n, NT);
    sk_graph *g = small_graph("conv_a");
    CHECK_OK(sk_weights_apply(g, &ws, NULL, NULL, &err), &err);
    CHECK(graph_has_values(g, "conv_a"));
    sk_graph_free(g);
    sk_wset_free(&ws);
    /* Also through the model.json path and the generic reader. */
    char *mj = sk_path_join(dir, "model.json");
    sk_wset_init(&ws, mj);
    CHECK_OK(sk_weights_read(mj, &ws, &err), &err);
    CHECK_EQ_INT(ws.n, NT);
    sk_wset_free(&ws);
    free(mj);
    free(dir);

    struct {
        const char *name;
        tfjs_opts o;
        sk_status want;
        const char *needle;
    } bad[] = {
        {"trunc", {NULL, -1, -1, 7, NULL, 0}, SK_EFORMAT, "truncated shard"},
        {"extra", {NULL, -1, -1, -8, NULL, 0}, SK_EFORMAT, "extra bytes"},
        {"dtype", {"int32", 3, -1, 0, NULL, 0}, SK_EUNSUPPORTED, "expected dtype float32, found int32"},
        {"quant", {NULL, -1, 2, 0, NULL, 0}, SK_EUNSUPPORTED, "quantized"},
        {"noshard", {NULL, -1, -1, 0, NULL, 1}, SK_EIO, "group1-shard2of2.bin"},
        {"unsafe", {NULL, -1, -1, 0, "../evil.bin", 0}, SK_EFORMAT, "relative file name"},
    };
    for (size_t i = 0; i < SK_ARRAY_LEN(bad); i++) {
        char name[64];
        snprintf(name, sizeof name, "tfjs_%s", bad[i].name);
        char *d = sk_path_join(root, name);
        CHECK_OK(sk_mkdir_p(d, &err), &err);
        write_tfjs(d, &bad[i].o);
        sk_wset_init(&ws, d);
        sk_status s = sk_weights_read_tfjs(d, &ws, &err);
        CHECKF(s == bad[i].want && strstr(err.msg, bad[i].needle), "%s: %s %s", bad[i].name,
               sk_status_name(s), err.msg);
        sk_wset_free(&ws);
        free(d);
    }

    /* Bad JSON, a JSON without a manifest, a graph model, a missing model.json. */
    static const struct { const char *name, *text, *needle; sk_status want; } js[] = {
        {"badjson", "{\"weightsManifest\": [", "invalid JSON", SK_EFORMAT},
        {"nomanifest", "{\"format\": \"layers-model\"}", "weightsManifest", SK_EFORMAT},
        {"graph", "{\"format\": \"graph-model\", \"weightsManifest\": []}", "graph-model", SK_EUNSUPPORTED},
        {"badshape", "{\"weightsManifest\": [{\"paths\": [], \"weights\": [{\"name\": \"a/b\", \"shape\": [-1], \"dtype\": \"float32\"}]}]}",
         "non-negative integer", SK_EFORMAT},
        {"noname", "{\"weightsManifest\": [{\"paths\": [], \"weights\": [{\"name\": \"kernel\", \"shape\": [1], \"dtype\": \"float32\"}]}]}",
         "layer/variable", SK_EFORMAT},
    };
    for (size_t i = 0; i < SK_ARRAY_LEN(js); i++) {
        char *d = sk_path_join(root, js[i].name);
        CHECK_OK(sk_mkdir_p(d, &err), &err);
        char *f = sk_path_join(d, "model.json");
        CHECK_OK(sk_write_file_atomic(f, js[i].text, strlen(js[i].text), &err), &err);
        sk_wset_init(&ws, d);
        sk_status s = sk_weights_read_tfjs(d, &ws, &err);
        CHECKF(s == js[i].want && strstr(err.msg, js[i].needle), "%s: %s %s", js[i].name,
               sk_status_name(s), err.msg);
        sk_wset_free(&ws);
        free(f);
        free(d);
    }
    char *d = sk_path_join(root, "empty_dir");
    CHECK_OK(sk_mkdir_p(d, &err), &err);
    sk_wset_init(&ws, d);
    CHECK(sk_weights_read_tfjs(d, &ws, &err) == SK_ENOTFOUND && strstr(err.msg, "model.json"));
    sk_wset_free(&ws);
    free(d);
}

static void test_legacy_names(void)
{
    static const struct { const char *in, *out; } map[] = {
        {"conv1", "conv1_conv"},
        {"bn_conv1", "conv1_bn"},
        {"fc1000", "predictions"},
        {"res2a_branch2a", "conv2_block1_1_conv"},
        {"bn2a_branch2a", "conv2_block1_1_bn"},
        {"res2a_branch1", "conv2_block1_0_conv"},
        {"bn2a_branch1", "conv2_block1_0_bn"},
        {"res2c_branch2c", "conv2_block3_3_conv"},
        {"res3d_branch2b", "conv3_block4_2_conv"},
        {"bn4f_branch2c", "conv4_block6_3_bn"},
        {"res5a_branch1", "conv5_block1_0_conv"},
        {"bn5c_branch2b", "conv5_block3_2_bn"},
    };
    for (size_t i = 0; i < SK_ARRAY_LEN(map); i++) {
        char out[64] = "";
        int ok = sk_weights_legacy_resnet_name(map[i].in, out, sizeof out);
        CHECKF(ok && strcmp(out, map[i].out) == 0, "%s -> %s (expected %s)", map[i].in, out, map[i].out);
    }
    static const char *const keep[] = {"conv1_conv", "res2a_branch3", "res2a_branch2d", "resnet",
                                       "bn_conv2", "res2A_branch1", "res0a_branch1", "activation_1",
                                       "bn2a_branch2a_x", "avg_pool", "predictions", ""};
    for (size_t i = 0; i < SK_ARRAY_LEN(keep); i++) {
        char out[64] = "untouched";
        CHECKF(!sk_weights_legacy_resnet_name(keep[i], out, sizeof out) && strcmp(out, "untouched") == 0,
               "'%s' must not map (got %s)", keep[i], out);
    }

    /* Mapping a legacy-named set onto a graph with the current names. */
    sk_graph *g = sk_graph_new("mini_resnet");
    int x = sk_g_input(g, "input_1", 4, 4, 3);
    x = sk_g_conv2d(g, "conv1_conv", x, 2, 1, 1, 1, 1, SK_PAD_SAME, SK_BIAS, SK_ACT_LINEAR);
    x = sk_g_bn(g, "conv1_bn", x, 1.001e-5f, 0.99f);
    x = sk_g_conv2d(g, "conv2_block1_1_conv", x, 2, 1, 1, 1, 1, SK_PAD_SAME, SK_BIAS,
                    SK_ACT_LINEAR);
    x = sk_g_gap(g, "avg_pool", x, SK_GAP_FLAT);
    sk_g_dense(g, "predictions", x, 3, SK_BIAS, SK_ACT_SOFTMAX);
    sk_graph_finalize(g);
    sk_wset ws;
    sk_wset_init(&ws, "legacy");
    int s11[4] = {1, 1, 3, 2}, s2[1] = {2}, s22[4] = {1, 1, 2, 2}, sd[2] = {2, 3}, s3[1] = {3};
    sk_wset_add(&ws, "conv1", "kernel", 4, s11)->data[0] = 7.0f;
    sk_wset_add(&ws, "conv1", "bias", 1, s2);
    sk_wset_add(&ws, "bn_conv1", "gamma", 1, s2);
    sk_wset_add(&ws, "bn_conv1", "beta", 1, s2);
    sk_wset_add(&ws, "bn_conv1", "moving_mean", 1, s2)->data[1] = 0.5f;
    sk_wset_add(&ws, "bn_conv1", "moving_variance", 1, s2);
    sk_wset_add(&ws, "res2a_branch2a", "kernel", 4, s22);
    sk_wset_add(&ws, "res2a_branch2a", "bias", 1, s2);
    sk_wset_add(&ws, "fc1000", "kernel", 2, sd)->data[5] = -3.0f;
    sk_wset_add(&ws, "fc1000", "bias", 1, s3);
    sk_wreport rep;
    sk_error err;
    CHECK_OK(sk_weights_apply(g, &ws, NULL, &rep, &err), &err);
    CHECK_EQ_INT(rep.loaded, 10);
    CHECK_EQ_INT(rep.renamed, 10);
    const sk_node *c1 = sk_graph_node(g, sk_graph_find(g, "conv1_conv"));
    const sk_node *bn = sk_graph_node(g, sk_graph_find(g, "conv1_bn"));
    const sk_node *fc = sk_graph_node(g, sk_graph_find(g, "predictions"));
    CHECK(g->params[c1->tensors[0].offset] == 7.0f);
    CHECK(bn->tensors[2].is_state && g->state[bn->tensors[2].offset + 1] == 0.5f);
    CHECK(g->params[fc->tensors[0].offset + 5] == -3.0f);
    sk_wreport_free(&rep);
    sk_wset_free(&ws);
    sk_graph_free(g);
}

static void test_name_split(void)
{
    char l[64], v[32];
    sk_error err;
    CHECK_OK(sk_weight_name_split("conv1/conv/kernel:0", l, sizeof l, v, sizeof v, &err), &err);
    CHECK(strcmp(l, "conv1/conv") == 0 && strcmp(v, "kernel") == 0);
    CHECK_OK(sk_weight_name_split("bn_conv1/moving_mean", l, sizeof l, v, sizeof v, &err), &err);
    CHECK(strcmp(l, "bn_conv1") == 0 && strcmp(v, "moving_mean") == 0);
    CHECK(sk_weight_name_split("kernel:0", l, sizeof l, v, sizeof v, &err) == SK_EFORMAT);
    CHECK(sk_weight_name_split("/kernel", l, sizeof l, v, sizeof v, &err) == SK_EFORMAT);
    CHECK(sk_weight_name_split("a/", l, sizeof l, v, sizeof v, &err) == SK_EFORMAT);
    CHECK(sk_weight_name_split("a/:0", l, sizeof l, v, sizeof v, &err) == SK_EFORMAT);
}

/* The whole import into a registry architecture and the .skck it writes: a TF.js file holding
 * only MobileNetV2's first convolution and one BN variable, imported with allow_missing, read
 * back by name. */
static void test_import_file(const char *root)
{
    sk_error err;
    char *dir = sk_path_join(root, "tfjs_mnv2");
    CHECK_OK(sk_mkdir_p(dir, &err), &err);
    const char *json = "{\"format\": \"layers-model\", \"weightsManifest\": [{\"paths\": [\"w.bin\"], "
                       "\"weights\": [{\"name\": \"Conv1/kernel\", \"shape\": [3, 3, 3, 32], \"dtype\": "
                       "\"float32\"}, {\"name\": \"bn_Conv1/moving_mean\", \"shape\": [32], \"dtype\": \"float32\"}]}]}";
    char *mj = sk_path_join(dir, "model.json");
    CHECK_OK(sk_write_file_atomic(mj, json, strlen(json), &err), &err);
    sk_buf b;
    sk_buf_init(&b);
    for (int i = 0; i < 864 + 32; i++) sk_buf_put_f32(&b, (float)i * 0.25f);
    char *bin = sk_path_join(dir, "w.bin");
    CHECK_OK(sk_write_file_atomic(bin, b.data, b.len, &err), &err);
    sk_buf_free(&b);
    char *out = sk_path_join(root, "mnv2.skck");

    sk_wimport_opts o = {"mobilenetv2", 32, 0, 0, 0, 0, NULL};
    sk_wreport rep;
    sk_status s = sk_weights_import_file(dir, &o, out, &rep, &err);
    CHECKF(s == SK_ENOTFOUND && rep.nmissing == 258 && strstr(err.msg, "258 tensor(s)"), "strict: %s", err.msg);
    CHECK(!sk_file_exists(out));
    sk_wreport_free(&rep);
    o.allow_missing = 1;
    CHECK_OK(sk_weights_import_file(dir, &o, out, &rep, &err), &err);
    CHECK(rep.loaded == 2 && rep.renamed == 0 && rep.nmissing == 258);
    sk_wreport_free(&rep);
    sk_ckpt ck;
    CHECK_OK(sk_ckpt_read(out, &ck, &err), &err);
    const sk_ckpt_tensor *k = sk_ckpt_find(&ck, "Conv1/kernel");
    const sk_ckpt_tensor *mm = sk_ckpt_find(&ck, "bn_Conv1/moving_mean");
    CHECK(k && k->n == 864 && k->ndim == 4 && k->shape[3] == 32 && k->data[863] == 863 * 0.25f);
    CHECK(mm && mm->n == 32 && mm->data[0] == 864 * 0.25f);
    const sk_ckpt_tensor *mv = sk_ckpt_find(&ck, "bn_Conv1/moving_variance");
    CHECK(mv && mv->n == 32 && mv->data[0] == 1.0f); /* missing: Keras's initial value */
    CHECK_STR(sk_ckpt_get_kv(&ck, "weights"), "imagenet");
    CHECK_STR(sk_ckpt_get_kv(&ck, "weights_format"), "tfjs-layers");
    CHECK_STR(sk_ckpt_get_kv(&ck, "weights_top"), "none");
    char hex[65];
    CHECK_OK(sk_sha256_file(mj, hex, &err), &err);
    CHECK_STR(sk_ckpt_get_kv(&ck, "weights_model_json_sha256"), hex);
    CHECK_STR(ck.arch, "mobilenetv2");
    sk_ckpt_free(&ck);

    /* The ImageNet top variant refuses VGG16 and accepts the rest. */
    sk_graph *g = sk_weights_build_imagenet("vgg16", 32, &err);
    CHECK(g == NULL && err.code == SK_EUNSUPPORTED);
    g = sk_weights_build_imagenet("mobilenetv2", 32, &err);
    CHECK(g && sk_graph_find(g, "predictions") == g->n - 1 &&
          sk_graph_find(g, "global_average_pooling2d") == g->n - 2);
    sk_graph_free(g);
    free(out);
    free(bin);
    free(mj);
    free(dir);
}

int main(void)
{
    char *dir = sk_test_tmpdir("weights_import");
    test_name_split();
    test_legacy_names();
    test_h5_roundtrip(dir);
    test_h5_names(dir);
    test_missing_unused_shape(dir);
    test_h5_corrupt(dir);
    test_tfjs(dir);
    test_import_file(dir);
    free(dir);
    return sk_test_finish();
}
