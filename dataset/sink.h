/* sink.h: where the renderers (synth, cutout) put labelled RGB images, and the one
 * render-encode-write pipeline both use.
 *
 * Output: either a folder DIR/<CLASS>/<objid>.png (or .jpg) plus DIR/manifest.tsv (manifest.h),
 * or one .skds file (when the path ends in ".skds"), through the .skds writer. Every file lands
 * atomically (temp + rename); the manifest and the .skds are written at close, so an
 * interrupted run leaves no half manifest. Class folders are created with sk_mkdir_in, so a
 * class folder that is a symbolic link out of DIR is refused; stale temp files of killed runs
 * are removed (and reported) when a sink opens. Encoded bytes are a pure function of the
 * pixels (libpng with fixed compression and no time chunk; image.h's deterministic JPEG
 * encoder), so outputs are reproducible.
 *
 * The pipeline (sk_sink_run): items are rendered and encoded in parallel in chunks that bound
 * the memory in flight (about 256 MB of pixels), then described and added in index order by
 * one thread, so the bytes written never depend on the thread count. Not a decoder and not the
 * pack step (pack.h). */
#ifndef SK_SINK_H
#define SK_SINK_H

#include <stdint.h>
#include "sk_base.h"
#include "manifest.h"
#include "skds.h"

typedef struct sk_sink sk_sink;

/* Encodes (h, w, 3) uint8 RGB as PNG into out (appended). Thread-safe. */
sk_status sk_png_encode(sk_buf *out, const uint8_t *rgb, int w, int h, sk_error *err) SK_WUR;

/* Opens a sink at path for size x size RGB images of the given classes (each checked against
 * the class-name alphabet). `source` is recorded in the .skds header (e.g. "synth");
 * split_seed/val_fraction/rule are recorded as given (the caller chooses each record's split).
 * extra[nextra] are the caller's manifest columns after objid, class and file (folder mode).
 * jpeg_quality: folder mode writes JPEG files of this quality (1..100), or PNG when 0. */
sk_status sk_sink_open(sk_sink **out, const char *path, int size, const char *const *classes,
                       int nclasses, const char *source, uint64_t split_seed, double val_fraction,
                       sk_split_rule rule, const sk_manifest_col *extra, int nextra,
                       int jpeg_quality, sk_error *err) SK_WUR;
int sk_sink_is_skds(const sk_sink *s);
/* Adds one image (size, size, 3). enc may hold its encoded file (folder mode; NULL = encode
 * here). extra holds the text of the extra manifest columns (nextra of them; may be NULL when
 * there are none). */
sk_status sk_sink_add(sk_sink *s, const sk_skds_record *rec, const uint8_t *rgb, const sk_buf *enc,
                      const char *const *extra, sk_error *err) SK_WUR;
/* Writes the manifest (folder) or finishes the .skds with the provenance command; frees s. */
sk_status sk_sink_close(sk_sink *s, const char *command, sk_error *err) SK_WUR;
/* Drops everything not yet committed and frees s (files already written in folder mode stay). */
void sk_sink_abort(sk_sink *s);

/* Longest text of one extra manifest field produced by a job's describe. */
#define SK_SINK_FIELD_MAX 64

/* One batch of items for sk_sink_run. */
typedef struct {
    void *ctx;
    size_t slot_bytes; /* per-item state carried from render to describe (may be 0) */
    /* Renders item i into rgb (size, size, 3). Called in parallel (OpenMP; `thread` is the
     * OpenMP thread number): must write only rgb, slot and its own per-thread state. Returns 1
     * to write the item, 0 to leave it out (the caller counts and reports why). */
    int (*render)(void *ctx, uint64_t i, int thread, uint8_t *rgb, void *slot);
    /* In index order, on one thread, for every rendered item: its record and the text of the
     * sink's extra manifest columns (fields[k] for column k). */
    void (*describe)(void *ctx, uint64_t i, const void *slot, sk_skds_record *rec,
                     char (*fields)[SK_SINK_FIELD_MAX]);
    /* In index order, on one thread, for every item render left out (may be NULL). */
    void (*left_out)(void *ctx, uint64_t i, const void *slot);
    const char *label; /* progress bar label */
    int progress;      /* draw a progress bar on a terminal */
} sk_sink_job;

/* Renders, encodes (folder mode) and adds items 0..n-1 as described above; *written counts the
 * items added. On error the sink is left open (the caller aborts it). */
sk_status sk_sink_run(sk_sink *s, uint64_t n, const sk_sink_job *job, uint64_t *written,
                      sk_error *err) SK_WUR;

#endif
