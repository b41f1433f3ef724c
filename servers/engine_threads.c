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
 *
 * The request loop, the GIL discipline and graceful shutdown are
 * blocking.c's; this file is the accept loop and the thread per connection.
 * SIGINT/SIGTERM: stop accepting, close idle connections, let busy ones
 * finish with Connection: close within --graceful-timeout, exit 0.
 */
#define _GNU_SOURCE /* accept4 */
#include "blocking.h"
#include "listen.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define THREAD_STACK (256 * 1024)

/* socketserver.ThreadingMixIn.process_request_thread. */
static void *connection_thread(void *arg) {
    struct blk_conn *conn = arg;
    struct blk_server *server = conn->server;
    struct blk_holder holder = {.server = server, .thread_index = -1};

    blk_python_enter(server, &holder);
    blk_serve(conn, &holder, false);
    blk_python_leave(server, &holder);
    blk_conn_finish(conn);
    pthread_mutex_lock(&server->mutex);
    server->live--;
    pthread_cond_broadcast(&server->changed);
    pthread_mutex_unlock(&server->mutex);
    return NULL;
}

/* Starts a thread for one accepted socket. Called holding the GIL. */
static void dispatch(struct blk_server *server, int fd) {
    struct blk_conn *conn = blk_conn_open(server, fd);
    pthread_attr_t attr;
    pthread_t id;
    int one = 1;

    if (!conn) {
        close(fd);
        return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_mutex_lock(&server->mutex);
    server->live++;
    pthread_mutex_unlock(&server->mutex);
    if (pthread_create(&id, &attr, connection_thread, conn) != 0) {
        fprintf(stderr, "server: cannot start a thread: %s\n", strerror(errno));
        blk_conn_finish(conn);
        pthread_mutex_lock(&server->mutex);
        server->live--;
        pthread_mutex_unlock(&server->mutex);
    }
    pthread_attr_destroy(&attr);
}

/* serve_forever(): wait (GIL released), then accept and dispatch (GIL held). */
static void accept_loop(struct blk_server *server) {
    struct blk_holder holder = {.server = server, .thread_index = -1};
    const struct server_config *config = server->config;

    for (;;) {
        struct pollfd pfds[2] = {{.fd = server->listen_fd, .events = POLLIN},
                                 {.fd = server->wake[0], .events = POLLIN}};
        if (config->max_threads > 0) {
            pthread_mutex_lock(&server->mutex);
            while (server->live >= config->max_threads && !blk_signals_seen())
                pthread_cond_wait(&server->changed, &server->mutex);
            pthread_mutex_unlock(&server->mutex);
        }
        server_heartbeat(config);
        int ready = poll(pfds, 2, 1000); /* wakes once a second for the heartbeat */
        if (ready < 0 && errno != EINTR)
            return;
        if (ready <= 0)
            continue;
        if (pfds[1].revents || blk_signals_seen())
            return;
        if (!(pfds[0].revents & POLLIN))
            continue;
        blk_python_enter(server, &holder);
        /* socketserver accepts one connection per select() */
        int fd = listen_accept(server->listen_fd, SOCK_CLOEXEC);
        if (fd >= 0)
            dispatch(server, fd);
        blk_python_leave(server, &holder);
    }
}

int engine_threads_run(const struct server_config *config, int listen_fd) {
    struct blk_server *server = blk_server_new(config, listen_fd);
    int rc = 0;

    if (!server)
        return 1;
    if (server_ready(config) < 0) {
        rc = 1;
    } else {
        accept_loop(server);
        fprintf(stderr, "server: %s, stopping\n", blk_signals_seen() ? "signal" : "accept failed");
    }
    close(server->listen_fd);
    blk_stop(server);
    blk_server_destroy(server);
    free(server);
    fprintf(stderr, "server: stopped\n");
    return rc;
}
