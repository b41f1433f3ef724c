/*
 * launch.c — bin/server's and bin/loadgen's command lines for one
 * measurement, and starting them: a server counts as started once it
 * answers GET /hello.
 */
#define _GNU_SOURCE
#include "launch.h"
#include "calibrate.h"
#include "peers.h"
#include "proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define READY_TIMEOUT_S 10.0 /* a server that is not listening by then is skipped */
#define HELLO_TIMEOUT_S 5.0  /* ... or that does not answer GET /hello */

static void format_duration(uint64_t us, char *out, size_t cap) {
    if (us % 1000 == 0)
        snprintf(out, cap, "%llums", (unsigned long long)(us / 1000));
    else
        snprintf(out, cap, "%lluus", (unsigned long long)us);
}

/* Splits a string of flags at whitespace into argv (no quoting: flags only). */
static int add_args(char **argv, int argc, int max, char *flags) {
    char *save = NULL;
    for (char *tok = flags ? strtok_r(flags, " \t", &save) : NULL; tok && argc < max - 1;
         tok = strtok_r(NULL, " \t", &save))
        argv[argc++] = tok;
    return argc;
}

/* "HTTP/1.1 200" or "HTTP/1.0 200": python-threads speaks the stock
 * HTTP/1.0 of http.server unless given --keep-alive. */
static bool is_ok_status(const char *answer) {
    return !strncmp(answer, "HTTP/1.", 7) && (answer[7] == '0' || answer[7] == '1') &&
           !strncmp(answer + 8, " 200", 4);
}

int launch_read_ready(int ready_fd, unsigned *values, unsigned n, char *why, size_t why_len) {
    char buf[128];
    size_t got_n = 0;
    unsigned lines = 0;
    double deadline = proc_now_s() + READY_TIMEOUT_S;
    while (lines < n) {
        struct pollfd pfd = {ready_fd, POLLIN, 0};
        int left = (int)((deadline - proc_now_s()) * 1000);
        if (left <= 0 || proc_stop_signal)
            return snprintf(why, why_len, "not listening after %.0f s", READY_TIMEOUT_S), -1;
        if (poll(&pfd, 1, left) <= 0)
            continue;
        ssize_t got = read(ready_fd, buf + got_n, sizeof(buf) - 1 - got_n);
        if (got <= 0)
            return snprintf(why, why_len, "exited before listening (see the run log)"), -1;
        got_n += (size_t)got;
        buf[got_n] = '\0';
        lines = 0;
        for (const char *p = buf; (p = strchr(p, '\n')); p++)
            lines++;
    }
    const char *p = buf;
    for (unsigned i = 0; i < n; i++, p = strchr(p, '\n') + 1)
        values[i] = (unsigned)atoi(p);
    return 0;
}

int launch_await_hello(const char *address, unsigned port, char *why, size_t why_len) {
    for (double deadline = proc_now_s() + HELLO_TIMEOUT_S;
         proc_now_s() < deadline && !proc_stop_signal; proc_sleep_s(0.02)) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        inet_pton(AF_INET, address, &sa.sin_addr);
        char req[160];
        int len = snprintf(req, sizeof(req),
                           "GET /hello HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", address);
        struct timeval tv = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        char answer[64] = "";
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
            write(fd, req, (size_t)len) == len && read(fd, answer, sizeof(answer) - 1) > 0 &&
            is_ok_status(answer)) {
            close(fd);
            return 0;
        }
        close(fd);
    }
    return snprintf(why, why_len, "GET /hello on %s:%u did not answer 200 within %.0f s", address,
                    port, HELLO_TIMEOUT_S),
           -1;
}

/* Reads "PORT\n" from the ready pipe, then waits for GET /hello to answer 200. */
static int await_server(int ready_fd, unsigned *port, char *why, size_t why_len) {
    if (launch_read_ready(ready_fd, port, 1, why, why_len) < 0)
        return -1;
    return launch_await_hello("127.0.0.1", *port, why, why_len);
}

/* The [model NAME] args of the model a measurement runs as bin/server: the
 * model's own, or a peer's twin's. */
static const char *model_args(const struct measurement *m) {
    const struct peer *peer = peer_find(m->model->name);
    if (!peer)
        return m->model->args;
    for (unsigned k = 0; k < m->sc->nmodels; k++)
        if (!strcmp(m->sc->models[k].name, peer->twin))
            return m->sc->models[k].args;
    return NULL;
}

/* Appends the scenario's server flags and the model's [model NAME] args
 * (a peer's twin's) to argv; the strings live in storage. */
static int add_model_flags(const struct measurement *m, char **argv, int argc, int max,
                           char storage[2][1024]) {
    const char *args = model_args(m);
    snprintf(storage[0], 1024, "%s", m->sc->server_args ? m->sc->server_args : "");
    snprintf(storage[1], 1024, "%s", args ? args : "");
    argc = add_args(argv, argc, max, storage[0]);
    return add_args(argv, argc, max, storage[1]);
}

void launch_server_argv(const struct runner *r, const struct measurement *m, const char *binary,
                        const char *address, char **argv, char storage[3][1024]) {
    int argc = 0;
    snprintf(storage[0], 1024, "%.3f", r->cal.of[CAL_C].iters_per_us);
    argv[argc++] = (char *)binary;
    argv[argc++] = "--model";
    argv[argc++] = m->model->name;
    argv[argc++] = "--host";
    argv[argc++] = (char *)address;
    argv[argc++] = "--port";
    argv[argc++] = "0";
    argv[argc++] = "--ready-fd";
    argv[argc++] = "3";
    argv[argc++] = "--cpu-calibration";
    argv[argc++] = storage[0];
    argv[argc++] = "--graceful-timeout";
    argv[argc++] = "3s";
    if (m->runtime_cost[0]) {
        argv[argc++] = "--runtime-cost";
        argv[argc++] = (char *)m->runtime_cost;
    }
    argc = add_model_flags(m, argv, argc, LAUNCH_MAX_ARGS, storage + 1);
    argv[argc] = NULL;
}

/* The twin's [model NAME] flags that its peer takes under the same name and
 * meaning, appended to argv: --keep-alive (python-threads' HTTP/1.1) and,
 * for a CPython peer, --switch-interval DUR (sys.setswitchinterval). The
 * strings live in storage. Returns the argument count. */
static int add_twin_flags(const struct measurement *m, const struct peer *peer, char **argv,
                          int argc, int max, char storage[1024]) {
    char *tokens[64];
    const char *args = model_args(m);
    snprintf(storage, 1024, "%s", args ? args : "");
    int ntokens = add_args(tokens, 0, 64, storage);
    for (int i = 0; i < ntokens && argc < max - 2; i++) {
        if (!strcmp(tokens[i], "--keep-alive")) {
            argv[argc++] = tokens[i];
        } else if (!strcmp(tokens[i], "--switch-interval") && i + 1 < ntokens &&
                   peer->runtime == CAL_CPYTHON) {
            argv[argc++] = tokens[i];
            argv[argc++] = tokens[++i];
        }
    }
    argv[argc] = NULL;
    return argc;
}

pid_t launch_server(struct runner *r, const struct measurement *m, unsigned *port, char *why,
                    size_t why_len) {
    char *argv[LAUNCH_MAX_ARGS], server_args[3][1024], peer_args[8192], calibration[32];
    int fds[2];
    const struct peer *peer = peer_find(m->model->name);
    /* A real runtime's figure is its own language's, measured once. */
    if (peer)
        snprintf(calibration, sizeof(calibration), "%.3f", r->cal.of[peer->runtime].iters_per_us);
    if (!peer)
        launch_server_argv(r, m, r->options->server, "127.0.0.1", argv, server_args);
    else {
        int argc = peer_argv(peer, r->options->peers_dir, m->processes, m->threads, calibration,
                             peer_args, sizeof(peer_args), argv);
        if (argc < 0) { /* argv has room for PEER_MAX_ARGS and more */
            snprintf(why, why_len, "could not build its command line");
            return -1;
        }
        add_twin_flags(m, peer, argv, argc, 64, server_args[0]);
    }
    if (pipe2(fds, O_CLOEXEC) < 0) {
        snprintf(why, why_len, "pipe: %s", strerror(errno));
        return -1;
    }
    outputs_log(&r->out, "== %s %s c=%u repeat %u: server\n", m->sc->name, m->model->name,
                m->connections, m->repeat);
    pid_t pid = proc_spawn(argv, &m->server_cpus, r->out.log_fd, r->out.log_fd, fds[1]);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        snprintf(why, why_len, "fork: %s", strerror(errno));
        return -1;
    }
    int rc = await_server(fds[0], port, why, why_len);
    close(fds[0]);
    if (rc < 0) {
        proc_stop_group(pid, 1);
        return -1;
    }
    return pid;
}

int launch_loadgen_argv(const struct measurement *m, const char *binary, const char *address,
                        unsigned port, unsigned nthreads, const char *csv, const char *hgrm,
                        const char *series, struct loadgen_argv *a) {
    int argc = 0;
    char **argv = a->argv;
    nthreads = nthreads < 1 ? 1 : nthreads > m->connections ? m->connections : nthreads;
    snprintf(a->conns, sizeof(a->conns), "%u", m->connections);
    snprintf(a->threads, sizeof(a->threads), "%u", nthreads);
    format_duration(m->set->duration_us, a->duration, sizeof(a->duration));
    format_duration(m->set->warmup_us, a->warmup, sizeof(a->warmup));
    argv[argc++] = (char *)binary;
    argv[argc++] = "-c";
    argv[argc++] = a->conns;
    argv[argc++] = "-t";
    argv[argc++] = a->threads;
    argv[argc++] = "-d";
    argv[argc++] = a->duration;
    if (m->set->warmup_us) {
        argv[argc++] = "--warmup";
        argv[argc++] = a->warmup;
    }
    if (m->set->rate > 0) {
        snprintf(a->rate, sizeof(a->rate), "%.0f", m->set->rate);
        argv[argc++] = "-R";
        argv[argc++] = a->rate;
    }
    if (m->sc->timeout_us) {
        format_duration(m->sc->timeout_us, a->timeout, sizeof(a->timeout));
        argv[argc++] = "--timeout";
        argv[argc++] = a->timeout;
    }
    if (m->sc->is_close)
        argv[argc++] = "--close";
    if (m->sc->is_mix) {
        argv[argc++] = "--mix";
        argv[argc++] = m->sc->path;
    }
    if (m->sc->is_mix && m->sc->is_streams)
        argv[argc++] = "--streams";
    argv[argc++] = "--csv";
    argv[argc++] = (char *)csv;
    if (hgrm) {
        argv[argc++] = "--hgrm";
        argv[argc++] = (char *)hgrm;
    }
    if (series) {
        argv[argc++] = "--series";
        argv[argc++] = (char *)series;
    }
    snprintf(a->url, sizeof(a->url), "http://%s:%u%s", address, port,
             m->sc->is_mix ? "/" : m->sc->path);
    argv[argc++] = a->url;
    argv[argc] = NULL;
    return argc;
}

pid_t launch_loadgen(struct runner *r, const struct measurement *m, unsigned port, const char *csv,
                     const char *hgrm, const char *series) {
    struct loadgen_argv a;
    int argc = launch_loadgen_argv(m, r->options->loadgen, "127.0.0.1", port,
                                   (unsigned)CPU_COUNT(&m->loadgen_cpus), csv, hgrm, series, &a);
    outputs_log(&r->out, "== %s %s c=%u repeat %u: bin/loadgen", m->sc->name, m->model->name,
                m->connections, m->repeat);
    for (int i = 1; i < argc; i++)
        outputs_log(&r->out, " %s", a.argv[i]);
    outputs_log(&r->out, "\n");
    return proc_spawn(a.argv, &m->loadgen_cpus, r->out.log_fd, r->out.log_fd, -1);
}

int launch_calibrate(struct runner *r, const bool needs[CAL_RUNTIMES], char *err, size_t err_len) {
    for (int rt = 0; rt < CAL_RUNTIMES; rt++) {
        char *argv[PEER_MAX_ARGS + 1], storage[8192];
        if (rt == CAL_C) {
            argv[0] = (char *)r->options->server;
            argv[1] = "--calibrate";
            argv[2] = NULL;
        } else if (!needs[rt]) {
            continue;
        } else if (peer_calibrate_argv(rt, r->options->peers_dir, storage, sizeof(storage), argv) <
                   0) {
            return snprintf(err, err_len, "no calibrate command for %s", cal_runtime_name(rt)), -1;
        }
        if (cal_measure(argv, &r->cal.of[rt], err, err_len) < 0)
            return -1;
    }
    return 0;
}

int launch_describe(const struct runner *r, struct measurement *m, char *err, size_t err_len) {
    char *argv[LAUNCH_MAX_ARGS], flags[2][1024], out[256];
    const struct peer *peer = peer_find(m->model->name);
    int argc = 0;
    argv[argc++] = (char *)r->options->server;
    argv[argc++] = "--model";
    argv[argc++] = peer ? (char *)peer->twin : m->model->name;
    argc = add_model_flags(m, argv, argc, LAUNCH_MAX_ARGS - 2, flags);
    argv[argc++] = "--describe";
    argv[argc] = NULL;
    if (proc_capture(argv, out, sizeof(out), 2) < 0 ||
        sscanf(out, "%31s %15s %15s %7s", m->engine, m->processes, m->threads, m->gil) != 4)
        return snprintf(err, err_len,
                        "%s: model %s: bin/server refuses it with these flags; skipped",
                        m->sc->file, m->model->name),
               -1;
    if (peer) {
        snprintf(m->engine, sizeof(m->engine), "%s", peer->engine);
        snprintf(m->gil, sizeof(m->gil), "%s", peer->gil);
    }
    return 0;
}
