/* weights_h5.c: Keras HDF5 weight files into an sk_wset (layout in weights_h5.h).
 * Every HDF5 handle is closed on every path (goto-style cleanup); the HDF5 library's own error
 * printing is switched off while we read and restored after, so callers see only our message. */
#include "weights_h5.h"
#include "sk_base.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAMES 200000
#define MAX_ELEMS ((hsize_t)1 << 30)

typedef struct {
    char **v;
    int n;
} strlist;

static void strlist_free(strlist *s)
{
    for (int i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

static void strlist_push(strlist *s, const char *p, size_t len)
{
    s->v = sk_xrealloc(s->v, (size_t)(s->n + 1) * sizeof *s->v);
    char *c = sk_xmalloc(len + 1);
    memcpy(c, p, len);
    c[len] = '\0';
    s->v[s->n++] = c;
}

/* Appends the strings of attribute `name` of obj to out. An empty attribute (Keras writes an
 * empty float array for layers without weights) adds nothing. */
static sk_status read_str_attr(hid_t obj, const char *name, strlist *out, const char *path,
                               const char *where, sk_error *err)
{
    sk_status st = SK_OK;
    hid_t a = -1, ftype = -1, space = -1, mtype = -1;
    char *buf = NULL;
    a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) {
        st = sk_error_set(err, SK_EFORMAT, "%s: %s: cannot open attribute '%s'", path, where, name);
        goto done;
    }
    space = H5Aget_space(a);
    hssize_t np = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (np < 0) {
        st = sk_error_set(err, SK_EFORMAT, "%s: %s: attribute '%s' has no readable extent", path,
                          where, name);
        goto done;
    }
    if (np == 0) goto done;
    if (np > MAX_NAMES || out->n + np > MAX_NAMES) {
        st = sk_error_set(err, SK_ELIMIT, "%s: %s: attribute '%s': expected at most %d names, found %lld",
                          path, where, name, MAX_NAMES, (long long)np);
        goto done;
    }
    ftype = H5Aget_type(a);
    if (ftype < 0 || H5Tget_class(ftype) != H5T_STRING) {
        st = sk_error_set(err, SK_EFORMAT, "%s: %s: attribute '%s': expected an array of strings, found another type",
                          path, where, name);
        goto done;
    }
    if (H5Tis_variable_str(ftype) > 0) {
        mtype = H5Tcopy(H5T_C_S1);
        H5Tset_size(mtype, H5T_VARIABLE);
        char **vs = sk_xcalloc((size_t)np, sizeof *vs);
        if (H5Aread(a, mtype, vs) < 0) {
            free(vs);
            st = sk_error_set(err, SK_EFORMAT, "%s: %s: attribute '%s' could not be read", path,
                              where, name);
            goto done;
        }
        for (hssize_t i = 0; i < np; i++) strlist_push(out, vs[i] ? vs[i] : "", vs[i] ? strlen(vs[i]) : 0);
        H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, vs);
        free(vs);
    } else {
        size_t sz = H5Tget_size(ftype);
        if (sz == 0 || sz > 4096) {
            st = sk_error_set(err, SK_ELIMIT, "%s: %s: attribute '%s': expected strings of 1..4096 bytes, found %zu",
                              path, where, name, sz);
            goto done;
        }
        mtype = H5Tcopy(H5T_C_S1);
        H5Tset_size(mtype, sz);
        H5Tset_strpad(mtype, H5T_STR_NULLPAD);
        buf = sk_xcalloc((size_t)np, sz);
        if (H5Aread(a, mtype, buf) < 0) {
            st = sk_error_set(err, SK_EFORMAT, "%s: %s: attribute '%s' could not be read", path,
                              where, name);
            goto done;
        }
        for (hssize_t i = 0; i < np; i++) {
            const char *s = buf + (size_t)i * sz;
            strlist_push(out, s, strnlen(s, sz));
        }
    }
done:
    free(buf);
    if (mtype >= 0) H5Tclose(mtype);
    if (ftype >= 0) H5Tclose(ftype);
    if (space >= 0) H5Sclose(space);
    if (a >= 0) H5Aclose(a);
    return st;
}

/* Keras's attribute convention: `name`, or the chunks `name0`, `name1`, ... Returns SK_ENOTFOUND
 * (without setting err) when neither form exists. */
static sk_status read_keras_attr(hid_t obj, const char *name, strlist *out, const char *path,
                                 const char *where, sk_error *err)
{
    if (H5Aexists(obj, name) > 0) return read_str_attr(obj, name, out, path, where, err);
    char chunk[96];
    int k = 0;
    for (;; k++) {
        snprintf(chunk, sizeof chunk, "%s%d", name, k);
        if (H5Aexists(obj, chunk) <= 0) break;
        sk_status st = read_str_attr(obj, chunk, out, path, where, err);
        if (st) return st;
    }
    return k ? SK_OK : SK_ENOTFOUND;
}

static sk_status read_dataset(hid_t grp, const char *lname, const char *wname, sk_wset *ws,
                              const char *path, sk_error *err)
{
    sk_status st = SK_OK;
    hid_t d = -1, space = -1, ftype = -1;
    char layer[SK_WNAME_MAX], var[32];
    if (strchr(wname, '/')) {
        st = sk_weight_name_split(wname, layer, sizeof layer, var, sizeof var, err);
        if (st) return sk_error_prefix(err, "%s: layer '%s': ", path, lname);
    } else {
        /* A bare "kernel:0": the layer is the group. */
        sk_snprintf(layer, sizeof layer, "%s", lname);
        size_t vn = strcspn(wname, ":");
        if (vn == 0 || vn >= sizeof var)
            return sk_error_set(err, SK_EFORMAT, "%s: layer '%s': weight name '%s' is not 'layer/variable'",
                                path, lname, wname);
        memcpy(var, wname, vn);
        var[vn] = '\0';
    }
    if (H5Lexists(grp, wname, H5P_DEFAULT) <= 0 || (d = H5Dopen2(grp, wname, H5P_DEFAULT)) < 0) {
        st = sk_error_set(err, SK_EFORMAT,
                          "%s: layer '%s' lists weight '%s' in weight_names, but the group has no such dataset",
                          path, lname, wname);
        goto done;
    }
    space = H5Dget_space(d);
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (rank < 0 || rank > 4) {
        st = sk_error_set(err, SK_EFORMAT, "%s: weight '%s' of layer '%s': expected rank 0..4, found %d",
                          path, wname, lname, rank);
        goto done;
    }
    hsize_t dims[4] = {0, 0, 0, 0};
    if (rank > 0) H5Sget_simple_extent_dims(space, dims, NULL);
    hsize_t total = 1;
    int shape[4] = {0, 0, 0, 0};
    for (int i = 0; i < rank; i++) {
        if (dims[i] > (hsize_t)1 << 30) {
            st = sk_error_set(err, SK_ELIMIT, "%s: weight '%s': dimension %d is %llu, over the limit",
                              path, wname, i, (unsigned long long)dims[i]);
            goto done;
        }
        shape[i] = (int)dims[i];
        total *= dims[i];
        if (total > MAX_ELEMS) {
            st = sk_error_set(err, SK_ELIMIT, "%s: weight '%s': over the limit of %llu elements",
                              path, wname, (unsigned long long)MAX_ELEMS);
            goto done;
        }
    }
    ftype = H5Dget_type(d);
    H5T_class_t cls = ftype >= 0 ? H5Tget_class(ftype) : H5T_NO_CLASS;
    if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
        st = sk_error_set(err, SK_EUNSUPPORTED,
                          "%s: weight '%s' of layer '%s': expected a float or integer dataset, found HDF5 type class %d",
                          path, wname, lname, (int)cls);
        goto done;
    }
    sk_wtensor *t = sk_wset_add(ws, layer, var, rank, shape);
    if (strcmp(layer, lname) != 0) sk_snprintf(t->alt_layer, sizeof t->alt_layer, "%s", lname);
    if (total > 0 && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->data) < 0) {
        st = sk_error_set(err, SK_EFORMAT, "%s: weight '%s' of layer '%s': data could not be read (truncated or corrupt file?)",
                          path, wname, lname);
        goto done;
    }
done:
    if (ftype >= 0) H5Tclose(ftype);
    if (space >= 0) H5Sclose(space);
    if (d >= 0) H5Dclose(d);
    return st;
}

sk_status sk_weights_read_h5(const char *path, sk_wset *ws, sk_error *err)
{
    sk_status st = SK_OK;
    H5E_auto2_t old_fn = NULL;
    void *old_data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = -1, base = -1, grp = -1;
    strlist layers = {0}, wnames = {0};

    if ((st = sk_check_regular(path, err))) goto done; /* H5Fis_hdf5 would block on a FIFO */
    if (H5Fis_hdf5(path) <= 0) {
        st = sk_error_set(err, SK_EFORMAT, "%s: expected an HDF5 file (Keras .h5), found another format", path);
        goto done;
    }
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        st = sk_error_set(err, SK_EIO, "%s: libhdf5 cannot open it (truncated or corrupt?)", path);
        goto done;
    }
    base = H5Gopen2(f, "/", H5P_DEFAULT);
    if (base < 0) {
        st = sk_error_set(err, SK_EFORMAT, "%s: cannot open the root group", path);
        goto done;
    }
    st = read_keras_attr(base, "layer_names", &layers, path, "root group", err);
    if (st == SK_ENOTFOUND && H5Lexists(base, "model_weights", H5P_DEFAULT) > 0) {
        H5Gclose(base);
        base = H5Gopen2(f, "model_weights", H5P_DEFAULT);
        if (base < 0) {
            st = sk_error_set(err, SK_EFORMAT, "%s: cannot open group 'model_weights'", path);
            goto done;
        }
        st = read_keras_attr(base, "layer_names", &layers, path, "group 'model_weights'", err);
    }
    if (st == SK_ENOTFOUND) {
        st = sk_error_set(err, SK_EFORMAT,
                          "%s: expected a Keras weight file (attribute 'layer_names' on the root or on "
                          "'model_weights'), found none",
                          path);
        goto done;
    }
    if (st) goto done;

    for (int i = 0; i < layers.n; i++) {
        const char *ln = layers.v[i];
        if (strlen(ln) >= SK_WNAME_MAX) {
            st = sk_error_set(err, SK_ELIMIT, "%s: layer_names entry %d: expected a name under %d characters, found %zu",
                              path, i, SK_WNAME_MAX, strlen(ln));
            goto done;
        }
        if (ln[0] == '\0' || H5Lexists(base, ln, H5P_DEFAULT) <= 0 ||
            (grp = H5Gopen2(base, ln, H5P_DEFAULT)) < 0) {
            st = sk_error_set(err, SK_EFORMAT,
                              "%s: layer_names lists '%s' (entry %d) but the file has no such group",
                              path, ln, i);
            goto done;
        }
        char where[SK_WNAME_MAX + 16];
        snprintf(where, sizeof where, "layer '%s'", ln);
        st = read_keras_attr(grp, "weight_names", &wnames, path, where, err);
        if (st == SK_ENOTFOUND)
            st = sk_error_set(err, SK_EFORMAT, "%s: layer group '%s' has no attribute 'weight_names'",
                              path, ln);
        if (st) goto done;
        for (int k = 0; k < wnames.n; k++) {
            st = read_dataset(grp, ln, wnames.v[k], ws, path, err);
            if (st) goto done;
        }
        strlist_free(&wnames);
        H5Gclose(grp);
        grp = -1;
    }
done:
    strlist_free(&layers);
    strlist_free(&wnames);
    if (grp >= 0) H5Gclose(grp);
    if (base >= 0) H5Gclose(base);
    if (f >= 0) H5Fclose(f);
    H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
    return st;
}
