/*
 * run.c — `bin/bench run`: for each scenario × model × connection level ×
 * repeat, start a fresh bin/server on 127.0.0.1, drive it with bin/loadgen
 * (pinned apart when there are cores to spare), sample the server's process
 * tree from /proc, stop it, and append one row per result to the CSV.
 *
 * The CSV is written to NAME.csv.partial and linked to NAME.csv when the
 * suite completes; nothing existing is ever overwritten. bench is a child
 * subreaper (PR_SET_CHILD_SUBREAPER), so a pre-forked worker orphaned by a
 * dying arbiter comes back to it and is reaped; every child runs in its own
 * process group and is killed by group. SIGINT/SIGTERM stop the run: the
 * rows measured stay in the .partial file, and no child is left behind.
 */
#define _GNU_SOURCE
#include "../common/csv.h"
#include "bench.h"
#include "peers.h"
#include "proctree.h"
#include "results.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY_TIMEOUT_S   10.0 /* a server that is not listening by then is skipped */
#define HELLO_TIMEOUT_S   5.0  /* ... or that does not answer GET /hello */
#define STOP_GRACE_S      5.0  /* SIGTERM, then SIGKILL to the group */
#define LOADGEN_SLACK_S   30.0 /* beyond warm-up + duration: kill bin/loadgen */
#define SAMPLE_INTERVAL_S 0.05
#define START_COST_S      0.3        /* per measurement beyond warm-up + duration, for the ETA */
#define MIN_FREE_BYTES    (1u << 20) /* below this, stop before a write fails half-way */

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig) {
    stop_signal = sig;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s) {
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL); /* a signal cuts it short: the caller checks stop_signal */
}

struct runner {
    const struct run_options *options;
    char csv[4096], partial[4200], dir[4096], log[4200];
    int csv_fd, log_fd;
    double calibration;
    char run_id[256], host[128], cpu_model[256], git_rev[64], cores[16];
    cpu_set_t server_cpus, loadgen_cpus;
    char server_cpus_text[256], loadgen_cpus_text[256], all_cpus_text[256];
    unsigned done, total, rows;
    double remaining_s;
    bool is_tty;
};

struct measurement {
    const struct scenario *sc;
    const struct sc_model *model;
    const struct sc_settings *set;
    unsigned connections, repeat;
    char engine[32], processes[16], threads[16], gil[8];
    cpu_set_t server_cpus, loadgen_cpus;
    const char *server_cpus_text, *loadgen_cpus_text;
};

/* ---- small helpers ---- */

static void cpus_format(const cpu_set_t *set, char *out, size_t cap) {
    size_t n = 0;
    out[0] = '\0';
    for (int c = 0; c < CPU_SETSIZE && n < cap; c++) {
        if (!CPU_ISSET(c, set))
            continue;
        int end = c;
        while (end + 1 < CPU_SETSIZE && CPU_ISSET(end + 1, set))
            end++;
        n += (size_t)(end > c ? snprintf(out + n, cap - n, "%s%d-%d", n ? "," : "", c, end)
                              : snprintf(out + n, cap - n, "%s%d", n ? "," : "", c));
        c = end;
    }
}

static void format_duration(uint64_t us, char *out, size_t cap) {
    if (us % 1000 == 0)
        snprintf(out, cap, "%llums", (unsigned long long)(us / 1000));
    else
        snprintf(out, cap, "%lluus", (unsigned long long)us);
}

static void log_line(struct runner *r, const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (r->log_fd >= 0 && n > 0 &&
        write(r->log_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0)
        r->log_fd = -1;
}

/* Clears the progress line before something else goes to the terminal. */
static void clear_progress(const struct runner *r) {
    if (r->is_tty)
        fputs("\r\033[K", stderr);
}

static void progress(const struct runner *r, const struct measurement *m) {
    if (!r->is_tty)
        return;
    int eta = (int)r->remaining_s;
    fprintf(stderr, "\r\033[K[%u/%u] %s · %s · c=%u · repeat %u/%u · ETA %dm%02ds", r->done + 1,
            r->total, m->sc->name, m->model->name, m->connections, m->repeat, m->set->repeat,
            eta / 60, eta % 60);
}

/* Splits a string of flags at whitespace into argv (no quoting: flags only). */
static int add_args(char **argv, int argc, int max, char *flags) {
    char *save = NULL;
    for (char *tok = flags ? strtok_r(flags, " \t", &save) : NULL; tok && argc < max - 1;
         tok = strtok_r(NULL, " \t", &save))
        argv[argc++] = tok;
    return argc;
}

/* fork + exec in a process group of its own, pinned to cpus; out and err
 * become its stdout and stderr, fd3 (if ≥ 0) its descriptor 3. */
static pid_t spawn(char *const argv[], const cpu_set_t *cpus, int out, int err, int fd3) {
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (cpus)
        sched_setaffinity(0, sizeof(*cpus), cpus);
    if (fd3 >= 0 && fd3 != 3) {
        dup2(fd3, 3);
        close(fd3);
    }
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(out >= 0 ? out : null, 1);
    dup2(err >= 0 ? err : null, 2);
    execvp(argv[0], argv);
    dprintf(2, "bench: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Waits for pid until deadline (monotonic s); returns its status or -1. */
static int wait_until(pid_t pid, double deadline) {
    int status;
    for (;;) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid)
            return status;
        if (got < 0 && errno != EINTR)
            return -1;
        if (now_s() >= deadline)
            return -1;
        sleep_s(0.01);
    }
}

/* SIGTERM, a grace period, then SIGKILL to the whole group; reaps what the
 * subreaper inherited; returns once no process of the group is left. */
static void stop_group(pid_t pid, double grace_s) {
    kill(pid, SIGTERM);
    if (wait_until(pid, now_s() + grace_s) < 0) {
        kill(-pid, SIGKILL);
        wait_until(pid, now_s() + 5);
    }
    for (double deadline = now_s() + 5; now_s() < deadline;) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if (kill(-pid, 0) < 0 && errno == ESRCH)
            return;
        kill(-pid, SIGKILL);
        sleep_s(0.01);
    }
    fprintf(stderr, "bench: process group %d would not die\n", (int)pid);
}

/* Runs argv, returns its stdout (trimmed) in out; -1 unless it exits 0. */
static int capture(char *const argv[], char *out, size_t cap, int err_fd) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = spawn(argv, NULL, fds[1], err_fd, -1);
    close(fds[1]);
    size_t n = 0;
    ssize_t got;
    while (n + 1 < cap &&
           ((got = read(fds[0], out + n, cap - n - 1)) > 0 || (got < 0 && errno == EINTR)))
        n += got > 0 ? (size_t)got : 0;
    close(fds[0]);
    out[n] = '\0';
    while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
        out[--n] = '\0';
    int status = pid > 0 ? wait_until(pid, now_s() + 120) : -1;
    return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- the run's identity ---- */

static void read_cpu_model(char *out, size_t cap) {
    char line[512];
    FILE *in = fopen("/proc/cpuinfo", "re");
    snprintf(out, cap, "unknown");
    while (in && fgets(line, sizeof(line), in)) {
        char *colon = strchr(line, ':');
        if (!strncmp(line, "model name", 10) && colon) {
            snprintf(out, cap, "%s", colon + 2);
            out[strcspn(out, "\n")] = '\0';
            break;
        }
    }
    if (in)
        fclose(in);
}

static void read_git_rev(const char *server, char *out, size_t cap) {
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", server);
    char *slash = strrchr(dir, '/');
    snprintf(slash ? slash : dir, sizeof(dir) - (size_t)(slash ? slash - dir : 0), "%s",
             slash ? "/.." : ".");
    char *argv[] = {"/usr/bin/git", "-C", dir, "describe", "--always", "--dirty", NULL};
    if (access(argv[0], X_OK) != 0 || capture(argv, out, cap, -1) < 0 || !out[0])
        snprintf(out, cap, "unknown");
}

/* Picks NAME.csv, its .partial and the folder for .hgrm files; creates the
 * partial and the folder, refusing anything that exists already. */
static int open_outputs(struct runner *r) {
    char stamp[64];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    if (r->options->out)
        snprintf(r->csv, sizeof(r->csv), "%s", r->options->out);
    else
        snprintf(r->csv, sizeof(r->csv), "results/%s-%s.csv", stamp, r->host);
    size_t n = strlen(r->csv);
    if (n < 5 || strcmp(r->csv + n - 4, ".csv") != 0) {
        fprintf(stderr, "bench: --out %s: the name must end in .csv\n", r->csv);
        return -1;
    }
    snprintf(r->partial, sizeof(r->partial), "%s.partial", r->csv);
    snprintf(r->dir, sizeof(r->dir), "%.*s", (int)(n - 4), r->csv);
    snprintf(r->log, sizeof(r->log), "%s/run.log", r->dir);
    const char *base = strrchr(r->dir, '/');
    snprintf(r->run_id, sizeof(r->run_id), "%.255s", base ? base + 1 : r->dir);
    if (access(r->csv, F_OK) == 0) {
        fprintf(stderr, "bench: %s exists; results are never overwritten (choose another --out)\n",
                r->csv);
        return -1;
    }
    if (!r->options->out)
        mkdir("results", 0755);
    if (mkdir(r->dir, 0755) < 0) {
        fprintf(stderr, "bench: %s: %s%s\n", r->dir, strerror(errno),
                errno == EEXIST ? " (results are never overwritten; choose another --out)" : "");
        return -1;
    }
    r->csv_fd = open(r->partial, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (r->csv_fd < 0) {
        fprintf(stderr, "bench: %s: %s\n", r->partial, strerror(errno));
        rmdir(r->dir);
        return -1;
    }
    char header[1100];
    int len = snprintf(header, sizeof(header), "%s\n", res_header());
    if (write(r->csv_fd, header, (size_t)len) != len) {
        fprintf(stderr, "bench: %s: %s\n", r->partial, strerror(errno));
        return -1;
    }
    r->log_fd = open(r->log, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    return 0;
}

/* ---- one measurement ---- */

/* Reads "PORT\n" from the ready pipe, then waits for GET /hello to answer 200. */
static int await_server(int ready_fd, unsigned *port, char *why, size_t why_len) {
    char buf[32];
    size_t n = 0;
    double deadline = now_s() + READY_TIMEOUT_S;
    while (!memchr(buf, '\n', n)) {
        struct pollfd pfd = {ready_fd, POLLIN, 0};
        int left = (int)((deadline - now_s()) * 1000);
        if (left <= 0 || stop_signal)
            return snprintf(why, why_len, "not listening after %.0f s", READY_TIMEOUT_S), -1;
        if (poll(&pfd, 1, left) <= 0)
            continue;
        ssize_t got = read(ready_fd, buf + n, sizeof(buf) - 1 - n);
        if (got <= 0)
            return snprintf(why, why_len, "exited before listening (see the run log)"), -1;
        n += (size_t)got;
        buf[n] = '\0';
    }
    *port = (unsigned)atoi(buf);
    for (deadline = now_s() + HELLO_TIMEOUT_S; now_s() < deadline && !stop_signal; sleep_s(0.02)) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)*port)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        static const char req[] =
            "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        struct timeval tv = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        char answer[64] = "";
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
            write(fd, req, sizeof(req) - 1) == (ssize_t)sizeof(req) - 1 &&
            read(fd, answer, sizeof(answer) - 1) > 0 && !strncmp(answer, "HTTP/1.1 200", 12)) {
            close(fd);
            return 0;
        }
        close(fd);
    }
    return snprintf(why, why_len, "GET /hello did not answer 200 within %.0f s", HELLO_TIMEOUT_S),
           -1;
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

/* The command line of a C model: bin/server with bench's one CPU calibration,
 * the scenario's flags and the model's. The strings live in storage. */
static void server_argv(const struct runner *r, const struct measurement *m, char **argv,
                        char storage[3][1024]) {
    int argc = 0;
    snprintf(storage[0], 1024, "%.3f", r->calibration);
    argv[argc++] = (char *)r->options->server;
    argv[argc++] = "--model";
    argv[argc++] = m->model->name;
    argv[argc++] = "--host";
    argv[argc++] = "127.0.0.1";
    argv[argc++] = "--port";
    argv[argc++] = "0";
    argv[argc++] = "--ready-fd";
    argv[argc++] = "3";
    argv[argc++] = "--cpu-calibration";
    argv[argc++] = storage[0];
    argv[argc++] = "--graceful-timeout";
    argv[argc++] = "3s";
    argc = add_model_flags(m, argv, argc, 64, storage + 1);
    argv[argc] = NULL;
}

static pid_t start_server(struct runner *r, const struct measurement *m, unsigned *port, char *why,
                          size_t why_len) {
    char *argv[64], server_args[3][1024], peer_args[8192];
    int fds[2];
    const struct peer *peer = peer_find(m->model->name);
    /* A real runtime calibrates its own CPU work, in its own language. */
    if (!peer)
        server_argv(r, m, argv, server_args);
    else if (peer_argv(peer, r->options->peers_dir, m->processes, m->threads, peer_args,
                       sizeof(peer_args), argv) < 0) {
        snprintf(why, why_len, "could not build its command line");
        return -1;
    }
    if (pipe2(fds, O_CLOEXEC) < 0) {
        snprintf(why, why_len, "pipe: %s", strerror(errno));
        return -1;
    }
    log_line(r, "== %s %s c=%u repeat %u: server\n", m->sc->name, m->model->name, m->connections,
             m->repeat);
    pid_t pid = spawn(argv, &m->server_cpus, r->log_fd, r->log_fd, fds[1]);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        snprintf(why, why_len, "fork: %s", strerror(errno));
        return -1;
    }
    int rc = await_server(fds[0], port, why, why_len);
    close(fds[0]);
    if (rc < 0) {
        stop_group(pid, 1);
        return -1;
    }
    return pid;
}

static pid_t start_loadgen(struct runner *r, const struct measurement *m, unsigned port,
                           const char *csv, const char *hgrm) {
    char *argv[40], conns[16], threads[16], duration[32], warmup[32], rate[32], timeout[32],
        url[2200];
    int argc = 0;
    unsigned nthreads = (unsigned)CPU_COUNT(&m->loadgen_cpus);
    nthreads = nthreads < 1 ? 1 : nthreads > m->connections ? m->connections : nthreads;
    snprintf(conns, sizeof(conns), "%u", m->connections);
    snprintf(threads, sizeof(threads), "%u", nthreads);
    format_duration(m->set->duration_us, duration, sizeof(duration));
    format_duration(m->set->warmup_us, warmup, sizeof(warmup));
    argv[argc++] = (char *)r->options->loadgen;
    argv[argc++] = "-c";
    argv[argc++] = conns;
    argv[argc++] = "-t";
    argv[argc++] = threads;
    argv[argc++] = "-d";
    argv[argc++] = duration;
    if (m->set->warmup_us) {
        argv[argc++] = "--warmup";
        argv[argc++] = warmup;
    }
    if (m->set->rate > 0) {
        snprintf(rate, sizeof(rate), "%.0f", m->set->rate);
        argv[argc++] = "-R";
        argv[argc++] = rate;
    }
    if (m->sc->timeout_us) {
        format_duration(m->sc->timeout_us, timeout, sizeof(timeout));
        argv[argc++] = "--timeout";
        argv[argc++] = timeout;
    }
    if (m->sc->is_close)
        argv[argc++] = "--close";
    if (m->sc->is_mix) {
        argv[argc++] = "--mix";
        argv[argc++] = m->sc->path;
    }
    argv[argc++] = "--csv";
    argv[argc++] = (char *)csv;
    argv[argc++] = "--hgrm";
    argv[argc++] = (char *)hgrm;
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, m->sc->is_mix ? "/" : m->sc->path);
    argv[argc++] = url;
    argv[argc] = NULL;
    log_line(r, "== %s %s c=%u repeat %u: bin/loadgen", m->sc->name, m->model->name, m->connections,
             m->repeat);
    for (int i = 1; i < argc; i++)
        log_line(r, " %s", argv[i]);
    log_line(r, "\n");
    return spawn(argv, &m->loadgen_cpus, r->log_fd, r->log_fd, -1);
}

struct server_usage {
    struct tree_sample start, end, peak; /* peak: rss_kb and threads */
};

/* Samples the server while bin/loadgen runs; the CPU window is the measured
 * one (after the warm-up). Returns bin/loadgen's exit status or -1. */
static int watch(pid_t loadgen, pid_t server, const struct measurement *m,
                 struct server_usage *usage) {
    double t0 = now_s();
    double t_warm = t0 + (double)m->set->warmup_us / 1e6;
    double t_end = t_warm + (double)m->set->duration_us / 1e6;
    bool has_start = false, has_end = false;
    int status = -1;
    memset(usage, 0, sizeof(*usage));
    for (;;) {
        struct tree_sample s;
        int rc_sample = tree_sample(server, &s);
        double now = now_s();
        if (rc_sample == 0) {
            if (s.rss_kb > usage->peak.rss_kb)
                usage->peak.rss_kb = s.rss_kb;
            if (s.threads > usage->peak.threads)
                usage->peak.threads = s.threads;
            if (!has_start && now >= t_warm)
                usage->start = s, has_start = true;
            if (!has_end && now >= t_end)
                usage->end = s, has_end = true;
            if (!has_end)
                usage->end = s; /* the last seen, if the server dies */
        }
        pid_t got = waitpid(loadgen, &status, WNOHANG);
        if (got == loadgen)
            break;
        if (stop_signal || now > t_end + LOADGEN_SLACK_S) {
            stop_group(loadgen, 2);
            return -1;
        }
        double next = now + SAMPLE_INTERVAL_S;
        if (!has_start && t_warm < next)
            next = t_warm;
        else if (!has_end && t_end < next && t_end > now)
            next = t_end;
        sleep_s(next - now_s());
    }
    if (!has_start)
        usage->start = usage->end;
    return status;
}

static void format_double(char *out, size_t cap, double v, int decimals) {
    snprintf(out, cap, "%.*f", decimals, v);
}

/* Appends the rows of one measurement: one per bin/loadgen row. */
static int append_rows(struct runner *r, const struct measurement *m, const char *started_at,
                       const struct csv_table *lg, const struct server_usage *u) {
    char fields[RC_COUNT][256], line[8192];
    size_t len = 0;
    char repeat[16], conns[16], cpu_user[32], cpu_sys[32], rss[32], threads[32];
    snprintf(repeat, sizeof(repeat), "%u", m->repeat);
    snprintf(conns, sizeof(conns), "%u", m->connections);
    format_double(cpu_user, sizeof(cpu_user), u->end.cpu_user_s - u->start.cpu_user_s, 3);
    format_double(cpu_sys, sizeof(cpu_sys), u->end.cpu_sys_s - u->start.cpu_sys_s, 3);
    snprintf(rss, sizeof(rss), "%llu", (unsigned long long)u->peak.rss_kb);
    snprintf(threads, sizeof(threads), "%u", u->peak.threads);
    static const struct {
        enum res_col col;
        const char *lg;
    } from_lg[] = {
        {RC_PATH, "path"},
        {RC_TARGET_RATE, "target_rate"},
        {RC_DURATION_S, "duration_s"},
        {RC_REQUESTS, "requests"},
        {RC_RPS, "rps"},
        {RC_BYTES_PER_S, "bytes_per_s"},
        {RC_ERR_CONNECT, "err_connect"},
        {RC_ERR_READ, "err_read"},
        {RC_ERR_WRITE, "err_write"},
        {RC_ERR_TIMEOUT, "err_timeout"},
        {RC_ERR_STATUS, "err_status"},
        {RC_LAT_MEAN_US, "lat_mean_us"},
        {RC_LAT_P50_US, "lat_p50_us"},
        {RC_LAT_P90_US, "lat_p90_us"},
        {RC_LAT_P99_US, "lat_p99_us"},
        {RC_LAT_P999_US, "lat_p999_us"},
        {RC_LAT_MAX_US, "lat_max_us"},
        {RC_LOADGEN_CPU_S, "loadgen_cpu_s"},
    };
    for (size_t i = 0; i < lg->nrows; i++) {
        const char *v[RC_COUNT] = {
            [RC_RUN_ID] = r->run_id,
            [RC_STARTED_AT] = started_at,
            [RC_GIT_REV] = r->git_rev,
            [RC_HOST] = r->host,
            [RC_CPU_MODEL] = r->cpu_model,
            [RC_CORES] = r->cores,
            [RC_SCENARIO] = m->sc->name,
            [RC_MODEL] = m->model->name,
            [RC_ENGINE] = m->engine,
            [RC_PROCESSES] = m->processes,
            [RC_THREADS] = m->threads,
            [RC_GIL] = m->gil,
            [RC_CONNECTIONS] = conns,
            [RC_REPEAT] = repeat,
            [RC_SERVER_CPU_USER_S] = cpu_user,
            [RC_SERVER_CPU_SYS_S] = cpu_sys,
            [RC_SERVER_RSS_MAX_KB] = rss,
            [RC_SERVER_THREADS_MAX] = threads,
            [RC_SERVER_CPUS] = m->server_cpus_text,
            [RC_LOADGEN_CPUS] = m->loadgen_cpus_text,
        };
        for (size_t k = 0; k < sizeof(from_lg) / sizeof(from_lg[0]); k++) {
            int c = csv_column(lg, from_lg[k].lg);
            v[from_lg[k].col] = c >= 0 ? lg->rows[i].fields[c] : "0";
        }
        for (unsigned c = 0; c < RC_COUNT; c++) {
            csv_field(fields[c], sizeof(fields[c]), v[c] ? v[c] : "");
            len +=
                (size_t)snprintf(line + len, sizeof(line) - len, "%s%s", c ? "," : "", fields[c]);
        }
        len += (size_t)snprintf(line + len, sizeof(line) - len, "\n");
    }
    /* One write with O_APPEND: a row is in the file whole or not at all. */
    if (write(r->csv_fd, line, len) != (ssize_t)len) {
        clear_progress(r);
        fprintf(stderr, "bench: %s: %s; the rows so far are kept there\n", r->partial,
                strerror(errno));
        return -1;
    }
    r->rows += (unsigned)lg->nrows;
    return 0;
}

static void print_summary(const struct runner *r, const struct measurement *m,
                          const struct csv_table *lg, const struct server_usage *u) {
    clear_progress(r);
    for (size_t i = 0; i < lg->nrows; i++) {
        const char *path = lg->rows[i].fields[0];
        double rps = strtod(lg->rows[i].fields[csv_column(lg, "rps")], NULL);
        double p50 = strtod(lg->rows[i].fields[csv_column(lg, "lat_p50_us")], NULL);
        double p99 = strtod(lg->rows[i].fields[csv_column(lg, "lat_p99_us")], NULL);
        double errors = 0;
        static const char *const errs[] = {"err_connect", "err_read", "err_write", "err_timeout",
                                           "err_status"};
        for (size_t k = 0; k < 5; k++)
            errors += strtod(lg->rows[i].fields[csv_column(lg, errs[k])], NULL);
        char t_rps[32], t_p50[32], t_p99[32];
        bench_format_number(rps, t_rps, sizeof(t_rps));
        bench_format_metric(EX_P50, p50, t_p50, sizeof(t_p50));
        bench_format_metric(EX_P99, p99, t_p99, sizeof(t_p99));
        if (i == 0)
            printf(
                "%-10s %-17s c=%-5u r%u  %8s req/s  p50 %9s  p99 %9s  err %-6.0f cpu %5.2fs  "
                "rss %6.1f MB\n",
                m->sc->name, m->model->name, m->connections, m->repeat, t_rps, t_p50, t_p99, errors,
                (u->end.cpu_user_s - u->start.cpu_user_s) + (u->end.cpu_sys_s - u->start.cpu_sys_s),
                (double)u->peak.rss_kb / 1024);
        else
            printf("%-10s %-17s   %-30.30s %8s req/s  p50 %9s  p99 %9s  err %.0f\n", "", "", path,
                   t_rps, t_p50, t_p99, errors);
    }
    fflush(stdout);
}

/* Whether the results' file system has room for another measurement. */
static bool has_room(const struct runner *r) {
    struct statvfs fs;
    if (statvfs(r->dir, &fs) < 0 || (double)fs.f_bavail * (double)fs.f_frsize >= MIN_FREE_BYTES)
        return true;
    clear_progress(r);
    fprintf(stderr,
            "bench: %s: less than 1 MiB free on its file system; stopping before a "
            "write fails\n",
            r->dir);
    return false;
}

/* Returns 0, 1 (this measurement failed; go on) or -1 (stop the run). */
static int measure(struct runner *r, struct measurement *m) {
    char why[256], lg_csv[4400], hgrm[4400], started_at[32];
    unsigned port = 0;
    if (!has_room(r))
        return -1;
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(started_at, sizeof(started_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(hgrm, sizeof(hgrm), "%s/%s.%s.c%u.r%u.hgrm", r->dir, m->sc->name, m->model->name,
             m->connections, m->repeat);
    snprintf(lg_csv, sizeof(lg_csv), "%s/.%s.%s.c%u.r%u.loadgen.csv", r->dir, m->sc->name,
             m->model->name, m->connections, m->repeat);

    pid_t server = start_server(r, m, &port, why, sizeof(why));
    if (server < 0) {
        clear_progress(r);
        fprintf(stderr, "bench: %s: model %s: the server %s; skipped\n", m->sc->name,
                m->model->name, why);
        return stop_signal ? -1 : 1;
    }
    pid_t loadgen = start_loadgen(r, m, port, lg_csv, hgrm);
    struct server_usage usage;
    int status = loadgen > 0 ? watch(loadgen, server, m, &usage) : -1;
    stop_group(server, STOP_GRACE_S);
    if (stop_signal)
        return -1;
    if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        clear_progress(r);
        fprintf(stderr, "bench: %s: model %s c=%u: bin/loadgen failed (exit %d; see %s)\n",
                m->sc->name, m->model->name, m->connections,
                status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1, r->log);
        unlink(lg_csv);
        return 1;
    }
    struct csv_table lg;
    if (csv_read(lg_csv, NULL, &lg, why, sizeof(why)) < 0 || lg.nrows == 0 ||
        csv_column(&lg, "rps") < 0) {
        clear_progress(r);
        fprintf(stderr, "bench: %s: bin/loadgen wrote no result (%s)\n", lg_csv, why);
        return 1;
    }
    unlink(lg_csv);
    int rc = append_rows(r, m, started_at, &lg, &usage);
    if (rc == 0)
        print_summary(r, m, &lg, &usage);
    csv_table_free(&lg);
    return rc < 0 ? -1 : 0;
}

/* ---- the suite ---- */

static bool is_selected(const char *models, const char *name) {
    if (!models)
        return true;
    size_t n = strlen(name);
    for (const char *p = models; *p;) {
        p += strspn(p, " ,\t");
        size_t len = strcspn(p, " ,\t");
        if (len == n && !strncmp(p, name, n))
            return true;
        p += len;
    }
    return false;
}

/* Asks bin/server what the model is with these flags: the CSV's engine,
 * processes, threads and gil. A peer is described as its twin (it is given
 * the same counts), with its own engine and GIL. */
static int describe(struct runner *r, struct measurement *m) {
    char *argv[64], flags[2][1024], out[256];
    const struct peer *peer = peer_find(m->model->name);
    int argc = 0;
    argv[argc++] = (char *)r->options->server;
    argv[argc++] = "--model";
    argv[argc++] = peer ? (char *)peer->twin : m->model->name;
    argc = add_model_flags(m, argv, argc, 62, flags);
    argv[argc++] = "--describe";
    argv[argc] = NULL;
    if (capture(argv, out, sizeof(out), 2) < 0 ||
        sscanf(out, "%31s %15s %15s %7s", m->engine, m->processes, m->threads, m->gil) != 4) {
        fprintf(stderr, "bench: %s: model %s: bin/server refuses it with these flags; skipped\n",
                m->sc->file, m->model->name);
        return -1;
    }
    if (peer) {
        snprintf(m->engine, sizeof(m->engine), "%s", peer->engine);
        snprintf(m->gil, sizeof(m->gil), "%s", peer->gil);
    }
    return 0;
}

/* --peers: each C model that has a real runtime beside it gets that peer
 * right after it in the scenario's list, so the two run back to back. */
static int add_peers(struct scenario *sc) {
    for (unsigned k = 0; k < sc->nmodels; k++) {
        const struct peer *peer = peer_of_twin(sc->models[k].name);
        bool is_listed = false;
        for (unsigned j = 0; peer && j < sc->nmodels; j++)
            is_listed |= !strcmp(sc->models[j].name, peer->name);
        if (!peer || is_listed)
            continue;
        if (sc->nmodels == SC_MAX_MODELS) {
            fprintf(stderr, "bench: %s: no room for %s (at most %d models)\n", sc->file, peer->name,
                    SC_MAX_MODELS);
            return -1;
        }
        memmove(&sc->models[k + 2], &sc->models[k + 1],
                (sc->nmodels - k - 1) * sizeof(sc->models[0]));
        sc->models[k + 1] = (struct sc_model){.name = strdup(peer->name), .args = NULL};
        sc->nmodels++;
        k++;
    }
    return 0;
}

static void setup_cpus(struct runner *r) {
    cpu_set_t all;
    CPU_ZERO(&all);
    if (sched_getaffinity(0, sizeof(all), &all) < 0)
        for (long c = 0; c < sysconf(_SC_NPROCESSORS_ONLN); c++)
            CPU_SET((int)c, &all);
    cpus_format(&all, r->all_cpus_text, sizeof(r->all_cpus_text));
    r->server_cpus = all;
    CPU_ZERO(&r->loadgen_cpus);
    int last = -1;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &all))
            last = c;
    if (CPU_COUNT(&all) >= 2) {
        CPU_CLR(last, &r->server_cpus);
        CPU_SET(last, &r->loadgen_cpus);
    } else {
        r->loadgen_cpus = all;
    }
    cpus_format(&r->server_cpus, r->server_cpus_text, sizeof(r->server_cpus_text));
    cpus_format(&r->loadgen_cpus, r->loadgen_cpus_text, sizeof(r->loadgen_cpus_text));
    snprintf(r->cores, sizeof(r->cores), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
}

static int finish(struct runner *r, bool is_complete) {
    if (r->csv_fd >= 0 && close(r->csv_fd) < 0) {
        fprintf(stderr, "bench: %s: %s\n", r->partial, strerror(errno));
        is_complete = false;
    }
    if (r->log_fd >= 0)
        close(r->log_fd);
    clear_progress(r);
    if (!is_complete) {
        fprintf(stderr, "bench: %s: the run did not complete; %u rows kept in %s\n",
                stop_signal ? "interrupted" : "stopped", r->rows, r->partial);
        return stop_signal ? 128 + stop_signal : 1;
    }
    if (link(r->partial, r->csv) < 0) {
        fprintf(stderr, "bench: %s: %s; the results are in %s\n", r->csv, strerror(errno),
                r->partial);
        return 1;
    }
    unlink(r->partial);
    printf("results: %s (%u rows; .hgrm files and run.log in %s/)\n", r->csv, r->rows, r->dir);
    return 0;
}

int bench_run(const struct run_options *options, char **names, int count) {
    static struct scenario scs[64];
    struct runner r = {.options = options, .csv_fd = -1, .log_fd = -1};
    char err[512], file[4096];
    int nscs = 0, rc = 2;

    if (count > 64) {
        fprintf(stderr, "bench: at most 64 scenarios a run\n");
        return 2;
    }
    for (int i = 0; i < count; i++) {
        if (scenario_find(options->scenario_dir, names[i], file, sizeof(file)) < 0) {
            fprintf(stderr, "bench: %s: no such scenario (looked for %s)\n", names[i], file);
            goto out;
        }
        if (scenario_load(file, &scs[nscs], err, sizeof(err)) < 0) {
            fprintf(stderr, "bench: %s\n", err);
            goto out;
        }
        nscs++;
        if (options->with_peers && add_peers(&scs[nscs - 1]) < 0)
            goto out;
    }
    for (const char *p = options->models; p && *p;) {
        p += strspn(p, " ,\t");
        size_t len = strcspn(p, " ,\t");
        bool is_known = len == 0;
        for (int s = 0; s < nscs && !is_known; s++)
            for (unsigned k = 0; k < scs[s].nmodels && !is_known; k++)
                is_known =
                    strlen(scs[s].models[k].name) == len && !strncmp(scs[s].models[k].name, p, len);
        if (!is_known) {
            fprintf(stderr, "bench: --models: '%.*s' is in none of these scenarios\n", (int)len, p);
            goto out;
        }
        p += len;
    }
    for (const char *bin_path = options->server; bin_path;
         bin_path = bin_path == options->server ? options->loadgen : NULL) {
        if (access(bin_path, X_OK) != 0) {
            fprintf(stderr, "bench: %s: %s (run make first)\n", bin_path, strerror(errno));
            goto out;
        }
    }

    /* c10k needs descriptors: children inherit the raised limit. */
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    gethostname(r.host, sizeof(r.host));
    r.host[strcspn(r.host, ".")] = '\0';
    read_cpu_model(r.cpu_model, sizeof(r.cpu_model));
    read_git_rev(options->server, r.git_rev, sizeof(r.git_rev));
    setup_cpus(&r);
    r.is_tty = isatty(2);

    char out[64], *cal_argv[] = {(char *)options->server, "--calibrate", NULL};
    if (capture(cal_argv, out, sizeof(out), 2) < 0 || !(r.calibration = strtod(out, NULL))) {
        fprintf(stderr, "bench: %s --calibrate failed\n", options->server);
        goto out;
    }
    rc = 1;
    if (open_outputs(&r) < 0)
        goto out;

    for (int s = 0; s < nscs; s++) {
        const struct sc_settings *set = options->is_quick ? &scs[s].quick : &scs[s].full;
        for (unsigned k = 0; k < scs[s].nmodels; k++) {
            if (!is_selected(options->models, scs[s].models[k].name))
                continue;
            r.total += set->nlevels * set->repeat;
            r.remaining_s += set->nlevels * set->repeat *
                             ((double)(set->duration_us + set->warmup_us) / 1e6 + START_COST_S);
        }
    }
    printf("bench: %u measurements, about %.0f min; server on CPU %s, bin/loadgen on CPU %s "
           "(pinned scenarios); CPU work %.1f iterations/µs\n",
           r.total, r.remaining_s / 60 + 0.5, r.server_cpus_text, r.loadgen_cpus_text,
           r.calibration);
    fflush(stdout);

    bool is_complete = true;
    for (int s = 0; s < nscs && is_complete; s++) {
        struct scenario *sc = &scs[s];
        const struct sc_settings *set = options->is_quick ? &sc->quick : &sc->full;
        for (unsigned k = 0; k < sc->nmodels && is_complete; k++) {
            struct measurement m = {.sc = sc, .model = &sc->models[k], .set = set};
            if (!is_selected(options->models, m.model->name))
                continue;
            double one = (double)(set->duration_us + set->warmup_us) / 1e6 + START_COST_S;
            if (describe(&r, &m) < 0) {
                r.done += set->nlevels * set->repeat;
                r.remaining_s -= set->nlevels * set->repeat * one;
                continue;
            }
            if (sc->is_pinned) {
                m.server_cpus = r.server_cpus, m.loadgen_cpus = r.loadgen_cpus;
                m.server_cpus_text = r.server_cpus_text, m.loadgen_cpus_text = r.loadgen_cpus_text;
            } else {
                CPU_ZERO(&m.server_cpus);
                CPU_OR(&m.server_cpus, &r.server_cpus, &r.loadgen_cpus);
                m.loadgen_cpus = m.server_cpus;
                m.server_cpus_text = m.loadgen_cpus_text = r.all_cpus_text;
            }
            for (unsigned l = 0; l < set->nlevels && is_complete; l++) {
                for (unsigned rep = 1; rep <= set->repeat && is_complete; rep++) {
                    m.connections = set->connections[l];
                    m.repeat = rep;
                    progress(&r, &m);
                    int got = stop_signal ? -1 : measure(&r, &m);
                    is_complete = got >= 0;
                    r.done++;
                    r.remaining_s -= one;
                }
            }
        }
    }
    rc = finish(&r, is_complete);
out:
    for (int s = 0; s < nscs; s++)
        scenario_free(&scs[s]);
    return rc;
}
