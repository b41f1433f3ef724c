/* test_expr.c — the claim language: parsing, errors with columns, verdicts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "bench/expr.h"

static struct expr parse_ok(const char *text) {
    struct expr e;
    char err[256] = "";
    unsigned column = 0;
    int rc = ex_parse(text, &e, &column, err, sizeof(err));
    if (rc != 0)
        print_error("parse '%s': column %u: %s\n", text, column, err);
    assert_int_equal(rc, 0);
    return e;
}

/* Expects an error at column, whose message contains fragment. */
static void parse_fails(const char *text, unsigned column, const char *fragment) {
    struct expr e;
    char err[256] = "";
    unsigned got = 0;
    assert_int_equal(ex_parse(text, &e, &got, err, sizeof(err)), -1);
    if (got != column || !strstr(err, fragment))
        print_error("'%s': column %u '%s'; expected column %u with '%s'\n", text, got, err, column,
                    fragment);
    assert_int_equal(got, column);
    assert_non_null(strstr(err, fragment));
}

static void test_parse_factor_times_metric_with_at_clause(void **state) {
    (void)state;
    struct expr e = parse_ok("rps(node) >= 5 * rps(gunicorn-sync) at connections=256");
    assert_int_equal(e.cmp, EX_GE);
    assert_int_equal(e.left.nterms, 1);
    assert_true(e.left.terms[0].is_call);
    assert_int_equal(e.left.terms[0].call.metric, EX_RPS);
    assert_string_equal(e.left.terms[0].call.model, "node");
    assert_int_equal(e.right.nterms, 2);
    assert_false(e.right.terms[0].is_call);
    assert_true(e.right.terms[0].number == 5);
    assert_int_equal(e.right.ops[1], '*');
    assert_string_equal(e.right.terms[1].call.model, "gunicorn-sync");
    assert_int_equal(e.nat, 1);
    assert_int_equal(e.at[0].key, EX_CONNECTIONS);
    assert_string_equal(e.at[0].value, "256");
}

static void test_parse_call_filters_and_paths_with_query(void **state) {
    (void)state;
    struct expr e =
        parse_ok("p99(node-workers, path=/io?ms=1, connections=16) <= 0.5*p99(node,path=/hello)");
    const struct ex_call *c = &e.left.terms[0].call;
    assert_int_equal(c->metric, EX_P99);
    assert_int_equal(c->nfilters, 2);
    assert_int_equal(c->filters[0].key, EX_PATH);
    assert_string_equal(c->filters[0].value, "/io?ms=1");
    assert_string_equal(c->filters[1].value, "16");
    assert_int_equal(e.cmp, EX_LE);
    assert_true(e.right.terms[0].number == 0.5);
    assert_string_equal(e.right.terms[1].call.filters[0].value, "/hello");
    assert_int_equal(e.left.terms[0].call.offset, 0);
    assert_int_equal(e.right.terms[1].call.offset, strlen("p99(node-workers, path=/io?ms=1, "
                                                          "connections=16) <= 0.5*"));
}

static void test_parse_division_and_number_side(void **state) {
    (void)state;
    struct expr e = parse_ok("rss_kb(python-threads) / rss_kb(node) > 3");
    assert_int_equal(e.left.nterms, 2);
    assert_int_equal(e.left.ops[1], '/');
    assert_int_equal(e.cmp, EX_GT);
    assert_false(e.right.terms[0].is_call);
    e = parse_ok("errors(node) < 1 at connections=10, rate=5000");
    assert_int_equal(e.nat, 2);
    assert_int_equal(e.at[1].key, EX_RATE);
}

static void test_parse_errors_name_the_column(void **state) {
    (void)state;
    parse_fails("rsp(node) >= 1", 1, "unknown metric 'rsp'");
    parse_fails("rps(node) >= ", 14, "found the end");
    parse_fails("rps(node) = rps(uvicorn)", 11, "comparison");
    parse_fails("rps(node >= 1", 10, "expected ',' or ')'");
    parse_fails("rps(node, conns=4) >= 1", 11, "expected connections=, path= or rate=");
    parse_fails("rps(node, connections=abc) >= 1", 23, "positive whole number");
    parse_fails("rps(node, path=hello) >= 1", 16, "starting with '/'");
    parse_fails("rps(node) >= 2 at connections=1 extra", 33, "expected 'at' or the end");
    parse_fails("rps(node) >= 2 # x", 16, "unexpected character '#'");
    parse_fails("rps(node, connections=1, connections=2) >= 1", 26, "given twice");
    parse_fails("1 >= 2", 1, "nothing measured");
    parse_fails("rps() >= 1", 5, "a model name");
    parse_fails("rps(node) >= 5x", 15, "after the number");
}

/* Samples from a fixed table: node, sync, each by connections. */
struct fake {
    const char *model;
    const char *connections; /* NULL: any */
    double values[4];
    unsigned n;
};

static unsigned fake_samples(void *ctx, const struct ex_call *call, const struct ex_filter *filters,
                             unsigned nfilters, double *values, unsigned max) {
    const struct fake *rows = ctx;
    const char *conns = ex_filter_value(filters, nfilters, EX_CONNECTIONS);
    for (; rows->model; rows++) {
        if (strcmp(rows->model, call->model) != 0)
            continue;
        if (rows->connections && (!conns || strcmp(rows->connections, conns) != 0))
            continue;
        unsigned n = rows->n < max ? rows->n : max;
        memcpy(values, rows->values, n * sizeof(*values));
        return n;
    }
    return 0;
}

static enum ex_verdict judge(const char *text, const struct fake *rows, struct ex_result *r) {
    struct expr e = parse_ok(text);
    ex_eval(&e, fake_samples, (void *)rows, r);
    return r->verdict;
}

static void test_verdict_holds_fails_and_straddles(void **state) {
    (void)state;
    static const struct fake rows[] = {
        {"node", NULL, {1000, 1100, 1050}, 3},
        {"sync", NULL, {100, 110, 90}, 3},
        {"close", NULL, {950, 1200}, 2},
        {NULL, NULL, {0}, 0},
    };
    struct ex_result r;
    assert_int_equal(judge("rps(node) >= 5 * rps(sync)", rows, &r), EX_HOLDS);
    assert_true(r.left.median == 1050);
    assert_true(r.right.median == 500);
    assert_true(r.right.lo == 450 && r.right.hi == 550);
    assert_int_equal(judge("rps(node) >= 20 * rps(sync)", rows, &r), EX_FAILS);
    /* node 1000–1100 against close 950–1200: the repeats straddle. */
    assert_int_equal(judge("rps(node) >= rps(close)", rows, &r), EX_INCONCLUSIVE);
    assert_non_null(strstr(r.why, "straddle"));
    assert_int_equal(judge("rps(sync) < rps(node)", rows, &r), EX_HOLDS);
    assert_int_equal(judge("rps(sync) > rps(node)", rows, &r), EX_FAILS);
    assert_int_equal(judge("rps(node) / rps(sync) >= 9", rows, &r), EX_HOLDS);
    /* 1000/110 = 9.09 at worst, 1100/90 = 12.2 at best. */
    assert_true(r.left.lo > 9.0 && r.left.lo < 9.1);
    assert_int_equal(judge("rps(node) / rps(sync) >= 10", rows, &r), EX_INCONCLUSIVE);
}

static void test_verdict_inconclusive_when_not_measured(void **state) {
    (void)state;
    static const struct fake rows[] = {
        {"node", "64", {1000}, 1},
        {NULL, NULL, {0}, 0},
    };
    struct ex_result r;
    assert_int_equal(judge("rps(node) >= 2 * rps(uvicorn) at connections=64", rows, &r),
                     EX_INCONCLUSIVE);
    assert_non_null(strstr(r.why, "not measured: rps(uvicorn, connections=64)"));
    assert_int_equal(judge("rps(node, connections=64) >= 999", rows, &r), EX_HOLDS);
    /* A call's own filter wins over the at clause's. */
    assert_int_equal(judge("rps(node, connections=64) >= 999 at connections=8", rows, &r),
                     EX_HOLDS);
    assert_int_equal(judge("rps(node) >= 999 at connections=8", rows, &r), EX_INCONCLUSIVE);
}

/* The twin of an expression: node -> real-node, sync -> real-sync; no twin
 * for nogil. */
static const char *twin_of(void *ctx, const char *model) {
    (void)ctx;
    return !strcmp(model, "node") ? "real-node" : !strcmp(model, "sync") ? "real-sync" : NULL;
}

static void test_twin_replaces_every_model_and_keeps_the_rest(void **state) {
    (void)state;
    struct expr e = parse_ok("rps(node, path=/a) >= 1.2 * rps(sync) / rps(node) at connections=64");
    struct expr twin;
    unsigned offset = 0;
    assert_int_equal(ex_substitute(&e, twin_of, NULL, &twin, &offset), 0);
    assert_string_equal(twin.left.terms[0].call.model, "real-node");
    assert_string_equal(twin.left.terms[0].call.filters[0].value, "/a");
    assert_true(twin.right.terms[0].number == 1.2);
    assert_string_equal(twin.right.terms[1].call.model, "real-sync");
    assert_string_equal(twin.right.terms[2].call.model, "real-node");
    assert_int_equal(twin.right.ops[2], '/');
    assert_int_equal(twin.nat, 1);
    assert_string_equal(e.left.terms[0].call.model, "node"); /* the original untouched */
    /* No twin: the offset of the call that has none. */
    e = parse_ok("rps(node) >= 2 * rps(nogil)");
    assert_int_equal(ex_substitute(&e, twin_of, NULL, &twin, &offset), -1);
    assert_int_equal(offset, 17);
}

static void test_stated_forms_and_errors(void **state) {
    (void)state;
    struct ex_stated st;
    unsigned column = 0;
    char err[256];
    assert_int_equal(ex_parse_stated("1.2..1.3", &st, &column, err, sizeof(err)), 0);
    assert_true(st.lo == 1.2 && st.hi == 1.3);
    assert_int_equal(ex_parse_stated(" 2 ", &st, &column, err, sizeof(err)), 0);
    assert_true(st.lo == 2 && st.hi == 2);
    assert_int_equal(ex_parse_stated("20-30%", &st, &column, err, sizeof(err)), -1);
    assert_int_equal(column, 3);
    assert_non_null(strstr(err, "A..B"));
    assert_int_equal(ex_parse_stated("1.3..1.2", &st, &column, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "runs upwards"));
    assert_int_equal(ex_parse_stated("1.2..", &st, &column, err, sizeof(err)), -1);
    assert_int_equal(column, 6);
    assert_int_equal(ex_parse_stated("", &st, &column, err, sizeof(err)), -1);
    assert_int_equal(ex_parse_stated("-1", &st, &column, err, sizeof(err)), -1);
}

static void test_stated_ratio_is_left_over_the_right_calls(void **state) {
    (void)state;
    static const struct fake rows[] = {
        {"node", NULL, {1250, 1300}, 2},
        {"sync", NULL, {1000}, 1},
        {NULL, NULL, {0}, 0},
    };
    struct ex_result r;
    double ratio, lo, hi;
    struct ex_stated st = {1.2, 1.3};
    /* The 1.2 is the threshold, not part of the ratio: 1275 / 1000. */
    assert_int_equal(judge("rps(node) >= 1.2 * rps(sync)", rows, &r), EX_HOLDS);
    assert_int_equal(ex_ratio(&r, &ratio, &lo, &hi), 0);
    assert_true(fabs(ratio - 1.275) < 1e-9 && lo == 1.25 && hi == 1.3);
    assert_int_equal(ex_place_of(&st, ratio), EX_WITHIN);
    assert_int_equal(ex_place_of(&st, 3.0), EX_ABOVE);
    assert_int_equal(ex_place_of(&st, 1.1), EX_BELOW);
    assert_non_null(strstr(ex_place_text(EX_ABOVE), "understates"));
    assert_non_null(strstr(ex_place_text(EX_BELOW), "overstates"));
    /* Nothing measured on the right: no ratio. */
    assert_int_equal(judge("rps(node) >= 1.2 * rps(gone)", rows, &r), EX_INCONCLUSIVE);
    assert_int_equal(ex_ratio(&r, &ratio, &lo, &hi), -1);
}

static void test_resource_metrics_parse(void **state) {
    (void)state;
    struct expr e = parse_ok("cpu_per_1k(a) >= 1.5 * cpu_per_1k(b)");
    assert_int_equal(e.left.terms[0].call.metric, EX_CPU_PER_1K);
    e = parse_ok("rss_per_1k_conns(a) <= start_ms(b)");
    assert_int_equal(e.left.terms[0].call.metric, EX_RSS_PER_1K_CONNS);
    assert_int_equal(e.right.terms[0].call.metric, EX_START_MS);
    assert_string_equal(ex_metric_name(EX_START_MS), "start_ms");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_factor_times_metric_with_at_clause),
        cmocka_unit_test(test_parse_call_filters_and_paths_with_query),
        cmocka_unit_test(test_parse_division_and_number_side),
        cmocka_unit_test(test_parse_errors_name_the_column),
        cmocka_unit_test(test_verdict_holds_fails_and_straddles),
        cmocka_unit_test(test_verdict_inconclusive_when_not_measured),
        cmocka_unit_test(test_twin_replaces_every_model_and_keeps_the_rest),
        cmocka_unit_test(test_stated_forms_and_errors),
        cmocka_unit_test(test_stated_ratio_is_left_over_the_right_calls),
        cmocka_unit_test(test_resource_metrics_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
