/* weights_h5.h: Keras HDF5 weight files, read with libhdf5.
 *
 * Layouts read: the official keras-applications files (`*_weights_tf_dim_ordering_tf_kernels_
 * notop.h5`, also `model.save_weights(...h5)` of Keras 2.x): the root group carries a string
 * array attribute `layer_names`; each layer has a group of that name (names may contain '/',
 * i.e. nested groups) with a string array attribute `weight_names` ("conv1_conv/kernel:0") and
 * one dataset per weight at that path inside the group. A full-model save (`model.save(...h5)`)
 * holds the same structure under the group `model_weights`. Attributes too big for one HDF5
 * object header are split by Keras into `layer_names0`, `layer_names1`, ...; both forms are read.
 * Datasets of any float or integer type are converted to float32 by libhdf5.
 *
 * Not here: the mapping onto a graph (weights.h); writing HDF5. */
#ifndef SK_WEIGHTS_H5_H
#define SK_WEIGHTS_H5_H

#include "sk_base.h"
#include "weights.h"

/* Reads every weight of the file into ws (initialised by the caller; tensors are appended).
 * Errors: SK_ENOTFOUND (no file), SK_EIO (cannot open), SK_EFORMAT (not HDF5, no layer_names,
 * a named group or dataset missing, rank > 4), SK_EUNSUPPORTED (non-numeric dataset), SK_ELIMIT
 * (absurd sizes); the message names the file and the layer or weight. On error ws may hold the
 * tensors read so far; the caller frees it either way. */
sk_status sk_weights_read_h5(const char *path, sk_wset *ws, sk_error *err) SK_WUR;

#endif
