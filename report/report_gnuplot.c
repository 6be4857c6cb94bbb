/* report_gnuplot.c: writing gnuplot scripts, running gnuplot as a child that dies with us, and
 * landing its figures atomically after checking them (see report_gnuplot.h). */
#include "report_gnuplot.h"

#include "sk_base.h"
#include "report_text.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

extern char **environ;

#define MAX_CAPTURE (1u << 20)

static const unsigned FMTS[3] = {SK_FMT_PNG, SK_FMT_PDF, SK_FMT_SVG};
static const char *const EXT[3] = {"png", "pdf", "svg"};

/* The environment for gnuplot: ours with TZ=UTC0 (cairo dates its PDFs in local time). NULL-
 * terminated, malloc'ed (the strings are borrowed). */
static char **child_env(void)
{
    size_t n = 0;
    while (environ && environ[n]) n++;
    char **env = sk_xcalloc(n + 2, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "TZ=", 3) != 0) env[k++] = environ[i];
    env[k++] = "TZ=UTC0";
    env[k] = NULL;
    return env;
}

/* Runs argv[0] (a full path) with argv in dir, stdin from /dev/null, stdout and stderr captured
 * into out (at most MAX_CAPTURE bytes kept). The child stays in our process group (a Ctrl-C or
 * a group kill reaches it) and is killed when we die (PR_SET_PDEATHSIG). Returns its exit
 * status, 128 + the signal that killed it, or -1 if it could not be started. */
static int run_child(char *const argv[], const char *dir, sk_buf *out)
{
    int pfd[2];
    if (pipe(pfd) != 0) return -1;
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    char **env = child_env();
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        if (getppid() != parent) _exit(126); /* we died before prctl took effect */
        if ((dir && chdir(dir) != 0) || devnull < 0 || dup2(devnull, 0) < 0 || dup2(pfd[1], 1) < 0 ||
            dup2(pfd[1], 2) < 0)
            _exit(126);
        execve(argv[0], argv, env);
        _exit(127);
    }
    free(env);
    if (devnull >= 0) close(devnull);
    close(pfd[1]);
    if (pid < 0) {
        close(pfd[0]);
        return -1;
    }
    char chunk[4096];
    for (;;) {
        ssize_t r = read(pfd[0], chunk, sizeof chunk);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        if (out->len < MAX_CAPTURE) sk_buf_put_bytes(out, chunk, (size_t)r);
    }
    close(pfd[0]);
    sk_buf_put_u8(out, 0);
    out->len--;
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Full path of prog on PATH into buf; 0 when found. */
static int find_on_path(const char *prog, char *buf, size_t cap)
{
    const char *path = getenv("PATH");
    for (const char *p = path; p && *p;) {
        const char *c = strchr(p, ':');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        if (len > 0 && len + strlen(prog) + 2 < cap) {
            memcpy(buf, p, len);
            buf[len] = '/';
            strcpy(buf + len + 1, prog);
            if (access(buf, X_OK) == 0) return 0;
        }
        if (!c) break;
        p = c + 1;
    }
    return -1;
}

/* "D:YYYYMMDDHHMMSS" of SOURCE_DATE_EPOCH when it is a valid decimal, else of 0. */
static void pdf_date(char *out, size_t cap)
{
    const char *e = getenv("SOURCE_DATE_EPOCH");
    long long t = 0;
    if (e && *e) {
        char *end;
        errno = 0;
        long long v = strtoll(e, &end, 10);
        if (*end || errno || v < 0 || v > 253402300799LL)
            sk_warn("SOURCE_DATE_EPOCH=\"%.40s\" is not seconds since 1970 (0..253402300799); PDFs are "
                    "dated 1970-01-01", e);
        else
            t = v;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    char buf[64];
    snprintf(buf, sizeof buf, "D:%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
    snprintf(out, cap, "%.16s", buf);
}

sk_status sk_gp_init(sk_gp *g, const char *dir, unsigned formats, int dpi, sk_error *err)
{
    memset(g, 0, sizeof *g);
    g->dir = sk_xstrdup(dir);
    g->formats = formats;
    g->dpi = dpi;
    sk_buf_init(&g->failures);
    pdf_date(g->pdf_date, sizeof g->pdf_date);
    sk_status st = sk_mkdir_p(dir, err);
    if (st) return st;
    struct stat lst;
    if (lstat(dir, &lst) == 0 && S_ISLNK(lst.st_mode)) /* never write figures out through a link */
        return sk_error_set(err, SK_EIO, "%s: is a symbolic link; refusing to write figures through it", dir);
    sk_tmp_clean_stale(dir, NULL); /* figures a killed run was rendering */
    if (find_on_path("gnuplot", g->gnuplot, sizeof g->gnuplot) != 0) {
        snprintf(g->missing, sizeof g->missing, "gnuplot not found on PATH (install the Debian package gnuplot-nox)");
        return SK_OK;
    }
    sk_buf out;
    sk_buf_init(&out);
    char *argv[] = {g->gnuplot, "-e", "print GPVAL_TERMINALS", NULL};
    int rc = run_child(argv, NULL, &out);
    const char *t = sk_sb_str(&out);
    const char *need[] = {"pngcairo", "pdfcairo", "svg"};
    g->available = rc == 0;
    if (rc != 0)
        snprintf(g->missing, sizeof g->missing, "`gnuplot -e 'print GPVAL_TERMINALS'` failed (status %d): %.300s", rc, t);
    for (int i = 0; i < 3 && g->available; i++) {
        if (!(formats & FMTS[i])) continue;
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

/* ---- checking a rendered figure ---- */

/* First occurrence of needle[0..k) in d[0..n), or NULL. */
static const uint8_t *find_bytes(const uint8_t *d, size_t n, const char *needle, size_t k)
{
    for (size_t i = 0; k <= n && i <= n - k; i++)
        if (d[i] == (uint8_t)needle[0] && memcmp(d + i, needle, k) == 0) return d + i;
    return NULL;
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* Last non-whitespace byte + 1. */
static size_t trimmed_len(const uint8_t *d, size_t n)
{
    while (n && (d[n - 1] == '\n' || d[n - 1] == '\r' || d[n - 1] == ' ' || d[n - 1] == '\t')) n--;
    return n;
}

const char *sk_gp_check_figure(const uint8_t *d, size_t n, unsigned fmt)
{
    if (n == 0) return "empty file";
    if (fmt == SK_FMT_PNG) {
        static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        if (n < 8 || memcmp(d, sig, 8) != 0) return "no PNG signature";
        for (size_t at = 8; at + 12 <= n;) {
            uint32_t len = be32(d + at);
            if (len > n - at - 12) return "truncated PNG (a chunk runs past the end of the file)";
            if (!memcmp(d + at + 4, "IEND", 4)) return at + 12 == n ? NULL : "bytes after the PNG's IEND chunk";
            at += 12 + (size_t)len;
        }
        return "truncated PNG (no IEND chunk)";
    }
    size_t t = trimmed_len(d, n);
    if (fmt == SK_FMT_PDF) {
        if (n < 5 || memcmp(d, "%PDF-", 5) != 0) return "no %PDF- header";
        if (t < 5 || memcmp(d + t - 5, "%%EOF", 5) != 0) return "truncated PDF (no %%EOF at the end)";
        return NULL;
    }
    static const char close_tag[] = "</svg>";
    if (!find_bytes(d, n < 512 ? n : 512, "<svg", 4)) return "no <svg element at the start";
    if (t < 6 || memcmp(d + t - 6, close_tag, 6) != 0) return "truncated SVG (no closing </svg>)";
    return NULL;
}

/* Sets every "/CreationDate (D:" and "/ModDate (D:" date to date (same length: the cross-reference
 * offsets stay valid). */
static void fix_pdf_dates(uint8_t *d, size_t n, const char *date)
{
    static const char *const keys[2] = {"/CreationDate (D:", "/ModDate (D:"};
    for (int k = 0; k < 2; k++) {
        size_t kl = strlen(keys[k]);
        for (uint8_t *p = d; (p = (uint8_t *)find_bytes(p, n - (size_t)(p - d), keys[k], kl)) != NULL; p += kl) {
            uint8_t *v = p + kl - 2; /* "D:" */
            size_t have = 0;
            while (v + 2 + have < d + n && have < 14 && v[2 + have] >= '0' && v[2 + have] <= '9') have++;
            if (have == 14) memcpy(v, date, 16);
        }
    }
}

/* Reads tmp, checks it, fixes PDF dates, writes it back (fsync) and renames it to final. NULL
 * when landed; else why not (tmp is left for the caller to remove). */
static const char *land(const sk_gp *g, const char *tmp, const char *final, unsigned fmt, char *why, size_t cap)
{
    uint8_t *d = NULL;
    size_t n = 0;
    sk_error e;
    if (sk_read_file(tmp, &d, &n, (size_t)1 << 30, &e) != SK_OK) {
        snprintf(why, cap, "gnuplot wrote no file (%.200s)", e.msg);
        return why;
    }
    const char *bad = sk_gp_check_figure(d, n, fmt);
    if (bad) {
        snprintf(why, cap, "gnuplot wrote an incomplete file: %s (%zu bytes; a full disk?)", bad, n);
        free(d);
        return why;
    }
    sk_status st = SK_OK;
    if (fmt == SK_FMT_PDF) {
        fix_pdf_dates(d, n, g->pdf_date);
        st = sk_write_file_atomic(tmp, d, n, &e); /* tmp.tmp.<pid> -> tmp, fsync'ed */
    } else {
        int fd = open(tmp, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            if (fsync(fd) != 0) st = sk_error_set(&e, SK_EIO, "fsync: %s", strerror(errno));
            close(fd);
        }
    }
    free(d);
    if (!st && rename(tmp, final) != 0) st = sk_error_set(&e, SK_EIO, "rename: %s", strerror(errno));
    if (st) {
        snprintf(why, cap, "%.300s", e.msg);
        return why;
    }
    return NULL;
}

static void fail(sk_gp *g, const char *name, const char *what, const char *msg)
{
    g->n_failed++;
    sk_buf_printf(&g->failures, "%s%s: %s\n", name, what, msg);
    sk_warn("figure %s failed: %s%s: %s", name, name, what, msg);
}

/* Runs gnuplot on NAME.gp with the outputs set to temporary names, then checks and lands each. */
static void render(sk_gp *g, const char *name, const char *gp_file)
{
    char tmp[3][600], fin[3][540];
    sk_buf vars, out;
    sk_buf_init(&vars);
    sk_buf_init(&out);
    for (int i = 0; i < 3; i++) {
        if (!(g->formats & FMTS[i])) continue;
        snprintf(fin[i], sizeof fin[i], "%.500s.%s", name, EXT[i]);
        snprintf(tmp[i], sizeof tmp[i], "%.520s.tmp.%ld", fin[i], (long)getpid());
        sk_buf_printf(&vars, "out_%s = ", EXT[i]);
        sk_esc_gnuplot(&vars, tmp[i]);
        sk_sb_puts(&vars, "; ");
    }
    char *argv[] = {g->gnuplot, "-e", (char *)sk_sb_str(&vars), (char *)gp_file, NULL};
    int rc = run_child(argv, g->dir, &out);
    const char *msg = sk_sb_str(&out);
    int ok = rc == 0;
    if (!ok) {
        char head[64];
        snprintf(head, sizeof head, ".gp: gnuplot exited with status %d", rc);
        fail(g, name, head, *msg ? msg : "(no message)");
    } else if (*msg) {
        sk_warn("gnuplot warnings for %s.gp: %.600s%s", name, msg, strlen(msg) > 600 ? " [...]" : "");
    }
    for (int i = 0; i < 3; i++) {
        if (!(g->formats & FMTS[i])) continue;
        char *t = sk_path_join(g->dir, tmp[i]), *f = sk_path_join(g->dir, fin[i]);
        char why[400];
        const char *bad = ok ? land(g, t, f, FMTS[i], why, sizeof why) : "";
        if (bad && ok) {
            char what[32];
            snprintf(what, sizeof what, ".%s", EXT[i]);
            fail(g, name, what, bad);
            ok = 0;
        }
        if (bad) unlink(t);
        if (!bad) {
            g->outputs = sk_xrealloc(g->outputs, (size_t)(g->n_outputs + 1) * sizeof *g->outputs);
            g->outputs[g->n_outputs++] = sk_xstrdup(fin[i]);
        }
        free(t);
        free(f);
    }
    if (ok) g->n_ok++;
    sk_fsync_dir(g->dir);
    sk_buf_free(&vars);
    sk_buf_free(&out);
}

sk_status sk_gp_figure(sk_gp *g, const char *name, double w_in, double h_in, const sk_buf *data,
                       const char *body, sk_error *err)
{
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
                     "# skytune sets out_png/out_pdf/out_svg to temporary names and renames the checked files.\n"
                     "reset\nset encoding utf8\n",
                 name, name, name);
    for (int i = 0; i < 3; i++) {
        if (!(g->formats & FMTS[i])) continue;
        char out[512];
        snprintf(out, sizeof out, "%s.%s", name, EXT[i]);
        sk_buf_printf(&s, "if (!exists(\"out_%s\")) out_%s = ", EXT[i], EXT[i]);
        sk_esc_gnuplot(&s, out);
        sk_sb_puts(&s, "\n");
    }
    for (int i = 0; i < 3; i++) {
        if (!(g->formats & FMTS[i])) continue;
        terminal(&s, FMTS[i], g->dpi, w_in, h_in);
        sk_buf_printf(&s, "set output out_%s\n", EXT[i]);
        sk_sb_puts(&s, body);
        sk_sb_puts(&s, "unset multiplot\nset output\n");
    }
    snprintf(fname, sizeof fname, "%s.gp", name);
    char *gp = sk_path_join(g->dir, fname);
    st = sk_sb_write(gp, &s, err);
    free(gp);
    sk_buf_free(&s);
    if (st || !g->available) return st;
    render(g, name, fname);
    return SK_OK;
}
