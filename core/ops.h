/* ops.h: every layer computation of the seven models, as forward/backward pairs (llm.c style).
 *
 * Layout NHWC float32, batch-major; kernels HWIO as Keras stores them. Backward functions
 * ACCUMULATE (+=) into their gradient outputs, so branches sum naturally; any gradient output
 * may be NULL when it is not needed (needs_grad), and then it is not computed.
 * The *_mode twins take `assign`, a bitmask over the input-gradient outputs (dinp = bit 0; for
 * several, the k-th input gradient is bit k): a set bit WRITES that gradient, ignoring what the
 * buffer held, with the bits accumulating into a buffer of +0.0f would give (every element is
 * +0.0f + its contribution(s), so a buffer of garbage is fine); parameter gradients (dkernel,
 * dbias, dgamma, dbeta) always accumulate. The plain names are the *_mode calls with assign 0.
 * The executor uses them so the first backward consumer of a tensor writes its gradient and
 * nothing zeroes it first. Every fast kernel
 * has a naive twin (suffix _ref) used only by tests. No allocation inside any of these; kernels
 * that need scratch take a `work` buffer whose size the matching *_workspace() returns (floats).
 * OpenMP only on outer loops with disjoint writes; no reduction whose result depends on the
 * thread count. Implementations: ops_conv.c, ops_norm.c, ops_elem.c, ops_pool.c, loss.c. */
#ifndef SK_OPS_H
#define SK_OPS_H

#include <stddef.h>
#include <stdint.h>

/* ---- convolution family ----
 * Geometry shared by Conv2D, DepthwiseConv2D, the pools and padding-aware kernels.
 * Padding is explicit: pt/pl rows/columns of zeros above/left; bottom/right follow from oh/ow
 * (TensorFlow 'same': total = max((oh-1)*s + k - h, 0), top = total/2, extra at the bottom). */
typedef struct {
    int n, h, w, c;     /* input */
    int oh, ow, oc;     /* output (oc = c for depthwise and pools) */
    int kh, kw;         /* kernel or pool window */
    int sh, sw;         /* strides */
    int pt, pl;         /* zero padding above / left */
} sk_conv_dims;

/* Fills oh, ow, pt, pl for Keras padding 'same' (same != 0) or 'valid'. */
void sk_conv_dims_pad(sk_conv_dims *d, int same);

/* Conv2D.  out (N,OH,OW,OC)  inp (N,H,W,C)  kernel (KH,KW,C,OC)  bias (OC) or NULL.
 * Through GEMM: 1x1 stride-1 unpadded directly, otherwise im2col into work. */
size_t sk_conv2d_workspace(const sk_conv_dims *d);
void sk_conv2d_forward(float *out, const float *inp, const float *kernel, const float *bias,
                       const sk_conv_dims *d, float *work);
/* The same, one GEMM per image: each image's output bits are a function of that image alone
 * (for a given BLAS thread count), whatever batch it is in. sk_conv2d_forward batches images
 * into one GEMM, and OpenBLAS rounds a row differently depending on M and the row's position,
 * so its bits depend on the batch. Use this one for frozen layers whose outputs must match a
 * frozen-prefix cache computed with other batches. Slower on small feature maps. */
void sk_conv2d_forward_per_image(float *out, const float *inp, const float *kernel,
                                 const float *bias, const sk_conv_dims *d, float *work);
/* dinp (N,H,W,C)  dkernel (KH,KW,C,OC)  dbias (OC): each may be NULL. */
void sk_conv2d_backward(float *dinp, float *dkernel, float *dbias, const float *dout,
                        const float *inp, const float *kernel, const sk_conv_dims *d, float *work);
void sk_conv2d_backward_mode(float *dinp, float *dkernel, float *dbias, const float *dout,
                             const float *inp, const float *kernel, const sk_conv_dims *d,
                             float *work, unsigned assign);
/* On the det backend convolutions run as implicit GEMMs (ops_conv.c); 0 makes them materialise
 * im2col chunks as the BLAS backends do, for benchmarks that compare both in one run. Returns
 * the previous setting. Not thread-safe: call between ops. */
int sk_conv2d_set_implicit(int on);
void sk_conv2d_forward_ref(float *out, const float *inp, const float *kernel, const float *bias,
                           const sk_conv_dims *d);
void sk_conv2d_backward_ref(float *dinp, float *dkernel, float *dbias, const float *dout,
                            const float *inp, const float *kernel, const sk_conv_dims *d);

/* DepthwiseConv2D, depth_multiplier 1.  out (N,OH,OW,C)  inp (N,H,W,C)  kernel (KH,KW,C)
 * bias (C) or NULL.  Direct loop vectorised over channels. */
void sk_dwconv2d_forward(float *out, const float *inp, const float *kernel, const float *bias,
                         const sk_conv_dims *d);
void sk_dwconv2d_backward(float *dinp, float *dkernel, float *dbias, const float *dout,
                          const float *inp, const float *kernel, const sk_conv_dims *d);
void sk_dwconv2d_backward_mode(float *dinp, float *dkernel, float *dbias, const float *dout,
                               const float *inp, const float *kernel, const sk_conv_dims *d,
                               unsigned assign);
void sk_dwconv2d_forward_ref(float *out, const float *inp, const float *kernel,
                             const float *bias, const sk_conv_dims *d);
void sk_dwconv2d_backward_ref(float *dinp, float *dkernel, float *dbias, const float *dout,
                              const float *inp, const float *kernel, const sk_conv_dims *d);

/* Dense.  out (N,OC)  inp (N,C)  kernel (C,OC)  bias (OC) or NULL. */
void sk_dense_forward(float *out, const float *inp, const float *kernel, const float *bias, int n,
                      int c, int oc);
void sk_dense_backward(float *dinp, float *dkernel, float *dbias, const float *dout,
                       const float *inp, const float *kernel, int n, int c, int oc);
void sk_dense_backward_mode(float *dinp, float *dkernel, float *dbias, const float *dout,
                            const float *inp, const float *kernel, int n, int c, int oc,
                            unsigned assign);
void sk_dense_forward_ref(float *out, const float *inp, const float *kernel, const float *bias,
                          int n, int c, int oc);
void sk_dense_backward_ref(float *dinp, float *dkernel, float *dbias, const float *dout,
                           const float *inp, const float *kernel, int n, int c, int oc);

/* ---- normalisation (m = N*H*W rows of c channels) ----
 * gamma / beta may be NULL (Keras scale=False / center=False): treated as ones / zeros. */

/* BatchNormalization, training mode: batch statistics. Writes mean (C) and invstd (C) =
 * 1/sqrt(var_biased + eps) for backward, and var_biased (C). Reductions in a fixed order. */
void sk_bn_forward_train(float *out, float *mean, float *var, float *invstd, const float *inp,
                         const float *gamma, const float *beta, size_t m, int c, float eps);
/* The moving-statistics update of TensorFlow's fused batch norm (FusedBatchNorm, CPU) as tf.keras
 * 2.x drives it: f = sk_bn_avg_factor(momentum), moving = (1 - f) * moving + f * batch, with
 * the batch variance Bessel-corrected (times m / (m - 1), in float) for the moving variance. */
/* Keras's exponential_avg_factor: float32(1.0 - momentum) with momentum the decimal the model
 * was written with (the shortest decimal that reads back as this float): 0.999f -> 0.001f. */
float sk_bn_avg_factor(float momentum);
void sk_bn_update_moving(float *moving_mean, float *moving_var, const float *mean,
                         const float *var_biased, size_t m, int c, float momentum);
void sk_bn_backward_train(float *dinp, float *dgamma, float *dbeta, const float *dout,
                          const float *inp, const float *mean, const float *invstd,
                          const float *gamma, size_t m, int c);
void sk_bn_backward_train_mode(float *dinp, float *dgamma, float *dbeta, const float *dout,
                               const float *inp, const float *mean, const float *invstd,
                               const float *gamma, size_t m, int c, unsigned assign);
/* Inference mode: moving statistics. */
void sk_bn_forward_infer(float *out, const float *inp, const float *gamma, const float *beta,
                         const float *moving_mean, const float *moving_var, size_t m, int c,
                         float eps);
void sk_bn_backward_infer(float *dinp, float *dgamma, float *dbeta, const float *dout,
                          const float *inp, const float *gamma, const float *moving_mean,
                          const float *moving_var, size_t m, int c, float eps);
void sk_bn_backward_infer_mode(float *dinp, float *dgamma, float *dbeta, const float *dout,
                               const float *inp, const float *gamma, const float *moving_mean,
                               const float *moving_var, size_t m, int c, float eps,
                               unsigned assign);
void sk_bn_forward_train_ref(float *out, float *mean, float *var, float *invstd,
                             const float *inp, const float *gamma, const float *beta, size_t m,
                             int c, float eps);
void sk_bn_backward_train_ref(float *dinp, float *dgamma, float *dbeta, const float *dout,
                              const float *inp, const float *mean, const float *invstd,
                              const float *gamma, size_t m, int c);

/* Rescaling: out = inp * scale + offset (n values). */
void sk_rescale_forward(float *out, const float *inp, size_t n, float scale, float offset);
void sk_rescale_backward(float *dinp, const float *dout, size_t n, float scale);
/* Keras Normalization (EfficientNet): out = (inp - mean) / max(sqrt(var), 1e-7) per channel. */
void sk_normalize_forward(float *out, const float *inp, const float *mean, const float *var,
                          size_t m, int c);
void sk_normalize_backward(float *dinp, const float *dout, const float *var, size_t m, int c);

/* ---- elementwise ---- */

typedef enum {
    SK_ACT_LINEAR = 0,
    SK_ACT_RELU,
    SK_ACT_RELU6,  /* ReLU(max_value=6) */
    SK_ACT_SWISH,  /* x * sigmoid(x) */
    SK_ACT_SIGMOID,
    SK_ACT_SOFTMAX, /* over the last axis */
    SK_ACT_COUNT
} sk_act;

/* Conv2D (above) followed by act (SK_ACT_LINEAR, RELU or RELU6), as Keras' Conv2D(activation=...):
 * on the det backend bias and activation are applied to each GEMM tile while it is in cache, with
 * the bits of sk_conv2d_forward followed by sk_act_forward. out may not alias inp. */
void sk_conv2d_forward_act(float *out, const float *inp, const float *kernel, const float *bias,
                           const sk_conv_dims *d, float *work, sk_act act);

const char *sk_act_name(sk_act a); /* Keras names: "linear", "relu", ... */

/* sk_bn_forward_infer then sk_act_forward (relu, relu6 or swish) on the same values, in one
 * pass over memory: bit-identical to the two calls (the executor's BN + activation fusion). */
void sk_bn_act_forward_infer(float *out, const float *inp, const float *gamma, const float *beta,
                             const float *moving_mean, const float *moving_var, size_t m, int c,
                             float eps, sk_act act);
/* sk_bn_forward_train then sk_act_forward (relu, relu6 or swish): the same statistics and
 * output bits, one pass over memory for the output. */
void sk_bn_act_forward_train(float *out, float *mean, float *var, float *invstd,
                             const float *inp, const float *gamma, const float *beta, size_t m,
                             int c, float eps, sk_act act);
/* sk_act_backward_mode (relu or relu6: output act_out, its gradient dact) into a buffer nobody
 * else writes, then sk_bn_backward_train_mode / sk_bn_backward_infer_mode on it, without the
 * buffer: dy is recomputed per chunk in cache. Bit-identical to the two calls; `assign` is the
 * BN backward's (its input gradient). */
void sk_bn_act_backward_train_mode(float *dinp, float *dgamma, float *dbeta, const float *dact,
                                   const float *act_out, sk_act act, const float *inp,
                                   const float *mean, const float *invstd, const float *gamma,
                                   size_t m, int c, unsigned assign);
void sk_bn_act_backward_infer_mode(float *dinp, float *dgamma, float *dbeta, const float *dact,
                                   const float *act_out, sk_act act, const float *inp,
                                   const float *gamma, const float *moving_mean,
                                   const float *moving_var, size_t m, int c, float eps,
                                   unsigned assign);
/* Elementwise activation of n values (not softmax). In place allowed (out == inp). */
void sk_act_forward(float *out, const float *inp, size_t n, sk_act act);
/* dinp += dout * act'(.) using inp (pre-activation) and out (post-activation).
 * Only swish reads inp (NULL is fine for the others, e.g. after an in-place forward). */
void sk_act_backward(float *dinp, const float *dout, const float *inp, const float *out, size_t n,
                     sk_act act);
void sk_act_backward_mode(float *dinp, const float *dout, const float *inp, const float *out,
                          size_t n, sk_act act, unsigned assign);
/* Softmax over rows of `cols` values; backward uses the output. */
void sk_softmax_forward(float *out, const float *inp, int rows, int cols);
void sk_softmax_backward(float *dinp, const float *dout, const float *out, int rows, int cols);
void sk_softmax_backward_mode(float *dinp, const float *dout, const float *out, int rows,
                              int cols, unsigned assign);

/* Add: out = a + b (n values). Backward is dout added to both (callers do it). */
void sk_add_forward(float *out, const float *a, const float *b, size_t n);
void sk_accumulate(float *dst, const float *src, size_t n); /* dst += src */
/* dst += src, or with assign (bit 0) dst = +0.0f + src. */
void sk_accumulate_mode(float *dst, const float *src, size_t n, unsigned assign);
void sk_zero(float *dst, size_t n);                            /* dst = +0.0f, threaded */

/* Multiply with squeeze-excite broadcast: out (N,HW,C) = x (N,HW,C) * s (N,C).
 * With hw == 1 it is the plain elementwise product of equal shapes. */
void sk_mul_bcast_forward(float *out, const float *x, const float *s, int n, size_t hw, int c);
void sk_mul_bcast_backward(float *dx, float *ds, const float *dout, const float *x,
                           const float *s, int n, size_t hw, int c);
/* assign bit 0: dx, bit 1: ds; dx is written before ds (dx == ds works with bit 1 clear). */
void sk_mul_bcast_backward_mode(float *dx, float *ds, const float *dout, const float *x,
                                const float *s, int n, size_t hw, int c, unsigned assign);

/* Concatenate along channels: out (M, sum c_i) from k inputs (M, c_i). */
void sk_concat_forward(float *out, const float *const *inps, const int *cs, int k, size_t m);
void sk_concat_backward(float *const *dinps, const float *dout, const int *cs, int k, size_t m);
/* assign bit i: dinps[i]; per row, inputs are handled in order, so a repeated input is fine
 * with only its first bit set. */
void sk_concat_backward_mode(float *const *dinps, const float *dout, const int *cs, int k,
                             size_t m, unsigned assign);

/* Dropout with Keras's inverted scaling: mask[u] = (uniform >= rate) / (1 - rate), one value per
 * unit of `unit` consecutive floats (unit = H*W*C for noise_shape (N,1,1,1), 1 otherwise).
 * Uniforms come from the Philox stream (seed, SK_RNG_DROPOUT, stream_index). */
void sk_dropout_mask(float *mask, size_t units, float rate, uint64_t seed, uint64_t stream_index);
void sk_dropout_forward(float *out, const float *inp, const float *mask, size_t units, size_t unit);
void sk_dropout_backward(float *dinp, const float *dout, const float *mask, size_t units,
                         size_t unit);
void sk_dropout_backward_mode(float *dinp, const float *dout, const float *mask, size_t units,
                              size_t unit, unsigned assign);

/* ---- spatial ---- */

/* ZeroPadding2D: out (N,H+t+b,W+l+r,C). Cropping2D: out (N,H-t-b,W-l-r,C). */
void sk_pad_forward(float *out, const float *inp, int n, int h, int w, int c, int t, int b, int l,
                    int r);
void sk_pad_backward(float *dinp, const float *dout, int n, int h, int w, int c, int t, int b,
                     int l, int r);
void sk_pad_backward_mode(float *dinp, const float *dout, int n, int h, int w, int c, int t,
                          int b, int l, int r, unsigned assign);
void sk_crop_forward(float *out, const float *inp, int n, int h, int w, int c, int t, int b, int l,
                     int r);
void sk_crop_backward(float *dinp, const float *dout, int n, int h, int w, int c, int t, int b,
                      int l, int r);

/* MaxPooling2D (padding cells never win; ties go to the first in row-major window order) and
 * AveragePooling2D (Keras 'same' divides by the number of non-padded cells). d->oc == d->c. */
void sk_maxpool_forward(float *out, const float *inp, const sk_conv_dims *d);
void sk_maxpool_backward(float *dinp, const float *dout, const float *inp, const sk_conv_dims *d);
void sk_avgpool_forward(float *out, const float *inp, const sk_conv_dims *d);
void sk_avgpool_backward(float *dinp, const float *dout, const sk_conv_dims *d);

/* GlobalAveragePooling2D: out (N,C)  inp (N,HW,C). */
void sk_gap_forward(float *out, const float *inp, int n, size_t hw, int c);
void sk_gap_backward(float *dinp, const float *dout, int n, size_t hw, int c);
void sk_gap_backward_mode(float *dinp, const float *dout, int n, size_t hw, int c,
                          unsigned assign);

/* ---- loss (loss.c) ----
 * Categorical cross-entropy of a softmax head, per-sample weights (class weights), reduced as
 * Keras SUM_OVER_BATCH_SIZE: loss = sum_i w_i * l_i / n.
 *
 * SK_XENT_LOGITS is what tf.keras 2.5+ model.fit computes for Dense(activation='softmax'): the
 * softmax output carries its logits (_keras_logits) and the loss becomes
 * softmax_cross_entropy_with_logits on them, with no clipping.
 * SK_XENT_CLIPPED is the backend formula on probabilities: p / sum(p), clipped to
 * [1e-7, 1 - 1e-7], -sum(y log p) (Keras eager mode, or a softmax that is not the last op). */
typedef enum { SK_XENT_LOGITS = 0, SK_XENT_CLIPPED = 1 } sk_xent_mode;

/* logits (N,K) pre-softmax; probs (N,K) their softmax; labels (N) class ids; weights (N) or NULL
 * (= 1). LOGITS mode reads only logits, CLIPPED mode only probs (the other may be NULL).
 * Returns the reduced loss (double accumulation in sample order). If dlogits != NULL, writes
 * (not accumulates) the gradient of the reduced loss w.r.t. the logits. */
double sk_xent_forward_backward(float *dlogits, const float *logits, const float *probs,
                                const int32_t *labels, const float *weights, int n, int k,
                                sk_xent_mode mode);

#endif
