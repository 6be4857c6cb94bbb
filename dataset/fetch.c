/* fetch.c: the resumable parallel cutout downloader (see fetch.h for the contract).
 *
 * Plan: make the class folders, drop stale .part files, load the previous manifest, keep every
 * valid file on disk, and hand the rest to the http engine. The engine's check callback judges
 * bodies (type, complete JPEG decode, size); its done callback queues accepted bodies for a
 * few writer threads that land them through .part + fsync + rename (disk latency must not stall
 * the transfers); the main thread alone updates the summary and the manifest rows, which are
 * keyed by the file's path relative to OUT (CLASS/name.jpg). */
#include "fetch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h> /* before jpeglib.h, which needs FILE */
#include <jpeglib.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sk_base.h"
#include "manifest.h"

void sk_fetch_opts_default(sk_fetch_opts *o)
{
    memset(o, 0, sizeof *o);
    o->base_url = "https://skyserver.sdss.org";
    o->release = "dr16";
    o->scale = 0.01;
    o->width = o->height = 2048;
    o->progress = 1;
    o->checkpoint_s = 2.0;
    sk_http_opts_default(&o->http);
}

void sk_fetch_url(char *buf, size_t cap, const sk_fetch_opts *o, double ra, double dec)
{
    size_t bl = strlen(o->base_url);
    while (bl > 0 && o->base_url[bl - 1] == '/') bl--;
    sk_snprintf(buf, cap, "%.*s/%s/SkyServerWS/ImgCutout/getjpeg?ra=%.15g&dec=%.15g&scale=%.9g&width=%d&height=%d",
                (int)bl, o->base_url, o->release, ra, dec, o->scale, o->width, o->height);
}

/* ---- complete JPEG decode check (libjpeg; errors longjmp, warnings count as errors) ---- */
typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    int warned;
    char msg[JMSG_LENGTH_MAX];
} jerr_mgr;

static void jerr_exit(j_common_ptr c)
{
    jerr_mgr *m = (jerr_mgr *)c->err;
    c->err->format_message(c, m->msg);
    longjmp(m->jb, 1);
}

static void jerr_emit(j_common_ptr c, int level)
{
    jerr_mgr *m = (jerr_mgr *)c->err;
    if (level < 0 && !m->warned) {
        m->warned = 1;
        c->err->format_message(c, m->msg);
    }
}

int sk_fetch_check_jpeg(const uint8_t *data, size_t n, int want_w, int want_h, char *why, size_t cap)
{
    if (n < 4 || data[0] != 0xFF || data[1] != 0xD8) {
        snprintf(why, cap, "not a JPEG (%zu bytes, starts %02x %02x)", n, n > 0 ? data[0] : 0u,
                 n > 1 ? data[1] : 0u);
        return -1;
    }
    struct jpeg_decompress_struct d;
    jerr_mgr m;
    memset(&m, 0, sizeof m);
    d.err = jpeg_std_error(&m.pub);
    m.pub.error_exit = jerr_exit;
    m.pub.emit_message = jerr_emit;
    JSAMPARRAY rows = NULL;
    /* volatile: read after longjmp */
    volatile int result = -1;
    jpeg_create_decompress(&d);
    if (setjmp(m.jb)) {
        snprintf(why, cap, "corrupt JPEG: %s", m.msg);
        jpeg_destroy_decompress(&d);
        return -1;
    }
    jpeg_mem_src(&d, data, (unsigned long)n);
    jpeg_read_header(&d, TRUE);
    if ((want_w && (int)d.image_width != want_w) || (want_h && (int)d.image_height != want_h)) {
        snprintf(why, cap, "image is %ux%u, expected %dx%d", (unsigned)d.image_width,
                 (unsigned)d.image_height, want_w, want_h);
        jpeg_destroy_decompress(&d);
        return -1;
    }
    /* 1/8 DCT scaling still entropy-decodes every coefficient, so truncation is caught */
    d.scale_num = 1;
    d.scale_denom = 8;
    d.dct_method = JDCT_IFAST;
    jpeg_start_decompress(&d);
    rows = (*d.mem->alloc_sarray)((j_common_ptr)&d, JPOOL_IMAGE,
                                  d.output_width * (JDIMENSION)d.output_components, 1);
    while (d.output_scanline < d.output_height) jpeg_read_scanlines(&d, rows, 1);
    jpeg_finish_decompress(&d);
    if (m.warned) snprintf(why, cap, "incomplete or corrupt JPEG: %s", m.msg);
    else result = 0;
    jpeg_destroy_decompress(&d);
    return result;
}

/* ---- manifest ---- */
static const sk_manifest_col FETCH_COLS[] = {SK_MF_OBJID, SK_MF_CLASS, SK_MF_RA, SK_MF_DEC, SK_MF_URL,
                                             SK_MF_BYTES, SK_MF_SHA256, SK_MF_HTTP_STATUS,
                                             SK_MF_ATTEMPTS, SK_MF_FILE};

/* This run's manifest row of a catalog object. */
typedef struct {
    int set;
    size_t bytes;
    char sha[65];
    long status;
    int attempts;
} cur_row;

/* Loads OUT/manifest.tsv of an earlier run when there is one; it must have fetch's columns. */
static sk_status load_manifest(const char *path, sk_manifest *m, sk_error *err)
{
    sk_manifest_init(m, FETCH_COLS, (int)SK_ARRAY_LEN(FETCH_COLS));
    if (!sk_path_exists(path)) return SK_OK;
    sk_manifest_free(m);
    sk_status st = sk_manifest_read(m, path, NULL, err);
    if (st) return sk_error_prefix(err, "the previous run's manifest: ");
    sk_manifest_sort(m);
    if (m->ncols != (int)SK_ARRAY_LEN(FETCH_COLS) || memcmp(m->cols, FETCH_COLS, sizeof FETCH_COLS)) {
        sk_manifest_free(m);
        return sk_error_set(err, SK_EFORMAT, "%s: expected the columns `dataset fetch` writes (objid class "
                            "ra dec url bytes sha256 http_status attempts file), found others: not a "
                            "fetch manifest (move it away)", path);
    }
    return SK_OK;
}

/* ---- run state ---- */
typedef struct {
    size_t row;
    uint8_t *body;
    size_t len;
    long status;
    int attempts;
    int ok;               /* result: landed */
    char sha[65];
    char err[320];
} land_item;

typedef struct {
    const sk_fetch_opts *o;
    const sk_catalog *cat;
    char **paths;        /* per catalog row: OUT/CLASS/name.jpg */
    char **rel;          /* per catalog row: CLASS/name.jpg */
    char **urls;         /* per catalog row */
    cur_row *cur;        /* per catalog row: this run's manifest row, if set */
    size_t *job_row;     /* http job -> catalog row */
    const sk_manifest *prev; /* the previous run's (sorted by file) */
    char *manifest_path, *failed_path;
    sk_fetch_summary *sum;
    sk_progress bar;
    size_t done_jobs;
    double last_checkpoint;
    /* writer pool: accepted bodies are landed (write, fsync, rename, SHA-256) off the network
     * loop, so disk latency does not stall transfers. Queue and results under mu. */
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_space;
    land_item *queue;      /* ring of qcap */
    size_t qcap, qhead, qlen;
    land_item *results;    /* landed or failed items awaiting the main thread */
    size_t nres, capres;
    int closing;
    pthread_t *writers;
    int nwriters;
} run_state;

static void set_row(run_state *r, size_t row, size_t bytes, const char *sha, long status, int attempts)
{
    cur_row *c = &r->cur[row];
    c->set = 1;
    c->bytes = bytes;
    snprintf(c->sha, sizeof c->sha, "%s", sha);
    c->status = status;
    c->attempts = attempts;
}

/* Writes the merged manifest: previous rows for files this run did not touch, and this run's
 * rows, sorted by file. */
static sk_status write_manifest(const run_state *r, sk_error *err)
{
    sk_manifest m;
    sk_manifest_init(&m, FETCH_COLS, (int)SK_ARRAY_LEN(FETCH_COLS));
    unsigned char *replaced = sk_xcalloc(r->prev->nrows + 1, 1);
    sk_status st = SK_OK;
    for (size_t k = 0; k < r->cat->n && !st; k++) {
        const cur_row *c = &r->cur[k];
        if (!c->set) continue;
        const sk_catalog_row *cr = &r->cat->rows[k];
        char ra[32], dec[32], bytes[24], status[24], attempts[24];
        snprintf(ra, sizeof ra, "%.15g", cr->ra);
        snprintf(dec, sizeof dec, "%.15g", cr->dec);
        snprintf(bytes, sizeof bytes, "%zu", c->bytes);
        snprintf(status, sizeof status, "%ld", c->status);
        snprintf(attempts, sizeof attempts, "%d", c->attempts);
        const char *f[] = {cr->objid, sk_class_name(cr->cls), ra, dec, r->urls[k], bytes, c->sha,
                           status, attempts, r->rel[k]};
        st = sk_manifest_add(&m, f, r->manifest_path, err);
        long pi = sk_manifest_find(r->prev, r->rel[k]);
        if (pi >= 0) replaced[pi] = 1;
    }
    for (size_t k = 0; k < r->prev->nrows && !st; k++)
        if (!replaced[k]) sk_manifest_add_from(&m, r->prev, k);
    if (!st) {
        sk_manifest_sort(&m);
        st = sk_manifest_write(&m, r->manifest_path, NULL, err);
    }
    free(replaced);
    sk_manifest_free(&m);
    return st;
}

static sk_status write_failures(const run_state *r, sk_error *err)
{
    const sk_fetch_summary *s = r->sum;
    if (s->failed == 0) {
        if (sk_file_exists(r->failed_path) && unlink(r->failed_path) != 0)
            return sk_error_set(err, SK_EIO, "%s: cannot remove stale file: %s", r->failed_path, strerror(errno));
        return SK_OK;
    }
    sk_buf b;
    sk_buf_init(&b);
    static const char hdr[] = "objid\tfile\tclass\tline\turl\thttp_status\tattempts\treason\n";
    sk_buf_put_bytes(&b, hdr, sizeof hdr - 1);
    for (size_t k = 0; k < s->failed; k++) {
        const sk_fetch_failure *f = &s->failures[k];
        const sk_catalog_row *c = &r->cat->rows[f->row];
        char line[1024 + 512];
        int len = snprintf(line, sizeof line, "%s\t%s\t%s\t%ld\t%s\t%ld\t%d\t%s\n", c->objid,
                           r->rel[f->row], sk_class_name(c->cls), c->line, r->urls[f->row], f->status, f->attempts, f->reason);
        sk_buf_put_bytes(&b, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
    }
    sk_status st = sk_write_file_atomic(r->failed_path, b.data, b.len, err);
    sk_buf_free(&b);
    return st;
}

/* Writes data to path via path.part + fsync + rename. */
static sk_status land_file(const char *path, const uint8_t *data, size_t n, sk_error *err)
{
    size_t pl = strlen(path);
    char *part = sk_xmalloc(pl + 6);
    memcpy(part, path, pl);
    memcpy(part + pl, ".part", 6);
    sk_status st = SK_OK;
    int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        st = sk_error_set(err, SK_EIO, "%s: cannot create: %s", part, strerror(errno));
        goto out;
    }
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, data + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            st = sk_error_set(err, SK_EIO, "%s: write failed after %zu of %zu bytes: %s", part, off, n,
                              w < 0 ? strerror(errno) : "no progress");
            close(fd);
            unlink(part);
            goto out;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0) {
        st = sk_error_set(err, SK_EIO, "%s: fsync: %s", part, strerror(errno));
        close(fd);
        unlink(part);
        goto out;
    }
    if (close(fd) != 0 || rename(part, path) != 0) {
        st = sk_error_set(err, SK_EIO, "%s: cannot rename into place: %s", path, strerror(errno));
        unlink(part);
    }
out:
    free(part);
    return st;
}

static sk_http_verdict check_body(void *ctx, size_t job, const sk_http_response *resp, char *why,
                                  size_t cap)
{
    run_state *r = ctx;
    (void)job;
    if (strncasecmp(resp->content_type, "image/", 6) != 0) {
        char snippet[81];
        size_t k = 0;
        for (; k < resp->len && k < 80; k++) {
            unsigned char c = resp->body[k];
            snippet[k] = (c >= 32 && c < 127) ? (char)c : ' ';
        }
        snippet[k] = '\0';
        snprintf(why, cap, "HTTP 200 with Content-Type '%s', not an image: \"%s\"",
                 resp->content_type[0] ? resp->content_type : "(none)", snippet);
        return SK_HTTP_RETRY;
    }
    char w2[256];
    if (sk_fetch_check_jpeg(resp->body, resp->len, r->o->width, r->o->height, w2, sizeof w2) != 0) {
        snprintf(why, cap, "%s", w2);
        return SK_HTTP_RETRY;
    }
    return SK_HTTP_ACCEPT;
}

static int cmp_failure(const void *a, const void *b)
{
    size_t x = ((const sk_fetch_failure *)a)->row, y = ((const sk_fetch_failure *)b)->row;
    return x < y ? -1 : x > y;
}

static void add_failure(run_state *r, size_t row, long status, int attempts, const char *reason)
{
    sk_fetch_failure *f = &r->sum->failures[r->sum->failed++];
    f->row = row;
    f->status = status;
    f->attempts = attempts;
    snprintf(f->reason, sizeof f->reason, "%.300s", reason);
}

/* Main thread: applies landed results to the summary and the manifest rows. */
static void drain_results(run_state *r)
{
    pthread_mutex_lock(&r->mu);
    land_item *res = r->results;
    size_t n = r->nres;
    r->results = NULL;
    r->nres = r->capres = 0;
    pthread_mutex_unlock(&r->mu);
    for (size_t k = 0; k < n; k++) {
        land_item *it = &res[k];
        if (!it->ok) {
            add_failure(r, it->row, it->status, it->attempts, it->err);
        } else {
            set_row(r, it->row, it->len, it->sha, it->status, it->attempts);
            r->sum->fetched++;
            r->sum->bytes += it->len;
        }
        r->done_jobs++;
    }
    free(res);
    if (n) sk_progress_update(&r->bar, r->done_jobs);
}

static void *writer_main(void *p)
{
    run_state *r = p;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (r->qlen == 0 && !r->closing) pthread_cond_wait(&r->cv_work, &r->mu);
        if (r->qlen == 0) {
            pthread_mutex_unlock(&r->mu);
            return NULL;
        }
        land_item it = r->queue[r->qhead];
        r->qhead = (r->qhead + 1) % r->qcap;
        r->qlen--;
        pthread_cond_signal(&r->cv_space);
        pthread_mutex_unlock(&r->mu);

        sk_error e;
        if (land_file(r->paths[it.row], it.body, it.len, &e) == SK_OK) {
            it.ok = 1;
            sk_sha256_hex(it.body, it.len, it.sha);
        } else {
            snprintf(it.err, sizeof it.err, "%.300s", e.msg);
        }
        free(it.body);
        it.body = NULL;
        pthread_mutex_lock(&r->mu);
        if (r->nres == r->capres) {
            r->capres = r->capres ? 2 * r->capres : 32;
            r->results = sk_xrealloc(r->results, r->capres * sizeof *r->results);
        }
        r->results[r->nres++] = it;
        pthread_mutex_unlock(&r->mu);
    }
}

/* Waits for the queue to empty, stops the writers and applies what they did. */
static void writers_finish(run_state *r)
{
    pthread_mutex_lock(&r->mu);
    r->closing = 1;
    pthread_cond_broadcast(&r->cv_work);
    pthread_mutex_unlock(&r->mu);
    for (int k = 0; k < r->nwriters; k++) pthread_join(r->writers[k], NULL);
    drain_results(r);
}

static void on_done(void *ctx, size_t job, const sk_http_result *res)
{
    run_state *r = ctx;
    size_t row = r->job_row[job];
    r->sum->attempts += (uint64_t)res->attempts;
    if (!res->ok) {
        add_failure(r, row, res->status, res->attempts, res->reason);
        r->done_jobs++;
        sk_progress_update(&r->bar, r->done_jobs);
    } else {
        land_item it;
        memset(&it, 0, sizeof it);
        it.row = row;
        it.body = sk_xmalloc(res->len ? res->len : 1);
        memcpy(it.body, res->body, res->len);
        it.len = res->len;
        it.status = res->status;
        it.attempts = res->attempts;
        pthread_mutex_lock(&r->mu);
        while (r->qlen == r->qcap) pthread_cond_wait(&r->cv_space, &r->mu);
        r->queue[(r->qhead + r->qlen) % r->qcap] = it;
        r->qlen++;
        pthread_cond_signal(&r->cv_work);
        pthread_mutex_unlock(&r->mu);
    }
    drain_results(r);
    double now = sk_now();
    if (r->o->checkpoint_s > 0 && now - r->last_checkpoint >= r->o->checkpoint_s) {
        sk_error e;
        if (write_manifest(r, &e) != SK_OK) sk_warn("manifest checkpoint: %s", e.msg);
        r->last_checkpoint = now;
    }
}

/* Removes "*.part" leftovers of killed runs in dir. */
static void remove_stale_parts(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l > 5 && !strcmp(de->d_name + l - 5, ".part")) {
            char *p = sk_path_join(dir, de->d_name);
            if (unlink(p) == 0) sk_debug("removed stale %s", p);
            free(p);
        }
    }
    closedir(d);
}

/* Checks an existing file; 1 if valid (sha filled), 0 if absent, -1 if present but invalid. */
static int existing_valid(const char *path, int w, int h, size_t *bytes, char sha[65], char *why, size_t cap)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return 0;
    uint8_t *data;
    size_t n;
    sk_error e;
    if (sk_read_file(path, &data, &n, (size_t)256 << 20, &e) != SK_OK) {
        snprintf(why, cap, "%.250s", e.msg);
        return -1;
    }
    int ok = sk_fetch_check_jpeg(data, n, w, h, why, cap) == 0;
    if (ok) {
        sk_sha256_hex(data, n, sha);
        *bytes = n;
    }
    free(data);
    return ok ? 1 : -1;
}

sk_status sk_fetch_run(const sk_fetch_opts *o, const sk_catalog *cat, sk_fetch_summary *sum,
                       sk_error *err)
{
    memset(sum, 0, sizeof *sum);
    if (!o->out_dir || !o->out_dir[0]) return sk_error_set(err, SK_EINVAL, "fetch: no output folder given");
    if (o->width < 1 || o->width > 4096 || o->height < 1 || o->height > 4096)
        return sk_error_set(err, SK_EINVAL, "fetch: size %dx%d, expected 1..4096 per side", o->width, o->height);
    if (!(o->scale > 0 && o->scale < 3600))
        return sk_error_set(err, SK_EINVAL, "fetch: scale %g arcsec/px, expected > 0", o->scale);
    double t0 = sk_now();
    size_t n = cat->n;
    run_state r;
    memset(&r, 0, sizeof r);
    r.o = o;
    r.cat = cat;
    r.sum = sum;
    sum->total = cat->n;
    sum->failures = sk_xcalloc(cat->n ? cat->n : 1, sizeof *sum->failures);
    sk_status st = sk_mkdir_p(o->out_dir, err);
    if (st) return st;
    sk_tmp_clean_stale(o->out_dir, NULL);
    for (int c = 0; c < SK_CLASS_COUNT; c++) {
        if (!cat->n_class[c]) continue;
        /* never through a symbolic link out of OUT */
        st = sk_mkdir_in(o->out_dir, sk_class_name((sk_obj_class)c), err);
        char *d = sk_path_join(o->out_dir, sk_class_name((sk_obj_class)c));
        if (!st) remove_stale_parts(d);
        free(d);
        if (st) return st;
    }
    r.manifest_path = sk_path_join(o->out_dir, "manifest.tsv");
    r.failed_path = sk_path_join(o->out_dir, "failed.tsv");
    sk_manifest prev;
    st = load_manifest(r.manifest_path, &prev, err);
    if (st) goto out_free;
    r.prev = &prev;
    r.paths = sk_xcalloc(n ? n : 1, sizeof(char *));
    r.rel = sk_xcalloc(n ? n : 1, sizeof(char *));
    r.urls = sk_xcalloc(n ? n : 1, sizeof(char *));
    r.cur = sk_xcalloc(n ? n : 1, sizeof *r.cur);
    r.job_row = sk_xmalloc((n ? n : 1) * sizeof(size_t));
    const char **job_urls = sk_xmalloc((n ? n : 1) * sizeof(char *));
    size_t njobs = 0;
    for (size_t k = 0; k < n; k++) {
        const sk_catalog_row *c = &cat->rows[k];
        char buf[1024];
        sk_fetch_url(buf, sizeof buf, o, c->ra, c->dec);
        r.urls[k] = sk_xstrdup(buf);
        sk_snprintf(buf, sizeof buf, "%s/%s.jpg", sk_class_name(c->cls), c->name);
        r.rel[k] = sk_xstrdup(buf);
        r.paths[k] = sk_path_join(o->out_dir, buf);
        size_t bytes = 0;
        char sha[65], why[256];
        int ev = existing_valid(r.paths[k], o->width, o->height, &bytes, sha, why, sizeof why);
        if (ev == 1) {
            sum->present++;
            /* keep the earlier run's row (its status and attempts) when it describes this file */
            long pi = sk_manifest_find(&prev, r.rel[k]);
            if (!(pi >= 0 && !strcmp(sk_manifest_get(&prev, (size_t)pi, SK_MF_SHA256), sha)))
                set_row(&r, k, bytes, sha, 0, 0);
            continue;
        }
        if (ev < 0) {
            sk_warn("%s: %s; fetching it again", r.paths[k], why);
            if (unlink(r.paths[k]) != 0) {
                st = sk_error_set(err, SK_EIO, "%s: cannot remove invalid file: %s", r.paths[k], strerror(errno));
                free(job_urls);
                goto out_free;
            }
            sum->replaced++;
        }
        r.job_row[njobs] = k;
        job_urls[njobs++] = r.urls[k];
    }
    if (sum->present) sk_info("fetch: %zu of %zu objects already on disk and valid", sum->present, n);
    sk_progress_begin(&r.bar, "fetch", njobs, NULL);
    if (!o->progress) r.bar.enabled = 0;
    r.last_checkpoint = sk_now();
    r.nwriters = o->http.jobs < 4 ? o->http.jobs : 4;
    r.qcap = (size_t)(2 * o->http.jobs);
    r.queue = sk_xcalloc(r.qcap, sizeof *r.queue);
    r.writers = sk_xcalloc((size_t)r.nwriters, sizeof *r.writers);
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv_work, NULL);
    pthread_cond_init(&r.cv_space, NULL);
    for (int k = 0; k < r.nwriters; k++)
        SK_ASSERT_MSG(pthread_create(&r.writers[k], NULL, writer_main, &r) == 0, "cannot start a writer thread");
    sk_http_stats hs;
    st = sk_http_run(&o->http, job_urls, njobs, check_body, on_done, &r, &hs, err);
    writers_finish(&r);
    if (sum->failed > 1) qsort(sum->failures, sum->failed, sizeof *sum->failures, cmp_failure);
    sk_progress_end(&r.bar);
    pthread_mutex_destroy(&r.mu);
    pthread_cond_destroy(&r.cv_work);
    pthread_cond_destroy(&r.cv_space);
    free(r.queue);
    free(r.writers);
    free(job_urls);
    {
        sk_error e2;
        sk_status s2 = write_manifest(&r, &e2);
        if (s2 == SK_OK) s2 = write_failures(&r, &e2);
        if (s2 && st == SK_OK) {
            st = s2;
            if (err) *err = e2;
        }
    }
    for (int c = 0; c < SK_CLASS_COUNT; c++) {
        if (!cat->n_class[c]) continue;
        char *d = sk_path_join(o->out_dir, sk_class_name((sk_obj_class)c));
        int fd = open(d, O_RDONLY | O_DIRECTORY);
        if (fd >= 0) { (void)fsync(fd); close(fd); }
        free(d);
    }
out_free:
    sum->seconds = sk_now() - t0;
    for (size_t k = 0; k < n; k++) {
        if (r.paths) free(r.paths[k]);
        if (r.rel) free(r.rel[k]);
        if (r.urls) free(r.urls[k]);
    }
    free(r.paths);
    free(r.rel);
    free(r.urls);
    free(r.cur);
    free(r.job_row);
    if (r.prev) sk_manifest_free(&prev);
    free(r.manifest_path);
    free(r.failed_path);
    return st;
}

void sk_fetch_summary_free(sk_fetch_summary *sum)
{
    if (!sum) return;
    free(sum->failures);
    sum->failures = NULL;
}
