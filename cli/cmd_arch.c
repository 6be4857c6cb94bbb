/* cmd_arch.c: `skytune arch list | show | levels | export`: the seven models, a Keras-like
 * summary, the freeze levels with their tuning layer/parameter ratios (TLR, TPR) computed from
 * the graph, and the model as a TF.js layers model (arch/export_tfjs.h).
 *
 * Conventions (issue 4): trainable_layers counts the head; total_layers = base layers (with the
 * pooling layer) + head; tlr = trainable_layers / total_layers; tlr_base = trainable_layers /
 * base layers; tpr = trainable_params / total_params, totals including the non-trainable BN
 * statistics. Machine-readable output goes to stdout; errors to stderr with exit status 2 for
 * usage errors (unknown model, bad --levels), 1 for failures. */
#include "sk_arch.h"
#include "args.h"
#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LEVELS 4096

static int cmd_list(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"format", SK_OPT_VALUE, "table|csv", "output format (default table)"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune arch list", "skytune arch list [--format table|csv]",
                           "Lists the models with the study's input size and scaling, the layer "
                           "count of the study's model (base + avg pooling + Dense(3)) and its "
                           "parameter count.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0)) return 2;
    const char *fmt = sk_args_str(&a, "format", "table");
    int csv = strcmp(fmt, "csv") == 0;
    if (!csv && strcmp(fmt, "table") != 0) {
        fprintf(stderr, "skytune arch list: --format: expected table or csv, found '%s'\n", fmt);
        return 2;
    }
    if (csv)
        printf("arch,keras_name,study_size,input_scaling,base_layers,total_layers,total_params,"
               "paper_levels\n");
    else
        printf("%-15s %-17s %6s %-10s %6s %6s %12s  %s\n", "arch", "keras model", "size",
               "scaling", "base", "layers", "params", "paper levels (trainable layers)");
    for (int i = 0; i < sk_arch_count(); i++) {
        const sk_arch_info *ai = sk_arch_get(i);
        sk_error err;
        sk_graph *g = sk_arch_build_layout(ai->id, ai->study_size, 3, 1, &err);
        if (!g) {
            fprintf(stderr, "skytune arch list: %s\n", err.msg);
            return 1;
        }
        char lv[512] = "";
        size_t off = 0;
        for (int k = 0; k < ai->npaper_levels; k++)
            off += (size_t)snprintf(lv + off, sizeof lv - off, "%s%d", k ? (csv ? ";" : ",") : "",
                                    ai->paper_levels[k]);
        const char *scaling = ai->raw_input ? "raw_0_255" : "x/255";
        if (csv)
            printf("%s,%s,%d,%s,%d,%d,%zu,%s\n", ai->id, ai->keras_name, ai->study_size, scaling,
                   g->n - 1, g->n, sk_graph_total_params(g), lv);
        else
            printf("%-15s %-17s %6d %-10s %6d %6d %12zu  %s\n", ai->id, ai->keras_name,
                   ai->study_size, scaling, g->n - 1, g->n, sk_graph_total_params(g), lv);
        sk_graph_free(g);
    }
    return 0;
}

/* Resolves the model positional argument; prints the known ids on error. */
static const sk_arch_info *find_arch(const char *cmd, const char *id)
{
    const sk_arch_info *ai = sk_arch_find(id);
    if (ai) return ai;
    fprintf(stderr, "%s: unknown architecture '%s'; expected one of:", cmd, id);
    for (int i = 0; i < sk_arch_count(); i++) fprintf(stderr, " %s", sk_arch_get(i)->id);
    fprintf(stderr, "\n");
    return NULL;
}

static void shape_str(char *buf, size_t cap, const sk_node *nd)
{
    if (nd->rank == 2) snprintf(buf, cap, "(None, %d)", nd->c);
    else snprintf(buf, cap, "(None, %d, %d, %d)", nd->h, nd->w, nd->c);
}

static int cmd_show(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"size", SK_OPT_VALUE, "H", "input height = width (default: the study's size)"},
        {"classes", SK_OPT_VALUE, "N", "head classes (default 3; 0 = base without pooling/head)"},
        {"trainable", SK_OPT_VALUE, "N", "freeze all but the last N layers (default: all)"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune arch show", "skytune arch show ARCH [OPTIONS]",
                           "Prints a Keras-like summary of ARCH: Keras index, layer name and "
                           "class, output shape, parameters, trainable flag and inbound layers, "
                           "then the totals.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 1, 1)) return 2;
    const sk_arch_info *ai = find_arch("skytune arch show", a.pos[0]);
    if (!ai) return 2;
    long size, classes, trainable;
    if (sk_args_long(&a, "size", ai->study_size, ai->min_size, 4096, &size) ||
        sk_args_long(&a, "classes", 3, 0, 100000, &classes) ||
        sk_args_long(&a, "trainable", -1, 0, 1000000, &trainable))
        return 2;
    sk_error err;
    sk_graph *g = sk_arch_build_layout(ai->id, (int)size, (int)classes, classes > 0, &err);
    if (!g) {
        fprintf(stderr, "skytune arch show: %s\n", err.msg);
        return 2;
    }
    sk_graph_freeze(g, trainable < 0 ? g->n : (int)trainable);
    printf("Model: \"%s\"  (%s, input %ldx%ldx3)\n", g->name, ai->id, size, size);
    printf("%5s  %-48s %-24s %-22s %10s %s  %s\n", "index", "layer", "class", "output shape",
           "params", "train", "connected to");
    for (int k = 0; k < g->n; k++) {
        const sk_node *nd = &g->nodes[g->by_keras[k]];
        char shp[64];
        shape_str(shp, sizeof shp, nd);
        printf("%5d  %-48s %-24s %-22s %10zu %-5s  ", k, nd->name, sk_op_keras_class(nd->op), shp,
               nd->trainable_params + nd->non_trainable_params, nd->trainable ? "yes" : "no");
        for (int i = 0; i < nd->ninputs; i++)
            printf("%s%s", i ? ", " : "", g->nodes[nd->inputs[i]].name);
        printf("\n");
    }
    size_t total = sk_graph_total_params(g), tr = sk_graph_trainable_params(g);
    printf("Layers: %d (trainable %d)\n", g->n, sk_graph_trainable_layers(g));
    printf("Total params: %zu\nTrainable params: %zu\nNon-trainable params: %zu\n", total, tr,
           total - tr);
    sk_graph_free(g);
    return 0;
}

/* Parses --levels into levels[] (sorted as given). Returns the count, or -1 after a message. */
static int parse_levels(int *levels, const char *spec, const sk_arch_info *ai, int nlayers)
{
    int n = 0;
    if (strcmp(spec, "paper") == 0) {
        for (int i = 0; i < ai->npaper_levels; i++) levels[n++] = ai->paper_levels[i];
        return n;
    }
    if (strcmp(spec, "all") == 0) {
        for (int i = 1; i <= nlayers && n < MAX_LEVELS; i++) levels[n++] = i;
        return n;
    }
    const char *p = spec;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || (*end != ',' && *end != '\0') || v < 0 || v > nlayers) {
            fprintf(stderr,
                    "skytune arch levels: --levels: expected paper, all or a comma-separated list "
                    "of layer counts 0..%d for %s, found '%s'\n",
                    nlayers, ai->id, spec);
            return -1;
        }
        if (n == MAX_LEVELS) {
            fprintf(stderr, "skytune arch levels: --levels: more than %d levels\n", MAX_LEVELS);
            return -1;
        }
        levels[n++] = (int)v;
        p = *end == ',' ? end + 1 : end;
        if (*end == ',' && *p == '\0') {
            fprintf(stderr, "skytune arch levels: --levels: trailing comma in '%s'\n", spec);
            return -1;
        }
    }
    if (n == 0) {
        fprintf(stderr, "skytune arch levels: --levels: empty list\n");
        return -1;
    }
    return n;
}

enum { FMT_TABLE, FMT_CSV, FMT_JSON };

/* Prints the rows of one model; returns an exit status (2 for a bad size or --levels). *first
 * tracks JSON commas. fmt < 0 only validates. */
static int levels_of(const sk_arch_info *ai, long size, int classes, const char *spec, int fmt,
                     int *first)
{
    sk_error err;
    sk_graph *g = sk_arch_build_layout(ai->id, size > 0 ? (int)size : ai->study_size, classes, 1, &err);
    if (!g) {
        fprintf(stderr, "skytune arch levels: %s\n", err.msg);
        return 2;
    }
    int *levels = sk_xmalloc(MAX_LEVELS * sizeof *levels);
    int nl = parse_levels(levels, spec, ai, g->n);
    if (nl < 0) {
        free(levels);
        sk_graph_free(g);
        return 2;
    }
    if (fmt < 0) nl = 0; /* validation only */
    for (int i = 0; i < nl; i++) {
        sk_graph_freeze(g, levels[i]);
        sk_freeze_stats fs = sk_arch_freeze_stats(g);
        if (fmt == FMT_CSV)
            printf("%s,%d,%d,%zu,%zu,%.6f,%.6f,%.6f\n", ai->id, fs.trainable_layers, fs.total_layers,
                   fs.trainable_params, fs.total_params, fs.tlr, fs.tlr_base, fs.tpr);
        else if (fmt == FMT_JSON) {
            printf("%s\n  {\"arch\": \"%s\", \"trainable_layers\": %d, \"total_layers\": %d, "
                   "\"trainable_params\": %zu, \"total_params\": %zu, \"tlr\": %.6f, "
                   "\"tlr_base\": %.6f, \"tpr\": %.6f}",
                   *first ? "" : ",", ai->id, fs.trainable_layers, fs.total_layers,
                   fs.trainable_params, fs.total_params, fs.tlr, fs.tlr_base, fs.tpr);
            *first = 0;
        } else
            printf("%-15s %16d %12d %16zu %12zu %9.6f %9.6f %9.6f\n", ai->id, fs.trainable_layers,
                   fs.total_layers, fs.trainable_params, fs.total_params, fs.tlr, fs.tlr_base, fs.tpr);
    }
    free(levels);
    sk_graph_free(g);
    return 0;
}

static int cmd_levels(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"levels", SK_OPT_VALUE, "paper|all|N,M,...",
         "trainable-layer counts, head included (default paper: the study's levels)"},
        {"format", SK_OPT_VALUE, "table|csv|json", "output format (default table)"},
        {"size", SK_OPT_VALUE, "H", "input size (default: the study's; counts do not depend on it)"},
        {"classes", SK_OPT_VALUE, "N", "classes of the Dense head (default 3)"},
    };
    sk_args a;
    int rc = sk_args_parse(
        &a, "skytune arch levels", "skytune arch levels ARCH|all [OPTIONS]",
        "Per freeze level (the last N layers of the Keras layer list trainable, the head "
        "counted): trainable layers, total layers (base with pooling + head), trainable and total "
        "parameters (totals include BN moving statistics), TLR = trainable/total layers, "
        "tlr_base = trainable/base layers, TPR = trainable/total parameters.",
        opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 1, 1)) return 2;
    const char *which = a.pos[0];
    const sk_arch_info *one = NULL;
    if (strcmp(which, "all") != 0 && !(one = find_arch("skytune arch levels", which))) return 2;
    long size, classes;
    if (sk_args_long(&a, "size", 0, 0, 4096, &size) ||
        sk_args_long(&a, "classes", 3, 1, 100000, &classes))
        return 2;
    const char *f = sk_args_str(&a, "format", "table");
    int fmt = strcmp(f, "csv") == 0 ? FMT_CSV : strcmp(f, "json") == 0 ? FMT_JSON : FMT_TABLE;
    if (fmt == FMT_TABLE && strcmp(f, "table") != 0) {
        fprintf(stderr, "skytune arch levels: --format: expected table, csv or json, found '%s'\n",
                f);
        return 2;
    }
    const char *spec = sk_args_str(&a, "levels", "paper");
    /* Validate every model's levels before printing anything, so a usage error leaves stdout
     * empty. */
    for (int i = 0; i < sk_arch_count(); i++) {
        const sk_arch_info *ai = sk_arch_get(i);
        if (one && ai != one) continue;
        rc = levels_of(ai, size, (int)classes, spec, -1, NULL);
        if (rc) return rc;
    }
    if (fmt == FMT_CSV)
        printf("arch,trainable_layers,total_layers,trainable_params,total_params,tlr,tlr_base,"
               "tpr\n");
    else if (fmt == FMT_JSON)
        printf("[");
    else
        printf("%-15s %16s %12s %16s %12s %9s %9s %9s\n", "arch", "trainable_layers",
               "total_layers", "trainable_params", "total_params", "tlr", "tlr_base", "tpr");
    int first = 1;
    for (int i = 0; i < sk_arch_count(); i++) {
        const sk_arch_info *ai = sk_arch_get(i);
        if (one && ai != one) continue;
        rc = levels_of(ai, size, (int)classes, spec, fmt, &first);
        if (rc) return rc;
    }
    if (fmt == FMT_JSON) printf("\n]\n");
    return 0;
}

static int cmd_export(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"size", SK_OPT_VALUE, "H", "input height = width (default: the study's size)"},
        {"classes", SK_OPT_VALUE, "K", "classes of the Dense softmax head (default 3)"},
        {"weights", SK_OPT_VALUE, "imagenet|scratch|FILE",
         "scratch: the seeded Keras initialisers (default); imagenet: the cached ImageNet file "
         "(skytune weights fetch); FILE: a Keras .h5 or TF.js model (the head may be missing)"},
        {"seed", SK_OPT_VALUE, "S", "seed of the initialisers (default 1)"},
        {"trainable", SK_OPT_VALUE, "N", "freeze all but the last N layers (default: all trainable)"},
        {"cache", SK_OPT_VALUE, "DIR", "weight cache for --weights imagenet (default ~/.cache/skytune)"},
        {"out", SK_OPT_VALUE, "DIR", "output directory: model.json + group1-shard*.bin (required)"},
    };
    sk_args a;
    int rc = sk_args_parse(
        &a, "skytune arch export", "skytune arch export ARCH --out DIR [OPTIONS]",
        "Writes ARCH (base + GlobalAveragePooling2D + Dense(K, softmax)) as a TensorFlow.js layers "
        "model: DIR/model.json holds the Keras functional model_config (tf.keras's layer names, "
        "classes, configs and inbound nodes) and the weights manifest, the weights go to 4 MiB "
        "float32 shards. tf.loadLayersModel loads it; EfficientNet's Normalization layer needs a "
        "layer class registered in TF.js (docs/FORMATS.md).",
        opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 1, 1) || sk_args_require(&a, "out")) return 2;
    const sk_arch_info *ai = find_arch("skytune arch export", a.pos[0]);
    if (!ai) return 2;
    long size, classes, seed, trainable;
    if (sk_args_long(&a, "size", ai->study_size, ai->min_size, 4096, &size) ||
        sk_args_long(&a, "classes", 3, 1, 100000, &classes) ||
        sk_args_long(&a, "seed", 1, 0, 0x7fffffffL, &seed) ||
        sk_args_long(&a, "trainable", -1, 1, 1000000, &trainable))
        return 2;
    sk_arch_export_opts o = {ai->id, (int)size, (int)classes, sk_args_str(&a, "weights", "scratch"),
                             (uint64_t)seed, (int)trainable, sk_args_str(&a, "cache", NULL)};
    const char *out = sk_args_str(&a, "out", NULL);
    sk_error err;
    int loaded = 0;
    if (sk_arch_export(&o, out, &loaded, &err) != SK_OK) {
        fprintf(stderr, "skytune arch export: %s\n", err.msg);
        return err.code == SK_EINVAL ? 2 : 1;
    }
    fprintf(stderr, "skytune arch export: %s at %ldx%ld, %ld classes, weights %s (%d tensors from "
                    "the file) -> %s\n",
            ai->id, size, size, classes, o.weights, loaded, out);
    return 0;
}

int sk_cmd_arch(int argc, char **argv)
{
    static const sk_subcommand subs[] = {
        {"list", cmd_list, "the seven models, study sizes, layer and parameter counts"},
        {"show", cmd_show, "Keras-like summary of one model (layers, shapes, params, totals)"},
        {"levels", cmd_levels, "freeze levels with TLR and TPR (table, CSV or JSON)"},
        {"export", cmd_export, "the model as a TF.js layers model (model.json + weight shards)"},
    };
    return sk_dispatch("skytune arch", subs, (int)(sizeof subs / sizeof subs[0]), argc, argv);
}
