/* export.h: a .skds data set for people outside skytune: NumPy arrays, or a byte-reproducible
 * tar.gz of PNG files plus a manifest.
 *
 * npy: DIR/x.npy (N,H,W,C) uint8 (float32 '<f4' for float data sets), y.npy (N,) int32 labels,
 * split.npy (N,) uint8 (0 train, 1 val, 2 test), objid.npy (N,) uint64, ra.npy and dec.npy (N,)
 * float64, class_names.txt (one per line, label order); NPY format 1.0, each file atomic.
 * archive: ustar inside gzip: manifest.tsv first, then <CLASS>/<index>_<objid>.png in record
 * order; every entry mtime 0, uid/gid 0, no owner names, mode 0644; gzip header time 0; fixed
 * compression level. The same .skds always gives the same bytes. Float data sets are rounded to
 * uint8 for PNG (the manifest says so).
 * Not here: reading .skds (skds.h). */
#ifndef SK_EXPORT_H
#define SK_EXPORT_H

#include "sk_base.h"
#include "skds.h"

sk_status sk_export_npy(const sk_skds *ds, const char *dir, sk_error *err) SK_WUR;
sk_status sk_export_archive(const sk_skds *ds, const char *out_path, sk_error *err) SK_WUR;

#endif
