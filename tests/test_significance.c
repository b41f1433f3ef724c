/*
 * test_significance.c — the Mann-Whitney U test and the bootstrap ratio
 * (bench/significance.c) against the published critical values of U for
 * a two-sided test at α = 0.05 (e.g. Mann & Whitney 1947's tables as
 * reprinted in Siegel, Nonparametric Statistics, table K: n1=n2=4 → 0,
 * 5,5 → 2, 5,6 → 3, 6,6 → 5, 8,8 → 13, 10,10 → 23), the exact p-values
 * those tables come from (C(n1+n2, n1) splits), and with ties against a
 * brute-force count of every split by pairs, not ranks.
 */
#include "../bench/significance.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/* Fills a (n1) and b (n2) with the ranks 1 … n1+n2 split so that exactly
 * u pairs have a_i > b_j: a starts at the bottom and its top values climb
 * past b's, the highest first (u ≤ n1·n2). */
static void split_with_u(size_t n1, size_t n2, unsigned u, double *a, double *b) {
    unsigned shift[SIG_MAX_REPEATS] = {0};
    bool is_a[2 * SIG_MAX_REPEATS + 1] = {false};
    for (size_t i = n1; i-- > 0 && u > 0;) {
        shift[i] = u < n2 ? u : (unsigned)n2;
        u -= shift[i];
    }
    for (size_t i = 0; i < n1; i++) {
        a[i] = (double)(i + 1 + shift[i]);
        is_a[i + 1 + shift[i]] = true;
    }
    for (size_t r = 1, j = 0; r <= n1 + n2; r++)
        if (!is_a[r])
            b[j++] = (double)r;
}

static double p_at(size_t n1, size_t n2, unsigned u) {
    double a[SIG_MAX_REPEATS], b[SIG_MAX_REPEATS], got_u, p;
    split_with_u(n1, n2, u, a, b);
    assert_int_equal(sig_mann_whitney(a, n1, b, n2, &got_u, &p), 0);
    assert_float_equal(got_u, u, 0);
    return p;
}

static void test_the_critical_values_of_u_are_the_published_ones(void **state) {
    static const struct {
        size_t n1, n2;
        unsigned critical;
    } table[] = {{4, 4, 0}, {4, 5, 1}, {4, 6, 2},  {5, 5, 2},    {5, 6, 3},
                 {6, 6, 5}, {7, 7, 8}, {8, 8, 13}, {10, 10, 23}, {20, 20, 127}};
    (void)state;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        size_t n1 = table[i].n1, n2 = table[i].n2;
        unsigned u = table[i].critical;
        assert_true(p_at(n1, n2, u) <= SIG_ALPHA);
        assert_true(p_at(n1, n2, u + 1) > SIG_ALPHA);
        /* U and n1·n2 − U are the same distance from the mean. */
        assert_float_equal(p_at(n1, n2, u), p_at(n1, n2, (unsigned)(n1 * n2) - u), 1e-12);
    }
}

static void test_exact_p_values_are_shares_of_all_splits(void **state) {
    (void)state;
    assert_float_equal(p_at(3, 3, 0), 2.0 / 20, 1e-12);  /* the smallest 3+3 can give */
    assert_float_equal(p_at(4, 4, 0), 2.0 / 70, 1e-12);  /* scipy: 0.028571 */
    assert_float_equal(p_at(5, 5, 0), 2.0 / 252, 1e-12); /* scipy: 0.007937 */
    assert_float_equal(p_at(5, 5, 2), 8.0 / 252, 1e-12); /* 1+1+2 splits at U ≤ 2 */
    assert_float_equal(p_at(5, 5, 12), 1.0, 1e-12);      /* U at its mean */
    assert_float_equal(p_at(1, 1, 0), 1.0, 1e-12);
}

/* The oracle: every split of the pooled values into na and the rest, U
 * counted by pairs; the share as far from na·nb/2 as the observed one. */
static double brute_force_p(const double *a, size_t na, const double *b, size_t nb) {
    double pooled[16], mean = na * nb / 2.0, observed = 0;
    size_t n = na + nb, extreme = 0, all = 0;
    memcpy(pooled, a, na * sizeof(*a));
    memcpy(pooled + na, b, nb * sizeof(*b));
    for (size_t i = 0; i < na; i++)
        for (size_t j = na; j < n; j++)
            observed += pooled[i] > pooled[j] ? 1 : pooled[i] == pooled[j] ? 0.5 : 0;
    for (unsigned mask = 0; mask < 1u << n; mask++) {
        if ((size_t)__builtin_popcount(mask) != na)
            continue;
        double u = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                if ((mask >> i & 1) && !(mask >> j & 1))
                    u += pooled[i] > pooled[j] ? 1 : pooled[i] == pooled[j] ? 0.5 : 0;
        all++;
        extreme += fabs(u - mean) >= fabs(observed - mean) - 1e-9;
    }
    return (double)extreme / all;
}

static void test_ties_take_midranks_and_match_every_split_counted(void **state) {
    static const double a[] = {10, 10, 12, 15, 15, 15}, b[] = {15, 16, 16, 18, 10, 20};
    static const double c[] = {3, 3, 3, 3}, d[] = {3, 3, 3, 4, 4};
    double u, p;
    (void)state;
    assert_int_equal(sig_mann_whitney(a, 6, b, 6, &u, &p), 0);
    /* 10,10 tie b's 10 (½ each), 12 beats it, each 15 beats it and ties b's 15. */
    assert_float_equal(u, 1 + 1 + 3 + 1.5, 1e-12);
    assert_float_equal(p, brute_force_p(a, 6, b, 6), 1e-12);
    assert_int_equal(sig_mann_whitney(c, 4, d, 5, &u, &p), 0);
    assert_float_equal(p, brute_force_p(c, 4, d, 5), 1e-12);
    /* All equal: nothing differs. */
    assert_int_equal(sig_mann_whitney(c, 4, c, 4, &u, &p), 0);
    assert_float_equal(p, 1.0, 1e-12);
}

static void test_fewer_than_four_a_side_is_not_called(void **state) {
    static const double a[] = {100, 101, 102}, b[] = {200, 201, 202, 203, 204};
    struct sig_result r;
    char line[256];
    (void)state;
    sig_compare(a, 3, b, 5, 1, &r);
    assert_false(r.is_callable);
    assert_false(r.differs);
    assert_non_null(strstr(sig_format(&r, line, sizeof(line)), "too few repeats to call it (3+5"));
    sig_compare(b, 4, a, 3, 1, &r);
    assert_false(r.is_callable);
    sig_compare(b, 4, b + 1, 4, 1, &r); /* 4+4, overlapping: called, no difference */
    assert_true(r.is_callable);
    assert_false(r.differs);
    assert_non_null(strstr(sig_format(&r, line, sizeof(line)), "no difference"));
}

static void test_a_clear_shift_differs_and_its_interval_holds_the_ratio(void **state) {
    static const double a[] = {1000, 1020, 990, 1010, 1005};
    double b[5];
    struct sig_result r;
    char line[256];
    (void)state;
    for (int i = 0; i < 5; i++)
        b[i] = a[i] * 0.7;
    sig_compare(a, 5, b, 5, 42, &r);
    assert_true(r.is_callable && r.differs);
    assert_float_equal(r.p, 2.0 / 252, 1e-12);
    assert_float_equal(r.ratio, 0.7, 1e-9);
    assert_true(r.ci_low <= r.ratio && r.ratio <= r.ci_high);
    assert_true(r.ci_high < 1); /* the whole interval says slower */
    assert_true(r.ci_low > 0.6);
    assert_non_null(strstr(sig_format(&r, line, sizeof(line)), "x0.70 ["));
    assert_non_null(strstr(line, "differs"));
}

static void test_the_bootstrap_is_the_same_for_the_same_seed(void **state) {
    static const double a[] = {5, 9, 4, 7, 6, 8}, b[] = {6, 5, 9, 8, 7, 4};
    struct sig_result r1, r2, r3;
    (void)state;
    sig_compare(a, 6, b, 6, 7, &r1);
    sig_compare(a, 6, b, 6, 7, &r2);
    sig_compare(a, 6, b, 6, 8, &r3);
    assert_memory_equal(&r1, &r2, sizeof(r1));
    assert_float_equal(r1.ratio, 1.0, 1e-12);
    assert_true(r1.ci_low < 1 && r1.ci_high > 1);
    assert_false(r1.differs);
    /* Another seed, another interval (the draws differ), same verdict. */
    assert_true(r3.ci_low != r1.ci_low || r3.ci_high != r1.ci_high);
    assert_int_equal(r3.differs, r1.differs);
}

static void test_a_zero_median_gives_no_ratio(void **state) {
    static const double zero[] = {0, 0, 0, 0}, b[] = {1, 2, 3, 4};
    struct sig_result r;
    char line[256];
    (void)state;
    sig_compare(zero, 4, b, 4, 1, &r);
    assert_true(isnan(r.ratio) && isnan(r.ci_low));
    assert_true(r.differs); /* the U test still calls it */
    assert_non_null(strstr(sig_format(&r, line, sizeof(line)), "A's median is 0"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_critical_values_of_u_are_the_published_ones),
        cmocka_unit_test(test_exact_p_values_are_shares_of_all_splits),
        cmocka_unit_test(test_ties_take_midranks_and_match_every_split_counted),
        cmocka_unit_test(test_fewer_than_four_a_side_is_not_called),
        cmocka_unit_test(test_a_clear_shift_differs_and_its_interval_holds_the_ratio),
        cmocka_unit_test(test_the_bootstrap_is_the_same_for_the_same_seed),
        cmocka_unit_test(test_a_zero_median_gives_no_ratio),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
