/*
 * test_options.c — durations, sizes and integers from the command line
 * (common/options.c), and what bin/server makes of its flags: args.c parses
 * them, models.c applies the model's defaults.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "common/options.h"
#include "servers/args.h"
#include "servers/server.h"

#include <getopt.h>
#include <stdio.h>

/* models.c names each model's engine; these tests never run one. */
int engine_uv_run(const struct server_config *config, int listen_fd) {
    (void)config, (void)listen_fd;
    return 0;
}
int engine_threads_run(const struct server_config *config, int listen_fd) {
    return engine_uv_run(config, listen_fd);
}
int engine_pool_run(const struct server_config *config, int listen_fd) {
    return engine_uv_run(config, listen_fd);
}
int engine_event_run(const struct server_config *config, int listen_fd) {
    return engine_uv_run(config, listen_fd);
}
int engine_sync_run(const struct server_config *config, int listen_fd) {
    return engine_uv_run(config, listen_fd);
}

static uint64_t duration_us(const char *s) {
    char err[OPT_ERR_MAX];
    uint64_t us = 0;
    assert_int_equal(opt_parse_duration_us(s, &us, err, sizeof(err)), 0);
    return us;
}

static void test_duration_units_scale(void **state) {
    (void)state;
    assert_int_equal(duration_us("10s"), 10000000);
    assert_int_equal(duration_us("250ms"), 250000);
    assert_int_equal(duration_us("2m"), 120000000);
    assert_int_equal(duration_us("1h"), 3600000000u);
    assert_int_equal(duration_us("500us"), 500);
    assert_int_equal(duration_us("1.5s"), 1500000);
    assert_int_equal(duration_us("0s"), 0);
}

static void test_duration_bare_number_is_seconds(void **state) {
    (void)state;
    assert_int_equal(duration_us("3"), 3000000);
}

static void test_duration_garbage_is_rejected_with_the_value_named(void **state) {
    static const char *bad[] = {"", "s", "10x", "-1s", "1e3s", "ten", "10 s", ".s", "1.2.3s"};
    char err[OPT_ERR_MAX];
    uint64_t us;
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(opt_parse_duration_us(bad[i], &us, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "duration"));
        if (bad[i][0])
            assert_non_null(strstr(err, bad[i]));
    }
}

static void test_size_suffixes_are_binary(void **state) {
    char err[OPT_ERR_MAX];
    uint64_t n;
    (void)state;
    assert_int_equal(opt_parse_size("16k", &n, err, sizeof(err)), 0);
    assert_int_equal(n, 16384);
    assert_int_equal(opt_parse_size("64m", &n, err, sizeof(err)), 0);
    assert_int_equal(n, 64u << 20);
    assert_int_equal(opt_parse_size("2KiB", &n, err, sizeof(err)), 0);
    assert_int_equal(n, 2048);
    assert_int_equal(opt_parse_size("512", &n, err, sizeof(err)), 0);
    assert_int_equal(n, 512);
    assert_int_equal(opt_parse_size("1g", &n, err, sizeof(err)), 0);
    assert_int_equal(n, 1u << 30);
}

static void test_size_rejects_fractions_of_bytes_and_junk(void **state) {
    char err[OPT_ERR_MAX];
    uint64_t n;
    (void)state;
    assert_int_equal(opt_parse_size("1.5", &n, err, sizeof(err)), -1);
    assert_int_equal(opt_parse_size("12q", &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "12q"));
    assert_int_equal(opt_parse_size("", &n, err, sizeof(err)), -1);
    assert_int_equal(opt_parse_size("1.5k", &n, err, sizeof(err)), 0);
    assert_int_equal(n, 1536);
}

static void test_uint_range_and_overflow(void **state) {
    char err[OPT_ERR_MAX];
    uint64_t n;
    (void)state;
    assert_int_equal(opt_parse_uint("8080", 0, 65535, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 8080);
    assert_int_equal(opt_parse_uint("65536", 0, 65535, &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "out of range"));
    assert_int_equal(opt_parse_uint("-1", 0, 65535, &n, err, sizeof(err)), -1);
    assert_int_equal(opt_parse_uint("99999999999999999999999", 0, UINT64_MAX, &n, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "too large"));
    assert_int_equal(opt_parse_uint("", 0, 5, &n, err, sizeof(err)), -1);
    assert_int_equal(opt_parse_uint("0", 1, 5, &n, err, sizeof(err)), -1);
}

/* ---- bin/server's flags ---- */

/* Parses a NULL-terminated list of flags (after "server"); returns
 * args_parse's result. */
static int parse(struct server_args *args, struct args_error *error, const char **flags) {
    char *argv[32] = {"server"};
    int argc = 1;
    while (*flags && argc < 31)
        argv[argc++] = (char *)*flags++;
    argv[argc] = NULL;
    optind = 0; /* glibc: start over, as for a fresh process */
    return args_parse(argc, argv, args, error);
}

/* Parses flags and resolves them; asserts both succeed. */
static struct server_config resolved(const char **flags) {
    struct server_args args;
    struct server_config config;
    struct args_error error;
    assert_int_equal(parse(&args, &error, flags), 0);
    assert_int_equal(model_resolve(&args, &config, &error), 0);
    return config;
}

static void test_a_model_brings_its_defaults_when_no_flag_overrides_them(void **state) {
    (void)state;
    struct server_config config = resolved((const char *[]){"--model", "gunicorn-gthread", NULL});
    assert_string_equal(config.model->name, "gunicorn-gthread");
    assert_int_equal(config.backlog, 2048);
    assert_int_equal(config.threads, 8);
    assert_int_equal(config.keep_alive_timeout_ms, 2000); /* Gunicorn's --keep-alive */
    assert_true(config.has_gil);
    assert_true(config.is_prefork);
    assert_true(config.workers >= 1);

    config = resolved((const char *[]){NULL}); /* node */
    assert_string_equal(config.model->name, "node");
    assert_int_equal(config.backlog, 511);
    assert_int_equal(config.keep_alive_timeout_ms, 5000);
    assert_int_equal(config.workers, 1);
    assert_false(config.is_prefork);
    assert_false(config.is_round_robin);
    assert_int_equal(config.ipc_fd, -1);
}

static void test_given_flags_override_the_models_defaults(void **state) {
    (void)state;
    struct server_config config =
        resolved((const char *[]){"--model", "gunicorn-gthread", "--keep-alive-timeout", "7s",
                                  "--backlog", "16", "--threads", "3", "--workers", "2", NULL});
    assert_int_equal(config.keep_alive_timeout_ms, 7000);
    assert_int_equal(config.backlog, 16);
    assert_int_equal(config.threads, 3);
    assert_int_equal(config.workers, 2);
}

static void test_node_cluster_balances_round_robin_unless_told_otherwise(void **state) {
    (void)state;
    struct server_config config = resolved((const char *[]){"--model", "node-cluster", NULL});
    assert_true(config.is_round_robin);
    assert_false(config.is_reuseport);
    config = resolved((const char *[]){"--model", "node-cluster", "--balance", "os", NULL});
    assert_false(config.is_round_robin);
    assert_false(config.is_reuseport);
    config = resolved((const char *[]){"--model", "node-cluster", "--balance", "reuseport", NULL});
    assert_false(config.is_round_robin);
    assert_true(config.is_reuseport);
}

/* Each runtime's own header timeout: Node's headersTimeout (60 s) checked
 * every connectionsCheckingInterval (30 s); none in uvicorn, socketserver
 * or Gunicorn's workers. A flag still sets one. */
static void test_each_model_has_its_runtimes_header_timeout(void **state) {
    static const char *const none[] = {"uvicorn",      "uvicorn-workers", "python-threads",
                                       "python-nogil", "gunicorn-sync",   "gunicorn-gthread"};
    (void)state;
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        struct server_config config = resolved((const char *[]){"--model", none[i], NULL});
        assert_int_equal(config.headers_timeout_ms, 0);
    }
    struct server_config config = resolved((const char *[]){"--model", "node-cluster", NULL});
    assert_int_equal(config.headers_timeout_ms, 60000);
    assert_int_equal(config.headers_check_ms, 30000);
    config = resolved((const char *[]){"--model", "uvicorn", "--headers-timeout", "3s", NULL});
    assert_int_equal(config.headers_timeout_ms, 3000);
    config = resolved(
        (const char *[]){"--model", "node", "--connections-checking-interval", "1s", NULL});
    assert_int_equal(config.headers_check_ms, 1000);
}

/* The stock ThreadingHTTPServer closes every connection (HTTP/1.0) unless
 * --keep-alive; gthread keeps max_keepalived = worker_connections -
 * threads idle. */
static void test_python_threads_closes_and_gthread_caps_keep_alive(void **state) {
    (void)state;
    struct server_config config = resolved((const char *[]){"--model", "python-threads", NULL});
    assert_true(config.closes_connections);
    assert_true(config.is_head_apart);
    config = resolved((const char *[]){"--model", "python-threads", "--keep-alive", NULL});
    assert_false(config.closes_connections);
    config = resolved((const char *[]){"--model", "gunicorn-gthread", NULL});
    assert_int_equal(config.worker_connections, 1000);
    assert_int_equal(config.max_keepalived, 1000 - 8);
    config = resolved((const char *[]){"--model", "gunicorn-gthread", "--threads", "4",
                                       "--worker-connections", "4", NULL});
    assert_int_equal(config.max_keepalived, 0);
    assert_true(config.closes_connections); /* Gunicorn keeps none alive then */
}

static void test_a_flag_the_model_does_not_take_is_refused_by_name(void **state) {
    static const char *cases[][4] = {
        {"--model", "node", "--pool", "2"},
        {"--model", "uvicorn", "--keep-alive", NULL},
        {"--model", "python-nogil", "--worker-connections", "10"},
        {"--model", "uvicorn", "--balance", "rr"},
        {"--model", "python-threads", "--workers", "2"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct server_args args;
        struct server_config config;
        struct args_error error;
        const char *flags[] = {cases[i][0], cases[i][1], cases[i][2], cases[i][3], NULL};
        assert_int_equal(parse(&args, &error, flags), 0);
        assert_int_equal(model_resolve(&args, &config, &error), -1);
        assert_string_equal(error.flag, cases[i][2]);
        assert_non_null(strstr(error.reason, "take"));
    }
}

static void test_a_bad_command_line_names_the_flag_or_argument_at_fault(void **state) {
    struct server_args args;
    struct args_error error;
    (void)state;
    assert_int_equal(parse(&args, &error, (const char *[]){"--port", "http", NULL}), -1);
    assert_string_equal(error.flag, "--port");
    assert_non_null(strstr(error.reason, "http"));
    assert_int_equal(parse(&args, &error, (const char *[]){"--model", "iis", NULL}), -1);
    assert_string_equal(error.flag, "--model");
    assert_int_equal(parse(&args, &error, (const char *[]){"--frobnicate", NULL}), -1);
    assert_string_equal(error.flag, "--frobnicate");
    assert_string_equal(error.reason, "unknown option");
    assert_int_equal(parse(&args, &error, (const char *[]){"--port", NULL}), -1);
    assert_string_equal(error.reason, "missing value");
    assert_int_equal(parse(&args, &error, (const char *[]){"--describe", "stray", NULL}), -1);
    assert_string_equal(error.flag, "stray");
    assert_string_equal(error.reason, "unexpected argument");
    assert_int_equal(parse(&args, &error, (const char *[]){"--timeout", "500ms", NULL}), -1);
    assert_string_equal(error.reason, "must be at least 1s");
}

static void test_help_stops_parsing_at_once(void **state) {
    struct server_args args;
    struct args_error error;
    (void)state;
    assert_int_equal(parse(&args, &error, (const char *[]){"--help", "--frobnicate", NULL}), 0);
    assert_int_equal(args.action, ARGS_HELP);
    assert_int_equal(parse(&args, &error, (const char *[]){"--describe", NULL}), 0);
    assert_int_equal(args.action, ARGS_DESCRIBE);
}

static void test_describe_prints_engine_processes_threads_gil(void **state) {
    char line[128] = "";
    (void)state;
    struct server_config config = resolved(
        (const char *[]){"--model", "gunicorn-gthread", "--workers", "3", "--threads", "4", NULL});
    FILE *out = fmemopen(line, sizeof(line), "w");
    assert_non_null(out);
    model_describe(&config, out);
    fclose(out);
    assert_string_equal(line, "pool 3 4 1\n");

    config = resolved((const char *[]){"--model", "python-threads", NULL});
    out = fmemopen(line, sizeof(line), "w");
    assert_non_null(out);
    model_describe(&config, out);
    fclose(out);
    assert_string_equal(line, "threads 1 0 1\n"); /* 0: a thread per connection */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_units_scale),
        cmocka_unit_test(test_duration_bare_number_is_seconds),
        cmocka_unit_test(test_duration_garbage_is_rejected_with_the_value_named),
        cmocka_unit_test(test_size_suffixes_are_binary),
        cmocka_unit_test(test_size_rejects_fractions_of_bytes_and_junk),
        cmocka_unit_test(test_uint_range_and_overflow),
        cmocka_unit_test(test_a_model_brings_its_defaults_when_no_flag_overrides_them),
        cmocka_unit_test(test_given_flags_override_the_models_defaults),
        cmocka_unit_test(test_node_cluster_balances_round_robin_unless_told_otherwise),
        cmocka_unit_test(test_each_model_has_its_runtimes_header_timeout),
        cmocka_unit_test(test_python_threads_closes_and_gthread_caps_keep_alive),
        cmocka_unit_test(test_a_flag_the_model_does_not_take_is_refused_by_name),
        cmocka_unit_test(test_a_bad_command_line_names_the_flag_or_argument_at_fault),
        cmocka_unit_test(test_help_stops_parsing_at_once),
        cmocka_unit_test(test_describe_prints_engine_processes_threads_gil),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
