/*
 * e2e_server.c — end-to-end tests: start bin/server --port 0 for the model
 * in $SHOWDOWN_MODEL on 127.0.0.1 and check what real sockets get back.
 * Run by `make e2e` once per model in MODELS.
 */
#define _GNU_SOURCE /* strptime, timegm */
#include "../common/clock.h"
#include "e2e_client.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static struct e2e_server server; /* shared by the tests that need no special flags */
static struct e2e_server own;    /* a test's own server; its teardown stops it */

static int start_shared(void **state) {
    (void)state;
    return e2e_server_start(&server, NULL);
}

static int stop_shared(void **state) {
    (void)state;
    /* A server that does not exit 0 on SIGTERM fails the group. */
    return server.pid > 0 && e2e_server_stop(&server, SIGTERM, E2E_TIMEOUT_MS) == 0 ? 0 : -1;
}

/* A test that fails half-way leaves no server behind. */
static int stop_own(void **state) {
    (void)state;
    if (own.pid > 0)
        e2e_server_stop(&own, SIGKILL, E2E_TIMEOUT_MS);
    return 0;
}

/* Gunicorn's sync worker closes every connection after one answer. */
static bool keeps_alive(void) {
    return strcmp(e2e_model(), "gunicorn-sync") != 0;
}

#define NEEDS_KEEP_ALIVE()                                                                         \
    do {                                                                                           \
        if (!keeps_alive()) {                                                                      \
            skip();                                                                                \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* GET target, assert the status and (when not NULL) the exact body. */
static void expect_get_on(unsigned port, const char *target, int status, const char *body) {
    struct e2e_response resp;
    assert_int_equal(e2e_get(port, target, &resp), 0);
    if (resp.status != status)
        fail_msg("GET %s: status %d, expected %d (body: %s)", target, resp.status, status,
                 resp.body);
    if (body)
        assert_string_equal(resp.body, body);
    e2e_response_free(&resp);
}

static void expect_get(const char *target, int status, const char *body) {
    expect_get_on(server.port, target, status, body);
}

static void test_hello_has_body_and_headers(void **state) {
    struct e2e_response resp;
    (void)state;
    assert_int_equal(e2e_get(server.port, "/hello", &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.http_major, 1);
    assert_int_equal(resp.http_minor, 1);
    assert_string_equal(resp.body, "Hello, World!");
    assert_string_equal(e2e_header(&resp, "Content-Length"), "13");
    assert_string_equal(e2e_header(&resp, "Content-Type"), "text/plain");
    assert_string_equal(e2e_header(&resp, "Server"), "showdown");
    const char *date = e2e_header(&resp, "Date");
    assert_non_null(date);
    struct tm tm;
    const char *end = strptime(date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    assert_non_null(end);
    assert_int_equal(*end, '\0');
    time_t sent = timegm(&tm), now = time(NULL);
    assert_true(sent <= now + 1 && sent >= now - 5);
    assert_true(resp.keep_alive == keeps_alive());
    assert_string_equal(e2e_header(&resp, "Connection"), keeps_alive() ? "keep-alive" : "close");
    e2e_response_free(&resp);
}

static void test_json(void **state) {
    struct e2e_response resp;
    (void)state;
    assert_int_equal(e2e_get(server.port, "/json", &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body, "{\"message\":\"Hello, World!\"}");
    assert_string_equal(e2e_header(&resp, "Content-Type"), "application/json");
    e2e_response_free(&resp);
}

static void test_work_endpoints_answer_ok(void **state) {
    (void)state;
    expect_get("/io?ms=0", 200, "OK");
    expect_get("/io?ms=5", 200, "OK");
    expect_get("/cpu?us=0", 200, "OK");
    expect_get("/cpu?us=1000", 200, "OK");
    expect_get("/mixed?cpu_us=500&io_ms=5", 200, "OK");
    expect_get("/mixed?io_ms=5&cpu_us=500", 200, "OK");
}

static void test_unknown_paths_get_404(void **state) {
    (void)state;
    expect_get("/", 404, NULL);
    expect_get("/nope", 404, NULL);
    expect_get("/hello/", 404, NULL);
    expect_get("/helloo", 404, NULL);
}

static void test_bad_parameters_get_400_with_a_reason(void **state) {
    static const char *bad[] = {
        "/io",        "/io?ms=",           "/io?ms=-1",        "/io?ms=abc",
        "/io?ms=1x",  "/io?ms=60001",      "/cpu?us=10000001", "/cpu?us=-5",
        "/bytes?n=-", "/bytes?n=67108865", "/mixed?cpu_us=1",  "/mixed?cpu_us=1&io_ms=99999999",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct e2e_response resp;
        assert_int_equal(e2e_get(server.port, bad[i], &resp), 0);
        if (resp.status != 400)
            fail_msg("GET %s: status %d, expected 400", bad[i], resp.status);
        /* one line of reason, newline-terminated */
        assert_true(resp.body_len > 1);
        assert_non_null(strchr(resp.body, '\n'));
        assert_int_equal(strchr(resp.body, '\n') - resp.body, (long)resp.body_len - 1);
        e2e_response_free(&resp);
    }
}

static void check_pattern(const struct e2e_response *resp, size_t n) {
    assert_int_equal(resp->status, 200);
    assert_int_equal(resp->body_len, n);
    for (size_t i = 0; i < n; i++) {
        if (resp->body[i] != (char)('a' + i % 26))
            fail_msg("/bytes?n=%zu: byte %zu is %#x", n, i, (unsigned char)resp->body[i]);
    }
}

static void test_bytes_sends_exactly_n_pattern_bytes(void **state) {
    static const size_t sizes[] = {0, 1, 26, 65519, 65520, 65521, 1 << 20, 5000003};
    (void)state;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        char target[64];
        struct e2e_response resp;
        snprintf(target, sizeof(target), "/bytes?n=%zu", sizes[i]);
        assert_int_equal(e2e_get(server.port, target, &resp), 0);
        check_pattern(&resp, sizes[i]);
        char length[32];
        snprintf(length, sizeof(length), "%zu", sizes[i]);
        assert_string_equal(e2e_header(&resp, "Content-Length"), length);
        e2e_response_free(&resp);
    }
}

static void test_io_waits_at_least_ms(void **state) {
    struct e2e_response resp;
    (void)state;
    assert_int_equal(e2e_get(server.port, "/io?ms=50", &resp), 0);
    assert_int_equal(resp.status, 200);
    if (resp.elapsed_us < 50000)
        fail_msg("/io?ms=50 answered after %llu us", (unsigned long long)resp.elapsed_us);
    e2e_response_free(&resp);

    assert_int_equal(e2e_get(server.port, "/mixed?cpu_us=1000&io_ms=30", &resp), 0);
    assert_int_equal(resp.status, 200);
    if (resp.elapsed_us < 31000)
        fail_msg("/mixed?cpu_us=1000&io_ms=30 answered after %llu us",
                 (unsigned long long)resp.elapsed_us);
    e2e_response_free(&resp);
}

#define CONCURRENT 100

/* How many requests a model serves at once: unbounded for a loop or a
 * thread per connection; a pool's size for a pool (Little's law then says
 * how long 100 waits take). */
static unsigned model_concurrency(void) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (strcmp(e2e_model(), "python-nogil") == 0)
        return 8; /* --threads */
    if (strcmp(e2e_model(), "gunicorn-gthread") == 0)
        return 8 * (unsigned)(cores > 0 ? cores : 1); /* --threads x --workers */
    if (strcmp(e2e_model(), "gunicorn-sync") == 0)
        return 2 * (unsigned)(cores > 0 ? cores : 1) + 1; /* --workers */
    return CONCURRENT;
}

static void test_concurrent_io_waits_overlap(void **state) {
    struct e2e_conn *conns = calloc(CONCURRENT, sizeof(*conns));
    static const char req[] = "GET /io?ms=100 HTTP/1.1\r\nHost: x\r\n\r\n";
    (void)state;
    assert_non_null(conns);
    for (int i = 0; i < CONCURRENT; i++)
        assert_true(e2e_conn_open(&conns[i], server.port));
    uint64_t start = clock_now_us();
    for (int i = 0; i < CONCURRENT; i++)
        assert_true(e2e_send_str(conns[i].fd, req));
    for (int i = 0; i < CONCURRENT; i++) {
        struct e2e_response resp;
        assert_int_equal(e2e_read_response(&conns[i], &resp, false, E2E_TIMEOUT_MS), 0);
        assert_int_equal(resp.status, 200);
        e2e_response_free(&resp);
    }
    uint64_t elapsed = clock_now_us() - start;
    unsigned rounds = (CONCURRENT + model_concurrency() - 1) / model_concurrency();
    uint64_t low = rounds * 100000ull, high = rounds == 1 ? 1000000 : rounds * 100000ull * 2;
    if (elapsed < low || elapsed >= high)
        fail_msg("%d concurrent /io?ms=100 took %llu us; expected %llu .. %llu us", CONCURRENT,
                 (unsigned long long)elapsed, (unsigned long long)low, (unsigned long long)high);
    for (int i = 0; i < CONCURRENT; i++)
        e2e_conn_close(&conns[i]);
    free(conns);
}

/*
 * A /cpu?us=300000 request in flight, then a /hello: on `node` and `uvicorn`
 * the loop is blocked and /hello waits for the CPU work (>= 150 ms) — that
 * is the model; with uvicorn-workers it depends on which worker the kernel
 * hands the connection;
 * everywhere else /hello goes by (a pool thread, another thread, or the
 * GIL's switch interval) in well under 100 ms.
 */
static void test_cpu_work_and_a_concurrent_hello(void **state) {
    struct e2e_conn cpu, hello;
    struct e2e_response resp;
    bool is_blocking = strcmp(e2e_model(), "node") == 0 || strcmp(e2e_model(), "uvicorn") == 0;
    (void)state;
    /* Workers sharing one socket: the kernel picks which worker takes each
     * connection, often the same busy one (measured on real uvicorn), so
     * either outcome is the model's. */
    if (strcmp(e2e_model(), "uvicorn-workers") == 0) {
        skip();
        return;
    }
    assert_true(e2e_conn_open(&cpu, server.port));
    assert_true(e2e_conn_open(&hello, server.port));
    assert_true(e2e_send_str(cpu.fd, "GET /cpu?us=300000 HTTP/1.1\r\n\r\n"));
    e2e_sleep_ms(20); /* let the server start the work */
    uint64_t start = clock_now_us();
    assert_true(e2e_send_str(hello.fd, "GET /hello HTTP/1.1\r\n\r\n"));
    assert_int_equal(e2e_read_response(&hello, &resp, false, E2E_TIMEOUT_MS), 0);
    uint64_t waited = clock_now_us() - start;
    assert_int_equal(resp.status, 200);
    e2e_response_free(&resp);
    if (is_blocking && waited < 150000)
        fail_msg("/hello behind /cpu?us=300000 answered after %llu us; expected >= 150 ms",
                 (unsigned long long)waited);
    if (!is_blocking && waited >= 100000)
        fail_msg("/hello beside /cpu?us=300000 answered after %llu us; expected < 100 ms",
                 (unsigned long long)waited);
    assert_int_equal(e2e_read_response(&cpu, &resp, false, E2E_TIMEOUT_MS), 0);
    assert_int_equal(resp.status, 200);
    e2e_response_free(&resp);
    e2e_conn_close(&cpu);
    e2e_conn_close(&hello);
}

/* Several requests in one write come back complete and in order, even when
 * the first one waits longest. */
static void test_pipelined_requests_answer_in_order(void **state) {
    NEEDS_KEEP_ALIVE();
    static const char reqs[] = "GET /io?ms=30 HTTP/1.1\r\n\r\n"
                               "GET /hello HTTP/1.1\r\n\r\n"
                               "HEAD /json HTTP/1.1\r\n\r\n"
                               "GET /bytes?n=100000 HTTP/1.1\r\n\r\n"
                               "GET /nope HTTP/1.1\r\n\r\n"
                               "GET /json HTTP/1.1\r\n\r\n";
    struct e2e_conn *conn = malloc(sizeof(*conn));
    struct e2e_response resp;
    (void)state;
    assert_non_null(conn);
    assert_true(e2e_conn_open(conn, server.port));
    assert_true(e2e_send_str(conn->fd, reqs));

    assert_int_equal(e2e_read_response(conn, &resp, false, E2E_TIMEOUT_MS), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body, "OK");
    e2e_response_free(&resp);
    assert_int_equal(e2e_read_response(conn, &resp, false, E2E_TIMEOUT_MS), 0);
    assert_string_equal(resp.body, "Hello, World!");
    e2e_response_free(&resp);
    assert_int_equal(e2e_read_response(conn, &resp, true, E2E_TIMEOUT_MS), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(e2e_header(&resp, "Content-Length"), "27");
    e2e_response_free(&resp);
    assert_int_equal(e2e_read_response(conn, &resp, false, E2E_TIMEOUT_MS), 0);
    check_pattern(&resp, 100000);
    e2e_response_free(&resp);
    assert_int_equal(e2e_read_response(conn, &resp, false, E2E_TIMEOUT_MS), 0);
    assert_int_equal(resp.status, 404);
    e2e_response_free(&resp);
    assert_int_equal(e2e_read_response(conn, &resp, false, E2E_TIMEOUT_MS), 0);
    assert_string_equal(resp.body, "{\"message\":\"Hello, World!\"}");
    e2e_response_free(&resp);
    e2e_conn_close(conn);
    free(conn);
}

/* A request dribbled in byte by byte is parsed as one request. */
static void test_request_split_into_single_bytes(void **state) {
    static const char req[] = "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: abcdef\r\n\r\n";
    struct e2e_conn *conn = malloc(sizeof(*conn));
    struct e2e_response resp;
    (void)state;
    assert_non_null(conn);
    assert_true(e2e_conn_open(conn, server.port));
    for (size_t i = 0; i < sizeof(req) - 1; i++) {
        assert_true(e2e_send(conn->fd, req + i, 1));
        if (i % 8 == 0)
            e2e_sleep_ms(1);
    }
    assert_int_equal(e2e_read_response(conn, &resp, false, E2E_TIMEOUT_MS), 0);
    assert_string_equal(resp.body, "Hello, World!");
    e2e_response_free(&resp);
    e2e_conn_close(conn);
    free(conn);
}

/* Keep-alive: many requests on one connection, one after the other. */
static void test_keep_alive_serves_many_requests(void **state) {
    NEEDS_KEEP_ALIVE();
    struct e2e_conn *conn = malloc(sizeof(*conn));
    (void)state;
    assert_non_null(conn);
    assert_true(e2e_conn_open(conn, server.port));
    for (int i = 0; i < 200; i++) {
        struct e2e_response resp;
        assert_true(e2e_send_str(conn->fd, "GET /hello HTTP/1.1\r\n\r\n"));
        assert_int_equal(e2e_read_response(conn, &resp, false, E2E_TIMEOUT_MS), 0);
        assert_int_equal(resp.status, 200);
        assert_true(resp.keep_alive);
        e2e_response_free(&resp);
    }
    e2e_conn_close(conn);
    free(conn);
}

/* Sends req on a fresh connection, expects status and then a close. */
static void expect_answer_then_close(const char *req, size_t len, int status, bool is_head) {
    struct e2e_conn *conn = malloc(sizeof(*conn));
    struct e2e_response resp;
    assert_non_null(conn);
    assert_true(e2e_conn_open(conn, server.port));
    assert_true(e2e_send(conn->fd, req, len));
    assert_int_equal(e2e_read_response(conn, &resp, is_head, E2E_TIMEOUT_MS), 0);
    if (resp.status != status)
        fail_msg("status %d, expected %d for: %.60s", resp.status, status, req);
    assert_false(resp.keep_alive);
    const char *connection = e2e_header(&resp, "Connection");
    assert_non_null(connection);
    assert_string_equal(connection, "close");
    e2e_response_free(&resp);
    assert_true(e2e_wait_closed(conn, E2E_TIMEOUT_MS));
    e2e_conn_close(conn);
    free(conn);
}

static void test_malformed_request_gets_400_and_close(void **state) {
    static const char *bad[] = {
        "GARBAGE\r\n\r\n",
        "GET /hello HTTP/9.9\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: a\x01b\r\n\r\n",
        "GET /hello HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", /* a TLS ClientHello */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_answer_then_close(bad[i], strlen(bad[i]), 400, false);
    /* ... and the server goes on serving. */
    expect_get("/hello", 200, "Hello, World!");
}

static void test_bad_request_after_good_ones_on_same_connection(void **state) {
    NEEDS_KEEP_ALIVE();
    static const char reqs[] = "GET /hello HTTP/1.1\r\n\r\nBAD REQUEST LINE\r\n\r\n";
    struct e2e_conn *conn = malloc(sizeof(*conn));
    struct e2e_response resp;
    (void)state;
    assert_non_null(conn);
    assert_true(e2e_conn_open(conn, server.port));
    assert_true(e2e_send_str(conn->fd, reqs));
    assert_int_equal(e2e_read_response(conn, &resp, false, E2E_TIMEOUT_MS), 0);
    assert_int_equal(resp.status, 200);
    e2e_response_free(&resp);
    assert_int_equal(e2e_read_response(conn, &resp, false, E2E_TIMEOUT_MS), 0);
    assert_int_equal(resp.status, 400);
    assert_false(resp.keep_alive);
    e2e_response_free(&resp);
    assert_true(e2e_wait_closed(conn, E2E_TIMEOUT_MS));
    e2e_conn_close(conn);
    free(conn);
}

static void test_oversized_headers_get_431(void **state) {
    size_t len = 0, cap = 40000;
    char *req = malloc(cap);
    (void)state;
    assert_non_null(req);
    len += (size_t)sprintf(req, "GET /hello HTTP/1.1\r\n");
    for (int i = 0; len < 20000; i++)
        len += (size_t)sprintf(req + len, "X-Header-%d: %0100d\r\n", i, i);
    len += (size_t)sprintf(req + len, "\r\n");
    expect_answer_then_close(req, len, 431, false);
    free(req);
    expect_get("/hello", 200, "Hello, World!");
}

static void test_long_target_gets_414(void **state) {
    char req[4096];
    (void)state;
    memcpy(req, "GET /", 5);
    memset(req + 5, 'x', 2000);
    strcpy(req + 2005, " HTTP/1.1\r\n\r\n");
    expect_answer_then_close(req, strlen(req), 414, false);
}

static void test_connection_close_and_http10(void **state) {
    static const char close_req[] = "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n";
    static const char http10[] = "GET /hello HTTP/1.0\r\n\r\n";
    (void)state;
    expect_answer_then_close(close_req, strlen(close_req), 200, false);
    expect_answer_then_close(http10, strlen(http10), 200, false);

    /* HTTP/1.0 with keep-alive asked for stays open. */
    if (!keeps_alive())
        return;
    struct e2e_conn *conn = malloc(sizeof(*conn));
    struct e2e_response resp;
    assert_non_null(conn);
    assert_true(e2e_conn_open(conn, server.port));
    for (int i = 0; i < 2; i++) {
        assert_true(
            e2e_send_str(conn->fd, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        assert_int_equal(e2e_read_response(conn, &resp, false, E2E_TIMEOUT_MS), 0);
        assert_int_equal(resp.status, 200);
        assert_string_equal(e2e_header(&resp, "Connection"), "keep-alive");
        e2e_response_free(&resp);
    }
    e2e_conn_close(conn);
    free(conn);
}

static void test_head_has_length_but_no_body(void **state) {
    NEEDS_KEEP_ALIVE();
    struct e2e_conn *conn = malloc(sizeof(*conn));
    struct e2e_response resp;
    (void)state;
    assert_non_null(conn);
    assert_true(e2e_conn_open(conn, server.port));
    assert_true(e2e_send_str(conn->fd, "HEAD /bytes?n=5000 HTTP/1.1\r\n\r\n"));
    assert_int_equal(e2e_read_response(conn, &resp, true, E2E_TIMEOUT_MS), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(e2e_header(&resp, "Content-Length"), "5000");
    e2e_response_free(&resp);
    /* If a body had been sent, it would be read as the next response. */
    assert_true(e2e_send_str(conn->fd, "GET /hello HTTP/1.1\r\n\r\n"));
    assert_int_equal(e2e_read_response(conn, &resp, false, E2E_TIMEOUT_MS), 0);
    assert_string_equal(resp.body, "Hello, World!");
    e2e_response_free(&resp);
    e2e_conn_close(conn);
    free(conn);
}

/* A client that vanishes mid-response costs the server nothing. */
static void test_client_closing_mid_response(void **state) {
    (void)state;
    for (int i = 0; i < 20; i++) {
        int fd = e2e_connect(server.port);
        assert_true(fd >= 0);
        assert_true(e2e_send_str(fd, "GET /bytes?n=16777216 HTTP/1.1\r\n\r\n"
                                     "GET /io?ms=50 HTTP/1.1\r\n\r\n"));
        char buf[1000];
        assert_true(read(fd, buf, sizeof(buf)) > 0);
        close(fd);
    }
    expect_get("/hello", 200, "Hello, World!");
}

/* Tests with their own server and flags. */

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
    own.pid = pid;
    close(out[1]);
    FILE *stream = fdopen(out[0], "r");
    assert_non_null(stream);
    assert_non_null(fgets(line, sizeof(line), stream));
    unsigned port = 0;
    assert_int_equal(sscanf(line, "listening on 127.0.0.1:%u", &port), 1);
    assert_true(port > 0);
    own.port = port;
    struct e2e_response resp;
    assert_int_equal(e2e_get(port, "/hello", &resp), 0);
    assert_string_equal(resp.body, "Hello, World!");
    e2e_response_free(&resp);
    assert_int_equal(e2e_server_stop(&own, SIGINT, E2E_TIMEOUT_MS), 0);
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

static void test_idle_keep_alive_connection_is_closed(void **state) {
    NEEDS_KEEP_ALIVE();
    static const char *const args[] = {"--keep-alive-timeout", "200ms", NULL};
    struct e2e_conn *conn = malloc(sizeof(*conn));
    struct e2e_response resp;
    (void)state;
    assert_non_null(conn);
    assert_int_equal(e2e_server_start(&own, args), 0);
    assert_true(e2e_conn_open(conn, own.port));
    assert_true(e2e_send_str(conn->fd, "GET /hello HTTP/1.1\r\n\r\n"));
    assert_int_equal(e2e_read_response(conn, &resp, false, E2E_TIMEOUT_MS), 0);
    assert_string_equal(e2e_header(&resp, "Keep-Alive"), "timeout=1");
    e2e_response_free(&resp);
    uint64_t start = clock_now_us();
    assert_true(e2e_wait_closed(conn, 3000));
    uint64_t idle = clock_now_us() - start;
    if (idle < 150000 || idle > 2000000)
        fail_msg("idle connection closed after %llu us; expected about 200 ms",
                 (unsigned long long)idle);
    e2e_conn_close(conn);
    free(conn);
    assert_int_equal(e2e_server_stop(&own, SIGTERM, E2E_TIMEOUT_MS), 0);
}

static void test_slow_headers_get_408(void **state) {
    static const char *const args[] = {"--headers-timeout", "300ms", NULL};
    struct e2e_conn *conn = malloc(sizeof(*conn));
    struct e2e_response resp;
    (void)state;
    assert_non_null(conn);
    assert_int_equal(e2e_server_start(&own, args), 0);
    assert_true(e2e_conn_open(conn, own.port));
    /* Headers trickle in, never complete: the timeout counts from the first byte. */
    uint64_t start = clock_now_us();
    assert_true(e2e_send_str(conn->fd, "GET /hello HTTP/1.1\r\n"));
    for (int i = 0; i < 3; i++) {
        e2e_sleep_ms(50);
        assert_true(e2e_send_str(conn->fd, "X-Slow: 1\r\n"));
    }
    assert_int_equal(e2e_read_response(conn, &resp, false, E2E_TIMEOUT_MS), 0);
    uint64_t waited = clock_now_us() - start;
    assert_int_equal(resp.status, 408);
    assert_false(resp.keep_alive);
    e2e_response_free(&resp);
    if (waited < 280000 || waited > 3000000)
        fail_msg("408 after %llu us; expected about 300 ms", (unsigned long long)waited);
    assert_true(e2e_wait_closed(conn, E2E_TIMEOUT_MS));
    e2e_conn_close(conn);

    /* A connection that never sends a byte is on the same clock (Node's
     * headersTimeout counts from the connection), while others are served. */
    assert_true(e2e_conn_open(conn, own.port));
    start = clock_now_us();
    expect_get_on(own.port, "/hello", 200, "Hello, World!");
    assert_int_equal(e2e_read_response(conn, &resp, false, E2E_TIMEOUT_MS), 0);
    waited = clock_now_us() - start;
    assert_int_equal(resp.status, 408);
    e2e_response_free(&resp);
    if (waited < 250000 || waited > 3000000)
        fail_msg("silent connection: 408 after %llu us; expected about 300 ms",
                 (unsigned long long)waited);
    assert_true(e2e_wait_closed(conn, E2E_TIMEOUT_MS));
    e2e_conn_close(conn);
    free(conn);
    assert_int_equal(e2e_server_stop(&own, SIGTERM, E2E_TIMEOUT_MS), 0);
}

/* SIGTERM: stop accepting, finish what is in flight, exit 0. */
static void test_sigterm_finishes_in_flight_requests(void **state) {
    NEEDS_KEEP_ALIVE();
    struct e2e_conn *busy = malloc(sizeof(*busy));
    struct e2e_conn *idle = malloc(sizeof(*idle));
    struct e2e_response resp;
    (void)state;
    assert_non_null(busy);
    assert_non_null(idle);
    assert_int_equal(e2e_server_start(&own, NULL), 0);
    assert_true(e2e_conn_open(busy, own.port));
    assert_true(e2e_conn_open(idle, own.port));
    assert_true(e2e_send_str(idle->fd, "GET /hello HTTP/1.1\r\n\r\n"));
    assert_int_equal(e2e_read_response(idle, &resp, false, E2E_TIMEOUT_MS), 0);
    e2e_response_free(&resp);
    assert_true(e2e_send_str(busy->fd, "GET /io?ms=300 HTTP/1.1\r\n\r\n"));
    e2e_sleep_ms(50);

    pid_t pid = own.pid;
    assert_int_equal(kill(pid, SIGTERM), 0);
    /* The idle keep-alive connection is closed at once ... */
    assert_true(e2e_wait_closed(idle, 2000));
    /* ... the busy one gets its answer, with Connection: close. */
    assert_int_equal(e2e_read_response(busy, &resp, false, E2E_TIMEOUT_MS), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body, "OK");
    assert_false(resp.keep_alive);
    e2e_response_free(&resp);
    assert_true(e2e_wait_closed(busy, E2E_TIMEOUT_MS));
    /* It exits 0 (stop sends SIGTERM again to an already-stopping server
     * only if it has not exited yet; waitpid collects it). */
    assert_int_equal(e2e_server_stop(&own, 0, E2E_TIMEOUT_MS), 0);
    /* Nothing listens there any more. */
    assert_true(e2e_connect(own.port) < 0);
    e2e_conn_close(busy);
    e2e_conn_close(idle);
    free(busy);
    free(idle);
}

/* ---- pre-fork models: the arbiter ---- */

static bool is_prefork(void) {
    return strcmp(e2e_model(), "gunicorn-gthread") == 0 ||
           strcmp(e2e_model(), "uvicorn-workers") == 0 ||
           strcmp(e2e_model(), "gunicorn-sync") == 0 || strcmp(e2e_model(), "node-cluster") == 0;
}

/* The worker pids of an arbiter, from /proc. */
static unsigned children_of(pid_t pid, pid_t *out, unsigned max) {
    char path[64], text[1024] = "";
    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
    FILE *in = fopen(path, "r");
    unsigned n = 0;
    if (!in)
        return 0;
    if (!fgets(text, sizeof(text), in))
        text[0] = '\0';
    fclose(in);
    for (char *p = text, *end; n < max; p = end) {
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        out[n++] = (pid_t)v;
    }
    return n;
}

/* Waits up to ms for the arbiter to have `want` workers, none in `old`. */
static bool wait_for_workers(pid_t arbiter, unsigned want, const pid_t *old, unsigned old_n,
                             unsigned ms, pid_t *now, unsigned *now_n) {
    for (unsigned waited = 0; waited <= ms; waited += 20) {
        *now_n = children_of(arbiter, now, 16);
        bool fresh = *now_n == want;
        for (unsigned i = 0; fresh && i < *now_n; i++)
            for (unsigned j = 0; j < old_n; j++)
                fresh = fresh && now[i] != old[j];
        if (fresh)
            return true;
        e2e_sleep_ms(20);
    }
    return false;
}

/* Starts the model with two workers and lists them in before (16 slots). */
static void start_two_workers(pid_t *before) {
    static const char *const args[] = {"--workers", "2", NULL};
    assert_int_equal(e2e_server_start(&own, args), 0);
    assert_int_equal(children_of(own.pid, before, 16), 2);
}

static void test_prefork_killed_worker_is_replaced_within_a_second(void **state) {
    pid_t before[16], after[16];
    unsigned n_after;
    (void)state;
    if (!is_prefork()) {
        skip();
        return;
    }
    start_two_workers(before);
    assert_int_equal(kill(before[0], SIGKILL), 0);
    assert_true(wait_for_workers(own.pid, 2, before, 1, 1000, after, &n_after));
    for (int i = 0; i < 10; i++)
        expect_get_on(own.port, "/hello", 200, "Hello, World!");
    assert_int_equal(e2e_server_stop(&own, SIGTERM, E2E_TIMEOUT_MS), 0);
    /* No worker outlives the arbiter, none is left a zombie. */
    for (unsigned i = 0; i < n_after; i++)
        assert_true(kill(after[i], 0) < 0);
}

static void test_prefork_hup_replaces_every_worker(void **state) {
    pid_t before[16], after[16];
    unsigned n_after;
    (void)state;
    if (!is_prefork()) {
        skip();
        return;
    }
    start_two_workers(before);
    assert_int_equal(kill(own.pid, SIGHUP), 0);
    assert_true(wait_for_workers(own.pid, 2, before, 2, 3000, after, &n_after));
    expect_get_on(own.port, "/hello", 200, "Hello, World!"); /* the same socket */
    assert_int_equal(e2e_server_stop(&own, SIGTERM, E2E_TIMEOUT_MS), 0);
}

/* A worker whose loop is stuck in one long request stops its heartbeat:
 * after --timeout the arbiter kills it and starts another (Gunicorn's
 * WORKER TIMEOUT). Pool workers keep beating from their poller. */
static void test_prefork_silent_worker_is_killed(void **state) {
    static const char *const args[] = {"--workers", "1", "--timeout", "1s", NULL};
    pid_t before[16], after[16];
    unsigned n_before, n_after;
    struct e2e_conn *conn = malloc(sizeof(*conn));
    struct e2e_response resp;
    (void)state;
    assert_non_null(conn);
    if (!is_prefork() || strcmp(e2e_model(), "gunicorn-gthread") == 0) {
        free(conn);
        skip();
        return;
    }
    assert_int_equal(e2e_server_start(&own, args), 0);
    n_before = children_of(own.pid, before, 16);
    assert_int_equal(n_before, 1);
    assert_true(e2e_conn_open(conn, own.port));
    uint64_t start = clock_now_us();
    assert_true(e2e_send_str(conn->fd, "GET /cpu?us=8000000 HTTP/1.1\r\n\r\n"));
    /* The connection dies with the worker, long before the 8 s of work. */
    assert_true(e2e_read_response(conn, &resp, false, E2E_TIMEOUT_MS) < 0);
    uint64_t took = clock_now_us() - start;
    if (took < 900000 || took > 5000000)
        fail_msg("the stuck worker went after %llu us; expected about 1-3 s",
                 (unsigned long long)took);
    e2e_conn_close(conn);
    free(conn);
    assert_true(wait_for_workers(own.pid, 1, before, 1, 2000, after, &n_after));
    expect_get_on(own.port, "/hello", 200, "Hello, World!");
    assert_int_equal(e2e_server_stop(&own, SIGTERM, E2E_TIMEOUT_MS), 0);
}

/* Total of "requests" over the processes in a /stats body. */
static unsigned long long stats_requests(const char *body) {
    unsigned long long total = 0;
    for (const char *p = strstr(body, "\"requests\":"); p; p = strstr(p + 1, "\"requests\":"))
        total += strtoull(p + strlen("\"requests\":"), NULL, 10);
    return total;
}

/* GET /stats on every model: JSON naming the model, requests per process
 * that grow as requests are answered, and the GIL's counters where there
 * is one. */
static void test_stats_reports_requests_and_gil(void **state) {
    struct e2e_response resp;
    char name[80];
    (void)state;
    assert_int_equal(e2e_get(server.port, "/stats", &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(e2e_header(&resp, "Content-Type"), "application/json");
    snprintf(name, sizeof(name), "{\"model\":\"%s\"", e2e_model());
    assert_true(strncmp(resp.body, name, strlen(name)) == 0);
    assert_non_null(strstr(resp.body, "\"processes\":[{\"pid\":"));
    bool has_gil =
        strcmp(e2e_model(), "python-threads") == 0 || strcmp(e2e_model(), "gunicorn-gthread") == 0;
    assert_true((strstr(resp.body, "\"gil\":{\"switch_interval_us\":5000") != NULL) == has_gil);
    unsigned long long before = stats_requests(resp.body);
    e2e_response_free(&resp);
    for (int i = 0; i < 20; i++)
        expect_get("/hello", 200, "Hello, World!");
    assert_int_equal(e2e_get(server.port, "/stats", &resp), 0);
    unsigned long long after = stats_requests(resp.body);
    if (after < before + 21)
        fail_msg("requests went from %llu to %llu after 21 more: %s", before, after, resp.body);
    e2e_response_free(&resp);
}

/* Gunicorn's sync worker: every answer closes its connection, even when
 * the client asked for keep-alive; pipelined requests after the first are
 * dropped with the connection. */
static void test_sync_closes_every_connection(void **state) {
    static const char reqs[] = "GET /hello HTTP/1.1\r\nConnection: keep-alive\r\n\r\n"
                               "GET /json HTTP/1.1\r\n\r\n";
    struct e2e_conn *conn;
    struct e2e_response resp;
    (void)state;
    if (keeps_alive()) {
        skip();
        return;
    }
    conn = malloc(sizeof(*conn));
    assert_non_null(conn);
    assert_true(e2e_conn_open(conn, server.port));
    assert_true(e2e_send_str(conn->fd, reqs));
    assert_int_equal(e2e_read_response(conn, &resp, false, E2E_TIMEOUT_MS), 0);
    assert_string_equal(resp.body, "Hello, World!");
    assert_false(resp.keep_alive);
    e2e_response_free(&resp);
    assert_true(e2e_wait_closed(conn, E2E_TIMEOUT_MS));
    e2e_conn_close(conn);
    free(conn);
}

int main(void) {
    const struct CMUnitTest shared[] = {
        cmocka_unit_test(test_hello_has_body_and_headers),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_work_endpoints_answer_ok),
        cmocka_unit_test(test_unknown_paths_get_404),
        cmocka_unit_test(test_bad_parameters_get_400_with_a_reason),
        cmocka_unit_test(test_bytes_sends_exactly_n_pattern_bytes),
        cmocka_unit_test(test_io_waits_at_least_ms),
        cmocka_unit_test(test_concurrent_io_waits_overlap),
        cmocka_unit_test(test_cpu_work_and_a_concurrent_hello),
        cmocka_unit_test(test_pipelined_requests_answer_in_order),
        cmocka_unit_test(test_request_split_into_single_bytes),
        cmocka_unit_test(test_keep_alive_serves_many_requests),
        cmocka_unit_test(test_malformed_request_gets_400_and_close),
        cmocka_unit_test(test_bad_request_after_good_ones_on_same_connection),
        cmocka_unit_test(test_oversized_headers_get_431),
        cmocka_unit_test(test_long_target_gets_414),
        cmocka_unit_test(test_connection_close_and_http10),
        cmocka_unit_test(test_head_has_length_but_no_body),
        cmocka_unit_test(test_client_closing_mid_response),
        cmocka_unit_test(test_sync_closes_every_connection),
        cmocka_unit_test(test_stats_reports_requests_and_gil),
    };
    const struct CMUnitTest own[] = {
        cmocka_unit_test_teardown(test_listening_line_on_stdout, stop_own),
        cmocka_unit_test_teardown(test_bad_flags_exit_2, stop_own),
        cmocka_unit_test_teardown(test_idle_keep_alive_connection_is_closed, stop_own),
        cmocka_unit_test_teardown(test_slow_headers_get_408, stop_own),
        cmocka_unit_test_teardown(test_sigterm_finishes_in_flight_requests, stop_own),
        cmocka_unit_test_teardown(test_prefork_killed_worker_is_replaced_within_a_second, stop_own),
        cmocka_unit_test_teardown(test_prefork_hup_replaces_every_worker, stop_own),
        cmocka_unit_test_teardown(test_prefork_silent_worker_is_killed, stop_own),
    };
    int failed = cmocka_run_group_tests_name("shared server", shared, start_shared, stop_shared);
    failed += cmocka_run_group_tests_name("own servers", own, NULL, NULL);
    return failed ? 1 : 0;
}
