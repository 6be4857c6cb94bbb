/* mt19937.h: the Mersenne Twister MT19937 (Matsumoto & Nishimura 1998) and NumPy's legacy
 * RandomState.shuffle, so `pack` reproduces the train/validation split Keras'
 * image_dataset_from_directory made with np.random.RandomState(seed).shuffle(file_paths).
 *
 * Only for that compatibility: every other random draw in skytune comes from base/rng.h.
 * Seeding is init_genrand(seed) with a 32-bit seed, which is what RandomState(int) does for
 * 0 <= seed < 2^32. Known answers (from NumPy) are in tests/test_mt19937.c. */
#ifndef SK_MT19937_H
#define SK_MT19937_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t mt[624];
    int mti;
} sk_mt19937;

/* init_genrand(seed). */
void sk_mt19937_seed(sk_mt19937 *m, uint32_t seed);
/* genrand_int32: the next 32-bit output. */
uint32_t sk_mt19937_next(sk_mt19937 *m);
/* NumPy's legacy random_interval(max): uniform in [0, max] by masked rejection on 32-bit draws
 * (max <= 0xffffffff) or 64-bit draws (two 32-bit outputs, high word first) above. */
uint64_t sk_mt19937_interval(sk_mt19937 *m, uint64_t max);
/* RandomState(seed).shuffle(x) applied to the permutation perm[0..n): for i = n-1 down to 1,
 * j = interval(i), swap(perm[i], perm[j]). Start with perm[k] = k to get NumPy's permutation of
 * range(n); permuting a list of paths the same way gives Keras' order. */
void sk_numpy_shuffle_u64(uint64_t *perm, size_t n, uint32_t seed);
/* The same shuffle drawing from m, for several shuffles of one RandomState in a row. */
void sk_numpy_shuffle_state(sk_mt19937 *m, uint64_t *perm, size_t n);

#endif
