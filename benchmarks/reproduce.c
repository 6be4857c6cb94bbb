/* reproduce.c: the stages of `skytune reproduce` (see reproduce.h): each one a function over one
 * context, run in order from the first whose marker is missing; a marker is written only after
 * the stage's outputs are complete, so a run killed anywhere resumes at the stage it was in and
 * that stage's own resume (fetch keeps valid files, pack and every writer are atomic, cells
 * resume from their checkpoints) does the rest. */
#include "reproduce.h"
#include "sk_dataset.h"
#include "sk_base.h"
#include "sk_records.h"
#include "sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STAGES_DIR "stages"

typedef struct {
    const sk_suite *s;
    const sk_repro_opts *o;
    sk_repro_summary *sum;
    char catalog[2048], raw[2048], skds[2048];
    char data[2048];  /* the data set the sweep trains on */
    sk_buf marker;    /* "key value" lines of the running stage */
} rctx;

typedef struct {
    const char *name;
    sk_status (*run)(rctx *r, sk_error *err);
    const char *(*output)(const rctx *r); /* must exist for a marked stage to count; may be NULL */
} stage;

static char *marker_path(const char *out_dir, const char *name)
{
    size_t n = strlen(out_dir) + strlen(name) + sizeof STAGES_DIR + 8;
    char *p = sk_xmalloc(n);
    snprintf(p, n, "%s/" STAGES_DIR "/%s.done", out_dir, name);
    return p;
}

int sk_repro_stage_done(const char *out_dir, const char *stage_name)
{
    char *p = marker_path(out_dir, stage_name);
    int done = sk_file_exists(p);
    free(p);
    return done;
}

static sk_status write_marker(const rctx *r, const char *name, sk_error *err)
{
    char *dir = sk_path_join(r->o->out_dir, STAGES_DIR);
    sk_status s = sk_mkdir_p(dir, err);
    free(dir);
    if (s) return s;
    char when[32];
    sk_utc_now(when);
    sk_buf b;
    sk_buf_init(&b);
    sk_buf_printf(&b, "stage %s\nsuite %s\nfinished_utc %s\n", name, r->s->name, when);
    sk_buf_put_bytes(&b, r->marker.data, r->marker.len);
    char *p = marker_path(r->o->out_dir, name);
    s = sk_write_file_atomic(p, b.data, b.len, err);
    free(p);
    sk_buf_free(&b);
    return s;
}

static const char *skyserver_url(const sk_repro_opts *o)
{
    if (o->skyserver_url && *o->skyserver_url) return o->skyserver_url;
    const char *e = getenv("SKYTUNE_SKYSERVER_URL");
    return e && *e ? e : "https://skyserver.sdss.org";
}

/* ---- catalog ---- */

static sk_status copy_catalog(rctx *r, sk_error *err)
{
    sk_catalog cat;
    sk_status s = sk_catalog_read(&cat, r->o->catalog, err);
    if (s) return s;
    sk_buf_printf(&r->marker, "source %s\nrows %zu\nbad_rows %zu\n", r->o->catalog, cat.n, cat.n_bad);
    sk_catalog_free(&cat);
    uint8_t *text = NULL;
    size_t n = 0;
    if (!(s = sk_read_file(r->o->catalog, &text, &n, (size_t)1 << 31, err)))
        s = sk_write_file_atomic(r->catalog, text, n, err);
    free(text);
    return s;
}

static sk_status stage_catalog(rctx *r, sk_error *err)
{
    if (r->o->catalog) return copy_catalog(r, err);
    sk_query_opts q;
    sk_query_opts_default(&q);
    q.base_url = skyserver_url(r->o);
    q.release = r->s->sdss_release;
    q.top = r->s->sdss_top;
    q.out_path = r->catalog;
    sk_catalog cat;
    sk_info("catalog: SkyServer SQL, TOP %ld, %s, at %s", q.top, q.release, q.base_url);
    sk_status s = sk_query_run(&q, &cat, err);
    if (s) return s;
    sk_buf_printf(&r->marker, "source %s/%s (SkyServer SQL, %s)\nrows %zu\nGALAXY %zu\nQSO %zu\nSTAR %zu\n",
                  q.base_url, q.release, SK_QUERY_DEFAULT_WHERE, cat.n, cat.n_class[SK_CLASS_GALAXY],
                  cat.n_class[SK_CLASS_QSO], cat.n_class[SK_CLASS_STAR]);
    sk_info("catalog: %zu rows (GALAXY %zu, QSO %zu, STAR %zu) -> %s", cat.n, cat.n_class[SK_CLASS_GALAXY],
            cat.n_class[SK_CLASS_QSO], cat.n_class[SK_CLASS_STAR], r->catalog);
    sk_catalog_free(&cat);
    return SK_OK;
}

/* ---- cutouts ---- */

static sk_status stage_cutouts(rctx *r, sk_error *err)
{
    sk_catalog cat;
    sk_status s = sk_catalog_read(&cat, r->catalog, err);
    if (s) return s;
    sk_fetch_opts f;
    sk_fetch_opts_default(&f);
    f.base_url = skyserver_url(r->o);
    f.release = r->s->sdss_release;
    f.scale = r->s->cutout_scale;
    f.width = f.height = r->s->cutout_size;
    f.out_dir = r->raw;
    f.progress = !r->o->quiet;
    f.http.jobs = r->o->fetch_jobs > 0 ? r->o->fetch_jobs : 4;
    f.http.retries = 4;
    f.http.timeout_s = 120.0;
    f.http.stall_s = 30.0;
    f.http.connect_timeout_s = 20.0;
    sk_info("cutouts: %zu objects, %d x %d px at %g arcsec/px, from %s -> %s", cat.n, f.width, f.height, f.scale,
            f.base_url, r->raw);
    if ((s = sk_mkdir_p(r->raw, err))) {
        sk_catalog_free(&cat);
        return s;
    }
    sk_fetch_summary sum;
    s = sk_fetch_run(&f, &cat, &sum, err);
    size_t missing = sum.failed + cat.n_bad + (sum.total - sum.present - sum.fetched - sum.failed);
    if (!s)
        sk_info("cutouts: %zu objects: %zu already present, %zu fetched, %zu failed, %zu bad catalog rows",
                sum.total, sum.present, sum.fetched, sum.failed, cat.n_bad);
    if (!s && missing > (size_t)r->o->max_missing)
        s = sk_error_set(err, SK_ENET,
                         "cutouts: %zu of %zu objects are missing (%s/failed.tsv lists them); run again to retry "
                         "them, or accept up to N missing with --max-missing N",
                         missing, cat.n + cat.n_bad, r->raw);
    if (!s)
        sk_buf_printf(&r->marker, "objects %zu\nfetched %zu\nalready_present %zu\nmissing %zu\nwidth %d\nscale %g\n",
                      sum.total, sum.fetched, sum.present, missing, f.width, f.scale);
    sk_fetch_summary_free(&sum);
    sk_catalog_free(&cat);
    return s;
}

/* ---- pack / data ---- */

static sk_status stage_pack(rctx *r, sk_error *err)
{
    sk_pack_opts p;
    sk_pack_opts_init(&p);
    p.in_dir = r->raw;
    p.out_path = r->skds;
    p.height = p.width = (uint32_t)(r->s->pack_size ? r->s->pack_size : r->s->input_size);
    p.val = r->s->val_fraction;
    p.seed = (uint32_t)r->s->split_seed;
    p.command = r->o->command;
    p.progress = !r->o->quiet;
    sk_info("pack: %s -> %s (%u px, validation %g, seed %u)", r->raw, r->skds, p.height, p.val, p.seed);
    sk_pack_stats st;
    sk_status s = sk_pack_run(&p, &st, err);
    if (!s) s = sk_skds_verify(r->skds, err);
    char sha[65];
    if (!s) s = sk_sha256_file(r->skds, sha, err);
    if (!s)
        sk_buf_printf(&r->marker, "files %zu\ntrain %zu\nval %zu\nclasses %u\nsize %u\nsha256 %s\n", st.nfiles,
                      st.ntrain, st.nval, st.nclasses, p.height, sha);
    return s;
}

static sk_status stage_data(rctx *r, sk_error *err)
{
    sk_sweep_opts so = {.data_path = r->o->data_path, .out_dir = r->o->out_dir, .quiet = r->o->quiet,
                        .command = r->o->command};
    char *path = NULL;
    sk_status s = sk_sweep_data(r->s, &so, &path, err);
    if (s) return s;
    snprintf(r->data, sizeof r->data, "%s", path);
    sk_buf_printf(&r->marker, "data %s\n", path);
    free(path);
    return SK_OK;
}

/* ---- weights, sweep, report ---- */

static sk_sweep_opts sweep_opts(const rctx *r)
{
    sk_sweep_opts so = {.data_path = r->data, .out_dir = r->o->out_dir, .cache_dir = r->o->cache_dir,
                        .cache_max = r->o->cache_max, .weights_url = r->o->weights_url,
                        .use_cache = r->o->use_cache, .quiet = r->o->quiet, .command = r->o->command};
    return so;
}

static sk_status stage_weights(rctx *r, sk_error *err)
{
    sk_sweep_opts so = sweep_opts(r);
    sk_weights_got got[SK_SUITE_MAX_ARCH];
    sk_status s = sk_sweep_weights(r->s, &so, got, err);
    for (int a = 0; !s && a < r->s->narch; a++) {
        const sk_weights_got *g = &got[a];
        if (!strcmp(g->how, "none"))
            sk_buf_printf(&r->marker, "%s initialisers%s%s\n", r->s->arch[a].id, g->why[0] ? ": " : "", g->why);
        else
            sk_buf_printf(&r->marker, "%s %s %s\n", r->s->arch[a].id, g->how, g->path);
    }
    return s;
}

static sk_status stage_sweep_local(rctx *r, sk_error *err)
{
    sk_sweep_opts so = sweep_opts(r);
    so.weights_ready = 1; /* the weights stage did it */
    sk_sweep_summary sum;
    sk_status s = sk_sweep_run(r->s, &so, &sum, err);
    if (s) return s;
    sk_info("sweep: %d cells: %d ran, %d already done, %d failed (%.1f s)", sum.total, sum.ran, sum.skipped,
            sum.failed, sum.seconds);
    r->sum->cells_total = sum.total;
    r->sum->cells_failed = sum.failed;
    if (sum.failed)
        return sk_error_set(err, SK_EINVAL,
                            "sweep: %d of %d cells failed (their FAILED files say why: skytune bench status "
                            "--results %s); run again to retry them",
                            sum.failed, sum.total, r->o->out_dir);
    sk_buf_printf(&r->marker, "cells %d\nran %d\n", sum.total, sum.ran);
    return SK_OK;
}

static sk_status stage_sweep(rctx *r, sk_error *err)
{
    if (!r->o->slurm) return stage_sweep_local(r, err);
    sk_slurm_launch_opts lo = *r->o->slurm;
    lo.data_path = r->data;
    lo.out_dir = r->o->out_dir;
    lo.cache_dir = r->o->cache_dir;
    lo.cache_max = r->o->cache_max;
    lo.weights_url = r->o->weights_url;
    sk_slurm_launch_result res;
    sk_status s = sk_slurm_launch(r->s, &lo, &res, err);
    if (s) return s;
    r->sum->cells_total = res.total;
    if (res.todo > 0) {
        r->sum->waiting_for_slurm = 1;
        return SK_OK; /* no marker: the next run looks at the cells again */
    }
    sk_buf_printf(&r->marker, "cells %d\nran on Slurm\n", res.total);
    return SK_OK;
}

static sk_status stage_report(rctx *r, sk_error *err)
{
    if (!r->o->report) return SK_OK;
    char *dir = sk_path_join(r->o->out_dir, "report");
    sk_status s = r->o->report(r->o->report_ctx, r->o->out_dir, dir, err);
    if (!s) sk_buf_printf(&r->marker, "report %s/index.html\n", dir);
    free(dir);
    return s;
}

static const char *out_catalog(const rctx *r) { return r->catalog; }
static const char *out_skds(const rctx *r) { return r->skds; }
static const char *out_data(const rctx *r) { return r->data[0] ? r->data : NULL; }

static const stage STAGES[] = {
    {"catalog", stage_catalog, out_catalog}, {"cutouts", stage_cutouts, NULL},
    {"pack", stage_pack, out_skds},          {"data", stage_data, out_data},
    {"weights", stage_weights, NULL},        {"sweep", stage_sweep, NULL},
    {"report", stage_report, NULL},
};

static const char *const SDSS_STAGES[] = {"catalog", "cutouts", "pack", "weights", "sweep", "report", NULL};
static const char *const DATA_STAGES[] = {"data", "weights", "sweep", "report", NULL};

const char *const *sk_repro_stage_names(const sk_suite *s, int have_data)
{
    return !strcmp(s->data, "sdss") && !have_data ? SDSS_STAGES : DATA_STAGES;
}

static const stage *find_stage(const char *name)
{
    for (size_t i = 0; i < SK_ARRAY_LEN(STAGES); i++)
        if (!strcmp(STAGES[i].name, name)) return &STAGES[i];
    SK_ASSERT(!"unknown stage");
    return NULL;
}

static void set_paths(rctx *r)
{
    const char *out = r->o->out_dir;
    snprintf(r->catalog, sizeof r->catalog, "%s/data/catalog.csv", out);
    snprintf(r->raw, sizeof r->raw, "%s/data/raw", out);
    snprintf(r->skds, sizeof r->skds, "%s/data/%s.skds", out, r->s->name);
    if (r->o->data_path) snprintf(r->data, sizeof r->data, "%s", r->o->data_path);
    else if (!strcmp(r->s->data, "sdss")) snprintf(r->data, sizeof r->data, "%s", r->skds);
    else if (!strcmp(r->s->data, "synth")) snprintf(r->data, sizeof r->data, "%s/data/%s-synth.skds", out, r->s->name);
}

sk_status sk_repro_run(const sk_suite *s, const sk_repro_opts *o, sk_repro_summary *sum, sk_error *err)
{
    memset(sum, 0, sizeof *sum);
    if (!strcmp(s->data, "file") && !o->data_path)
        return sk_error_set(err, SK_EINVAL, "suite '%s' has data = file: give --data FILE.skds", s->name);
    if (o->data_path && !sk_file_exists(o->data_path))
        return sk_error_set(err, SK_ENOTFOUND, "data set %s not found", o->data_path);
    rctx r;
    memset(&r, 0, sizeof r);
    r.s = s;
    r.o = o;
    r.sum = sum;
    set_paths(&r);
    char *dd = sk_path_join(o->out_dir, "data");
    sk_status st = sk_mkdir_p(dd, err);
    free(dd);
    if (st) return st;
    const char *const *names = sk_repro_stage_names(s, o->data_path != NULL);
    for (int i = 0; names[i] && !st; i++) {
        const stage *sg = find_stage(names[i]);
        const char *need = sg->output ? sg->output(&r) : NULL;
        if (sk_repro_stage_done(o->out_dir, sg->name) && (!need || sk_file_exists(need))) {
            sum->stages_skipped++;
            if (!o->quiet) sk_info("stage %s: done before (%s/" STAGES_DIR "/%s.done)", sg->name, o->out_dir, sg->name);
            continue;
        }
        if (!o->quiet) sk_info("stage %s", sg->name);
        sk_buf_init(&r.marker);
        double t0 = sk_now();
        st = sg->run(&r, err);
        if (!st && !sum->waiting_for_slurm) {
            sk_buf_printf(&r.marker, "seconds %.1f\n", sk_now() - t0);
            st = write_marker(&r, sg->name, err);
        }
        sk_buf_free(&r.marker);
        if (st) sk_error_prefix(err, "stage %s: ", sg->name);
        else sum->stages_run++;
        if (sum->waiting_for_slurm) break;
    }
    return st;
}
