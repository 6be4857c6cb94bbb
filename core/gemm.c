/* gemm.c: sk_sgemm dispatched to one of the compiled-in backends.
 *
 * "openblas": cblas_sgemm from the OpenMP build of OpenBLAS. "dnnl": oneDNN's dnnl_sgemm, which
 * since oneDNN 1.0 is row-major with 'N'/'T' chars and returns a status; Debian builds it on the
 * OpenMP runtime, so both backends share libgomp's pool with our own loops. The backend table is
 * const; the only mutable state is which entry is current (set at start-up, not thread-safe).
 *
 * Determinism (measured by tests/test_gemm.c; neither library promises any of it): both give the
 * same bits run to run. OpenBLAS's bits for a row depend on M and on the thread count. oneDNN
 * 2.6's f32 GEMM (as read in its gemm_driver / gemm_utils_f32 sources) never splits K across
 * threads in the copy path and, in the no-copy path our conv shapes take, only from 8 threads on
 * (nthr_k <= nthr / 4); measured below 8 threads, a row's bits depend neither on M nor on the
 * thread count, except at M = 1 or N = 1 (a separate GEMV kernel). At 8 threads they do. That
 * is an implementation detail of one version, not a contract. */
#include "gemm.h"
#include "gemm_det.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#ifdef SK_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

/* Declared by OpenBLAS's cblas.h in recent versions; repeated here for older headers. */
char *openblas_get_config(void);
char *openblas_get_corename(void);
int openblas_get_num_threads(void);

typedef void (*sgemm_fn)(int trans_a, int trans_b, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb, float beta, float *c,
                         int ldc);

typedef struct {
    const char *name;
    sgemm_fn sgemm;
    const char *(*config)(void);
    const char *(*corename)(void);
    int (*threads)(void);
} backend;

/* ---- OpenBLAS ---- */

static void openblas_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
                           const float *a, int lda, const float *b, int ldb, float beta, float *c,
                           int ldc)
{
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
static const char *openblas_config(void) { return openblas_get_config(); }
static const char *openblas_corename(void) { return openblas_get_corename(); }
static int openblas_threads(void) { return openblas_get_num_threads(); }

/* ---- oneDNN ---- */
#ifdef SK_HAVE_DNNL

static void dnnl_backend_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
                               const float *a, int lda, const float *b, int ldb, float beta,
                               float *c, int ldc)
{
    /* oneDNN 2.6 leaves C untouched when K = 0; BLAS semantics are C = beta * C. */
    if (k == 0) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                float *x = &c[(size_t)i * ldc + j];
                *x = beta == 0.0f ? 0.0f : beta * *x;
            }
        return;
    }
    dnnl_status_t st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda,
                                  b, ldb, beta, c, ldc);
    /* Only bad arguments can fail (it allocates nothing it could run out of quietly). */
    SK_ASSERT_MSG(st == dnnl_success, dnnl_status2str(st));
}

static const char *dnnl_isa_name(dnnl_cpu_isa_t isa)
{
    switch (isa) {
    case dnnl_cpu_isa_all: return "all";
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    }
    return "unknown";
}

static const char *dnnl_runtime_name(unsigned rt)
{
    switch (rt) {
    case DNNL_RUNTIME_NONE: return "none";
    case DNNL_RUNTIME_SEQ: return "SEQ";
    case DNNL_RUNTIME_OMP: return "OMP";
    case DNNL_RUNTIME_TBB: return "TBB";
    case DNNL_RUNTIME_THREADPOOL: return "THREADPOOL";
    default: return "other";
    }
}

static const char *dnnl_backend_corename(void) { return dnnl_isa_name(dnnl_get_effective_cpu_isa()); }

static const char *dnnl_backend_config(void)
{
    static char buf[160];
    const dnnl_version_t *v = dnnl_version();
    sk_snprintf(buf, sizeof buf, "oneDNN %d.%d.%d (git %s, cpu_runtime %s, isa %s)", v->major,
                v->minor, v->patch, v->hash ? v->hash : "unknown",
                dnnl_runtime_name(v->cpu_runtime), dnnl_backend_corename());
    return buf;
}

static int dnnl_backend_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads(); /* the OMP runtime asks the same pool at every call */
#else
    return 1;
#endif
}
#endif /* SK_HAVE_DNNL */

/* ---- det: our own (gemm_det.h), one fixed FMA chain per element ---- */

static void det_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                      int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    if (alpha == 1.0f && (beta == 0.0f || beta == 1.0f)) { /* every use in the training core */
        sk_sgemm_det(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    /* General BLAS semantics: T = op(A) op(B) deterministically, then C = alpha T + beta C. */
    float *t = sk_xmalloc_aligned((size_t)m * n * sizeof(float));
    sk_sgemm_det(trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, t, n);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            float *x = &c[(size_t)i * ldc + j];
            float v = alpha * t[(size_t)i * n + j];
            *x = beta == 0.0f ? v : v + beta * *x;
        }
    free(t);
}
static const char *det_config(void)
{
    return "skytune det sgemm (one fmaf chain per element, K in order; M-, thread- and "
           "ISA-independent bits)";
}
static const char *det_corename(void) { return sk_gemm_det_isa_name(sk_gemm_det_isa_current()); }
static int det_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* ---- dispatch ---- */

static const backend g_backends[] = {
    {"openblas", openblas_sgemm, openblas_config, openblas_corename, openblas_threads},
    {"det", det_sgemm, det_config, det_corename, det_threads},
#ifdef SK_HAVE_DNNL
    {"dnnl", dnnl_backend_sgemm, dnnl_backend_config, dnnl_backend_corename, dnnl_backend_threads},
#endif
};

#ifdef SK_BLAS_DEFAULT
#define DEFAULT_BACKEND SK_BLAS_DEFAULT
#else
#define DEFAULT_BACKEND "openblas"
#endif

static const backend *g_current; /* NULL until first use or sk_gemm_select */

static const backend *find_backend(const char *name)
{
    for (size_t i = 0; name && i < SK_ARRAY_LEN(g_backends); i++)
        if (strcmp(g_backends[i].name, name) == 0) return &g_backends[i];
    return NULL;
}

int sk_gemm_backends(const char **names, int max)
{
    int n = (int)SK_ARRAY_LEN(g_backends);
    for (int i = 0; i < n && i < max; i++) names[i] = g_backends[i].name;
    return n;
}

int sk_gemm_select(const char *name)
{
    const backend *b = find_backend(name);
    if (!b) return -1;
    g_current = b;
    return 0;
}

sk_status sk_gemm_init_from_env(sk_error *err)
{
    const char *env = getenv("SKYTUNE_GEMM");
    const char *want = env && *env ? env : DEFAULT_BACKEND;
    const backend *b = find_backend(want);
    if (!b) {
        char have[64] = "";
        for (size_t i = 0; i < SK_ARRAY_LEN(g_backends); i++) {
            size_t len = strlen(have);
            snprintf(have + len, sizeof have - len, "%s%s", i ? ", " : "", g_backends[i].name);
        }
        return sk_error_set(err, SK_EINVAL,
                            "SKYTUNE_GEMM='%s': unknown or not compiled-in GEMM backend "
                            "(this build has: %s)",
                            want, have);
    }
    g_current = b;
    return SK_OK;
}

static const backend *current(void)
{
    if (!g_current) {
        sk_error err;
        if (sk_gemm_init_from_env(&err) != SK_OK) {
            /* Programs report a bad SKYTUNE_GEMM at start-up (sk_gemm_init_from_env); a library
             * caller that did not gets the compiled default, said out loud, and every run
             * record names the backend actually used. sk_sgemm has no status to return. */
            fprintf(stderr, "skytune: %s; using %s\n", err.msg, DEFAULT_BACKEND);
            g_current = find_backend(DEFAULT_BACKEND);
            SK_ASSERT(g_current != NULL);
        }
    }
    return g_current;
}

void sk_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc)
{
    SK_ASSERT(m >= 0 && n >= 0 && k >= 0);
    if (m == 0 || n == 0) return;
    current()->sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

const char *sk_blas_name(void) { return current()->name; }
int sk_gemm_row_invariant(void) { return current()->sgemm == det_sgemm; }
const char *sk_blas_config(void) { return current()->config(); }
const char *sk_blas_corename(void) { return current()->corename(); }
int sk_blas_threads(void) { return current()->threads(); }

/* Build info lives in the base library, which names no GEMM: the engine registers its facts
 * before main, so `skytune --version`, run records and fingerprints name the backend in use. */
static const sk_buildinfo_gemm gemm_facts = {sk_blas_name, sk_blas_config, sk_blas_corename};
__attribute__((constructor)) static void register_gemm_facts(void)
{
    sk_buildinfo_set_gemm(&gemm_facts);
}
