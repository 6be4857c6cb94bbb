/* import.h: bring a folder or an archive (tar, tar.gz, tar.bz2, tar.xz, tar.zst, zip, ... as
 * libarchive reads them) of <CLASS>/<name>.jpg|png into DIR/<CLASS>/<name>, ready for pack.
 *
 * Entries are streamed through libarchive, never extracted by it: skytune decides every output
 * path itself. Refused, with the entry named in the error: absolute paths, any ".." component,
 * symbolic and hard links, device files, FIFOs and sockets, entries over the size limit (checked
 * against the declared size and again while streaming), more entries or bytes than the limits,
 * image paths not of the form <CLASS>/<name> (after --strip-components), class names outside the
 * class-name alphabet (skds.h), file names with control characters, files whose content is not
 * the JPEG or PNG their name says, a manifest.tsv the manifest reader refuses (manifest.h), two
 * entries for the same file, and (unless overwrite is set) a file that already exists in DIR.
 * Skipped (counted): directories, non-image files, names starting with "." and __MACOSX folders.
 *
 * All or nothing: entries are written into a staging folder DIR/.import.tmp.<pid> first; only
 * when every entry has passed are they renamed into place, after checking that no class folder
 * of DIR is a symbolic link (or anything but a folder) and no file would be replaced silently.
 * A failure at any point (even during the renames) rolls back: DIR is left as it was. Staging
 * folders of killed imports are removed (and reported) by the next import into DIR.
 * Not here: decoding (image.h), packing (pack.h). */
#ifndef SK_IMPORT_H
#define SK_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include "sk_base.h"

typedef struct {
    uint64_t max_entry_bytes; /* default 64 MiB */
    uint64_t max_total_bytes; /* default 64 GiB */
    uint64_t max_entries;     /* default 10 million */
    int strip_components;     /* leading path components removed first (like tar), default 0 */
    int overwrite;            /* replace existing files in DIR (and let a later duplicate entry win) */
    int progress;             /* show a progress line on a terminal */
} sk_import_opts;

typedef struct {
    uint64_t images, skipped, bytes;
    uint32_t classes;
    uint64_t replaced; /* existing files of DIR replaced (overwrite) */
} sk_import_stats;

void sk_import_opts_init(sk_import_opts *o);

/* Imports src (a directory or an archive file) into out_dir (created if needed). st may be
 * NULL. Errors: SK_EFORMAT (hostile or malformed entry, duplicate, unreadable archive),
 * SK_ELIMIT (limits), SK_ENOTFOUND (src missing), SK_EIO (writing, a symbolic link or an
 * existing file in out_dir). */
sk_status sk_import(const char *src, const char *out_dir, const sk_import_opts *o,
                    sk_import_stats *st, sk_error *err) SK_WUR;
/* The same for an archive held in memory (`what` names it in errors); for the fuzz harness. */
sk_status sk_import_memory(const void *data, size_t n, const char *what, const char *out_dir,
                           const sk_import_opts *o, sk_import_stats *st, sk_error *err) SK_WUR;

#endif
