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

/* Cache blocking, in floats. KC x NR panels of packed B and the MR rows of A a micro-kernel
 * reads stream through L1d; MC x KC of A and the KC x NC block of packed B stay in L2 (1 MiB per
 * core). KC 256 measured 5-25% faster than 128 on the 3x3 convolutions of VGG16 and ResNet50 at
 * 224 px with C >= 192 (implicit GEMM, sk_bench_conv) and no slower elsewhere; blocking over K
 * never changes a bit (see the invariant above). In the resident order K blocks are longer
 * (KC_RES): B then streams from L2, but A rows are read in long contiguous runs, which measured
 * ~15% faster at (M=100352, N=64, K=576). */
#define DET_KC 256
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
    /* Implicit A: op(A) is im2col(pa) (ta == 0) or its transpose (ta == 1); a and lda unused.
     * zero: pa->c + 16 zeros, read for taps in the padding. */
    const sk_det_patches *pa;
    const float *zero;
    const sk_det_epilogue *ep; /* NULL or applied once an element's K products are in */
} plan;

/* c[r * ldc + j] for rows r < rows, columns j < n; bias already offset to column 0 of c. */
static void ep_tile(float *c, size_t rows, int n, size_t ldc, const float *bias, sk_det_ep_act act)
{
    for (size_t r = 0; r < rows; r++) {
        float *x = c + r * ldc;
        if (bias)
            for (int j = 0; j < n; j++) x[j] += bias[j];
        if (act == SK_DET_EP_RELU)
            for (int j = 0; j < n; j++) x[j] = x[j] > 0.0f ? x[j] : 0.0f;
        else if (act == SK_DET_EP_RELU6)
            for (int j = 0; j < n; j++) {
                float v = x[j] > 0.0f ? x[j] : 0.0f;
                x[j] = v < 6.0f ? v : 6.0f;
            }
    }
}

void sk_det_epilogue_apply(float *c, size_t rows, int n, int ldc, const sk_det_epilogue *ep)
{
    if (ep) ep_tile(c, rows, n, (size_t)ldc, ep->bias, ep->act);
}

/* The epilogue on C rows [i0, i1) x columns [j0, j1). */
static void ep_region(const plan *p, int i0, int i1, int j0, int j1)
{
    if (!p->ep || i1 <= i0 || j1 <= j0) return;
    ep_tile(p->c + (size_t)i0 * p->ldc + j0, (size_t)(i1 - i0), j1 - j0, (size_t)p->ldc,
            p->ep->bias ? p->ep->bias + j0 : NULL, p->ep->act);
}

/* Pointer to the `c` channels of tap t of output pixel q of P, or `zero` in the padding. */
static const float *patch_ptr(const sk_det_patches *P, size_t q, int t, const float *zero)
{
    size_t ohw = (size_t)P->oh * P->ow, img = q / ohw, rem = q % ohw;
    int oh = (int)(rem / (size_t)P->ow), ow = (int)(rem % (size_t)P->ow);
    int ih = oh * P->sh - P->pt + t / P->kw, iw = ow * P->sw - P->pl + t % P->kw;
    if (ih < 0 || ih >= P->h || iw < 0 || iw >= P->w) return zero;
    return P->x + ((img * P->h + (size_t)ih) * P->w + (size_t)iw) * P->c;
}

/* op(A)[i][q] */
static float a_at(const plan *p, int i, int q)
{
    if (p->pa) {
        const int C = p->pa->c;
        if (!p->ta) return patch_ptr(p->pa, (size_t)i, q / C, p->zero)[q % C];
        return patch_ptr(p->pa, (size_t)q, i / C, p->zero)[i % C];
    }
    return p->ta ? p->a[(size_t)q * p->lda + i] : p->a[(size_t)i * p->lda + q];
}

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
            float x = a_at(p, i, q);
            if (p->tb) {
                for (int j = j0; j < j1; j++)
                    crow[j] = fmaf(x, p->b[(size_t)j * p->ldb + q], crow[j]);
            } else {
                const float *brow = p->b + (size_t)q * p->ldb;
                for (int j = j0; j < j1; j++) crow[j] = fmaf(x, brow[j], crow[j]);
            }
        }
        ep_region(p, i, i + 1, j0, j1);
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

/* Output pixel q of P as (image, row, column), advanced one pixel at a time. */
typedef struct {
    size_t img;
    int oh, ow;
} pixel_pos;

static pixel_pos pixel_at(const sk_det_patches *P, size_t q)
{
    size_t ohw = (size_t)P->oh * P->ow, rem = q % ohw;
    pixel_pos x = {q / ohw, (int)(rem / (size_t)P->ow), (int)(rem % (size_t)P->ow)};
    return x;
}

static void pixel_next(const sk_det_patches *P, pixel_pos *x)
{
    if (++x->ow < P->ow) return;
    x->ow = 0;
    if (++x->oh < P->oh) return;
    x->oh = 0;
    x->img++;
}

/* Writes, for taps t0 .. t1-1 of pixel x, the pointer to the tap's channels (or zero) to
 * dst[(t - t0) * stride]. */
static void pixel_taps(const sk_det_patches *P, const pixel_pos *x, int t0, int t1,
                       const float *zero, const float **dst, size_t stride)
{
    const int ih0 = x->oh * P->sh - P->pt, iw0 = x->ow * P->sw - P->pl;
    const float *base = P->x + x->img * P->h * P->w * P->c;
    int ki = t0 / P->kw, kj = t0 % P->kw;
    for (int t = t0; t < t1; t++) {
        int ih = ih0 + ki, iw = iw0 + kj;
        *dst = (ih < 0 || ih >= P->h || iw < 0 || iw >= P->w)
                   ? zero
                   : base + ((size_t)ih * P->w + (size_t)iw) * P->c;
        dst += stride;
        if (++kj == P->kw) kj = 0, ki++;
    }
}

/* Implicit im2col rows ic .. ic+mc, taps t0 .. t1-1: ind[r * (t1 - t0) + t - t0] (scratch). */
static const float *const *rows_table(const plan *p, int ic, int mc, int t0, int t1)
{
    const int nt = t1 - t0;
    const float **ind = sk_thread_scratch(SK_SCRATCH_GEMM_IND, (size_t)mc * nt * sizeof *ind);
    pixel_pos x = pixel_at(p->pa, (size_t)ic);
    for (int r = 0; r < mc; r++, pixel_next(p->pa, &x))
        pixel_taps(p->pa, &x, t0, t1, p->zero, ind + (size_t)r * nt, 1);
    return ind;
}

/* Transposed implicit im2col, k (output pixels) pc .. pc+kc, taps t0 .. t1-1:
 * kp[(t - t0) * kc + k] for tap t of pixel pc + k (thread scratch). */
static const float *const *kptr_table(const plan *p, int pc, int kc, int t0, int t1)
{
    const float **kp = sk_thread_scratch(SK_SCRATCH_GEMM_IND, (size_t)(t1 - t0) * kc * sizeof *kp);
    pixel_pos x = pixel_at(p->pa, (size_t)pc);
    for (int k = 0; k < kc; k++, pixel_next(p->pa, &x))
        pixel_taps(p->pa, &x, t0, t1, p->zero, kp + k, (size_t)kc);
    return kp;
}

/* Column-major A: every k of a panel is its own cache line, a strided pattern the hardware
 * prefetchers follow poorly. Fetch the lines the panels 32 columns ahead will read, once per
 * line (measured +15-20% on the dW shape). */
static void prefetch_ahead(const plan *p, const float *abase, int ir, int mc, int kc, long *pf_line)
{
    int la = ir + 32;
    long line = la < mc ? (long)((uintptr_t)(abase + la) / 64) : *pf_line;
    if (line == *pf_line) return;
    *pf_line = line;
    for (int t = 0; t < kc; t++) __builtin_prefetch(abase + la + (size_t)t * p->lda, 0, 3);
}

/* C rows [ic, ic+mc) x columns [jc, jc+nc) += op(A) rows x op(B) over k in [pc, pc+kc). */
static void block(const plan *p, const bsrc *bs, int ic, int mc, int pc, int kc, int jc, int nc)
{
    const sk_det_kernel *kn = p->kern;
    const int mr = kn->mr, nr = kn->nr;
    const int load_c = p->beta1 || pc > 0;
    sk_det_a A;
    memset(&A, 0, sizeof A);
    const float *abase = NULL;
    ptrdiff_t a_ps = 0;
    int C = 0, t0 = 0, t1 = 0;
    const float *const *tab = NULL;
    if (!p->pa) {
        A.mode = SK_DET_A_STRIDED;
        if (!p->ta) {
            abase = p->a + (size_t)ic * p->lda + pc;
            A.rs = p->lda, A.cs = 1, a_ps = (ptrdiff_t)mr * p->lda;
        } else {
            abase = p->a + (size_t)pc * p->lda + ic;
            A.rs = 1, A.cs = p->lda, a_ps = mr;
        }
    } else if (!p->ta) {
        A.mode = SK_DET_A_ROWS;
        C = p->pa->c;
        t0 = pc / C, t1 = (pc + kc - 1) / C + 1;
        A.ntap = t1 - t0, A.seg = C, A.c0 = pc % C;
        tab = rows_table(p, ic, mc, t0, t1);
    } else {
        A.mode = SK_DET_A_KPTR;
        C = p->pa->c;
        t0 = ic / C, t1 = (ic + mc - 1) / C + 1;
        tab = kptr_table(p, pc, kc, t0, t1);
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
        if (A.mode == SK_DET_A_KPTR) {
            /* tiles never straddle two taps: their rows are contiguous channels of one tap */
            for (int t = t0; t < t1; t++) {
                int r0 = t * C > ic ? t * C : ic, r1 = (t + 1) * C < ic + mc ? (t + 1) * C : ic + mc;
                A.kp = tab + (size_t)(t - t0) * kc;
                for (int r = r0; r < r1; r += mr) {
                    int h = r1 - r < mr ? r1 - r : mr;
                    A.koff = r - t * C;
                    kn->kernel(h, w, kc, &A, b, b_ks, c + (size_t)(r - ic) * p->ldc, p->ldc,
                               load_c);
                }
            }
            continue;
        }
        long pf_line = -1;
        for (int ir = 0; ir < mc; ir += mr) {
            int h = mc - ir < mr ? mc - ir : mr;
            if (A.mode == SK_DET_A_STRIDED) {
                if (p->ta && jr == 0) prefetch_ahead(p, abase, ir, mc, kc, &pf_line);
                A.a = abase + (ir / mr) * a_ps;
            } else {
                A.ind = tab + (size_t)ir * A.ntap;
            }
            kn->kernel(h, w, kc, &A, b, b_ks, c + (size_t)ir * p->ldc, p->ldc, load_c);
        }
        if (pc + kc == p->k) ep_region(p, ic, ic + mc, jc + jr, jc + jr + w); /* tile in cache */
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

static void run(plan *p)
{
    switch (sk_gemm_det_isa_current()) {
    case SK_GEMM_DET_AVX512: p->kern = sk_gemm_det_avx512_kernel(); break;
    case SK_GEMM_DET_AVX2: p->kern = sk_gemm_det_avx2_kernel(); break;
    default: p->kern = NULL; break;
    }
    int T = 1;
#ifdef _OPENMP
    if (2.0 * p->m * p->n * p->k >= DET_MIN_PAR_FLOPS && !omp_in_parallel())
        T = omp_get_max_threads();
#endif
    if (T <= 1) {
        run_part(p, 0, 1);
        return;
    }
#ifdef _OPENMP
#pragma omp parallel num_threads(T)
    run_part(p, omp_get_thread_num(), omp_get_num_threads());
#endif
}

static void zero_c(float *c, int m, int n, int ldc)
{
    for (int i = 0; i < m; i++) memset(c + (size_t)i * ldc, 0, (size_t)n * sizeof(float));
}

void sk_sgemm_det(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                  int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    check_args(trans_a, trans_b, m, n, k, alpha, lda, ldb, beta, ldc);
    if (m == 0 || n == 0) return;
    if (k == 0) {
        if (beta == 0.0f) zero_c(c, m, n, ldc);
        return;
    }
    plan p = {NULL, !!trans_a, !!trans_b, m, n, k, a, b, c, lda, ldb, ldc, beta == 1.0f, NULL,
              NULL, NULL};
    run(&p);
}

void sk_sgemm_det_ep(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                     float *c, int ldc, const sk_det_epilogue *ep)
{
    check_args(0, 0, m, n, k, 1.0f, lda, ldb, 0.0f, ldc);
    if (m == 0 || n == 0) return;
    if (k == 0) {
        zero_c(c, m, n, ldc);
        sk_det_epilogue_apply(c, (size_t)m, n, ldc, ep);
        return;
    }
    plan p = {NULL, 0, 0, m, n, k, a, b, c, lda, ldb, ldc, 0, NULL, NULL, ep};
    run(&p);
}

static void check_patches(const sk_det_patches *P)
{
    SK_ASSERT(P->x && P->n > 0 && P->h > 0 && P->w > 0 && P->c > 0);
    SK_ASSERT(P->oh > 0 && P->ow > 0 && P->kh > 0 && P->kw > 0 && P->sh > 0 && P->sw > 0);
    SK_ASSERT(P->pt >= 0 && P->pl >= 0);
    SK_ASSERT((size_t)P->n * P->oh * P->ow <= (size_t)INT32_MAX);
    SK_ASSERT((size_t)P->kh * P->kw * P->c <= (size_t)INT32_MAX);
}

/* pa->c + 16 zeros, shared read-only by the threads of one call (the caller's scratch). */
static const float *zeros_for(const sk_det_patches *P)
{
    size_t nz = (size_t)P->c + 16;
    float *z = sk_thread_scratch(SK_SCRATCH_GEMM_ZERO, nz * sizeof(float));
    memset(z, 0, nz * sizeof(float));
    return z;
}

void sk_sgemm_det_patches(const sk_det_patches *P, int n, const float *b, int ldb, float beta,
                          float *c, int ldc)
{
    check_patches(P);
    const int m = P->n * P->oh * P->ow, k = P->kh * P->kw * P->c;
    SK_ASSERT(beta == 0.0f || beta == 1.0f);
    SK_ASSERT(n >= 0 && ldb >= n && ldc >= n && ldb >= 1 && ldc >= 1);
    if (n == 0) return;
    plan p = {NULL, 0, 0, m, n, k, NULL, b, c, 0, ldb, ldc, beta == 1.0f, P, zeros_for(P), NULL};
    run(&p);
}

void sk_sgemm_det_patches_ep(const sk_det_patches *P, int n, const float *b, int ldb, float *c,
                             int ldc, const sk_det_epilogue *ep)
{
    check_patches(P);
    const int m = P->n * P->oh * P->ow, k = P->kh * P->kw * P->c;
    SK_ASSERT(n >= 0 && ldb >= n && ldc >= n && ldb >= 1 && ldc >= 1);
    if (n == 0) return;
    plan p = {NULL, 0, 0, m, n, k, NULL, b, c, 0, ldb, ldc, 0, P, zeros_for(P), ep};
    run(&p);
}

void sk_sgemm_det_patches_t(const sk_det_patches *P, int n, const float *b, int ldb, float beta,
                            float *c, int ldc)
{
    check_patches(P);
    const int m = P->kh * P->kw * P->c, k = P->n * P->oh * P->ow;
    SK_ASSERT(beta == 0.0f || beta == 1.0f);
    SK_ASSERT(n >= 0 && ldb >= n && ldc >= n && ldb >= 1 && ldc >= 1);
    if (n == 0) return;
    plan p = {NULL, 1, 0, m, n, k, NULL, b, c, 0, ldb, ldc, beta == 1.0f, P, zeros_for(P), NULL};
    run(&p);
}

void sk_sgemm_det_patches_ref(const sk_det_patches *P, int transposed, int n, const float *b,
                              int ldb, float beta, float *c, int ldc)
{
    check_patches(P);
    const int pix = P->n * P->oh * P->ow, kk = P->kh * P->kw * P->c;
    float *z = sk_xcalloc((size_t)P->c + 16, sizeof(float));
    plan p = {NULL, !!transposed, 0, transposed ? kk : pix, n, transposed ? pix : kk, NULL, b, c,
              0, ldb, ldc, beta == 1.0f, P, z, NULL};
    if (p.m > 0 && n > 0) scalar_region(&p, 0, p.m, 0, n);
    free(z);
}
