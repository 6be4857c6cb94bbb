/* import.c: stream a folder or an archive through libarchive and write <CLASS>/<name> images
 * into a directory, refusing anything that could escape it or is not what it claims to be, all
 * or nothing (see import.h).
 *
 * The output path is built from checked components only (class and file name), never from the
 * raw entry path, so a path check that missed something still could not write outside out_dir.
 * Entry data is read into one reusable buffer bounded by max_entry_bytes. Every entry lands in
 * the staging folder out_dir/.import.tmp.<pid> (created fresh, class folders inside it with
 * sk_mkdir_in); commit renames the staged files into out_dir with an undo log, so a failure
 * midway puts everything back. */
#include "import.h"

#include "sk_base.h"
#include "image.h"
#include "manifest.h"
#include "skds.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_COMPONENTS 64

void sk_import_opts_init(sk_import_opts *o)
{
    o->max_entry_bytes = (uint64_t)64 << 20;
    o->max_total_bytes = (uint64_t)64 << 30;
    o->max_entries = 10000000;
    o->strip_components = 0;
    o->overwrite = 0;
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

/* One staged file: out_dir/<cls>/<name> (cls NULL: the top-level manifest.tsv). */
typedef struct {
    char *cls, *name;
} staged;

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
    char *stage;       /* out_dir/.import.tmp.<pid> */
    staged *files;
    size_t nfiles, capfiles;
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

/* Writes the entry's data to the staging folder; a second entry for the same file is an
 * error unless overwrite is set (then the later one wins). */
static sk_status write_out(imp *m, const char *cls, const char *name, const char *raw, size_t len,
                           sk_error *err)
{
    sk_status s = cls ? sk_mkdir_in(m->stage, cls, err) : SK_OK;
    if (s) return s;
    char *dir = cls ? sk_path_join(m->stage, cls) : sk_xstrdup(m->stage);
    char *p = sk_path_join(dir, name);
    int again = sk_path_exists(p);
    if (again && !m->o->overwrite)
        s = sk_error_set(err, SK_EFORMAT, "%s: entry \"%s\": %s%s%s is in the archive twice (give "
                         "--overwrite to let the later entry win)", m->src, raw, cls ? cls : "",
                         cls ? "/" : "", name);
    if (!s) s = sk_write_file_atomic(p, m->buf, len, err);
    if (!s && !again) {
        m->st.images += cls != NULL;
        if (m->nfiles == m->capfiles) {
            m->capfiles = m->capfiles ? 2 * m->capfiles : 256;
            m->files = sk_xrealloc(m->files, m->capfiles * sizeof *m->files);
        }
        m->files[m->nfiles++] = (staged){cls ? sk_xstrdup(cls) : NULL, sk_xstrdup(name)};
    }
    free(p);
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
    if (image && sk_class_name_check(c[0], m->src, err) != SK_OK) {
        s = sk_error_prefix(err, "entry \"%s\": ", raw);
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
        s = write_out(m, c[0], base, raw, len, err);
    } else {
        sk_manifest man; /* checked like any manifest reader would, before it lands */
        s = sk_manifest_parse(&man, (const char *)m->buf, len, raw, err);
        if (!s) sk_manifest_free(&man);
        else sk_error_prefix(err, "%s: ", m->src);
        if (!s) s = write_out(m, NULL, base, raw, len, err);
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

/* ---- staging and commit ---- */

/* Removes the staging folders of imports into out_dir whose process is gone. */
static void clean_stale_stages(const char *out_dir)
{
    DIR *d = opendir(out_dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, ".import.tmp.", 12) != 0) continue;
        char *end;
        long pid = strtol(e->d_name + 12, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char *p = sk_path_join(out_dir, e->d_name);
        sk_error e2;
        if (sk_remove_tree(p, &e2) == SK_OK)
            sk_warn("removed the staging folder %s of an interrupted import (process %ld no longer runs)", p, pid);
        free(p);
    }
    closedir(d);
}

static sk_status stage_open(imp *m, sk_error *err)
{
    char name[48];
    snprintf(name, sizeof name, ".import.tmp.%ld", (long)getpid());
    m->stage = sk_path_join(m->out_dir, name);
    sk_status s = sk_remove_tree(m->stage, err); /* a leftover of a process that had our pid */
    if (!s && mkdir(m->stage, 0700) != 0)
        s = sk_error_set(err, SK_EIO, "%s: cannot create the staging folder: %s", m->stage, strerror(errno));
    return s;
}

/* What commit did to one file, for the undo. */
typedef struct {
    char *target, *staged, *backup; /* backup: the replaced file's new place, or NULL */
} move;

static void undo(move *mv, size_t n)
{
    for (size_t k = n; k-- > 0;) {
        if (rename(mv[k].target, mv[k].staged) != 0)
            sk_warn("rollback: %s could not be moved back: %s", mv[k].target, strerror(errno));
        if (mv[k].backup && rename(mv[k].backup, mv[k].target) != 0)
            sk_warn("rollback: %s could not be restored from %s: %s", mv[k].target, mv[k].backup, strerror(errno));
    }
}

/* Phase 1 (changes nothing): every class folder of out_dir is a real folder, every target is
 * free (or replaceable with overwrite). */
static sk_status commit_check(const imp *m, sk_error *err)
{
    sk_status s = SK_OK;
    for (uint32_t c = 0; c < m->nclasses && !s; c++) {
        char *d = sk_path_join(m->out_dir, m->classes[c]);
        struct stat st;
        if (lstat(d, &st) == 0 && S_ISLNK(st.st_mode))
            s = sk_error_set(err, SK_EIO, "%s: is a symbolic link; refusing to import through it out of %s",
                             d, m->out_dir);
        else if (lstat(d, &st) == 0 && !S_ISDIR(st.st_mode))
            s = sk_error_set(err, SK_EIO, "%s: is %s, expected a class folder", d, sk_file_kind((unsigned)st.st_mode));
        free(d);
    }
    for (size_t k = 0; k < m->nfiles && !s; k++) {
        char *d = m->files[k].cls ? sk_path_join(m->out_dir, m->files[k].cls) : sk_xstrdup(m->out_dir);
        char *t = sk_path_join(d, m->files[k].name);
        struct stat st;
        if (lstat(t, &st) == 0 && (!m->o->overwrite || S_ISDIR(st.st_mode)))
            s = sk_error_set(err, SK_EIO, "%s: already exists%s", t, S_ISDIR(st.st_mode) ? " as a folder"
                             : " (give --overwrite to replace it)");
        free(t);
        free(d);
    }
    return s;
}

/* Phase 2: class folders, then each staged file renamed into place (a replaced file is kept
 * in the staging folder until the end); any failure undoes what was done. */
static sk_status commit(imp *m, sk_error *err)
{
    sk_status s = commit_check(m, err);
    if (s) return s;
    unsigned char *made = sk_xcalloc(m->nclasses + 1, 1);
    for (uint32_t c = 0; c < m->nclasses && !s; c++) {
        char *d = sk_path_join(m->out_dir, m->classes[c]);
        made[c] = !sk_path_exists(d);
        s = sk_mkdir_in(m->out_dir, m->classes[c], err);
        free(d);
    }
    move *mv = sk_xcalloc(m->nfiles + 1, sizeof *mv);
    size_t nmv = 0;
    char *olds = sk_path_join(m->stage, ".replaced");
    if (!s && m->o->overwrite && mkdir(olds, 0700) != 0)
        s = sk_error_set(err, SK_EIO, "%s: cannot create: %s", olds, strerror(errno));
    for (size_t k = 0; k < m->nfiles && !s; k++) {
        const staged *f = &m->files[k];
        char *td = f->cls ? sk_path_join(m->out_dir, f->cls) : sk_xstrdup(m->out_dir);
        char *sd = f->cls ? sk_path_join(m->stage, f->cls) : sk_xstrdup(m->stage);
        move x = {sk_path_join(td, f->name), sk_path_join(sd, f->name), NULL};
        free(td);
        free(sd);
        if (sk_path_exists(x.target)) {
            char nb[32];
            snprintf(nb, sizeof nb, "%zu", k);
            x.backup = sk_path_join(olds, nb);
            if (rename(x.target, x.backup) != 0) {
                s = sk_error_set(err, SK_EIO, "%s: cannot move aside to replace it: %s", x.target, strerror(errno));
                free(x.backup);
                x.backup = NULL;
            } else {
                m->st.replaced++;
            }
        }
        if (!s && rename(x.staged, x.target) != 0) {
            s = sk_error_set(err, SK_EIO, "%s: cannot move into place: %s", x.target, strerror(errno));
            if (x.backup) (void)rename(x.backup, x.target);
        }
        if (s) {
            free(x.target), free(x.staged), free(x.backup);
            break;
        }
        mv[nmv++] = x;
    }
    if (s) {
        undo(mv, nmv);
        m->st.replaced = 0;
        for (uint32_t c = 0; c < m->nclasses; c++)
            if (made[c]) {
                char *d = sk_path_join(m->out_dir, m->classes[c]);
                (void)rmdir(d);
                free(d);
            }
    } else {
        for (uint32_t c = 0; c < m->nclasses; c++) {
            char *d = sk_path_join(m->out_dir, m->classes[c]);
            sk_fsync_dir(d);
            free(d);
        }
        sk_fsync_dir(m->out_dir);
    }
    for (size_t k = 0; k < nmv; k++) free(mv[k].target), free(mv[k].staged), free(mv[k].backup);
    free(mv);
    free(olds);
    free(made);
    return s;
}

/* ---- the read loop ---- */

static sk_status read_entries(imp *m, struct archive *a, int is_dir, sk_error *err)
{
    sk_status s = SK_OK;
    if (m->o->progress) sk_progress_begin(&m->bar, "import", 0, NULL);
    struct archive_entry *e = archive_entry_new();
    for (;;) {
        int r = archive_read_next_header2(a, e);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            s = sk_error_set(err, SK_EFORMAT, "%s: reading entry %llu: %s", m->src,
                             (unsigned long long)m->nentries + 1, archive_error_string(a));
            break;
        }
        const char *raw = archive_entry_pathname(e);
        if (!raw) {
            s = sk_error_set(err, SK_EFORMAT, "%s: entry %llu has no path (or one not in this locale)",
                             m->src, (unsigned long long)m->nentries + 1);
            break;
        }
        if (is_dir) {
            if (archive_read_disk_can_descend(a)) archive_read_disk_descend(a);
            raw = disk_rel(m->src, raw);
            if (!raw) continue;
        }
        if ((s = one_entry(m, a, e, raw, err))) break;
    }
    archive_entry_free(e);
    if (m->o->progress) sk_progress_end(&m->bar);
    if (!s && m->st.images == 0)
        s = sk_error_set(err, SK_EFORMAT, "%s: no <CLASS>/<name>.jpg|png images found (%llu entries "
                         "skipped)", m->src, (unsigned long long)m->st.skipped);
    return s;
}

/* Runs an opened reader into out_dir: staging, entries, commit, cleanup. */
static sk_status run(imp *m, struct archive *a, int is_dir, sk_import_stats *st, sk_error *err)
{
    int out_existed = sk_path_exists(m->out_dir);
    sk_status s = sk_mkdir_p(m->out_dir, err);
    if (!s) {
        clean_stale_stages(m->out_dir);
        s = stage_open(m, err);
    }
    if (!s) s = read_entries(m, a, is_dir, err);
    if (!s) s = commit(m, err);
    sk_error e2;
    if (m->stage && sk_remove_tree(m->stage, &e2) != SK_OK) sk_warn("%s", e2.msg);
    if (s && !out_existed) (void)rmdir(m->out_dir); /* leave --out as it was: absent */
    m->st.classes = m->nclasses;
    for (uint32_t i = 0; i < m->nclasses; i++) free(m->classes[i]);
    free(m->classes);
    for (size_t k = 0; k < m->nfiles; k++) free(m->files[k].cls), free(m->files[k].name);
    free(m->files);
    free(m->stage);
    free(m->buf);
    if (st) *st = s ? (sk_import_stats){0} : m->st;
    return s;
}

sk_status sk_import(const char *src, const char *out_dir, const sk_import_opts *opts,
                    sk_import_stats *st, sk_error *err)
{
    sk_import_opts def;
    if (!opts) {
        sk_import_opts_init(&def);
        opts = &def;
    }
    if (st) *st = (sk_import_stats){0};
    struct stat sb;
    if (stat(src, &sb) != 0)
        return sk_error_set(err, errno == ENOENT ? SK_ENOTFOUND : SK_EIO, "%s: %s", src, strerror(errno));
    const int is_dir = S_ISDIR(sb.st_mode);
    int fd = -1;
    if (!is_dir) {
        sk_status s = sk_open_regular(src, &fd, NULL, err); /* a FIFO must not block */
        if (s) return s;
    }
    imp m = {.src = src, .out_dir = out_dir, .o = opts};
    struct archive *a = is_dir ? archive_read_disk_new() : archive_read_new();
    SK_ASSERT_MSG(a, "libarchive could not allocate a reader");
    int r;
    if (is_dir) {
        archive_read_disk_set_symlink_physical(a);
        archive_read_disk_set_behavior(a, ARCHIVE_READDISK_NO_XATTR | ARCHIVE_READDISK_NO_ACL |
                                              ARCHIVE_READDISK_NO_FFLAGS);
        r = archive_read_disk_open(a, src);
    } else {
        archive_read_support_filter_all(a);
        archive_read_support_format_all(a);
        r = archive_read_open_fd(a, fd, 1 << 16);
    }
    sk_status s = SK_OK;
    if (r != ARCHIVE_OK)
        s = sk_error_set(err, SK_EFORMAT, "%s: cannot read as %s: %s", src, is_dir ? "a folder" : "an archive",
                         archive_error_string(a) ? archive_error_string(a) : "unknown format");
    else
        s = run(&m, a, is_dir, st, err);
    archive_read_free(a);
    if (fd >= 0) close(fd);
    return s;
}

sk_status sk_import_memory(const void *data, size_t n, const char *what, const char *out_dir,
                           const sk_import_opts *opts, sk_import_stats *st, sk_error *err)
{
    sk_import_opts def;
    if (!opts) {
        sk_import_opts_init(&def);
        opts = &def;
    }
    if (st) *st = (sk_import_stats){0};
    imp m = {.src = what, .out_dir = out_dir, .o = opts};
    struct archive *a = archive_read_new();
    SK_ASSERT_MSG(a, "libarchive could not allocate a reader");
    archive_read_support_filter_all(a);
    archive_read_support_format_all(a);
    sk_status s;
    if (archive_read_open_memory(a, data, n) != ARCHIVE_OK)
        s = sk_error_set(err, SK_EFORMAT, "%s: cannot read as an archive: %s", what,
                         archive_error_string(a) ? archive_error_string(a) : "unknown format");
    else
        s = run(&m, a, 0, st, err);
    archive_read_free(a);
    return s;
}
