/*
 * bench.h — bin/bench's commands: run (scenarios → a results CSV),
 * claims (verdicts), compare (two CSVs), report (an HTML page with
 * gnuplot charts). Each returns the process's exit status: 0 fine,
 * 1 a claim or regression failed / the run did not finish, 2 bad input.
 */
#ifndef SHOWDOWN_BENCH_H
#define SHOWDOWN_BENCH_H

#include "expr.h"
#include "scenario.h"

#include <stdbool.h>
#include <stdio.h>

struct run_options {
    bool is_quick;
    const char *models; /* "a b" or "a,b": only these; NULL: the scenario's */
    const char *out;    /* the CSV; NULL: results/<UTC stamp>-<host>.csv */
    const char *server, *loadgen, *scenario_dir;
    bool with_peers;         /* also run each C model's real runtime (peers.h) */
    const char *peers_dir;   /* where peers/ is */
    const char *calibration; /* --calibration FILE: runtime costs (runtime_cost.h); NULL: none */
};

int bench_run(const struct run_options *options, char **scenarios, int count);
int bench_claims(const char *csv, const char *scenario_dir, bool is_markdown);
int bench_compare(const char *a, const char *b, double threshold);
int bench_report(const char *csv, const char *scenario_dir);
int bench_fidelity(const char *csv, const char *scenario_dir, bool is_markdown);
/* `bin/bench calibrate`: the scenario `calibrate` with --peers, then the
 * runtime-cost file (options->out, else results/<stamp>-<host>-calibration.ini,
 * its rows beside it as .csv). cost_calibrate.c. */
int bench_calibrate(const struct run_options *options);

/* ---- claims.c, for the report and fidelity too ---- */

struct csv_table;

/* The samples of a call in one scenario's rows, one per repeat: an
 * ex_samples_fn whose ctx is a struct sample_ctx. */
struct sample_ctx {
    const struct csv_table *table;
    const struct scenario *sc;
};
unsigned claims_samples(void *ctx, const struct ex_call *call, const struct ex_filter *filters,
                        unsigned nfilters, double *values, unsigned max);

struct judged_claim {
    const struct scenario *sc;
    const struct sc_claim *claim;
    struct ex_result result;
    char left[256], right[256]; /* the two sides' measured figures, as text */
};

/* Judges the claims of the scenarios on the table's rows; returns how many
 * were judged (at most max). */
int claims_judge(const struct csv_table *table, const struct scenario *scs, unsigned nscs,
                 struct judged_claim *out, unsigned max);

/* A claim as a table row, for Markdown and HTML alike: verdict, scenario /
 * claim, quote (source), expect, left, right (and why, when inconclusive). */
enum { CLAIM_CELLS = 6, CLAIM_VERDICT = 0, CLAIM_EXPECT = 3 };
extern const char *const claims_columns[CLAIM_CELLS];
void claims_cells(const struct judged_claim *claim, char cells[CLAIM_CELLS][1024]);

/* Writes the claims as a Markdown table (for README, CI summaries). */
void claims_markdown(FILE *out, const struct judged_claim *claims, unsigned n);

/* ---- fidelity.c, for the report too ---- */

/* One shape of one C model beside its real runtime. */
struct fidelity_row {
    const char *shape_name, *scenario, *meaning;
    const char *model, *real;       /* node, real-node */
    double model_value, real_value; /* NAN: not measured */
    double difference;              /* model ÷ real − 1; NAN when either is missing */
    bool is_faithful;
    bool is_absolute;    /* the figure itself, of a model run with a runtime cost */
    enum ex_metric unit; /* an absolute figure's; EX_ERRORS: a ratio */
};

/* Every (shape, pair) with rows of either side, then every (absolute figure,
 * pair) whose C model ran with a runtime cost, at most max; returns how many. */
int fidelity_compute(const struct csv_table *table, const struct scenario *scs, unsigned nscs,
                     struct fidelity_row *out, unsigned max);

/* A pair is faithful when the C model's figure is within this of the real one's. */
#define FIDELITY_WITHIN 0.25

/* A row's figure as text: "–" when not measured, a ratio to 3 figures, an
 * absolute one with its unit ("9.46k req/s", "35.2 ms"). */
void fidelity_format(const struct fidelity_row *row, double value, char *out, size_t cap);
void fidelity_format_difference(const struct fidelity_row *row, char *out, size_t cap);
/* "faithful", "NOT faithful" or "not measured". */
const char *fidelity_verdict(const struct fidelity_row *row);

#endif
