/* exec.h: runs an sk_graph forward and backward with Keras 2.x freeze semantics.
 *
 * An executor is planned once per (graph, freeze state, max batch): every activation, gradient,
 * pre-activation, dropout mask and op workspace gets an offset in ONE 64-byte aligned arena,
 * buffers whose lifetimes do not overlap share memory, and nothing is allocated afterwards.
 * The plan reflects the freeze state at sk_exec_new(); re-freezing the graph needs a new
 * executor (asserted on every forward).
 *
 * Semantics (Keras 2.x, layer.trainable):
 *  - a frozen BatchNormalization runs in inference mode always and never updates its moving
 *    statistics; a trainable one in training mode uses batch statistics and updates them;
 *  - Dropout is active only in training mode; its mask comes from the Philox stream
 *    (seed, SK_RNG_DROPOUT, step << 20 | node id);
 *  - backward runs only on nodes with needs_grad; parameter gradients of frozen nodes are never
 *    computed (the gradient slab stays zero there).
 *
 * Frozen prefix: the nodes that need no gradient and have no stochastic node at or above them
 * form the prefix; the prefix outputs consumed by other nodes are the boundary. The prefix is a
 * fixed function of each image, so callers may compute the boundary once per image
 * (sk_exec_forward_prefix) and later run only the suffix (sk_exec_forward_suffix).
 *
 * Determinism: for a fixed thread count, results are bit-identical run to run. With a
 * row-invariant GEMM backend (sk_gemm_row_invariant: "det", the default) a row of every GEMM has
 * the same bits whatever M and the thread count, and so does every other kernel, so the prefix
 * runs batched and results are identical across thread counts too. With OpenBLAS (and oneDNN,
 * which promises nothing) a row's bits depend on M and the thread count, so prefix nodes run one
 * sample at a time (M then depends only on the image) to keep the prefix cache bit-identical to
 * the uncached path; sk_exec_set_prefix_batched opts out. See docs/FORMATS.md "Determinism".
 */
#ifndef SK_EXEC_H
#define SK_EXEC_H

#include <stddef.h>
#include <stdint.h>
#include "graph.h"

typedef struct sk_exec sk_exec;

/* Plans and allocates an executor for g (finalized, freeze already applied) and batches of at
 * most max_batch samples. The graph must outlive the executor. Never returns NULL. */
sk_exec *sk_exec_new(sk_graph *g, int max_batch);
void sk_exec_free(sk_exec *ex);

sk_graph *sk_exec_graph(const sk_exec *ex);
int sk_exec_max_batch(const sk_exec *ex);
/* Bytes of the planned arena, and what it would take with no buffer reuse. */
size_t sk_exec_arena_bytes(const sk_exec *ex);
size_t sk_exec_arena_naive_bytes(const sk_exec *ex);
/* The arena bytes sk_exec_new(g, max_batch) would allocate, planned without allocating. */
size_t sk_exec_plan_bytes(sk_graph *g, int max_batch);
/* Verifies the plan: every buffer inside the arena, no two buffers with overlapping lifetimes
 * sharing memory, and every buffer a node's backward reads (its op row's bwd_reads) or writes
 * alive at that backward. Returns the number of violations (0). O(buffers^2): for tests. */
int sk_exec_plan_check(const sk_exec *ex);

/* Forward pass of n <= max_batch samples. input (N,H,W,C) float32 as the Input node expects.
 * training != 0 is Keras training=True (trainable BN on batch statistics + moving update,
 * Dropout active). seed and step key the dropout masks. */
void sk_exec_forward(sk_exec *ex, const float *input, int n, int training, uint64_t seed,
                     uint64_t step);
/* The model output of the last forward, (n, output size), valid until the next forward. */
const float *sk_exec_output(const sk_exec *ex);
size_t sk_exec_output_size(const sk_exec *ex); /* floats per sample */
/* The logits of a softmax head (the input of the final softmax), or NULL if the output node
 * does not end in softmax. */
const float *sk_exec_logits(const sk_exec *ex);

/* Draws into mask the Dropout mask node id of g applies in a training forward of n samples
 * keyed (seed, step): values 0 or 1 / (1 - rate), n of them for noise_shape (N,1,1,1), else
 * n * numel. The executor draws its masks with this very function; for cross-checks against
 * other implementations (tests/conformance). */
void sk_exec_dropout_draw(float *mask, const sk_graph *g, int id, int n, uint64_t seed,
                          uint64_t step);

/* The batch statistics BatchNormalization node id used in the last forward (mean and biased
 * variance, C floats each), or 0 when it ran on its moving statistics (inference, frozen).
 * Valid until the next forward. For cross-checks (tests/conformance). */
int sk_exec_bn_batch_stats(const sk_exec *ex, int id, const float **mean, const float **var);

/* Backward pass after a forward. dout (n, output size): gradient of the loss w.r.t. the output,
 * or, if wrt_logits, w.r.t. the logits (sk_exec_logits), skipping the final softmax.
 * Overwrites the gradient slab (zeroed first). At most one backward per forward: backward
 * reuses the memory of activations it has finished with. */
void sk_exec_backward(sk_exec *ex, const float *dout, int wrt_logits);
/* Gradient slab, same layout and size as g->params; zero for frozen tensors. */
const float *sk_exec_grads(const sk_exec *ex);
/* Nodes whose backward ran in the last backward pass, and a per-node flag (node id order). */
int sk_exec_backward_nodes_run(const sk_exec *ex);
const uint8_t *sk_exec_backward_ran(const sk_exec *ex);

/* ---- frozen prefix ---- */

/* The prefix of g under its current freeze without planning an executor (the plan of
 * `reproduce --plan`): mask[i] (g->n bytes) = 1 for prefix nodes; returns their number. */
int sk_exec_prefix_mask(const sk_graph *g, uint8_t *mask);
/* Number of prefix nodes (0: nothing can be cached). */
int sk_exec_prefix_nodes(const sk_exec *ex);
/* Floats per sample crossing the boundary (boundary node outputs, in node order). */
size_t sk_exec_boundary_floats(const sk_exec *ex);
/* 1 if node id is in the prefix. */
int sk_exec_in_prefix(const sk_exec *ex, int id);
/* By default prefix nodes run one image at a time, so that the cache is bit-identical to the
 * uncached path. A caller that never uses the cache may run them batched instead (faster GEMMs;
 * results then differ from the cached path in the last bits). */
void sk_exec_set_prefix_batched(sk_exec *ex, int batched);
/* Runs only the prefix on n images; writes boundary (n, boundary floats), sample-major. */
void sk_exec_forward_prefix(sk_exec *ex, const float *input, int n, float *boundary);
/* Runs only the suffix from stored boundary tensors (n, boundary floats); same results as
 * sk_exec_forward on the images they came from. */
void sk_exec_forward_suffix(sk_exec *ex, const float *boundary, int n, int training,
                            uint64_t seed, uint64_t step);

/* Ranges of the parameter slab the optimizer may touch: trainable tensors of trainable nodes,
 * merged where contiguous. Returns the count; ranges (offset, length) pairs in floats, owned by
 * the executor. */
int sk_exec_trainable_ranges(const sk_exec *ex, const size_t **ranges);

/* Profiling: when set, the wall time of every node's forward and backward is ADDED to
 * fwd[id] / bwd[id] (arrays of g->n doubles owned by the caller; NULL turns it off). For the
 * speed benchmark; costs two clock reads per node. */
void sk_exec_set_profile(sk_exec *ex, double *fwd, double *bwd);
/* BatchNormalization + activation fusion (exec_fuse.c) for executors planned afterwards
 * (sk_exec_new): 0 runs them as separate passes; SK_FUSE_FORWARD (the default) fuses a BN into
 * its only relu/relu6/swish consumer's forward; SK_FUSE_BACKWARD as well has the BN backward
 * apply a relu/relu6 backward on the fly. The bits are the same in every mode. Backward fusion
 * is off by default: measured slower than the separate passes on DenseNet121 and MobileNetV2
 * at 224 px (README 'Adding an op'). For tests and the speed bench (SKYTUNE_BN_FUSE=0..3). Not
 * thread-safe: set it before planning. Returns the previous mode. */
enum { SK_FUSE_FORWARD = 1, SK_FUSE_BACKWARD = 2 };
int sk_exec_set_fuse(int mode);

#endif
