/*
 * cost_calibrate.c — `bin/bench calibrate` (docs/DESIGN.md, "Runtime
 * cost"): how much CPU each real runtime spends per request beyond its C
 * twin, on this host, written as a calibration file (runtime_cost.h) that
 * `bin/bench run --calibration FILE` gives to the models as bin/server
 * --runtime-cost.
 *
 * It runs the scenario `calibrate` (scenarios/calibrate.ini: GET /hello,
 * closed loop, which says why not at a moderate open-loop rate) with
 * --peers through the ordinary runner, so
 * the figures come from the same sampling as every row: the server's
 * process tree's CPU over the measured window (watch.c), divided by the
 * requests answered in it. A model's cost is its real runtime's CPU per
 * request less its own, the medians over the repeats, never below 0.
 *
 * python-nogil has no real twin in Debian 12 (no free-threaded CPython):
 * it is given python-threads' cost times FREE_THREADED_SLOWDOWN, marked as
 * an estimate in the file.
 */
#include "../common/csv.h"
#include "bench.h"
#include "environment.h"
#include "identity.h"
#include "peers.h"
#include "results.h"
#include "runtime_cost.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * The free-threaded build's single-thread slowdown: "about 40% on the
 * pyperformance suite" in 3.13 (CPython's free-threading HOWTO,
 * Doc/howto/free-threading-python.rst, "Single-threaded performance"),
 * the build python-nogil mimics.
 */
#define FREE_THREADED_SLOWDOWN 1.4

#define CALIBRATE_SCENARIO "calibrate"

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median server CPU µs per request of model's main-path rows; NAN when
 * it has none with requests. */
static double cpu_per_request_us(const struct csv_table *table, const struct scenario *sc,
                                 const char *model) {
    double values[64];
    unsigned n = 0;
    for (size_t i = 0; i < table->nrows && n < 64; i++) {
        const struct csv_row *row = &table->rows[i];
        double requests = res_number(row, RC_REQUESTS);
        if (strcmp(row->fields[RC_MODEL], model) != 0 ||
            !scenario_is_main_path(sc, row->fields[RC_PATH]) || !(requests > 0))
            continue;
        values[n++] = res_metric(row, EX_CPU_S) * 1e6 / requests;
    }
    if (n == 0)
        return NAN;
    qsort(values, n, sizeof(values[0]), compare_double);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* The versions part for a peer's runtime: node's, or CPython's stack. */
static void runtime_of(const struct peer *peer, const char *versions, char *out, size_t cap) {
    const char *python = strstr(versions, "cpython");
    size_t node_len = python ? (size_t)(python - versions) : strlen(versions);
    while (node_len > 0 && strchr(", ", versions[node_len - 1]))
        node_len--;
    if (peer->runtime == CAL_NODE)
        snprintf(out, cap, "%s: %.*s", peer->engine, (int)node_len, versions);
    else
        snprintf(out, cap, "%s: %s", peer->engine, python ? python : "");
}

/* Every pair's cost into table, and python-nogil's estimate. Returns how
 * many pairs were measured. */
static unsigned compute_costs(const struct csv_table *rows, const struct scenario *sc,
                              const char *versions, struct rtc_table *table) {
    unsigned measured = 0;
    for (unsigned p = 0; p < npeers; p++) {
        double c = cpu_per_request_us(rows, sc, peers[p].twin);
        double real = cpu_per_request_us(rows, sc, peers[p].name);
        struct rtc_model *m = isnan(c) || isnan(real) ? NULL : rtc_add(table, peers[p].twin);
        if (!m)
            continue;
        m->real_cpu_us = real;
        m->c_cpu_us = c;
        m->cost_us = real > c ? (unsigned)lround(real - c) : 0;
        runtime_of(&peers[p], versions, m->runtime, sizeof(m->runtime));
        measured++;
    }
    const struct rtc_model *threads = rtc_find(table, "python-threads");
    struct rtc_model *nogil = threads ? rtc_add(table, "python-nogil") : NULL;
    if (nogil) {
        nogil->cost_us = (unsigned)lround(threads->cost_us * FREE_THREADED_SLOWDOWN);
        snprintf(nogil->estimate, sizeof(nogil->estimate),
                 "python-threads' x %.1f: the free-threaded build's single-thread slowdown "
                 "(Doc/howto/free-threading-python.rst)",
                 FREE_THREADED_SLOWDOWN);
    }
    return measured;
}

/* The run's record for [calibration]: the load, where its rows are, what ran. */
static void describe_run(struct rtc_table *t, const struct scenario *sc,
                         const struct sc_settings *set, const char *csv, const char *versions,
                         const char *git_rev) {
    char load[64] = "closed loop";
    if (set->rate > 0)
        snprintf(load, sizeof(load), "open loop at %.0f requests/s", set->rate);
    snprintf(t->record, sizeof(t->record),
             "scenario = %s\nload = %s\nconnections = %u\nwarmup_s = %.1f\nduration_s = %.1f\n"
             "repeat = %u\ncsv = %s\nshowdown = %s\nversions = %s\n",
             sc->name, load, set->connections[0], (double)set->warmup_us / 1e6,
             (double)set->duration_us / 1e6, set->repeat, csv, git_rev, versions);
}

/* The file, new (never one that exists): path, or results/<stamp>-<host>-calibration.ini. */
static FILE *open_new(const char *path, char *err, size_t err_len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!out) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    return out;
}

/* Reads the run's rows back and writes the calibration file. */
static int write_calibration(const char *csv, const char *ini, const struct scenario *sc,
                             const struct sc_settings *set, const struct run_identity *id) {
    static struct rtc_table table;
    struct csv_table rows;
    char err[8600], versions[256];
    if (res_read(csv, &rows, err, sizeof(err)) < 0)
        return fprintf(stderr, "bench: %s\n", err), 1;
    env_runtime_versions(id, versions, sizeof(versions));
    memset(&table, 0, sizeof(table));
    snprintf(table.host, sizeof(table.host), "%s", id->host);
    time_t now = time(NULL);
    strftime(table.date, sizeof(table.date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    describe_run(&table, sc, set, csv, versions, id->git_rev);
    unsigned measured = compute_costs(&rows, sc, versions, &table);
    csv_table_free(&rows);
    if (measured == 0)
        return fprintf(stderr, "bench: %s: no C model beside its real runtime\n", csv), 1;
    FILE *out = open_new(ini, err, sizeof(err));
    if (!out)
        return fprintf(stderr, "bench: %s\n", err), 1;
    int rc = rtc_write(out, &table);
    if (fclose(out) != 0 || rc < 0)
        return fprintf(stderr, "bench: %s: %s\n", ini, strerror(errno)), 1;
    for (unsigned i = 0; i < table.nmodels; i++)
        printf("bench: %-18s --runtime-cost %u%s\n", table.models[i].name, table.models[i].cost_us,
               table.models[i].estimate[0] ? " (an estimate)" : "");
    printf("calibration: %s (rows in %s)\n", ini, csv);
    return 0;
}

/* --models names C models: each comes with its real runtime, into out. */
static const char *with_peers(const char *models, char *out, size_t cap) {
    size_t n = 0;
    if (!models)
        return NULL;
    n += (size_t)snprintf(out, cap, "%s", models);
    for (const char *p = models; *p && n < cap;) {
        p += strspn(p, " ,\t");
        size_t len = strcspn(p, " ,\t");
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)(len < 63 ? len : 63), p);
        const struct peer *peer = len ? peer_of_twin(name) : NULL;
        if (peer)
            n += (size_t)snprintf(out + n, cap - n, " %s", peer->name);
        p += len;
    }
    return out;
}

int bench_calibrate(const struct run_options *options) {
    static struct scenario sc;
    struct run_options run = *options;
    struct run_identity id;
    char file[4096], err[512], csv[4200], ini[4200], stamp[32];
    if (scenario_find(options->scenario_dir, CALIBRATE_SCENARIO, file, sizeof(file)) < 0)
        return fprintf(stderr, "bench: no calibrate scenario (looked for %s)\n", file), 2;
    if (scenario_load(file, &sc, err, sizeof(err)) < 0)
        return fprintf(stderr, "bench: %s\n", err), 2;
    identity_read(&id, options->server);
    time_t now = time(NULL);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime(&now));
    size_t len = options->out ? strlen(options->out) : 0;
    if (options->out && (len < 5 || strcmp(options->out + len - 4, ".ini") != 0))
        return fprintf(stderr, "bench: --out %s: a calibration file ends in .ini\n", options->out),
               2;
    if (options->out)
        snprintf(ini, sizeof(ini), "%s", options->out);
    else
        snprintf(ini, sizeof(ini), "results/%s-%s-calibration.ini", stamp, id.host);
    if (access(ini, F_OK) == 0)
        return fprintf(stderr, "bench: %s exists; it is never overwritten\n", ini), 2;
    snprintf(csv, sizeof(csv), "%.*s.csv", (int)(strlen(ini) - 4), ini);
    char models[2048];
    run.out = csv;
    run.models = with_peers(options->models, models, sizeof(models));
    run.with_peers = true;
    run.calibration = NULL;
    char *names[] = {(char *)CALIBRATE_SCENARIO};
    int rc = bench_run(&run, names, 1);
    if (rc == 0)
        rc = write_calibration(csv, ini, &sc, options->is_quick ? &sc.quick : &sc.full, &id);
    scenario_free(&sc);
    return rc;
}
