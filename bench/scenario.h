/*
 * scenario.h — a workload file, scenarios/NAME.ini, read with inih:
 *
 *   [scenario]   description, path or mix (bin/loadgen --mix P:W,...),
 *                models, connections (levels), duration, warmup, repeat,
 *                rate (open loop, requests/s; none: closed loop), timeout,
 *                close (yes: a new connection per request), streams (yes:
 *                with a mix, each connection sends one path), pin (no: do
 *                not pin server and load generator apart), server_args
 *                (flags for every model's bin/server), slo (the latency
 *                goal of `bin/bench capacity`, slo.h: p99<=50ms)
 *   [quick]      connections, duration, warmup, repeat, rate for --quick
 *                (what is not given is the full setting)
 *   [model NAME] args: bin/server flags for that model only
 *   [claim NAME] quote (the article's sentence, verbatim; never empty),
 *                source (the article's file and title), expect (expr.h),
 *                required = yes|no (the model verdict must hold),
 *                judge = both|model|real (default both: on the C models and
 *                on their real twins, peers.h; model or real: on one side
 *                only, with reason = why not the other), stated = A..B
 *                (the ratio the article states, expr.h)
 *
 * Errors name the file and line (and column, for an expect). The scenario
 * owns its strings; scenario_free() releases them.
 */
#ifndef SHOWDOWN_SCENARIO_H
#define SHOWDOWN_SCENARIO_H

#include "expr.h"
#include "slo.h"

#include <stdbool.h>
#include <stdint.h>

#define SC_MAX_LEVELS 16
#define SC_MAX_MODELS 32
#define SC_MAX_CLAIMS 16

struct sc_settings {
    unsigned connections[SC_MAX_LEVELS];
    unsigned nlevels;
    uint64_t duration_us, warmup_us;
    unsigned repeat;
    double rate; /* 0: closed loop */
};

/* Which verdicts a claim gets: on the C models, on the real runtimes. */
enum sc_judge { SC_JUDGE_BOTH, SC_JUDGE_MODEL, SC_JUDGE_REAL };

struct sc_claim {
    char *name, *quote, *source, *text; /* text: the expect, as written */
    char *stated_text, *reason;         /* NULL: not given */
    bool is_required;
    unsigned line;
    enum sc_judge judge;
    struct expr expr; /* as written: on the models (judge real: as substituted) */
    struct expr real; /* each model replaced by its real twin (judge both, real) */
    bool has_stated;
    struct ex_stated stated;
};

/* Whether a claim gets a verdict on the models, on the real runtimes. */
bool sc_judges_model(const struct sc_claim *claim);
bool sc_judges_real(const struct sc_claim *claim);

struct sc_model {
    char *name;
    char *args; /* the [model NAME] args; NULL: none */
};

struct scenario {
    char *name; /* the file's name without .ini */
    char *file;
    char *description;
    char *path; /* the URL path; for a mix, the --mix spec */
    bool is_mix;
    struct sc_model models[SC_MAX_MODELS];
    unsigned nmodels;
    struct sc_settings full, quick;
    uint64_t timeout_us; /* 0: bin/loadgen's default */
    bool is_pinned;
    bool is_close;
    bool is_streams; /* streams = yes: bin/loadgen --streams (a mix path per connection) */
    char *server_args;
    bool has_slo;
    struct slo slo;
    struct sc_claim claims[SC_MAX_CLAIMS];
    unsigned nclaims;
};

/* Reads file. Returns 0, or -1 with "FILE:LINE[:COL]: reason" in err. */
int scenario_load(const char *file, struct scenario *sc, char *err, size_t err_len);

void scenario_free(struct scenario *sc);

/* Whether a result row's path is the scenario's whole request stream (its
 * path, or a mix's own row) rather than one path of a mix. */
bool scenario_is_main_path(const struct scenario *sc, const char *path);

/* Whether path is one of a mix's paths. */
bool scenario_has_path(const struct scenario *sc, const char *path);

/* The file for NAME: NAME itself when it names a file, else DIR/NAME.ini.
 * Returns 0 or -1 (no such file). */
int scenario_find(const char *dir, const char *name, char *out, size_t out_len);

#endif
