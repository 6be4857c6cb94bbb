// LABELS: e2e
// TIMEOUT: 600
/* test_reproduce_e2e.c: `skytune reproduce` of a tiny paper-like suite (data = sdss: two models,
 * two levels each, 36 objects, one epoch) through every stage, offline: stand-ins on 127.0.0.1
 * for the SkyServer SQL service (a canned 19-column answer), ImgCutout (JPEGs of the requested
 * size) and the Keras weight files (HDF5 files with the official names and layout, made here
 * from seeded initialisers, their hashes given through SKYTUNE_WEIGHTS_HASHES).
 *
 * One run goes through uninterrupted. Another is killed (SIGKILL) once inside each stage: while
 * the SQL query is in flight, after some cutouts, with the packed data set written but not yet
 * renamed, while the second weight file downloads, before the second cell's run.json, and in the
 * middle of the report; each time the next run must resume at that stage (the earlier markers
 * stay, the killed stage's does not). The resumed run must end with the same catalog and data
 * set bytes, records that `bench check --against` finds identical, and a complete report; a
 * further run must do nothing. Last, imagenet-if-available with no weights to be had: the cells
 * start from the initialisers and the log, run.json and the report say so. The data sets of the
 * two runs hold the same images, labels and split; not the same bytes, since their provenance
 * names the run's folder and its manifest, which records each download's history. */
#include "sk_base.h"
#include "http_server.h"
#include "keras_h5.h"
#include "sk_test.h"
#include "sk_dataset.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOBJ 36
static const char *ARCHS[2] = {"mobilenetv2", "nasnetmobile"};
static const char *FILES[2] = {"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
                               "nasnet_mobile_no_top.h5"};

static const char *exe;
static char url[128], wurl[160];

static const char SUITE[] =
    "[suite]\nname = tiny\ndescription = e2e: the paper suite in miniature\ndata = sdss\nsdss_top = 36\n"
    "cutout_scale = 0.4\ncutout_size = 48\npack_size = 32\ninput_size = 32\nepochs = 1\nbatch = 8\n"
    "weights = %s\nval_fraction = 0.25\nsplit_seed = 123\nseeds = 1\n"
    "[arch mobilenetv2]\nlevels = 1, 6\n[arch nasnetmobile]\nlevels = 1, 11\n";

/* SkyServer's answer: "#Table1", the study's 19 columns, NOBJ rows of the three classes. */
static char *sql_answer(void)
{
    sk_buf b;
    sk_buf_init(&b);
    sk_buf_printf(&b, "#Table1\nobjid,ra,dec,u,g,r,i,z,run,rerun,camcol,field,fiberMag_g,specobjid,class,"
                      "redshift,plate,mjd,fiberid\n");
    static const char *cls[3] = {"GALAXY", "STAR", "QSO"};
    for (int i = 0; i < NOBJ; i++)
        sk_buf_printf(&b, "%llu,%.6f,%.6f,19.1,18.2,17.3,16.9,16.5,756,301,3,%d,18.9,%llu,%s,0.%03d,266,51630,%d\n",
                      1237648720693755000ULL + (unsigned long long)i, 150.0 + i * 0.01, 2.0 + i * 0.005, 400 + i,
                      299489676975171584ULL + (unsigned long long)i, cls[i % 7 == 6 ? 2 : i % 2], i, 100 + i);
    char *s = sk_xstrdup((const char *)b.data);
    sk_buf_free(&b);
    return s;
}

static pid_t spawn(const char *log, const char *kill_at, const char *suite, const char *out, const char *cache,
                   const char *extra)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0) return pid;
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
    }
    if (kill_at) setenv("SKYTUNE_TEST_KILL_AT", kill_at, 1);
    else unsetenv("SKYTUNE_TEST_KILL_AT");
    const char *argv[16] = {exe, "reproduce", "--suite", suite, "--out", out, "--cache", cache, "--skyserver-url",
                            url, "--weights-url", wurl, "--jobs", "2", extra, NULL};
    execv(exe, (char *const *)argv);
    _exit(127);
}

/* The exit status of pid as a shell shows it (128 + signal when killed). */
static int reap(pid_t pid)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {}
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Kills pid once the server has seen `count` requests matching `match`; -1 if pid ended first. */
static int kill_when(pid_t pid, sk_test_server *srv, const char *match, int count)
{
    for (int i = 0; i < 60000; i++) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) return -1;
        if (sk_test_server_count(srv, match) >= count) {
            kill(pid, SIGKILL);
            return reap(pid);
        }
        struct timespec ts = {0, 2 * 1000000L};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    reap(pid);
    return -2;
}

static int marker(const char *out, const char *stage)
{
    char p[2048];
    snprintf(p, sizeof p, "%s/stages/%s.done", out, stage);
    return sk_file_exists(p);
}

static void same_file(const char *a, const char *b)
{
    char ha[65] = "", hb[65] = "";
    sk_error e;
    CHECK_OK(sk_sha256_file(a, ha, &e), &e);
    CHECK_OK(sk_sha256_file(b, hb, &e), &e);
    CHECKF(strcmp(ha, hb) == 0, "%s and %s are byte-identical", a, b);
}

/* The same data set: header, records, pixels and the hash of the image files. Not the bytes:
 * its provenance names the manifest, which records each download's history (a row whose
 * download a kill interrupted says http_status 0, attempts 0). */
static void same_skds(const char *a, const char *b)
{
    sk_skds x, y;
    sk_error e;
    CHECK_OK(sk_skds_open(&x, a, SK_SKDS_OPEN_DEFAULT, &e), &e);
    CHECK_OK(sk_skds_open(&y, b, SK_SKDS_OPEN_DEFAULT, &e), &e);
    sk_skds_header hx = x.h, hy = y.h; /* source names the folder, which differs */
    memset(hx.source, 0, sizeof hx.source);
    memset(hy.source, 0, sizeof hy.source);
    int same = x.count == y.count && x.record_bytes == y.record_bytes && x.count > 0 &&
               !memcmp(&hx, &hy, sizeof hx) && !memcmp(x.records, y.records, x.count * sizeof *x.records) &&
               !memcmp(x.pixels, y.pixels, x.count * x.record_bytes);
    const char *fa = sk_skds_provenance(&x, "files_sha256"), *fb = sk_skds_provenance(&y, "files_sha256");
    CHECKF(same && fa && fb && !strcmp(fa, fb), "%s and %s: the same header, records, pixels and image files", a, b);
    sk_skds_close(&x);
    sk_skds_close(&y);
}

static int file_has(const char *path, const char *text)
{
    uint8_t *d = NULL;
    size_t n = 0;
    sk_error e;
    if (sk_read_file(path, &d, &n, 64u << 20, &e)) return 0;
    int found = strstr((char *)d, text) != NULL;
    free(d);
    return found;
}

static int run_cmd(const char *cmd)
{
    fflush(NULL);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The stand-in weight files (served under /weights/<name>) and their hashes for the override. */
static void weight_files(sk_test_server *srv, const char *dir)
{
    char hashes[1024], line[256];
    snprintf(hashes, sizeof hashes, "%s/hashes.tsv", dir);
    sk_buf hb;
    sk_buf_init(&hb);
    for (int i = 0; i < 2; i++) {
        char path[1024], match[200], hex[65];
        snprintf(path, sizeof path, "%s/%s", dir, FILES[i]);
        sk_error e;
        CHECK_OK(sk_test_keras_notop_h5(path, ARCHS[i], 32, 7 + (uint64_t)i, &e), &e);
        CHECK_OK(sk_sha256_file(path, hex, &e), &e);
        snprintf(line, sizeof line, "%s %s\n", FILES[i], hex);
        sk_buf_printf(&hb, "%s", line);
        uint8_t *d = NULL;
        size_t n = 0;
        CHECK_OK(sk_read_file(path, &d, &n, 1u << 30, &e), &e);
        snprintf(match, sizeof match, "/weights/%s", FILES[i]);
        sk_test_server_canned_bytes(srv, match, 200, "application/octet-stream", d, n);
        free(d);
    }
    sk_error e;
    CHECK_OK(sk_write_file_atomic(hashes, hb.data, hb.len, &e), &e);
    sk_buf_free(&hb);
    setenv("SKYTUNE_WEIGHTS_HASHES", hashes, 1);
}

static void write_suite(const char *path, const char *weights, int one_cell)
{
    char text[2048];
    snprintf(text, sizeof text, SUITE, weights);
    if (one_cell) *strstr(text, "[arch nasnetmobile]") = '\0';
    sk_error e;
    CHECK_OK(sk_write_file_atomic(path, text, strlen(text), &e), &e);
}

/* Kills a run once inside each stage, checking where it stopped; then lets it finish. */
static void interrupted(sk_test_server *srv, const char *dir, const char *suite, const char *out, const char *cache)
{
    char log[1024];
    snprintf(log, sizeof log, "%s/B.log", dir);
    sk_test_server_delay(srv, 1.0); /* the query stays in flight */
    int rc = kill_when(spawn(log, NULL, suite, out, cache, NULL), srv, "SqlSearch", 1);
    CHECKF(rc == 137 && !marker(out, "catalog"), "killed during the catalog query (exit %d)", rc);

    sk_test_server_delay(srv, 0.05);
    int before = sk_test_server_count(srv, "getjpeg");
    rc = kill_when(spawn(log, NULL, suite, out, cache, NULL), srv, "getjpeg", before + 10);
    CHECKF(rc == 137 && marker(out, "catalog") && !marker(out, "cutouts"), "killed after 10 cutouts (exit %d)", rc);

    sk_test_server_delay(srv, 0.0);
    rc = reap(spawn(log, ".skds", suite, out, cache, NULL));
    char tmpglob[1200];
    snprintf(tmpglob, sizeof tmpglob, "ls %s/data/tiny.skds.tmp.* >/dev/null 2>&1", out);
    CHECKF(rc == 137 && marker(out, "cutouts") && !marker(out, "pack") && run_cmd(tmpglob) == 0,
           "killed with the packed data set written, not renamed (exit %d)", rc);

    sk_test_server_delay(srv, 0.3);
    before = sk_test_server_count(srv, FILES[1]);
    rc = kill_when(spawn(log, NULL, suite, out, cache, NULL), srv, FILES[1], before + 1);
    CHECKF(rc == 137 && marker(out, "pack") && !marker(out, "weights") && run_cmd(tmpglob) != 0,
           "killed during the second weight file; the stale pack temp file removed (exit %d)", rc);

    sk_test_server_delay(srv, 0.0);
    rc = reap(spawn(log, "run.json:2", suite, out, cache, NULL));
    CHECKF(rc == 137 && marker(out, "weights") && !marker(out, "sweep"), "killed before the second run.json (exit %d)", rc);

    rc = reap(spawn(log, "/report/figures/", suite, out, cache, NULL));
    CHECKF(rc == 137 && marker(out, "sweep") && !marker(out, "report"), "killed inside the report (exit %d)", rc);

    rc = reap(spawn(log, NULL, suite, out, cache, NULL));
    CHECKF(rc == 0 && marker(out, "report"), "the resumed run finished (exit %d; log %s)", rc, log);
    int reqs = sk_test_server_count(srv, "");
    rc = reap(spawn(log, NULL, suite, out, cache, NULL));
    CHECKF(rc == 0 && sk_test_server_count(srv, "") == reqs, "a further run does nothing (exit %d)", rc);
    CHECK(file_has(log, "stage report: done before"));
}

static void compare(const char *dir, const char *a, const char *b)
{
    char x[2048], y[2048], cmd[8192];
    snprintf(x, sizeof x, "%s/data/catalog.csv", a);
    snprintf(y, sizeof y, "%s/data/catalog.csv", b);
    same_file(x, y);
    snprintf(x, sizeof x, "%s/data/tiny.skds", a);
    snprintf(y, sizeof y, "%s/data/tiny.skds", b);
    same_skds(x, y);
    snprintf(cmd, sizeof cmd, "'%s' bench check --results '%s' --against '%s' > '%s/check.log' 2>&1", exe, b, a, dir);
    CHECKF(run_cmd(cmd) == 0, "bench check --against: the resumed run's records equal the uninterrupted run's (%s/check.log)", dir);
    snprintf(cmd, sizeof cmd, "bash -c \"diff <(cd '%s/report' && find . -type f | sort) <(cd '%s/report' && find . -type f | sort)\"", a, b);
    CHECKF(run_cmd(cmd) == 0, "both reports hold the same files");
    snprintf(x, sizeof x, "%s/report/index.html", b);
    CHECK(sk_file_exists(x));
    snprintf(x, sizeof x, "%s/report/tables/summary.md", b);
    CHECK(sk_file_exists(x));
    snprintf(cmd, sizeof cmd, "command -v gnuplot >/dev/null && { ls '%s'/report/figures/*.png >/dev/null 2>&1 || exit 1; }; exit 0", b);
    CHECKF(run_cmd(cmd) == 0, "figures rendered (when gnuplot is installed)");
    snprintf(x, sizeof x, "%s/mobilenetv2/mobilenetv2-t1-s1/run.json", b);
    CHECKF(file_has(x, "keras-h5") && file_has(x, FILES[0]), "run.json says the weights came from the Keras file");
    snprintf(x, sizeof x, "%s/stages/weights.done", b);
    CHECK(file_has(x, "nasnetmobile download"));
}

/* imagenet-if-available with nothing to be had: initialisers, said everywhere. */
static void unavailable(const char *dir, const char *data)
{
    char suite[1024], out[1024], cache[1024], log[1024], x[1200];
    snprintf(suite, sizeof suite, "%s/avail.suite", dir);
    snprintf(out, sizeof out, "%s/C", dir);
    snprintf(cache, sizeof cache, "%s/cacheC", dir);
    snprintf(log, sizeof log, "%s/C.log", dir);
    write_suite(suite, "imagenet-if-available", 1);
    char saved[160];
    snprintf(saved, sizeof saved, "%s", wurl);
    snprintf(wurl, sizeof wurl, "%s/missing", url);
    char data_arg[1200];
    snprintf(data_arg, sizeof data_arg, "--data=%s", data);
    int rc = reap(spawn(log, NULL, suite, out, cache, data_arg));
    snprintf(wurl, sizeof wurl, "%s", saved);
    CHECKF(rc == 0, "imagenet-if-available without weights still runs (exit %d, %s)", rc, log);
    CHECK(file_has(log, "no ImageNet weights available"));
    snprintf(x, sizeof x, "%s/mobilenetv2/mobilenetv2-t1-s1/run.json", out);
    CHECKF(file_has(x, "initialisers") && file_has(x, "scratch"), "run.json: weights scratch, source initialisers");
    snprintf(x, sizeof x, "%s/report/index.md", out);
    CHECK(file_has(x, "no ImageNet weights were available"));
}

int main(void)
{
    exe = getenv("SKYTUNE");
    if (!exe) {
        printf("SKYTUNE not set (run through ctest)\n");
        return 77;
    }
    char *dir = sk_test_tmpdir("reproduce_e2e");
    sk_test_server *srv = sk_test_server_start();
    if (!srv) return 1;
    snprintf(url, sizeof url, "%s", sk_test_server_url(srv));
    snprintf(wurl, sizeof wurl, "%s/weights", url);
    setenv("SKYTUNE_NO_WEIGHTS_SCRIPT", "1", 1);
    unsetenv("SKYTUNE_SKYSERVER_URL");
    unsetenv("SKYTUNE_WEIGHTS_URL");
    char *sql = sql_answer();
    sk_test_server_canned(srv, "SqlSearch", 200, "text/plain", sql);
    free(sql);
    weight_files(srv, dir);
    char suite[1024], a[1024], b[1024], ca[1024], cb[1024], log[1024];
    snprintf(suite, sizeof suite, "%s/tiny.suite", dir);
    write_suite(suite, "imagenet", 0);
    snprintf(a, sizeof a, "%s/A", dir);
    snprintf(b, sizeof b, "%s/B", dir);
    snprintf(ca, sizeof ca, "%s/cacheA", dir);
    snprintf(cb, sizeof cb, "%s/cacheB", dir);
    snprintf(log, sizeof log, "%s/A.log", dir);
    int rc = reap(spawn(log, NULL, suite, a, ca, NULL));
    CHECKF(rc == 0, "the uninterrupted run (exit %d, log %s)", rc, log);
    const char *stages[] = {"catalog", "cutouts", "pack", "weights", "sweep", "report"};
    for (size_t i = 0; i < SK_ARRAY_LEN(stages); i++) CHECKF(marker(a, stages[i]), "stage %s marked done", stages[i]);
    interrupted(srv, dir, suite, b, cb);
    compare(dir, a, b);
    char data[1100];
    snprintf(data, sizeof data, "%s/data/tiny.skds", a);
    unavailable(dir, data);
    sk_test_server_stop(srv);
    free(dir);
    return sk_test_finish();
}
