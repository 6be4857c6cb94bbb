/* predict.c: a trained cell over a .skds, a folder of images or a catalog, into preds.csv (see
 * predict.h). */
#include "predict.h"
#include "sk_dataset.h"
#include "sk_base.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define MAX_DEPTH 16
#define MAX_FILES 50000000

/* ---- preds.csv ---- */

static void put_degrees(sk_buf *b, double v)
{
    if (!isnan(v)) sk_buf_put_f64_text(b, v);
}

sk_status sk_preds_write(const char *path, const sk_trained *t, const sk_pred_row *rows, const float *probs,
                         int n, sk_error *err)
{
    int k = t->num_classes;
    sk_buf b;
    sk_buf_init(&b);
    sk_buf_printf(&b, "id,ra,dec");
    for (int c = 0; c < k; c++) {
        char name[80];
        snprintf(name, sizeof name, "p_%s", t->class_names[c]);
        sk_buf_put_u8(&b, ',');
        sk_csv_put_field(&b, name);
    }
    sk_buf_printf(&b, ",predicted,label\n");
    for (int i = 0; i < n; i++) {
        const float *p = probs + (size_t)i * k;
        sk_csv_put_field(&b, rows[i].id);
        sk_buf_put_u8(&b, ',');
        put_degrees(&b, rows[i].ra);
        sk_buf_put_u8(&b, ',');
        put_degrees(&b, rows[i].dec);
        for (int c = 0; c < k; c++) {
            sk_buf_put_u8(&b, ',');
            sk_buf_put_f32_text(&b, p[c]);
        }
        sk_buf_put_u8(&b, ',');
        sk_csv_put_field(&b, t->class_names[sk_argmax(p, k)]);
        sk_buf_put_u8(&b, ',');
        if (rows[i].label >= 0) sk_csv_put_field(&b, t->class_names[rows[i].label]);
        sk_buf_put_u8(&b, '\n');
    }
    sk_status s = sk_write_file_atomic(path, b.data, b.len, err);
    sk_buf_free(&b);
    return s;
}

void sk_pred_rows_free(sk_pred_row *rows, int n)
{
    for (int i = 0; rows && i < n; i++) free(rows[i].id);
    free(rows);
}

/* ---- collecting predictions ---- */

typedef struct {
    const sk_trained *t;
    sk_exec *ex;
    int batch;
    sk_pred_row *rows;
    float *probs;
    int n, cap;
    sk_progress bar;
    int progress;
} predictor;

static void predictor_init(predictor *P, const sk_trained *t, const sk_predict_opts *o, uint64_t total)
{
    memset(P, 0, sizeof *P);
    P->t = t;
    P->batch = o->batch > 0 ? o->batch : t->batch;
    P->ex = sk_exec_new(t->model.graph, P->batch);
    P->progress = o->progress;
    if (P->progress) sk_progress_begin(&P->bar, "predict", total, NULL);
}

static void predictor_free(predictor *P)
{
    if (P->progress) sk_progress_end(&P->bar);
    sk_exec_free(P->ex);
    sk_pred_rows_free(P->rows, P->n);
    free(P->probs);
}

/* Predicts d and appends its rows (ownership of each row's id moves to P). */
static void predict_images(predictor *P, const sk_images *d, const sk_pred_row *rows)
{
    int k = P->t->num_classes;
    if (P->n + d->n > P->cap) {
        P->cap = (P->n + d->n) * 2;
        P->rows = sk_xrealloc(P->rows, (size_t)P->cap * sizeof *P->rows);
        P->probs = sk_xrealloc(P->probs, (size_t)P->cap * k * sizeof *P->probs);
    }
    sk_cell_infer(P->ex, P->t->model.in_scale, P->t->model.in_offset, d, P->batch, SK_XENT_LOGITS,
                  P->probs + (size_t)P->n * k, NULL, P->progress ? &P->bar : NULL);
    memcpy(P->rows + P->n, rows, (size_t)d->n * sizeof *rows);
    P->n += d->n;
}

static void tally(const predictor *P, sk_predict_stats *st)
{
    st->n = P->n;
    for (int i = 0; i < P->n; i++) {
        if (P->rows[i].label < 0) continue;
        st->labelled++;
        st->correct += sk_argmax(P->probs + (size_t)i * P->t->num_classes, P->t->num_classes) == P->rows[i].label;
    }
}

/* ---- a .skds ---- */

static sk_status predict_skds(predictor *P, const sk_predict_opts *o, sk_error *err)
{
    sk_skds ds;
    sk_status s = sk_skds_open(&ds, o->input, SK_SKDS_OPEN_DEFAULT, err);
    if (s) return s;
    sk_cell_split sp;
    memset(&sp, 0, sizeof sp);
    s = sk_trained_check_data(P->t, &ds, o->input, 1, err);
    if (!s) s = sk_cell_split_load(&sp, &ds, o->split, P->t->model.input_size, err);
    if (!s && sp.im.n == 0)
        s = sk_error_set(err, SK_EINVAL, "%s: no records in split '%s'", o->input,
                         o->split == SK_CELL_SPLIT_ALL ? "all" : sk_split_name(o->split));
    if (!s) {
        sk_pred_row *rows = sk_xcalloc((size_t)sp.im.n, sizeof *rows);
        for (int i = 0; i < sp.im.n; i++) {
            const sk_skds_record *r = &ds.records[sp.index[i]];
            char id[32];
            snprintf(id, sizeof id, "%llu", (unsigned long long)r->objid);
            rows[i] = (sk_pred_row){sk_xstrdup(id), r->ra, r->dec, (int)r->label};
        }
        if (P->progress) P->bar.total = (uint64_t)sp.im.n;
        predict_images(P, &sp.im, rows);
        free(rows);
    }
    sk_cell_split_free(&sp);
    sk_skds_close(&ds);
    return s;
}

/* ---- a folder of images ---- */

typedef struct {
    char **rel;   /* relative paths, byte order */
    int n, cap;
    int other;    /* files that are not .jpg/.jpeg/.png */
} file_list;

static int is_image_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".png"));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every image file below dir/rel (rel "" = dir itself), recursively; hidden entries skipped. */
static sk_status list_images(file_list *fl, const char *dir, const char *rel, int depth, sk_error *err)
{
    if (depth > MAX_DEPTH) return sk_error_set(err, SK_ELIMIT, "%s/%s: folders nested deeper than %d", dir, rel, MAX_DEPTH);
    char *path = *rel ? sk_path_join(dir, rel) : sk_xstrdup(dir);
    DIR *d = opendir(path);
    if (!d) {
        sk_status s = sk_error_set(err, SK_EIO, "%s: cannot open the folder", path);
        free(path);
        return s;
    }
    sk_status s = SK_OK;
    struct dirent *e;
    while (!s && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *sub = *rel ? sk_path_join(rel, e->d_name) : sk_xstrdup(e->d_name);
        char *full = sk_path_join(dir, sub);
        struct stat sb;
        if (stat(full, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            s = list_images(fl, dir, sub, depth + 1, err);
            free(sub);
        } else if (!is_image_name(e->d_name)) {
            fl->other++;
            free(sub);
        } else if (fl->n >= MAX_FILES) {
            s = sk_error_set(err, SK_ELIMIT, "%s: more than %d images", dir, MAX_FILES);
            free(sub);
        } else {
            if (fl->n == fl->cap) {
                fl->cap = fl->cap ? 2 * fl->cap : 256;
                fl->rel = sk_xrealloc(fl->rel, (size_t)fl->cap * sizeof *fl->rel);
            }
            fl->rel[fl->n++] = sub;
        }
        free(full);
    }
    closedir(d);
    free(path);
    return s;
}

/* The cell's index of a class name of n bytes, or -1. */
static int class_index(const sk_trained *t, const char *name, size_t n)
{
    for (int c = 0; c < t->num_classes; c++)
        if (strlen(t->class_names[c]) == n && !strncmp(name, t->class_names[c], n)) return c;
    return -1;
}

/* The row of an image: from the folder's manifest.tsv when it lists the file (objid, ra, dec,
 * class), else the relative path as its id; the true label is the class (the manifest's, or the
 * top-level folder's name) when it is one of the cell's. */
static sk_pred_row row_of(const sk_trained *t, const sk_manifest *man, const char *rel)
{
    long i = man->nrows ? sk_manifest_find(man, rel) : -1;
    if (i >= 0) {
        const char *cls = sk_manifest_get(man, (size_t)i, SK_MF_CLASS);
        return (sk_pred_row){sk_xstrdup(sk_manifest_get(man, (size_t)i, SK_MF_OBJID)),
                             sk_manifest_f64(man, (size_t)i, SK_MF_RA), sk_manifest_f64(man, (size_t)i, SK_MF_DEC),
                             class_index(t, cls, strlen(cls))};
    }
    const char *slash = strchr(rel, '/');
    return (sk_pred_row){sk_xstrdup(rel), NAN, NAN, slash ? class_index(t, rel, (size_t)(slash - rel)) : -1};
}

/* DIR/manifest.tsv when there is one (strictly checked), sorted by file; else empty. */
static sk_status folder_manifest(sk_manifest *m, const char *dir, sk_error *err)
{
    static const sk_manifest_col cols[] = {SK_MF_OBJID, SK_MF_CLASS, SK_MF_FILE};
    char *path = sk_path_join(dir, "manifest.tsv");
    sk_status s = SK_OK;
    if (sk_path_exists(path)) s = sk_manifest_read(m, path, NULL, err);
    else sk_manifest_init(m, cols, 3);
    free(path);
    if (!s) sk_manifest_sort(m);
    return s;
}

/* Decodes images [first, first+n) of fl into px (n slots) in parallel; st[j] and errs[j] say how
 * each went (a FIFO or device is refused without blocking, base/fileio.h). */
static void load_chunk(const predictor *P, const char *dir, const file_list *fl, int first, int n, uint8_t *px,
                       sk_status *st, sk_error *errs)
{
    int size = P->t->model.input_size;
    size_t per = (size_t)size * size * 3;
#pragma omp parallel for schedule(dynamic, 1)
    for (int j = 0; j < n; j++) {
        char *path = sk_path_join(dir, fl->rel[first + j]);
        st[j] = sk_cell_image_load(px + (size_t)j * per, path, size, P->t->data_size, &errs[j]);
        free(path);
    }
}

static sk_status predict_folder(predictor *P, const char *dir, sk_predict_stats *stats, sk_error *err)
{
    file_list fl = {0};
    sk_manifest man;
    sk_status s = folder_manifest(&man, dir, err);
    if (s) return sk_error_prefix(err, "%s: ", dir);
    s = list_images(&fl, dir, "", 0, err);
    if (!s && fl.n == 0)
        s = sk_error_set(err, SK_EINVAL, "%s: no .jpg, .jpeg or .png images to predict (%d other files)", dir,
                         fl.other);
    if (s) goto done;
    qsort(fl.rel, (size_t)fl.n, sizeof *fl.rel, cmp_str);
    if (fl.other > (man.nrows ? 1 : 0))
        sk_info("%s: %d files that are not .jpg/.jpeg/.png left out", dir, fl.other - (man.nrows ? 1 : 0));
    int size = P->t->model.input_size, chunk = 4 * P->batch;
    size_t per = (size_t)size * size * 3;
    uint8_t *px = sk_xmalloc((size_t)chunk * per);
    int32_t *labels = sk_xmalloc((size_t)chunk * sizeof *labels);
    sk_status *st = sk_xcalloc((size_t)chunk, sizeof *st);
    sk_error *errs = sk_xcalloc((size_t)chunk, sizeof *errs);
    sk_pred_row *rows = sk_xcalloc((size_t)chunk, sizeof *rows);
    sk_error first_err;
    sk_error_clear(&first_err);
    if (P->progress) P->bar.total = (uint64_t)fl.n;
    for (int first = 0; first < fl.n; first += chunk) {
        int n = fl.n - first < chunk ? fl.n - first : chunk, ok = 0;
        load_chunk(P, dir, &fl, first, n, px, st, errs);
        for (int j = 0; j < n; j++) {
            if (st[j]) {
                sk_warn("skipped %s", errs[j].msg);
                if (!stats->skipped++) first_err = errs[j];
                continue;
            }
            if (ok != j) memmove(px + (size_t)ok * per, px + (size_t)j * per, per);
            rows[ok] = row_of(P->t, &man, fl.rel[first + j]);
            labels[ok] = rows[ok].label < 0 ? 0 : rows[ok].label;
            ok++;
        }
        if (P->progress) P->bar.done += (uint64_t)(n - ok);
        sk_images d = {px, labels, ok, size, size, 3};
        if (ok) predict_images(P, &d, rows);
    }
    if (P->n == 0)
        s = sk_error_set(err, SK_EFORMAT, "%s: none of its %d images could be read (the first: %s)", dir, fl.n,
                         first_err.msg);
    free(px);
    free(labels);
    free(st);
    free(errs);
    free(rows);
done:
    for (int i = 0; i < fl.n; i++) free(fl.rel[i]);
    free(fl.rel);
    sk_manifest_free(&man);
    return s;
}

/* ---- a catalog ---- */

/* Cuts the catalog's objects from the SDSS frames of o->frames_dir into dir (dataset cutout). */
static sk_status cut_catalog(const sk_predict_opts *o, const char *dir, int size, sk_predict_stats *stats,
                             sk_error *err)
{
    sk_cutout_opts co;
    sk_cutout_opts_init(&co);
    co.size = size;
    if (o->scale > 0) co.scale = o->scale;
    co.progress = o->progress;
    co.command = "skytune predict";
    sk_cutout_stats cs;
    memset(&cs, 0, sizeof cs);
    sk_status s = sk_cutout_write(dir, o->frames_dir, o->input, &co, &cs, err);
    stats->skipped += (int)cs.skipped;
    return s;
}

/* Fetches the catalog's cutouts from the ImgCutout service into dir (dataset fetch). */
static sk_status fetch_catalog(const sk_predict_opts *o, const char *dir, int size, sk_predict_stats *stats,
                               sk_error *err)
{
    sk_catalog cat;
    sk_status s = sk_catalog_read(&cat, o->input, err);
    if (s) return s;
    for (size_t k = 0; k < cat.n_bad_listed; k++) sk_warn("%s: bad row, not predicted: %s", o->input, cat.bad[k]);
    stats->skipped += (int)cat.n_bad;
    sk_fetch_opts fo;
    sk_fetch_opts_default(&fo);
    if (o->base_url) fo.base_url = o->base_url;
    if (o->scale > 0) fo.scale = o->scale;
    fo.width = fo.height = size;
    fo.out_dir = dir;
    fo.progress = o->progress;
    sk_fetch_summary sum;
    s = sk_fetch_run(&fo, &cat, &sum, err);
    for (size_t k = 0; k < sum.failed; k++)
        sk_warn("skipped %s (line %ld): %s", cat.rows[sum.failures[k].row].name, cat.rows[sum.failures[k].row].line,
                sum.failures[k].reason);
    stats->skipped += (int)sum.failed;
    if (!s && sum.present + sum.fetched == 0)
        s = sk_error_set(err, SK_ENOTFOUND, "%s: no cutout could be fetched into %s", o->input, dir);
    sk_fetch_summary_free(&sum);
    sk_catalog_free(&cat);
    return s;
}

/* The catalog's cutouts (cut from frames or fetched) into <out>.cutouts or o->cutout_dir, at the
 * size of the cell's training images, then predicted as a folder. */
static sk_status predict_catalog(predictor *P, const sk_predict_opts *o, sk_predict_stats *stats, sk_error *err)
{
    const sk_trained *t = P->t;
    int size = o->cutout_size ? o->cutout_size : t->data_size ? t->data_size : t->model.input_size;
    char *dir = o->cutout_dir ? sk_xstrdup(o->cutout_dir) : NULL;
    if (!dir) {
        dir = sk_xmalloc(strlen(o->out) + 16);
        sprintf(dir, "%s.cutouts", o->out);
    }
    sk_status s = o->frames_dir ? cut_catalog(o, dir, size, stats, err) : fetch_catalog(o, dir, size, stats, err);
    if (!s) {
        sk_info("predict: cutouts of %s in %s", o->input, dir);
        s = predict_folder(P, dir, stats, err);
    }
    free(dir);
    return s;
}

/* ---- the command ---- */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

sk_status sk_predict_run(const sk_trained *t, const sk_predict_opts *o, sk_predict_stats *st, sk_error *err)
{
    memset(st, 0, sizeof *st);
    predictor P;
    predictor_init(&P, t, o, 0);
    sk_status s;
    if (sk_dir_exists(o->input)) s = predict_folder(&P, o->input, st, err);
    else if (ends_with(o->input, ".skds")) s = predict_skds(&P, o, err);
    else if (ends_with(o->input, ".csv") && sk_file_exists(o->input)) s = predict_catalog(&P, o, st, err);
    else if (!sk_file_exists(o->input)) s = sk_error_set(err, SK_ENOTFOUND, "%s: no such file or folder", o->input);
    else
        s = sk_error_set(err, SK_EINVAL, "%s: expected a .skds data set, a folder of images or a catalog .csv",
                         o->input);
    if (!s) {
        tally(&P, st);
        s = sk_preds_write(o->out, t, P.rows, P.probs, P.n, err);
    }
    predictor_free(&P);
    return s;
}
