/* cmd_dataset_synth.c: `skytune dataset synth`: render the SDSS-calibrated synthetic data set
 * (dataset/synth.h), or with --calibrate print synth_calib.h from a real catalog. */
#include "args.h"
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sk_base.h"
#include "sk_dataset.h"

/* "498,440,62" (STAR, GALAXY, QSO: the study's order) or "GALAXY=440,QSO=62,STAR=498";
 * weights land in label order (GALAXY, QSO, STAR). Returns 0 on success. */
static int parse_mix(const char *s, double mix[3])
{
    static const int positional[3] = {SK_SYNTH_STAR, SK_SYNTH_GALAXY, SK_SYNTH_QSO};
    mix[0] = mix[1] = mix[2] = 0.0;
    char buf[256];
    if (strlen(s) >= sizeof buf) return -1;
    strcpy(buf, s);
    int k = 0, named = strchr(buf, '=') != NULL;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), k++) {
        int label;
        char *num = tok;
        if (named) {
            char *eq = strchr(tok, '=');
            if (!eq) return -1;
            *eq = 0;
            label = sk_synth_class_parse(tok);
            num = eq + 1;
        } else {
            label = k < 3 ? positional[k] : -1;
        }
        if (label < 0) return -1;
        char *end = NULL;
        double v = strtod(num, &end);
        if (end == num || *end || !(v >= 0.0) || v > 1e12) return -1;
        mix[label] = v;
    }
    if (!named && k != 3) return -1;
    return mix[0] + mix[1] + mix[2] > 0 ? 0 : -1;
}

int sk_cmd_dataset_synth(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"out", SK_OPT_VALUE, "DIR|FILE.skds", "output folder (<CLASS>/<objid>.png + manifest.tsv) or .skds file"},
        {"n", SK_OPT_VALUE, "N", "number of objects (default 1000)"},
        {"mix", SK_OPT_VALUE, "S,G,Q", "class weights STAR,GALAXY,QSO (default the study's 498,440,62) or GALAXY=..,QSO=..,STAR=.."},
        {"seed", SK_OPT_VALUE, "S", "random seed (default 0); same seed = same bytes"},
        {"size", SK_OPT_VALUE, "PX", "output width = height in pixels (default 2048)"},
        {"scale", SK_OPT_VALUE, "ARCSEC", "arcsec per output pixel (default: 20.48/size, the study's 20.48\" field)"},
        {"val", SK_OPT_VALUE, "F", "validation fraction for .skds output (default 0.2)"},
        {"split-seed", SK_OPT_VALUE, "S", "seed of the Keras-rule split for .skds output (default 123, the study's)"},
        {"neighbours", SK_OPT_VALUE, "RATE", "mean faint field neighbours per 20.48\" field (default 0.3)"},
        {"calibrate", SK_OPT_VALUE, "CATALOG", "print synth_calib.h fitted to an SDSS catalog CSV and exit"},
        {"format", SK_OPT_VALUE, "png|jpg", "image files of folder output (default png)"},
        {"quality", SK_OPT_VALUE, "Q", "JPEG quality 1..100 for --format jpg (default 90)"},
        {"quiet", SK_OPT_FLAG, NULL, "no progress output"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune dataset synth",
                           "skytune dataset synth --out DIR|FILE.skds [--n 1000] [--mix 498,440,62] [--seed S] [--size PX] [--scale S]\n"
                           "skytune dataset synth --calibrate CATALOG.csv > dataset/synth_calib.h",
                           "Renders SDSS-like gri cutouts of stars, galaxies and quasars (PSF sources and "
                           "PSF-convolved Sersic galaxies, per-class colours fitted to a real SDSS catalog, "
                           "sky/Poisson/read noise, Lupton asinh RGB) at the native 0.396\"/px, resampled "
                           "to the requested scale. Bit-identical for the same seed.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0)) return 2;
    sk_error err;
    if (sk_args_has(&a, "calibrate")) {
        if (sk_synth_calibrate(sk_args_str(&a, "calibrate", NULL), stdout, &err)) {
            fprintf(stderr, "skytune dataset synth: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
    if (sk_args_require(&a, "out")) return 2;
    sk_synth_config c;
    sk_synth_config_default(&c);
    long n = 1000, seed = 0, size = 2048, split_seed = 123;
    double scale = 0, val = 0.2, nb = c.neighbour_rate;
    if (sk_args_long(&a, "n", 1000, 1, 100000000, &n) || sk_args_long(&a, "seed", 0, 0, 0x7fffffffffffffffL, &seed) ||
        sk_args_long(&a, "size", 2048, 8, SK_SYNTH_MAX_SIZE, &size) ||
        sk_args_double(&a, "scale", 0, 1e-4, 10.0, &scale) ||
        sk_args_double(&a, "val", 0.2, 0.0, 0.99, &val) ||
        sk_args_long(&a, "split-seed", 123, 0, 0xffffffffL, &split_seed) ||
        sk_args_double(&a, "neighbours", nb, 0.0, 10.0, &nb))
        return 2;
    double mix[3];
    if (parse_mix(sk_args_str(&a, "mix", "498,440,62"), mix)) {
        fprintf(stderr, "skytune dataset synth: --mix expected three weights STAR,GALAXY,QSO "
                        "(e.g. 498,440,62) or NAME=W,..., found \"%s\"\n", sk_args_str(&a, "mix", ""));
        return 2;
    }
    c.size = (int)size;
    c.scale = sk_args_has(&a, "scale") ? scale : 20.48 / (double)size;
    c.seed = (uint64_t)seed;
    c.neighbour_rate = nb;
    const char *fmt = sk_args_str(&a, "format", "png");
    long quality = 90;
    if (sk_args_long(&a, "quality", 90, 1, 100, &quality)) return 2;
    if (strcmp(fmt, "jpg") == 0 || strcmp(fmt, "jpeg") == 0)
        c.jpeg_quality = (int)quality;
    else if (strcmp(fmt, "png") != 0) {
        fprintf(stderr, "skytune dataset synth: --format expected png or jpg, found \"%s\"\n", fmt);
        return 2;
    }
    if (sk_args_has(&a, "quiet")) sk_log_set_quiet(1);

    char command[1024];
    size_t used = (size_t)snprintf(command, sizeof command, "skytune dataset synth");
    for (int i = 0; i < argc && used < sizeof command; i++)
        used += (size_t)snprintf(command + used, sizeof command - used, " %s", argv[i]);

    const char *out = sk_args_str(&a, "out", NULL);
    double secs = 0;
    if (sk_synth_write_split(out, &c, (uint64_t)n, mix, val, (uint32_t)split_seed, command,
                             !sk_log_quiet(), &secs, &err)) {
        fprintf(stderr, "skytune dataset synth: %s\n", err.msg);
        return 1;
    }
    sk_info("synth: %ld objects (%dx%d px, %.4g\"/px) -> %s in %.2f s (%.1f images/s)", n, c.size,
            c.size, c.scale, out, secs, secs > 0 ? (double)n / secs : 0.0);
    return 0;
}
