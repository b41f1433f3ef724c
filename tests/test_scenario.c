/* test_scenario.c — scenario files: settings, claims, and errors that name
 * the file, line and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/scenario.h"

static char dir[] = "/tmp/test_scenario.XXXXXX";

static const char *write_file(const char *name, const char *text) {
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs(text, out);
    fclose(out);
    return path;
}

/* Loading text must fail with "FILE:where" and fragment in the message. */
static void load_fails(const char *text, const char *where, const char *fragment) {
    struct scenario sc;
    char err[512], expected[300];
    const char *path = write_file("bad.ini", text);
    assert_int_equal(scenario_load(path, &sc, err, sizeof(err)), -1);
    snprintf(expected, sizeof(expected), "%s:%s: ", path, where);
    if (strncmp(err, expected, strlen(expected)) != 0 || !strstr(err, fragment))
        print_error("got '%s'; expected '%s' ... '%s'\n", err, expected, fragment);
    assert_true(strncmp(err, expected, strlen(expected)) == 0);
    assert_non_null(strstr(err, fragment));
}

static const char good[] = "; a comment\n"
                           "[scenario]\n"
                           "description = \"Waits, then\n"
                           "   answers.\"\n"
                           "mix = /hello:9,/cpu?us=100:1\n"
                           "models = node, gunicorn-sync uvicorn\n"
                           "connections = 4 16 64\n"
                           "duration = 2s\n"
                           "warmup = 250ms\n"
                           "repeat = 5\n"
                           "pin = no\n"
                           "server_args = --switch-interval 1ms\n"
                           "[quick]\n"
                           "connections = 16\n"
                           "repeat = 1\n"
                           "[model uvicorn]\n"
                           "args = --backlog 100\n"
                           "[claim loop]\n"
                           "quote = \"it is fast\"\n"
                           "source = a.txt\n"
                           "expect = p99(node, path=/hello) <=\n"
                           "    2 * p99(uvicorn, path=/hello) at connections=16\n"
                           "required = yes\n";

static void test_settings_quick_defaults_and_model_args(void **state) {
    (void)state;
    struct scenario sc;
    char err[512] = "";
    int rc = scenario_load(write_file("mixy.ini", good), &sc, err, sizeof(err));
    if (rc)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_string_equal(sc.name, "mixy");
    assert_string_equal(sc.description, "Waits, then answers.");
    assert_true(sc.is_mix);
    assert_int_equal(sc.nmodels, 3);
    assert_string_equal(sc.models[1].name, "gunicorn-sync");
    assert_string_equal(sc.models[2].args, "--backlog 100");
    assert_null(sc.models[0].args);
    assert_int_equal(sc.full.nlevels, 3);
    assert_int_equal(sc.full.connections[2], 64);
    assert_int_equal(sc.full.duration_us, 2000000);
    assert_int_equal(sc.full.warmup_us, 250000);
    assert_int_equal(sc.full.repeat, 5);
    assert_int_equal(sc.quick.nlevels, 1);
    assert_int_equal(sc.quick.repeat, 1);
    assert_int_equal(sc.quick.duration_us, 2000000); /* not given: the full setting */
    assert_false(sc.is_pinned);
    assert_string_equal(sc.server_args, "--switch-interval 1ms");
    assert_int_equal(sc.nclaims, 1);
    assert_string_equal(sc.claims[0].quote, "it is fast");
    assert_true(sc.claims[0].is_required);
    assert_string_equal(sc.claims[0].text, "p99(node, path=/hello) <= 2 * p99(uvicorn, "
                                           "path=/hello) at connections=16");
    assert_true(scenario_has_path(&sc, "/hello"));
    assert_true(scenario_has_path(&sc, "/cpu?us=100"));
    assert_false(scenario_has_path(&sc, "/cpu"));
    assert_true(scenario_is_main_path(&sc, "/hello:9,/cpu?us=100:1"));
    assert_false(scenario_is_main_path(&sc, "/hello"));
    scenario_free(&sc);
}

static void test_errors_name_line_and_column(void **state) {
    (void)state;
    load_fails("[scenario]\npath = /x\nmodels = node\nconnections = 1\nspeed = 3\n", "5",
               "unknown key 'speed' in [scenario]");
    load_fails("[scenario]\npath = /x\n[extra]\na = 1\n", "4", "unknown section [extra]");
    load_fails("[scenario]\npath = /x\nconnections = 4 x 8\n", "3:17", "'x'");
    load_fails("[scenario]\npath = x\n", "2:8", "starting with '/'");
    load_fails("[scenario]\nmodels = node\nconnections = 1\n", "1", "needs path");
    load_fails("[scenario]\npath = /x\nmodels = node\nconnections = 1\nduration = soon\n", "5:12",
               "duration");
    load_fails("[scenario]\npath = /x\nmodels = node\nconnections = 1\nthis is not ini\n", "5",
               "not an ini line");
    /* Claims: the column of the fault inside the expect, in the file. */
    load_fails("[scenario]\npath = /x\nmodels = node\nconnections = 1\n[claim c]\n"
               "expect = rps(node) >= rsp(node)\n",
               "6:23", "unknown metric 'rsp'");
    load_fails("[scenario]\npath = /x\nmodels = node\nconnections = 1\n[claim c]\n"
               "expect = rps(node) >=\n  2 * rps(uvicorn)\n",
               "7:7", "model 'uvicorn' is not in this scenario's models");
    load_fails("[scenario]\npath = /x\nmodels = node\nconnections = 1 8\n[claim c]\n"
               "expect = rps(node) >= 1\n",
               "6:10", "say which level");
    load_fails("[scenario]\npath = /x\nmodels = node\nconnections = 1 8\n[quick]\n"
               "connections = 1\n[claim c]\nexpect = rps(node) >= 1 at connections=8\n",
               "8:10", "not measured by both");
    load_fails("[scenario]\npath = /x\nmodels = node\nconnections = 1\n[claim c]\n"
               "expect = p99(node, path=/y) >= 1\n",
               "6:10", "not a path of this scenario");
    load_fails("[scenario]\npath = /x\nmodels = node\nconnections = 1\n[claim c]\nquote = q\n", "5",
               "needs expect");
    load_fails("[scenario]\npath = /x\nmodels = node\nconnections = 1\n[claim c]\n"
               "required = maybe\n",
               "6:12", "yes or no");
    char long_line[400];
    snprintf(long_line, sizeof(long_line), "[scenario]\ndescription = %0300d\n", 0);
    load_fails(long_line, "2", "continue the value on indented lines");
}

static void test_slo_key_is_a_latency_goal_and_capacity_needs_no_level(void **state) {
    (void)state;
    struct scenario sc;
    char err[512] = "";
    const char *path = write_file("bad.ini", "[scenario]\npath = /x\nmodels = node gunicorn-sync\n"
                                             "connections = 1 8\nslo = p999 < 1.5s\n"
                                             "[claim c]\nquote = q\njudge = model\nreason = r\n"
                                             "expect = capacity(node) >= "
                                             "2 * capacity(gunicorn-sync)\n");
    int rc = scenario_load(path, &sc, err, sizeof(err));
    if (rc)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_true(sc.has_slo);
    assert_int_equal(sc.slo.metric, EX_P999);
    assert_true(sc.slo.is_strict);
    assert_float_equal(sc.slo.limit_us, 1.5e6, 1e-6);
    assert_true(slo_is_met(&sc.slo, 1.4e6));
    assert_false(slo_is_met(&sc.slo, 1.5e6));
    assert_int_equal(sc.claims[0].expr.left.terms[0].call.metric, EX_CAPACITY);
    scenario_free(&sc);

    static const char head[] = "[scenario]\npath = /x\nmodels = node\nconnections = 1\n";
    char text[256];
    snprintf(text, sizeof(text), "%sslo = p99<=fast\n", head);
    load_fails(text, "5:12", "slo 'p99<=fast'");
    snprintf(text, sizeof(text), "%sslo = q99<=5ms\n", head);
    load_fails(text, "5:7", "a latency goal such as p99<=50ms");
    snprintf(text, sizeof(text), "%sslo = p99<=50\n", head);
    load_fails(text, "5:12", "with its unit");
    snprintf(text, sizeof(text), "%sslo = p99 = 50ms\n", head);
    load_fails(text, "5:11", "<= or <");
    snprintf(text, sizeof(text), "%sslo = p99<=50ms or so\n", head);
    load_fails(text, "5:17", "unexpected text");
}

/* A claim's two verdicts: what judge, reason, stated and quote must be. */
static void test_claims_judged_twice_and_their_errors(void **state) {
    (void)state;
    static const char head[] = "[scenario]\npath = /x\nmodels = node python-nogil uvicorn\n"
                               "connections = 1\n[claim c]\n";
    char text[1024];
    struct scenario sc;
    char err[512] = "";
    /* Judged on both: the twin replaces every model. */
    snprintf(text, sizeof(text),
             "%squote = \"q\"\nexpect = rps(node) >= 1.2 * rps(uvicorn)\n"
             "stated = 1.2..1.3\n",
             head);
    int rc = scenario_load(write_file("twin.ini", text), &sc, err, sizeof(err));
    if (rc)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_true(sc_judges_model(&sc.claims[0]) && sc_judges_real(&sc.claims[0]));
    assert_string_equal(sc.claims[0].real.left.terms[0].call.model, "real-node");
    assert_string_equal(sc.claims[0].real.right.terms[1].call.model, "real-uvicorn");
    assert_true(sc.claims[0].has_stated && sc.claims[0].stated.hi == 1.3);
    scenario_free(&sc);
    /* judge = real may name a real runtime whose twin is in the models. */
    snprintf(text, sizeof(text),
             "%squote = q\njudge = real\nreason = a framework\n"
             "expect = rps(real-fastapi) >= rps(node)\n",
             head);
    assert_int_equal(scenario_load(write_file("real.ini", text), &sc, err, sizeof(err)), 0);
    assert_false(sc_judges_model(&sc.claims[0]));
    assert_string_equal(sc.claims[0].real.right.terms[0].call.model, "real-node");
    scenario_free(&sc);

    /* A model with no real twin, where one is needed: its column. */
    snprintf(text, sizeof(text), "%squote = q\nexpect = rps(node) >= rps(python-nogil)\n", head);
    load_fails(text, "7:23", "model 'python-nogil' has no real twin");
    /* An unknown stated form: the column inside the value. */
    snprintf(text, sizeof(text), "%squote = q\nexpect = rps(node) >= 1\nstated = 20-30%%\n", head);
    load_fails(text, "8:12", "stated: expected the ratio the article states");
    /* An empty quote, and none at all. */
    snprintf(text, sizeof(text), "%squote = \"\"\nexpect = rps(node) >= 1\n", head);
    load_fails(text, "6:9", "needs quote");
    snprintf(text, sizeof(text), "%sexpect = rps(node) >= 1\n", head);
    load_fails(text, "5", "needs quote");
    /* One side only needs a reason; a real runtime is never required and
     * never named by a claim judged on the models. */
    snprintf(text, sizeof(text), "%squote = q\njudge = model\nexpect = rps(node) >= 1\n", head);
    load_fails(text, "5", "say why in reason");
    snprintf(text, sizeof(text),
             "%squote = q\njudge = real\nreason = r\nrequired = yes\n"
             "expect = rps(node) >= 1\n",
             head);
    load_fails(text, "5", "never required");
    snprintf(text, sizeof(text), "%squote = q\nexpect = rps(node) >= rps(real-uvicorn)\n", head);
    load_fails(text, "7:23", "'real-uvicorn' is a real runtime");
    snprintf(text, sizeof(text), "%squote = q\njudge = sometimes\nexpect = rps(node) >= 1\n", head);
    load_fails(text, "7:9", "judge: expected both, model or real");
    /* inih would cut the name at 49 characters and two claims could merge. */
    load_fails("[scenario]\npath = /x\nmodels = node\nconnections = 1\n"
               "[claim S21-node-serves-many-connections-with-few-resources]\n",
               "5", "at most 49 characters");
}

static void test_missing_file_is_named(void **state) {
    (void)state;
    struct scenario sc;
    char err[512];
    assert_int_equal(scenario_load("/nonexistent/x.ini", &sc, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent/x.ini"));
}

/* Every scenario shipped in scenarios/ loads (tests run from the top of the
 * tree), and each of the suite's has a claim: calibrate.ini is bin/bench
 * calibrate's load, which the suite leaves out (Makefile, SCENARIOS). */
static void test_shipped_scenarios_load(void **state) {
    (void)state;
    glob_t g;
    assert_int_equal(glob("scenarios/*.ini", 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 6);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct scenario sc;
        char err[512] = "";
        int rc = scenario_load(g.gl_pathv[i], &sc, err, sizeof(err));
        if (rc)
            print_error("%s\n", err);
        assert_int_equal(rc, 0);
        assert_true(sc.nclaims >= 1 || !strcmp(sc.name, "calibrate"));
        scenario_free(&sc);
    }
    globfree(&g);
}

static int setup(void **state) {
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    char path[300];
    (void)state;
    snprintf(path, sizeof(path), "%s/bad.ini", dir);
    unlink(path);
    static const char *const files[] = {"mixy.ini", "twin.ini", "real.ini"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    return rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settings_quick_defaults_and_model_args),
        cmocka_unit_test(test_errors_name_line_and_column),
        cmocka_unit_test(test_slo_key_is_a_latency_goal_and_capacity_needs_no_level),
        cmocka_unit_test(test_claims_judged_twice_and_their_errors),
        cmocka_unit_test(test_missing_file_is_named),
        cmocka_unit_test(test_shipped_scenarios_load),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
