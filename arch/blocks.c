/* blocks.c: helpers the model files share: layer-name formatting, Keras's automatic names,
 * imagenet_utils.correct_pad and MobileNet's _make_divisible. No model structure lives here. */
#include "arch.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *sk_arch_nm(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, SK_NAME_MAX, fmt, ap);
    va_end(ap);
    SK_ASSERT(n >= 0 && n < SK_NAME_MAX);
    return buf;
}

/* 1 if name is `prefix` or `prefix_<digits>`. */
static int is_auto_of(const char *name, const char *prefix)
{
    size_t k = strlen(prefix);
    if (strncmp(name, prefix, k) != 0) return 0;
    if (name[k] == '\0') return 1;
    if (name[k] != '_' || name[k + 1] == '\0') return 0;
    for (const char *p = name + k + 1; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    return 1;
}

const char *sk_arch_auto(char *buf, const sk_graph *g, const char *prefix)
{
    /* Keras counts every layer created with that default name; explicit names never match the
     * pattern in these models, so counting existing matches gives the next suffix. */
    int count = 0;
    for (int i = 0; i < g->n; i++) count += is_auto_of(g->nodes[i].name, prefix);
    if (count == 0) return sk_arch_nm(buf, "%s", prefix);
    return sk_arch_nm(buf, "%s_%d", prefix, count);
}

void sk_arch_correct_pad(int pad[4], const sk_node *x, int k)
{
    int adjust_h = 1 - x->h % 2, adjust_w = 1 - x->w % 2;
    int c = k / 2;
    pad[0] = c - adjust_h;
    pad[1] = c;
    pad[2] = c - adjust_w;
    pad[3] = c;
}

int sk_arch_make_divisible(double v, int divisor)
{
    int nv = (int)(v + divisor / 2.0) / divisor * divisor;
    if (nv < divisor) nv = divisor;
    if (nv < 0.9 * v) nv += divisor;
    return nv;
}
