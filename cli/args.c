/* args.c: long-option parsing for the skytune subcommands. */
#include "args.h"
#include "sk_base.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_help(const char *cmd, const char *usage, const char *about, const sk_opt *opts,
                       int nopts)
{
    printf("usage: %s\n", usage);
    if (about && *about) printf("\n%s\n", about);
    printf("\noptions:\n");
    for (int i = 0; i < nopts; i++) {
        char left[64];
        if (opts[i].kind == SK_OPT_VALUE)
            snprintf(left, sizeof left, "--%s %s", opts[i].name, opts[i].metavar ? opts[i].metavar : "VALUE");
        else
            snprintf(left, sizeof left, "--%s", opts[i].name);
        printf("  %-26s %s\n", left, opts[i].help);
    }
    printf("  %-26s %s\n", "--help", "show this help and exit");
    (void)cmd;
}

static int find_opt(const sk_args *a, const char *name, size_t len)
{
    for (int i = 0; i < a->nopts; i++)
        if (strlen(a->opts[i].name) == len && strncmp(a->opts[i].name, name, len) == 0) return i;
    return -1;
}

int sk_args_parse(sk_args *a, const char *cmd, const char *usage, const char *about,
                  const sk_opt *opts, int nopts, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    SK_ASSERT(nopts <= SK_ARGS_MAX_OPTS);
    a->cmd = cmd;
    a->opts = opts;
    a->nopts = nopts;
    int only_pos = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!only_pos && strcmp(arg, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (!only_pos && (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)) {
            print_help(cmd, usage, about, opts, nopts);
            return SK_ARGS_HELP;
        }
        if (!only_pos && arg[0] == '-' && arg[1] != '\0') {
            if (arg[1] != '-') {
                fprintf(stderr, "%s: unknown option '%s' (options are long: --name; see --help)\n", cmd, arg);
                return SK_ARGS_ERROR;
            }
            const char *name = arg + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            int k = find_opt(a, name, len);
            if (k < 0) {
                fprintf(stderr, "%s: unknown option '--%.*s' (see %s --help)\n", cmd, (int)len, name, cmd);
                return SK_ARGS_ERROR;
            }
            if (opts[k].kind == SK_OPT_FLAG) {
                if (eq) {
                    fprintf(stderr, "%s: option '--%s' takes no value\n", cmd, opts[k].name);
                    return SK_ARGS_ERROR;
                }
                a->value[k] = "1";
            } else if (eq) {
                a->value[k] = eq + 1;
            } else {
                if (i + 1 >= argc) {
                    fprintf(stderr, "%s: option '--%s' needs a value (%s)\n", cmd, opts[k].name,
                            opts[k].metavar ? opts[k].metavar : "VALUE");
                    return SK_ARGS_ERROR;
                }
                a->value[k] = argv[++i];
            }
            a->count[k]++;
            continue;
        }
        if (a->npos >= SK_ARGS_MAX_POS) {
            fprintf(stderr, "%s: too many arguments\n", cmd);
            return SK_ARGS_ERROR;
        }
        a->pos[a->npos++] = arg;
    }
    return SK_ARGS_OK;
}

int sk_args_npos(const sk_args *a, int min, int max)
{
    if (a->npos < min) {
        fprintf(stderr, "%s: missing argument (see %s --help)\n", a->cmd, a->cmd);
        return SK_ARGS_ERROR;
    }
    if (a->npos > max) {
        fprintf(stderr, "%s: unexpected argument '%s' (see %s --help)\n", a->cmd, a->pos[max], a->cmd);
        return SK_ARGS_ERROR;
    }
    return SK_ARGS_OK;
}

static int index_of(const sk_args *a, const char *name)
{
    int k = find_opt(a, name, strlen(name));
    SK_ASSERT_MSG(k >= 0, name); /* asking for an option the table does not declare is a bug */
    return k;
}

int sk_args_has(const sk_args *a, const char *name) { return a->count[index_of(a, name)] > 0; }

const char *sk_args_str(const sk_args *a, const char *name, const char *def)
{
    const char *v = a->value[index_of(a, name)];
    return v ? v : def;
}

int sk_args_require(const sk_args *a, const char *name)
{
    if (sk_args_has(a, name)) return SK_ARGS_OK;
    fprintf(stderr, "%s: missing required option --%s (see %s --help)\n", a->cmd, name, a->cmd);
    return SK_ARGS_ERROR;
}

int sk_args_long(const sk_args *a, const char *name, long def, long min, long max, long *out)
{
    const char *v = sk_args_str(a, name, NULL);
    if (!v) {
        *out = def;
        return SK_ARGS_OK;
    }
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end != '\0') {
        fprintf(stderr, "%s: --%s expects an integer, got '%s'\n", a->cmd, name, v);
        return SK_ARGS_ERROR;
    }
    if (x < min || x > max) {
        fprintf(stderr, "%s: --%s must be in %ld..%ld, got %ld\n", a->cmd, name, min, max, x);
        return SK_ARGS_ERROR;
    }
    *out = x;
    return SK_ARGS_OK;
}

int sk_args_double(const sk_args *a, const char *name, double def, double min, double max,
                   double *out)
{
    const char *v = sk_args_str(a, name, NULL);
    if (!v) {
        *out = def;
        return SK_ARGS_OK;
    }
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end != '\0' || !isfinite(x)) {
        fprintf(stderr, "%s: --%s expects a number, got '%s'\n", a->cmd, name, v);
        return SK_ARGS_ERROR;
    }
    if (x < min || x > max) {
        fprintf(stderr, "%s: --%s must be in %g..%g, got %g\n", a->cmd, name, min, max, x);
        return SK_ARGS_ERROR;
    }
    *out = x;
    return SK_ARGS_OK;
}
