/* report_records.c: result-record loader (see report_records.h). run.json and metrics.jsonl
 * are parsed with cJSON; every field read goes through a checked getter that records the first
 * problem as "<file>: field '<path>': expected <type>, found <type or value>". */
#include "report_records.h"

#include "fileio.h"
#include "log.h"

#include <cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_JSON_BYTES (64u << 20)
#define MAX_DEPTH 32

/* First-error-wins field reader over one JSON document. */
typedef struct {
    const char *file;
    sk_error *err;
    sk_status st;
} jctx;

static const char *jtype(const cJSON *j)
{
    if (!j) return "nothing (missing)";
    if (cJSON_IsNull(j)) return "null";
    if (cJSON_IsBool(j)) return "a boolean";
    if (cJSON_IsNumber(j)) return "a number";
    if (cJSON_IsString(j)) return "a string";
    if (cJSON_IsArray(j)) return "an array";
    if (cJSON_IsObject(j)) return "an object";
    return "an invalid value";
}

static void jfail(jctx *c, const char *field, const char *expected, const cJSON *found)
{
    if (c->st) return;
    c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field '%s': expected %s, found %s", c->file,
                         field, expected, jtype(found));
}

static const cJSON *jget(const cJSON *o, const char *key)
{
    return o && cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

static double jnum(jctx *c, const cJSON *o, const char *key, const char *field)
{
    const cJSON *j = jget(o, key);
    if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble)) {
        jfail(c, field, "a finite number", j);
        return 0.0;
    }
    return j->valuedouble;
}

static int64_t jint(jctx *c, const cJSON *o, const char *key, const char *field, int64_t lo, int64_t hi)
{
    const cJSON *j = jget(o, key);
    if (!cJSON_IsNumber(j) || j->valuedouble != floor(j->valuedouble)) {
        jfail(c, field, "an integer", j);
        return lo;
    }
    double v = j->valuedouble;
    if (v < (double)lo || v > (double)hi) {
        if (!c->st)
            c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field '%s': expected an integer in [%lld, %lld], found %.17g",
                                 c->file, field, (long long)lo, (long long)hi, v);
        return lo;
    }
    return (int64_t)v;
}

static char *jstr(jctx *c, const cJSON *o, const char *key, const char *field)
{
    const cJSON *j = jget(o, key);
    if (!cJSON_IsString(j)) {
        jfail(c, field, "a string", j);
        return sk_xstrdup("");
    }
    return sk_xstrdup(j->valuestring);
}

static const cJSON *jobj(jctx *c, const cJSON *o, const char *key, const char *field)
{
    const cJSON *j = jget(o, key);
    if (!cJSON_IsObject(j)) jfail(c, field, "an object", j);
    return j;
}

/* Reads a numeric array of exactly n entries into out. */
static void jnums(jctx *c, const cJSON *o, const char *key, const char *field, double *out, int n)
{
    const cJSON *j = jget(o, key);
    if (!cJSON_IsArray(j)) {
        jfail(c, field, "an array", j);
        return;
    }
    if (cJSON_GetArraySize(j) != n) {
        if (!c->st)
            c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field '%s': expected %d entries (num_classes), found %d",
                                 c->file, field, n, cJSON_GetArraySize(j));
        return;
    }
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j) {
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble)) {
            char f[128];
            snprintf(f, sizeof f, "%s[%d]", field, i);
            jfail(c, f, "a finite number", e);
            return;
        }
        out[i++] = e->valuedouble;
    }
}

/* True when text ends inside a string or an open object/array: a cut-off file. */
static int looks_truncated(const char *text, size_t n)
{
    int depth = 0, in_str = 0, esc = 0;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (in_str) {
            if (esc) esc = 0;
            else if (c == '\\') esc = 1;
            else if (c == '"') in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return in_str || depth > 0;
}

/* Parses text as JSON; a syntax error names the file, line and column. */
static cJSON *parse_json(const char *text, size_t n, const char *file, int lineno, sk_error *err)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, n, &end, 0);
    if (j) return j;
    size_t off = end && end >= text ? (size_t)(end - text) : 0;
    int line = 1, col = 1;
    for (size_t i = 0; i < off && i < n; i++) {
        if (text[i] == '\n') line++, col = 1;
        else col++;
    }
    if (lineno > 0) line = lineno;
    if (off + 1 >= n || looks_truncated(text, n))
        sk_error_set(err, SK_EFORMAT, "%s:%d: invalid JSON: unexpected end of text (truncated file?)", file, line);
    else
        sk_error_set(err, SK_EFORMAT, "%s:%d:%d: invalid JSON near '%.20s'", file, line, col, text + off);
    return NULL;
}

static int safe_word(const char *s)
{
    if (!*s || strlen(s) > 64) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            return 0;
    return s[0] != '.';
}

static void read_run_json(sk_report_run *r, const cJSON *root, jctx *c)
{
    char *schema = jstr(c, root, "schema", "schema");
    if (!c->st && strcmp(schema, "skytune.run") != 0)
        c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field 'schema': expected \"skytune.run\", found \"%s\"", c->file, schema);
    free(schema);
    const cJSON *ver = jget(root, "schema_version");
    if (!c->st && !cJSON_IsNumber(ver)) jfail(c, "schema_version", "the integer 1", ver);
    if (!c->st && ver->valuedouble != 1.0)
        c->st = sk_error_set(c->err, SK_EVERSION, "%s: field 'schema_version': expected 1, found %.17g (a newer runner? this build reads version 1)",
                             c->file, ver->valuedouble);
    r->suite = jstr(c, root, "suite", "suite");
    r->cell = jstr(c, root, "cell", "cell");
    r->arch = jstr(c, root, "arch", "arch");
    if (!c->st && !safe_word(r->arch))
        c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field 'arch': expected a name of letters, digits, '_', '-', '.', found \"%s\"", c->file, r->arch);
    r->input_size = (int)jint(c, root, "input_size", "input_size", 1, 100000);
    r->num_classes = (int)jint(c, root, "num_classes", "num_classes", 2, SK_REPORT_MAX_CLASSES);
    int nc = c->st ? 0 : r->num_classes;
    const cJSON *names = jget(root, "class_names");
    if (!c->st && (!cJSON_IsArray(names) || cJSON_GetArraySize(names) != nc)) {
        if (!cJSON_IsArray(names)) jfail(c, "class_names", "an array", names);
        else c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field 'class_names': expected %d entries (num_classes), found %d",
                                  c->file, nc, cJSON_GetArraySize(names));
    }
    for (int k = 0; k < nc && !c->st; k++) {
        const cJSON *e = cJSON_GetArrayItem(names, k);
        char f[64];
        snprintf(f, sizeof f, "class_names[%d]", k);
        if (!cJSON_IsString(e)) jfail(c, f, "a string", e);
        else r->class_names[k] = sk_xstrdup(e->valuestring);
    }
    r->total_layers = (int)jint(c, root, "total_layers", "total_layers", 1, 1000000);
    r->base_layers = (int)jint(c, root, "base_layers", "base_layers", 1, 1000000);
    r->trainable_layers = (int)jint(c, root, "trainable_layers", "trainable_layers", 1, c->st ? 1 : r->total_layers);
    r->total_params = jint(c, root, "total_params", "total_params", 1, INT64_C(1) << 52);
    r->trainable_params = jint(c, root, "trainable_params", "trainable_params", 0, c->st ? 0 : r->total_params);
    r->tlr = jnum(c, root, "tlr", "tlr");
    r->tlr_base = jnum(c, root, "tlr_base", "tlr_base");
    r->tpr = jnum(c, root, "tpr", "tpr");
    r->seed = jint(c, root, "seed", "seed", 0, INT64_C(1) << 52);

    const cJSON *w = jobj(c, root, "weights", "weights");
    r->weights_kind = jstr(c, w, "kind", "weights.kind");
    r->weights_file = jstr(c, w, "file", "weights.file");
    r->weights_sha256 = jstr(c, w, "sha256", "weights.sha256");
    const cJSON *d = jobj(c, root, "dataset", "dataset");
    r->data_path = jstr(c, d, "path", "dataset.path");
    r->data_sha256 = jstr(c, d, "sha256", "dataset.sha256");
    r->n_train = (int)jint(c, d, "n_train", "dataset.n_train", 0, INT32_MAX);
    r->n_val = (int)jint(c, d, "n_val", "dataset.n_val", 0, INT32_MAX);
    const cJSON *p = jobj(c, root, "protocol", "protocol");
    r->optimizer = jstr(c, p, "optimizer", "protocol.optimizer");
    r->lr = jnum(c, p, "lr", "protocol.lr");
    r->batch = (int)jint(c, p, "batch", "protocol.batch", 1, INT32_MAX);
    r->epochs_requested = (int)jint(c, p, "epochs", "protocol.epochs", 1, 1000000);
    r->input_scaling = jstr(c, p, "input_scaling", "protocol.input_scaling");
    r->loss = jstr(c, p, "loss", "protocol.loss");

    r->epochs_run = (int)jint(c, root, "epochs_run", "epochs_run", 0, 1000000);
    r->best_val_acc = jnum(c, root, "best_val_acc", "best_val_acc");
    r->best_epoch = (int)jint(c, root, "best_epoch", "best_epoch", 0, 1000000);
    r->final_val_acc = jnum(c, root, "final_val_acc", "final_val_acc");
    r->final_train_acc = jnum(c, root, "final_train_acc", "final_train_acc");
    r->final_val_loss = jnum(c, root, "final_val_loss", "final_val_loss");
    const cJSON *pc = jobj(c, root, "per_class", "per_class");
    jnums(c, pc, "precision", "per_class.precision", r->precision, nc);
    jnums(c, pc, "recall", "per_class.recall", r->recall, nc);
    jnums(c, pc, "f1", "per_class.f1", r->f1, nc);
    const cJSON *cm = jget(root, "confusion");
    if (!c->st && (!cJSON_IsArray(cm) || cJSON_GetArraySize(cm) != nc)) {
        if (!cJSON_IsArray(cm)) jfail(c, "confusion", "an array", cm);
        else c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field 'confusion': expected %d rows (num_classes), found %d",
                                  c->file, nc, cJSON_GetArraySize(cm));
    }
    for (int i = 0; i < nc && !c->st; i++) {
        char f[64];
        snprintf(f, sizeof f, "confusion[%d]", i);
        const cJSON *rowj = cJSON_GetArrayItem(cm, i);
        if (!cJSON_IsArray(rowj) || cJSON_GetArraySize(rowj) != nc) {
            if (!c->st)
                c->st = sk_error_set(c->err, SK_EFORMAT, "%s: field '%s': expected an array of %d counts, found %s",
                                     c->file, f, nc, jtype(rowj));
            break;
        }
        for (int k = 0; k < nc; k++) {
            const cJSON *e = cJSON_GetArrayItem(rowj, k);
            if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble != floor(e->valuedouble)) {
                char f2[80];
                snprintf(f2, sizeof f2, "confusion[%d][%d]", i, k);
                jfail(c, f2, "a non-negative integer count", e);
                break;
            }
            r->confusion[i * nc + k] = (int64_t)e->valuedouble;
        }
    }
    r->wall_seconds = jnum(c, root, "wall_seconds", "wall_seconds");
    r->seconds_per_epoch_median = jnum(c, root, "seconds_per_epoch_median", "seconds_per_epoch_median");
    r->peak_rss_bytes = jint(c, root, "peak_rss_bytes", "peak_rss_bytes", 0, INT64_C(1) << 52);
    const cJSON *cache = jobj(c, root, "cache", "cache");
    const cJSON *used = jget(cache, "used");
    if (!c->st && !cJSON_IsBool(used)) jfail(c, "cache.used", "a boolean", used);
    r->cache_used = cJSON_IsTrue(used);
    const cJSON *pl = jobj(c, root, "platform", "platform");
    r->version = jstr(c, pl, "skytune_version", "platform.skytune_version");
    r->git_revision = jstr(c, pl, "git_revision", "platform.git_revision");
    r->compiler = jstr(c, pl, "compiler", "platform.compiler");
    r->flags = jstr(c, pl, "flags", "platform.flags");
    r->blas = jstr(c, pl, "blas", "platform.blas");
    r->blas_core = jstr(c, pl, "blas_core", "platform.blas_core");
    r->cpu_model = jstr(c, pl, "cpu_model", "platform.cpu_model");
    r->fingerprint = jstr(c, pl, "fingerprint", "platform.fingerprint");
    r->omp_threads = (int)jint(c, pl, "omp_threads", "platform.omp_threads", 0, 1 << 20);
    r->started_utc = jstr(c, root, "started_utc", "started_utc");
    r->finished_utc = jstr(c, root, "finished_utc", "finished_utc");
}

static sk_status read_metrics(sk_report_run *r, const char *file, sk_error *err)
{
    uint8_t *data = NULL;
    size_t n = 0;
    sk_status st = sk_read_file(file, &data, &n, MAX_JSON_BYTES, err);
    if (st) return st;
    int cap = r->epochs_run > 0 ? r->epochs_run : 1;
    r->epochs = sk_xcalloc((size_t)cap, sizeof *r->epochs);
    r->n_epochs = 0;
    char *text = (char *)data;
    int lineno = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        lineno++;
        int blank = 1;
        for (size_t i = 0; i < len; i++)
            if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') blank = 0;
        if (!blank) {
            cJSON *j = parse_json(line, len, file, lineno, err);
            if (!j) {
                st = err->code;
                goto done;
            }
            char where[1100];
            snprintf(where, sizeof where, "%s:%d", file, lineno);
            jctx c = {where, err, SK_OK};
            sk_report_epoch e;
            e.epoch = (int)jint(&c, j, "epoch", "epoch", 1, 1000000);
            e.lr = jnum(&c, j, "lr", "lr");
            e.loss = jnum(&c, j, "loss", "loss");
            e.acc = jnum(&c, j, "acc", "acc");
            e.val_loss = jnum(&c, j, "val_loss", "val_loss");
            e.val_acc = jnum(&c, j, "val_acc", "val_acc");
            e.seconds = jnum(&c, j, "seconds", "seconds");
            cJSON_Delete(j);
            if (c.st) {
                st = c.st;
                goto done;
            }
            if (e.epoch != r->n_epochs + 1) {
                st = sk_error_set(err, SK_EFORMAT, "%s: field 'epoch': expected %d (epochs in order from 1), found %d",
                                  where, r->n_epochs + 1, e.epoch);
                goto done;
            }
            if (r->n_epochs == cap) {
                cap *= 2;
                r->epochs = sk_xrealloc(r->epochs, (size_t)cap * sizeof *r->epochs);
            }
            r->epochs[r->n_epochs++] = e;
        }
        line = nl ? nl + 1 : NULL;
    }
    if (r->n_epochs != r->epochs_run)
        st = sk_error_set(err, SK_EFORMAT, "%s: expected %d epochs (run.json epochs_run), found %d lines",
                          file, r->epochs_run, r->n_epochs);
done:
    free(data);
    return st;
}

sk_status sk_report_run_load(sk_report_run *r, const char *dir, sk_error *err)
{
    memset(r, 0, sizeof *r);
    r->dir = sk_xstrdup(dir);
    char *file = sk_path_join(dir, "run.json");
    uint8_t *data = NULL;
    size_t n = 0;
    sk_status st = sk_read_file(file, &data, &n, MAX_JSON_BYTES, err);
    if (st) goto done;
    cJSON *root = parse_json((const char *)data, n, file, 0, err);
    if (!root) {
        st = err->code;
        goto done;
    }
    jctx c = {file, err, SK_OK};
    if (!cJSON_IsObject(root)) jfail(&c, "(top level)", "an object", root);
    else read_run_json(r, root, &c);
    cJSON_Delete(root);
    st = c.st;
    if (st) goto done;
    /* The ratios must follow from the counts (the runner rounds them to 6 decimals at most). */
    struct { const char *field; double have, want; } ratios[] = {
        {"tlr", r->tlr, (double)r->trainable_layers / r->total_layers},
        {"tlr_base", r->tlr_base, (double)r->trainable_layers / r->base_layers},
        {"tpr", r->tpr, (double)r->trainable_params / (double)r->total_params},
    };
    for (size_t i = 0; i < SK_ARRAY_LEN(ratios); i++)
        if (fabs(ratios[i].have - ratios[i].want) > 1e-6) {
            st = sk_error_set(err, SK_EFORMAT, "%s: field '%s': expected %.6f (from the layer/parameter counts), found %.9g",
                              file, ratios[i].field, ratios[i].want, ratios[i].have);
            goto done;
        }
    if (r->best_epoch > r->epochs_run) {
        st = sk_error_set(err, SK_EFORMAT, "%s: field 'best_epoch': expected at most epochs_run (%d), found %d",
                          file, r->epochs_run, r->best_epoch);
        goto done;
    }
    free(file);
    file = sk_path_join(dir, "metrics.jsonl");
    st = read_metrics(r, file, err);
done:
    free(file);
    free(data);
    if (st) {
        char *d = r->dir;
        r->dir = NULL;
        sk_report_run_free(r);
        r->dir = d;
    }
    return st;
}

void sk_report_run_free(sk_report_run *r)
{
    char **strs[] = {&r->dir, &r->suite, &r->cell, &r->arch, &r->weights_kind, &r->weights_file,
                     &r->weights_sha256, &r->data_path, &r->data_sha256, &r->optimizer,
                     &r->input_scaling, &r->loss, &r->version, &r->git_revision, &r->compiler,
                     &r->flags, &r->blas, &r->blas_core, &r->cpu_model, &r->fingerprint,
                     &r->started_utc, &r->finished_utc};
    for (size_t i = 0; i < SK_ARRAY_LEN(strs); i++) {
        free(*strs[i]);
        *strs[i] = NULL;
    }
    for (int k = 0; k < SK_REPORT_MAX_CLASSES; k++) {
        free(r->class_names[k]);
        r->class_names[k] = NULL;
    }
    free(r->epochs);
    r->epochs = NULL;
    r->n_epochs = 0;
}

/* ---- the walk ---- */

typedef struct {
    sk_report_set *set;
    int cap, skip_bad;
} walk_state;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static sk_status walk(walk_state *w, const char *dir, int depth, sk_error *err)
{
    if (depth > MAX_DEPTH)
        return sk_error_set(err, SK_ELIMIT, "%s: directories nested deeper than %d below the results root", dir, MAX_DEPTH);
    char *failed = sk_path_join(dir, "FAILED");
    if (sk_file_exists(failed)) {
        uint8_t *msg = NULL;
        size_t n = 0;
        sk_error e2;
        char line[512] = "(FAILED file unreadable)";
        if (sk_read_file(failed, &msg, &n, 1u << 20, &e2) == SK_OK) {
            snprintf(line, sizeof line, "%s", (const char *)msg);
            line[strcspn(line, "\r\n")] = 0;
        }
        free(msg);
        size_t cap = strlen(dir) + strlen(line) + 3;
        char *entry = sk_xmalloc(cap);
        snprintf(entry, cap, "%s: %s", dir, line);
        w->set->failed = sk_xrealloc(w->set->failed, (size_t)(w->set->n_failed + 1) * sizeof *w->set->failed);
        w->set->failed[w->set->n_failed++] = entry;
        free(failed);
        return SK_OK;
    }
    free(failed);
    char *runjson = sk_path_join(dir, "run.json");
    int is_cell = sk_file_exists(runjson);
    free(runjson);
    if (is_cell) {
        char *done = sk_path_join(dir, "DONE");
        int complete = sk_file_exists(done);
        free(done);
        if (!complete) {
            w->set->n_incomplete++;
            return SK_OK;
        }
        sk_report_run r;
        sk_status st = sk_report_run_load(&r, dir, err);
        if (st) {
            sk_report_run_free(&r);
            if (!w->skip_bad) return st;
            sk_warn("skipping bad record: %s", err->msg);
            w->set->n_bad++;
            return SK_OK;
        }
        if (w->set->n == w->cap) {
            w->cap = w->cap ? 2 * w->cap : 16;
            w->set->runs = sk_xrealloc(w->set->runs, (size_t)w->cap * sizeof *w->set->runs);
        }
        w->set->runs[w->set->n++] = r;
        return SK_OK;
    }
    DIR *d = opendir(dir);
    if (!d) return sk_error_set(err, SK_EIO, "%s: cannot open directory", dir);
    char **names = NULL;
    int nn = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (nn == cap) {
            cap = cap ? 2 * cap : 32;
            names = sk_xrealloc(names, (size_t)cap * sizeof *names);
        }
        names[nn++] = sk_xstrdup(e->d_name);
    }
    closedir(d);
    if (nn) qsort(names, (size_t)nn, sizeof *names, cmp_str);
    sk_status st = SK_OK;
    for (int i = 0; i < nn; i++) {
        char *sub = sk_path_join(dir, names[i]);
        struct stat sb;
        if (!st && stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode)) st = walk(w, sub, depth + 1, err);
        free(sub);
        free(names[i]);
    }
    free(names);
    return st;
}

static int cmp_run(const void *a, const void *b)
{
    const sk_report_run *x = a, *y = b;
    int c = strcmp(x->arch, y->arch);
    if (c) return c;
    if (x->trainable_layers != y->trainable_layers) return x->trainable_layers < y->trainable_layers ? -1 : 1;
    if (x->seed != y->seed) return x->seed < y->seed ? -1 : 1;
    return strcmp(x->dir, y->dir);
}

sk_status sk_report_set_load(sk_report_set *set, const char *root, int skip_bad, sk_error *err)
{
    memset(set, 0, sizeof *set);
    if (!sk_dir_exists(root))
        return sk_error_set(err, SK_ENOTFOUND, "%s: results directory does not exist", root);
    walk_state w = {set, 0, skip_bad};
    sk_status st = walk(&w, root, 0, err);
    if (st) {
        sk_report_set_free(set);
        return st;
    }
    if (set->n == 0) {
        st = sk_error_set(err, SK_ENOTFOUND, "%s: no complete result cells (directories with run.json and DONE) below it; "
                          "%d incomplete, %d failed, %d bad",
                          root, set->n_incomplete, set->n_failed, set->n_bad);
        sk_report_set_free(set);
        return st;
    }
    qsort(set->runs, (size_t)set->n, sizeof *set->runs, cmp_run);
    /* One record per (arch, level, seed): a duplicate would silently weight the mean. */
    for (int i = 1; i < set->n; i++) {
        sk_report_run *a = &set->runs[i - 1], *b = &set->runs[i];
        if (strcmp(a->arch, b->arch) == 0 && a->trainable_layers == b->trainable_layers && a->seed == b->seed) {
            if (!skip_bad) {
                st = sk_error_set(err, SK_EINVAL, "%s and %s: two records for the same cell (arch %s, trainable_layers %d, seed %lld); keep one",
                                  a->dir, b->dir, a->arch, a->trainable_layers, (long long)a->seed);
                sk_report_set_free(set);
                return st;
            }
            sk_warn("skipping duplicate record %s (same cell as %s)", b->dir, a->dir);
            sk_report_run_free(b);
            memmove(b, b + 1, (size_t)(set->n - i - 1) * sizeof *b);
            set->n--;
            set->n_bad++;
            i--;
        }
    }
    return SK_OK;
}

void sk_report_set_free(sk_report_set *set)
{
    for (int i = 0; i < set->n; i++) sk_report_run_free(&set->runs[i]);
    free(set->runs);
    for (int i = 0; i < set->n_failed; i++) free(set->failed[i]);
    free(set->failed);
    memset(set, 0, sizeof *set);
}
