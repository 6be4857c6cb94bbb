/* cmd_arch.c: `skytune arch ...` subcommands. */
#include "commands.h"
#include "args.h"

#include <stdio.h>

static int cmd_list(int argc, char **argv)
{
    static const sk_opt opts[] = {{"quiet", SK_OPT_FLAG, NULL, "no progress output"}};
    sk_args a;
    int rc = sk_args_parse(&a, "skytune arch list", "skytune arch list [OPTIONS]", "Not implemented in this build yet.", opts, 1, argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    return sk_not_implemented("arch list");
}

static int cmd_show(int argc, char **argv)
{
    static const sk_opt opts[] = {{"quiet", SK_OPT_FLAG, NULL, "no progress output"}};
    sk_args a;
    int rc = sk_args_parse(&a, "skytune arch show", "skytune arch show [OPTIONS]", "Not implemented in this build yet.", opts, 1, argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    return sk_not_implemented("arch show");
}

static int cmd_levels(int argc, char **argv)
{
    static const sk_opt opts[] = {{"quiet", SK_OPT_FLAG, NULL, "no progress output"}};
    sk_args a;
    int rc = sk_args_parse(&a, "skytune arch levels", "skytune arch levels [OPTIONS]", "Not implemented in this build yet.", opts, 1, argc, argv);
    if (rc) return rc == SK_ARGS_HELP ? 0 : 2;
    return sk_not_implemented("arch levels");
}

int sk_cmd_arch(int argc, char **argv)
{
    static const sk_subcommand subs[] = {
        {"list", cmd_list, "(not implemented yet)"},
        {"show", cmd_show, "(not implemented yet)"},
        {"levels", cmd_levels, "(not implemented yet)"},
    };
    return sk_dispatch("skytune arch", subs, (int)(sizeof subs / sizeof subs[0]), argc, argv);
}
