/* args.h: the option parser every subcommand uses. Long options only (--name VALUE or
 * --name=VALUE), plus positional arguments. --help prints the usage and the option table.
 * Unknown options, missing values and malformed numbers print a clear message; the caller
 * returns exit status 2 for those (SK_ARGS_ERROR) and 0 after help (SK_ARGS_HELP). */
#ifndef SK_ARGS_H
#define SK_ARGS_H

#include <stdint.h>

typedef enum { SK_OPT_FLAG, SK_OPT_VALUE } sk_optarg_kind;

typedef struct {
    const char *name;    /* without the leading "--" */
    sk_optarg_kind kind;
    const char *metavar; /* for SK_OPT_VALUE, e.g. "FILE" */
    const char *help;
} sk_opt;

enum { SK_ARGS_OK = 0, SK_ARGS_HELP = 1, SK_ARGS_ERROR = 2 };
#define SK_ARGS_MAX_OPTS 64
#define SK_ARGS_MAX_POS 32

typedef struct {
    const char *cmd;
    const sk_opt *opts;
    int nopts;
    const char *value[SK_ARGS_MAX_OPTS]; /* last value given, or NULL */
    int count[SK_ARGS_MAX_OPTS];         /* times given */
    const char *pos[SK_ARGS_MAX_POS];
    int npos;
} sk_args;

/* Parses argv[0..argc) (argv[0] is the first argument after the command words). `usage` is the
 * synopsis line(s) and `about` a paragraph; both are printed by --help. Returns SK_ARGS_*. */
int sk_args_parse(sk_args *a, const char *cmd, const char *usage, const char *about,
                  const sk_opt *opts, int nopts, int argc, char **argv);
/* Enforces min..max positional arguments; prints an error and returns SK_ARGS_ERROR if not. */
int sk_args_npos(const sk_args *a, int min, int max);

int sk_args_has(const sk_args *a, const char *name);
const char *sk_args_str(const sk_args *a, const char *name, const char *def);
/* Numeric getters: on a malformed or out-of-range value print a message and return
 * SK_ARGS_ERROR; otherwise store the value (or def when absent) and return SK_ARGS_OK. */
int sk_args_long(const sk_args *a, const char *name, long def, long min, long max, long *out);
int sk_args_double(const sk_args *a, const char *name, double def, double min, double max,
                   double *out);
/* Required value: prints "missing --name" and returns SK_ARGS_ERROR when absent. */
int sk_args_require(const sk_args *a, const char *name);

#endif
