/* ops_pool.c: spatial ops: ZeroPadding2D, Cropping2D, MaxPooling2D, AveragePooling2D,
 * GlobalAveragePooling2D, forward and backward.
 *
 * Keras/TF semantics: padding cells never win a max (ties go to the first cell in row-major
 * window order); 'same' average pooling divides by the number of non-padded cells. Invariants:
 * backward accumulates (+=) (padding and GAP also assign: *_mode); pool backward scatters within one image per thread (windows of one
 * image overlap, images do not), GAP reduces in pixel order in double, so results do not depend
 * on the thread count. Not here: the padding geometry (sk_conv_dims_pad in ops_conv.c). */
#include "ops.h"
#include "ops_internal.h"
#include "sk_common.h"

#include <math.h>
#include <string.h>

void sk_pad_forward(float *out, const float *inp, int n, int h, int w, int c, int t, int b, int l,
                    int r)
{
    SK_ASSERT(t >= 0 && b >= 0 && l >= 0 && r >= 0);
    const int OH = h + t + b, OW = w + l + r;
    const int rows = n * OH;
    SK_OMP_FOR_IF((size_t)rows * OW * c >= SK_OMP_MIN_WORK)
    for (int row = 0; row < rows; row++) {
        int i = row / OH, oy = row % OH, y = oy - t;
        float *o = out + (size_t)row * OW * c;
        if (y < 0 || y >= h) {
            memset(o, 0, sizeof(float) * OW * c);
            continue;
        }
        memset(o, 0, sizeof(float) * l * c);
        memcpy(o + (size_t)l * c, inp + ((size_t)i * h + y) * w * c, sizeof(float) * w * c);
        memset(o + (size_t)(l + w) * c, 0, sizeof(float) * r * c);
    }
}

void sk_pad_backward(float *dinp, const float *dout, int n, int h, int w, int c, int t, int b,
                     int l, int r)
{
    sk_pad_backward_mode(dinp, dout, n, h, w, c, t, b, l, r, 0);
}

void sk_pad_backward_mode(float *dinp, const float *dout, int n, int h, int w, int c, int t,
                          int b, int l, int r, unsigned assign)
{
    SK_ASSERT(t >= 0 && b >= 0 && l >= 0 && r >= 0);
    const int as = (int)(assign & 1u);
    const int OH = h + t + b, OW = w + l + r;
    const int rows = n * h;
    SK_OMP_FOR_IF((size_t)rows * w * c >= SK_OMP_MIN_WORK)
    for (int row = 0; row < rows; row++) {
        int i = row / h, y = row % h;
        const float *g = dout + (((size_t)i * OH + y + t) * OW + l) * c;
        float *d = dinp + (size_t)row * w * c;
        for (size_t j = 0; j < (size_t)w * c; j++) d[j] = SK_GRAD_BASE(as, d[j]) + g[j];
    }
}

void sk_crop_forward(float *out, const float *inp, int n, int h, int w, int c, int t, int b, int l,
                     int r)
{
    SK_ASSERT(t >= 0 && b >= 0 && l >= 0 && r >= 0 && h - t - b > 0 && w - l - r > 0);
    const int OH = h - t - b, OW = w - l - r;
    const int rows = n * OH;
    SK_OMP_FOR_IF((size_t)rows * OW * c >= SK_OMP_MIN_WORK)
    for (int row = 0; row < rows; row++) {
        int i = row / OH, y = row % OH;
        memcpy(out + (size_t)row * OW * c, inp + (((size_t)i * h + y + t) * w + l) * c,
               sizeof(float) * OW * c);
    }
}

void sk_crop_backward(float *dinp, const float *dout, int n, int h, int w, int c, int t, int b,
                      int l, int r)
{
    SK_ASSERT(t >= 0 && b >= 0 && l >= 0 && r >= 0 && h - t - b > 0 && w - l - r > 0);
    const int OH = h - t - b, OW = w - l - r;
    const int rows = n * OH;
    SK_OMP_FOR_IF((size_t)rows * OW * c >= SK_OMP_MIN_WORK)
    for (int row = 0; row < rows; row++) {
        int i = row / OH, y = row % OH;
        float *d = dinp + (((size_t)i * h + y + t) * w + l) * c;
        const float *g = dout + (size_t)row * OW * c;
        for (size_t j = 0; j < (size_t)OW * c; j++) d[j] += g[j];
    }
}

static void check_pool(const sk_conv_dims *d)
{
    SK_ASSERT(d->n > 0 && d->h > 0 && d->w > 0 && d->c > 0 && d->oh > 0 && d->ow > 0);
    SK_ASSERT(d->oc == d->c);
    SK_ASSERT(d->kh > 0 && d->kw > 0 && d->sh > 0 && d->sw > 0);
    SK_ASSERT(d->pt >= 0 && d->pl >= 0 && d->pt < d->kh && d->pl < d->kw);
}

/* The window of output (oh, ow) clipped to the input: rows [y0,y1), columns [x0,x1). */
static inline void window(const sk_conv_dims *d, int oh, int ow, int *y0, int *y1, int *x0,
                          int *x1)
{
    int ys = oh * d->sh - d->pt, xs = ow * d->sw - d->pl;
    *y0 = ys < 0 ? 0 : ys;
    *y1 = ys + d->kh > d->h ? d->h : ys + d->kh;
    *x0 = xs < 0 ? 0 : xs;
    *x1 = xs + d->kw > d->w ? d->w : xs + d->kw;
    SK_ASSERT_MSG(*y0 < *y1 && *x0 < *x1, "pool window lies entirely in the padding");
}

void sk_maxpool_forward(float *out, const float *inp, const sk_conv_dims *d)
{
    check_pool(d);
    const int C = d->c, rows = d->n * d->oh;
    SK_OMP_FOR_IF((size_t)d->n * d->oh * d->ow * C * d->kh * d->kw >= SK_OMP_MIN_WORK)
    for (int r = 0; r < rows; r++) {
        int i = r / d->oh, oh = r % d->oh;
        const float *ib = inp + (size_t)i * d->h * d->w * C;
        for (int ow = 0; ow < d->ow; ow++) {
            int y0, y1, x0, x1;
            window(d, oh, ow, &y0, &y1, &x0, &x1);
            float *o = out + ((size_t)r * d->ow + ow) * C;
            memcpy(o, ib + ((size_t)y0 * d->w + x0) * C, sizeof(float) * C);
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++) {
                    const float *p = ib + ((size_t)y * d->w + x) * C;
                    for (int c = 0; c < C; c++) o[c] = p[c] > o[c] ? p[c] : o[c];
                }
        }
    }
}

void sk_maxpool_backward(float *dinp, const float *dout, const float *inp, const sk_conv_dims *d)
{
    check_pool(d);
    const int C = d->c;
    SK_OMP_FOR_IF((size_t)d->n * d->oh * d->ow * C * d->kh * d->kw >= SK_OMP_MIN_WORK)
    for (int i = 0; i < d->n; i++) {
        const float *ib = inp + (size_t)i * d->h * d->w * C;
        float *db = dinp + (size_t)i * d->h * d->w * C;
        for (int oh = 0; oh < d->oh; oh++)
            for (int ow = 0; ow < d->ow; ow++) {
                int y0, y1, x0, x1;
                window(d, oh, ow, &y0, &y1, &x0, &x1);
                const float *g = dout + (((size_t)i * d->oh + oh) * d->ow + ow) * C;
                for (int c = 0; c < C; c++) {
                    size_t best = ((size_t)y0 * d->w + x0) * C + c;
                    float bv = ib[best];
                    for (int y = y0; y < y1; y++)
                        for (int x = x0; x < x1; x++) {
                            size_t k = ((size_t)y * d->w + x) * C + c;
                            if (ib[k] > bv) {
                                bv = ib[k];
                                best = k;
                            }
                        }
                    db[best] += g[c];
                }
            }
    }
}

void sk_avgpool_forward(float *out, const float *inp, const sk_conv_dims *d)
{
    check_pool(d);
    const int C = d->c, rows = d->n * d->oh;
    SK_OMP_FOR_IF((size_t)d->n * d->oh * d->ow * C * d->kh * d->kw >= SK_OMP_MIN_WORK)
    for (int r = 0; r < rows; r++) {
        int i = r / d->oh, oh = r % d->oh;
        const float *ib = inp + (size_t)i * d->h * d->w * C;
        for (int ow = 0; ow < d->ow; ow++) {
            int y0, y1, x0, x1;
            window(d, oh, ow, &y0, &y1, &x0, &x1);
            float *o = out + ((size_t)r * d->ow + ow) * C;
            memset(o, 0, sizeof(float) * C);
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++) {
                    const float *p = ib + ((size_t)y * d->w + x) * C;
                    for (int c = 0; c < C; c++) o[c] += p[c];
                }
            const float inv = 1.0f / (float)((y1 - y0) * (x1 - x0));
            for (int c = 0; c < C; c++) o[c] *= inv;
        }
    }
}

void sk_avgpool_backward(float *dinp, const float *dout, const sk_conv_dims *d)
{
    check_pool(d);
    const int C = d->c;
    SK_OMP_FOR_IF((size_t)d->n * d->oh * d->ow * C * d->kh * d->kw >= SK_OMP_MIN_WORK)
    for (int i = 0; i < d->n; i++) {
        float *db = dinp + (size_t)i * d->h * d->w * C;
        for (int oh = 0; oh < d->oh; oh++)
            for (int ow = 0; ow < d->ow; ow++) {
                int y0, y1, x0, x1;
                window(d, oh, ow, &y0, &y1, &x0, &x1);
                const float inv = 1.0f / (float)((y1 - y0) * (x1 - x0));
                const float *g = dout + (((size_t)i * d->oh + oh) * d->ow + ow) * C;
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++) {
                        float *p = db + ((size_t)y * d->w + x) * C;
                        for (int c = 0; c < C; c++) p[c] += g[c] * inv;
                    }
            }
    }
}

void sk_gap_forward(float *out, const float *inp, int n, size_t hw, int c)
{
    const int CB = SK_OPS_CBLOCK;
    const int nblk = (c + CB - 1) / CB, items = n * nblk;
    SK_OMP_FOR_IF((size_t)n * hw * c >= SK_OMP_MIN_WORK)
    for (int it = 0; it < items; it++) {
        const int i = it / nblk, c0 = (it % nblk) * CB;
        const int cn = c - c0 < CB ? c - c0 : CB;
        double acc[SK_OPS_CBLOCK] = {0};
        for (size_t p = 0; p < hw; p++) {
            const float *x = inp + ((size_t)i * hw + p) * c + c0;
            for (int j = 0; j < cn; j++) acc[j] += x[j];
        }
        for (int j = 0; j < cn; j++) out[(size_t)i * c + c0 + j] = (float)(acc[j] / (double)hw);
    }
}

void sk_gap_backward(float *dinp, const float *dout, int n, size_t hw, int c)
{
    sk_gap_backward_mode(dinp, dout, n, hw, c, 0);
}

void sk_gap_backward_mode(float *dinp, const float *dout, int n, size_t hw, int c,
                          unsigned assign)
{
    const int as = (int)(assign & 1u);
    const float inv = 1.0f / (float)hw;
    const size_t rows = (size_t)n * hw;
    SK_OMP_FOR_IF(rows * (size_t)c >= SK_OMP_MIN_WORK)
    for (size_t r = 0; r < rows; r++) {
        const float *g = dout + (r / hw) * c;
        float *dx = dinp + r * c;
        for (int j = 0; j < c; j++) dx[j] = SK_GRAD_BASE(as, dx[j]) + g[j] * inv;
    }
}
