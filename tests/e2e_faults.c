/*
 * e2e_faults.c — a server at its limits, for the model in $SHOWDOWN_MODEL:
 * out of file descriptors (it sheds connections instead of spinning or
 * dying, and recovers when they close).
 */
#include "e2e_client.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#define FD_LIMIT    64
#define CONNECTIONS 200

static struct e2e_server own;

static int stop_own(void **state) {
    (void)state;
    if (own.pid > 0)
        e2e_server_stop(&own, SIGKILL, 5000);
    return 0;
}

/* utime + stime of pid and its children's live processes is more than we
 * need: the server's own process is where a spinning accept loop shows. */
static double cpu_seconds(pid_t pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    size_t n = fread(buf, 1, sizeof(buf) - 1, in);
    fclose(in);
    buf[n] = '\0';
    unsigned long long utime = 0, stime = 0;
    char *s = strrchr(buf, ')');
    assert_non_null(s);
    assert_int_equal(
        sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime), 2);
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static void test_out_of_descriptors_sheds_and_recovers(void **state) {
    struct rlimit saved, low;
    int fds[CONNECTIONS];
    unsigned answered = 0, shed = 0;
    (void)state;

    /* The server inherits a limit of 64 descriptors; the test keeps its own. */
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    low = saved;
    low.rlim_cur = FD_LIMIT;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    int rc = e2e_server_start(&own, NULL);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    assert_int_equal(rc, 0);

    for (int i = 0; i < CONNECTIONS; i++) {
        fds[i] = e2e_connect(own.port);
        assert_true(fds[i] >= 0); /* the kernel completes the handshake: the backlog */
    }
    e2e_sleep_ms(300);
    double cpu_before = cpu_seconds(own.pid);
    e2e_sleep_ms(1000);
    double spent = cpu_seconds(own.pid) - cpu_before;
    /* Over the limit with connections waiting: a listener that spins on
     * EMFILE burns a whole core here. */
    print_message("      --model %s: %.2f s of CPU in 1 s while out of descriptors\n", e2e_model(),
                  spent);
    assert_true(spent < 0.3);

    static const char req[] = "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    for (int i = 0; i < CONNECTIONS; i++) {
        char answer[32] = "";
        struct timeval tv = {0, 300000};
        setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (e2e_send(fds[i], req, sizeof(req) - 1) &&
            read(fds[i], answer, sizeof(answer) - 1) > 0 && !strncmp(answer, "HTTP/1.1 200", 12))
            answered++;
        else
            shed++;
        close(fds[i]);
    }
    print_message("      --model %s: %u of %d connections answered, %u shed or refused\n",
                  e2e_model(), answered, CONNECTIONS, shed);
    assert_true(answered > 0);
    assert_true(shed > 0);

    /* Recovered: every descriptor is back, the server answers again. */
    e2e_sleep_ms(500);
    for (int i = 0; i < 20; i++) {
        struct e2e_response resp;
        assert_int_equal(e2e_get(own.port, "/hello", &resp), 0);
        assert_int_equal(resp.status, 200);
        e2e_response_free(&resp);
    }
    assert_int_equal(e2e_server_stop(&own, SIGTERM, 10000), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_out_of_descriptors_sheds_and_recovers, stop_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
