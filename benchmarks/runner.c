/* runner.c: train one sweep cell with the study's protocol; checkpoints, resume, records.
 *
 * sk_run_cell is a sequence of stages over one context (cell_run): the data splits, the model
 * (cell.h: graph, freeze, initialisers, weights, preprocessing; shared with predict and
 * evaluate), the trainer and callbacks, resuming from the checkpoint, the frozen-prefix cache,
 * the epochs, the final evaluation, the held-out test split and the record. Each stage returns a
 * status; the first failure ends the cell with its message and the last good checkpoint kept.
 *
 * Checkpoints: ckpt/last.skck after every epoch (resume), ckpt/best.skck (weights only) after
 * every epoch whose validation accuracy beats all before it, i.e. the weights of best_epoch; both
 * carry the cell's metadata (cell.h, sk_cell_meta) so predict and evaluate can load them. */
#include "runner.h"
#include "sk_arch.h"
#include "sk_core.h"
#include "cell.h"
#include "sk_base.h"
#include "prefix_cache.h"
#include "sk_records.h"
#include "sk_dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_EPOCHS 100000

/* The in-memory prefix cache limit: $SKYTUNE_CACHE_MEM (a size, "0" streams every boundary from
 * a file), else SK_CACHE_MEM_DEFAULT. A value that does not parse is said once and ignored. */
static size_t cache_mem_limit(void)
{
    static int warned;
    const char *v = getenv("SKYTUNE_CACHE_MEM");
    uint64_t bytes = SK_CACHE_MEM_DEFAULT;
    sk_error err;
    if (v && *v && sk_parse_size(v, &bytes, &err) != SK_OK) {
        if (!warned++) sk_warn("SKYTUNE_CACHE_MEM: %s; using %llu bytes", err.msg, (unsigned long long)SK_CACHE_MEM_DEFAULT);
        bytes = SK_CACHE_MEM_DEFAULT;
    }
    return bytes > SIZE_MAX ? SIZE_MAX : (size_t)bytes;
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
    c->cache_max_bytes = cache_mem_limit();
    c->prefix_cache_max = SK_PCACHE_DEFAULT_MAX;
    c->spill_disk = 1;
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

typedef struct {
    const sk_cell_cfg *c;
    const sk_arch_info *arch;
    int size, k;                    /* input size, classes */
    double t0;
    char ckpath[1200], bestpath[1200];
    sk_skds ds;
    int ds_open;
    sk_cell_split train, val, test;
    sk_cell_meta meta;              /* written into every checkpoint */
    float cw[SK_RECORD_MAX_CLASSES]; /* class weights */
    sk_cell_model model;
    int model_open;
    sk_optim *opt;
    sk_trainer *tr;
    sk_reduce_lr rlr;
    sk_early_stop es;
    float lr;
    sk_epoch_record *hist;
    int start_epoch, epochs_done;
    sk_metrics mt, mv;
    int metrics_init;
    float *best_params, *best_state; /* EarlyStopping(restore_best_weights) snapshot */
    int cached;
    sk_run_record rec;
} cell_run;

static void cell_run_free(cell_run *r)
{
    if (r->tr) sk_trainer_free(r->tr);
    if (r->opt) sk_optim_free(r->opt);
    if (r->model_open) sk_cell_model_close(&r->model);
    if (r->ds_open) sk_skds_close(&r->ds);
    if (r->metrics_init) {
        sk_metrics_free(&r->mt);
        sk_metrics_free(&r->mv);
    }
    sk_cell_split_free(&r->train);
    sk_cell_split_free(&r->val);
    sk_cell_split_free(&r->test);
    free(r->best_params);
    free(r->best_state);
    free(r->hist);
}

/* The data set's train, validation and (if any) test splits at the input size, class weights,
 * its hash. */
static sk_status stage_data(cell_run *r, sk_error *err)
{
    const sk_cell_cfg *c = r->c;
    sk_status s = sk_skds_open(&r->ds, c->data_path, SK_SKDS_OPEN_DEFAULT, err);
    if (s) return sk_error_prefix(err, "data set: ");
    r->ds_open = 1;
    r->k = (int)r->ds.h.nclasses;
    if (r->k < 2 || r->k > SK_RECORD_MAX_CLASSES)
        return sk_error_set(err, SK_EUNSUPPORTED, "%s: %d classes; 2..%d supported", c->data_path, r->k,
                            SK_RECORD_MAX_CLASSES);
    if ((s = sk_cell_split_load(&r->train, &r->ds, SK_SPLIT_TRAIN, r->size, err)) ||
        (s = sk_cell_split_load(&r->val, &r->ds, SK_SPLIT_VAL, r->size, err)) ||
        (s = sk_cell_split_load(&r->test, &r->ds, SK_SPLIT_TEST, r->size, err)))
        return s;
    if (r->train.im.n == 0 || r->val.im.n == 0)
        return sk_error_set(err, SK_EINVAL, "%s: %d training and %d validation images; both must be > 0",
                            c->data_path, r->train.im.n, r->val.im.n);
    int counts[SK_RECORD_MAX_CLASSES] = {0}, largest = 0;
    for (int i = 0; i < r->train.im.n; i++) counts[r->train.im.labels[i]]++;
    for (int i = 0; i < r->k; i++) if (counts[i] > largest) largest = counts[i];
    for (int i = 0; i < r->k; i++) {
        r->cw[i] = c->class_weights == SK_CW_TRAIN && counts[i] ? (float)largest / (float)counts[i] : 1.0f;
        r->rec.class_weights[i] = r->cw[i];
        snprintf(r->rec.class_names[i], sizeof r->rec.class_names[i], "%s", r->ds.h.class_names[i]);
        snprintf(r->meta.class_names[i], sizeof r->meta.class_names[i], "%s", r->ds.h.class_names[i]);
    }
    r->meta.num_classes = r->k;
    r->meta.epochs = c->epochs;
    r->meta.batch = c->batch;
    r->meta.xent_clipped = c->xent_clipped;
    r->meta.data_size = r->ds.h.height == r->ds.h.width ? (int)r->ds.h.height : 0;
    s = sk_sha256_file(c->data_path, r->rec.data_sha256, err);
    snprintf(r->meta.data_sha256, sizeof r->meta.data_sha256, "%s", r->rec.data_sha256);
    return s;
}

/* The cell's model: graph, freeze, initialisers, ImageNet weights (cell.h). */
static sk_status stage_model(cell_run *r, sk_error *err)
{
    const sk_cell_cfg *c = r->c;
    sk_cell_spec spec = {c->arch, r->size, r->k, c->level, c->seed, c->weights, c->weights_file,
                         c->cache_dir, c->cell};
    sk_status s = sk_cell_model_open(&r->model, &spec, err);
    if (s) return s;
    r->model_open = 1;
    snprintf(r->rec.weights_kind, sizeof r->rec.weights_kind, "%s", r->model.weights_kind);
    snprintf(r->rec.weights_file, sizeof r->rec.weights_file, "%s", r->model.weights_file);
    snprintf(r->rec.weights_sha256, sizeof r->rec.weights_sha256, "%s", r->model.weights_sha256);
    snprintf(r->rec.weights_source, sizeof r->rec.weights_source, "%s", r->model.weights_source);
    return SK_OK;
}

/* Optimizer, trainer (with the model's preprocessing), ReduceLROnPlateau, EarlyStopping. */
static sk_status stage_trainer(cell_run *r, sk_error *err)
{
    const sk_cell_cfg *c = r->c;
    sk_graph *g = r->model.graph;
    sk_opt_kind okind;
    sk_status s = sk_opt_parse(c->optimizer, &okind, err);
    if (s) return s;
    sk_opt_config ocfg = sk_opt_defaults(okind);
    ocfg.lr = (float)c->lr;
    r->opt = sk_optim_new(&ocfg, g->nparams);
    sk_train_cfg tcfg = sk_train_defaults();
    tcfg.batch_size = c->batch;
    tcfg.seed = c->seed;
    tcfg.class_weights = c->class_weights ? r->cw : NULL;
    tcfg.xent = c->xent_clipped ? SK_XENT_CLIPPED : SK_XENT_LOGITS;
    sk_cell_model_preprocess(&r->model, &tcfg);
    r->tr = sk_trainer_new(g, r->opt, &tcfg);
    sk_reduce_lr_init(&r->rlr, c->rlr_factor, c->rlr_patience, c->rlr_min_delta, c->rlr_cooldown,
                      c->rlr_min_lr, SK_MODE_MIN);
    sk_early_stop_init(&r->es, c->es_patience, 0.0, 1, SK_MODE_MIN);
    r->lr = (float)c->lr;
    r->hist = sk_xcalloc((size_t)c->epochs, sizeof *r->hist);
    if (c->es_patience > 0) {
        r->best_params = sk_xmalloc_aligned(g->nparams * sizeof(float));
        r->best_state = sk_xmalloc_aligned(g->nstate * sizeof(float));
    }
    return SK_OK;
}

/* The state after the last finished epoch: weights, optimizer, callbacks, snapshot. */
static sk_status write_ckpt(const cell_run *r, int epoch, sk_error *err)
{
    const sk_cell_cfg *c = r->c;
    const sk_graph *g = r->model.graph;
    sk_ckpt ck;
    sk_ckpt_init(&ck);
    snprintf(ck.arch, sizeof ck.arch, "%s", c->arch);
    snprintf(ck.model, sizeof ck.model, "%s", g->name);
    ck.in_h = ck.in_w = r->size;
    ck.in_c = 3;
    ck.classes = r->k;
    ck.freeze = c->level;
    ck.seed = c->seed;
    ck.step = r->opt->iterations;
    ck.epoch = epoch;
    ck.lr = r->lr;
    ck.rng_counter = r->opt->iterations;
    sk_ckpt_add_graph(&ck, g);
    sk_ckpt_set_optim(&ck, r->opt);
    ck.has_reduce_lr = 1;
    ck.reduce_lr = r->rlr;
    if (c->es_patience > 0) {
        ck.has_early_stop = 1;
        ck.early_stop = r->es;
        if (r->es.have_best_weights) {
            ck.has_best = 1;
            ck.best_nparams = g->nparams;
            ck.best_nstate = g->nstate;
            ck.best_params = r->best_params;
            ck.best_state = r->best_state;
        }
    }
    sk_ckpt_set_kv(&ck, "cell", c->cell);
    sk_cell_meta_put(&ck, &r->meta);
    sk_status s = sk_ckpt_write(&ck, r->ckpath, err);
    sk_ckpt_free(&ck);
    return s;
}

/* The weights after `epoch` (1-based) as ckpt/best.skck: the model of the best validation epoch
 * so far (no optimizer state; nothing resumes from it). */
static sk_status write_best(const cell_run *r, int epoch, sk_error *err)
{
    const sk_cell_cfg *c = r->c;
    sk_ckpt ck;
    sk_ckpt_init(&ck);
    snprintf(ck.arch, sizeof ck.arch, "%s", c->arch);
    sk_ckpt_add_graph(&ck, r->model.graph);
    ck.in_h = ck.in_w = r->size;
    ck.in_c = 3;
    ck.classes = r->k;
    ck.freeze = c->level;
    ck.seed = c->seed;
    ck.epoch = epoch;
    ck.step = r->opt->iterations;
    sk_ckpt_set_kv(&ck, "cell", c->cell);
    sk_ckpt_set_kv(&ck, "weights_of", "best_epoch");
    sk_cell_meta_put(&ck, &r->meta);
    sk_status s = sk_ckpt_write(&ck, r->bestpath, err);
    sk_ckpt_free(&ck);
    return s;
}

/* Epoch `epoch` (0-based) has a validation accuracy above every earlier one: the first maximum
 * is best_epoch. Accuracies are counts over one n, so distinct values differ by 1/n or more; the
 * margin keeps an earlier epoch read back from metrics.jsonl (exact, or one unit in the last
 * place off) from changing the decision after a resume. */
static int is_best_epoch(const cell_run *r, int epoch)
{
    for (int i = 0; i < epoch; i++)
        if (!(r->hist[epoch].val_acc > r->hist[i].val_acc + 1e-12)) return 0;
    return 1;
}

/* Continues from ckpt/last.skck when it exists and belongs to this cell. */
static sk_status stage_resume(cell_run *r, sk_error *err)
{
    const sk_cell_cfg *c = r->c;
    sk_graph *g = r->model.graph;
    if (!sk_file_exists(r->ckpath)) return SK_OK;
    sk_ckpt ck;
    sk_ckpt_init(&ck);
    sk_status s = sk_ckpt_read(r->ckpath, &ck, err);
    int nh = 0;
    if (!s && (strcmp(ck.arch, c->arch) || ck.seed != c->seed || ck.freeze != c->level ||
               ck.in_h != r->size || ck.classes != r->k))
        s = sk_error_set(err, SK_EINVAL, "%s: checkpoint is for another cell (%s, level %d, seed %llu)",
                         r->ckpath, ck.arch, ck.freeze, (unsigned long long)ck.seed);
    if (!s) s = sk_ckpt_load_graph(&ck, g, 0, NULL, NULL, err);
    if (!s) s = sk_ckpt_load_optim(&ck, r->opt, err);
    if (!s && ck.has_reduce_lr) r->rlr = ck.reduce_lr;
    if (!s && ck.has_early_stop) r->es = ck.early_stop;
    if (!s && ck.has_best && r->best_params) {
        if (ck.best_nparams != g->nparams || ck.best_nstate != g->nstate)
            s = sk_error_set(err, SK_EFORMAT, "%s: best-weights snapshot has the wrong size", r->ckpath);
        else {
            memcpy(r->best_params, ck.best_params, ck.best_nparams * sizeof(float));
            memcpy(r->best_state, ck.best_state, ck.best_nstate * sizeof(float));
        }
    }
    if (!s) s = sk_record_read_metrics(c->out_dir, r->k, r->hist, c->epochs, &nh, err);
    if (!s && nh < ck.epoch)
        s = sk_error_set(err, SK_EFORMAT, "%s: checkpoint at epoch %d but metrics.jsonl has %d epochs",
                         c->out_dir, ck.epoch, nh);
    if (!s) {
        r->start_epoch = ck.epoch;
        r->lr = ck.lr;
        sk_info("%s: resuming after epoch %d", c->cell, r->start_epoch);
    }
    sk_ckpt_free(&ck);
    return s ? sk_error_prefix(err, "resume: ") : SK_OK;
}

/* The frozen-prefix cache, keyed by the data and the weights in use (scratch weights depend on
 * the seed); on disk too with a prefix cache folder, kept within its size limit. */
static void stage_cache(cell_run *r)
{
    r->opt->cfg.lr = r->lr;
    if (!r->c->use_cache) return;
    char id[200];
    snprintf(id, sizeof id, "%s:%s:%s:%d", r->rec.data_sha256, r->rec.weights_kind,
             r->rec.weights_sha256[0] ? r->rec.weights_sha256 : "seed", (int)r->c->seed);
    const char *dir = r->c->prefix_cache_dir[0] ? r->c->prefix_cache_dir : NULL;
    sk_cache_opts co = {.max_bytes = r->c->cache_max_bytes, .dir = dir, .dir_max = r->c->prefix_cache_max,
                        .dataset_id = id, .level = r->model.level,
                        .spill_dir = r->c->spill_disk ? r->c->out_dir : NULL};
    r->cached = sk_trainer_enable_cache(r->tr, &r->train.im, &r->val.im, &co);
    sk_error e;
    if (dir && sk_pcache_prune(dir, r->c->prefix_cache_max, NULL, NULL, &e) != SK_OK)
        sk_warn("prefix cache: %s", e.msg);
}

/* One epoch: train, validate, log, callbacks, metrics.jsonl and the checkpoint. *stop is set
 * when EarlyStopping ends the run. */
static sk_status run_epoch(cell_run *r, int epoch, int *stop, sk_error *err)
{
    const sk_cell_cfg *c = r->c;
    sk_graph *g = r->model.graph;
    double te = sk_now();
    sk_train_epoch(r->tr, &r->train.im, epoch, &r->mt);
    sk_evaluate(r->tr, &r->val.im, 1, &r->mv);
    sk_epoch_record *e = &r->hist[epoch];
    memset(e, 0, sizeof *e);
    e->epoch = epoch + 1;
    e->lr = r->lr;
    e->loss = sk_metrics_loss(&r->mt);
    e->acc = sk_metrics_accuracy(&r->mt);
    e->val_loss = sk_metrics_loss(&r->mv);
    e->val_acc = sk_metrics_accuracy(&r->mv);
    for (int i = 0; i < r->k; i++) e->val_recall[i] = sk_metrics_recall(&r->mv, i);
    e->seconds = sk_now() - te;
    if (!isfinite(e->loss) || !isfinite(e->val_loss) || !params_finite(g))
        return sk_error_set(err, SK_ENUMERIC,
                            "%s: epoch %d: loss %g, val_loss %g%s; stopped, the last good checkpoint (epoch %d) is kept",
                            c->cell, epoch + 1, e->loss, e->val_loss,
                            params_finite(g) ? "" : ", NaN or Inf in the weights", epoch);
    if (is_best_epoch(r, epoch)) {
        sk_status bs = write_best(r, epoch + 1, err);
        if (bs) return bs;
    }
    if (!c->quiet)
        sk_info("%s: epoch %d/%d  loss %.4f  acc %.4f  val_loss %.4f  val_acc %.4f  lr %.3g  %.1fs",
                c->cell, epoch + 1, c->epochs, e->loss, e->acc, e->val_loss, e->val_acc, r->lr, e->seconds);
    *stop = 0;
    if (c->es_patience > 0) {
        sk_es_decision d = sk_early_stop_epoch_end(&r->es, epoch, e->val_loss);
        if (d.snapshot) {
            memcpy(r->best_params, g->params, g->nparams * sizeof(float));
            memcpy(r->best_state, g->state, g->nstate * sizeof(float));
        }
        if (d.restore) {
            memcpy(g->params, r->best_params, g->nparams * sizeof(float));
            memcpy(g->state, r->best_state, g->nstate * sizeof(float));
        }
        *stop = d.stop;
    }
    sk_reduce_lr_epoch_end(&r->rlr, e->val_loss, &r->lr);
    r->opt->cfg.lr = r->lr;
    sk_status s = sk_record_write_metrics(c->out_dir, r->hist, epoch + 1, r->k, err);
    if (!s) s = write_ckpt(r, epoch + 1, err);
    return s;
}

/* The epochs from the resume point to the last or to EarlyStopping. */
static sk_status stage_fit(cell_run *r, sk_error *err)
{
    sk_metrics_init(&r->mt, r->k);
    sk_metrics_init(&r->mv, r->k);
    r->metrics_init = 1;
    int epoch = r->start_epoch;
    for (; epoch < r->c->epochs; epoch++) {
        int stop = 0;
        sk_status s = run_epoch(r, epoch, &stop, err);
        if (s) return s;
        if (stop) {
            snprintf(r->rec.stop_reason, sizeof r->rec.stop_reason, "early_stopping");
            epoch++;
            break;
        }
    }
    r->epochs_done = epoch;
    return SK_OK;
}

/* Best epoch, median epoch time, and the final model's metrics on the validation split. */
static void stage_evaluate(cell_run *r)
{
    sk_run_record *rec = &r->rec;
    int nep = r->epochs_done, k = r->k;
    double *sv = sk_xmalloc(sizeof(double) * (size_t)(nep ? nep : 1));
    rec->best_val_acc = -1;
    for (int i = 0; i < nep; i++) {
        sv[i] = r->hist[i].seconds;
        if (is_best_epoch(r, i)) {
            rec->best_val_acc = r->hist[i].val_acc;
            rec->best_epoch = i + 1;
        }
    }
    rec->seconds_per_epoch_median = nep ? sk_median(sv, nep) : 0.0;
    free(sv);
    sk_evaluate(r->tr, &r->val.im, 1, &r->mv);
    weights_digest(r->model.graph, rec->final_weights_sha256);
    rec->final_val_acc = sk_metrics_accuracy(&r->mv);
    rec->final_val_loss = sk_metrics_loss(&r->mv);
    rec->final_train_acc = nep ? r->hist[nep - 1].acc : 0;
    for (int i = 0; i < k; i++) {
        rec->precision[i] = sk_metrics_precision(&r->mv, i);
        rec->recall[i] = sk_metrics_recall(&r->mv, i);
        rec->f1[i] = sk_metrics_f1(&r->mv, i);
        for (int j = 0; j < k; j++) rec->confusion[i * k + j] = (int64_t)r->mv.confusion[i * k + j];
    }
}

/* The test split, once, with the final weights and with those of the best epoch (ckpt/best.skck),
 * through the inference path predict and evaluate use (cell.h). Leaves the graph at the best
 * epoch's weights, so it runs after everything that reads the final ones. */
static sk_status stage_test(cell_run *r, sk_error *err)
{
    sk_run_record *rec = &r->rec;
    if (r->test.im.n == 0) return SK_OK;
    sk_exec *ex = sk_trainer_exec(r->tr);
    sk_xent_mode xent = r->c->xent_clipped ? SK_XENT_CLIPPED : SK_XENT_LOGITS;
    sk_metrics m;
    sk_metrics_init(&m, r->k);
    sk_cell_infer(ex, r->model.in_scale, r->model.in_offset, &r->test.im, r->c->batch, xent, NULL, &m, NULL);
    rec->test_last_acc = sk_metrics_accuracy(&m);
    rec->test_last_balanced_acc = sk_metrics_balanced_accuracy(&m);
    rec->test_last_loss = sk_metrics_loss(&m);
    rec->test_last_epoch = r->epochs_done;
    sk_ckpt ck;
    sk_ckpt_init(&ck);
    sk_status s = sk_ckpt_read(r->bestpath, &ck, err);
    if (!s && ck.epoch != rec->best_epoch)
        s = sk_error_set(err, SK_EFORMAT, "%s: holds epoch %d, expected the best epoch %d", r->bestpath, ck.epoch,
                         rec->best_epoch);
    if (!s) s = sk_ckpt_load_graph(&ck, r->model.graph, 0, NULL, NULL, err);
    sk_ckpt_free(&ck);
    if (!s) {
        sk_cell_infer(ex, r->model.in_scale, r->model.in_offset, &r->test.im, r->c->batch, xent, NULL, &m, NULL);
        rec->test_best_acc = sk_metrics_accuracy(&m);
        rec->test_best_balanced_acc = sk_metrics_balanced_accuracy(&m);
        rec->test_best_loss = sk_metrics_loss(&m);
        rec->test_best_epoch = rec->best_epoch;
        rec->n_test = r->test.im.n;
        if (!r->c->quiet)
            sk_info("%s: test (%d images): accuracy %.4f with the best epoch's weights (epoch %d), %.4f with the "
                    "last", r->c->cell, rec->n_test, rec->test_best_acc, rec->best_epoch, rec->test_last_acc);
    }
    sk_metrics_free(&m);
    return s ? sk_error_prefix(err, "test split: ") : SK_OK;
}

/* Everything else run.json holds, then run.json and DONE. */
static sk_status stage_record(cell_run *r, sk_error *err)
{
    const sk_cell_cfg *c = r->c;
    sk_run_record *rec = &r->rec;
    snprintf(rec->suite, sizeof rec->suite, "%s", c->suite);
    snprintf(rec->cell, sizeof rec->cell, "%s", c->cell);
    snprintf(rec->arch, sizeof rec->arch, "%s", c->arch);
    rec->input_size = r->size;
    rec->num_classes = r->k;
    sk_freeze_stats fs = sk_arch_freeze_stats(r->model.graph);
    rec->trainable_layers = fs.trainable_layers;
    rec->total_layers = fs.total_layers;
    rec->base_layers = fs.base_layers;
    rec->trainable_params = (int64_t)fs.trainable_params;
    rec->total_params = (int64_t)fs.total_params;
    rec->tlr = fs.tlr;
    rec->tlr_base = fs.tlr_base;
    rec->tpr = fs.tpr;
    rec->seed = c->seed;
    snprintf(rec->data_path, sizeof rec->data_path, "%s", c->data_path);
    rec->n_train = r->train.im.n;
    rec->n_val = r->val.im.n;
    snprintf(rec->optimizer, sizeof rec->optimizer, "%s", c->optimizer);
    rec->lr = c->lr;
    rec->batch = c->batch;
    rec->epochs_requested = c->epochs;
    rec->rlr_factor = c->rlr_factor;
    rec->rlr_patience = c->rlr_patience;
    rec->rlr_min_delta = c->rlr_min_delta;
    rec->rlr_cooldown = c->rlr_cooldown;
    rec->rlr_min_lr = c->rlr_min_lr;
    rec->es_patience = c->es_patience;
    snprintf(rec->input_scaling, sizeof rec->input_scaling, "%s", sk_arch_input_scaling(r->arch));
    snprintf(rec->loss, sizeof rec->loss, "%s", c->xent_clipped ? "clipped" : "keras_logits");
    rec->epochs_run = r->epochs_done;
    rec->wall_seconds = sk_now() - r->t0;
    rec->peak_rss_bytes = (int64_t)sk_peak_rss_bytes();
    rec->cache_used = r->cached != SK_CACHE_OFF;
    sk_utc_now(rec->finished_utc);
    sk_status s = sk_record_write_run(c->out_dir, rec, err);
    return s ? s : sk_record_mark_done(c->out_dir, err);
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
    cell_run *r = sk_xcalloc(1, sizeof *r);
    r->c = c;
    r->arch = ai;
    r->size = c->input_size ? c->input_size : ai->study_size;
    r->t0 = sk_now();
    sk_run_record_init(&r->rec);
    sk_utc_now(r->rec.started_utc);
    char ckdir[1100];
    snprintf(ckdir, sizeof ckdir, "%s/ckpt", c->out_dir);
    snprintf(r->ckpath, sizeof r->ckpath, "%s/last.skck", ckdir);
    snprintf(r->bestpath, sizeof r->bestpath, "%s/best.skck", ckdir);
    sk_status s = sk_mkdir_p(ckdir, err);
    if (!s) {
        sk_tmp_clean_stale(c->out_dir, NULL); /* what a killed run of this cell was writing */
        sk_tmp_clean_stale(ckdir, NULL);
        if (!(s = stage_data(r, err)) && !(s = stage_model(r, err)) && !(s = stage_trainer(r, err)) &&
            !(s = stage_resume(r, err))) {
            stage_cache(r);
            if (!(s = stage_fit(r, err))) {
                stage_evaluate(r);
                if (!(s = stage_test(r, err))) s = stage_record(r, err);
            }
        }
    }
    cell_run_free(r);
    free(r);
    return s;
}
