/* sk_common.h: what every engine source includes: the base library (status and errors,
 * assertions, checked allocation, files, logging, ...; base/include/sk_base.h) and the
 * engine's per-thread scratch buffers (scratch.c). */
#ifndef SK_COMMON_H
#define SK_COMMON_H

#include <stddef.h>

#include "sk_base.h"

/* Per-thread scratch: one buffer per (slot, thread), 64-byte aligned, at least `bytes`, grown on
 * demand and kept, so steady-state callers allocate nothing; freed when the thread exits (an
 * OpenMP team can shrink). Contents are undefined after a call that grows it. Each slot has one
 * user, so two users never hand each other's buffer around. */
enum { SK_SCRATCH_GEMM = 0, SK_SCRATCH_GEMM_IND, SK_SCRATCH_GEMM_ZERO, SK_SCRATCH_OPS, SK_SCRATCH_SLOTS };
void *sk_thread_scratch(int slot, size_t bytes);

#endif
