// LABELS: fetch
// LIBS: sk_dataset
/* test_query.c: the SkyServer SQL query against the local server: a canned SkyServer CSV
 * (#Table1 line) is validated and written without that line, the request carries the study's
 * SQL, an HTML error page or a wrong header is refused and nothing is written, a retry after a
 * 500 respects the 1 request/s limit, and the CLI maps outcomes to exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "sk_dataset.h"
#include "sk_base.h"
#include "http_server.h"
#include "sk_test.h"

static const char CSV_BODY[] =
    "objid,ra,dec,u,g,r,i,z,run,rerun,camcol,field,fiberMag_g,specobjid,class,redshift,plate,mjd,fiberid\n"
    "1237648704577142822,183.5313256941,0.0896930301,19.47406,17.0424,15.94699,15.50342,15.22531,752,301,4,267,17.3,3722360139651588096,STAR,-0.000008956,3306,54922,491\n"
    "1237648704577208350,183.6802074411,0.1261850923,19.38298,18.19169,17.47428,17.08732,16.80125,752,301,4,268,18.6,323274319570429952,GALAXY,0.1231112,287,52023,513\n"
    "1237648705114144867,184.2347791112,0.4021357921,20.1,19.8,19.6,19.5,19.4,752,301,5,270,20.2,331101451324950528,QSO,1.8421,294,51986,101\n";

static void query_opts(sk_query_opts *o, const sk_test_server *srv, const char *release, const char *out)
{
    sk_query_opts_default(o);
    o->base_url = sk_test_server_url(srv);
    o->release = release;
    o->top = 3;
    o->where = "s.class = 'QSO' OR s.z < 0.5";
    o->out_path = out;
    o->http.timeout_s = 5.0;
    o->http.stall_s = 5.0;
    o->http.backoff_base_s = 0.01;
}

static int run_cli(const char *exe, const char *url, const char *release, const char *out)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' --quiet dataset query --release %s --top 3 --base-url %s --out '%s' 2>/dev/null",
             exe, release, url, out);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void)
{
    sk_log_set_level(SK_LOG_ERROR);
    char *sql = sk_query_sql(1000, NULL);
    CHECK_STR(sql, "SELECT TOP 1000 p.objid, p.ra, p.dec, p.u, p.g, p.r, p.i, p.z, p.run, p.rerun, p.camcol, "
                   "p.field, p.fiberMag_g, s.specobjid, s.class, s.z as redshift, s.plate, s.mjd, s.fiberid "
                   "FROM PhotoObj AS p JOIN SpecObj AS s ON s.bestobjid = p.objid WHERE s.zWarning = 0");
    free(sql);

    sk_test_server *srv = sk_test_server_start();
    if (!srv) {
        printf("SKIPPED: cannot start a server on 127.0.0.1\n");
        return 77;
    }
    char *dir = sk_test_tmpdir("query");
    char body[4096];
    snprintf(body, sizeof body, "#Table1\n%s", CSV_BODY);
    sk_test_server_canned(srv, "/dr16/SkyServerWS/SearchTools/SqlSearch?cmd=", 200, "text/plain", body);
    sk_test_server_canned(srv, "/dr15/SkyServerWS/SearchTools/SqlSearch?cmd=", 200, "text/html",
                          "<!DOCTYPE html><html><body><h1>Error</h1><p>Incorrect syntax near 'TOPP'.</p></body></html>");
    sk_test_server_canned(srv, "/dr14/SkyServerWS/SearchTools/SqlSearch?cmd=", 200, "text/plain",
                          "#Table1\nobjid,ra,dec\n1,2,3\n");
    sk_test_server_canned(srv, "/dr13/SkyServerWS/SearchTools/SqlSearch?cmd=", 200, "text/plain", body);
    sk_test_server_fault(srv, "/dr13/", SK_FAULT_500, 1, 0);

    /* good answer */
    char *out = sk_path_join(dir, "catalog.csv");
    sk_query_opts o;
    query_opts(&o, srv, "dr16", out);
    sk_catalog cat;
    sk_error err;
    CHECK_OK(sk_query_run(&o, &cat, &err), &err);
    CHECK_EQ_INT(cat.n, 3);
    CHECK(cat.format == SK_CATALOG_STUDY19);
    CHECK_EQ_INT(cat.n_class[SK_CLASS_QSO], 1);
    sk_catalog_free(&cat);
    uint8_t *data;
    size_t n;
    CHECK_OK(sk_read_file(out, &data, &n, 1 << 20, &err), &err);
    CHECK(n == strlen(CSV_BODY) && memcmp(data, CSV_BODY, n) == 0);
    free(data);
    char target[4096];
    CHECK(sk_test_server_last_target(srv, "/dr16/", target, sizeof target) == 0);
    CHECK(strstr(target, "/dr16/SkyServerWS/SearchTools/SqlSearch?cmd=SELECT TOP 3 p.objid, p.ra,") != NULL);
    CHECK(strstr(target, "p.fiberMag_g, s.specobjid, s.class, s.z as redshift") != NULL);
    CHECK(strstr(target, "FROM PhotoObj AS p JOIN SpecObj AS s ON s.bestobjid = p.objid WHERE s.class = 'QSO' OR s.z < 0.5&format=csv") != NULL);
    CHECK(sk_catalog_read(&cat, out, &err) == SK_OK && cat.n == 3);
    sk_catalog_free(&cat);

    /* HTML error page with status 200: refused, nothing written */
    char *out2 = sk_path_join(dir, "html.csv");
    query_opts(&o, srv, "dr15", out2);
    sk_status st = sk_query_run(&o, &cat, &err);
    CHECK(st == SK_EHTTP);
    CHECKF(strstr(err.msg, "HTML") && strstr(err.msg, "Incorrect syntax near 'TOPP'"), "message: %s", err.msg);
    CHECK(!sk_file_exists(out2));
    CHECK_EQ_INT(sk_test_server_count(srv, "/dr15/"), 1); /* a bad answer is not retried */

    /* wrong columns: refused */
    char *out3 = sk_path_join(dir, "cols.csv");
    query_opts(&o, srv, "dr14", out3);
    st = sk_query_run(&o, &cat, &err);
    CHECK(st == SK_EFORMAT);
    CHECKF(strstr(err.msg, "expected the header") != NULL, "message: %s", err.msg);
    CHECK(!sk_file_exists(out3));

    /* a 500 then success: retried no sooner than the 1 request/s limit allows */
    char *out4 = sk_path_join(dir, "retry.csv");
    query_opts(&o, srv, "dr13", out4);
    CHECK_OK(sk_query_run(&o, &cat, &err), &err);
    CHECK_EQ_INT(cat.n, 3);
    sk_catalog_free(&cat);
    double t[4];
    CHECK_EQ_INT(sk_test_server_times(srv, "/dr13/", t, 4), 2);
    CHECKF(t[1] - t[0] >= 0.9, "retry %.3f s after the first request (limit 1/s)", t[1] - t[0]);

    /* validation alone */
    size_t start = 0;
    CHECK_OK(sk_query_validate(body, strlen(body), &start, &cat, &err), &err);
    CHECK_EQ_INT(start, 8);
    sk_catalog_free(&cat);
    const char *badrow = "#Table1\nobjid,ra,dec,u,g,r,i,z,run,rerun,camcol,field,fiberMag_g,specobjid,class,redshift,plate,mjd,fiberid\n"
                         "1,500,0,1,1,1,1,1,1,301,1,1,1,1,STAR,0,1,1,1\n";
    CHECK(sk_query_validate(badrow, strlen(badrow), &start, &cat, &err) == SK_EFORMAT);
    CHECKF(strstr(err.msg, "line 2: ra '500'") != NULL, "message: %s", err.msg);

    /* the command line */
    const char *exe = getenv("SKYTUNE");
    if (exe && exe[0]) {
        char *out5 = sk_path_join(dir, "cli.csv");
        CHECK_EQ_INT(run_cli(exe, sk_test_server_url(srv), "dr16", out5), 0);
        CHECK(sk_file_exists(out5));
        char *out6 = sk_path_join(dir, "cli_html.csv");
        CHECK_EQ_INT(run_cli(exe, sk_test_server_url(srv), "dr15", out6), 1);
        CHECK(!sk_file_exists(out6));
        free(out5);
        free(out6);
    } else {
        printf("note: SKYTUNE not set, CLI part skipped\n");
    }
    sk_test_server_stop(srv);
    free(out);
    free(out2);
    free(out3);
    free(out4);
    free(dir);
    return sk_test_finish();
}
