/* cmd_bench_cache.c: `skytune bench cache`: list the on-disk frozen-prefix cache of --cache DIR
 * (DIR/prefix, benchmarks/prefix_cache.h), or prune it to a size. Parses and dispatches. */
#include "args.h"
#include "commands.h"
#include "sk_benchmarks.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int sk_cmd_bench_cache(int argc, char **argv)
{
    static const sk_opt opts[] = {
        {"cache", SK_OPT_VALUE, "DIR", "the cache folder given to train / bench run / reproduce (required)"},
        {"prune", SK_OPT_FLAG, NULL, "remove the least recently used entries until the rest fits --max"},
        {"max", SK_OPT_VALUE, "SIZE", "with --prune: the size to keep, e.g. 8G or 0 for none (default 16G)"},
    };
    sk_args a;
    int rc = sk_args_parse(&a, "skytune bench cache", "skytune bench cache --cache DIR [--prune [--max SIZE]]",
                           "Lists the frozen-prefix cache entries in DIR/prefix (one .skfc file per data split,\n"
                           "frozen level and prefix weights), most recently used first, with their sizes and\n"
                           "the total; --prune removes the least recently used until the total is at most --max.\n"
                           "Runs keep the folder within --cache-max by themselves; results never depend on it.",
                           opts, (int)SK_ARRAY_LEN(opts), argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    if (sk_args_npos(&a, 0, 0) || sk_args_require(&a, "cache")) return 2;
    sk_error err;
    uint64_t max = SK_PCACHE_DEFAULT_MAX;
    if (sk_args_has(&a, "max") && sk_parse_size(sk_args_str(&a, "max", ""), &max, &err)) {
        fprintf(stderr, "skytune bench cache: --max: %s\n", err.msg);
        return 2;
    }
    char *dir = sk_pcache_dir(sk_args_str(&a, "cache", ""));
    int status = 0;
    if (sk_args_has(&a, "prune")) {
        int removed;
        uint64_t freed;
        if (sk_pcache_prune(dir, max, &removed, &freed, &err)) {
            fprintf(stderr, "skytune bench cache: %s\n", err.msg);
            status = 1;
        } else {
            printf("removed %d entries (%.1f MB) from %s\n", removed, (double)freed / 1e6, dir);
        }
    }
    sk_pcache_entry *e;
    int n;
    uint64_t total;
    if (!status && sk_pcache_list(dir, &e, &n, &total, &err)) {
        fprintf(stderr, "skytune bench cache: %s\n", err.msg);
        status = 1;
    } else if (!status) {
        printf("%-69s %14s  %s\n", "entry", "bytes", "last used (UTC)");
        for (int i = 0; i < n; i++) {
            char when[32];
            time_t t = (time_t)e[i].mtime;
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
            printf("%-69s %14llu  %s\n", e[i].name, (unsigned long long)e[i].bytes, when);
        }
        printf("%d entries, %.1f MB in %s\n", n, (double)total / 1e6, dir);
        free(e);
    }
    free(dir);
    return status;
}
