/* import.h: bring a folder or an archive (tar, tar.gz, tar.bz2, tar.xz, tar.zst, zip, ... as
 * libarchive reads them) of <CLASS>/<name>.jpg|png into DIR/<CLASS>/<name>, ready for pack.
 *
 * Entries are streamed through libarchive, never extracted by it: skytune decides every output
 * path itself. Refused, with the entry named in the error: absolute paths, any ".." component,
 * symbolic and hard links, device files, FIFOs and sockets, entries over the size limit (checked
 * against the declared size and again while streaming), more entries or bytes than the limits,
 * image paths not of the form <CLASS>/<name> (after --strip-components), files whose content is
 * not the JPEG or PNG their name says, class or file names with control characters. Skipped
 * (counted): directories, non-image files, names starting with "." and __MACOSX folders. A
 * top-level manifest.tsv is copied too. Each output file is written atomically; an import that
 * fails midway leaves the files written so far (all complete) and reports the failure.
 * Not here: decoding (image.h), packing (pack.h). */
#ifndef SK_IMPORT_H
#define SK_IMPORT_H

#include <stdint.h>
#include "sk_common.h"

typedef struct {
    uint64_t max_entry_bytes; /* default 64 MiB */
    uint64_t max_total_bytes; /* default 64 GiB */
    uint64_t max_entries;     /* default 10 million */
    int strip_components;     /* leading path components removed first (like tar), default 0 */
    int progress;             /* show a progress line on a terminal */
} sk_import_opts;

typedef struct {
    uint64_t images, skipped, bytes;
    uint32_t classes;
} sk_import_stats;

void sk_import_opts_init(sk_import_opts *o);

/* Imports src (a directory or an archive file) into out_dir (created if needed). st may be
 * NULL. Errors: SK_EFORMAT (hostile or malformed entry, unreadable archive), SK_ELIMIT
 * (limits), SK_ENOTFOUND (src missing), SK_EIO (writing). */
sk_status sk_import(const char *src, const char *out_dir, const sk_import_opts *o,
                    sk_import_stats *st, sk_error *err) SK_WUR;

#endif
