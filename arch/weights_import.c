/* weights_import.c: weight file -> graph -> .skck (see weights_import.h). */
#include "weights_import.h"
#include "arch.h"
#include "sk_core.h"
#include "sk_base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sk_status sk_weights_import_file(const char *file, const sk_wimport_opts *o, const char *out,
                                 sk_wreport *rep, sk_error *err)
{
    sk_wreport local;
    if (!rep) rep = &local;
    memset(rep, 0, sizeof *rep);
    SK_ASSERT(!(o->with_top && o->classes > 0));
    sk_graph *g = o->with_top ? sk_weights_build_imagenet(o->arch, o->size, err)
                              : sk_arch_build(o->arch, o->size, o->classes, o->classes > 0, err);
    if (!g) return err ? err->code : SK_EINVAL;
    sk_status st;
    sk_wset ws;
    sk_wset_init(&ws, file);
    sk_ckpt ck;
    sk_ckpt_init(&ck);
    st = sk_weights_read(file, &ws, err);
    if (st) goto done;
    sk_wapply_opts ao = {o->allow_missing, o->allow_unused};
    st = sk_weights_apply(g, &ws, &ao, rep, err);
    if (st) goto done;

    size_t n = strlen(file);
    int isdir = sk_dir_exists(file);
    int tfjs = isdir || (n >= 5 && strcmp(file + n - 5, ".json") == 0);
    char *hashed = isdir ? sk_path_join(file, "model.json") : sk_xstrdup(file);
    char hex[65];
    st = sk_sha256_file(hashed, hex, err);
    free(hashed);
    if (st) goto done;
    sk_ckpt_add_graph(&ck, g);
    snprintf(ck.arch, sizeof ck.arch, "%s", o->arch);
    ck.freeze = -1;
    sk_ckpt_set_kv(&ck, "weights", o->classes > 0 ? "file" : "imagenet");
    sk_ckpt_set_kv(&ck, "weights_source", file);
    sk_ckpt_set_kv(&ck, "weights_format", tfjs ? "tfjs-layers" : "keras-h5");
    sk_ckpt_set_kv(&ck, tfjs ? "weights_model_json_sha256" : "weights_sha256", hex);
    sk_ckpt_set_kv(&ck, "weights_top", o->with_top ? "imagenet-1000" : o->classes > 0 ? "dense" : "none");
    if (o->class_names) sk_ckpt_set_class_names(&ck, o->class_names, o->classes);
    st = sk_ckpt_write(&ck, out, err);
done:
    sk_ckpt_free(&ck);
    sk_wset_free(&ws);
    sk_graph_free(g);
    if (rep == &local) sk_wreport_free(&local);
    return st;
}
