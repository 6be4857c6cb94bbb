// LABELS: fetch
/* test_weights_fetch.c: verified downloads of Keras weight files against a tiny HTTP server this
 * test runs on 127.0.0.1 (a forked child): success with md5 and sha256, hash mismatch, HTTP 404
 * and 500, a connection cut short, a refused connection, redirects, the cache (hit, corrupt
 * entry re-downloaded), the cache directory rule, and the URL/hash table itself.
 * Never touches the internet. */
#include "sk_base.h"
#include "sk_test.h"
#include "sk_arch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define BODY_LEN 70000
static uint8_t body[BODY_LEN];

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w <= 0) return;
        c += w;
        n -= (size_t)w;
    }
}

/* One request per connection: /ok.bin (the body), /redirect (302 to /ok.bin), /missing (404),
 * /error (500), /short (promises the body, sends 100 bytes, closes). */
static void serve(int ls)
{
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) continue;
        char req[4096];
        size_t got = 0;
        while (got < sizeof req - 1) {
            ssize_t r = read(fd, req + got, sizeof req - 1 - got);
            if (r <= 0) break;
            got += (size_t)r;
            req[got] = '\0';
            if (strstr(req, "\r\n\r\n")) break;
        }
        req[got] = '\0';
        char path[256] = "";
        sscanf(req, "GET %255s", path);
        char hdr[512];
        if (strcmp(path, "/ok.bin") == 0 || strcmp(path, "/short") == 0) {
            int n = snprintf(hdr, sizeof hdr,
                             "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
                             BODY_LEN);
            send_all(fd, hdr, (size_t)n);
            send_all(fd, body, strcmp(path, "/short") == 0 ? 100 : BODY_LEN);
        } else if (strcmp(path, "/redirect") == 0) {
            const char *r = "HTTP/1.1 302 Found\r\nLocation: /ok.bin\r\nContent-Length: 0\r\n"
                            "Connection: close\r\n\r\n";
            send_all(fd, r, strlen(r));
        } else {
            int code = strcmp(path, "/error") == 0 ? 500 : 404;
            int n = snprintf(hdr, sizeof hdr,
                             "HTTP/1.1 %d Nope\r\nContent-Length: 5\r\nConnection: close\r\n\r\nnope!",
                             code);
            send_all(fd, hdr, (size_t)n);
        }
        shutdown(fd, SHUT_WR);
        close(fd);
    }
}

static int listen_local(int *port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    SK_ASSERT(s >= 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    SK_ASSERT(bind(s, (struct sockaddr *)&a, sizeof a) == 0);
    SK_ASSERT(listen(s, 16) == 0);
    socklen_t len = sizeof a;
    SK_ASSERT(getsockname(s, (struct sockaddr *)&a, &len) == 0);
    *port = ntohs(a.sin_port);
    return s;
}

static int file_equals_body(const char *path)
{
    uint8_t *d = NULL;
    size_t n = 0;
    sk_error err;
    if (sk_read_file(path, &d, &n, 1 << 20, &err) != SK_OK) return 0;
    int same = n == BODY_LEN && memcmp(d, body, n) == 0;
    free(d);
    return same;
}

static void test_table(void)
{
    CHECK_EQ_INT(sk_arch_count(), 7);
    for (int i = 0; i < sk_arch_count(); i++) {
        const char *id = sk_arch_get(i)->id;
        const sk_weights_source *s = sk_weights_source_find(id);
        CHECKF(s == &sk_arch_get(i)->notop, "%s: the descriptor's notop file", id);
        if (!s) continue;
        CHECKF(strncmp(s->url, "https://storage.googleapis.com/", 31) == 0, "%s url %s", id, s->url);
        if (strcmp(id, "mobilenetv2") == 0) {
            CHECK(s->hash == NULL); /* Keras publishes none */
        } else {
            CHECKF(s->hash && (strlen(s->hash) == 32 || strlen(s->hash) == 64), "%s hash", id);
        }
    }
    const sk_weights_source *r = sk_weights_source_find("resnet50");
    CHECK(r && strcmp(r->hash, "4d473c1dd8becc155b73f8504c6f6626") == 0);
    CHECK(r && strstr(r->url, "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5") != NULL);
    CHECK(sk_weights_source_find("resnet51") == NULL);
}

static void test_cache_dir_rule(void)
{
    char *d = sk_weights_cache_dir("/x/explicit");
    CHECK_STR(d, "/x/explicit");
    free(d);
    setenv("SKYTUNE_CACHE", "/x/env", 1);
    d = sk_weights_cache_dir(NULL);
    CHECK_STR(d, "/x/env");
    free(d);
    unsetenv("SKYTUNE_CACHE");
    setenv("XDG_CACHE_HOME", "/x/xdg", 1);
    d = sk_weights_cache_dir(NULL);
    CHECK_STR(d, "/x/xdg/skytune");
    free(d);
    unsetenv("XDG_CACHE_HOME");
    setenv("HOME", "/x/home", 1);
    d = sk_weights_cache_dir(NULL);
    CHECK_STR(d, "/x/home/.cache/skytune");
    free(d);
}

static void test_downloads(int port, const char *dir)
{
    char url[128], md5[33], sha[65];
    sk_md5_hex(body, BODY_LEN, md5);
    sk_sha256_hex(body, BODY_LEN, sha);
    sk_weights_fetch_opts o = {NULL, 20, 1, 0};
    sk_error err;
    char *dest = sk_path_join(dir, "w.h5");
    char *part = sk_path_join(dir, "w.h5.part");

    snprintf(url, sizeof url, "http://127.0.0.1:%d/ok.bin", port);
    CHECK_OK(sk_download_verified(url, dest, md5, &o, &err), &err);
    CHECK(file_equals_body(dest));
    CHECK(!sk_file_exists(part));
    remove(dest);
    CHECK_OK(sk_download_verified(url, dest, sha, &o, &err), &err);
    CHECK(file_equals_body(dest));

    /* Hash mismatch: the old file stays, nothing partial is left. */
    char bad[33];
    memcpy(bad, md5, 33);
    bad[0] = bad[0] == '0' ? '1' : '0';
    sk_status s = sk_download_verified(url, dest, bad, &o, &err);
    CHECK(s == SK_ECHECKSUM);
    CHECKF(strstr(err.msg, "md5 expected") && strstr(err.msg, md5), "message: %s", err.msg);
    CHECK(file_equals_body(dest));
    CHECK(!sk_file_exists(part));

    char *dest2 = sk_path_join(dir, "x.h5");
    snprintf(url, sizeof url, "http://127.0.0.1:%d/missing", port);
    s = sk_download_verified(url, dest2, md5, &o, &err);
    CHECK(s == SK_EHTTP);
    CHECKF(strstr(err.msg, "found 404") && strstr(err.msg, "/missing"), "message: %s", err.msg);
    CHECK(!sk_file_exists(dest2));
    snprintf(url, sizeof url, "http://127.0.0.1:%d/error", port);
    s = sk_download_verified(url, dest2, md5, &o, &err);
    CHECKF(s == SK_EHTTP && strstr(err.msg, "found 500"), "500: %s", err.msg);
    CHECK(!sk_file_exists(dest2));
    snprintf(url, sizeof url, "http://127.0.0.1:%d/short", port);
    s = sk_download_verified(url, dest2, md5, &o, &err);
    CHECKF(s == SK_ENET, "short body: %s %s", sk_status_name(s), err.msg);
    CHECK(!sk_file_exists(dest2));
    char *part2 = sk_path_join(dir, "x.h5.part");
    CHECK(!sk_file_exists(part2));
    free(part2);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/redirect", port);
    CHECK_OK(sk_download_verified(url, dest2, md5, &o, &err), &err);
    CHECK(file_equals_body(dest2));

    /* A local file through file:// (no HTTP status), verified like a download. */
    char *dest3 = sk_path_join(dir, "y.h5");
    snprintf(url, sizeof url, "file://%s", dest);
    CHECK_OK(sk_download_verified(url, dest3, md5, &o, &err), &err);
    CHECK(file_equals_body(dest3));
    remove(dest3);
    CHECK(sk_download_verified(url, dest3, bad, &o, &err) == SK_ECHECKSUM && !sk_file_exists(dest3));
    free(dest3);

    /* A refused connection: a port that was just free. */
    int p2;
    int s2 = listen_local(&p2);
    close(s2);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ok.bin", p2);
    remove(dest2);
    s = sk_download_verified(url, dest2, md5, &o, &err);
    CHECKF(s == SK_ENET && strstr(err.msg, "No network?"), "refused: %s", err.msg);
    CHECK(!sk_file_exists(dest2));
    free(dest2);
    free(dest);
    free(part);
}

static void test_fetch_cache(int port, const char *dir)
{
    char url[128], md5[33];
    sk_md5_hex(body, BODY_LEN, md5);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ok.bin", port);
    sk_weights_source src = {"testnet_notop.h5", "https://invalid.invalid/never", md5};
    sk_weights_fetch_opts o = {url, 20, 1, 0};
    sk_error err;
    char *cache = sk_path_join(dir, "cache");
    char *path = NULL;
    int downloaded = -1;
    CHECK_OK(sk_weights_fetch(&src, cache, &o, &path, &downloaded, &err), &err);
    char *expect = sk_path_join(cache, "keras/testnet_notop.h5");
    CHECK_STR(path, expect);
    CHECK_EQ_INT(downloaded, 1);
    CHECK(path && file_equals_body(path));
    free(path);
    path = NULL;
    /* Second time: served from the cache, no transfer (the server is not even asked: the URL
     * would 404). */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/missing", port);
    CHECK_OK(sk_weights_fetch(&src, cache, &o, &path, &downloaded, &err), &err);
    CHECK_EQ_INT(downloaded, 0);
    free(path);
    path = NULL;
    /* A corrupt cache entry is downloaded again. */
    CHECK_OK(sk_write_file_atomic(expect, "garbage", 7, &err), &err);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ok.bin", port);
    sk_log_level lv = sk_log_get_level();
    sk_log_set_level(SK_LOG_ERROR);
    CHECK_OK(sk_weights_fetch(&src, cache, &o, &path, &downloaded, &err), &err);
    sk_log_set_level(lv);
    CHECK_EQ_INT(downloaded, 1);
    CHECK(file_equals_body(expect));
    free(path);
    free(expect);
    free(cache);
}

int main(void)
{
    for (size_t i = 0; i < BODY_LEN; i++) body[i] = (uint8_t)((i * 2654435761u) >> 13);
    int port;
    int ls = listen_local(&port);
    pid_t child = fork();
    SK_ASSERT(child >= 0);
    if (child == 0) {
        serve(ls);
        _exit(0);
    }
    close(ls);
    char *dir = sk_test_tmpdir("weights_fetch");
    test_table();
    test_downloads(port, dir);
    test_fetch_cache(port, dir);
    test_cache_dir_rule();
    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
    free(dir);
    return sk_test_finish();
}
