/* weights_tfjs.c: TF.js layers-model weights into an sk_wset (layout in weights_tfjs.h).
 * Shards are streamed: each weight's bytes are read straight into its tensor, crossing shard
 * boundaries as needed, after the shard sizes were checked against the manifest up front. */
#include "weights_tfjs.h"
#include "sk_base.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_JSON_BYTES ((size_t)256 << 20)
#define MAX_GROUP_BYTES ((uint64_t)4 << 30)

/* A shard path must stay inside the model directory: relative, no "..", no empty component. */
static int safe_rel_path(const char *p)
{
    if (p[0] == '\0' || p[0] == '/') return 0;
    const char *s = p;
    while (*s) {
        size_t n = strcspn(s, "/");
        if (n == 0 || (n == 2 && s[0] == '.' && s[1] == '.')) return 0;
        s += n;
        if (*s == '/') s++;
    }
    return 1;
}

typedef struct {
    char **files;
    int nfiles, idx;
    FILE *fp;
} shard_cursor;

static void cursor_close(shard_cursor *c)
{
    if (c->fp) fclose(c->fp);
    c->fp = NULL;
}

/* Reads exactly n bytes from the group's concatenated shards. */
static sk_status cursor_read(shard_cursor *c, uint8_t *dst, size_t n, const char *wname,
                             sk_error *err)
{
    while (n > 0) {
        if (!c->fp) {
            if (c->idx >= c->nfiles)
                return sk_error_set(err, SK_EFORMAT, "weight '%s': shards end before its data does", wname);
            sk_error e; /* no blocking on a FIFO */
            c->fp = sk_fopen_regular(c->files[c->idx], &e);
            if (!c->fp) return sk_error_set(err, e.code, "weight shard %s", e.msg);
        }
        size_t got = fread(dst, 1, n, c->fp);
        if (got < n && ferror(c->fp))
            return sk_error_set(err, SK_EIO, "%s: read error", c->files[c->idx]);
        dst += got;
        n -= got;
        if (n > 0) {
            cursor_close(c);
            c->idx++;
        }
    }
    return SK_OK;
}

static sk_status read_group(const cJSON *grp, int gi, const char *dir, const char *json_path,
                            sk_wset *ws, sk_error *err)
{
    sk_status st = SK_OK;
    shard_cursor cur = {0};
    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(grp, "paths");
    const cJSON *weights = cJSON_GetObjectItemCaseSensitive(grp, "weights");
    if (!cJSON_IsObject(grp) || !cJSON_IsArray(paths) || !cJSON_IsArray(weights))
        return sk_error_set(err, SK_EFORMAT,
                            "%s: weightsManifest[%d]: expected an object with arrays 'paths' and 'weights'",
                            json_path, gi);

    /* Weights first: names, shapes, dtypes, and the byte count they need. */
    uint64_t need = 0;
    int nw = cJSON_GetArraySize(weights);
    int base = ws->n;
    for (int i = 0; i < nw; i++) {
        const cJSON *w = cJSON_GetArrayItem(weights, i);
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(w, "name");
        const cJSON *shape = cJSON_GetObjectItemCaseSensitive(w, "shape");
        const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(w, "dtype");
        if (!cJSON_IsString(name) || !cJSON_IsArray(shape))
            return sk_error_set(err, SK_EFORMAT,
                                "%s: weightsManifest[%d].weights[%d]: expected a string 'name' and an array 'shape'",
                                json_path, gi, i);
        const char *wn = name->valuestring;
        if (cJSON_GetObjectItemCaseSensitive(w, "quantization"))
            return sk_error_set(err, SK_EUNSUPPORTED,
                                "%s: weight '%s' is quantized: expected float32 weights, found a "
                                "'quantization' field (re-export the model without quantization)",
                                json_path, wn);
        const char *dt = cJSON_IsString(dtype) ? dtype->valuestring : "(none)";
        if (strcmp(dt, SK_TFJS_DTYPE) != 0)
            return sk_error_set(err, SK_EUNSUPPORTED, "%s: weight '%s': expected dtype %s, found %s",
                                json_path, wn, SK_TFJS_DTYPE, dt);
        int nd = cJSON_GetArraySize(shape);
        if (nd > 4)
            return sk_error_set(err, SK_EFORMAT, "%s: weight '%s': expected at most 4 dimensions, found %d",
                                json_path, wn, nd);
        int dims[4] = {0, 0, 0, 0};
        uint64_t elems = 1;
        for (int d = 0; d < nd; d++) {
            const cJSON *v = cJSON_GetArrayItem(shape, d);
            if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > (double)(1 << 30) ||
                v->valuedouble != (double)(int)v->valuedouble)
                return sk_error_set(err, SK_EFORMAT,
                                    "%s: weight '%s': shape[%d]: expected a non-negative integer", json_path,
                                    wn, d);
            dims[d] = (int)v->valuedouble;
            elems *= (uint64_t)dims[d];
            if (elems > MAX_GROUP_BYTES / 4)
                return sk_error_set(err, SK_ELIMIT, "%s: weight '%s': over %llu elements", json_path,
                                    wn, (unsigned long long)(MAX_GROUP_BYTES / 4));
        }
        need += elems * 4;
        if (need > MAX_GROUP_BYTES)
            return sk_error_set(err, SK_ELIMIT, "%s: weightsManifest[%d]: over %llu bytes of weights",
                                json_path, gi, (unsigned long long)MAX_GROUP_BYTES);
        char layer[SK_WNAME_MAX], var[32];
        st = sk_weight_name_split(wn, layer, sizeof layer, var, sizeof var, err);
        if (st) return sk_error_prefix(err, "%s: ", json_path);
        sk_wset_add(ws, layer, var, nd, dims);
    }

    /* Shards: safe names, present, and exactly `need` bytes in total. */
    int np = cJSON_GetArraySize(paths);
    if (np == 0 && need > 0)
        return sk_error_set(err, SK_EFORMAT, "%s: weightsManifest[%d]: %llu bytes of weights but no shard paths",
                            json_path, gi, (unsigned long long)need);
    cur.files = sk_xcalloc((size_t)(np ? np : 1), sizeof(char *));
    uint64_t have = 0;
    for (int i = 0; i < np; i++) {
        const cJSON *p = cJSON_GetArrayItem(paths, i);
        if (!cJSON_IsString(p) || !safe_rel_path(p->valuestring)) {
            st = sk_error_set(err, SK_EFORMAT,
                              "%s: weightsManifest[%d].paths[%d]: expected a relative file name inside the model directory, found %s",
                              json_path, gi, i, cJSON_IsString(p) ? p->valuestring : "a non-string");
            goto done;
        }
        cur.files[cur.nfiles++] = sk_path_join(dir, p->valuestring);
        struct stat sb;
        if (stat(cur.files[i], &sb) != 0 || !S_ISREG(sb.st_mode)) {
            st = sk_error_set(err, SK_EIO, "%s: shard named in %s is %s", cur.files[i], json_path,
                              stat(cur.files[i], &sb) != 0 ? "missing" : sk_file_kind((unsigned)sb.st_mode));
            goto done;
        }
        have += (uint64_t)sb.st_size;
    }
    if (have != need) {
        st = sk_error_set(err, SK_EFORMAT,
                          "%s: weightsManifest[%d]: shards hold %llu bytes, the weights need %llu (%s)",
                          json_path, gi, (unsigned long long)have, (unsigned long long)need,
                          have < need ? "truncated shard?" : "extra bytes");
        goto done;
    }
    for (int i = 0; i < nw; i++) {
        sk_wtensor *t = &ws->t[base + i];
        char wname[SK_WNAME_MAX + 40];
        snprintf(wname, sizeof wname, "%s/%s", t->layer, t->var);
        uint8_t *raw = (uint8_t *)t->data;
        st = cursor_read(&cur, raw, t->size * 4, wname, err);
        if (st) {
            sk_error_prefix(err, "%s: ", json_path);
            goto done;
        }
        for (size_t e = 0; e < t->size; e++) {
            uint32_t bits = sk_le_load32(raw + 4 * e);
            memcpy(&t->data[e], &bits, 4);
        }
    }
done:
    cursor_close(&cur);
    for (int i = 0; i < cur.nfiles; i++) free(cur.files[i]);
    free(cur.files);
    return st;
}

sk_status sk_weights_read_tfjs(const char *path, sk_wset *ws, sk_error *err)
{
    sk_status st = SK_OK;
    char *json_path = NULL, *dir = NULL;
    uint8_t *text = NULL;
    size_t len = 0;
    cJSON *root = NULL;
    if (sk_dir_exists(path)) {
        dir = sk_xstrdup(path);
        json_path = sk_path_join(path, SK_TFJS_MODEL_FILE);
    } else {
        json_path = sk_xstrdup(path);
        const char *slash = strrchr(path, '/');
        dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : sk_xstrdup(".");
        SK_ASSERT(dir);
    }
    st = sk_read_file(json_path, &text, &len, MAX_JSON_BYTES, err);
    if (st) goto done;
    root = cJSON_ParseWithLength((const char *)text, len);
    if (!root || !cJSON_IsObject(root)) {
        const char *at = cJSON_GetErrorPtr();
        long off = at && at >= (const char *)text && at <= (const char *)text + len ? (long)(at - (const char *)text) : -1;
        st = sk_error_set(err, SK_EFORMAT, "%s: expected a JSON object, found invalid JSON (near byte %ld)",
                          json_path, off);
        goto done;
    }
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (cJSON_IsString(format) && strcmp(format->valuestring, SK_TFJS_FORMAT) != 0) {
        st = sk_error_set(err, SK_EUNSUPPORTED, "%s: expected format '%s', found '%s'",
                          json_path, SK_TFJS_FORMAT, format->valuestring);
        goto done;
    }
    const cJSON *man = cJSON_GetObjectItemCaseSensitive(root, "weightsManifest");
    if (!cJSON_IsArray(man)) {
        st = sk_error_set(err, SK_EFORMAT, "%s: expected an array 'weightsManifest', found %s", json_path,
                          man ? "another type" : "none");
        goto done;
    }
    int ng = cJSON_GetArraySize(man);
    for (int g = 0; g < ng && st == SK_OK; g++)
        st = read_group(cJSON_GetArrayItem(man, g), g, dir, json_path, ws, err);
done:
    cJSON_Delete(root);
    free(text);
    free(json_path);
    free(dir);
    return st;
}
