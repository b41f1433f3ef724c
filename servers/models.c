/*
 * models.c — the model table: every concurrency model showdown serves, as
 * one row naming its engine and defaults (docs/DESIGN.md, "Models"), and what a
 * row means for a command line (model_resolve, model_describe). A new
 * model is a new row.
 */
#include "args.h"
#include "server.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Node's server.headersTimeout, checked only every
 * connectionsCheckingInterval (lib/_http_server.js: setupConnectionsTracking,
 * checkConnections); uvicorn, socketserver and Gunicorn's workers have none. */
#define NODE_HEADERS_TIMEOUT_MS   60000
#define NODE_CHECKING_INTERVAL_MS 30000

const struct model models[] = {
    {
        .name = "node",
        .engine = "libuv",
        .run = engine_uv_run,
        .processes = 1,
        .threads = 1,
        .is_gil = 0,
        .backlog = 511, /* Node's net.Server.listen() default backlog */
        .headers_timeout_ms = NODE_HEADERS_TIMEOUT_MS,
        .headers_check_ms = NODE_CHECKING_INTERVAL_MS,
        .mimics = "Node.js http server: one event loop, one thread",
    },
    {
        .name = "node-workers",
        .engine = "libuv+pool",
        .run = engine_uv_run,
        .processes = 1,
        .threads = 1,
        .is_gil = 0,
        .cpu_pool = 4, /* UV_THREADPOOL_SIZE's default */
        .backlog = 511,
        .headers_timeout_ms = NODE_HEADERS_TIMEOUT_MS,
        .headers_check_ms = NODE_CHECKING_INTERVAL_MS,
        .mimics = "Node.js with CPU work offloaded to a pool (worker_threads, libuv threadpool)",
    },
    {
        .name = "node-cluster",
        .engine = "libuv",
        .run = engine_uv_run,
        .processes = PROCESSES_CORES, /* os.availableParallelism() workers */
        .threads = 1,
        .is_gil = 0,
        .backlog = 511,
        .is_cluster = true,
        .headers_timeout_ms = NODE_HEADERS_TIMEOUT_MS,
        .headers_check_ms = NODE_CHECKING_INTERVAL_MS,
        .mimics = "Node.js cluster / PM2: a primary hands connections to worker loops (SCHED_RR)",
    },
    {
        .name = "uvicorn",
        .engine = "libevent",
        .run = engine_event_run,
        .processes = 1,
        .threads = 1,
        .is_gil = 0,
        .backlog = 2048, /* uvicorn's --backlog default */
        .mimics = "uvicorn on asyncio: one event loop, one thread (libevent)",
    },
    {
        .name = "python-threads",
        .engine = "threads",
        .run = engine_threads_run,
        .processes = 1,
        .threads = 0, /* socketserver.ThreadingMixIn: one per connection */
        .is_gil = 1,
        .backlog = 5, /* socketserver.TCPServer.request_queue_size */
        /* BaseHTTPRequestHandler.protocol_version = "HTTP/1.0": a connection a
         * request (Lib/http/server.py); --keep-alive is HTTP/1.1's */
        .closes_connections = true,
        .takes_keep_alive = true,
        /* flush_headers() writes the head, then do_GET's wfile.write() the
         * body: two sock_sendall() calls (Lib/http/server.py) */
        .is_head_apart = true,
        .mimics = "http.server.ThreadingHTTPServer: a thread per connection, the GIL",
    },
    {
        .name = "python-nogil",
        .engine = "pool",
        .run = engine_pool_run,
        .processes = 1,
        .threads = 8, /* --threads */
        .is_gil = 0,
        .backlog = 2048, /* Gunicorn's and uvicorn's default backlog */
        .mimics = "free-threaded CPython 3.13t: a pool of --threads threads, no GIL",
    },
    {
        .name = "gunicorn-sync",
        .engine = "sync",
        .run = engine_sync_run,
        .processes = PROCESSES_2CORES_1,
        .threads = 1,
        .is_gil = 0, /* one thread per process: nothing to contend for */
        .backlog = 2048,
        .closes_connections = true,
        .mimics = "Gunicorn sync workers: pre-fork, one request at a time, no keep-alive",
    },
    {
        .name = "gunicorn-gthread",
        .engine = "pool",
        .run = engine_pool_run,
        .processes = PROCESSES_CORES,
        .threads = 8,          /* --threads */
        .is_gil = 1,           /* one GIL per process */
        .backlog = 2048,       /* Gunicorn's --backlog */
        .keep_alive_ms = 2000, /* Gunicorn's --keep-alive */
        /* Response.send_headers() then write(): util.write's sendall twice
         * (gunicorn/http/wsgi.py) */
        .is_head_apart = true,
        .worker_connections = 1000, /* Gunicorn's --worker-connections */
        .mimics = "Gunicorn gthread workers: pre-fork, a thread pool and a GIL per process",
    },
    {
        .name = "uvicorn-workers",
        .engine = "libevent",
        .run = engine_event_run,
        .processes = PROCESSES_CORES,
        .threads = 1,
        .is_gil = 0,
        .backlog = 2048,
        .mimics = "gunicorn -k uvicorn.workers.UvicornWorker: pre-fork event loops, one socket",
    },
};

const unsigned models_count = sizeof(models) / sizeof(models[0]);

const struct model *model_find(const char *name) {
    for (unsigned i = 0; i < models_count; i++) {
        if (strcmp(models[i].name, name) == 0)
            return &models[i];
    }
    return NULL;
}

static unsigned online_cores(void) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores < 1 ? 1 : (unsigned)cores;
}

int model_resolve(const struct server_args *args, struct server_config *config,
                  struct args_error *error) {
    const struct model *model = args->model;
    *config = (struct server_config){
        .model = model,
        .host = args->host,
        .port = args->port,
        .ready_fd = args->ready_fd,
        .backlog = args->backlog ? args->backlog : model->backlog,
        .headers_timeout_ms =
            args->headers_timeout_ms ? args->headers_timeout_ms : model->headers_timeout_ms,
        .headers_check_ms =
            args->headers_check_ms ? args->headers_check_ms : model->headers_check_ms,
        .keep_alive_timeout_ms = args->keep_alive_timeout_ms ? args->keep_alive_timeout_ms
                                 : model->keep_alive_ms      ? model->keep_alive_ms
                                                             : 5000, /* Node's keepAliveTimeout */
        .graceful_timeout_ms = args->graceful_timeout_ms,
        .threads = args->threads ? args->threads : model->threads,
        .pool = args->pool ? args->pool : model->cpu_pool,
        .max_threads = args->max_threads,
        .switch_interval_us = args->switch_interval_us,
        .runtime_cost_us = args->runtime_cost_us,
        .has_gil = model->is_gil,
        .closes_connections = model->closes_connections && !args->is_keep_alive,
        .is_head_apart = model->is_head_apart,
        .worker_connections =
            args->worker_connections ? args->worker_connections : model->worker_connections,
        .is_prefork = model->processes != 1,
        .has_thread_pool = model->threads > 1,
        .worker_timeout_ms = args->worker_timeout_ms,
        .is_round_robin = model->is_cluster && (!args->balance || strcmp(args->balance, "rr") == 0),
        .is_reuseport = args->balance && strcmp(args->balance, "reuseport") == 0,
        .ipc_fd = -1,
    };
    if (args->pool && !model->cpu_pool)
        return args_fail(error, "--pool",
                         "only models with a CPU-work pool take it (node-workers)");
    if (args->is_keep_alive && !model->takes_keep_alive)
        return args_fail(error, "--keep-alive",
                         "only python-threads takes it (the others keep alive or never do)");
    if (args->worker_connections && !model->worker_connections)
        return args_fail(error, "--worker-connections", "only gunicorn-gthread takes it");
    if (args->balance && !model->is_cluster)
        return args_fail(error, "--balance", "only node-cluster takes it");
    if (args->workers && model->processes == 1)
        return args_fail(error, "--workers", "only pre-fork models take it");
    config->workers = args->workers                            ? args->workers
                      : model->processes == PROCESSES_CORES    ? online_cores()
                      : model->processes == PROCESSES_2CORES_1 ? 2 * online_cores() + 1
                                                               : 1;
    /* gthread's max_keepalived = worker_connections - threads
     * (gunicorn/workers/gthread.py, ThreadWorker.__init__); at 0 or less
     * Gunicorn keeps nothing alive (check_config warns). */
    if (config->worker_connections) {
        unsigned threads = config->threads ? config->threads : 1;
        config->max_keepalived =
            config->worker_connections > threads ? config->worker_connections - threads : 0;
        if (config->max_keepalived == 0)
            config->closes_connections = true;
    }
    return 0;
}

void model_describe(const struct server_config *config, FILE *out) {
    fprintf(out, "%s %u %u %d\n", config->model->engine, config->workers,
            config->threads ? config->threads + config->pool : 0, config->has_gil);
}
