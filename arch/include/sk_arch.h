/* sk_arch.h: the one public header of arch/: the architectures: descriptor table (models.def)
 * and registry, the Keras-exact graphs, weight fetch/import (Keras HDF5, TF.js) and export.
 *
 * Only this folder (include/) is a PUBLIC include directory; the headers it pulls in sit beside
 * the sources and are included here by relative path. Anything not listed is internal. */
#ifndef SK_ARCH_PUBLIC_H
#define SK_ARCH_PUBLIC_H

#include "../arch.h"
#include "../weights.h"
#include "../weights_fetch.h"
#include "../weights_import.h"
#include "../export_h5.h"
#include "../export_tfjs.h"

#endif
