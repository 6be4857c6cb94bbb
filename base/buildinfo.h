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

/* The GEMM facts of a program that computes with one. The engine registers its own (core/gemm.c,
 * before main), so the base library names no GEMM; without a registration (a program that
 * links no engine) blas, blas_config and blas_core read "none". g must outlive the program. */
typedef struct {
    const char *(*name)(void);
    const char *(*config)(void);   /* may return NULL: "unknown" */
    const char *(*corename)(void); /* may return NULL: "unknown" */
} sk_buildinfo_gemm;
void sk_buildinfo_set_gemm(const sk_buildinfo_gemm *g);

/* Fills everything; never fails (unknown facts become "unknown"). */
void sk_buildinfo_get(sk_buildinfo *bi);
/* The multi-line text of `skytune --version`. */
void sk_buildinfo_print(FILE *out);
/* "skytune/VERSION", the User-Agent of every HTTP request; a static string. */
const char *sk_buildinfo_user_agent(void);

#endif
