/*
 * run.c — `bin/bench run` (docs/DESIGN.md, "Runner"): for each scenario × model × connection level
 * × repeat, one measurement (measure.h): a fresh bin/server on 127.0.0.1, driven by bin/loadgen
 * (pinned apart when there are cores to spare, see cpus.h), its process tree sampled from /proc,
 * then stopped; one row per result in the CSV (outputs.h).
 *
 * The CSV is written to NAME.csv.partial and linked to NAME.csv when the
 * suite completes; nothing existing is ever overwritten. bench is a child
 * subreaper, so a pre-forked worker orphaned by a dying arbiter comes back
 * to it and is reaped; every child runs in its own process group and is
 * killed by group (proc.h). SIGINT/SIGTERM stop the run: the rows
 * measured stay in the .partial file, and no child is left behind.
 * `bin/bench capacity` is the same run with a search per model in place
 * of the levels × repeats (capacity_search.h).
 */
#define _GNU_SOURCE
#include "bench.h"
#include "capacity_search.h"
#include "environment.h"
#include "launch.h"
#include "measure.h"
#include "peers.h"
#include "proc.h"
#include "progress.h"
#include "remote.h"
#include "runinfo.h"
#include "runner.h"
#include "warnings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SCENARIOS 64
#define START_COST_S  0.3 /* per measurement beyond warm-up + duration, for the ETA */

/* ---- the suite ---- */

/* Whether the run measures model name: a real runtime only with --peers;
 * with --models, only those named. */
static bool is_run(const struct run_options *options, const char *name) {
    if (!options->with_peers && peer_find(name))
        return false;
    const char *models = options->models;
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

static bool is_listed(const struct scenario *sc, const char *name) {
    for (unsigned j = 0; j < sc->nmodels; j++)
        if (!strcmp(sc->models[j].name, name))
            return true;
    return false;
}

/* Puts peer right after model k in the scenario's list (unless it is
 * there); returns how many were inserted (0 or 1), or -1 when full. */
static int insert_peer(struct scenario *sc, unsigned k, const struct peer *peer) {
    if (!peer || is_listed(sc, peer->name))
        return 0;
    if (sc->nmodels == SC_MAX_MODELS) {
        fprintf(stderr, "bench: %s: no room for %s (at most %d models)\n", sc->file, peer->name,
                SC_MAX_MODELS);
        return -1;
    }
    memmove(&sc->models[k + 2], &sc->models[k + 1], (sc->nmodels - k - 1) * sizeof(sc->models[0]));
    sc->models[k + 1] = (struct sc_model){.name = strdup(peer->name), .args = NULL};
    sc->nmodels++;
    return 1;
}

/* Inserts after position at every peer twinned with model k that a claim's
 * real expression names; returns how many, or -1. */
static int insert_claimed_peers(struct scenario *sc, unsigned k, unsigned at) {
    int added = 0;
    for (unsigned c = 0; c < sc->nclaims; c++) {
        const struct expr *e = &sc->claims[c].real;
        const struct ex_side *sides[2] = {&e->left, &e->right};
        for (unsigned s = 0; s < 2 && sc_judges_real(&sc->claims[c]); s++)
            for (unsigned t = 0; t < sides[s]->nterms; t++) {
                const struct peer *peer =
                    sides[s]->terms[t].is_call ? peer_find(sides[s]->terms[t].call.model) : NULL;
                if (!peer || strcmp(peer->twin, sc->models[k].name) != 0)
                    continue;
                int got = insert_peer(sc, at + (unsigned)added, peer);
                if (got < 0)
                    return -1;
                added += got;
            }
    }
    return added;
}

/* --peers: each C model that has a real runtime beside it gets that peer
 * right after it in the scenario's list, so the two run back to back, and
 * so does every other real runtime the claims' twins name (real-fastapi
 * beside uvicorn). */
static int add_peers(struct scenario *sc) {
    for (unsigned k = 0; k < sc->nmodels; k++) {
        if (peer_find(sc->models[k].name))
            continue;
        int a = insert_peer(sc, k, peer_of_twin(sc->models[k].name));
        int b = a < 0 ? -1 : insert_claimed_peers(sc, k, k + (unsigned)a);
        if (b < 0)
            return -1;
        k += (unsigned)(a + b);
    }
    return 0;
}

/* Loads the named scenarios into scs (adding the peers with --peers).
 * Returns how many, or -1 with a message on stderr; *loaded says how many
 * to free either way. */
static int load_scenarios(const struct run_options *options, char **names, int count,
                          struct scenario *scs, int *loaded) {
    char err[512], file[4096];
    *loaded = 0;
    if (count > MAX_SCENARIOS) {
        fprintf(stderr, "bench: at most %d scenarios a run\n", MAX_SCENARIOS);
        return -1;
    }
    for (int i = 0; i < count; i++) {
        if (scenario_find(options->scenario_dir, names[i], file, sizeof(file)) < 0) {
            fprintf(stderr, "bench: %s: no such scenario (looked for %s)\n", names[i], file);
            return -1;
        }
        if (scenario_load(file, &scs[*loaded], err, sizeof(err)) < 0) {
            fprintf(stderr, "bench: %s\n", err);
            return -1;
        }
        ++*loaded;
        if (options->with_peers && add_peers(&scs[*loaded - 1]) < 0)
            return -1;
    }
    return *loaded;
}

/* Every name in --models is a model of one of the scenarios, and the two
 * binaries are there. Returns 0, or -1 with a message on stderr. */
static int check_run(const struct run_options *options, const struct scenario *scs, int nscs) {
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
            return -1;
        }
        p += len;
    }
    for (int s = 0; s < nscs && options->is_capacity; s++) {
        if (!capacity_slo(options, &scs[s])) {
            fprintf(stderr, "bench: capacity: %s has no slo key; give --slo, e.g. 'p99<=50ms'\n",
                    scs[s].file);
            return -1;
        }
    }
    const char *const binaries[] = {options->server, options->loadgen};
    for (size_t i = 0; i < sizeof(binaries) / sizeof(binaries[0]); i++) {
        if (access(binaries[i], X_OK) != 0) {
            fprintf(stderr, "bench: %s: %s (run make first)\n", binaries[i], strerror(errno));
            return -1;
        }
    }
    return 0;
}

static const struct sc_settings *settings_of(const struct runner *r, const struct scenario *sc) {
    return r->options->is_quick ? &sc->quick : &sc->full;
}

/* How long one measurement of these settings takes, for the ETA. */
static double one_s(const struct sc_settings *set) {
    return (double)(set->duration_us + set->warmup_us) / 1e6 + START_COST_S;
}

/* --calibration: which runtime cost each model is given, and from where. */
static void plan_costs(const struct runner *r) {
    const struct rtc_table *t = &r->costs;
    if (!r->options->calibration)
        return;
    printf("bench: runtime cost per request from %s (host %s, %s)%s:", r->options->calibration,
           t->host, t->date, strcmp(t->host, r->id.host) ? ", ANOTHER HOST's" : "");
    for (unsigned i = 0; i < t->nmodels; i++)
        printf(" %s %u us%s", t->models[i].name, t->models[i].cost_us,
               t->models[i].estimate[0] ? " (an estimate)" : "");
    printf("; a model without one runs with none\n");
}

/* Counts the measurements and their time, and says so with the CPU split
 * (a capacity search's steps are not known in advance: a model each). */
static void plan(struct runner *r, const struct scenario *scs, int nscs) {
    for (int s = 0; s < nscs && r->options->is_capacity; s++)
        for (unsigned k = 0; k < scs[s].nmodels; k++)
            r->total += is_run(r->options, scs[s].models[k].name);
    for (int s = 0; s < nscs && !r->options->is_capacity; s++) {
        const struct sc_settings *set = settings_of(r, &scs[s]);
        for (unsigned k = 0; k < scs[s].nmodels; k++) {
            if (!is_run(r->options, scs[s].models[k].name))
                continue;
            r->total += set->nlevels * set->repeat;
            r->remaining_s += set->nlevels * set->repeat * one_s(set);
        }
    }
    unsigned unrun = 0;
    for (int s = 0; s < nscs; s++)
        for (unsigned k = 0; k < scs[s].nmodels; k++)
            unrun += !r->options->with_peers && peer_find(scs[s].models[k].name) != NULL;
    if (unrun)
        printf("bench: %u real runtime%s listed in the scenarios not run (--peers runs them)\n",
               unrun, unrun == 1 ? "" : "s");
    if (r->options->is_capacity)
        printf("bench: capacity of %u models; server on CPU %s, bin/loadgen on CPU %s "
               "(pinned scenarios)\n",
               r->total, r->cpus.server_text, r->cpus.loadgen_text);
    else if (r->hosts)
        printf("bench: %u measurements, about %.0f min; server on host %s (%s), bin/loadgen on %u "
               "client hosts (%s)\n",
               r->total, r->remaining_s / 60 + 0.5, r->hosts->server.name, r->hosts->server.address,
               r->hosts->nclients, r->options->hosts);
    else
        printf("bench: %u measurements, about %.0f min; server on CPU %s, bin/loadgen on CPU %s "
               "(pinned scenarios)\n",
               r->total, r->remaining_s / 60 + 0.5, r->cpus.server_text, r->cpus.loadgen_text);
    for (int rt = 0; rt < CAL_RUNTIMES; rt++) {
        char text[128];
        if (!r->cal.of[rt].is_measured)
            continue;
        cal_format(&r->cal.of[rt], text, sizeof(text));
        printf("bench: CPU work, %s: %s, given to every %s process\n", cal_runtime_name(rt), text,
               rt == CAL_C ? "bin/server" : cal_runtime_name(rt));
    }
    plan_costs(r);
    fflush(stdout);
}

/* Every level × repeat of one model of a scenario. Returns 0, or -1 when
 * the run stops. A model bin/server refuses is skipped. */
static int run_model(struct runner *r, const struct scenario *sc, unsigned k) {
    const struct sc_settings *set = settings_of(r, sc);
    struct measurement m = {.sc = sc, .model = &sc->models[k], .set = set};
    char err[512];
    if (launch_describe(r, &m, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        r->done += set->nlevels * set->repeat;
        r->remaining_s -= set->nlevels * set->repeat * one_s(set);
        return 0;
    }
    const struct rtc_model *cost =
        peer_find(m.model->name) ? NULL : rtc_find(&r->costs, m.model->name);
    if (cost)
        snprintf(m.runtime_cost, sizeof(m.runtime_cost), "%u", cost->cost_us);
    cpus_for(&r->cpus, sc->is_pinned, &m.server_cpus, &m.loadgen_cpus, &m.server_cpus_text,
             &m.loadgen_cpus_text);
    for (unsigned l = 0; l < set->nlevels; l++) {
        for (unsigned rep = 1; rep <= set->repeat; rep++) {
            m.connections = set->connections[l];
            m.repeat = rep;
            progress_show(r, &m);
            int got = proc_stop_signal ? -1
                      : r->hosts       ? remote_measure(r, &m)
                                       : measure_once(r, &m);
            r->done++;
            r->remaining_s -= one_s(set);
            if (got < 0)
                return -1;
        }
    }
    return 0;
}

/* Closes the outputs and, when the run completed, publishes NAME.csv.
 * Returns the process's exit status. */
static int finish(struct runner *r, bool is_complete) {
    char err[8600];
    if (outputs_close(&r->out, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        is_complete = false;
    }
    progress_clear(r);
    if (!is_complete) {
        fprintf(stderr, "bench: %s: the run did not complete; %u rows kept in %s\n",
                proc_stop_signal ? "interrupted" : "stopped", r->out.rows, r->out.partial);
        return proc_stop_signal ? 128 + proc_stop_signal : 1;
    }
    if (outputs_publish(&r->out, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    printf("results: %s (%u rows; .hgrm files and run.log in %s/)\n", r->out.csv, r->out.rows,
           r->out.dir);
    return 0;
}

/* Which runtimes' CPU work the run's peers need calibrated (C's always). */
static void calibrations_needed(const struct runner *r, const struct scenario *scs, int nscs,
                                bool needs[CAL_RUNTIMES]) {
    memset(needs, 0, CAL_RUNTIMES * sizeof(needs[0]));
    needs[CAL_C] = true;
    for (int s = 0; s < nscs; s++)
        for (unsigned k = 0; k < scs[s].nmodels; k++) {
            const struct peer *peer = peer_find(scs[s].models[k].name);
            if (peer && is_run(r->options, peer->name))
                needs[peer->runtime] = true;
        }
}

/* What the run needs before its first measurement: the machine's identity
 * and CPU split, the calibrations, the output files and the run's record.
 * Returns 0, or the exit status (2: a calibration failed, 1: the outputs)
 * with a message on stderr. */
static int prepare(struct runner *r, const struct scenario *scs, int nscs) {
    char err[8600];
    bool needs[CAL_RUNTIMES];
    proc_init();
    identity_read(&r->id, r->options->server);
    cpus_plan(&r->cpus);
    r->is_tty = isatty(2);
    if (r->options->calibration &&
        rtc_read(r->options->calibration, &r->costs, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench: --calibration %s\n", err);
        return 2;
    }
    calibrations_needed(r, scs, nscs, needs);
    if (!r->hosts && launch_calibrate(r, needs, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 2;
    }
    if (outputs_open(&r->out, r->options->out, r->id.host, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    /* Across hosts, the calibration is the server host's (after the
     * outputs: the copies and commands there are logged in run.log). */
    if (r->hosts && remote_prepare(r, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 2;
    }
    json_t *env = env_read(&r->id), *warnings = warn_before_run(r, scs, nscs, env);
    int rc = runinfo_write(r, env, warnings, err, sizeof(err));
    json_decref(env);
    json_decref(warnings);
    if (rc < 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    return 0;
}

/* --hosts: the hosts file, read before anything starts. Returns 0, or -1
 * with a message on stderr. */
static int load_hosts(struct runner *r) {
    static struct hosts hosts;
    char err[1024];
    if (!r->options->hosts)
        return 0;
    if (r->options->with_peers) {
        fprintf(stderr, "bench: --peers runs on this machine only; not with --hosts\n");
        return -1;
    }
    if (hosts_load(r->options->hosts, &hosts, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        return -1;
    }
    r->hosts = &hosts;
    return 0;
}

int bench_run(const struct run_options *options, char **names, int count) {
    static struct scenario scs[MAX_SCENARIOS];
    struct runner r = {.options = options, .out = {.csv_fd = -1, .log_fd = -1, .series_fd = -1}};
    int nscs = 0, rc = 2;

    if (load_scenarios(options, names, count, scs, &nscs) < 0 ||
        check_run(options, scs, nscs) < 0 || load_hosts(&r) < 0)
        goto out;
    rc = prepare(&r, scs, nscs);
    if (rc != 0)
        goto out;
    plan(&r, scs, nscs);
    bool is_complete = true;
    for (int s = 0; s < nscs && is_complete; s++)
        for (unsigned k = 0; k < scs[s].nmodels && is_complete; k++)
            if (is_run(options, scs[s].models[k].name))
                is_complete = (options->is_capacity ? capacity_search(&r, &scs[s], k)
                                                    : run_model(&r, &scs[s], k)) == 0;
    rc = finish(&r, is_complete);
out:
    for (int s = 0; s < nscs; s++)
        scenario_free(&scs[s]);
    return rc;
}
