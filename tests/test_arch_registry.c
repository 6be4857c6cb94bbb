// LABELS: unit arch
/* test_arch_registry.c: the architecture descriptor table (arch/models.def) is complete and
 * consistent: every row has a builder, sane sizes, the study's levels ascending and within the
 * model, its best level among them, a Keras weight file with a well-formed hash, an include_top
 * head where one is built, a peer target; ids are unique and the X-macro expansion the report
 * uses lists exactly the registry's ids in its order; EfficientNet's initialisers are Keras's
 * VarianceScaling; sk_arch_freeze_stats computes TLR/TPR from the graph and guards zero totals. */
#include "sk_arch.h"
#include "sk_test.h"

#include <ctype.h>
#include <string.h>

static int is_hex(const char *s, size_t n)
{
    if (strlen(s) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i])) return 0;
    return 1;
}

static void test_rows(void)
{
    for (int i = 0; i < sk_arch_count(); i++) {
        const sk_arch_info *a = sk_arch_get(i);
        const char *id = a->id;
        CHECKF(id && id[0] && strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789") == strlen(id), "row %d id", i);
        CHECKF(sk_arch_find(id) == a, "%s: found by id", id);
        for (int k = 0; k < i; k++) CHECKF(strcmp(sk_arch_get(k)->id, id) != 0, "%s: unique", id);
        CHECKF(a->build && a->keras_name && a->keras_name[0] && a->pool_name && a->pool_name[0], "%s: builder and names", id);
        CHECKF(a->min_size >= 32 && a->min_size <= a->default_size && a->min_size <= a->study_size &&
                   a->study_size <= SK_ARCH_MAX_SIZE, "%s: sizes %d %d %d", id, a->min_size, a->default_size, a->study_size);
        CHECKF(a->npaper_levels >= 1 && a->paper_levels[0] >= 1, "%s: levels", id);
        int has_best = 0;
        for (int k = 0; k < a->npaper_levels; k++) {
            if (k) CHECKF(a->paper_levels[k] > a->paper_levels[k - 1], "%s: levels ascending at %d", id, k);
            has_best |= a->paper_levels[k] == a->best_level;
        }
        CHECKF(has_best, "%s: best level %d is one of the study's levels", id, a->best_level);
        CHECKF(a->notop.file_name && a->notop.url && strncmp(a->notop.url, "https://", 8) == 0, "%s: weight file", id);
        CHECKF(!a->notop.hash || is_hex(a->notop.hash, 32) || is_hex(a->notop.hash, 64), "%s: hash", id);
        CHECKF(sk_weights_source_find(id) == &a->notop, "%s: weights source", id);
        CHECKF(a->top_dropout >= 0 && a->top_dropout < 1 && (a->top_pool || a->top_dropout == 0), "%s: top", id);
        CHECKF(a->peer_target >= 1.0 && a->peer_target_full >= a->peer_target, "%s: peer targets %g %g", id,
               a->peer_target, a->peer_target_full);
        CHECK_STR(sk_arch_input_scaling(a), a->raw_input ? "raw_0_255" : "rescale_1_255");
        CHECKF(sk_arch_input_scale(a) == (a->raw_input ? 1.0f : 1.0f / 255.0f), "%s: scale", id);

        /* The levels fit the study's model, whose pooling layer has the descriptor's name. */
        sk_error err;
        sk_graph *g = sk_arch_build_layout(id, a->min_size, 3, 1, &err);
        CHECKF(g != NULL, "%s: builds at %d: %s", id, a->min_size, g ? "" : err.msg);
        if (!g) continue;
        CHECKF(a->paper_levels[a->npaper_levels - 1] <= g->n, "%s: levels within %d layers", id, g->n);
        CHECK_STR(g->nodes[g->n - 2].name, a->pool_name);
        sk_graph_free(g);
    }
    CHECK(sk_arch_find("resnet51") == NULL && sk_arch_find(NULL) == NULL);
    sk_error err;
    CHECK(sk_arch_build_layout("resnet51", 64, 3, 1, &err) == NULL);
    CHECKF(strstr(err.msg, "resnet50 densenet121 vgg16") != NULL, "unknown id lists the registry: %s", err.msg);
}

/* The ids as report/report_summary.c expands the table. */
#define SK_MODEL(name, ...) #name,
static const char *const ids_from_table[] = {
#include "../arch/models.def"
};
#undef SK_MODEL

static void test_id_expansion(void)
{
    CHECK_EQ_INT(SK_ARRAY_LEN(ids_from_table), sk_arch_count());
    for (int i = 0; i < sk_arch_count() && i < (int)SK_ARRAY_LEN(ids_from_table); i++)
        CHECK_STR(ids_from_table[i], sk_arch_get(i)->id);
}

static void test_init_schemes(void)
{
    /* efficientnet.py: CONV_KERNEL_INITIALIZER and DENSE_KERNEL_INITIALIZER. */
    const sk_init_scheme *e = sk_arch_find("efficientnetb2")->init;
    CHECK(e != NULL);
    if (e) {
        CHECK(e->conv.kind == SK_INIT_VARIANCE_SCALING && e->conv.scale == 2.0 &&
              e->conv.mode == SK_FAN_OUT && e->conv.dist == SK_DIST_TRUNCATED_NORMAL);
        CHECK(e->dense.kind == SK_INIT_VARIANCE_SCALING && e->dense.scale == 1.0 / 3.0 &&
              e->dense.mode == SK_FAN_OUT && e->dense.dist == SK_DIST_UNIFORM);
    }
    for (int i = 0; i < sk_arch_count(); i++)
        if (sk_arch_get(i) != sk_arch_find("efficientnetb2"))
            CHECKF(sk_arch_get(i)->init == NULL, "%s: Keras default initialisers", sk_arch_get(i)->id);
}

static void test_freeze_stats(void)
{
    sk_error err;
    sk_graph *g = sk_arch_build_layout("vgg16", 32, 3, 1, &err);
    CHECK(g != NULL);
    if (g) {
        sk_graph_freeze(g, 1);
        sk_freeze_stats s = sk_arch_freeze_stats(g);
        /* VGG16: 19 base layers + pooling + Dense(3); the head is 512*3 + 3 parameters. */
        CHECK_EQ_INT(s.total_layers, 21);
        CHECK_EQ_INT(s.base_layers, 20);
        CHECK_EQ_INT(s.trainable_layers, 1);
        CHECK_EQ_INT(s.trainable_params, 1539);
        CHECK_EQ_INT(s.total_params, 14716227);
        CHECK(s.tlr == 1.0 / 21 && s.tlr_base == 1.0 / 20 && s.tpr == 1539.0 / 14716227.0);
        sk_graph_free(g);
    }
    /* A graph of one parameterless layer: no base layers, no parameters -> ratios 0, not NaN. */
    g = sk_graph_new("empty");
    g->output = sk_g_input(g, "input_1", 4, 4, 3);
    sk_graph_finalize_layout(g);
    sk_graph_freeze(g, 1);
    sk_freeze_stats z = sk_arch_freeze_stats(g);
    CHECK_EQ_INT(z.total_layers, 1);
    CHECK_EQ_INT(z.base_layers, 0);
    CHECK_EQ_INT(z.total_params, 0);
    CHECK(z.tlr_base == 0.0 && z.tpr == 0.0);
    sk_graph_free(g);
}

int main(void)
{
    test_rows();
    test_id_expansion();
    test_init_schemes();
    test_freeze_stats();
    return sk_test_finish();
}
