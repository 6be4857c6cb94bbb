/* report_gnuplot.c: writing and running gnuplot scripts (see report_gnuplot.h). */
#include "report_gnuplot.h"

#include "log.h"
#include "report_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs a shell command, capturing stdout+stderr (the command redirects 2>&1) into out.
 * Returns the exit status, or -1 if it could not be started or was killed. */
static int run_capture(const char *cmd, sk_buf *out)
{
    fflush(NULL);
    FILE *fp = popen(cmd, "r");
    if (!fp) return -1;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        if (out->len < (1u << 20)) sk_buf_put_bytes(out, chunk, n);
    sk_buf_put_u8(out, 0);
    out->len--;
    int st = pclose(fp);
    if (st == -1 || !WIFEXITED(st)) return -1;
    return WEXITSTATUS(st);
}

static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path) return 0;
    const char *p = path;
    while (*p) {
        const char *c = strchr(p, ':');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        char buf[4096];
        if (len > 0 && len + strlen(prog) + 2 < sizeof buf) {
            memcpy(buf, p, len);
            buf[len] = '/';
            strcpy(buf + len + 1, prog);
            if (access(buf, X_OK) == 0) return 1;
        }
        if (!c) break;
        p = c + 1;
    }
    return 0;
}

sk_status sk_gp_init(sk_gp *g, const char *dir, unsigned formats, int dpi, sk_error *err)
{
    memset(g, 0, sizeof *g);
    g->dir = sk_xstrdup(dir);
    g->formats = formats;
    g->dpi = dpi;
    sk_buf_init(&g->failures);
    sk_status st = sk_mkdir_p(dir, err);
    if (st) return st;
    if (!on_path("gnuplot")) {
        snprintf(g->missing, sizeof g->missing, "gnuplot not found on PATH (install the Debian package gnuplot-nox)");
        return SK_OK;
    }
    sk_buf out;
    sk_buf_init(&out);
    int rc = run_capture("gnuplot -e 'print GPVAL_TERMINALS' 2>&1", &out);
    const char *t = sk_sb_str(&out);
    const char *need[] = {"pngcairo", "pdfcairo", "svg"};
    const unsigned bit[] = {SK_FMT_PNG, SK_FMT_PDF, SK_FMT_SVG};
    g->available = rc == 0;
    if (rc != 0)
        snprintf(g->missing, sizeof g->missing, "`gnuplot -e 'print GPVAL_TERMINALS'` failed (status %d): %.300s", rc, t);
    for (int i = 0; i < 3 && g->available; i++) {
        if (!(formats & bit[i])) continue;
        char word[32];
        snprintf(word, sizeof word, " %s ", need[i]);
        char padded[8192];
        snprintf(padded, sizeof padded, " %s ", t);
        for (char *q = padded; *q; q++)
            if (*q == '\n' || *q == '\t') *q = ' ';
        if (!strstr(padded, word)) {
            g->available = 0;
            snprintf(g->missing, sizeof g->missing, "this gnuplot has no '%s' terminal (install gnuplot-nox, which has the cairo terminals)", need[i]);
        }
    }
    sk_buf_free(&out);
    return SK_OK;
}

void sk_gp_free(sk_gp *g)
{
    for (int i = 0; i < g->n_outputs; i++) free(g->outputs[i]);
    free(g->outputs);
    free(g->dir);
    sk_buf_free(&g->failures);
    memset(g, 0, sizeof *g);
}

static void terminal(sk_buf *s, unsigned fmt, int dpi, double w_in, double h_in)
{
    if (fmt == SK_FMT_PNG) {
        double scale = dpi / 90.0;
        sk_buf_printf(s, "set terminal pngcairo size %d,%d noenhanced font 'Sans,8' fontscale %.3f linewidth %.3f\n",
                     (int)lround(w_in * dpi), (int)lround(h_in * dpi), scale, scale);
    } else if (fmt == SK_FMT_PDF) {
        sk_buf_printf(s, "set terminal pdfcairo size %.2fin,%.2fin noenhanced font 'Sans,7' linewidth 1\n", w_in, h_in);
    } else {
        sk_buf_printf(s, "set terminal svg size %d,%d noenhanced font 'Sans,8' linewidth 1 background '#ffffff'\n",
                     (int)lround(w_in * 72.0 * 1.25), (int)lround(h_in * 72.0 * 1.25));
    }
}

sk_status sk_gp_figure(sk_gp *g, const char *name, double w_in, double h_in, const sk_buf *data,
                       const char *body, sk_error *err)
{
    static const unsigned fmts[] = {SK_FMT_PNG, SK_FMT_PDF, SK_FMT_SVG};
    static const char *const ext[] = {"png", "pdf", "svg"};
    char fname[512];
    snprintf(fname, sizeof fname, "%s.dat", name);
    char *dat = sk_path_join(g->dir, fname);
    sk_status st = sk_write_file_atomic(dat, data->data ? (const void *)data->data : (const void *)"", data->len, err);
    free(dat);
    if (st) return st;

    sk_buf s;
    sk_buf_init(&s);
    sk_buf_printf(&s, "# %s.gp: written by `skytune report`. Re-render from this directory with: gnuplot %s.gp\n"
                     "# Data: %s.dat (blocks separated by two blank lines; `index` selects one).\n"
                     "reset\nset encoding utf8\n",
                 name, name, name);
    for (int i = 0; i < 3; i++) {
        if (!(g->formats & fmts[i])) continue;
        terminal(&s, fmts[i], g->dpi, w_in, h_in);
        char out[512];
        snprintf(out, sizeof out, "%s.%s", name, ext[i]);
        sk_sb_puts(&s, "set output ");
        sk_esc_gnuplot(&s, out);
        sk_sb_puts(&s, "\n");
        sk_sb_puts(&s, body);
        sk_sb_puts(&s, "unset multiplot\nset output\n");
    }
    snprintf(fname, sizeof fname, "%s.gp", name);
    char *gp = sk_path_join(g->dir, fname);
    st = sk_sb_write(gp, &s, err);
    free(gp);
    sk_buf_free(&s);
    if (st || !g->available) return st;

    sk_buf cmd, out;
    sk_buf_init(&cmd);
    sk_buf_init(&out);
    sk_sb_puts(&cmd, "cd ");
    sk_esc_shell(&cmd, g->dir);
    sk_sb_puts(&cmd, " && gnuplot ");
    sk_esc_shell(&cmd, fname);
    sk_sb_puts(&cmd, " 2>&1");
    int rc = run_capture(sk_sb_str(&cmd), &out);
    const char *msg = sk_sb_str(&out);
    if (rc != 0) {
        g->n_failed++;
        sk_buf_printf(&g->failures, "%s.gp: gnuplot exited with status %d: %s\n", name, rc, *msg ? msg : "(no message)");
        sk_warn("figure %s failed: gnuplot exited with status %d:\n%s", name, rc, msg);
    } else {
        g->n_ok++;
        if (*msg) sk_warn("gnuplot warnings for %s.gp: %.600s%s", name, msg, strlen(msg) > 600 ? " [...]" : "");
        for (int i = 0; i < 3; i++) {
            if (!(g->formats & fmts[i])) continue;
            char o[512];
            snprintf(o, sizeof o, "%s.%s", name, ext[i]);
            g->outputs = sk_xrealloc(g->outputs, (size_t)(g->n_outputs + 1) * sizeof *g->outputs);
            g->outputs[g->n_outputs++] = sk_xstrdup(o);
        }
    }
    sk_buf_free(&cmd);
    sk_buf_free(&out);
    return SK_OK;
}
