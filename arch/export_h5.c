/* export_h5.c: an sk_graph as a Keras HDF5 weights file (layout in export_h5.h). Every HDF5 handle
 * is closed on every path; libhdf5's own error printing is off while we write. */
#include "export_h5.h"
#include "sk_base.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keras's HDF5_OBJECT_HEADER_LIMIT: attributes larger than this are split into chunks. */
#define HEADER_LIMIT 64512

typedef struct {
    hid_t file, lcpl, gcpl, dcpl;
    const char *path;
    sk_error *err;
    sk_status st;
} h5w;

static void fail(h5w *w, const char *what)
{
    if (!w->st) w->st = sk_error_set(w->err, SK_EUNSUPPORTED, "%s: libhdf5 failed to write %s", w->path, what);
}

/* A fixed-length byte-string attribute: a scalar (n < 0, one string) or an array of n, each
 * NUL-padded to the longest, as h5py stores a NumPy 'S' array. */
static void str_attr(h5w *w, hid_t obj, const char *name, const char *const *v, int n)
{
    int count = n < 0 ? 1 : n;
    size_t sz = 1;
    for (int i = 0; i < count; i++) sz = strlen(v[i]) > sz ? strlen(v[i]) : sz;
    char *buf = sk_xcalloc((size_t)count, sz);
    for (int i = 0; i < count; i++) memcpy(buf + (size_t)i * sz, v[i], strlen(v[i]));
    hid_t type = H5Tcopy(H5T_C_S1), space = -1, a = -1;
    hsize_t dims[1] = {(hsize_t)count};
    if (type < 0 || H5Tset_size(type, sz) < 0 || H5Tset_strpad(type, H5T_STR_NULLPAD) < 0 ||
        (space = n < 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL)) < 0 ||
        (a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT)) < 0 || H5Awrite(a, type, buf) < 0)
        fail(w, name);
    if (a >= 0) H5Aclose(a);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    free(buf);
}

/* Keras's save_attributes_to_hdf5_group: one attribute, or name0, name1, ... when the array
 * (n entries of the longest length) exceeds the header limit; chunks as np.array_split makes
 * them (the first n % k one longer). An empty list is an empty float64 array. */
static void keras_attr(h5w *w, hid_t obj, const char *name, const char *const *v, int n)
{
    if (n == 0) {
        hsize_t dims[1] = {0};
        hid_t space = H5Screate_simple(1, dims, NULL), a = -1;
        if (space < 0 || (a = H5Acreate2(obj, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT)) < 0) fail(w, name);
        if (a >= 0) H5Aclose(a);
        if (space >= 0) H5Sclose(space);
        return;
    }
    size_t sz = 1;
    for (int i = 0; i < n; i++) sz = strlen(v[i]) > sz ? strlen(v[i]) : sz;
    int k = 1;
    while ((size_t)((n + k - 1) / k) * sz > HEADER_LIMIT) k++;
    if (k == 1) {
        str_attr(w, obj, name, v, n);
        return;
    }
    for (int c = 0, first = 0; c < k && !w->st; c++) {
        int len = n / k + (c < n % k);
        char chunk[96];
        snprintf(chunk, sizeof chunk, "%s%d", name, c);
        str_attr(w, obj, chunk, v + first, len);
        first += len;
    }
}

/* One weight as the dataset "<layer>/<var>:0" inside the layer's group. */
static void write_tensor(h5w *w, hid_t grp, const sk_graph *g, const sk_node *nd, const sk_tensor_info *ti,
                         const char *wname)
{
    const float *src = (ti->is_state ? g->state : g->params) + ti->offset;
    hsize_t dims[4];
    for (int d = 0; d < ti->ndim; d++) dims[d] = (hsize_t)ti->shape[d];
    int as_int = nd->op == SK_OP_NORMALIZATION && strcmp(ti->name, "count") == 0;
    int64_t *ints = NULL;
    if (as_int) {
        ints = sk_xmalloc(ti->size * sizeof *ints);
        for (size_t i = 0; i < ti->size; i++) {
            if (src[i] != floorf(src[i]) || fabsf(src[i]) > 16777216.0f) {
                w->st = sk_error_set(w->err, SK_EINVAL, "%s: weight '%s' is %.9g; Keras stores it as an integer", w->path,
                                     wname, (double)src[i]);
                free(ints);
                return;
            }
            ints[i] = (int64_t)src[i];
        }
    }
    hid_t space = ti->ndim ? H5Screate_simple(ti->ndim, dims, NULL) : H5Screate(H5S_SCALAR), d = -1;
    if (space < 0 ||
        (d = H5Dcreate2(grp, wname, as_int ? H5T_STD_I64LE : H5T_IEEE_F32LE, space, w->lcpl, w->dcpl, H5P_DEFAULT)) < 0 ||
        (ti->size && H5Dwrite(d, as_int ? H5T_NATIVE_INT64 : H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                              as_int ? (const void *)ints : (const void *)src) < 0))
        fail(w, wname);
    if (d >= 0) H5Dclose(d);
    if (space >= 0) H5Sclose(space);
    free(ints);
}

/* The group of one layer: weight_names and the datasets. */
static void write_layer(h5w *w, const sk_graph *g, const sk_node *nd)
{
    hid_t grp = H5Gcreate2(w->file, nd->name, w->lcpl, w->gcpl, H5P_DEFAULT);
    if (grp < 0) {
        fail(w, nd->name);
        return;
    }
    char names[SK_NODE_MAX_TENSORS][SK_NAME_MAX + 40];
    const char *v[SK_NODE_MAX_TENSORS];
    for (int i = 0; i < nd->ntensors; i++) {
        snprintf(names[i], sizeof names[i], "%s/%s:0", nd->name, nd->tensors[i].name);
        v[i] = names[i];
    }
    keras_attr(w, grp, "weight_names", v, nd->ntensors);
    for (int i = 0; i < nd->ntensors && !w->st; i++) write_tensor(w, grp, g, nd, &nd->tensors[i], names[i]);
    H5Gclose(grp);
}

/* The whole file into the core driver's memory image; *image (malloc'ed) receives its bytes. */
static void build(h5w *w, const sk_graph *g, void **image, size_t *len)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    w->lcpl = H5Pcreate(H5P_LINK_CREATE);
    w->gcpl = H5Pcreate(H5P_GROUP_CREATE);
    w->dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (fapl < 0 || w->lcpl < 0 || w->gcpl < 0 || w->dcpl < 0 || H5Pset_fapl_core(fapl, (size_t)1 << 20, 0) < 0 ||
        H5Pset_create_intermediate_group(w->lcpl, 1) < 0 || H5Pset_obj_track_times(w->gcpl, 0) < 0 ||
        H5Pset_obj_track_times(w->dcpl, 0) < 0 ||
        (w->file = H5Fcreate("skytune-export.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl)) < 0) {
        fail(w, "the file");
    } else {
        const char *backend = "tensorflow", *version = SK_H5_KERAS_VERSION;
        str_attr(w, w->file, "backend", &backend, -1);
        str_attr(w, w->file, "keras_version", &version, -1);
        const char **names = sk_xmalloc((size_t)g->n * sizeof *names);
        for (int k = 0; k < g->n; k++) names[k] = g->nodes[g->by_keras[k]].name;
        keras_attr(w, w->file, "layer_names", names, g->n);
        free(names);
        for (int k = 0; k < g->n && !w->st; k++) write_layer(w, g, &g->nodes[g->by_keras[k]]);
        if (!w->st && H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0) fail(w, "the file");
        ssize_t n = w->st ? -1 : H5Fget_file_image(w->file, NULL, 0);
        if (!w->st && n <= 0) fail(w, "the file image");
        if (!w->st) {
            *image = sk_xmalloc((size_t)n);
            *len = (size_t)n;
            if (H5Fget_file_image(w->file, *image, (size_t)n) != n) fail(w, "the file image");
        }
    }
    if (w->file >= 0) H5Fclose(w->file);
    if (w->dcpl >= 0) H5Pclose(w->dcpl);
    if (w->gcpl >= 0) H5Pclose(w->gcpl);
    if (w->lcpl >= 0) H5Pclose(w->lcpl);
    if (fapl >= 0) H5Pclose(fapl);
}

sk_status sk_export_h5(const sk_graph *g, const char *path, sk_error *err)
{
    SK_ASSERT(g->finalized && g->params);
    H5E_auto2_t old_fn = NULL;
    void *old_data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    h5w w = {-1, -1, -1, -1, path, err, SK_OK};
    void *image = NULL;
    size_t len = 0;
    build(&w, g, &image, &len);
    H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
    if (!w.st) w.st = sk_write_file_atomic(path, image, len, err);
    free(image);
    return w.st;
}
