/* sk_records.h: the one public header of records/: the result records: run.json/metrics.jsonl
 * schema with its writer and reader, the walk over a results tree, eval.json. Links the base
 * library only.
 *
 * Only this folder (include/) is a PUBLIC include directory; the headers it pulls in sit beside
 * the sources and are included here by relative path. Anything not listed is internal. */
#ifndef SK_RECORDS_PUBLIC_H
#define SK_RECORDS_PUBLIC_H

#include "../record.h"
#include "../eval.h"

#endif
