/*
 * engine_threads.c — blocking threads, as CPython serves HTTP without an
 * event loop:
 *
 *  - `python-threads`: http.server.ThreadingHTTPServer. The main thread
 *    runs serve_forever(): it waits for a connection with the GIL released,
 *    then takes the GIL to accept it and start a thread for it
 *    (socketserver.ThreadingMixIn: one thread per connection, unbounded
 *    unless --max-threads). Listen backlog 5 (socketserver's
 *    request_queue_size, models.c). A request a connection, as the stock
 *    server's HTTP/1.0 (--keep-alive: HTTP/1.1). Unlike the stdlib we set
 *    TCP_NODELAY (the peer does too), which spares HTTP/1.1 keep-alive
 *    clients ~40 ms Nagle/delayed-ACK stalls.
 *
 * Every place CPython releases the GIL is a release here, so a connection
 * costs what it costs there beside a CPU-bound thread (a wait of up to a
 * switch interval at each re-acquisition). A /hello on a fresh connection
 * takes the GIL 9 times (CPython 3.11, Python/ceval_gil.c take_gil):
 *   main thread (Lib/socketserver.py, serve_forever):
 *     1 selector.select() returns          (poll)
 *     2 get_request(): socket.accept()     (sock_accept)
 *     3 process_request(): Thread.start() returns from self._started.wait()
 *       (Lib/threading.py: the lock acquire releases the GIL until the new
 *       thread has run and set _started)
 *   the connection's thread (ThreadingMixIn.process_request_thread):
 *     4 the new thread's first take (t_bootstrap)
 *     5 handle_one_request(): rfile.readline() (sock_recv_into)
 *     6 flush_headers(): wfile.write(head)      (sock_sendall)
 *     7 do_GET: wfile.write(body)               (sock_sendall)
 *     8 shutdown_request(): request.shutdown(SHUT_WR)
 *     9 close_request(): request.close()        (sock_close)
 *   and the thread ends, releasing it. With --keep-alive each further
 *   request is 5-7 only, and the end of the connection one more read.
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

/* What Thread.start() hands the new thread, on the starter's stack. */
struct thread_start {
    struct blk_conn *conn;
    bool is_started; /* under server->mutex */
};

/* socketserver.ThreadingMixIn.process_request_thread: the thread's first
 * take of the GIL, Thread._bootstrap_inner's self._started.set(), the
 * requests, then TCPServer.shutdown_request (shutdown, close: each a
 * release) and the thread's end. */
static void *connection_thread(void *arg) {
    struct thread_start *start = arg;
    struct blk_conn *conn = start->conn;
    struct blk_server *server = conn->server;
    struct blk_holder holder = {.server = server, .thread_index = -1};
    int fd = conn->fd;

    blk_python_enter(server, &holder);
    pthread_mutex_lock(&server->mutex);
    start->is_started = true; /* start is the starter's, and gone once it sees this */
    pthread_cond_broadcast(&server->changed);
    pthread_mutex_unlock(&server->mutex);
    blk_serve(conn, &holder, false);
    blk_python_leave(server, &holder);
    shutdown(fd, SHUT_WR);
    blk_python_enter(server, &holder);
    blk_python_leave(server, &holder);
    blk_conn_finish(conn); /* close_request() */
    blk_python_enter(server, &holder);
    blk_python_leave(server, &holder); /* the thread ends */
    pthread_mutex_lock(&server->mutex);
    server->live--;
    pthread_cond_broadcast(&server->changed);
    pthread_mutex_unlock(&server->mutex);
    return NULL;
}

/* Thread.start(): returns once the new thread runs (self._started.wait(),
 * Lib/threading.py), the GIL released meanwhile. Called holding it. */
static void wait_started(struct blk_server *server, struct thread_start *start,
                         const struct blk_holder *holder) {
    blk_python_leave(server, holder);
    pthread_mutex_lock(&server->mutex);
    while (!start->is_started)
        pthread_cond_wait(&server->changed, &server->mutex);
    pthread_mutex_unlock(&server->mutex);
    blk_python_enter(server, holder);
}

/* Starts a thread for one accepted socket. Called holding the GIL. */
static void dispatch(struct blk_server *server, int fd, const struct blk_holder *holder) {
    struct blk_conn *conn = blk_conn_open(server, fd);
    struct thread_start start = {.conn = conn, .is_started = false};
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
    if (pthread_create(&id, &attr, connection_thread, &start) != 0) {
        fprintf(stderr, "server: cannot start a thread: %s\n", strerror(errno));
        blk_conn_finish(conn);
        pthread_mutex_lock(&server->mutex);
        server->live--;
        pthread_mutex_unlock(&server->mutex);
    } else {
        wait_started(server, &start, holder); /* conn is the thread's now */
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
        blk_python_enter(server, &holder); /* select() returns */
        /* socketserver accepts one connection per select(), the GIL
         * released around accept() as around every socket call */
        blk_python_leave(server, &holder);
        int fd = listen_accept(server->listen_fd, SOCK_CLOEXEC);
        blk_python_enter(server, &holder);
        if (fd >= 0)
            dispatch(server, fd, &holder);
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
