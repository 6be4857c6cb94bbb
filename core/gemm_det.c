/* gemm_det.c: sk_sgemm_det, a bit-deterministic SGEMM (see gemm_det.h for the contract).
 *
 * Invariant that makes it deterministic: every element of C is owned by one micro-kernel lane
 * at a time and receives its K fused multiply-adds in k order, one per step, starting from C
 * (beta == 1) or +0.0f. Blocking over K only stores the running sum in C between blocks (float
 * storage is exact); threads split C into rectangles and never split K; packing only copies.
 * So the result is the one of sk_sgemm_det_ref for any ISA path, blocking or thread count.
 *
 * Structure (GotoBLAS/BLIS style, per thread on its own rectangle of C): B is packed into
 * NR-column panels (k-major), or read in place when there are few rows; A is always read in
 * place through (row, k) strides (packing it measured slower on every benchmark shape).
 * When all of K times an NR..NC column panel of packed B fits the cache budget, B is packed once
 * per column panel and each MC row block runs all of K while its C tile stays in cache
 * ("resident"); otherwise the classic K-block-outer order. Packing buffers are per thread
 * (sk_thread_scratch: 64-byte aligned, grown when needed, freed when the thread exits). */
#include "gemm_det.h"
#include "gemm_det_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Cache blocking, in floats. KC: a KC x NR panel of B stays in L1d (48 KiB); MC x KC of A and
 * the packed B panels in L2 (1 MiB per core). In the resident order K blocks are longer
 * (KC_RES): B then streams from L2, but A rows are read in long contiguous runs, which measured
 * ~15% faster at (M=100352, N=64, K=576). */
#define DET_KC 128
#define DET_KC_RES 384
#define DET_MC 384
#define DET_MC_MAX 1024
#define DET_NC_CLASSIC 1024
#define DET_B_RESIDENT_FLOATS (128 * 1024) /* 512 KiB of packed B for the resident order */
#define DET_RES_A_FLOATS (64 * 1024)       /* 256 KiB: a row block of A over all of K */
#define DET_RES_C_FLOATS (64 * 1024)       /* 256 KiB: its C tile */
/* Below this many flops (2mnk) one thread: waking the pool costs more than it saves. */
#define DET_MIN_PAR_FLOPS (1.0 * (1 << 20))

static int g_forced = SK_GEMM_DET_AUTO;

/* ---- ISA selection ---- */

int sk_gemm_det_isa_supported(int isa)
{
    switch (isa) {
    case SK_GEMM_DET_AUTO:
    case SK_GEMM_DET_SCALAR: return 1;
    case SK_GEMM_DET_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case SK_GEMM_DET_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
    default: return 0;
    }
}

int sk_gemm_det_set_isa(int isa)
{
    if (isa < 0 || isa >= SK_GEMM_DET_ISA_COUNT || !sk_gemm_det_isa_supported(isa)) return -1;
    int prev = g_forced;
    g_forced = isa;
    return prev;
}

int sk_gemm_det_isa_current(void)
{
    if (g_forced != SK_GEMM_DET_AUTO) return g_forced;
    if (sk_gemm_det_isa_supported(SK_GEMM_DET_AVX512)) return SK_GEMM_DET_AVX512;
    if (sk_gemm_det_isa_supported(SK_GEMM_DET_AVX2)) return SK_GEMM_DET_AVX2;
    return SK_GEMM_DET_SCALAR;
}

const char *sk_gemm_det_isa_name(int isa)
{
    switch (isa) {
    case SK_GEMM_DET_AUTO: return "auto";
    case SK_GEMM_DET_SCALAR: return "scalar";
    case SK_GEMM_DET_AVX2: return "avx2";
    case SK_GEMM_DET_AVX512: return "avx512";
    default: return "unknown";
    }
}

/* ---- the reference ---- */

static void check_args(int ta, int tb, int m, int n, int k, float alpha, int lda, int ldb,
                       float beta, int ldc)
{
    SK_ASSERT_MSG(alpha == 1.0f, "sk_sgemm_det supports alpha == 1 only");
    SK_ASSERT_MSG(beta == 0.0f || beta == 1.0f, "sk_sgemm_det supports beta 0 or 1 only");
    SK_ASSERT(m >= 0 && n >= 0 && k >= 0);
    SK_ASSERT(lda >= 1 && lda >= (ta ? m : k));
    SK_ASSERT(ldb >= 1 && ldb >= (tb ? k : n));
    SK_ASSERT(ldc >= 1 && ldc >= n);
}

void sk_sgemm_det_ref(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                      int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    check_args(trans_a, trans_b, m, n, k, alpha, lda, ldb, beta, ldc);
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            float acc = beta == 1.0f ? c[(size_t)i * ldc + j] : 0.0f;
            for (int p = 0; p < k; p++) {
                float x = trans_a ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                float y = trans_b ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
                acc = fmaf(x, y, acc);
            }
            c[(size_t)i * ldc + j] = acc;
        }
    }
}

/* ---- plan and per-thread buffers ---- */

typedef struct {
    const sk_det_kernel *kern; /* NULL: the scalar path */
    int ta, tb, m, n, k;
    const float *a, *b;
    float *c;
    int lda, ldb, ldc;
    int beta1; /* start from C */
} plan;

/* This thread's packing buffer, at least n floats (contents not kept when it grows). */
static float *tls_buf(size_t n) { return sk_thread_scratch(SK_SCRATCH_GEMM, n * sizeof(float)); }

/* ---- the scalar path: one fmaf chain per element, accumulated in C in k order ---- */

static void scalar_region(const plan *p, int i0, int i1, int j0, int j1)
{
    for (int i = i0; i < i1; i++) {
        float *crow = p->c + (size_t)i * p->ldc;
        if (!p->beta1)
            for (int j = j0; j < j1; j++) crow[j] = 0.0f;
        for (int q = 0; q < p->k; q++) {
            float x = p->ta ? p->a[(size_t)q * p->lda + i] : p->a[(size_t)i * p->lda + q];
            if (p->tb) {
                for (int j = j0; j < j1; j++)
                    crow[j] = fmaf(x, p->b[(size_t)j * p->ldb + q], crow[j]);
            } else {
                const float *brow = p->b + (size_t)q * p->ldb;
                for (int j = j0; j < j1; j++) crow[j] = fmaf(x, brow[j], crow[j]);
            }
        }
    }
}

/* ---- packing ---- */

/* Packs op(B) rows [pc, pc+kk) x columns [jc, jc+nc) into NR-column panels, panel q at
 * dst + q*kk*NR, element (k, j) at k*NR + j. Columns past nc in the last panel are not written
 * (the kernel never reads them). */
static void pack_b(const plan *p, float *dst, int pc, int kk, int jc, int nc, int nr)
{
    for (int jr = 0; jr < nc; jr += nr) {
        int w = nc - jr < nr ? nc - jr : nr;
        float *d = dst + (size_t)(jr / nr) * kk * nr;
        if (!p->tb) {
            const float *s = p->b + (size_t)pc * p->ldb + jc + jr;
            for (int q = 0; q < kk; q++)
                memcpy(d + (size_t)q * nr, s + (size_t)q * p->ldb, (size_t)w * sizeof(float));
        } else {
            for (int j = 0; j < w; j++) {
                const float *s = p->b + (size_t)(jc + jr + j) * p->ldb + pc;
                for (int q = 0; q < kk; q++) d[(size_t)q * nr + j] = s[q];
            }
        }
    }
}

/* ---- the vector path ---- */

typedef struct {
    const float *bp; /* packed B (NULL: read B in place) */
    int bp_pc0, bp_kk; /* the rows of op(B) it holds */
} bsrc;

/* C rows [ic, ic+mc) x columns [jc, jc+nc) += op(A) rows x op(B) over k in [pc, pc+kc). */
static void block(const plan *p, const bsrc *bs, int ic, int mc, int pc, int kc, int jc, int nc)
{
    const sk_det_kernel *kn = p->kern;
    const int mr = kn->mr, nr = kn->nr;
    const int load_c = p->beta1 || pc > 0;
    const float *abase;
    ptrdiff_t a_rs, a_cs, a_ps;
    if (!p->ta) {
        abase = p->a + (size_t)ic * p->lda + pc;
        a_rs = p->lda, a_cs = 1, a_ps = (ptrdiff_t)mr * p->lda;
    } else {
        abase = p->a + (size_t)pc * p->lda + ic;
        a_rs = 1, a_cs = p->lda, a_ps = mr;
    }
    for (int jr = 0; jr < nc; jr += nr) {
        int w = nc - jr < nr ? nc - jr : nr;
        const float *b;
        ptrdiff_t b_ks;
        if (bs->bp) {
            b = bs->bp + (size_t)(jr / nr) * bs->bp_kk * nr + (size_t)(pc - bs->bp_pc0) * nr;
            b_ks = nr;
        } else {
            b = p->b + (size_t)pc * p->ldb + jc + jr;
            b_ks = p->ldb;
        }
        float *c = p->c + (size_t)ic * p->ldc + jc + jr;
        long pf_line = -1;
        for (int ir = 0; ir < mc; ir += mr) {
            int h = mc - ir < mr ? mc - ir : mr;
            if (p->ta && jr == 0) {
                /* Column-major A: every k of a panel is its own cache line, a strided pattern
                 * the hardware prefetchers follow poorly. Fetch the lines the panels 32 columns
                 * ahead will read, once per line (measured +15-20% on the dW shape). */
                int la = ir + 32;
                long line = la < mc ? (long)((uintptr_t)(abase + la) / 64) : pf_line;
                if (line != pf_line) {
                    pf_line = line;
                    for (int t = 0; t < kc; t++)
                        __builtin_prefetch(abase + la + (size_t)t * p->lda, 0, 3);
                }
            }
            kn->kernel(h, w, kc, abase + (ir / mr) * a_ps, a_rs, a_cs, b, b_ks,
                       c + (size_t)ir * p->ldc, p->ldc, load_c);
        }
    }
}

static int clampi(int x, int lo, int hi) { return x < lo ? lo : x > hi ? hi : x; }

static void vector_region(const plan *p, int i0, int i1, int j0, int j1)
{
    const int nr = p->kern->nr, mr = p->kern->mr;
    const int m = i1 - i0, n = j1 - j0, K = p->k;
    const int npad = (n + nr - 1) / nr * nr;
    /* Read B in place when there are few row panels (nothing to amortise packing over) and it
     * is row-major; otherwise pack. */
    const int pack = p->tb || m > 2 * mr;
    bsrc bs = {NULL, 0, 0};
    if (!pack || (size_t)K * npad <= DET_B_RESIDENT_FLOATS) {
        /* Resident: all of op(B) for this region is in L2 (packed once, or few rows of A). Row
         * blocks small enough that their A (mc x K) and C (mc x n) stay in L2 across K. */
        int mc = clampi(DET_RES_A_FLOATS / K, 2 * mr, DET_MC_MAX);
        mc = clampi(mc < DET_RES_C_FLOATS / n ? mc : DET_RES_C_FLOATS / n, 2 * mr, DET_MC_MAX);
        mc = mc / mr * mr;
        if (pack) {
            bs.bp = tls_buf((size_t)K * npad);
            bs.bp_pc0 = 0, bs.bp_kk = K;
            pack_b(p, (float *)bs.bp, 0, K, j0, n, nr);
        }
        /* K in equal blocks of at most DET_KC_RES: longer contiguous runs of each A row */
        int nkb = (K + DET_KC_RES - 1) / DET_KC_RES, kcb = (K + nkb - 1) / nkb;
        for (int ic = i0; ic < i1; ic += mc) {
            int h = i1 - ic < mc ? i1 - ic : mc;
            for (int pc = 0; pc < K; pc += kcb) {
                int kc = K - pc < kcb ? K - pc : kcb;
                block(p, &bs, ic, h, pc, kc, j0, n);
            }
        }
    } else {
        /* Classic: K blocks outermost, a KC x NC block of packed B in L2 for all row blocks. */
        for (int jc = j0; jc < j1; jc += DET_NC_CLASSIC) {
            int w = j1 - jc < DET_NC_CLASSIC ? j1 - jc : DET_NC_CLASSIC;
            for (int pc = 0; pc < K; pc += DET_KC) {
                int kc = K - pc < DET_KC ? K - pc : DET_KC;
                bs.bp = tls_buf((size_t)kc * ((w + nr - 1) / nr) * nr);
                bs.bp_pc0 = pc, bs.bp_kk = kc;
                pack_b(p, (float *)bs.bp, pc, kc, jc, w, nr);
                for (int ic = i0; ic < i1; ic += DET_MC) {
                    int h = i1 - ic < DET_MC ? i1 - ic : DET_MC;
                    block(p, &bs, ic, h, pc, kc, jc, w);
                }
            }
        }
    }
}

/* ---- threads: a tm x tn grid of rectangles of C, cut at tile boundaries ---- */

static void split_grid(int T, int m, int n, int mr, int nr, int *tm, int *tn)
{
    long pm = (m + mr - 1) / mr, pn = (n + nr - 1) / nr;
    double best = -1.0;
    for (int a = 1; a <= T; a++) {
        if (T % a) continue;
        int b = T / a;
        /* the biggest rectangle, padded to whole tiles; ties go to splitting M */
        double cost = (double)((pm + a - 1) / a * mr) * (double)((pn + b - 1) / b * nr);
        if (best < 0 || cost <= best) best = cost, *tm = a, *tn = b;
    }
}

static void run_part(const plan *p, int t, int T)
{
    int mr = p->kern ? p->kern->mr : 8, nr = p->kern ? p->kern->nr : 64;
    int tm = 1, tn = 1;
    split_grid(T, p->m, p->n, mr, nr, &tm, &tn);
    int bi = t / tn, bj = t % tn;
    long pm = (p->m + mr - 1) / mr, pn = (p->n + nr - 1) / nr;
    long i0 = pm * bi / tm * mr, i1 = pm * (bi + 1) / tm * mr;
    long j0 = pn * bj / tn * nr, j1 = pn * (bj + 1) / tn * nr;
    if (i1 > p->m) i1 = p->m;
    if (j1 > p->n) j1 = p->n;
    if (i0 >= i1 || j0 >= j1) return;
    if (p->kern)
        vector_region(p, (int)i0, (int)i1, (int)j0, (int)j1);
    else
        scalar_region(p, (int)i0, (int)i1, (int)j0, (int)j1);
}

void sk_sgemm_det(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                  int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    check_args(trans_a, trans_b, m, n, k, alpha, lda, ldb, beta, ldc);
    if (m == 0 || n == 0) return;
    if (k == 0) {
        if (beta == 0.0f)
            for (int i = 0; i < m; i++) memset(c + (size_t)i * ldc, 0, (size_t)n * sizeof(float));
        return;
    }
    plan p = {NULL, !!trans_a, !!trans_b, m, n, k, a, b, c, lda, ldb, ldc, beta == 1.0f};
    switch (sk_gemm_det_isa_current()) {
    case SK_GEMM_DET_AVX512: p.kern = sk_gemm_det_avx512_kernel(); break;
    case SK_GEMM_DET_AVX2: p.kern = sk_gemm_det_avx2_kernel(); break;
    default: p.kern = NULL; break;
    }
    int T = 1;
#ifdef _OPENMP
    if (2.0 * m * n * k >= DET_MIN_PAR_FLOPS && !omp_in_parallel()) T = omp_get_max_threads();
#endif
    if (T <= 1) {
        run_part(&p, 0, 1);
        return;
    }
#ifdef _OPENMP
#pragma omp parallel num_threads(T)
    run_part(&p, omp_get_thread_num(), omp_get_num_threads());
#endif
}
