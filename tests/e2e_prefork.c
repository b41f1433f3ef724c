/*
 * e2e_prefork.c — the pre-fork models' arbiter (Gunicorn's, Node's cluster
 * primary): a killed worker is replaced, HUP replaces every worker on the
 * same socket, and a worker whose heartbeat stops is killed after
 * --timeout. Each test starts its own bin/server --port 0 for the model in
 * $SHOWDOWN_MODEL on 127.0.0.1 and skips on a model without workers; run by
 * `make e2e` once per model in MODELS.
 */
#include "../common/clock.h"
#include "e2e_client.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

/* The worker pids of an arbiter, from /proc. */
static unsigned children_of(pid_t pid, pid_t *out, unsigned max) {
    char path[64], text[1024] = "";
    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
    FILE *in = fopen(path, "r");
    unsigned n = 0;
    if (!in)
        return 0;
    if (!fgets(text, sizeof(text), in))
        text[0] = '\0';
    fclose(in);
    for (char *p = text, *end; n < max; p = end) {
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        out[n++] = (pid_t)v;
    }
    return n;
}

/* Waits up to ms for the arbiter to have `want` workers, none in `old`. */
static bool wait_for_workers(pid_t arbiter, unsigned want, const pid_t *old, unsigned old_n,
                             unsigned ms, pid_t *now, unsigned *now_n) {
    for (unsigned waited = 0; waited <= ms; waited += 20) {
        *now_n = children_of(arbiter, now, 16);
        bool fresh = *now_n == want;
        for (unsigned i = 0; fresh && i < *now_n; i++)
            for (unsigned j = 0; j < old_n; j++)
                fresh = fresh && now[i] != old[j];
        if (fresh)
            return true;
        e2e_sleep_ms(20);
    }
    return false;
}

/* Starts the model with two workers and lists them in before (16 slots);
 * skips the test (cmocka's skip() does not return) on a model without. */
static void start_two_workers(pid_t *before) {
    static const char *const args[] = {"--workers", "2", NULL};
    if (!e2e_is_prefork(e2e_model()))
        skip();
    assert_int_equal(e2e_server_start(&e2e_own, args), 0);
    assert_int_equal(children_of(e2e_own.pid, before, 16), 2);
}

static void test_prefork_killed_worker_is_replaced_within_a_second(void **state) {
    pid_t before[16], after[16];
    unsigned n_after;
    (void)state;
    start_two_workers(before);
    assert_int_equal(kill(before[0], SIGKILL), 0);
    /* A respawn is the arbiter's wait for SIGCHLD and a fork: wall time,
     * 20 ms seen (e2e_shapes); 1 s is fifty times that for a busy machine,
     * and an arbiter that does not replace workers never gets there. */
    assert_true(wait_for_workers(e2e_own.pid, 2, before, 1, 1000, after, &n_after));
    for (int i = 0; i < 10; i++)
        e2e_expect_get(e2e_own.port, "/hello", 200, "Hello, World!");
    assert_int_equal(e2e_server_stop(&e2e_own, SIGTERM, E2E_TIMEOUT_MS), 0);
    /* No worker outlives the arbiter, none is left a zombie. */
    for (unsigned i = 0; i < n_after; i++)
        assert_true(kill(after[i], 0) < 0);
}

static void test_prefork_hup_replaces_every_worker(void **state) {
    pid_t before[16], after[16];
    unsigned n_after;
    (void)state;
    start_two_workers(before);
    assert_int_equal(kill(e2e_own.pid, SIGHUP), 0);
    /* Both replaced, each after the old one's graceful stop: a deadline in
     * wall time, three times the single respawn's, which an arbiter that
     * ignores SIGHUP never meets. */
    assert_true(wait_for_workers(e2e_own.pid, 2, before, 2, 3000, after, &n_after));
    e2e_expect_get(e2e_own.port, "/hello", 200, "Hello, World!"); /* the same socket */
    assert_int_equal(e2e_server_stop(&e2e_own, SIGTERM, E2E_TIMEOUT_MS), 0);
}

/* A worker whose loop is stuck in one long request stops its heartbeat:
 * after --timeout the arbiter kills it and starts another (Gunicorn's
 * WORKER TIMEOUT). Pool workers keep beating from their poller. */
static void test_prefork_silent_worker_is_killed(void **state) {
    static const char *const args[] = {"--workers", "1", "--timeout", "1s", NULL};
    pid_t before[16], after[16];
    unsigned n_before, n_after;
    struct e2e_conn *conn;
    struct e2e_response resp;
    (void)state;
    if (!e2e_is_prefork(e2e_model()) || strcmp(e2e_model(), "gunicorn-gthread") == 0) {
        skip();
        return;
    }
    assert_int_equal(e2e_server_start(&e2e_own, args), 0);
    n_before = children_of(e2e_own.pid, before, 16);
    assert_int_equal(n_before, 1);
    conn = e2e_conn_new(e2e_own.port);
    uint64_t start = clock_now_us();
    e2e_send_request(conn, "GET /cpu?us=8000000 HTTP/1.1\r\n\r\n");
    /* The connection dies with the worker, long before the 8 s of work. */
    assert_true(e2e_read_response(conn, &resp, false, E2E_TIMEOUT_MS) < 0);
    uint64_t took = clock_now_us() - start;
    /* A timeout must fire, and not early: wall time. Gunicorn's arbiter
     * checks its workers about once a second, so a silent worker goes 1 to
     * 2 s after --timeout 1s: never under 0.9 s (a killer that does not
     * wait for the timeout), and 5 s is room for a busy machine while the
     * 8 s of work (a worker never killed) is beyond it. */
    if (took < 900000 || took > 5000000)
        fail_msg("the stuck worker went after %llu us; expected about 1-3 s",
                 (unsigned long long)took);
    e2e_conn_free(conn);
    assert_true(wait_for_workers(e2e_own.pid, 1, before, 1, 2000, after, &n_after));
    e2e_expect_get(e2e_own.port, "/hello", 200, "Hello, World!");
    assert_int_equal(e2e_server_stop(&e2e_own, SIGTERM, E2E_TIMEOUT_MS), 0);
}

#define BURST        2000
#define SYN_RETRY_US 1000000 /* Linux's TCP_TIMEOUT_INIT: a dropped SYN is sent again after 1 s */

struct burst {
    int fds[BURST];
    unsigned connected, failed, retried;
};

/* Starts BURST non-blocking connects at once and waits (up to 5 s) for each
 * to finish, counting the failed ones and those slow enough to have needed
 * a SYN retry (the accept queue was full). */
static void connect_burst(unsigned port, struct burst *b) {
    static struct pollfd pfds[BURST];
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    uint64_t start = clock_now_us();
    unsigned open = 0;
    for (unsigned i = 0; i < BURST; i++) {
        b->fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        assert_true(b->fds[i] >= 0);
        if (connect(b->fds[i], (struct sockaddr *)&addr, sizeof(addr)) == 0)
            b->connected++;
        else if (errno == EINPROGRESS)
            pfds[open++] = (struct pollfd){.fd = b->fds[i], .events = POLLOUT};
        else
            b->failed++;
    }
    while (open > 0 && clock_now_us() - start < 5000000) {
        if (poll(pfds, open, 100) < 0 && errno != EINTR)
            break;
        uint64_t took = clock_now_us() - start;
        for (unsigned i = 0; i < open;) {
            if (!pfds[i].revents) {
                i++;
                continue;
            }
            int err = 0;
            socklen_t len = sizeof(err);
            getsockopt(pfds[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
            b->connected += err == 0;
            b->failed += err != 0;
            b->retried += err == 0 && took >= SYN_RETRY_US;
            pfds[i] = pfds[--open];
        }
    }
    b->failed += open;
}

/* Node's cluster primary accepts every connection and queues it until a
 * worker is free (round_robin_handle.js, distribute/handoff), so a burst
 * beyond the 511 backlog while the only worker is stuck in CPU work still
 * connects at once: no connection fails and none needs a SYN retry (a
 * primary that stops accepting leaves 1,489 of them to the kernel's 1 s
 * retry). Then the queued connections are served once the worker is free. */
static void test_prefork_cluster_primary_accepts_a_burst_while_workers_are_busy(void **state) {
    static const char *const args[] = {"--workers", "1", NULL};
    static struct burst b;
    struct e2e_conn *busy;
    (void)state;
    if (strcmp(e2e_model(), "node-cluster") != 0) {
        skip();
        return;
    }
    memset(&b, 0, sizeof(b));
    assert_int_equal(e2e_server_start(&e2e_own, args), 0);
    busy = e2e_conn_new(e2e_own.port);
    e2e_send_request(busy, "GET /cpu?us=1500000 HTTP/1.1\r\n\r\n");
    e2e_sleep_ms(200); /* the worker has taken it and is in its CPU work */
    connect_burst(e2e_own.port, &b);
    printf("burst of %d beside a busy worker: %u connected, %u failed, %u after a SYN retry\n",
           BURST, b.connected, b.failed, b.retried);
    assert_int_equal(b.failed, 0);
    assert_int_equal(b.retried, 0);
    assert_int_equal(b.connected, BURST);
    e2e_expect_status(busy, 200);
    e2e_conn_free(busy);
    for (unsigned i = 0; i < BURST; i++)
        close(b.fds[i]);
    e2e_expect_get(e2e_own.port, "/hello", 200, "Hello, World!");
    assert_int_equal(e2e_server_stop(&e2e_own, SIGTERM, E2E_TIMEOUT_MS), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_prefork_killed_worker_is_replaced_within_a_second,
                                  e2e_own_stop),
        cmocka_unit_test_teardown(test_prefork_hup_replaces_every_worker, e2e_own_stop),
        cmocka_unit_test_teardown(test_prefork_silent_worker_is_killed, e2e_own_stop),
        cmocka_unit_test_teardown(
            test_prefork_cluster_primary_accepts_a_burst_while_workers_are_busy, e2e_own_stop),
    };
    return cmocka_run_group_tests_name("pre-fork arbiter", tests, NULL, NULL) != 0;
}
