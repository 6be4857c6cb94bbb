/* sweep.c: grid expansion, data preparation, per-cell execution with skip/resume/fail. */
#include "sweep.h"
#include "sk_base.h"
#include "prefix_cache.h"
#include "sk_records.h"
#include "sk_dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *sk_sweep_cell_dir(const char *out_dir, const sk_cell *c)
{
    size_t n = strlen(out_dir) + strlen(c->arch) + strlen(c->id) + 3;
    char *p = sk_xmalloc(n);
    snprintf(p, n, "%s/%s/%s", out_dir, c->arch, c->id);
    return p;
}

sk_status sk_sweep_data(const sk_suite *s, const sk_sweep_opts *o, char **path_out, sk_error *err)
{
    *path_out = NULL;
    if (o->data_path) {
        if (!sk_file_exists(o->data_path))
            return sk_error_set(err, SK_ENOTFOUND, "data set %s not found", o->data_path);
        *path_out = sk_xstrdup(o->data_path);
        return SK_OK;
    }
    if (strcmp(s->data, "synth") != 0)
        return sk_error_set(err, SK_EINVAL,
                            "suite '%s' runs on real data: give --data FILE.skds (skytune dataset fetch + pack), "
                            "or let `skytune reproduce --suite %s` build it",
                            s->name, s->name);
    char *dir = sk_path_join(o->out_dir, "data");
    sk_status st = sk_mkdir_p(dir, err);
    if (st) {
        free(dir);
        return st;
    }
    size_t n = strlen(dir) + strlen(s->name) + 32;
    char *path = sk_xmalloc(n);
    snprintf(path, n, "%s/%s-synth.skds", dir, s->name);
    free(dir);
    if (sk_file_exists(path)) {
        sk_error e2;
        if (sk_skds_verify(path, &e2) == SK_OK) {
            *path_out = path;
            return SK_OK;
        }
        sk_warn("%s is damaged (%s); rendering it again", path, e2.msg);
    }
    sk_synth_config cfg;
    sk_synth_config_default(&cfg);
    cfg.size = s->synth_size;
    cfg.scale = 20.48 / s->synth_size; /* the study's field of view: 2048 px at 0.01"/px */
    cfg.seed = s->synth_seed;
    double mix[3] = {s->synth_galaxy, s->synth_qso, s->synth_star};
    uint64_t total = (uint64_t)s->synth_galaxy + s->synth_qso + s->synth_star;
    double secs = 0;
    sk_info("rendering %llu synthetic objects at %d px into %s", (unsigned long long)total, cfg.size, path);
    st = sk_synth_write_split(path, &cfg, total, mix, s->val_fraction, (uint32_t)s->split_seed,
                              o->command ? o->command : "skytune bench run", !o->quiet, &secs, err);
    if (st) {
        free(path);
        return st;
    }
    sk_info("rendered in %.1f s", secs);
    *path_out = path;
    return SK_OK;
}

sk_status sk_sweep_weights(const sk_suite *s, const sk_sweep_opts *o, sk_weights_got *got, sk_error *err)
{
    sk_cell *cells;
    int n = sk_suite_cells(s, &cells);
    sk_status first = SK_OK;
    sk_weights_get_opts wo = {o->cache_dir, o->weights_url, o->quiet};
    for (int a = 0; a < s->narch; a++) {
        sk_weights_got g;
        memset(&g, 0, sizeof g);
        snprintf(g.how, sizeof g.how, "none");
        int kind = SK_WEIGHTS_SCRATCH;
        for (int i = 0; i < n; i++)
            if (!strcmp(cells[i].arch, s->arch[a].id) && sk_cell_matches(&cells[i], o->only))
                kind = cells[i].weights;
        const sk_arch_info *ai = sk_arch_find(s->arch[a].id);
        sk_error e;
        if (ai && kind != SK_WEIGHTS_SCRATCH && sk_weights_get(ai, kind, &wo, &g, &e) != SK_OK && !first)
            first = sk_error_set(err, e.code, "%s", e.msg);
        if (got) got[a] = g;
    }
    free(cells);
    return first;
}

static void write_failed(const char *dir, const char *msg)
{
    sk_error e2;
    char *p = sk_path_join(dir, "FAILED");
    size_t n = strlen(msg);
    char *text = sk_xmalloc(n + 2);
    memcpy(text, msg, n);
    text[n] = '\n';
    if (sk_mkdir_p(dir, &e2) != SK_OK || sk_write_file_atomic(p, text, n + 1, &e2) != SK_OK)
        sk_warn("could not record the failure in %s: %s", p, e2.msg);
    free(text);
    free(p);
}

static void clear_failed(const char *dir)
{
    char *p = sk_path_join(dir, "FAILED");
    unlink(p);
    free(p);
}

sk_status sk_sweep_run(const sk_suite *s, const sk_sweep_opts *o, sk_sweep_summary *sum,
                       sk_error *err)
{
    memset(sum, 0, sizeof *sum);
    double t0 = sk_now();
    sk_status st = SK_OK;
    if (o->only && (st = sk_cell_filter_check(o->only, err))) return st;
    if ((st = sk_mkdir_p(o->out_dir, err))) return st;
    sk_cell *cells;
    int n = sk_suite_cells(s, &cells);
    int todo = 0;
    for (int i = 0; i < n; i++) todo += sk_cell_matches(&cells[i], o->only);
    sum->filtered_out = n - todo;
    sum->total = todo;
    if (todo == 0) {
        free(cells);
        return sk_error_set(err, SK_EINVAL, "--only '%s' matches none of the %d cells of suite '%s'",
                            o->only ? o->only : "", n, s->name);
    }
    char *data = NULL;
    if ((st = sk_sweep_data(s, o, &data, err))) {
        free(cells);
        return st;
    }
    sk_error werr;
    if (!o->weights_ready && sk_sweep_weights(s, o, NULL, &werr) != SK_OK) sk_errorf("%s", werr.msg);
    char *pdir = o->cache_dir ? sk_pcache_dir(o->cache_dir) : NULL;
    sk_progress bar;
    sk_progress_begin(&bar, s->name, (uint64_t)todo, NULL);
    int done = 0;
    double ran_seconds = 0;
    for (int i = 0; i < n; i++) {
        if (!sk_cell_matches(&cells[i], o->only)) continue;
        char *dir = sk_sweep_cell_dir(o->out_dir, &cells[i]);
        sk_cell_cfg cfg;
        sk_cell_cfg_defaults(&cfg);
        sk_cell_cfg_from_suite(&cfg, s, &cells[i]);
        snprintf(cfg.data_path, sizeof cfg.data_path, "%s", data);
        snprintf(cfg.out_dir, sizeof cfg.out_dir, "%s", dir);
        if (o->cache_dir) snprintf(cfg.cache_dir, sizeof cfg.cache_dir, "%s", o->cache_dir);
        if (pdir) snprintf(cfg.prefix_cache_dir, sizeof cfg.prefix_cache_dir, "%s", pdir);
        if (o->cache_max) cfg.prefix_cache_max = o->cache_max;
        cfg.use_cache = o->use_cache;
        cfg.quiet = o->quiet;
        sk_cell_outcome out;
        sk_error cerr;
        double tc = sk_now();
        sk_progress_end(&bar);
        if (!sk_record_is_done(dir) && !o->quiet) {
            if (sum->ran > 0) {
                /* ETA from the cells trained in this run (skipped ones cost nothing). */
                long eta = (long)(ran_seconds / sum->ran * (todo - done) + 0.5);
                sk_info("[%d/%d] %s  (ETA %ld:%02ld:%02ld)", done + 1, todo, cells[i].id, eta / 3600,
                        eta / 60 % 60, eta % 60);
            } else {
                sk_info("[%d/%d] %s", done + 1, todo, cells[i].id);
            }
        }
        sk_status cs = sk_run_cell(&cfg, &out, &cerr);
        if (cs) {
            sum->failed++;
            sk_errorf("%s failed: %s", cells[i].id, cerr.msg);
            write_failed(dir, cerr.msg);
        } else if (out == SK_CELL_SKIPPED_DONE) {
            sum->skipped++;
        } else {
            sum->ran++;
            ran_seconds += sk_now() - tc;
            clear_failed(dir);
            if (!o->quiet) sk_info("%s done in %.1f s", cells[i].id, sk_now() - tc);
        }
        free(dir);
        sk_progress_update(&bar, (uint64_t)++done);
    }
    sk_progress_end(&bar);
    sum->seconds = sk_now() - t0;
    free(pdir);
    free(data);
    free(cells);
    return SK_OK;
}
