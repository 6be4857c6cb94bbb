/* prefix_cache.c: list and prune the on-disk frozen-prefix cache (see prefix_cache.h). */
#include "prefix_cache.h"
#include "sk_base.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *sk_pcache_dir(const char *cache_root) { return sk_path_join(cache_root, "prefix"); }

static int newest_first(const void *a, const void *b)
{
    const sk_pcache_entry *x = a, *y = b;
    if (x->mtime != y->mtime) return x->mtime < y->mtime ? 1 : -1;
    return strcmp(x->name, y->name);
}

sk_status sk_pcache_list(const char *dir, sk_pcache_entry **e, int *n, uint64_t *total, sk_error *err)
{
    *e = NULL;
    *n = 0;
    *total = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return SK_OK;
        return sk_error_set(err, SK_EIO, "%s: cannot list: %s", dir, strerror(errno));
    }
    int cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 6 || l >= sizeof (*e)->name || strcmp(de->d_name + l - 5, ".skfc") != 0) continue;
        char *p = sk_path_join(dir, de->d_name);
        struct stat st;
        int ok = lstat(p, &st) == 0 && S_ISREG(st.st_mode);
        free(p);
        if (!ok) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            *e = sk_xrealloc(*e, (size_t)cap * sizeof **e);
        }
        sk_pcache_entry *x = &(*e)[(*n)++];
        memcpy(x->name, de->d_name, l + 1); /* l < sizeof x->name, checked above */
        x->bytes = (uint64_t)st.st_size;
        x->mtime = (int64_t)st.st_mtime;
        *total += x->bytes;
    }
    closedir(d);
    if (*n > 1) qsort(*e, (size_t)*n, sizeof **e, newest_first);
    return SK_OK;
}

sk_status sk_pcache_prune(const char *dir, uint64_t max_bytes, int *removed, uint64_t *freed, sk_error *err)
{
    if (removed) *removed = 0;
    if (freed) *freed = 0;
    sk_pcache_entry *e;
    int n;
    uint64_t total;
    sk_status s = sk_pcache_list(dir, &e, &n, &total, err);
    if (s) return s;
    for (int i = n - 1; i >= 0 && total > max_bytes; i--) {
        char *p = sk_path_join(dir, e[i].name);
        if (unlink(p) == 0) {
            total -= e[i].bytes;
            if (removed) (*removed)++;
            if (freed) *freed += e[i].bytes;
            sk_debug("prefix cache: removed %s (%llu bytes)", p, (unsigned long long)e[i].bytes);
        } else if (errno != ENOENT) {
            s = sk_error_set(err, SK_EIO, "%s: cannot remove: %s", p, strerror(errno));
        }
        free(p);
        if (s) break;
    }
    free(e);
    return s;
}

sk_status sk_parse_size(const char *text, uint64_t *out, sk_error *err)
{
    char *end;
    errno = 0;
    if (!text || !isdigit((unsigned char)*text))
        return sk_error_set(err, SK_EINVAL, "size '%s': expected a number with an optional unit K, M, G or T",
                            text ? text : "");
    double v = strtod(text, &end);
    uint64_t mult = 1;
    switch (toupper((unsigned char)*end)) {
    case 'K': mult = (uint64_t)1 << 10; end++; break;
    case 'M': mult = (uint64_t)1 << 20; end++; break;
    case 'G': mult = (uint64_t)1 << 30; end++; break;
    case 'T': mult = (uint64_t)1 << 40; end++; break;
    default: break;
    }
    if (mult > 1 && toupper((unsigned char)*end) == 'I') end++;
    if (toupper((unsigned char)*end) == 'B') end++;
    if (errno || *end || v < 0 || v * (double)mult > 1.8e19)
        return sk_error_set(err, SK_EINVAL, "size '%s': expected a number with an optional unit K, M, G or T", text);
    *out = (uint64_t)(v * (double)mult);
    return SK_OK;
}
