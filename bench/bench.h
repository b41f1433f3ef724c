/*
 * bench.h — bin/bench's commands: run (scenarios → a results CSV),
 * capacity (the same, each model's highest rate at a latency goal),
 * claims (verdicts), compare (two CSVs), report (an HTML page with
 * gnuplot charts), merge (HdrHistogram logs), sample (a process tree, for
 * a run across hosts). Each returns the process's exit status: 0 fine,
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
    /* `bin/bench capacity` (capacity_search.h): a search per model instead
     * of the levels × repeats. */
    bool is_capacity;
    const struct slo *slo;     /* --slo; NULL: each scenario's slo key */
    double from_rate, to_rate; /* the lowest rate tried, and the highest */
    unsigned connections;      /* 0: the settings' highest level */
    const char *hosts;         /* --hosts FILE (hosts.h); NULL: this machine */
};

int bench_run(const struct run_options *options, char **scenarios, int count);
int bench_claims(const char *csv, const char *scenario_dir, bool is_markdown);
/* compare's least change called, by default: on this project's shared
 * 2-core machine whole runs of the same code shifted by 5–15% with the
 * machine's load, and their repeats, taken back to back, do not see it
 * (the U test called 16 of 40 same-revision rows at 4+4 repeats). */
#define COMPARE_NOISE 0.10
/* A's CSVs against B's: with one a side a repeat is a sample, with more a
 * run is (its median). */
int bench_compare(const char *const *a, int na, const char *const *b, int nb, double threshold,
                  double noise);
int bench_report(const char *csv, const char *scenario_dir);
int bench_fidelity(const char *csv, const char *scenario_dir, bool is_markdown);
/* merge.c: prints the exact merge of the .hlog files (appends its rows to
 * csv unless NULL); 2 on a bad or unreadable file. */
int bench_merge(char **files, int count, const char *csv);
/* sample.c: streams samples of pid's process tree on stdout (sample.h). */
int bench_sample(const char *pid);
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

/* One of a claim's two verdicts: on the C models or on the real runtimes. */
struct claim_verdict {
    bool is_judged; /* false: the claim is judged on the other side only */
    struct ex_result result;
    char left[256], right[256]; /* the two sides' measured figures, as text */
    bool has_ratio;             /* the stated ratio's measured figure (expr.h) */
    double ratio, ratio_lo, ratio_hi;
    char how[200]; /* how it was judged: the U test's line, or "ranges" and why */
};

struct judged_claim {
    const struct scenario *sc;
    const struct sc_claim *claim;
    struct claim_verdict model, real;
    char meaning[320]; /* what the pair means, and which one the reader sees */
};

/* Judges the claims of the scenarios on the table's rows, each on the
 * models and on their real twins (as its judge says); returns how many
 * were judged (at most max). */
int claims_judge(const struct csv_table *table, const struct scenario *scs, unsigned nscs,
                 struct judged_claim *out, unsigned max);

/* "holds", "fails", "inconclusive", "not measured" or "not judged". */
const char *claims_verdict_text(const struct claim_verdict *v);

/* A claim as a table row, for Markdown and HTML alike: the model and the
 * real verdict, scenario / claim, quote (source), expect, each side's
 * figures, the stated ratio, and what the pair means. */
enum {
    CLAIM_CELLS = 9,
    CLAIM_VERDICT = 0,
    CLAIM_REAL_VERDICT = 1,
    CLAIM_EXPECT = 4,
};
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
