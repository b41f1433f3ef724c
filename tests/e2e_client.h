/*
 * e2e_client.h — what the end-to-end tests need to drive a real server:
 * start bin/server on port 0 and learn its port, stop it and collect its
 * exit status, and a small blocking HTTP/1.1 client whose responses are
 * parsed by llhttp (HTTP_RESPONSE), so framing is checked by the same
 * parser family that real clients use, not by string matching; and the
 * set-up the per-feature test files (e2e_endpoints.c, e2e_keepalive.c, ...)
 * share: a group's shared server or a test's own, and expectations that
 * fail the running cmocka test.
 *
 * Every wait has a deadline: a broken server fails a test, it never hangs
 * the suite.
 */
#ifndef SHOWDOWN_E2E_CLIENT_H
#define SHOWDOWN_E2E_CLIENT_H

#include <llhttp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define E2E_TIMEOUT_MS 10000 /* default deadline for any single wait */

struct e2e_server {
    pid_t pid;
    unsigned port;
};

/*
 * Starts $SHOWDOWN_SERVER --model $SHOWDOWN_MODEL --port 0 --ready-fd N,
 * followed by the NULL-terminated extra_args (may be NULL) and, unless they
 * name one, --cpu-calibration e2e_cpu_calibration(); waits for the port.
 * Returns 0, or -1 with a message on stderr.
 */
int e2e_server_start(struct e2e_server *server, const char *const *extra_args);
/* The C CPU work's iterations per µs ("251.300") that every server a test
 * process starts is given, as bin/bench gives one to every process of a run
 * (bench/calibrate.h): $SHOWDOWN_CPU_CALIBRATION (make e2e measures it once
 * for all the tests), else measured once in this process. */
const char *e2e_cpu_calibration(void);

/* The same for a named model. */
int e2e_server_start_model(struct e2e_server *server, const char *model,
                           const char *const *extra_args);

/* Starts argv (a NULL-terminated command, found on PATH) in a process group
 * of its own with a pipe as descriptor 3, and waits for it to write
 * "PORT\n" there, as bin/server --ready-fd 3 and the peers do. Returns 0,
 * or -1 with a message on stderr. */
int e2e_command_start(struct e2e_server *server, const char *const *argv);

/* Sends sig and waits up to timeout_ms for the exit. Returns the exit
 * status, 128+signal if it was killed, or -1 on a timeout (then it is
 * SIGKILLed and reaped). */
int e2e_server_stop(struct e2e_server *server, int sig, int timeout_ms);

/* $SHOWDOWN_MODEL, or "node". */
const char *e2e_model(void);

/* A connected TCP socket to 127.0.0.1:port, TCP_NODELAY; -1 on error. */
int e2e_connect(unsigned port);

/* Writes all of data; false on error. */
bool e2e_send(int fd, const char *data, size_t len);
bool e2e_send_str(int fd, const char *data);

#define E2E_MAX_HEADERS 32

struct e2e_header {
    char name[64];
    char value[256];
};

struct e2e_response {
    int status;
    unsigned http_major, http_minor;
    bool keep_alive; /* llhttp_should_keep_alive() after the message */
    struct e2e_header headers[E2E_MAX_HEADERS];
    unsigned header_count;
    char *body; /* malloc'd, NUL-terminated */
    size_t body_len;
    uint64_t
        elapsed_us; /* from e2e_read_response()'s call (e2e_get(): the send) to the last byte */
};

/* One connection with its unread bytes, so pipelined responses can be read
 * one by one. */
struct e2e_conn {
    int fd;
    llhttp_t parser;
    llhttp_settings_t settings;
    struct e2e_response *current;
    bool expect_no_body; /* the request was HEAD */
    bool message_done;
    char field[64];
    size_t field_len;
    bool in_value;
    char buf[65536];
    size_t buf_start, buf_end;
};

/* Connects; false on error. */
bool e2e_conn_open(struct e2e_conn *conn, unsigned port);
void e2e_conn_close(struct e2e_conn *conn);

/*
 * Reads one complete response. is_head: the request was HEAD, so the
 * response has no body whatever Content-Length says. Returns 0, -1 if the
 * peer closed before a complete response, -2 on a parse error, -3 on a
 * timeout. The caller frees with e2e_response_free().
 */
int e2e_read_response(struct e2e_conn *conn, struct e2e_response *resp, bool is_head,
                      int timeout_ms);
void e2e_response_free(struct e2e_response *resp);

/* The value of a header (case-insensitive name), or NULL. */
const char *e2e_header(const struct e2e_response *resp, const char *name);

/* Waits for the peer to close: true if it did within timeout_ms without
 * sending anything more. */
bool e2e_wait_closed(struct e2e_conn *conn, int timeout_ms);

/* Opens a connection, sends "GET target HTTP/1.1", reads the response.
 * Returns as e2e_read_response(), or -4 if it could not connect. */
int e2e_get(unsigned port, const char *target, struct e2e_response *resp);

/* The number after "key": in text, after "from_key": when that is not NULL
 * (bin/loadgen --json, GET /stats). A missing key fails the test. */
double e2e_json_number(const char *text, const char *from_key, const char *key);

void e2e_sleep_ms(unsigned ms);

/* ---- For cmocka tests: each of these fails the running test on error ---- */

/* CPU seconds (user + system) server's whole process tree — an arbiter and
 * its workers — has used so far (bench/proctree.h): what work costs, which
 * a busy neighbour does not stretch as it stretches wall time. */
double e2e_server_cpu_s(const struct e2e_server *server);

/* The server a group of tests shares, started with no extra flags:
 * e2e_shared_start is the group's setup, e2e_shared_stop its teardown
 * (a server that does not exit 0 on SIGTERM fails the group). */
extern struct e2e_server e2e_shared;
int e2e_shared_start(void **state);
int e2e_shared_stop(void **state);

/* A test's own server, for flags of its own: e2e_own_stop is the test's
 * teardown, so a test that fails half-way leaves no server behind. */
extern struct e2e_server e2e_own;
int e2e_own_stop(void **state);

/* Whether $SHOWDOWN_MODEL keeps a connection open after an answer:
 * Gunicorn's sync worker and python-threads (HTTP/1.0, as the stock
 * ThreadingHTTPServer) close every connection after one. */
bool e2e_keeps_alive(void);

/* Skips the running test on a model that closes every connection. */
#define E2E_NEEDS_KEEP_ALIVE()                                                                     \
    do {                                                                                           \
        if (!e2e_keeps_alive()) {                                                                  \
            skip();                                                                                \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Whether model is a pre-fork one: an arbiter and its workers. */
bool e2e_is_prefork(const char *model);

/* A connection to 127.0.0.1:port on the heap (a struct e2e_conn holds a
 * 64 KiB buffer); e2e_conn_free closes and frees it. */
struct e2e_conn *e2e_conn_new(unsigned port);
void e2e_conn_free(struct e2e_conn *conn);

/* Sends request (a string) on conn. */
void e2e_send_request(struct e2e_conn *conn, const char *request);
/* Reads the next complete response on conn within E2E_TIMEOUT_MS (is_head:
 * as e2e_read_response()). The caller frees it with e2e_response_free(). */
void e2e_expect_response(struct e2e_conn *conn, struct e2e_response *resp, bool is_head);

/* Reads the next response on conn, as e2e_expect_response(): it has this
 * status (and is freed). */
void e2e_expect_status(struct e2e_conn *conn, int status);

/* GET target on a new connection: the status, and the exact body unless
 * body is NULL. */
void e2e_expect_get(unsigned port, const char *target, int status, const char *body);

/* Sends len bytes of req on a new connection: the answer has this status,
 * says "Connection: close", and the server closes the connection after it. */
void e2e_expect_answer_then_close(unsigned port, const char *req, size_t len, int status,
                                  bool is_head);

/* A /bytes?n=N answer: 200 and exactly n bytes of the pattern a..z a..z ... */
void e2e_check_pattern(const struct e2e_response *resp, size_t n);

#endif
