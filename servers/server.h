/*
 * server.h — what every engine is given: the configuration from the
 * command line and the model it runs, and the model table itself.
 *
 * A model is a row of one table (models.c): a name, the engine that runs
 * it and its defaults. An engine is one file (engine_*.c) exporting one
 * run function that takes a listening socket already bound by main — as
 * Gunicorn's arbiter binds before it forks, so the supervision that later
 * models need can wrap any engine.
 */
#ifndef SHOWDOWN_SERVER_H
#define SHOWDOWN_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/cpuwork.h"

struct server_config;
struct stats_board;

/* Serves on listen_fd until SIGINT/SIGTERM; returns the exit status. Once it
 * handles signals, it announces the port with listen_announce(). */
typedef int (*engine_run_fn)(const struct server_config *config, int listen_fd);

struct model {
    const char *name;
    const char *engine; /* the CSV's `engine` column */
    engine_run_fn run;
    int processes;    /* 1; PROCESSES_CORES; PROCESSES_2CORES_1 (pre-fork under the arbiter) */
    unsigned threads; /* 0: one per connection; else the default pool size */
    int is_gil;
    unsigned cpu_pool; /* default threadpool for CPU work; 0: none */
    int backlog;
    uint64_t keep_alive_ms;  /* the runtime's keep-alive default; 0: Node's 5 s */
    bool closes_connections; /* every answer says Connection: close (Gunicorn sync) */
    bool takes_keep_alive;   /* closes unless --keep-alive (ThreadingHTTPServer's HTTP/1.0) */
    bool is_head_apart; /* the head and the body go out in separate calls (each a GIL release) */
    bool is_cluster;    /* node-cluster: --balance rr (default) or os */
    uint64_t headers_timeout_ms; /* the runtime's header timeout; 0: none */
    uint64_t
        headers_check_ms; /* checked this often (Node's connectionsCheckingInterval); 0: a timer */
    unsigned
        worker_connections; /* gthread: open connections a worker stops accepting at; 0: none */
    const char *mimics;
};

#define PROCESSES_CORES    (-1) /* as many workers as cores */
#define PROCESSES_2CORES_1 (-2) /* 2 x cores + 1, Gunicorn's recommendation */

/*
 * What the server does: the command line with the model's defaults applied
 * (models.c, model_resolve). Engines branch on these fields, not on the
 * model's row, so a flag that overrides a default reaches every engine.
 */
struct server_config {
    const struct model *model;
    const char *host;
    unsigned port; /* once bound: the real one, also when --port 0 */
    int ready_fd;  /* -1: none */
    int backlog;
    uint64_t headers_timeout_ms; /* 0: none (socketserver, Gunicorn, uvicorn) */
    uint64_t headers_check_ms;   /* node: headersTimeout is checked this often; 0: a timer each */
    uint64_t keep_alive_timeout_ms;
    uint64_t graceful_timeout_ms;
    unsigned threads;            /* pool size, for models with a pool */
    unsigned pool;               /* CPU-work threadpool size; 0: CPU work on the loop */
    unsigned max_threads;        /* 0: no cap on threads per connection */
    uint64_t switch_interval_us; /* the GIL's */
    uint64_t runtime_cost_us;    /* --runtime-cost: the runtime's own CPU per request */
    bool has_gil;                /* the threads of a process share a GIL (gil.h) */
    bool closes_connections;     /* every answer says Connection: close (Gunicorn sync) */
    bool is_head_apart;          /* head and body in separate sends, each releasing the GIL */
    unsigned worker_connections; /* gthread: stop accepting at this many open; 0: no cap */
    unsigned max_keepalived;    /* gthread: close rather than keep past this many idle; 0: no cap */
    bool is_prefork;            /* the arbiter supervises config->workers processes */
    bool has_thread_pool;       /* a pool of `threads` serves requests; /stats counts each */
    unsigned workers;           /* pre-fork models: worker processes; else 1 */
    uint64_t worker_timeout_ms; /* the arbiter kills a worker silent this long */
    bool is_round_robin;        /* node-cluster --balance rr: the arbiter accepts and hands over */
    bool is_reuseport;          /* node-cluster --balance reuseport: a socket per worker */
    int ipc_fd;                 /* in such a worker: where connections arrive; else -1 */
    /* Set in a worker process by the arbiter. */
    bool is_worker;
    unsigned worker_index;
    struct stats_board *board; /* per-process slots: requests, heartbeat (stats.h) */
};

/* What an engine tells whoever runs it (server.c). */

/* The engine is accepting: announce it (once, from the process a runner
 * started: a worker leaves that to its arbiter). Returns 0, or -1 (said on
 * stderr, naming --ready-fd) if the port could not be written. */
int server_ready(const struct server_config *config);

/* Called from an engine's loop at least once a second: the arbiter kills a
 * worker whose heartbeat stops for --timeout. */
void server_heartbeat(const struct server_config *config);

/*
 * Spends the runtime's own CPU cost of one request (--runtime-cost, µs of
 * common/cpuwork.c's calibrated work, as /cpu?us=N) on the calling thread:
 * the loop thread in the loop engines, the thread holding the GIL in the
 * GIL models (checkpoint is then the GIL's drop-request check, so the cost
 * serialises as interpreter work does), the worker in gunicorn-sync. Each
 * engine calls it once per routed request, before the handler's work
 * (docs/DESIGN.md, "Runtime cost"). Nothing when the cost is 0.
 */
void server_runtime_cost(const struct server_config *config, cpuwork_checkpoint_fn checkpoint,
                         void *arg);

/* An event loop's SIGINT/SIGTERM. The first begins the graceful stop: says
 * so on stderr, sets *is_stopping and returns true — the engine then stops
 * accepting, closes its idle connections and starts --graceful-timeout. A
 * second returns false: the engine closes everything now. */
bool server_stop_begins(bool *is_stopping, int signum);

/* Before anything opens a descriptor: 0 if the file limit (RLIMIT_NOFILE)
 * leaves the engines the few descriptors they need to start (an epoll
 * instance, libuv's signal pipe and async handle, the listener, the stats
 * board); else -1 with err naming the limit and the minimum. libuv aborts
 * the process when its signal pipe cannot be made, so this is checked
 * first. */
#define SERVER_MIN_FILES 16
int server_check_file_limit(char *err, size_t errlen);

extern const struct model models[];
extern const unsigned models_count;

/* The model called name, or NULL. */
const struct model *model_find(const char *name);

struct server_args;
struct args_error;

/*
 * Fills *config from what the command line asked for (args.h) and the
 * defaults of args->model: backlog, threads, keep-alive, the CPU pool, the
 * cluster's balance, the number of workers (from the online cores).
 * Returns 0, or -1 with *error naming the flag the model does not take.
 */
int model_resolve(const struct server_args *args, struct server_config *config,
                  struct args_error *error);

/* --describe: "ENGINE PROCESSES THREADS GIL\n", bin/bench's CSV columns for
 * the resolved model (THREADS per process; 0: one per connection). */
void model_describe(const struct server_config *config, FILE *out);

/* Engines. */
int engine_uv_run(const struct server_config *config, int listen_fd);
int engine_threads_run(const struct server_config *config, int listen_fd);
int engine_pool_run(const struct server_config *config, int listen_fd);
int engine_event_run(const struct server_config *config, int listen_fd);
int engine_sync_run(const struct server_config *config, int listen_fd);

#endif
