/*
 * main.c — bin/server: parses the command line, binds the listening
 * socket, announces it, and hands it to the engine of the chosen model.
 */
#include "../common/cpuwork.h"
#include "../common/options.h"
#include "../common/version.h"
#include "handlers.h"
#include "listen.h"
#include "server.h"
#include "stats.h"

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out, const char *name) {
    fprintf(out,
            "Usage: %s [options]\n"
            "  --model NAME              concurrency model (default: node)\n"
            "  --host ADDR               address to bind (default: 127.0.0.1)\n"
            "  --port N                  port; 0 picks a free one (default: 8080)\n"
            "  --ready-fd N              write \"PORT\\n\" to descriptor N once listening\n"
            "  --backlog N               listen backlog (default: the model's)\n"
            "  --headers-timeout DUR     time to receive a request's headers (default: 60s)\n"
            "  --keep-alive-timeout DUR  idle time between requests (default: 5s)\n"
            "  --graceful-timeout DUR    time to finish requests on SIGTERM (default: 30s)\n"
            "  --threads N               pool size (python-nogil: 8)\n"
            "  --max-threads N           cap on threads per connection (python-threads)\n"
            "  --switch-interval DUR     the GIL's switch interval (default: 5ms, as CPython)\n"
            "  --cpu-calibration N       CPU work iterations per µs, instead of measuring\n"
            "  --calibrate               print the measured iterations per µs and exit\n"
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
                 "/bytes?n=N\n");
}

static int bad_flag(const char *flag, const char *reason) {
    fprintf(stderr, "server: %s: %s (see --help)\n", flag, reason);
    return 2;
}

int main(int argc, char **argv) {
    enum {
        OPT_MODEL = 256,
        OPT_HOST,
        OPT_PORT,
        OPT_READY_FD,
        OPT_BACKLOG,
        OPT_HEADERS_TIMEOUT,
        OPT_KEEP_ALIVE_TIMEOUT,
        OPT_GRACEFUL_TIMEOUT,
        OPT_CPU_CALIBRATION,
        OPT_THREADS,
        OPT_POOL,
        OPT_WORKERS,
        OPT_BALANCE,
        OPT_TIMEOUT,
        OPT_MAX_THREADS,
        OPT_SWITCH_INTERVAL,
        OPT_CALIBRATE,
        OPT_DESCRIBE,
        OPT_HELP,
        OPT_VERSION
    };
    static const struct option long_options[] = {
        {"model", required_argument, NULL, OPT_MODEL},
        {"host", required_argument, NULL, OPT_HOST},
        {"port", required_argument, NULL, OPT_PORT},
        {"ready-fd", required_argument, NULL, OPT_READY_FD},
        {"backlog", required_argument, NULL, OPT_BACKLOG},
        {"headers-timeout", required_argument, NULL, OPT_HEADERS_TIMEOUT},
        {"keep-alive-timeout", required_argument, NULL, OPT_KEEP_ALIVE_TIMEOUT},
        {"graceful-timeout", required_argument, NULL, OPT_GRACEFUL_TIMEOUT},
        {"cpu-calibration", required_argument, NULL, OPT_CPU_CALIBRATION},
        {"calibrate", no_argument, NULL, OPT_CALIBRATE},
        {"describe", no_argument, NULL, OPT_DESCRIBE},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"pool", required_argument, NULL, OPT_POOL},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"balance", required_argument, NULL, OPT_BALANCE},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"max-threads", required_argument, NULL, OPT_MAX_THREADS},
        {"switch-interval", required_argument, NULL, OPT_SWITCH_INTERVAL},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    struct server_config config = {
        .model = &models[0],
        .host = "127.0.0.1",
        .port = 8080,
        .ready_fd = -1,
        .backlog = -1,
        .headers_timeout_ms = 60000,   /* Node's server.headersTimeout */
        .keep_alive_timeout_ms = 5000, /* Node's server.keepAliveTimeout */
        .graceful_timeout_ms = 30000,  /* Gunicorn's graceful_timeout */
        .switch_interval_us = 5000,    /* CPython's sys.getswitchinterval() */
        .worker_timeout_ms = 30000,    /* Gunicorn's --timeout */
        .ipc_fd = -1,
    };
    unsigned threads = 0, pool = 0, workers = 0;
    bool keep_alive_given = false;
    const char *balance = NULL;
    double calibration = 0;
    bool is_describe = false;
    char err[OPT_ERR_MAX];
    uint64_t value;
    int opt;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        const char *flag = optind > 1 ? argv[optind - 1] : "?";
        switch (opt) {
        case OPT_MODEL:
            config.model = model_find(optarg);
            if (!config.model)
                return bad_flag("--model", "unknown model (the list is in --help)");
            break;
        case OPT_HOST:
            config.host = optarg;
            break;
        case OPT_PORT:
            if (opt_parse_uint(optarg, 0, 65535, &value, err, sizeof(err)) < 0)
                return bad_flag("--port", err);
            config.port = (unsigned)value;
            break;
        case OPT_READY_FD:
            if (opt_parse_uint(optarg, 0, 1 << 20, &value, err, sizeof(err)) < 0)
                return bad_flag("--ready-fd", err);
            config.ready_fd = (int)value;
            break;
        case OPT_BACKLOG:
            if (opt_parse_uint(optarg, 1, 65535, &value, err, sizeof(err)) < 0)
                return bad_flag("--backlog", err);
            config.backlog = (int)value;
            break;
        case OPT_HEADERS_TIMEOUT:
        case OPT_KEEP_ALIVE_TIMEOUT:
        case OPT_GRACEFUL_TIMEOUT: {
            const char *name = opt == OPT_HEADERS_TIMEOUT      ? "--headers-timeout"
                               : opt == OPT_KEEP_ALIVE_TIMEOUT ? "--keep-alive-timeout"
                                                               : "--graceful-timeout";
            if (opt_parse_duration_us(optarg, &value, err, sizeof(err)) < 0)
                return bad_flag(name, err);
            if (value < 1000)
                return bad_flag(name, "must be at least 1ms");
            value /= 1000;
            if (opt == OPT_HEADERS_TIMEOUT)
                config.headers_timeout_ms = value;
            else if (opt == OPT_KEEP_ALIVE_TIMEOUT)
                config.keep_alive_timeout_ms = value, keep_alive_given = true;
            else
                config.graceful_timeout_ms = value;
            break;
        }
        case OPT_CPU_CALIBRATION:
            calibration = strtod(optarg, NULL);
            if (!(calibration > 0 && calibration < 1e6))
                return bad_flag("--cpu-calibration", "expected iterations per µs, e.g. 150.5");
            break;
        case OPT_WORKERS:
            if (opt_parse_uint(optarg, 1, 512, &value, err, sizeof(err)) < 0)
                return bad_flag("--workers", err);
            workers = (unsigned)value;
            break;
        case OPT_BALANCE:
            if (strcmp(optarg, "rr") != 0 && strcmp(optarg, "os") != 0 &&
                strcmp(optarg, "reuseport") != 0)
                return bad_flag("--balance", "expected rr, os or reuseport");
            balance = optarg;
            break;
        case OPT_TIMEOUT:
            if (opt_parse_duration_us(optarg, &value, err, sizeof(err)) < 0)
                return bad_flag("--timeout", err);
            if (value < 1000000)
                return bad_flag("--timeout", "must be at least 1s");
            config.worker_timeout_ms = value / 1000;
            break;
        case OPT_POOL:
            if (opt_parse_uint(optarg, 1, 1024, &value, err, sizeof(err)) < 0)
                return bad_flag("--pool", err); /* UV_THREADPOOL_SIZE's range */
            pool = (unsigned)value;
            break;
        case OPT_THREADS:
        case OPT_MAX_THREADS:
            if (opt_parse_uint(optarg, 1, 100000, &value, err, sizeof(err)) < 0)
                return bad_flag(opt == OPT_THREADS ? "--threads" : "--max-threads", err);
            if (opt == OPT_THREADS)
                threads = (unsigned)value;
            else
                config.max_threads = (unsigned)value;
            break;
        case OPT_SWITCH_INTERVAL:
            if (opt_parse_duration_us(optarg, &value, err, sizeof(err)) < 0)
                return bad_flag("--switch-interval", err);
            if (value < 1)
                return bad_flag("--switch-interval", "must be at least 1us");
            config.switch_interval_us = value;
            break;
        case OPT_CALIBRATE:
            printf("%.3f\n", cpuwork_calibrate());
            return 0;
        case OPT_DESCRIBE:
            is_describe = true;
            break;
        case OPT_HELP:
            usage(stdout, program_name(argv[0]));
            return 0;
        case OPT_VERSION:
            printf("showdown-server %s\n", SHOWDOWN_VERSION);
            return 0;
        default:
            return bad_flag(flag, optopt ? "missing value" : "unknown option");
        }
    }
    if (optind < argc)
        return bad_flag(argv[optind], "unexpected argument");
    if (config.backlog < 0)
        config.backlog = config.model->backlog;
    config.threads = threads ? threads : config.model->threads;
    if (!keep_alive_given && config.model->keep_alive_ms)
        config.keep_alive_timeout_ms = config.model->keep_alive_ms;
    if (pool && !config.model->cpu_pool)
        return bad_flag("--pool", "only models with a CPU-work pool take it (node-workers)");
    config.pool = pool ? pool : config.model->cpu_pool;
    if (balance && !config.model->is_cluster)
        return bad_flag("--balance", "only node-cluster takes it");
    config.is_round_robin = config.model->is_cluster && (!balance || strcmp(balance, "rr") == 0);
    config.is_reuseport = balance && strcmp(balance, "reuseport") == 0;
    if (workers && config.model->processes == 1)
        return bad_flag("--workers", "only pre-fork models take it");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    config.workers = workers                                         ? workers
                     : config.model->processes == PROCESSES_CORES    ? (unsigned)cores
                     : config.model->processes == PROCESSES_2CORES_1 ? (unsigned)(2 * cores + 1)
                                                                     : 1;
    if (is_describe) {
        /* Threads per process: 0 means one per connection (python-threads). */
        printf("%s %u %u %d\n", config.model->engine,
               config.model->processes == 1 ? 1 : config.workers,
               config.threads ? config.threads + config.pool : 0, config.model->is_gil);
        return 0;
    }

    handlers_init();
    if (calibration > 0)
        cpuwork_set_iters_per_us(calibration);
    else
        calibration = cpuwork_calibrate();
    /* A peer that closes mid-response must cost an EPIPE, not the process. */
    signal(SIGPIPE, SIG_IGN);

    unsigned port;
    int fd = listen_tcp(config.host, config.port, config.backlog, config.is_reuseport, &port, err,
                        sizeof(err));
    if (fd < 0) {
        fprintf(stderr, "server: %s\n", err);
        return 1;
    }
    fprintf(stderr, "server: model %s (%s engine), backlog %d, cpu work %.1f iterations/us\n",
            config.model->name, config.model->engine, config.backlog, calibration);
    config.port = port; /* the engine announces it once it can take signals */
    if (config.model->processes != 1)
        return arbiter_run(&config, fd);
    struct stats_board board;
    if (stats_board_create(&board, 1) == 0) {
        atomic_store(&board.slots[0].pid, getpid());
        config.board = &board;
    }
    return config.model->run(&config, fd);
}
