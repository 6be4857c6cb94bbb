// LABELS: unit
/* test_suite.c: the strict suite parser, level ranges, the cell grid, --only filters, and the
 * committed suites parse. */
#include "sk_records.h"
#include "sk_test.h"
#include "sk_benchmarks.h"

#include <stdlib.h>
#include <string.h>

static const char *good =
    "# comment\n"
    "[suite]\n"
    "name = t\n"
    "epochs = 3   # trailing comment\n"
    "lr = 1e-3\n"
    "seeds = 1, 2\n"
    "weights = scratch\n"
    "\n"
    "[arch resnet50]\n"
    "levels = 1..11/5, all\n"
    "[arch vgg16]\n"
    "levels = 2\n"
    "input_size = 64\n"
    "weights = imagenet\n";

static void expect_error(const char *text, const char *needle)
{
    sk_suite s;
    sk_error err;
    sk_status st = sk_suite_parse(&s, text, "x.suite", &err);
    CHECKF(st == SK_EFORMAT && strstr(err.msg, needle), "expected error containing '%s', got %d '%s'",
           needle, st, st ? err.msg : "");
}

int main(void)
{
    sk_suite s;
    sk_error err;
    CHECK_OK(sk_suite_parse(&s, good, "good.suite", &err), &err);
    CHECK_STR(s.name, "t");
    CHECK_EQ_INT(s.epochs, 3);
    CHECK_NEAR(s.lr, 1e-3, 1e-15);
    CHECK_EQ_INT(s.nseeds, 2);
    CHECK_EQ_INT(s.batch, 32); /* default = the study's */
    CHECK_EQ_INT(s.weights, SK_WEIGHTS_SCRATCH);
    CHECK_EQ_INT(s.narch, 2);
    CHECK_EQ_INT(s.arch[0].nlevels, 4);
    CHECK(s.arch[0].levels[0] == 1 && s.arch[0].levels[1] == 6 && s.arch[0].levels[2] == 11 &&
          s.arch[0].levels[3] == SK_LEVEL_ALL);
    sk_cell *cells;
    int n = sk_suite_cells(&s, &cells);
    CHECK_EQ_INT(n, 10);
    CHECK_STR(cells[0].id, "resnet50-t1-s1");
    CHECK_STR(cells[1].id, "resnet50-t1-s2");
    CHECK_STR(cells[7].id, "resnet50-tall-s2");
    CHECK_STR(cells[8].id, "vgg16-t2-s1");
    CHECK_EQ_INT(cells[8].input_size, 64);
    CHECK_EQ_INT(cells[0].input_size, 512);
    CHECK_EQ_INT(cells[8].weights, SK_WEIGHTS_IMAGENET);
    CHECK_EQ_INT(cells[0].weights, SK_WEIGHTS_SCRATCH);
    CHECK(sk_cell_matches(&cells[0], "arch=resnet50,level=1"));
    CHECK(!sk_cell_matches(&cells[0], "arch=vgg16"));
    CHECK(sk_cell_matches(&cells[8], "arch=resnet50+vgg16,seed=1"));
    CHECK(sk_cell_matches(&cells[7], "level=all,seed=2"));
    CHECK(sk_cell_matches(&cells[7], "cell=resnet50-tall-s2"));
    CHECK_OK(sk_cell_filter_check("arch=a,level=1", &err), &err);
    CHECK(sk_cell_filter_check("colour=red", &err) == SK_EINVAL);
    CHECK(sk_cell_filter_check("arch", &err) == SK_EINVAL);
    free(cells);

    expect_error("[suite]\nname = t\nbogus = 1\n[arch a]\nlevels=1\n", "unknown key 'bogus'");
    expect_error("[suite]\nname = t\nepochs = 1\nepochs = 2\n[arch a]\nlevels=1\n", "duplicate key 'epochs'");
    expect_error("[suite]\nname = t\nepochs = three\n[arch a]\nlevels=1\n", "x.suite:3: key 'epochs'");
    expect_error("[suite]\nname = t\n[arch a]\nlevels=1\n[arch a]\nlevels=2\n", "duplicate [arch a]");
    expect_error("[suite]\nname = t\n[arch a]\n", "has no levels");
    expect_error("[suite]\nname = t\n[arch a]\nlevels = 0\n", "levels");
    expect_error("[suite]\nname = t\n[arch a]\nlevels = 3,3\n", "distinct levels");
    expect_error("[suite]\nname = t\n[weird]\n", "unknown section");
    expect_error("name = t\n", "outside a section");
    expect_error("[suite]\nname = t\nweights = imagenette\n[arch a]\nlevels=1\n", "scratch, imagenet");
    expect_error("[suite]\nname = t\nweights = imagenet-if-cached\n[arch a]\nlevels=1\n", "was renamed");
    expect_error("[suite]\nname = t\ndata = web\n[arch a]\nlevels=1\n", "synth, file or sdss");
    expect_error("[suite]\nname = t\nsdss_release = dr1x\n[arch a]\nlevels=1\n", "drNN");
    expect_error("[suite]\nname = t\nsdss_top = 0\n[arch a]\nlevels=1\n", "key 'sdss_top'");
    expect_error("[suite]\nname = t\nlr = nan\n[arch a]\nlevels=1\n", "key 'lr'");
    expect_error("[suite]\nname = t\n", "no [arch ID]");

    /* The committed suites parse and expand to the expected grids. */
    const char *names[] = {"paper", "quick", "smoke"};
    for (size_t i = 0; i < SK_ARRAY_LEN(names); i++) {
        char path[4096];
        CHECK_OK(sk_suite_resolve(path, sizeof path, names[i], &err), &err);
        CHECK_OK(sk_suite_load(&s, path, &err), &err);
        CHECK_STR(s.name, names[i]);
    }
    char path[4096];
    if (sk_suite_resolve(path, sizeof path, "paper", &err) == SK_OK &&
        sk_suite_load(&s, path, &err) == SK_OK) {
        int m = sk_suite_cells(&s, &cells);
        /* levels + full per PROTOCOL.md: 11+11+15+15+15+11+11 = 89 per seed, 3 seeds. */
        CHECK_EQ_INT(m, 89 * 3);
        CHECK_EQ_INT(s.narch, 7);
        /* the study's data: SkyServer DR16, 1000 objects, ImgCutout 2048 px at 0.01"/px, 512 px */
        CHECK_STR(s.data, "sdss");
        CHECK_STR(s.sdss_release, "dr16");
        CHECK(s.sdss_top == 1000 && s.cutout_size == 2048 && s.cutout_scale == 0.01 && s.pack_size == 512);
        CHECK(s.weights == SK_WEIGHTS_IMAGENET && s.split_seed == 123 && s.val_fraction == 0.2);
        free(cells);
    }
    CHECK(sk_suite_resolve(path, sizeof path, "no-such-suite", &err) == SK_ENOTFOUND);
    return sk_test_finish();
}
