/*
 * listen.h — the listening socket, bound once before any engine starts,
 * and the announcement a runner waits for.
 */
#ifndef SHOWDOWN_LISTEN_H
#define SHOWDOWN_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Binds host:port (port 0 picks a free one) with SO_REUSEADDR (and
 * SO_REUSEPORT if asked, so other sockets may bind the same port) and
 * listens with the given backlog. Returns the socket (blocking, close-on-exec) and
 * the bound port in *bound_port, or -1 with the reason in err.
 */
int listen_tcp(const char *host, unsigned port, int backlog, bool reuseport, unsigned *bound_port,
               char *err, size_t err_len);

/*
 * Tells whoever started the server where it listens: "listening on
 * HOST:PORT" on stdout and, if ready_fd >= 0, "PORT\n" written to that
 * descriptor, which is then closed. Returns 0, or -1 if ready_fd failed.
 */
int listen_announce(const char *host, unsigned port, int ready_fd);

/*
 * accept4() that survives running out of descriptors. On EMFILE/ENFILE it
 * sheds the waiting connection — libuv's trick (uv__emfile_trick): close a
 * descriptor held in reserve, accept and close at once, reopen the reserve —
 * so a level-triggered listener does not spin, and the client is told at
 * once instead of waiting in the backlog. Returns the socket, or -1 with
 * errno (EAGAIN when nothing waits; EMFILE after shedding one). Called by
 * one thread of a process at a time (every engine accepts from one).
 */
int listen_accept(int listen_fd, int flags);

/* Connections shed so far by this process. */
unsigned long listen_shed_count(void);

#endif
