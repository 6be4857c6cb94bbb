// LABELS: unit dataset
// LIBS: sk_dataset
/* test_mt19937.c: MT19937 and NumPy's legacy RandomState.shuffle against known answers made once
 * with NumPy 1.24.2 (Debian python3-numpy) and committed in tests/data/numpy_mt19937.txt:
 *
 *   /usr/bin/python3 gen.py > tests/data/numpy_mt19937.txt, where gen.py is:
 *     import numpy as np
 *     rs = np.random.RandomState(5489)   # raw 32-bit outputs (randint over the full uint32
 *     print("raw 5489", *rs.randint(0, 2**32, size=1000, dtype=np.uint32))   # range = raw draws)
 *     rs = np.random.RandomState(123); print("raw 123", *rs.randint(0, 2**32, size=8, dtype=np.uint32))
 *     for seed, n in [(0,10),(1,1),(1,2),(42,17),(7,100),(4294967295,33),(123,1000)]:
 *         p = list(range(n)); np.random.RandomState(seed).shuffle(p)
 *         print("shuffle", seed, n, *p)
 *     rs = np.random.RandomState(99); mx = 2**40 + 4  # the 64-bit masked-rejection branch
 *     print("interval64 99", mx, *rs.randint(0, mx + 1, size=6, dtype=np.uint64))
 */
#include "sk_base.h"
#include "../dataset/mt19937.h"
#include "sk_test.h"

#include <stdlib.h>
#include <string.h>

static char *data_path(void)
{
    const char *src = getenv("SRC");
    if (src && *src) return sk_path_join(src, "tests/data/numpy_mt19937.txt");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
    return sk_path_join(dir, "data/numpy_mt19937.txt");
}

/* Parses the numbers after the tag words of one line. */
static size_t parse_u64s(const char *p, uint64_t *out, size_t cap)
{
    size_t n = 0;
    char *end;
    while (n < cap) {
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p) break;
        out[n++] = v;
        p = end;
    }
    return n;
}

int main(void)
{
    /* The reference implementation's classic value, independent of the data file. */
    sk_mt19937 m;
    sk_mt19937_seed(&m, 5489);
    CHECK_EQ_INT(sk_mt19937_next(&m), 3499211612u);
    CHECK_EQ_INT(sk_mt19937_next(&m), 581869302u);

    char *path = data_path();
    uint8_t *txt = NULL;
    size_t len = 0;
    sk_error err;
    CHECK_OK(sk_read_file(path, &txt, &len, 1 << 20, &err), &err);
    if (!txt) return sk_test_finish();
    uint64_t *v = sk_xmalloc(sizeof(uint64_t) * 1100), *perm = sk_xmalloc(sizeof(uint64_t) * 1100);
    int nlines = 0, nshuffle = 0;
    for (char *line = strtok((char *)txt, "\n"); line; line = strtok(NULL, "\n")) {
        nlines++;
        char tag[32];
        int used = 0;
        if (sscanf(line, "%31s %n", tag, &used) != 1) continue;
        size_t n = parse_u64s(line + used, v, 1100);
        if (strcmp(tag, "raw") == 0) {
            sk_mt19937_seed(&m, (uint32_t)v[0]);
            size_t bad = 0;
            for (size_t i = 1; i < n; i++) bad += sk_mt19937_next(&m) != v[i];
            CHECKF(bad == 0 && n > 8, "seed %llu: %zu raw outputs equal NumPy's (%zu differ)",
                   (unsigned long long)v[0], n - 1, bad);
        } else if (strcmp(tag, "shuffle") == 0) {
            uint64_t seed = v[0], cnt = v[1];
            CHECK_EQ_INT(n, cnt + 2);
            for (uint64_t i = 0; i < cnt; i++) perm[i] = i;
            sk_numpy_shuffle_u64(perm, (size_t)cnt, (uint32_t)seed);
            CHECKF(memcmp(perm, v + 2, sizeof(uint64_t) * cnt) == 0,
                   "RandomState(%llu).shuffle(range(%llu)) equals NumPy's permutation",
                   (unsigned long long)seed, (unsigned long long)cnt);
            nshuffle++;
        } else if (strcmp(tag, "interval64") == 0) {
            sk_mt19937_seed(&m, (uint32_t)v[0]);
            int ok = 1;
            for (size_t i = 2; i < n; i++) ok &= sk_mt19937_interval(&m, v[1]) == v[i];
            CHECKF(ok && n == 8, "64-bit masked rejection equals NumPy's randint(0, 2^40+5)");
        }
    }
    CHECK_EQ_INT(nlines, 10);
    CHECK_EQ_INT(nshuffle, 7);
    /* The shuffle is a permutation whatever the seed. */
    for (uint64_t i = 0; i < 1000; i++) perm[i] = i;
    sk_numpy_shuffle_u64(perm, 1000, 987654321u);
    uint64_t sum = 0;
    int moved = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        sum += perm[i];
        moved += perm[i] != i;
    }
    CHECK_EQ_INT(sum, 999 * 1000 / 2);
    CHECK(moved > 900);
    free(v);
    free(perm);
    free(txt);
    free(path);
    return sk_test_finish();
}
