/* cmd_weights_export.c: `skytune weights export --cell DIR --format h5|tfjs --out PATH`: a
 * trained cell's weights as a Keras HDF5 weights file (arch/export_h5.h) that
 * tf.keras.applications.ARCH(include_top=False, weights=None, pooling='avg') + Dense loads with
 * model.load_weights, or as a TF.js layers model (arch/export_tfjs.h). Exit 0 on success, 1 on
 * failure (nothing written), 2 for usage errors. */
#include "args.h"
#include "cell_args.h"
#include "commands.h"
#include "sk_arch.h"
#include "sk_base.h"

#include <stdio.h>
#include <string.h>

int sk_cmd_weights_export(int argc, char **argv)
{
    static const sk_opt opts[] = {
        SK_CELL_OPTS,
        {"format", SK_OPT_VALUE, "h5|tfjs", "Keras HDF5 weights (model.load_weights) or a TF.js layers model"},
        {"out", SK_OPT_VALUE, "PATH", "the .h5 file, or the TF.js model's directory (model.json + shards)"},
    };
    const char *cmd = "skytune weights export";
    sk_args a;
    int rc = sk_args_parse(&a, cmd, "skytune weights export --cell DIR --format h5|tfjs --out PATH [--checkpoint best]",
                           "Writes a trained cell's weights for Keras or TensorFlow.js. h5: the layout "
                           "model.save_weights writes; in Python, base = tf.keras.applications.ARCH(include_top=False, "
                           "weights=None, input_shape=(S, S, 3), pooling='avg'); model = tf.keras.Model(base.input, "
                           "tf.keras.layers.Dense(K, activation='softmax')(base.output)); model.load_weights(PATH). "
                           "Feed it the pixels as the cell was trained (x/255, raw 0..255 for EfficientNetB2). "
                           "tfjs: a TF.js layers model (tf.loadLayersModel; EfficientNet's Normalization layer needs a "
                           "registered class, see tests/conformance). `skytune weights import PATH --arch ARCH --size S "
                           "--classes K` reads either back bit for bit.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0) || sk_args_require(&a, "format") || sk_args_require(&a, "out")) return 2;
    sk_trained_opts to;
    if (sk_cell_args(&a, cmd, &to)) return 2;
    const char *format = sk_args_str(&a, "format", ""), *out = sk_args_str(&a, "out", "");
    if (strcmp(format, "h5") != 0 && strcmp(format, "tfjs") != 0) {
        fprintf(stderr, "%s: --format: expected h5 or tfjs, found \"%s\"\n", cmd, format);
        return 2;
    }
    sk_error err;
    sk_trained t;
    if (sk_trained_open(&t, &to, &err)) {
        fprintf(stderr, "%s: %s\n", cmd, err.msg);
        return 1;
    }
    sk_status s;
    if (strcmp(format, "h5") == 0) {
        s = sk_export_h5(t.model.graph, out, &err);
    } else {
        /* The layers the cell trained are "trainable" in the TF.js model, as in its Keras model. */
        sk_graph *g = t.model.graph;
        sk_graph_freeze(g, t.level > 0 && t.level <= g->n ? t.level : g->n);
        s = sk_export_tfjs(g, t.model.arch->id, out, 0, &err);
    }
    if (s) fprintf(stderr, "%s: %s (nothing written)\n", cmd, err.msg);
    else
        sk_info("weights export: %s (%s weights, epoch %d) -> %s (%s; %s at %d px, %d classes)", t.ckpt_path, t.which,
                t.epoch, out, strcmp(format, "h5") == 0 ? "Keras HDF5" : "TF.js layers model", t.model.arch->id,
                t.model.input_size, t.num_classes);
    sk_trained_close(&t);
    return s ? 1 : 0;
}
