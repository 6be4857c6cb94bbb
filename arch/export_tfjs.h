/* export_tfjs.h: a built sk_graph written as a TensorFlow.js layers model: DIR/model.json
 * (format "layers-model"; modelTopology.model_config is the Keras functional model_config that
 * tf.keras 2.x `model.to_json()` writes: every layer's Keras name, class, config and
 * inbound_nodes) plus binary weight shards listed in weightsManifest. The write side of
 * weights_tfjs.h: the same manifest layout, weight names "layer/var", float32 little-endian,
 * read back by sk_weights_read_tfjs and by `tf.loadLayersModel` unchanged.
 *
 * Configs are tf.keras 2.9's get_config() of each layer class. Per-architecture facts the graph
 * does not carry come from a table here: the channel axis the Keras application passes to
 * Concatenate (3 in DenseNet, -1 in NASNet) and the kernel initialisers (EfficientNet's
 * VarianceScaling). BatchNormalization and Normalization write their axis as Keras does after
 * build(), a list of resolved axes ([3]). Floats are written as the shortest decimal that reads
 * back as the same float32 (so 1.001e-05, not 1.00100003e-05).
 *
 * Layers TF.js 4.22 has no class for: Normalization (EfficientNet). It is written as Keras
 * writes it ({"axis": [3], "mean": null, "variance": null}; weights mean (C), variance (C) and
 * count (), count as float32 because the TF.js reader here takes float32 only); a TF.js user
 * registers a layer class computing (x - mean) / max(sqrt(variance), 1e-7), as
 * tests/conformance/harness.js does.
 *
 * Writing: shards first, model.json last, each atomically (temp file, fsync, rename), so a
 * reader that finds model.json finds complete shards. Not here: reading (weights_tfjs.h). */
#ifndef SK_EXPORT_TFJS_H
#define SK_EXPORT_TFJS_H

#include <stddef.h>
#include <stdint.h>
#include "sk_core.h"
#include "sk_base.h"

/* TF.js converter's default shard size. */
#define SK_TFJS_SHARD_BYTES ((size_t)4 << 20)

/* Writes g (finalized with slabs) as a TF.js layers model into dir (created if missing).
 * arch: registry id for the per-architecture facts above, or NULL (Keras defaults). Layers
 * whose graph node is frozen get "trainable": false. shard_bytes 0 = SK_TFJS_SHARD_BYTES.
 * Errors: SK_EIO naming the file; SK_EINVAL when dir is not a directory. */
sk_status sk_export_tfjs(const sk_graph *g, const char *arch, const char *dir, size_t shard_bytes,
                         sk_error *err) SK_WUR;

/* What `skytune arch export` builds and writes. */
typedef struct {
    const char *arch;      /* registry id */
    int size;              /* input height = width */
    int classes;           /* Dense(classes, softmax) head; >= 1 */
    const char *weights;   /* "scratch", "imagenet" (the cached ImageNet file) or a weight file */
    uint64_t seed;         /* the Keras initialisers' seed (every tensor not loaded from a file) */
    int trainable;         /* freeze all but the last N layers (Keras order); < 0 = all trainable */
    const char *cache_dir; /* for "imagenet": NULL = the default cache (weights_fetch.h) */
} sk_arch_export_opts;

/* Builds o->arch with its head, initialises every tensor from the seeded Keras initialisers
 * (the architecture's scheme), then loads the weight file if any (every base tensor must be in
 * it; the new head may be missing and the file may hold more, e.g. an ImageNet top), applies
 * the freeze and writes the TF.js model into dir. *loaded (may be NULL) receives the number of
 * tensors taken from the file. Errors name the file or option at fault. */
sk_status sk_arch_export(const sk_arch_export_opts *o, const char *dir, int *loaded,
                         sk_error *err) SK_WUR;

#endif
