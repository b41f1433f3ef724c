/*
 * blocking.h — what the blocking-I/O engines share: the per-connection
 * request loop of a CPython server thread, run under the emulated GIL (or
 * none), and graceful shutdown. engine_threads.c (a thread per connection,
 * ThreadingHTTPServer) and engine_pool.c (a fixed pool fed by a poller,
 * Gunicorn's gthread worker) differ only in who runs blk_serve() and when.
 *
 * A thread holds the GIL while it runs "Python" — parsing, routing,
 * formatting, the CPU work of /cpu (checking for a drop request every
 * ~100 µs, as the eval loop does) — and releases it around every blocking
 * call: poll/recv, send, the /io sleep, as Py_BEGIN_ALLOW_THREADS does.
 *
 * Ownership: the engine allocates a struct blk_server; blk_conn_open()
 * allocates a connection and lists it, blk_conn_finish() closes and frees
 * it. Each connection owns a 64 KiB read buffer that pipelined requests are
 * parsed from in order; nothing is allocated per request.
 */
#ifndef SHOWDOWN_BLOCKING_H
#define SHOWDOWN_BLOCKING_H

#include "gil.h"
#include "http1.h"
#include "response.h"
#include "server.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#define BLK_CONN_BUF 65536

enum blk_state { BLK_ACTIVE, BLK_PARKED, BLK_QUEUED };

struct blk_server;

struct blk_conn {
    struct blk_server *server;
    int fd;
    bool is_idle;  /* between requests: a graceful stop may close it */
    bool is_fresh; /* no request yet: on the headers deadline, as Node */
    uint64_t headers_deadline_us;
    struct http_conn http;
    struct response response; /* the one in progress; reused */
    LIST_ENTRY(blk_conn) link;
    /* engine_pool.c's */
    enum blk_state state;
    uint64_t park_deadline_us;
    struct blk_conn *queue_next;
    size_t start, end; /* unread bytes in buf */
    char buf[BLK_CONN_BUF];
};

struct blk_server {
    const struct server_config *config;
    struct gil gil;
    bool has_gil;
    int listen_fd;
    int wake[2]; /* the signal handler writes a byte here */
    pthread_mutex_t mutex;
    pthread_cond_t changed;      /* a thread ended, or a queue changed */
    LIST_HEAD(, blk_conn) conns; /* every open connection */
    unsigned live;               /* threads serving a connection */
    unsigned conn_count;         /* open connections (gthread's nr_conns) */
    unsigned parked;             /* engine_pool.c's: idle on the poller (gthread's _keep) */
    atomic_bool is_stopping;
};

/* Who holds the GIL: one per thread. */
struct blk_holder {
    struct blk_server *server;
    int thread_index; /* in a fixed pool, for /stats; else -1 */
};

enum blk_result {
    BLK_CLOSE, /* the connection is done */
    BLK_PARK,  /* between requests, nothing buffered: hand it back to the poller */
};

int blk_server_init(struct blk_server *server, const struct server_config *config, int listen_fd);
/* Allocates, initialises and installs the signal handlers; NULL (said on
 * stderr) on failure. Free with blk_server_destroy() and free(). */
struct blk_server *blk_server_new(const struct server_config *config, int listen_fd);
void blk_server_destroy(struct blk_server *server);

/* SIGINT/SIGTERM write to server->wake; blk_signals_seen() counts them. */
void blk_signals_install(struct blk_server *server);
unsigned blk_signals_seen(void);
/* Blocks SIGINT/SIGTERM in the calling thread (for threads it starts next). */
void blk_block_signals(sigset_t *old);

void blk_python_enter(struct blk_server *server, const struct blk_holder *holder);
void blk_python_leave(struct blk_server *server, const struct blk_holder *holder);
/* A C call that does not block but still releases the GIL and takes it
 * back (Py_BEGIN/END_ALLOW_THREADS around fcntl in socket.setblocking(),
 * epoll_ctl in selectors' register/unregister, fchmod in Gunicorn's
 * notify): beside a CPU-bound thread, each is a wait of up to a switch
 * interval. Called holding the GIL. */
void blk_python_yield(struct blk_server *server, const struct blk_holder *holder);

/* When a head that starts now must be in: --headers-timeout from now, or
 * UINT64_MAX when the model has none (socketserver, Gunicorn). */
uint64_t blk_headers_deadline_us(const struct server_config *config);

struct blk_conn *blk_conn_open(struct blk_server *server, int fd);
/* Closes lingering (the answer in flight is not lost to a RST) and frees. */
void blk_conn_finish(struct blk_conn *conn);
void blk_close_lingering(int fd);
/* Closes at once and frees; the caller holds no lock. */
void blk_conn_close_now(struct blk_conn *conn);

/* Answers an error (400, 408, ...) with Connection: close. Holding the GIL. */
void blk_fail(struct blk_conn *conn, const struct blk_holder *holder, int status,
              const char *reason);

/*
 * Serves requests on conn; the caller holds the GIL. With may_park, returns
 * BLK_PARK once it has read and answered what arrived and the connection is
 * idle; otherwise it waits for the next request itself.
 */
enum blk_result blk_serve(struct blk_conn *conn, struct blk_holder *holder, bool may_park);

/* Graceful stop: idle connections close now, busy ones finish with
 * Connection: close within --graceful-timeout (or until a second signal). */
void blk_stop(struct blk_server *server);

#endif
