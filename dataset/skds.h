/* skds.h: the `.skds` data set file: a writer that streams records in, and an mmap reader that
 * checks everything before handing out a pointer.
 *
 * A .skds file holds N labelled images of one shape (H, W, C), pixel type uint8 (default) or
 * float32, with a per-record objid, label, split flag, ra and dec, the class names, how the
 * split and the resize were made, and a provenance block (command line, manifest hash, skytune
 * version). Byte-level spec: docs/FORMATS.md, section ".skds data set".
 * Invariants: every section carries a CRC-32 and the preamble records every section's offset,
 * length and the total file size; the reader never touches a byte past what it has checked;
 * pixel data starts 64-byte aligned so a mmap'ed record can be used in place. The writer goes
 * through a temp file + fsync + rename: readers see the old file or the complete new one.
 * Not here: decoding, resizing or splitting (pack.h), export (export.h). */
#ifndef SK_SKDS_H
#define SK_SKDS_H

#include <stdint.h>
#include <stdio.h>
#include "sk_base.h"

#define SK_SKDS_VERSION 2u     /* written; 2 added the test fraction */
#define SK_SKDS_VERSION_MIN 1u /* oldest read (its test fraction reads as 0) */
#define SK_SKDS_MAX_CLASSES 256
#define SK_SKDS_NAME_MAX 64    /* class name bytes incl. NUL */
#define SK_SKDS_SOURCE_MAX 256 /* source description bytes incl. NUL */
#define SK_SKDS_MAX_DIM 16384  /* H and W limit */

typedef enum { SK_SKDS_U8 = 0, SK_SKDS_F32 = 1 } sk_skds_dtype;

/* How pixels were brought to H x W (informative; recorded in the header). */
typedef enum {
    SK_RESIZE_NONE = 0,     /* images were already H x W */
    SK_RESIZE_BILINEAR = 1, /* tf.image.resize bilinear, half-pixel centres, no antialias */
    SK_RESIZE_AREA = 2,     /* antialiased area averaging */
    SK_RESIZE_OTHER = 3,    /* produced by a renderer at this size (e.g. synth) */
    SK_RESIZE_COUNT
} sk_resize_mode;

/* How the split flags were chosen (informative). */
typedef enum {
    SK_SPLIT_RULE_KERAS = 0,  /* image_dataset_from_directory: NumPy RandomState(seed) shuffle,
                                 last int(val*n) files are validation */
    SK_SPLIT_RULE_CUSTOM = 1, /* set by the writer some other way (documented in provenance) */
    SK_SPLIT_RULE_COUNT
} sk_split_rule;

enum { SK_SPLIT_TRAIN = 0, SK_SPLIT_VAL = 1, SK_SPLIT_TEST = 2, SK_SPLIT_COUNT = 3 };

/* Everything about the data set except the records. */
typedef struct {
    uint32_t height, width, channels; /* channels in {1, 3, 4} */
    sk_skds_dtype dtype;
    uint32_t nclasses;                /* 1..SK_SKDS_MAX_CLASSES */
    char class_names[SK_SKDS_MAX_CLASSES][SK_SKDS_NAME_MAX]; /* label i is class_names[i] */
    uint64_t split_seed;
    double val_fraction;              /* in [0, 1] */
    double test_fraction;             /* in [0, 1): held out before the train/val split (pack.h) */
    sk_split_rule split_rule;
    sk_resize_mode resize;
    char source[SK_SKDS_SOURCE_MAX];  /* e.g. "pack:/data/raw" or "synth" */
} sk_skds_header;

typedef struct {
    uint64_t objid;
    uint32_t label; /* < nclasses */
    uint32_t split; /* SK_SPLIT_* */
    double ra, dec; /* degrees; NAN when unknown */
} sk_skds_record;

/* The one class-name alphabet of skytune (class folders of fetch, cutout, synth, import and
 * pack, manifest rows, .skds headers, exports): 1..63 characters from A-Z a-z 0-9 '_' '-' '.',
 * the first one a letter, a digit or '_'. So a class name is always a plain folder name, never
 * hidden, never an option, safe in shells, gnuplot scripts and HTML. SK_EINVAL names the
 * offending byte and its position; `what` prefixes the message. */
#define SK_CLASS_NAME_ALPHABET "A-Z a-z 0-9 _ - . (first: a letter, a digit or _), 1..63 characters"
sk_status sk_class_name_check(const char *name, const char *what, sk_error *err) SK_WUR;

/* Fills h with defaults: 0 sizes, 3 channels, u8, no classes, seed 0, val 0, keras rule,
 * resize none, empty source. */
void sk_skds_header_init(sk_skds_header *h);
/* Appends a class name; SK_EINVAL when empty, too long, duplicate or too many classes. */
sk_status sk_skds_header_add_class(sk_skds_header *h, const char *name, sk_error *err) SK_WUR;
/* Bytes of one record's pixels: H*W*C*(1 or 4). */
size_t sk_skds_record_bytes(const sk_skds_header *h);

/* ---- writer ---- */
typedef struct sk_skds_writer sk_skds_writer;

/* Starts writing path (through a temp file beside it). The header is validated here (sizes,
 * limits, class names); the record count is whatever is added before finish. On success *out is
 * the writer, which must end with finish or abort. */
sk_status sk_skds_writer_open(sk_skds_writer **out, const char *path, const sk_skds_header *h,
                              sk_error *err) SK_WUR;
/* Appends one record and its pixels (record_bytes of them: uint8 HWC, or float32 HWC in host
 * order for SK_SKDS_F32). Label and split are checked. On error the writer is still valid but
 * should be aborted. */
sk_status sk_skds_writer_add(sk_skds_writer *w, const sk_skds_record *rec, const void *pixels,
                             sk_error *err) SK_WUR;
/* Changes the split flag of record i (already added); for writers that split at the end. */
sk_status sk_skds_writer_set_split(sk_skds_writer *w, uint64_t i, uint32_t split,
                                   sk_error *err) SK_WUR;
/* Number of records added so far. */
uint64_t sk_skds_writer_count(const sk_skds_writer *w);
/* Adds (or replaces) a provenance entry. Conventional keys: "command" (the command line),
 * "manifest_sha256", "input". "skytune_version" is added by the writer itself. */
void sk_skds_writer_set_provenance(sk_skds_writer *w, const char *key, const char *value);
/* Writes records, provenance and the preamble, fsyncs and renames into place, frees w (also
 * on failure, where the temp file is removed and the old file at path is untouched). */
sk_status sk_skds_writer_finish(sk_skds_writer *w, sk_error *err) SK_WUR;
/* Removes the temp file and frees w. NULL is fine. */
void sk_skds_writer_abort(sk_skds_writer *w);

/* ---- reader ---- */
enum {
    SK_SKDS_OPEN_DEFAULT = 0,        /* check every checksum, pixels included */
    SK_SKDS_OPEN_SKIP_PIXEL_CRC = 1, /* check all but the pixel section's CRC (fast open) */
};

typedef struct {
    char key[64];
    char *value; /* malloc'ed */
} sk_skds_prov;

typedef struct {
    sk_skds_header h;
    uint64_t count;
    sk_skds_record *records; /* count entries, decoded (malloc'ed) */
    const uint8_t *pixels;   /* count * record_bytes, inside the mapping, 64-byte aligned */
    size_t record_bytes;
    uint32_t nprov;
    sk_skds_prov *prov;
    uint32_t version;
    uint64_t file_size;
    /* private */
    void *map;
    size_t map_len;
    int owns_map;
} sk_skds;

/* Maps path read-only and checks magic, version, every size and offset, every field and (unless
 * flags say otherwise) every checksum. Errors name the file, the field, expected and found. On
 * failure ds is left closed (sk_skds_close is safe to call). */
sk_status sk_skds_open(sk_skds *ds, const char *path, unsigned flags, sk_error *err) SK_WUR;
/* The same checks on a buffer held by the caller (which must outlive ds); `what` names it in
 * errors. Pixel pointers point into data. */
sk_status sk_skds_open_buffer(sk_skds *ds, const void *data, size_t len, const char *what,
                              unsigned flags, sk_error *err) SK_WUR;
void sk_skds_close(sk_skds *ds);
/* Pixels of record i (i < count): uint8 or float32 HWC. */
const void *sk_skds_pixels(const sk_skds *ds, uint64_t i);
/* Provenance value for key, or NULL. */
const char *sk_skds_provenance(const sk_skds *ds, const char *key);
/* Records per (class, split): counts[label * SK_SPLIT_COUNT + split]; counts must hold
 * nclasses * SK_SPLIT_COUNT entries. */
void sk_skds_class_counts(const sk_skds *ds, uint64_t *counts);
/* Opens with every check and closes: SK_OK only if the file is entirely intact. */
sk_status sk_skds_verify(const char *path, sk_error *err) SK_WUR;
/* Human-readable header, provenance and class counts per split (`skytune dataset info`). */
void sk_skds_print_info(const sk_skds *ds, const char *path, FILE *out);

const char *sk_resize_mode_name(sk_resize_mode m);
const char *sk_split_name(uint32_t split);

#endif
