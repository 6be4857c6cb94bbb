/* scratch.c: the engine's per-thread scratch buffers (sk_thread_scratch, sk_common.h): one
 * buffer per (slot, thread), grown on demand, freed at thread exit. */
#include "sk_common.h"

#include <pthread.h>
#include <stdlib.h>

static _Thread_local void *scratch_buf[SK_SCRATCH_SLOTS];
static _Thread_local size_t scratch_cap[SK_SCRATCH_SLOTS];
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

/* Runs at thread exit (the key's value is only a non-NULL marker). */
static void free_scratch(void *unused)
{
    (void)unused;
    for (int i = 0; i < SK_SCRATCH_SLOTS; i++) {
        free(scratch_buf[i]);
        scratch_buf[i] = NULL;
        scratch_cap[i] = 0;
    }
}
static void make_scratch_key(void)
{
    SK_ASSERT(pthread_key_create(&scratch_key, free_scratch) == 0);
}

void *sk_thread_scratch(int slot, size_t bytes)
{
    SK_ASSERT(slot >= 0 && slot < SK_SCRATCH_SLOTS);
    if (bytes <= scratch_cap[slot]) return scratch_buf[slot];
    pthread_once(&scratch_once, make_scratch_key);
    SK_ASSERT(pthread_setspecific(scratch_key, scratch_cap) == 0);
    free(scratch_buf[slot]);
    size_t cap = bytes + bytes / 4 + 4096;
    scratch_buf[slot] = sk_xmalloc_aligned(cap);
    scratch_cap[slot] = cap;
    return scratch_buf[slot];
}

