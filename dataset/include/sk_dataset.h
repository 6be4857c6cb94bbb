/* sk_dataset.h: the one public header of dataset/: data sets: catalogs, SkyServer query, fetch,
 * frame cutouts, synth, image decode/resize, manifest.tsv, pack and the .skds format, archive
 * import/export. Links the base library only.
 *
 * Only this folder (include/) is a PUBLIC include directory; the headers it pulls in sit beside
 * the sources and are included here by relative path. Anything not listed is internal. */
#ifndef SK_DATASET_PUBLIC_H
#define SK_DATASET_PUBLIC_H

#include "../catalog.h"
#include "../cutout.h"
#include "../export.h"
#include "../fetch.h"
#include "../image.h"
#include "../import.h"
#include "../manifest.h"
#include "../pack.h"
#include "../query.h"
#include "../skds.h"
#include "../synth.h"

#endif
