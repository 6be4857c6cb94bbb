/* image.c: JPEG (libjpeg-turbo) and PNG (libpng) decode/encode with TensorFlow's decode settings,
 * TF's half-pixel bilinear resize and an antialiased area resize.
 *
 * Both libraries report fatal errors by longjmp; everything that must survive the jump lives in
 * a context struct, never in a local that changes after setjmp. Warnings (corrupt or truncated
 * data) are collected and turned into errors after the decode. Dimensions are checked after
 * the header is read and before the pixel buffer is allocated. */
#include "image.h"

#include "sk_base.h"

#include <jpeglib.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sk_decode_opts_init(sk_decode_opts *o)
{
    o->max_dim = 32768;
    o->max_pixels = (uint64_t)1 << 28;
    o->dct = SK_JPEG_DCT_IFAST;
    o->scale_denom = 1;
}

sk_image_kind sk_image_sniff(const uint8_t *data, size_t n)
{
    if (n >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff) return SK_IMG_JPEG;
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (n >= 8 && memcmp(data, png_sig, 8) == 0) return SK_IMG_PNG;
    return SK_IMG_UNKNOWN;
}

void sk_image_free(sk_image *img)
{
    free(img->px);
    memset(img, 0, sizeof *img);
}

static sk_status check_dims(uint32_t w, uint32_t h, const sk_decode_opts *o, const char *what,
                            sk_error *err)
{
    if (w == 0 || h == 0)
        return sk_error_set(err, SK_EFORMAT, "%s: image declares %u x %u pixels", what, w, h);
    if (w > o->max_dim || h > o->max_dim || (uint64_t)w * h > o->max_pixels)
        return sk_error_set(err, SK_ELIMIT, "%s: image declares %u x %u pixels, over the limit of "
                            "%u per side and %llu in all (refused before decoding)", what, w, h,
                            o->max_dim, (unsigned long long)o->max_pixels);
    return SK_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* JPEG */

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
    int nwarn;
    char warn[JMSG_LENGTH_MAX];
} jpeg_err_ctx;

static void jpeg_on_error(j_common_ptr cinfo)
{
    jpeg_err_ctx *e = (jpeg_err_ctx *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->msg);
    longjmp(e->jump, 1);
}

static void jpeg_on_message(j_common_ptr cinfo, int level)
{
    jpeg_err_ctx *e = (jpeg_err_ctx *)cinfo->err;
    if (level < 0) { /* a warning: corrupt data or premature end */
        if (e->nwarn++ == 0) (*cinfo->err->format_message)(cinfo, e->warn);
    }
}

typedef struct {
    struct jpeg_decompress_struct cinfo;
    jpeg_err_ctx jerr;
    uint8_t *px;
} jpeg_dec_ctx;

static sk_status decode_jpeg(sk_image *out, const uint8_t *data, size_t n, const sk_decode_opts *o,
                             int header_only, const char *what, sk_error *err)
{
    jpeg_dec_ctx *c = sk_xcalloc(1, sizeof *c);
    sk_status s = SK_OK;
    c->cinfo.err = jpeg_std_error(&c->jerr.pub);
    c->jerr.pub.error_exit = jpeg_on_error;
    c->jerr.pub.emit_message = jpeg_on_message;
    if (setjmp(c->jerr.jump)) {
        int unsupported = strstr(c->jerr.msg, "nsupported") != NULL;
        s = sk_error_set(err, unsupported ? SK_EUNSUPPORTED : SK_EFORMAT, "%s: JPEG: %s", what,
                         c->jerr.msg);
        goto done;
    }
    jpeg_create_decompress(&c->cinfo);
    if (n > 0xffffffffu) {
        s = sk_error_set(err, SK_ELIMIT, "%s: JPEG of %zu bytes is too large", what, n);
        goto done;
    }
    jpeg_mem_src(&c->cinfo, data, (unsigned long)n);
    jpeg_read_header(&c->cinfo, TRUE);
    if ((s = check_dims(c->cinfo.image_width, c->cinfo.image_height, o, what, err))) goto done;
    if (header_only) {
        out->width = c->cinfo.image_width;
        out->height = c->cinfo.image_height;
        goto done;
    }
    if (c->cinfo.num_components != 1 && c->cinfo.num_components != 3) {
        s = sk_error_set(err, SK_EUNSUPPORTED, "%s: JPEG with %d colour components (CMYK/YCCK) is "
                         "not supported; expected 1 or 3", what, c->cinfo.num_components);
        goto done;
    }
    c->cinfo.out_color_space = JCS_RGB;
    c->cinfo.dct_method = o->dct == SK_JPEG_DCT_ISLOW ? JDCT_ISLOW
                          : o->dct == SK_JPEG_DCT_FLOAT ? JDCT_FLOAT : JDCT_IFAST;
    c->cinfo.do_fancy_upsampling = TRUE;
    c->cinfo.do_block_smoothing = TRUE;
    c->cinfo.scale_num = 1;
    c->cinfo.scale_denom = o->scale_denom ? o->scale_denom : 1;
    jpeg_start_decompress(&c->cinfo);
    uint32_t w = c->cinfo.output_width, h = c->cinfo.output_height;
    if (c->cinfo.output_components != 3) {
        s = sk_error_set(err, SK_EUNSUPPORTED, "%s: JPEG decodes to %d components, expected 3", what,
                         c->cinfo.output_components);
        goto done;
    }
    size_t stride = (size_t)w * 3;
    c->px = sk_xmalloc(stride * h);
    while (c->cinfo.output_scanline < h) {
        JSAMPROW row = c->px + stride * c->cinfo.output_scanline;
        jpeg_read_scanlines(&c->cinfo, &row, 1);
    }
    jpeg_finish_decompress(&c->cinfo);
    if (c->jerr.nwarn) {
        s = sk_error_set(err, SK_EFORMAT, "%s: JPEG data is corrupt or truncated: %s", what, c->jerr.warn);
        goto done;
    }
    out->width = w;
    out->height = h;
    out->channels = 3;
    out->px = c->px;
    c->px = NULL;
done:
    jpeg_destroy_decompress(&c->cinfo);
    free(c->px);
    free(c);
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* PNG */

typedef struct {
    const uint8_t *data;
    size_t n, pos;
    char msg[256];
    int nwarn;
    uint8_t *px;
    png_bytep *rows;
} png_ctx;

static void png_on_error(png_structp png, png_const_charp msg)
{
    png_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_ctx *c = png_get_error_ptr(png);
    c->nwarn++;
}

static void png_read_mem(png_structp png, png_bytep out, size_t n)
{
    png_ctx *c = png_get_io_ptr(png);
    if (n > c->n - c->pos) png_error(png, "unexpected end of file (truncated PNG)");
    memcpy(out, c->data + c->pos, n);
    c->pos += n;
}

static sk_status decode_png(sk_image *out, const uint8_t *data, size_t n, const sk_decode_opts *o,
                            int header_only, const char *what, sk_error *err)
{
    png_ctx *c = sk_xcalloc(1, sizeof *c);
    c->data = data;
    c->n = n;
    sk_status s = SK_OK;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, c, png_on_error, png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        s = sk_error_set(err, SK_EIO, "%s: libpng could not allocate its state", what);
        goto done;
    }
    if (setjmp(png_jmpbuf(png))) {
        s = sk_error_set(err, SK_EFORMAT, "%s: PNG: %s", what, c->msg);
        goto done;
    }
    png_set_read_fn(png, c, png_read_mem);
    png_set_user_limits(png, 0x7fffffffu, 0x7fffffffu); /* our own check_dims decides */
    png_set_chunk_malloc_max(png, 64u << 20);
    png_read_info(png, info);
    png_uint_32 w, h;
    int depth, ctype, interlace;
    png_get_IHDR(png, info, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
    if ((s = check_dims(w, h, o, what, err))) goto done;
    if (header_only) {
        out->width = w;
        out->height = h;
        goto done;
    }
    if (ctype == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_strip_16(png);
    if (ctype & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
    if (ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 3 || png_get_channels(png, info) != 3) {
        s = sk_error_set(err, SK_EUNSUPPORTED, "%s: PNG colour type %d depth %d did not convert to "
                         "8-bit RGB", what, ctype, depth);
        goto done;
    }
    size_t stride = (size_t)w * 3;
    c->px = sk_xmalloc(stride * h);
    c->rows = sk_xmalloc(sizeof *c->rows * h);
    for (png_uint_32 y = 0; y < h; y++) c->rows[y] = c->px + stride * y;
    png_read_image(png, c->rows);
    png_read_end(png, NULL);
    out->width = w;
    out->height = h;
    out->channels = 3;
    out->px = c->px;
    c->px = NULL;
done:
    if (png) png_destroy_read_struct(&png, info ? &info : NULL, NULL);
    free(c->px);
    free(c->rows);
    free(c);
    return s;
}

/* ------------------------------------------------------------------------------------------ */

static sk_status decode_any(sk_image *out, const uint8_t *data, size_t n, const sk_decode_opts *o,
                            int header_only, const char *what, sk_error *err)
{
    memset(out, 0, sizeof *out);
    sk_decode_opts def;
    if (!o) {
        sk_decode_opts_init(&def);
        o = &def;
    }
    if (o->scale_denom != 1 && o->scale_denom != 2 && o->scale_denom != 4 && o->scale_denom != 8)
        return sk_error_set(err, SK_EINVAL, "%s: scale_denom: expected 1, 2, 4 or 8, found %u", what,
                            o->scale_denom);
    switch (sk_image_sniff(data, n)) {
    case SK_IMG_JPEG: return decode_jpeg(out, data, n, o, header_only, what, err);
    case SK_IMG_PNG: return decode_png(out, data, n, o, header_only, what, err);
    case SK_IMG_UNKNOWN: break;
    }
    return sk_error_set(err, SK_EFORMAT, "%s: not a JPEG or PNG file (first bytes %02x %02x %02x "
                        "%02x, %zu bytes)", what, n > 0 ? data[0] : 0, n > 1 ? data[1] : 0,
                        n > 2 ? data[2] : 0, n > 3 ? data[3] : 0, n);
}

sk_status sk_image_decode(sk_image *out, const uint8_t *data, size_t n, const sk_decode_opts *o,
                          const char *what, sk_error *err)
{
    return decode_any(out, data, n, o, 0, what, err);
}

sk_status sk_image_probe(uint32_t *width, uint32_t *height, const uint8_t *data, size_t n,
                         const char *what, sk_error *err)
{
    sk_image img;
    sk_status s = decode_any(&img, data, n, NULL, 1, what, err);
    *width = img.width;
    *height = img.height;
    return s;
}

sk_status sk_image_decode_file(sk_image *out, const char *path, const sk_decode_opts *o,
                               sk_error *err)
{
    memset(out, 0, sizeof *out);
    uint8_t *data = NULL;
    size_t n = 0;
    sk_status s = sk_read_file(path, &data, &n, (size_t)256 << 20, err);
    if (s) return s;
    s = sk_image_decode(out, data, n, o, path, err);
    free(data);
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* encoders */

typedef struct {
    sk_buf buf;
    char msg[256];
    png_bytep *rows;
} png_wctx;

static void png_write_mem(png_structp png, png_bytep p, size_t n)
{
    png_wctx *c = png_get_io_ptr(png);
    sk_buf_put_bytes(&c->buf, p, n);
}

static void png_flush_mem(png_structp png) { (void)png; }

sk_status sk_image_encode_png(uint8_t **out, size_t *n, const uint8_t *px, uint32_t width,
                              uint32_t height, uint32_t channels, sk_error *err)
{
    *out = NULL;
    *n = 0;
    if (channels != 1 && channels != 3 && channels != 4)
        return sk_error_set(err, SK_EINVAL, "PNG encode: channels: expected 1, 3 or 4, found %u", channels);
    png_wctx *c = sk_xcalloc(1, sizeof *c);
    sk_buf_init(&c->buf);
    sk_status s = SK_OK;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, c, png_on_error, png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        s = sk_error_set(err, SK_EIO, "PNG encode: libpng could not allocate its state");
        goto done;
    }
    if (setjmp(png_jmpbuf(png))) {
        s = sk_error_set(err, SK_EFORMAT, "PNG encode: %s", c->msg);
        goto done;
    }
    png_set_write_fn(png, c, png_write_mem, png_flush_mem);
    png_set_compression_level(png, 6);
    int ctype = channels == 1 ? PNG_COLOR_TYPE_GRAY
                : channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGB_ALPHA;
    png_set_IHDR(png, info, width, height, 8, ctype, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    c->rows = sk_xmalloc(sizeof *c->rows * (height ? height : 1));
    for (uint32_t y = 0; y < height; y++)
        c->rows[y] = (png_bytep)(px + (size_t)y * width * channels);
    png_write_image(png, c->rows);
    png_write_end(png, NULL);
    *out = c->buf.data;
    *n = c->buf.len;
    c->buf.data = NULL;
done:
    if (png) png_destroy_write_struct(&png, info ? &info : NULL);
    sk_buf_free(&c->buf);
    free(c->rows);
    free(c);
    return s;
}

typedef struct {
    struct jpeg_compress_struct cinfo;
    jpeg_err_ctx jerr;
    unsigned char *mem;
    unsigned long memlen;
} jpeg_enc_ctx;

sk_status sk_image_encode_jpeg(uint8_t **out, size_t *n, const uint8_t *px, uint32_t width,
                               uint32_t height, uint32_t channels, int quality, sk_error *err)
{
    *out = NULL;
    *n = 0;
    if (channels != 1 && channels != 3)
        return sk_error_set(err, SK_EINVAL, "JPEG encode: channels: expected 1 or 3, found %u", channels);
    if (quality < 1 || quality > 100)
        return sk_error_set(err, SK_EINVAL, "JPEG encode: quality: expected 1..100, found %d", quality);
    jpeg_enc_ctx *c = sk_xcalloc(1, sizeof *c);
    sk_status s = SK_OK;
    c->cinfo.err = jpeg_std_error(&c->jerr.pub);
    c->jerr.pub.error_exit = jpeg_on_error;
    c->jerr.pub.emit_message = jpeg_on_message;
    if (setjmp(c->jerr.jump)) {
        s = sk_error_set(err, SK_EFORMAT, "JPEG encode: %s", c->jerr.msg);
        goto done;
    }
    jpeg_create_compress(&c->cinfo);
    jpeg_mem_dest(&c->cinfo, &c->mem, &c->memlen);
    c->cinfo.image_width = width;
    c->cinfo.image_height = height;
    c->cinfo.input_components = (int)channels;
    c->cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c->cinfo);
    jpeg_set_quality(&c->cinfo, quality, TRUE);
    jpeg_start_compress(&c->cinfo, TRUE);
    while (c->cinfo.next_scanline < height) {
        JSAMPROW row = (JSAMPROW)(px + (size_t)c->cinfo.next_scanline * width * channels);
        jpeg_write_scanlines(&c->cinfo, &row, 1);
    }
    jpeg_finish_compress(&c->cinfo);
    *out = sk_xmalloc(c->memlen);
    memcpy(*out, c->mem, c->memlen);
    *n = c->memlen;
done:
    jpeg_destroy_compress(&c->cinfo);
    free(c->mem);
    free(c);
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* resize */

/* TF's HalfPixelScaler + compute_interpolation_weights, in float as TF does. */
static void tf_weights(uint32_t *lo, uint32_t *hi, float *frac, uint32_t out_size, uint32_t in_size)
{
    const float scale = (float)in_size / (float)out_size;
    for (uint32_t i = 0; i < out_size; i++) {
        const float in = ((float)i + 0.5f) * scale - 0.5f;
        const float in_f = floorf(in);
        long l = (long)in_f, u = (long)ceilf(in);
        lo[i] = (uint32_t)(l < 0 ? 0 : l);
        hi[i] = (uint32_t)(u > (long)in_size - 1 ? (long)in_size - 1 : u);
        frac[i] = in - in_f;
    }
}

void sk_resize_bilinear_tf(float *out, const uint8_t *inp, uint32_t ih, uint32_t iw, uint32_t oh,
                           uint32_t ow, uint32_t c)
{
    SK_ASSERT(ih > 0 && iw > 0 && oh > 0 && ow > 0 && c > 0 && oh <= 65536 && ow <= 65536);
    uint32_t *yl = sk_xmalloc(sizeof(uint32_t) * 2 * ((size_t)oh + ow));
    uint32_t *yh = yl + oh, *xl = yh + oh, *xh = xl + ow;
    float *fy = sk_xmalloc(sizeof(float) * ((size_t)oh + ow)), *fx = fy + oh;
    tf_weights(yl, yh, fy, oh, ih);
    tf_weights(xl, xh, fx, ow, iw);
    const size_t istride = (size_t)iw * c;
    for (uint32_t y = 0; y < oh; y++) {
        const uint8_t *top = inp + yl[y] * istride, *bot = inp + yh[y] * istride;
        const float dy = fy[y];
        float *o = out + (size_t)y * ow * c;
        for (uint32_t x = 0; x < ow; x++) {
            const size_t a = (size_t)xl[x] * c, b = (size_t)xh[x] * c;
            const float dx = fx[x];
            for (uint32_t k = 0; k < c; k++) {
                const float tl = top[a + k], tr = top[b + k], bl = bot[a + k], br = bot[b + k];
                const float t = tl + (tr - tl) * dx;
                const float bt = bl + (br - bl) * dx;
                o[(size_t)x * c + k] = t + (bt - t) * dy;
            }
        }
    }
    free(yl);
    free(fy);
}

/* Footprint of output o on the input axis: first input index and per-index coverage weights. */
static uint32_t area_span(uint32_t o, uint32_t out_size, uint32_t in_size, double *w, uint32_t cap)
{
    const double s = (double)in_size / (double)out_size;
    const double a = o * s, b = (o + 1) * s;
    uint32_t first = (uint32_t)floor(a);
    if (first >= in_size) first = in_size - 1;
    uint32_t n = 0;
    for (uint32_t k = first; k < in_size && (double)k < b && n < cap; k++) {
        double lo = a > k ? a : (double)k, hi = b < k + 1.0 ? b : k + 1.0;
        w[n++] = (hi - lo) / s;
    }
    return first;
}

void sk_resize_area(float *out, const uint8_t *inp, uint32_t ih, uint32_t iw, uint32_t oh,
                    uint32_t ow, uint32_t c)
{
    SK_ASSERT(ih > 0 && iw > 0 && oh > 0 && ow > 0 && c > 0 && c <= 4);
    const uint32_t capy = ih / oh + 2, capx = iw / ow + 2;
    double *wy = sk_xmalloc(sizeof(double) * ((size_t)capy + capx)), *wx = wy + capy;
    const size_t istride = (size_t)iw * c;
    for (uint32_t y = 0; y < oh; y++) {
        for (uint32_t k = 0; k < capy; k++) wy[k] = 0.0;
        uint32_t y0 = area_span(y, oh, ih, wy, capy);
        for (uint32_t x = 0; x < ow; x++) {
            for (uint32_t k = 0; k < capx; k++) wx[k] = 0.0;
            uint32_t x0 = area_span(x, ow, iw, wx, capx);
            double acc[4] = {0, 0, 0, 0};
            for (uint32_t j = 0; j < capy && y0 + j < ih; j++) {
                if (wy[j] == 0.0) continue;
                const uint8_t *row = inp + (y0 + j) * istride;
                for (uint32_t i = 0; i < capx && x0 + i < iw; i++) {
                    if (wx[i] == 0.0) continue;
                    const double wgt = wy[j] * wx[i];
                    for (uint32_t k = 0; k < c; k++) acc[k] += wgt * row[(size_t)(x0 + i) * c + k];
                }
            }
            for (uint32_t k = 0; k < c; k++) out[((size_t)y * ow + x) * c + k] = (float)acc[k];
        }
    }
    free(wy);
}

void sk_pixels_to_u8(uint8_t *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = inp[i];
        if (!(v > 0.0f)) out[i] = 0;
        else if (v >= 255.0f) out[i] = 255;
        else out[i] = (uint8_t)nearbyintf(v);
    }
}
