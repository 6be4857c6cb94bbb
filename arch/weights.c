/* weights.c: the named tensor set and its mapping onto a graph (see weights.h).
 * Invariant: sk_weights_apply copies only after every check passed (shapes, names, finiteness),
 * so a failed import leaves the graph exactly as it was. */
#include "weights.h"
#include "weights_h5.h"
#include "weights_tfjs.h"
#include "sk_base.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sk_wset_init(sk_wset *ws, const char *source)
{
    memset(ws, 0, sizeof *ws);
    snprintf(ws->source, sizeof ws->source, "%s", source ? source : "");
}

void sk_wset_free(sk_wset *ws)
{
    for (int i = 0; i < ws->n; i++) free(ws->t[i].data);
    free(ws->t);
    memset(ws, 0, sizeof *ws);
}

sk_wtensor *sk_wset_add(sk_wset *ws, const char *layer, const char *var, int ndim,
                        const int *shape)
{
    SK_ASSERT(ndim >= 0 && ndim <= 4);
    SK_ASSERT(strlen(layer) < SK_WNAME_MAX && strlen(var) < sizeof ws->t->var);
    if (ws->n == ws->cap) {
        ws->cap = ws->cap ? 2 * ws->cap : 64;
        ws->t = sk_xrealloc(ws->t, (size_t)ws->cap * sizeof *ws->t);
    }
    sk_wtensor *t = &ws->t[ws->n++];
    memset(t, 0, sizeof *t);
    sk_snprintf(t->layer, sizeof t->layer, "%s", layer);
    sk_snprintf(t->var, sizeof t->var, "%s", var);
    t->ndim = ndim;
    t->size = 1;
    for (int i = 0; i < ndim; i++) {
        SK_ASSERT(shape[i] >= 0);
        t->shape[i] = shape[i];
        t->size *= (size_t)shape[i];
    }
    t->data = sk_xcalloc(t->size ? t->size : 1, sizeof(float));
    return t;
}

const sk_wtensor *sk_wset_find(const sk_wset *ws, const char *layer, const char *var)
{
    for (int i = 0; i < ws->n; i++) {
        const sk_wtensor *t = &ws->t[i];
        if (strcmp(t->var, var) == 0 &&
            (strcmp(t->layer, layer) == 0 || (t->alt_layer[0] && strcmp(t->alt_layer, layer) == 0)))
            return t;
    }
    return NULL;
}

sk_status sk_weight_name_split(const char *name, char *layer, size_t lcap, char *var, size_t vcap,
                               sk_error *err)
{
    const char *slash = strrchr(name, '/');
    if (!slash || slash == name || slash[1] == '\0')
        return sk_error_set(err, SK_EFORMAT,
                            "weight name '%s': expected 'layer/variable', found no layer or no variable part",
                            name);
    size_t ln = (size_t)(slash - name);
    const char *v = slash + 1;
    size_t vn = strlen(v);
    const char *colon = strrchr(v, ':');
    if (colon) {
        int digits = colon[1] != '\0';
        for (const char *p = colon + 1; *p; p++) digits &= isdigit((unsigned char)*p) != 0;
        if (digits) vn = (size_t)(colon - v);
    }
    if (vn == 0 || ln >= lcap || vn >= vcap)
        return sk_error_set(err, SK_EFORMAT,
                            "weight name '%s': expected a layer name under %zu and a variable name "
                            "under %zu characters",
                            name, lcap, vcap);
    memcpy(layer, name, ln);
    layer[ln] = '\0';
    memcpy(var, v, vn);
    var[vn] = '\0';
    return SK_OK;
}

int sk_weights_legacy_resnet_name(const char *legacy, char *out, size_t cap)
{
    static const struct { const char *from, *to; } fixed[] = {
        {"conv1", "conv1_conv"}, {"bn_conv1", "conv1_bn"}, {"fc1000", "predictions"}};
    for (size_t i = 0; i < SK_ARRAY_LEN(fixed); i++)
        if (strcmp(legacy, fixed[i].from) == 0) {
            if (strlen(fixed[i].to) >= cap) return 0;
            snprintf(out, cap, "%s", fixed[i].to);
            return 1;
        }
    const char *p;
    const char *kind;
    if (strncmp(legacy, "res", 3) == 0) {
        p = legacy + 3;
        kind = "conv";
    } else if (strncmp(legacy, "bn", 2) == 0) {
        p = legacy + 2;
        kind = "bn";
    } else {
        return 0;
    }
    /* <stage digit><block letter>_branch<1|2a|2b|2c> */
    if (!isdigit((unsigned char)p[0]) || p[0] == '0' || !islower((unsigned char)p[1])) return 0;
    int stage = p[0] - '0';
    int block = p[1] - 'a' + 1;
    if (strncmp(p + 2, "_branch", 7) != 0) return 0;
    const char *br = p + 9;
    int k;
    if (strcmp(br, "1") == 0) k = 0;
    else if (strcmp(br, "2a") == 0) k = 1;
    else if (strcmp(br, "2b") == 0) k = 2;
    else if (strcmp(br, "2c") == 0) k = 3;
    else return 0;
    int n = snprintf(out, cap, "conv%d_block%d_%d_%s", stage, block, k, kind);
    return n > 0 && (size_t)n < cap;
}

void sk_wreport_free(sk_wreport *r)
{
    if (!r) return;
    for (int i = 0; i < r->nmissing; i++) free(r->missing[i]);
    for (int i = 0; i < r->nunused; i++) free(r->unused[i]);
    free(r->missing);
    free(r->unused);
    memset(r, 0, sizeof *r);
}

static void shape_str(char *buf, size_t cap, int ndim, const int *shape)
{
    size_t len = 0;
    len += (size_t)snprintf(buf + len, cap - len, "(");
    for (int i = 0; i < ndim && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, i ? ", %d" : "%d", shape[i]);
    if (len < cap) snprintf(buf + len, cap - len, ndim == 1 ? ",)" : ")");
}

/* "a, b, c and 12 more" into buf from a list of names. */
static void name_list(char *buf, size_t cap, char *const *names, int n)
{
    size_t len = 0;
    buf[0] = '\0';
    int shown = 0;
    for (int i = 0; i < n && len + strlen(names[i]) + 40 < cap && shown < 8; i++, shown++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", names[i]);
    if (shown < n) snprintf(buf + len, cap - len, " and %d more", n - shown);
}

typedef struct {
    int node, tensor; /* graph position, or node = -1 when unmatched */
    int renamed;
} match;

sk_status sk_weights_apply(sk_graph *g, const sk_wset *ws, const sk_wapply_opts *opts,
                           sk_wreport *rep, sk_error *err)
{
    SK_ASSERT(g->finalized);
    static const sk_wapply_opts strict = {0, 0};
    if (!opts) opts = &strict;
    sk_wreport local;
    if (!rep) rep = &local;
    memset(rep, 0, sizeof *rep);
    sk_status st = SK_OK;

    /* Graph tensor -> index of the set tensor that claims it (-1 = none). */
    int ntens = 0;
    for (int i = 0; i < g->n; i++) ntens += g->nodes[i].ntensors;
    int *claim = sk_xmalloc((size_t)(ntens ? ntens : 1) * sizeof *claim);
    int *first = sk_xmalloc((size_t)(g->n ? g->n : 1) * sizeof *first);
    for (int i = 0, k = 0; i < g->n; i++) {
        first[i] = k;
        k += g->nodes[i].ntensors;
    }
    for (int i = 0; i < ntens; i++) claim[i] = -1;
    match *m = sk_xmalloc((size_t)(ws->n ? ws->n : 1) * sizeof *m);

    for (int i = 0; i < ws->n; i++) {
        const sk_wtensor *t = &ws->t[i];
        m[i].node = -1;
        m[i].renamed = 0;
        int id = sk_graph_find(g, t->layer);
        if (id < 0 && t->alt_layer[0]) id = sk_graph_find(g, t->alt_layer);
        if (id < 0) {
            char mapped[SK_NAME_MAX];
            if (sk_weights_legacy_resnet_name(t->layer, mapped, sizeof mapped)) {
                id = sk_graph_find(g, mapped);
                m[i].renamed = id >= 0;
            }
        }
        if (id < 0) continue;
        const sk_node *nd = &g->nodes[id];
        for (int k = 0; k < nd->ntensors; k++) {
            if (strcmp(nd->tensors[k].name, t->var) != 0) continue;
            int slot = first[id] + k;
            if (claim[slot] >= 0) {
                st = sk_error_set(err, SK_EFORMAT,
                                  "%s: tensors '%s/%s' and '%s/%s' both map to graph tensor '%s/%s'",
                                  ws->source, ws->t[claim[slot]].layer, ws->t[claim[slot]].var,
                                  t->layer, t->var, nd->name, nd->tensors[k].name);
                goto done;
            }
            claim[slot] = i;
            m[i].node = id;
            m[i].tensor = k;
        }
    }

    /* Shapes and values of every matched tensor. */
    for (int i = 0; i < ws->n; i++) {
        if (m[i].node < 0) continue;
        const sk_wtensor *t = &ws->t[i];
        const sk_node *nd = &g->nodes[m[i].node];
        const sk_tensor_info *ti = &nd->tensors[m[i].tensor];
        int same = t->ndim == ti->ndim;
        for (int d = 0; same && d < t->ndim; d++) same = t->shape[d] == ti->shape[d];
        if (!same || t->size != ti->size) {
            char want[64], got[64];
            shape_str(want, sizeof want, ti->ndim, ti->shape);
            shape_str(got, sizeof got, t->ndim, t->shape);
            st = sk_error_set(err, SK_EFORMAT,
                              "%s: tensor '%s/%s' (for layer '%s' of %s): expected shape %s, found %s",
                              ws->source, t->layer, t->var, nd->name, g->name, want, got);
            goto done;
        }
        for (size_t e = 0; e < t->size; e++)
            if (!isfinite(t->data[e])) {
                st = sk_error_set(err, SK_ENUMERIC,
                                  "%s: tensor '%s/%s': expected finite values, found %g at element %zu",
                                  ws->source, t->layer, t->var, (double)t->data[e], e);
                goto done;
            }
    }

    /* Missing (graph tensors nobody claimed) and unused (set tensors that matched nothing). */
    for (int i = 0; i < g->n; i++)
        for (int k = 0; k < g->nodes[i].ntensors; k++)
            if (claim[first[i] + k] < 0) {
                char buf[SK_NAME_MAX + 40];
                snprintf(buf, sizeof buf, "%s/%s", g->nodes[i].name, g->nodes[i].tensors[k].name);
                rep->missing = sk_xrealloc(rep->missing, (size_t)(rep->nmissing + 1) * sizeof(char *));
                rep->missing[rep->nmissing++] = sk_xstrdup(buf);
            }
    for (int i = 0; i < ws->n; i++)
        if (m[i].node < 0) {
            char buf[SK_WNAME_MAX + 40];
            snprintf(buf, sizeof buf, "%s/%s", ws->t[i].layer, ws->t[i].var);
            rep->unused = sk_xrealloc(rep->unused, (size_t)(rep->nunused + 1) * sizeof(char *));
            rep->unused[rep->nunused++] = sk_xstrdup(buf);
        }
    if (rep->nmissing && !opts->allow_missing) {
        char list[700];
        name_list(list, sizeof list, rep->missing, rep->nmissing);
        st = sk_error_set(err, SK_ENOTFOUND, "%s: %d tensor(s) of %s missing from the file: %s",
                          ws->source, rep->nmissing, g->name, list);
        goto done;
    }
    if (rep->nunused && !opts->allow_unused) {
        char list[700];
        name_list(list, sizeof list, rep->unused, rep->nunused);
        st = sk_error_set(err, SK_EINVAL, "%s: %d tensor(s) in the file match no layer of %s: %s",
                          ws->source, rep->nunused, g->name, list);
        goto done;
    }

    for (int i = 0; i < ws->n; i++) {
        if (m[i].node < 0) continue;
        const sk_tensor_info *ti = &g->nodes[m[i].node].tensors[m[i].tensor];
        float *dst = (ti->is_state ? g->state : g->params) + ti->offset;
        SK_ASSERT(ti->offset + ti->size <= (ti->is_state ? g->nstate : g->nparams));
        memcpy(dst, ws->t[i].data, ti->size * sizeof(float));
        rep->loaded++;
        rep->renamed += m[i].renamed;
        rep->floats += ti->size;
    }

done:
    free(claim);
    free(first);
    free(m);
    if (rep == &local) sk_wreport_free(&local);
    return st;
}

sk_status sk_weights_read(const char *path, sk_wset *ws, sk_error *err)
{
    size_t n = strlen(path);
    if (sk_dir_exists(path) || (n >= 5 && strcmp(path + n - 5, ".json") == 0))
        return sk_weights_read_tfjs(path, ws, err);
    return sk_weights_read_h5(path, ws, err);
}
