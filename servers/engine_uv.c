/*
 * engine_uv.c — the `node` engine: one libuv loop on one thread, as
 * Node.js runs its `http` server.
 *
 * A connection is a handle (struct uv_conn: the TCP handle, one timer, the
 * parser); what is in flight on it is a request in libuv's sense (a
 * uv_write_t, or the timer standing for a pending /io wait). As in Node:
 *  - /io waits on a timer, so any number of waits overlap;
 *  - /cpu runs on the loop thread and blocks every other connection while
 *    it runs, as a JavaScript handler would;
 *  - keepAliveTimeout (5 s) closes idle connections, headersTimeout (60 s)
 *    answers 408 to a request whose headers do not arrive in time — but,
 *    as in Node, only when a sweep every connectionsCheckingInterval (30 s,
 *    --connections-checking-interval) finds it late (lib/_http_server.js:
 *    setupConnectionsTracking's setInterval, checkConnections ->
 *    ConnectionsList::Expired), so a slow head goes at 60 to 90 s;
 *  - TCP_NODELAY on every socket (Node's `noDelay` default is true);
 *  - answers are written with uv_try_write, falling back to uv_write when
 *    the socket buffer is full; /bytes bodies go out in 64 KiB chunks.
 * `node-workers` is the same loop with /cpu handed to libuv's threadpool
 * (uv_queue_work; --pool, default 4 as UV_THREADPOOL_SIZE), as a Node app
 * that offloads CPU work to worker_threads: the loop stays free.
 * Pipelined requests are answered one at a time, in order: reading stops
 * while a request is being answered and resumes when it is done.
 *
 * Reads land in one loop-wide 64 KiB buffer (as Node reads into a shared
 * slab); only bytes left over behind a request still being answered are
 * copied to the connection. Nothing else is allocated per request.
 *
 * SIGINT/SIGTERM: stop accepting, close idle connections, let in-flight
 * requests finish (answered with Connection: close) for up to
 * --graceful-timeout, then close the rest and return 0. A second signal
 * closes everything at once.
 */
#include "handlers.h"
#include "http1.h"
#include "listen.h"
#include "response.h"
#include "server.h"
#include "stats.h"
#include "work.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>
#include <uv.h>

#define READ_BUF_SIZE 65536

enum conn_state {
    CONN_READING,   /* waiting for (the rest of) a request */
    CONN_WORKING,   /* a request's wait is on the timer */
    CONN_WRITING,   /* a response is in uv_write */
    CONN_LINGERING, /* response sent, write side shut, draining until EOF */
    CONN_CLOSING,
};

enum timer_role { TIMER_NONE, TIMER_IDLE, TIMER_HEADERS, TIMER_WORK, TIMER_LINGER };

struct uv_server {
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_pipe_t ipc;       /* node-cluster, round-robin: connections come from the primary */
    uv_stream_t *source; /* where connections come from: the listener or the pipe */
    uv_signal_t sigint, sigterm;
    uv_timer_t grace;
    uv_timer_t heartbeat; /* under the arbiter: "I am alive", once a second */
    uv_timer_t checker;   /* Node's connectionsCheckingInterval: late heads get 408 */
    const struct server_config *config;
    LIST_HEAD(, uv_conn) conns; /* every open connection, for shutdown */
    bool is_stopping;
    char read_buf[READ_BUF_SIZE];
};

struct uv_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t write_req;
    uv_shutdown_t shutdown_req;
    struct uv_server *server;
    LIST_ENTRY(uv_conn) link;
    enum conn_state state;
    enum timer_role timer_role; /* TIMER_HEADERS: on the checker, not the timer */
    uint64_t headers_since_ms;  /* uv_now() when the head began (parser's last_message_start_) */
    int open_handles;
    bool is_reading;
    bool is_parsing; /* inside conn_parse(): completions must not re-enter it */
    struct http_conn http;
    struct response response;
    size_t write_len; /* bytes handed to the uv_write in flight */
    char *pending;    /* bytes read behind a request still being answered */
    size_t pending_len, pending_cap;
    uv_work_t cpu_req; /* node-workers: /cpu work on the libuv threadpool */
};

static void conn_wait_for_input(struct uv_conn *conn);
static size_t conn_parse(struct uv_conn *conn, const char *data, size_t len);

/* A connection is freed when its handles are closed and no pool work
 * still refers to it. */
static void conn_unref(struct uv_conn *conn) {
    if (--conn->open_handles == 0) {
        response_free(&conn->response);
        free(conn->pending);
        free(conn);
    }
}

static void conn_on_close(uv_handle_t *handle) {
    conn_unref(handle->data);
}

static void conn_close(struct uv_conn *conn) {
    if (conn->state == CONN_CLOSING)
        return;
    conn->state = CONN_CLOSING;
    LIST_REMOVE(conn, link);
    uv_close((uv_handle_t *)&conn->tcp, conn_on_close);
    uv_close((uv_handle_t *)&conn->timer, conn_on_close);
}

static void conn_timer_start(struct uv_conn *conn, enum timer_role role, uint64_t ms);

static void conn_read_stop(struct uv_conn *conn) {
    if (conn->is_reading) {
        uv_read_stop((uv_stream_t *)&conn->tcp);
        conn->is_reading = false;
    }
}

static void conn_on_shutdown(uv_shutdown_t *req, int status) {
    struct uv_conn *conn = req->data;

    if (conn->state == CONN_CLOSING)
        return;
    if (status < 0)
        conn_close(conn);
}

/*
 * Closes after a final response: shut the write side (FIN) and drain what
 * the peer still sends until it closes, so unread bytes in our receive
 * buffer do not turn the close into a reset that destroys the response.
 */
static void conn_linger(struct uv_conn *conn) {
    conn->state = CONN_LINGERING;
    conn->pending_len = 0;
    conn->shutdown_req.data = conn;
    if (uv_shutdown(&conn->shutdown_req, (uv_stream_t *)&conn->tcp, conn_on_shutdown) < 0) {
        conn_close(conn);
        return;
    }
    conn_timer_start(conn, TIMER_LINGER, RESPONSE_LINGER_MS);
    conn_wait_for_input(conn);
}

static void conn_response_done(struct uv_conn *conn) {
    http_conn_next(&conn->http);
    if (!conn->response.keep_alive || conn->server->is_stopping) {
        conn_linger(conn);
        return;
    }
    conn->state = CONN_READING;
    if (conn->is_parsing)
        return; /* conn_parse() goes on with the bytes it holds */

    if (conn->pending_len > 0) {
        size_t used = conn_parse(conn, conn->pending, conn->pending_len);
        conn->pending_len -= used;
        memmove(conn->pending, conn->pending + used, conn->pending_len);
    }
    if (conn->state == CONN_READING)
        conn_wait_for_input(conn);
}

static void conn_on_write(uv_write_t *req, int status);

/* The response's buffers as libuv's; returns how many and their total. */
static unsigned conn_pending(const struct uv_conn *conn, uv_buf_t bufs[RESPONSE_IOV_MAX],
                             size_t *total) {
    struct iovec iov[RESPONSE_IOV_MAX];
    unsigned n = response_pending(&conn->response, iov);

    *total = 0;
    for (unsigned i = 0; i < n; i++) {
        bufs[i] = uv_buf_init(iov[i].iov_base, (unsigned)iov[i].iov_len);
        *total += iov[i].iov_len;
    }
    return n;
}

/* Writes what is left of the response with uv_try_write; when the socket
 * buffer is full, hands the rest of those buffers to uv_write and goes on
 * from its callback. */
static void conn_write(struct uv_conn *conn) {
    uv_buf_t bufs[RESPONSE_IOV_MAX];
    size_t total;
    unsigned n;

    while ((n = conn_pending(conn, bufs, &total)) > 0) {
        int written = uv_try_write((uv_stream_t *)&conn->tcp, bufs, n);
        if (written == UV_EAGAIN) {
            written = 0;
        } else if (written < 0) {
            conn_close(conn);
            return;
        }
        response_advance(&conn->response, (size_t)written);
        if ((size_t)written == total)
            continue;

        n = conn_pending(conn, bufs, &conn->write_len);
        conn->write_req.data = conn;
        if (uv_write(&conn->write_req, (uv_stream_t *)&conn->tcp, bufs, n, conn_on_write) < 0)
            conn_close(conn);
        return;
    }
    conn_response_done(conn);
}

static void conn_on_write(uv_write_t *req, int status) {
    struct uv_conn *conn = req->data;

    if (conn->state == CONN_CLOSING)
        return;
    if (status < 0) {
        conn_close(conn);
        return;
    }
    response_advance(&conn->response, conn->write_len);
    conn_write(conn);
}

static void conn_respond(struct uv_conn *conn) {
    stats_count(conn->server->config, -1);
    response_start(&conn->response, conn->server->config, !conn->server->is_stopping);
    conn->state = CONN_WRITING;
    conn_write(conn);
}

/* Answers an error the parser or a timeout found, then closes. */
static void conn_fail(struct uv_conn *conn, int status, const char *reason) {
    response_plan_error(&conn->response, status, reason);
    conn_respond(conn);
}

static void conn_on_timer(uv_timer_t *timer) {
    struct uv_conn *conn = timer->data;
    enum timer_role role = conn->timer_role;

    conn->timer_role = TIMER_NONE;
    switch (role) {
    case TIMER_WORK:
        conn_respond(conn);
        break;
    case TIMER_HEADERS: /* never: late heads are the checker's (server_on_check) */
    case TIMER_IDLE:
    case TIMER_LINGER:
    case TIMER_NONE:
        conn_close(conn);
        break;
    }
}

/* TIMER_HEADERS starts no timer: the head's start is noted for the
 * checker (server_on_check), as Node's parser notes last_message_start_. */
static void conn_timer_start(struct uv_conn *conn, enum timer_role role, uint64_t ms) {
    conn->timer_role = role;
    if (role == TIMER_HEADERS) {
        uv_timer_stop(&conn->timer);
        conn->headers_since_ms = uv_now(&conn->server->loop);
        return;
    }
    uv_timer_start(&conn->timer, conn_on_timer, ms, 0);
}

static void conn_timer_stop(struct uv_conn *conn) {
    if (conn->timer_role != TIMER_NONE) {
        uv_timer_stop(&conn->timer);
        conn->timer_role = TIMER_NONE;
    }
}

static void conn_after_cpu(struct uv_conn *conn);

static void conn_on_pool_work(uv_work_t *req) {
    struct uv_conn *conn = req->data;
    work_perform(&conn->response.plan, NULL);
}

static void conn_on_pool_done(uv_work_t *req, int status) {
    struct uv_conn *conn = req->data;
    bool is_closing = conn->state == CONN_CLOSING;
    (void)status;
    conn_unref(conn);
    if (!is_closing)
        conn_after_cpu(conn);
}

/* Runs a routed request: CPU work on this thread (or the pool), then the
 * wait, then the answer. */
static void conn_start_work(struct uv_conn *conn) {
    const struct reply_plan *plan = &conn->response.plan;

    conn_timer_stop(conn);
    response_plan_request(&conn->response, &conn->http.req);
    server_runtime_cost(conn->server->config, NULL, NULL); /* on the loop thread */
    if (plan->is_stats)
        stats_answer(conn->server->config, NULL, &conn->response.plan,
                     response_stats_buffer(&conn->response));
    if (work_is_due(plan) && conn->server->config->pool > 0) {
        /* node-workers: off the loop, as a worker_threads / threadpool job. */
        conn->state = CONN_WORKING;
        conn->cpu_req.data = conn;
        conn->open_handles++;
        uv_queue_work(&conn->server->loop, &conn->cpu_req, conn_on_pool_work, conn_on_pool_done);
        return;
    }
    work_perform(&conn->response.plan, NULL); /* blocks the loop, as JS would */
    conn_after_cpu(conn);
}

static void conn_after_cpu(struct uv_conn *conn) {
    uint64_t wait_ms = conn->response.plan.wait_ms;

    if (wait_ms > 0) {
        conn->state = CONN_WORKING;
        /* The wait starts now, after the CPU work: refresh the loop's cached
         * clock first, as Node does before it arms a timer. */
        uv_update_time(&conn->server->loop);
        conn_timer_start(conn, TIMER_WORK, wait_ms);
        return;
    }
    conn_respond(conn);
}

/* Parses and answers requests until one has to wait; returns bytes used. */
static size_t conn_parse(struct uv_conn *conn, const char *data, size_t len) {
    size_t used = 0;

    conn->is_parsing = true;
    while (conn->state == CONN_READING) {
        enum http_event event;

        used += http_conn_feed(&conn->http, data + used, len - used, &event);
        if (event == HTTP_EV_NEED_MORE)
            break;
        if (event == HTTP_EV_ERROR)
            conn_fail(conn, conn->http.error_status, conn->http.error_reason);
        else
            conn_start_work(conn);
    }
    conn->is_parsing = false;
    /* A response that completed inside the loop left its follow-up here. */
    if (conn->state == CONN_LINGERING)
        used = len;
    return used;
}

static void conn_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
    struct uv_conn *conn = handle->data;

    (void)suggested;
    *buf = uv_buf_init(conn->server->read_buf, READ_BUF_SIZE);
}

static void conn_keep_pending(struct uv_conn *conn, const char *data, size_t len) {
    if (conn->pending_len + len > conn->pending_cap) {
        size_t cap = conn->pending_len + len;
        char *p = realloc(conn->pending, cap);
        if (!p) {
            conn_close(conn);
            return;
        }
        conn->pending = p;
        conn->pending_cap = cap;
    }
    memcpy(conn->pending + conn->pending_len, data, len);
    conn->pending_len += len;
}

static void conn_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
    struct uv_conn *conn = stream->data;

    if (nread == 0)
        return;
    if (nread < 0) {
        /* EOF or error: nothing more will come; a request cut short gets
         * no answer, as in Node. */
        conn_close(conn);
        return;
    }
    if (conn->state == CONN_LINGERING)
        return; /* draining */

    size_t used = conn_parse(conn, buf->base, (size_t)nread);

    if (conn->state == CONN_READING) {
        conn_wait_for_input(conn);
    } else if (conn->state == CONN_WORKING || conn->state == CONN_WRITING) {
        conn_read_stop(conn);
        if (used < (size_t)nread)
            conn_keep_pending(conn, buf->base + used, (size_t)nread - used);
    }
}

/*
 * Reading again, with the timer that fits: the headers deadline, which the
 * first byte of a request starts and later bytes do not extend (so a
 * slowloris client cannot hold a connection), or the keep-alive idle timer.
 */
static void conn_wait_for_input(struct uv_conn *conn) {
    const struct server_config *config = conn->server->config;

    if (conn->state == CONN_READING) {
        /* A fresh connection is already on the headers deadline. */
        if (http_conn_is_mid_request(&conn->http) || conn->timer_role == TIMER_HEADERS) {
            if (conn->timer_role != TIMER_HEADERS)
                conn_timer_start(conn, TIMER_HEADERS, config->headers_timeout_ms);
        } else {
            conn_timer_start(conn, TIMER_IDLE, config->keep_alive_timeout_ms);
        }
    }
    if (!conn->is_reading) {
        if (uv_read_start((uv_stream_t *)&conn->tcp, conn_alloc, conn_on_read) < 0) {
            conn_close(conn);
            return;
        }
        conn->is_reading = true;
    }
}

/* Takes one connection from stream (the listener, or the IPC pipe). */
static void conn_accept(struct uv_server *server, uv_stream_t *stream) {
    struct uv_conn *conn = calloc(1, sizeof(*conn));
    if (!conn) {
        fprintf(stderr, "server: out of memory for a connection\n");
        return;
    }
    conn->server = server;
    uv_tcp_init(&server->loop, &conn->tcp);
    uv_timer_init(&server->loop, &conn->timer);
    conn->tcp.data = conn;
    conn->timer.data = conn;
    conn->open_handles = 2;
    conn->state = CONN_READING;
    http_conn_init(&conn->http);
    LIST_INSERT_HEAD(&server->conns, conn, link);

    if (uv_accept(stream, (uv_stream_t *)&conn->tcp) < 0) {
        conn_close(conn);
        return;
    }
    uv_tcp_nodelay(&conn->tcp, 1);
    /* A new connection gets the headers deadline, as in Node. */
    conn_timer_start(conn, TIMER_HEADERS, server->config->headers_timeout_ms);
    conn_wait_for_input(conn);
}

static void server_on_connection(uv_stream_t *listener, int status) {
    if (status < 0) {
        fprintf(stderr, "server: accept: %s\n", uv_strerror(status));
        return;
    }
    conn_accept(listener->data, listener);
}

static void ipc_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
    static char bytes[64];
    (void)handle;
    (void)suggested;
    *buf = uv_buf_init(bytes, sizeof(bytes));
}

/* A connection handed over by the primary (SCM_RIGHTS); acknowledge it so
 * the primary may send the next one, as Node's round-robin handles do. */
static void ipc_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
    struct uv_server *server = stream->data;
    uv_pipe_t *pipe = (uv_pipe_t *)stream;
    (void)buf;

    if (nread < 0) {
        uv_read_stop(stream); /* the primary is gone; the arbiter's SIGTERM follows */
        return;
    }
    /* One byte comes with each connection. Out of descriptors, the kernel
     * drops the descriptor (MSG_CTRUNC) and only the byte arrives: that is
     * acknowledged too, or the primary would wait on this worker forever. */
    for (ssize_t i = 0; i < nread; i++) {
        if (uv_pipe_pending_count(pipe) > 0)
            conn_accept(server, stream);
        uv_buf_t ack = uv_buf_init("a", 1);
        uv_try_write(stream, &ack, 1);
    }
    while (uv_pipe_pending_count(pipe) > 0)
        conn_accept(server, stream);
}

static void server_close_all(struct uv_server *server) {
    while (!LIST_EMPTY(&server->conns))
        conn_close(LIST_FIRST(&server->conns));
    if (!uv_is_closing((uv_handle_t *)&server->grace))
        uv_close((uv_handle_t *)&server->grace, NULL);
}

static void server_on_grace_end(uv_timer_t *timer) {
    struct uv_server *server = timer->data;

    fprintf(stderr, "server: graceful timeout; closing the remaining connections\n");
    server_close_all(server);
}

static void server_on_signal(uv_signal_t *signal, int signum) {
    struct uv_server *server = signal->data;

    if (!server_stop_begins(&server->is_stopping, signum)) {
        server_close_all(server);
        return;
    }
    uv_close((uv_handle_t *)server->source, NULL);
    for (struct uv_conn *conn = LIST_FIRST(&server->conns), *next; conn; conn = next) {
        next = LIST_NEXT(conn, link);
        if (conn->state == CONN_READING && !http_conn_is_mid_request(&conn->http))
            conn_close(conn);
    }
    uv_timer_start(&server->grace, server_on_grace_end, server->config->graceful_timeout_ms, 0);
    /* The loop ends when the last connection closes, not at the timer. */
    uv_unref((uv_handle_t *)&server->grace);
}

/* checkConnections(): every connection whose head began headersTimeout ago
 * or more and is not complete is answered 408 and closed. */
static void server_on_check(uv_timer_t *timer) {
    struct uv_server *server = timer->data;
    uint64_t now = uv_now(&server->loop);
    for (struct uv_conn *conn = LIST_FIRST(&server->conns), *next; conn; conn = next) {
        next = LIST_NEXT(conn, link);
        if (conn->timer_role == TIMER_HEADERS &&
            now - conn->headers_since_ms >= server->config->headers_timeout_ms) {
            conn->timer_role = TIMER_NONE;
            conn_read_stop(conn);
            conn_fail(conn, 408, "request headers not received in time\n");
        }
    }
}

static void server_on_heartbeat(uv_timer_t *timer) {
    struct uv_server *server = timer->data;
    server_heartbeat(server->config);
}

/* Where connections come from: the listening socket, or in a round-robin
 * cluster worker the primary's pipe. Returns 0 or a libuv error. */
static int open_source(struct uv_server *server, int listen_fd) {
    const struct server_config *config = server->config;
    int rc;
    if (config->ipc_fd >= 0) {
        /* Round-robin cluster worker: the primary accepts, we never do. */
        close(listen_fd);
        uv_pipe_init(&server->loop, &server->ipc, 1);
        server->ipc.data = server;
        server->source = (uv_stream_t *)&server->ipc;
        rc = uv_pipe_open(&server->ipc, config->ipc_fd);
        if (rc == 0)
            rc = uv_read_start(server->source, ipc_alloc, ipc_on_read);
    } else {
        uv_tcp_init(&server->loop, &server->listener);
        server->listener.data = server;
        server->source = (uv_stream_t *)&server->listener;
        /* libuv 1.44 cannot bind with SO_REUSEPORT itself; main binds and hands over. */
        rc = uv_tcp_open(&server->listener, listen_fd);
        if (rc == 0)
            rc = uv_listen(server->source, config->backlog, server_on_connection);
    }
    return rc;
}

/* The grace, heartbeat and header-check timers and the signal handlers;
 * none of them alone keeps the loop alive. */
static void start_handles(struct uv_server *server) {
    const struct server_config *config = server->config;
    uv_timer_init(&server->loop, &server->grace);
    server->grace.data = server;
    uv_timer_init(&server->loop, &server->heartbeat);
    server->heartbeat.data = server;
    uv_timer_start(&server->heartbeat, server_on_heartbeat, 0, 1000);
    uv_unref((uv_handle_t *)&server->heartbeat); /* it alone does not keep the loop alive */
    uv_timer_init(&server->loop, &server->checker);
    server->checker.data = server;
    if (config->headers_timeout_ms && config->headers_check_ms)
        uv_timer_start(&server->checker, server_on_check, config->headers_check_ms,
                       config->headers_check_ms);
    uv_unref((uv_handle_t *)&server->checker); /* .unref(), as Node's */
    server->sigint.data = server->sigterm.data = server;
    uv_signal_start(&server->sigint, server_on_signal, SIGINT);
    uv_signal_start(&server->sigterm, server_on_signal, SIGTERM);
    /* Signals alone do not keep the loop alive: it ends with the last connection. */
    uv_unref((uv_handle_t *)&server->sigint);
    uv_unref((uv_handle_t *)&server->sigterm);
}

int engine_uv_run(const struct server_config *config, int listen_fd) {
    struct uv_server *server = calloc(1, sizeof(*server));
    int rc;

    if (!server) {
        fprintf(stderr, "server: out of memory\n");
        return 1;
    }
    server->config = config;
    if (config->pool > 0) {
        /* libuv reads it once, when the threadpool first starts. */
        char size[16];
        snprintf(size, sizeof(size), "%u", config->pool);
        setenv("UV_THREADPOOL_SIZE", size, 1);
    }
    rc = uv_loop_init(&server->loop);
    if (rc < 0) {
        fprintf(stderr, "server: libuv loop: %s\n", uv_strerror(rc));
        free(server);
        return 1;
    }
    /* The signal handles need the loop's signal pipe: the one step that
     * fails when descriptors run out (ulimit -n), so it comes first. */
    if ((rc = uv_signal_init(&server->loop, &server->sigint)) < 0) {
        fprintf(stderr, "server: libuv signals: %s\n", uv_strerror(rc));
        uv_loop_close(&server->loop);
        free(server);
        return 1;
    }
    uv_signal_init(&server->loop, &server->sigterm); /* the pipe exists now */
    rc = open_source(server, listen_fd);
    if (rc < 0) {
        fprintf(stderr, "server: listen: %s\n", uv_strerror(rc));
        free(server);
        return 1;
    }
    start_handles(server);
    /* Only now can SIGTERM be handled: a runner may send it as soon as it
     * learns the port. */
    if (server_ready(config) < 0) {
        uv_stop(&server->loop);
        server_close_all(server);
        uv_close((uv_handle_t *)server->source, NULL);
        rc = 1;
    }

    uv_run(&server->loop, UV_RUN_DEFAULT);

    uv_close((uv_handle_t *)&server->sigint, NULL);
    uv_close((uv_handle_t *)&server->sigterm, NULL);
    uv_close((uv_handle_t *)&server->heartbeat, NULL);
    uv_close((uv_handle_t *)&server->checker, NULL);
    if (!uv_is_closing((uv_handle_t *)&server->grace))
        uv_close((uv_handle_t *)&server->grace, NULL);
    uv_run(&server->loop, UV_RUN_DEFAULT);
    int closed = uv_loop_close(&server->loop);
    free(server);
    fprintf(stderr, "server: stopped\n");
    return rc == 0 && closed == 0 ? 0 : 1;
}
