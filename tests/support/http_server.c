/* http_server.c: the fault-injecting local HTTP server for network tests (see http_server.h).
 *
 * Thread model: the accept thread polls its socket so it can notice stop; each connection gets
 * a detached thread that reads one request, answers (or misbehaves) and closes. All shared
 * state (rules, canned bodies, request log, JPEG cache) sits behind one mutex; sends use
 * MSG_NOSIGNAL so a client hanging up never kills the test with SIGPIPE. */
#include "http_server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h> /* before jpeglib.h, which needs FILE */
#include <jpeglib.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sk_base.h"

typedef struct {
    char *match;
    sk_fault kind;
    int remaining; /* < 0: forever */
    double param;
} fault_rule;

typedef struct {
    char *match, *ctype, *body;
    int status;
    size_t len;
} canned;

typedef struct {
    char *target;
    int count;
} target_count;

typedef struct {
    double t;
    char *target;
} req_log;

typedef struct {
    int w, h;
    unsigned char *data;
    unsigned long len;
} jpeg_entry;

struct sk_test_server {
    int fd;
    int port;
    char url[64];
    pthread_t accept_thread;
    atomic_int stop; /* read by every server thread */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int active;
    double delay;
    fault_rule *rules;
    int nrules;
    canned *canned;
    int ncanned;
    target_count *counts;
    int ncounts, capcounts;
    req_log *log;
    int nlog, caplog;
    jpeg_entry jpegs[8];
    int njpegs;
};

typedef struct {
    sk_test_server *s;
    int fd;
} conn_arg;

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
        if (k <= 0) {
            if (k < 0 && errno == EINTR) continue;
            return;
        }
        c += k;
        n -= (size_t)k;
    }
}

/* Sleeps up to `seconds`, waking early when the server stops. */
static void nap(const sk_test_server *s, double seconds)
{
    double end = sk_now() + seconds;
    while (!s->stop && sk_now() < end) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* Encodes a w x h baseline RGB JPEG (a smooth pattern) into a malloc'ed buffer. */
static void encode_jpeg(int w, int h, unsigned char **out, unsigned long *len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    *out = NULL;
    *len = 0;
    jpeg_mem_dest(&c, out, len);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 85, TRUE);
    jpeg_start_compress(&c, TRUE);
    unsigned char *row = sk_xmalloc((size_t)w * 3);
    while (c.next_scanline < c.image_height) {
        int y = (int)c.next_scanline;
        for (int x = 0; x < w; x++) {
            int dx = x - w / 2, dy = y - h / 2;
            int r2 = (dx * dx + dy * dy) * 64 / (w * h / 4 + 1);
            int v = 255 - (r2 > 255 ? 255 : r2);
            row[3 * x + 0] = (unsigned char)v;
            row[3 * x + 1] = (unsigned char)(v * 3 / 4 + (x * 63) / w);
            row[3 * x + 2] = (unsigned char)(v / 2 + (y * 63) / h);
        }
        JSAMPROW rp = row;
        jpeg_write_scanlines(&c, &rp, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
}

/* A cached JPEG of w x h; the pointer stays valid until the server stops. */
static const jpeg_entry *get_jpeg(sk_test_server *s, int w, int h)
{
    pthread_mutex_lock(&s->mu);
    for (int k = 0; k < s->njpegs; k++)
        if (s->jpegs[k].w == w && s->jpegs[k].h == h) {
            pthread_mutex_unlock(&s->mu);
            return &s->jpegs[k];
        }
    pthread_mutex_unlock(&s->mu);
    jpeg_entry e = {w, h, NULL, 0};
    encode_jpeg(w, h, &e.data, &e.len);
    pthread_mutex_lock(&s->mu);
    const jpeg_entry *r = NULL;
    for (int k = 0; k < s->njpegs; k++)
        if (s->jpegs[k].w == w && s->jpegs[k].h == h) r = &s->jpegs[k];
    if (!r && s->njpegs < 8) { /* tests use a handful of sizes */
        s->jpegs[s->njpegs] = e;
        r = &s->jpegs[s->njpegs++];
        e.data = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    free(e.data);
    return r;
}

size_t sk_test_server_jpeg_size(sk_test_server *s, int w, int h)
{
    const jpeg_entry *je = get_jpeg(s, w, h);
    return je ? je->len : 0;
}

static int query_int(const char *target, const char *key, int def)
{
    size_t kl = strlen(key);
    const char *q = strchr(target, '?');
    while (q) {
        q++;
        if (!strncmp(q, key, kl) && q[kl] == '=') return atoi(q + kl + 1);
        q = strchr(q, '&');
    }
    return def;
}

static void respond(int fd, int status, const char *reason, const char *ctype, const void *body,
                    size_t len, const char *extra)
{
    char hdr[512];
    int n = snprintf(hdr, sizeof hdr,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
                     status, reason, ctype, len, extra ? extra : "");
    send_all(fd, hdr, (size_t)n);
    send_all(fd, body, len);
}

static void record(sk_test_server *s, const char *target)
{
    pthread_mutex_lock(&s->mu);
    int found = 0;
    for (int k = 0; k < s->ncounts; k++)
        if (!strcmp(s->counts[k].target, target)) { s->counts[k].count++; found = 1; break; }
    if (!found) {
        if (s->ncounts == s->capcounts) {
            s->capcounts = s->capcounts ? 2 * s->capcounts : 64;
            s->counts = sk_xrealloc(s->counts, (size_t)s->capcounts * sizeof *s->counts);
        }
        s->counts[s->ncounts++] = (target_count){sk_xstrdup(target), 1};
    }
    if (s->nlog == s->caplog) {
        s->caplog = s->caplog ? 2 * s->caplog : 64;
        s->log = sk_xrealloc(s->log, (size_t)s->caplog * sizeof *s->log);
    }
    s->log[s->nlog++] = (req_log){sk_now(), sk_xstrdup(target)};
    pthread_mutex_unlock(&s->mu);
}

static void serve(sk_test_server *s, int fd)
{
    char req[16384];
    size_t n = 0;
    while (n + 1 < sizeof req) {
        struct pollfd p = {fd, POLLIN, 0};
        int pr = poll(&p, 1, 100);
        if (s->stop) return;
        if (pr <= 0) continue;
        ssize_t k = recv(fd, req + n, sizeof req - 1 - n, 0);
        if (k <= 0) return;
        n += (size_t)k;
        req[n] = '\0';
        if (strstr(req, "\r\n\r\n")) break;
    }
    req[n] = '\0';
    char method[16], target[8192];
    if (sscanf(req, "%15s %8191s", method, target) != 2) return;
    record(s, target);

    int have_fault = 0;
    fault_rule rule = {0};
    int have_canned = 0;
    canned cn = {0};
    pthread_mutex_lock(&s->mu);
    double delay = s->delay;
    for (int k = 0; k < s->nrules; k++) {
        fault_rule *r = &s->rules[k];
        if (r->remaining == 0 || !strstr(target, r->match)) continue;
        if (r->remaining > 0) r->remaining--;
        rule = *r;
        have_fault = 1;
        break;
    }
    for (int k = 0; k < s->ncanned; k++)
        if (strstr(target, s->canned[k].match)) { cn = s->canned[k]; have_canned = 1; break; }
    pthread_mutex_unlock(&s->mu); /* rules and canned entries are never freed before stop */
    if (delay > 0) nap(s, delay);

    int w = query_int(target, "width", 64), h = query_int(target, "height", 64);
    if (w < 1 || w > 4096) w = 64;
    if (h < 1 || h > 4096) h = 64;
    int is_jpeg = strstr(target, "getjpeg") != NULL;
    const jpeg_entry *je = is_jpeg ? get_jpeg(s, w, h) : NULL;
    if (is_jpeg && !je) { respond(fd, 500, "Internal Server Error", "text/plain", "cache full", 10, NULL); return; }

    if (have_fault) {
        char extra[96];
        static const char html[] = "<html><head><title>Error</title></head><body>Service unavailable: "
                                   "too many requests</body></html>";
        const void *body = je ? (const void *)je->data : (const void *)"x";
        size_t blen = je ? je->len : 1;
        switch (rule.kind) {
        case SK_FAULT_500:
            respond(fd, 500, "Internal Server Error", "text/plain", "server error\n", 13, NULL);
            return;
        case SK_FAULT_503:
        case SK_FAULT_429:
            snprintf(extra, sizeof extra, "Retry-After: %d\r\n", (int)(rule.param + 0.5));
            if (rule.kind == SK_FAULT_429)
                respond(fd, 429, "Too Many Requests", "text/plain", "slow down\n", 10, extra);
            else
                respond(fd, 503, "Service Unavailable", "text/plain", "busy\n", 5, extra);
            return;
        case SK_FAULT_STALL: {
            char hdr[256];
            int hn = snprintf(hdr, sizeof hdr,
                              "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                              blen);
            send_all(fd, hdr, (size_t)hn);
            send_all(fd, body, blen < 16 ? blen : 16);
            nap(s, rule.param);
            return;
        }
        case SK_FAULT_TRUNCATE: {
            char hdr[256];
            int hn = snprintf(hdr, sizeof hdr,
                              "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                              blen);
            send_all(fd, hdr, (size_t)hn);
            send_all(fd, body, blen / 2);
            return;
        }
        case SK_FAULT_HTML200:
            respond(fd, 200, "OK", "text/html; charset=utf-8", html, sizeof html - 1, NULL);
            return;
        case SK_FAULT_WRONG_SIZE: {
            const jpeg_entry *wj = get_jpeg(s, w + 8, h / 2 > 0 ? h / 2 : 1);
            if (wj) respond(fd, 200, "OK", "image/jpeg", wj->data, wj->len, NULL);
            return;
        }
        case SK_FAULT_RESET: {
            struct linger lg = {1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            return; /* close() now sends RST */
        }
        case SK_FAULT_TEXT_TYPE:
            respond(fd, 200, "OK", "text/plain", body, blen, NULL);
            return;
        case SK_FAULT_BAD_JPEG:
            respond(fd, 200, "OK", "image/jpeg", body, blen / 2, NULL);
            return;
        case SK_FAULT_404:
            respond(fd, 404, "Not Found", "text/plain", "not found\n", 10, NULL);
            return;
        }
    }
    if (have_canned) {
        respond(fd, cn.status, cn.status == 200 ? "OK" : "Error", cn.ctype, cn.body, cn.len, NULL);
        return;
    }
    if (je) {
        respond(fd, 200, "OK", "image/jpeg", je->data, je->len, NULL);
        return;
    }
    respond(fd, 404, "Not Found", "text/plain", "not found\n", 10, NULL);
}

static void *conn_main(void *p)
{
    conn_arg a = *(conn_arg *)p;
    free(p);
    serve(a.s, a.fd);
    close(a.fd);
    pthread_mutex_lock(&a.s->mu);
    a.s->active--;
    pthread_cond_broadcast(&a.s->cv);
    pthread_mutex_unlock(&a.s->mu);
    return NULL;
}

static void *accept_main(void *p)
{
    sk_test_server *s = p;
    while (!s->stop) {
        struct pollfd pf = {s->fd, POLLIN, 0};
        if (poll(&pf, 1, 50) <= 0) continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0) continue;
        conn_arg *a = sk_xmalloc(sizeof *a);
        a->s = s;
        a->fd = c;
        pthread_mutex_lock(&s->mu);
        s->active++;
        pthread_mutex_unlock(&s->mu);
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&at, 256 * 1024);
        if (pthread_create(&t, &at, conn_main, a) != 0) {
            close(c);
            free(a);
            pthread_mutex_lock(&s->mu);
            s->active--;
            pthread_mutex_unlock(&s->mu);
        }
        pthread_attr_destroy(&at);
    }
    return NULL;
}

sk_test_server *sk_test_server_start(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) { perror("test server: socket"); return NULL; }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t al = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 128) ||
        getsockname(fd, (struct sockaddr *)&a, &al)) {
        perror("test server: bind/listen on 127.0.0.1");
        close(fd);
        return NULL;
    }
    sk_test_server *s = sk_xcalloc(1, sizeof *s);
    s->fd = fd;
    s->port = ntohs(a.sin_port);
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", s->port);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (pthread_create(&s->accept_thread, NULL, accept_main, s) != 0) {
        fprintf(stderr, "test server: pthread_create failed\n");
        close(fd);
        free(s);
        return NULL;
    }
    return s;
}

void sk_test_server_stop(sk_test_server *s)
{
    if (!s) return;
    s->stop = 1;
    pthread_join(s->accept_thread, NULL);
    pthread_mutex_lock(&s->mu);
    while (s->active > 0) pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    close(s->fd);
    for (int k = 0; k < s->nrules; k++) free(s->rules[k].match);
    free(s->rules);
    for (int k = 0; k < s->ncanned; k++) {
        free(s->canned[k].match);
        free(s->canned[k].ctype);
        free(s->canned[k].body);
    }
    free(s->canned);
    for (int k = 0; k < s->ncounts; k++) free(s->counts[k].target);
    free(s->counts);
    for (int k = 0; k < s->nlog; k++) free(s->log[k].target);
    free(s->log);
    for (int k = 0; k < s->njpegs; k++) free(s->jpegs[k].data);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

const char *sk_test_server_url(const sk_test_server *s) { return s->url; }

/* Rules and canned entries are only added while no request for them is in flight in the tests;
 * the arrays grow under the mutex and entries are copied out under it. */
void sk_test_server_fault(sk_test_server *s, const char *match, sk_fault kind, int times, double param)
{
    pthread_mutex_lock(&s->mu);
    s->rules = sk_xrealloc(s->rules, (size_t)(s->nrules + 1) * sizeof *s->rules);
    s->rules[s->nrules++] = (fault_rule){sk_xstrdup(match), kind, times, param};
    pthread_mutex_unlock(&s->mu);
}

void sk_test_server_canned_bytes(sk_test_server *s, const char *match, int status, const char *ctype,
                                 const void *body, size_t len)
{
    char *copy = sk_xmalloc(len + 1);
    memcpy(copy, body, len);
    copy[len] = '\0';
    pthread_mutex_lock(&s->mu);
    s->canned = sk_xrealloc(s->canned, (size_t)(s->ncanned + 1) * sizeof *s->canned);
    s->canned[s->ncanned++] = (canned){sk_xstrdup(match), sk_xstrdup(ctype), copy, status, len};
    pthread_mutex_unlock(&s->mu);
}

void sk_test_server_canned(sk_test_server *s, const char *match, int status, const char *ctype,
                           const char *body)
{
    sk_test_server_canned_bytes(s, match, status, ctype, body, strlen(body));
}

void sk_test_server_delay(sk_test_server *s, double seconds)
{
    pthread_mutex_lock(&s->mu);
    s->delay = seconds;
    pthread_mutex_unlock(&s->mu);
}

int sk_test_server_count(sk_test_server *s, const char *match)
{
    int n = 0;
    pthread_mutex_lock(&s->mu);
    for (int k = 0; k < s->ncounts; k++)
        if (strstr(s->counts[k].target, match)) n += s->counts[k].count;
    pthread_mutex_unlock(&s->mu);
    return n;
}

int sk_test_server_max_per_target(sk_test_server *s, char *which, size_t cap)
{
    int best = 0;
    pthread_mutex_lock(&s->mu);
    for (int k = 0; k < s->ncounts; k++)
        if (s->counts[k].count > best) {
            best = s->counts[k].count;
            if (which && cap) snprintf(which, cap, "%s", s->counts[k].target);
        }
    pthread_mutex_unlock(&s->mu);
    return best;
}

int sk_test_server_times(sk_test_server *s, const char *match, double *t, int cap)
{
    int n = 0;
    pthread_mutex_lock(&s->mu);
    for (int k = 0; k < s->nlog && n < cap; k++)
        if (strstr(s->log[k].target, match)) t[n++] = s->log[k].t;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

int sk_test_server_last_target(sk_test_server *s, const char *match, char *buf, size_t cap)
{
    int found = -1;
    pthread_mutex_lock(&s->mu);
    for (int k = s->nlog - 1; k >= 0; k--) {
        if (!strstr(s->log[k].target, match)) continue;
        const char *p = s->log[k].target;
        size_t w = 0;
        while (*p && w + 1 < cap) {
            if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
                buf[w++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
                p += 3;
            } else {
                buf[w++] = *p == '+' ? ' ' : *p;
                p++;
            }
        }
        buf[w] = '\0';
        found = 0;
        break;
    }
    pthread_mutex_unlock(&s->mu);
    return found;
}
