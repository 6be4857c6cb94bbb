/* export_h5.h: a built sk_graph's variables written as a Keras HDF5 weights file, the layout
 * tf.keras 2.x `model.save_weights("x.h5")` writes and `model.load_weights("x.h5")` reads
 * (hdf5_format.save_weights_to_hdf5_group): the write side of weights_h5.h.
 *
 * Layout: root attributes `backend` ("tensorflow"), `keras_version` ("2.9.0") and `layer_names`
 * (every layer of model.layers, in Keras order, as fixed-length byte strings; split into
 * layer_names0, layer_names1, ... as Keras splits attributes over 64512 bytes); one group per
 * layer (a '/' in a name nests groups, as h5py does) with attribute `weight_names`
 * ("conv1_conv/kernel:0", ...; an empty float64 array for a layer without weights) and one
 * dataset per weight at that name inside the group, float32 (Normalization's count int64),
 * in Keras's variable order (trainable then non-trainable: kernel, bias; gamma, beta,
 * moving_mean, moving_variance; mean, variance, count). Keras loads such a file by position:
 * the layers with weights, in order, onto the model's layers with weights; so the file fits
 * tf.keras.applications.<Arch>(include_top=False, weights=None, pooling='avg') followed by the
 * Dense head (a functional model over the base's layers, as the study built it).
 *
 * The file is built in memory (HDF5 core driver, no object modification times, so the same
 * weights give the same bytes) and written atomically (base/fileio.h). */
#ifndef SK_EXPORT_H5_H
#define SK_EXPORT_H5_H

#include "sk_core.h"
#include "sk_base.h"

#define SK_H5_KERAS_VERSION "2.9.0"

/* Writes every variable of g (finalized with slabs) to path. Errors: SK_EIO naming the path,
 * SK_EUNSUPPORTED for a libhdf5 failure, SK_EINVAL for a Normalization count that is not an
 * integer (Keras stores it as int64). */
sk_status sk_export_h5(const sk_graph *g, const char *path, sk_error *err) SK_WUR;

#endif
