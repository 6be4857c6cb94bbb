#!/usr/bin/python3
"""Checks a Keras HDF5 weights file as tf.keras 2.x model.load_weights(path) reads it
(hdf5_format.load_weights_from_hdf5_group), with h5py, against the model the file is for:
tf.keras.applications.ARCH(include_top=False, weights=None, pooling='avg') + Dense(classes),
described by the Keras layer table of ../shared/reference/keras/ (TensorFlow itself is not
needed: the loader's rules are restated here).

The loader's rules: the root attribute layer_names (or layer_names0, 1, ...) lists the layers;
those whose group has a non-empty weight_names are matched in order onto the model's layers
that have weights (len(layer.weights) > 0, in model.layers order); each layer's weight values
are the group's datasets in weight_names order, matched in order onto layer.trainable_weights
+ layer.non_trainable_weights, with the same count and shapes. Here: every name, count, order,
shape and dtype is checked, and the element counts against the table's parameter counts.

usage: keras_h5_check.py FILE.h5 TABLE.json POOL_NAME CLASSES
Exits 0 when the file loads, 1 with a message naming the layer otherwise."""
import json
import sys

import h5py
import numpy as np


def attr_list(group, name):
    """load_attributes_from_hdf5_group: the attribute, or its chunks name0, name1, ..."""
    if name in group.attrs:
        return [n.decode("utf8") if hasattr(n, "decode") else n for n in group.attrs[name]]
    out, k = [], 0
    while "%s%d" % (name, k) in group.attrs:
        out += [n.decode("utf8") if hasattr(n, "decode") else n for n in group.attrs["%s%d" % (name, k)]]
        k += 1
    return out


def keras_weights(layer, shapes):
    """(variable name, shape) in trainable_weights + non_trainable_weights order for a layer
    of the table; shapes maps layer name -> output shape (for input channels)."""
    cls, cfg = layer["class"], layer["config"]
    cin = shapes[layer["inbound"][0]][-1] if layer["inbound"] else None
    if cls == "Conv2D":
        w = [("kernel", tuple(cfg["kernel_size"]) + (cin, cfg["filters"]))]
        return w + ([("bias", (cfg["filters"],))] if cfg["use_bias"] else [])
    if cls == "DepthwiseConv2D":
        m = cfg["depth_multiplier"]
        w = [("depthwise_kernel", tuple(cfg["kernel_size"]) + (cin, m))]
        return w + ([("bias", (cin * m,))] if cfg["use_bias"] else [])
    if cls == "SeparableConv2D":
        m = cfg.get("depth_multiplier", 1)
        w = [("depthwise_kernel", tuple(cfg["kernel_size"]) + (cin, m)),
             ("pointwise_kernel", (1, 1, cin * m, cfg["filters"]))]
        return w + ([("bias", (cfg["filters"],))] if cfg["use_bias"] else [])
    if cls == "BatchNormalization":
        c = shapes[layer["name"]][-1]
        w = ([("gamma", (c,))] if cfg["scale"] else []) + ([("beta", (c,))] if cfg["center"] else [])
        return w + [("moving_mean", (c,)), ("moving_variance", (c,))]
    if cls == "Normalization":
        c = shapes[layer["name"]][-1]
        return [("mean", (c,)), ("variance", (c,)), ("count", ())]
    if cls == "Dense":
        return [("kernel", (cin, cfg["units"])), ("bias", (cfg["units"],))]
    return []


def main():
    path, table_path, pool, classes = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    table = json.load(open(table_path))
    layers = list(table["layers"])
    last = layers[-1]["name"]
    features = layers[-1]["output_shape"][-1]
    layers.append({"name": pool, "class": "GlobalAveragePooling2D", "config": {}, "inbound": [last],
                   "output_shape": [None, features], "trainable_params": 0, "non_trainable_params": 0})
    layers.append({"name": "dense", "class": "Dense", "config": {"units": classes}, "inbound": [pool],
                   "output_shape": [None, classes], "trainable_params": features * classes + classes,
                   "non_trainable_params": 0})
    shapes = {l["name"]: l["output_shape"] for l in layers}
    f = h5py.File(path, "r")
    errors = []
    if f.attrs.get("backend") != b"tensorflow" or "keras_version" not in f.attrs:
        errors.append("root attributes backend/keras_version missing or wrong")
    names = attr_list(f, "layer_names")
    if names != [l["name"] for l in layers]:
        errors.append("layer_names: %d names, model.layers has %d (first difference: %s)" % (
            len(names), len(layers),
            next(((a, b) for a, b in zip(names, [l["name"] for l in layers]) if a != b), "length")))
    weighted = [n for n in names if attr_list(f[n], "weight_names")]
    model_weighted = [l for l in layers if keras_weights(l, shapes)]
    if weighted != [l["name"] for l in model_weighted]:
        errors.append("layers with weights: file %d, model %d" % (len(weighted), len(model_weighted)))
    for layer in model_weighted if not errors else []:
        g = f[layer["name"]]
        wnames = attr_list(g, "weight_names")
        want = keras_weights(layer, shapes)
        if len(wnames) != len(want):
            errors.append("%s: %d weights, Keras expects %d" % (layer["name"], len(wnames), len(want)))
            continue
        trainable = non_trainable = 0
        for wn, (var, shape) in zip(wnames, want):
            if wn != "%s/%s:0" % (layer["name"], var):
                errors.append("%s: weight %s, Keras expects %s/%s:0 here" % (layer["name"], wn, layer["name"], var))
            value = np.asarray(g[wn])
            dtype = np.int64 if var == "count" else np.float32
            if value.shape != shape or value.dtype != dtype:
                errors.append("%s: %s shape %s %s, Keras expects %s %s" % (
                    layer["name"], wn, value.shape, value.dtype, shape, np.dtype(dtype)))
            if var in ("moving_mean", "moving_variance") or layer["class"] == "Normalization":
                non_trainable += value.size
            else:
                trainable += value.size
        if (trainable, non_trainable) != (layer["trainable_params"], layer["non_trainable_params"]):
            errors.append("%s: %d + %d elements, the table says %d + %d" % (
                layer["name"], trainable, non_trainable, layer["trainable_params"], layer["non_trainable_params"]))
    for e in errors[:10]:
        print("%s: %s" % (path, e))
    if not errors:
        print("%s: loads as %s + pooling + Dense(%d): %d layers, %d with weights" % (
            path, table["arch"], classes, len(names), len(weighted)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
