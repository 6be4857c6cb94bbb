/* report_records.h: the report's view of the result records (schema "skytune.run", version 1;
 * docs/FORMATS.md): every complete cell below a results root, loaded through the results
 * library (records/record.h), which owns the schema, its checks and their error messages.
 *
 * Invariants after a successful load: those of sk_record_read_cell for every record, and the
 * records are sorted by (arch, trainable_layers, seed) with no two sharing that key. A cell
 * without DONE is incomplete and ignored (counted); one with a FAILED file (the runner's error
 * message) is listed with that message. This reader never writes anything. */
#ifndef SK_REPORT_RECORDS_H
#define SK_REPORT_RECORDS_H

#include <stdint.h>
#include "sk_records.h"
#include "sk_base.h"

#define SK_REPORT_MAX_CLASSES SK_RECORD_MAX_CLASSES

typedef sk_epoch_record sk_report_epoch;
typedef sk_run_record sk_report_run;

typedef struct {
    sk_report_run *runs;
    int n;
    int n_incomplete;               /* cell directories without DONE */
    int n_bad;                      /* bad records skipped (only with skip_bad) */
    int n_failed;                   /* cells the runner marked FAILED */
    char **failed;                  /* "DIR: first line of FAILED", n_failed entries */
} sk_report_set;

/* Loads one cell directory (run.json + metrics.jsonl). On error the message names the file
 * and the field, e.g. "results/a/run.json: field 'tpr': expected a number, found string". */
sk_status sk_report_run_load(sk_report_run *r, const char *dir, sk_error *err) SK_WUR;
void sk_report_run_free(sk_report_run *r);

/* Finds every cell below root (recursively; a directory holding run.json is a cell) and loads
 * the complete ones. A bad record is an error unless skip_bad, which warns (naming the file and
 * the problem) and skips it. Zero complete cells is an error (SK_ENOTFOUND). */
sk_status sk_report_set_load(sk_report_set *set, const char *root, int skip_bad, sk_error *err) SK_WUR;
void sk_report_set_free(sk_report_set *set);

#endif
