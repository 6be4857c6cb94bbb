/* cmd_predict.c: `skytune predict`: a trained cell applied to a .skds, a folder of images or a
 * catalog, one row of preds.csv per object (benchmarks/predict.h). Exit status: 0 every object
 * predicted; 3 preds.csv written but some images could not be read (each named on stderr); 1
 * nothing written (bad input, unfinished cell, ...); 2 usage error. */
#include "args.h"
#include "cell_args.h"
#include "commands.h"
#include "sk_benchmarks.h"
#include "sk_base.h"

#include <stdio.h>
#include <string.h>

int sk_cmd_predict(int argc, char **argv)
{
    static const sk_opt opts[] = {
        SK_CELL_OPTS,
        {"in", SK_OPT_VALUE, "INPUT", "a .skds data set, a folder of images (any size) or a catalog .csv with ra, dec"},
        {"out", SK_OPT_VALUE, "preds.csv", "the predictions (written atomically when everything else worked)"},
        {"split", SK_OPT_VALUE, "all|train|val|test", ".skds input: which records (default all)"},
        {"batch", SK_OPT_VALUE, "B", "inference batch (default: the cell's; results do not depend on it)"},
        {"frames", SK_OPT_VALUE, "DIR", "catalog input: cut the objects from the SDSS frames here (as dataset cutout)"},
        {"cutouts", SK_OPT_VALUE, "DIR", "catalog input: where its cutouts go (default OUT.cutouts)"},
        {"base-url", SK_OPT_VALUE, "URL", "catalog input without --frames: the ImgCutout service to fetch from"},
        {"scale", SK_OPT_VALUE, "ARCSEC", "catalog input: arcsec per pixel of the cutouts"},
        {"cutout-size", SK_OPT_VALUE, "PX", "catalog input: cutout size (default: the cell's training image size)"},
        {"quiet", SK_OPT_FLAG, NULL, "no progress bar"},
    };
    const char *cmd = "skytune predict";
    sk_args a;
    int rc = sk_args_parse(&a, cmd, "skytune predict --cell DIR --in INPUT --out preds.csv [OPTIONS]",
                           "Classifies every object of INPUT with a trained cell: its graph, weights and input "
                           "preprocessing (size, scaling). Images of any size are decoded and resized as `dataset pack` "
                           "does. preds.csv has one row per object: id, ra, dec, p_<class> for each of the cell's "
                           "classes, the predicted class and the true label when the input has one (a .skds, or a folder "
                           "whose top-level subfolders are named after the classes). Unreadable images are named and "
                           "left out (exit status 3).",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0) || sk_args_require(&a, "in") || sk_args_require(&a, "out")) return 2;
    sk_trained_opts to;
    if (sk_cell_args(&a, cmd, &to)) return 2;
    sk_predict_opts o;
    memset(&o, 0, sizeof o);
    o.input = sk_args_str(&a, "in", NULL);
    o.out = sk_args_str(&a, "out", NULL);
    o.frames_dir = sk_args_str(&a, "frames", NULL);
    o.cutout_dir = sk_args_str(&a, "cutouts", NULL);
    o.base_url = sk_args_str(&a, "base-url", NULL);
    o.progress = !sk_args_has(&a, "quiet") && !sk_log_quiet();
    long batch, csize;
    if (sk_args_long(&a, "batch", 0, 1, 4096, &batch) || sk_args_long(&a, "cutout-size", 0, 8, 4096, &csize) ||
        sk_args_double(&a, "scale", 0, 1e-6, 1e6, &o.scale))
        return 2;
    o.batch = (int)batch;
    o.cutout_size = (int)csize;
    sk_error err;
    if (sk_split_parse(sk_args_str(&a, "split", "all"), &o.split, &err)) {
        fprintf(stderr, "%s: --%s\n", cmd, err.msg);
        return 2;
    }
    sk_trained t;
    if (sk_trained_open(&t, &to, &err)) {
        fprintf(stderr, "%s: %s\n", cmd, err.msg);
        return 1;
    }
    sk_predict_stats st;
    sk_status s = sk_predict_run(&t, &o, &st, &err);
    sk_trained_close(&t);
    if (s) {
        fprintf(stderr, "%s: %s (nothing written)\n", cmd, err.msg);
        return 1;
    }
    char acc[96] = "";
    if (st.labelled)
        snprintf(acc, sizeof acc, "; %d of %d labelled objects right (%.4f)", st.correct, st.labelled,
                 (double)st.correct / st.labelled);
    sk_info("predict: %d objects -> %s%s", st.n, o.out, acc);
    if (st.skipped) {
        fprintf(stderr, "%s: %d image(s) could not be read and are not in %s (named above)\n", cmd, st.skipped, o.out);
        return 3;
    }
    return 0;
}
