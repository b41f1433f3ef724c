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

const struct model models[] = {
    {
        .name = "node",
        .engine = "libuv",
        .run = engine_uv_run,
        .processes = 1,
        .threads = 1,
        .is_gil = 0,
        .backlog = 511, /* Node's net.Server.listen() default backlog */
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
        .headers_timeout_ms = args->headers_timeout_ms,
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
        .closes_connections = model->closes_connections,
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
    if (args->balance && !model->is_cluster)
        return args_fail(error, "--balance", "only node-cluster takes it");
    if (args->workers && model->processes == 1)
        return args_fail(error, "--workers", "only pre-fork models take it");
    config->workers = args->workers                            ? args->workers
                      : model->processes == PROCESSES_CORES    ? online_cores()
                      : model->processes == PROCESSES_2CORES_1 ? 2 * online_cores() + 1
                                                               : 1;
    return 0;
}

void model_describe(const struct server_config *config, FILE *out) {
    fprintf(out, "%s %u %u %d\n", config->model->engine, config->workers,
            config->threads ? config->threads + config->pool : 0, config->has_gil);
}
