/*
 * e2e_loadgen.c — bin/loadgen against a real bin/server on 127.0.0.1:0:
 * closed loop, --mix, --streams, --close, timeouts, a server stopped mid-run (the
 * coordinated-omission test), a server killed mid-run, outputs, exit codes.
 * $SHOWDOWN_LOADGEN names the binary; the server comes from e2e_client.
 */
#include "../common/clock.h"
#include "e2e_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static struct e2e_server server;
static char tmpdir[] = "/tmp/showdown-e2e-XXXXXX";

struct run {
    int status;      /* exit status */
    char out[65536]; /* stdout */
    char err[4096];  /* stderr */
};

/* Reads a whole pipe into buf (NUL-terminated). */
static void slurp(int fd, char *buf, size_t cap) {
    size_t len = 0;
    ssize_t n;
    while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    char sink[4096];
    while (read(fd, sink, sizeof(sink)) > 0)
        ;
}

/*
 * Runs bin/loadgen with args (NULL-terminated; "URL" is replaced by the
 * shared server's URL + path). During the run, at_ms after the start,
 * `during` is called (may be NULL).
 */
static void run_loadgen(struct run *run, const char *path, const char *const *args, unsigned at_ms,
                        void (*during)(void)) {
    const char *binary = getenv("SHOWDOWN_LOADGEN");
    const char *argv[40];
    char url[256];
    int out[2], err[2], argc = 0;

    assert_non_null(binary);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", server.port, path);
    argv[argc++] = binary;
    for (int i = 0; args[i] && argc < 38; i++)
        argv[argc++] = strcmp(args[i], "URL") == 0 ? url : args[i];
    argv[argc] = NULL;
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        close(out[0]);
        close(err[0]);
        execv(binary, (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    if (during) {
        e2e_sleep_ms(at_ms);
        during();
    }
    /* The JSON is small: stderr first is safe as long as stdout fits the pipe. */
    slurp(out[0], run->out, sizeof(run->out));
    slurp(err[0], run->err, sizeof(run->err));
    close(out[0]);
    close(err[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    run->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void expect_ok(const struct run *run) {
    if (run->status != 0)
        fail_msg("loadgen exited %d: %s", run->status, run->err);
}

static int start_server(void **state) {
    (void)state;
    if (!mkdtemp(tmpdir))
        return -1;
    return e2e_server_start(&server, NULL);
}

static int stop_server(void **state) {
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        return -1;
    if (server.pid > 0)
        e2e_server_stop(&server, SIGKILL, E2E_TIMEOUT_MS);
    return 0;
}

/* A test that replaced the shared server (killed it) starts a fresh one. */
static int ensure_server(void **state) {
    (void)state;
    if (server.pid > 0)
        return 0;
    return e2e_server_start(&server, NULL);
}

static void test_closed_loop_completes_without_errors(void **state) {
    static const char *const args[] = {"-t", "2", "-c", "8", "-d", "1s", "--json", "URL", NULL};
    struct run *run = malloc(sizeof(*run));
    (void)state;
    run_loadgen(run, "/hello", args, 0, NULL);
    expect_ok(run);
    /* Counts that say the load ran, not a speed: a node server answers
     * /hello tens of thousands of times a second on 8 connections, and
     * 500 in 1 s is what even a shared machine's worst second gives, while
     * a generator that stalls after its first requests makes a handful. */
    assert_true(e2e_json_number(run->out, NULL, "requests") > 500);
    assert_true(e2e_json_number(run->out, NULL, "rps") > 500);
    assert_int_equal(e2e_json_number(run->out, "errors", "connect"), 0);
    assert_int_equal(e2e_json_number(run->out, "errors", "read"), 0);
    assert_int_equal(e2e_json_number(run->out, "errors", "write"), 0);
    assert_int_equal(e2e_json_number(run->out, "errors", "timeout"), 0);
    assert_int_equal(e2e_json_number(run->out, "errors", "status"), 0);
    /* 13 body bytes plus headers per response */
    assert_true(e2e_json_number(run->out, NULL, "bytes") >
                13 * e2e_json_number(run->out, NULL, "requests"));
    assert_true(e2e_json_number(run->out, "latency_us", "p50") > 0);
    assert_true(e2e_json_number(run->out, "latency_us", "max") >=
                e2e_json_number(run->out, "latency_us", "p99"));
    free(run);
}

static void test_summary_looks_like_wrk(void **state) {
    static const char *const args[] = {"-t1", "-c4", "-d1s", "--latency", "URL", NULL};
    struct run *run = malloc(sizeof(*run));
    (void)state;
    run_loadgen(run, "/json", args, 0, NULL);
    expect_ok(run);
    assert_non_null(strstr(run->out, "Running 1s test @ http://127.0.0.1:"));
    assert_non_null(strstr(run->out, "  1 threads and 4 connections"));
    assert_non_null(strstr(run->out, "    Latency "));
    assert_non_null(strstr(run->out, " 99.900% "));
    assert_non_null(strstr(run->out, "       Value   Percentile   TotalCount 1/(1-Percentile)"));
    assert_non_null(strstr(run->out, "Requests/sec: "));
    assert_non_null(strstr(run->out, "Transfer/sec: "));
    assert_null(strstr(run->out, "Socket errors"));
    free(run);
}

static void test_mix_reports_each_path(void **state) {
    static const char *const args[] = {
        "-t1", "-c4", "-d1s", "--json", "--seed", "3", "--mix", "/hello:3,/io?ms=1:1", "URL", NULL};
    struct run *run = malloc(sizeof(*run));
    (void)state;
    run_loadgen(run, "/", args, 0, NULL);
    expect_ok(run);
    const char *hello = strstr(run->out, "{\"path\": \"/hello\"");
    const char *io = strstr(run->out, "{\"path\": \"/io?ms=1\"");
    assert_non_null(hello);
    assert_non_null(io);
    double total = e2e_json_number(run->out, NULL, "requests");
    double n_hello = e2e_json_number(hello, NULL, "requests");
    double n_io = e2e_json_number(io, NULL, "requests");
    assert_true(n_hello > 0 && n_io > 0);
    assert_int_equal(n_hello + n_io, total);
    /* drawn 3:1: a count, and a seeded draw, so no machine noise: 2 .. 4.5
     * is the draw's spread over the few thousand requests of a second */
    assert_true(n_hello / n_io > 2.0 && n_hello / n_io < 4.5);
    /* the /io requests wait at least 1 ms (a wait is never early: no slack
     * below); /hello ones do not: a loopback /hello answers in tens of µs,
     * so a median under 1 ms absorbs a busy machine, while latency that
     * counts the wrong request's wait (a mixed-up path) is over it */
    assert_true(e2e_json_number(io, "latency_us", "p50") >= 1000);
    assert_true(e2e_json_number(hello, "latency_us", "p50") < 1000);
    free(run);
}

/* The requests of path in a --json run, 0 when it has no row. */
static double path_requests(const struct run *run, const char *path) {
    char key[64];
    snprintf(key, sizeof(key), "{\"path\": \"%s\"", path);
    const char *at = strstr(run->out, key);
    return at ? e2e_json_number(at, NULL, "requests") : 0;
}

/* --streams: connection 0 sends only /hello, connection 1 only the 20 ms
 * wait. So the waits are at most one connection's worth, 1 s / 20 ms = 50
 * (a wait is never early; +1 for one that straddles the window's start),
 * while /hello runs free beside it — drawn at random instead, both
 * connections would spend half their requests waiting and /hello would
 * come out near /io's count. With one connection, /io is never sent. */
static void test_streams_give_each_connection_one_path(void **state) {
    static const char *const two[] = {
        "-t1", "-c2", "-d1s", "--json", "--streams", "--mix", "/hello:1,/io?ms=20:1", "URL", NULL};
    static const char *const one[] = {
        "-t1", "-c1", "-d1s", "--json", "--streams", "--mix", "/hello:1,/io?ms=20:1", "URL", NULL};
    struct run *run = malloc(sizeof(*run));
    (void)state;
    run_loadgen(run, "/", two, 0, NULL);
    expect_ok(run);
    double n_hello = path_requests(run, "/hello"), n_io = path_requests(run, "/io?ms=20");
    print_message("--streams -c2: /hello %.0f, /io?ms=20 %.0f\n", n_hello, n_io);
    assert_true(n_io > 0 && n_io <= 51);
    assert_true(n_hello > 10 * n_io);
    run_loadgen(run, "/", one, 0, NULL);
    expect_ok(run);
    assert_true(path_requests(run, "/hello") > 0);
    assert_true(path_requests(run, "/io?ms=20") == 0);
    free(run);
}

static void test_close_opens_a_connection_per_request(void **state) {
    static const char *const args[] = {"-t1", "-c4", "-d1s", "--json", "--close", "URL", NULL};
    struct run *run = malloc(sizeof(*run));
    (void)state;
    run_loadgen(run, "/hello", args, 0, NULL);
    expect_ok(run);
    double requests = e2e_json_number(run->out, NULL, "requests");
    assert_true(requests > 100);
    /* every request after the first of each connection is a reconnect */
    assert_true(e2e_json_number(run->out, NULL, "reconnects") >= requests - 8);
    assert_int_equal(e2e_json_number(run->out, "errors", "read"), 0);
    assert_int_equal(e2e_json_number(run->out, "errors", "connect"), 0);
    free(run);
}

static void test_requests_without_answer_time_out(void **state) {
    static const char *const args[] = {"-t1",   "-c4",    "-d1500ms", "--timeout",
                                       "200ms", "--json", "--mix",    "/hello:1,/io?ms=5000:1",
                                       "URL",   NULL};
    struct run *run = malloc(sizeof(*run));
    (void)state;
    run_loadgen(run, "/", args, 0, NULL);
    expect_ok(run);
    assert_true(e2e_json_number(run->out, "errors", "timeout") > 0);
    const char *hello = strstr(run->out, "{\"path\": \"/hello\"");
    assert_non_null(hello);
    assert_true(e2e_json_number(hello, NULL, "requests") > 0);
    const char *io = strstr(run->out, "{\"path\": \"/io?ms=5000\"");
    assert_non_null(io);
    assert_int_equal(e2e_json_number(io, NULL, "requests"), 0);
    free(run);
}

/* Against a fast server, open-loop latency is the answer time plus the
 * generator's own timer delay: never negative, never absurd. */
static void test_open_loop_on_a_fast_server_stays_small(void **state) {
    static const char *const args[] = {"-t1", "-c64", "-R", "5000", "-d2s", "--json", "URL", NULL};
    struct run *run = malloc(sizeof(*run));
    (void)state;
    run_loadgen(run, "/hello", args, 0, NULL);
    expect_ok(run);
    double requests = e2e_json_number(run->out, NULL, "requests");
    /* A count the schedule fixes: 5000/s for 2 s is 10,000 due, never more
     * (one in flight at the end), and at least 95% answered against a
     * server this fast, while a schedule off by a unit is 10 or 10 M. */
    assert_true(requests >= 9500 && requests <= 10001);
    double max = e2e_json_number(run->out, "latency_us", "max");
    /* Corrected latency counts from when a request was due, so a stall of
     * the generator itself shows: 500 ms absorbs the host taking the vCPU
     * for a while, and a schedule that drifts (every later request later)
     * reaches seconds. */
    if (max > 500000)
        fail_msg("corrected max %.0f us against an idle server", max);
    assert_true(e2e_json_number(run->out, "latency_us", "p50") >=
                e2e_json_number(run->out, "uncorrected_latency_us", "p50"));
    assert_true(e2e_json_number(run->out, "latency_us", "max") >=
                e2e_json_number(run->out, "uncorrected_latency_us", "max"));
    free(run);
}

static void stall_server(void) {
    kill(server.pid, SIGSTOP);
    e2e_sleep_ms(1000);
    kill(server.pid, SIGCONT);
}

/*
 * Coordinated omission: at -R 1000 the server is stopped for 1 s mid-run.
 * Every request due during the stall must show the wait it suffered.
 */
static void test_stalled_server_shows_in_corrected_latency(void **state) {
    static const char *const args[] = {"-t2", "-c16", "-R", "1000", "-d6s", "--json", "URL", NULL};
    struct run *run = malloc(sizeof(*run));
    (void)state;
    run_loadgen(run, "/hello", args, 2500, stall_server);
    expect_ok(run);
    double p90 = e2e_json_number(run->out, "latency_us", "p90");
    double p99 = e2e_json_number(run->out, "latency_us", "p99");
    double raw_p99 = e2e_json_number(run->out, "uncorrected_latency_us", "p99");
    double requests = e2e_json_number(run->out, NULL, "requests");
    print_message("stall: %.0f requests, corrected p90 %.0f us, p99 %.0f us; uncorrected p99 "
                  "%.0f us\n",
                  requests, p90, p99, raw_p99);
    /* A count the schedule fixes: 1000/s for 6 s is 6000 due, the 1 s
     * stall's requests included (sent late, not dropped), 5500 .. 6100.
     * The stall is a wait, so latency: 1 s stopped makes a sixth of the
     * requests wait 0 .. 1 s from when they were due, so the corrected p90
     * is about 400 ms (over 300) and p99 about 940 (over 800) (coordinated omission hides both),
     * while the uncorrected p99 counts from the send and stays under 100
     * ms on a loopback /hello even on a busy machine. */
    assert_true(requests > 5500 && requests < 6100);
    if (p90 <= 300000 || p99 <= 800000)
        fail_msg("corrected p90 %.0f us, p99 %.0f us: the stall is not visible", p90, p99);
    if (raw_p99 >= 100000)
        fail_msg("uncorrected p99 %.0f us: expected far below the corrected one", raw_p99);
    free(run);
}

static void kill_server(void) {
    e2e_server_stop(&server, SIGKILL, E2E_TIMEOUT_MS);
}

static void test_killed_server_ends_in_a_completed_run_with_errors(void **state) {
    static const char *const args[] = {"-t1", "-c4", "-d2s", "--json", "URL", NULL};
    struct run *run = malloc(sizeof(*run));
    (void)state;
    uint64_t start = clock_now_us();
    run_loadgen(run, "/hello", args, 700, kill_server);
    uint64_t took = clock_now_us() - start;
    expect_ok(run);
    /* Ran to its duration: -d2s is a wall-time deadline, never early, and 5
     * s is the 2 s plus room for start and stop on a busy machine, while a
     * run that aborts at the kill ends at 0.7 s. */
    assert_true(took >= 2000000 && took < 5000000);
    assert_true(e2e_json_number(run->out, NULL, "requests") > 0);
    assert_true(e2e_json_number(run->out, "errors", "connect") +
                    e2e_json_number(run->out, "errors", "read") >
                0);
    free(run);
}

static void test_no_server_exits_1(void **state) {
    static const char *const args[] = {"-t1", "-c2", "-d300ms", "URL", NULL};
    struct run *run = malloc(sizeof(*run));
    struct e2e_server gone;
    (void)state;
    /* A port that was just ours and is closed now. */
    assert_int_equal(e2e_server_start(&gone, NULL), 0);
    assert_int_equal(e2e_server_stop(&gone, SIGTERM, E2E_TIMEOUT_MS), 0);
    unsigned port = server.port;
    server.port = gone.port;
    run_loadgen(run, "/hello", args, 0, NULL);
    server.port = port;
    assert_int_equal(run->status, 1);
    assert_non_null(strstr(run->err, "no request could be made"));
    assert_non_null(strstr(run->err, "Connection refused"));
    free(run);
}

static void test_bad_arguments_exit_2(void **state) {
    static const char *const bad[][4] = {
        {"-c", "abc", "URL", NULL}, {"-d", "5parsecs", "URL", NULL},  {"--mix", "x", "URL", NULL},
        {"-c", "8", NULL, NULL},    {"https://x/", NULL, NULL, NULL},
    };
    struct run *run = malloc(sizeof(*run));
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        run_loadgen(run, "/", bad[i], 0, NULL);
        if (run->status != 2)
            fail_msg("case %zu exited %d", i, run->status);
        assert_true(strncmp(run->err, "loadgen: ", 9) == 0);
        assert_non_null(strchr(run->err, '\n'));
        assert_ptr_equal(strchr(run->err, '\n'), run->err + strlen(run->err) - 1);
    }
    free(run);
}

static unsigned count_lines(const char *path) {
    FILE *in = fopen(path, "r");
    unsigned lines = 0;
    int c;
    assert_non_null(in);
    while ((c = fgetc(in)) != EOF)
        lines += c == '\n';
    fclose(in);
    return lines;
}

static void test_csv_appends_and_hgrm_never_overwrites(void **state) {
    char csv[256], hgrm[256], line[2048];
    struct run *run = malloc(sizeof(*run));
    (void)state;
    snprintf(csv, sizeof(csv), "%s/results.csv", tmpdir);
    snprintf(hgrm, sizeof(hgrm), "%s/run.hgrm", tmpdir);
    const char *const args[] = {"-t1", "-c2", "-d300ms", "--csv", csv, "--hgrm", hgrm, "URL", NULL};
    run_loadgen(run, "/hello", args, 0, NULL);
    expect_ok(run);
    assert_int_equal(count_lines(csv), 2);
    FILE *in = fopen(hgrm, "r");
    assert_non_null(in);
    assert_non_null(fgets(line, sizeof(line), in));
    assert_string_equal(line, "       Value   Percentile   TotalCount 1/(1-Percentile)\n");
    fclose(in);
    /* Beside it, the uncorrected one (from each send), as HdrHistogram text too. */
    char uncorrected[300];
    snprintf(uncorrected, sizeof(uncorrected), "%s/run.uncorrected.hgrm", tmpdir);
    in = fopen(uncorrected, "r");
    assert_non_null(in);
    assert_non_null(fgets(line, sizeof(line), in));
    assert_string_equal(line, "       Value   Percentile   TotalCount 1/(1-Percentile)\n");
    fclose(in);

    /* Again: the CSV grows by one row; the existing .hgrm is refused before the run. */
    const char *const again[] = {"-t1", "-c2", "-d300ms", "--csv", csv, "URL", NULL};
    run_loadgen(run, "/hello", again, 0, NULL);
    expect_ok(run);
    assert_int_equal(count_lines(csv), 3);
    in = fopen(csv, "r");
    assert_non_null(in);
    assert_non_null(fgets(line, sizeof(line), in));
    assert_true(strncmp(line, "path,connections,target_rate,duration_s,requests,rps,", 52) == 0);
    assert_non_null(fgets(line, sizeof(line), in));
    assert_true(strncmp(line, "/hello,2,0.000,0.300,", 21) == 0);
    unsigned commas = 0;
    for (char *p = line; *p; p++)
        commas += *p == ',';
    assert_int_equal(commas, 18);
    fclose(in);
    run_loadgen(run, "/hello", args, 0, NULL);
    assert_int_equal(run->status, 2);
    assert_non_null(strstr(run->err, "exists"));
    assert_int_equal(count_lines(csv), 3);

    /* A file that is not ours is refused, naming it and its line. */
    char other[256];
    snprintf(other, sizeof(other), "%s/other.csv", tmpdir);
    FILE *out = fopen(other, "w");
    assert_non_null(out);
    fputs("name,value\n", out);
    fclose(out);
    const char *const wrong[] = {"-t1", "-c1", "-d200ms", "--csv", other, "URL", NULL};
    run_loadgen(run, "/hello", wrong, 0, NULL);
    assert_int_equal(run->status, 2);
    assert_non_null(strstr(run->err, "other.csv:1:"));
    assert_int_equal(count_lines(other), 1);
    free(run);
}

/* A fake server, forked: answers every request with `response`, closing the
 * connection after each when is_close. Returns its pid; *port its port. */
static pid_t fake_server(const char *response, bool is_close, unsigned *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(addr);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(fd, 64), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    *port = ntohs(addr.sin_port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid > 0) {
        close(fd);
        return pid;
    }
    for (;;) {
        int client = accept(fd, NULL, NULL);
        char buf[4096];
        size_t have = 0;
        ssize_t n;
        if (client < 0)
            continue;
        while ((n = read(client, buf + have, sizeof(buf) - 1 - have)) > 0) {
            have += (size_t)n;
            buf[have] = '\0';
            char *end;
            while ((end = strstr(buf, "\r\n\r\n")) != NULL) {
                if (write(client, response, strlen(response)) < 0)
                    break;
                have -= (size_t)(end + 4 - buf);
                memmove(buf, end + 4, have + 1);
                if (is_close)
                    break;
            }
            if (is_close)
                break;
        }
        close(client);
    }
}

static void run_against_fake(const char *response, bool is_close) {
    static const char *const args[] = {"-t1", "-c2", "-d500ms", "--json", "URL", NULL};
    struct run *run = malloc(sizeof(*run));
    unsigned port, shared = server.port;
    pid_t pid = fake_server(response, is_close, &port);
    server.port = port;
    run_loadgen(run, "/", args, 0, NULL);
    server.port = shared;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    expect_ok(run);
    assert_true(e2e_json_number(run->out, NULL, "requests") > 20);
    assert_int_equal(e2e_json_number(run->out, "errors", "read"), 0);
    assert_int_equal(e2e_json_number(run->out, "errors", "timeout"), 0);
    free(run);
}

static void test_chunked_and_close_delimited_bodies_are_parsed(void **state) {
    (void)state;
    run_against_fake("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
                     false);
    run_against_fake("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nno length, ends at close",
                     true);
}

static void test_warmup_is_not_recorded(void **state) {
    static const char *const args[] = {"-t1", "-c4", "-R",     "200", "--warmup", "1s",
                                       "-d",  "1s",  "--json", "URL", NULL};
    struct run *run = malloc(sizeof(*run));
    (void)state;
    run_loadgen(run, "/hello", args, 0, NULL);
    expect_ok(run);
    double requests = e2e_json_number(run->out, NULL, "requests");
    if (requests < 190 || requests > 201)
        fail_msg("%.0f requests recorded; expected the measured second's 200", requests);
    assert_int_equal(e2e_json_number(run->out, NULL, "duration_s"), 1);
    free(run);
}

static void test_source_addresses(void **state) {
    static const char *const spread[] = {
        "-t1", "-c4", "-d500ms", "--json", "--close", "--source", "127.0.0.2-127.0.0.5",
        "URL", NULL};
    static const char *const foreign[] = {"-t1",       "-c2", "-d300ms", "--source",
                                          "192.0.2.1", "URL", NULL};
    struct run *run = malloc(sizeof(*run));
    (void)state;
    run_loadgen(run, "/hello", spread, 0, NULL);
    expect_ok(run);
    assert_true(e2e_json_number(run->out, NULL, "requests") > 20);
    /* An address that is not this machine's: bind() says EADDRNOTAVAIL, as
     * when the port range runs out, and the summary says what to do. */
    run_loadgen(run, "/hello", foreign, 0, NULL);
    assert_int_equal(run->status, 1);
    assert_non_null(strstr(run->out, "EADDRNOTAVAIL"));
    free(run);
}

static void test_too_many_connections_for_the_fd_limit(void **state) {
    char cmd[1024];
    (void)state;
    snprintf(cmd, sizeof(cmd),
             "ulimit -n 256 && ulimit -Hn 256 && exec %s -c 1000 -d1s http://127.0.0.1:%u/ "
             "2>%s/limit.err >/dev/null",
             getenv("SHOWDOWN_LOADGEN"), server.port, tmpdir);
    int status = system(cmd);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
    char path[256], line[512] = "";
    snprintf(path, sizeof(path), "%s/limit.err", tmpdir);
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    assert_non_null(fgets(line, sizeof(line), in));
    fclose(in);
    assert_non_null(strstr(line, "loadgen: -c: needs about"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_closed_loop_completes_without_errors, ensure_server),
        cmocka_unit_test_setup(test_summary_looks_like_wrk, ensure_server),
        cmocka_unit_test_setup(test_mix_reports_each_path, ensure_server),
        cmocka_unit_test_setup(test_streams_give_each_connection_one_path, ensure_server),
        cmocka_unit_test_setup(test_close_opens_a_connection_per_request, ensure_server),
        cmocka_unit_test_setup(test_requests_without_answer_time_out, ensure_server),
        cmocka_unit_test_setup(test_open_loop_on_a_fast_server_stays_small, ensure_server),
        cmocka_unit_test_setup(test_stalled_server_shows_in_corrected_latency, ensure_server),
        cmocka_unit_test_setup(test_bad_arguments_exit_2, ensure_server),
        cmocka_unit_test_setup(test_chunked_and_close_delimited_bodies_are_parsed, ensure_server),
        cmocka_unit_test_setup(test_warmup_is_not_recorded, ensure_server),
        cmocka_unit_test_setup(test_source_addresses, ensure_server),
        cmocka_unit_test_setup(test_too_many_connections_for_the_fd_limit, ensure_server),
        cmocka_unit_test_setup(test_csv_appends_and_hgrm_never_overwrites, ensure_server),
        cmocka_unit_test_setup(test_no_server_exits_1, ensure_server),
        cmocka_unit_test_setup(test_killed_server_ends_in_a_completed_run_with_errors,
                               ensure_server),
    };
    return cmocka_run_group_tests_name("loadgen", tests, start_server, stop_server);
}
