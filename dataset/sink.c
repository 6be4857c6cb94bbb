/* sink.c: folder-of-PNGs or .skds output for rendered images, and the parallel
 * render-encode-write pipeline (see sink.h). */
#include "sink.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "sk_base.h"
#include "image.h"

struct sk_sink {
    char *path;
    int size;
    int nclasses;
    int jpeg_quality; /* folder mode: 0 = PNG */
    char classes[SK_SKDS_MAX_CLASSES][SK_SKDS_NAME_MAX];
    sk_skds_writer *skds; /* .skds mode */
    sk_manifest manifest; /* folder mode */
    int nextra;
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

/* Folder mode: the folder, its class folders (never through a symbolic link) and the manifest. */
static sk_status open_folder(sk_sink *s, const sk_manifest_col *extra, int nextra, sk_error *err)
{
    sk_status st = sk_mkdir_p(s->path, err);
    if (!st) sk_tmp_clean_stale(s->path, NULL);
    for (int c = 0; c < s->nclasses && !st; c++) {
        st = sk_mkdir_in(s->path, s->classes[c], err);
        if (!st) {
            char *d = sk_path_join(s->path, s->classes[c]);
            sk_tmp_clean_stale(d, NULL);
            free(d);
        }
    }
    sk_manifest_col cols[SK_MF_NCOLS] = {SK_MF_OBJID, SK_MF_CLASS, SK_MF_FILE};
    SK_ASSERT(nextra >= 0 && nextra + 3 <= SK_MF_NCOLS);
    for (int k = 0; k < nextra; k++) cols[3 + k] = extra[k];
    sk_manifest_init(&s->manifest, cols, 3 + nextra);
    s->nextra = nextra;
    return st;
}

sk_status sk_sink_open(sk_sink **out, const char *path, int size, const char *const *classes,
                       int nclasses, const char *source, uint64_t split_seed, double val_fraction,
                       sk_split_rule rule, const sk_manifest_col *extra, int nextra,
                       int jpeg_quality, sk_error *err)
{
    *out = NULL;
    if (nclasses < 1 || nclasses > SK_SKDS_MAX_CLASSES)
        return sk_error_set(err, SK_EINVAL, "sink: class count expected 1..%d, found %d",
                            SK_SKDS_MAX_CLASSES, nclasses);
    SK_ASSERT(jpeg_quality >= 0 && jpeg_quality <= 100);
    for (int c = 0; c < nclasses; c++) {
        sk_status st = sk_class_name_check(classes[c], path, err);
        if (st) return st;
    }
    sk_sink *s = sk_xcalloc(1, sizeof *s);
    s->path = sk_xstrdup(path);
    s->size = size;
    s->nclasses = nclasses;
    s->jpeg_quality = jpeg_quality;
    for (int c = 0; c < nclasses; c++) sk_snprintf(s->classes[c], SK_SKDS_NAME_MAX, "%s", classes[c]);
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
        st = open_folder(s, extra, nextra, err);
    }
    if (st) {
        sk_sink_abort(s);
        return st;
    }
    *out = s;
    return SK_OK;
}

int sk_sink_is_skds(const sk_sink *s) { return s->skds != NULL; }

static sk_status encode(const sk_sink *s, sk_buf *out, const uint8_t *rgb, sk_error *err)
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

sk_status sk_sink_add(sk_sink *s, const sk_skds_record *rec, const uint8_t *rgb, const sk_buf *enc,
                      const char *const *extra, sk_error *err)
{
    SK_ASSERT(rec->label < (uint32_t)s->nclasses);
    if (s->skds) {
        sk_status st = sk_skds_writer_add(s->skds, rec, rgb, err);
        if (!st) s->count++;
        return st;
    }
    char rel[SK_SKDS_NAME_MAX + 32], objid[24];
    sk_snprintf(rel, sizeof rel, "%s/%08llu.%s", s->classes[rec->label],
                (unsigned long long)rec->objid, s->jpeg_quality ? "jpg" : "png");
    sk_snprintf(objid, sizeof objid, "%llu", (unsigned long long)rec->objid);
    const char *fields[SK_MF_NCOLS] = {objid, s->classes[rec->label], rel};
    for (int k = 0; k < s->nextra; k++) fields[3 + k] = extra[k];
    sk_status st = sk_manifest_add(&s->manifest, fields, s->path, err);
    if (st) return st;
    sk_buf local;
    sk_buf_init(&local);
    if (!enc) {
        st = encode(s, &local, rgb, err);
        enc = &local;
    }
    char *full = sk_path_join(s->path, rel);
    if (!st) st = sk_write_file_atomic(full, enc->data, enc->len, err);
    free(full);
    sk_buf_free(&local);
    if (st) return st;
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
        st = sk_manifest_write(&s->manifest, mpath, NULL, err);
        free(mpath);
    }
    sk_sink_abort(s);
    return st;
}

void sk_sink_abort(sk_sink *s)
{
    if (!s) return;
    sk_skds_writer_abort(s->skds);
    sk_manifest_free(&s->manifest);
    free(s->path);
    free(s);
}

/* ---- the render-encode-write pipeline ---- */

typedef struct {
    size_t chunk;
    uint8_t *pix;   /* chunk images */
    uint8_t *slot;  /* chunk slots */
    sk_buf *enc;    /* chunk encoded files (folder mode) */
    int *keep;
    sk_status *st;
    sk_error *errs;
} pipeline;

/* Renders (and encodes) items base..base+m-1 in parallel into the pipeline's slots. */
static void render_chunk(const sk_sink *s, const sk_sink_job *job, pipeline *p, uint64_t base, long m)
{
    const size_t img = (size_t)s->size * s->size * 3;
    const int folder = !s->skds;
#pragma omp parallel for schedule(dynamic, 1)
    for (long j = 0; j < m; j++) {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        uint8_t *rgb = p->pix + (size_t)j * img;
        p->st[j] = SK_OK;
        p->keep[j] = job->render(job->ctx, base + (uint64_t)j, tid, rgb, p->slot + (size_t)j * job->slot_bytes);
        if (p->keep[j] && folder) {
            p->enc[j].len = 0;
            p->st[j] = encode(s, &p->enc[j], rgb, &p->errs[j]);
        }
    }
}

/* Describes and adds the rendered items of a chunk in index order. */
static sk_status write_chunk(sk_sink *s, const sk_sink_job *job, pipeline *p, uint64_t base, long m,
                             uint64_t *written, sk_error *err)
{
    const size_t img = (size_t)s->size * s->size * 3;
    char fields[SK_MF_NCOLS][SK_SINK_FIELD_MAX];
    const char *extra[SK_MF_NCOLS];
    for (int k = 0; k < SK_MF_NCOLS; k++) extra[k] = fields[k];
    for (long j = 0; j < m; j++) {
        if (!p->keep[j]) {
            if (job->left_out) job->left_out(job->ctx, base + (uint64_t)j, p->slot + (size_t)j * job->slot_bytes);
            continue;
        }
        if (p->st[j]) {
            *err = p->errs[j];
            return p->st[j];
        }
        sk_skds_record rec;
        memset(&rec, 0, sizeof rec);
        memset(fields, 0, sizeof fields);
        job->describe(job->ctx, base + (uint64_t)j, p->slot + (size_t)j * job->slot_bytes, &rec, fields);
        sk_status st = sk_sink_add(s, &rec, p->pix + (size_t)j * img, s->skds ? NULL : &p->enc[j], extra, err);
        if (st) return st;
        (*written)++;
    }
    return SK_OK;
}

sk_status sk_sink_run(sk_sink *s, uint64_t n, const sk_sink_job *job, uint64_t *written, sk_error *err)
{
    *written = 0;
    const size_t img = (size_t)s->size * s->size * 3;
    pipeline p;
    p.chunk = ((size_t)256 << 20) / img;
    if (p.chunk < 1) p.chunk = 1;
    if (p.chunk > 256) p.chunk = 256;
    if (n && p.chunk > n) p.chunk = (size_t)n;
    p.pix = sk_xmalloc(p.chunk * img);
    p.slot = sk_xcalloc(p.chunk, job->slot_bytes ? job->slot_bytes : 1);
    p.enc = sk_xcalloc(p.chunk, sizeof *p.enc);
    p.keep = sk_xcalloc(p.chunk, sizeof *p.keep);
    p.st = sk_xcalloc(p.chunk, sizeof *p.st);
    p.errs = sk_xcalloc(p.chunk, sizeof *p.errs);
    sk_progress bar;
    if (job->progress) sk_progress_begin(&bar, job->label, n, NULL);
    sk_status st = SK_OK;
    for (uint64_t base = 0; base < n && !st; base += p.chunk) {
        long m = (long)(n - base < p.chunk ? n - base : p.chunk);
        render_chunk(s, job, &p, base, m);
        st = write_chunk(s, job, &p, base, m, written, err);
        if (job->progress) sk_progress_update(&bar, base + (uint64_t)m);
    }
    if (job->progress) sk_progress_end(&bar);
    for (size_t j = 0; j < p.chunk; j++) sk_buf_free(&p.enc[j]);
    free(p.enc);
    free(p.keep);
    free(p.st);
    free(p.errs);
    free(p.slot);
    free(p.pix);
    return st;
}
