/* cmd_bench_check.c: `skytune bench check`: compare results with a committed baseline (or with
 * another results directory), or write a baseline. */
#include "args.h"
#include "sk_benchmarks.h"
#include "commands.h"

#include <stdio.h>

int sk_cmd_bench_check(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"results", SK_OPT_VALUE, "DIR", "results directory (cells with DONE, found recursively)"},
        {"baseline", SK_OPT_VALUE, "FILE", "baseline JSON, e.g. benchmarks/baselines/smoke.json"},
        {"against", SK_OPT_VALUE, "DIR", "instead of a baseline: require bit-identical metrics with DIR"},
        {"write-baseline", SK_OPT_FLAG, NULL, "write --baseline from --results instead of checking"},
        {"acc-tol", SK_OPT_VALUE, "X", "accuracy tolerance for a new baseline (default 0.05)"},
        {"loss-tol", SK_OPT_VALUE, "X", "loss tolerance for a new baseline (default 0.1)"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune bench check",
                           "skytune bench check --results DIR (--baseline FILE [--write-baseline] | --against DIR)",
                           "Structural facts (layers, parameters, TLR, TPR) must match exactly. Metrics must be\n"
                           "bit-identical when the platform fingerprint equals the baseline's, and within the\n"
                           "baseline's tolerances otherwise. Exit 0 only when nothing regressed.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0) || sk_args_require(&a, "results")) return 2;
    int against = sk_args_has(&a, "against");
    if (against == sk_args_has(&a, "baseline")) {
        fprintf(stderr, "skytune bench check: give exactly one of --baseline and --against\n");
        return 2;
    }
    double acc_tol, loss_tol;
    if (sk_args_double(&a, "acc-tol", 0.05, 0.0, 1.0, &acc_tol) ||
        sk_args_double(&a, "loss-tol", 0.1, 0.0, 1e6, &loss_tol))
        return 2;
    const char *results = sk_args_str(&a, "results", NULL);
    sk_error err;
    sk_check_result res;
    sk_status s;
    if (sk_args_has(&a, "write-baseline")) {
        if (against) {
            fprintf(stderr, "skytune bench check: --write-baseline needs --baseline\n");
            return 2;
        }
        s = sk_check_write_baseline(results, sk_args_str(&a, "baseline", NULL), acc_tol, loss_tol, &err);
        if (s) {
            fprintf(stderr, "skytune bench check: %s\n", err.msg);
            return 1;
        }
        printf("wrote %s\n", sk_args_str(&a, "baseline", NULL));
        return 0;
    }
    if (against)
        s = sk_check_identical(results, sk_args_str(&a, "against", NULL), stdout, &res, &err);
    else
        s = sk_check_results(results, sk_args_str(&a, "baseline", NULL), stdout, &res, &err);
    if (s) {
        fprintf(stderr, "skytune bench check: %s\n", err.msg);
        return 1;
    }
    if (against) printf("bench check: %d cells, %d differences\n", res.cells_checked, res.differences);
    return res.differences || res.cells_checked == 0 ? 1 : 0;
}
