// LABELS: dataset
// LIBS: sk_dataset
/* test_catalog.c: the CSV catalog reader: the real 10k DR14 export, the study's 19 columns, the
 * minimal objid/ra/dec/class form, quoting/CRLF, and malformed rows reported by line number. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sk_dataset.h"
#include "sk_base.h"
#include "sk_test.h"

static int bad_has(const sk_catalog *c, const char *needle)
{
    for (size_t k = 0; k < c->n_bad_listed; k++)
        if (strstr(c->bad[k], needle)) return 1;
    return 0;
}

static void test_objid(void)
{
    char d[24];
    uint64_t id;
    int inex;
    CHECK(sk_catalog_parse_objid("1.23764870457714E+018", d, sizeof d, &id, &inex) == 0);
    CHECK_STR(d, "1237648704577140000");
    CHECK(inex == 1);
    CHECK(id == 1237648704577140000ull);
    CHECK(sk_catalog_parse_objid("3.2327431957043E+017", d, sizeof d, &id, &inex) == 0);
    CHECK_STR(d, "323274319570430000");
    CHECK(sk_catalog_parse_objid(" 1237663784734621818 ", d, sizeof d, &id, &inex) == 0);
    CHECK_STR(d, "1237663784734621818");
    CHECK(inex == 0);
    CHECK(id == 1237663784734621818ull);
    CHECK(sk_catalog_parse_objid("18446744073709551615", d, sizeof d, &id, &inex) == 0);
    CHECK(id == UINT64_MAX);
    CHECK(sk_catalog_parse_objid("18446744073709551616", d, sizeof d, &id, &inex) != 0);
    CHECK(sk_catalog_parse_objid("-12", d, sizeof d, &id, &inex) != 0);
    CHECK(sk_catalog_parse_objid("1.5", d, sizeof d, &id, &inex) != 0);
    CHECK(sk_catalog_parse_objid("12abc", d, sizeof d, &id, &inex) != 0);
    CHECK(sk_catalog_parse_objid("", d, sizeof d, &id, &inex) != 0);
    CHECK(sk_class_parse("galaxy") == SK_CLASS_GALAXY);
    CHECK(sk_class_parse("Quasar") == SK_CLASS_QSO);
    CHECK(sk_class_parse("STAR") == SK_CLASS_STAR);
    CHECK(sk_class_parse("planet") == -1);
}

static void test_real_catalog(void)
{
    const char *shared = sk_test_shared();
    if (!shared) { printf("note: shared/ absent, real catalog part skipped\n"); return; }
    char *dir = sk_path_join(shared, "data/sdss/catalog");
    char *path = sk_path_join(dir, "sdss_dr14_kaggle_skyserver_10k.csv");
    free(dir);
    if (!sk_file_exists(path)) { printf("note: %s absent, skipped\n", path); free(path); return; }
    sk_catalog c;
    sk_error err;
    CHECK_OK(sk_catalog_read(&c, path, &err), &err);
    CHECK_EQ_INT(c.n, 10000);
    CHECK_EQ_INT(c.n_bad, 0);
    CHECK_EQ_INT(c.n_class[SK_CLASS_GALAXY], 4998);
    CHECK_EQ_INT(c.n_class[SK_CLASS_STAR], 4152);
    CHECK_EQ_INT(c.n_class[SK_CLASS_QSO], 850);
    CHECK_EQ_INT(c.n_inexact, 10000);
    CHECK(c.format == SK_CATALOG_DR14_18);
    if (c.n == 10000) {
        const sk_catalog_row *r0 = &c.rows[0];
        CHECK_STR(r0->objid, "1237648704577140000");
        CHECK_STR(r0->name, "1237648704577140000_L2");
        CHECK(r0->inexact);
        CHECK_NEAR(r0->ra, 183.5313256941, 1e-12);
        CHECK_NEAR(r0->dec, 0.0896930301, 1e-12);
        CHECK_NEAR(r0->u, 19.47406, 1e-12);
        CHECK_NEAR(r0->z, 15.22531, 1e-12);
        CHECK(r0->cls == SK_CLASS_STAR);
        CHECK_EQ_INT(r0->run, 752);
        CHECK_EQ_INT(r0->rerun, 301);
        CHECK_EQ_INT(r0->camcol, 4);
        CHECK_EQ_INT(r0->field, 267);
        CHECK_EQ_INT(r0->plate, 3306);
        CHECK_EQ_INT(r0->mjd, 54922);
        CHECK_EQ_INT(r0->fiberid, 491);
        CHECK_NEAR(r0->redshift, -0.000008956, 1e-15);
        CHECK(isnan(r0->fiber_mag_g));
        CHECK_STR(r0->specobjid, "3722360139651590000");
        CHECK_STR(c.rows[2].name, "1237648704577210000_L4");
        CHECK(c.rows[2].cls == SK_CLASS_GALAXY);
        CHECK_EQ_INT(c.rows[9999].line, 10001);
    }
    sk_catalog_free(&c);
    free(path);
}

static void test_study19(void)
{
    const char *csv =
        "objid,ra,dec,u,g,r,i,z,run,rerun,camcol,field,fiberMag_g,specobjid,class,redshift,plate,mjd,fiberid\r\n"
        "1237663784734621818,10.5,-1.25,19.1,18.2,17.3,17.0,16.9,4263,301,3,120,18.9,432012345678901248,QSO,1.52,384,51821,12\r\n"
        "1237663784734621819,359.999,89.5,19.1,18.2,17.3,17.0,16.9,4263,301,3,120,,432012345678901249,galaxy,0.1,384,51821,13\r\n";
    sk_catalog c;
    sk_error err;
    CHECK_OK(sk_catalog_parse(&c, csv, strlen(csv), "study.csv", &err), &err);
    CHECK(c.format == SK_CATALOG_STUDY19);
    CHECK_EQ_INT(c.n, 2);
    CHECK_EQ_INT(c.n_bad, 0);
    CHECK_EQ_INT(c.n_inexact, 0);
    if (c.n == 2) {
        CHECK_STR(c.rows[0].name, "1237663784734621818");
        CHECK(c.rows[0].cls == SK_CLASS_QSO);
        CHECK_NEAR(c.rows[0].fiber_mag_g, 18.9, 1e-12);
        CHECK_NEAR(c.rows[0].redshift, 1.52, 1e-12);
        CHECK_EQ_INT(c.rows[0].fiberid, 12);
        CHECK(isnan(c.rows[1].fiber_mag_g));
        CHECK(c.rows[1].cls == SK_CLASS_GALAXY);
        CHECK_STR(c.rows[1].specobjid, "432012345678901249");
    }
    sk_catalog_free(&c);
}

static void test_minimal_and_quoting(void)
{
    const char *csv = "#Table1\n"
                      "Class,DEC,extra,RA,ObjID\n"
                      "\"STAR\",1.5,\"a, \"\"quoted\"\"\nvalue\",20.25,42\n"
                      "\n"
                      "qso , 2.5 ,x, 30.5 , 43\n";
    sk_catalog c;
    sk_error err;
    CHECK_OK(sk_catalog_parse(&c, csv, strlen(csv), "min.csv", &err), &err);
    CHECK(c.format == SK_CATALOG_GENERIC);
    CHECK_EQ_INT(c.n, 2);
    CHECK_EQ_INT(c.n_bad, 0);
    if (c.n == 2) {
        CHECK_STR(c.rows[0].objid, "42");
        CHECK_EQ_INT(c.rows[0].line, 3);
        CHECK_NEAR(c.rows[0].ra, 20.25, 0);
        CHECK(c.rows[0].cls == SK_CLASS_STAR);
        CHECK(isnan(c.rows[0].u));
        CHECK_EQ_INT(c.rows[0].run, -1);
        CHECK_STR(c.rows[1].objid, "43");
        CHECK_EQ_INT(c.rows[1].line, 6);
        CHECK(c.rows[1].cls == SK_CLASS_QSO);
    }
    sk_catalog_free(&c);
}

static void test_malformed(void)
{
    const char *csv = "objid,ra,dec,class\n"
                      "1,10,10,STAR\n"           /* 2 ok */
                      "2,400,10,STAR\n"          /* 3 ra range */
                      "3,10,-91,STAR\n"          /* 4 dec range */
                      "4,10,10,PLANET\n"         /* 5 class */
                      "5,abc,10,STAR\n"          /* 6 ra text */
                      "6,10,10\n"                /* 7 field count */
                      "x7,10,10,STAR\n"          /* 8 objid */
                      "1,11,11,GALAXY\n"         /* 9 duplicate of line 2 */
                      "9,1\"0,10,STAR\n"         /* 10 stray quote */
                      "10,nan,10,STAR\n"         /* 11 not finite */
                      "11,10,10,GALAXY\n";       /* 12 ok */
    sk_catalog c;
    sk_error err;
    CHECK_OK(sk_catalog_parse(&c, csv, strlen(csv), "bad.csv", &err), &err);
    CHECK_EQ_INT(c.n, 2);
    CHECK_EQ_INT(c.n_bad, 9);
    CHECK(bad_has(&c, "line 3: ra '400'"));
    CHECK(bad_has(&c, "line 4: dec '-91'"));
    CHECK(bad_has(&c, "line 5: class 'PLANET'"));
    CHECK(bad_has(&c, "line 6: ra 'abc'"));
    CHECK(bad_has(&c, "line 7: 3 fields, expected 4"));
    CHECK(bad_has(&c, "line 8: objid 'x7'"));
    CHECK(bad_has(&c, "line 9: duplicate objid 1 (first at line 2)"));
    CHECK(bad_has(&c, "line 10: stray"));
    CHECK(bad_has(&c, "line 11: ra 'nan'"));
    if (c.n == 2) CHECK_STR(c.rows[1].objid, "11");
    sk_catalog_free(&c);

    const char *nohdr = "objid,ra,dec\n1,2,3\n";
    CHECK(sk_catalog_parse(&c, nohdr, strlen(nohdr), "nohdr.csv", &err) == SK_EFORMAT);
    CHECK(strstr(err.msg, "no 'class' column") != NULL);
    const char *dup = "objid,ra,RA,dec,class\n";
    CHECK(sk_catalog_parse(&c, dup, strlen(dup), "dup.csv", &err) == SK_EFORMAT);
    CHECK(strstr(err.msg, "appears twice") != NULL);
    CHECK(sk_catalog_parse(&c, "", 0, "empty.csv", &err) == SK_EFORMAT);
    const char *unterminated = "objid,ra,dec,class\n1,2,3,\"STAR\n";
    CHECK_OK(sk_catalog_parse(&c, unterminated, strlen(unterminated), "u.csv", &err), &err);
    CHECK_EQ_INT(c.n, 0);
    CHECK(bad_has(&c, "line 2: unterminated"));
    sk_catalog_free(&c);
    sk_error e2;
    CHECK(sk_catalog_read(&c, "/nonexistent/catalog.csv", &e2) != SK_OK);
    CHECK(strstr(e2.msg, "/nonexistent/catalog.csv") != NULL);
}

int main(void)
{
    test_objid();
    test_real_catalog();
    test_study19();
    test_minimal_and_quoting();
    test_malformed();
    return sk_test_finish();
}
