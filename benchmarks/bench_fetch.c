/* bench_fetch.c: cutout fetch throughput against a local server (sk_bench_fetch; not a test).
 *
 * Starts the test suite's HTTP server on 127.0.0.1 (it serves cached JPEGs of the requested
 * size, so the server costs little), then for each image size and each --jobs value runs
 * sk_fetch_run over a fresh output folder: one warm-up, then the median of --repeats runs, in
 * objects per second. Every run does the full work of a real fetch: complete JPEG decode check,
 * .part + fsync + rename, SHA-256, manifest. The machine is shared: runs whose spread
 * (max - min) / median exceeds 20% are flagged noisy.
 * The server is the test-support library sk_testsupport_http (tests/support/http_server.h).
 * Usage: sk_bench_fetch [--n64 N] [--n2048 N] [--repeats R] */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_server.h"
#include "sk_base.h"
#include "sk_dataset.h"

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char *p = sk_path_join(dir, de->d_name);
        if (de->d_type == DT_DIR) remove_tree(p);
        else unlink(p);
        free(p);
    }
    closedir(d);
    rmdir(dir);
}

static void make_catalog(sk_catalog *cat, int n)
{
    sk_buf b;
    sk_buf_init(&b);
    const char *hdr = "objid,ra,dec,class\n";
    sk_buf_put_bytes(&b, hdr, strlen(hdr));
    static const char *const cls[3] = {"GALAXY", "STAR", "QSO"};
    for (int k = 0; k < n; k++) {
        char line[128];
        int len = snprintf(line, sizeof line, "%d,%.10f,%.10f,%s\n", 1000 + k, 10.0 + 0.001 * k, 1.0, cls[k % 3]);
        sk_buf_put_bytes(&b, line, (size_t)len);
    }
    sk_error err;
    if (sk_catalog_parse(cat, (const char *)b.data, b.len, "bench catalog", &err)) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    sk_buf_free(&b);
}

/* One fetch of the whole catalog into a fresh folder; returns objects per second. */
static double one_run(const sk_test_server *srv, const sk_catalog *cat, int size, int jobs, const char *root)
{
    char *out = sk_path_join(root, "out");
    remove_tree(out);
    sk_fetch_opts o;
    sk_fetch_opts_default(&o);
    o.base_url = sk_test_server_url(srv);
    o.scale = 0.01;
    o.width = o.height = size;
    o.out_dir = out;
    o.progress = 0;
    o.http.jobs = jobs;
    o.http.timeout_s = 30;
    sk_fetch_summary sum;
    sk_error err;
    double t0 = sk_now();
    sk_status st = sk_fetch_run(&o, cat, &sum, &err);
    double dt = sk_now() - t0;
    if (st || sum.fetched != cat->n) {
        fprintf(stderr, "bench run failed: %s (fetched %zu of %zu)\n", st ? err.msg : "", sum.fetched, cat->n);
        exit(1);
    }
    sk_fetch_summary_free(&sum);
    remove_tree(out);
    free(out);
    return (double)cat->n / dt;
}

int main(int argc, char **argv)
{
    int n64 = 300, n2048 = 40, repeats = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--n64")) n64 = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--n2048")) n2048 = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--repeats")) repeats = atoi(argv[i + 1]);
        else { fprintf(stderr, "usage: sk_bench_fetch [--n64 N] [--n2048 N] [--repeats R]\n"); return 2; }
    }
    if (n64 < 1 || n2048 < 1 || repeats < 1 || repeats > 99) { fprintf(stderr, "bad arguments\n"); return 2; }
    sk_log_set_level(SK_LOG_WARN);
    sk_test_server *srv = sk_test_server_start();
    if (!srv) return 1;
    const char *tmp = getenv("TMPDIR");
    char root[512];
    snprintf(root, sizeof root, "%s/sk_bench_fetch.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(root)) { perror("mkdtemp"); return 1; }
    printf("fetch throughput, local server %s, objects/s, median of %d (after 1 warm-up)\n",
           sk_test_server_url(srv), repeats);
    printf("%-10s %6s %6s %12s %10s %s\n", "size", "n", "jobs", "objects/s", "MB/s", "");
    const int sizes[2] = {64, 2048}, ns[2] = {n64, n2048}, jobs[3] = {1, 4, 16};
    for (int s = 0; s < 2; s++) {
        sk_catalog cat;
        make_catalog(&cat, ns[s]);
        size_t jpeg_bytes = sk_test_server_jpeg_size(srv, sizes[s], sizes[s]);
        for (int j = 0; j < 3; j++) {
            double r[99];
            one_run(srv, &cat, sizes[s], jobs[j], root);
            for (int k = 0; k < repeats; k++) r[k] = one_run(srv, &cat, sizes[s], jobs[j], root);
            double med = sk_median(r, repeats); /* sorts r */
            double spread = (r[repeats - 1] - r[0]) / med;
            char label[32];
            snprintf(label, sizeof label, "%dx%d", sizes[s], sizes[s]);
            printf("%-10s %6d %6d %12.1f %10.1f %s\n", label, ns[s], jobs[j], med,
                   med * (double)jpeg_bytes / 1e6, spread > 0.2 ? "(noisy)" : "");
            fflush(stdout);
        }
        sk_catalog_free(&cat);
    }
    remove_tree(root);
    sk_test_server_stop(srv);
    return 0;
}
