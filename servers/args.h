/*
 * args.h — bin/server's command line: what the user asked for, before the
 * model's defaults are applied (models.c: model_resolve turns it into a
 * struct server_config).
 *
 * A field whose default is the model's is 0 (or NULL) when its flag is not
 * given; the others hold the runtime's default already (Node's timeouts,
 * Gunicorn's, CPython's switch interval). Nothing is allocated: strings
 * point into argv.
 */
#ifndef SHOWDOWN_ARGS_H
#define SHOWDOWN_ARGS_H

#include "../common/options.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct model;

enum args_action {
    ARGS_SERVE,     /* bind and run the model */
    ARGS_DESCRIBE,  /* --describe: print the model's CSV columns */
    ARGS_CALIBRATE, /* --calibrate: print the measured iterations per µs */
    ARGS_HELP,      /* --help: the usage text on stdout */
    ARGS_VERSION,   /* --version */
};

struct server_args {
    enum args_action action;
    const struct model *model;
    const char *host;
    unsigned port;                  /* 0: pick a free one */
    int ready_fd;                   /* -1: none */
    uint64_t headers_timeout_ms;    /* 0: the model's */
    uint64_t headers_check_ms;      /* --connections-checking-interval; 0: the model's */
    uint64_t keep_alive_timeout_ms; /* 0: the model's */
    bool is_keep_alive;             /* --keep-alive (python-threads: HTTP/1.1) */
    unsigned worker_connections;    /* 0: the model's */
    uint64_t graceful_timeout_ms;
    uint64_t switch_interval_us;
    uint64_t worker_timeout_ms; /* --timeout */
    int backlog;                /* 0: the model's */
    unsigned threads;           /* 0: the model's */
    unsigned max_threads;       /* 0: no cap */
    unsigned pool;              /* 0: the model's */
    unsigned workers;           /* 0: the model's */
    const char *balance;        /* "rr", "os", "reuseport"; NULL: the model's */
    double calibration;         /* --cpu-calibration; 0: measure at start */
    unsigned runtime_cost_us;   /* --runtime-cost; 0: none, as a C handler */
};

/* What is wrong with a command line: the flag (or argument) at fault and
 * why. The caller prints "server: FLAG: REASON (see --help)". */
struct args_error {
    const char *flag; /* into argv, or a literal */
    char reason[OPT_ERR_MAX];
};

/*
 * Parses argv into *args. Parsing stops at --help, --version or --calibrate (the action
 * says which), as the flags after them are never looked at. Returns 0, or -1
 * with *error filled: an unknown flag, a missing or bad value, an argument
 * that is not a flag. Whether the model takes a flag is model_resolve's
 * question, not this one's.
 */
int args_parse(int argc, char **argv, struct server_args *args, struct args_error *error);

/* Fills *error with flag and reason; returns -1. */
int args_fail(struct args_error *error, const char *flag, const char *reason);

/* The --help text, the model table included; name is the program's
 * (server, or showdown-server installed). */
void args_usage(FILE *out, const char *name);

#endif
