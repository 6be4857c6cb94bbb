/* cmd_bench_speed.c: `skytune bench speed`: parses the options into a request for
 * sk_speed_bench (benchmarks/speed_bench.h), which measures, runs the PyTorch peer and prints.
 * Exit status: 0 success, 1 a failed measurement, peer or output file, 2 usage error. */
#include "args.h"
#include "commands.h"
#include "sk_benchmarks.h"

#include <stdio.h>

int sk_cmd_bench_speed(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"arch", SK_OPT_VALUE, "LIST", "architectures, comma-separated (default: all seven)"},
        {"sizes", SK_OPT_VALUE, "LIST", "input sizes (default 64,224,512; raised to a model's minimum, Xception 71)"},
        {"levels", SK_OPT_VALUE, "LIST", "head, best (the study's best level), full, or layer counts (default head,best,full)"},
        {"batch", SK_OPT_VALUE, "N", "batch size (default 32)"},
        {"repeats", SK_OPT_VALUE, "R", "timed repeats per measurement; the median is reported (default 5)"},
        {"warmup", SK_OPT_VALUE, "W", "untimed runs before timing (default 1)"},
        {"gemm", SK_OPT_VALUE, "NAME", "GEMM backend for the cells (default: the build's, or SKYTUNE_GEMM)"},
        {"no-gemm-rates", SK_OPT_FLAG, NULL, "skip the sk_sgemm rate measurements"},
        {"no-infer", SK_OPT_FLAG, NULL, "skip inference timing"},
        {"no-cached", SK_OPT_FLAG, NULL, "skip the cached (frozen-prefix) step"},
        {"quick", SK_OPT_FLAG, NULL, "a small check: resnet50,mobilenetv2 at 64, head and full, 2 repeats"},
        {"plan", SK_OPT_FLAG, NULL, "print FLOPs and planned memory of the cells without running them"},
        {"breakdown", SK_OPT_FLAG, NULL, "also print the per-op-class time table"},
        {"out", SK_OPT_VALUE, "FILE", "JSON output (default results/speed/speed.json)"},
        {"peer", SK_OPT_FLAG, NULL, "also run benchmarks/peers/pytorch_speed.py on the same cells and print ratios"},
        {"peer-json", SK_OPT_VALUE, "FILE", "use a peer result file written earlier instead of running the peer"},
        {"python", SK_OPT_VALUE, "PATH", "interpreter for the peer (default /usr/bin/python3)"},
        {"peer-script", SK_OPT_VALUE, "PATH", "peer script (default: the source tree's benchmarks/peers/pytorch_speed.py)"},
    };
    sk_args a;
    int rc = sk_args_parse(
        &a, "skytune bench speed", "skytune bench speed [OPTIONS]",
        "For each cell (architecture x size x level, batch 32) measures the training step\n"
        "(forward + loss + backward + Adam), inference, and with a frozen prefix the cached step;\n"
        "reports images/s, GFLOP/s counted from the graph, the fraction of the best sk_sgemm rate\n"
        "measured in the same run (every compiled-in GEMM backend), a per-op-class breakdown,\n"
        "planned and peak memory. Medians of --repeats; a cell whose spread exceeds 25% is flagged\n"
        "contended (the host is shared). Writes a table to stdout and JSON to --out.\n"
        "The default grid (7 models x 3 sizes x 3 levels) includes 512 px and runs for hours;\n"
        "--quick took 10 s on the 2-core development machine.",
        opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0)) return 2;
    sk_speed_request r = {0};
    r.quick = sk_args_has(&a, "quick");
    long batch, repeats, warmup;
    if (sk_args_long(&a, "batch", 32, 1, 4096, &batch) ||
        sk_args_long(&a, "repeats", r.quick ? 2 : 5, 1, 64, &repeats) ||
        sk_args_long(&a, "warmup", 1, 0, 100, &warmup))
        return 2;
    r.batch = (int)batch, r.repeats = (int)repeats, r.warmup = (int)warmup;
    r.archs = sk_args_str(&a, "arch", NULL);
    r.sizes = sk_args_str(&a, "sizes", NULL);
    r.levels = sk_args_str(&a, "levels", NULL);
    r.plan = sk_args_has(&a, "plan");
    r.breakdown = sk_args_has(&a, "breakdown");
    r.gemm_rates = !sk_args_has(&a, "no-gemm-rates");
    r.infer = !sk_args_has(&a, "no-infer");
    r.cached = !sk_args_has(&a, "no-cached");
    r.gemm = sk_args_str(&a, "gemm", NULL);
    r.out = sk_args_str(&a, "out", "results/speed/speed.json");
    r.peer = sk_args_has(&a, "peer");
    r.peer_json = sk_args_str(&a, "peer-json", NULL);
    r.python = sk_args_str(&a, "python", "/usr/bin/python3");
    r.peer_script = sk_args_str(&a, "peer-script", NULL);
    sk_error err;
    sk_status s = sk_speed_bench(&r, stdout, &err);
    if (s) fprintf(stderr, "skytune bench speed: %s\n", err.msg);
    return s == SK_OK ? 0 : s == SK_EINVAL ? 2 : 1;
}
