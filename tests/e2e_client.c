/* e2e_client.c — see e2e_client.h. */
#include "e2e_client.h"

#include "../bench/proctree.h"

#include "../common/clock.h"
#include "../common/cpuwork.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka.h needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

const char *e2e_model(void) {
    const char *model = getenv("SHOWDOWN_MODEL");
    return model && *model ? model : "node";
}

/* Milliseconds left until deadline_us, for poll(); never negative. */
static int ms_left(uint64_t deadline_us) {
    uint64_t now = clock_now_us();
    return now >= deadline_us ? 0 : (int)((deadline_us - now + 999) / 1000);
}

int e2e_server_start(struct e2e_server *server, const char *const *extra_args) {
    return e2e_server_start_model(server, e2e_model(), extra_args);
}

const char *e2e_cpu_calibration(void) {
    static char figure[32];
    if (!figure[0]) {
        const char *given = getenv("SHOWDOWN_CPU_CALIBRATION");
        if (given && strtod(given, NULL) > 0)
            snprintf(figure, sizeof(figure), "%s", given);
        else
            snprintf(figure, sizeof(figure), "%.3f", cpuwork_calibrate());
    }
    return figure;
}

int e2e_server_start_model(struct e2e_server *server, const char *model,
                           const char *const *extra_args) {
    const char *path = getenv("SHOWDOWN_SERVER");
    const char *argv[32];
    unsigned argc = 0;
    bool is_calibrated = false;

    if (!path || !*path) {
        fprintf(stderr, "e2e: set SHOWDOWN_SERVER to the server binary (make e2e does)\n");
        return -1;
    }
    argv[argc++] = path;
    argv[argc++] = "--model";
    argv[argc++] = model;
    argv[argc++] = "--port";
    argv[argc++] = "0";
    argv[argc++] = "--ready-fd";
    argv[argc++] = "3";
    for (unsigned i = 0; extra_args && extra_args[i] && argc < 29; i++) {
        is_calibrated |= !strcmp(extra_args[i], "--cpu-calibration");
        argv[argc++] = extra_args[i];
    }
    if (!is_calibrated) {
        argv[argc++] = "--cpu-calibration";
        argv[argc++] = e2e_cpu_calibration();
    }
    argv[argc] = NULL;
    return e2e_command_start(server, argv);
}

int e2e_command_start(struct e2e_server *server, const char *const *argv) {
    int pipe_fds[2];
    if (pipe(pipe_fds) < 0) {
        perror("e2e: pipe");
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("e2e: fork");
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return -1;
    }
    if (pid == 0) {
        /* A group of its own, so that stopping it reaches any workers. */
        setpgid(0, 0);
        close(pipe_fds[0]);
        if (pipe_fds[1] != 3) {
            dup2(pipe_fds[1], 3);
            close(pipe_fds[1]);
        }
        /* The tests read the port from the pipe; stdout stays quiet. */
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, STDOUT_FILENO);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "e2e: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pipe_fds[1]);

    char line[32];
    size_t len = 0;
    uint64_t deadline = clock_now_us() + E2E_TIMEOUT_MS * 1000ull;
    while (len < sizeof(line) - 1 && !memchr(line, '\n', len)) {
        struct pollfd pfd = {.fd = pipe_fds[0], .events = POLLIN};
        int rc = poll(&pfd, 1, ms_left(deadline));
        if (rc <= 0)
            break;
        ssize_t n = read(pipe_fds[0], line + len, sizeof(line) - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(pipe_fds[0]);
    line[len] = '\0';
    server->pid = pid;
    server->port = (unsigned)strtoul(line, NULL, 10);
    if (!memchr(line, '\n', len) || server->port == 0) {
        fprintf(stderr, "e2e: %s", argv[0]);
        for (unsigned i = 1; argv[i]; i++)
            fprintf(stderr, " %s", argv[i]);
        fprintf(stderr, ": did not report a port\n");
        e2e_server_stop(server, SIGKILL, 1000);
        return -1;
    }
    return 0;
}

int e2e_server_stop(struct e2e_server *server, int sig, int timeout_ms) {
    int status;
    uint64_t deadline = clock_now_us() + (uint64_t)timeout_ms * 1000;

    if (server->pid <= 0)
        return -1;
    kill(server->pid, sig);
    for (;;) {
        pid_t done = waitpid(server->pid, &status, WNOHANG);
        if (done == server->pid)
            break;
        if (done < 0 || clock_now_us() >= deadline) {
            kill(server->pid, SIGKILL);
            waitpid(server->pid, &status, 0);
            server->pid = 0;
            return -1;
        }
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    server->pid = 0;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

int e2e_connect(unsigned port) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

bool e2e_send(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

bool e2e_send_str(int fd, const char *data) {
    return e2e_send(fd, data, strlen(data));
}

static struct e2e_conn *conn_of(llhttp_t *parser) {
    return parser->data;
}

static void append(char *dst, size_t cap, size_t *len, const char *at, size_t n) {
    size_t room = cap - 1 - *len;
    if (n > room)
        n = room;
    memcpy(dst + *len, at, n);
    *len += n;
    dst[*len] = '\0';
}

static int on_header_field(llhttp_t *parser, const char *at, size_t n) {
    struct e2e_conn *conn = conn_of(parser);
    if (conn->in_value) {
        conn->in_value = false;
        conn->field_len = 0;
    }
    append(conn->field, sizeof(conn->field), &conn->field_len, at, n);
    return 0;
}

static int on_header_value(llhttp_t *parser, const char *at, size_t n) {
    struct e2e_conn *conn = conn_of(parser);
    struct e2e_response *resp = conn->current;
    if (!conn->in_value) {
        if (resp->header_count == E2E_MAX_HEADERS)
            return -1;
        conn->in_value = true;
        struct e2e_header *h = &resp->headers[resp->header_count++];
        memcpy(h->name, conn->field, conn->field_len + 1);
        h->value[0] = '\0';
    }
    struct e2e_header *h = &resp->headers[resp->header_count - 1];
    size_t len = strlen(h->value);
    append(h->value, sizeof(h->value), &len, at, n);
    return 0;
}

static int on_headers_complete(llhttp_t *parser) {
    struct e2e_conn *conn = conn_of(parser);
    conn->current->status = parser->status_code;
    conn->current->http_major = parser->http_major;
    conn->current->http_minor = parser->http_minor;
    return conn->expect_no_body ? 1 : 0; /* 1: no body follows (HEAD) */
}

static int on_body(llhttp_t *parser, const char *at, size_t n) {
    struct e2e_response *resp = conn_of(parser)->current;
    char *body = realloc(resp->body, resp->body_len + n + 1);
    if (!body)
        return -1;
    memcpy(body + resp->body_len, at, n);
    resp->body = body;
    resp->body_len += n;
    body[resp->body_len] = '\0';
    return 0;
}

static int on_message_complete(llhttp_t *parser) {
    struct e2e_conn *conn = conn_of(parser);
    conn->message_done = true;
    conn->current->keep_alive = llhttp_should_keep_alive(parser);
    return HPE_PAUSED;
}

bool e2e_conn_open(struct e2e_conn *conn, unsigned port) {
    memset(conn, 0, sizeof(*conn));
    llhttp_settings_init(&conn->settings);
    conn->settings.on_header_field = on_header_field;
    conn->settings.on_header_value = on_header_value;
    conn->settings.on_headers_complete = on_headers_complete;
    conn->settings.on_body = on_body;
    conn->settings.on_message_complete = on_message_complete;
    llhttp_init(&conn->parser, HTTP_RESPONSE, &conn->settings);
    conn->parser.data = conn;
    conn->fd = e2e_connect(port);
    return conn->fd >= 0;
}

void e2e_conn_close(struct e2e_conn *conn) {
    if (conn->fd >= 0)
        close(conn->fd);
    conn->fd = -1;
}

/* Reads more bytes into the buffer: >0 bytes read, 0 peer closed, -1
 * error, -3 timeout. */
static int fill(struct e2e_conn *conn, uint64_t deadline_us) {
    if (conn->buf_start == conn->buf_end)
        conn->buf_start = conn->buf_end = 0;
    if (conn->buf_end == sizeof(conn->buf)) {
        memmove(conn->buf, conn->buf + conn->buf_start, conn->buf_end - conn->buf_start);
        conn->buf_end -= conn->buf_start;
        conn->buf_start = 0;
    }
    for (;;) {
        struct pollfd pfd = {.fd = conn->fd, .events = POLLIN};
        int rc = poll(&pfd, 1, ms_left(deadline_us));
        if (rc == 0)
            return -3;
        if (rc < 0 && errno == EINTR)
            continue;
        ssize_t n = recv(conn->fd, conn->buf + conn->buf_end, sizeof(conn->buf) - conn->buf_end, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == ECONNRESET ? 0 : -1;
        conn->buf_end += (size_t)n;
        return (int)(n > 0 ? 1 : 0);
    }
}

int e2e_read_response(struct e2e_conn *conn, struct e2e_response *resp, bool is_head,
                      int timeout_ms) {
    uint64_t start = clock_now_us();
    uint64_t deadline = start + (uint64_t)timeout_ms * 1000;

    memset(resp, 0, sizeof(*resp));
    conn->current = resp;
    conn->expect_no_body = is_head;
    conn->message_done = false;
    conn->in_value = false;
    conn->field_len = 0;
    for (;;) {
        if (conn->buf_start < conn->buf_end) {
            const char *data = conn->buf + conn->buf_start;
            llhttp_errno_t err =
                llhttp_execute(&conn->parser, data, conn->buf_end - conn->buf_start);
            if (err == HPE_PAUSED) {
                conn->buf_start += (size_t)(llhttp_get_error_pos(&conn->parser) - data);
                llhttp_resume(&conn->parser);
            } else if (err == HPE_OK) {
                conn->buf_start = conn->buf_end;
            } else {
                fprintf(stderr, "e2e: bad response: %s\n", llhttp_get_error_reason(&conn->parser));
                return -2;
            }
            if (conn->message_done)
                break;
        }
        int rc = fill(conn, deadline);
        if (rc < 0 && rc != -3)
            return -1;
        if (rc == -3)
            return -3;
        if (rc == 0)
            return -1;
    }
    resp->elapsed_us = clock_now_us() - start;
    if (!resp->body) {
        resp->body = calloc(1, 1);
        if (!resp->body)
            return -2;
    }
    return 0;
}

void e2e_response_free(struct e2e_response *resp) {
    free(resp->body);
    resp->body = NULL;
}

const char *e2e_header(const struct e2e_response *resp, const char *name) {
    for (unsigned i = 0; i < resp->header_count; i++) {
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    }
    return NULL;
}

bool e2e_wait_closed(struct e2e_conn *conn, int timeout_ms) {
    uint64_t deadline = clock_now_us() + (uint64_t)timeout_ms * 1000;
    if (conn->buf_start < conn->buf_end)
        return false; /* unread bytes: it said more than expected */
    int rc = fill(conn, deadline);
    return rc == 0;
}

int e2e_get(unsigned port, const char *target, struct e2e_response *resp) {
    struct e2e_conn *conn = malloc(sizeof(*conn));
    char req[2048];
    int rc;

    memset(resp, 0, sizeof(*resp));
    if (!conn)
        return -4;
    if (!e2e_conn_open(conn, port)) {
        free(conn);
        return -4;
    }
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", target);
    uint64_t start = clock_now_us(); /* from the send: the server may answer before we read */
    rc = e2e_send_str(conn->fd, req) ? e2e_read_response(conn, resp, false, E2E_TIMEOUT_MS) : -1;
    if (rc == 0)
        resp->elapsed_us = clock_now_us() - start;
    e2e_conn_close(conn);
    free(conn);
    return rc;
}

double e2e_json_number(const char *text, const char *from_key, const char *key) {
    char needle[128];
    const char *at = text;
    if (from_key) {
        snprintf(needle, sizeof(needle), "\"%s\":", from_key);
        at = strstr(text, needle);
        if (!at)
            fail_msg("no \"%s\" in: %s", from_key, text);
    }
    snprintf(needle, sizeof(needle), "\"%s\":", key);
    at = strstr(at, needle);
    if (!at)
        fail_msg("no \"%s\" in: %s", key, text);
    return strtod(at + strlen(needle), NULL);
}

void e2e_sleep_ms(unsigned ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- For cmocka tests ---- */

struct e2e_server e2e_shared;
struct e2e_server e2e_own;

int e2e_shared_start(void **state) {
    (void)state;
    return e2e_server_start(&e2e_shared, NULL);
}

int e2e_shared_stop(void **state) {
    (void)state;
    return e2e_shared.pid > 0 && e2e_server_stop(&e2e_shared, SIGTERM, E2E_TIMEOUT_MS) == 0 ? 0
                                                                                            : -1;
}

int e2e_own_stop(void **state) {
    (void)state;
    if (e2e_own.pid > 0)
        e2e_server_stop(&e2e_own, SIGKILL, E2E_TIMEOUT_MS);
    return 0;
}

bool e2e_keeps_alive(void) {
    /* Gunicorn sync has no keep-alive; the stock ThreadingHTTPServer speaks
     * HTTP/1.0 (python-threads without --keep-alive). */
    return strcmp(e2e_model(), "gunicorn-sync") != 0 && strcmp(e2e_model(), "python-threads") != 0;
}

bool e2e_is_prefork(const char *model) {
    return strcmp(model, "gunicorn-gthread") == 0 || strcmp(model, "uvicorn-workers") == 0 ||
           strcmp(model, "gunicorn-sync") == 0 || strcmp(model, "node-cluster") == 0;
}

struct e2e_conn *e2e_conn_new(unsigned port) {
    struct e2e_conn *conn = malloc(sizeof(*conn));
    assert_non_null(conn);
    assert_true(e2e_conn_open(conn, port));
    return conn;
}

void e2e_conn_free(struct e2e_conn *conn) {
    e2e_conn_close(conn);
    free(conn);
}

void e2e_send_request(struct e2e_conn *conn, const char *request) {
    assert_true(e2e_send_str(conn->fd, request));
}

void e2e_expect_response(struct e2e_conn *conn, struct e2e_response *resp, bool is_head) {
    assert_int_equal(e2e_read_response(conn, resp, is_head, E2E_TIMEOUT_MS), 0);
}

void e2e_expect_status(struct e2e_conn *conn, int status) {
    struct e2e_response resp;
    e2e_expect_response(conn, &resp, false);
    assert_int_equal(resp.status, status);
    e2e_response_free(&resp);
}

void e2e_expect_get(unsigned port, const char *target, int status, const char *body) {
    struct e2e_response resp;
    assert_int_equal(e2e_get(port, target, &resp), 0);
    if (resp.status != status)
        fail_msg("GET %s: status %d, expected %d (body: %s)", target, resp.status, status,
                 resp.body);
    if (body)
        assert_string_equal(resp.body, body);
    e2e_response_free(&resp);
}

void e2e_expect_answer_then_close(unsigned port, const char *req, size_t len, int status,
                                  bool is_head) {
    struct e2e_conn *conn = e2e_conn_new(port);
    struct e2e_response resp;
    assert_true(e2e_send(conn->fd, req, len));
    e2e_expect_response(conn, &resp, is_head);
    if (resp.status != status)
        fail_msg("status %d, expected %d for: %.60s", resp.status, status, req);
    assert_false(resp.keep_alive);
    const char *connection = e2e_header(&resp, "Connection");
    assert_non_null(connection);
    assert_string_equal(connection, "close");
    e2e_response_free(&resp);
    assert_true(e2e_wait_closed(conn, E2E_TIMEOUT_MS));
    e2e_conn_free(conn);
}

void e2e_check_pattern(const struct e2e_response *resp, size_t n) {
    assert_int_equal(resp->status, 200);
    assert_int_equal(resp->body_len, n);
    for (size_t i = 0; i < n; i++) {
        if (resp->body[i] != (char)('a' + i % 26))
            fail_msg("/bytes?n=%zu: byte %zu is %#x", n, i, (unsigned char)resp->body[i]);
    }
}

double e2e_server_cpu_s(const struct e2e_server *server) {
    struct tree_sample sample;
    assert_int_equal(tree_sample(server->pid, &sample), 0);
    return sample.cpu_user_s + sample.cpu_sys_s;
}
