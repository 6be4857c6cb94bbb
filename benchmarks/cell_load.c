/* cell_load.c: a trained cell as predict, evaluate and weights export load it (see cell.h): the
 * same model the runner trained (cell.h: graph, preprocessing), with the weights of one of its
 * checkpoints, and what the cell says about itself (run.json when it finished, the checkpoint's
 * metadata when it did not). */
#include "cell.h"
#include "sk_base.h"
#include "suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sk_cell_meta_put(sk_ckpt *ck, const sk_cell_meta *m)
{
    char v[80];
    sk_ckpt_set_class_names(ck, m->class_names, m->num_classes);
    snprintf(v, sizeof v, "%d", m->epochs);
    sk_ckpt_set_kv(ck, "epochs", v);
    snprintf(v, sizeof v, "%d", m->batch);
    sk_ckpt_set_kv(ck, "batch", v);
    sk_ckpt_set_kv(ck, "loss", m->xent_clipped ? "clipped" : "keras_logits");
    snprintf(v, sizeof v, "%d", m->data_size);
    sk_ckpt_set_kv(ck, "data_size", v);
    sk_ckpt_set_kv(ck, "data_sha256", m->data_sha256);
}

static int kv_int(const sk_ckpt *ck, const char *key)
{
    const char *v = sk_ckpt_get_kv(ck, key);
    if (!v) return 0;
    char *end;
    long x = strtol(v, &end, 10);
    return *v && !*end && x > 0 && x < 1000000000L ? (int)x : 0;
}

void sk_cell_meta_get(const sk_ckpt *ck, sk_cell_meta *m)
{
    memset(m, 0, sizeof *m);
    m->num_classes = sk_ckpt_get_class_names(ck, m->class_names, SK_RECORD_MAX_CLASSES);
    m->epochs = kv_int(ck, "epochs");
    m->batch = kv_int(ck, "batch");
    const char *loss = sk_ckpt_get_kv(ck, "loss");
    m->xent_clipped = loss && strcmp(loss, "clipped") == 0;
    m->data_size = kv_int(ck, "data_size");
    const char *sha = sk_ckpt_get_kv(ck, "data_sha256");
    if (sha && strlen(sha) == 64) snprintf(m->data_sha256, sizeof m->data_sha256, "%s", sha);
}

/* The checkpoint of a cell directory: its path, and whether the cell may be used (DONE, or
 * unfinished with permission). */
static sk_status cell_checkpoint(sk_trained *t, const sk_trained_opts *o, sk_error *err)
{
    const char *dir = o->cell_dir;
    const char *name = o->which == SK_CELL_CKPT_BEST ? "best" : "last";
    snprintf(t->ckpt_path, sizeof t->ckpt_path, "%s/ckpt/%s.skck", dir, name);
    t->which = name;
    t->finished = sk_record_is_done(dir);
    if (!sk_dir_exists(dir)) return sk_error_set(err, SK_ENOTFOUND, "%s: no such cell directory", dir);
    char last[2100];
    snprintf(last, sizeof last, "%s/ckpt/last.skck", dir);
    if (!t->finished && !sk_file_exists(last))
        return sk_error_set(err, SK_ENOTFOUND, "%s: not a trained cell: no DONE and no checkpoint %s (the cell never "
                            "finished an epoch)", dir, last);
    if (!sk_file_exists(t->ckpt_path))
        return sk_error_set(err, SK_ENOTFOUND, "%s: no %s checkpoint %s%s", dir, name, t->ckpt_path,
                            o->which == SK_CELL_CKPT_BEST ? " (cells trained before the best-epoch checkpoint was "
                                                            "kept have only ckpt/last.skck: use --checkpoint last)" : "");
    return SK_OK;
}

/* run.json of a finished cell: what it says about the model and the data. */
static sk_status read_record(sk_trained *t, const char *dir, sk_run_record *rec, sk_error *err)
{
    sk_status s = sk_record_read_cell(dir, rec, err);
    if (s) return s;
    t->num_classes = rec->num_classes;
    for (int i = 0; i < rec->num_classes; i++)
        snprintf(t->class_names[i], sizeof t->class_names[i], "%s", rec->class_names[i]);
    t->batch = rec->batch;
    t->xent = strcmp(rec->loss, "clipped") == 0 ? SK_XENT_CLIPPED : SK_XENT_LOGITS;
    t->level = rec->trainable_layers;
    t->seed = rec->seed;
    t->epochs = rec->epochs_requested;
    snprintf(t->data_sha256, sizeof t->data_sha256, "%s", rec->data_sha256);
    return SK_OK;
}

/* Fills what run.json did not from the checkpoint, and checks the two agree. */
static sk_status from_checkpoint(sk_trained *t, const sk_ckpt *ck, const sk_run_record *rec,
                                 const char *what, sk_error *err)
{
    sk_cell_meta meta;
    sk_cell_meta_get(ck, &meta);
    t->epoch = ck->epoch;
    t->data_size = meta.data_size;
    if (rec) {
        if (strcmp(ck->arch, rec->arch) || ck->in_h != rec->input_size || ck->classes != rec->num_classes)
            return sk_error_set(err, SK_EFORMAT, "%s is for %s at %d px with %d classes, but run.json says %s at %d px "
                                "with %d classes", t->ckpt_path, ck->arch, ck->in_h, ck->classes, rec->arch,
                                rec->input_size, rec->num_classes);
        return SK_OK;
    }
    if (ck->classes < 2 || ck->classes > SK_RECORD_MAX_CLASSES)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'classes': expected a Dense head of 2..%d classes, found %d "
                            "(a checkpoint without the head, e.g. ImageNet weights, cannot classify)",
                            what, SK_RECORD_MAX_CLASSES, ck->classes);
    t->num_classes = ck->classes;
    if (meta.num_classes == ck->classes) {
        memcpy(t->class_names, meta.class_names, sizeof t->class_names);
    } else {
        for (int i = 0; i < ck->classes; i++) snprintf(t->class_names[i], sizeof t->class_names[i], "class_%d", i);
        sk_warn("%s names no classes; calling them class_0..class_%d", what, ck->classes - 1);
    }
    t->batch = meta.batch ? meta.batch : 32;
    t->xent = meta.xent_clipped ? SK_XENT_CLIPPED : SK_XENT_LOGITS;
    t->level = ck->freeze > 0 ? ck->freeze : SK_LEVEL_ALL;
    t->seed = ck->seed;
    t->epochs = meta.epochs;
    snprintf(t->data_sha256, sizeof t->data_sha256, "%s", meta.data_sha256);
    return SK_OK;
}

/* An unfinished cell is used only when allowed, and always says which checkpoint it is. */
static sk_status check_unfinished(const sk_trained *t, const sk_trained_opts *o, sk_error *err)
{
    if (!o->cell_dir || t->finished) return SK_OK;
    char *failed = sk_path_join(o->cell_dir, "FAILED");
    int has_failed = sk_file_exists(failed);
    free(failed);
    char progress[64] = "";
    if (t->epochs) snprintf(progress, sizeof progress, " of %d", t->epochs);
    if (!o->allow_unfinished)
        return sk_error_set(err, SK_EINVAL, "%s: the cell has not finished (no DONE%s); its checkpoint %s holds epoch "
                            "%d%s; pass --allow-unfinished to use it", o->cell_dir,
                            has_failed ? "; FAILED is there" : "", t->ckpt_path, t->epoch, progress);
    sk_warn("%s: unfinished cell%s: using %s, epoch %d%s", o->cell_dir, has_failed ? " (FAILED)" : "",
            t->ckpt_path, t->epoch, progress);
    return SK_OK;
}

sk_status sk_trained_open(sk_trained *t, const sk_trained_opts *o, sk_error *err)
{
    memset(t, 0, sizeof *t);
    sk_status s = SK_OK;
    sk_run_record *rec = NULL;
    sk_ckpt ck;
    sk_ckpt_init(&ck);
    if (o->cell_dir) {
        if ((s = cell_checkpoint(t, o, err))) goto done;
        if (t->finished) {
            rec = sk_xmalloc(sizeof *rec);
            if ((s = read_record(t, o->cell_dir, rec, err))) {
                free(rec);
                rec = NULL;
                goto done;
            }
        }
    } else {
        SK_ASSERT(o->weights);
        snprintf(t->ckpt_path, sizeof t->ckpt_path, "%s", o->weights);
        t->which = "file";
        t->finished = 1;
    }
    if ((s = sk_ckpt_read(t->ckpt_path, &ck, err))) goto done;
    if ((s = from_checkpoint(t, &ck, rec, t->ckpt_path, err)) || (s = check_unfinished(t, o, err))) goto done;
    const char *arch = ck.arch;
    if (o->arch && *o->arch) {
        if (*ck.arch && strcmp(o->arch, ck.arch) != 0) {
            s = sk_error_set(err, SK_EINVAL, "%s holds %s weights, not %s", t->ckpt_path, ck.arch, o->arch);
            goto done;
        }
        arch = o->arch;
    }
    /* Frozen but for the head: inference only, so executors plan the smallest backward. (Freeze
     * changes nothing in inference mode; weights export re-freezes at t->level.) */
    sk_cell_spec spec = {arch, ck.in_h, t->num_classes, 1, t->seed, SK_WEIGHTS_SCRATCH, NULL, NULL, o->label};
    if ((s = sk_cell_model_open(&t->model, &spec, err))) goto done;
    s = sk_ckpt_load_graph(&ck, t->model.graph, 0, NULL, NULL, err);
    if (s) {
        sk_error_prefix(err, "%s: ", t->ckpt_path);
        sk_cell_model_close(&t->model);
    }
done:
    if (rec) {
        sk_run_record_free(rec);
        free(rec);
    }
    sk_ckpt_free(&ck);
    return s;
}

void sk_trained_close(sk_trained *t)
{
    sk_cell_model_close(&t->model);
}

/* "A, B, C" of n class names. */
static void join_names(char *out, size_t cap, const char (*names)[64], int n)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? ", " : "", names[i]);
}

sk_status sk_trained_check_data(const sk_trained *t, const sk_skds *ds, const char *path,
                                int want_classes, sk_error *err)
{
    const sk_skds_header *h = &ds->h;
    int size = t->model.input_size;
    if (h->dtype != SK_SKDS_U8)
        return sk_error_set(err, SK_EUNSUPPORTED, "%s: field 'dtype': the cell reads uint8 pixels, found float32 "
                            "(pack without --dtype f32)", path);
    if (h->channels != 3)
        return sk_error_set(err, SK_EINVAL, "%s: field 'channels': the cell takes 3 (RGB), found %u", path, h->channels);
    int ok_size = ((int)h->height == size && (int)h->width == size) ||
                  (t->data_size && (int)h->height == t->data_size && (int)h->width == t->data_size);
    if (!ok_size) {
        char also[64] = "";
        if (t->data_size && t->data_size != size) snprintf(also, sizeof also, " (or %dx%d, its training data)",
                                                           t->data_size, t->data_size);
        return sk_error_set(err, SK_EINVAL, "%s: image size: the cell takes %dx%d%s, found %ux%u (pack the data at "
                            "--size %d, or predict from a folder of images, which are resized)", path, size, size,
                            also, h->height, h->width, size);
    }
    if (!want_classes) return SK_OK;
    int same = (int)h->nclasses == t->num_classes;
    for (int i = 0; same && i < t->num_classes; i++) same = strcmp(h->class_names[i], t->class_names[i]) == 0;
    if (!same) {
        char want[1200], found[1200];
        join_names(want, sizeof want, t->class_names, t->num_classes);
        join_names(found, sizeof found, (const char (*)[64])h->class_names, (int)h->nclasses);
        return sk_error_set(err, SK_EINVAL, "%s: classes: the cell was trained on %d classes (%s), the data set has %u "
                            "(%s)", path, t->num_classes, want, h->nclasses, found);
    }
    return SK_OK;
}
