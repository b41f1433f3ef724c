/* test_loadgen.c — bin/loadgen's schedule, rate split and command line. */
#include "../loadgen/loadgen.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct lg_config config;
static char err[512];

#define ARGC(argv) ((int)(sizeof(argv) / sizeof((argv)[0])) - 1)

static int parse(int argc, char **argv) {
    err[0] = '\0';
    return lg_parse_args(argc, argv, &config, err, sizeof(err));
}

static void test_due_times_follow_the_rate(void **state) {
    (void)state;
    /* 1000 req/s over 4 connections: the run sends one every 1 ms, the
     * connections in turn; each connection one every 4 ms. */
    assert_int_equal(lg_due_ns(1000, 4, 0, 0), 0);
    assert_int_equal(lg_due_ns(1000, 4, 1, 0), 1000000);
    assert_int_equal(lg_due_ns(1000, 4, 3, 0), 3000000);
    assert_int_equal(lg_due_ns(1000, 4, 0, 1), 4000000);
    assert_int_equal(lg_due_ns(1000, 4, 2, 250), (250 * 4 + 2) * 1000000ull);
    /* A rate below the number of connections: each one sends less than once a second. */
    assert_int_equal(lg_due_ns(2, 8, 7, 0), 3500000000ull);
    assert_int_equal(lg_due_ns(2, 8, 0, 1), 4000000000ull);
    /* Far into a long run the schedule does not drift: the 3.6-millionth
     * request at 1000/s is due at exactly one hour. */
    assert_int_equal(lg_due_ns(1000, 16, 0, 225000), 3600000000000ull);
}

static void test_every_request_of_a_run_has_its_own_slot(void **state) {
    enum { CONNS = 7, PER_CONN = 50 };
    uint64_t seen[CONNS * PER_CONN] = {0};
    (void)state;
    for (unsigned g = 0; g < CONNS; g++) {
        for (uint64_t k = 0; k < PER_CONN; k++) {
            uint64_t due = lg_due_ns(700, CONNS, g, k); /* one every 1/700 s */
            uint64_t slot = (due * 700 + 500000000ull) / 1000000000ull;
            assert_true(slot < CONNS * PER_CONN);
            assert_int_equal(seen[slot], 0);
            seen[slot] = 1;
        }
    }
}

static void test_connections_split_across_threads(void **state) {
    (void)state;
    assert_int_equal(lg_share(64, 1, 0), 64);
    assert_int_equal(lg_share(10, 3, 0), 4);
    assert_int_equal(lg_share(10, 3, 1), 3);
    assert_int_equal(lg_share(10, 3, 2), 3);
    unsigned sum = 0;
    for (unsigned i = 0; i < 7; i++) {
        unsigned share = lg_share(100, 7, i);
        assert_true(share == 14 || share == 15);
        sum += share;
    }
    assert_int_equal(sum, 100);
}

static void test_wrk_flags_parse(void **state) {
    char *argv[] = {"loadgen",
                    "-t3",
                    "-c",
                    "64",
                    "-d10s",
                    "-H",
                    "X-A: 1",
                    "--timeout",
                    "250ms",
                    "--latency",
                    "-R",
                    "1500.5",
                    "http://127.0.0.1:8080/io?ms=5",
                    NULL};
    (void)state;
    assert_int_equal(parse(ARGC(argv), argv), 0);
    assert_int_equal(config.threads, 3);
    assert_int_equal(config.connections, 64);
    assert_int_equal(config.duration_ns, 10000000000ull);
    assert_int_equal(config.timeout_ns, 250000000ull);
    assert_true(config.latency);
    assert_true(config.rate > 1500.4 && config.rate < 1500.6);
    assert_string_equal(config.host, "127.0.0.1");
    assert_string_equal(config.port, "8080");
    assert_int_equal(config.path_count, 1);
    assert_string_equal(config.paths[0].target, "/io?ms=5");
    assert_string_equal(config.headers, "X-A: 1\r\n");
    assert_int_equal(lg_format_requests(&config), 0);
    assert_string_equal(config.paths[0].request,
                        "GET /io?ms=5 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nX-A: 1\r\n\r\n");
    lg_config_free(&config);
}

static void test_defaults_and_fewer_connections_than_threads(void **state) {
    char *argv[] = {"loadgen", "-c", "2", "-t", "8", "--close", "http://localhost", NULL};
    (void)state;
    assert_int_equal(parse(ARGC(argv), argv), 0);
    assert_int_equal(config.threads, 2); /* never a thread without a connection */
    assert_int_equal(config.timeout_ns, 2000000000ull);
    assert_int_equal(config.rate, 0);
    assert_string_equal(config.port, "80");
    assert_string_equal(config.paths[0].target, "/");
    assert_int_equal(lg_format_requests(&config), 0);
    assert_string_equal(config.paths[0].request,
                        "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    lg_config_free(&config);
}

static void test_mix_and_source_parse(void **state) {
    char *argv[] = {"loadgen",
                    "--mix",
                    "/hello:9,/cpu?us=1000:1,/a:b:2",
                    "--source",
                    "127.0.0.1-127.0.0.16",
                    "--seed",
                    "7",
                    "--streams",
                    "http://127.0.0.1:1/x",
                    NULL};
    (void)state;
    assert_int_equal(parse(ARGC(argv), argv), 0);
    assert_true(config.is_mix);
    assert_true(config.is_streams);
    assert_int_equal(config.path_count, 3);
    assert_string_equal(config.paths[0].target, "/hello");
    assert_int_equal(config.paths[0].weight, 9);
    assert_string_equal(config.paths[1].target, "/cpu?us=1000");
    assert_string_equal(config.paths[2].target, "/a:b");
    assert_int_equal(config.paths[2].weight, 2);
    assert_int_equal(config.total_weight, 12);
    assert_int_equal(config.source_count, 16);
    assert_int_equal(ntohl(config.source_first.s_addr), 0x7f000001);
    assert_int_equal(config.seed, 7);
}

/* Each bad command line fails, and the message names the flag at fault. */
static void test_bad_arguments_name_the_flag(void **state) {
    static const struct {
        const char *args[4];
        const char *names;
    } cases[] = {
        {{"-c", "abc", "http://127.0.0.1/"}, "-c"},
        {{"-c", "0", "http://127.0.0.1/"}, "-c"},
        {{"-t", "-1", "http://127.0.0.1/"}, "-t"},
        {{"-d", "5parsecs", "http://127.0.0.1/"}, "-d"},
        {{"-R", "0", "http://127.0.0.1/"}, "-R"},
        {{"-R", "fast", "http://127.0.0.1/"}, "-R"},
        {{"-H", "NoColon", "http://127.0.0.1/"}, "-H"},
        {{"--timeout", "0", "http://127.0.0.1/"}, "--timeout"},
        {{"--mix", "hello:1", "http://127.0.0.1/"}, "--mix"},
        {{"--mix", "/hello:0", "http://127.0.0.1/"}, "--mix"},
        {{"--streams", "http://127.0.0.1/"}, "--streams"},
        {{"--source", "10.0.0.9-10.0.0.1", "http://127.0.0.1/"}, "--source"},
        {{"--bogus", "http://127.0.0.1/"}, "--bogus"},
        {{"https://127.0.0.1/"}, "https://127.0.0.1/"},
        {{"http://127.0.0.1:99999/"}, "http://127.0.0.1:99999/"},
        {{"http://127.0.0.1/", "extra"}, "extra"},
        {{"-c", "8"}, "URL"},
        {{"-c"}, "-c"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[6] = {"loadgen"};
        int argc = 1;
        for (int j = 0; j < 4 && cases[i].args[j]; j++)
            argv[argc++] = (char *)cases[i].args[j];
        argv[argc] = NULL;
        if (parse(argc, argv) != -1)
            fail_msg("case %zu (%s ...) was accepted", i, cases[i].args[0]);
        if (strncmp(err, cases[i].names, strlen(cases[i].names)) != 0)
            fail_msg("case %zu: message '%s' does not start with '%s'", i, err, cases[i].names);
    }
}

static void test_hgrm_names_per_path(void **state) {
    char out[256];
    (void)state;
    lg_hgrm_path_for("results/run.hgrm", "/hello", out, sizeof(out));
    assert_string_equal(out, "results/run.hello.hgrm");
    lg_hgrm_path_for("run", "/cpu?us=1000", out, sizeof(out));
    assert_string_equal(out, "run.cpu_us_1000.hgrm");
    lg_hgrm_path_for("a.b/run.txt", "/", out, sizeof(out));
    assert_string_equal(out, "a.b/run.root.txt");
    lg_hgrm_uncorrected_path("results/run.hgrm", out, sizeof(out));
    assert_string_equal(out, "results/run.uncorrected.hgrm");
    lg_hgrm_uncorrected_path("results/run.hello.hgrm", out, sizeof(out));
    assert_string_equal(out, "results/run.hello.uncorrected.hgrm");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_due_times_follow_the_rate),
        cmocka_unit_test(test_every_request_of_a_run_has_its_own_slot),
        cmocka_unit_test(test_connections_split_across_threads),
        cmocka_unit_test(test_wrk_flags_parse),
        cmocka_unit_test(test_defaults_and_fewer_connections_than_threads),
        cmocka_unit_test(test_mix_and_source_parse),
        cmocka_unit_test(test_bad_arguments_name_the_flag),
        cmocka_unit_test(test_hgrm_names_per_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
