// LABELS: fetch
// LIBS: sk_dataset
/* test_fetch_http.c: the batch GET engine (dataset/http.h) on its own, against the local
 * server: every job ends in exactly one callback, a check callback's FAIL is not retried while
 * RETRY is, oversized bodies fail, non-retryable statuses fail at once, cancellation stops the
 * run, and the retry schedule is reproducible. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dataset/http.h"
#include "http_server.h"
#include "sk_base.h"
#include "sk_test.h"

#define NJOBS 24

typedef struct {
    int calls[NJOBS];
    int ok[NJOBS];
    int attempts[NJOBS];
    long status[NJOBS];
    char reason[NJOBS][320];
    size_t len[NJOBS];
    int checks;
    volatile sig_atomic_t *cancel_after_first;
} record;

static void on_done(void *ctx, size_t job, const sk_http_result *res)
{
    record *r = ctx;
    r->calls[job]++;
    r->ok[job] = res->ok;
    r->attempts[job] = res->attempts;
    r->status[job] = res->status;
    r->len[job] = res->len;
    snprintf(r->reason[job], sizeof r->reason[job], "%s", res->reason);
    if (r->cancel_after_first) *r->cancel_after_first = 1;
}

/* Accepts every 200 and counts the calls. */
static sk_http_verdict check(void *ctx, size_t job, const sk_http_response *resp, char *why, size_t cap)
{
    record *r = ctx;
    (void)job;
    (void)resp;
    (void)why;
    (void)cap;
    r->checks++;
    return SK_HTTP_ACCEPT;
}

/* Job 1 is refused for good, job 2 once (then accepted); anything but image/jpeg is refused. */
static int g_flaky_seen;
static sk_http_verdict check_strict(void *ctx, size_t job, const sk_http_response *resp, char *why, size_t cap)
{
    (void)ctx;
    if (job == 1) {
        snprintf(why, cap, "rejected by the check");
        return SK_HTTP_FAIL;
    }
    if (job == 2 && !g_flaky_seen) {
        g_flaky_seen = 1;
        snprintf(why, cap, "transient");
        return SK_HTTP_RETRY;
    }
    if (strncmp(resp->content_type, "image/jpeg", 10) != 0) {
        snprintf(why, cap, "type %s", resp->content_type);
        return SK_HTTP_FAIL;
    }
    return SK_HTTP_ACCEPT;
}

static void opts(sk_http_opts *o)
{
    sk_http_opts_default(o);
    o->jobs = 6;
    o->retries = 2;
    o->timeout_s = 2.0;
    o->stall_s = 2.0;
    o->connect_timeout_s = 2.0;
    o->backoff_base_s = 0.02;
    o->backoff_max_s = 0.1;
}

int main(void)
{
    sk_log_set_level(SK_LOG_ERROR);
    sk_test_server *srv = sk_test_server_start();
    if (!srv) {
        printf("SKIPPED: cannot start a server on 127.0.0.1\n");
        return 77;
    }
    char *urls[NJOBS];
    for (int k = 0; k < NJOBS; k++) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s/x/getjpeg?id=%d&width=%d&height=32", sk_test_server_url(srv), k, 16 + k % 4);
        urls[k] = sk_xstrdup(buf);
    }
    sk_test_server_fault(srv, "id=3&", SK_FAULT_500, 1, 0);
    sk_test_server_fault(srv, "id=4&", SK_FAULT_RESET, 2, 0);
    sk_test_server_fault(srv, "id=5&", SK_FAULT_404, -1, 0);
    sk_test_server_fault(srv, "id=6&", SK_FAULT_500, -1, 0);
    sk_test_server_fault(srv, "id=7&", SK_FAULT_TEXT_TYPE, -1, 0);
    sk_test_server_fault(srv, "id=8&", SK_FAULT_TRUNCATE, 1, 0);

    record rec;
    memset(&rec, 0, sizeof rec);
    sk_http_opts o;
    opts(&o);
    sk_http_stats st;
    sk_error err;
    CHECK_OK(sk_http_run(&o, (const char *const *)urls, NJOBS, check_strict, on_done, &rec, &st, &err), &err);
    int once = 1;
    for (int k = 0; k < NJOBS; k++) once &= rec.calls[k] == 1;
    CHECKF(once, "every job reported exactly once");
    CHECK(!rec.ok[1] && rec.attempts[1] == 1 && strstr(rec.reason[1], "rejected by the check"));
    CHECK(rec.ok[2] && rec.attempts[2] == 2);
    CHECK(rec.ok[3] && rec.attempts[3] == 2);
    CHECK(rec.ok[4] && rec.attempts[4] == 3);
    CHECK(!rec.ok[5] && rec.attempts[5] == 1 && rec.status[5] == 404);
    CHECK(!rec.ok[6] && rec.attempts[6] == 3 && strstr(rec.reason[6], "retries exhausted"));
    CHECK(!rec.ok[7] && strstr(rec.reason[7], "type text/plain"));
    CHECK(rec.ok[8] && rec.attempts[8] == 2);
    CHECK_EQ_INT(st.ok, NJOBS - 4);
    CHECK_EQ_INT(st.failed, 4);
    CHECK_EQ_INT(sk_test_server_count(srv, "id=6&"), 3);
    CHECK_EQ_INT(sk_test_server_count(srv, "id=0&"), 1);
    for (int k = 9; k < NJOBS; k++) CHECK(rec.ok[k] && rec.attempts[k] == 1 && rec.len[k] > 100);

    /* a body over the limit fails without retry */
    memset(&rec, 0, sizeof rec);
    opts(&o);
    o.max_body = 64;
    CHECK_OK(sk_http_run(&o, (const char *const *)urls + 10, 2, check, on_done, &rec, &st, &err), &err);
    CHECK(!rec.ok[0] && strstr(rec.reason[0], "larger than the 64-byte limit") && rec.attempts[0] == 1);
    CHECK_EQ_INT(st.failed, 2);

    /* cancellation: set by the first completion; the run stops and reports it */
    memset(&rec, 0, sizeof rec);
    opts(&o);
    o.jobs = 1;
    static volatile sig_atomic_t cancel;
    cancel = 0;
    o.cancel = &cancel;
    rec.cancel_after_first = &cancel;
    CHECK(sk_http_run(&o, (const char *const *)urls + 9, 10, check, on_done, &rec, &st, &err) == SK_EINTERRUPTED);
    CHECK(st.ok + st.failed < 10);
    CHECK(strstr(err.msg, "interrupted") != NULL);

    /* stall detection: a transfer that stops sending is cut by the low-speed limit (1 s here),
     * long before the 10 s whole-transfer timeout */
    sk_test_server_fault(srv, "id=20&", SK_FAULT_STALL, -1, 6.0);
    memset(&rec, 0, sizeof rec);
    opts(&o);
    o.retries = 0;
    o.timeout_s = 10.0;
    o.stall_s = 1.0;
    double t0 = sk_now();
    CHECK_OK(sk_http_run(&o, (const char *const *)urls + 20, 1, check, on_done, &rec, &st, &err), &err);
    double dt = sk_now() - t0;
    CHECKF(!rec.ok[0] && strstr(rec.reason[0], "timeout or stall"), "stalled: %s", rec.reason[0]);
    CHECKF(dt < 8.0, "stall detected after %.2f s (whole-transfer timeout 10 s)", dt);

    /* zero jobs is a no-op */
    cancel = 0;
    CHECK_OK(sk_http_run(&o, NULL, 0, check, on_done, &rec, &st, &err), &err);

    for (int k = 0; k < NJOBS; k++) free(urls[k]);
    sk_test_server_stop(srv);
    return sk_test_finish();
}
