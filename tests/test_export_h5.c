// LABELS: unit arch
// TIMEOUT: 600
/* test_export_h5.c: the Keras HDF5 weights export of every architecture (base + pooling + a
 * 3-class Dense head at a small size, every tensor random bits from a seeded stream), checked
 * three ways: read back through arch/weights_h5.c's reader and mapped onto a fresh graph, every
 * tensor bit for bit; written twice, the same bytes; and, with Debian's python3-h5py, read as
 * tf.keras 2.x model.load_weights reads it (tests/support/keras_h5_check.py) against the Keras
 * layer table of ../shared/reference/keras/ (model.layers order, weight order, names, shapes,
 * dtypes, parameter counts). Also: a count that is not an integer is refused, and an unwritable
 * path leaves nothing. Exits 77 (skip) only when everything ran but h5py is missing. */
#include "sk_arch.h"
#include "sk_base.h"
#include "sk_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLASSES 3

static int have_h5py(void)
{
    return system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1") == 0;
}

/* Every float of both slabs from a seeded stream, in [-2, 2), except Normalization's count. */
static void randomize(sk_graph *g, uint64_t seed)
{
    sk_rng r = sk_rng_stream(seed, SK_RNG_TEST, 0);
    for (size_t i = 0; i < g->nparams; i++) g->params[i] = 4.0f * sk_rng_uniformf(&r) - 2.0f;
    for (size_t i = 0; i < g->nstate; i++) g->state[i] = 4.0f * sk_rng_uniformf(&r) + 0.01f;
    for (int i = 0; i < g->n; i++)
        for (int k = 0; k < g->nodes[i].ntensors; k++)
            if (!strcmp(g->nodes[i].tensors[k].name, "count"))
                g->state[g->nodes[i].tensors[k].offset] = 1281167.0f; /* an integer, as Keras's int64 */
}

static int same_bits(const float *a, const float *b, size_t n)
{
    return n == 0 || memcmp(a, b, n * sizeof *a) == 0;
}

static int i_first(const sk_arch_info *ai)
{
    return ai == sk_arch_get(0);
}

/* The name of the first BatchNormalization layer. */
static const char *first_bn(const sk_graph *g)
{
    for (int k = 0; k < g->n; k++)
        if (g->nodes[g->by_keras[k]].op == SK_OP_BATCHNORM) return g->nodes[g->by_keras[k]].name;
    return "";
}

static void round_trip(const sk_arch_info *ai, int size, const char *dir, int h5py)
{
    sk_error err;
    sk_graph *g = sk_arch_build(ai->id, size, CLASSES, 1, &err);
    CHECKF(g != NULL, "%s: build: %s", ai->id, g ? "" : err.msg);
    if (!g) return;
    randomize(g, 7);
    char name[64];
    snprintf(name, sizeof name, "%s.h5", ai->id);
    char *path = sk_path_join(dir, name);
    CHECK_OK(sk_export_h5(g, path, &err), &err);

    /* Back through the reader onto a fresh graph: every tensor, nothing missing or unused. */
    sk_graph *h = sk_arch_build(ai->id, size, CLASSES, 1, &err);
    sk_wset ws;
    sk_wset_init(&ws, path);
    CHECK_OK(sk_weights_read(path, &ws, &err), &err);
    sk_wreport rep;
    memset(&rep, 0, sizeof rep);
    CHECK_OK(sk_weights_apply(h, &ws, NULL, &rep, &err), &err);
    CHECKF(rep.nmissing == 0 && rep.nunused == 0 && rep.renamed == 0, "%s: %d missing, %d unused", ai->id,
           rep.nmissing, rep.nunused);
    CHECKF(same_bits(g->params, h->params, g->nparams) && same_bits(g->state, h->state, g->nstate),
           "%s: every tensor back bit for bit", ai->id);
    sk_wreport_free(&rep);
    sk_wset_free(&ws);

    /* The same weights give the same bytes. */
    char *again = sk_path_join(dir, "again.h5");
    CHECK_OK(sk_export_h5(h, again, &err), &err);
    uint8_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    CHECK_OK(sk_read_file(path, &a, &na, (size_t)1 << 30, &err), &err);
    CHECK_OK(sk_read_file(again, &b, &nb, (size_t)1 << 30, &err), &err);
    CHECKF(a && b && na == nb && memcmp(a, b, na) == 0, "%s: byte-identical exports (%zu, %zu bytes)", ai->id, na, nb);
    free(a);
    free(b);
    free(again);

    /* As Keras loads it. */
    const char *shared = sk_test_shared();
    if (h5py && shared) {
        char cmd[8192];
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/support/keras_h5_check.py %s %s/reference/keras/%s_%d.json %s %d",
                 getenv("SRC") ? getenv("SRC") : "..", path, shared, ai->id, size, ai->pool_name, CLASSES);
        CHECKF(system(cmd) == 0, "%s: Keras's load_weights layout (%s)", ai->id, cmd);
        if (i_first(ai)) { /* and the check can fail: gamma and beta swapped in one layer */
            char edit[4096];
            snprintf(edit, sizeof edit, "/usr/bin/python3 -c \"import h5py; f = h5py.File('%s', 'r+'); "
                     "g = f['%s']; w = list(g.attrs['weight_names']); w[0], w[1] = w[1], w[0]; "
                     "g.attrs['weight_names'] = w\"", path, first_bn(g));
            CHECK(system(edit) == 0);
            snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), " >/dev/null");
            CHECKF(system(cmd) != 0, "%s: the checker refuses swapped weights", ai->id);
        }
    }
    sk_graph_free(h);
    sk_graph_free(g);
    free(path);
}

/* A fractional Normalization count cannot be Keras's int64: refused, nothing written. */
static void bad_inputs(const char *dir)
{
    sk_error err;
    sk_graph *g = sk_arch_build("efficientnetb2", 64, CLASSES, 1, &err);
    if (!g) return;
    randomize(g, 1);
    for (int i = 0; i < g->n; i++)
        for (int k = 0; k < g->nodes[i].ntensors; k++)
            if (!strcmp(g->nodes[i].tensors[k].name, "count")) g->state[g->nodes[i].tensors[k].offset] = 2.5f;
    char *path = sk_path_join(dir, "bad.h5");
    CHECK(sk_export_h5(g, path, &err) == SK_EINVAL);
    CHECKF(strstr(err.msg, "normalization/count:0' is 2.5; Keras stores it as an integer") != NULL, "%s", err.msg);
    CHECK(!sk_file_exists(path));
    char *nodir = sk_path_join(dir, "no/such/dir/x.h5");
    randomize(g, 1);
    CHECK(sk_export_h5(g, nodir, &err) == SK_EIO);
    CHECK(!sk_file_exists(nodir));
    free(nodir);
    free(path);
    sk_graph_free(g);
}

int main(void)
{
    char *dir = sk_test_tmpdir("export_h5");
    int h5py = have_h5py();
    if (!sk_test_shared()) printf("SKIP the Keras-table check: ../shared is absent\n");
    for (int i = 0; i < sk_arch_count(); i++) {
        const sk_arch_info *ai = sk_arch_get(i);
        round_trip(ai, ai->min_size > 64 ? ai->min_size : 64, dir, h5py);
    }
    bad_inputs(dir);
    free(dir);
    int failed = sk_test_finish();
    if (!failed && !h5py) {
        printf("SKIP: python3-h5py is not installed (ci/install-deps.sh): the Keras load_weights layout was not checked\n");
        return 77;
    }
    return failed;
}
