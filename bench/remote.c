/*
 * remote.c — one measurement across hosts (see remote.h): the hosts
 * readied, the server and its sampler, the slices, the logs fetched, the
 * rows merged and marked.
 */
#define _GNU_SOURCE
#include "remote.h"
#include "../common/columns.h"
#include "../common/csv.h"
#include "calibrate.h"
#include "launch.h"
#include "measure.h"
#include "merge.h"
#include "outputs.h"
#include "proc.h"
#include "progress.h"
#include "rows.h"
#include "sample.h"
#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define START_AHEAD_S   1.5  /* --start-at this far ahead: every launcher has started its slice */
#define STOP_GRACE_S    5.0  /* the server's SIGTERM, then SIGKILL there */
#define COMMAND_LIMIT_S 30.0 /* a copy, a fetch, a kill through a launcher */
#define PROBE_LIMIT_S                                                                              \
    10.0 /* a client's launcher runs `true` there within this, or it is unreachable */
#define MAX_ARGV (LAUNCH_MAX_ARGS + HOSTS_MAX_WORDS + 8)

/* ---- a command on a host ---- */

/* Starts cmd on host through its launcher, in and out its stdin and
 * stdout (-1: /dev/null), its stderr run.log. Returns its pid, or -1. */
static pid_t run_on(struct runner *r, const struct host *host, char *const cmd[], int in, int out) {
    char *argv[MAX_ARGV], line[16384];
    if (hosts_command(host, cmd, argv, MAX_ARGV, line, sizeof(line)) < 0)
        return -1;
    outputs_log(&r->out, "== on %s:", host->name);
    for (int i = 0; argv[i]; i++)
        outputs_log(&r->out, " %s", argv[i]);
    outputs_log(&r->out, "\n");
    return proc_spawn_input(argv, NULL, in, out, r->out.log_fd, -1);
}

/* run_on, then waits at most COMMAND_LIMIT_S. Returns 0 when it exited 0. */
static int run_wait(struct runner *r, const struct host *host, char *const cmd[], int in, int out) {
    pid_t pid = run_on(r, host, cmd, in, out);
    int status = pid > 0 ? proc_wait_until(pid, proc_now_s() + COMMAND_LIMIT_S) : -1;
    if (pid > 0 && status < 0)
        proc_stop_group(pid, 1);
    return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Copies the local file into host's remote_dir as name, through the
 * launcher (a temporary name, then a rename: a running copy is not
 * overwritten in place). */
static int copy_binary(struct runner *r, const struct host *host, const char *local,
                       const char *name, char *err, size_t err_len) {
    static const char script[] = "mkdir -p \"$1\" && cat > \"$1/.$2.tmp\" && "
                                 "chmod 755 \"$1/.$2.tmp\" && mv -f \"$1/.$2.tmp\" \"$1/$2\"";
    if (!host->remote_dir[0])
        return 0;
    int fd = open(local, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return snprintf(err, err_len, "%s: %s", local, strerror(errno)), -1;
    char *cmd[] = {"sh", "-c", (char *)script, "sh", (char *)host->remote_dir, (char *)name, NULL};
    int rc = run_wait(r, host, cmd, fd, -1);
    close(fd);
    if (rc < 0)
        snprintf(err, err_len,
                 "host %s: could not copy %s to %s there through '%s' (see %s); is it reachable?",
                 host->name, local, host->remote_dir, host->launcher, r->out.log);
    return rc;
}

/* The server host's core count and CPU model, for the rows (best effort). */
static void read_identity(struct runner *r, const struct host *host) {
    static const char script[] = "nproc; sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo";
    char *cmd[] = {"sh", "-c", (char *)script, NULL}, *argv[MAX_ARGV], line[1024], out[2048];
    if (hosts_command(host, cmd, argv, MAX_ARGV, line, sizeof(line)) < 0 ||
        proc_capture(argv, out, sizeof(out), r->out.log_fd) < 0)
        return;
    char *model = strchr(out, '\n');
    if (model)
        *model++ = '\0';
    snprintf(r->id.cores, sizeof(r->id.cores), "%.15s", out);
    if (model)
        snprintf(r->id.cpu_model, sizeof(r->id.cpu_model), "%.*s", (int)strcspn(model, "\n"),
                 model);
}

int remote_prepare(struct runner *r, char *err, size_t err_len) {
    const struct hosts *h = r->hosts;
    if (copy_binary(r, &h->server, r->options->server, "server", err, err_len) < 0 ||
        copy_binary(r, &h->server, "/proc/self/exe", "bench", err, err_len) < 0)
        return -1;
    /* A client that cannot be reached now is one slice short later, marked
     * in its rows; the run goes on. */
    for (unsigned i = 0; i < h->nclients; i++)
        if (copy_binary(r, &h->clients[i], r->options->loadgen, "loadgen", err, err_len) < 0)
            fprintf(stderr, "bench: %s\n", err);
    char bin[1100], line[4096], why[512], *argv[MAX_ARGV];
    hosts_binary(&h->server, "server", bin, sizeof(bin));
    char *cmd[] = {bin, "--calibrate", NULL};
    if (hosts_command(&h->server, cmd, argv, MAX_ARGV, line, sizeof(line)) < 0 ||
        cal_measure(argv, &r->cal.of[CAL_C], why, sizeof(why)) < 0)
        return snprintf(err, err_len,
                        "server host %s: %s --calibrate failed through '%s': %s; is it reachable, "
                        "and is showdown there (make install, or remote_dir)?",
                        h->server.name, bin, h->server.launcher, why),
               -1;
    read_identity(r, &h->server);
    return 0;
}

/* ---- the server and its sampler ---- */

struct remote_server {
    pid_t launcher, sampler; /* here */
    unsigned pid, port;      /* there */
    int ready_fd;
    struct sample_stream stream;
    bool has_died; /* before bench stopped it */
};

/* Stops the server there (SIGTERM, SIGKILL after the grace), then its
 * launcher and the sampler here. */
static void stop_server(struct runner *r, struct remote_server *s) {
    const struct host *host = &r->hosts->server;
    char pid[16];
    snprintf(pid, sizeof(pid), "%u", s->pid);
    char *term[] = {"kill", "-TERM", pid, NULL}, *kill9[] = {"kill", "-KILL", pid, NULL};
    if (s->pid && s->launcher > 0)
        run_wait(r, host, term, -1, -1);
    if (s->launcher > 0 && proc_wait_until(s->launcher, proc_now_s() + STOP_GRACE_S) < 0) {
        if (s->pid)
            run_wait(r, host, kill9, -1, -1);
        proc_stop_group(s->launcher, 1);
    }
    if (s->sampler > 0)
        proc_stop_group(s->sampler, 1);
    if (s->ready_fd >= 0)
        close(s->ready_fd);
    if (s->stream.fd >= 0)
        close(s->stream.fd);
    /* What was learnt stays: the CPUs there, whether it died. */
    s->launcher = s->sampler = 0, s->pid = 0, s->ready_fd = s->stream.fd = -1;
}

/* Starts bin/server on the server host, bound to its address: through
 * `sh -c` there, which says its own pid (the server's, after exec) and
 * hands the server's descriptor 3 (its port) to the launcher's stdout.
 * Then waits for GET /hello and starts the sampler. */
static int start_server(struct runner *r, const struct measurement *m, struct remote_server *s,
                        char *why, size_t why_len) {
    static const char script[] = "echo $$; exec \"$0\" \"$@\" 3>&1 1>&2";
    const struct host *host = &r->hosts->server;
    char bin[1100], storage[3][1024], *server_argv[LAUNCH_MAX_ARGS], *cmd[LAUNCH_MAX_ARGS + 3];
    int fds[2];
    *s = (struct remote_server){.ready_fd = -1, .stream.fd = -1};
    hosts_binary(host, "server", bin, sizeof(bin));
    launch_server_argv(r, m, bin, host->address, server_argv, storage);
    cmd[0] = "sh", cmd[1] = "-c", cmd[2] = (char *)script;
    for (int i = 0; (cmd[i + 3] = server_argv[i]); i++)
        ;
    if (pipe2(fds, O_CLOEXEC) < 0)
        return snprintf(why, why_len, "pipe: %s", strerror(errno)), -1;
    s->launcher = run_on(r, host, cmd, -1, fds[1]);
    close(fds[1]);
    s->ready_fd = fds[0];
    unsigned ready[2];
    if (s->launcher < 0 || launch_read_ready(fds[0], ready, 2, why, why_len) < 0 ||
        launch_await_hello(host->address, ready[1], why, why_len) < 0)
        return stop_server(r, s), -1;
    s->pid = ready[0], s->port = ready[1];
    char pid[16], *sample[] = {bin, "sample", pid, NULL};
    snprintf(pid, sizeof(pid), "%u", s->pid);
    hosts_binary(host, "bench", bin, sizeof(bin));
    if (pipe2(fds, O_CLOEXEC) < 0)
        return stop_server(r, s), snprintf(why, why_len, "pipe: %s", strerror(errno)), -1;
    s->sampler = run_on(r, host, sample, -1, fds[1]);
    close(fds[1]);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    s->stream.fd = fds[0];
    return 0;
}

static int sample_remote(void *ctx, struct tree_sample *s) {
    return sample_stream_read(ctx, s);
}

/* ---- the slices ---- */

struct slice {
    char remote_csv[2400], remote_hlog[2400], local_csv[5100], local_hlog[5100];
    const char *fault; /* NULL, "unreachable", "died", "hung", "no-results" */
    int status;
};

static void name_files(const struct runner *r, const struct measurement *m, unsigned i,
                       struct slice *sl) {
    const struct host *host = &r->hosts->clients[i];
    char stem[900];
    snprintf(stem, sizeof(stem), "%s.%s.c%u.r%u.%s", m->sc->name, m->model->name, m->connections,
             m->repeat, host->name);
    snprintf(sl->remote_csv, sizeof(sl->remote_csv), "%s/showdown.%.200s.%s.csv",
             hosts_work_dir(host), r->out.run_id, stem);
    snprintf(sl->remote_hlog, sizeof(sl->remote_hlog), "%s/showdown.%.200s.%s.hlog",
             hosts_work_dir(host), r->out.run_id, stem);
    snprintf(sl->local_csv, sizeof(sl->local_csv), "%s/.%s.loadgen.csv", r->out.dir, stem);
    snprintf(sl->local_hlog, sizeof(sl->local_hlog), "%s/%s.hlog", r->out.dir, stem);
}

/* Starts slice i of the load on client i, its schedule at start_at. */
static pid_t start_slice(struct runner *r, const struct measurement *m, unsigned i, unsigned port,
                         double start_at, struct slice *sl) {
    const struct host *host = &r->hosts->clients[i];
    char bin[1100], segment[32], at[32], *argv[64];
    struct loadgen_argv a;
    hosts_binary(host, "loadgen", bin, sizeof(bin));
    int argc =
        launch_loadgen_argv(m, bin, r->hosts->server.address, port,
                            (unsigned)CPU_COUNT(&m->loadgen_cpus), sl->remote_csv, NULL, NULL, &a);
    snprintf(segment, sizeof(segment), "%u/%u", i, r->hosts->nclients);
    snprintf(at, sizeof(at), "%.3f", start_at);
    memcpy(argv, a.argv, (size_t)(argc - 1) * sizeof(argv[0]));
    char *extra[] = {"--segment", segment, "--start-at", at, "--hlog", sl->remote_hlog};
    memcpy(argv + argc - 1, extra, sizeof(extra));
    argv[argc + 5] = a.argv[argc - 1]; /* the URL last */
    argv[argc + 6] = NULL;
    return run_on(r, host, argv, -1, r->out.log_fd);
}

/* What became of a slice's bin/loadgen, from its wait status. */
static const char *fault_of(int status) {
    if (status == -1)
        return "hung";
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? NULL : "died";
}

/* Runs `true` on every client at once: one that has not done so within
 * PROBE_LIMIT_S (ssh could not connect, no such namespace or pod) is
 * marked unreachable, and its slice is not started. */
static void probe_clients(struct runner *r, struct slice *sl) {
    char *cmd[] = {"true", NULL};
    pid_t pids[HOSTS_MAX_CLIENTS];
    for (unsigned i = 0; i < r->hosts->nclients; i++)
        pids[i] = run_on(r, &r->hosts->clients[i], cmd, -1, -1);
    double deadline = proc_now_s() + PROBE_LIMIT_S;
    for (unsigned i = 0; i < r->hosts->nclients; i++) {
        int status = pids[i] > 0 ? proc_wait_until(pids[i], deadline) : -1;
        if (pids[i] > 0 && status < 0)
            proc_stop_group(pids[i], 0.1);
        if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            sl[i].fault = "unreachable", sl[i].status = status;
    }
}

/* Fetches remote (through host's launcher, with cat) into local. */
static int fetch(struct runner *r, const struct host *host, const char *remote, const char *local) {
    int fd = open(local, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    char *cmd[] = {"cat", (char *)remote, NULL};
    int rc = fd >= 0 ? run_wait(r, host, cmd, -1, fd) : -1;
    if (fd >= 0)
        close(fd);
    if (rc < 0)
        unlink(local);
    return rc;
}

/* Whether the .hlog at path reads whole (so a merge takes all of it or none). */
static bool is_whole_log(const char *path, char *why, size_t why_len) {
    static struct merge scratch;
    bool is_whole = merge_init(&scratch) == 0 && merge_add_file(&scratch, path, why, why_len) == 0;
    merge_free(&scratch);
    return is_whole;
}

/* Fetches a finished slice's CSV and log into the merge, and removes them
 * there; marks the slice "no-results" when they do not come whole. */
static void gather(struct runner *r, unsigned i, struct slice *sl, struct merge *mg) {
    const struct host *host = &r->hosts->clients[i];
    char why[600] = "";
    if (!sl->fault && (fetch(r, host, sl->remote_csv, sl->local_csv) < 0 ||
                       fetch(r, host, sl->remote_hlog, sl->local_hlog) < 0 ||
                       !is_whole_log(sl->local_hlog, why, sizeof(why)) ||
                       merge_add_file(mg, sl->local_hlog, why, sizeof(why)) < 0)) {
        sl->fault = "no-results";
        outputs_log(&r->out, "== %s: no results: %s\n", host->name, why);
    }
    char *rm[] = {"rm", "-f", sl->remote_csv, sl->remote_hlog, NULL};
    if (!sl->fault || strcmp(sl->fault, "unreachable"))
        run_wait(r, host, rm, -1, -1);
}

/* ---- the rows ---- */

/* One column of the slices' rows combined: counts and rates added, the
 * duration the longest, the target rate (every slice's the whole
 * schedule's) the first, the mean weighted by requests, and the
 * percentiles read off the merged histogram h. */
static void combine_field(const struct csv_table *t, unsigned nt, size_t row, const char *name,
                          const struct hist *h, char *out, size_t cap) {
    static const struct {
        const char *name;
        double percentile; /* 0: the max */
    } lat[] = {{"lat_p50_us", 50},
               {"lat_p90_us", 90},
               {"lat_p99_us", 99},
               {"lat_p999_us", 99.9},
               {"lat_max_us", 0}};
    for (size_t k = 0; k < sizeof(lat) / sizeof(lat[0]); k++)
        if (!strcmp(name, lat[k].name)) {
            uint64_t v = !h                  ? 0
                         : lat[k].percentile ? hist_value_at_percentile(h, lat[k].percentile)
                                             : hist_max(h);
            snprintf(out, cap, "%llu", (unsigned long long)v);
            return;
        }
    double sum = 0, max = 0, weighted = 0, requests = 0;
    for (unsigned i = 0; i < nt; i++) {
        int c = csv_column(&t[i], name), rc = csv_column(&t[i], "requests");
        if (c < 0 || row >= t[i].nrows)
            continue;
        double v = strtod(t[i].rows[row].fields[c], NULL);
        double n = rc >= 0 ? strtod(t[i].rows[row].fields[rc], NULL) : 0;
        sum += v, weighted += v * n, requests += n;
        max = i == 0 || v > max ? v : max;
    }
    int first = nt ? csv_column(&t[0], name) : -1;
    if (!strcmp(name, "target_rate"))
        sum = first >= 0 && row < t[0].nrows ? strtod(t[0].rows[row].fields[first], NULL) : 0;
    else if (!strcmp(name, "duration_s"))
        sum = max;
    else if (!strcmp(name, "lat_mean_us"))
        sum = requests > 0 ? weighted / requests : 0;
    /* bin/loadgen's own precision for each (loadgen/report.c, csv_row). */
    int decimals = !strcmp(name, "lat_mean_us")                           ? 1
                   : !strcmp(name, "rps") || !strcmp(name, "bytes_per_s") ? 2
                   : !strcmp(name, "duration_s") || !strcmp(name, "target_rate") ||
                           !strcmp(name, "loadgen_cpu_s")
                       ? 3
                       : 0;
    snprintf(out, cap, "%.*f", decimals, sum);
}

/* The slices' CSVs as one bin/loadgen CSV at path, the rows of the first
 * (the run's, then a mix's paths'); a single zero row for the scenario's
 * path when no slice gave one. */
static int combine(const struct measurement *m, const struct csv_table *t, unsigned nt,
                   const struct merge *mg, const char *path) {
    FILE *out = fopen(path, "w");
    if (!out)
        return -1;
    fputs(COLUMNS_LOADGEN_HEADER_LINE, out);
    size_t nrows = nt ? t[0].nrows : 1;
    for (size_t row = 0; row < nrows; row++) {
        const char *p = nt ? t[0].rows[row].fields[0] : m->sc->path;
        const struct hist *h = merge_hist(mg, scenario_is_main_path(m->sc, p) ? NULL : p);
        char field[2300];
        csv_field(field, sizeof(field), p);
        fputs(field, out);
        for (unsigned c = 0; c < RC_COUNT; c++) {
            if (res_columns[c].source == COLUMN_RUN || c == RC_PATH)
                continue;
            combine_field(t, nt, row, res_columns[c].name, h, field, sizeof(field));
            fprintf(out, ",%s", field);
        }
        fputs("\n", out);
    }
    return fclose(out);
}

/* "NAME@ADDRESS[!fault]" for each client, space-separated. */
static void clients_text(const struct runner *r, const struct slice *sl, char *out, size_t cap) {
    size_t n = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < r->hosts->nclients && n < cap; i++) {
        char label[200];
        hosts_label(&r->hosts->clients[i], label, sizeof(label));
        n += (size_t)snprintf(out + n, cap - n, "%s%s%s%s", i ? " " : "", label,
                              sl[i].fault ? "!" : "", sl[i].fault ? sl[i].fault : "");
    }
}

/* Says on stderr and in run.log what went wrong where. */
static void report_faults(struct runner *r, const struct measurement *m,
                          const struct remote_server *s, const struct slice *sl) {
    char label[200];
    const char *what = "%s: model %s c=%u: %s %s: %s; %s\n";
    if (s->has_died) {
        hosts_label(&r->hosts->server, label, sizeof(label));
        progress_clear(r);
        fprintf(stderr, what, m->sc->name, m->model->name, m->connections, "server host", label,
                "the server died during the load", "the row is marked (host column)");
        outputs_log(&r->out, "== server host %s: the server died during the load\n", label);
    }
    for (unsigned i = 0; i < r->hosts->nclients; i++) {
        if (!sl[i].fault)
            continue;
        hosts_label(&r->hosts->clients[i], label, sizeof(label));
        progress_clear(r);
        fprintf(stderr, what, m->sc->name, m->model->name, m->connections, "client", label,
                sl[i].fault, "its slice is missing from the row (marked in loadgen_cpus)");
        outputs_log(&r->out, "== client %s: %s (wait status %d)\n", label, sl[i].fault,
                    sl[i].status);
    }
}

/* Reads the finished slices' CSVs, combines them with the merged log into
 * one bin/loadgen CSV, and appends the measurement's rows, marked. */
static int write_rows(struct runner *r, const struct measurement *m, const char *started_at,
                      const struct remote_server *s, struct slice *sl, const struct merge *mg,
                      const struct server_usage *usage) {
    static struct csv_table t[HOSTS_MAX_CLIENTS];
    char why[600] = "", combined[4400], hosts_text[4096], clients[4096];
    unsigned nt = 0;
    for (unsigned i = 0; i < r->hosts->nclients; i++) {
        if (!sl[i].fault && csv_read(sl[i].local_csv, NULL, &t[nt], why, sizeof(why)) == 0)
            nt++;
        else if (!sl[i].fault)
            sl[i].fault = "no-results";
        unlink(sl[i].local_csv);
    }
    report_faults(r, m, s, sl);
    measure_work_file(r, m, "merged.csv", combined, sizeof(combined));
    struct csv_table lg = {0};
    int rc =
        combine(m, t, nt, mg, combined) == 0 && csv_read(combined, NULL, &lg, why, sizeof(why)) == 0
            ? 0
            : -1;
    unlink(combined);
    for (unsigned i = 0; i < nt; i++)
        csv_table_free(&t[i]);
    if (rc < 0)
        return progress_clear(r), fprintf(stderr, "bench: %s: %s\n", combined, why), -1;
    struct measurement marked = *m;
    hosts_label(&r->hosts->server, hosts_text, sizeof(hosts_text) - 8);
    if (s->has_died)
        strcat(hosts_text, "!died");
    clients_text(r, sl, clients, sizeof(clients));
    marked.host_text = hosts_text;
    marked.server_cpus_text = s->stream.cpus;
    marked.loadgen_cpus_text = clients;
    rc = rows_append(r, &marked, started_at, &lg, usage, why, sizeof(why));
    if (rc == 0)
        progress_summary(r, &marked, &lg, usage, "");
    else
        progress_clear(r), fprintf(stderr, "bench: %s\n", why);
    csv_table_free(&lg);
    return rc;
}

/* ---- one measurement ---- */

static double epoch_now_s(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Runs the slices against the server, all starting START_AHEAD_S from
 * now, while its samples come in; fills each slice's status and fault,
 * and whether the server died. Returns 0, or -1 when the run is to stop. */
static int drive(struct runner *r, const struct measurement *m, struct remote_server *s,
                 struct slice *sl, struct server_usage *usage) {
    unsigned n = r->hosts->nclients;
    pid_t pids[HOSTS_MAX_CLIENTS];
    int statuses[HOSTS_MAX_CLIENTS];
    probe_clients(r, sl);
    double t0 = proc_now_s() + START_AHEAD_S, start_at = epoch_now_s() + START_AHEAD_S;
    for (unsigned i = 0; i < n; i++) {
        name_files(r, m, i, &sl[i]);
        pids[i] = sl[i].fault ? 0 : start_slice(r, m, i, s->port, start_at, &sl[i]);
    }
    struct watch_plan plan = {.loadgens = pids,
                              .statuses = statuses,
                              .n = n,
                              .sample = sample_remote,
                              .ctx = &s->stream,
                              .t0 = t0,
                              .warmup_us = m->set->warmup_us,
                              .duration_us = m->set->duration_us};
    int rc = watch_run(&plan, usage);
    for (unsigned i = 0; i < n && rc == 0; i++) {
        if (sl[i].fault)
            continue;
        /* A launcher that could not even be started failed at once. */
        sl[i].status = pids[i] > 0 ? statuses[i] : 127 << 8;
        sl[i].fault = fault_of(sl[i].status);
    }
    int status;
    s->has_died = s->launcher > 0 && waitpid(s->launcher, &status, WNOHANG) == s->launcher;
    if (s->has_died)
        s->launcher = 0;
    return rc;
}

/* The merged histogram as the measurement's .hgrm, as bin/loadgen writes one. */
static void write_hgrm(const struct runner *r, const struct measurement *m,
                       const struct merge *mg) {
    char path[4400];
    const struct hist *h = merge_hist(mg, NULL);
    outputs_hgrm_path(r->out.dir, m->sc->name, m->model->name, m->connections, m->repeat, false,
                      path, sizeof(path));
    FILE *out = h ? fopen(path, "w") : NULL;
    if (out) {
        hist_write_hgrm(h, out, 5, 1000.0);
        fclose(out);
    }
}

int remote_measure(struct runner *r, const struct measurement *m) {
    static struct merge mg;
    static struct slice sl[HOSTS_MAX_CLIENTS];
    char why[600] = "", started_at[32], label[200];
    struct remote_server s;
    struct server_usage usage;
    if (outputs_check_room(&r->out, why, sizeof(why)) < 0)
        return progress_clear(r), fprintf(stderr, "bench: %s\n", why), -1;
    measure_started_at(started_at, sizeof(started_at));
    if (start_server(r, m, &s, why, sizeof(why)) < 0) {
        hosts_label(&r->hosts->server, label, sizeof(label));
        progress_clear(r);
        fprintf(stderr, "bench: %s: model %s: the server on %s %s; skipped\n", m->sc->name,
                m->model->name, label, why);
        return proc_stop_signal ? -1 : 1;
    }
    memset(sl, 0, sizeof(sl));
    int rc = drive(r, m, &s, sl, &usage);
    stop_server(r, &s);
    if (rc < 0 || proc_stop_signal || merge_init(&mg) < 0)
        return -1;
    for (unsigned i = 0; i < r->hosts->nclients; i++)
        gather(r, i, &sl[i], &mg);
    write_hgrm(r, m, &mg);
    rc = write_rows(r, m, started_at, &s, sl, &mg, &usage);
    merge_free(&mg);
    return rc < 0 ? -1 : 0;
}
