/* http_server.h: a small HTTP/1.1 server on 127.0.0.1 for network tests, with scripted faults.
 *
 * Runs in threads of the test process (one accept thread, one thread per connection, each
 * connection answers one request and closes). Serves SkyServer-like ImgCutout URLs
 * (.../getjpeg?...&width=W&height=H) as baseline JPEGs of exactly W x H (libjpeg, cached per
 * size), canned bodies for paths the test registers, 404 otherwise. Fault rules, matched by a
 * substring of the request target, replace the next `times` answers with a fault. Every request
 * is counted per target, so tests can assert that nothing was fetched twice.
 * Binds 127.0.0.1 only, on a port the kernel picks. Not a general web server. */
#ifndef SK_TEST_HTTP_SERVER_H
#define SK_TEST_HTTP_SERVER_H

#include <stddef.h>

typedef enum {
    SK_FAULT_500,        /* 500 with a text body */
    SK_FAULT_503,        /* 503 with Retry-After: param seconds */
    SK_FAULT_429,        /* 429 with Retry-After: param seconds */
    SK_FAULT_STALL,      /* headers and a few bytes, then silence for param seconds, then close */
    SK_FAULT_TRUNCATE,   /* Content-Length of the full body, half of it sent, then close */
    SK_FAULT_HTML200,    /* 200 text/html error page */
    SK_FAULT_WRONG_SIZE, /* 200 image/jpeg of the wrong dimensions */
    SK_FAULT_RESET,      /* connection reset (RST) right after the request is read */
    SK_FAULT_TEXT_TYPE,  /* 200 with the right JPEG but Content-Type text/plain */
    SK_FAULT_BAD_JPEG,   /* 200 image/jpeg whose body is a JPEG cut in half (complete response) */
    SK_FAULT_404         /* 404 not found */
} sk_fault;

typedef struct sk_test_server sk_test_server;

/* Starts the server; NULL (with a message on stderr) if it cannot. */
sk_test_server *sk_test_server_start(void);
/* Stops the threads (waiting for open connections to finish) and frees everything. */
void sk_test_server_stop(sk_test_server *s);
/* "http://127.0.0.1:PORT" */
const char *sk_test_server_url(const sk_test_server *s);

/* The next `times` requests whose target contains `match` get `kind` (times < 0: always).
 * param: Retry-After or stall seconds. Rules are tried in the order added. */
void sk_test_server_fault(sk_test_server *s, const char *match, sk_fault kind, int times, double param);
/* Requests whose target contains `match` get this status, content type and body. */
void sk_test_server_canned(sk_test_server *s, const char *match, int status, const char *ctype,
                           const char *body);
/* The same with a binary body of len bytes (copied). */
void sk_test_server_canned_bytes(sk_test_server *s, const char *match, int status, const char *ctype,
                                 const void *body, size_t len);
/* Every answer waits this long first (to slow a run down). */
void sk_test_server_delay(sk_test_server *s, double seconds);

/* Number of requests whose target contains match ("" = all). */
int sk_test_server_count(sk_test_server *s, const char *match);
/* The largest request count of any single target; its target copied into which (may be NULL). */
int sk_test_server_max_per_target(sk_test_server *s, char *which, size_t cap);
/* Arrival times (sk_now) of requests whose target contains match, up to cap; returns how many. */
int sk_test_server_times(sk_test_server *s, const char *match, double *t, int cap);
/* The most recent target containing match, percent-decoded, into buf; 0 if found, -1 if not. */
int sk_test_server_last_target(sk_test_server *s, const char *match, char *buf, size_t cap);
/* Bytes of the JPEG the server answers a w x h cutout request with (0 if it has none). */
size_t sk_test_server_jpeg_size(sk_test_server *s, int w, int h);

#endif
