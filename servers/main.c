/*
 * main.c — bin/server: parses the command line (args.c), resolves the
 * model's defaults (models.c), binds the listening socket, announces it,
 * and hands it to the engine of the chosen model, or to the arbiter that
 * pre-forks it.
 */
#include "../common/cpuwork.h"
#include "../common/version.h"
#include "arbiter.h"
#include "args.h"
#include "handlers.h"
#include "listen.h"
#include "server.h"
#include "stats.h"

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

/* Binds, then runs the engine (or the arbiter); returns the exit status. */
static int serve(struct server_config *config, double calibration) {
    char err[OPT_ERR_MAX];
    unsigned port;

    if (server_check_file_limit(err, sizeof(err)) < 0) {
        fprintf(stderr, "server: %s\n", err);
        return 1;
    }
    handlers_init();
    if (calibration > 0)
        cpuwork_set_iters_per_us(calibration);
    else
        calibration = cpuwork_calibrate();
    /* A peer that closes mid-response must cost an EPIPE, not the process. */
    signal(SIGPIPE, SIG_IGN);

    int fd = listen_tcp(config->host, config->port, config->backlog, config->is_reuseport, &port,
                        err, sizeof(err));
    if (fd < 0) {
        fprintf(stderr, "server: %s\n", err);
        return 1;
    }
    fprintf(stderr,
            "server: model %s (%s engine), backlog %d, cpu work %.1f iterations/us, runtime "
            "cost %llu us\n",
            config->model->name, config->model->engine, config->backlog, calibration,
            (unsigned long long)config->runtime_cost_us);
    config->port = port; /* the engine announces it once it can take signals */
    if (config->is_prefork)
        return arb_run(config, fd);
    struct stats_board board;
    if (stats_board_create(&board, 1) == 0) {
        atomic_store(&board.slots[0].pid, getpid());
        config->board = &board;
    }
    return config->model->run(config, fd);
}

int main(int argc, char **argv) {
    struct server_args args;
    struct server_config config;
    struct args_error error;

    if (args_parse(argc, argv, &args, &error) < 0)
        goto usage_error;
    if (args.action == ARGS_HELP) {
        args_usage(stdout, program_name(argv[0]));
        return 0;
    }
    if (args.action == ARGS_VERSION) {
        printf("showdown-server %s\n", SHOWDOWN_VERSION);
        return 0;
    }
    if (args.action == ARGS_CALIBRATE) {
        double spread;
        double figure = cpuwork_measure(&spread);
        printf("%.3f %.4f c %s\n", figure, spread, SHOWDOWN_VERSION); /* calibrate.h's line */
        return 0;
    }
    if (model_resolve(&args, &config, &error) < 0)
        goto usage_error;
    if (args.action == ARGS_DESCRIBE) {
        model_describe(&config, stdout);
        return 0;
    }
    return serve(&config, args.calibration);

usage_error:
    fprintf(stderr, "server: %s: %s (see --help)\n", error.flag, error.reason);
    return 2;
}
