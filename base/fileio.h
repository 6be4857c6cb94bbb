/* fileio.h: atomic file writing, whole-file reading, directories, and little-endian fields.
 *
 * Every file skytune writes goes through sk_atomic_*: data lands in "<path>.tmp.<pid>" in the
 * same directory, is fsync'ed, then renamed over <path> and the directory fsync'ed, so a reader
 * sees the old file or the complete new one, never a half. Binary formats are built field by
 * field in an sk_buf (little-endian) and read back through an sk_reader that bounds-checks
 * every field and names it in the error. The temp file is created with O_NOFOLLOW, so a symbolic
 * link planted under its name is not followed; rename replaces a link at path, never its
 * target. */
#ifndef SK_FILEIO_H
#define SK_FILEIO_H

#include <stdint.h>
#include <stdio.h>
#include "error.h"

typedef struct {
    FILE *fp;
    char *path;
    char *tmp;
} sk_atomic_file;

/* Opens a temp file beside path. On success the caller must commit or abort. */
sk_status sk_atomic_open(sk_atomic_file *af, const char *path, sk_error *err) SK_WUR;
sk_status sk_atomic_write(sk_atomic_file *af, const void *data, size_t n, sk_error *err) SK_WUR;
/* Moves the write position to byte off of the temp file (to fill in a header last). */
sk_status sk_atomic_seek(sk_atomic_file *af, uint64_t off, sk_error *err) SK_WUR;
/* Flushes, fsyncs, closes and renames into place; on failure the temp file is removed. */
sk_status sk_atomic_commit(sk_atomic_file *af, sk_error *err) SK_WUR;
/* Closes and removes the temp file; the old file at path (if any) is untouched. */
void sk_atomic_abort(sk_atomic_file *af);
/* Whole-buffer convenience: write data to path atomically. */
sk_status sk_write_file_atomic(const char *path, const void *data, size_t n, sk_error *err) SK_WUR;

/* Reads a whole file into a malloc'ed buffer (NUL-terminated one past n). Files over max_bytes
 * are refused with SK_ELIMIT; anything but a regular file as sk_open_regular. */
sk_status sk_read_file(const char *path, uint8_t **data, size_t *n, size_t max_bytes,
                       sk_error *err) SK_WUR;

/* ---- readers that never block and say what a path is ----
 * A FIFO, a socket or a device opened for reading can block forever (a FIFO waits for a
 * writer), so every reader opens with O_NONBLOCK and looks at what it got before reading, or
 * (for libraries that open by name: HDF5, libarchive) stats first. The error says what the path
 * is: "x.skds: is a FIFO (named pipe), expected a regular file". */

/* "a regular file", "a directory", "a FIFO (named pipe)", "a socket", "a character device",
 * "a block device", "a symbolic link", or "an unknown kind of file" for a st_mode. */
const char *sk_file_kind(unsigned mode);
/* Opens path read-only without blocking, refuses anything but a regular file (SK_ENOTFOUND when
 * it does not exist, SK_EIO naming its kind otherwise), then switches the descriptor back to
 * blocking reads. On success *fd is the descriptor (close-on-exec, the caller closes it) and
 * *size (if not NULL) the file size; on failure *fd is -1. */
sk_status sk_open_regular(const char *path, int *fd, uint64_t *size, sk_error *err) SK_WUR;
/* The same, as a stdio stream opened "rb"; NULL with err set. */
FILE *sk_fopen_regular(const char *path, sk_error *err) SK_WUR;
/* Without opening: SK_OK when path is a regular file (following symbolic links), else as above.
 * For libraries that open by name. */
sk_status sk_check_regular(const char *path, sk_error *err) SK_WUR;
/* SK_OK when path is a directory, SK_ENOTFOUND when missing, SK_EIO naming what it is instead. */
sk_status sk_check_dir(const char *path, sk_error *err) SK_WUR;

/* mkdir -p; existing directories are fine. */
sk_status sk_mkdir_p(const char *path, sk_error *err) SK_WUR;
/* Creates (when missing) the folder root/name, name being one path component, and checks that
 * it is a real directory inside root and not a symbolic link or anything else, so a writer
 * that puts files into it never follows a link out of root (`out/STAR -> /elsewhere` is
 * refused, naming the link and its target). root itself must exist. */
sk_status sk_mkdir_in(const char *root, const char *name, sk_error *err) SK_WUR;
/* Removes path and, for a directory, everything below it, never following a symbolic link
 * (a link is removed, not its target). A missing path is fine. */
sk_status sk_remove_tree(const char *path, sk_error *err) SK_WUR;
/* fsync of a directory (best effort: some file systems refuse it). */
void sk_fsync_dir(const char *dir);
/* Path exists as anything at all (lstat: a dangling symbolic link exists). */
int sk_path_exists(const char *path);
int sk_file_exists(const char *path);
int sk_dir_exists(const char *path);

/* Removes what killed writers left: files "<prefix>*.tmp.<pid>" in dir (any "*.tmp.<pid>" when
 * prefix is NULL or "") whose process no longer exists (kill(pid, 0) says ESRCH), never one
 * of this process; each removal is reported on stderr ("removed stale temporary file ...").
 * A temp file of a live process (a concurrent writer) is left alone. Returns the number
 * removed. Best effort: an unreadable dir removes nothing. */
int sk_tmp_clean_stale(const char *dir, const char *prefix);
/* The same for the temp files of one output path (its directory, prefix "<name>.tmp."). */
int sk_tmp_clean_stale_for(const char *path);
/* FOR TESTS ONLY (a deterministic crash point): when SKYTUNE_TEST_KILL_AT is "<text>[:<n>]",
 * the n-th call (default the first) whose `what` contains <text> makes the process SIGKILL
 * itself. sk_atomic_commit calls it with the path just before the rename, so a test can kill a
 * run with a complete temp file not yet in place ("run.json:2": before the second run.json).
 * Unset (always, outside tests) it does nothing. */
void sk_test_kill_point(const char *what);
/* Joins a and b with one '/' into a new malloc'ed string. */
char *sk_path_join(const char *a, const char *b);

/* Little-endian stores/loads on raw bytes. */
static inline void sk_le_store16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void sk_le_store32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void sk_le_store64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t sk_le_load16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t sk_le_load32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t sk_le_load64(const uint8_t *p)
{
    return (uint64_t)sk_le_load32(p) | (uint64_t)sk_le_load32(p + 4) << 32;
}

/* A growable byte buffer written field by field. */
typedef struct {
    uint8_t *data;
    size_t len, cap;
} sk_buf;

void sk_buf_init(sk_buf *b);
void sk_buf_free(sk_buf *b);
void sk_buf_reserve(sk_buf *b, size_t extra);
void sk_buf_put_bytes(sk_buf *b, const void *p, size_t n);
void sk_buf_put_u8(sk_buf *b, uint8_t v);
void sk_buf_put_u16(sk_buf *b, uint16_t v);
void sk_buf_put_u32(sk_buf *b, uint32_t v);
void sk_buf_put_u64(sk_buf *b, uint64_t v);
void sk_buf_put_i32(sk_buf *b, int32_t v);
void sk_buf_put_i64(sk_buf *b, int64_t v);
void sk_buf_put_f32(sk_buf *b, float v);
void sk_buf_put_f64(sk_buf *b, double v);
/* Appends printf-formatted text (no NUL counted in len; a NUL follows in the buffer). */
void sk_buf_printf(sk_buf *b, const char *fmt, ...) SK_PRINTF(2, 3);
/* Appends v as the shortest decimal text ("%.Ng") that reads back as the same float32 (as
 * Python's repr of a NumPy float32), or the same double (15 to 17 digits) for f64. */
void sk_buf_put_f32_text(sk_buf *b, float v);
void sk_buf_put_f64_text(sk_buf *b, double v);
/* u32 byte length, then the bytes (no NUL). */
void sk_buf_put_str(sk_buf *b, const char *s);
/* Floats as little-endian IEEE-754 bits, n values. */
void sk_buf_put_f32s(sk_buf *b, const float *v, size_t n);

/* A bounds-checked little-endian reader over a byte range. `what` names the file in errors. */
typedef struct {
    const uint8_t *p;
    size_t len, pos;
    const char *what;
} sk_reader;

void sk_reader_init(sk_reader *r, const void *p, size_t len, const char *what);
size_t sk_reader_left(const sk_reader *r);
sk_status sk_rd_bytes(sk_reader *r, void *out, size_t n, const char *field, sk_error *err) SK_WUR;
/* Returns a pointer into the buffer instead of copying. */
sk_status sk_rd_view(sk_reader *r, const uint8_t **out, size_t n, const char *field, sk_error *err) SK_WUR;
sk_status sk_rd_u8(sk_reader *r, uint8_t *v, const char *field, sk_error *err) SK_WUR;
sk_status sk_rd_u16(sk_reader *r, uint16_t *v, const char *field, sk_error *err) SK_WUR;
sk_status sk_rd_u32(sk_reader *r, uint32_t *v, const char *field, sk_error *err) SK_WUR;
sk_status sk_rd_u64(sk_reader *r, uint64_t *v, const char *field, sk_error *err) SK_WUR;
sk_status sk_rd_i32(sk_reader *r, int32_t *v, const char *field, sk_error *err) SK_WUR;
sk_status sk_rd_i64(sk_reader *r, int64_t *v, const char *field, sk_error *err) SK_WUR;
sk_status sk_rd_f32(sk_reader *r, float *v, const char *field, sk_error *err) SK_WUR;
sk_status sk_rd_f64(sk_reader *r, double *v, const char *field, sk_error *err) SK_WUR;
/* Reads a u32-length string into buf (cap includes NUL); longer than cap-1 is an error. */
sk_status sk_rd_str(sk_reader *r, char *buf, size_t cap, const char *field, sk_error *err) SK_WUR;
sk_status sk_rd_f32s(sk_reader *r, float *v, size_t n, const char *field, sk_error *err) SK_WUR;

#endif
