/*
 * test_work.c — servers/work.c: /work's loop gives the peers' result for
 * the same N (the values come from peer.py's work(), computed apart), /hash
 * the SHA-256 that sha256sum gives for the pattern's first N KiB, and the
 * GIL is met as CPython meets it: checkpoints inside the loop, the lock
 * released once around a digest of 2048 bytes or more, held for a smaller.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "servers/handlers.h"
#include "servers/work.h"

struct gil_log {
    unsigned checkpoints, releases, retakes;
    bool is_released;
};

static void on_checkpoint(void *arg) {
    struct gil_log *log = arg;
    assert_false(log->is_released); /* the loop is "Python": it holds the lock */
    log->checkpoints++;
}

static void on_release(void *arg) {
    struct gil_log *log = arg;
    assert_false(log->is_released);
    log->is_released = true;
    log->releases++;
}

static void on_retake(void *arg) {
    struct gil_log *log = arg;
    assert_true(log->is_released);
    log->is_released = false;
    log->retakes++;
}

/* Routes target and performs it (log: under a GIL that records what it is
 * asked); the result is NUL-terminated. */
static struct reply_plan perform(const char *target, struct gil_log *log) {
    struct reply_plan plan;
    struct work_gil gil = {on_checkpoint, on_release, on_retake, log};
    handler_route(target, strlen(target), &plan);
    assert_int_equal(work_perform(&plan, log ? &gil : NULL), 0);
    plan.result[plan.body_len] = '\0';
    return plan;
}

static void test_work_gives_the_peers_result_for_the_same_iterations(void **state) {
    static const struct {
        const char *target, *body;
    } cases[] = {
        {"/work?n=0", "2654435769"},    {"/work?n=1", "1730617483"},
        {"/work?n=10", "2419022333"},   {"/work?n=4096", "3488374026"},
        {"/work?n=4097", "3859495786"}, {"/work?n=1000000", "3526090145"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct reply_plan plan = perform(cases[i].target, NULL);
        assert_int_equal(plan.status, 200);
        assert_string_equal(plan.result, cases[i].body);
        size_t len;
        assert_memory_equal(handler_body_at(&plan, 0, &len), cases[i].body, strlen(cases[i].body));
    }
}

static void test_hash_is_the_sha256_of_the_pattern(void **state) {
    (void)state;
    /* printf 'abc...z' repeated | head -c N*1024 | sha256sum */
    assert_string_equal(perform("/hash?kb=0", NULL).result,
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_string_equal(perform("/hash?kb=1", NULL).result,
                        "dba4a6315b76548b7a4dd079ef6aa29a7b34fa8b92c11668473441715c5f0af5");
    assert_string_equal(perform("/hash?kb=64", NULL).result,
                        "62b3a2ef06cf977623a5936a8fa653e3caecbf69b5f393ebdfe5022affc5331f");
    assert_int_equal(perform("/hash?kb=64", NULL).body_len, 64);
}

static void test_the_loop_checks_the_gil_and_never_releases_it(void **state) {
    struct gil_log log = {0};
    (void)state;
    perform("/work?n=40960", &log);
    assert_int_equal(log.checkpoints, 40960 / CPUWORK_FIXED_CHECK - 1);
    assert_int_equal(log.releases, 0);
}

static void test_a_digest_of_2048_bytes_or_more_runs_with_the_gil_released(void **state) {
    struct gil_log log = {0};
    (void)state;
    perform("/hash?kb=1", &log); /* 1024 bytes: under HASHLIB_GIL_MINSIZE, held */
    assert_int_equal(log.releases, 0);
    perform("/hash?kb=2", &log);
    assert_int_equal(log.releases, 1);
    assert_int_equal(log.retakes, 1);
    perform("/hash?kb=1000", &log);
    assert_int_equal(log.releases, 2); /* once, however many chunks */
    assert_int_equal(log.retakes, 2);
    assert_int_equal(log.checkpoints, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_work_gives_the_peers_result_for_the_same_iterations),
        cmocka_unit_test(test_hash_is_the_sha256_of_the_pattern),
        cmocka_unit_test(test_the_loop_checks_the_gil_and_never_releases_it),
        cmocka_unit_test(test_a_digest_of_2048_bytes_or_more_runs_with_the_gil_released),
    };
    handlers_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
