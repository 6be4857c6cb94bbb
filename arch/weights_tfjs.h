/* weights_tfjs.h: TensorFlow.js layers models (model.json + binary shards), read with cJSON.
 *
 * model.json's `weightsManifest` is an array of groups; each group names its binary shard files
 * (`paths`, relative to model.json) and its weights (`name` "layer/var", `shape`, `dtype`). A
 * group's bytes are its shards concatenated in manifest order, and its weights lie one after
 * the other in that byte stream, little-endian. Only dtype float32 is accepted; quantized
 * weights (a `quantization` field) are refused with a message saying so, as is a graph model.
 * The total shard size of each group must equal exactly what its weights need.
 *
 * Not here: the model topology (the graph comes from arch/), the mapping onto it (weights.h). */
#ifndef SK_WEIGHTS_TFJS_H
#define SK_WEIGHTS_TFJS_H

#include "sk_base.h"
#include "weights.h"

/* Facts of the format shared with the writer (export_tfjs.h): the model file in a model
 * directory, its "format" value, and the only weight dtype read and written. Weight names are
 * "layer/var" (sk_weight_name_split). */
#define SK_TFJS_MODEL_FILE "model.json"
#define SK_TFJS_FORMAT "layers-model"
#define SK_TFJS_DTYPE "float32"

/* path: a directory holding model.json, or the model.json file. Appends every weight to ws
 * (initialised by the caller, who frees it either way). Errors name the file, the group or
 * weight, the expected and the found value: SK_ENOTFOUND (no model.json), SK_EIO (missing
 * shard), SK_EFORMAT (bad JSON, bad field, truncated or oversized shards, unsafe shard path),
 * SK_EUNSUPPORTED (dtype, quantization, graph model), SK_ELIMIT (absurd sizes). */
sk_status sk_weights_read_tfjs(const char *path, sk_wset *ws, sk_error *err) SK_WUR;

#endif
