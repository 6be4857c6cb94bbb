/* import.c: stream a folder or an archive through libarchive and write <CLASS>/<name> images
 * into a directory, refusing anything that could escape it or is not what it claims to be.
 *
 * The output path is built from checked components only (class and file name), never from the
 * raw entry path, so a path check that missed something still could not write outside out_dir.
 * Entry data is read into one reusable buffer bounded by max_entry_bytes. */
#include "import.h"

#include "fileio.h"
#include "image.h"
#include "log.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_COMPONENTS 64

void sk_import_opts_init(sk_import_opts *o)
{
    o->max_entry_bytes = (uint64_t)64 << 20;
    o->max_total_bytes = (uint64_t)64 << 30;
    o->max_entries = 10000000;
    o->strip_components = 0;
    o->progress = 0;
}

static int ext_is(const char *s, const char *ext)
{
    size_t n = strlen(s), m = strlen(ext);
    if (n < m) return 0;
    for (size_t i = 0; i < m; i++) {
        char c = s[n - m + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != ext[i]) return 0;
    }
    return 1;
}

static int name_ok(const char *s)
{
    if (!*s || strlen(s) >= 200) return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\\') return 0;
    return 1;
}

typedef struct {
    const char *src, *out_dir;
    const sk_import_opts *o;
    sk_import_stats st;
    uint8_t *buf;
    size_t cap;
    char **classes;
    uint32_t nclasses;
    uint64_t nentries;
    sk_progress bar;
} imp;

/* Splits path into components, dropping "" and "." ones; refuses absolute paths and "..". */
static sk_status split_path(char *path, char **comp, int *ncomp, const char *what, const char *raw,
                            sk_error *err)
{
    if (path[0] == '/')
        return sk_error_set(err, SK_EFORMAT, "%s: entry \"%s\": absolute paths are refused", what, raw);
    if (strchr(path, '\\') || (path[0] && path[1] == ':'))
        return sk_error_set(err, SK_EFORMAT, "%s: entry \"%s\": Windows-style paths are refused", what, raw);
    *ncomp = 0;
    char *save = NULL;
    for (char *c = strtok_r(path, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (!strcmp(c, ".")) continue;
        if (!strcmp(c, ".."))
            return sk_error_set(err, SK_EFORMAT, "%s: entry \"%s\": \"..\" path components are refused",
                                what, raw);
        if (*ncomp >= MAX_COMPONENTS)
            return sk_error_set(err, SK_EFORMAT, "%s: entry \"%s\": more than %d path components", what,
                                raw, MAX_COMPONENTS);
        comp[(*ncomp)++] = c;
    }
    return SK_OK;
}

/* Reads the entry's data into m->buf, at most max_entry_bytes. */
static sk_status read_data(imp *m, struct archive *a, const char *raw, size_t *len, sk_error *err)
{
    *len = 0;
    for (;;) {
        if (*len == m->cap) {
            size_t ncap = m->cap ? 2 * m->cap : (size_t)1 << 20;
            if (ncap > m->o->max_entry_bytes + 1) ncap = (size_t)m->o->max_entry_bytes + 1;
            if (ncap <= m->cap)
                return sk_error_set(err, SK_ELIMIT, "%s: entry \"%s\": larger than the %llu-byte limit",
                                    m->src, raw, (unsigned long long)m->o->max_entry_bytes);
            m->buf = sk_xrealloc(m->buf, ncap);
            m->cap = ncap;
        }
        la_ssize_t r = archive_read_data(a, m->buf + *len, m->cap - *len);
        if (r < 0)
            return sk_error_set(err, SK_EFORMAT, "%s: entry \"%s\": %s", m->src, raw, archive_error_string(a));
        if (r == 0) break;
        *len += (size_t)r;
        if (*len > m->o->max_entry_bytes)
            return sk_error_set(err, SK_ELIMIT, "%s: entry \"%s\": larger than the %llu-byte limit",
                                m->src, raw, (unsigned long long)m->o->max_entry_bytes);
    }
    return SK_OK;
}

static sk_status write_out(imp *m, const char *cls, const char *name, size_t len, sk_error *err)
{
    char *dir = cls ? sk_path_join(m->out_dir, cls) : sk_xstrdup(m->out_dir);
    sk_status s = sk_mkdir_p(dir, err);
    if (!s) {
        char *p = sk_path_join(dir, name);
        s = sk_write_file_atomic(p, m->buf, len, err);
        free(p);
    }
    free(dir);
    return s;
}

static sk_status one_entry(imp *m, struct archive *a, struct archive_entry *e, const char *raw,
                           sk_error *err)
{
    if (++m->nentries > m->o->max_entries)
        return sk_error_set(err, SK_ELIMIT, "%s: more than %llu entries", m->src,
                            (unsigned long long)m->o->max_entries);
    mode_t type = archive_entry_filetype(e);
    if (archive_entry_hardlink(e))
        return sk_error_set(err, SK_EFORMAT, "%s: entry \"%s\": hard links are refused", m->src, raw);
    if (type == AE_IFLNK || archive_entry_symlink(e))
        return sk_error_set(err, SK_EFORMAT, "%s: entry \"%s\": symbolic links are refused", m->src, raw);
    if (type == AE_IFDIR) return SK_OK;
    if (type != AE_IFREG)
        return sk_error_set(err, SK_EFORMAT, "%s: entry \"%s\": device files, FIFOs and sockets are "
                            "refused (type 0%o)", m->src, raw, (unsigned)type);
    char *path = sk_xstrdup(raw), *comp[MAX_COMPONENTS];
    int nc = 0;
    sk_status s = split_path(path, comp, &nc, m->src, raw, err);
    if (s) goto done;
    if (nc <= m->o->strip_components) { m->st.skipped++; goto done; }
    char **c = comp + m->o->strip_components;
    nc -= m->o->strip_components;
    for (int i = 0; i < nc; i++)
        if (c[i][0] == '.' || !strcmp(c[i], "__MACOSX")) { m->st.skipped++; goto done; }
    const char *base = c[nc - 1];
    int image = ext_is(base, ".jpg") || ext_is(base, ".jpeg") || ext_is(base, ".png");
    if (nc == 1 && !strcmp(base, "manifest.tsv")) image = 0;
    else if (!image) { m->st.skipped++; goto done; }
    if (image && nc != 2) {
        s = sk_error_set(err, SK_EFORMAT, "%s: entry \"%s\": expected <CLASS>/<name>%s, found %d path "
                         "components (use --strip-components to drop leading folders)", m->src, raw,
                         ext_is(base, ".png") ? ".png" : ".jpg", nc);
        goto done;
    }
    for (int i = 0; i < nc; i++)
        if (!name_ok(c[i])) {
            s = sk_error_set(err, SK_EFORMAT, "%s: entry \"%s\": name component %d has control "
                             "characters, a backslash or is too long", m->src, raw, i);
            goto done;
        }
    if (archive_entry_size_is_set(e) && (uint64_t)archive_entry_size(e) > m->o->max_entry_bytes) {
        s = sk_error_set(err, SK_ELIMIT, "%s: entry \"%s\": declares %lld bytes, over the %llu-byte limit",
                         m->src, raw, (long long)archive_entry_size(e),
                         (unsigned long long)m->o->max_entry_bytes);
        goto done;
    }
    size_t len;
    if ((s = read_data(m, a, raw, &len, err))) goto done;
    m->st.bytes += len;
    if (m->st.bytes > m->o->max_total_bytes) {
        s = sk_error_set(err, SK_ELIMIT, "%s: more than %llu bytes of images in all", m->src,
                         (unsigned long long)m->o->max_total_bytes);
        goto done;
    }
    if (image) {
        sk_image_kind k = sk_image_sniff(m->buf, len);
        sk_image_kind want = ext_is(base, ".png") ? SK_IMG_PNG : SK_IMG_JPEG;
        if (k != want) {
            s = sk_error_set(err, SK_EFORMAT, "%s: entry \"%s\": content is %s, not the %s its name "
                             "says (%zu bytes)", m->src, raw,
                             k == SK_IMG_JPEG ? "a JPEG" : k == SK_IMG_PNG ? "a PNG" : "not an image",
                             want == SK_IMG_PNG ? "PNG" : "JPEG", len);
            goto done;
        }
        uint32_t i;
        for (i = 0; i < m->nclasses; i++)
            if (!strcmp(m->classes[i], c[0])) break;
        if (i == m->nclasses) {
            m->classes = sk_xrealloc(m->classes, sizeof *m->classes * (m->nclasses + 1));
            m->classes[m->nclasses++] = sk_xstrdup(c[0]);
        }
        s = write_out(m, c[0], base, len, err);
        m->st.images++;
    } else {
        s = write_out(m, NULL, base, len, err);
    }
    if (m->o->progress) sk_progress_update(&m->bar, m->st.images);
done:
    free(path);
    return s;
}

/* Path of a read_disk entry relative to the source folder, or NULL for the folder itself. */
static const char *disk_rel(const char *src, const char *p)
{
    size_t n = strlen(src);
    while (n > 1 && src[n - 1] == '/') n--;
    if (strncmp(p, src, n) != 0) return p;
    p += n;
    while (*p == '/') p++;
    return *p ? p : NULL;
}

sk_status sk_import(const char *src, const char *out_dir, const sk_import_opts *opts,
                    sk_import_stats *st, sk_error *err)
{
    sk_import_opts def;
    if (!opts) {
        sk_import_opts_init(&def);
        opts = &def;
    }
    struct stat sb;
    if (stat(src, &sb) != 0)
        return sk_error_set(err, errno == ENOENT ? SK_ENOTFOUND : SK_EIO, "%s: %s", src, strerror(errno));
    const int is_dir = S_ISDIR(sb.st_mode);
    imp m = {.src = src, .out_dir = out_dir, .o = opts};
    sk_status s = sk_mkdir_p(out_dir, err);
    if (s) return s;
    struct archive *a = is_dir ? archive_read_disk_new() : archive_read_new();
    if (!a) return sk_error_set(err, SK_EIO, "%s: libarchive could not allocate", src);
    int r;
    if (is_dir) {
        archive_read_disk_set_symlink_physical(a);
        archive_read_disk_set_behavior(a, ARCHIVE_READDISK_NO_XATTR | ARCHIVE_READDISK_NO_ACL |
                                              ARCHIVE_READDISK_NO_FFLAGS);
        r = archive_read_disk_open(a, src);
    } else {
        archive_read_support_filter_all(a);
        archive_read_support_format_all(a);
        r = archive_read_open_filename(a, src, 1 << 16);
    }
    if (r != ARCHIVE_OK) {
        s = sk_error_set(err, SK_EFORMAT, "%s: cannot read as %s: %s", src, is_dir ? "a folder" : "an archive",
                         archive_error_string(a) ? archive_error_string(a) : "unknown format");
        goto done;
    }
    if (opts->progress) sk_progress_begin(&m.bar, "import", 0, NULL);
    struct archive_entry *e = archive_entry_new();
    for (;;) {
        r = archive_read_next_header2(a, e);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            s = sk_error_set(err, SK_EFORMAT, "%s: reading entry %llu: %s", src,
                             (unsigned long long)m.nentries + 1, archive_error_string(a));
            break;
        }
        const char *raw = archive_entry_pathname(e);
        if (!raw) {
            s = sk_error_set(err, SK_EFORMAT, "%s: entry %llu has no path (or one not in this locale)",
                             src, (unsigned long long)m.nentries + 1);
            break;
        }
        if (is_dir) {
            if (archive_read_disk_can_descend(a)) archive_read_disk_descend(a);
            raw = disk_rel(src, raw);
            if (!raw) continue;
        }
        if ((s = one_entry(&m, a, e, raw, err))) break;
    }
    archive_entry_free(e);
    if (opts->progress) sk_progress_end(&m.bar);
done:
    archive_read_free(a);
    if (!s && m.st.images == 0)
        s = sk_error_set(err, SK_EFORMAT, "%s: no <CLASS>/<name>.jpg|png images found (%llu entries "
                         "skipped)", src, (unsigned long long)m.st.skipped);
    m.st.classes = m.nclasses;
    for (uint32_t i = 0; i < m.nclasses; i++) free(m.classes[i]);
    free(m.classes);
    free(m.buf);
    if (st) *st = m.st;
    return s;
}
