/*
 * args.c — bin/server's flags and --help text (args.h). Only the syntax of
 * a value is checked here; what a flag means for a model is decided in
 * models.c.
 */
#include "args.h"
#include "server.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum {
    FLAG_MODEL = 256,
    FLAG_HOST,
    FLAG_PORT,
    FLAG_READY_FD,
    FLAG_BACKLOG,
    FLAG_HEADERS_TIMEOUT,
    FLAG_KEEP_ALIVE_TIMEOUT,
    FLAG_GRACEFUL_TIMEOUT,
    FLAG_CPU_CALIBRATION,
    FLAG_THREADS,
    FLAG_POOL,
    FLAG_WORKERS,
    FLAG_BALANCE,
    FLAG_TIMEOUT,
    FLAG_MAX_THREADS,
    FLAG_SWITCH_INTERVAL,
    FLAG_RUNTIME_COST,
    FLAG_CHECKING_INTERVAL,
    FLAG_KEEP_ALIVE,
    FLAG_WORKER_CONNECTIONS,
    FLAG_CALIBRATE,
    FLAG_DESCRIBE,
    FLAG_HELP,
    FLAG_VERSION
};

static const struct option long_options[] = {
    {"model", required_argument, NULL, FLAG_MODEL},
    {"host", required_argument, NULL, FLAG_HOST},
    {"port", required_argument, NULL, FLAG_PORT},
    {"ready-fd", required_argument, NULL, FLAG_READY_FD},
    {"backlog", required_argument, NULL, FLAG_BACKLOG},
    {"headers-timeout", required_argument, NULL, FLAG_HEADERS_TIMEOUT},
    {"keep-alive-timeout", required_argument, NULL, FLAG_KEEP_ALIVE_TIMEOUT},
    {"graceful-timeout", required_argument, NULL, FLAG_GRACEFUL_TIMEOUT},
    {"cpu-calibration", required_argument, NULL, FLAG_CPU_CALIBRATION},
    {"calibrate", no_argument, NULL, FLAG_CALIBRATE},
    {"describe", no_argument, NULL, FLAG_DESCRIBE},
    {"threads", required_argument, NULL, FLAG_THREADS},
    {"pool", required_argument, NULL, FLAG_POOL},
    {"workers", required_argument, NULL, FLAG_WORKERS},
    {"balance", required_argument, NULL, FLAG_BALANCE},
    {"timeout", required_argument, NULL, FLAG_TIMEOUT},
    {"max-threads", required_argument, NULL, FLAG_MAX_THREADS},
    {"switch-interval", required_argument, NULL, FLAG_SWITCH_INTERVAL},
    {"runtime-cost", required_argument, NULL, FLAG_RUNTIME_COST},
    {"connections-checking-interval", required_argument, NULL, FLAG_CHECKING_INTERVAL},
    {"keep-alive", no_argument, NULL, FLAG_KEEP_ALIVE},
    {"worker-connections", required_argument, NULL, FLAG_WORKER_CONNECTIONS},
    {"help", no_argument, NULL, FLAG_HELP},
    {"version", no_argument, NULL, FLAG_VERSION},
    {NULL, 0, NULL, 0},
};

void args_usage(FILE *out, const char *name) {
    fprintf(
        out,
        "Usage: %s [options]\n"
        "  --model NAME              concurrency model (default: node)\n"
        "  --host ADDR               address to bind (default: 127.0.0.1)\n"
        "  --port N                  port; 0 picks a free one (default: 8080)\n"
        "  --ready-fd N              write \"PORT\\n\" to descriptor N once listening\n"
        "  --backlog N               listen backlog (default: the model's)\n"
        "  --headers-timeout DUR     time to receive a request's headers (default: the\n"
        "                            runtime's: node 60s; none for uvicorn, python, gunicorn)\n"
        "  --connections-checking-interval DUR\n"
        "                            node models: how often headersTimeout is checked\n"
        "                            (default: 30s, as Node's server); others: a timer each\n"
        "  --keep-alive-timeout DUR  idle time between requests (default: 5s)\n"
        "  --keep-alive              python-threads: HTTP/1.1 keep-alive (default: HTTP/1.0,\n"
        "                            a connection a request, as the stock ThreadingHTTPServer)\n"
        "  --worker-connections N    gunicorn-gthread: open connections a worker stops\n"
        "                            accepting at (default: 1000, as Gunicorn)\n"
        "  --graceful-timeout DUR    time to finish requests on SIGTERM (default: 30s)\n"
        "  --threads N               pool size (python-nogil: 8; gunicorn-gthread: 8 a worker)\n"
        "  --max-threads N           cap on threads per connection (python-threads)\n"
        "  --pool N                  CPU-work threadpool (node-workers: 4, as UV_THREADPOOL_SIZE)\n"
        "  --workers N               worker processes of a pre-fork model (default: the model's)\n"
        "  --balance rr|os|reuseport node-cluster's hand-over (default: rr, as Node on Linux)\n"
        "  --timeout DUR             kill a worker silent this long (default: 30s, as Gunicorn)\n"
        "  --switch-interval DUR     the GIL's switch interval (default: 5ms, as CPython)\n"
        "  --cpu-calibration N       CPU work iterations per µs, instead of measuring\n"
        "  --runtime-cost US         US µs of CPU work per request where the runtime spends\n"
        "                            its own (the loop; under the GIL; the worker); default 0\n"
        "                            (bin/bench calibrate measures it per model)\n"
        "  --calibrate               print the measured iterations per µs and the spread\n"
        "                            of its rounds (0.03: 3%%), and exit\n"
        "  --describe                print \"ENGINE PROCESSES THREADS GIL\" for the model\n"
        "                            with these flags, and exit (bin/bench's CSV columns)\n"
        "  --help                    this text\n"
        "  --version                 print the version and exit\n"
        "\nmodels:\n",
        name);
    for (unsigned i = 0; i < models_count; i++)
        fprintf(out, "  %-18s %s\n", models[i].name, models[i].mimics);
    fprintf(out, "\nOnce accepting it prints \"listening on HOST:PORT\" on stdout.\n"
                 "Endpoints: /hello /json /io?ms=N /cpu?us=N /mixed?cpu_us=A&io_ms=B "
                 "/work?n=N /hash?kb=N /bytes?n=N\n");
}

int args_fail(struct args_error *error, const char *flag, const char *reason) {
    error->flag = flag;
    snprintf(error->reason, sizeof(error->reason), "%s", reason);
    return -1;
}

/* value as a whole number from min to max. */
static int whole(const char *flag, const char *value, uint64_t min, uint64_t max, unsigned *out,
                 struct args_error *error) {
    uint64_t n;
    error->flag = flag;
    if (opt_parse_uint(value, min, max, &n, error->reason, sizeof(error->reason)) < 0)
        return -1;
    *out = (unsigned)n;
    return 0;
}

/* value as a duration of at least min_us, stored in units of unit_us. */
static int duration(const char *flag, const char *value, uint64_t min_us, const char *too_short,
                    uint64_t unit_us, uint64_t *out, struct args_error *error) {
    uint64_t us;
    error->flag = flag;
    if (opt_parse_duration_us(value, &us, error->reason, sizeof(error->reason)) < 0)
        return -1;
    if (us < min_us)
        return args_fail(error, flag, too_short);
    *out = us / unit_us;
    return 0;
}

/* One flag and its value into *args; 0 or -1 with *error filled. */
static int take(int flag, const char *value, struct server_args *args, struct args_error *error) {
    unsigned n;
    switch (flag) {
    case FLAG_MODEL:
        args->model = model_find(value);
        return args->model ? 0
                           : args_fail(error, "--model", "unknown model (the list is in --help)");
    case FLAG_HOST:
        args->host = value;
        return 0;
    case FLAG_PORT:
        return whole("--port", value, 0, 65535, &args->port, error);
    case FLAG_READY_FD:
        if (whole("--ready-fd", value, 0, 1 << 20, &n, error) < 0)
            return -1;
        args->ready_fd = (int)n;
        return 0;
    case FLAG_BACKLOG:
        if (whole("--backlog", value, 1, 65535, &n, error) < 0)
            return -1;
        args->backlog = (int)n;
        return 0;
    case FLAG_HEADERS_TIMEOUT:
        return duration("--headers-timeout", value, 1000, "must be at least 1ms", 1000,
                        &args->headers_timeout_ms, error);
    case FLAG_KEEP_ALIVE_TIMEOUT:
        return duration("--keep-alive-timeout", value, 1000, "must be at least 1ms", 1000,
                        &args->keep_alive_timeout_ms, error);
    case FLAG_GRACEFUL_TIMEOUT:
        return duration("--graceful-timeout", value, 1000, "must be at least 1ms", 1000,
                        &args->graceful_timeout_ms, error);
    case FLAG_CPU_CALIBRATION:
        args->calibration = strtod(value, NULL);
        if (!(args->calibration > 0 && args->calibration < 1e6))
            return args_fail(error, "--cpu-calibration", "expected iterations per µs, e.g. 150.5");
        return 0;
    case FLAG_WORKERS:
        return whole("--workers", value, 1, 512, &args->workers, error);
    case FLAG_BALANCE:
        args->balance = value;
        if (strcmp(value, "rr") != 0 && strcmp(value, "os") != 0 && strcmp(value, "reuseport") != 0)
            return args_fail(error, "--balance", "expected rr, os or reuseport");
        return 0;
    case FLAG_TIMEOUT:
        return duration("--timeout", value, 1000000, "must be at least 1s", 1000,
                        &args->worker_timeout_ms, error);
    case FLAG_POOL: /* UV_THREADPOOL_SIZE's range */
        return whole("--pool", value, 1, 1024, &args->pool, error);
    case FLAG_THREADS:
        return whole("--threads", value, 1, 100000, &args->threads, error);
    case FLAG_MAX_THREADS:
        return whole("--max-threads", value, 1, 100000, &args->max_threads, error);
    case FLAG_RUNTIME_COST:
        return whole("--runtime-cost", value, 0, 1000000, &args->runtime_cost_us, error);
    case FLAG_CHECKING_INTERVAL:
        return duration("--connections-checking-interval", value, 1000, "must be at least 1ms",
                        1000, &args->headers_check_ms, error);
    case FLAG_KEEP_ALIVE:
        args->is_keep_alive = true;
        return 0;
    case FLAG_WORKER_CONNECTIONS:
        return whole("--worker-connections", value, 1, 1000000, &args->worker_connections, error);
    case FLAG_SWITCH_INTERVAL:
        return duration("--switch-interval", value, 1, "must be at least 1us", 1,
                        &args->switch_interval_us, error);
    }
    return args_fail(error, "?", "unknown option"); /* not in long_options */
}

int args_parse(int argc, char **argv, struct server_args *args, struct args_error *error) {
    *args = (struct server_args){
        .action = ARGS_SERVE,
        .model = &models[0],
        .host = "127.0.0.1",
        .port = 8080,
        .ready_fd = -1,
        .graceful_timeout_ms = 30000, /* Gunicorn's graceful_timeout */
        .switch_interval_us = 5000,   /* CPython's sys.getswitchinterval() */
        .worker_timeout_ms = 30000,   /* Gunicorn's --timeout */
    };
    int flag;

    opterr = 0;
    while ((flag = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        if (flag == FLAG_HELP || flag == FLAG_CALIBRATE || flag == FLAG_VERSION) {
            args->action = flag == FLAG_HELP      ? ARGS_HELP
                           : flag == FLAG_VERSION ? ARGS_VERSION
                                                  : ARGS_CALIBRATE;
            return 0;
        }
        if (flag == FLAG_DESCRIBE)
            args->action = ARGS_DESCRIBE;
        else if (flag < FLAG_MODEL) /* getopt_long's '?' */
            return args_fail(error, optind > 1 ? argv[optind - 1] : "?",
                             optopt ? "missing value" : "unknown option");
        else if (take(flag, optarg, args, error) < 0)
            return -1;
    }
    if (optind < argc)
        return args_fail(error, argv[optind], "unexpected argument");
    return 0;
}
