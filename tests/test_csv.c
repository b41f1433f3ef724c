/* test_csv.c — CSV fields, records and the results file's columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/results.h"
#include "common/csv.h"

static char file[] = "/tmp/test_csv.XXXXXX";

static void write_text(const char *text) {
    FILE *out = fopen(file, "w");
    assert_non_null(out);
    fputs(text, out);
    fclose(out);
}

static void test_field_quotes_only_when_needed(void **state) {
    char out[64];
    (void)state;
    assert_int_equal(csv_field(out, sizeof(out), "/hello"), 6);
    assert_string_equal(out, "/hello");
    csv_field(out, sizeof(out), "/a:1,/b:2");
    assert_string_equal(out, "\"/a:1,/b:2\"");
    csv_field(out, sizeof(out), "say \"hi\"");
    assert_string_equal(out, "\"say \"\"hi\"\"\"");
    /* Never past cap, always terminated. */
    assert_true(csv_field(out, 5, "abcdefgh") < 5);
    assert_int_equal(strlen(out), csv_field(out, 5, "abcdefgh"));
}

static void test_split_round_trips_quoted_fields(void **state) {
    char line[256], *fields[8], a[64], b[64];
    unsigned column;
    (void)state;
    csv_field(a, sizeof(a), "x,\"y\"");
    csv_field(b, sizeof(b), "");
    snprintf(line, sizeof(line), "%s,plain,%s,last", a, b);
    assert_int_equal(csv_split(line, fields, 8, &column), 4);
    assert_string_equal(fields[0], "x,\"y\"");
    assert_string_equal(fields[1], "plain");
    assert_string_equal(fields[2], "");
    assert_string_equal(fields[3], "last");
}

static void test_split_reports_the_bad_column(void **state) {
    char line[64], *fields[8];
    unsigned column = 0;
    (void)state;
    snprintf(line, sizeof(line), "a,\"open");
    assert_int_equal(csv_split(line, fields, 8, &column), -1);
    assert_int_equal(column, 3);
    snprintf(line, sizeof(line), "\"q\"x,b");
    assert_int_equal(csv_split(line, fields, 8, &column), -1);
    assert_int_equal(column, 4);
    snprintf(line, sizeof(line), "a,b,c");
    assert_int_equal(csv_split(line, fields, 2, &column), -1);
}

static void test_read_names_file_and_line(void **state) {
    struct csv_table t;
    char err[512];
    (void)state;
    write_text("a,b\n1,2\n3,\"x,y\"\n");
    assert_int_equal(csv_read(file, "a,b", &t, err, sizeof(err)), 0);
    assert_int_equal(t.nrows, 2);
    assert_int_equal(t.ncols, 2);
    assert_string_equal(t.rows[1].fields[1], "x,y");
    assert_int_equal(t.rows[1].line, 3);
    assert_int_equal(csv_column(&t, "b"), 1);
    assert_int_equal(csv_column(&t, "c"), -1);
    csv_table_free(&t);

    assert_int_equal(csv_read(file, "a,c", &t, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":1: not a showdown results CSV"));
    write_text("a,b\n1,2\n1,2,3\n");
    assert_int_equal(csv_read(file, NULL, &t, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":3: 3 fields, the header has 2"));
    write_text("");
    assert_int_equal(csv_read(file, NULL, &t, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":1: empty file"));
}

/* The columns are docs/DESIGN.md's, in its order: other pieces rely on them. */
static void test_results_header_is_the_contract(void **state) {
    (void)state;
    assert_string_equal(
        res_header(),
        "run_id,started_at,git_rev,host,cpu_model,cores,scenario,model,engine,processes,"
        "threads,gil,path,connections,target_rate,duration_s,repeat,requests,rps,"
        "bytes_per_s,err_connect,err_read,err_write,err_timeout,err_status,"
        "lat_mean_us,lat_p50_us,lat_p90_us,lat_p99_us,lat_p999_us,lat_max_us,"
        "server_cpu_user_s,server_cpu_sys_s,server_rss_max_kb,server_threads_max,"
        "loadgen_cpu_s,server_cpus,loadgen_cpus,server_start_s,runtime_cost_us");
}

static const char row[] = "r,2026-01-01T00:00:00Z,abc,h,cpu,2,io,node,libuv,1,1,0,/io?ms=20,"
                          "256,0,3.0,1,3000,1000.5,1,2,3,4,5,6,7,8,9,10,11,12,1.5,0.5,2048,3,"
                          "0.2,0,1,0.25,0\n";

/* A results CSV from before server_start_s and runtime_cost_us (38
 * columns) is read as today's, the later columns 0; a header that is not
 * a beginning of today's is refused, naming line 1. */
static void test_results_read_takes_an_earlier_showdowns_csv(void **state) {
    struct csv_table t;
    char err[512], text[2048], old_header[1024];
    (void)state;
    snprintf(old_header, sizeof(old_header), "%s", res_header());
    *strstr(old_header, ",server_start_s") = '\0';
    snprintf(text, sizeof(text), "%s\n%.*s\n", old_header, (int)(strstr(row, ",0.25,0\n") - row),
             row);
    write_text(text);
    assert_int_equal(res_read(file, &t, err, sizeof(err)), 0);
    assert_int_equal(t.ncols, RC_COUNT);
    assert_true(res_metric(&t.rows[0], EX_RPS) == 1000.5);
    assert_string_equal(t.rows[0].fields[RC_LOADGEN_CPUS], "1");
    assert_true(res_number(&t.rows[0], RC_SERVER_START_S) == 0);
    assert_true(res_number(&t.rows[0], RC_RUNTIME_COST_US) == 0);
    assert_string_equal(t.header[RC_RUNTIME_COST_US], "runtime_cost_us");
    csv_table_free(&t);

    *strstr(old_header, ",loadgen_cpus") = '\0'; /* too short: not ours */
    snprintf(text, sizeof(text), "%s\n", old_header);
    write_text(text);
    assert_int_equal(res_read(file, &t, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":1: not a showdown results CSV"));
    write_text("run_id,started_at,git_rev,host,cpu_model,cores,scenario,model,engine,processes,"
               "threads,gil,path,connections,target_rate,duration_s,repeat,requests,rpm,"
               "bytes_per_s,err_connect,err_read,err_write,err_timeout,err_status,"
               "lat_mean_us,lat_p50_us,lat_p90_us,lat_p99_us,lat_p999_us,lat_max_us,"
               "server_cpu_user_s,server_cpu_sys_s,server_rss_max_kb,server_threads_max,"
               "loadgen_cpu_s,server_cpus,loadgen_cpus\n");
    assert_int_equal(res_read(file, &t, err, sizeof(err)), -1);
}

static void test_results_read_checks_numbers_and_gives_metrics(void **state) {
    struct csv_table t;
    char err[512], text[2048];
    (void)state;
    snprintf(text, sizeof(text), "%s\n%s", res_header(), row);
    write_text(text);
    assert_int_equal(res_read(file, &t, err, sizeof(err)), 0);
    assert_true(res_metric(&t.rows[0], EX_RPS) == 1000.5);
    assert_true(res_metric(&t.rows[0], EX_ERRORS) == 2 + 3 + 4 + 5 + 6);
    assert_true(res_metric(&t.rows[0], EX_CPU_S) == 2.0);
    assert_true(res_metric(&t.rows[0], EX_P99) == 10);
    assert_true(res_metric(&t.rows[0], EX_RSS_KB) == 2048);
    assert_true(res_metric(&t.rows[0], EX_THREADS) == 3);
    /* Per unit of work: 2 CPU-s over 3,000 requests, 2,048 kB over 256
     * connections, a start-up of 0.25 s. */
    assert_true(fabs(res_metric(&t.rows[0], EX_CPU_PER_1K) - 2.0 / 3) < 1e-9);
    assert_true(res_metric(&t.rows[0], EX_RSS_PER_1K_CONNS) == 8000);
    assert_true(res_metric(&t.rows[0], EX_START_MS) == 250);
    csv_table_free(&t);

    char *bad = strdup(row);
    memcpy(strstr(bad, "1000.5"), "lots!!", 6);
    snprintf(text, sizeof(text), "%s\n%s%s", res_header(), row, bad);
    free(bad);
    write_text(text);
    assert_int_equal(res_read(file, &t, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":3: rps: 'lots!!' is not a number"));
}

static int setup(void **state) {
    (void)state;
    int fd = mkstemp(file);
    return fd < 0 ? -1 : close(fd);
}

static int teardown(void **state) {
    (void)state;
    return unlink(file);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_quotes_only_when_needed),
        cmocka_unit_test(test_split_round_trips_quoted_fields),
        cmocka_unit_test(test_split_reports_the_bad_column),
        cmocka_unit_test(test_read_names_file_and_line),
        cmocka_unit_test(test_results_header_is_the_contract),
        cmocka_unit_test(test_results_read_checks_numbers_and_gives_metrics),
        cmocka_unit_test(test_results_read_takes_an_earlier_showdowns_csv),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
