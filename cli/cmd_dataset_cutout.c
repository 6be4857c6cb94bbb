/* cmd_dataset_cutout.c: `skytune dataset cutout`: cut SkyServer-like colour cutouts from SDSS
 * frame files (dataset/cutout.h). Exit 0 when every object was written, 3 when some were
 * skipped (each one warned), 1 when nothing usable was written or on an error, 2 on usage. */
#include "args.h"
#include "commands.h"

#include <stdio.h>
#include <string.h>

#include "sk_dataset.h"
#include "sk_base.h"

int sk_cmd_dataset_cutout(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"frames", SK_OPT_VALUE, "DIR", "folder with frame-{g,r,i}-RRRRRR-C-FFFF.fits[.bz2] (and frame-irg-*.jpg)"},
        {"objects", SK_OPT_VALUE, "CSV", "objects: header with ra (or ra_*), dec (or dec_*), class (or label), optional objid"},
        {"scale", SK_OPT_VALUE, "ARCSEC", "arcsec per output pixel (default 0.396127, native)"},
        {"size", SK_OPT_VALUE, "PX", "output width = height (default 64)"},
        {"out", SK_OPT_VALUE, "DIR|FILE.skds", "output folder (<CLASS>/<objid>.png + manifest.tsv) or .skds"},
        {"from", SK_OPT_VALUE, "fits|jpeg", "FITS bands + Lupton composite (default) or the SAS colour JPEG"},
        {"format", SK_OPT_VALUE, "png|jpg", "image files of folder output (default png)"},
        {"quality", SK_OPT_VALUE, "Q", "JPEG quality 1..100 for --format jpg (default 90)"},
        {"min-coverage", SK_OPT_VALUE, "F", "skip objects whose cutout the frames cover less than F of (default 0.5)"},
        {"dedupe", SK_OPT_FLAG, NULL, "keep the first of rows sharing an objid (default: an error)"},
        {"quiet", SK_OPT_FLAG, NULL, "no progress output"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune dataset cutout",
                           "skytune dataset cutout --frames DIR --objects CSV --out DIR|FILE.skds [--scale S] [--size PX] [--from fits|jpeg]",
                           "Cuts SkyServer-like cutouts (north up, east left, centred on each object) from "
                           "SDSS corrected frames: g, r, i registered through their own WCS and combined "
                           "with the Lupton et al. (2004) asinh composite (i,r,g -> R,G,B), or resampled "
                           "from the frame colour JPEG through the r-band WCS. Objects outside every "
                           "field, outside one band's frame (a broken WCS) or covered less than "
                           "--min-coverage are skipped with a warning. Exit status: 0 every object "
                           "written; 3 written, but some objects skipped; 1 nothing usable written "
                           "(or an error); 2 usage error.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0) || sk_args_require(&a, "frames") || sk_args_require(&a, "objects") ||
        sk_args_require(&a, "out"))
        return 2;
    sk_cutout_opts o;
    sk_cutout_opts_init(&o);
    double scale, min_cov;
    long size;
    if (sk_args_double(&a, "scale", 0.396127, 1e-4, 60.0, &scale) ||
        sk_args_long(&a, "size", 64, 8, 4096, &size) ||
        sk_args_double(&a, "min-coverage", 0.5, 0.0, 1.0, &min_cov))
        return 2;
    const char *from_s = sk_args_str(&a, "from", "fits");
    sk_cutout_from from;
    if (strcmp(from_s, "fits") == 0)
        from = SK_CUTOUT_FROM_FITS;
    else if (strcmp(from_s, "jpeg") == 0)
        from = SK_CUTOUT_FROM_JPEG;
    else {
        fprintf(stderr, "skytune dataset cutout: --from expected fits or jpeg, found \"%s\"\n", from_s);
        return 2;
    }
    const char *fmt = sk_args_str(&a, "format", "png");
    long quality = 90;
    int jpeg_quality = 0;
    if (sk_args_long(&a, "quality", 90, 1, 100, &quality)) return 2;
    if (strcmp(fmt, "jpg") == 0 || strcmp(fmt, "jpeg") == 0)
        jpeg_quality = (int)quality;
    else if (strcmp(fmt, "png") != 0) {
        fprintf(stderr, "skytune dataset cutout: --format expected png or jpg, found \"%s\"\n", fmt);
        return 2;
    }
    if (sk_args_has(&a, "quiet")) sk_log_set_quiet(1);
    char command[1024];
    size_t used = (size_t)snprintf(command, sizeof command, "skytune dataset cutout");
    for (int i = 0; i < argc && used < sizeof command; i++)
        used += (size_t)snprintf(command + used, sizeof command - used, " %s", argv[i]);
    o.scale = scale;
    o.size = (int)size;
    o.from = from;
    o.jpeg_quality = jpeg_quality;
    o.min_coverage = min_cov;
    o.dedupe = sk_args_has(&a, "dedupe");
    o.command = command;
    o.progress = !sk_log_quiet();
    sk_error err;
    sk_cutout_stats st;
    double t0 = sk_now();
    if (sk_cutout_write(sk_args_str(&a, "out", NULL), sk_args_str(&a, "frames", NULL),
                        sk_args_str(&a, "objects", NULL), &o, &st, &err)) {
        fprintf(stderr, "skytune dataset cutout: %s\n", err.msg);
        return 1;
    }
    fprintf(stderr, "cutout: %zu of %zu objects written (%ldx%ld px, %.4g\"/px, from %s) in %.2f s; "
            "%zu skipped, %zu only partly covered by the frames\n", st.written, st.objects, size, size,
            scale, from_s, sk_now() - t0, st.skipped, st.partial);
    return st.skipped ? 3 : 0;
}
