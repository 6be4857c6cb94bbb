/* weights_get.c: the weights policy of a suite (see weights_get.h): cache, official download,
 * weights_script, initialisers; each failed step said with its reason. */
#include "weights_get.h"
#include "sk_base.h"
#include "suite.h"
#include "sk_arch.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SK_SOURCE_DIR
#define SK_SOURCE_DIR "."
#endif

const char *sk_weights_expected_hash(const sk_arch_info *ai, char buf[129])
{
    const char *file = getenv("SKYTUNE_WEIGHTS_HASHES");
    if (!file || !*file || !ai->notop.file_name) return ai->notop.hash;
    uint8_t *text = NULL;
    size_t n = 0;
    sk_error e;
    if (sk_read_file(file, &text, &n, 1 << 20, &e) != SK_OK) {
        sk_warn("SKYTUNE_WEIGHTS_HASHES: %s; using the published hashes", e.msg);
        return ai->notop.hash;
    }
    const char *found = ai->notop.hash;
    size_t fl = strlen(ai->notop.file_name);
    for (char *line = (char *)text, *next; line && line < (char *)text + n; line = next) {
        next = memchr(line, '\n', (size_t)((char *)text + n - line));
        if (next) *next++ = '\0';
        if (strncmp(line, ai->notop.file_name, fl) != 0 || !isspace((unsigned char)line[fl])) continue;
        const char *h = line + fl;
        while (isspace((unsigned char)*h)) h++;
        size_t hl = strcspn(h, " \t\r");
        if (hl == 32 || hl == 64) {
            snprintf(buf, 129, "%.*s", (int)hl, h);
            found = buf;
        }
    }
    free(text);
    return found;
}

/* The Keras file in the cache, verifying (or the TF.js model a weights_script put there). */
static int in_cache(const sk_arch_info *ai, const char *root, const char *hash, char *path, size_t cap,
                    char *why, size_t wcap)
{
    if (ai->notop.file_name) {
        snprintf(path, cap, "%s/keras/%s", root, ai->notop.file_name);
        if (sk_file_exists(path)) {
            sk_error e;
            if (!hash || sk_file_hash_check(path, hash, &e) == SK_OK) return 1;
            snprintf(why, wcap, "%.900s", e.msg);
        }
    }
    snprintf(path, cap, "%s/tfjs/%s/model.json", root, ai->id);
    if (sk_file_exists(path)) return 1;
    path[0] = '\0';
    return 0;
}

static sk_status download(const sk_arch_info *ai, const char *root, const char *hash,
                          const sk_weights_get_opts *o, char *path, size_t cap, sk_error *err)
{
    if (!ai->notop.file_name || !ai->notop.url)
        return sk_error_set(err, SK_ENOTFOUND, "%s has no official weight file", ai->id);
    const char *base = o->url_base && *o->url_base ? o->url_base : getenv("SKYTUNE_WEIGHTS_URL");
    char url[2048];
    if (base && *base) {
        size_t bl = strlen(base);
        while (bl > 0 && base[bl - 1] == '/') bl--;
        snprintf(url, sizeof url, "%.*s/%s", (int)bl, base, ai->notop.file_name);
    } else {
        snprintf(url, sizeof url, "%s", ai->notop.url);
    }
    sk_weights_source src = ai->notop;
    src.hash = hash;
    sk_weights_fetch_opts fo = {url, 0, o->quiet, 0};
    char *got = NULL;
    sk_info("weights: %s: downloading %s", ai->id, url);
    sk_status s = sk_weights_fetch(&src, root, &fo, &got, NULL, err);
    if (!s) snprintf(path, cap, "%s", got);
    free(got);
    return s;
}

/* Runs ai's weights_script with SKYTUNE_CACHE=root, its stdout sent to stderr. */
static sk_status run_script(const sk_arch_info *ai, const char *root, sk_error *err)
{
    const char *off = getenv("SKYTUNE_NO_WEIGHTS_SCRIPT");
    if (!ai->weights_script) return sk_error_set(err, SK_ENOTFOUND, "no weights script for %s", ai->id);
    if (off && *off && strcmp(off, "0") != 0)
        return sk_error_set(err, SK_ENOTFOUND, "%s not run (SKYTUNE_NO_WEIGHTS_SCRIPT is set)", ai->weights_script);
    char script[2048];
    snprintf(script, sizeof script, "%s/%s", SK_SOURCE_DIR, ai->weights_script);
    if (!sk_file_exists(script))
        return sk_error_set(err, SK_ENOTFOUND, "%s not found (it ships with the source tree)", script);
    sk_info("weights: %s: running %s", ai->id, script);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return sk_error_set(err, SK_EIO, "fork for %s failed", script);
    if (pid == 0) {
        setenv("SKYTUNE_CACHE", root, 1);
        dup2(2, 1);
        execlp("bash", "bash", script, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {}
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return sk_error_set(err, SK_ENOTFOUND, "%s failed (exit %d)", script,
                            WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return SK_OK;
}

static void add_why(sk_weights_got *got, const char *step, const char *msg)
{
    size_t n = strlen(got->why);
    snprintf(got->why + n, sizeof got->why - n, "%s%s: %s", n ? "; " : "", step, msg);
}

sk_status sk_weights_get(const sk_arch_info *ai, int kind, const sk_weights_get_opts *o,
                         sk_weights_got *got, sk_error *err)
{
    memset(got, 0, sizeof *got);
    snprintf(got->how, sizeof got->how, "none");
    if (kind == SK_WEIGHTS_SCRATCH) return SK_OK;
    char *root = sk_weights_cache_dir(o->cache_dir);
    if (!root) return sk_error_set(err, SK_EINVAL, "no weights cache: set SKYTUNE_CACHE or HOME, or give --cache");
    char hbuf[129], why[1024] = "";
    const char *hash = sk_weights_expected_hash(ai, hbuf);
    sk_status s = SK_OK;
    if (in_cache(ai, root, hash, got->path, sizeof got->path, why, sizeof why)) {
        snprintf(got->how, sizeof got->how, "cache");
        goto done;
    }
    if (why[0]) add_why(got, "cache", why);
    sk_error e;
    if (download(ai, root, hash, o, got->path, sizeof got->path, &e) == SK_OK) {
        snprintf(got->how, sizeof got->how, "download");
        goto done;
    }
    add_why(got, "official file", e.msg);
    if (kind == SK_WEIGHTS_IMAGENET) {
        s = sk_error_set(err, e.code, "%s: no ImageNet weights: %s", ai->id, got->why);
        goto done;
    }
    if (ai->weights_script) {
        sk_error_clear(&e);
        sk_status rs = run_script(ai, root, &e);
        if (!rs && in_cache(ai, root, hash, got->path, sizeof got->path, why, sizeof why)) {
            snprintf(got->how, sizeof got->how, "script");
            goto done;
        }
        add_why(got, "weights script", rs ? e.msg : "it ran but left no model in the cache");
    }
    got->path[0] = '\0';
    sk_warn("weights: %s: no ImageNet weights available (%s); its cells start from the seeded Keras initialisers",
            ai->id, got->why);
done:
    if (!s && strcmp(got->how, "none") != 0) sk_info("weights: %s: %s (%s)", ai->id, got->path, got->how);
    free(root);
    return s;
}
