/* replay.c: the plain driver used when libFuzzer is not available: feeds every file of the
 * folders (or files) named on the command line to LLVMFuzzerTestOneInput, in sorted order, and
 * prints how many it ran. A crash, a sanitizer report or a failed assertion ends the process
 * abnormally, which is the test failure. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sk_base.h"
#include "fuzz.h"

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int run_file(const char *path)
{
    uint8_t *data = NULL;
    size_t n = 0;
    sk_error err;
    if (sk_read_file(path, &data, &n, (size_t)64 << 20, &err) != SK_OK) {
        fprintf(stderr, "replay: %s\n", err.msg);
        return -1;
    }
    LLVMFuzzerTestOneInput(data, n);
    free(data);
    return 0;
}

int main(int argc, char **argv)
{
    int ran = 0, bad = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: no such file or folder\n", argv[i]);
            bad++;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            bad += run_file(argv[i]) != 0;
            ran++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        char **names = NULL;
        size_t nn = 0;
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            names = sk_xrealloc(names, (nn + 1) * sizeof *names);
            names[nn++] = sk_path_join(argv[i], e->d_name);
        }
        if (d) closedir(d);
        qsort(names, nn, sizeof *names, cmp_str);
        for (size_t k = 0; k < nn; k++) {
            bad += run_file(names[k]) != 0;
            ran++;
            free(names[k]);
        }
        free(names);
    }
    printf("replayed %d inputs%s\n", ran, bad ? " (some unreadable)" : "");
    return bad || ran == 0 ? 1 : 0;
}
