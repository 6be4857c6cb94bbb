/* plan_costs.c: the recorded costs table and the calibration of one cell shape (plan_costs.h).
 * Timing only: nothing here decides a result, and no test asserts a time. */
#include "plan_costs.h"
#include "sk_arch.h"
#include "sk_base.h"
#include "sk_core.h"
#include "sk_records.h"
#include "speed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER "# skytune plan costs: fingerprint arch size layers cached batch prefix_s step_s infer_s load1 git utc\n"

static int parse_line(sk_shape_cost *c, char *fp, const char *line)
{
    memset(c, 0, sizeof *c);
    int n = sscanf(line, "%16s %31s %d %d %d %d %lf %lf %lf %lf %47s %31s", fp, c->arch, &c->size, &c->layers,
                   &c->cached, &c->batch, &c->prefix_s, &c->step_s, &c->infer_s, &c->load1, c->git, c->utc);
    return n == 12 && c->size > 0 && c->layers > 0 && c->batch > 0 && c->step_s >= 0 && c->infer_s >= 0 &&
           c->prefix_s >= 0;
}

sk_status sk_costs_load(sk_cost_table *t, const char *cache_root, sk_error *err)
{
    memset(t, 0, sizeof *t);
    snprintf(t->path, sizeof t->path, "%s/plan/costs.tsv", cache_root);
    sk_platform_fingerprint(t->fingerprint);
    t->others = sk_xstrdup("");
    if (!sk_path_exists(t->path)) return SK_OK;
    uint8_t *text = NULL;
    size_t n = 0;
    sk_status s = sk_read_file(t->path, &text, &n, 16u << 20, err);
    if (s) return s;
    sk_buf others;
    sk_buf_init(&others);
    int lineno = 0;
    for (char *line = (char *)text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        lineno++;
        if (line[0] == '#' || !line[0]) continue;
        sk_shape_cost c;
        char fp[17];
        if (!parse_line(&c, fp, line)) {
            s = sk_error_set(err, SK_EFORMAT, "%s:%d: expected 12 fields (" "fingerprint arch size layers cached batch "
                             "prefix_s step_s infer_s load1 git utc), found '%.80s'", t->path, lineno, line);
            break;
        }
        if (strcmp(fp, t->fingerprint) != 0) {
            sk_buf_printf(&others, "%s\n", line);
            continue;
        }
        t->v = sk_xrealloc(t->v, (size_t)(t->n + 1) * sizeof *t->v);
        t->v[t->n++] = c;
    }
    free(text);
    free(t->others);
    t->others = sk_xstrdup(others.data ? (const char *)others.data : "");
    sk_buf_free(&others);
    return s;
}

void sk_costs_free(sk_cost_table *t)
{
    free(t->v);
    free(t->others);
    memset(t, 0, sizeof *t);
}

const sk_shape_cost *sk_costs_find(const sk_cost_table *t, const char *arch, int size, int layers, int cached)
{
    for (int i = t->n - 1; i >= 0; i--) {
        const sk_shape_cost *c = &t->v[i];
        if (c->size == size && c->layers == layers && c->cached == cached && !strcmp(c->arch, arch)) return c;
    }
    return NULL;
}

sk_status sk_costs_put(sk_cost_table *t, const sk_shape_cost *c, sk_error *err)
{
    int k = 0;
    for (int i = 0; i < t->n; i++) {
        const sk_shape_cost *o = &t->v[i];
        if (!(o->size == c->size && o->layers == c->layers && o->cached == c->cached && !strcmp(o->arch, c->arch)))
            t->v[k++] = *o;
    }
    t->n = k;
    t->v = sk_xrealloc(t->v, (size_t)(t->n + 1) * sizeof *t->v);
    t->v[t->n++] = *c;
    sk_buf b;
    sk_buf_init(&b);
    sk_buf_printf(&b, HEADER "%s", t->others);
    for (int i = 0; i < t->n; i++) {
        const sk_shape_cost *x = &t->v[i];
        sk_buf_printf(&b, "%s %s %d %d %d %d %.9g %.9g %.9g %.2f %s %s\n", t->fingerprint, x->arch, x->size, x->layers,
                      x->cached, x->batch, x->prefix_s, x->step_s, x->infer_s, x->load1, x->git, x->utc);
    }
    char *dir = sk_xstrdup(t->path);
    *strrchr(dir, '/') = '\0';
    sk_status s = sk_mkdir_p(dir, err);
    if (!s) s = sk_write_file_atomic(t->path, b.data, b.len, err);
    free(dir);
    sk_buf_free(&b);
    return s;
}

static double load1(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1) l = -1;
        fclose(f);
    }
    return l;
}

/* Seconds per image of the prefix forward of the batch (a warm-up run, then a timed one). */
static double time_prefix(sk_trainer *t, const sk_images *d, float scale)
{
    sk_exec *ex = sk_trainer_exec(t);
    size_t px = (size_t)d->n * d->h * d->w * d->c;
    float *x = sk_xmalloc_aligned(px * sizeof(float));
    for (size_t i = 0; i < px; i++) x[i] = d->pixels[i] * scale;
    float *b = sk_xmalloc_aligned(((size_t)d->n * sk_exec_boundary_floats(ex) + 1) * sizeof(float));
    sk_exec_forward_prefix(ex, x, d->n, b);
    double t0 = sk_now();
    sk_exec_forward_prefix(ex, x, d->n, b);
    double s = (sk_now() - t0) / d->n;
    free(x);
    free(b);
    return s;
}

sk_status sk_costs_measure(sk_shape_cost *c, const char *arch, int size, int layers, int cached, int batch,
                           sk_error *err)
{
    memset(c, 0, sizeof *c);
    const sk_arch_info *ai = sk_arch_find(arch);
    if (!ai) return sk_error_set(err, SK_EINVAL, "unknown architecture '%s'", arch);
    sk_graph *g = sk_arch_build(arch, size, 3, 1, err);
    if (!g) return err->code;
    sk_graph_freeze(g, layers);
    sk_init_graph(g, ai->init, 1);
    sk_speed_fixture fx;
    sk_speed_fixture_open(&fx, g, size, batch, 1, sk_arch_input_scale(ai));
    sk_trainer *t = fx.t;
    sk_images d = fx.d;
    if (cached) {
        c->prefix_s = time_prefix(t, &d, sk_arch_input_scale(ai));
        sk_cache_opts co = {.max_bytes = (size_t)1 << 40, .level = layers};
        cached = sk_trainer_enable_cache(t, &d, &d, &co) != SK_CACHE_OFF;
    }
    sk_metrics m;
    sk_metrics_init(&m, 3);
    sk_train_epoch(t, &d, 0, &m); /* warm-up */
    double t0 = sk_now();
    for (int i = 1; i <= 2; i++) sk_train_epoch(t, &d, i, &m);
    c->step_s = (sk_now() - t0) / (2.0 * batch);
    sk_evaluate(t, &d, 1, &m);
    t0 = sk_now();
    for (int i = 0; i < 2; i++) sk_evaluate(t, &d, 1, &m);
    c->infer_s = (sk_now() - t0) / (2.0 * batch);
    snprintf(c->arch, sizeof c->arch, "%s", arch);
    c->size = size;
    c->layers = layers;
    c->cached = cached;
    c->batch = batch;
    c->load1 = load1();
    sk_buildinfo bi;
    sk_buildinfo_get(&bi);
    snprintf(c->git, sizeof c->git, "%s", bi.git_revision && *bi.git_revision ? bi.git_revision : "unknown");
    sk_utc_now(c->utc);
    sk_metrics_free(&m);
    sk_speed_fixture_close(&fx);
    sk_graph_free(g);
    return SK_OK;
}
