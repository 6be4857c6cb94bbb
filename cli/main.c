/* main.c: `skytune`: global options, then dispatch to a subcommand. The only place that exits. */
#include "sk_base.h"
#include "sk_core.h"
#include "commands.h"

#include <stdio.h>
#include <string.h>

static const sk_subcommand top[] = {
    {"dataset", sk_cmd_dataset, "build data sets: query, fetch, cutout, synth, import, pack, info, verify, export"},
    {"arch", sk_cmd_arch, "the seven architectures: list, show, levels (TLR/TPR)"},
    {"weights", sk_cmd_weights, "weights: fetch, import (Keras HDF5, TF.js), export a cell"},
    {"train", sk_cmd_train, "train one (architecture, freeze level, seed) cell"},
    {"predict", sk_cmd_predict, "classify new objects (.skds, images, catalog) with a trained cell"},
    {"evaluate", sk_cmd_evaluate, "score a trained cell on a split of a data set: metrics, figures"},
    {"bench", sk_cmd_bench, "benchmark suites: run, check, status, slurm, speed"},
    {"report", sk_cmd_report, "tables and gnuplot figures from result records"},
    {"reproduce", sk_cmd_reproduce, "the whole pipeline end to end"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: skytune [--quiet] [--verbose] COMMAND [ARGS...]\n"
            "       skytune --version | --help\n\n"
            "skytune reproduces Ethiraj & Bolla, \"Classification of Astronomical Bodies by\n"
            "Efficient Layer Fine-Tuning of Deep Neural Networks\" (arXiv:2205.07124).\n\n"
            "commands:\n");
    for (size_t i = 0; i < SK_ARRAY_LEN(top); i++)
        fprintf(out, "  %-10s %s\n", top[i].name, top[i].summary);
    fprintf(out, "\n'skytune COMMAND --help' describes each command.\n");
}

int sk_dispatch(const char *prog, const sk_subcommand *subs, int nsubs, int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        FILE *out = argc < 1 ? stderr : stdout;
        fprintf(out, "usage: %s SUBCOMMAND [ARGS...]\n\nsubcommands:\n", prog);
        for (int i = 0; i < nsubs; i++) fprintf(out, "  %-10s %s\n", subs[i].name, subs[i].summary);
        fprintf(out, "\n'%s SUBCOMMAND --help' describes each.\n", prog);
        return argc < 1 ? 2 : 0;
    }
    for (int i = 0; i < nsubs; i++)
        if (strcmp(argv[0], subs[i].name) == 0) return subs[i].run(argc - 1, argv + 1);
    fprintf(stderr, "%s: unknown subcommand '%s' (see %s --help)\n", prog, argv[0], prog);
    return 2;
}

int sk_not_implemented(const char *what)
{
    fprintf(stderr, "skytune %s: not implemented in this build yet\n", what);
    return 1;
}

int main(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--version") == 0) {
            sk_buildinfo_print(stdout);
            return 0;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            sk_log_set_quiet(1);
        } else if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0) {
            sk_log_set_level(SK_LOG_DEBUG);
        } else {
            fprintf(stderr, "skytune: unknown option '%s' (see skytune --help)\n", argv[i]);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    sk_error err;
    if (sk_gemm_init_from_env(&err) != SK_OK) {
        fprintf(stderr, "skytune: %s\n", err.msg);
        return 2;
    }
    return sk_dispatch("skytune", top, (int)SK_ARRAY_LEN(top), argc - i, argv + i);
}
