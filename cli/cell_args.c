/* cell_args.c: the trained-cell options (see cell_args.h). */
#include "cell_args.h"

#include <stdio.h>
#include <string.h>

int sk_cell_args(const sk_args *a, const char *cmd, sk_trained_opts *o)
{
    memset(o, 0, sizeof *o);
    o->cell_dir = sk_args_str(a, "cell", NULL);
    o->weights = sk_args_str(a, "weights", NULL);
    o->arch = sk_args_str(a, "arch", NULL);
    o->allow_unfinished = sk_args_has(a, "allow-unfinished");
    o->label = cmd;
    if (!o->cell_dir == !o->weights) {
        fprintf(stderr, "%s: give either --cell DIR or --weights W.skck (with --arch)\n", cmd);
        return SK_ARGS_ERROR;
    }
    if (o->cell_dir && o->arch) {
        fprintf(stderr, "%s: --arch goes with --weights; a cell knows its architecture\n", cmd);
        return SK_ARGS_ERROR;
    }
    const char *which = sk_args_str(a, "checkpoint", "last");
    if (strcmp(which, "last") == 0) o->which = SK_CELL_CKPT_LAST;
    else if (strcmp(which, "best") == 0) o->which = SK_CELL_CKPT_BEST;
    else {
        fprintf(stderr, "%s: --checkpoint: expected last or best, found \"%s\"\n", cmd, which);
        return SK_ARGS_ERROR;
    }
    if (o->weights && sk_args_has(a, "checkpoint")) {
        fprintf(stderr, "%s: --checkpoint chooses among a cell's checkpoints; --weights names one already\n", cmd);
        return SK_ARGS_ERROR;
    }
    return SK_ARGS_OK;
}
