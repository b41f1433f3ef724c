/*
 * e2e_lifecycle.c — a server's start and stop: --help lists the model, the
 * port on stdout without --ready-fd, bad flags exit 2, and SIGTERM finishes
 * what is in flight and exits 0. Each test runs its own bin/server for the
 * model in $SHOWDOWN_MODEL on 127.0.0.1; run by `make e2e` once per model
 * in MODELS.
 */
#include "e2e_client.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static void test_listening_line_on_stdout(void **state) {
    (void)state;
    const char *path = getenv("SHOWDOWN_SERVER");
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s --help", path);
    FILE *help = popen(cmd, "r");
    assert_non_null(help);
    char line[256];
    bool saw_model = false;
    while (fgets(line, sizeof(line), help)) {
        if (strncmp(line, "  ", 2) == 0 && strstr(line, e2e_model()))
            saw_model = true;
    }
    assert_int_equal(pclose(help), 0);
    assert_true(saw_model);

    /* Without --ready-fd the port is on stdout, as "listening on HOST:PORT". */
    int out[2];
    assert_int_equal(pipe(out), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        execl(path, path, "--model", e2e_model(), "--port", "0", (char *)NULL);
        _exit(127);
    }
    e2e_own.pid = pid;
    close(out[1]);
    FILE *stream = fdopen(out[0], "r");
    assert_non_null(stream);
    assert_non_null(fgets(line, sizeof(line), stream));
    unsigned port = 0;
    assert_int_equal(sscanf(line, "listening on 127.0.0.1:%u", &port), 1);
    assert_true(port > 0);
    e2e_own.port = port;
    struct e2e_response resp;
    assert_int_equal(e2e_get(port, "/hello", &resp), 0);
    assert_string_equal(resp.body, "Hello, World!");
    e2e_response_free(&resp);
    assert_int_equal(e2e_server_stop(&e2e_own, SIGINT, E2E_TIMEOUT_MS), 0);
    fclose(stream);
}

static void test_bad_flags_exit_2(void **state) {
    static const char *flags[] = {"--model nosuch", "--port 70000",
                                  "--port abc",     "--keep-alive-timeout 5parsecs",
                                  "--bogus",        "extra"};
    (void)state;
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "%s %s 2>/dev/null >/dev/null", getenv("SHOWDOWN_SERVER"),
                 flags[i]);
        int status = system(cmd);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 2)
            fail_msg("server %s: exit status %d, expected 2", flags[i], status);
    }
}

/* Runs the server under a file limit, with only stdin, stdout (to
 * /dev/null) and stderr (to said_path) open; returns its wait status. */
static int run_under_file_limit(unsigned limit, const char *said_path) {
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {limit, limit};
        int out = open("/dev/null", O_WRONLY), err = open(said_path, O_WRONLY | O_TRUNC);
        if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(100);
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            _exit(101);
        execl(getenv("SHOWDOWN_SERVER"), "server", "--model", e2e_model(), "--port", "0",
              (char *)NULL);
        _exit(102);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    return status;
}

/* Too few descriptors to start (libuv aborts when its signal pipe cannot be
 * made): exit 1 with a message naming the limit, never a crash. */
static void test_too_low_file_limit_exits_1_naming_it(void **state) {
    (void)state;
    char path[] = "/tmp/e2e-nofile-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (unsigned limit = 4; limit < 16; limit += 2) {
        char said[512] = "";
        int status = run_under_file_limit(limit, path);
        FILE *err = fopen(path, "r");
        assert_non_null(err);
        size_t n = fread(said, 1, sizeof(said) - 1, err);
        said[n] = 0;
        fclose(err);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 1 || !strstr(said, "ulimit -n"))
            fail_msg("server under ulimit -n %u: status %d, said \"%s\"; expected exit 1 naming "
                     "the limit",
                     limit, status, said);
    }
    unlink(path);
}

/* SIGTERM: stop accepting, finish what is in flight, exit 0. */
static void test_sigterm_finishes_in_flight_requests(void **state) {
    E2E_NEEDS_KEEP_ALIVE();
    struct e2e_conn *busy, *idle;
    struct e2e_response resp;
    (void)state;
    assert_int_equal(e2e_server_start(&e2e_own, NULL), 0);
    busy = e2e_conn_new(e2e_own.port);
    idle = e2e_conn_new(e2e_own.port);
    e2e_send_request(idle, "GET /hello HTTP/1.1\r\n\r\n");
    e2e_expect_response(idle, &resp, false);
    e2e_response_free(&resp);
    e2e_send_request(busy, "GET /io?ms=300 HTTP/1.1\r\n\r\n");
    e2e_sleep_ms(50);

    pid_t pid = e2e_own.pid;
    assert_int_equal(kill(pid, SIGTERM), 0);
    /* The idle keep-alive connection is closed at once (a deadline in wall
     * time: 2 s for "at once" on a busy machine, while a server that keeps
     * it to its keep-alive timeout, 5 s by default, misses it; gunicorn-
     * gthread's --keep-alive is 2 s itself, so there it cannot tell) ... */
    assert_true(e2e_wait_closed(idle, 2000));
    /* ... the busy one gets its answer, with Connection: close. */
    e2e_expect_response(busy, &resp, false);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body, "OK");
    assert_false(resp.keep_alive);
    e2e_response_free(&resp);
    assert_true(e2e_wait_closed(busy, E2E_TIMEOUT_MS));
    /* It exits 0 (stop sends SIGTERM again to an already-stopping server
     * only if it has not exited yet; waitpid collects it). */
    assert_int_equal(e2e_server_stop(&e2e_own, 0, E2E_TIMEOUT_MS), 0);
    /* Nothing listens there any more. */
    assert_true(e2e_connect(e2e_own.port) < 0);
    e2e_conn_free(busy);
    e2e_conn_free(idle);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_listening_line_on_stdout, e2e_own_stop),
        cmocka_unit_test_teardown(test_bad_flags_exit_2, e2e_own_stop),
        cmocka_unit_test_teardown(test_too_low_file_limit_exits_1_naming_it, e2e_own_stop),
        cmocka_unit_test_teardown(test_sigterm_finishes_in_flight_requests, e2e_own_stop),
    };
    return cmocka_run_group_tests_name("start and stop", tests, NULL, NULL) != 0;
}
