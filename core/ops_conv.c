/* ops_conv.c: Conv2D, DepthwiseConv2D and Dense, forward and backward, with naive twins.
 *
 * NHWC activations, HWIO kernels (Keras storage), so a convolution is
 *   out(n*OH*OW, OC) = col(n*OH*OW, KH*KW*C) * kernel(KH*KW*C, OC)
 * where col is the im2col matrix. 1x1/stride-1/unpadded convolutions and Dense skip im2col.
 * On the det backend (the default) col is never materialised: sk_sgemm_det_patches reads each
 * window in place (an implicit GEMM whose bits are those of im2col + GEMM), the kernel gradient
 * is the transposed implicit GEMM, and the input gradient of a stride-1 convolution is the
 * implicit GEMM of the transposed convolution (one fma chain per element). On the BLAS backends,
 * and for det's strided input gradients, images are processed in im2col chunks that fit
 * SK_CONV_WORK_CAP floats; the per-image forward runs one GEMM per image, so an image's bits do
 * not depend on its batch even with a BLAS whose rows depend on M.
 * Invariants: backward accumulates (+=), or assigns with the bits of accumulating into zeros
 * (the *_mode twins: GEMM beta 0, col2im and depthwise rows zeroed by their thread); every reduction not done by the GEMM runs in a fixed
 * order (col2im is a gather over input pixels, depthwise dkernel is reduced per fixed (image
 * group, channel block) and the partials are combined in group order), so these kernels give
 * the same bits for any thread count. sk_sgemm is never called inside an OpenMP region.
 * GEMM-backed results are thread-count independent with "det" and differ between OpenBLAS
 * thread counts (measured: every sgemm shape tried).
 * Not here: SeparableConv2D (the graph composes depthwise + 1x1), activations. */
#include "ops.h"
#include "ops_internal.h"
#include "gemm.h"
#include "gemm_det.h"
#include "sk_common.h"

#include <string.h>

/* Upper bound on the im2col chunk (floats, 16 MiB); one image is always allowed. */
#define SK_CONV_WORK_CAP ((size_t)1 << 22)

void sk_conv_dims_pad(sk_conv_dims *d, int same)
{
    SK_ASSERT(d->h > 0 && d->w > 0 && d->kh > 0 && d->kw > 0 && d->sh > 0 && d->sw > 0);
    if (same) {
        d->oh = (d->h + d->sh - 1) / d->sh;
        d->ow = (d->w + d->sw - 1) / d->sw;
        int th = (d->oh - 1) * d->sh + d->kh - d->h;
        int tw = (d->ow - 1) * d->sw + d->kw - d->w;
        d->pt = th > 0 ? th / 2 : 0;
        d->pl = tw > 0 ? tw / 2 : 0;
    } else {
        SK_ASSERT_MSG(d->h >= d->kh && d->w >= d->kw, "valid padding: window larger than input");
        d->oh = (d->h - d->kh) / d->sh + 1;
        d->ow = (d->w - d->kw) / d->sw + 1;
        d->pt = 0;
        d->pl = 0;
    }
}

static void check_dims(const sk_conv_dims *d)
{
    SK_ASSERT(d->n > 0 && d->h > 0 && d->w > 0 && d->c > 0);
    SK_ASSERT(d->oh > 0 && d->ow > 0 && d->oc > 0);
    SK_ASSERT(d->kh > 0 && d->kw > 0 && d->sh > 0 && d->sw > 0);
    SK_ASSERT(d->pt >= 0 && d->pl >= 0 && d->pt < d->kh && d->pl < d->kw);
}

static int is_direct_1x1(const sk_conv_dims *d)
{
    return d->kh == 1 && d->kw == 1 && d->sh == 1 && d->sw == 1 && d->pt == 0 && d->pl == 0 &&
           d->oh == d->h && d->ow == d->w;
}

/* Images per im2col chunk. */
static int conv_chunk(const sk_conv_dims *d)
{
    size_t per = (size_t)d->oh * d->ow * d->kh * d->kw * d->c;
    size_t nb = SK_CONV_WORK_CAP / per;
    if (nb < 1) nb = 1;
    if (nb > (size_t)d->n) nb = (size_t)d->n;
    return (int)nb;
}

size_t sk_conv2d_workspace(const sk_conv_dims *d)
{
    check_dims(d);
    if (is_direct_1x1(d)) return 0;
    /* im2col chunks (BLAS backends; det's strided input gradient), or det's transposed kernel */
    size_t col = (size_t)conv_chunk(d) * d->oh * d->ow * d->kh * d->kw * d->c;
    size_t kt = (size_t)d->kh * d->kw * d->c * d->oc;
    return col > kt ? col : kt;
}

/* One im2col row: the KH*KW*C window of output pixel (oh, ow) of image ib. */
static void im2col_pixel(float *dst, const float *ib, const sk_conv_dims *d, int oh, int ow)
{
    const int C = d->c, KW = d->kw;
    for (int ki = 0; ki < d->kh; ki++) {
        int ih = oh * d->sh - d->pt + ki;
        float *drow = dst + (size_t)ki * KW * C;
        if (ih < 0 || ih >= d->h) {
            memset(drow, 0, sizeof(float) * KW * C);
            continue;
        }
        int iw0 = ow * d->sw - d->pl;
        if (iw0 >= 0 && iw0 + KW <= d->w) {
            memcpy(drow, ib + ((size_t)ih * d->w + iw0) * C, sizeof(float) * KW * C);
            continue;
        }
        for (int kj = 0; kj < KW; kj++) {
            int iw = iw0 + kj;
            if (iw < 0 || iw >= d->w)
                memset(drow + (size_t)kj * C, 0, sizeof(float) * C);
            else
                memcpy(drow + (size_t)kj * C, ib + ((size_t)ih * d->w + iw) * C,
                       sizeof(float) * C);
        }
    }
}

/* col (nb*OH*OW, KH*KW*C) from images n0..n0+nb of inp (zeros where the window is padding). */
static void im2col(float *col, const float *inp, const sk_conv_dims *d, int n0, int nb)
{
    const int OW = d->ow, OH = d->oh;
    const size_t K = (size_t)d->kh * d->kw * d->c;
    const int rows = nb * OH;
    SK_OMP_FOR_IF((size_t)rows * OW * K >= SK_OMP_MIN_WORK)
    for (int r = 0; r < rows; r++) {
        int img = r / OH, oh = r % OH;
        const float *ib = inp + (size_t)(n0 + img) * d->h * d->w * d->c;
        for (int ow = 0; ow < OW; ow++) im2col_pixel(col + ((size_t)r * OW + ow) * K, ib, d, oh, ow);
    }
}

/* dinp(images n0..) += col2im(dcol): a gather over input pixels, so each thread writes its own
 * rows and every pixel sums its contributions in (ki, kj) order. With assign, each row is zeroed
 * first by the thread that owns it (in cache, instead of a separate pass over dinp). */
static void col2im_acc(float *dinp, const float *dcol, const sk_conv_dims *d, int n0, int nb,
                       int assign)
{
    const int C = d->c, KW = d->kw, OW = d->ow, OH = d->oh;
    const size_t K = (size_t)d->kh * KW * C;
    const int rows = nb * d->h;
    SK_OMP_FOR_IF((size_t)rows * d->w * K >= SK_OMP_MIN_WORK)
    for (int r = 0; r < rows; r++) {
        int img = r / d->h, ih = r % d->h;
        float *drow = dinp + ((size_t)(n0 + img) * d->h + ih) * d->w * C;
        const float *cb = dcol + (size_t)img * OH * OW * K;
        if (assign) memset(drow, 0, sizeof(float) * d->w * C);
        for (int ki = 0; ki < d->kh; ki++) {
            int t = ih + d->pt - ki;
            if (t < 0 || t % d->sh) continue;
            int oh = t / d->sh;
            if (oh >= OH) continue;
            for (int iw = 0; iw < d->w; iw++) {
                float *dp = drow + (size_t)iw * C;
                for (int kj = 0; kj < KW; kj++) {
                    int u = iw + d->pl - kj;
                    if (u < 0 || u % d->sw) continue;
                    int ow = u / d->sw;
                    if (ow >= OW) continue;
                    const float *s = cb + ((size_t)oh * OW + ow) * K + ((size_t)ki * KW + kj) * C;
                    for (int c = 0; c < C; c++) dp[c] += s[c];
                }
            }
        }
    }
}

static int g_implicit = 1;

int sk_conv2d_set_implicit(int on)
{
    int prev = g_implicit;
    g_implicit = !!on;
    return prev;
}

/* Implicit GEMMs: on the det backend, for windows of at least SK_CONV_IMPLICIT_MIN_C channels
 * per tap (below that the per-tap pointer switches cost more than im2col's copy: measured on the
 * 7x7x3 stems), unless a benchmark turned them off. */
#define SK_CONV_IMPLICIT_MIN_C 16
static int use_implicit(const sk_conv_dims *d)
{
    return g_implicit && d->c >= SK_CONV_IMPLICIT_MIN_C && sk_gemm_row_invariant();
}

/* The im2col geometry of convolution d over inp (det backend). */
static sk_det_patches patches_of(const float *inp, const sk_conv_dims *d)
{
    sk_det_patches P = {inp, d->n, d->h, d->w, d->c, d->oh, d->ow, d->kh,
                        d->kw, d->sh, d->sw, d->pt, d->pl};
    return P;
}

/* dinp += the input gradient of a stride-1 convolution on the det backend, as one implicit GEMM:
 * the transposed convolution of dout (taps flipped, padding kh-1-pt, kw-1-pl) with the kernel
 * transposed per tap into work (KH*KW*OC x C). Every input-gradient element is one fused
 * multiply-add chain over (tap, output channel), continuing from dinp's value (beta 1) or from
 * +0.0f (beta 0: assign). */
static void conv_dinp_det(float *dinp, const float *dout, const float *kernel,
                          const sk_conv_dims *d, float *work, float beta)
{
    const int C = d->c, OC = d->oc, KH = d->kh, KW = d->kw;
    SK_ASSERT(d->sh == 1 && d->sw == 1 && work != NULL);
    /* transposed in 32 x 32 blocks: both sides stay in cache lines */
    const int cb = (C + 31) / 32, items = KH * KW * cb;
    SK_OMP_FOR_IF((size_t)KH * KW * C * OC >= SK_OMP_MIN_WORK)
    for (int it = 0; it < items; it++) {
        const int t = it / cb, c0 = (it % cb) * 32, c1 = c0 + 32 < C ? c0 + 32 : C;
        const float *ks = kernel + (size_t)(KH * KW - 1 - t) * C * OC; /* flipped tap */
        float *kd = work + (size_t)t * OC * C;
        for (int o0 = 0; o0 < OC; o0 += 32) {
            const int o1 = o0 + 32 < OC ? o0 + 32 : OC;
            for (int o = o0; o < o1; o++)
                for (int c = c0; c < c1; c++) kd[(size_t)o * C + c] = ks[(size_t)c * OC + o];
        }
    }
    sk_det_patches P = {dout, d->n, d->oh, d->ow, OC, d->h, d->w, KH,
                        KW, 1, 1, KH - 1 - d->pt, KW - 1 - d->pl};
    sk_sgemm_det_patches(&P, C, work, C, beta, dinp, C);
}

static void add_bias_rows(float *out, const float *bias, size_t rows, int oc)
{
    if (!bias) return;
    SK_OMP_FOR_IF(rows * (size_t)oc >= SK_OMP_MIN_WORK)
    for (size_t r = 0; r < rows; r++) {
        float *o = out + r * oc;
        for (int j = 0; j < oc; j++) o[j] += bias[j];
    }
}

/* The GEMM epilogue for bias + act (linear, relu, relu6), or NULL when there is nothing to do. */
static const sk_det_epilogue *epilogue_of(sk_det_epilogue *ep, const float *bias, sk_act act)
{
    SK_ASSERT_MSG(act == SK_ACT_LINEAR || act == SK_ACT_RELU || act == SK_ACT_RELU6,
                  "convolution epilogues take linear, relu or relu6");
    ep->bias = bias;
    ep->act = act == SK_ACT_RELU ? SK_DET_EP_RELU : act == SK_ACT_RELU6 ? SK_DET_EP_RELU6 : SK_DET_EP_LINEAR;
    return bias || act != SK_ACT_LINEAR ? ep : NULL;
}

/* per_image: one GEMM per image, so an image's output bits do not depend on the batch it is in
 * (OpenBLAS rounds a row differently depending on M and the row's position). On the det backend
 * the bias and the activation are the GEMM's epilogue, applied to each tile while it is in
 * cache; elsewhere they are passes over out. The bits are the same either way. */
static void conv_forward(float *out, const float *inp, const float *kernel, const float *bias,
                         const sk_conv_dims *d, float *work, int per_image, sk_act act)
{
    check_dims(d);
    const int OC = d->oc;
    const size_t ohw = (size_t)d->oh * d->ow;
    sk_det_epilogue eps;
    const sk_det_epilogue *ep = epilogue_of(&eps, bias, act);
    if (is_direct_1x1(d) && ep && !per_image && sk_gemm_row_invariant()) {
        sk_sgemm_det_ep((int)(d->n * ohw), OC, d->c, inp, d->c, kernel, OC, out, OC, ep);
        return;
    }
    if (use_implicit(d)) {
        /* det: an implicit-GEMM convolution reading the windows in place, the bits of im2col +
         * GEMM (a row's bits depend on nothing else, so per_image changes nothing) */
        sk_det_patches P = patches_of(inp, d);
        if (ep) sk_sgemm_det_patches_ep(&P, OC, kernel, OC, out, OC, ep);
        else sk_sgemm_det_patches(&P, OC, kernel, OC, 0.0f, out, OC);
        return;
    }
    if (is_direct_1x1(d)) {
        if (per_image)
            for (int i = 0; i < d->n; i++)
                sk_sgemm(0, 0, (int)ohw, OC, d->c, 1.0f, inp + (size_t)i * ohw * d->c, d->c,
                         kernel, OC, 0.0f, out + (size_t)i * ohw * OC, OC);
        else
            sk_sgemm(0, 0, (int)(d->n * ohw), OC, d->c, 1.0f, inp, d->c, kernel, OC, 0.0f, out,
                     OC);
    } else {
        SK_ASSERT(work != NULL);
        const int K = d->kh * d->kw * d->c;
        const int chunk = conv_chunk(d);
        for (int n0 = 0; n0 < d->n; n0 += chunk) {
            int nb = d->n - n0 < chunk ? d->n - n0 : chunk;
            im2col(work, inp, d, n0, nb);
            if (per_image)
                for (int i = 0; i < nb; i++)
                    sk_sgemm(0, 0, (int)ohw, OC, K, 1.0f, work + (size_t)i * ohw * K, K, kernel,
                             OC, 0.0f, out + (size_t)(n0 + i) * ohw * OC, OC);
            else
                sk_sgemm(0, 0, (int)(nb * ohw), OC, K, 1.0f, work, K, kernel, OC, 0.0f,
                         out + (size_t)n0 * ohw * OC, OC);
        }
    }
    add_bias_rows(out, bias, (size_t)d->n * ohw, OC);
    if (act != SK_ACT_LINEAR) sk_act_forward(out, out, (size_t)d->n * ohw * OC, act);
}

void sk_conv2d_forward(float *out, const float *inp, const float *kernel, const float *bias,
                       const sk_conv_dims *d, float *work)
{
    conv_forward(out, inp, kernel, bias, d, work, 0, SK_ACT_LINEAR);
}

void sk_conv2d_forward_act(float *out, const float *inp, const float *kernel, const float *bias,
                           const sk_conv_dims *d, float *work, sk_act act)
{
    conv_forward(out, inp, kernel, bias, d, work, 0, act);
}

void sk_conv2d_forward_per_image(float *out, const float *inp, const float *kernel,
                                 const float *bias, const sk_conv_dims *d, float *work)
{
    conv_forward(out, inp, kernel, bias, d, work, 1, SK_ACT_LINEAR);
}

void sk_conv2d_backward(float *dinp, float *dkernel, float *dbias, const float *dout,
                        const float *inp, const float *kernel, const sk_conv_dims *d, float *work)
{
    sk_conv2d_backward_mode(dinp, dkernel, dbias, dout, inp, kernel, d, work, 0);
}

/* dinp's GEMM beta: 0 starts every chain at +0.0f, the bits of beta 1 on a zeroed dinp. */
void sk_conv2d_backward_mode(float *dinp, float *dkernel, float *dbias, const float *dout,
                             const float *inp, const float *kernel, const sk_conv_dims *d,
                             float *work, unsigned assign)
{
    check_dims(d);
    const int OC = d->oc, C = d->c, set = (int)(assign & 1u);
    const float beta = set ? 0.0f : 1.0f;
    const size_t ohw = (size_t)d->oh * d->ow;
    if (dbias) sk_ops_colsum_acc(dbias, dout, (size_t)d->n * ohw, OC);
    if (!dinp && !dkernel) return;
    if (is_direct_1x1(d)) {
        const int M = (int)(d->n * ohw);
        if (dkernel) sk_sgemm(1, 0, C, OC, M, 1.0f, inp, C, dout, OC, 1.0f, dkernel, OC);
        if (dinp) sk_sgemm(0, 1, M, C, OC, 1.0f, dout, OC, kernel, OC, beta, dinp, C);
        return;
    }
    SK_ASSERT(work != NULL);
    if (use_implicit(d)) {
        /* det: implicit GEMMs; dkernel keeps the bits of im2col + GEMM (one chain over the
         * output pixels in order, continuing from dkernel) */
        sk_det_patches P = patches_of(inp, d);
        if (dkernel) sk_sgemm_det_patches_t(&P, OC, dout, OC, 1.0f, dkernel, OC);
        if (!dinp) return;
        if (d->sh == 1 && d->sw == 1) {
            conv_dinp_det(dinp, dout, kernel, d, work, beta);
            return;
        }
        dkernel = NULL; /* stride > 1: the input gradient below, through col2im */
    }
    const int K = d->kh * d->kw * C;
    const int chunk = conv_chunk(d);
    for (int n0 = 0; n0 < d->n; n0 += chunk) {
        int nb = d->n - n0 < chunk ? d->n - n0 : chunk;
        const int M = (int)(nb * ohw);
        const float *dob = dout + (size_t)n0 * ohw * OC;
        if (dkernel) {
            im2col(work, inp, d, n0, nb);
            sk_sgemm(1, 0, K, OC, M, 1.0f, work, K, dob, OC, 1.0f, dkernel, OC);
        }
        if (dinp) {
            sk_sgemm(0, 1, M, K, OC, 1.0f, dob, OC, kernel, OC, 0.0f, work, K);
            col2im_acc(dinp, work, d, n0, nb, set);
        }
    }
}

void sk_conv2d_forward_ref(float *out, const float *inp, const float *kernel, const float *bias,
                           const sk_conv_dims *d)
{
    check_dims(d);
    for (int n = 0; n < d->n; n++)
        for (int oh = 0; oh < d->oh; oh++)
            for (int ow = 0; ow < d->ow; ow++)
                for (int o = 0; o < d->oc; o++) {
                    double acc = bias ? bias[o] : 0.0;
                    for (int ki = 0; ki < d->kh; ki++)
                        for (int kj = 0; kj < d->kw; kj++) {
                            int ih = oh * d->sh - d->pt + ki, iw = ow * d->sw - d->pl + kj;
                            if (ih < 0 || ih >= d->h || iw < 0 || iw >= d->w) continue;
                            for (int c = 0; c < d->c; c++)
                                acc += (double)
                                           inp[(((size_t)n * d->h + ih) * d->w + iw) * d->c + c] *
                                       kernel[(((size_t)ki * d->kw + kj) * d->c + c) * d->oc + o];
                        }
                    out[(((size_t)n * d->oh + oh) * d->ow + ow) * d->oc + o] = (float)acc;
                }
}

void sk_conv2d_backward_ref(float *dinp, float *dkernel, float *dbias, const float *dout,
                            const float *inp, const float *kernel, const sk_conv_dims *d)
{
    check_dims(d);
    for (int n = 0; n < d->n; n++)
        for (int oh = 0; oh < d->oh; oh++)
            for (int ow = 0; ow < d->ow; ow++)
                for (int o = 0; o < d->oc; o++) {
                    float g = dout[(((size_t)n * d->oh + oh) * d->ow + ow) * d->oc + o];
                    if (dbias) dbias[o] += g;
                    for (int ki = 0; ki < d->kh; ki++)
                        for (int kj = 0; kj < d->kw; kj++) {
                            int ih = oh * d->sh - d->pt + ki, iw = ow * d->sw - d->pl + kj;
                            if (ih < 0 || ih >= d->h || iw < 0 || iw >= d->w) continue;
                            for (int c = 0; c < d->c; c++) {
                                size_t ii = (((size_t)n * d->h + ih) * d->w + iw) * d->c + c;
                                size_t kk = (((size_t)ki * d->kw + kj) * d->c + c) * d->oc + o;
                                if (dinp) dinp[ii] += g * kernel[kk];
                                if (dkernel) dkernel[kk] += g * inp[ii];
                            }
                        }
                }
}

/* ---- depthwise ---- */

/* Output columns ow with 0 <= ow * sw - pl + kj < w: [*ow0, *ow1). */
static inline void dw_ow_range(const sk_conv_dims *d, int kj, int *ow0, int *ow1)
{
    int lo = d->pl - kj, hi = d->w - 1 + d->pl - kj;
    *ow0 = lo <= 0 ? 0 : (lo + d->sw - 1) / d->sw;
    *ow1 = hi < 0 ? 0 : hi / d->sw + 1;
    if (*ow1 > d->ow) *ow1 = d->ow;
}

/* Output row r = (n, oh) of the depthwise forward. Per output value: bias (or +0.0f), then the
 * valid taps in row-major (ki, kj) order, each a float multiply then a float add (no FMA, see
 * SK_OPS_CLONES); the same bits whether the image is alone or in a batch. The accumulators stay
 * in registers (one store per output): DW_P pixels at a time in the interior of the row (every
 * column tap valid), one at a time at its borders; DW_V channels at a time, then scalars. */
#define DW_V 16
#define DW_P 4
typedef float dw_vec __attribute__((vector_size(DW_V * sizeof(float)), aligned(sizeof(float))));

/* Strides and valid tap ranges of one output row. */
typedef struct {
    int c, cv;      /* channels, channels done DW_V at a time */
    size_t rs, kws; /* input row stride, kernel row stride (floats) */
    int nki;        /* valid kernel rows */
} dw_row;

/* One output pixel from channel c0 on: ip = its input at the first valid tap, kp = that tap's
 * kernel row, nkj valid column taps. */
static inline void dw_fwd_pixel(float *restrict op, const float *restrict ip,
                                const float *restrict kp, const float *restrict bias,
                                const dw_row *q, int nkj, int c0)
{
    const int C = q->c;
    int c = c0;
    for (; c < q->cv; c += DW_V) {
        dw_vec acc = {0};
        if (bias) acc = *(const dw_vec *)(bias + c);
        for (int ki = 0; ki < q->nki; ki++)
            for (int kj = 0; kj < nkj; kj++)
                acc += *(const dw_vec *)(ip + ki * q->rs + (size_t)kj * C + c) *
                       *(const dw_vec *)(kp + ki * q->kws + (size_t)kj * C + c);
        *(dw_vec *)(op + c) = acc;
    }
    for (; c < C; c++) {
        float acc = bias ? bias[c] : 0.0f;
        for (int ki = 0; ki < q->nki; ki++)
            for (int kj = 0; kj < nkj; kj++)
                acc += ip[ki * q->rs + (size_t)kj * C + c] * kp[ki * q->kws + (size_t)kj * C + c];
        op[c] = acc;
    }
}

/* DW_P interior output pixels, vector channels only; ps = input pixel stride (sw * C). */
static inline void dw_fwd_block(float *restrict op, const float *restrict ip,
                                const float *restrict kp, const float *restrict bias,
                                const dw_row *q, int kw, size_t ps)
{
    const int C = q->c;
    for (int c = 0; c < q->cv; c += DW_V) {
        dw_vec a0 = {0};
        if (bias) a0 = *(const dw_vec *)(bias + c);
        dw_vec a1 = a0, a2 = a0, a3 = a0;
        for (int ki = 0; ki < q->nki; ki++) {
            const float *kr = kp + ki * q->kws + c, *ir = ip + ki * q->rs + c;
            for (int kj = 0; kj < kw; kj++, kr += C, ir += C) {
                const dw_vec k = *(const dw_vec *)kr;
                a0 += *(const dw_vec *)ir * k;
                a1 += *(const dw_vec *)(ir + ps) * k;
                a2 += *(const dw_vec *)(ir + 2 * ps) * k;
                a3 += *(const dw_vec *)(ir + 3 * ps) * k;
            }
        }
        *(dw_vec *)(op + c) = a0;
        *(dw_vec *)(op + C + c) = a1;
        *(dw_vec *)(op + 2 * (size_t)C + c) = a2;
        *(dw_vec *)(op + 3 * (size_t)C + c) = a3;
    }
}

SK_OPS_CLONES static void dw_fwd_row(float *restrict o, const float *restrict inp,
                                     const float *restrict kernel, const float *restrict bias,
                                     const sk_conv_dims *d, int r)
{
    const int C = d->c, n = r / d->oh, oh = r % d->oh;
    int ki0 = d->pt - oh * d->sh, ki1 = d->h + d->pt - oh * d->sh;
    if (ki0 < 0) ki0 = 0;
    if (ki1 > d->kh) ki1 = d->kh;
    if (ki1 < ki0) ki1 = ki0; /* no valid row (padding taller than the kernel): bias only */
    const dw_row q = {C, C - C % DW_V, (size_t)d->w * C, (size_t)d->kw * C, ki1 - ki0};
    /* input row of tap ki0, and the kernel row ki0 (not read when no row is valid) */
    const size_t ih0 = ki1 > ki0 ? (size_t)(oh * d->sh - d->pt + ki0) : 0;
    const float *ir = inp + ((size_t)n * d->h + ih0) * q.rs;
    const float *kr = kernel + (size_t)ki0 * q.kws;
    const size_t ps = (size_t)d->sw * C;
    /* interior [a0, a1): 0 <= ow*sw - pl and ow*sw - pl + kw <= w */
    int a0 = (d->pl + d->sw - 1) / d->sw, t = d->w - d->kw + d->pl;
    int a1 = t < 0 ? 0 : t / d->sw + 1;
    if (a1 > d->ow) a1 = d->ow;
    if (a0 > a1) a0 = a1;
    for (int ow = 0; ow < d->ow;) {
        float *op = o + (size_t)ow * C;
        if (ow >= a0 && ow + DW_P <= a1) {
            const float *ip = ir + (size_t)(ow * d->sw - d->pl) * C;
            dw_fwd_block(op, ip, kr, bias, &q, d->kw, ps);
            for (int p = 0; q.cv < C && p < DW_P; p++)
                dw_fwd_pixel(op + (size_t)p * C, ip + p * ps, kr, bias, &q, d->kw, q.cv);
            ow += DW_P;
            continue;
        }
        int kj0 = d->pl - ow * d->sw, kj1 = d->w + d->pl - ow * d->sw;
        if (kj0 < 0) kj0 = 0;
        if (kj1 > d->kw) kj1 = d->kw;
        if (kj1 > kj0)
            dw_fwd_pixel(op, ir + (size_t)(ow * d->sw - d->pl + kj0) * C, kr + (size_t)kj0 * C,
                         bias, &q, kj1 - kj0, 0);
        else /* no valid column tap (only with a padding wider than the kernel) */
            dw_fwd_pixel(op, ir, kr, bias, &q, 0, 0);
        ow++;
    }
}

void sk_dwconv2d_forward(float *out, const float *inp, const float *kernel, const float *bias,
                         const sk_conv_dims *d)
{
    check_dims(d);
    SK_ASSERT(d->oc == d->c);
    const int C = d->c;
    const int rows = d->n * d->oh;
    SK_OMP_FOR_IF((size_t)rows * d->ow * C * d->kh * d->kw >= SK_OMP_MIN_WORK)
    for (int r = 0; r < rows; r++)
        dw_fwd_row(out + (size_t)r * d->ow * C, inp, kernel, bias, d, r);
}

/* Input row r = (n, ih) of dinp: every pixel gathers its contributions in (ki, kj) order, so the
 * thread that owns the row never changes its bits. With assign the row is zeroed first (in
 * cache: it is the bits of accumulating into a zeroed dinp). */
SK_OPS_CLONES static void dw_dinp_row(float *restrict drow, const float *restrict dout,
                                      const float *restrict kernel, const sk_conv_dims *d, int r,
                                      int assign)
{
    const int C = d->c;
    if (assign) memset(drow, 0, sizeof(float) * d->w * C);
    int n = r / d->h, ih = r % d->h;
    const float *db = dout + (size_t)n * d->oh * d->ow * C;
    for (int ki = 0; ki < d->kh; ki++) {
        int t = ih + d->pt - ki;
        if (t < 0 || t % d->sh) continue;
        int oh = t / d->sh;
        if (oh >= d->oh) continue;
        const float *gr = db + (size_t)oh * d->ow * C;
        for (int kj = 0; kj < d->kw; kj++) {
            int ow0, ow1;
            dw_ow_range(d, kj, &ow0, &ow1);
            const float *kp = kernel + ((size_t)ki * d->kw + kj) * C;
            for (int ow = ow0; ow < ow1; ow++) {
                float *dp = drow + (size_t)(ow * d->sw - d->pl + kj) * C;
                const float *g = gr + (size_t)ow * C;
                for (int c = 0; c < C; c++) dp[c] += g[c] * kp[c];
            }
        }
    }
}

/* acc[k * cn + j] += the kernel gradient of tap k, channel c0 + j, over images [n0, n1):
 * per (image, output row, tap) the row is summed over ow in float, then folded in double. */
SK_OPS_CLONES static void dw_dkernel_part(double *restrict acc, const float *restrict dout,
                                          const float *restrict inp, const sk_conv_dims *d,
                                          int n0, int n1, int c0, int cn)
{
    const int C = d->c;
    for (int n = n0; n < n1; n++) {
        const float *ib = inp + (size_t)n * d->h * d->w * C + c0;
        for (int oh = 0; oh < d->oh; oh++) {
            const float *gr = dout + ((size_t)n * d->oh + oh) * d->ow * C + c0;
            for (int ki = 0; ki < d->kh; ki++) {
                int ih = oh * d->sh - d->pt + ki;
                if (ih < 0 || ih >= d->h) continue;
                const float *ir = ib + (size_t)ih * d->w * C;
                for (int kj = 0; kj < d->kw; kj++) {
                    int ow0, ow1;
                    dw_ow_range(d, kj, &ow0, &ow1);
                    double *ak = acc + (size_t)(ki * d->kw + kj) * cn;
                    float s[SK_OPS_CBLOCK] = {0};
                    if (cn == SK_OPS_CBLOCK) {
                        for (int ow = ow0; ow < ow1; ow++) {
                            const float *g = gr + (size_t)ow * C;
                            const float *ip = ir + (size_t)(ow * d->sw - d->pl + kj) * C;
                            for (int j = 0; j < SK_OPS_CBLOCK; j++) s[j] += g[j] * ip[j];
                        }
                    } else {
                        for (int ow = ow0; ow < ow1; ow++) {
                            const float *g = gr + (size_t)ow * C;
                            const float *ip = ir + (size_t)(ow * d->sw - d->pl + kj) * C;
                            for (int j = 0; j < cn; j++) s[j] += g[j] * ip[j];
                        }
                    }
                    for (int j = 0; j < cn; j++) ak[j] += s[j];
                }
            }
        }
    }
}

/* Images per dkernel group: at most 8 groups, a function of the batch size only. */
static int dw_group(int n) { return (n + 7) / 8; }

void sk_dwconv2d_backward(float *dinp, float *dkernel, float *dbias, const float *dout,
                          const float *inp, const float *kernel, const sk_conv_dims *d)
{
    sk_dwconv2d_backward_mode(dinp, dkernel, dbias, dout, inp, kernel, d, 0);
}

void sk_dwconv2d_backward_mode(float *dinp, float *dkernel, float *dbias, const float *dout,
                               const float *inp, const float *kernel, const sk_conv_dims *d,
                               unsigned assign)
{
    check_dims(d);
    const int set = (int)(assign & 1u);
    SK_ASSERT(d->oc == d->c);
    const int C = d->c, KHW = d->kh * d->kw;
    if (dbias) sk_ops_colsum_acc(dbias, dout, (size_t)d->n * d->oh * d->ow, C);
    if (dinp) {
        const int rows = d->n * d->h;
        SK_OMP_FOR_IF((size_t)rows * d->w * C * KHW >= SK_OMP_MIN_WORK)
        for (int r = 0; r < rows; r++)
            dw_dinp_row(dinp + (size_t)r * d->w * C, dout, kernel, d, r, set);
    }
    if (dkernel) {
        /* items (image group, channel block), each reduced in (n, oh) order into its own
         * partial; partials are combined in group order: the same bits for any thread count */
        const int G = dw_group(d->n), ng = (d->n + G - 1) / G;
        const int nblk = (C + SK_OPS_CBLOCK - 1) / SK_OPS_CBLOCK, items = ng * nblk;
        double *part = sk_ops_scratch((size_t)ng * KHW * C * sizeof(double));
        SK_OMP_FOR_IF((size_t)d->n * d->oh * d->ow * C * KHW >= SK_OMP_MIN_WORK)
        for (int it = 0; it < items; it++) {
            const int g = it / nblk, c0 = (it % nblk) * SK_OPS_CBLOCK;
            const int cn = C - c0 < SK_OPS_CBLOCK ? C - c0 : SK_OPS_CBLOCK;
            const int n0 = g * G, n1 = n0 + G < d->n ? n0 + G : d->n;
            /* block (g, c0) occupies KHW * cn doubles at offset g*KHW*C + c0*KHW */
            double *acc = part + (size_t)g * KHW * C + (size_t)c0 * KHW;
            memset(acc, 0, (size_t)KHW * cn * sizeof(double));
            dw_dkernel_part(acc, dout, inp, d, n0, n1, c0, cn);
        }
        for (int c0 = 0; c0 < C; c0 += SK_OPS_CBLOCK) {
            const int cn = C - c0 < SK_OPS_CBLOCK ? C - c0 : SK_OPS_CBLOCK;
            for (int k = 0; k < KHW; k++)
                for (int j = 0; j < cn; j++) {
                    const size_t o = (size_t)c0 * KHW + (size_t)k * cn + j;
                    double t = part[o];
                    for (int g = 1; g < ng; g++) t += part[(size_t)g * KHW * C + o];
                    dkernel[(size_t)k * C + c0 + j] += (float)t;
                }
        }
    }
}

void sk_dwconv2d_forward_ref(float *out, const float *inp, const float *kernel,
                             const float *bias, const sk_conv_dims *d)
{
    check_dims(d);
    const int C = d->c;
    for (int n = 0; n < d->n; n++)
        for (int oh = 0; oh < d->oh; oh++)
            for (int ow = 0; ow < d->ow; ow++)
                for (int c = 0; c < C; c++) {
                    double acc = bias ? bias[c] : 0.0;
                    for (int ki = 0; ki < d->kh; ki++)
                        for (int kj = 0; kj < d->kw; kj++) {
                            int ih = oh * d->sh - d->pt + ki, iw = ow * d->sw - d->pl + kj;
                            if (ih < 0 || ih >= d->h || iw < 0 || iw >= d->w) continue;
                            acc += (double)inp[(((size_t)n * d->h + ih) * d->w + iw) * C + c] *
                                   kernel[((size_t)ki * d->kw + kj) * C + c];
                        }
                    out[(((size_t)n * d->oh + oh) * d->ow + ow) * C + c] = (float)acc;
                }
}

void sk_dwconv2d_backward_ref(float *dinp, float *dkernel, float *dbias, const float *dout,
                              const float *inp, const float *kernel, const sk_conv_dims *d)
{
    check_dims(d);
    const int C = d->c;
    for (int n = 0; n < d->n; n++)
        for (int oh = 0; oh < d->oh; oh++)
            for (int ow = 0; ow < d->ow; ow++)
                for (int c = 0; c < C; c++) {
                    float g = dout[(((size_t)n * d->oh + oh) * d->ow + ow) * C + c];
                    if (dbias) dbias[c] += g;
                    for (int ki = 0; ki < d->kh; ki++)
                        for (int kj = 0; kj < d->kw; kj++) {
                            int ih = oh * d->sh - d->pt + ki, iw = ow * d->sw - d->pl + kj;
                            if (ih < 0 || ih >= d->h || iw < 0 || iw >= d->w) continue;
                            size_t ii = (((size_t)n * d->h + ih) * d->w + iw) * C + c;
                            size_t kk = ((size_t)ki * d->kw + kj) * C + c;
                            if (dinp) dinp[ii] += g * kernel[kk];
                            if (dkernel) dkernel[kk] += g * inp[ii];
                        }
                }
}

/* ---- dense ---- */

void sk_dense_forward(float *out, const float *inp, const float *kernel, const float *bias, int n,
                      int c, int oc)
{
    SK_ASSERT(n > 0 && c > 0 && oc > 0);
    sk_sgemm(0, 0, n, oc, c, 1.0f, inp, c, kernel, oc, 0.0f, out, oc);
    add_bias_rows(out, bias, (size_t)n, oc);
}

void sk_dense_backward(float *dinp, float *dkernel, float *dbias, const float *dout,
                       const float *inp, const float *kernel, int n, int c, int oc)
{
    sk_dense_backward_mode(dinp, dkernel, dbias, dout, inp, kernel, n, c, oc, 0);
}

void sk_dense_backward_mode(float *dinp, float *dkernel, float *dbias, const float *dout,
                            const float *inp, const float *kernel, int n, int c, int oc,
                            unsigned assign)
{
    SK_ASSERT(n > 0 && c > 0 && oc > 0);
    if (dbias) sk_ops_colsum_acc(dbias, dout, (size_t)n, oc);
    if (dkernel) sk_sgemm(1, 0, c, oc, n, 1.0f, inp, c, dout, oc, 1.0f, dkernel, oc);
    if (dinp)
        sk_sgemm(0, 1, n, c, oc, 1.0f, dout, oc, kernel, oc, (assign & 1u) ? 0.0f : 1.0f, dinp,
                 c);
}

void sk_dense_forward_ref(float *out, const float *inp, const float *kernel, const float *bias,
                          int n, int c, int oc)
{
    for (int i = 0; i < n; i++)
        for (int o = 0; o < oc; o++) {
            double acc = bias ? bias[o] : 0.0;
            for (int j = 0; j < c; j++)
                acc += (double)inp[(size_t)i * c + j] * kernel[(size_t)j * oc + o];
            out[(size_t)i * oc + o] = (float)acc;
        }
}

void sk_dense_backward_ref(float *dinp, float *dkernel, float *dbias, const float *dout,
                           const float *inp, const float *kernel, int n, int c, int oc)
{
    for (int i = 0; i < n; i++)
        for (int o = 0; o < oc; o++) {
            float g = dout[(size_t)i * oc + o];
            if (dbias) dbias[o] += g;
            for (int j = 0; j < c; j++) {
                if (dinp) dinp[(size_t)i * c + j] += g * kernel[(size_t)j * oc + o];
                if (dkernel) dkernel[(size_t)j * oc + o] += g * inp[(size_t)i * c + j];
            }
        }
}
