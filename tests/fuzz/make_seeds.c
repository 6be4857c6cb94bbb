/* make_seeds.c: writes the small valid inputs the checked-in seed corpora start from
 * (tests/fuzz/corpus/<harness>/), with skytune's own writers where it has them. Run once by a
 * developer (tests/fuzz/README.md), never by the tests: `fuzz_make_seeds tests/fuzz/corpus`. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sk_core.h"
#include "../../core/fcache.h"
#include "sk_base.h"
#include "sk_dataset.h"

static void put(const char *root, const char *harness, const char *name, const void *data, size_t n)
{
    char rel[256];
    snprintf(rel, sizeof rel, "%s/%s", harness, name);
    char *dir = sk_path_join(root, harness), *p = sk_path_join(root, rel);
    sk_error err;
    if (sk_mkdir_p(dir, &err) || sk_write_file_atomic(p, data, n, &err)) {
        fprintf(stderr, "make_seeds: %s\n", err.msg);
        exit(1);
    }
    free(dir);
    free(p);
}

static void put_str(const char *root, const char *harness, const char *name, const char *s)
{
    put(root, harness, name, s, strlen(s));
}

static void text_seeds(const char *root)
{
    put_str(root, "catalog", "study19.csv",
            "#Table1\nobjid,ra,dec,u,g,r,i,z,run,rerun,camcol,field,fiberMag_g,specobjid,class,redshift,plate,mjd,fiberid\n"
            "1237648720693755918,229.4114223,42.7183459,19.1,17.8,17.2,17.0,16.9,3918,301,3,213,18.1,"
            "299489677444933632,STAR,0.0001,266,51630,1\n"
            "1237648720693755919,229.4134517,42.7186248,,18.8,18.0,17.6,17.3,3918,301,3,213,,,GALAXY,0.05,266,51630,2\n");
    put_str(root, "catalog", "dr14.csv",
            "objid,ra,dec,u,g,r,i,z,run,rerun,camcol,field,specobjid,class,redshift,plate,mjd,fiberid\r\n"
            "1.23764870457714E+018,10,-5,19,18,17,16,15,752,301,4,103,3.72E+18,QSO,1.2,3306,54922,491\r\n");
    put_str(root, "catalog", "generic.csv", "class,ra,dec,objid,note\n\"star\",1.5,2.5,7,\"a, \"\"quoted\"\" note\"\n");
    put_str(root, "objects", "few.csv", "objid,ra,dec,class\n11,229.4114223,42.7183459,STAR\n12,229.4134517,42.7186248,GALAXY\n");
    put_str(root, "objects", "alt.csv", "label,x_col,ra_deg_tan,dec_deg_tan\nSTAR,1,229.3693221,42.7202882\n\"GALAXY\",2,229.38,42.73\n");
    put_str(root, "manifest", "fetch.tsv",
            "objid\tclass\tra\tdec\turl\tbytes\tsha256\thttp_status\tattempts\tfile\n"
            "1237\tSTAR\t12.5\t-3.25\thttp://127.0.0.1/x?ra=12.5\t10\t"
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\t200\t1\tSTAR/1237.jpg\n");
    put_str(root, "manifest", "export.tsv",
            "# skytune export: uint8 pixels\nindex\tfile\tobjid\tclass\tlabel\tsplit\tra\tdec\n"
            "0\tQSO/000000_7.png\t7\tQSO\t1\tval\t\t\n1\tSTAR/000001_8.png\t8\tSTAR\t2\ttrain\t10.5\t-1\n");
    put_str(root, "manifest", "cutout.tsv",
            "objid\tclass\tfile\tra\tdec\tfield\tcoverage\n11\tSTAR\tSTAR/00000011.png\t229.4114223\t42.7183459\t003918-3-0213\t1.0000\n");
    put_str(root, "model_json", "model.json",
            "{\"format\": \"layers-model\", \"modelTopology\": {}, \"weightsManifest\": [{\"paths\": [\"w.bin\"], "
            "\"weights\": [{\"name\": \"Conv1/kernel\", \"shape\": [2, 2, 1, 2], \"dtype\": \"float32\"}, "
            "{\"name\": \"bn_Conv1/moving_mean\", \"shape\": [8], \"dtype\": \"float32\"}]}]}");
}

static void image_seeds(const char *root)
{
    uint8_t px[8 * 8 * 3], *enc = NULL;
    size_t n = 0;
    sk_error err;
    for (int i = 0; i < 8 * 8 * 3; i++) px[i] = (uint8_t)(i * 29);
    if (sk_image_encode_png(&enc, &n, px, 8, 8, 3, &err) == SK_OK) put(root, "image", "rgb.png", enc, n), free(enc);
    if (sk_image_encode_png(&enc, &n, px, 8, 8, 1, &err) == SK_OK) put(root, "image", "grey.png", enc, n), free(enc);
    if (sk_image_encode_jpeg(&enc, &n, px, 8, 8, 3, 80, &err) == SK_OK) put(root, "image", "rgb.jpg", enc, n), free(enc);
    /* a FITS frame: 8 x 6 floats with an SDSS-like TAN WCS */
    sk_buf b;
    sk_buf_init(&b);
    static const char *const cards[] = {
        "SIMPLE  =                    T", "BITPIX  =                  -32", "NAXIS   =                    2",
        "NAXIS1  =                    8", "NAXIS2  =                    6", "FILTER  = 'r       '",
        "CTYPE1  = 'RA---TAN'", "CTYPE2  = 'DEC--TAN'", "CRPIX1  =                  4.0",
        "CRPIX2  =                  3.0", "CRVAL1  =        229.537988811", "CRVAL2  =         42.678451112",
        "CD1_1   =   1.09999999999E-05", "CD1_2   =  -0.000110000000000", "CD2_1   =  -0.000110000000000",
        "CD2_2   =  -1.09999999999E-05", "END"};
    for (size_t k = 0; k < sizeof cards / sizeof cards[0]; k++) {
        char card[81];
        snprintf(card, sizeof card, "%-80s", cards[k]);
        sk_buf_put_bytes(&b, card, 80);
    }
    while (b.len % 2880) sk_buf_put_u8(&b, ' ');
    for (int i = 0; i < 48; i++) {
        float v = 0.01f * (float)i;
        uint32_t u;
        memcpy(&u, &v, 4);
        for (int s = 3; s >= 0; s--) sk_buf_put_u8(&b, (uint8_t)(u >> (8 * s))); /* big-endian */
    }
    while (b.len % 2880) sk_buf_put_u8(&b, 0);
    put(root, "fits", "frame.fits", b.data, b.len);
    sk_buf_free(&b);
}

static void binary_seeds(const char *root)
{
    sk_error err;
    char *dir = sk_path_join(root, ".work");
    if (sk_mkdir_p(dir, &err)) exit(1);
    /* .skds: two u8 records, 4x4x3, two classes */
    sk_skds_header h;
    sk_skds_header_init(&h);
    h.height = h.width = 4;
    if (sk_skds_header_add_class(&h, "GALAXY", &err) || sk_skds_header_add_class(&h, "STAR", &err)) exit(1);
    char *p = sk_path_join(dir, "s.skds");
    sk_skds_writer *w = NULL;
    uint8_t px[48];
    for (int i = 0; i < 48; i++) px[i] = (uint8_t)i;
    sk_skds_record r0 = {.objid = 5, .label = 0, .split = 0, .ra = 1.0, .dec = 2.0};
    sk_skds_record r1 = {.objid = 6, .label = 1, .split = 1, .ra = 3.0, .dec = -4.0};
    if (sk_skds_writer_open(&w, p, &h, &err) || sk_skds_writer_add(w, &r0, px, &err) ||
        sk_skds_writer_add(w, &r1, px, &err) || sk_skds_writer_finish(w, &err))
        exit(1);
    uint8_t *d;
    size_t n;
    if (sk_read_file(p, &d, &n, 1 << 20, &err)) exit(1);
    put(root, "skds", "tiny.skds", d, n);
    free(d);
    free(p);
    /* .skck: two tensors and a key/value */
    sk_ckpt ck;
    sk_ckpt_init(&ck);
    float t[6] = {1, 2, 3, 4, 5, 6};
    int64_t s1[2] = {2, 3}, s2[1] = {2};
    sk_ckpt_add_tensor(&ck, "dense/kernel", 2, s1, t);
    sk_ckpt_add_tensor(&ck, "dense/bias", 1, s2, t);
    sk_ckpt_set_kv(&ck, "note", "fuzz seed");
    snprintf(ck.arch, sizeof ck.arch, "mobilenetv2");
    p = sk_path_join(dir, "c.skck");
    if (sk_ckpt_write(&ck, p, &err) || sk_read_file(p, &d, &n, 1 << 20, &err)) exit(1);
    put(root, "skck", "tiny.skck", d, n);
    free(d);
    free(p);
    sk_ckpt_free(&ck);
    /* .skfc: 2 images of 8 floats */
    float f[16];
    for (int i = 0; i < 16; i++) f[i] = (float)i * 0.5f;
    const char *key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    if (sk_fcache_store(dir, key, 2, 8, f, &err)) exit(1);
    p = sk_fcache_path(dir, key);
    if (sk_read_file(p, &d, &n, 1 << 20, &err)) exit(1);
    put(root, "skfc", "tiny.skfc", d, n);
    free(d);
    free(p);
    free(dir);
}

/* A Keras-style weights file: root attribute layer_names, one group per layer with
 * weight_names, one float dataset. */
static void h5_seed(const char *root)
{
    char *dir = sk_path_join(root, "h5");
    sk_error err;
    if (sk_mkdir_p(dir, &err)) exit(1);
    char *p = sk_path_join(dir, "dense.h5");
    hid_t f = H5Fcreate(p, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 16);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    hsize_t one = 1;
    hid_t sp = H5Screate_simple(1, &one, NULL);
    char lname[16] = "dense", wname[16] = "dense/kernel:0";
    hid_t a = H5Acreate2(f, "layer_names", t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, lname);
    H5Aclose(a);
    hid_t g = H5Gcreate2(f, "dense", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    a = H5Acreate2(g, "weight_names", t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, wname);
    H5Aclose(a);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hsize_t dims[2] = {2, 2};
    hid_t ds_sp = H5Screate_simple(2, dims, NULL);
    hid_t ds = H5Dcreate2(g, wname, H5T_IEEE_F32LE, ds_sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    float v[4] = {1, 2, 3, 4};
    H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    H5Dclose(ds);
    H5Sclose(ds_sp);
    H5Pclose(lcpl);
    H5Gclose(g);
    H5Sclose(sp);
    H5Tclose(t);
    H5Fclose(f);
    free(p);
    free(dir);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_make_seeds CORPUS_DIR\n");
        return 2;
    }
    text_seeds(argv[1]);
    image_seeds(argv[1]);
    binary_seeds(argv[1]);
    h5_seed(argv[1]);
    sk_error err;
    char *work = sk_path_join(argv[1], ".work");
    if (sk_remove_tree(work, &err)) fprintf(stderr, "make_seeds: %s\n", err.msg);
    free(work);
    return 0;
}
