/* http.c: the batch GET engine (see http.h): libcurl multi, retries, backoff, rate limit.
 *
 * One loop on the calling thread: start attempts while slots, the rate limit and any global
 * Retry-After pause allow; let curl work; classify each finished attempt as accept, retry (with
 * a not-before time) or fail. Jobs waiting for a retry sit in a small list scanned on each
 * start; new jobs are taken in index order. Every job's end is reported exactly once. */
#include "http.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sk_base.h"

void sk_http_opts_default(sk_http_opts *o)
{
    memset(o, 0, sizeof *o);
    o->jobs = 4;
    o->timeout_s = 120.0;
    o->connect_timeout_s = 20.0;
    o->stall_s = 30.0;
    o->retries = 4;
    o->backoff_base_s = 1.0;
    o->backoff_max_s = 60.0;
    o->retry_after_max_s = 300.0;
    o->rate = 0.0;
    o->jitter_seed = 0;
    o->max_body = (size_t)256 << 20;
    o->user_agent = sk_buildinfo_user_agent();
    o->cancel = NULL;
}

double sk_http_backoff(const sk_http_opts *o, size_t job, int attempt)
{
    SK_ASSERT(attempt >= 1);
    double d = o->backoff_base_s * ldexp(1.0, attempt - 1 > 30 ? 30 : attempt - 1);
    if (d > o->backoff_max_s) d = o->backoff_max_s;
    sk_rng r = sk_rng_stream(o->jitter_seed, SK_RNG_JITTER, ((uint64_t)job << 8) | (uint64_t)(attempt & 0xff));
    return d * (0.5 + 0.5 * sk_rng_uniform(&r));
}

char *sk_http_urlencode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = sk_xmalloc(3 * n + 1), *w = out;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            *w++ = (char)c;
        } else {
            *w++ = '%';
            *w++ = hex[c >> 4];
            *w++ = hex[c & 15];
        }
    }
    *w = '\0';
    return out;
}

typedef struct {
    CURL *h;
    size_t job;
    sk_buf body;
    size_t max_body;
    int overflow;
    int stalled;
    double stall_s;
    double last_rx;        /* when bytes last arrived (or the attempt started) */
    curl_off_t last_dl;
    char errbuf[CURL_ERROR_SIZE];
} xfer;

/* Stall detection: curl's own low-speed check averages over a window of several seconds, so a
 * burst of headers hides a stall for that long; this aborts once no byte arrived for stall_s. */
static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    xfer *x = user;
    (void)dltotal;
    (void)ultotal;
    (void)ulnow;
    double now = sk_now();
    if (dlnow != x->last_dl) {
        x->last_dl = dlnow;
        x->last_rx = now;
        return 0;
    }
    if (x->stall_s > 0 && now - x->last_rx > x->stall_s) {
        x->stalled = 1;
        return 1; /* aborts with CURLE_ABORTED_BY_CALLBACK */
    }
    return 0;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *user)
{
    xfer *x = user;
    size_t n = size * nmemb;
    if (x->body.len + n > x->max_body) {
        x->overflow = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    sk_buf_put_bytes(&x->body, p, n);
    return n;
}

typedef struct {
    const sk_http_opts *o;
    const char *const *urls;
    size_t n;
    CURLM *multi;
    xfer *slots;           /* o->jobs of them; h == NULL when free */
    int in_flight;
    size_t next_new;       /* next job never started */
    size_t *waiting;       /* jobs waiting for a retry */
    size_t n_waiting;
    double *not_before;    /* per job */
    int *attempts;         /* per job */
    double next_start;     /* rate limiter: earliest time of the next start */
    double paused_until;   /* global Retry-After pause */
    sk_http_check_fn check;
    sk_http_done_fn done;
    void *ctx;
    sk_http_stats st;
} engine;

static int start_attempt(engine *e, xfer *x, size_t job, sk_error *err)
{
    const sk_http_opts *o = e->o;
    CURL *h = curl_easy_init();
    if (!h) return sk_error_set(err, SK_ENET, "curl_easy_init failed"), -1;
    x->h = h;
    x->job = job;
    x->body.len = 0;
    x->overflow = 0;
    x->stalled = 0;
    x->stall_s = o->stall_s;
    x->last_rx = sk_now();
    x->last_dl = 0;
    x->max_body = o->max_body;
    x->errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, e->urls[job]);
    curl_easy_setopt(h, CURLOPT_PRIVATE, x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, o->user_agent ? o->user_agent : "skytune");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(o->timeout_s * 1000.0));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(o->connect_timeout_s * 1000.0));
    if (o->stall_s > 0) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
    }
    CURLMcode mc = curl_multi_add_handle(e->multi, h);
    if (mc != CURLM_OK) {
        curl_easy_cleanup(h);
        x->h = NULL;
        return sk_error_set(err, SK_ENET, "curl_multi_add_handle: %s", curl_multi_strerror(mc)), -1;
    }
    e->attempts[job]++;
    e->st.attempts++;
    e->in_flight++;
    return 0;
}

/* The next job allowed to start now: a due retry first, else a new job; SIZE_MAX if none.
 * *wake gets the earliest future not-before among waiting jobs. */
static size_t pick_job(engine *e, double now, double *wake)
{
    size_t best = SIZE_MAX, best_k = 0;
    for (size_t k = 0; k < e->n_waiting; k++) {
        size_t j = e->waiting[k];
        if (e->not_before[j] <= now) {
            if (best == SIZE_MAX || e->not_before[j] < e->not_before[best]) { best = j; best_k = k; }
        } else if (e->not_before[j] < *wake) {
            *wake = e->not_before[j];
        }
    }
    if (best != SIZE_MAX) {
        e->waiting[best_k] = e->waiting[--e->n_waiting];
        return best;
    }
    if (e->next_new < e->n) return e->next_new++;
    return SIZE_MAX;
}

static void finish(engine *e, size_t job, int ok, long status, const char *reason, const xfer *x,
                   const char *ctype)
{
    sk_http_result res;
    memset(&res, 0, sizeof res);
    res.ok = ok;
    res.status = status;
    res.attempts = e->attempts[job];
    if (reason) snprintf(res.reason, sizeof res.reason, "%s", reason);
    if (ctype) snprintf(res.content_type, sizeof res.content_type, "%s", ctype);
    if (ok) {
        res.body = x->body.data;
        res.len = x->body.len;
        e->st.ok++;
        e->st.bytes += x->body.len;
    } else {
        e->st.failed++;
    }
    if (e->done) e->done(e->ctx, job, &res);
}

static void schedule_retry(engine *e, size_t job, double now, double retry_after)
{
    double d = sk_http_backoff(e->o, job, e->attempts[job]);
    if (retry_after > 0) {
        if (retry_after > e->o->retry_after_max_s) retry_after = e->o->retry_after_max_s;
        if (retry_after > d) d = retry_after;
        if (now + retry_after > e->paused_until) e->paused_until = now + retry_after;
    }
    e->not_before[job] = now + d;
    e->waiting[e->n_waiting++] = job;
}

/* Classifies a finished attempt and either finishes the job or queues a retry. */
static void on_complete(engine *e, xfer *x, CURLcode cc, double now)
{
    size_t job = x->job;
    long status = 0;
    char *ct = NULL;
    curl_off_t ra = -1;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(x->h, CURLINFO_CONTENT_TYPE, &ct);
    curl_easy_getinfo(x->h, CURLINFO_RETRY_AFTER, &ra);
    char ctype[128];
    snprintf(ctype, sizeof ctype, "%s", ct ? ct : "");
    char why[320];
    int retry = 0, fail = 0;
    double retry_after = 0;
    if (cc != CURLE_OK) {
        if (x->overflow) {
            snprintf(why, sizeof why, "body larger than the %zu-byte limit", e->o->max_body);
            fail = 1;
        } else if (x->stalled) {
            snprintf(why, sizeof why, "timeout or stall: no data received for %.1f s", x->stall_s);
            retry = 1;
        } else {
            const char *kind = cc == CURLE_OPERATION_TIMEDOUT ? "timeout or stall"
                               : cc == CURLE_PARTIAL_FILE     ? "truncated body"
                               : (cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING || cc == CURLE_SEND_ERROR)
                                   ? "connection reset"
                                   : "network error";
            snprintf(why, sizeof why, "%s: %s", kind, x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc));
            fail = cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL ||
                   cc == CURLE_TOO_MANY_REDIRECTS;
            retry = !fail;
        }
    } else if (status == 429 || status == 503) {
        snprintf(why, sizeof why, "HTTP %ld%s", status, ra > 0 ? " (with Retry-After)" : "");
        retry = 1;
        if (ra > 0) retry_after = (double)ra;
    } else if (status >= 500) {
        snprintf(why, sizeof why, "HTTP %ld (server error)", status);
        retry = 1;
    } else if (status == 408) {
        snprintf(why, sizeof why, "HTTP 408 (request timeout)");
        retry = 1;
    } else if (status != 200) {
        snprintf(why, sizeof why, "HTTP %ld", status);
        fail = 1;
    } else if (e->check) {
        sk_http_response resp = {status, ctype, x->body.data, x->body.len};
        why[0] = '\0';
        sk_http_verdict v = e->check(e->ctx, job, &resp, why, sizeof why);
        if (v == SK_HTTP_RETRY) retry = 1;
        else if (v == SK_HTTP_FAIL) fail = 1;
        if ((retry || fail) && !why[0]) snprintf(why, sizeof why, "response rejected");
    }
    curl_multi_remove_handle(e->multi, x->h);
    curl_easy_cleanup(x->h);
    x->h = NULL;
    e->in_flight--;
    if (!retry && !fail) {
        finish(e, job, 1, status, NULL, x, ctype);
    } else if (retry && e->attempts[job] <= e->o->retries) {
        sk_debug("%s: attempt %d: %s; retrying", e->urls[job], e->attempts[job], why);
        schedule_retry(e, job, now, retry_after);
    } else {
        char full[320];
        snprintf(full, sizeof full, "%s%s", why, retry ? " (retries exhausted)" : "");
        finish(e, job, 0, status, full, x, ctype);
    }
}

sk_status sk_http_run(const sk_http_opts *o, const char *const *urls, size_t n,
                      sk_http_check_fn check, sk_http_done_fn done, void *ctx,
                      sk_http_stats *stats, sk_error *err)
{
    SK_ASSERT(o->jobs >= 1 && o->retries >= 0);
    if (stats) memset(stats, 0, sizeof *stats);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return sk_error_set(err, SK_ENET, "curl_global_init failed");
    engine e;
    memset(&e, 0, sizeof e);
    e.o = o;
    e.urls = urls;
    e.n = n;
    e.check = check;
    e.done = done;
    e.ctx = ctx;
    e.multi = curl_multi_init();
    sk_status st = SK_OK;
    if (!e.multi) {
        curl_global_cleanup();
        return sk_error_set(err, SK_ENET, "curl_multi_init failed");
    }
    curl_multi_setopt(e.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)o->jobs);
    int nslots = o->jobs;
    e.slots = sk_xcalloc((size_t)nslots, sizeof *e.slots);
    for (int k = 0; k < nslots; k++) sk_buf_init(&e.slots[k].body);
    e.waiting = sk_xmalloc((n ? n : 1) * sizeof *e.waiting);
    e.not_before = sk_xcalloc(n ? n : 1, sizeof *e.not_before);
    e.attempts = sk_xcalloc(n ? n : 1, sizeof *e.attempts);
    double t0 = sk_now();
    e.next_start = t0;
    size_t finished_before = 0;
    for (;;) {
        if (o->cancel && *o->cancel) {
            st = sk_error_set(err, SK_EINTERRUPTED, "interrupted with %zu of %zu requests finished",
                              (size_t)(e.st.ok + e.st.failed), n);
            break;
        }
        double now = sk_now();
        double wake = now + 0.25;
        /* start what we may */
        while (e.in_flight < nslots && now >= e.paused_until && now >= e.next_start) {
            size_t job = pick_job(&e, now, &wake);
            if (job == SIZE_MAX) break;
            xfer *x = NULL;
            for (int k = 0; k < nslots; k++)
                if (!e.slots[k].h) { x = &e.slots[k]; break; }
            SK_ASSERT(x);
            if (start_attempt(&e, x, job, err) != 0) { st = err ? err->code : SK_ENET; goto done_loop; }
            if (o->rate > 0) e.next_start = (e.next_start > now ? e.next_start : now) + 1.0 / o->rate;
        }
        if (e.in_flight == 0 && e.next_new >= n && e.n_waiting == 0) break;
        if (now < e.paused_until && e.paused_until < wake) wake = e.paused_until;
        if (o->rate > 0 && e.next_start > now && e.next_start < wake) wake = e.next_start;
        int running = 0;
        curl_multi_perform(e.multi, &running);
        CURLMsg *msg;
        int left;
        int any = 0;
        while ((msg = curl_multi_info_read(e.multi, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            xfer *x = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            SK_ASSERT(x && x->h == msg->easy_handle);
            on_complete(&e, x, msg->data.result, sk_now());
            any = 1;
        }
        if (any || e.st.ok + e.st.failed != finished_before) {
            finished_before = e.st.ok + e.st.failed;
            continue; /* slots may have freed: start more before waiting */
        }
        double wait = wake - sk_now();
        int ms = wait <= 0 ? 0 : (int)(wait * 1000.0) + 1;
        if (ms > 250) ms = 250;
        if (e.in_flight > 0) {
            int nfds = 0;
            curl_multi_poll(e.multi, NULL, 0, ms, &nfds);
        } else if (ms > 0) {
            struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
done_loop:
    for (int k = 0; k < nslots; k++) {
        if (e.slots[k].h) {
            curl_multi_remove_handle(e.multi, e.slots[k].h);
            curl_easy_cleanup(e.slots[k].h);
        }
        sk_buf_free(&e.slots[k].body);
    }
    curl_multi_cleanup(e.multi);
    curl_global_cleanup();
    e.st.seconds = sk_now() - t0;
    if (stats) *stats = e.st;
    free(e.slots);
    free(e.waiting);
    free(e.not_before);
    free(e.attempts);
    return st;
}
