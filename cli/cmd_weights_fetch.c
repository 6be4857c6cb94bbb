/* cmd_weights_fetch.c: `skytune weights fetch ARCH...`: downloads the official Keras ImageNet
 * notop weight file of each architecture into the cache and verifies the hash Keras publishes
 * (arch/weights_fetch.h). Prints each cached file's path on stdout; exit 0 only if every file
 * is present and verified, 2 for usage errors (unknown architecture). */
#include "args.h"
#include "commands.h"
#include "sk_base.h"
#include "sk_arch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void list_sources(FILE *out)
{
    for (int i = 0; i < sk_arch_count(); i++) {
        const sk_arch_info *ai = sk_arch_get(i);
        const sk_weights_source *s = &ai->notop;
        fprintf(out, "%-15s %-7s %s\n", ai->id,
                s->hash ? (strlen(s->hash) == 64 ? "sha256" : "md5") : "none", s->url);
    }
}

int sk_cmd_weights_fetch(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"cache", SK_OPT_VALUE, "DIR", "cache directory (default $SKYTUNE_CACHE, else $XDG_CACHE_HOME/skytune, else ~/.cache/skytune)"},
        {"url", SK_OPT_VALUE, "URL", "download from this mirror URL instead of the Keras URL (one ARCH only)"},
        {"timeout", SK_OPT_VALUE, "S", "give up a transfer after S seconds (default: none; a 60 s stall always aborts)"},
        {"force", SK_OPT_FLAG, NULL, "download even if a verified file is cached"},
        {"list", SK_OPT_FLAG, NULL, "list the architectures, hash kinds and URLs, and exit"},
        {"quiet", SK_OPT_FLAG, NULL, "no progress output"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune weights fetch", "skytune weights fetch [OPTIONS] ARCH...|all",
                           "Downloads the official Keras ImageNet weights (include_top=False) of each "
                           "architecture into <cache>/keras/ and verifies the MD5/SHA-256 Keras "
                           "publishes for the file (MobileNetV2 has none: its SHA-256 is reported). "
                           "Prints the path of each verified file on stdout.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_has(&a, "list")) {
        list_sources(stdout);
        return 0;
    }
    if (sk_args_npos(&a, 1, SK_ARGS_MAX_POS)) return 2;
    long timeout = 0;
    if (sk_args_long(&a, "timeout", 0, 0, 86400, &timeout)) return 2;

    const sk_arch_info *todo[16];
    int ntodo = 0;
    for (int i = 0; i < a.npos; i++) {
        if (strcmp(a.pos[i], "all") == 0) {
            for (int k = 0; k < sk_arch_count() && ntodo < (int)SK_ARRAY_LEN(todo); k++)
                todo[ntodo++] = sk_arch_get(k);
            continue;
        }
        const sk_arch_info *s = sk_arch_find(a.pos[i]);
        if (!s) {
            fprintf(stderr, "skytune weights fetch: unknown architecture '%s'; expected one of:", a.pos[i]);
            for (int k = 0; k < sk_arch_count(); k++) fprintf(stderr, " %s", sk_arch_get(k)->id);
            fprintf(stderr, " (or all)\n");
            return 2;
        }
        if (ntodo < (int)SK_ARRAY_LEN(todo)) todo[ntodo++] = s;
    }
    const char *url = sk_args_str(&a, "url", NULL);
    if (url && ntodo != 1) {
        fprintf(stderr, "skytune weights fetch: --url needs exactly one ARCH, found %d\n", ntodo);
        return 2;
    }
    char *cache = sk_weights_cache_dir(sk_args_str(&a, "cache", NULL));
    if (!cache) {
        fprintf(stderr, "skytune weights fetch: no cache directory: give --cache DIR or set SKYTUNE_CACHE\n");
        return 2;
    }
    sk_weights_fetch_opts o = {url, timeout, sk_args_has(&a, "quiet") || sk_log_quiet(), sk_args_has(&a, "force")};
    int failed = 0;
    for (int i = 0; i < ntodo; i++) {
        sk_error err;
        char *path = NULL;
        int downloaded = 0;
        if (sk_weights_fetch(&todo[i]->notop, cache, &o, &path, &downloaded, &err) != SK_OK) {
            fprintf(stderr, "skytune weights fetch: %s: %s\n", todo[i]->id, err.msg);
            failed = 1;
            continue;
        }
        sk_info("%s: %s %s", todo[i]->id, downloaded ? "downloaded" : "already cached", path);
        printf("%s\n", path);
        free(path);
    }
    free(cache);
    return failed;
}
