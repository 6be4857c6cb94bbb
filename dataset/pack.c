/* pack.c: index a class folder like Keras, split like NumPy, decode + resize in parallel, write
 * a .skds in the shuffled order.
 *
 * Parallelism: images are processed in batches; each OpenMP iteration decodes one file into its
 * own slot (disjoint writes, no reductions), then the batch is appended to the writer in order,
 * so the output does not depend on the thread count. Per-file SHA-256 digests are combined in
 * sorted-path order into the provenance entry files_sha256.
 * Not here: decoding details (image.c), the format (skds.c), the shuffle itself (mt19937.c). */
#include "pack.h"

#include "sk_base.h"
#include "image.h"
#include "manifest.h"
#include "mt19937.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define MAX_FILES 50000000u
#define BATCH_MAX 32
#define BATCH_BYTES ((size_t)512 << 20) /* float staging memory cap */
#define MAX_FILE_BYTES ((size_t)256 << 20)

void sk_pack_opts_init(sk_pack_opts *o)
{
    memset(o, 0, sizeof *o);
    o->val = 0.2;
    o->seed = 123;
    o->resize = SK_RESIZE_BILINEAR;
    o->dtype = SK_SKDS_U8;
}

void sk_pack_index_free(sk_pack_index *idx)
{
    for (uint32_t i = 0; i < idx->nclasses; i++) free(idx->class_names[i]);
    for (size_t i = 0; i < idx->nfiles; i++) free(idx->relpath[i]);
    free(idx->class_names);
    free(idx->relpath);
    free(idx->label);
    memset(idx, 0, sizeof *idx);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int has_suffix_ci(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    if (n < m) return 0;
    for (size_t i = 0; i < m; i++) {
        char c = s[n - m + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != suf[i]) return 0;
    }
    return 1;
}

/* Lists the entries of dir (without . and ..), sorted; *dirs marks subdirectories (following
 * symlinks, like Python's is_dir) and *links those that are symlinks. */
static sk_status list_dir(const char *dir, char ***names, int **isdir, int **islink, size_t *n,
                          sk_error *err)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return sk_error_set(err, errno == ENOENT ? SK_ENOTFOUND : SK_EIO, "%s: cannot list: %s",
                                dir, strerror(errno));
    size_t cap = 0;
    char **v = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            v = sk_xrealloc(v, cap * sizeof *v);
        }
        v[(*n)++] = sk_xstrdup(e->d_name);
        if (*n > MAX_FILES) {
            closedir(d);
            for (size_t i = 0; i < *n; i++) free(v[i]);
            free(v);
            *n = 0;
            return sk_error_set(err, SK_ELIMIT, "%s: more than %u entries", dir, MAX_FILES);
        }
    }
    closedir(d);
    if (*n) qsort(v, *n, sizeof *v, cmp_str);
    *isdir = sk_xcalloc(*n ? *n : 1, sizeof **isdir);
    *islink = sk_xcalloc(*n ? *n : 1, sizeof **islink);
    for (size_t i = 0; i < *n; i++) {
        char *p = sk_path_join(dir, v[i]);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) (*isdir)[i] = 1;
        if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode)) (*islink)[i] = 1;
        free(p);
    }
    *names = v;
    return SK_OK;
}

static void free_list(char **names, int *isdir, int *islink, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    free(isdir);
    free(islink);
}

typedef struct {
    char *root, *name; /* root relative to the top folder ("CLASS" or "CLASS/sub") */
} walk_entry;

typedef struct {
    walk_entry *v;
    size_t n, cap;
} walk_list;

static int cmp_walk(const void *a, const void *b)
{
    const walk_entry *x = a, *y = b;
    int c = strcmp(x->root, y->root);
    return c ? c : strcmp(x->name, y->name);
}

/* os.walk(top/rel, followlinks=False): descend into real subdirectories only. */
static sk_status walk(walk_list *out, const char *top, const char *rel, int depth, sk_error *err)
{
    if (depth > 64) return sk_error_set(err, SK_ELIMIT, "%s/%s: directories nested over 64 deep", top, rel);
    char *dir = sk_path_join(top, rel);
    char **names;
    int *isdir, *islink;
    size_t n;
    sk_status s = list_dir(dir, &names, &isdir, &islink, &n, err);
    free(dir);
    if (s) return s;
    for (size_t i = 0; i < n && !s; i++) {
        if (isdir[i]) {
            if (islink[i]) continue; /* os.walk lists it but does not descend */
            char *sub = sk_path_join(rel, names[i]);
            s = walk(out, top, sub, depth + 1, err);
            free(sub);
            continue;
        }
        const char *nm = names[i];
        int keep = has_suffix_ci(nm, ".jpg") || has_suffix_ci(nm, ".jpeg") || has_suffix_ci(nm, ".png");
        if (!keep && (has_suffix_ci(nm, ".bmp") || has_suffix_ci(nm, ".gif"))) {
            s = sk_error_set(err, SK_EUNSUPPORTED, "%s/%s/%s: BMP and GIF are not supported (Keras "
                             "would include this file, so skipping it would change the split); "
                             "convert it to PNG or remove it", top, rel, nm);
            break;
        }
        if (!keep) continue;
        if (out->n == out->cap) {
            out->cap = out->cap ? 2 * out->cap : 256;
            out->v = sk_xrealloc(out->v, out->cap * sizeof *out->v);
        }
        out->v[out->n].root = sk_xstrdup(rel);
        out->v[out->n].name = sk_xstrdup(nm);
        out->n++;
        if (out->n > MAX_FILES) s = sk_error_set(err, SK_ELIMIT, "%s: more than %u images", top, MAX_FILES);
    }
    free_list(names, isdir, islink, n);
    return s;
}

sk_status sk_pack_index_dir(sk_pack_index *idx, const char *dir, sk_error *err)
{
    memset(idx, 0, sizeof *idx);
    char **names;
    int *isdir, *islink;
    size_t n;
    sk_status s = list_dir(dir, &names, &isdir, &islink, &n, err);
    if (s) return s;
    idx->class_names = sk_xcalloc(n ? n : 1, sizeof *idx->class_names);
    size_t cap = 0;
    for (size_t i = 0; i < n && !s; i++) {
        if (!isdir[i]) continue;
        if (!strncmp(names[i], ".import.tmp.", 12)) {
            s = sk_error_set(err, SK_EINVAL, "%s/%s: the staging folder of an interrupted `dataset "
                             "import`; run the import again (it removes it) or delete it", dir, names[i]);
            break;
        }
        if (idx->nclasses >= SK_SKDS_MAX_CLASSES) {
            s = sk_error_set(err, SK_ELIMIT, "%s: more than %d class folders", dir, SK_SKDS_MAX_CLASSES);
            break;
        }
        uint32_t label = idx->nclasses;
        idx->class_names[idx->nclasses++] = sk_xstrdup(names[i]);
        walk_list wl = {0};
        s = walk(&wl, dir, names[i], 0, err);
        if (!s && wl.n) qsort(wl.v, wl.n, sizeof *wl.v, cmp_walk);
        for (size_t k = 0; k < wl.n; k++) {
            if (!s) {
                if (idx->nfiles == cap) {
                    cap = cap ? 2 * cap : 1024;
                    idx->relpath = sk_xrealloc(idx->relpath, cap * sizeof *idx->relpath);
                    idx->label = sk_xrealloc(idx->label, cap * sizeof *idx->label);
                }
                idx->relpath[idx->nfiles] = sk_path_join(wl.v[k].root, wl.v[k].name);
                idx->label[idx->nfiles++] = label;
            }
            free(wl.v[k].root);
            free(wl.v[k].name);
        }
        free(wl.v);
    }
    free_list(names, isdir, islink, n);
    if (!s && idx->nclasses == 0)
        s = sk_error_set(err, SK_EINVAL, "%s: expected one subfolder per class (<CLASS>/<name>.jpg), "
                         "found no subfolders", dir);
    if (s) sk_pack_index_free(idx);
    return s;
}

void sk_pack_keras_split(uint64_t *order, uint32_t *split, size_t n, uint32_t seed, double val)
{
    for (size_t i = 0; i < n; i++) order[i] = i;
    sk_numpy_shuffle_u64(order, n, seed);
    /* Python: num_val_samples = int(validation_split * len(samples)) (truncation). */
    size_t nval = val > 0 ? (size_t)(val * (double)n) : 0;
    for (size_t k = 0; k < n; k++) split[k] = k >= n - nval ? SK_SPLIT_VAL : SK_SPLIT_TRAIN;
}

size_t sk_pack_split(uint64_t *order, uint32_t *split, size_t n, const uint32_t *label, uint32_t nclasses,
                     uint32_t seed, double val, double test)
{
    if (!(test > 0)) {
        sk_pack_keras_split(order, split, n, seed, val);
        return 0;
    }
    uint8_t *is_test = sk_xcalloc(n + 1, 1);
    uint64_t *pos = sk_xmalloc((n + 1) * sizeof *pos);
    sk_mt19937 m;
    sk_mt19937_seed(&m, seed);
    size_t ntest = 0;
    for (uint32_t c = 0; c < nclasses; c++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (label[i] == c) pos[k++] = i;
        sk_numpy_shuffle_state(&m, pos, k);
        size_t t = (size_t)(test * (double)k); /* Python int(): truncation */
        for (size_t j = k - t; j < k; j++) is_test[pos[j]] = 1;
        ntest += t;
    }
    size_t nrest = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_test[i]) pos[nrest++] = i; /* the remaining files in sorted order */
    sk_pack_keras_split(order, split, nrest, seed, val);
    for (size_t k = 0; k < nrest; k++) order[k] = pos[order[k]];
    for (size_t i = 0, k = nrest; i < n; i++)
        if (is_test[i]) {
            order[k] = i;
            split[k++] = SK_SPLIT_TEST;
        }
    free(is_test);
    free(pos);
    return ntest;
}

/* Reads path once, optionally hashes it, decodes and resizes into out (H*W*3 floats). */
static sk_status load_one(float *out, uint8_t digest[32], const char *path, uint32_t height,
                          uint32_t width, sk_resize_mode resize, int fast_dct, sk_error *err)
{
    uint8_t *data = NULL;
    size_t n = 0;
    sk_status s = sk_read_file(path, &data, &n, MAX_FILE_BYTES, err);
    if (s) return s;
    if (digest) {
        sk_sha256 sh;
        sk_sha256_init(&sh);
        sk_sha256_update(&sh, data, n);
        sk_sha256_final(&sh, digest);
    }
    sk_decode_opts o;
    sk_decode_opts_init(&o);
    if (fast_dct && sk_image_sniff(data, n) == SK_IMG_JPEG) {
        uint32_t w, h;
        if ((s = sk_image_probe(&w, &h, data, n, path, err))) goto done;
        for (uint32_t d = 8; d >= 2; d /= 2)
            if ((w + d - 1) / d >= width && (h + d - 1) / d >= height) {
                o.scale_denom = d;
                break;
            }
    }
    sk_image img;
    if ((s = sk_image_decode(&img, data, n, &o, path, err))) goto done;
    if (resize == SK_RESIZE_AREA) sk_resize_area(out, img.px, img.height, img.width, height, width, 3);
    else sk_resize_bilinear_tf(out, img.px, img.height, img.width, height, width, 3);
    sk_image_free(&img);
done:
    free(data);
    return s;
}

sk_status sk_pack_load_image(float *out, const char *path, uint32_t height, uint32_t width,
                             sk_resize_mode resize, int fast_dct, sk_error *err)
{
    return load_one(out, NULL, path, height, width, resize, fast_dct, err);
}

/* ---- manifest: optional objid/ra/dec per file ---- */

/* objid, ra, dec for a file: its manifest row if any (m sorted by file), else the numeric stem
 * (else the file's index in the sorted list). */
static void file_meta(sk_skds_record *rec, const char *relpath, size_t sorted_index, const sk_manifest *m)
{
    rec->ra = NAN;
    rec->dec = NAN;
    long i = m->nrows ? sk_manifest_find(m, relpath) : -1;
    if (i >= 0) {
        rec->objid = sk_manifest_objid(m, (size_t)i);
        rec->ra = sk_manifest_f64(m, (size_t)i, SK_MF_RA);
        rec->dec = sk_manifest_f64(m, (size_t)i, SK_MF_DEC);
        return;
    }
    const char *base = strrchr(relpath, '/');
    base = base ? base + 1 : relpath;
    char stem[256];
    snprintf(stem, sizeof stem, "%s", base);
    char *dot = strrchr(stem, '.');
    if (dot) *dot = '\0';
    char *end;
    unsigned long long v = strtoull(stem, &end, 10);
    rec->objid = (stem[0] >= '0' && stem[0] <= '9' && *end == '\0') ? (uint64_t)v : (uint64_t)sorted_index;
}

/* DIR/manifest.tsv when there is one (strictly checked, sorted by file); empty otherwise. */
static sk_status load_manifest(const char *dir, sk_manifest *m, char hex[65], sk_error *err)
{
    static const sk_manifest_col cols[] = {SK_MF_OBJID, SK_MF_CLASS, SK_MF_FILE};
    hex[0] = '\0';
    char *path = sk_path_join(dir, "manifest.tsv");
    sk_status s = SK_OK;
    if (sk_path_exists(path)) s = sk_manifest_read(m, path, hex, err);
    else sk_manifest_init(m, cols, 3);
    free(path);
    if (s) return s;
    sk_manifest_sort(m);
    return SK_OK;
}

sk_status sk_pack_run(const sk_pack_opts *o, sk_pack_stats *stats, sk_error *err)
{
    double t0 = sk_now();
    if (o->height < 1 || o->width < 1 || o->height > SK_SKDS_MAX_DIM || o->width > SK_SKDS_MAX_DIM)
        return sk_error_set(err, SK_EINVAL, "pack: size: expected 1..%d, found %u x %u", SK_SKDS_MAX_DIM,
                            o->height, o->width);
    if (!(o->val >= 0.0 && o->val < 1.0))
        return sk_error_set(err, SK_EINVAL, "pack: --val: expected 0 <= val < 1, found %g", o->val);
    if (!(o->test >= 0.0 && o->test < 1.0))
        return sk_error_set(err, SK_EINVAL, "pack: --test: expected 0 <= test < 1, found %g", o->test);
    if (o->resize != SK_RESIZE_BILINEAR && o->resize != SK_RESIZE_AREA)
        return sk_error_set(err, SK_EINVAL, "pack: resize: expected bilinear or area");

    sk_pack_index idx;
    sk_status s = sk_pack_index_dir(&idx, o->in_dir, err);
    if (s) return s;
    size_t n = idx.nfiles;
    if (n == 0) {
        sk_pack_index_free(&idx);
        return sk_error_set(err, SK_EINVAL, "%s: no .jpg/.jpeg/.png files in the class folders", o->in_dir);
    }
    sk_skds_header h;
    sk_skds_header_init(&h);
    h.height = o->height;
    h.width = o->width;
    h.channels = 3;
    h.dtype = o->dtype;
    h.split_seed = o->seed;
    h.val_fraction = o->val;
    h.test_fraction = o->test;
    h.split_rule = SK_SPLIT_RULE_KERAS;
    h.resize = o->resize;
    snprintf(h.source, sizeof h.source, "pack:%.240s", o->in_dir);
    for (uint32_t c = 0; c < idx.nclasses && !s; c++) s = sk_skds_header_add_class(&h, idx.class_names[c], err);
    if (s) {
        sk_error_prefix(err, "%s: class folder names: ", o->in_dir);
        sk_pack_index_free(&idx);
        return s;
    }

    uint64_t *order = sk_xmalloc(n * sizeof *order);
    uint32_t *split = sk_xmalloc(n * sizeof *split);
    sk_pack_split(order, split, n, idx.label, idx.nclasses, o->seed, o->val, o->test);
    uint8_t (*digest)[32] = sk_xcalloc(n, 32);

    sk_manifest man;
    char man_hex[65];
    s = load_manifest(o->in_dir, &man, man_hex, err);

    const size_t npx = (size_t)o->height * o->width * 3;
    /* Two images in flight per thread, within the staging memory cap. The batch size only
     * changes scheduling, never the output. */
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    size_t batch = (size_t)(2 * threads) < BATCH_MAX ? (size_t)(2 * threads) : BATCH_MAX;
    while (batch > 1 && batch * npx * sizeof(float) > BATCH_BYTES) batch /= 2;
    float *fbuf = sk_xmalloc_aligned(batch * npx * sizeof(float));
    uint8_t *ubuf = sk_xmalloc(npx);
    sk_error *errs = sk_xcalloc(batch, sizeof *errs);
    sk_status *st = sk_xcalloc(batch, sizeof *st);
    sk_skds_writer *w = NULL;
    if (!s) s = sk_skds_writer_open(&w, o->out_path, &h, err);
    sk_progress bar;
    if (o->progress) sk_progress_begin(&bar, "pack", n, NULL);
    for (size_t b0 = 0; b0 < n && !s; b0 += batch) {
        const int nb = (int)(n - b0 < batch ? n - b0 : batch);
#pragma omp parallel for schedule(dynamic, 1)
        for (int j = 0; j < nb; j++) {
            const size_t fi = (size_t)order[b0 + (size_t)j];
            char *path = sk_path_join(o->in_dir, idx.relpath[fi]);
            st[j] = load_one(fbuf + (size_t)j * npx, digest[fi], path, o->height, o->width,
                             o->resize, o->fast_dct, &errs[j]);
            free(path);
        }
        for (int j = 0; j < nb && !s; j++) {
            if (st[j]) {
                *err = errs[j];
                s = st[j];
                break;
            }
            const size_t k = b0 + (size_t)j, fi = (size_t)order[k];
            sk_skds_record rec;
            file_meta(&rec, idx.relpath[fi], fi, &man);
            rec.label = idx.label[fi];
            rec.split = split[k];
            const float *f = fbuf + (size_t)j * npx;
            if (o->dtype == SK_SKDS_F32) {
                s = sk_skds_writer_add(w, &rec, f, err);
            } else {
                sk_pixels_to_u8(ubuf, f, npx);
                s = sk_skds_writer_add(w, &rec, ubuf, err);
            }
        }
        if (o->progress) sk_progress_update(&bar, b0 + (size_t)nb);
    }
    if (o->progress) sk_progress_end(&bar);

    if (!s) {
        /* files_sha256: over (relative path, NUL, file digest) in sorted-path order. */
        sk_sha256 sh;
        sk_sha256_init(&sh);
        for (size_t i = 0; i < n; i++) {
            sk_sha256_update(&sh, idx.relpath[i], strlen(idx.relpath[i]) + 1);
            sk_sha256_update(&sh, digest[i], 32);
        }
        uint8_t d[32];
        char hex[65];
        sk_sha256_final(&sh, d);
        sk_hex_encode(d, 32, hex);
        sk_skds_writer_set_provenance(w, "files_sha256", hex);
        if (man_hex[0]) sk_skds_writer_set_provenance(w, "manifest_sha256", man_hex);
        sk_skds_writer_set_provenance(w, "input", o->in_dir);
        if (o->command) sk_skds_writer_set_provenance(w, "command", o->command);
        sk_skds_writer_set_provenance(w, "decode", o->fast_dct
            ? "libjpeg-turbo JDCT_IFAST with DCT scaling (fast path, not Keras-exact); libpng"
            : "libjpeg-turbo JDCT_IFAST, fancy upsampling (TensorFlow defaults); libpng");
        s = sk_skds_writer_finish(w, err);
        w = NULL;
    }
    sk_skds_writer_abort(w);
    if (!s && stats) {
        stats->nfiles = n;
        stats->nclasses = idx.nclasses;
        stats->nval = stats->ntest = 0;
        for (size_t k = 0; k < n; k++) {
            stats->nval += split[k] == SK_SPLIT_VAL;
            stats->ntest += split[k] == SK_SPLIT_TEST;
        }
        stats->ntrain = n - stats->nval - stats->ntest;
        stats->seconds = sk_now() - t0;
    }
    sk_manifest_free(&man);
    free(fbuf);
    free(ubuf);
    free(errs);
    free(st);
    free(order);
    free(split);
    free(digest);
    sk_pack_index_free(&idx);
    return s;
}
