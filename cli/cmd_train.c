/* cmd_train.c: `skytune train`: one (architecture, freeze level, seed) cell with the study's
 * protocol as the default; every knob is a flag and every resolved value goes into run.json. */
#include "args.h"
#include "commands.h"
#include "sk_base.h"
#include "sk_benchmarks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sk_cmd_train(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"arch", SK_OPT_VALUE, "ARCH", "architecture id (skytune arch list)"},
        {"trainable", SK_OPT_VALUE, "N|all", "trainable layers counted from the end, head included (default all)"},
        {"data", SK_OPT_VALUE, "FILE.skds", "data set (skytune dataset pack / synth)"},
        {"seed", SK_OPT_VALUE, "S", "seed of initialisation, batch order and dropout (default 1)"},
        {"out", SK_OPT_VALUE, "DIR", "cell directory: run.json, metrics.jsonl, ckpt/, DONE"},
        {"weights", SK_OPT_VALUE, "imagenet|scratch|FILE", "starting weights (default imagenet, from the cache)"},
        {"epochs", SK_OPT_VALUE, "E", "epochs (default 60)"},
        {"batch", SK_OPT_VALUE, "B", "batch size (default 32)"},
        {"lr", SK_OPT_VALUE, "LR", "learning rate (default 1e-4)"},
        {"optimizer", SK_OPT_VALUE, "adam|sgd|rmsprop", "optimizer with Keras defaults (default adam)"},
        {"size", SK_OPT_VALUE, "H", "input size (default: the study's, 512; NASNetMobile 224)"},
        {"reduce-lr-factor", SK_OPT_VALUE, "F", "ReduceLROnPlateau factor (default 0.1)"},
        {"reduce-lr-patience", SK_OPT_VALUE, "P", "ReduceLROnPlateau patience (default 5)"},
        {"reduce-lr-min-delta", SK_OPT_VALUE, "D", "ReduceLROnPlateau min_delta (default 1e-4)"},
        {"early-stopping", SK_OPT_VALUE, "P", "EarlyStopping(val_loss, patience P, restore_best_weights); 0 = off"},
        {"no-class-weights", SK_OPT_FLAG, NULL, "do not weight classes (default: largest count / count)"},
        {"no-cache", SK_OPT_FLAG, NULL, "do not reuse the frozen prefix's outputs"},
        {"cache", SK_OPT_VALUE, "DIR", "cache folder: weights, and the frozen-prefix cache in DIR/prefix"},
        {"cache-max", SK_OPT_VALUE, "SIZE", "size limit of the frozen-prefix cache, e.g. 16G (default 16G)"},
        {"loss", SK_OPT_VALUE, "logits|clipped", "cross-entropy as tf.keras fit computes it (logits) or clipped"},
        {"force", SK_OPT_FLAG, NULL, "train again even if DIR has DONE"},
        {"quiet", SK_OPT_FLAG, NULL, "no per-epoch lines"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune train",
                           "skytune train --arch A --trainable N|all --data D.skds --seed S --out DIR [OPTIONS]",
                           "Trains one cell with the study's protocol (PROTOCOL.md): GAP + Dense(classes, softmax)\n"
                           "head, Adam 1e-4, batch 32, 60 epochs, ReduceLROnPlateau(val_loss, 0.1, 5, 1e-4), class\n"
                           "weights, x/255 input (raw for EfficientNetB2), 512 px (NASNetMobile 224). A killed cell\n"
                           "resumes from its last epoch when run again with the same arguments.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0) || sk_args_require(&a, "arch") || sk_args_require(&a, "data") ||
        sk_args_require(&a, "out"))
        return 2;
    sk_cell_cfg c;
    sk_cell_cfg_defaults(&c);
    snprintf(c.arch, sizeof c.arch, "%s", sk_args_str(&a, "arch", ""));
    const char *tr = sk_args_str(&a, "trainable", "all");
    long level = SK_LEVEL_ALL, seed, epochs, batch, size, pat, es;
    if (strcmp(tr, "all") != 0 && sk_args_long(&a, "trainable", 0, 1, 100000, &level)) return 2;
    if (sk_args_long(&a, "seed", 1, 0, 0x7fffffffL, &seed) ||
        sk_args_long(&a, "epochs", 60, 1, 100000, &epochs) ||
        sk_args_long(&a, "batch", 32, 1, 4096, &batch) ||
        sk_args_long(&a, "size", 0, 32, 4096, &size) ||
        sk_args_long(&a, "reduce-lr-patience", 5, 0, 100000, &pat) ||
        sk_args_long(&a, "early-stopping", 0, 0, 100000, &es) ||
        sk_args_double(&a, "lr", 1e-4, 1e-12, 1e9, &c.lr) ||
        sk_args_double(&a, "reduce-lr-factor", 0.1, 0, 0.999999, &c.rlr_factor) ||
        sk_args_double(&a, "reduce-lr-min-delta", 1e-4, 0, 1e9, &c.rlr_min_delta))
        return 2;
    c.level = (int)level;
    c.seed = (uint64_t)seed;
    c.epochs = (int)epochs;
    c.batch = (int)batch;
    c.input_size = (int)size;
    c.rlr_patience = (int)pat;
    c.es_patience = (int)es;
    snprintf(c.optimizer, sizeof c.optimizer, "%s", sk_args_str(&a, "optimizer", "adam"));
    const char *w = sk_args_str(&a, "weights", "imagenet");
    if (!strcmp(w, "imagenet")) c.weights = SK_WEIGHTS_IMAGENET;
    else if (!strcmp(w, "scratch")) c.weights = SK_WEIGHTS_SCRATCH;
    else {
        c.weights = SK_WEIGHTS_IMAGENET;
        snprintf(c.weights_file, sizeof c.weights_file, "%s", w);
    }
    const char *loss = sk_args_str(&a, "loss", "logits");
    if (strcmp(loss, "logits") && strcmp(loss, "clipped")) {
        fprintf(stderr, "skytune train: --loss must be logits or clipped, got '%s'\n", loss);
        return 2;
    }
    c.xent_clipped = !strcmp(loss, "clipped");
    c.class_weights = sk_args_has(&a, "no-class-weights") ? SK_CW_NONE : SK_CW_TRAIN;
    c.use_cache = !sk_args_has(&a, "no-cache");
    c.force = sk_args_has(&a, "force");
    c.quiet = sk_args_has(&a, "quiet");
    snprintf(c.cache_dir, sizeof c.cache_dir, "%s", sk_args_str(&a, "cache", ""));
    sk_error err;
    if (c.cache_dir[0]) {
        char *pdir = sk_pcache_dir(c.cache_dir);
        snprintf(c.prefix_cache_dir, sizeof c.prefix_cache_dir, "%s", pdir);
        free(pdir);
    }
    if (sk_args_has(&a, "cache-max") && sk_parse_size(sk_args_str(&a, "cache-max", ""), &c.prefix_cache_max, &err)) {
        fprintf(stderr, "skytune train: --cache-max: %s\n", err.msg);
        return 2;
    }
    snprintf(c.data_path, sizeof c.data_path, "%s", sk_args_str(&a, "data", ""));
    snprintf(c.out_dir, sizeof c.out_dir, "%s", sk_args_str(&a, "out", ""));
    snprintf(c.suite, sizeof c.suite, "train");
    if (c.level == SK_LEVEL_ALL)
        snprintf(c.cell, sizeof c.cell, "%s-tall-s%llu", c.arch, (unsigned long long)c.seed);
    else
        snprintf(c.cell, sizeof c.cell, "%s-t%d-s%llu", c.arch, c.level, (unsigned long long)c.seed);
    sk_cell_outcome out;
    if (sk_run_cell(&c, &out, &err) != SK_OK) {
        fprintf(stderr, "skytune train: %s\n", err.msg);
        return 1;
    }
    if (out == SK_CELL_SKIPPED_DONE)
        sk_info("%s already has DONE; nothing to do (--force trains again)", c.out_dir);
    else
        sk_info("results in %s", c.out_dir);
    return 0;
}
