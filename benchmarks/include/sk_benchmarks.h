/* sk_benchmarks.h: the one public header of benchmarks/: suites, the training runner and a
 * cell's model and data, sweeps, baselines and their check, predict/evaluate, the study plan,
 * Slurm, reproduce, the speed harness.
 *
 * Only this folder (include/) is a PUBLIC include directory; the headers it pulls in sit beside
 * the sources and are included here by relative path. Anything not listed is internal. */
#ifndef SK_BENCHMARKS_PUBLIC_H
#define SK_BENCHMARKS_PUBLIC_H

#include "../suite.h"
#include "../runner.h"
#include "../sweep.h"
#include "../weights_get.h"
#include "../cell.h"
#include "../check.h"
#include "../evaluate.h"
#include "../plan.h"
#include "../predict.h"
#include "../prefix_cache.h"
#include "../reproduce.h"
#include "../slurm.h"
#include "../speed_bench.h"

#endif
