/* cell_args.h: the options every command that uses a trained cell takes (predict, evaluate,
 * weights export): --cell DIR, or --arch A --weights W.skck; --checkpoint last|best;
 * --allow-unfinished. SK_CELL_OPTS goes into the command's option table. */
#ifndef SK_CELL_ARGS_H
#define SK_CELL_ARGS_H

#include "args.h"
#include "sk_benchmarks.h"

#define SK_CELL_OPTS                                                                                                  \
    {"cell", SK_OPT_VALUE, "DIR", "a trained cell (skytune train / bench run): run.json, ckpt/, DONE"},                   \
    {"arch", SK_OPT_VALUE, "ARCH", "with --weights: the architecture (default: the checkpoint's)"},                      \
    {"weights", SK_OPT_VALUE, "W.skck", "instead of --cell: a checkpoint of a model with its Dense head"},               \
    {"checkpoint", SK_OPT_VALUE, "last|best", "the cell's final weights (default) or those of its best validation epoch"}, \
    {"allow-unfinished", SK_OPT_FLAG, NULL, "use the last epoch checkpoint of a cell that has not finished"}

/* Fills o from the parsed options (label names the command in messages); prints a usage error
 * and returns SK_ARGS_ERROR when neither --cell nor --weights is given, or both. */
int sk_cell_args(const sk_args *a, const char *cmd, sk_trained_opts *o);

#endif
