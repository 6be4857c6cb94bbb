/* cmd_dataset_pack.c: `skytune dataset pack`: decode, resize and split images into a .skds file. */
#include "args.h"
#include "commands.h"
#include "sk_base.h"
#include "sk_dataset.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int sk_cmd_dataset_pack(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"in", SK_OPT_VALUE, "DIR", "folder with one subfolder per class (<CLASS>/<name>.jpg|png)"},
        {"out", SK_OPT_VALUE, "FILE.skds", "output data set (written atomically)"},
        {"size", SK_OPT_VALUE, "PX", "output height and width (Keras image_size=(PX, PX))"},
        {"height", SK_OPT_VALUE, "PX", "output height (overrides --size)"},
        {"width", SK_OPT_VALUE, "PX", "output width (overrides --size)"},
        {"val", SK_OPT_VALUE, "F", "validation fraction: the last int(F*n) shuffled files (default 0.2)"},
        {"test", SK_OPT_VALUE, "F", "held-out test fraction per class, drawn before the Keras split (default 0: none)"},
        {"seed", SK_OPT_VALUE, "N", "NumPy RandomState seed of the Keras shuffle (default 123)"},
        {"resize", SK_OPT_VALUE, "MODE", "bilinear (Keras: half-pixel, no antialias; default) or area"},
        {"dtype", SK_OPT_VALUE, "T", "u8 (default; rounds Keras' floats) or f32 (exact Keras floats)"},
        {"fast-dct", SK_OPT_FLAG, NULL, "decode JPEGs with libjpeg DCT scaling (faster, not Keras-exact)"},
        {"quiet", SK_OPT_FLAG, NULL, "no progress output"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune dataset pack",
                           "skytune dataset pack --in DIR --out FILE.skds --size PX [--val 0.2 --seed 123] [--test F]",
                           "Packs a class folder into a .skds file exactly as Keras' "
                           "image_dataset_from_directory loads it: classes in sorted order, files in "
                           "sorted order, NumPy RandomState(seed) shuffle, the last int(val*n) files "
                           "for validation, TensorFlow's JPEG decode and bilinear resize. --test F first sets "
                           "aside int(F*count) files of each class (RandomState(seed) shuffles per class) as a "
                           "held-out test split; the rest is split as Keras would split a folder without them, "
                           "so --test 0 gives exactly Keras' train and validation sets.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0) || sk_args_require(&a, "in") || sk_args_require(&a, "out")) return 2;
    sk_pack_opts o;
    sk_pack_opts_init(&o);
    long size, hgt, wid, seed;
    double val, test;
    if (sk_args_long(&a, "size", 0, 1, SK_SKDS_MAX_DIM, &size) ||
        sk_args_long(&a, "height", size, 1, SK_SKDS_MAX_DIM, &hgt) ||
        sk_args_long(&a, "width", size, 1, SK_SKDS_MAX_DIM, &wid) ||
        sk_args_long(&a, "seed", 123, 0, 4294967295L, &seed) ||
        sk_args_double(&a, "val", 0.2, 0.0, 0.999999, &val) ||
        sk_args_double(&a, "test", 0.0, 0.0, 0.999999, &test))
        return 2;
    if (hgt < 1 || wid < 1) {
        fprintf(stderr, "skytune dataset pack: missing --size (or --height and --width)\n");
        return 2;
    }
    const char *rs = sk_args_str(&a, "resize", "bilinear"), *dt = sk_args_str(&a, "dtype", "u8");
    if (!strcmp(rs, "bilinear")) o.resize = SK_RESIZE_BILINEAR;
    else if (!strcmp(rs, "area")) o.resize = SK_RESIZE_AREA;
    else {
        fprintf(stderr, "skytune dataset pack: --resize: expected bilinear or area, found '%s'\n", rs);
        return 2;
    }
    if (!strcmp(dt, "u8")) o.dtype = SK_SKDS_U8;
    else if (!strcmp(dt, "f32")) o.dtype = SK_SKDS_F32;
    else {
        fprintf(stderr, "skytune dataset pack: --dtype: expected u8 or f32, found '%s'\n", dt);
        return 2;
    }
    char cmd[4096];
    size_t len = (size_t)snprintf(cmd, sizeof cmd, "skytune dataset pack");
    for (int i = 0; i < argc && len < sizeof cmd; i++)
        len += (size_t)snprintf(cmd + len, sizeof cmd - len, " %s", argv[i]);
    o.in_dir = sk_args_str(&a, "in", NULL);
    o.out_path = sk_args_str(&a, "out", NULL);
    o.height = (uint32_t)hgt;
    o.width = (uint32_t)wid;
    o.seed = (uint32_t)seed;
    o.val = val;
    o.test = test;
    o.fast_dct = sk_args_has(&a, "fast-dct");
    o.command = cmd;
    o.progress = !sk_args_has(&a, "quiet");
    sk_error err;
    sk_pack_stats st;
    if (sk_pack_run(&o, &st, &err)) {
        fprintf(stderr, "skytune dataset pack: %s\n", err.msg);
        return 1;
    }
    if (!sk_args_has(&a, "quiet"))
        fprintf(stderr, "packed %zu images (%u classes; %zu train, %zu val, %zu test) into %s in %.2f s "
                "(%.1f images/s)\n", st.nfiles, st.nclasses, st.ntrain, st.nval, st.ntest, o.out_path, st.seconds,
                st.seconds > 0 ? (double)st.nfiles / st.seconds : 0.0);
    return 0;
}
