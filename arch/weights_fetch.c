/* weights_fetch.c: a verified libcurl download of the Keras weight file a descriptor names (see
 * weights_fetch.h). The .part file is fsync'ed and hashed before the rename; any failure
 * removes it. */
#include "weights_fetch.h"
#include "sk_base.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const sk_weights_source *sk_weights_source_find(const char *arch)
{
    const sk_arch_info *a = sk_arch_find(arch);
    return a && a->notop.url ? &a->notop : NULL;
}

char *sk_weights_cache_dir(const char *explicit_dir)
{
    if (explicit_dir && explicit_dir[0]) return sk_xstrdup(explicit_dir);
    const char *e = getenv("SKYTUNE_CACHE");
    if (e && e[0]) return sk_xstrdup(e);
    e = getenv("XDG_CACHE_HOME");
    if (e && e[0]) return sk_path_join(e, "skytune");
    e = getenv("HOME");
    if (e && e[0]) return sk_path_join(e, ".cache/skytune");
    return NULL;
}

sk_status sk_file_hash_check(const char *path, const char *hex, sk_error *err)
{
    size_t n = strlen(hex);
    char got[65];
    const char *algo;
    if (n == 32) {
        algo = "md5";
        sk_status st = sk_md5_file(path, got, err);
        if (st) return st;
    } else if (n == 64) {
        algo = "sha256";
        sk_status st = sk_sha256_file(path, got, err);
        if (st) return st;
    } else {
        return sk_error_set(err, SK_EINVAL, "hash '%s': expected 32 (md5) or 64 (sha256) hex digits, found %zu",
                            hex, n);
    }
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)hex[i]) != got[i])
            return sk_error_set(err, SK_ECHECKSUM, "%s: %s expected %s, found %s", path, algo, hex, got);
    return SK_OK;
}

typedef struct {
    FILE *fp;
    sk_progress prog;
    uint64_t written;
    int write_failed;
} xfer;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user)
{
    xfer *x = user;
    size_t n = size * nmemb;
    if (fwrite(ptr, 1, n, x->fp) != n) {
        x->write_failed = 1;
        return 0;
    }
    x->written += n;
    return n;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)ultotal;
    (void)ulnow;
    xfer *x = user;
    if (dltotal > 0 && x->prog.total != (uint64_t)dltotal) x->prog.total = (uint64_t)dltotal;
    sk_progress_update(&x->prog, (uint64_t)dlnow);
    return 0;
}

sk_status sk_download_verified(const char *url, const char *dest, const char *hex,
                               const sk_weights_fetch_opts *o, sk_error *err)
{
    static const sk_weights_fetch_opts defaults = {NULL, 0, 0, 0};
    if (!o) o = &defaults;
    sk_status st = SK_OK;
    size_t dl = strlen(dest);
    char *part = sk_xmalloc(dl + 6);
    memcpy(part, dest, dl);
    memcpy(part + dl, ".part", 6);
    CURL *c = NULL;
    xfer x;
    memset(&x, 0, sizeof x);
    x.fp = fopen(part, "wb");
    if (!x.fp) {
        st = sk_error_set(err, SK_EIO, "%s: cannot create: %s", part, strerror(errno));
        free(part);
        return st;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        st = sk_error_set(err, SK_ENET, "libcurl could not be initialised");
        goto fail;
    }
    c = curl_easy_init();
    if (!c) {
        st = sk_error_set(err, SK_ENET, "libcurl: no easy handle");
        goto fail_global;
    }
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    if (o->timeout_s > 0) curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout_s);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "skytune");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    if (!o->quiet) {
        const char *base = strrchr(dest, '/');
        sk_progress_begin(&x.prog, base ? base + 1 : dest, 0, NULL);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }
    CURLcode rc = curl_easy_perform(c);
    if (!o->quiet) sk_progress_end(&x.prog);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (x.write_failed) {
        st = sk_error_set(err, SK_EIO, "%s: write failed after %llu bytes (disk full?)", part,
                          (unsigned long long)x.written);
        goto fail_curl;
    }
    if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY ||
        rc == CURLE_COULDNT_CONNECT) {
        st = sk_error_set(err, SK_ENET,
                          "%s: cannot connect (%s). No network? Download the file on another machine "
                          "and pass it to `skytune weights import`, or give a reachable mirror with --url",
                          url, cerr[0] ? cerr : curl_easy_strerror(rc));
        goto fail_curl;
    }
    if (rc != CURLE_OK) {
        st = sk_error_set(err, SK_ENET, "%s: transfer failed after %llu bytes: %s", url,
                          (unsigned long long)x.written, cerr[0] ? cerr : curl_easy_strerror(rc));
        goto fail_curl;
    }
    /* file:// (a local copy given with --url) has no HTTP status. */
    if (code != 200 && !(code == 0 && strncmp(url, "file://", 7) == 0)) {
        st = sk_error_set(err, SK_EHTTP, "%s: expected HTTP status 200, found %ld", url, code);
        goto fail_curl;
    }
    if (fflush(x.fp) != 0 || fsync(fileno(x.fp)) != 0) {
        st = sk_error_set(err, SK_EIO, "%s: flush failed: %s", part, strerror(errno));
        goto fail_curl;
    }
    int closed = fclose(x.fp);
    x.fp = NULL;
    if (closed != 0) {
        st = sk_error_set(err, SK_EIO, "%s: close failed: %s", part, strerror(errno));
        goto fail_curl;
    }
    if (hex) {
        st = sk_file_hash_check(part, hex, err);
        if (st) {
            sk_error_prefix(err, "downloaded from %s: ", url);
            goto fail_curl;
        }
    }
    if (rename(part, dest) != 0) {
        st = sk_error_set(err, SK_EIO, "rename %s -> %s: %s", part, dest, strerror(errno));
        goto fail_curl;
    }
    curl_easy_cleanup(c);
    curl_global_cleanup();
    free(part);
    return SK_OK;

fail_curl:
    curl_easy_cleanup(c);
fail_global:
    curl_global_cleanup();
fail:
    if (x.fp) fclose(x.fp);
    remove(part);
    free(part);
    return st;
}

sk_status sk_weights_fetch(const sk_weights_source *src, const char *cache_dir,
                           const sk_weights_fetch_opts *o, char **out_path, int *downloaded,
                           sk_error *err)
{
    static const sk_weights_fetch_opts defaults = {NULL, 0, 0, 0};
    if (!o) o = &defaults;
    if (out_path) *out_path = NULL;
    if (downloaded) *downloaded = 0;
    char *dir = sk_path_join(cache_dir, "keras");
    char *dest = sk_path_join(dir, src->file_name);
    sk_status st = sk_mkdir_p(dir, err);
    if (st) goto done;
    if (!o->force && sk_file_exists(dest)) {
        sk_error e2;
        if (!src->hash || sk_file_hash_check(dest, src->hash, &e2) == SK_OK) goto done;
        sk_warn("%s: cached file does not verify (%s); downloading it again", dest, e2.msg);
    }
    st = sk_download_verified(o->url ? o->url : src->url, dest, src->hash, o, err);
    if (st) goto done;
    if (downloaded) *downloaded = 1;
    if (!src->hash) {
        char hex[65];
        st = sk_sha256_file(dest, hex, err);
        if (st) goto done;
        sk_warn("%s: Keras publishes no hash for this file; not verified (sha256 %s)", dest, hex);
    }
done:
    if (st == SK_OK && out_path) *out_path = dest;
    else free(dest);
    free(dir);
    return st;
}
