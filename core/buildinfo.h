/* buildinfo.h: what this binary is and what it runs on: version, git revision, compiler and
 * flags, GEMM library and its kernel core, OpenMP threads, CPU model. Printed by
 * `skytune --version` and written into every result record. */
#ifndef SK_BUILDINFO_H
#define SK_BUILDINFO_H

#include <stdio.h>

typedef struct {
    const char *version;
    const char *git_revision;
    const char *compiler;   /* e.g. "GCC 12.2.0" */
    const char *build_type;
    const char *flags;
    const char *sanitize;
    const char *blas;       /* backend name */
    char blas_config[256];  /* openblas_get_config() */
    char blas_core[64];     /* openblas_get_corename() */
    int omp_max_threads;
    char cpu_model[128];
    char openblas_coretype_env[64]; /* OPENBLAS_CORETYPE, or "" */
} sk_buildinfo;

/* Fills everything; never fails (unknown facts become "unknown"). */
void sk_buildinfo_get(sk_buildinfo *bi);
/* The multi-line text of `skytune --version`. */
void sk_buildinfo_print(FILE *out);

#endif
