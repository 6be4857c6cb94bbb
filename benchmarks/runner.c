/* runner.c: train one sweep cell with the study's protocol; checkpoints, resume, records. */
#include "runner.h"
#include "arch.h"
#include "callbacks.h"
#include "checkpoint.h"
#include "checksum.h"
#include "fileio.h"
#include "image.h"
#include "init.h"
#include "log.h"
#include "metrics.h"
#include "optim.h"
#include "record.h"
#include "skds.h"
#include "train.h"
#include "weights.h"
#include "weights_fetch.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_EPOCHS 100000

void sk_default_cache_dir(char *out, size_t cap)
{
    const char *env = getenv("SKYTUNE_CACHE");
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (env && *env) snprintf(out, cap, "%s", env);
    else if (xdg && *xdg) snprintf(out, cap, "%s/skytune", xdg);
    else snprintf(out, cap, "%s/.cache/skytune", home && *home ? home : "/tmp");
}

void sk_cell_cfg_defaults(sk_cell_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->level = SK_LEVEL_ALL;
    c->seed = 1;
    c->weights = SK_WEIGHTS_IMAGENET;
    c->epochs = 60;
    c->batch = 32;
    c->lr = 1e-4;
    snprintf(c->optimizer, sizeof c->optimizer, "adam");
    c->rlr_factor = 0.1;
    c->rlr_patience = 5;
    c->rlr_min_delta = 1e-4;
    c->class_weights = SK_CW_TRAIN;
    c->use_cache = 1;
    c->cache_max_bytes = (size_t)8 << 30;
}

void sk_cell_cfg_from_suite(sk_cell_cfg *c, const sk_suite *s, const sk_cell *cell)
{
    snprintf(c->arch, sizeof c->arch, "%s", cell->arch);
    c->level = cell->level;
    c->seed = cell->seed;
    c->input_size = cell->input_size;
    c->weights = cell->weights;
    c->epochs = s->epochs;
    c->batch = s->batch;
    c->lr = s->lr;
    snprintf(c->optimizer, sizeof c->optimizer, "%s", s->optimizer);
    c->rlr_factor = s->reduce_lr_factor;
    c->rlr_patience = s->reduce_lr_patience;
    c->rlr_min_delta = s->reduce_lr_min_delta;
    c->rlr_cooldown = s->reduce_lr_cooldown;
    c->rlr_min_lr = s->reduce_lr_min_lr;
    c->es_patience = s->early_stopping_patience;
    c->class_weights = s->class_weights ? SK_CW_TRAIN : SK_CW_NONE;
    snprintf(c->suite, sizeof c->suite, "%s", s->name);
    snprintf(c->cell, sizeof c->cell, "%s", cell->id);
}

/* Copies (and resizes to size x size, bilinear as Keras's loader) the records of one split. */
static sk_status gather_split(const sk_skds *ds, uint32_t split, int size, sk_images *out,
                              uint8_t **pix_out, int32_t **lab_out, sk_error *err)
{
    const sk_skds_header *h = &ds->h;
    if (h->dtype != SK_SKDS_U8)
        return sk_error_set(err, SK_EUNSUPPORTED, "data set pixels are float32; training reads uint8 data sets");
    if (h->channels != 3)
        return sk_error_set(err, SK_EUNSUPPORTED, "data set has %u channels; the models take 3", h->channels);
    size_t n = 0;
    for (uint64_t i = 0; i < ds->count; i++) n += ds->records[i].split == split;
    size_t per = (size_t)size * size * 3;
    uint8_t *pix = sk_xmalloc(n * per + 1);
    int32_t *lab = sk_xmalloc((n + 1) * sizeof *lab);
    float *tmp = ((int)h->height != size || (int)h->width != size) ? sk_xmalloc(per * sizeof(float)) : NULL;
    size_t k = 0;
    for (uint64_t i = 0; i < ds->count; i++) {
        if (ds->records[i].split != split) continue;
        const uint8_t *src = sk_skds_pixels(ds, i);
        if (tmp) {
            sk_resize_bilinear_tf(tmp, src, h->height, h->width, (uint32_t)size, (uint32_t)size, 3);
            sk_pixels_to_u8(pix + k * per, tmp, per);
        } else {
            memcpy(pix + k * per, src, per);
        }
        lab[k++] = (int32_t)ds->records[i].label;
    }
    free(tmp);
    out->pixels = pix;
    out->labels = lab;
    out->n = (int)n;
    out->h = out->w = size;
    out->c = 3;
    *pix_out = pix;
    *lab_out = lab;
    return SK_OK;
}

/* ImageNet weights for arch from the cache: the Keras notop HDF5 file, or (ResNet50) the TF.js
 * model of ci/fetch-resnet50-weights.sh. Sets path to the file used; SK_ENOTFOUND if none. */
static sk_status find_imagenet(const char *arch, const char *cache_dir, char *path, size_t cap,
                               sk_error *err)
{
    const sk_weights_source *src = sk_weights_source_find(arch);
    if (src) {
        snprintf(path, cap, "%s/keras/%s", cache_dir, src->file_name);
        if (sk_file_exists(path)) return SK_OK;
    }
    snprintf(path, cap, "%s/tfjs/%s/model.json", cache_dir, arch);
    if (sk_file_exists(path)) return SK_OK;
    return sk_error_set(err, SK_ENOTFOUND,
                        "no ImageNet weights for %s in %s (run `skytune weights fetch %s`%s)", arch,
                        cache_dir, arch, strcmp(arch, "resnet50") ? "" : " or ci/fetch-resnet50-weights.sh");
}

/* Loads every base tensor from the weight file; only the new head may be missing. */
static sk_status load_imagenet(sk_graph *g, const char *path, sk_error *err)
{
    sk_wset ws;
    sk_wset_init(&ws, path);
    sk_status s = sk_weights_read(path, &ws, err);
    if (s) {
        sk_wset_free(&ws);
        return s;
    }
    sk_wapply_opts o = {.allow_missing = 1, .allow_unused = 1};
    sk_wreport rep;
    memset(&rep, 0, sizeof rep);
    s = sk_weights_apply(g, &ws, &o, &rep, err);
    if (!s) {
        for (int i = 0; i < rep.nmissing; i++)
            if (strncmp(rep.missing[i], "dense/", 6) != 0) {
                s = sk_error_set(err, SK_ENOTFOUND, "%s: tensor %s of the model is not in the file (%d missing)",
                                 path, rep.missing[i], rep.nmissing);
                break;
            }
        if (!s) sk_info("weights: %d tensors from %s (%d renamed, %d unused in the file)", rep.loaded,
                        path, rep.renamed, rep.nunused);
    }
    sk_wreport_free(&rep);
    sk_wset_free(&ws);
    return s;
}

/* Removes "<name>.tmp.<pid>" files an atomic write left behind when its process was killed;
 * the files they were to replace are intact. One cell directory has one writer at a time. */
static void remove_stale_temps(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *t = strstr(e->d_name, ".tmp.");
        if (!t || !t[5]) continue;
        const char *p = t + 5;
        while (isdigit((unsigned char)*p)) p++;
        if (*p) continue;
        char *path = sk_path_join(dir, e->d_name);
        if (unlink(path) == 0) sk_debug("removed stale %s", path);
        free(path);
    }
    closedir(d);
}

static int params_finite(const sk_graph *g)
{
    for (size_t i = 0; i < g->nparams; i++)
        if (!isfinite(g->params[i])) return 0;
    for (size_t i = 0; i < g->nstate; i++)
        if (!isfinite(g->state[i])) return 0;
    return 1;
}

/* SHA-256 over the little-endian bytes of the parameter then the state slab. */
static void weights_digest(const sk_graph *g, char hex[65])
{
    sk_sha256 h;
    sk_sha256_init(&h);
    const float *slabs[2] = {g->params, g->state};
    size_t lens[2] = {g->nparams, g->nstate};
    uint8_t buf[4096];
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < lens[s];) {
            size_t n = 0;
            for (; n < sizeof buf / 4 && i < lens[s]; n++, i++) {
                uint32_t u;
                memcpy(&u, &slabs[s][i], 4);
                sk_le_store32(buf + 4 * n, u);
            }
            sk_sha256_update(&h, buf, 4 * n);
        }
    uint8_t d[32];
    sk_sha256_final(&h, d);
    sk_hex_encode(d, 32, hex);
}

static double median(double *v, int n)
{
    if (n <= 0) return 0;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j]; v[j] = v[j - 1]; v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

typedef struct {
    sk_graph *g;
    sk_optim *opt;
    sk_trainer *tr;
    sk_skds ds;
    int ds_open;
    uint8_t *tpix, *vpix;
    int32_t *tlab, *vlab;
    sk_epoch_record *hist;
    sk_metrics mt, mv;
    int metrics_init;
    float *best_params, *best_state; /* EarlyStopping(restore_best_weights) snapshot */
} cell_state;

static void cell_state_free(cell_state *st)
{
    if (st->tr) sk_trainer_free(st->tr);
    if (st->opt) sk_optim_free(st->opt);
    if (st->g) sk_graph_free(st->g);
    if (st->ds_open) sk_skds_close(&st->ds);
    if (st->metrics_init) {
        sk_metrics_free(&st->mt);
        sk_metrics_free(&st->mv);
    }
    free(st->best_params); free(st->best_state);
    free(st->tpix); free(st->vpix); free(st->tlab); free(st->vlab); free(st->hist);
}

static sk_status write_ckpt(const char *path, const sk_cell_cfg *c, const sk_graph *g,
                            const sk_optim *opt, const sk_reduce_lr *rlr, const sk_early_stop *es,
                            const cell_state *st, int epoch, float lr, int input_size, int classes,
                            sk_error *err)
{
    sk_ckpt ck;
    sk_ckpt_init(&ck);
    snprintf(ck.arch, sizeof ck.arch, "%s", c->arch);
    snprintf(ck.model, sizeof ck.model, "%s", g->name);
    ck.in_h = ck.in_w = input_size;
    ck.in_c = 3;
    ck.classes = classes;
    ck.freeze = c->level;
    ck.seed = c->seed;
    ck.step = opt->iterations;
    ck.epoch = epoch;
    ck.lr = lr;
    ck.rng_counter = opt->iterations;
    sk_ckpt_add_graph(&ck, g);
    sk_ckpt_set_optim(&ck, opt);
    ck.has_reduce_lr = 1;
    ck.reduce_lr = *rlr;
    if (c->es_patience > 0) {
        ck.has_early_stop = 1;
        ck.early_stop = *es;
        if (es->have_best_weights) {
            ck.has_best = 1;
            ck.best_nparams = g->nparams;
            ck.best_nstate = g->nstate;
            ck.best_params = st->best_params;
            ck.best_state = st->best_state;
        }
    }
    sk_ckpt_set_kv(&ck, "cell", c->cell);
    sk_status s = sk_ckpt_write(&ck, path, err);
    sk_ckpt_free(&ck);
    return s;
}

sk_status sk_run_cell(const sk_cell_cfg *c, sk_cell_outcome *outcome, sk_error *err)
{
    *outcome = SK_CELL_RAN;
    if (!c->force && sk_record_is_done(c->out_dir)) {
        *outcome = SK_CELL_SKIPPED_DONE;
        return SK_OK;
    }
    const sk_arch_info *ai = sk_arch_find(c->arch);
    if (!ai) return sk_error_set(err, SK_EINVAL, "unknown architecture '%s' (see skytune arch list)", c->arch);
    if (c->epochs < 1 || c->epochs > MAX_EPOCHS || c->batch < 1)
        return sk_error_set(err, SK_EINVAL, "epochs must be 1..%d and batch >= 1", MAX_EPOCHS);
    int size = c->input_size ? c->input_size : ai->study_size;
    double t0 = sk_now();
    cell_state st;
    memset(&st, 0, sizeof st);
    sk_status s;
    sk_run_record rec;
    sk_run_record_init(&rec);
    sk_utc_now(rec.started_utc);
    char ckdir[1100], ckpath[1200];
    snprintf(ckdir, sizeof ckdir, "%s/ckpt", c->out_dir);
    snprintf(ckpath, sizeof ckpath, "%s/last.skck", ckdir);
    if ((s = sk_mkdir_p(ckdir, err))) return s;
    remove_stale_temps(c->out_dir);
    remove_stale_temps(ckdir);

    /* Data. */
    s = sk_skds_open(&st.ds, c->data_path, SK_SKDS_OPEN_DEFAULT, err);
    if (s) { sk_error_prefix(err, "data set: "); goto fail; }
    st.ds_open = 1;
    int k = (int)st.ds.h.nclasses;
    if (k < 2 || k > SK_RECORD_MAX_CLASSES) {
        s = sk_error_set(err, SK_EUNSUPPORTED, "%s: %d classes; 2..%d supported", c->data_path, k, SK_RECORD_MAX_CLASSES);
        goto fail;
    }
    sk_images train, val;
    if ((s = gather_split(&st.ds, SK_SPLIT_TRAIN, size, &train, &st.tpix, &st.tlab, err)) ||
        (s = gather_split(&st.ds, SK_SPLIT_VAL, size, &val, &st.vpix, &st.vlab, err)))
        goto fail;
    if (train.n == 0 || val.n == 0) {
        s = sk_error_set(err, SK_EINVAL, "%s: %d training and %d validation images; both must be > 0",
                         c->data_path, train.n, val.n);
        goto fail;
    }
    float cw[SK_RECORD_MAX_CLASSES];
    {
        int counts[SK_RECORD_MAX_CLASSES] = {0}, largest = 0;
        for (int i = 0; i < train.n; i++) counts[train.labels[i]]++;
        for (int i = 0; i < k; i++) if (counts[i] > largest) largest = counts[i];
        for (int i = 0; i < k; i++) {
            cw[i] = c->class_weights == SK_CW_TRAIN && counts[i] ? (float)largest / (float)counts[i] : 1.0f;
            rec.class_weights[i] = cw[i];
            snprintf(rec.class_names[i], sizeof rec.class_names[i], "%s", st.ds.h.class_names[i]);
        }
    }
    if ((s = sk_sha256_file(c->data_path, rec.dataset_sha256, err))) goto fail;

    /* Model, freeze, weights. */
    st.g = sk_arch_build(c->arch, size, k, 1, err);
    if (!st.g) { s = err->code; goto fail; }
    int total_layers = st.g->n;
    int level = c->level == SK_LEVEL_ALL ? total_layers : c->level;
    if (level < 1 || level > total_layers) {
        s = sk_error_set(err, SK_EINVAL, "%s: trainable layers must be 1..%d (or all), got %d", c->arch,
                         total_layers, level);
        goto fail;
    }
    sk_graph_freeze(st.g, level);
    sk_init_scheme scheme = strcmp(c->arch, "efficientnetb2") ? sk_init_scheme_default() : sk_init_scheme_efficientnet();
    sk_init_graph(st.g, &scheme, c->seed);
    char cache_dir[1024];
    if (c->cache_dir[0]) snprintf(cache_dir, sizeof cache_dir, "%s", c->cache_dir);
    else sk_default_cache_dir(cache_dir, sizeof cache_dir);
    if (c->weights != SK_WEIGHTS_SCRATCH) {
        char wpath[2048];
        if (c->weights_file[0]) snprintf(wpath, sizeof wpath, "%s", c->weights_file);
        s = c->weights_file[0] ? SK_OK : find_imagenet(c->arch, cache_dir, wpath, sizeof wpath, err);
        if (s == SK_ENOTFOUND && c->weights == SK_WEIGHTS_IMAGENET_IF_CACHED) {
            sk_info("%s: %s; training from the seeded Keras initialisers", c->cell, err->msg);
            s = SK_OK;
        } else if (s) {
            goto fail;
        } else {
            if ((s = load_imagenet(st.g, wpath, err))) goto fail;
            snprintf(rec.weights_kind, sizeof rec.weights_kind, "imagenet");
            snprintf(rec.weights_file, sizeof rec.weights_file, "%s", wpath);
            if (sk_file_exists(wpath) && (s = sk_sha256_file(wpath, rec.weights_sha256, err))) goto fail;
        }
    }

    /* Optimizer, trainer, cache. */
    sk_opt_kind okind;
    if ((s = sk_opt_parse(c->optimizer, &okind, err))) goto fail;
    sk_opt_config ocfg = sk_opt_defaults(okind);
    ocfg.lr = (float)c->lr;
    st.opt = sk_optim_new(&ocfg, st.g->nparams);
    sk_train_cfg tcfg = sk_train_defaults();
    tcfg.batch_size = c->batch;
    tcfg.seed = c->seed;
    tcfg.class_weights = c->class_weights ? cw : NULL;
    tcfg.xent = c->xent_clipped ? SK_XENT_CLIPPED : SK_XENT_LOGITS;
    tcfg.in_scale = ai->raw_input ? 1.0f : 1.0f / 255.0f;
    tcfg.in_offset = 0.0f;
    st.tr = sk_trainer_new(st.g, st.opt, &tcfg);
    sk_reduce_lr rlr;
    sk_reduce_lr_init(&rlr, c->rlr_factor, c->rlr_patience, c->rlr_min_delta, c->rlr_cooldown,
                      c->rlr_min_lr, SK_MODE_MIN);
    sk_early_stop es;
    sk_early_stop_init(&es, c->es_patience, 0.0, 1, SK_MODE_MIN);
    float lr = (float)c->lr;
    st.hist = sk_xcalloc((size_t)c->epochs, sizeof *st.hist);
    if (c->es_patience > 0) {
        st.best_params = sk_xmalloc_aligned(st.g->nparams * sizeof(float));
        st.best_state = sk_xmalloc_aligned(st.g->nstate * sizeof(float));
    }
    int start_epoch = 0;

    /* Resume from the last finished epoch. */
    if (sk_file_exists(ckpath)) {
        sk_ckpt ck;
        sk_ckpt_init(&ck);
        s = sk_ckpt_read(ckpath, &ck, err);
        int nh = 0;
        if (!s && (strcmp(ck.arch, c->arch) || ck.seed != c->seed || ck.freeze != c->level ||
                   ck.in_h != size || ck.classes != k))
            s = sk_error_set(err, SK_EINVAL, "%s: checkpoint is for another cell (%s, level %d, seed %llu)",
                             ckpath, ck.arch, ck.freeze, (unsigned long long)ck.seed);
        if (!s) s = sk_ckpt_load_graph(&ck, st.g, 0, NULL, NULL, err);
        if (!s) s = sk_ckpt_load_optim(&ck, st.opt, err);
        if (!s && ck.has_reduce_lr) rlr = ck.reduce_lr;
        if (!s && ck.has_early_stop) es = ck.early_stop;
        if (!s && ck.has_best && st.best_params) {
            if (ck.best_nparams != st.g->nparams || ck.best_nstate != st.g->nstate)
                s = sk_error_set(err, SK_EFORMAT, "%s: best-weights snapshot has the wrong size", ckpath);
            else {
                memcpy(st.best_params, ck.best_params, ck.best_nparams * sizeof(float));
                memcpy(st.best_state, ck.best_state, ck.best_nstate * sizeof(float));
            }
        }
        if (!s) s = sk_record_read_metrics(c->out_dir, st.hist, c->epochs, &nh, err);
        if (!s && nh < ck.epoch)
            s = sk_error_set(err, SK_EFORMAT, "%s: checkpoint at epoch %d but metrics.jsonl has %d epochs",
                             c->out_dir, ck.epoch, nh);
        if (!s) {
            start_epoch = ck.epoch;
            lr = ck.lr;
            sk_info("%s: resuming after epoch %d", c->cell, start_epoch);
        }
        sk_ckpt_free(&ck);
        if (s) { sk_error_prefix(err, "resume: "); goto fail; }
    }
    st.opt->cfg.lr = lr;
    int cached = 0;
    if (c->use_cache) {
        char cdir[1200];
        snprintf(cdir, sizeof cdir, "%s/prefix", cache_dir);
        char id[200];
        snprintf(id, sizeof id, "%s:%s:%s:%d", rec.dataset_sha256, rec.weights_kind,
                 rec.weights_sha256[0] ? rec.weights_sha256 : "seed", (int)c->seed);
        /* Scratch weights depend on the seed; the cache key includes the weights in use. */
        cached = sk_trainer_enable_cache(st.tr, &train, &val, c->cache_max_bytes, NULL, id, level);
    }

    sk_metrics_init(&st.mt, k);
    sk_metrics_init(&st.mv, k);
    st.metrics_init = 1;
    int epoch = start_epoch;
    for (; epoch < c->epochs; epoch++) {
        double te = sk_now();
        sk_train_epoch(st.tr, &train, epoch, &st.mt);
        sk_evaluate(st.tr, &val, 1, &st.mv);
        sk_epoch_record *e = &st.hist[epoch];
        memset(e, 0, sizeof *e);
        e->epoch = epoch + 1;
        e->lr = lr;
        e->loss = sk_metrics_loss(&st.mt);
        e->acc = sk_metrics_accuracy(&st.mt);
        e->val_loss = sk_metrics_loss(&st.mv);
        e->val_acc = sk_metrics_accuracy(&st.mv);
        for (int i = 0; i < k; i++) e->val_recall[i] = sk_metrics_recall(&st.mv, i);
        e->seconds = sk_now() - te;
        if (!isfinite(e->loss) || !isfinite(e->val_loss) || !params_finite(st.g)) {
            s = sk_error_set(err, SK_ENUMERIC,
                             "%s: epoch %d: loss %g, val_loss %g%s; stopped, the last good checkpoint (epoch %d) is kept",
                             c->cell, epoch + 1, e->loss, e->val_loss,
                             params_finite(st.g) ? "" : ", NaN or Inf in the weights", epoch);
            goto fail;
        }
        if (!c->quiet)
            sk_info("%s: epoch %d/%d  loss %.4f  acc %.4f  val_loss %.4f  val_acc %.4f  lr %.3g  %.1fs",
                    c->cell, epoch + 1, c->epochs, e->loss, e->acc, e->val_loss, e->val_acc, lr, e->seconds);
        int stop = 0;
        if (c->es_patience > 0) {
            sk_es_decision d = sk_early_stop_epoch_end(&es, epoch, e->val_loss);
            if (d.snapshot) {
                memcpy(st.best_params, st.g->params, st.g->nparams * sizeof(float));
                memcpy(st.best_state, st.g->state, st.g->nstate * sizeof(float));
            }
            if (d.restore) {
                memcpy(st.g->params, st.best_params, st.g->nparams * sizeof(float));
                memcpy(st.g->state, st.best_state, st.g->nstate * sizeof(float));
            }
            stop = d.stop;
        }
        sk_reduce_lr_epoch_end(&rlr, e->val_loss, &lr);
        st.opt->cfg.lr = lr;
        if ((s = sk_record_write_metrics(c->out_dir, st.hist, epoch + 1, k, err))) goto fail;
        if ((s = write_ckpt(ckpath, c, st.g, st.opt, &rlr, &es, &st, epoch + 1, lr, size, k, err))) goto fail;
        if (stop) {
            snprintf(rec.stop_reason, sizeof rec.stop_reason, "early_stopping");
            epoch++;
            break;
        }
    }

    /* Final metrics (of the last epoch's model) and the record. */
    int nep = epoch;
    double *sv = sk_xmalloc(sizeof(double) * (size_t)(nep ? nep : 1));
    rec.best_val_acc = -1;
    for (int i = 0; i < nep; i++) {
        sv[i] = st.hist[i].seconds;
        if (st.hist[i].val_acc > rec.best_val_acc) {
            rec.best_val_acc = st.hist[i].val_acc;
            rec.best_epoch = i + 1;
        }
    }
    rec.seconds_per_epoch_median = median(sv, nep);
    free(sv);
    sk_evaluate(st.tr, &val, 1, &st.mv);
    weights_digest(st.g, rec.final_weights_sha256);
    rec.final_val_acc = sk_metrics_accuracy(&st.mv);
    rec.final_val_loss = sk_metrics_loss(&st.mv);
    rec.final_train_acc = nep ? st.hist[nep - 1].acc : 0;
    for (int i = 0; i < k; i++) {
        rec.precision[i] = sk_metrics_precision(&st.mv, i);
        rec.recall[i] = sk_metrics_recall(&st.mv, i);
        rec.f1[i] = sk_metrics_f1(&st.mv, i);
        for (int j = 0; j < k; j++) rec.confusion[i][j] = (int64_t)st.mv.confusion[i * k + j];
    }
    snprintf(rec.suite, sizeof rec.suite, "%s", c->suite);
    snprintf(rec.cell, sizeof rec.cell, "%s", c->cell);
    snprintf(rec.arch, sizeof rec.arch, "%s", c->arch);
    rec.input_size = size;
    rec.num_classes = k;
    rec.trainable_layers = sk_graph_trainable_layers(st.g);
    rec.total_layers = total_layers;
    rec.base_layers = total_layers - 1;
    rec.trainable_params = sk_graph_trainable_params(st.g);
    rec.total_params = sk_graph_total_params(st.g);
    rec.tlr = (double)rec.trainable_layers / rec.total_layers;
    rec.tlr_base = (double)rec.trainable_layers / rec.base_layers;
    rec.tpr = (double)rec.trainable_params / (double)rec.total_params;
    rec.seed = c->seed;
    snprintf(rec.dataset_path, sizeof rec.dataset_path, "%s", c->data_path);
    rec.n_train = train.n;
    rec.n_val = val.n;
    snprintf(rec.optimizer, sizeof rec.optimizer, "%s", c->optimizer);
    rec.lr = c->lr;
    rec.batch = c->batch;
    rec.epochs = c->epochs;
    rec.rlr_factor = c->rlr_factor;
    rec.rlr_patience = c->rlr_patience;
    rec.rlr_min_delta = c->rlr_min_delta;
    rec.rlr_cooldown = c->rlr_cooldown;
    rec.rlr_min_lr = c->rlr_min_lr;
    rec.es_patience = c->es_patience;
    snprintf(rec.input_scaling, sizeof rec.input_scaling, "%s", ai->raw_input ? "raw_0_255" : "rescale_1_255");
    snprintf(rec.loss, sizeof rec.loss, "%s", c->xent_clipped ? "clipped" : "keras_logits");
    rec.epochs_run = nep;
    rec.wall_seconds = sk_now() - t0;
    rec.peak_rss_bytes = sk_peak_rss_bytes();
    rec.cache_used = cached;
    sk_utc_now(rec.finished_utc);
    if ((s = sk_record_write_run(c->out_dir, &rec, err))) goto fail;
    if ((s = sk_record_mark_done(c->out_dir, err))) goto fail;
    cell_state_free(&st);
    return SK_OK;
fail:
    cell_state_free(&st);
    return s;
}
