// LABELS: fetch
// TIMEOUT: 120
// LIBS: sk_dataset
/* test_fetch.c: the cutout fetcher against the fault-injecting server on 127.0.0.1: every fault
 * kind ends fetched (after retries) or reported failed, no .part or partial file remains,
 * Retry-After is honoured, a re-run fetches nothing twice and replaces a damaged file, and a run
 * SIGKILLed midway then re-run completes with no object fetched twice. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sk_dataset.h"
#include "sk_base.h"
#include "http_server.h"
#include "sk_test.h"

#define IMG 64

static const char *const CLS[3] = {"GALAXY", "STAR", "QSO"};

static double obj_ra(int k) { return 100.0 + 0.25 * k; }

static char *write_catalog_range(const char *dir, const char *file, int first, int n)
{
    sk_buf b;
    sk_buf_init(&b);
    const char *hdr = "objid,ra,dec,class\n";
    sk_buf_put_bytes(&b, hdr, strlen(hdr));
    for (int k = first; k < first + n; k++) {
        char line[128];
        int len = snprintf(line, sizeof line, "%llu,%.15g,%.15g,%s\n", 1237600000000000000ull + (unsigned)k,
                           obj_ra(k), -5.0 + 0.125 * k, CLS[k % 3]);
        sk_buf_put_bytes(&b, line, (size_t)len);
    }
    char *path = sk_path_join(dir, file);
    sk_error err;
    CHECK_OK(sk_write_file_atomic(path, b.data, b.len, &err), &err);
    sk_buf_free(&b);
    return path;
}

static char *write_catalog(const char *dir, int n) { return write_catalog_range(dir, "catalog.csv", 0, n); }

static void match_of(char *buf, size_t cap, int k) { snprintf(buf, cap, "ra=%.15g&", obj_ra(k)); }

static char *obj_path(const char *out, int k)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s/%s/%llu.jpg", out, CLS[k % 3], 1237600000000000000ull + (unsigned)k);
    return sk_xstrdup(buf);
}

static int file_valid(const char *path)
{
    uint8_t *d;
    size_t n;
    sk_error err;
    if (sk_read_file(path, &d, &n, 1 << 26, &err) != SK_OK) return 0;
    char why[256];
    int ok = sk_fetch_check_jpeg(d, n, IMG, IMG, why, sizeof why) == 0;
    free(d);
    return ok;
}

/* Counts files ending in suffix under dir and its class folders. */
static int count_files(const char *dir, const char *suffix)
{
    int n = 0;
    for (int c = -1; c < 3; c++) {
        char *d = c < 0 ? sk_xstrdup(dir) : sk_path_join(dir, CLS[c]);
        DIR *dh = opendir(d);
        free(d);
        if (!dh) continue;
        struct dirent *de;
        size_t sl = strlen(suffix);
        while ((de = readdir(dh))) {
            size_t l = strlen(de->d_name);
            if (l > sl && !strcmp(de->d_name + l - sl, suffix)) n++;
        }
        closedir(dh);
    }
    return n;
}

static int count_lines(const char *path)
{
    uint8_t *d;
    size_t n;
    sk_error err;
    if (sk_read_file(path, &d, &n, 1 << 26, &err) != SK_OK) return -1;
    int lines = 0;
    for (size_t k = 0; k < n; k++) lines += d[k] == '\n';
    free(d);
    return lines;
}

static int file_has(const char *path, const char *needle);

static void base_opts(sk_fetch_opts *o, const sk_test_server *srv, const char *out)
{
    sk_fetch_opts_default(o);
    o->base_url = sk_test_server_url(srv);
    o->release = "dr16";
    o->scale = 0.2;
    o->width = o->height = IMG;
    o->out_dir = out;
    o->progress = 0;
    o->http.jobs = 4;
    o->http.retries = 3;
    o->http.timeout_s = 1.0;
    o->http.stall_s = 1.0;
    o->http.connect_timeout_s = 1.0;
    o->http.backoff_base_s = 0.05;
    o->http.backoff_max_s = 0.2;
    o->http.retry_after_max_s = 5.0;
}

static void test_units(void)
{
    sk_fetch_opts o;
    sk_fetch_opts_default(&o);
    char url[512];
    sk_fetch_url(url, sizeof url, &o, 183.5313256941, -0.0896930301);
    CHECK_STR(url, "https://skyserver.sdss.org/dr16/SkyServerWS/ImgCutout/getjpeg?ra=183.5313256941&dec=-0.0896930301&scale=0.01&width=2048&height=2048");
    sk_http_opts h;
    sk_http_opts_default(&h);
    h.backoff_base_s = 1.0;
    h.backoff_max_s = 10.0;
    for (int a = 1; a <= 6; a++) {
        double d = sk_http_backoff(&h, 7, a);
        double cap = a >= 5 ? 10.0 : (double)(1 << (a - 1));
        CHECKF(d >= 0.5 * cap && d < cap, "backoff attempt %d = %g in [%g, %g)", a, d, 0.5 * cap, cap);
        CHECK(d == sk_http_backoff(&h, 7, a)); /* deterministic */
    }
    CHECK(sk_http_backoff(&h, 7, 1) != sk_http_backoff(&h, 8, 1)); /* jitter differs per job */
    char *e = sk_http_urlencode("SELECT a,b FROM t WHERE x='y' & z>1");
    CHECK_STR(e, "SELECT%20a%2Cb%20FROM%20t%20WHERE%20x%3D%27y%27%20%26%20z%3E1");
    free(e);
}

/* One fault per object; the first ten recover, the last five never do. */
static void test_faults(sk_test_server *srv, const char *root)
{
    char *out = sk_path_join(root, "faults");
    char *catpath = write_catalog(root, 20);
    struct { sk_fault kind; int times; double param; } plan[15] = {
        {SK_FAULT_500, 2, 0},        {SK_FAULT_429, 1, 1.0},     {SK_FAULT_STALL, 1, 3.0},
        {SK_FAULT_TRUNCATE, 1, 0},   {SK_FAULT_HTML200, 1, 0},   {SK_FAULT_WRONG_SIZE, 1, 0},
        {SK_FAULT_RESET, 1, 0},      {SK_FAULT_TEXT_TYPE, 1, 0}, {SK_FAULT_BAD_JPEG, 1, 0},
        {SK_FAULT_503, 1, 1.0},      {SK_FAULT_500, -1, 0},      {SK_FAULT_404, -1, 0},
        {SK_FAULT_HTML200, -1, 0},   {SK_FAULT_STALL, -1, 3.0},  {SK_FAULT_TRUNCATE, -1, 0},
    };
    char m[64];
    for (int k = 0; k < 15; k++) {
        match_of(m, sizeof m, k);
        sk_test_server_fault(srv, m, plan[k].kind, plan[k].times, plan[k].param);
    }
    sk_catalog cat;
    sk_error err;
    CHECK_OK(sk_catalog_read(&cat, catpath, &err), &err);
    CHECK_EQ_INT(cat.n, 20);
    sk_fetch_opts o;
    base_opts(&o, srv, out);
    sk_fetch_summary sum;
    CHECK_OK(sk_fetch_run(&o, &cat, &sum, &err), &err);
    CHECK_EQ_INT(sum.total, 20);
    CHECK_EQ_INT(sum.fetched, 15);
    CHECK_EQ_INT(sum.failed, 5);
    CHECK_EQ_INT(sum.present, 0);
    for (int k = 0; k < 20; k++) {
        char *p = obj_path(out, k);
        if (k >= 10 && k < 15) CHECKF(!sk_file_exists(p), "failed object %d has no file", k);
        else CHECKF(file_valid(p), "object %d fetched and valid (%s)", k, p);
        free(p);
    }
    /* attempts: two 500s then success = 3 requests; the permanent 500 = 1 + 3 retries */
    match_of(m, sizeof m, 0);
    CHECK_EQ_INT(sk_test_server_count(srv, m), 3);
    match_of(m, sizeof m, 10);
    CHECK_EQ_INT(sk_test_server_count(srv, m), 4);
    match_of(m, sizeof m, 11);
    CHECK_EQ_INT(sk_test_server_count(srv, m), 1); /* 404 is not retried */
    for (int k = 15; k < 20; k++) {
        match_of(m, sizeof m, k);
        CHECK_EQ_INT(sk_test_server_count(srv, m), 1);
    }
    /* Retry-After: 1 s; the retry must not come early (loose bound, no upper limit asserted) */
    double t[4];
    match_of(m, sizeof m, 1);
    CHECK_EQ_INT(sk_test_server_times(srv, m, t, 4), 2);
    CHECKF(t[1] - t[0] >= 0.9, "429 retry waited %.3f s (Retry-After: 1)", t[1] - t[0]);
    match_of(m, sizeof m, 9);
    CHECK_EQ_INT(sk_test_server_times(srv, m, t, 4), 2);
    CHECKF(t[1] - t[0] >= 0.9, "503 retry waited %.3f s (Retry-After: 1)", t[1] - t[0]);
    /* failure reasons name the fault */
    const char *want[5] = {"HTTP 500", "HTTP 404", "not an image", "timeout", "truncated"};
    for (size_t f = 0; f < sum.failed; f++) {
        size_t row = sum.failures[f].row;
        CHECK(row >= 10 && row < 15);
        if (row >= 10 && row < 15)
            CHECKF(strstr(sum.failures[f].reason, want[row - 10]) != NULL, "object %zu reason '%s' mentions '%s'",
                   row, sum.failures[f].reason, want[row - 10]);
    }
    CHECK_EQ_INT(count_files(out, ".part"), 0);
    CHECK_EQ_INT(count_files(out, ".jpg"), 15);
    char *man = sk_path_join(out, "manifest.tsv"), *failed = sk_path_join(out, "failed.tsv");
    CHECK_EQ_INT(count_lines(man), 16);
    CHECK_EQ_INT(count_lines(failed), 6);
    CHECK(file_has(man, "objid\tclass\tra\tdec\turl\tbytes\tsha256\thttp_status\tattempts\tfile\n"));
    CHECK(file_has(man, "\n1237600000000000000\tGALAXY\t100\t-5\thttp://127.0.0.1:"));
    CHECK(file_has(man, "/dr16/SkyServerWS/ImgCutout/getjpeg?ra=100&dec=-5&scale=0.2&width=64&height=64\t"));
    CHECK(file_has(man, "\t200\t3\tGALAXY/1237600000000000000.jpg\n")); /* two 500s, then 200 */
    CHECK(file_has(failed, "\n1237600000000000011\tQSO/1237600000000000011.jpg\tQSO\t13\t"));
    {
        char *p0 = obj_path(out, 0), hex[65], needle[80];
        CHECK_OK(sk_sha256_file(p0, hex, &err), &err);
        snprintf(needle, sizeof needle, "\t%s\t200\t", hex);
        CHECK(file_has(man, needle));
        free(p0);
    }
    sk_fetch_summary_free(&sum);

    /* re-run: nothing valid is fetched again; a damaged file is replaced */
    char *p3 = obj_path(out, 3);
    uint8_t *d;
    size_t n;
    CHECK_OK(sk_read_file(p3, &d, &n, 1 << 26, &err), &err);
    CHECK_OK(sk_write_file_atomic(p3, d, n / 2, &err), &err);
    free(d);
    int before[20];
    for (int k = 0; k < 20; k++) {
        match_of(m, sizeof m, k);
        before[k] = sk_test_server_count(srv, m);
    }
    o.http.retries = 1; /* the permanent faults fail again; keep it short */
    CHECK_OK(sk_fetch_run(&o, &cat, &sum, &err), &err);
    CHECK_EQ_INT(sum.present, 14);
    CHECK_EQ_INT(sum.replaced, 1);
    CHECK_EQ_INT(sum.fetched, 1);
    CHECK_EQ_INT(sum.failed, 5);
    CHECK(file_valid(p3));
    for (int k = 0; k < 20; k++) {
        match_of(m, sizeof m, k);
        int extra = sk_test_server_count(srv, m) - before[k];
        if (k == 3) CHECK_EQ_INT(extra, 1);
        else if (k < 10 || k >= 15) CHECKF(extra == 0, "object %d requested %d more times on re-run", k, extra);
    }
    CHECK_EQ_INT(count_lines(man), 16);
    CHECK_EQ_INT(count_files(out, ".part"), 0);
    sk_fetch_summary_free(&sum);
    free(p3);
    free(man);
    free(failed);
    sk_catalog_free(&cat);
    free(catpath);
    free(out);
}

/* A run killed with SIGKILL midway, then re-run: completes, and nothing that had landed is
 * requested again. */
static void test_kill_and_resume(sk_test_server *srv, const char *root)
{
    const int N = 40;
    char *dir = sk_path_join(root, "kill");
    sk_error err;
    CHECK_OK(sk_mkdir_p(dir, &err), &err);
    char *catpath = write_catalog(dir, N);
    char *out = sk_path_join(dir, "out");
    sk_test_server_delay(srv, 0.08);
    const char *exe = getenv("SKYTUNE");
    pid_t pid = fork();
    if (pid == 0) {
        if (exe && exe[0]) {
            execl(exe, exe, "--quiet", "dataset", "fetch", "--catalog", catpath, "--out", out, "--size", "64",
                  "--scale", "0.2", "--jobs", "2", "--timeout", "5", "--base-url", sk_test_server_url(srv),
                  (char *)NULL);
            _exit(127);
        }
        sk_catalog c;
        sk_error e;
        if (sk_catalog_read(&c, catpath, &e)) _exit(3);
        sk_fetch_opts o;
        base_opts(&o, srv, out);
        o.http.jobs = 2;
        o.http.timeout_s = 5;
        sk_fetch_summary s;
        _exit(sk_fetch_run(&o, &c, &s, &e) == SK_OK ? 0 : 1);
    }
    CHECK(pid > 0);
    double t0 = sk_now();
    int landed = 0;
    while (sk_now() - t0 < 30.0) {
        landed = count_files(out, ".jpg");
        if (landed >= 10) break;
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    int wst = 0;
    waitpid(pid, &wst, 0);
    CHECK(WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL);
    landed = count_files(out, ".jpg");
    CHECKF(landed >= 10 && landed < N, "killed midway: %d of %d files landed", landed, N);
    unsigned char had[64] = {0};
    for (int k = 0; k < N; k++) {
        char *p = obj_path(out, k);
        had[k] = (unsigned char)sk_file_exists(p);
        if (had[k]) CHECKF(file_valid(p), "a file that landed before the kill is complete: %s", p);
        free(p);
    }
    sk_test_server_delay(srv, 0);
    sk_catalog cat;
    CHECK_OK(sk_catalog_read(&cat, catpath, &err), &err);
    sk_fetch_opts o;
    base_opts(&o, srv, out);
    sk_fetch_summary sum;
    CHECK_OK(sk_fetch_run(&o, &cat, &sum, &err), &err);
    CHECK_EQ_INT(sum.failed, 0);
    CHECK_EQ_INT(sum.present + sum.fetched, N);
    CHECK_EQ_INT(sum.present, landed);
    int total = 0;
    for (int k = 0; k < N; k++) {
        char m[64];
        match_of(m, sizeof m, k);
        int c = sk_test_server_count(srv, m);
        total += c;
        char *p = obj_path(out, k);
        CHECKF(file_valid(p), "object %d complete after resume", k);
        free(p);
        if (had[k]) CHECKF(c == 1, "object %d landed before the kill and was requested %d times", k, c);
        else CHECKF(c >= 1 && c <= 2, "object %d requested %d times (at most once per run)", k, c);
    }
    CHECKF(total <= N + 2, "%d requests for %d objects: at most the 2 in flight at the kill repeat", total, N);
    CHECK_EQ_INT(count_files(out, ".part"), 0);
    char *man = sk_path_join(out, "manifest.tsv");
    CHECK_EQ_INT(count_lines(man), N + 1);
    free(man);
    sk_fetch_summary_free(&sum);
    sk_catalog_free(&cat);
    free(catpath);
    free(out);
    free(dir);
}


/* Runs the skytune binary with args (NULL-terminated), stderr to errfile; returns the exit
 * status, 128+signal if killed, or -1. If sig_after_files > 0, sends sig once that many .jpg
 * files have landed under watch_dir. */
static int run_skytune(const char *exe, char *const *args, const char *errfile, int sig,
                       int sig_after_files, const char *watch_dir)
{
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = freopen(errfile, "w", stderr);
        (void)f;
        execv(exe, args);
        _exit(127);
    }
    if (pid < 0) return -1;
    if (sig_after_files > 0) {
        double t0 = sk_now();
        while (sk_now() - t0 < 30.0 && count_files(watch_dir, ".jpg") < sig_after_files) {
            struct timespec ts = {0, 5 * 1000000L};
            nanosleep(&ts, NULL);
        }
        kill(pid, sig);
    }
    int st = 0;
    if (waitpid(pid, &st, 0) != pid) return -1;
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int file_has(const char *path, const char *needle)
{
    uint8_t *d;
    size_t n;
    sk_error err;
    if (sk_read_file(path, &d, &n, 1 << 24, &err) != SK_OK) return 0;
    int found = strstr((const char *)d, needle) != NULL;
    free(d);
    return found;
}

/* The command line: exit status 0 when everything is fetched, 3 when some objects failed (each
 * listed), 1 when nothing could be; --rate spaces requests, SIGTERM stops cleanly (exit 130)
 * with a manifest and no .part file. */
static void test_cli(sk_test_server *srv, const char *root)
{
    const char *exe = getenv("SKYTUNE");
    if (!exe || !exe[0]) { printf("note: SKYTUNE not set, CLI part skipped\n"); return; }
    char *dir = sk_path_join(root, "cli");
    sk_error err;
    CHECK_OK(sk_mkdir_p(dir, &err), &err);
    char *cat6 = write_catalog_range(dir, "six.csv", 100, 6);
    char *cat3 = write_catalog_range(dir, "three.csv", 100, 3);
    char *out = sk_path_join(dir, "out"), *errf = sk_path_join(dir, "stderr.txt");
    char m[64];
    match_of(m, sizeof m, 103);
    sk_test_server_fault(srv, m, SK_FAULT_404, -1, 0);
    char *args[] = {(char *)exe, "dataset", "fetch", "--catalog", cat6, "--out", out, "--size", "64",
                    "--scale", "0.2", "--jobs", "4", "--rate", "10", "--timeout", "5", "--quiet",
                    "--base-url", (char *)sk_test_server_url(srv), NULL};
    CHECK_EQ_INT(run_skytune(exe, args, errf, 0, 0, NULL), 3);
    CHECKF(file_has(errf, "failed: 1237600000000000103"), "the failure is listed on stderr");
    CHECKF(file_has(errf, "5 fetched, 1 failed"), "the summary counts");
    char *failed = sk_path_join(out, "failed.tsv");
    CHECK_EQ_INT(count_lines(failed), 2);
    double first = 1e300, last = -1e300;
    for (int k = 100; k < 106; k++) {
        double t[2];
        match_of(m, sizeof m, k);
        if (sk_test_server_times(srv, m, t, 2) < 1) continue;
        if (t[0] < first) first = t[0];
        if (t[0] > last) last = t[0];
    }
    CHECKF(last - first >= 0.45, "6 requests at --rate 10 spread over %.3f s (>= 0.5 expected)", last - first);
    args[4] = cat3;
    int before = sk_test_server_count(srv, "getjpeg");
    CHECK_EQ_INT(run_skytune(exe, args, errf, 0, 0, NULL), 0);
    CHECKF(file_has(errf, "3 already present, 0 fetched, 0 failed"), "re-run summary");
    CHECK_EQ_INT(sk_test_server_count(srv, "getjpeg") - before, 0);
    CHECK(!sk_file_exists(failed));
    /* Nothing usable: every object fails -> exit 1. */
    char *cat1 = write_catalog_range(dir, "one.csv", 103, 1);
    char *out1 = sk_path_join(dir, "out1");
    args[4] = cat1;
    args[6] = out1;
    CHECK_EQ_INT(run_skytune(exe, args, errf, 0, 0, NULL), 1);
    CHECKF(file_has(errf, "nothing usable"), "nothing usable is said");
    free(cat1);
    free(out1);

    /* SIGTERM midway: stops, keeps what landed, writes the manifest */
    char *cat30 = write_catalog_range(dir, "thirty.csv", 200, 30);
    char *out2 = sk_path_join(dir, "out2"), *man2 = sk_path_join(out2, "manifest.tsv");
    sk_test_server_delay(srv, 0.05);
    char *args2[] = {(char *)exe, "dataset", "fetch", "--catalog", cat30, "--out", out2, "--size", "64",
                     "--scale", "0.2", "--jobs", "2", "--timeout", "5", "--quiet", "--base-url",
                     (char *)sk_test_server_url(srv), NULL};
    CHECK_EQ_INT(run_skytune(exe, args2, errf, SIGTERM, 4, out2), 130);
    sk_test_server_delay(srv, 0);
    int landed = count_files(out2, ".jpg");
    CHECKF(landed >= 4 && landed < 30, "%d files landed before SIGTERM", landed);
    CHECK_EQ_INT(count_lines(man2), landed + 1);
    CHECK_EQ_INT(count_files(out2, ".part"), 0);
    free(cat6);
    free(cat3);
    free(cat30);
    free(out);
    free(out2);
    free(man2);
    free(errf);
    free(failed);
    free(dir);
}

int main(void)
{
    sk_log_set_level(SK_LOG_ERROR);
    test_units();
    sk_test_server *srv = sk_test_server_start();
    if (!srv) {
        printf("SKIPPED: cannot start a server on 127.0.0.1\n");
        return 77;
    }
    char *root = sk_test_tmpdir("fetch");
    double t0 = sk_now();
    test_faults(srv, root);
    printf("fault test: %.2f s\n", sk_now() - t0);
    t0 = sk_now();
    sk_test_server *srv2 = sk_test_server_start();
    CHECK(srv2 != NULL);
    if (srv2) {
        test_kill_and_resume(srv2, root);
        test_cli(srv2, root);
        sk_test_server_stop(srv2);
        printf("kill/resume test: %.2f s\n", sk_now() - t0);
    }
    sk_test_server_stop(srv);
    free(root);
    return sk_test_finish();
}
