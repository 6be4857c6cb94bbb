/* catalog.h: the object catalog (CSV) every download and cutout starts from.
 *
 * Reads the study's 19-column SkyServer export (objid,ra,dec,u,g,r,i,z,run,rerun,camcol,field,
 * fiberMag_g,specobjid,class,redshift,plate,mjd,fiberid), the 18-column DR14 export of
 * shared/data/sdss/catalog/ (whose objids were saved in floating notation, 1.23764870457714E+018:
 * accepted, converted digit by digit, flagged inexact), and any CSV with objid, ra, dec and class
 * columns (headers matched case-insensitively, any order, extra columns ignored). RFC 4180
 * quoting, CRLF or LF, leading '#' lines (SkyServer's "#Table1") skipped.
 *
 * Invariants of a parsed catalog: every row has a finite ra in [0,360), dec in [-90,90], a class
 * of GALAXY/STAR/QSO and a file-name-safe `name` unique within the catalog. Rows that break
 * them are not kept: each is listed in `bad` with its line number and the reason.
 * Not here: writing catalogs (query writes the service's CSV as received) or downloading. */
#ifndef SK_CATALOG_H
#define SK_CATALOG_H

#include <stddef.h>
#include <stdint.h>
#include "sk_base.h"

typedef enum { SK_CLASS_GALAXY = 0, SK_CLASS_QSO = 1, SK_CLASS_STAR = 2, SK_CLASS_COUNT } sk_obj_class;

/* "GALAXY", "QSO", "STAR" (the alphabetical order Keras uses for labels). */
const char *sk_class_name(sk_obj_class c);
/* Normalises a class name (case-insensitive GALAXY/GAL, STAR, QSO/QUASAR); -1 if unknown. */
int sk_class_parse(const char *s);

typedef enum { SK_CATALOG_STUDY19, SK_CATALOG_DR14_18, SK_CATALOG_GENERIC } sk_catalog_format;
const char *sk_catalog_format_name(sk_catalog_format f);

typedef struct {
    char objid[24];   /* decimal digits of the objid (exact, or expanded from floating notation) */
    char name[40];    /* file-name stem: objid, or "<objid>_L<line>" when the objid is inexact */
    uint64_t id;      /* numeric objid (the expansion when inexact) */
    int inexact;      /* objid was given in floating notation */
    long line;        /* 1-based line of the record in the file */
    sk_obj_class cls;
    double ra, dec;
    double u, g, r, i, z, fiber_mag_g, redshift; /* NAN when the column is absent or empty */
    long run, rerun, camcol, field, plate, mjd, fiberid; /* -1 when absent or empty */
    char specobjid[24]; /* as digits, "" when absent */
} sk_catalog_row;

typedef struct {
    sk_catalog_row *rows;
    size_t n;
    sk_catalog_format format;
    size_t n_inexact;           /* rows whose objid was in floating notation */
    size_t n_class[SK_CLASS_COUNT];
    size_t n_bad;               /* rows rejected */
    char **bad;                 /* "line N: reason", the first SK_CATALOG_MAX_BAD of them */
    size_t n_bad_listed;
    char **columns;             /* header names as given */
    size_t n_columns;
} sk_catalog;

#define SK_CATALOG_MAX_BAD 100
#define SK_CATALOG_MAX_BYTES ((size_t)1 << 31)

/* Parses CSV text buf[0..n). `what` names the source in messages. Bad rows are collected in
 * cat->bad and do not fail the call; a missing or unusable header (no objid/ra/dec/class
 * column, duplicate column) is SK_EFORMAT. On success the caller owns cat (sk_catalog_free);
 * on failure cat is left empty. */
sk_status sk_catalog_parse(sk_catalog *cat, const char *buf, size_t n, const char *what,
                           sk_error *err) SK_WUR;
/* Reads and parses a file (as sk_catalog_parse). */
sk_status sk_catalog_read(sk_catalog *cat, const char *path, sk_error *err) SK_WUR;
void sk_catalog_free(sk_catalog *cat);

/* Expands a decimal objid token into digits: plain integers are copied (exact, *inexact = 0);
 * floating notation like 1.23764870457714E+018 is expanded digit by digit (*inexact = 1).
 * Returns 0 on success, -1 if the token is not a non-negative integer value below 2^64. */
int sk_catalog_parse_objid(const char *tok, char *digits, size_t cap, uint64_t *id, int *inexact);

#endif
