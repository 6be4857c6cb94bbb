/* buildinfo.c: collects build and platform facts. */
#include "buildinfo.h"
#include "sk_buildinfo.h"
#include "sk_gitrev.h"

#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define STR2(x) #x
#define STR(x) STR2(x)
#if defined(__clang__)
#define SK_COMPILER "Clang " __clang_version__
#elif defined(__GNUC__)
#define SK_COMPILER "GCC " STR(__GNUC__) "." STR(__GNUC_MINOR__) "." STR(__GNUC_PATCHLEVEL__)
#else
#define SK_COMPILER "unknown C compiler"
#endif

static void read_cpu_model(char *out, size_t cap)
{
    snprintf(out, cap, "unknown");
    FILE *fp = fopen("/proc/cpuinfo", "r");
    if (!fp) return;
    char line[512];
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        char *colon = strchr(line, ':');
        if (!colon) continue;
        colon++;
        while (*colon == ' ' || *colon == '\t') colon++;
        colon[strcspn(colon, "\n")] = '\0';
        snprintf(out, cap, "%s", colon);
        break;
    }
    fclose(fp);
}

static const sk_buildinfo_gemm *g_gemm;

void sk_buildinfo_set_gemm(const sk_buildinfo_gemm *g) { g_gemm = g; }

void sk_buildinfo_get(sk_buildinfo *bi)
{
    memset(bi, 0, sizeof *bi);
    bi->version = SK_VERSION_STRING;
    bi->git_revision = SK_GIT_REVISION;
    bi->compiler = SK_COMPILER;
    bi->build_type = SK_BUILD_TYPE;
    bi->flags = SK_BUILD_FLAGS;
    bi->sanitize = SK_BUILD_SANITIZE;
    bi->blas = g_gemm ? g_gemm->name() : "none";
    const char *cfg = g_gemm ? g_gemm->config() : "none";
    const char *core = g_gemm ? g_gemm->corename() : "none";
    snprintf(bi->blas_config, sizeof bi->blas_config, "%s", cfg ? cfg : "unknown");
    snprintf(bi->blas_core, sizeof bi->blas_core, "%s", core ? core : "unknown");
    /* OpenBLAS pads its config string with a trailing space. */
    size_t n = strlen(bi->blas_config);
    while (n && bi->blas_config[n - 1] == ' ') bi->blas_config[--n] = '\0';
#ifdef _OPENMP
    bi->omp_max_threads = omp_get_max_threads();
#else
    bi->omp_max_threads = 1;
#endif
    read_cpu_model(bi->cpu_model, sizeof bi->cpu_model);
    const char *ct = getenv("OPENBLAS_CORETYPE");
    snprintf(bi->openblas_coretype_env, sizeof bi->openblas_coretype_env, "%s", ct ? ct : "");
}

void sk_buildinfo_print(FILE *out)
{
    sk_buildinfo bi;
    sk_buildinfo_get(&bi);
    fprintf(out, "skytune %s (git %s)\n", bi.version, bi.git_revision);
    fprintf(out, "compiler:     %s, %s build\n", bi.compiler, bi.build_type);
    fprintf(out, "flags:        %s\n", bi.flags);
    if (bi.sanitize[0]) fprintf(out, "sanitizers:   %s\n", bi.sanitize);
    fprintf(out, "blas:         %s (%s), core %s%s%s%s\n", bi.blas, bi.blas_config, bi.blas_core,
            bi.openblas_coretype_env[0] ? " (OPENBLAS_CORETYPE=" : "",
            bi.openblas_coretype_env, bi.openblas_coretype_env[0] ? ")" : "");
    fprintf(out, "openmp:       %d max threads\n", bi.omp_max_threads);
    fprintf(out, "cpu:          %s\n", bi.cpu_model);
}

const char *sk_buildinfo_user_agent(void) { return "skytune/" SK_VERSION_STRING; }
