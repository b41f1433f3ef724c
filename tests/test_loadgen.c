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

/* The due time of request k of connection g under a constant rate, one slice. */
static uint64_t due(double rate, unsigned connections, unsigned g, uint64_t k) {
    struct lg_schedule schedule = {.stages = {{rate, 0, false}}, .count = 1};
    return lg_due_ns(&schedule, lg_request_index(0, 1, connections, g, k));
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_due_times_follow_the_rate(void **state) {
    (void)state;
    /* 1000 req/s over 4 connections: the run sends one every 1 ms, the
     * connections in turn; each connection one every 4 ms. */
    assert_int_equal(due(1000, 4, 0, 0), 0);
    assert_int_equal(due(1000, 4, 1, 0), 1000000);
    assert_int_equal(due(1000, 4, 3, 0), 3000000);
    assert_int_equal(due(1000, 4, 0, 1), 4000000);
    assert_int_equal(due(1000, 4, 2, 250), (250 * 4 + 2) * 1000000ull);
    /* A rate below the number of connections: each one sends less than once a second. */
    assert_int_equal(due(2, 8, 7, 0), 3500000000ull);
    assert_int_equal(due(2, 8, 0, 1), 4000000000ull);
    /* Far into a long run the schedule does not drift: the 3.6-millionth
     * request at 1000/s is due at exactly one hour. */
    assert_int_equal(due(1000, 16, 0, 225000), 3600000000000ull);
}

static void test_every_request_of_a_run_has_its_own_slot(void **state) {
    enum { CONNS = 7, PER_CONN = 50 };
    uint64_t seen[CONNS * PER_CONN] = {0};
    (void)state;
    for (unsigned g = 0; g < CONNS; g++) {
        for (uint64_t k = 0; k < PER_CONN; k++) {
            uint64_t at = due(700, CONNS, g, k); /* one every 1/700 s */
            uint64_t slot = (at * 700 + 500000000ull) / 1000000000ull;
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
        const char *args[8];
        const char *names;
    } cases[] = {
        {{"-c", "abc", "http://127.0.0.1/"}, "-c"},
        {{"-c", "0", "http://127.0.0.1/"}, "-c"},
        {{"-t", "-1", "http://127.0.0.1/"}, "-t"},
        {{"-d", "5parsecs", "http://127.0.0.1/"}, "-d"},
        {{"-R", "0", "http://127.0.0.1/"}, "-R"},
        {{"-R", "fast", "http://127.0.0.1/"}, "-R"},
        {{"--segment", "2/2", "http://127.0.0.1/"}, "--segment"},
        {{"--segment", "1", "http://127.0.0.1/"}, "--segment"},
        {{"--segment", "0/4", "-c2", "http://127.0.0.1/"}, "-c"},
        {{"--start-at", "soon", "http://127.0.0.1/"}, "--start-at"},
        {{"--hlog-interval", "0", "http://127.0.0.1/"}, "--hlog-interval"},
        {{"--hlog", "h", "--series", "s", "--hlog-interval", "1500ms", "http://127.0.0.1/"},
         "--hlog-interval"},
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
        char *argv[10] = {"loadgen"};
        int argc = 1;
        for (int j = 0; j < 8 && cases[i].args[j]; j++)
            argv[argc++] = (char *)cases[i].args[j];
        argv[argc] = NULL;
        if (parse(argc, argv) != -1)
            fail_msg("case %zu (%s ...) was accepted", i, cases[i].args[0]);
        if (strncmp(err, cases[i].names, strlen(cases[i].names)) != 0)
            fail_msg("case %zu: message '%s' does not start with '%s'", i, err, cases[i].names);
    }
}

/* N slices of the run, each with its share of the connections, send
 * together exactly the requests one loadgen would, at the same due times. */
static void test_slices_together_are_the_whole_schedule(void **state) {
    enum { CONNS = 10, SLICES = 3, TOTAL = 3000 };
    static const char *const specs[] = {"1500", "100@0.5s,~4000@0.5s,700"};
    (void)state;
    for (unsigned s = 0; s < 2; s++) {
        struct lg_schedule schedule;
        static uint64_t whole[TOTAL], sliced[TOTAL + CONNS * SLICES];
        size_t n = 0;
        assert_int_equal(lg_schedule_parse(specs[s], &schedule, err, sizeof(err)), 0);
        for (uint64_t i = 0; i < TOTAL; i++)
            whole[i] = lg_due_ns(&schedule, i);
        for (unsigned slice = 0; slice < SLICES; slice++) {
            unsigned conns = lg_share(CONNS, SLICES, slice);
            for (unsigned g = 0; g < conns; g++)
                for (uint64_t k = 0;; k++) {
                    uint64_t index = lg_request_index(slice, SLICES, conns, g, k);
                    if (index >= TOTAL)
                        break;
                    assert_true(n < TOTAL);
                    sliced[n++] = lg_due_ns(&schedule, index);
                }
        }
        assert_int_equal(n, TOTAL);
        qsort(sliced, n, sizeof(sliced[0]), compare_u64);
        for (uint64_t i = 0; i < TOTAL; i++)
            if (whole[i] != sliced[i])
                fail_msg("%s: request %llu due at %llu in the whole, %llu in the slices", specs[s],
                         (unsigned long long)i, (unsigned long long)whole[i],
                         (unsigned long long)sliced[i]);
    }
}

/* Steps hold their rate, a ramp moves linearly, the last rate holds after. */
static void test_stages_step_and_ramp(void **state) {
    struct lg_schedule schedule;
    (void)state;
    assert_int_equal(lg_schedule_parse("100@10s,~1000@20s,0@5s,50", &schedule, err, sizeof(err)),
                     0);
    assert_int_equal(schedule.count, 4);
    assert_true(schedule.stages[1].is_ramp);
    assert_int_equal(lg_schedule_length_ns(&schedule), 0); /* the last holds for ever */
    /* 100/s for 10 s: request 999 at 9.99 s, request 1000 starts the ramp. */
    assert_int_equal(lg_due_ns(&schedule, 999), 9990000000ull);
    assert_int_equal(lg_due_ns(&schedule, 1000), 10000000000ull);
    /* The ramp 100 -> 1000 over 20 s holds (100 + 1000) / 2 * 20 = 11000 requests;
     * after 10 s of it (rate 550), 100 * 10 + 450 * 10 / 2 = 3250 have come due. */
    assert_in_range(lg_due_ns(&schedule, 1000 + 3250), 19999999000ull, 20000001000ull);
    assert_true(lg_due_count(&schedule, 20000000000ull) > 4249.99 &&
                lg_due_count(&schedule, 20000000000ull) < 4250.01);
    /* 0/s for 5 s: nothing due between 30 s and 35 s; then 50/s. */
    assert_in_range(lg_due_ns(&schedule, 12000), 34999999000ull, 35000001000ull);
    assert_in_range(lg_due_ns(&schedule, 12050), 35999999000ull, 36000001000ull);
    /* Due times never go backwards. */
    for (uint64_t n = 1; n < 14000; n++)
        assert_true(lg_due_ns(&schedule, n) >= lg_due_ns(&schedule, n - 1));
    /* A schedule whose rate ends at 0 stops. */
    assert_int_equal(lg_schedule_parse("10@1s,0@1s", &schedule, err, sizeof(err)), 0);
    assert_int_equal(lg_due_ns(&schedule, 10), UINT64_MAX);
    assert_int_equal(lg_schedule_length_ns(&schedule), 2000000000ull);
}

/* -d defaults to the stages' length; the reported rate is their mean. */
static void test_stages_set_the_duration_and_the_mean_rate(void **state) {
    char *argv[] = {"loadgen", "-R", "100@2s,~300@2s", "--warmup", "1s", "http://127.0.0.1/", NULL};
    (void)state;
    assert_int_equal(parse(ARGC(argv), argv), 0);
    assert_int_equal(config.duration_ns, 3000000000ull);
    /* 100 in the last second of the step, 400 in the ramp: 500 in 3 s. */
    assert_true(config.rate > 166.6 && config.rate < 166.7);
}

static void test_bad_stages_name_the_flag_and_column(void **state) {
    static const struct {
        const char *spec, *message;
    } cases[] = {
        {"100@10s,fast@2s", "-R: column 9: expected requests/s"},
        {"100@10x", "-R: column 5: "},
        {"100,200@1s", "-R: column 4: only the last stage"},
        {"~100@0s", "-R: column 6: a stage lasts more than 0"},
        {"100@1s,", "-R: column 8: expected requests/s"},
    };
    struct lg_schedule schedule;
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(lg_schedule_parse(cases[i].spec, &schedule, err, sizeof(err)), -1);
        if (strncmp(err, cases[i].message, strlen(cases[i].message)) != 0)
            fail_msg("'%s': '%s' does not start with '%s'", cases[i].spec, err, cases[i].message);
    }
}

/* --segment, then the launchers' variables; each slice its share of -c. */
static void test_segments_come_from_the_flag_or_the_launcher(void **state) {
    char *flag[] = {
        "loadgen",           "-c", "10", "--segment", "2/3", "--hlog", "r.{segment}.hlog",
        "http://127.0.0.1/", NULL};
    char *plain[] = {"loadgen", "-c", "10", "http://127.0.0.1/", NULL};
    char *indexed[] = {"loadgen", "-c", "10", "--segments", "4", "http://127.0.0.1/", NULL};
    (void)state;
    assert_int_equal(parse(ARGC(flag), flag), 0);
    assert_int_equal(config.segment, 2);
    assert_int_equal(config.segments, 3);
    assert_int_equal(config.connections, 3);
    assert_int_equal(config.total_connections, 10);
    assert_string_equal(config.hlog_path, "r.2.hlog");
    setenv("OMPI_COMM_WORLD_RANK", "1", 1);
    setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
    assert_int_equal(parse(ARGC(plain), plain), 0);
    assert_int_equal(config.segment, 1);
    assert_int_equal(config.segments, 2);
    assert_int_equal(config.connections, 5);
    assert_string_equal(config.segment_from, "OMPI_COMM_WORLD_RANK");
    setenv("OMPI_COMM_WORLD_RANK", "2", 1);
    assert_int_equal(parse(ARGC(plain), plain), -1);
    assert_non_null(strstr(err, "OMPI_COMM_WORLD_RANK"));
    unsetenv("OMPI_COMM_WORLD_RANK");
    unsetenv("OMPI_COMM_WORLD_SIZE");
    setenv("PMI_RANK", "0", 1);
    setenv("PMI_SIZE", "5", 1);
    assert_int_equal(parse(ARGC(plain), plain), 0);
    assert_int_equal(config.segments, 5);
    assert_int_equal(config.connections, 2);
    unsetenv("PMI_RANK");
    unsetenv("PMI_SIZE");
    assert_int_equal(parse(ARGC(indexed), indexed), -1);
    assert_non_null(strstr(err, "JOB_COMPLETION_INDEX"));
    setenv("JOB_COMPLETION_INDEX", "3", 1);
    assert_int_equal(parse(ARGC(indexed), indexed), 0);
    assert_int_equal(config.segment, 3);
    assert_int_equal(config.segments, 4);
    unsetenv("JOB_COMPLETION_INDEX");
    assert_int_equal(parse(ARGC(plain), plain), 0);
    assert_int_equal(config.segments, 1);
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
        cmocka_unit_test(test_slices_together_are_the_whole_schedule),
        cmocka_unit_test(test_stages_step_and_ramp),
        cmocka_unit_test(test_stages_set_the_duration_and_the_mean_rate),
        cmocka_unit_test(test_bad_stages_name_the_flag_and_column),
        cmocka_unit_test(test_segments_come_from_the_flag_or_the_launcher),
        cmocka_unit_test(test_hgrm_names_per_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
