/* log.h: leveled messages on stderr, and a TTY-aware progress bar.
 *
 * Messages go to stderr only (stdout is for machine-readable output). The progress bar draws
 * only when stderr is a terminal and quiet mode is off; otherwise it prints nothing at all. */
#ifndef SK_LOG_H
#define SK_LOG_H

#include <stdint.h>
#include <stdio.h>
#include "error.h"

typedef enum { SK_LOG_DEBUG = 0, SK_LOG_INFO, SK_LOG_WARN, SK_LOG_ERROR, SK_LOG_SILENT } sk_log_level;

/* Process-wide settings, set once by main from --quiet / --verbose. */
void sk_log_set_level(sk_log_level level);
sk_log_level sk_log_get_level(void);
void sk_log_set_quiet(int quiet); /* also silences progress bars */
int sk_log_quiet(void);
/* Redirect log output (tests); NULL restores stderr. */
void sk_log_set_stream(FILE *fp);

void sk_log(sk_log_level level, const char *fmt, ...) SK_PRINTF(2, 3);
#define sk_debug(...) sk_log(SK_LOG_DEBUG, __VA_ARGS__)
#define sk_info(...) sk_log(SK_LOG_INFO, __VA_ARGS__)
#define sk_warn(...) sk_log(SK_LOG_WARN, __VA_ARGS__)
#define sk_errorf(...) sk_log(SK_LOG_ERROR, __VA_ARGS__)

/* Monotonic seconds since an arbitrary start. */
double sk_now(void);

typedef struct {
    char label[64];
    uint64_t total;      /* 0 = unknown */
    uint64_t done;
    double t_start;
    double t_last_draw;
    int enabled;         /* drawing at all (terminal and not quiet) */
    int drawn;           /* something is on the line */
    FILE *out;
} sk_progress;

/* Starts a bar. Enabled only if `out` (stderr when NULL) is a terminal and not quiet. */
void sk_progress_begin(sk_progress *p, const char *label, uint64_t total, FILE *out);
/* Sets the count done; redraws at most ~10 times a second. */
void sk_progress_update(sk_progress *p, uint64_t done);
/* Formats "label  [####....]  done/total  pct  ETA mm:ss" into buf (also used by tests). */
void sk_progress_format(const sk_progress *p, double now, char *buf, size_t cap);
/* Clears the line if anything was drawn. */
void sk_progress_end(sk_progress *p);

#endif
