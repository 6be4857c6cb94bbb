/* sk_base.h: the one public header of base/: the base library: status and errors, assertions,
 * checked allocation, logging, files (atomic writers, symlink-safe folders, stale temps),
 * checksums, the counter-based RNG, build info, the CSV scanner, medians and peak memory. No
 * engine: dataset/, records/ and report/ link it without core/.
 *
 * Only this folder (include/) is a PUBLIC include directory; the headers it pulls in sit beside
 * the sources and are included here by relative path. Anything not listed is internal. */
#ifndef SK_BASE_PUBLIC_H
#define SK_BASE_PUBLIC_H

#include "../error.h"
#include "../log.h"
#include "../fileio.h"
#include "../checksum.h"
#include "../rng.h"
#include "../buildinfo.h"
#include "../csv.h"
#include "../stats.h"

#endif
