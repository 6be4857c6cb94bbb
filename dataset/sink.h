/* sink.h: where the renderers (synth, cutout) put labelled RGB images: either a folder
 * DIR/<CLASS>/<objid>.png (or .jpg) plus DIR/manifest.tsv, or one .skds file (when the path ends in
 * ".skds"), through the .skds writer.
 *
 * Every file lands atomically (temp + rename); the manifest and the .skds are written at close,
 * so an interrupted run leaves no half manifest. Encoded bytes are a pure function of the
 * pixels (libpng with fixed compression and no time chunk; image.h's deterministic JPEG
 * encoder), so outputs are reproducible. Not a decoder, not the pack step (that is pack.h), and
 * not thread-safe: call add from one thread (encode in parallel with sk_sink_encode first). */
#ifndef SK_SINK_H
#define SK_SINK_H

#include <stdint.h>
#include "fileio.h"
#include "sk_common.h"
#include "skds.h"

typedef struct sk_sink sk_sink;

/* Encodes (h, w, 3) uint8 RGB as PNG into out (appended). Thread-safe. */
sk_status sk_png_encode(sk_buf *out, const uint8_t *rgb, int w, int h, sk_error *err) SK_WUR;

/* Opens a sink at path for size x size RGB images of the given classes. `source` is recorded
 * in the .skds header (e.g. "synth"); split_seed/val_fraction/rule are recorded as given (the
 * caller chooses each record's split). manifest_columns is the tab-separated header of the caller's
 * extra manifest columns (may be "" or NULL). */
sk_status sk_sink_open(sk_sink **out, const char *path, int size, const char *const *classes,
                       int nclasses, const char *source, uint64_t split_seed, double val_fraction,
                       sk_split_rule rule, const char *manifest_columns, sk_error *err) SK_WUR;
/* Folder mode only: write JPEG files of this quality (1..100) instead of PNG (0 = PNG). */
void sk_sink_set_jpeg(sk_sink *s, int quality);
/* Encodes one (size, size, 3) image the way the folder sink stores it (PNG or JPEG), appended
 * to out. Thread-safe (s is only read). */
sk_status sk_sink_encode(const sk_sink *s, sk_buf *out, const uint8_t *rgb, sk_error *err) SK_WUR;
int sk_sink_is_skds(const sk_sink *s);
/* Adds one image (size, size, 3). png may hold its sk_sink_encode bytes (folder mode; NULL =
 * encode here). extra is the record's manifest columns (tab-separated, no newline; may be NULL). */
sk_status sk_sink_add(sk_sink *s, const sk_skds_record *rec, const uint8_t *rgb, const sk_buf *png,
                      const char *extra, sk_error *err) SK_WUR;
/* Writes the manifest (folder) or finishes the .skds with the provenance command; frees s. */
sk_status sk_sink_close(sk_sink *s, const char *command, sk_error *err) SK_WUR;
/* Drops everything not yet committed and frees s (files already written in folder mode stay). */
void sk_sink_abort(sk_sink *s);

#endif
