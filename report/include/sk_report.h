/* sk_report.h: the one public header of report/: the report: tables, gnuplot figures and the
 * page, from result records only. Links the records and base libraries, not the engine.
 *
 * Only this folder (include/) is a PUBLIC include directory; the headers it pulls in sit beside
 * the sources and are included here by relative path. Anything not listed is internal. */
#ifndef SK_REPORT_PUBLIC_H
#define SK_REPORT_PUBLIC_H

#include "../report.h"
#include "../report_eval.h"
#include "../report_gnuplot.h"
#include "../report_text.h"

#endif
