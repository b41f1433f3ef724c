/*
 * engine_event.c — the `uvicorn` engine: one single-threaded libevent loop,
 * the shape of uvicorn on asyncio. As there:
 *  - /io waits on a timer (await asyncio.sleep), so waits overlap;
 *  - /cpu runs on the loop thread and blocks every other connection, as
 *    synchronous code in an `async def` handler does;
 *  - timeout_keep_alive (5 s) closes idle connections; backlog 2048;
 *  - no header timeout (uvicorn 0.17 has none): a slow head holds its
 *    connection as long as the client likes; --headers-timeout sets one.
 *
 * Raw events rather than bufferevents: a bufferevent copies every read and
 * write through evbuffers (allocated chunks); with raw events a connection
 * reads into the loop's one read buffer, parses in place, and writes the
 * response head and the static body straight from where they are — nothing
 * allocated per request. Bytes left over (a pipelined or half-read request)
 * move to a buffer of the connection's own until they are parsed, as the
 * node engine does and uvloop does with its per-loop buffer: an idle
 * connection holds no buffer, so the two loops differ only in library.
 *
 * Pipelined requests are answered one at a time, in order: reading pauses
 * while a request is being answered. SIGINT/SIGTERM: stop accepting, close
 * idle connections, let in-flight requests finish (Connection: close) for
 * up to --graceful-timeout; a second signal closes everything.
 */
#define _GNU_SOURCE /* accept4 */
#include "handlers.h"
#include "http1.h"
#include "listen.h"
#include "response.h"
#include "server.h"
#include "stats.h"
#include "work.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define CONN_BUF 65536

/* The engine's own names, EVC_ (event connection), apart from libevent's EV_. */
enum evc_state { EVC_READING, EVC_WORKING, EVC_WRITING, EVC_LINGERING };
enum evc_timer {
    EVC_TIMER_NONE,
    EVC_TIMER_IDLE,
    EVC_TIMER_HEADERS,
    EVC_TIMER_WORK,
    EVC_TIMER_LINGER
};

struct evc_server {
    struct event_base *base;
    const struct server_config *config;
    int listen_fd;
    struct event *accept_event, *sigint_event, *sigterm_event, *grace_event, *heartbeat_event;
    LIST_HEAD(, evc_conn) conns;
    bool is_stopping;
    char read_buf[CONN_BUF]; /* every connection reads here first */
};

struct evc_conn {
    struct evc_server *server;
    int fd;
    enum evc_state state;
    enum evc_timer timer_role;
    struct event *read_event, *write_event, *timer_event;
    bool is_reading;
    bool is_fresh;      /* no request yet */
    bool is_closed;     /* closed; memory freed from the loop, after the callback */
    bool is_processing; /* inside conn_process(): an answer done returns to it */
    struct http_conn http;
    struct response response;
    LIST_ENTRY(evc_conn) link;
    char *buf;         /* NULL, the loop's read_buf (while parsing), or our own */
    bool is_buf_owned; /* buf is ours: CONN_BUF bytes, freed with the connection */
    size_t start, end; /* unread bytes in buf */
};

static void conn_process(struct evc_conn *conn);

static void add_timer_ms(struct event *event, uint64_t ms) {
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(event, &tv);
}

static void conn_timer(struct evc_conn *conn, enum evc_timer role, uint64_t ms) {
    conn->timer_role = role;
    event_base_update_cache_time(conn->server->base); /* from now, not the loop's start */
    add_timer_ms(conn->timer_event, ms);
}

static void conn_timer_stop(struct evc_conn *conn) {
    conn->timer_role = EVC_TIMER_NONE;
    evtimer_del(conn->timer_event);
}

static void conn_reading(struct evc_conn *conn, bool on) {
    if (on && !conn->is_reading)
        event_add(conn->read_event, NULL);
    else if (!on && conn->is_reading)
        event_del(conn->read_event);
    conn->is_reading = on;
}

static void server_maybe_done(struct evc_server *server) {
    if (server->is_stopping && LIST_EMPTY(&server->conns))
        event_base_loopbreak(server->base);
}

static void conn_free(evutil_socket_t fd, short what, void *arg) {
    struct evc_conn *conn = arg;
    (void)fd;
    (void)what;
    struct event *events[] = {conn->read_event, conn->write_event, conn->timer_event};
    for (unsigned i = 0; i < 3; i++) {
        if (events[i])
            event_free(events[i]);
    }
    response_free(&conn->response);
    if (conn->is_buf_owned)
        free(conn->buf);
    free(conn);
}

/* Closes now; the memory goes once the callback in progress has returned,
 * so callers test conn->is_closed after anything that may close. */
static void conn_close(struct evc_conn *conn) {
    struct evc_server *server = conn->server;
    static const struct timeval now = {0, 0};

    if (conn->is_closed)
        return;
    conn->is_closed = true;
    LIST_REMOVE(conn, link);
    struct event *events[] = {conn->read_event, conn->write_event, conn->timer_event};
    for (unsigned i = 0; i < 3; i++) {
        if (events[i])
            event_del(events[i]);
    }
    close(conn->fd);
    if (event_base_once(server->base, -1, EV_TIMEOUT, conn_free, conn, &now) < 0)
        conn_free(-1, 0, conn);
    server_maybe_done(server);
}

/* Response sent on a closing connection: shut the write side and drain what
 * the peer still sends, so the kernel does not answer it with a RST. */
static void conn_linger(struct evc_conn *conn) {
    conn->state = EVC_LINGERING;
    shutdown(conn->fd, SHUT_WR);
    conn->start = conn->end = 0;
    conn_reading(conn, true);
    conn_timer(conn, EVC_TIMER_LINGER, RESPONSE_LINGER_MS);
}

static void conn_write(struct evc_conn *conn) {
    struct iovec iov[RESPONSE_IOV_MAX];
    unsigned count;

    while ((count = response_pending(&conn->response, iov)) > 0) {
        ssize_t n = writev(conn->fd, iov, (int)count);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            event_add(conn->write_event, NULL);
            return;
        }
        if (n < 0) {
            conn_close(conn);
            return;
        }
        response_advance(&conn->response, (size_t)n);
    }
    if (!conn->response.keep_alive) {
        conn_linger(conn);
        return;
    }
    http_conn_next(&conn->http);
    conn->state = EVC_READING;
    conn_reading(conn, true);
    if (!conn->is_processing) /* else the loop in conn_process() goes on */
        conn_process(conn);
}

static void conn_respond(struct evc_conn *conn) {
    stats_count(conn->server->config, -1);
    response_start(&conn->response, conn->server->config, !conn->server->is_stopping);
    conn->state = EVC_WRITING;
    conn_write(conn);
}

static void conn_fail(struct evc_conn *conn, int status, const char *reason) {
    conn_reading(conn, false);
    response_plan_error(&conn->response, status, reason);
    conn_respond(conn);
}

static void conn_start_work(struct evc_conn *conn) {
    const struct reply_plan *plan = &conn->response.plan;

    conn_timer_stop(conn);
    conn_reading(conn, false);
    conn->is_fresh = false;
    response_plan_request(&conn->response, &conn->http.req);
    server_runtime_cost(conn->server->config, NULL, NULL); /* on the loop thread */
    if (plan->is_stats)
        stats_answer(conn->server->config, NULL, &conn->response.plan,
                     response_stats_buffer(&conn->response));
    work_perform(&conn->response.plan, NULL); /* blocks the loop, as sync code does */
    if (plan->wait_ms > 0) {
        conn->state = EVC_WORKING;
        conn_timer(conn, EVC_TIMER_WORK, plan->wait_ms);
        return;
    }
    conn_respond(conn);
}

/* Parses what is buffered and answers; waits for more with the right timer. */
static void conn_process(struct evc_conn *conn) {
    const struct server_config *config = conn->server->config;

    conn->is_processing = true;
    while (!conn->is_closed && conn->state == EVC_READING) {
        enum http_event event = HTTP_EV_NEED_MORE;
        if (conn->start < conn->end) {
            conn->start += http_conn_feed(&conn->http, conn->buf + conn->start,
                                          conn->end - conn->start, &event);
        }
        if (event == HTTP_EV_ERROR) {
            conn_fail(conn, conn->http.error_status, conn->http.error_reason);
            break;
        }
        if (event == HTTP_EV_REQUEST) {
            conn_start_work(conn);
            continue;
        }
        /* Need more: headers deadline from a request's first byte (or the
         * connection's start), the idle timer between requests. */
        if (conn->start == conn->end)
            conn->start = conn->end = 0;
        bool is_mid = http_conn_is_mid_request(&conn->http);
        if (!is_mid && conn->server->is_stopping) {
            conn_close(conn);
            break;
        }
        if ((is_mid || conn->is_fresh) && !config->headers_timeout_ms) {
            /* uvicorn has none: data_received() cancels the keep-alive
             * timer and no other runs until the response (0.17,
             * protocols/http/h11_impl.py, _unset_keepalive_if_required). */
            if (conn->timer_role == EVC_TIMER_IDLE)
                conn_timer_stop(conn);
        } else if (is_mid || conn->is_fresh) {
            if (conn->timer_role != EVC_TIMER_HEADERS)
                conn_timer(conn, EVC_TIMER_HEADERS, config->headers_timeout_ms);
        } else if (conn->timer_role != EVC_TIMER_IDLE) {
            conn_timer(conn, EVC_TIMER_IDLE, config->keep_alive_timeout_ms);
        }
        break;
    }
    conn->is_processing = false;
}

/* After parsing from the loop's buffer: what is left moves to our own. */
static int conn_keep_leftover(struct evc_conn *conn) {
    size_t left = conn->end - conn->start;
    if (conn->is_buf_owned || conn->buf == NULL)
        return 0;
    if (conn->is_closed) {
        conn->buf = NULL;
        return 0;
    }
    if (left == 0) {
        conn->buf = NULL;
        conn->start = conn->end = 0;
        return 0;
    }
    char *own = malloc(CONN_BUF);
    if (!own)
        return -1;
    memcpy(own, conn->buf + conn->start, left);
    conn->buf = own;
    conn->is_buf_owned = true;
    conn->start = 0;
    conn->end = left;
    return 0;
}

static void conn_on_read(evutil_socket_t fd, short what, void *arg) {
    struct evc_conn *conn = arg;
    (void)what;

    if (!conn->buf) {
        conn->buf = conn->server->read_buf;
        conn->start = conn->end = 0;
    } else if (conn->end == CONN_BUF) {
        memmove(conn->buf, conn->buf + conn->start, conn->end - conn->start);
        conn->end -= conn->start;
        conn->start = 0;
    }
    ssize_t n = recv(fd, conn->buf + conn->end, CONN_BUF - conn->end, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        conn_keep_leftover(conn);
        return;
    }
    if (n <= 0) {
        if (!conn->is_buf_owned)
            conn->buf = NULL;
        conn_close(conn);
        return;
    }
    if (conn->state == EVC_LINGERING) {
        conn->start = conn->end = 0; /* drained and dropped */
        conn_keep_leftover(conn);
        return;
    }
    bool was_between = !http_conn_is_mid_request(&conn->http);
    conn->end += (size_t)n;
    if (was_between && conn->timer_role == EVC_TIMER_IDLE)
        conn_timer_stop(conn); /* a new request: its headers deadline starts now */
    conn_process(conn);
    /* conn_close() frees the connection only after this callback: still ours. */
    if (conn_keep_leftover(conn) < 0 && !conn->is_closed)
        conn_close(conn);
}

static void conn_on_writable(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    conn_write(arg);
}

static void conn_on_timer(evutil_socket_t fd, short what, void *arg) {
    struct evc_conn *conn = arg;
    enum evc_timer role = conn->timer_role;
    (void)fd;
    (void)what;

    conn->timer_role = EVC_TIMER_NONE;
    if (role == EVC_TIMER_WORK)
        conn_respond(conn);
    else if (role == EVC_TIMER_HEADERS)
        conn_fail(conn, 408, "request headers not received in time\n");
    else
        conn_close(conn);
}

static void server_on_accept(evutil_socket_t listen_fd, short what, void *arg) {
    struct evc_server *server = arg;
    int one = 1;
    (void)what;

    for (;;) {
        int fd = listen_accept(listen_fd, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        struct evc_conn *conn = malloc(sizeof(*conn));
        if (!conn) {
            close(fd);
            continue;
        }
        memset(conn, 0, sizeof(*conn));
        conn->server = server;
        conn->fd = fd;
        conn->is_fresh = true;
        conn->state = EVC_READING;
        http_conn_init(&conn->http);
        conn->read_event = event_new(server->base, fd, EV_READ | EV_PERSIST, conn_on_read, conn);
        conn->write_event = event_new(server->base, fd, EV_WRITE, conn_on_writable, conn);
        conn->timer_event = evtimer_new(server->base, conn_on_timer, conn);
        LIST_INSERT_HEAD(&server->conns, conn, link);
        if (!conn->read_event || !conn->write_event || !conn->timer_event) {
            conn_close(conn);
            continue;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        conn_reading(conn, true);
        conn_process(conn);
    }
}

static void server_close_all(struct evc_server *server) {
    while (!LIST_EMPTY(&server->conns))
        conn_close(LIST_FIRST(&server->conns));
    event_base_loopbreak(server->base);
}

static void server_on_grace_end(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    fprintf(stderr, "server: grace period over, closing the rest\n");
    server_close_all(arg);
}

static void server_on_signal(evutil_socket_t signum, short what, void *arg) {
    struct evc_server *server = arg;
    (void)what;

    if (!server_stop_begins(&server->is_stopping, (int)signum)) {
        server_close_all(server);
        return;
    }
    event_del(server->accept_event);
    close(server->listen_fd);
    /* Idle connections close now; the others when their answer is out. */
    for (struct evc_conn *conn = LIST_FIRST(&server->conns), *next; conn; conn = next) {
        next = LIST_NEXT(conn, link);
        if (conn->state == EVC_READING && !http_conn_is_mid_request(&conn->http))
            conn_close(conn);
    }
    add_timer_ms(server->grace_event, server->config->graceful_timeout_ms);
    server_maybe_done(server);
}

static void server_on_heartbeat(evutil_socket_t fd, short what, void *arg) {
    struct evc_server *server = arg;
    (void)fd;
    (void)what;
    server_heartbeat(server->config);
}

/* Makes the loop and the server's events; 0, or -1 leaving what it made
 * for server_free(). */
static int server_setup(struct evc_server *server) {
    struct event_config *event_config = event_config_new();

    if (!event_config)
        return -1;
    event_config_set_flag(event_config, EVENT_BASE_FLAG_NOLOCK);
    event_config_set_flag(event_config, EVENT_BASE_FLAG_PRECISE_TIMER);
    server->base = event_base_new_with_config(event_config);
    event_config_free(event_config);
    if (!server->base)
        return -1;
    fcntl(server->listen_fd, F_SETFL, fcntl(server->listen_fd, F_GETFL) | O_NONBLOCK);
    server->accept_event =
        event_new(server->base, server->listen_fd, EV_READ | EV_PERSIST, server_on_accept, server);
    server->sigint_event = evsignal_new(server->base, SIGINT, server_on_signal, server);
    server->sigterm_event = evsignal_new(server->base, SIGTERM, server_on_signal, server);
    server->grace_event = evtimer_new(server->base, server_on_grace_end, server);
    server->heartbeat_event = event_new(server->base, -1, EV_PERSIST, server_on_heartbeat, server);
    if (!server->accept_event || !server->sigint_event || !server->sigterm_event ||
        !server->grace_event || !server->heartbeat_event)
        return -1;
    return 0;
}

static void server_free(struct evc_server *server) {
    struct event *events[] = {server->accept_event, server->sigint_event, server->sigterm_event,
                              server->grace_event, server->heartbeat_event};
    for (unsigned i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        if (events[i])
            event_free(events[i]);
    }
    if (server->base)
        event_base_free(server->base);
    free(server);
}

int engine_event_run(const struct server_config *config, int listen_fd) {
    struct evc_server *server = calloc(1, sizeof(*server));
    int rc = 0;

    if (!server) {
        fprintf(stderr, "server: out of memory\n");
        return 1;
    }
    server->config = config;
    server->listen_fd = listen_fd;
    if (server_setup(server) < 0) {
        fprintf(stderr, "server: cannot set up the event loop\n");
        goto fail;
    }
    event_add(server->accept_event, NULL);
    event_add(server->sigint_event, NULL);
    event_add(server->sigterm_event, NULL);
    server_heartbeat(config);
    add_timer_ms(server->heartbeat_event, 1000);
    /* Only now can SIGTERM be handled: announce. */
    if (server_ready(config) < 0)
        rc = 1;
    else
        event_base_dispatch(server->base);
    while (!LIST_EMPTY(&server->conns))
        conn_close(LIST_FIRST(&server->conns));
    event_base_loop(server->base, EVLOOP_NONBLOCK); /* runs the deferred frees */
    if (!server->is_stopping)
        close(listen_fd);
    server_free(server);
    fprintf(stderr, "server: stopped\n");
    return rc;

fail:
    server_free(server);
    return 1;
}
