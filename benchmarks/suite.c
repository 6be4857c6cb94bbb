/* suite.c: the strict suite parser and the grid of cells. */
#include "suite.h"
#include "sk_base.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sk_suite_defaults(sk_suite *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->data, sizeof s->data, "file");
    s->synth_star = 498;
    s->synth_galaxy = 440;
    s->synth_qso = 62;
    s->synth_size = 512;
    s->synth_seed = 2205;
    s->sdss_top = 1000;
    snprintf(s->sdss_release, sizeof s->sdss_release, "dr16");
    s->cutout_scale = 0.01;
    s->cutout_size = 2048;
    s->val_fraction = 0.2;
    s->split_seed = 123;
    s->input_size = 512;
    s->epochs = 60;
    s->batch = 32;
    s->lr = 1e-4;
    snprintf(s->optimizer, sizeof s->optimizer, "adam");
    s->reduce_lr_factor = 0.1;
    s->reduce_lr_patience = 5;
    s->reduce_lr_min_delta = 1e-4;
    s->class_weights = 1;
    s->weights = SK_WEIGHTS_IMAGENET;
    s->seeds[0] = 1;
    s->nseeds = 1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

typedef struct {
    const char *what;
    int line;
    const char *key;
    sk_error *err;
} ctx;

static sk_status bad(const ctx *c, const char *expect, const char *got)
{
    return sk_error_set(c->err, SK_EFORMAT, "%s:%d: key '%s': expected %s, found '%s'", c->what,
                        c->line, c->key, expect, got);
}

static sk_status parse_long(const ctx *c, const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end) return bad(c, "an integer", v);
    if (x < lo || x > hi) {
        char range[64];
        snprintf(range, sizeof range, "an integer in %ld..%ld", lo, hi);
        return bad(c, range, v);
    }
    *out = x;
    return SK_OK;
}

static sk_status parse_int(const ctx *c, const char *v, long lo, long hi, int *out)
{
    long x;
    sk_status s = parse_long(c, v, lo, hi, &x);
    if (!s) *out = (int)x;
    return s;
}

static sk_status parse_u64(const ctx *c, const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*v == '-') return bad(c, "a non-negative integer", v);
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end) return bad(c, "a non-negative integer", v);
    *out = x;
    return SK_OK;
}

static sk_status parse_double(const ctx *c, const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(x)) return bad(c, "a number", v);
    if (x < lo || x > hi) {
        char range[64];
        snprintf(range, sizeof range, "a number in [%g, %g]", lo, hi);
        return bad(c, range, v);
    }
    *out = x;
    return SK_OK;
}

static sk_status parse_weights(const ctx *c, const char *v, int *out)
{
    if (strcmp(v, "scratch") == 0) *out = SK_WEIGHTS_SCRATCH;
    else if (strcmp(v, "imagenet") == 0) *out = SK_WEIGHTS_IMAGENET;
    else if (strcmp(v, "imagenet-if-available") == 0) *out = SK_WEIGHTS_IMAGENET_IF_AVAILABLE;
    else if (strcmp(v, "imagenet-if-cached") == 0)
        return bad(c, "scratch, imagenet or imagenet-if-available (imagenet-if-cached was renamed)", v);
    else return bad(c, "scratch, imagenet or imagenet-if-available", v);
    return SK_OK;
}

/* "1,6,11..46/5,all" -> levels. */
static sk_status parse_levels(const ctx *c, const char *v, int *levels, int *n)
{
    char buf[512];
    if (strlen(v) >= sizeof buf) return bad(c, "a shorter level list", "...");
    snprintf(buf, sizeof buf, "%s", v);
    *n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        tok = trim(tok);
        int lo, hi, step = 1;
        if (strcmp(tok, "all") == 0) {
            lo = hi = SK_LEVEL_ALL;
        } else {
            char *dots = strstr(tok, "..");
            if (dots) {
                *dots = '\0';
                char *slash = strchr(dots + 2, '/');
                if (slash) {
                    *slash = '\0';
                    sk_status s = parse_int(c, trim(slash + 1), 1, 100000, &step);
                    if (s) return s;
                }
                sk_status s = parse_int(c, trim(tok), 1, 100000, &lo);
                if (!s) s = parse_int(c, trim(dots + 2), lo, 100000, &hi);
                if (s) return s;
            } else {
                sk_status s = parse_int(c, tok, 1, 100000, &lo);
                if (s) return s;
                hi = lo;
            }
        }
        for (int x = lo;; x += step) {
            if (*n >= SK_SUITE_MAX_LEVELS) return bad(c, "at most 64 levels", v);
            for (int i = 0; i < *n; i++)
                if (levels[i] == x) return bad(c, "distinct levels", v);
            levels[(*n)++] = x;
            if (x == SK_LEVEL_ALL || x + step > hi) break;
        }
    }
    if (*n == 0) return bad(c, "at least one level", v);
    return SK_OK;
}

static sk_status parse_seeds(const ctx *c, const char *v, uint64_t *seeds, int *n)
{
    char buf[512];
    if (strlen(v) >= sizeof buf) return bad(c, "a shorter seed list", "...");
    snprintf(buf, sizeof buf, "%s", v);
    *n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n >= SK_SUITE_MAX_SEEDS) return bad(c, "at most 32 seeds", v);
        sk_status s = parse_u64(c, trim(tok), &seeds[*n]);
        if (s) return s;
        for (int i = 0; i < *n; i++)
            if (seeds[i] == seeds[*n]) return bad(c, "distinct seeds", v);
        (*n)++;
    }
    if (*n == 0) return bad(c, "at least one seed", v);
    return SK_OK;
}

static sk_status set_suite_key(sk_suite *s, const ctx *c, const char *k, const char *v)
{
    if (!strcmp(k, "name")) {
        if (!*v || strlen(v) >= sizeof s->name) return bad(c, "a name of 1..63 characters", v);
        snprintf(s->name, sizeof s->name, "%s", v);
        return SK_OK;
    }
    if (!strcmp(k, "description")) {
        snprintf(s->description, sizeof s->description, "%s", v);
        return SK_OK;
    }
    if (!strcmp(k, "data")) {
        if (strcmp(v, "synth") && strcmp(v, "file") && strcmp(v, "sdss")) return bad(c, "synth, file or sdss", v);
        snprintf(s->data, sizeof s->data, "%s", v);
        return SK_OK;
    }
    if (!strcmp(k, "optimizer")) {
        if (strcmp(v, "adam") && strcmp(v, "sgd") && strcmp(v, "rmsprop"))
            return bad(c, "adam, sgd or rmsprop", v);
        snprintf(s->optimizer, sizeof s->optimizer, "%s", v);
        return SK_OK;
    }
    if (!strcmp(k, "synth_star")) return parse_int(c, v, 0, 1000000, &s->synth_star);
    if (!strcmp(k, "synth_galaxy")) return parse_int(c, v, 0, 1000000, &s->synth_galaxy);
    if (!strcmp(k, "synth_qso")) return parse_int(c, v, 0, 1000000, &s->synth_qso);
    if (!strcmp(k, "synth_size")) return parse_int(c, v, 16, 4096, &s->synth_size);
    if (!strcmp(k, "synth_seed")) return parse_u64(c, v, &s->synth_seed);
    if (!strcmp(k, "sdss_top")) return parse_long(c, v, 1, 500000, &s->sdss_top);
    if (!strcmp(k, "sdss_release")) {
        int ok = strlen(v) >= 3 && strlen(v) <= 5 && (v[0] == 'd' || v[0] == 'D') && (v[1] == 'r' || v[1] == 'R');
        for (const char *q = v + 2; ok && *q; q++) ok = isdigit((unsigned char)*q);
        if (!ok) return bad(c, "a data release drNN", v);
        snprintf(s->sdss_release, sizeof s->sdss_release, "%s", v);
        return SK_OK;
    }
    if (!strcmp(k, "cutout_scale")) return parse_double(c, v, 1e-6, 3600.0, &s->cutout_scale);
    if (!strcmp(k, "cutout_size")) return parse_int(c, v, 16, 4096, &s->cutout_size);
    if (!strcmp(k, "pack_size")) return parse_int(c, v, 16, 4096, &s->pack_size);
    if (!strcmp(k, "val_fraction")) return parse_double(c, v, 0.0, 0.9, &s->val_fraction);
    if (!strcmp(k, "split_seed")) {
        /* NumPy's RandomState seed, as Keras passes it: 32 bits. */
        long x;
        sk_status st = parse_long(c, v, 0, 0xffffffffL, &x);
        if (!st) s->split_seed = (uint64_t)x;
        return st;
    }
    if (!strcmp(k, "input_size")) return parse_int(c, v, 32, 4096, &s->input_size);
    if (!strcmp(k, "epochs")) return parse_int(c, v, 1, 100000, &s->epochs);
    if (!strcmp(k, "batch")) return parse_int(c, v, 1, 4096, &s->batch);
    if (!strcmp(k, "lr")) return parse_double(c, v, 1e-12, 10.0, &s->lr);
    if (!strcmp(k, "reduce_lr_factor")) return parse_double(c, v, 0.0, 0.999999, &s->reduce_lr_factor);
    if (!strcmp(k, "reduce_lr_patience")) return parse_int(c, v, 0, 100000, &s->reduce_lr_patience);
    if (!strcmp(k, "reduce_lr_min_delta")) return parse_double(c, v, 0.0, 1e9, &s->reduce_lr_min_delta);
    if (!strcmp(k, "reduce_lr_cooldown")) return parse_int(c, v, 0, 100000, &s->reduce_lr_cooldown);
    if (!strcmp(k, "reduce_lr_min_lr")) return parse_double(c, v, 0.0, 10.0, &s->reduce_lr_min_lr);
    if (!strcmp(k, "early_stopping_patience")) return parse_int(c, v, 0, 100000, &s->early_stopping_patience);
    if (!strcmp(k, "class_weights")) return parse_int(c, v, 0, 1, &s->class_weights);
    if (!strcmp(k, "weights")) return parse_weights(c, v, &s->weights);
    if (!strcmp(k, "seeds")) return parse_seeds(c, v, s->seeds, &s->nseeds);
    return sk_error_set(c->err, SK_EFORMAT, "%s:%d: unknown key '%s' in [suite]", c->what, c->line, k);
}

static sk_status set_arch_key(sk_suite_arch *a, const ctx *c, const char *k, const char *v)
{
    if (!strcmp(k, "levels")) return parse_levels(c, v, a->levels, &a->nlevels);
    if (!strcmp(k, "input_size")) return parse_int(c, v, 32, 4096, &a->input_size);
    if (!strcmp(k, "weights")) return parse_weights(c, v, &a->weights);
    return sk_error_set(c->err, SK_EFORMAT, "%s:%d: unknown key '%s' in [arch %s]", c->what,
                        c->line, k, a->id);
}

sk_status sk_suite_parse(sk_suite *s, const char *text, const char *what, sk_error *err)
{
    sk_suite_defaults(s);
    char *copy = sk_xstrdup(text);
    sk_status st = SK_OK;
    int section = 0; /* 0 none, 1 suite, 2 arch */
    int seen_suite = 0;
    char seen_keys[64][40];
    int nseen = 0;
    ctx c = {what, 0, "", err};
    for (char *line = copy, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        c.line++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *t = trim(line);
        if (!*t) continue;
        if (*t == '[') {
            char *close = strchr(t, ']');
            if (!close || close[1]) {
                st = sk_error_set(err, SK_EFORMAT, "%s:%d: malformed section header '%s'", what, c.line, t);
                goto done;
            }
            *close = '\0';
            char *name = trim(t + 1);
            nseen = 0;
            if (!strcmp(name, "suite")) {
                if (seen_suite) {
                    st = sk_error_set(err, SK_EFORMAT, "%s:%d: duplicate [suite] section", what, c.line);
                    goto done;
                }
                seen_suite = 1;
                section = 1;
            } else if (!strncmp(name, "arch", 4) && isspace((unsigned char)name[4])) {
                char *id = trim(name + 4);
                if (!*id || strlen(id) >= sizeof s->arch[0].id) {
                    st = sk_error_set(err, SK_EFORMAT, "%s:%d: bad architecture id '%s'", what, c.line, id);
                    goto done;
                }
                for (int i = 0; i < s->narch; i++)
                    if (!strcmp(s->arch[i].id, id)) {
                        st = sk_error_set(err, SK_EFORMAT, "%s:%d: duplicate [arch %s]", what, c.line, id);
                        goto done;
                    }
                if (s->narch >= SK_SUITE_MAX_ARCH) {
                    st = sk_error_set(err, SK_EFORMAT, "%s:%d: too many [arch] sections", what, c.line);
                    goto done;
                }
                sk_suite_arch *a = &s->arch[s->narch++];
                memset(a, 0, sizeof *a);
                snprintf(a->id, sizeof a->id, "%s", id);
                a->weights = -1;
                section = 2;
            } else {
                st = sk_error_set(err, SK_EFORMAT, "%s:%d: unknown section [%s] (expected [suite] or [arch ID])",
                                  what, c.line, name);
                goto done;
            }
            continue;
        }
        char *eq = strchr(t, '=');
        if (!eq) {
            st = sk_error_set(err, SK_EFORMAT, "%s:%d: expected 'key = value', found '%s'", what, c.line, t);
            goto done;
        }
        *eq = '\0';
        char *k = trim(t), *v = trim(eq + 1);
        c.key = k;
        if (section == 0) {
            st = sk_error_set(err, SK_EFORMAT, "%s:%d: key '%s' outside a section", what, c.line, k);
            goto done;
        }
        for (int i = 0; i < nseen; i++)
            if (!strcmp(seen_keys[i], k)) {
                st = sk_error_set(err, SK_EFORMAT, "%s:%d: duplicate key '%s'", what, c.line, k);
                goto done;
            }
        if (nseen < 64) snprintf(seen_keys[nseen++], sizeof seen_keys[0], "%s", k);
        st = section == 1 ? set_suite_key(s, &c, k, v) : set_arch_key(&s->arch[s->narch - 1], &c, k, v);
        if (st) goto done;
    }
    if (!seen_suite) {
        st = sk_error_set(err, SK_EFORMAT, "%s: no [suite] section", what);
        goto done;
    }
    if (!s->name[0]) {
        st = sk_error_set(err, SK_EFORMAT, "%s: [suite] has no name", what);
        goto done;
    }
    if (s->narch == 0) {
        st = sk_error_set(err, SK_EFORMAT, "%s: no [arch ID] section", what);
        goto done;
    }
    for (int i = 0; i < s->narch; i++)
        if (s->arch[i].nlevels == 0) {
            st = sk_error_set(err, SK_EFORMAT, "%s: [arch %s] has no levels", what, s->arch[i].id);
            goto done;
        }
    if (!strcmp(s->data, "synth") && s->synth_star + s->synth_galaxy + s->synth_qso < 2) {
        st = sk_error_set(err, SK_EFORMAT, "%s: synthetic data needs at least 2 objects", what);
        goto done;
    }
done:
    free(copy);
    return st;
}

sk_status sk_suite_load(sk_suite *s, const char *path, sk_error *err)
{
    uint8_t *text;
    size_t n;
    sk_status st = sk_read_file(path, &text, &n, 1 << 20, err);
    if (st) return st;
    if (memchr(text, '\0', n)) {
        free(text);
        return sk_error_set(err, SK_EFORMAT, "%s: contains a NUL byte; not a suite file", path);
    }
    st = sk_suite_parse(s, (const char *)text, path, err);
    free(text);
    return st;
}

sk_status sk_suite_resolve(char *path, size_t cap, const char *name, sk_error *err)
{
    size_t n = strlen(name);
    if (strchr(name, '/') || (n > 6 && !strcmp(name + n - 6, ".suite"))) {
        snprintf(path, cap, "%s", name);
        if (!sk_file_exists(path)) return sk_check_regular(path, err); /* missing, or what it is instead */
        return SK_OK;
    }
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return sk_error_set(err, SK_EINVAL, "bad suite name '%s'", name);
    const char *env = getenv("SKYTUNE_SUITES");
    const char *dirs[] = {env, SK_SOURCE_DIR "/benchmarks/suites", "benchmarks/suites"};
    for (size_t i = 0; i < SK_ARRAY_LEN(dirs); i++) {
        if (!dirs[i]) continue;
        snprintf(path, cap, "%s/%s.suite", dirs[i], name);
        if (sk_file_exists(path)) return SK_OK;
    }
    return sk_error_set(err, SK_ENOTFOUND,
                        "suite '%s' not found (looked in $SKYTUNE_SUITES and %s/benchmarks/suites)",
                        name, SK_SOURCE_DIR);
}

int sk_suite_cells(const sk_suite *s, sk_cell **cells)
{
    int total = 0;
    for (int a = 0; a < s->narch; a++) total += s->arch[a].nlevels * s->nseeds;
    sk_cell *out = sk_xcalloc((size_t)(total ? total : 1), sizeof *out);
    int k = 0;
    for (int a = 0; a < s->narch; a++) {
        const sk_suite_arch *ar = &s->arch[a];
        for (int l = 0; l < ar->nlevels; l++)
            for (int si = 0; si < s->nseeds; si++) {
                sk_cell *c = &out[k++];
                snprintf(c->arch, sizeof c->arch, "%s", ar->id);
                c->level = ar->levels[l];
                c->seed = s->seeds[si];
                c->input_size = ar->input_size ? ar->input_size : s->input_size;
                c->weights = ar->weights >= 0 ? ar->weights : s->weights;
                if (c->level == SK_LEVEL_ALL)
                    snprintf(c->id, sizeof c->id, "%s-tall-s%llu", c->arch, (unsigned long long)c->seed);
                else
                    snprintf(c->id, sizeof c->id, "%s-t%d-s%llu", c->arch, c->level,
                             (unsigned long long)c->seed);
            }
    }
    *cells = out;
    return total;
}

/* A filter is comma-separated key=value terms; values may list alternatives with '+'. */
static int term_matches(const sk_cell *c, const char *key, const char *vals)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", vals);
    for (char *save = NULL, *v = strtok_r(buf, "+", &save); v; v = strtok_r(NULL, "+", &save)) {
        if (!strcmp(key, "arch") && !strcmp(v, c->arch)) return 1;
        if (!strcmp(key, "level")) {
            if (!strcmp(v, "all") ? c->level == SK_LEVEL_ALL : atoi(v) == c->level) return 1;
        }
        if (!strcmp(key, "seed") && strtoull(v, NULL, 10) == c->seed) return 1;
        if (!strcmp(key, "cell") && !strcmp(v, c->id)) return 1;
    }
    return 0;
}

sk_status sk_cell_filter_check(const char *filter, sk_error *err)
{
    char buf[512];
    if (strlen(filter) >= sizeof buf) return sk_error_set(err, SK_EINVAL, "--only filter too long");
    snprintf(buf, sizeof buf, "%s", filter);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        if (!eq || eq == t || !eq[1])
            return sk_error_set(err, SK_EINVAL, "--only: expected key=value terms, found '%s'", t);
        *eq = '\0';
        if (strcmp(t, "arch") && strcmp(t, "level") && strcmp(t, "seed") && strcmp(t, "cell"))
            return sk_error_set(err, SK_EINVAL, "--only: unknown key '%s' (arch, level, seed, cell)", t);
    }
    return SK_OK;
}

int sk_cell_matches(const sk_cell *c, const char *filter)
{
    if (!filter || !*filter) return 1;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", filter);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        if (!eq) return 0;
        *eq = '\0';
        if (!term_matches(c, t, eq + 1)) return 0;
    }
    return 1;
}
