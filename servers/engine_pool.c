/*
 * engine_pool.c — a fixed pool of threads fed by a poller, the shape of
 * Gunicorn's gthread worker (gunicorn/workers/gthread.py): the main thread
 * polls the listening socket and every idle keep-alive connection; when
 * one is readable it goes on a queue, a pool thread takes it, serves what
 * arrived (blk_serve, GIL discipline and all), and hands the connection
 * back to the poller instead of waiting on it. So idle keep-alive clients
 * hold no thread, and concurrency is capped at the pool size: with 8
 * threads, 64 connections each waiting 20 ms on /io get 8 / 0.020 = 400
 * answers a second.
 *
 *  - `python-nogil`: the pool (--threads, default 8) with no lock, as a
 *    free-threaded CPython 3.13t server.
 *
 * As gthread (Debian's gunicorn 20.1, gunicorn/workers/gthread.py):
 *  - the main thread runs Python: it holds the GIL from select() to
 *    select() — accepting (accept()), enqueueing (enqueue_req()), the
 *    keep-alive sweep (murder_keepalived()) — and releases it where CPython
 *    does (blk_python_yield): a keep-alive request costs 10 GIL takes,
 *    4 on the main thread (select returns; reuse_connection's
 *    poller.unregister, epoll_ctl; conn.init's setblocking(True); the next
 *    turn's notify(), WorkerTmp's fchmod) and 6 on a pool thread (the
 *    executor's queue; the read; Response.send_headers and write, two
 *    sendall()s; finish_request's setblocking(False) and poller.register);
 *  - a new connection goes straight to a pool thread (accept() ->
 *    enqueue_req()), which blocks reading its first request: no header
 *    timeout (unless --headers-timeout), so a slow client holds a thread;
 *  - with worker_connections (--worker-connections, Gunicorn's 1000) open,
 *    the main thread stops selecting — no accept, no keep-alive reuse —
 *    and waits up to 1 s for a request to finish (run());
 *  - a response is told to close when max_keepalived (worker_connections
 *    - threads) connections are already waiting idle (handle_request());
 *  - the loop wakes at least once a second (select(1.0)) and closes idle
 *    connections past --keep-alive-timeout then, so 2 s means 2 to 3 s.
 */
#define _GNU_SOURCE /* accept4 */
#include "../common/clock.h"
#include "blocking.h"
#include "listen.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#define POLL_MS 1000 /* gthread's run(): self.poller.select(1.0) */

struct pool_thread_arg;

struct pool_server {
    struct blk_server base; /* first: a blk_conn's server is this */
    int epoll_fd;
    unsigned size;
    pthread_t *threads;
    struct pool_thread_arg *thread_args;
    struct blk_conn *queue_head, *queue_tail; /* readable connections, under base.mutex */
};

static const int LISTEN_TAG = 1, WAKE_TAG = 2; /* epoll data for the non-connections */

static int poll_watch(struct pool_server *pool, struct blk_conn *conn, int op) {
    struct epoll_event event = {.events = EPOLLIN | EPOLLONESHOT, .data.ptr = conn};
    return epoll_ctl(pool->epoll_fd, op, conn->fd, &event);
}

/* conn.close() (util.close): the GIL released around the close. Called
 * holding it. With is_lingering, as blk_conn_finish(); else at once. */
static void close_conn(struct blk_conn *conn, const struct blk_holder *holder, bool is_lingering) {
    struct blk_server *server = conn->server;
    blk_python_leave(server, holder);
    if (is_lingering)
        blk_conn_finish(conn);
    else
        blk_conn_close_now(conn);
    blk_python_enter(server, holder);
}

/* finish_request() for a connection kept alive: setblocking(False), then
 * onto the keep-alive list and poller.register() (epoll_ctl, the GIL
 * released); closes it if stopping. Called holding the GIL. Re-armed under
 * the mutex, so the poller's sweep never sees it half-parked. */
static void park(struct pool_server *pool, struct blk_conn *conn, const struct blk_holder *holder) {
    struct blk_server *server = &pool->base;
    bool is_parked = false;

    blk_python_yield(server, holder); /* setblocking(False) */
    blk_python_leave(server, holder);
    pthread_mutex_lock(&server->mutex);
    if (!atomic_load(&server->is_stopping)) {
        conn->state = BLK_PARKED;
        conn->park_deadline_us =
            clock_now_us() + server->config->keep_alive_timeout_ms * 1000; /* set_timeout() */
        is_parked = poll_watch(pool, conn, EPOLL_CTL_ADD) == 0;
        if (is_parked)
            server->parked++;
        else
            conn->state = BLK_ACTIVE;
    }
    pthread_mutex_unlock(&server->mutex);
    blk_python_enter(server, holder);
    if (!is_parked)
        close_conn(conn, holder, false);
}

struct pool_thread_arg {
    struct pool_server *pool;
    int index;
};

static void *pool_thread(void *arg) {
    struct pool_thread_arg *start = arg;
    struct pool_server *pool = start->pool;
    struct blk_server *server = &pool->base;
    struct blk_holder holder = {.server = server, .thread_index = start->index};

    for (;;) {
        pthread_mutex_lock(&server->mutex);
        while (!pool->queue_head && !atomic_load(&server->is_stopping))
            pthread_cond_wait(&server->changed, &server->mutex);
        struct blk_conn *conn = pool->queue_head;
        if (!conn) {
            pthread_mutex_unlock(&server->mutex);
            return NULL;
        }
        pool->queue_head = conn->queue_next;
        if (!pool->queue_head)
            pool->queue_tail = NULL;
        conn->state = BLK_ACTIVE;
        server->live++;
        pthread_mutex_unlock(&server->mutex);

        blk_python_enter(server, &holder); /* out of the executor's queue */
        if (blk_serve(conn, &holder, true) == BLK_PARK)
            park(pool, conn, &holder);
        else
            close_conn(conn, &holder, true);
        blk_python_leave(server, &holder); /* back to the queue */

        pthread_mutex_lock(&server->mutex);
        server->live--;
        pthread_cond_broadcast(&server->changed);
        pthread_mutex_unlock(&server->mutex);
    }
}

static void enqueue(struct pool_server *pool, struct blk_conn *conn) {
    struct blk_server *server = &pool->base;
    pthread_mutex_lock(&server->mutex);
    conn->state = BLK_QUEUED;
    conn->queue_next = NULL;
    if (pool->queue_tail)
        pool->queue_tail->queue_next = conn;
    else
        pool->queue_head = conn;
    pool->queue_tail = conn;
    pthread_cond_signal(&server->changed);
    pthread_mutex_unlock(&server->mutex);
}

/* gthread's enqueue_req(): conn.init()'s setblocking(True), then the pool's
 * queue. Called holding the GIL. */
static void enqueue_req(struct pool_server *pool, struct blk_conn *conn,
                        const struct blk_holder *holder) {
    blk_python_yield(&pool->base, holder);
    enqueue(pool, conn);
}

/* gthread's accept(): one connection per readable listener — accept(),
 * TConn's setblocking(False) — and straight to a pool thread. Called
 * holding the GIL. */
static void accept_one(struct pool_server *pool, const struct blk_holder *holder) {
    struct blk_server *server = &pool->base;
    int one = 1;

    blk_python_leave(server, holder);
    int fd = listen_accept(server->listen_fd, SOCK_CLOEXEC);
    blk_python_enter(server, holder);
    if (fd < 0)
        return;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct blk_conn *conn = blk_conn_open(server, fd);
    if (!conn) {
        close(fd);
        return;
    }
    blk_python_yield(server, holder); /* TConn(): setblocking(False) */
    enqueue_req(pool, conn, holder);
}

/* gthread's reuse_connection(): a parked connection is readable — off the
 * keep-alive list, poller.unregister() (epoll_ctl, the GIL released), and
 * back to the pool. Called holding the GIL. */
static void reuse_connection(struct pool_server *pool, struct blk_conn *conn,
                             const struct blk_holder *holder) {
    struct blk_server *server = &pool->base;
    pthread_mutex_lock(&server->mutex);
    bool is_ours = conn->state == BLK_PARKED; /* not taken by the sweep meanwhile */
    if (is_ours) {
        conn->state = BLK_ACTIVE;
        server->parked--;
    }
    pthread_mutex_unlock(&server->mutex);
    if (!is_ours)
        return;
    blk_python_leave(server, holder);
    epoll_ctl(pool->epoll_fd, EPOLL_CTL_DEL, conn->fd, NULL);
    blk_python_enter(server, holder);
    enqueue_req(pool, conn, holder);
}

/* gthread's murder_keepalived(): idle connections past their deadline (or
 * all of them, stopping) are unregistered and closed. Called holding the
 * GIL (or, with close_all, after the loop, with holder NULL: none). */
static void sweep(struct pool_server *pool, bool close_all, const struct blk_holder *holder) {
    struct blk_server *server = &pool->base;
    uint64_t now = clock_now_us();

    for (;;) {
        struct blk_conn *expired = NULL;
        pthread_mutex_lock(&server->mutex);
        struct blk_conn *conn;
        LIST_FOREACH(conn, &server->conns, link) {
            if (conn->state == BLK_PARKED && (close_all || now >= conn->park_deadline_us)) {
                expired = conn;
                conn->state = BLK_ACTIVE; /* ours now */
                server->parked--;
                break;
            }
        }
        pthread_mutex_unlock(&server->mutex);
        if (!expired)
            return;
        if (holder)
            blk_python_leave(server, holder);
        epoll_ctl(pool->epoll_fd, EPOLL_CTL_DEL, expired->fd, NULL);
        if (holder)
            blk_python_enter(server, holder);
        if (holder)
            close_conn(expired, holder, false);
        else
            blk_conn_close_now(expired);
    }
}

/* At worker_connections open, gthread's run() stops selecting and waits
 * up to a second for a request to finish (futures.wait(timeout=1.0)), the
 * GIL released. Returns true if it waited (the cap was reached). */
static bool wait_below_cap(struct pool_server *pool, const struct blk_holder *holder) {
    struct blk_server *server = &pool->base;
    unsigned cap = server->config->worker_connections;
    if (!cap)
        return false;
    pthread_mutex_lock(&server->mutex);
    bool is_full = server->conn_count >= cap;
    if (is_full) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += POLL_MS / 1000;
        blk_python_leave(server, holder);
        pthread_cond_timedwait(&server->changed, &server->mutex, &deadline);
    }
    pthread_mutex_unlock(&server->mutex);
    if (is_full)
        blk_python_enter(server, holder);
    return is_full;
}

/* One turn of gthread's run(): select (or, at the cap, wait for a request
 * to finish), the callbacks, murder_keepalived(), notify(). Runs holding
 * the GIL; returns false when the loop must end. */
static bool poll_turn(struct pool_server *pool, const struct blk_holder *holder) {
    struct blk_server *server = &pool->base;
    struct epoll_event events[64];

    if (!wait_below_cap(pool, holder)) {
        blk_python_leave(server, holder);
        int n = epoll_wait(pool->epoll_fd, events, 64, POLL_MS);
        blk_python_enter(server, holder);
        if (n < 0 && errno != EINTR)
            return false;
        for (int i = 0; i < n; i++) {
            if (events[i].data.ptr == &WAKE_TAG)
                return false;
            if (events[i].data.ptr == &LISTEN_TAG)
                accept_one(pool, holder);
            else
                reuse_connection(pool, events[i].data.ptr, holder);
        }
    }
    if (blk_signals_seen())
        return false;
    sweep(pool, false, holder);
    blk_python_leave(server, holder);
    server_heartbeat(server->config); /* notify(): WorkerTmp's fchmod, the GIL released */
    blk_python_enter(server, holder);
    return true;
}

static void poll_loop(struct pool_server *pool) {
    struct blk_holder holder = {.server = &pool->base, .thread_index = -1};
    blk_python_enter(&pool->base, &holder);
    while (poll_turn(pool, &holder))
        ;
    blk_python_leave(&pool->base, &holder);
}

int engine_pool_run(const struct server_config *config, int listen_fd) {
    struct pool_server *pool = calloc(1, sizeof(*pool));
    struct blk_server *server = pool ? &pool->base : NULL;
    sigset_t old;
    int rc = 0;

    if (!pool || blk_server_init(server, config, listen_fd) < 0 ||
        (pool->epoll_fd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        fprintf(stderr, "server: cannot set up: %s\n", strerror(errno));
        free(pool);
        return 1;
    }
    struct epoll_event listen_event = {.events = EPOLLIN, .data.ptr = (void *)&LISTEN_TAG};
    struct epoll_event wake_event = {.events = EPOLLIN, .data.ptr = (void *)&WAKE_TAG};
    epoll_ctl(pool->epoll_fd, EPOLL_CTL_ADD, listen_fd, &listen_event);
    epoll_ctl(pool->epoll_fd, EPOLL_CTL_ADD, server->wake[0], &wake_event);

    pool->size = config->threads ? config->threads : 1;
    pool->threads = calloc(pool->size, sizeof(*pool->threads));
    pool->thread_args = calloc(pool->size, sizeof(*pool->thread_args));
    blk_block_signals(&old); /* the pool leaves SIGINT/SIGTERM to the poller */
    for (unsigned i = 0; pool->threads && pool->thread_args && i < pool->size; i++) {
        pool->thread_args[i] = (struct pool_thread_arg){.pool = pool, .index = (int)i};
        if (pthread_create(&pool->threads[i], NULL, pool_thread, &pool->thread_args[i]) != 0) {
            fprintf(stderr, "server: cannot start pool thread %u\n", i);
            pool->size = i;
            break;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    blk_signals_install(server);

    if (server_ready(config) < 0) {
        rc = 1;
    } else {
        poll_loop(pool);
        fprintf(stderr, "server: %s, stopping\n", blk_signals_seen() ? "signal" : "poll failed");
    }
    close(server->listen_fd);
    /* Parked connections are idle: close them; the pool finishes the rest. */
    pthread_mutex_lock(&server->mutex);
    atomic_store(&server->is_stopping, true);
    pthread_mutex_unlock(&server->mutex);
    sweep(pool, true, NULL);
    blk_stop(server);
    for (unsigned i = 0; i < pool->size; i++)
        pthread_join(pool->threads[i], NULL);
    free(pool->threads);
    free(pool->thread_args);
    close(pool->epoll_fd);
    blk_server_destroy(server);
    free(pool);
    fprintf(stderr, "server: stopped\n");
    return rc;
}
