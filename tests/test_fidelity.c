/* test_fidelity.c — shapes of a C model beside its real runtime, and peer
 * command lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/peers.h"
#include "bench/results.h"
#include "bench/scenario_table.h"

static char dir[] = "/tmp/test_fidelity.XXXXXX";
static char csv[4096];

static void write_file(const char *name, const char *text) {
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs(text, out);
    fclose(out);
}

/* One results row: only what the shapes read is set; cost_us is the
 * runtime cost the model ran with (0: none). */
static void add_row_cost(FILE *out, const char *scenario, const char *model, const char *path,
                         unsigned connections, unsigned repeat, double rps, double p99_us,
                         unsigned cost_us) {
    fprintf(out,
            "run,2026-11-23T00:00:00Z,rev,host,cpu,2,%s,%s,engine,1,1,0,%s,%u,0,1,%u,100,%g,0,"
            "0,0,0,0,0,1,1,1,%g,1,1,0,0,1000,1,0,0,1,0,%u\n",
            scenario, model, path, connections, repeat, rps, p99_us, cost_us);
}

static void add_row(FILE *out, const char *scenario, const char *model, const char *path,
                    unsigned connections, unsigned repeat, double rps, double p99_us) {
    add_row_cost(out, scenario, model, path, connections, repeat, rps, p99_us, 0);
}

static int setup(void **state) {
    (void)state;
    assert_non_null(mkdtemp(dir));
    write_file("cpu-bound.ini", "[scenario]\npath = /cpu?us=2000\nmodels = node node-cluster\n"
                                "connections = 1 8\nduration = 1s\n");
    write_file("mixed.ini", "[scenario]\nmix = /hello:9,/cpu?us=20000:1\nmodels = node "
                            "node-workers\nconnections = 16\nduration = 1s\n");
    snprintf(csv, sizeof(csv), "%s/r.csv", dir);
    FILE *out = fopen(csv, "w");
    assert_non_null(out);
    fprintf(out, "%s\n", res_header());
    for (unsigned r = 1; r <= 3; r++) {
        /* node: no scaling, real-node the same within 10%: faithful. */
        add_row(out, "cpu-bound", "node", "/cpu?us=2000", 1, r, 450, 0);
        add_row(out, "cpu-bound", "node", "/cpu?us=2000", 8, r, 460, 0);
        add_row(out, "cpu-bound", "real-node", "/cpu?us=2000", 1, r, 300, 0);
        add_row(out, "cpu-bound", "real-node", "/cpu?us=2000", 8, r, 280, 0);
        /* node-cluster scales 2x, its real runtime 1.2x: not faithful. */
        add_row(out, "cpu-bound", "node-cluster", "/cpu?us=2000", 1, r, 450, 0);
        add_row(out, "cpu-bound", "node-cluster", "/cpu?us=2000", 8, r, 900, 0);
        add_row(out, "cpu-bound", "real-node-cluster", "/cpu?us=2000", 1, r, 300, 0);
        add_row(out, "cpu-bound", "real-node-cluster", "/cpu?us=2000", 8, r, 360, 0);
        /* mixed: node-workers 0.3 ms, its real runtime 1 ms: both under the
         * floor (2 ms of a 20 ms request), so alike. */
        add_row(out, "mixed", "node-workers", "/hello", 16, r, 100, 300);
        add_row(out, "mixed", "real-node-workers", "/hello", 16, r, 100, 1000);
        add_row(out, "mixed", "node", "/hello", 16, r, 100, 160000);
    }
    fclose(out);
    return 0;
}

static int teardown(void **state) {
    char command[4200];
    (void)state;
    snprintf(command, sizeof(command), "rm -rf '%s'", dir);
    return system(command) == 0 ? 0 : -1;
}

static const struct fidelity_row *find(const struct fidelity_row *rows, int n, const char *shape,
                                       const char *model) {
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].shape_name, shape) && !strcmp(rows[i].model, model))
            return &rows[i];
    return NULL;
}

static void test_shapes_compare_ratios_not_speed(void **state) {
    struct csv_table table;
    struct scenario scs[8];
    struct fidelity_row rows[64];
    char err[512];
    (void)state;
    assert_int_equal(res_read(csv, &table, err, sizeof(err)), 0);
    int nscs = scenario_load_for_table(&table, dir, scs, 8);
    assert_int_equal(nscs, 2);
    int n = fidelity_compute(&table, scs, (unsigned)nscs, rows, 64);

    const struct fidelity_row *row = find(rows, n, "cpu scaling", "node");
    assert_non_null(row);
    assert_string_equal(row->real, "real-node");
    assert_float_equal(row->model_value, 460.0 / 450, 1e-9);
    assert_float_equal(row->real_value, 280.0 / 300, 1e-9);
    assert_true(row->is_faithful); /* 1.022 vs 0.933: +9.5% */

    row = find(rows, n, "cpu scaling", "node-cluster");
    assert_non_null(row);
    assert_float_equal(row->difference, 2.0 / 1.2 - 1, 1e-9);
    assert_false(row->is_faithful);

    row = find(rows, n, "hello behind cpu", "node-workers");
    assert_non_null(row);
    assert_true(row->is_faithful);

    /* node has no real-node rows in mixed: compared with nothing. */
    row = find(rows, n, "hello behind cpu", "node");
    assert_non_null(row);
    assert_true(isnan(row->real_value));
    assert_true(isnan(row->difference));
    assert_false(row->is_faithful);

    /* No rows of io-bound or hello: no shape of theirs. */
    assert_null(find(rows, n, "io overlap", "uvicorn"));
    /* No model ran with a runtime cost: no absolute figure is compared. */
    for (int i = 0; i < n; i++)
        assert_false(rows[i].is_absolute);
    for (int s = 0; s < nscs; s++)
        scenario_free(&scs[s]);
    csv_table_free(&table);
}

/*
 * A model run with its runtime's cost (runtime_cost_us > 0) is compared on
 * the figure itself as well; one without a cost only by shape. No floor on
 * an absolute figure: 0.3 ms against 1 ms is 70% off.
 */
static void test_absolute_rows_only_for_calibrated_models(void **state) {
    char path[4200], err[512];
    struct csv_table table;
    struct scenario scs[8];
    struct fidelity_row rows[64];
    (void)state;
    snprintf(path, sizeof(path), "%s/calibrated.csv", dir);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fprintf(out, "%s\n", res_header());
    for (unsigned r = 1; r <= 3; r++) {
        add_row_cost(out, "cpu-bound", "node", "/cpu?us=2000", 1, r, 400, 0, 150);
        add_row_cost(out, "cpu-bound", "node", "/cpu?us=2000", 8, r, 440 + r, 0, 150);
        add_row(out, "cpu-bound", "real-node", "/cpu?us=2000", 1, r, 390, 0);
        add_row(out, "cpu-bound", "real-node", "/cpu?us=2000", 8, r, 400, 0);
        add_row(out, "cpu-bound", "node-cluster", "/cpu?us=2000", 8, r, 900, 0);
        add_row(out, "cpu-bound", "real-node-cluster", "/cpu?us=2000", 8, r, 360, 0);
        add_row_cost(out, "mixed", "node-workers", "/hello", 16, r, 100, 300, 90);
        add_row(out, "mixed", "real-node-workers", "/hello", 16, r, 100, 1000);
    }
    fclose(out);
    assert_int_equal(res_read(path, &table, err, sizeof(err)), 0);
    int nscs = scenario_load_for_table(&table, dir, scs, 8);
    assert_int_equal(nscs, 2);
    int n = fidelity_compute(&table, scs, (unsigned)nscs, rows, 64);

    const struct fidelity_row *row = find(rows, n, "cpu rps", "node");
    assert_non_null(row);
    assert_true(row->is_absolute);
    assert_float_equal(row->model_value, 442, 1e-9); /* the median of 441, 442, 443 */
    assert_float_equal(row->real_value, 400, 1e-9);
    assert_float_equal(row->difference, 442.0 / 400 - 1, 1e-6);
    assert_true(row->is_faithful); /* +10.5% */

    /* The shape is still there, beside it. */
    row = find(rows, n, "cpu scaling", "node");
    assert_non_null(row);
    assert_false(row->is_absolute);

    /* node-cluster ran without a cost: no absolute row, however far off. */
    assert_null(find(rows, n, "cpu rps", "node-cluster"));

    row = find(rows, n, "hello p99 beside cpu", "node-workers");
    assert_non_null(row);
    assert_float_equal(row->difference, 0.3 - 1, 1e-6);
    assert_false(row->is_faithful);
    /* ... while its shape, under the floor on both sides, is alike. */
    assert_true(find(rows, n, "hello behind cpu", "node-workers")->is_faithful);

    for (int s = 0; s < nscs; s++)
        scenario_free(&scs[s]);
    csv_table_free(&table);
}

static void test_peer_argv_gives_the_twins_counts_and_the_ready_fd(void **state) {
    char storage[4096], *argv[PEER_MAX_ARGS + 1];
    (void)state;
    const struct peer *gthread = peer_find("real-gunicorn-gthread");
    assert_non_null(gthread);
    assert_string_equal(gthread->twin, "gunicorn-gthread");
    int argc = peer_argv(gthread, "/x/peers", "3", "8", NULL, storage, sizeof(storage), argv);
    assert_int_equal(argc, 9);
    assert_string_equal(argv[0], "/usr/bin/python3");
    assert_string_equal(argv[1], "/x/peers/python/peer.py");
    assert_string_equal(argv[2], "gunicorn-gthread");
    assert_string_equal(argv[3], "--workers");
    assert_string_equal(argv[4], "3");
    assert_string_equal(argv[5], "--threads");
    assert_string_equal(argv[6], "8");
    assert_string_equal(argv[7], "--ready-fd");
    assert_string_equal(argv[8], "3");
    assert_null(argv[9]);

    /* A single-process peer takes no counts. */
    argc = peer_argv(peer_find("real-node"), "p", "1", "1", NULL, storage, sizeof(storage), argv);
    assert_int_equal(argc, 6);
    assert_string_equal(argv[1], "p/node/server.js");

    /* A calibration measured for the run is passed on; the peer then never
     * calibrates itself. */
    argc =
        peer_argv(peer_find("real-node"), "p", "1", "1", "512.250", storage, sizeof(storage), argv);
    assert_int_equal(argc, 8);
    assert_string_equal(argv[4], "--cpu-calibration");
    assert_string_equal(argv[5], "512.250");

    /* Too little room: refused, not truncated. */
    assert_int_equal(peer_argv(gthread, "/x/peers", "3", "8", NULL, storage, 20, argv), -1);
}

static void test_each_runtime_has_one_calibrate_command(void **state) {
    char storage[4096], *argv[PEER_MAX_ARGS + 1];
    (void)state;
    assert_int_equal(peer_calibrate_argv(CAL_NODE, "/x", storage, sizeof(storage), argv), 4);
    assert_string_equal(argv[1], "/x/node/server.js");
    assert_string_equal(argv[3], "calibrate");
    assert_int_equal(peer_calibrate_argv(CAL_CPYTHON, "/x", storage, sizeof(storage), argv), 3);
    assert_string_equal(argv[0], "/usr/bin/python3");
    assert_string_equal(argv[2], "calibrate");
    assert_null(argv[3]);
    assert_int_equal(peer_calibrate_argv(CAL_C, "/x", storage, sizeof(storage), argv), -1);
    /* Every peer is one of the two runtimes. */
    for (unsigned i = 0; i < npeers; i++)
        assert_true(peers[i].runtime == CAL_NODE || peers[i].runtime == CAL_CPYTHON);
}

/* A twin may have several peers (uvicorn: its loops and FastAPI), but the
 * one --peers adds beside it, peer_of_twin(), is always real-TWIN. */
static void test_every_twin_has_its_namesake_peer_first(void **state) {
    (void)state;
    for (unsigned i = 0; i < npeers; i++) {
        char namesake[64];
        snprintf(namesake, sizeof(namesake), "real-%s", peers[i].twin);
        assert_ptr_equal(peer_of_twin(peers[i].twin), peer_find(namesake));
        assert_ptr_equal(peer_find(peers[i].name), &peers[i]);
        assert_int_equal(strncmp(peers[i].name, "real-", 5), 0);
    }
    assert_string_equal(peer_find("real-fastapi")->twin, "uvicorn");
    assert_string_equal(peer_find("real-uvicorn-asyncio")->twin, "uvicorn");
    assert_string_equal(peer_find("real-uvicorn-uvloop")->twin, "uvicorn");
    assert_null(peer_of_twin("python-nogil")); /* CPython 3.13t is not in Debian 12 */
    assert_null(peer_find("node"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes_compare_ratios_not_speed),
        cmocka_unit_test(test_absolute_rows_only_for_calibrated_models),
        cmocka_unit_test(test_peer_argv_gives_the_twins_counts_and_the_ready_fd),
        cmocka_unit_test(test_each_runtime_has_one_calibrate_command),
        cmocka_unit_test(test_every_twin_has_its_namesake_peer_first),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
