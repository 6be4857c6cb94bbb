// LABELS: arch slow
// TIMEOUT: 900
/* test_exec_arch: the executor on the seven real architectures (smallest input each accepts,
 * batch 2, three freeze levels): the arena plan never lets two live buffers share memory, a
 * training forward + backward gives finite outputs and gradients, frozen tensors get exactly
 * zero gradient, backward runs on exactly the needs_grad nodes, and the frozen-prefix split
 * (prefix of each image computed alone, then the suffix) reproduces the full forward bit for
 * bit. */
#include <stdlib.h>
#include <string.h>

#include "sk_arch.h"
#include "sk_core.h"
#include "sk_base.h"
#include "sk_test.h"

enum { NB = 2, K = 3 };

static void one(const sk_arch_info *ai)
{
    sk_error err;
    int sz = ai->min_size > 32 ? ai->min_size : 32;
    sk_graph *g = sk_arch_build(ai->id, sz, K, 1, &err);
    CHECKF(g != NULL, "%s: %s", ai->id, g ? "" : err.msg);
    if (!g) return;
    sk_init_graph(g, NULL, 1);
    size_t in = (size_t)sz * sz * 3;
    float *x = malloc(sizeof(float) * NB * in);
    sk_rng r = sk_rng_stream(1, SK_RNG_TEST, 7);
    for (size_t i = 0; i < NB * in; i++) x[i] = (float)(sk_rng_uniform(&r) * 255.0);
    int levels[3] = {2, g->n / 3, g->n};
    for (int li = 0; li < 3; li++) {
        sk_graph_freeze(g, levels[li]);
        sk_exec *ex = sk_exec_new(g, NB);
        CHECKF(sk_exec_plan_check(ex) == 0, "%s level %d: plan overlaps", ai->id, levels[li]);
        sk_exec_forward(ex, x, NB, 1, 5, 0);
        const float *o = sk_exec_output(ex);
        int finite = 1;
        for (int i = 0; i < NB * K; i++) finite &= isfinite(o[i]);
        CHECKF(finite, "%s level %d: output not finite", ai->id, levels[li]);
        float dl[NB * K];
        int32_t y[NB] = {0, 2};
        sk_xent_forward_backward(dl, sk_exec_logits(ex), o, y, NULL, NB, K, SK_XENT_LOGITS);
        sk_exec_backward(ex, dl, 1);
        const float *gr = sk_exec_grads(ex);
        int gfinite = 1, frozen_zero = 1, ran_ok = 1, any = 0;
        const uint8_t *ran = sk_exec_backward_ran(ex);
        for (int i = 0; i < g->n; i++) {
            const sk_node *nd = sk_graph_node(g, i);
            ran_ok &= ran[i] == (nd->needs_grad && nd->op != SK_OP_INPUT);
            for (int k = 0; k < nd->ntensors; k++) {
                const sk_tensor_info *t = &nd->tensors[k];
                if (t->is_state) continue;
                for (size_t j = 0; j < t->size; j++) {
                    float v = gr[t->offset + j];
                    gfinite &= isfinite(v);
                    if (!nd->trainable) frozen_zero &= v == 0.0f;
                    any |= v != 0.0f;
                }
            }
        }
        CHECKF(gfinite && any, "%s level %d: gradients finite %d nonzero %d", ai->id,
               levels[li], gfinite, any);
        CHECKF(frozen_zero, "%s level %d: a frozen tensor has a gradient", ai->id, levels[li]);
        CHECKF(ran_ok, "%s level %d: backward ran on the wrong nodes", ai->id, levels[li]);
        if (sk_exec_prefix_nodes(ex) > 1) {
            float full[NB * K], split[NB * K];
            sk_exec_forward(ex, x, NB, 0, 5, 0);
            memcpy(full, sk_exec_output(ex), sizeof full);
            size_t bf = sk_exec_boundary_floats(ex);
            float *bd = malloc(sizeof(float) * NB * bf);
            sk_exec_forward_prefix(ex, x + in, 1, bd + bf); /* each image alone, reversed */
            sk_exec_forward_prefix(ex, x, 1, bd);
            sk_exec_forward_suffix(ex, bd, NB, 0, 5, 0);
            memcpy(split, sk_exec_output(ex), sizeof split);
            CHECKF(memcmp(full, split, sizeof full) == 0, "%s level %d: prefix+suffix differs",
                   ai->id, levels[li]);
            free(bd);
        }
        printf("%-15s %3d px level %3d/%d: backward on %3d nodes, prefix %3d nodes, boundary %6zu "
               "floats/image, arena %.1f MB (%.1f MB without reuse)\n", ai->id, sz, levels[li],
               g->n, sk_exec_backward_nodes_run(ex), sk_exec_prefix_nodes(ex),
               sk_exec_boundary_floats(ex), sk_exec_arena_bytes(ex) / 1e6,
               sk_exec_arena_naive_bytes(ex) / 1e6);
        sk_exec_free(ex);
    }
    free(x);
    sk_graph_free(g);
}

int main(void)
{
    CHECK(sk_arch_count() >= 7);
    for (int a = 0; a < sk_arch_count(); a++) one(sk_arch_get(a));
    return sk_test_finish();
}
