/* cmd_weights_compare.c: `skytune weights compare A.skck B.skck`: are the tensors of two
 * checkpoints the same, name for name and bit for bit (core/checkpoint.h, sk_ckpt_compare)?
 * Exit 0 when they are, 1 when not (or a file cannot be read), 2 for usage errors. */
#include "args.h"
#include "sk_core.h"
#include "commands.h"

#include <stdio.h>

int sk_cmd_weights_compare(int argc, char **argv)
{
    static const sk_opt opts[] = {{"quiet", SK_OPT_FLAG, NULL, "no summary; the exit status says it"}};
    const char *cmd = "skytune weights compare";
    sk_args a;
    int rc = sk_args_parse(&a, cmd, "skytune weights compare A.skck B.skck",
                           "Compares the tensors of two checkpoints by Keras name: which are in one only, which differ "
                           "in shape, which differ in any bit, and the largest absolute difference. Metadata and "
                           "optimizer state are not compared. A round trip through `weights export` and `weights "
                           "import` must give identical tensors.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 2, 2)) return 2;
    sk_ckpt x, y;
    sk_error err;
    if (sk_ckpt_read(a.pos[0], &x, &err)) {
        fprintf(stderr, "%s: %s\n", cmd, err.msg);
        return 1;
    }
    if (sk_ckpt_read(a.pos[1], &y, &err)) {
        fprintf(stderr, "%s: %s\n", cmd, err.msg);
        sk_ckpt_free(&x);
        return 1;
    }
    sk_ckpt_diff d;
    int same = sk_ckpt_compare(&x, &y, &d);
    if (!sk_args_has(&a, "quiet"))
        printf("%s: %d tensors in both, %d only in %s, %d only in %s, %d of different shape, %d with different bits "
               "(max |a - b| %.9g)%s%s\n",
               same ? "identical" : "different", d.common, d.only_a, a.pos[0], d.only_b, a.pos[1], d.shape_differ,
               d.value_differ, d.max_abs, d.first[0] ? "; first: " : "", d.first);
    sk_ckpt_free(&x);
    sk_ckpt_free(&y);
    return same ? 0 : 1;
}
