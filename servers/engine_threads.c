/*
 * engine_threads.c — blocking threads, as CPython serves HTTP without an
 * event loop:
 *
 *  - `python-threads`: http.server.ThreadingHTTPServer. The main thread
 *    runs serve_forever(): it waits for a connection with the GIL released,
 *    then takes the GIL to accept it and start a thread for it
 *    (socketserver.ThreadingMixIn: one thread per connection, unbounded
 *    unless --max-threads). Listen backlog 5 (socketserver's
 *    request_queue_size). Unlike the stdlib we set TCP_NODELAY, which
 *    spares HTTP/1.1 keep-alive clients ~40 ms Nagle/delayed-ACK stalls.
 *  - `python-nogil`: the same handler code on a fixed pool of --threads
 *    (default 8) threads and no lock, as free-threaded CPython 3.13t.
 *
 * A thread holds the GIL (gil.c) while it runs "Python": parsing,
 * routing, formatting, and the CPU work of /cpu, which checks for a drop
 * request every ~100 µs as the eval loop does. It releases the lock around
 * every blocking call — poll/recv, the sleep of /io, send, accept — as
 * Py_BEGIN_ALLOW_THREADS does in socketmodule.c and timemodule.c.
 *
 * Each connection owns a 64 KiB read buffer that pipelined requests are
 * parsed from in order; the request loop and limits are the shared http.c
 * ones. Timeouts as the node model's flags say (headers, keep-alive idle).
 * SIGINT/SIGTERM: stop accepting, close idle connections, let busy ones
 * finish with Connection: close within --graceful-timeout, exit 0.
 */
#define _GNU_SOURCE /* accept4, pipe2 */
#include "../common/clock.h"
#include "../common/cpuwork.h"
#include "gil.h"
#include "handlers.h"
#include "http.h"
#include "listen.h"
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONN_BUF       65536
#define LINGER_MS      2000
#define THREAD_STACK   (256 * 1024)
#define QUEUE_CAPACITY 4096

struct th_conn {
    struct th_server *server;
    int fd;
    bool is_idle; /* waiting for a request's first byte: shutdown may close it */
    struct http_conn http;
    struct th_conn *prev, *next;
    size_t start, end; /* unread bytes in buf */
    char buf[CONN_BUF];
};

struct th_server {
    const struct server_config *config;
    struct gil gil;
    bool has_gil;
    int listen_fd;
    int wake[2]; /* the signal handler writes a byte here */
    unsigned keep_alive_s;
    pthread_mutex_t mutex;
    pthread_cond_t changed; /* a thread ended, or the queue changed */
    struct th_conn *conns;  /* open connections */
    unsigned live;          /* connection threads (per-connection mode) */
    atomic_bool is_stopping;
    /* pool mode */
    unsigned pool_size;
    pthread_t *pool;
    int queue[QUEUE_CAPACITY];
    unsigned queue_head, queue_len;
};

/* Who holds the GIL: one per thread. */
struct th_holder {
    struct th_server *server;
};

static int wake_fd = -1;
static volatile sig_atomic_t signals_seen;

static void on_signal(int signum) {
    char byte = (char)signum;
    signals_seen++;
    if (write(wake_fd, &byte, 1) < 0) {
        /* nothing to do: the pipe is full, so a wake-up is pending anyway */
    }
}

static void python_enter(struct th_server *server, const struct th_holder *holder) {
    if (server->has_gil)
        gil_take(&server->gil, holder);
}

static void python_leave(struct th_server *server, const struct th_holder *holder) {
    if (server->has_gil)
        gil_drop(&server->gil, holder);
}

static void holder_checkpoint(void *arg) {
    struct th_holder *holder = arg;
    gil_checkpoint(&holder->server->gil, holder);
}

/* send() everything, the GIL released around it as sock_sendall does. */
static int send_all(int fd, const char *data, size_t len, int flags) {
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL | flags);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes the answer to conn's current request. Called holding the GIL;
 * returns holding it. Returns 0, or -1 if the peer is gone. */
static int respond(struct th_conn *conn, const struct th_holder *holder, const struct work *work,
                   bool keep_alive, bool is_head) {
    struct th_server *server = conn->server;
    char out[HTTP_HEAD_MAX + 4096];
    struct http_head head = {
        .status = work->status,
        .content_type = work->content_type,
        .content_length = work->body_len,
        .keep_alive = keep_alive,
        .keep_alive_s = server->keep_alive_s,
    };
    size_t len = http_format_head(out, &head);
    uint64_t body_len = is_head ? 0 : work->body_len;
    int rc = 0;

    /* Small bodies go out with the head, in one send. */
    if (body_len <= sizeof(out) - len) {
        size_t chunk;
        const char *body = body_len ? work_body_at(work, 0, &chunk) : NULL;
        if (body)
            memcpy(out + len, body, (size_t)body_len);
        len += (size_t)body_len;
        body_len = 0;
    }
    python_leave(server, holder);
    rc = send_all(conn->fd, out, len, body_len ? MSG_MORE : 0);
    for (uint64_t offset = 0; rc == 0 && offset < body_len;) {
        size_t chunk;
        const char *body = work_body_at(work, offset, &chunk);
        if (offset + chunk > body_len)
            chunk = (size_t)(body_len - offset);
        rc = send_all(conn->fd, body, chunk, 0);
        offset += chunk;
    }
    python_enter(server, holder);
    return rc;
}

/* Runs a request the way the handler says: CPU work under the GIL, the
 * wait with it released, then the answer. */
static int serve_request(struct th_conn *conn, struct th_holder *holder) {
    struct th_server *server = conn->server;
    const struct http_request *req = &conn->http.req;
    struct work work;

    handler_route(req->target, req->target_len, &work);
    if (work.cpu_us > 0)
        cpuwork_run(work.cpu_us, server->has_gil ? holder_checkpoint : NULL, holder);
    if (work.wait_ms > 0) {
        struct timespec wait = {(time_t)(work.wait_ms / 1000),
                                (long)(work.wait_ms % 1000) * 1000000L};
        python_leave(server, holder);
        while (nanosleep(&wait, &wait) < 0 && errno == EINTR)
            ;
        python_enter(server, holder);
    }
    bool keep_alive = req->keep_alive && !atomic_load(&server->is_stopping);
    if (respond(conn, holder, &work, keep_alive, req->is_head) < 0)
        return -1;
    return keep_alive ? 0 : -1;
}

static void set_idle(struct th_conn *conn, bool is_idle) {
    pthread_mutex_lock(&conn->server->mutex);
    conn->is_idle = is_idle;
    pthread_mutex_unlock(&conn->server->mutex);
}

/*
 * Waits for more bytes (GIL released). Returns >0 bytes read, 0 when the
 * peer closed or the server is stopping and the connection is idle, -1 on
 * an error, -2 when the deadline passed.
 */
static ssize_t receive(struct th_conn *conn, const struct th_holder *holder, uint64_t deadline_us) {
    struct th_server *server = conn->server;
    ssize_t n = -2;

    if (conn->start == conn->end)
        conn->start = conn->end = 0;
    if (conn->end == sizeof(conn->buf)) {
        memmove(conn->buf, conn->buf + conn->start, conn->end - conn->start);
        conn->end -= conn->start;
        conn->start = 0;
    }
    python_leave(server, holder);
    for (;;) {
        uint64_t now = clock_now_us();
        if (now >= deadline_us)
            break;
        struct pollfd pfd = {.fd = conn->fd, .events = POLLIN};
        int ready = poll(&pfd, 1, (int)((deadline_us - now + 999) / 1000));
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
    python_enter(server, holder);
    if (n > 0)
        conn->end += (size_t)n;
    return n;
}

/* Answers an error the parser or a timeout found; the connection then closes. */
static void fail(struct th_conn *conn, const struct th_holder *holder, int status,
                 const char *reason) {
    struct work work;
    handler_error(status, reason, &work);
    respond(conn, holder, &work, false, false);
}

/* Serves one connection until it closes. Runs Python: holds the GIL. */
static void serve_connection(struct th_conn *conn, struct th_holder *holder) {
    struct th_server *server = conn->server;
    const struct server_config *config = server->config;
    uint64_t headers_deadline = clock_now_us() + config->headers_timeout_ms * 1000;
    bool is_fresh = true; /* no request yet: on the headers deadline, as Node */

    http_conn_init(&conn->http);
    for (;;) {
        enum http_event event = HTTP_EV_NEED_MORE;
        if (conn->start < conn->end) {
            size_t used = http_conn_feed(&conn->http, conn->buf + conn->start,
                                         conn->end - conn->start, &event);
            conn->start += used;
        }
        if (event == HTTP_EV_ERROR) {
            fail(conn, holder, conn->http.error_status, conn->http.error_reason);
            return;
        }
        if (event == HTTP_EV_REQUEST) {
            is_fresh = false;
            if (serve_request(conn, holder) < 0)
                return;
            http_conn_next(&conn->http);
            continue;
        }
        /* More bytes needed: the headers deadline runs from the first byte
         * of a request (or the connection); between requests, the idle one. */
        bool has_partial = http_conn_is_mid_request(&conn->http);
        bool is_mid = has_partial || is_fresh;
        if (!has_partial) {
            set_idle(conn, true);
            if (atomic_load(&server->is_stopping))
                return;
        }
        uint64_t deadline =
            is_mid ? headers_deadline : clock_now_us() + config->keep_alive_timeout_ms * 1000;
        ssize_t n = receive(conn, holder, deadline);
        if (!has_partial)
            set_idle(conn, false);
        if (n == -2 && is_mid) {
            fail(conn, holder, 408, "request headers not received in time\n");
            return;
        }
        if (n <= 0)
            return;
        if (!has_partial && !is_fresh)
            headers_deadline = clock_now_us() + config->headers_timeout_ms * 1000;
    }
}

/* Closes without losing an answer in flight: shut the write side, drain
 * what the peer still sends (so the kernel sends no RST), then close. */
static void close_lingering(int fd) {
    char sink[4096];
    uint64_t deadline = clock_now_us() + LINGER_MS * 1000;
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

static struct th_conn *conn_open(struct th_server *server, int fd) {
    struct th_conn *conn = malloc(sizeof(*conn));
    if (!conn)
        return NULL;
    conn->server = server;
    conn->fd = fd;
    conn->is_idle = false;
    conn->start = conn->end = 0;
    pthread_mutex_lock(&server->mutex);
    conn->prev = NULL;
    conn->next = server->conns;
    if (server->conns)
        server->conns->prev = conn;
    server->conns = conn;
    pthread_mutex_unlock(&server->mutex);
    return conn;
}

static void conn_finish(struct th_conn *conn) {
    struct th_server *server = conn->server;
    close_lingering(conn->fd);
    pthread_mutex_lock(&server->mutex);
    if (conn->prev)
        conn->prev->next = conn->next;
    else
        server->conns = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    pthread_mutex_unlock(&server->mutex);
    free(conn);
}

/* socketserver.ThreadingMixIn.process_request_thread. */
static void *connection_thread(void *arg) {
    struct th_conn *conn = arg;
    struct th_server *server = conn->server;
    struct th_holder holder = {.server = server};

    python_enter(server, &holder);
    serve_connection(conn, &holder);
    python_leave(server, &holder);
    conn_finish(conn);
    pthread_mutex_lock(&server->mutex);
    server->live--;
    pthread_cond_broadcast(&server->changed);
    pthread_mutex_unlock(&server->mutex);
    return NULL;
}

/* A pool thread: takes accepted connections off the queue, one at a time. */
static void *pool_thread(void *arg) {
    struct th_server *server = arg;
    struct th_holder holder = {.server = server};

    for (;;) {
        pthread_mutex_lock(&server->mutex);
        while (server->queue_len == 0 && !atomic_load(&server->is_stopping))
            pthread_cond_wait(&server->changed, &server->mutex);
        if (server->queue_len == 0) {
            pthread_mutex_unlock(&server->mutex);
            return NULL;
        }
        int fd = server->queue[server->queue_head];
        server->queue_head = (server->queue_head + 1) % QUEUE_CAPACITY;
        server->queue_len--;
        server->live++;
        pthread_cond_broadcast(&server->changed);
        pthread_mutex_unlock(&server->mutex);

        struct th_conn *conn = conn_open(server, fd);
        if (!conn) {
            close(fd);
        } else {
            python_enter(server, &holder);
            serve_connection(conn, &holder);
            python_leave(server, &holder);
            conn_finish(conn);
        }
        pthread_mutex_lock(&server->mutex);
        server->live--;
        pthread_cond_broadcast(&server->changed);
        pthread_mutex_unlock(&server->mutex);
    }
}

/* Hands one accepted socket to a thread. Called holding the GIL. */
static void dispatch(struct th_server *server, int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (server->pool_size > 0) {
        pthread_mutex_lock(&server->mutex);
        if (server->queue_len == QUEUE_CAPACITY) {
            pthread_mutex_unlock(&server->mutex);
            close(fd);
            return;
        }
        server->queue[(server->queue_head + server->queue_len) % QUEUE_CAPACITY] = fd;
        server->queue_len++;
        pthread_cond_signal(&server->changed);
        pthread_mutex_unlock(&server->mutex);
        return;
    }
    struct th_conn *conn = conn_open(server, fd);
    pthread_attr_t attr;
    pthread_t id;
    if (!conn) {
        close(fd);
        return;
    }
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_mutex_lock(&server->mutex);
    server->live++;
    pthread_mutex_unlock(&server->mutex);
    if (pthread_create(&id, &attr, connection_thread, conn) != 0) {
        fprintf(stderr, "server: cannot start a thread: %s\n", strerror(errno));
        conn_finish(conn);
        pthread_mutex_lock(&server->mutex);
        server->live--;
        pthread_mutex_unlock(&server->mutex);
    }
    pthread_attr_destroy(&attr);
}

/* serve_forever(): wait (GIL released), then accept and dispatch (GIL held). */
static void accept_loop(struct th_server *server) {
    struct th_holder holder = {.server = server};
    const struct server_config *config = server->config;

    for (;;) {
        struct pollfd pfds[2] = {{.fd = server->listen_fd, .events = POLLIN},
                                 {.fd = server->wake[0], .events = POLLIN}};
        if (config->max_threads > 0 && server->pool_size == 0) {
            pthread_mutex_lock(&server->mutex);
            while (server->live >= config->max_threads && !signals_seen)
                pthread_cond_wait(&server->changed, &server->mutex);
            pthread_mutex_unlock(&server->mutex);
        }
        if (poll(pfds, 2, -1) < 0 && errno != EINTR)
            return;
        if (pfds[1].revents || signals_seen)
            return;
        if (!(pfds[0].revents & POLLIN))
            continue;
        python_enter(server, &holder);
        for (;;) {
            int fd = accept4(server->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd < 0)
                break;
            dispatch(server, fd);
            if (server->pool_size == 0)
                break; /* socketserver accepts one per select() */
        }
        python_leave(server, &holder);
    }
}

/* Graceful stop: idle connections close now; busy ones finish. */
static void stop(struct th_server *server) {
    const struct server_config *config = server->config;
    uint64_t deadline = clock_now_us() + config->graceful_timeout_ms * 1000;
    bool is_forced = false;

    close(server->listen_fd);
    pthread_mutex_lock(&server->mutex);
    atomic_store(&server->is_stopping, true);
    for (struct th_conn *conn = server->conns; conn; conn = conn->next) {
        if (conn->is_idle)
            shutdown(conn->fd, SHUT_RDWR);
    }
    /* Queued connections nobody has started on are closed. */
    while (server->queue_len > 0) {
        close(server->queue[server->queue_head]);
        server->queue_head = (server->queue_head + 1) % QUEUE_CAPACITY;
        server->queue_len--;
    }
    pthread_cond_broadcast(&server->changed);
    sig_atomic_t seen = signals_seen;
    while (server->live > 0 || server->conns) {
        if (!is_forced && (clock_now_us() >= deadline || signals_seen > seen)) {
            /* Grace is over, or a second signal: close everything. */
            for (struct th_conn *conn = server->conns; conn; conn = conn->next)
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

int engine_threads_run(const struct server_config *config, int listen_fd) {
    struct th_server *server = calloc(1, sizeof(*server));
    struct sigaction action = {.sa_handler = on_signal};
    sigset_t block, old;
    int rc = 0;

    if (!server) {
        fprintf(stderr, "server: out of memory\n");
        return 1;
    }
    server->config = config;
    server->listen_fd = listen_fd;
    server->has_gil = config->model->is_gil;
    server->pool_size = config->model->threads > 0 ? config->threads : 0;
    server->keep_alive_s = (unsigned)((config->keep_alive_timeout_ms + 999) / 1000);
    atomic_init(&server->is_stopping, false);
    pthread_mutex_init(&server->mutex, NULL);
    pthread_cond_init(&server->changed, NULL);
    if (pipe2(server->wake, O_CLOEXEC | O_NONBLOCK) < 0 ||
        (server->has_gil && gil_init(&server->gil, config->switch_interval_us) != 0)) {
        fprintf(stderr, "server: cannot set up: %s\n", strerror(errno));
        free(server);
        return 1;
    }
    fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);

    /* Threads started from here on leave SIGINT/SIGTERM to this one. */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    if (server->pool_size > 0) {
        server->pool = calloc(server->pool_size, sizeof(*server->pool));
        for (unsigned i = 0; server->pool && i < server->pool_size; i++)
            pthread_create(&server->pool[i], NULL, pool_thread, server);
    }
    wake_fd = server->wake[1];
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    if (listen_announce(config->host, config->port, config->ready_fd) < 0) {
        fprintf(stderr, "server: --ready-fd %d: cannot write the port\n", config->ready_fd);
        rc = 1;
    } else {
        accept_loop(server);
        fprintf(stderr, "server: %s, stopping\n", signals_seen ? "signal" : "accept failed");
    }
    stop(server);
    if (server->pool) {
        for (unsigned i = 0; i < server->pool_size; i++)
            pthread_join(server->pool[i], NULL);
        free(server->pool);
    }
    if (server->has_gil)
        gil_destroy(&server->gil);
    close(server->wake[0]);
    close(server->wake[1]);
    pthread_cond_destroy(&server->changed);
    pthread_mutex_destroy(&server->mutex);
    free(server);
    fprintf(stderr, "server: stopped\n");
    return rc;
}
