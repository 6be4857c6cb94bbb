/* keras_h5.c: Keras HDF5 weight files written by tests (keras_h5.h). */
#include "keras_h5.h"
#include "sk_arch.h"
#include "sk_core.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WN (SK_WNAME_MAX + 40)

int sk_test_write_keras_h5(const char *path, const sk_wset *ws)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) return -1;
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, SK_WNAME_MAX);
    H5Tset_strpad(str, H5T_STR_NULLPAD);
    hid_t wstr = H5Tcopy(str);
    H5Tset_size(wstr, WN);
    char(*layers)[SK_WNAME_MAX] = calloc((size_t)ws->n, SK_WNAME_MAX);
    int nl = 0;
    for (int i = 0; i < ws->n; i++) {
        int seen = 0;
        for (int k = 0; k < nl && !seen; k++) seen = strcmp(layers[k], ws->t[i].layer) == 0;
        if (!seen) snprintf(layers[nl++], SK_WNAME_MAX, "%s", ws->t[i].layer);
    }
    hsize_t n = (hsize_t)nl;
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t a = H5Acreate2(f, "layer_names", str, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, str, layers);
    H5Aclose(a);
    H5Sclose(sp);
    for (int l = 0; l < nl; l++) {
        hid_t g = H5Gcreate2(f, layers[l], lcpl, H5P_DEFAULT, H5P_DEFAULT);
        char(*wn)[WN] = calloc(8, WN);
        hsize_t nw = 0;
        for (int i = 0; i < ws->n; i++) {
            const sk_wtensor *t = &ws->t[i];
            if (strcmp(t->layer, layers[l]) != 0 || nw == 8) continue;
            snprintf(wn[nw], WN, "%s/%s:0", t->layer, t->var);
            hsize_t dims[4];
            for (int d = 0; d < t->ndim; d++) dims[d] = (hsize_t)t->shape[d];
            hid_t ds_sp = H5Screate_simple(t->ndim, dims, NULL);
            hid_t ds = H5Dcreate2(g, wn[nw], H5T_IEEE_F32LE, ds_sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
            H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->data);
            H5Dclose(ds);
            H5Sclose(ds_sp);
            nw++;
        }
        hid_t wsp = H5Screate_simple(1, &nw, NULL);
        a = H5Acreate2(g, "weight_names", wstr, wsp, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, wstr, wn);
        H5Aclose(a);
        H5Sclose(wsp);
        H5Gclose(g);
        free(wn);
    }
    free(layers);
    H5Tclose(str);
    H5Tclose(wstr);
    H5Pclose(lcpl);
    return H5Fclose(f) < 0 ? -1 : 0;
}


sk_status sk_test_keras_notop_h5(const char *path, const char *arch, int size, uint64_t seed, sk_error *err)
{
    const sk_arch_info *ai = sk_arch_find(arch);
    if (!ai) return sk_error_set(err, SK_EINVAL, "unknown architecture '%s'", arch);
    sk_graph *g = sk_arch_build(arch, size, 0, 0, err);
    if (!g) return err->code;
    sk_init_graph(g, ai->init, seed);
    sk_wset ws;
    sk_wset_init(&ws, path);
    for (int i = 0; i < g->n; i++) {
        const sk_node *nd = &g->nodes[i];
        for (int k = 0; k < nd->ntensors; k++) {
            const sk_tensor_info *t = &nd->tensors[k];
            int shape[4], nd_ = t->ndim;
            for (int d = 0; d < nd_; d++) shape[d] = t->shape[d];
            sk_wtensor *w = sk_wset_add(&ws, nd->name, t->name, nd_, shape);
            SK_ASSERT(w->size == t->size);
            memcpy(w->data, (t->is_state ? g->state : g->params) + t->offset, t->size * sizeof(float));
        }
    }
    sk_status s = sk_test_write_keras_h5(path, &ws) == 0 ? SK_OK
                  : sk_error_set(err, SK_EIO, "%s: writing the HDF5 file failed", path);
    sk_wset_free(&ws);
    sk_graph_free(g);
    return s;
}
