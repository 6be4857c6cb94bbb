/* stats.h: the small measuring helpers every timing table and the run record share: the median
 * of a sample and the process's peak resident memory.
 *
 * One definition each, so a benchmark, the runner and a test never disagree on what "median"
 * (the mean of the two middle values for an even count) or "peak memory" (VmHWM) means. */
#ifndef SK_STATS_H
#define SK_STATS_H

#include <stddef.h>

/* qsort comparator for doubles, ascending. */
int sk_cmp_double(const void *a, const void *b);

/* Sorts v[0..n) in place and returns its median: the middle value, or the mean of the two middle
 * values when n is even. NaN when n <= 0. */
double sk_median(double *v, int n);

/* Peak resident set of this process in bytes: VmHWM of /proc/self/status (which
 * sk_peak_rss_reset lowers to the current RSS), else getrusage's ru_maxrss; 0 if unknown. */
size_t sk_peak_rss_bytes(void);
/* Resets the peak to the current resident set (Linux: "5" into /proc/self/clear_refs).
 * Returns 0 on success, -1 when the kernel refuses. */
int sk_peak_rss_reset(void);

#endif
