/*
 * blocking.c — see blocking.h. The request loop of a blocking-I/O Python
 * server thread: parse what is buffered, answer, read more with the GIL
 * released, time out as the flags say.
 */
#define _GNU_SOURCE /* pipe2 */
#include "blocking.h"

#include "../common/clock.h"
#include "handlers.h"
#include "listen.h"
#include "response.h"
#include "stats.h"
#include "work.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static int wake_fd = -1;
static volatile sig_atomic_t signals_seen;

unsigned blk_signals_seen(void) {
    return (unsigned)signals_seen;
}

static void on_signal(int signum) {
    char byte = (char)signum;
    signals_seen++;
    if (write(wake_fd, &byte, 1) < 0) {
        /* nothing to do: the pipe is full, so a wake-up is pending anyway */
    }
}

void blk_python_enter(struct blk_server *server, const struct blk_holder *holder) {
    if (server->has_gil)
        gil_take(&server->gil, holder);
}

void blk_python_leave(struct blk_server *server, const struct blk_holder *holder) {
    if (server->has_gil)
        gil_drop(&server->gil, holder);
}

void blk_python_yield(struct blk_server *server, const struct blk_holder *holder) {
    blk_python_leave(server, holder);
    blk_python_enter(server, holder);
}

uint64_t blk_headers_deadline_us(const struct server_config *config) {
    return config->headers_timeout_ms ? clock_now_us() + config->headers_timeout_ms * 1000
                                      : UINT64_MAX;
}

static void holder_checkpoint(void *arg) {
    struct blk_holder *holder = arg;
    gil_checkpoint(&holder->server->gil, holder);
}

static void holder_release(void *arg) {
    struct blk_holder *holder = arg;
    gil_drop(&holder->server->gil, holder);
}

static void holder_retake(void *arg) {
    struct blk_holder *holder = arg;
    gil_take(&holder->server->gil, holder);
}

/* Sends what is pending — only the head, with head_only — with the GIL
 * released around the sends, as one sock_sendall() (Modules/socketmodule.c)
 * is. Returns 0, or -1 if the peer is gone. */
static int send_part(struct blk_conn *conn, const struct blk_holder *holder, bool head_only) {
    struct response *response = &conn->response;
    struct iovec iov[RESPONSE_IOV_MAX];
    unsigned count;
    int rc = 0;

    blk_python_leave(conn->server, holder);
    while (rc == 0 && (count = response_pending(response, iov)) > 0) {
        if (head_only && response->head_sent == response->head_len)
            break;
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = head_only ? 1 : count};
        ssize_t n = sendmsg(conn->fd, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = -1;
        else
            response_advance(response, (size_t)n);
    }
    blk_python_enter(conn->server, holder);
    return rc;
}

/*
 * Writes conn's response (response_start() with may_keep_alive). Called
 * holding the GIL; returns holding it. With config->is_head_apart the head
 * and the body are two sendall() calls, so two GIL releases and
 * re-acquisitions — http.server's flush_headers() then wfile.write(body)
 * (Lib/http/server.py), gunicorn's Response.send_headers() then write()
 * (gunicorn/http/wsgi.py, util.write); else one. Returns 0, or -1 if the
 * peer is gone.
 */
static int respond(struct blk_conn *conn, const struct blk_holder *holder, bool may_keep_alive) {
    const struct server_config *config = conn->server->config;
    struct response *response = &conn->response;

    response_start(response, config, may_keep_alive);
    if (config->is_head_apart && response->body_len > 0 && send_part(conn, holder, true) < 0)
        return -1;
    return send_part(conn, holder, false);
}

/* gthread's handle_request(): resp.force_close() once max_keepalived
 * connections wait idle already (len(self._keep), gunicorn/workers/gthread.py). */
static bool is_keep_full(struct blk_server *server) {
    unsigned cap = server->config->max_keepalived;
    if (!cap)
        return false;
    pthread_mutex_lock(&server->mutex);
    bool is_full = server->parked >= cap;
    pthread_mutex_unlock(&server->mutex);
    return is_full;
}

/* Runs a request the way the handler says: CPU work under the GIL (a C
 * library's with it released), the wait with it released, then the answer. */
static int serve_request(struct blk_conn *conn, struct blk_holder *holder) {
    struct blk_server *server = conn->server;
    struct response *response = &conn->response;
    struct reply_plan *plan = &response->plan;
    struct gil *gil = server->has_gil ? &server->gil : NULL;
    struct work_gil work_gil = {holder_checkpoint, holder_release, holder_retake, holder};

    response_plan_request(response, &conn->http.req);
    server_runtime_cost(server->config, gil ? holder_checkpoint : NULL, holder); /* the GIL held */
    if (plan->is_stats)
        stats_answer(server->config, gil, &response->plan, response_stats_buffer(response));
    work_perform(plan, gil ? &work_gil : NULL);
    if (plan->wait_ms > 0) {
        struct timespec wait = {(time_t)(plan->wait_ms / 1000),
                                (long)(plan->wait_ms % 1000) * 1000000L};
        blk_python_leave(server, holder);
        while (nanosleep(&wait, &wait) < 0 && errno == EINTR)
            ;
        blk_python_enter(server, holder);
    }
    bool may_keep_alive = !atomic_load(&server->is_stopping) &&
                          !server->config->closes_connections && !is_keep_full(server);
    stats_count(server->config, holder->thread_index);
    if (respond(conn, holder, may_keep_alive) < 0)
        return -1;
    return response->keep_alive ? 0 : -1;
}

static void set_idle(struct blk_conn *conn, bool is_idle) {
    pthread_mutex_lock(&conn->server->mutex);
    conn->is_idle = is_idle;
    pthread_mutex_unlock(&conn->server->mutex);
}

/*
 * Waits for more bytes (GIL released). Returns >0 bytes read, 0 when the
 * peer closed or the server is stopping and the connection is idle, -1 on
 * an error, -2 when the deadline passed.
 */
static ssize_t receive(struct blk_conn *conn, const struct blk_holder *holder,
                       uint64_t deadline_us) {
    struct blk_server *server = conn->server;
    ssize_t n = -2;

    if (conn->start == conn->end)
        conn->start = conn->end = 0;
    if (conn->end == sizeof(conn->buf)) {
        memmove(conn->buf, conn->buf + conn->start, conn->end - conn->start);
        conn->end -= conn->start;
        conn->start = 0;
    }
    blk_python_leave(server, holder);
    for (;;) {
        uint64_t now = clock_now_us();
        if (now >= deadline_us)
            break;
        struct pollfd pfd = {.fd = conn->fd, .events = POLLIN};
        uint64_t wait_ms = (deadline_us - now + 999) / 1000;
        int ready = poll(&pfd, 1, wait_ms > 60000 ? 60000 : (int)wait_ms); /* UINT64_MAX: none */
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            continue; /* the deadline check above ends it */
        n = recv(conn->fd, conn->buf + conn->end, sizeof(conn->buf) - conn->end, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            n = errno == ECONNRESET ? 0 : -1;
        break;
    }
    blk_python_enter(server, holder);
    if (n > 0)
        conn->end += (size_t)n;
    return n;
}

/* Answers an error the parser or a timeout found; the connection then closes. */
void blk_fail(struct blk_conn *conn, const struct blk_holder *holder, int status,
              const char *reason) {
    response_plan_error(&conn->response, status, reason);
    respond(conn, holder, false);
}

/* Serves one connection until it closes. Runs Python: holds the GIL. */
enum blk_result blk_serve(struct blk_conn *conn, struct blk_holder *holder, bool may_park) {
    struct blk_server *server = conn->server;
    const struct server_config *config = server->config;
    bool has_read = false; /* since this call began */

    for (;;) {
        enum http_event event = HTTP_EV_NEED_MORE;
        if (conn->start < conn->end) {
            size_t used = http_conn_feed(&conn->http, conn->buf + conn->start,
                                         conn->end - conn->start, &event);
            conn->start += used;
        }
        if (event == HTTP_EV_ERROR) {
            blk_fail(conn, holder, conn->http.error_status, conn->http.error_reason);
            return BLK_CLOSE;
        }
        if (event == HTTP_EV_REQUEST) {
            conn->is_fresh = false;
            if (serve_request(conn, holder) < 0)
                return BLK_CLOSE;
            http_conn_next(&conn->http);
            continue;
        }
        /* More bytes needed: the headers deadline runs from the first byte
         * of a request (or the connection); between requests, the idle one. */
        bool has_partial = http_conn_is_mid_request(&conn->http);
        bool is_mid = has_partial || conn->is_fresh;
        /* Between requests with nothing buffered: a pool thread hands the
         * connection back to the poller rather than wait on it (gthread). */
        if (may_park && has_read && !has_partial)
            return BLK_PARK;
        if (!has_partial) {
            set_idle(conn, true);
            if (atomic_load(&server->is_stopping))
                return BLK_CLOSE;
        }
        uint64_t deadline = is_mid ? conn->headers_deadline_us
                                   : clock_now_us() + config->keep_alive_timeout_ms * 1000;
        ssize_t n = receive(conn, holder, deadline);
        if (!has_partial)
            set_idle(conn, false);
        if (n == -2 && is_mid) {
            blk_fail(conn, holder, 408, "request headers not received in time\n");
            return BLK_CLOSE;
        }
        if (n <= 0)
            return BLK_CLOSE;
        has_read = true;
        if (!has_partial && !conn->is_fresh)
            conn->headers_deadline_us = blk_headers_deadline_us(config);
    }
}

/* Closes without losing an answer in flight: shut the write side, drain
 * what the peer still sends (so the kernel sends no RST), then close. */
void blk_close_lingering(int fd) {
    char sink[4096];
    uint64_t deadline = clock_now_us() + RESPONSE_LINGER_MS * 1000;
    shutdown(fd, SHUT_WR);
    for (;;) {
        uint64_t now = clock_now_us();
        if (now >= deadline)
            break;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)((deadline - now) / 1000) + 1) <= 0)
            break;
        if (recv(fd, sink, sizeof(sink), 0) <= 0)
            break;
    }
    close(fd);
}

struct blk_conn *blk_conn_open(struct blk_server *server, int fd) {
    struct blk_conn *conn = malloc(sizeof(*conn));
    if (!conn)
        return NULL;
    conn->server = server;
    conn->fd = fd;
    conn->is_idle = false;
    conn->start = conn->end = 0;
    conn->is_fresh = true;
    conn->response.stats_body = NULL; /* allocated on the first GET /stats, if any */
    conn->headers_deadline_us = blk_headers_deadline_us(server->config);
    http_conn_init(&conn->http);
    pthread_mutex_lock(&server->mutex);
    LIST_INSERT_HEAD(&server->conns, conn, link);
    server->conn_count++;
    pthread_mutex_unlock(&server->mutex);
    return conn;
}

static void conn_free(struct blk_conn *conn, bool is_lingering) {
    struct blk_server *server = conn->server;
    /* Lingering costs a blocked thread: only when closing with bytes the
     * peer sent still unread (an error, pipelined requests after a close),
     * which would make the kernel send a RST that can destroy the answer. */
    char probe;
    bool has_unread = conn->start < conn->end || http_conn_is_mid_request(&conn->http) ||
                      recv(conn->fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
    if (is_lingering && has_unread)
        blk_close_lingering(conn->fd);
    else
        close(conn->fd);
    pthread_mutex_lock(&server->mutex);
    LIST_REMOVE(conn, link);
    server->conn_count--;
    pthread_cond_broadcast(&server->changed); /* below gthread's worker_connections again */
    pthread_mutex_unlock(&server->mutex);
    response_free(&conn->response);
    free(conn);
}

void blk_conn_finish(struct blk_conn *conn) {
    conn_free(conn, true);
}

void blk_conn_close_now(struct blk_conn *conn) {
    conn_free(conn, false);
}

/* Graceful stop: idle connections close now; busy ones finish. */
void blk_stop(struct blk_server *server) {
    const struct server_config *config = server->config;
    uint64_t deadline = clock_now_us() + config->graceful_timeout_ms * 1000;
    bool is_forced = false;

    pthread_mutex_lock(&server->mutex);
    atomic_store(&server->is_stopping, true);
    struct blk_conn *conn;
    LIST_FOREACH(conn, &server->conns, link) {
        if (conn->is_idle)
            shutdown(conn->fd, SHUT_RDWR);
    }
    pthread_cond_broadcast(&server->changed);
    sig_atomic_t seen = signals_seen;
    while (server->live > 0 || !LIST_EMPTY(&server->conns)) {
        if (!is_forced && (clock_now_us() >= deadline || signals_seen > seen)) {
            /* Grace is over, or a second signal: close everything. */
            LIST_FOREACH(conn, &server->conns, link)
            shutdown(conn->fd, SHUT_RDWR);
            is_forced = true;
        }
        pthread_mutex_unlock(&server->mutex);
        struct timespec tick = {0, 10000000};
        nanosleep(&tick, NULL);
        pthread_mutex_lock(&server->mutex);
    }
    pthread_mutex_unlock(&server->mutex);
}

struct blk_server *blk_server_new(const struct server_config *config, int listen_fd) {
    struct blk_server *server = calloc(1, sizeof(*server));
    if (!server || blk_server_init(server, config, listen_fd) < 0) {
        fprintf(stderr, "server: cannot set up: %s\n", strerror(errno));
        free(server);
        return NULL;
    }
    blk_signals_install(server);
    return server;
}

int blk_server_init(struct blk_server *server, const struct server_config *config, int listen_fd) {
    server->config = config;
    server->listen_fd = listen_fd;
    server->has_gil = config->has_gil;
    atomic_init(&server->is_stopping, false);
    pthread_mutex_init(&server->mutex, NULL);
    pthread_cond_init(&server->changed, NULL);
    if (pipe2(server->wake, O_CLOEXEC | O_NONBLOCK) < 0)
        return -1;
    if (server->has_gil && gil_init(&server->gil, config->switch_interval_us) != 0)
        return -1;
    fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
    return 0;
}

void blk_server_destroy(struct blk_server *server) {
    if (server->has_gil)
        gil_destroy(&server->gil);
    close(server->wake[0]);
    close(server->wake[1]);
    pthread_cond_destroy(&server->changed);
    pthread_mutex_destroy(&server->mutex);
}

void blk_signals_install(struct blk_server *server) {
    struct sigaction action = {.sa_handler = on_signal};
    wake_fd = server->wake[1];
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
}

void blk_block_signals(sigset_t *old) {
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, old);
}
