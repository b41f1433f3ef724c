/*
 * engine_sync.c — Gunicorn's sync worker (gunicorn/workers/sync.py), run in
 * each process the arbiter forks: one thread, blocking I/O, one request at
 * a time. It waits on the shared listening socket (select, with a timeout
 * so it can notify the arbiter), accepts, reads one request, answers with
 * `Connection: close` and closes — the sync worker never keeps a
 * connection alive. While it works on a request, its heartbeat stops, so a
 * request longer than --timeout gets the worker killed (WORKER TIMEOUT).
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

int engine_sync_run(const struct server_config *config, int listen_fd) {
    struct blk_server *server = blk_server_new(config, listen_fd);
    int rc = 0;

    if (!server)
        return 1;
    struct blk_holder holder = {.server = server, .thread_index = -1};
    if (server_ready(config) < 0)
        rc = 1;
    while (rc == 0 && !blk_signals_seen()) {
        struct pollfd pfds[2] = {{.fd = listen_fd, .events = POLLIN},
                                 {.fd = server->wake[0], .events = POLLIN}};
        server_heartbeat(config);
        int ready = poll(pfds, 2, 1000); /* Gunicorn's sync worker: select(timeout / 2) */
        if (ready < 0 && errno != EINTR)
            break;
        if (ready <= 0 || pfds[1].revents)
            continue;
        /* Accept until EAGAIN, one request each: another worker may win. */
        for (;;) {
            int fd = listen_accept(listen_fd, SOCK_CLOEXEC);
            if (fd < 0)
                break;
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            struct blk_conn *conn = blk_conn_open(server, fd);
            if (!conn) {
                close(fd);
                continue;
            }
            blk_serve(conn, &holder, false); /* config->closes_connections: one request */
            blk_conn_finish(conn);
            server_heartbeat(config);
            if (blk_signals_seen())
                break;
        }
    }
    close(listen_fd);
    blk_stop(server);
    blk_server_destroy(server);
    free(server);
    return rc;
}
