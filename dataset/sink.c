/* sink.c: folder-of-PNGs or .skds output for rendered images (see sink.h). */
#include "sink.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "image.h"

struct sk_sink {
    char *path;
    int size;
    int nclasses;
    int jpeg_quality; /* folder mode: 0 = PNG */
    char classes[SK_SKDS_MAX_CLASSES][SK_SKDS_NAME_MAX];
    sk_skds_writer *skds; /* .skds mode */
    sk_buf manifest;      /* folder mode */
    uint64_t count;
};

static void png_write_cb(png_structp png, png_bytep data, size_t n)
{
    sk_buf_put_bytes((sk_buf *)png_get_io_ptr(png), data, n);
}

static void png_flush_cb(png_structp png) { (void)png; }

sk_status sk_png_encode(sk_buf *out, const uint8_t *rgb, int w, int h, sk_error *err)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    if (!png) return sk_error_set(err, SK_EIO, "PNG encoder: png_create_write_struct failed");
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return sk_error_set(err, SK_EIO, "PNG encoder: png_create_info_struct failed");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return sk_error_set(err, SK_EIO, "PNG encoder: libpng error encoding %dx%d image", w, h);
    }
    png_set_write_fn(png, out, png_write_cb, png_flush_cb);
    png_set_compression_level(png, 3);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h; y++) png_write_row(png, (png_const_bytep)(rgb + (size_t)y * w * 3));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return SK_OK;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

sk_status sk_sink_open(sk_sink **out, const char *path, int size, const char *const *classes,
                       int nclasses, const char *source, uint64_t split_seed, double val_fraction,
                       sk_split_rule rule, const char *manifest_columns, sk_error *err)
{
    *out = NULL;
    if (nclasses < 1 || nclasses > SK_SKDS_MAX_CLASSES)
        return sk_error_set(err, SK_EINVAL, "sink: class count expected 1..%d, found %d",
                            SK_SKDS_MAX_CLASSES, nclasses);
    sk_sink *s = sk_xcalloc(1, sizeof *s);
    s->path = sk_xstrdup(path);
    s->size = size;
    s->nclasses = nclasses;
    for (int c = 0; c < nclasses; c++) sk_snprintf(s->classes[c], SK_SKDS_NAME_MAX, "%s", classes[c]);
    sk_buf_init(&s->manifest);
    sk_status st = SK_OK;
    if (ends_with(path, ".skds")) {
        sk_skds_header h;
        sk_skds_header_init(&h);
        h.height = h.width = (uint32_t)size;
        h.channels = 3;
        h.dtype = SK_SKDS_U8;
        h.split_seed = split_seed;
        h.val_fraction = val_fraction;
        h.split_rule = rule;
        h.resize = SK_RESIZE_OTHER;
        sk_snprintf(h.source, sizeof h.source, "%s", source ? source : "");
        for (int c = 0; c < nclasses && !st; c++) st = sk_skds_header_add_class(&h, classes[c], err);
        if (!st) st = sk_skds_writer_open(&s->skds, path, &h, err);
    } else {
        st = sk_mkdir_p(path, err);
        for (int c = 0; c < nclasses && !st; c++) {
            char *d = sk_path_join(path, classes[c]);
            st = sk_mkdir_p(d, err);
            free(d);
        }
        const char *hdr = "objid\tclass\tfile";
        sk_buf_put_bytes(&s->manifest, hdr, strlen(hdr));
        if (manifest_columns && *manifest_columns) {
            sk_buf_put_u8(&s->manifest, '\t');
            sk_buf_put_bytes(&s->manifest, manifest_columns, strlen(manifest_columns));
        }
        sk_buf_put_u8(&s->manifest, '\n');
    }
    if (st) {
        sk_sink_abort(s);
        return st;
    }
    *out = s;
    return SK_OK;
}

int sk_sink_is_skds(const sk_sink *s) { return s->skds != NULL; }

void sk_sink_set_jpeg(sk_sink *s, int quality)
{
    SK_ASSERT(quality >= 0 && quality <= 100);
    s->jpeg_quality = quality;
}

sk_status sk_sink_encode(const sk_sink *s, sk_buf *out, const uint8_t *rgb, sk_error *err)
{
    if (!s->jpeg_quality) return sk_png_encode(out, rgb, s->size, s->size, err);
    uint8_t *jpg = NULL;
    size_t n = 0;
    sk_status st = sk_image_encode_jpeg(&jpg, &n, rgb, (uint32_t)s->size, (uint32_t)s->size, 3,
                                        s->jpeg_quality, err);
    if (st) return st;
    sk_buf_put_bytes(out, jpg, n);
    free(jpg);
    return SK_OK;
}

sk_status sk_sink_add(sk_sink *s, const sk_skds_record *rec, const uint8_t *rgb, const sk_buf *png,
                      const char *extra, sk_error *err)
{
    SK_ASSERT(rec->label < (uint32_t)s->nclasses);
    if (s->skds) {
        sk_status st = sk_skds_writer_add(s->skds, rec, rgb, err);
        if (!st) s->count++;
        return st;
    }
    char rel[SK_SKDS_NAME_MAX + 32];
    sk_snprintf(rel, sizeof rel, "%s/%08llu.%s", s->classes[rec->label],
                (unsigned long long)rec->objid, s->jpeg_quality ? "jpg" : "png");
    sk_buf local;
    sk_buf_init(&local);
    if (!png) {
        sk_status st = sk_sink_encode(s, &local, rgb, err);
        if (st) {
            sk_buf_free(&local);
            return st;
        }
        png = &local;
    }
    char *full = sk_path_join(s->path, rel);
    sk_status st = sk_write_file_atomic(full, png->data, png->len, err);
    free(full);
    sk_buf_free(&local);
    if (st) return st;
    char line[128];
    sk_snprintf(line, sizeof line, "%llu\t%s\t%s", (unsigned long long)rec->objid,
                s->classes[rec->label], rel);
    sk_buf_put_bytes(&s->manifest, line, strlen(line));
    if (extra && *extra) {
        sk_buf_put_u8(&s->manifest, '\t');
        sk_buf_put_bytes(&s->manifest, extra, strlen(extra));
    }
    sk_buf_put_u8(&s->manifest, '\n');
    s->count++;
    return SK_OK;
}

sk_status sk_sink_close(sk_sink *s, const char *command, sk_error *err)
{
    sk_status st;
    if (s->skds) {
        if (command) sk_skds_writer_set_provenance(s->skds, "command", command);
        st = sk_skds_writer_finish(s->skds, err);
        s->skds = NULL;
    } else {
        char *mpath = sk_path_join(s->path, "manifest.tsv");
        st = sk_write_file_atomic(mpath, s->manifest.data, s->manifest.len, err);
        free(mpath);
    }
    sk_sink_abort(s);
    return st;
}

void sk_sink_abort(sk_sink *s)
{
    if (!s) return;
    sk_skds_writer_abort(s->skds);
    sk_buf_free(&s->manifest);
    free(s->path);
    free(s);
}
