/* skds.c: the .skds writer (streamed, atomic) and reader (mmap, every field and checksum checked).
 *
 * Physical layout (docs/FORMATS.md): a 128-byte preamble with a section table, then HEAD at
 * offset 128, zero padding to a 64-byte boundary, PIXL, RECS, PROV, end of file. The writer
 * streams pixels as records arrive, keeps the 32-byte records in memory and writes them, the
 * provenance, the final record count and the preamble at finish (seeking back in the temp file).
 * The reader accepts exactly this layout and nothing looser: every offset is implied by the
 * previous section, so a corrupt table cannot point anywhere else.
 * Not here: how pixels are made (pack.c, synth), exports (export.c). */
#include "skds.h"

#include "sk_base.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PREAMBLE_SIZE 128u
#define RECORD_SIZE 32u
#define NSECT 4
#define PROV_MAX 256u           /* provenance entries */
#define PROV_KEY_MAX 64u        /* key bytes incl. NUL */
#define PROV_VALUE_MAX (1u << 20)

static const uint8_t MAGIC[8] = {'S', 'K', 'D', 'S', '\r', '\n', 0x1a, '\n'};
enum { S_HEAD = 0, S_PIXL = 1, S_RECS = 2, S_PROV = 3 };
static const char *const SECT_NAME[NSECT] = {"HEAD", "PIXL", "RECS", "PROV"};

static uint32_t sect_tag(int s)
{
    return sk_le_load32((const uint8_t *)SECT_NAME[s]);
}

static uint64_t align64(uint64_t x) { return (x + 63u) & ~(uint64_t)63u; }

static int host_is_le(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

const char *sk_resize_mode_name(sk_resize_mode m)
{
    switch (m) {
    case SK_RESIZE_NONE: return "none";
    case SK_RESIZE_BILINEAR: return "bilinear";
    case SK_RESIZE_AREA: return "area";
    case SK_RESIZE_OTHER: return "other";
    case SK_RESIZE_COUNT: break;
    }
    return "unknown"; /* also a value read from a file that is out of range */
}

const char *sk_split_name(uint32_t split)
{
    switch (split) {
    case SK_SPLIT_TRAIN: return "train";
    case SK_SPLIT_VAL: return "val";
    case SK_SPLIT_TEST: return "test";
    default: return "unknown";
    }
}

void sk_skds_header_init(sk_skds_header *h)
{
    memset(h, 0, sizeof *h);
    h->channels = 3;
    h->dtype = SK_SKDS_U8;
    h->split_rule = SK_SPLIT_RULE_KERAS;
    h->resize = SK_RESIZE_NONE;
}

static int class_char_ok(unsigned char c, int first)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') return 1;
    return !first && (c == '-' || c == '.');
}

/* Checks len bytes of name (which need not be NUL-terminated within them). */
static sk_status check_class_name(const char *name, size_t len, const char *what, uint32_t i,
                                  sk_error *err)
{
    if (len == 0)
        return sk_error_set(err, SK_EINVAL, "%s: class %u: expected a non-empty name, found \"\"",
                            what, i);
    if (len >= SK_SKDS_NAME_MAX)
        return sk_error_set(err, SK_EINVAL, "%s: class %u: name is %zu bytes, at most %d allowed",
                            what, i, len, SK_SKDS_NAME_MAX - 1);
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)name[k];
        if (!class_char_ok(c, k == 0))
            return sk_error_set(err, SK_EINVAL, "%s: class %u: name has byte 0x%02x at %zu; "
                                "class names use " SK_CLASS_NAME_ALPHABET, what, i, c, k);
    }
    return SK_OK;
}

sk_status sk_class_name_check(const char *name, const char *what, sk_error *err)
{
    size_t len = strnlen(name, SK_SKDS_NAME_MAX);
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)name[k];
        if (!class_char_ok(c, k == 0))
            return sk_error_set(err, SK_EINVAL, "%s: class name has byte 0x%02x at %zu; class names "
                                "use " SK_CLASS_NAME_ALPHABET, what, c, k);
    }
    if (len == 0 || len >= SK_SKDS_NAME_MAX)
        return sk_error_set(err, SK_EINVAL, "%s: class name is %zu bytes; class names use "
                            SK_CLASS_NAME_ALPHABET, what, len);
    return SK_OK;
}

sk_status sk_skds_header_add_class(sk_skds_header *h, const char *name, sk_error *err)
{
    if (h->nclasses >= SK_SKDS_MAX_CLASSES)
        return sk_error_set(err, SK_ELIMIT, "class \"%s\": at most %d classes allowed", name,
                            SK_SKDS_MAX_CLASSES);
    sk_status s = check_class_name(name, strlen(name), "header", h->nclasses, err);
    if (s) return s;
    for (uint32_t i = 0; i < h->nclasses; i++)
        if (strcmp(h->class_names[i], name) == 0)
            return sk_error_set(err, SK_EINVAL, "class \"%s\" given twice (classes %u and %u)", name,
                                i, h->nclasses);
    snprintf(h->class_names[h->nclasses], SK_SKDS_NAME_MAX, "%s", name);
    h->nclasses++;
    return SK_OK;
}

size_t sk_skds_record_bytes(const sk_skds_header *h)
{
    return (size_t)h->height * h->width * h->channels * (h->dtype == SK_SKDS_F32 ? 4u : 1u);
}

/* The checks shared by writer and reader. */
static sk_status check_header(const sk_skds_header *h, const char *what, sk_error *err)
{
    if (h->height < 1 || h->height > SK_SKDS_MAX_DIM)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'height': expected 1..%d, found %u", what,
                            SK_SKDS_MAX_DIM, h->height);
    if (h->width < 1 || h->width > SK_SKDS_MAX_DIM)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'width': expected 1..%d, found %u", what,
                            SK_SKDS_MAX_DIM, h->width);
    if (h->channels != 1 && h->channels != 3 && h->channels != 4)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'channels': expected 1, 3 or 4, found %u",
                            what, h->channels);
    if (h->dtype != SK_SKDS_U8 && h->dtype != SK_SKDS_F32)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'dtype': expected 0 (u8) or 1 (f32), found %u",
                            what, (unsigned)h->dtype);
    if (h->nclasses < 1 || h->nclasses > SK_SKDS_MAX_CLASSES)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'nclasses': expected 1..%d, found %u", what,
                            SK_SKDS_MAX_CLASSES, h->nclasses);
    for (uint32_t i = 0; i < h->nclasses; i++) {
        size_t len = strnlen(h->class_names[i], SK_SKDS_NAME_MAX);
        sk_status s = check_class_name(h->class_names[i], len, what, i, err);
        if (s) return s;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(h->class_names[i], h->class_names[j]) == 0)
                return sk_error_set(err, SK_EFORMAT, "%s: class name \"%s\" appears twice (%u, %u)",
                                    what, h->class_names[i], j, i);
    }
    if (!(h->val_fraction >= 0.0 && h->val_fraction <= 1.0))
        return sk_error_set(err, SK_EFORMAT, "%s: field 'val_fraction': expected 0..1, found %g",
                            what, h->val_fraction);
    if (!(h->test_fraction >= 0.0 && h->test_fraction < 1.0))
        return sk_error_set(err, SK_EFORMAT, "%s: field 'test_fraction': expected 0 <= test < 1, found %g",
                            what, h->test_fraction);
    if ((unsigned)h->split_rule >= SK_SPLIT_RULE_COUNT)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'split_rule': expected 0..%d, found %u", what,
                            SK_SPLIT_RULE_COUNT - 1, (unsigned)h->split_rule);
    if ((unsigned)h->resize >= SK_RESIZE_COUNT)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'resize': expected 0..%d, found %u", what,
                            SK_RESIZE_COUNT - 1, (unsigned)h->resize);
    if (strnlen(h->source, SK_SKDS_SOURCE_MAX) >= SK_SKDS_SOURCE_MAX)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'source' is not terminated", what);
    return SK_OK;
}

static sk_status check_record(const sk_skds_record *r, uint32_t nclasses, const char *what,
                              uint64_t i, sk_error *err)
{
    if (r->label >= nclasses)
        return sk_error_set(err, SK_EFORMAT, "%s: record %" PRIu64 " field 'label': expected < %u, found %u",
                            what, i, nclasses, r->label);
    if (r->split >= SK_SPLIT_COUNT)
        return sk_error_set(err, SK_EFORMAT, "%s: record %" PRIu64 " field 'split': expected 0..2, found %u",
                            what, i, r->split);
    return SK_OK;
}

/* HEAD section bytes; the record count is the first field (patched at finish). */
static void put_header(sk_buf *b, const sk_skds_header *h, uint64_t count)
{
    sk_buf_put_u64(b, count);
    sk_buf_put_u32(b, h->height);
    sk_buf_put_u32(b, h->width);
    sk_buf_put_u32(b, h->channels);
    sk_buf_put_u32(b, (uint32_t)h->dtype);
    sk_buf_put_u32(b, RECORD_SIZE);
    sk_buf_put_u32(b, h->nclasses);
    for (uint32_t i = 0; i < h->nclasses; i++) sk_buf_put_str(b, h->class_names[i]);
    sk_buf_put_u64(b, h->split_seed);
    sk_buf_put_f64(b, h->val_fraction);
    sk_buf_put_f64(b, h->test_fraction);
    sk_buf_put_u32(b, (uint32_t)h->split_rule);
    sk_buf_put_u32(b, (uint32_t)h->resize);
    sk_buf_put_str(b, h->source);
}

static void put_record(sk_buf *b, const sk_skds_record *r)
{
    sk_buf_put_u64(b, r->objid);
    sk_buf_put_u32(b, r->label);
    sk_buf_put_u32(b, r->split);
    sk_buf_put_f64(b, r->ra);
    sk_buf_put_f64(b, r->dec);
}

/* ------------------------------------------------------------------------------------------ */
/* writer */

struct sk_skds_writer {
    sk_atomic_file af;
    sk_skds_header h;
    size_t rb;
    sk_buf head;
    uint64_t pix_off, pix_len;
    uint32_t pix_crc;
    sk_skds_record *recs;
    uint64_t count, cap;
    uint32_t nprov;
    char *prov_key[PROV_MAX], *prov_val[PROV_MAX];
    uint8_t *f32buf; /* byte-order conversion of one float record on big-endian hosts */
    char *path;
};

sk_status sk_skds_writer_open(sk_skds_writer **out, const char *path, const sk_skds_header *h,
                              sk_error *err)
{
    *out = NULL;
    sk_status s = check_header(h, path, err);
    if (s) {
        if (err) err->code = SK_EINVAL;
        return SK_EINVAL;
    }
    sk_tmp_clean_stale_for(path); /* what killed writers of path left, reported */
    sk_skds_writer *w = sk_xcalloc(1, sizeof *w);
    w->h = *h;
    w->rb = sk_skds_record_bytes(h);
    w->path = sk_xstrdup(path);
    sk_buf_init(&w->head);
    put_header(&w->head, h, 0);
    if ((s = sk_atomic_open(&w->af, path, err))) goto fail;
    uint8_t zeros[PREAMBLE_SIZE + 64] = {0};
    if ((s = sk_atomic_write(&w->af, zeros, PREAMBLE_SIZE, err))) goto fail_af;
    if ((s = sk_atomic_write(&w->af, w->head.data, w->head.len, err))) goto fail_af;
    w->pix_off = align64(PREAMBLE_SIZE + w->head.len);
    size_t pad = (size_t)(w->pix_off - PREAMBLE_SIZE - w->head.len);
    if ((s = sk_atomic_write(&w->af, zeros, pad, err))) goto fail_af;
    if (h->dtype == SK_SKDS_F32 && !host_is_le()) w->f32buf = sk_xmalloc(w->rb);
    *out = w;
    return SK_OK;
fail_af:
    sk_atomic_abort(&w->af);
fail:
    sk_buf_free(&w->head);
    free(w->path);
    free(w);
    return s;
}

uint64_t sk_skds_writer_count(const sk_skds_writer *w) { return w->count; }

sk_status sk_skds_writer_add(sk_skds_writer *w, const sk_skds_record *rec, const void *pixels,
                             sk_error *err)
{
    sk_status s = check_record(rec, w->h.nclasses, w->path, w->count, err);
    if (s) {
        if (err) err->code = SK_EINVAL;
        return SK_EINVAL;
    }
    const void *src = pixels;
    if (w->f32buf) {
        const float *f = pixels;
        for (size_t k = 0; k < w->rb / 4; k++) {
            uint32_t u;
            memcpy(&u, &f[k], 4);
            sk_le_store32(w->f32buf + 4 * k, u);
        }
        src = w->f32buf;
    }
    if ((s = sk_atomic_write(&w->af, src, w->rb, err))) return s;
    w->pix_crc = sk_crc32(w->pix_crc, src, w->rb);
    w->pix_len += w->rb;
    if (w->count == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 256;
        w->recs = sk_xrealloc(w->recs, (size_t)w->cap * sizeof *w->recs);
    }
    w->recs[w->count++] = *rec;
    return SK_OK;
}

sk_status sk_skds_writer_set_split(sk_skds_writer *w, uint64_t i, uint32_t split, sk_error *err)
{
    if (i >= w->count)
        return sk_error_set(err, SK_EINVAL, "%s: set_split: record %" PRIu64 " not written yet (%" PRIu64 " records)",
                            w->path, i, w->count);
    if (split >= SK_SPLIT_COUNT)
        return sk_error_set(err, SK_EINVAL, "%s: set_split: expected split 0..2, found %u", w->path, split);
    w->recs[i].split = split;
    return SK_OK;
}

void sk_skds_writer_set_provenance(sk_skds_writer *w, const char *key, const char *value)
{
    SK_ASSERT(strlen(key) > 0 && strlen(key) < PROV_KEY_MAX);
    SK_ASSERT(strlen(value) < PROV_VALUE_MAX);
    for (uint32_t i = 0; i < w->nprov; i++)
        if (strcmp(w->prov_key[i], key) == 0) {
            free(w->prov_val[i]);
            w->prov_val[i] = sk_xstrdup(value);
            return;
        }
    SK_ASSERT_MSG(w->nprov < PROV_MAX, "too many provenance entries");
    w->prov_key[w->nprov] = sk_xstrdup(key);
    w->prov_val[w->nprov] = sk_xstrdup(value);
    w->nprov++;
}

static void writer_free(sk_skds_writer *w)
{
    for (uint32_t i = 0; i < w->nprov; i++) {
        free(w->prov_key[i]);
        free(w->prov_val[i]);
    }
    sk_buf_free(&w->head);
    free(w->recs);
    free(w->f32buf);
    free(w->path);
    free(w);
}

void sk_skds_writer_abort(sk_skds_writer *w)
{
    if (!w) return;
    sk_atomic_abort(&w->af);
    writer_free(w);
}

static sk_status seek_write(sk_skds_writer *w, uint64_t off, const void *p, size_t n, sk_error *err)
{
    if (fseeko(w->af.fp, (off_t)off, SEEK_SET) != 0)
        return sk_error_set(err, SK_EIO, "%s: seek to %" PRIu64 ": %s", w->af.tmp, off, strerror(errno));
    return sk_atomic_write(&w->af, p, n, err);
}

sk_status sk_skds_writer_finish(sk_skds_writer *w, sk_error *err)
{
    sk_status s = SK_OK;
    char ver[128];
    sk_buildinfo bi;
    sk_buildinfo_get(&bi);
    snprintf(ver, sizeof ver, "%s (git %s)", bi.version, bi.git_revision);
    sk_skds_writer_set_provenance(w, "skytune_version", ver);

    sk_buf recs, prov, pre;
    sk_buf_init(&recs);
    sk_buf_init(&prov);
    sk_buf_init(&pre);
    sk_buf_reserve(&recs, (size_t)w->count * RECORD_SIZE);
    for (uint64_t i = 0; i < w->count; i++) put_record(&recs, &w->recs[i]);
    sk_buf_put_u32(&prov, w->nprov);
    for (uint32_t i = 0; i < w->nprov; i++) {
        sk_buf_put_str(&prov, w->prov_key[i]);
        sk_buf_put_str(&prov, w->prov_val[i]);
    }
    /* Patch the count into HEAD (its first field). */
    sk_le_store64(w->head.data, w->count);

    uint64_t off[NSECT], len[NSECT];
    uint32_t crc[NSECT];
    off[S_HEAD] = PREAMBLE_SIZE;
    len[S_HEAD] = w->head.len;
    crc[S_HEAD] = sk_crc32(0, w->head.data, w->head.len);
    off[S_PIXL] = w->pix_off;
    len[S_PIXL] = w->pix_len;
    crc[S_PIXL] = w->pix_crc;
    off[S_RECS] = off[S_PIXL] + len[S_PIXL];
    len[S_RECS] = recs.len;
    crc[S_RECS] = sk_crc32(0, recs.data, recs.len);
    off[S_PROV] = off[S_RECS] + len[S_RECS];
    len[S_PROV] = prov.len;
    crc[S_PROV] = sk_crc32(0, prov.data, prov.len);
    uint64_t file_size = off[S_PROV] + len[S_PROV];

    sk_buf_put_bytes(&pre, MAGIC, sizeof MAGIC);
    sk_buf_put_u32(&pre, SK_SKDS_VERSION);
    sk_buf_put_u32(&pre, PREAMBLE_SIZE);
    sk_buf_put_u64(&pre, file_size);
    for (int k = 0; k < NSECT; k++) {
        sk_buf_put_u32(&pre, sect_tag(k));
        sk_buf_put_u32(&pre, crc[k]);
        sk_buf_put_u64(&pre, off[k]);
        sk_buf_put_u64(&pre, len[k]);
    }
    sk_buf_put_u32(&pre, 0);
    SK_ASSERT(pre.len == PREAMBLE_SIZE - 4);
    sk_buf_put_u32(&pre, sk_crc32(0, pre.data, pre.len));

    if ((s = sk_atomic_write(&w->af, recs.data, recs.len, err))) goto done;
    if ((s = sk_atomic_write(&w->af, prov.data, prov.len, err))) goto done;
    if ((s = seek_write(w, 0, pre.data, pre.len, err))) goto done;
    if ((s = seek_write(w, PREAMBLE_SIZE, w->head.data, w->head.len, err))) goto done;
    s = sk_atomic_commit(&w->af, err);
    w->af.fp = NULL;
done:
    if (s) {
        sk_error_prefix(err, "writing %s: ", w->path);
        if (w->af.fp) sk_atomic_abort(&w->af);
    }
    sk_buf_free(&recs);
    sk_buf_free(&prov);
    sk_buf_free(&pre);
    writer_free(w);
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* reader */

/* The preamble: magic, version, sizes, the section table (each section where the previous one
 * ends), padding and every CRC (the pixels' unless flags skip it). */
static sk_status parse_preamble(const uint8_t *p, size_t n, const char *what, unsigned flags,
                                uint64_t off[NSECT], uint64_t len[NSECT], uint32_t *versionp,
                                sk_error *err)
{
    if (n < PREAMBLE_SIZE)
        return sk_error_set(err, SK_EFORMAT, "%s: file is %zu bytes, shorter than the %u-byte preamble",
                            what, n, PREAMBLE_SIZE);
    if (memcmp(p, MAGIC, sizeof MAGIC) != 0)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'magic': expected \"SKDS\\r\\n\\x1a\\n\", found "
                            "%02x %02x %02x %02x %02x %02x %02x %02x (not a .skds file)", what,
                            p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
    uint32_t version = sk_le_load32(p + 8);
    if (version < SK_SKDS_VERSION_MIN || version > SK_SKDS_VERSION)
        return sk_error_set(err, SK_EVERSION, "%s: field 'version': expected %u..%u, found %u (a newer skytune?)",
                            what, SK_SKDS_VERSION_MIN, SK_SKDS_VERSION, version);
    uint32_t pre_size = sk_le_load32(p + 12);
    if (pre_size != PREAMBLE_SIZE)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'preamble_size': expected %u, found %u", what,
                            PREAMBLE_SIZE, pre_size);
    uint32_t pre_crc = sk_le_load32(p + PREAMBLE_SIZE - 4), got = sk_crc32(0, p, PREAMBLE_SIZE - 4);
    if (pre_crc != got)
        return sk_error_set(err, SK_ECHECKSUM, "%s: preamble CRC-32: expected %08x, found %08x",
                            what, pre_crc, got);
    uint64_t file_size = sk_le_load64(p + 16);
    if (file_size != n)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'file_size': expected %" PRIu64 " (the header), "
                            "found %zu bytes (truncated or extended file)", what, file_size, n);
    if (sk_le_load32(p + 120) != 0)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'reserved': expected 0, found %u", what,
                            sk_le_load32(p + 120));
    uint32_t crc[NSECT];
    for (int k = 0; k < NSECT; k++) {
        const uint8_t *e = p + 24 + 24 * k;
        uint32_t tag = sk_le_load32(e);
        if (tag != sect_tag(k))
            return sk_error_set(err, SK_EFORMAT, "%s: section %d tag: expected \"%s\", found 0x%08x",
                                what, k, SECT_NAME[k], tag);
        crc[k] = sk_le_load32(e + 4);
        off[k] = sk_le_load64(e + 8);
        len[k] = sk_le_load64(e + 16);
    }
    /* The layout is fixed: each section starts where the previous one ends. */
    uint64_t expect_off[NSECT];
    expect_off[S_HEAD] = PREAMBLE_SIZE;
    for (int k = 0; k < NSECT; k++) {
        if (k == S_PIXL) expect_off[k] = align64(off[S_HEAD] + len[S_HEAD]);
        else if (k > 0) expect_off[k] = off[k - 1] + len[k - 1];
        if (off[k] != expect_off[k])
            return sk_error_set(err, SK_EFORMAT, "%s: section %s offset: expected %" PRIu64 ", found %" PRIu64,
                                what, SECT_NAME[k], expect_off[k], off[k]);
        if (len[k] > n || off[k] > n - len[k])
            return sk_error_set(err, SK_EFORMAT, "%s: section %s (offset %" PRIu64 ", length %" PRIu64 ") "
                                "runs past the end of the %zu-byte file", what, SECT_NAME[k], off[k],
                                len[k], n);
    }
    if (off[S_PROV] + len[S_PROV] != n)
        return sk_error_set(err, SK_EFORMAT, "%s: sections end at %" PRIu64 ", expected the file size %zu",
                            what, off[S_PROV] + len[S_PROV], n);
    for (uint64_t q = off[S_HEAD] + len[S_HEAD]; q < off[S_PIXL]; q++)
        if (p[q] != 0)
            return sk_error_set(err, SK_EFORMAT, "%s: padding byte at offset %" PRIu64 ": expected 0, found %u",
                                what, q, p[q]);
    for (int k = 0; k < NSECT; k++) {
        if (k == S_PIXL && (flags & SK_SKDS_OPEN_SKIP_PIXEL_CRC)) continue;
        uint32_t c = sk_crc32(0, p + off[k], (size_t)len[k]);
        if (c != crc[k])
            return sk_error_set(err, SK_ECHECKSUM, "%s: section %s CRC-32: expected %08x, found %08x "
                                "(corrupt data)", what, SECT_NAME[k], crc[k], c);
    }
    *versionp = version;
    return SK_OK;
}

/* HEAD: the header fields, checked like the writer checks them (version 1 has no test fraction). */
static sk_status parse_head(sk_skds *ds, const uint8_t *p, size_t n, uint32_t version, const char *what,
                            sk_error *err)
{
    sk_status s;
    sk_reader r;
    char field[64];
    sk_reader_init(&r, p, n, what);
    sk_skds_header *h = &ds->h;
    uint32_t dtype, recsize, rule, resize;
    if ((s = sk_rd_u64(&r, &ds->count, "count", err)) || (s = sk_rd_u32(&r, &h->height, "height", err)) ||
        (s = sk_rd_u32(&r, &h->width, "width", err)) || (s = sk_rd_u32(&r, &h->channels, "channels", err)) ||
        (s = sk_rd_u32(&r, &dtype, "dtype", err)) || (s = sk_rd_u32(&r, &recsize, "record_size", err)) ||
        (s = sk_rd_u32(&r, &h->nclasses, "nclasses", err)))
        return s;
    if (recsize != RECORD_SIZE)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'record_size': expected %u, found %u", what,
                            RECORD_SIZE, recsize);
    if (h->nclasses < 1 || h->nclasses > SK_SKDS_MAX_CLASSES)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'nclasses': expected 1..%d, found %u", what,
                            SK_SKDS_MAX_CLASSES, h->nclasses);
    for (uint32_t i = 0; i < h->nclasses; i++) {
        snprintf(field, sizeof field, "class_name[%u]", i);
        if ((s = sk_rd_str(&r, h->class_names[i], SK_SKDS_NAME_MAX, field, err))) return s;
    }
    if ((s = sk_rd_u64(&r, &h->split_seed, "split_seed", err)) ||
        (s = sk_rd_f64(&r, &h->val_fraction, "val_fraction", err)) ||
        (version >= 2 && (s = sk_rd_f64(&r, &h->test_fraction, "test_fraction", err))) ||
        (s = sk_rd_u32(&r, &rule, "split_rule", err)) || (s = sk_rd_u32(&r, &resize, "resize", err)) ||
        (s = sk_rd_str(&r, h->source, SK_SKDS_SOURCE_MAX, "source", err)))
        return s;
    if (sk_reader_left(&r) != 0)
        return sk_error_set(err, SK_EFORMAT, "%s: section HEAD: %zu unexpected bytes after the last field",
                            what, sk_reader_left(&r));
    h->dtype = (sk_skds_dtype)dtype;
    h->split_rule = (sk_split_rule)rule;
    h->resize = (sk_resize_mode)resize;
    if ((s = check_header(h, what, err))) return s;
    if (h->dtype == SK_SKDS_F32 && !host_is_le())
        return sk_error_set(err, SK_EUNSUPPORTED, "%s: float32 pixels need a little-endian host", what);
    ds->record_bytes = sk_skds_record_bytes(h);
    return SK_OK;
}

/* RECS and PIXL sizes implied by the count, then every record. */
static sk_status parse_recs(sk_skds *ds, const uint8_t *p, const uint64_t *off, const uint64_t *len,
                            const char *what, sk_error *err)
{
    sk_status s;
    const sk_skds_header *h = &ds->h;
    if (ds->count > len[S_RECS] / RECORD_SIZE || ds->count * RECORD_SIZE != len[S_RECS])
        return sk_error_set(err, SK_EFORMAT, "%s: section RECS length: expected %" PRIu64 " x %u, found %" PRIu64,
                            what, ds->count, RECORD_SIZE, len[S_RECS]);
    if (ds->count > len[S_PIXL] / ds->record_bytes || ds->count * (uint64_t)ds->record_bytes != len[S_PIXL])
        return sk_error_set(err, SK_EFORMAT, "%s: section PIXL length: expected %" PRIu64 " x %zu, found %" PRIu64,
                            what, ds->count, ds->record_bytes, len[S_PIXL]);

    ds->records = sk_xmalloc((size_t)ds->count * sizeof *ds->records + 1);
    const uint8_t *q = p + off[S_RECS];
    for (uint64_t i = 0; i < ds->count; i++, q += RECORD_SIZE) {
        sk_skds_record *rec = &ds->records[i];
        rec->objid = sk_le_load64(q);
        rec->label = sk_le_load32(q + 8);
        rec->split = sk_le_load32(q + 12);
        uint64_t ra = sk_le_load64(q + 16), dec = sk_le_load64(q + 24);
        memcpy(&rec->ra, &ra, 8);
        memcpy(&rec->dec, &dec, 8);
        if ((s = check_record(rec, h->nclasses, what, i, err))) return s;
    }
    return SK_OK;
}

/* PROV: count, then key/value strings, nothing after. */
static sk_status parse_prov(sk_skds *ds, const uint8_t *p, size_t n, const char *what, sk_error *err)
{
    sk_status s;
    sk_reader r;
    char field[64];
    sk_reader_init(&r, p, n, what);
    uint32_t np;
    if ((s = sk_rd_u32(&r, &np, "provenance count", err))) return s;
    if (np > PROV_MAX || np > sk_reader_left(&r) / 8)
        return sk_error_set(err, SK_EFORMAT, "%s: field 'provenance count': expected at most %u "
                            "(and what the section can hold), found %u", what, PROV_MAX, np);
    ds->prov = sk_xcalloc(np ? np : 1, sizeof *ds->prov);
    for (uint32_t i = 0; i < np; i++) {
        snprintf(field, sizeof field, "provenance key %u", i);
        if ((s = sk_rd_str(&r, ds->prov[i].key, sizeof ds->prov[i].key, field, err))) return s;
        ds->nprov = i + 1;
        uint32_t vlen;
        snprintf(field, sizeof field, "provenance value %u", i);
        if ((s = sk_rd_u32(&r, &vlen, field, err))) return s;
        if (vlen > sk_reader_left(&r) || vlen >= PROV_VALUE_MAX)
            return sk_error_set(err, SK_EFORMAT, "%s: field '%s': length %u exceeds the %zu bytes left",
                                what, field, vlen, sk_reader_left(&r));
        ds->prov[i].value = sk_xmalloc((size_t)vlen + 1);
        if ((s = sk_rd_bytes(&r, ds->prov[i].value, vlen, field, err))) return s;
        ds->prov[i].value[vlen] = '\0';
    }
    if (sk_reader_left(&r) != 0)
        return sk_error_set(err, SK_EFORMAT, "%s: section PROV: %zu unexpected bytes after the last entry",
                            what, sk_reader_left(&r));
    return SK_OK;
}

static sk_status parse(sk_skds *ds, const uint8_t *p, size_t n, const char *what, unsigned flags,
                       sk_error *err)
{
    uint64_t off[NSECT], len[NSECT];
    uint32_t version = 0;
    sk_status s;
    if ((s = parse_preamble(p, n, what, flags, off, len, &version, err))) return s;
    if ((s = parse_head(ds, p + off[S_HEAD], (size_t)len[S_HEAD], version, what, err))) return s;
    if ((s = parse_recs(ds, p, off, len, what, err))) return s;
    if ((s = parse_prov(ds, p + off[S_PROV], (size_t)len[S_PROV], what, err))) return s;
    ds->pixels = p + off[S_PIXL];
    ds->version = version;
    ds->file_size = n;
    return SK_OK;
}

sk_status sk_skds_open_buffer(sk_skds *ds, const void *data, size_t len, const char *what,
                              unsigned flags, sk_error *err)
{
    memset(ds, 0, sizeof *ds);
    sk_status s = parse(ds, data, len, what, flags, err);
    if (s) sk_skds_close(ds);
    return s;
}

sk_status sk_skds_open(sk_skds *ds, const char *path, unsigned flags, sk_error *err)
{
    memset(ds, 0, sizeof *ds);
    int fd;
    uint64_t size = 0;
    sk_status s = sk_open_regular(path, &fd, &size, err); /* no blocking on a FIFO */
    if (s) return s;
    if (size < PREAMBLE_SIZE || size > SIZE_MAX) {
        close(fd);
        return sk_error_set(err, SK_EFORMAT, "%s: file is %llu bytes, shorter than the %u-byte preamble",
                            path, (unsigned long long)size, PREAMBLE_SIZE);
    }
    void *m = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return sk_error_set(err, SK_EIO, "%s: mmap of %llu bytes failed: %s", path,
                            (unsigned long long)size, strerror(errno));
    ds->map = m;
    ds->map_len = (size_t)size;
    ds->owns_map = 1;
    s = parse(ds, m, ds->map_len, path, flags, err);
    if (s) sk_skds_close(ds);
    return s;
}

void sk_skds_close(sk_skds *ds)
{
    free(ds->records);
    if (ds->prov)
        for (uint32_t i = 0; i < ds->nprov; i++) free(ds->prov[i].value);
    free(ds->prov);
    if (ds->owns_map && ds->map) munmap(ds->map, ds->map_len);
    memset(ds, 0, sizeof *ds);
}

const void *sk_skds_pixels(const sk_skds *ds, uint64_t i)
{
    SK_ASSERT(i < ds->count);
    return ds->pixels + (size_t)i * ds->record_bytes;
}

const char *sk_skds_provenance(const sk_skds *ds, const char *key)
{
    for (uint32_t i = 0; i < ds->nprov; i++)
        if (strcmp(ds->prov[i].key, key) == 0) return ds->prov[i].value;
    return NULL;
}

void sk_skds_class_counts(const sk_skds *ds, uint64_t *counts)
{
    memset(counts, 0, (size_t)ds->h.nclasses * SK_SPLIT_COUNT * sizeof *counts);
    for (uint64_t i = 0; i < ds->count; i++)
        counts[ds->records[i].label * SK_SPLIT_COUNT + ds->records[i].split]++;
}

sk_status sk_skds_verify(const char *path, sk_error *err)
{
    sk_skds ds;
    sk_status s = sk_skds_open(&ds, path, SK_SKDS_OPEN_DEFAULT, err);
    if (s) return s;
    sk_skds_close(&ds);
    return SK_OK;
}

void sk_skds_print_info(const sk_skds *ds, const char *path, FILE *out)
{
    const sk_skds_header *h = &ds->h;
    fprintf(out, "file:          %s\n", path);
    fprintf(out, "format:        .skds version %u, %" PRIu64 " bytes\n", ds->version, ds->file_size);
    fprintf(out, "records:       %" PRIu64 "\n", ds->count);
    fprintf(out, "image:         %u x %u x %u (H x W x C), %s\n", h->height, h->width, h->channels,
            h->dtype == SK_SKDS_F32 ? "float32" : "uint8");
    fprintf(out, "resize:        %s\n", sk_resize_mode_name(h->resize));
    fprintf(out, "split:         %s, seed %" PRIu64 ", validation fraction %g, test fraction %g\n",
            h->split_rule == SK_SPLIT_RULE_KERAS ? "keras (NumPy RandomState shuffle)" : "custom",
            h->split_seed, h->val_fraction, h->test_fraction);
    fprintf(out, "source:        %s\n", h->source);
    for (uint32_t i = 0; i < ds->nprov; i++)
        fprintf(out, "provenance:    %s = %s\n", ds->prov[i].key, ds->prov[i].value);
    uint64_t *counts = sk_xcalloc((size_t)h->nclasses * SK_SPLIT_COUNT, sizeof *counts);
    sk_skds_class_counts(ds, counts);
    uint64_t tot[SK_SPLIT_COUNT] = {0};
    fprintf(out, "%-5s %-24s %10s %10s %10s %10s\n", "label", "class", "train", "val", "test", "total");
    for (uint32_t c = 0; c < h->nclasses; c++) {
        uint64_t *k = counts + (size_t)c * SK_SPLIT_COUNT;
        fprintf(out, "%-5u %-24s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n", c,
                h->class_names[c], k[0], k[1], k[2], k[0] + k[1] + k[2]);
        for (int j = 0; j < SK_SPLIT_COUNT; j++) tot[j] += k[j];
    }
    fprintf(out, "%-5s %-24s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n", "", "all",
            tot[0], tot[1], tot[2], tot[0] + tot[1] + tot[2]);
    free(counts);
}
