/* cmd_evaluate.c: `skytune evaluate`: a trained cell scored on a split of a labelled .skds
 * (benchmarks/evaluate.h writes eval.json and preds.csv), then the evaluation's page and figures
 * drawn from eval.json (report/report_eval.h). Exit status: 0 everything written and rendered;
 * 1 a failure (nothing written when the input is bad; eval.json kept when only the figures
 * failed, or gnuplot is missing); 2 usage error. */
#include "args.h"
#include "cell_args.h"
#include "commands.h"
#include "sk_benchmarks.h"
#include "sk_base.h"
#include "sk_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sk_cmd_evaluate(int argc, char **argv)
{
    static const sk_opt opts[] = {
        SK_CELL_OPTS,
        {"data", SK_OPT_VALUE, "D.skds", "a labelled data set with the cell's classes and image size"},
        {"split", SK_OPT_VALUE, "test|val|train|all", "which records (default test: the held-out split of pack --test)"},
        {"out", SK_OPT_VALUE, "DIR", "eval.json, eval.md, preds.csv, figures/ (default CELL/eval-SPLIT-CHECKPOINT)"},
        {"formats", SK_OPT_VALUE, "LIST", "figure formats, comma-separated from png,pdf,svg (default png,pdf,svg)"},
        {"dpi", SK_OPT_VALUE, "N", "PNG resolution in pixels per inch (default 200)"},
        {"title", SK_OPT_VALUE, "TEXT", "prefix of the figure titles"},
        {"quiet", SK_OPT_FLAG, NULL, "no progress bar"},
    };
    const char *cmd = "skytune evaluate";
    sk_args a;
    int rc = sk_args_parse(&a, cmd, "skytune evaluate --cell DIR --data D.skds [--split test|val|train|all] [--out DIR]",
                           "Scores a trained cell on one split of a labelled data set: accuracy, balanced accuracy, "
                           "per-class precision, recall, F1, support and one-vs-rest ROC AUC, the confusion matrix, "
                           "log-loss (model.evaluate's loss) and expected calibration error (15 bins). Writes eval.json "
                           "(docs/FORMATS.md), eval.md, the objects' preds.csv and gnuplot figures (confusion matrix, "
                           "reliability diagram, ROC curves).",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0) || sk_args_require(&a, "data")) return 2;
    sk_trained_opts to;
    if (sk_cell_args(&a, cmd, &to)) return 2;
    if (!to.cell_dir && !sk_args_has(&a, "out")) {
        fprintf(stderr, "%s: --out DIR is required with --weights\n", cmd);
        return 2;
    }
    sk_report_eval_opts ro = {NULL, NULL, 0, 0, sk_args_str(&a, "title", NULL)};
    long dpi;
    if (sk_parse_formats(cmd, sk_args_str(&a, "formats", "png,pdf,svg"), &ro.formats) ||
        sk_args_long(&a, "dpi", 200, 30, 1200, &dpi))
        return 2;
    ro.dpi = (int)dpi;
    sk_evaluate_opts o;
    memset(&o, 0, sizeof o);
    o.data = sk_args_str(&a, "data", NULL);
    o.cell_dir = to.cell_dir;
    o.progress = !sk_args_has(&a, "quiet") && !sk_log_quiet();
    sk_error err;
    const char *split = sk_args_str(&a, "split", "test");
    if (sk_split_parse(split, &o.split, &err)) {
        fprintf(stderr, "%s: --%s\n", cmd, err.msg);
        return 2;
    }
    char defout[2048];
    snprintf(defout, sizeof defout, "%s/eval-%s-%s", to.cell_dir ? to.cell_dir : ".", split,
             to.which == SK_CELL_CKPT_BEST ? "best" : "last");
    const char *out = sk_args_str(&a, "out", defout);
    char *eval_json = sk_path_join(out, "eval.json"), *preds = sk_path_join(out, "preds.csv");
    o.eval_json = eval_json;
    o.preds_csv = preds;
    ro.eval_json = eval_json;
    ro.out_dir = out;

    int status = 1;
    sk_trained t;
    sk_eval_record e;
    if (sk_trained_open(&t, &to, &err)) {
        fprintf(stderr, "%s: %s\n", cmd, err.msg);
        goto done;
    }
    sk_status s = sk_evaluate_run(&t, &o, &e, &err);
    sk_trained_close(&t);
    if (s) {
        fprintf(stderr, "%s: %s (nothing written)\n", cmd, err.msg);
        goto done;
    }
    sk_info("evaluate: %s split, %d objects: accuracy %.4f, balanced %.4f, log-loss %.4f, ECE %.4f -> %s", e.split, e.n,
            e.accuracy, e.balanced_accuracy, e.log_loss, e.ece, eval_json);
    sk_eval_free(&e);
    if (sk_report_eval(&ro, NULL, &err)) {
        fprintf(stderr, "%s: %s\n", cmd, err.msg);
        goto done;
    }
    status = 0;
done:
    free(eval_json);
    free(preds);
    return status;
}
