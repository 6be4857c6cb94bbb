/* cmd_weights_import.c: `skytune weights import FILE --arch ARCH`: reads Keras HDF5 or TF.js
 * weights (arch/weights_*.h), maps them onto the architecture's graph by Keras name (legacy
 * ResNet50 names included), checks every shape, reports every missing or unused tensor, and
 * writes a .skck checkpoint (core/checkpoint.h) whose metadata records the source and its hash.
 * Exit 0 on success, 1 on a failed import (nothing written), 2 for usage errors. */
#include "sk_arch.h"
#include "args.h"
#include "commands.h"
#include "sk_base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SK_CKPT_CLASSES_MAX 256

/* --classes: a count ("3") or names ("GALAXY,QSO,STAR"). Returns the count (names filled and
 * *named set for names), or -1 after printing the error. */
static int parse_classes(const char *s, char (*names)[64], int *named)
{
    char *end;
    long n = strtol(s, &end, 10);
    *named = 0;
    if (*s && !*end) {
        if (n < 1 || n > SK_CKPT_CLASSES_MAX) {
            fprintf(stderr, "skytune weights import: --classes: expected 1..%d, found %ld\n", SK_CKPT_CLASSES_MAX, n);
            return -1;
        }
        return (int)n;
    }
    int k = 0;
    for (const char *p = s;; k++) {
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= 64 || k >= SK_CKPT_CLASSES_MAX) {
            fprintf(stderr, "skytune weights import: --classes: expected a count or comma-separated names of 1..63 "
                            "bytes, found \"%s\"\n", s);
            return -1;
        }
        memcpy(names[k], p, len);
        names[k][len] = '\0';
        if (!p[len]) break;
        p += len + 1;
    }
    *named = 1;
    return k + 1;
}

int sk_cmd_weights_import(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"arch", SK_OPT_VALUE, "ARCH", "architecture id (skytune arch list)"},
        {"out", SK_OPT_VALUE, "F.skck", "checkpoint to write (default ARCH_imagenet.skck, ARCH_imagenet_top.skck or ARCH_dense.skck)"},
        {"size", SK_OPT_VALUE, "H", "input size recorded in the checkpoint (default: the study's size; 224 with --with-top)"},
        {"with-top", SK_OPT_FLAG, NULL, "the file has the 1000-class ImageNet top: import it too (avg pool + predictions)"},
        {"classes", SK_OPT_VALUE, "N|A,B,...", "the file has the study's head (pooling + Dense): its class count, or names"},
        {"allow-missing", SK_OPT_FLAG, NULL, "accept graph tensors absent from the file (left at zero/one)"},
        {"allow-unused", SK_OPT_FLAG, NULL, "accept file tensors that match no layer (e.g. a head without --with-top)"},
        {"quiet", SK_OPT_FLAG, NULL, "no summary on stderr"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune weights import",
                           "skytune weights import FILE --arch ARCH [--out F.skck] [--size H] [--with-top | --classes N|A,B,...]",
                           "FILE is a Keras HDF5 weight file (keras-applications *_notop.h5, "
                           "model.save_weights, or a full-model .h5) or a TensorFlow.js layers model "
                           "(its directory or model.json). Every tensor is matched by Keras layer/variable "
                           "name and shape-checked; missing or unused tensors are named and are errors "
                           "unless allowed. A file of a trained cell (`skytune weights export`) has the study's head: "
                           "give --classes with the cell's class names (or count) to import it whole. Writes a .skck "
                           "checkpoint and prints its path on stdout.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 1, 1) || sk_args_require(&a, "arch")) return 2;
    const char *file = a.pos[0];
    const char *arch = sk_args_str(&a, "arch", NULL);
    const sk_arch_info *ai = sk_arch_find(arch);
    if (!ai) {
        fprintf(stderr, "skytune weights import: unknown architecture '%s'; expected one of:", arch);
        for (int i = 0; i < sk_arch_count(); i++) fprintf(stderr, " %s", sk_arch_get(i)->id);
        fprintf(stderr, "\n");
        return 2;
    }
    int with_top = sk_args_has(&a, "with-top");
    char names[SK_CKPT_CLASSES_MAX][64];
    int classes = 0, named = 0;
    if (sk_args_has(&a, "classes")) {
        if (with_top) {
            fprintf(stderr, "skytune weights import: --classes and --with-top name different heads; give one\n");
            return 2;
        }
        classes = parse_classes(sk_args_str(&a, "classes", ""), names, &named);
        if (classes < 0) return 2;
    }
    long size = 0;
    if (sk_args_long(&a, "size", with_top ? 224 : ai->study_size, ai->min_size, 4096, &size)) return 2;
    int quiet = sk_args_has(&a, "quiet") || sk_log_quiet();
    char defout[128];
    snprintf(defout, sizeof defout, "%s_%s.skck", ai->id, with_top ? "imagenet_top" : classes ? "dense" : "imagenet");
    const char *out = sk_args_str(&a, "out", defout);

    sk_error err;
    sk_wimport_opts o = {ai->id, (int)size, with_top, sk_args_has(&a, "allow-missing"),
                         sk_args_has(&a, "allow-unused"), classes, named ? (const char (*)[64])names : NULL};
    sk_wreport rep;
    sk_status st = sk_weights_import_file(file, &o, out, &rep, &err);
    int status = 1;
    if (st != SK_OK) fprintf(stderr, "skytune weights import: %s\n", err.msg);
    /* Every missing and unused tensor by name, whether or not it was allowed. */
    for (int i = 0; i < rep.nmissing; i++)
        sk_warn("missing from the file%s: %s", st == SK_OK ? " (kept its initial value)" : "",
                rep.missing[i]);
    for (int i = 0; i < rep.nunused; i++)
        sk_warn("in the file, matches no layer%s: %s", st == SK_OK ? " (ignored)" : "",
                rep.unused[i]);
    if (st != SK_OK) {
        if (st == SK_EINVAL && rep.nunused && !with_top)
            fprintf(stderr, "skytune weights import: (a file with the ImageNet classifier needs "
                            "--with-top, or --allow-unused to drop it)\n");
    } else {
        if (!quiet)
            fprintf(stderr,
                    "skytune weights import: %s: %d tensors (%zu floats) into %s at %ldx%ld%s, %d "
                    "via legacy names, %d missing, %d unused; wrote %s\n",
                    file, rep.loaded, rep.floats, ai->id, size, size,
                    with_top ? " with the ImageNet top" : classes ? " with the Dense head" : "", rep.renamed, rep.nmissing,
                    rep.nunused, out);
        printf("%s\n", out);
        status = 0;
    }
    sk_wreport_free(&rep);
    return status;
}
