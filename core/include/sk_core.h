/* sk_core.h: the one public header of core/: the training engine: graph, executor, ops, GEMM
 * backends, initialisers, optimizers, training loop, metrics, checkpoints (and, through
 * sk_common.h, the base library).
 *
 * Only this folder (include/) is a PUBLIC include directory; the headers it pulls in sit beside
 * the sources and are included here by relative path. Anything not listed is internal. */
#ifndef SK_CORE_PUBLIC_H
#define SK_CORE_PUBLIC_H

#include "../graph.h"
#include "../exec.h"
#include "../ops.h"
#include "../gemm.h"
#include "../gemm_det.h"
#include "../init.h"
#include "../optim.h"
#include "../train.h"
#include "../metrics.h"
#include "../checkpoint.h"
#include "../callbacks.h"

#endif
