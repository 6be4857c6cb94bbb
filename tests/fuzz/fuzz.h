/* fuzz.h: what every harness in tests/fuzz shares. A harness defines the libFuzzer entry point
 * LLVMFuzzerTestOneInput for one reader; it is linked either with libFuzzer (clang,
 * -fsanitize=fuzzer: `make fuzz`) or with replay.c, a plain driver that feeds it every file of
 * the corpus folders given on the command line (the CTest label `fuzz`).
 *
 * A harness must never crash, leak or hang on any input; it may also assert properties of what
 * a reader accepts (a manifest it parsed formats and parses back the same). Readers that take a
 * path get the input written to a file in a private temporary folder first. */
#ifndef SK_FUZZ_H
#define SK_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "sk_base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* This process's temporary folder (created on first use, removed at exit). */
const char *sk_fuzz_dir(void);
/* Writes data to <sk_fuzz_dir()>/name (replacing it); returns the malloc'ed path. */
char *sk_fuzz_file(const char *name, const void *data, size_t n);
/* Silences logging once (readers warn on hostile input). */
void sk_fuzz_quiet(void);
/* A NUL-terminated malloc'ed copy of the input. */
char *sk_fuzz_text(const uint8_t *data, size_t n);

#endif
