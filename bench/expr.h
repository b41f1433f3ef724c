/*
 * expr.h — the language of a claim's `expect` (docs/DESIGN.md, "Claims"):
 *
 *     claim  := side CMP side [ "at" filter { "," filter } ]
 *     side   := term { ("*" | "/") term }
 *     term   := NUMBER | METRIC "(" MODEL { "," filter } ")"
 *     filter := KEY "=" VALUE           KEY: connections, path, rate
 *     CMP    := ">=" | "<=" | ">" | "<"
 *
 * e.g. `rps(node) >= 5 * rps(gunicorn-sync) at connections=256` or
 * `p99(node-workers, path=/hello) <= 0.5 * p99(node, path=/hello)`.
 * A call's own filters win over the `at` clause's. Metrics: rps, p50, p90,
 * p99, p999, mean, max (latency in µs), rss_kb, cpu_s, threads, errors,
 * capacity (requests/s at the scenario's latency goal, from `bin/bench
 * capacity`; capacity.h), and the resources per unit of work: cpu_per_1k
 * (server CPU-seconds per 1,000 requests), rss_per_1k_conns (peak RSS in
 * kB per 1,000 connections) and start_ms (from starting the server to its
 * first answered GET /hello).
 *
 * A claim is written once, in models; ex_substitute() makes its twin, the
 * same expression with each model replaced by another name (bench: its
 * real runtime, peers.h). A claim may carry the ratio its article states
 * (`stated`, ex_parse_stated); the measured ratio is the left side ÷ the
 * right side's measured factors (its numbers left out): for
 * `rps(node) >= 1.2 * rps(gunicorn-sync)`, rps(node) ÷ rps(gunicorn-sync).
 *
 * A tokenizer and a recursive-descent parser; errors carry the column
 * (1-based, in the text given). Evaluation takes the samples of each call
 * (one per repeat) from the caller and judges with intervals: the claim
 * holds when it holds for every combination of repeats, fails when it
 * fails for every one, and is inconclusive when the repeats straddle the
 * threshold. The caller owns the struct; nothing is allocated.
 */
#ifndef SHOWDOWN_EXPR_H
#define SHOWDOWN_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#define EX_MAX_TERMS   4
#define EX_MAX_FILTERS 4
#define EX_MAX_SAMPLES 64

enum ex_metric {
    EX_RPS,
    EX_P50,
    EX_P90,
    EX_P99,
    EX_P999,
    EX_MEAN,
    EX_MAX,
    EX_RSS_KB,
    EX_CPU_S,
    EX_THREADS,
    EX_ERRORS,
    EX_CAPACITY, /* a capacity row's target_rate (capacity.h) */
    EX_CPU_PER_1K,
    EX_RSS_PER_1K_CONNS,
    EX_START_MS,
};

enum ex_key { EX_CONNECTIONS, EX_PATH, EX_RATE };

enum ex_cmp { EX_GE, EX_LE, EX_GT, EX_LT };

enum ex_verdict { EX_HOLDS, EX_FAILS, EX_INCONCLUSIVE };

struct ex_filter {
    enum ex_key key;
    char value[256];
};

struct ex_call {
    unsigned offset; /* where it starts in the text, for error messages */
    enum ex_metric metric;
    char model[64];
    struct ex_filter filters[EX_MAX_FILTERS];
    unsigned nfilters;
};

struct ex_term {
    bool is_call;
    double number;
    struct ex_call call;
};

struct ex_side {
    struct ex_term terms[EX_MAX_TERMS];
    char ops[EX_MAX_TERMS]; /* ops[i], i >= 1: '*' or '/' before terms[i] */
    unsigned nterms;
};

struct expr {
    struct ex_side left, right;
    enum ex_cmp cmp;
    struct ex_filter at[EX_MAX_FILTERS];
    unsigned nat;
};

/* Parses text. Returns 0, or -1 with *column and a reason in err. */
int ex_parse(const char *text, struct expr *out, unsigned *column, char *err, size_t err_len);

/* The filters a call is evaluated with: its own, then the `at` clause's
 * keys it does not set. Returns how many were written to out. */
unsigned ex_call_filters(const struct expr *e, const struct ex_call *call,
                         struct ex_filter out[2 * EX_MAX_FILTERS]);

/* The value of key in filters, or NULL. */
const char *ex_filter_value(const struct ex_filter *filters, unsigned n, enum ex_key key);

/* Fills values with the samples of call (one per repeat) under filters;
 * returns how many (0: nothing measured). */
typedef unsigned (*ex_samples_fn)(void *ctx, const struct ex_call *call,
                                  const struct ex_filter *filters, unsigned nfilters,
                                  double *values, unsigned max);

struct ex_value {
    bool is_known;
    double median, lo, hi;                   /* the medians' product; the range over repeats */
    double calls_median, calls_lo, calls_hi; /* the same over the calls alone */
    double terms[EX_MAX_TERMS];              /* each factor: a number, or a call's median */
};

struct ex_result {
    struct ex_value left, right;
    enum ex_verdict verdict;
    char why[384]; /* for inconclusive: what was missing or straddled */
};

void ex_eval(const struct expr *e, ex_samples_fn samples, void *ctx, struct ex_result *out);

/* ---- twins and stated ratios ---- */

/* The name that stands for model in the twin expression, or NULL when
 * there is none. */
typedef const char *(*ex_twin_fn)(void *ctx, const char *model);

/* Copies e to out with every call's model replaced by twin(model). Returns
 * 0, or -1 with *offset at the first call whose model has no twin. */
int ex_substitute(const struct expr *e, ex_twin_fn twin, void *ctx, struct expr *out,
                  unsigned *offset);

/* A ratio an article states: lo..hi (lo == hi for one number). */
struct ex_stated {
    double lo, hi;
};

enum ex_place { EX_WITHIN, EX_ABOVE, EX_BELOW };

/* Parses "A..B" or "A" (positive numbers, A <= B). Returns 0, or -1 with
 * *column (1-based) and a reason in err. */
int ex_parse_stated(const char *text, struct ex_stated *out, unsigned *column, char *err,
                    size_t err_len);

/* The measured ratio of a result (see above): its median and its range
 * over the repeats. Returns 0, or -1 when a side is unknown or zero. */
int ex_ratio(const struct ex_result *r, double *median, double *lo, double *hi);

/* Where ratio lies against stated. */
enum ex_place ex_place_of(const struct ex_stated *stated, double ratio);

/* "within", "above (the article understates)", "below (the article overstates)". */
const char *ex_place_text(enum ex_place place);

/* Sorts values in place and returns their median (n > 0): afterwards
 * values[0] and values[n - 1] are the range. */
double ex_median(double *values, unsigned n);

const char *ex_metric_name(enum ex_metric metric);
const char *ex_key_name(enum ex_key key);
const char *ex_cmp_text(enum ex_cmp cmp);
const char *ex_verdict_name(enum ex_verdict verdict);

/* Writes a call as text, e.g. "rps(node, connections=256)". */
size_t ex_format_call(const struct ex_call *call, char *out, size_t cap);

#endif
