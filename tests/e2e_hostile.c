/*
 * e2e_hostile.c — every request of tests/hostile/NN-name.req against a real
 * bin/server --model $SHOWDOWN_MODEL on 127.0.0.1: each must get one of the
 * answers its file allows (or a close), never more answers than it allows
 * (no answer to a smuggled request), the connection must close after an
 * error, and the server must go on serving GET /hello — and exit 0 on
 * SIGTERM at the end, so nothing crashed, hung or leaked a worker.
 *
 * A case file: "# expect: 400 431 close" (statuses allowed; close: no answer
 * at all is fine too; any: no check), "# responses: N" (at most N answers),
 * "# after: shutdown" (close our side after sending) or "no-read" (keep
 * writing for 2 s and never read). Other lines are the bytes, line breaks
 * dropped, with escapes \r \n \t \0 \\ \xHH and {{N*text}} for text N times.
 */
#define _GNU_SOURCE
#include "../common/clock.h"
#include "e2e_client.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CASE_DIR_DEFAULT "tests/hostile"

struct hostile_case {
    char name[256];
    char expect[128];
    unsigned responses;
    char after[32];
    char *bytes;
    size_t len, cap;
};

static void append(struct hostile_case *c, const char *data, size_t len) {
    if (len == 0)
        return;
    if (c->len + len > c->cap) {
        c->cap = (c->len + len) * 2;
        c->bytes = realloc(c->bytes, c->cap);
        if (!c->bytes)
            abort();
    }
    memcpy(c->bytes + c->len, data, len);
    c->len += len;
}

/* Decodes escapes in [s, end) into c. */
static void decode(struct hostile_case *c, const char *s, const char *end) {
    while (s < end) {
        if (s + 1 < end && s[0] == '{' && s[1] == '{') {
            char *star;
            unsigned long n = strtoul(s + 2, &star, 10);
            const char *close = strstr(star, "}}");
            if (*star != '*' || !close || close > end)
                abort();
            struct hostile_case one = {0};
            decode(&one, star + 1, close);
            for (unsigned long i = 0; i < n; i++)
                append(c, one.bytes, one.len);
            free(one.bytes);
            s = close + 2;
        } else if (*s == '\\' && s + 1 < end) {
            char ch = s[1];
            s += 2;
            switch (ch) {
            case 'r':
                ch = '\r';
                break;
            case 'n':
                ch = '\n';
                break;
            case 't':
                ch = '\t';
                break;
            case '0':
                ch = '\0';
                break;
            case 'x': {
                char hex[3] = {s[0], s[1], 0};
                ch = (char)strtoul(hex, NULL, 16);
                s += 2;
                break;
            }
            }
            append(c, &ch, 1);
        } else {
            append(c, s++, 1);
        }
    }
}

static int load_case(const char *dir, const char *file, struct hostile_case *c) {
    char path[4096], *line = NULL;
    size_t cap = 0;
    ssize_t n;
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    FILE *in = fopen(path, "r");
    if (!in)
        return -1;
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", file);
    c->responses = 1;
    while ((n = getline(&line, &cap, in)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n'))
            line[--n] = '\0';
        if (sscanf(line, "# expect: %127[^\n]", c->expect) == 1 ||
            sscanf(line, "# responses: %u", &c->responses) == 1 ||
            sscanf(line, "# after: %31s", c->after) == 1 || line[0] == '#')
            continue;
        decode(c, line, line + n);
    }
    free(line);
    fclose(in);
    return c->expect[0] ? 0 : -1;
}

static bool allows(const struct hostile_case *c, const char *word) {
    char copy[128], *save = NULL;
    snprintf(copy, sizeof(copy), "%s", c->expect);
    for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (!strcmp(tok, word))
            return true;
    }
    return false;
}

/* Writes what it can of the case for up to limit_ms; the server may close
 * on us half-way (431 on a 1 MiB head), which is fine. */
static void send_case(int fd, const struct hostile_case *c, int limit_ms, bool is_reading) {
    size_t sent = 0;
    uint64_t deadline = clock_now_us() / 1000 + (uint64_t)limit_ms;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    while (sent < c->len && clock_now_us() / 1000 < deadline) {
        struct pollfd pfd = {fd, POLLOUT, 0};
        if (poll(&pfd, 1, 50) <= 0)
            continue;
        ssize_t n = send(fd, c->bytes + sent, c->len - sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            break;
        if (n > 0)
            sent += (size_t)n;
        (void)is_reading;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
}

/* Runs one case; returns NULL or why it failed. */
static const char *run_case(unsigned port, const struct hostile_case *c, char *why, size_t len) {
    struct e2e_conn conn;
    if (!e2e_conn_open(&conn, port))
        return "cannot connect";
    bool is_no_read = !strcmp(c->after, "no-read");
    send_case(conn.fd, c, is_no_read ? 2000 : 5000, !is_no_read);
    if (is_no_read) {
        e2e_conn_close(&conn);
        return NULL;
    }
    if (!strcmp(c->after, "shutdown"))
        shutdown(conn.fd, SHUT_WR);
    unsigned answers = 0;
    int last_status = 0, rc;
    for (;;) {
        struct e2e_response resp;
        rc = e2e_read_response(&conn, &resp, false, 3000);
        if (rc != 0)
            break;
        answers++;
        last_status = resp.status;
        char status[16];
        snprintf(status, sizeof(status), "%d", resp.status);
        e2e_response_free(&resp);
        if (!allows(c, "any") && !allows(c, status)) {
            snprintf(why, len, "answered %s; expected %s", status, c->expect);
            e2e_conn_close(&conn);
            return why;
        }
        if (answers > c->responses && !allows(c, "any")) {
            snprintf(why, len, "%u answers, at most %u allowed (a smuggled request answered?)",
                     answers, c->responses);
            e2e_conn_close(&conn);
            return why;
        }
        if (answers == c->responses && last_status < 400)
            break; /* a good request: the connection may stay open */
    }
    e2e_conn_close(&conn);
    if (allows(c, "any"))
        return NULL;
    if (answers == 0 && !allows(c, "close")) {
        snprintf(why, len, "no answer (%s); expected %s",
                 rc == -3   ? "still open after 3 s"
                 : rc == -2 ? "unparsable bytes"
                            : "closed",
                 c->expect);
        return why;
    }
    if (answers == 0 && rc == -3) {
        snprintf(why, len, "no answer and still open after 3 s; expected %s", c->expect);
        return why;
    }
    bool is_fatal = last_status == 400 || last_status == 408 || last_status == 413 ||
                    last_status == 414 || last_status == 431 || last_status >= 500;
    if (is_fatal && rc == -3) {
        snprintf(why, len, "answered %d but kept the connection open", last_status);
        return why;
    }
    return NULL;
}

static int by_name(const struct dirent **a, const struct dirent **b) {
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_case(const struct dirent *e) {
    size_t n = strlen(e->d_name);
    return n > 4 && !strcmp(e->d_name + n - 4, ".req");
}

/* --dump DIR: every case's bytes as a file of their own (the fuzzer's seeds). */
static int dump(const char *dir, struct dirent **files, int n, const char *out_dir) {
    for (int i = 0; i < n; i++) {
        struct hostile_case c;
        char path[4096];
        if (load_case(dir, files[i]->d_name, &c) < 0)
            return 1;
        snprintf(path, sizeof(path), "%s/%s", out_dir, files[i]->d_name);
        FILE *out = fopen(path, "w");
        if (!out || fwrite("\x07", 1, 1, out) != 1 || fwrite(c.bytes, 1, c.len, out) != c.len) {
            fprintf(stderr, "e2e_hostile: %s: cannot write\n", path);
            return 1;
        }
        fclose(out);
        free(c.bytes);
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *dir = getenv("SHOWDOWN_HOSTILE") ? getenv("SHOWDOWN_HOSTILE") : CASE_DIR_DEFAULT;
    struct dirent **files;
    struct e2e_server server;
    int n = scandir(dir, &files, is_case, by_name), failed = 0;
    char why[512];

    signal(SIGPIPE, SIG_IGN);
    if (n <= 0) {
        fprintf(stderr, "e2e_hostile: no *.req in %s\n", dir);
        return 1;
    }
    if (argc == 3 && !strcmp(argv[1], "--dump"))
        return dump(dir, files, n, argv[2]);
    /* A half request waits for a header timeout: 3 s, checked every 100 ms
     * on the node models (Node's own check comes every 30 s). */
    if (e2e_server_start(&server, (const char *const[]){"--headers-timeout", "3s",
                                                        "--connections-checking-interval", "100ms",
                                                        NULL}) < 0)
        return 1;
    for (int i = 0; i < n; i++) {
        struct hostile_case c;
        const char *fault = NULL;
        if (load_case(dir, files[i]->d_name, &c) < 0)
            fault = "unreadable case file (no '# expect:')";
        else
            fault = run_case(server.port, &c, why, sizeof(why));
        struct e2e_response resp;
        if (!fault && e2e_get(server.port, "/hello", &resp) == 0) {
            if (resp.status != 200)
                fault = "GET /hello afterwards did not get 200";
            e2e_response_free(&resp);
        } else if (!fault) {
            fault = "GET /hello afterwards got no answer: the server stopped serving";
        }
        printf("[ %s ] %s --model %s%s%s\n", fault ? " FAILED " : "   OK   ", files[i]->d_name,
               e2e_model(), fault ? ": " : "", fault ? fault : "");
        failed += fault != NULL;
        free(c.bytes);
        free(files[i]);
    }
    free(files);
    int status = e2e_server_stop(&server, SIGTERM, 10000);
    if (status != 0) {
        printf("[  FAILED  ] --model %s: exit status %d after SIGTERM (expected 0)\n", e2e_model(),
               status);
        failed++;
    }
    printf("e2e_hostile --model %s: %d cases, %d failed\n", e2e_model(), n, failed);
    return failed ? 1 : 0;
}
