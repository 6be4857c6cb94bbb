// LABELS: unit dataset determinism
// LIBS: sk_dataset
/* test_synth.c: the simulator: calibration regenerates synth_calib.h byte for byte, exact class
 * counts, per-object determinism (independent of n, output size and thread count), photometry
 * and noise at the SDSS levels it claims, .skds and folder output, and the accuracy of a
 * colour-only nearest-centroid classifier (the task must be fair: well above chance, clearly
 * below 100%). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "sk_base.h"
#include "sk_dataset.h"
#include "sk_test.h"

static void test_calibration(void)
{
    const char *shared = sk_test_shared(), *src = getenv("SRC");
    if (!shared || !src) {
        printf("calibration check skipped: no shared data or SRC\n");
        return;
    }
    char cat[4096], hdr[4096];
    snprintf(cat, sizeof cat, "%s/data/sdss/catalog/sdss_dr14_kaggle_skyserver_10k.csv", shared);
    snprintf(hdr, sizeof hdr, "%s/dataset/synth_calib.h", src);
    if (!sk_file_exists(cat)) {
        printf("calibration check skipped: %s absent\n", cat);
        return;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    sk_error err;
    CHECK_OK(sk_synth_calibrate(cat, mem, &err), &err);
    fclose(mem);
    uint8_t *committed = NULL;
    size_t clen = 0;
    CHECK_OK(sk_read_file(hdr, &committed, &clen, 1 << 20, &err), &err);
    CHECKF(committed && clen == len && memcmp(committed, text, len) == 0,
           "synth_calib.h differs from `skytune dataset synth --calibrate` output (%zu vs %zu bytes)",
           clen, len);
    free(committed);
    free(text);

    /* Bad input: a CSV without the magnitude columns is a clear error. */
    char *dir = sk_test_tmpdir("synth_calib");
    char *bad = sk_path_join(dir, "bad.csv");
    const char body[] = "objid,ra,dec,class\n1,2,3,STAR\n";
    CHECK_OK(sk_write_file_atomic(bad, body, sizeof body - 1, &err), &err);
    FILE *devnull = fopen("/dev/null", "w");
    sk_status st = sk_synth_calibrate(bad, devnull, &err);
    fclose(devnull);
    CHECK(st == SK_EFORMAT && strstr(err.msg, "line 1") != NULL);
    free(bad);
    free(dir);
}

static void test_labels(void)
{
    const double mix[3] = {440, 62, 498};
    uint8_t *l = malloc(1000);
    sk_synth_labels(l, 1000, mix, 7);
    int cnt[3] = {0, 0, 0};
    for (int i = 0; i < 1000; i++) cnt[l[i]]++;
    CHECK_EQ_INT(cnt[SK_SYNTH_GALAXY], 440);
    CHECK_EQ_INT(cnt[SK_SYNTH_QSO], 62);
    CHECK_EQ_INT(cnt[SK_SYNTH_STAR], 498);
    int runs = 0; /* shuffled, not blocks */
    for (int i = 1; i < 1000; i++) runs += l[i] != l[i - 1];
    CHECK(runs > 300);
    const double third[3] = {1, 1, 1};
    sk_synth_labels(l, 7, third, 1);
    cnt[0] = cnt[1] = cnt[2] = 0;
    for (int i = 0; i < 7; i++) cnt[l[i]]++;
    CHECK(cnt[0] == 3 && cnt[1] == 2 && cnt[2] == 2);
    free(l);
    CHECK_EQ_INT(sk_synth_class_parse("qso"), SK_SYNTH_QSO);
    CHECK_EQ_INT(sk_synth_class_parse("Galaxy"), SK_SYNTH_GALAXY);
    CHECK_EQ_INT(sk_synth_class_parse("planet"), -1);
}

static void test_determinism(void)
{
    sk_synth_config a, b;
    sk_synth_config_default(&a);
    a.size = 64;
    a.scale = 0.32;
    a.seed = 42;
    b = a;
    b.size = 512;
    b.scale = 0.04; /* same 20.48" field */
    sk_synth_truth t1, t2, t3;
    sk_synth_draw(&t1, &a, 5, SK_SYNTH_GALAXY);
    sk_synth_draw(&t2, &a, 5, SK_SYNTH_GALAXY);
    sk_synth_draw(&t3, &b, 5, SK_SYNTH_GALAXY);
    CHECK(memcmp(&t1, &t2, sizeof t1) == 0);
    CHECK(memcmp(&t1, &t3, sizeof t1) == 0); /* same field: the size does not change the draw */
    CHECK(t1.target.sersic_n >= 0.6 && t1.target.sersic_n <= 5.0);
    CHECK(t1.target.re_arcsec >= 0.3 && t1.target.re_arcsec <= 15.0);
    CHECK(t1.seeing_fwhm >= 0.9 && t1.seeing_fwhm <= 2.3);

    float *w = sk_xmalloc_aligned(sk_synth_workspace_floats(&a) * sizeof(float));
    uint8_t *o1 = malloc(64 * 64 * 3), *o2 = malloc(64 * 64 * 3);
    sk_synth_render(o1, NULL, &t1, &a, w);
    memset(w, 0x5a, sk_synth_workspace_floats(&a) * sizeof(float)); /* no state leaks through */
    sk_synth_render(o2, NULL, &t1, &a, w);
    CHECK(memcmp(o1, o2, 64 * 64 * 3) == 0);
    a.seed = 43;
    sk_synth_draw(&t2, &a, 5, SK_SYNTH_GALAXY);
    sk_synth_render(o2, NULL, &t2, &a, w);
    CHECK(memcmp(o1, o2, 64 * 64 * 3) != 0);
    free(o1);
    free(o2);
    free(w);
}

/* Sum of plane within radius rad of (cx, cy) and the radius enclosing half of the total. */
static double aperture(const float *img, int nat, double cx, double cy, double rad)
{
    double s = 0;
    for (int y = 0; y < nat; y++)
        for (int x = 0; x < nat; x++)
            if (hypot(x + 0.5 - cx, y + 0.5 - cy) <= rad) s += img[(size_t)y * nat + x];
    return s;
}

static double half_light_radius(const float *img, int nat, double cx, double cy, double total)
{
    for (double r = 0.25; r < nat; r += 0.25)
        if (aperture(img, nat, cx, cy, r) >= 0.5 * total) return r;
    return nat;
}

static void test_physics(void)
{
    sk_synth_config c;
    sk_synth_config_default(&c);
    c.size = 64;
    c.scale = 0.32;
    c.seed = 9;
    const int nat = sk_synth_native_size(&c);
    const size_t npix = (size_t)nat * nat;
    float *w = sk_xmalloc_aligned(sk_synth_workspace_floats(&c) * sizeof(float));
    float *bands = malloc(3 * npix * sizeof(float));
    uint8_t *rgb = malloc(64 * 64 * 3);

    sk_synth_truth t;
    sk_synth_draw(&t, &c, 1, SK_SYNTH_STAR);
    t.nneighbours = 0;
    t.target.mag_r = 16.0;
    t.target.flux[1] = pow(10.0, -0.4 * (16.0 - 22.5));
    sk_synth_render(rgb, bands, &t, &c, w);
    const float *r = bands + npix;
    double cx = nat * 0.5 + t.phase[0], cy = nat * 0.5 + t.phase[1];
    double total = aperture(r, nat, cx, cy, 1e9);
    CHECKF(fabs(total / t.target.flux[1] - 1.0) < 0.03, "star flux %.3f vs %.3f nMgy", total,
           t.target.flux[1]);
    double star_r50 = half_light_radius(r, nat, cx, cy, total);
    /* PSF: half light of the double Gaussian at ~0.6 FWHM (FWHM in native px). */
    double fwhm_px = t.seeing_fwhm / SK_SYNTH_NATIVE_SCALE;
    CHECKF(star_r50 > 0.45 * fwhm_px && star_r50 < 0.9 * fwhm_px, "star r50 %.2f px, FWHM %.2f px",
           star_r50, fwhm_px);
    /* Sky noise: std of pixels far from the star equals sqrt(sky e- + read^2) in nMgy. */
    double s1 = 0, s2 = 0;
    int m = 0;
    for (int y = 0; y < nat; y++)
        for (int x = 0; x < nat; x++)
            if (hypot(x + 0.5 - cx, y + 0.5 - cy) > 15) {
                double v = r[(size_t)y * nat + x];
                s1 += v;
                s2 += v * v;
                m++;
            }
    double sd = sqrt(s2 / m - (s1 / m) * (s1 / m));
    double epn = 4.7 / t.nmgy_per_count[1];
    double sky_e = pow(10.0, -0.4 * (t.sky_mag[1] - 22.5)) * 0.396127 * 0.396127 * epn;
    double expect = sqrt(sky_e + 36.0) / epn;
    CHECKF(fabs(sd / expect - 1.0) < 0.1, "r sky noise %.4f vs %.4f nMgy", sd, expect);
    CHECK(expect > 0.015 && expect < 0.05); /* SDSS r: ~0.02-0.03 nMgy per pixel */
    CHECK(fabs(s1 / m) < 3 * expect / sqrt(m) + 1e-3); /* sky subtracted */
    int centre = rgb[3 * (32 * 64 + 32) + 1];
    CHECKF(centre > 100, "an r = 16 star core is bright in G (found %d)", centre);

    sk_synth_draw(&t, &c, 2, SK_SYNTH_GALAXY);
    t.nneighbours = 0;
    t.target.mag_r = 15.0;
    t.target.flux[1] = pow(10.0, -0.4 * (15.0 - 22.5));
    t.target.sersic_n = 1.0;
    t.target.re_arcsec = 1.5;
    t.target.axis_ratio = 1.0;
    sk_synth_render(rgb, bands, &t, &c, w);
    cx = nat * 0.5 + t.phase[0];
    cy = nat * 0.5 + t.phase[1];
    total = aperture(r, nat, cx, cy, 1e9);
    CHECKF(fabs(total / t.target.flux[1] - 1.0) < 0.03, "galaxy flux %.3f vs %.3f nMgy", total,
           t.target.flux[1]);
    double gal_r50 = half_light_radius(r, nat, cx, cy, total) * SK_SYNTH_NATIVE_SCALE;
    double seeing_r50 = 0.6 * t.seeing_fwhm;
    double expect_r50 = sqrt(1.5 * 1.5 + seeing_r50 * seeing_r50);
    CHECKF(fabs(gal_r50 - expect_r50) < 0.35, "galaxy r50 %.2f\" vs ~%.2f\"", gal_r50, expect_r50);
    free(rgb);
    free(bands);
    free(w);
}

static void test_outputs(void)
{
    char *dir = sk_test_tmpdir("synth_out");
    char *p1 = sk_path_join(dir, "one.skds"), *p2 = sk_path_join(dir, "two.skds");
    sk_synth_config c;
    sk_synth_config_default(&c);
    c.size = 48;
    c.scale = 20.48 / 48;
    c.seed = 3;
    const double mix[3] = {440, 62, 498};
    sk_error err;
#ifdef _OPENMP
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    CHECK_OK(sk_synth_write_split(p1, &c, 24, mix, 0.25, 123, "test", 0, NULL, &err), &err);
#ifdef _OPENMP
    omp_set_num_threads(2);
#endif
    CHECK_OK(sk_synth_write(p2, &c, 24, mix, 0.25, "test", 0, NULL, &err), &err);
#ifdef _OPENMP
    omp_set_num_threads(saved);
#endif
    uint8_t *b1 = NULL, *b2 = NULL;
    size_t n1 = 0, n2 = 0;
    CHECK_OK(sk_read_file(p1, &b1, &n1, 1 << 26, &err), &err);
    CHECK_OK(sk_read_file(p2, &b2, &n2, 1 << 26, &err), &err);
    CHECKF(b1 && b2 && n1 == n2 && memcmp(b1, b2, n1) == 0, "1 vs 2 threads: %zu vs %zu bytes", n1, n2);
    free(b1);
    free(b2);

    sk_skds ds;
    CHECK_OK(sk_skds_open(&ds, p1, SK_SKDS_OPEN_DEFAULT, &err), &err);
    if (!err.code) {
        CHECK_EQ_INT(ds.count, 24);
        CHECK_EQ_INT(ds.h.width, 48);
        CHECK_EQ_INT(ds.h.nclasses, 3);
        CHECK_STR(ds.h.class_names[1], "QSO");
        uint8_t labels[24];
        sk_synth_labels(labels, 24, mix, 3);
        int nval = 0, lab_ok = 1;
        for (int i = 0; i < 24; i++) {
            nval += ds.records[i].split == SK_SPLIT_VAL;
            lab_ok &= ds.records[i].label == labels[i] && ds.records[i].objid == (uint64_t)i + 1;
        }
        CHECK_EQ_INT(nval, 6);
        CHECK(lab_ok);
        /* Record 3 is exactly object 3 rendered on its own (independent of n and batching). */
        sk_synth_truth t;
        sk_synth_draw(&t, &c, 3, labels[3]);
        float *w = sk_xmalloc_aligned(sk_synth_workspace_floats(&c) * sizeof(float));
        uint8_t img[48 * 48 * 3];
        sk_synth_render(img, NULL, &t, &c, w);
        CHECK(memcmp(img, sk_skds_pixels(&ds, 3), sizeof img) == 0);
        free(w);
        /* The .skds split is the one Keras (and pack) would make from the folder output. */
        char *f24 = sk_path_join(dir, "folder24");
        CHECK_OK(sk_synth_write(f24, &c, 24, mix, 0.25, "test", 0, NULL, &err), &err);
        sk_pack_index idx;
        memset(&idx, 0, sizeof idx);
        CHECK_OK(sk_pack_index_dir(&idx, f24, &err), &err);
        if (idx.nfiles == 24) {
            uint64_t order[24];
            uint32_t sp[24];
            sk_pack_keras_split(order, sp, 24, 123, 0.25);
            int same = 1;
            for (int k = 0; k < 24; k++) {
                const char *slash = strrchr(idx.relpath[order[k]], '/');
                unsigned long long objid = slash ? strtoull(slash + 1, NULL, 10) : 0;
                same &= objid >= 1 && objid <= 24 && ds.records[objid - 1].split == sp[k];
            }
            CHECK(same);
        } else {
            CHECKF(0, "pack index of the synth folder: %zu files, expected 24", idx.nfiles);
        }
        sk_pack_index_free(&idx);
        free(f24);
        sk_skds_close(&ds);
    }

    char *folder = sk_path_join(dir, "folder");
    CHECK_OK(sk_synth_write(folder, &c, 6, mix, 0.2, "test", 0, NULL, &err), &err);
    char *man = sk_path_join(folder, "manifest.tsv");
    uint8_t *text = NULL;
    size_t tl = 0;
    CHECK_OK(sk_read_file(man, &text, &tl, 1 << 20, &err), &err);
    int lines = 0;
    for (size_t i = 0; i < tl; i++) lines += text[i] == '\n';
    CHECK_EQ_INT(lines, 7);
    CHECK(text && strncmp((char *)text, "objid\tclass\tfile\tr\t", 19) == 0);
    /* Each listed file exists and is a PNG. */
    int files_ok = 1;
    char *save = NULL;
    int row = 0;
    for (char *ln = strtok_r((char *)text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save), row++) {
        if (row == 0) continue;
        char *f1 = strchr(ln, '\t'), *f2 = f1 ? strchr(f1 + 1, '\t') : NULL, *f3 = f2 ? strchr(f2 + 1, '\t') : NULL;
        if (!f3) {
            files_ok = 0;
            break;
        }
        *f3 = 0;
        char *path = sk_path_join(folder, f2 + 1);
        uint8_t *png = NULL;
        size_t pl = 0;
        files_ok &= sk_read_file(path, &png, &pl, 1 << 24, &err) == SK_OK && pl > 8 &&
                    memcmp(png, "\x89PNG", 4) == 0;
        free(png);
        free(path);
    }
    CHECK(files_ok);
    free(text);
    free(man);
    free(folder);

    /* Bad configuration is an error, not a crash. */
    c.size = 2;
    CHECK(sk_synth_write(p1, &c, 4, mix, 0.2, "test", 0, NULL, &err) == SK_EINVAL);
    free(p1);
    free(p2);
    free(dir);
}

/* Colour-only classifier: mean colours of the central 3" of each 32 px RGB cutout, nearest
 * centroid on standardised (ln R/G, ln B/G); train on even objects, test on odd ones. */
static void test_colour_classifier(void)
{
    const int n = 600, S = 32;
    sk_synth_config c;
    sk_synth_config_default(&c);
    c.size = S;
    c.scale = 20.48 / S;
    c.seed = 123;
    const double mix[3] = {440, 62, 498};
    uint8_t *labels = malloc((size_t)n);
    sk_synth_labels(labels, (uint64_t)n, mix, c.seed);
    double (*feat)[2] = malloc(sizeof(double[2]) * (size_t)n);
    double (*truec)[2] = malloc(sizeof(double[2]) * (size_t)n);
    int nthreads = 1;
#ifdef _OPENMP
    nthreads = omp_get_max_threads();
#endif
    size_t ws = sk_synth_workspace_floats(&c);
    float *work = sk_xmalloc_aligned(ws * (size_t)nthreads * sizeof(float));
#pragma omp parallel for schedule(dynamic, 4)
    for (int i = 0; i < n; i++) {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        uint8_t img[32 * 32 * 3];
        sk_synth_truth t;
        sk_synth_draw(&t, &c, (uint64_t)i, labels[i]);
        sk_synth_render(img, NULL, &t, &c, work + (size_t)tid * ws);
        double sum[3] = {0, 0, 0};
        for (int y = S / 2 - 3; y < S / 2 + 3; y++)
            for (int x = S / 2 - 3; x < S / 2 + 3; x++)
                for (int ch = 0; ch < 3; ch++) sum[ch] += img[3 * (y * S + x) + ch];
        feat[i][0] = log((sum[0] + 1) / (sum[1] + 1));
        feat[i][1] = log((sum[2] + 1) / (sum[1] + 1));
        truec[i][0] = t.target.gr;
        truec[i][1] = t.target.ri;
    }
    double (*sets[2])[2] = {feat, truec};
    double acc[2];
    for (int s = 0; s < 2; s++) {
        double (*f)[2] = sets[s];
        double mu[2] = {0, 0}, sd[2] = {0, 0};
        int ntr = 0;
        for (int i = 0; i < n; i += 2, ntr++)
            for (int k = 0; k < 2; k++) mu[k] += f[i][k];
        for (int k = 0; k < 2; k++) mu[k] /= ntr;
        for (int i = 0; i < n; i += 2)
            for (int k = 0; k < 2; k++) sd[k] += (f[i][k] - mu[k]) * (f[i][k] - mu[k]);
        for (int k = 0; k < 2; k++) sd[k] = sqrt(sd[k] / ntr) + 1e-12;
        double cen[3][2] = {{0}}, cnt[3] = {0};
        for (int i = 0; i < n; i += 2) {
            cnt[labels[i]]++;
            for (int k = 0; k < 2; k++) cen[labels[i]][k] += (f[i][k] - mu[k]) / sd[k];
        }
        for (int l = 0; l < 3; l++)
            for (int k = 0; k < 2; k++) cen[l][k] /= cnt[l] > 0 ? cnt[l] : 1;
        int right = 0, tot = 0, cls_right[3] = {0, 0, 0}, cls_tot[3] = {0, 0, 0};
        for (int i = 1; i < n; i += 2, tot++) {
            int best = 0;
            double bd = 1e300;
            for (int l = 0; l < 3; l++) {
                double d = 0;
                for (int k = 0; k < 2; k++) {
                    double z = (f[i][k] - mu[k]) / sd[k] - cen[l][k];
                    d += z * z;
                }
                if (d < bd) bd = d, best = l;
            }
            right += best == labels[i];
            cls_right[labels[i]] += best == labels[i];
            cls_tot[labels[i]]++;
        }
        acc[s] = (double)right / tot;
        printf("  %s: recall GALAXY %.2f QSO %.2f STAR %.2f, balanced accuracy %.3f\n",
               s ? "true colours" : "image colours", (double)cls_right[0] / cls_tot[0],
               (double)cls_right[1] / cls_tot[1], (double)cls_right[2] / cls_tot[2],
               ((double)cls_right[0] / cls_tot[0] + (double)cls_right[1] / cls_tot[1] +
                (double)cls_right[2] / cls_tot[2]) / 3.0);
    }
    printf("colour-only nearest-centroid accuracy on synth (n=%d, test half): images %.3f, "
           "true catalogue colours %.3f, majority class %.3f\n", n, acc[0], acc[1], 498.0 / 1000);
    CHECKF(acc[0] > 0.55 && acc[0] < 0.95, "image colour accuracy %.3f", acc[0]);
    CHECKF(acc[0] > acc[1] - 0.12, "image colours (%.3f) carry the catalogue colours (%.3f)", acc[0], acc[1]);
    free(work);
    free(feat);
    free(truec);
    free(labels);
}

int main(void)
{
    test_calibration();
    test_labels();
    test_determinism();
    test_physics();
    test_outputs();
    test_colour_classifier();
    return sk_test_finish();
}
