/*
 * arbiter.c — pre-fork process supervision after gunicorn/arbiter.py,
 * wrapping any engine:
 *  - the socket is bound before forking (main.c); N workers each run the
 *    model's engine on it;
 *  - the arbiter wakes at least once a second (and on every signal): it
 *    reaps dead workers and starts replacements at once, logging why they
 *    died, so no zombie is left;
 *  - heartbeat: each worker's engine stamps a slot of shared memory from
 *    its loop (Gunicorn touches a temp file); a worker silent for more than
 *    --timeout (default 30 s, Gunicorn's) — one busy in a single long
 *    request, say — gets SIGABRT, then SIGKILL a second later;
 *  - SIGTERM/SIGINT: every worker gets SIGTERM and finishes what it has;
 *    after --graceful-timeout the rest get SIGKILL;
 *  - SIGHUP: a fresh set of workers is started, then the old ones get
 *    SIGTERM; the listening socket never closes.
 */
#define _GNU_SOURCE /* accept4 */
#include "../common/clock.h"
#include "listen.h"
#include "server.h"
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS         1024
#define KILL_AFTER_ABORT_US 1000000

struct arb_worker {
    pid_t pid;    /* 0: slot free */
    int ipc_fd;   /* round-robin: our end of the worker's socketpair, or -1 */
    bool is_free; /* round-robin: has acknowledged its last connection */
    unsigned generation;
    bool is_aborted;
    uint64_t aborted_at_us;
};

static int wake_pipe[2] = {-1, -1};
static volatile sig_atomic_t got_term, got_hup;

static void on_signal(int signum) {
    char byte = 0;
    if (signum == SIGTERM || signum == SIGINT)
        got_term = signum;
    else if (signum == SIGHUP)
        got_hup = 1;
    if (write(wake_pipe[1], &byte, 1) < 0) {
        /* the pipe is full: a wake-up is pending anyway */
    }
}

static void on_abort(int signum) {
    (void)signum;
    _exit(1); /* Gunicorn's worker handle_abort(): sys.exit(1) */
}

static pid_t spawn(const struct server_config *config, int listen_fd, struct stats_slot *stats,
                   unsigned index, struct arb_worker *slot) {
    sigset_t all, old;
    int pair[2] = {-1, -1};
    atomic_store(&stats->heartbeat_us, clock_now_us());
    atomic_store(&stats->requests, 0);
    slot->ipc_fd = -1;
    slot->is_free = false;
    if (config->is_round_robin && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
        fprintf(stderr, "server: arbiter: socketpair: %s\n", strerror(errno));
        return -1;
    }
    /* No signal may reach the child while it still has the arbiter's
     * handlers: it would be lost. The child unblocks once it has its own. */
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t pid = fork();
    if (pid != 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        atomic_store(&stats->pid, pid > 0 ? pid : 0);
        if (pair[1] >= 0) {
            close(pair[1]);
            slot->ipc_fd = pair[0];
            slot->is_free = pid > 0;
            if (pid < 0)
                close(pair[0]), slot->ipc_fd = -1;
        }
        return pid;
    }

    /* The worker: it dies with the arbiter (Gunicorn's workers exit when
     * their parent changes), default signals, then the engine. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1)
        _exit(0);
    struct sigaction dfl = {.sa_handler = SIG_DFL}, abort_action = {.sa_handler = on_abort};
    sigset_t none;
    close(wake_pipe[0]);
    close(wake_pipe[1]);
    sigaction(SIGHUP, &dfl, NULL);
    sigaction(SIGCHLD, &dfl, NULL);
    sigaction(SIGTERM, &dfl, NULL);
    sigaction(SIGINT, &dfl, NULL);
    sigaction(SIGABRT, &abort_action, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* --balance reuseport: a socket of its own on the same port; the kernel
     * spreads connections across the group by hash. */
    if (config->is_reuseport) {
        char err[160];
        unsigned bound;
        int own =
            listen_tcp(config->host, config->port, config->backlog, true, &bound, err, sizeof(err));
        if (own < 0) {
            fprintf(stderr, "server: worker %u: %s\n", index, err);
            _exit(1);
        }
        if (listen_fd >= 0)
            close(listen_fd);
        listen_fd = own;
    }
    struct server_config worker = *config;
    worker.is_worker = true;
    worker.worker_index = index;
    worker.ready_fd = -1;
    atomic_store(&stats->pid, getpid());
    worker.ipc_fd = pair[1];
    if (pair[0] >= 0)
        close(pair[0]);
    _exit(config->model->run(&worker, listen_fd));
}

static void describe_exit(pid_t pid, int status, char *buf, size_t len) {
    if (WIFEXITED(status))
        snprintf(buf, len, "worker %d exited with status %d", (int)pid, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "worker %d was killed by signal %d (%s)", (int)pid, WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "worker %d stopped", (int)pid);
}

/* Hands one accepted connection to a worker over its socketpair. */
static int send_fd(int channel, int fd) {
    char byte = 'c';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.bytes,
                         .msg_controllen = sizeof(control.bytes)};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    return sendmsg(channel, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* A worker's channel closed (it died): no connection goes to it any more,
 * even before the arbiter reaps it. Node's primary does the same on the
 * worker's 'disconnect'. */
static void channel_close(struct arb_worker *worker) {
    if (worker->ipc_fd >= 0)
        close(worker->ipc_fd);
    worker->ipc_fd = -1;
    worker->is_free = false;
}

static unsigned next_free_worker(const struct arb_worker *workers, unsigned slots, unsigned next) {
    for (unsigned k = 0; k < slots; k++) {
        unsigned i = (next + k) % slots;
        if (workers[i].pid > 0 && workers[i].ipc_fd >= 0 && workers[i].is_free)
            return i;
    }
    return slots;
}

/*
 * Node's round-robin scheduler (lib/internal/cluster/round_robin_handle.js):
 * the primary accepts and hands each connection to the next free worker; a
 * worker is free again once it has acknowledged the last one. A handover
 * that fails (the worker has just died) goes to the next free worker, as
 * Node's handle keeps a connection its worker could not take.
 */
static void round_robin(struct arb_worker *workers, unsigned slots, int listen_fd, unsigned *next) {
    for (;;) {
        unsigned chosen = next_free_worker(workers, slots, *next);
        if (chosen == slots)
            return; /* everyone busy: the connection waits in the backlog */
        int fd = listen_accept(listen_fd, SOCK_CLOEXEC);
        if (fd < 0)
            return;
        while (chosen < slots && send_fd(workers[chosen].ipc_fd, fd) < 0) {
            channel_close(&workers[chosen]);
            chosen = next_free_worker(workers, slots, chosen + 1);
        }
        if (chosen < slots) {
            workers[chosen].is_free = false;
            *next = (chosen + 1) % slots;
        }
        close(fd); /* the worker has its own copy; with none left, the client sees a close */
    }
}

static unsigned live_workers(const struct arb_worker *workers, unsigned slots) {
    unsigned n = 0;
    for (unsigned i = 0; i < slots; i++)
        n += workers[i].pid != 0;
    return n;
}

int arbiter_run(const struct server_config *config, int listen_fd) {
    unsigned count = config->workers;
    unsigned slots = count * 2 <= MAX_WORKERS ? count * 2 : MAX_WORKERS; /* room for a HUP */
    struct arb_worker workers[MAX_WORKERS];
    struct stats_board board;
    unsigned generation = 0;
    bool is_stopping = false;
    uint64_t stop_deadline = 0;
    char message[160];

    if (count == 0 || count > MAX_WORKERS / 2) {
        fprintf(stderr, "server: --workers must be 1..%d\n", MAX_WORKERS / 2);
        return 2;
    }
    if (stats_board_create(&board, slots) < 0 || pipe(wake_pipe) < 0) {
        fprintf(stderr, "server: arbiter: %s\n", strerror(errno));
        return 1;
    }
    fcntl(wake_pipe[0], F_SETFL, O_NONBLOCK);
    fcntl(wake_pipe[1], F_SETFL, O_NONBLOCK);
    fcntl(wake_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(wake_pipe[1], F_SETFD, FD_CLOEXEC);
    struct sigaction action = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    sigaction(SIGCHLD, &action, NULL);

    struct server_config shared = *config;
    shared.board = &board;
    memset(workers, 0, sizeof(workers));
    for (unsigned i = 0; i < MAX_WORKERS; i++)
        workers[i].ipc_fd = -1;
    for (unsigned i = 0; i < count; i++) {
        workers[i].pid = spawn(&shared, listen_fd, &board.slots[i], i, &workers[i]);
        workers[i].generation = generation;
    }
    if (config->is_reuseport) {
        /* Every worker has its own socket in the port's group: once they all
         * beat (their loops run), the arbiter's socket leaves the group, or
         * the connections the kernel hashed to it would wait forever. */
        uint64_t spawned = clock_now_us(), deadline = spawned + 5000000;
        for (unsigned ready = 0; ready < count && clock_now_us() < deadline;) {
            ready = 0;
            for (unsigned i = 0; i < count; i++)
                ready += atomic_load(&board.slots[i].heartbeat_us) > spawned;
            struct timespec tick = {0, 5000000};
            nanosleep(&tick, NULL);
        }
        close(listen_fd);
        listen_fd = -1;
    }
    fprintf(stderr, "server: arbiter %d: %u workers of %s, worker timeout %llus\n", (int)getpid(),
            count, config->model->name, (unsigned long long)(config->worker_timeout_ms / 1000));
    server_ready(config); /* the arbiter is no worker: it announces */

    unsigned next_worker = 0;
    if (config->is_round_robin)
        fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
    for (;;) {
        struct pollfd pfds[2 + MAX_WORKERS];
        unsigned n = 0;
        pfds[n++] = (struct pollfd){.fd = wake_pipe[0], .events = POLLIN};
        if (config->is_round_robin && !is_stopping) {
            /* With every worker busy the connection waits in the backlog:
             * a readable listener nobody accepts from must not wake us. */
            bool has_free = false;
            for (unsigned i = 0; i < slots; i++)
                has_free |= workers[i].pid > 0 && workers[i].ipc_fd >= 0 && workers[i].is_free;
            if (has_free)
                pfds[n++] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
            for (unsigned i = 0; i < slots; i++) {
                if (workers[i].pid > 0 && workers[i].ipc_fd >= 0)
                    pfds[n++] = (struct pollfd){.fd = workers[i].ipc_fd, .events = POLLIN};
            }
        }
        poll(pfds, n, 1000); /* Gunicorn's arbiter wakes at least once a second */
        char drain[64];
        while (read(wake_pipe[0], drain, sizeof(drain)) > 0)
            ;
        if (config->is_round_robin && !is_stopping) {
            for (unsigned i = 0; i < slots; i++) {
                if (workers[i].pid <= 0 || workers[i].ipc_fd < 0)
                    continue;
                ssize_t got = recv(workers[i].ipc_fd, drain, sizeof(drain), MSG_DONTWAIT);
                if (got > 0)
                    workers[i].is_free = true; /* acknowledged */
                else if (got == 0 || (errno != EAGAIN && errno != EINTR))
                    channel_close(&workers[i]);
            }
            round_robin(workers, slots, listen_fd, &next_worker);
        }

        /* Reap, and replace the dead of the current generation. */
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            for (unsigned i = 0; i < slots; i++) {
                if (workers[i].pid != pid)
                    continue;
                workers[i].pid = 0;
                atomic_store(&board.slots[i].pid, 0);
                channel_close(&workers[i]);
                if (is_stopping || workers[i].generation != generation)
                    break;
                describe_exit(pid, status, message, sizeof(message));
                workers[i].pid = spawn(&shared, listen_fd, &board.slots[i], i, &workers[i]);
                workers[i].is_aborted = false;
                fprintf(stderr, "server: %s; started worker %d\n", message, (int)workers[i].pid);
                break;
            }
        }

        uint64_t now = clock_now_us();
        if (is_stopping) {
            if (live_workers(workers, slots) == 0)
                break;
            if (now >= stop_deadline) {
                for (unsigned i = 0; i < slots; i++) {
                    if (workers[i].pid)
                        kill(workers[i].pid, SIGKILL);
                }
                stop_deadline = UINT64_MAX;
            }
            continue;
        }
        if (got_term) {
            fprintf(stderr, "server: arbiter: %s, stopping %u workers\n",
                    got_term == SIGINT ? "SIGINT" : "SIGTERM", live_workers(workers, slots));
            is_stopping = true;
            stop_deadline = now + config->graceful_timeout_ms * 1000;
            for (unsigned i = 0; i < slots; i++) {
                if (workers[i].pid)
                    kill(workers[i].pid, SIGTERM);
            }
            continue;
        }
        if (got_hup) {
            got_hup = 0;
            generation++;
            fprintf(stderr, "server: arbiter: SIGHUP, replacing the workers\n");
            unsigned started = 0;
            for (unsigned i = 0; i < slots && started < count; i++) {
                if (workers[i].pid)
                    continue;
                workers[i].pid = spawn(&shared, listen_fd, &board.slots[i], i, &workers[i]);
                workers[i].generation = generation;
                workers[i].is_aborted = false;
                started++;
            }
            for (unsigned i = 0; i < slots; i++) {
                if (workers[i].pid && workers[i].generation != generation)
                    kill(workers[i].pid, SIGTERM);
            }
            continue;
        }
        /* Silent workers: SIGABRT, then SIGKILL. */
        for (unsigned i = 0; i < slots; i++) {
            struct arb_worker *worker = &workers[i];
            if (!worker->pid || worker->generation != generation)
                continue;
            uint64_t beat = atomic_load(&board.slots[i].heartbeat_us);
            if (!worker->is_aborted && beat < now &&
                now - beat > config->worker_timeout_ms * 1000) {
                fprintf(stderr, "server: worker %d silent for %llu ms (--timeout), SIGABRT\n",
                        (int)worker->pid, (unsigned long long)((now - beat) / 1000));
                kill(worker->pid, SIGABRT);
                worker->is_aborted = true;
                worker->aborted_at_us = now;
            } else if (worker->is_aborted && now - worker->aborted_at_us > KILL_AFTER_ABORT_US) {
                kill(worker->pid, SIGKILL);
            }
        }
    }
    stats_board_destroy(&board);
    close(wake_pipe[0]);
    close(wake_pipe[1]);
    fprintf(stderr, "server: arbiter: stopped\n");
    return 0;
}
