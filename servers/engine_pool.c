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
 * Idle connections close after --keep-alive-timeout; a connection that
 * never sends a request gets 408 at --headers-timeout, as everywhere else.
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

#define SWEEP_MS 100 /* how often idle connections are checked for timeouts */

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

/* Hands an idle connection back to the poller; closes it if stopping.
 * Re-armed under the mutex, so the poller's sweep never sees it half-parked. */
static void park(struct pool_server *pool, struct blk_conn *conn) {
    struct blk_server *server = &pool->base;
    bool is_parked = false;

    pthread_mutex_lock(&server->mutex);
    if (!atomic_load(&server->is_stopping)) {
        conn->state = BLK_PARKED;
        conn->park_deadline_us =
            clock_now_us() + server->config->keep_alive_timeout_ms * 1000; /* gthread keepalive */
        is_parked = poll_watch(pool, conn, EPOLL_CTL_MOD) == 0;
        if (!is_parked)
            conn->state = BLK_ACTIVE;
    }
    pthread_mutex_unlock(&server->mutex);
    if (!is_parked)
        blk_conn_finish(conn);
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

        blk_python_enter(server, &holder);
        enum blk_result result = blk_serve(conn, &holder, true);
        blk_python_leave(server, &holder);
        if (result == BLK_PARK)
            park(pool, conn);
        else
            blk_conn_finish(conn);

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

static void accept_all(struct pool_server *pool) {
    struct blk_server *server = &pool->base;
    int one = 1;
    for (;;) {
        int fd = listen_accept(server->listen_fd, SOCK_CLOEXEC);
        if (fd < 0)
            return;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct blk_conn *conn = blk_conn_open(server, fd);
        if (!conn) {
            close(fd);
            continue;
        }
        conn->state = BLK_PARKED;
        conn->park_deadline_us = conn->headers_deadline_us;
        if (poll_watch(pool, conn, EPOLL_CTL_ADD) < 0)
            blk_conn_close_now(conn);
    }
}

/* Idle connections past their deadline: closed, or 408 if they never asked. */
static void sweep(struct pool_server *pool, bool close_all) {
    struct blk_server *server = &pool->base;
    struct blk_holder holder = {.server = server, .thread_index = -1};
    uint64_t now = clock_now_us();

    for (;;) {
        struct blk_conn *expired = NULL;
        pthread_mutex_lock(&server->mutex);
        struct blk_conn *conn;
        LIST_FOREACH(conn, &server->conns, link) {
            if (conn->state == BLK_PARKED && (close_all || now >= conn->park_deadline_us)) {
                expired = conn;
                conn->state = BLK_ACTIVE; /* ours now */
                break;
            }
        }
        pthread_mutex_unlock(&server->mutex);
        if (!expired)
            return;
        epoll_ctl(pool->epoll_fd, EPOLL_CTL_DEL, expired->fd, NULL);
        if (expired->is_fresh && !close_all) {
            blk_python_enter(server, &holder);
            blk_fail(expired, &holder, 408, "request headers not received in time\n");
            blk_python_leave(server, &holder);
        }
        blk_conn_close_now(expired);
    }
}

static void poll_loop(struct pool_server *pool) {
    struct blk_server *server = &pool->base;
    struct blk_holder holder = {.server = server, .thread_index = -1};
    struct epoll_event events[64];
    uint64_t next_sweep = clock_now_us() + SWEEP_MS * 1000;

    for (;;) {
        server_heartbeat(server->config);
        int n = epoll_wait(pool->epoll_fd, events, 64, SWEEP_MS);
        if (n < 0 && errno != EINTR)
            return;
        for (int i = 0; i < n; i++) {
            if (events[i].data.ptr == &WAKE_TAG)
                return;
            if (events[i].data.ptr == &LISTEN_TAG) {
                blk_python_enter(server, &holder); /* gthread's accept runs Python */
                accept_all(pool);
                blk_python_leave(server, &holder);
                continue;
            }
            enqueue(pool, events[i].data.ptr);
        }
        if (blk_signals_seen())
            return;
        if (clock_now_us() >= next_sweep) {
            sweep(pool, false);
            next_sweep = clock_now_us() + SWEEP_MS * 1000;
        }
    }
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
    sweep(pool, true);
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
