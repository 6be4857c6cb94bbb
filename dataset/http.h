/* http.h: a batch HTTP GET engine on the libcurl multi interface.
 *
 * Runs n GETs with at most `jobs` in flight, a per-attempt timeout plus stall detection, retries
 * with exponential backoff and jitter on connection errors, timeouts, truncated bodies, 5xx and
 * 429 (a server's Retry-After is honoured and also pauses new requests globally), and a global
 * request rate limit. Jitter comes from the counter-based stream (jitter_seed, SK_RNG_JITTER,
 * job, attempt), so a run's schedule is reproducible. Each job ends in exactly one call of
 * `done`, in completion order, from the calling thread (no threads are created).
 * A 200 response is only accepted if `check` says so; it may ask for a retry (a transient bad
 * body) or fail the job. Not here: what bodies mean or where they go (fetch.c, query.c). */
#ifndef SK_HTTP_H
#define SK_HTTP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "sk_base.h"

typedef struct {
    int jobs;                 /* transfers in flight, >= 1 */
    double timeout_s;         /* whole-attempt limit */
    double connect_timeout_s;
    double stall_s;           /* abort an attempt when no byte arrived for this long (0 = off) */
    int retries;              /* attempts after the first */
    double backoff_base_s;    /* first retry delay; doubles per retry, times a jitter in [0.5,1) */
    double backoff_max_s;
    double retry_after_max_s; /* cap on a server's Retry-After */
    double rate;              /* requests per second over all transfers; 0 = unlimited */
    uint64_t jitter_seed;
    size_t max_body;          /* larger bodies fail the job */
    const char *user_agent;
    volatile sig_atomic_t *cancel; /* optional: when it becomes nonzero the run stops */
} sk_http_opts;

/* Defaults: 4 jobs, 120 s timeout, 20 s connect, 30 s stall, 4 retries, backoff 1 s .. 60 s,
 * Retry-After up to 300 s, no rate limit, seed 0, 256 MiB bodies, "skytune/<version>". */
void sk_http_opts_default(sk_http_opts *o);

typedef struct {
    long status;
    const char *content_type; /* "" when the server sent none */
    const uint8_t *body;
    size_t len;
} sk_http_response;

typedef enum { SK_HTTP_ACCEPT, SK_HTTP_RETRY, SK_HTTP_FAIL } sk_http_verdict;

/* Judges a 200 response of job `job`. On RETRY/FAIL writes the reason into why[cap]. */
typedef sk_http_verdict (*sk_http_check_fn)(void *ctx, size_t job, const sk_http_response *resp,
                                            char *why, size_t cap);

typedef struct {
    int ok;
    long status;          /* HTTP status of the last attempt, 0 when none was received */
    int attempts;
    char reason[320];     /* why the job failed (empty when ok) */
    const uint8_t *body;  /* the accepted body when ok; valid only during the callback */
    size_t len;
    char content_type[128];
} sk_http_result;

typedef void (*sk_http_done_fn)(void *ctx, size_t job, const sk_http_result *res);

typedef struct {
    size_t ok, failed;
    uint64_t attempts;    /* over all jobs */
    uint64_t bytes;       /* accepted body bytes */
    double seconds;
} sk_http_stats;

/* Runs GETs of urls[0..n). check may be NULL (accept every 200). stats may be NULL.
 * Returns SK_OK when every job reached its end (ok or failed: see done), SK_EINTERRUPTED when
 * cancelled (remaining jobs get no callback), SK_ENET if libcurl cannot be set up. */
sk_status sk_http_run(const sk_http_opts *o, const char *const *urls, size_t n,
                      sk_http_check_fn check, sk_http_done_fn done, void *ctx,
                      sk_http_stats *stats, sk_error *err) SK_WUR;

/* Backoff before retry number `attempt` (1 = first retry) of job `job`, without Retry-After. */
double sk_http_backoff(const sk_http_opts *o, size_t job, int attempt);

/* Percent-encodes s (RFC 3986 unreserved characters kept) into a new malloc'ed string. */
char *sk_http_urlencode(const char *s);

#endif
