/* export.c: .skds -> NumPy .npy files, or a reproducible tar.gz of PNGs (see export.h).
 * The archive goes through libarchive's writer into skytune's atomic temp file, so a failed
 * export never leaves a partial archive at the destination. */
#include "export.h"

#include "sk_base.h"
#include "image.h"
#include "manifest.h"

#include <archive.h>
#include <archive_entry.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* NPY 1.0 header: magic, version, u16 length, dict padded with spaces + '\n' to 64 bytes. */
static void npy_header(sk_buf *b, const char *descr, const uint64_t *shape, int ndim)
{
    char dict[256], sh[128];
    size_t n = 0;
    for (int i = 0; i < ndim; i++)
        n += (size_t)snprintf(sh + n, sizeof sh - n, "%" PRIu64 "%s", shape[i],
                              ndim == 1 ? "," : i + 1 < ndim ? ", " : "");
    int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                      descr, sh);
    size_t total = 10 + (size_t)dl + 1;
    size_t pad = (64 - total % 64) % 64;
    sk_buf_put_bytes(b, "\x93NUMPY\x01\x00", 8);
    sk_buf_put_u16(b, (uint16_t)(dl + pad + 1));
    sk_buf_put_bytes(b, dict, (size_t)dl);
    for (size_t i = 0; i < pad; i++) sk_buf_put_u8(b, ' ');
    sk_buf_put_u8(b, '\n');
}

static sk_status write_small(const char *dir, const char *name, sk_buf *b, sk_error *err)
{
    char *p = sk_path_join(dir, name);
    sk_status s = sk_write_file_atomic(p, b->data, b->len, err);
    free(p);
    return s;
}

sk_status sk_export_npy(const sk_skds *ds, const char *dir, sk_error *err)
{
    sk_status s = sk_mkdir_p(dir, err);
    if (s) return s;
    sk_tmp_clean_stale(dir, NULL);
    const uint64_t n = ds->count;
    sk_buf b;
    sk_buf_init(&b);
    /* x.npy streamed straight from the mapping (pixels are already little-endian). */
    uint64_t shape[4] = {n, ds->h.height, ds->h.width, ds->h.channels};
    npy_header(&b, ds->h.dtype == SK_SKDS_F32 ? "<f4" : "|u1", shape, 4);
    char *xp = sk_path_join(dir, "x.npy");
    sk_atomic_file af;
    s = sk_atomic_open(&af, xp, err);
    if (!s) {
        s = sk_atomic_write(&af, b.data, b.len, err);
        if (!s && n) s = sk_atomic_write(&af, ds->pixels, (size_t)n * ds->record_bytes, err);
        if (!s) s = sk_atomic_commit(&af, err);
        else sk_atomic_abort(&af);
    }
    free(xp);
    b.len = 0;
    if (!s) {
        npy_header(&b, "<i4", &n, 1);
        for (uint64_t i = 0; i < n; i++) sk_buf_put_i32(&b, (int32_t)ds->records[i].label);
        s = write_small(dir, "y.npy", &b, err);
        b.len = 0;
    }
    if (!s) {
        npy_header(&b, "|u1", &n, 1);
        for (uint64_t i = 0; i < n; i++) sk_buf_put_u8(&b, (uint8_t)ds->records[i].split);
        s = write_small(dir, "split.npy", &b, err);
        b.len = 0;
    }
    if (!s) {
        npy_header(&b, "<u8", &n, 1);
        for (uint64_t i = 0; i < n; i++) sk_buf_put_u64(&b, ds->records[i].objid);
        s = write_small(dir, "objid.npy", &b, err);
        b.len = 0;
    }
    for (int k = 0; k < 2 && !s; k++) {
        npy_header(&b, "<f8", &n, 1);
        for (uint64_t i = 0; i < n; i++) sk_buf_put_f64(&b, k ? ds->records[i].dec : ds->records[i].ra);
        s = write_small(dir, k ? "dec.npy" : "ra.npy", &b, err);
        b.len = 0;
    }
    if (!s) {
        for (uint32_t c = 0; c < ds->h.nclasses; c++) {
            sk_buf_put_bytes(&b, ds->h.class_names[c], strlen(ds->h.class_names[c]));
            sk_buf_put_u8(&b, '\n');
        }
        s = write_small(dir, "class_names.txt", &b, err);
    }
    sk_buf_free(&b);
    if (s) sk_error_prefix(err, "exporting to %s: ", dir);
    return s;
}

/* ---- archive ---- */

typedef struct {
    sk_atomic_file af;
    sk_error err;
    int failed;
} arc_sink;

static la_ssize_t arc_write(struct archive *a, void *ud, const void *buf, size_t n)
{
    (void)a;
    arc_sink *k = ud;
    if (sk_atomic_write(&k->af, buf, n, &k->err) != SK_OK) {
        k->failed = 1;
        return -1;
    }
    return (la_ssize_t)n;
}

static sk_status add_entry(struct archive *a, const char *path, const void *data, size_t n,
                           arc_sink *k, sk_error *err)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)n);
    archive_entry_set_mtime(e, 0, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    int r = archive_write_header(a, e);
    archive_entry_free(e);
    if (r == ARCHIVE_OK && n && archive_write_data(a, data, n) != (la_ssize_t)n) r = ARCHIVE_FATAL;
    if (r != ARCHIVE_OK) {
        if (k->failed) {
            *err = k->err;
            return err->code;
        }
        return sk_error_set(err, SK_EIO, "archive entry %s: %s", path, archive_error_string(a));
    }
    return SK_OK;
}

/* The archive's manifest.tsv: a comment line, then index file objid class label split ra dec
 * (ra/dec empty when unknown), one row per record in record order. */
static sk_status archive_manifest(const sk_skds *ds, const char *what, sk_buf *out, sk_error *err)
{
    static const sk_manifest_col cols[] = {SK_MF_INDEX, SK_MF_FILE, SK_MF_OBJID, SK_MF_CLASS,
                                           SK_MF_LABEL, SK_MF_SPLIT, SK_MF_RA, SK_MF_DEC};
    sk_manifest m;
    sk_manifest_init(&m, cols, (int)SK_ARRAY_LEN(cols));
    sk_status s = SK_OK;
    for (uint64_t i = 0; i < ds->count && !s; i++) {
        const sk_skds_record *rec = &ds->records[i];
        char idx[24], file[256], objid[24], label[16], ra[32] = "", dec[32] = "";
        snprintf(idx, sizeof idx, "%" PRIu64, i);
        snprintf(file, sizeof file, "%s/%06" PRIu64 "_%" PRIu64 ".png", ds->h.class_names[rec->label],
                 i, rec->objid);
        snprintf(objid, sizeof objid, "%" PRIu64, rec->objid);
        snprintf(label, sizeof label, "%u", rec->label);
        if (!isnan(rec->ra)) snprintf(ra, sizeof ra, "%.17g", rec->ra);
        if (!isnan(rec->dec)) snprintf(dec, sizeof dec, "%.17g", rec->dec);
        const char *f[] = {idx, file, objid, ds->h.class_names[rec->label], label,
                           sk_split_name(rec->split), ra, dec};
        s = sk_manifest_add(&m, f, what, err);
    }
    const int f32 = ds->h.dtype == SK_SKDS_F32;
    char comment[128];
    snprintf(comment, sizeof comment, "skytune export: %s pixels%s", f32 ? "float32" : "uint8",
             f32 ? " rounded to uint8 for PNG" : "");
    if (!s) sk_manifest_format(&m, comment, out);
    sk_manifest_free(&m);
    return s;
}

sk_status sk_export_archive(const sk_skds *ds, const char *out_path, sk_error *err)
{
    sk_tmp_clean_stale_for(out_path);
    arc_sink *k = sk_xcalloc(1, sizeof *k);
    sk_status s = sk_atomic_open(&k->af, out_path, err);
    if (s) {
        free(k);
        return s;
    }
    struct archive *a = archive_write_new();
    int r = archive_write_set_format_ustar(a);
    if (r == ARCHIVE_OK) r = archive_write_add_filter_gzip(a);
    if (r == ARCHIVE_OK) r = archive_write_set_filter_option(a, "gzip", "timestamp", NULL);
    if (r == ARCHIVE_OK) r = archive_write_set_filter_option(a, "gzip", "compression-level", "6");
    if (r == ARCHIVE_OK) r = archive_write_set_bytes_in_last_block(a, 1);
    if (r == ARCHIVE_OK) r = archive_write_open2(a, k, NULL, arc_write, NULL, NULL);
    if (r != ARCHIVE_OK) {
        s = sk_error_set(err, SK_EIO, "%s: libarchive: %s", out_path, archive_error_string(a));
        goto done;
    }
    const int f32 = ds->h.dtype == SK_SKDS_F32;
    const size_t npx = (size_t)ds->h.height * ds->h.width * ds->h.channels;
    uint8_t *u8 = f32 ? sk_xmalloc(npx) : NULL;
    sk_buf man;
    sk_buf_init(&man);
    char name[256];
    s = archive_manifest(ds, out_path, &man, err);
    if (!s) s = add_entry(a, "manifest.tsv", man.data, man.len, k, err);
    sk_buf_free(&man);
    for (uint64_t i = 0; i < ds->count && !s; i++) {
        const sk_skds_record *rec = &ds->records[i];
        const uint8_t *px = sk_skds_pixels(ds, i);
        if (f32) {
            sk_pixels_to_u8(u8, sk_skds_pixels(ds, i), npx);
            px = u8;
        }
        uint8_t *png;
        size_t pn;
        if ((s = sk_image_encode_png(&png, &pn, px, ds->h.width, ds->h.height, ds->h.channels, err))) break;
        snprintf(name, sizeof name, "%s/%06" PRIu64 "_%" PRIu64 ".png", ds->h.class_names[rec->label],
                 i, rec->objid);
        s = add_entry(a, name, png, pn, k, err);
        free(png);
    }
    free(u8);
    if (!s && archive_write_close(a) != ARCHIVE_OK)
        s = k->failed ? (*err = k->err, err->code)
                      : sk_error_set(err, SK_EIO, "%s: libarchive: %s", out_path, archive_error_string(a));
done:
    archive_write_free(a);
    if (!s) s = sk_atomic_commit(&k->af, err);
    else sk_atomic_abort(&k->af);
    if (s) sk_error_prefix(err, "exporting %s: ", out_path);
    free(k);
    return s;
}
