/* log.c: stderr logging and the progress bar. State is process-wide configuration only. */
#include "log.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static sk_log_level g_level = SK_LOG_INFO;
static int g_quiet = 0;
static FILE *g_stream = NULL;

void sk_log_set_level(sk_log_level level) { g_level = level; }
sk_log_level sk_log_get_level(void) { return g_level; }
void sk_log_set_quiet(int quiet) { g_quiet = quiet; }
int sk_log_quiet(void) { return g_quiet; }
void sk_log_set_stream(FILE *fp) { g_stream = fp; }

void sk_log(sk_log_level level, const char *fmt, ...)
{
    if (level < g_level) return;
    if (g_quiet && level < SK_LOG_WARN) return;
    static const char *const tag[] = {"debug: ", "", "warning: ", "error: "};
    FILE *out = g_stream ? g_stream : stderr;
    fprintf(out, "skytune: %s", tag[level < SK_LOG_SILENT ? level : SK_LOG_ERROR]);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    size_t n = strlen(fmt);
    if (n == 0 || fmt[n - 1] != '\n') fputc('\n', out);
    fflush(out);
}

double sk_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void sk_progress_begin(sk_progress *p, const char *label, uint64_t total, FILE *out)
{
    memset(p, 0, sizeof *p);
    snprintf(p->label, sizeof p->label, "%s", label);
    p->total = total;
    p->out = out ? out : stderr;
    p->t_start = sk_now();
    p->enabled = !g_quiet && isatty(fileno(p->out));
}

void sk_progress_format(const sk_progress *p, double now, char *buf, size_t cap)
{
    double el = now - p->t_start;
    if (p->total == 0) {
        snprintf(buf, cap, "%s  %llu  %.0fs", p->label, (unsigned long long)p->done, el);
        return;
    }
    enum { W = 24 };
    uint64_t done = p->done > p->total ? p->total : p->done;
    int fill = (int)((double)done / (double)p->total * W);
    char bar[W + 1];
    for (int i = 0; i < W; i++) bar[i] = i < fill ? '#' : '.';
    bar[W] = '\0';
    double pct = 100.0 * (double)done / (double)p->total;
    if (done == 0 || el <= 0) {
        snprintf(buf, cap, "%s  [%s]  %llu/%llu  %5.1f%%  ETA --:--", p->label, bar,
                 (unsigned long long)done, (unsigned long long)p->total, pct);
        return;
    }
    double eta = el * (double)(p->total - done) / (double)done;
    long s = (long)(eta + 0.5);
    snprintf(buf, cap, "%s  [%s]  %llu/%llu  %5.1f%%  ETA %ld:%02ld:%02ld", p->label, bar,
             (unsigned long long)done, (unsigned long long)p->total, pct, s / 3600, (s / 60) % 60,
             s % 60);
}

void sk_progress_update(sk_progress *p, uint64_t done)
{
    p->done = done;
    if (!p->enabled) return;
    double now = sk_now();
    if (p->drawn && now - p->t_last_draw < 0.1 && done != p->total) return;
    char line[256];
    sk_progress_format(p, now, line, sizeof line);
    fprintf(p->out, "\r\033[K%s", line);
    fflush(p->out);
    p->t_last_draw = now;
    p->drawn = 1;
}

void sk_progress_end(sk_progress *p)
{
    if (p->enabled && p->drawn) {
        fprintf(p->out, "\r\033[K");
        fflush(p->out);
    }
    p->drawn = 0;
}
