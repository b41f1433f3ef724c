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
 * arb_run's loop is those steps in that order: arb_wait, arb_hand_over
 * (node-cluster's round-robin), arb_reap_workers, arb_manage_workers (a
 * spawn that failed is tried again), then arb_is_stopped, arb_stop,
 * arb_reload or arb_murder_workers.
 */
#define _GNU_SOURCE /* accept4 */
#include "arbiter.h"
#include "../common/clock.h"
#include "listen.h"
#include "server.h"
#include "stats.h"

#include <assert.h>
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

/* The arbiter's state; one per process, as the signal handlers reach it
 * only through got_term, got_hup and wake_pipe. */
struct arbiter {
    const struct server_config *config;
    struct server_config shared; /* config with the board: what each worker is given */
    struct stats_board board;    /* a slot per worker: pid, requests, heartbeat */
    int listen_fd;               /* -1 once reuseport workers have sockets of their own */
    unsigned count;              /* workers in a generation (--workers) */
    unsigned slots;              /* room for two generations, for a HUP */
    unsigned generation;         /* the current one; each SIGHUP starts the next */
    unsigned next_worker;        /* round-robin: where the search for a free one starts */
    /* round-robin: accepted connections no worker has taken yet, oldest at
     * head (a ring; Node's RoundRobinHandle `this.handles`). */
    int *pending;
    unsigned pending_head, pending_count, pending_cap;
    bool is_stopping;
    uint64_t stop_deadline; /* then SIGKILL */
    struct arb_worker workers[MAX_WORKERS];
};

static int wake_pipe[2] = {-1, -1};
static volatile sig_atomic_t got_term, got_hup;

static void arb_on_signal(int signum) {
    char byte = 0;
    if (signum == SIGTERM || signum == SIGINT)
        got_term = signum;
    else if (signum == SIGHUP)
        got_hup = 1;
    if (write(wake_pipe[1], &byte, 1) < 0) {
        /* the pipe is full: a wake-up is pending anyway */
    }
}

static void arb_on_abort(int signum) {
    (void)signum;
    _exit(1); /* Gunicorn's worker handle_abort(): sys.exit(1) */
}

/* ---- a worker's life: spawn, exit ---- */

/* In the child: it dies with the arbiter (Gunicorn's workers exit when
 * their parent changes), default signals, then the engine. ipc_fd is the
 * worker's end of its round-robin socketpair, arb_fd the arbiter's (or -1). */
static _Noreturn void arb_become_worker(const struct server_config *config, int listen_fd,
                                        struct stats_slot *stats, unsigned index, int ipc_fd,
                                        int arb_fd) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1)
        _exit(0);
    struct sigaction dfl = {.sa_handler = SIG_DFL}, abort_action = {.sa_handler = arb_on_abort};
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
    worker.ipc_fd = ipc_fd;
    if (arb_fd >= 0)
        close(arb_fd);
    _exit(config->model->run(&worker, listen_fd));
}

/* Gunicorn's spawn_worker(): forks a worker of the current generation into
 * slot i. Returns 0, or -1 (said on stderr, with the reason) if fork or
 * socketpair failed: the slot then holds no worker (pid 0), never -1, which
 * kill() would read as every process; arb_manage_workers tries again. */
static int arb_spawn(struct arbiter *arb, unsigned i) {
    struct arb_worker *slot = &arb->workers[i];
    struct stats_slot *stats = &arb->board.slots[i];
    sigset_t all, old;
    int pair[2] = {-1, -1};

    slot->generation = arb->generation;
    slot->is_aborted = false;
    atomic_store(&stats->heartbeat_us, clock_now_us());
    atomic_store(&stats->requests, 0);
    slot->ipc_fd = -1;
    slot->is_free = false;
    slot->pid = 0;
    atomic_store(&stats->pid, 0);
    if (arb->config->is_round_robin &&
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
        fprintf(stderr, "server: arbiter: cannot start worker %u: socketpair: %s\n", i,
                strerror(errno));
        return -1;
    }
    /* No signal may reach the child while it still has the arbiter's
     * handlers: it would be lost. The child unblocks once it has its own. */
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t pid = fork();
    int fork_errno = errno;
    if (pid == 0)
        arb_become_worker(&arb->shared, arb->listen_fd, stats, i, pair[1], pair[0]);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (pair[1] >= 0)
        close(pair[1]);
    if (pid < 0) {
        if (pair[0] >= 0)
            close(pair[0]);
        fprintf(stderr, "server: arbiter: cannot start worker %u: fork: %s\n", i,
                strerror(fork_errno));
        return -1;
    }
    atomic_store(&stats->pid, pid);
    slot->ipc_fd = pair[0];
    slot->is_free = pair[0] >= 0;
    slot->pid = pid;
    return 0;
}

/* Every signal to a worker goes through here: a slot's pid is 0 when it
 * holds no worker, and kill(0) or kill(-1) would reach far more. */
static void arb_signal(const struct arb_worker *worker, int sig) {
    assert(worker->pid > 0);
    kill(worker->pid, sig);
}

static void arb_describe_exit(pid_t pid, int status, char *buf, size_t len) {
    if (WIFEXITED(status))
        snprintf(buf, len, "worker %d exited with status %d", (int)pid, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "worker %d was killed by signal %d (%s)", (int)pid, WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "worker %d stopped", (int)pid);
}

static unsigned arb_live_workers(const struct arbiter *arb) {
    unsigned n = 0;
    for (unsigned i = 0; i < arb->slots; i++)
        n += arb->workers[i].pid != 0;
    return n;
}

/* Gunicorn's kill_workers(): sig to every live worker, of any generation. */
static void arb_kill_workers(const struct arbiter *arb, int sig) {
    for (unsigned i = 0; i < arb->slots; i++) {
        if (arb->workers[i].pid)
            arb_signal(&arb->workers[i], sig);
    }
}

/* ---- round-robin handover (node-cluster --balance rr) ---- */

/* Hands one accepted connection to a worker over its socketpair. */
static int arb_send_fd(int channel, int fd) {
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
static void arb_channel_close(struct arb_worker *worker) {
    if (worker->ipc_fd >= 0)
        close(worker->ipc_fd);
    worker->ipc_fd = -1;
    worker->is_free = false;
}

/* The first free worker from slot next on, or arb->slots if none is. */
static unsigned arb_next_free(const struct arbiter *arb, unsigned next) {
    for (unsigned k = 0; k < arb->slots; k++) {
        unsigned i = (next + k) % arb->slots;
        const struct arb_worker *worker = &arb->workers[i];
        if (worker->pid > 0 && worker->ipc_fd >= 0 && worker->is_free)
            return i;
    }
    return arb->slots;
}

/* Reads the workers' acknowledgements: a byte makes a worker free again;
 * end of file or an error closes its channel. */
static void arb_read_acks(struct arbiter *arb) {
    char acks[64];
    for (unsigned i = 0; i < arb->slots; i++) {
        struct arb_worker *worker = &arb->workers[i];
        if (worker->pid <= 0 || worker->ipc_fd < 0)
            continue;
        ssize_t got = recv(worker->ipc_fd, acks, sizeof(acks), MSG_DONTWAIT);
        if (got > 0)
            worker->is_free = true; /* acknowledged */
        else if (got == 0 || (errno != EAGAIN && errno != EINTR))
            arb_channel_close(worker);
    }
}

/* Queues an accepted connection at the tail, growing the ring when full;
 * returns -1 (the caller closes fd) only if memory runs out. */
static int arb_pending_push(struct arbiter *arb, int fd) {
    if (arb->pending_count == arb->pending_cap) {
        unsigned cap = arb->pending_cap ? 2 * arb->pending_cap : 64;
        int *ring = malloc(cap * sizeof(*ring));
        if (!ring)
            return -1;
        for (unsigned k = 0; k < arb->pending_count; k++)
            ring[k] = arb->pending[(arb->pending_head + k) % arb->pending_cap];
        free(arb->pending);
        arb->pending = ring;
        arb->pending_cap = cap;
        arb->pending_head = 0;
    }
    arb->pending[(arb->pending_head + arb->pending_count) % arb->pending_cap] = fd;
    arb->pending_count++;
    return 0;
}

/* The oldest queued connection; the queue must not be empty. */
static int arb_pending_shift(struct arbiter *arb) {
    assert(arb->pending_count > 0);
    int fd = arb->pending[arb->pending_head];
    arb->pending_head = (arb->pending_head + 1) % arb->pending_cap;
    arb->pending_count--;
    return fd;
}

/* Closes every queued connection (stopping, as RoundRobinHandle.remove()
 * closes its handles once no worker is left). */
static void arb_pending_close(struct arbiter *arb) {
    while (arb->pending_count > 0)
        close(arb_pending_shift(arb));
    free(arb->pending);
    arb->pending = NULL;
    arb->pending_cap = arb->pending_head = 0;
}

/*
 * Node's round-robin scheduler (lib/internal/cluster/round_robin_handle.js):
 * the primary accepts every connection, busy workers or not, and queues it
 * (distribute(): this.handles.push); each free worker is handed the oldest
 * (handoff(): this.handles.shift), and is free again once it has
 * acknowledged it. So a burst waits in the primary, never in the listen
 * backlog: no SYN is dropped while the workers are busy. A handover that
 * fails (the worker has just died) goes to the next free worker, as Node's
 * handle keeps a connection its worker could not take.
 */
static void arb_hand_over(struct arbiter *arb) {
    arb_read_acks(arb);
    for (;;) {
        int fd = listen_accept(arb->listen_fd, SOCK_CLOEXEC);
        if (fd < 0)
            break;
        if (arb_pending_push(arb, fd) < 0)
            close(fd);
    }
    while (arb->pending_count > 0) {
        unsigned chosen = arb_next_free(arb, arb->next_worker);
        if (chosen == arb->slots)
            return; /* everyone busy: the connections wait in the primary's queue */
        int fd = arb_pending_shift(arb);
        while (chosen < arb->slots && arb_send_fd(arb->workers[chosen].ipc_fd, fd) < 0) {
            arb_channel_close(&arb->workers[chosen]);
            chosen = arb_next_free(arb, chosen + 1);
        }
        if (chosen < arb->slots) {
            arb->workers[chosen].is_free = false;
            arb->next_worker = (chosen + 1) % arb->slots;
        }
        close(fd); /* the worker has its own copy; with none left, the client sees a close */
    }
}

/* ---- the steps of the loop ---- */

/* Sleeps until a signal, a connection to hand over or a worker's
 * acknowledgement (round-robin), or for a second at most. */
static void arb_wait(const struct arbiter *arb) {
    struct pollfd pfds[2 + MAX_WORKERS];
    unsigned n = 0;
    pfds[n++] = (struct pollfd){.fd = wake_pipe[0], .events = POLLIN};
    if (arb->config->is_round_robin && !arb->is_stopping) {
        /* Always: the primary accepts while every worker is busy. */
        pfds[n++] = (struct pollfd){.fd = arb->listen_fd, .events = POLLIN};
        for (unsigned i = 0; i < arb->slots; i++) {
            if (arb->workers[i].pid > 0 && arb->workers[i].ipc_fd >= 0)
                pfds[n++] = (struct pollfd){.fd = arb->workers[i].ipc_fd, .events = POLLIN};
        }
    }
    poll(pfds, n, 1000); /* Gunicorn's arbiter wakes at least once a second */
    char drain[64];
    while (read(wake_pipe[0], drain, sizeof(drain)) > 0)
        ;
}

/* Gunicorn's reap_workers(), then manage_workers()'s replacement: every
 * dead child is collected, so no zombie is left, and a worker of the
 * current generation is replaced at once, with why it died on stderr.
 * While stopping, or for a generation a HUP replaced, the slot stays free. */
static void arb_reap_workers(struct arbiter *arb) {
    char message[160];
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (unsigned i = 0; i < arb->slots; i++) {
            struct arb_worker *worker = &arb->workers[i];
            if (worker->pid != pid)
                continue;
            worker->pid = 0;
            atomic_store(&arb->board.slots[i].pid, 0);
            arb_channel_close(worker);
            if (arb->is_stopping || worker->generation != arb->generation)
                break;
            arb_describe_exit(pid, status, message, sizeof(message));
            if (arb_spawn(arb, i) == 0)
                fprintf(stderr, "server: %s; started worker %d\n", message, (int)worker->pid);
            else
                fprintf(stderr, "server: %s; no replacement yet (tried again at each wake-up)\n",
                        message);
            break;
        }
    }
}

/* Gunicorn's manage_workers(): while the current generation has fewer than
 * --workers live workers (a spawn failed: fork or socketpair, at the start,
 * on a replacement or a HUP), start them in free slots, one wake-up after
 * another until the spawns succeed. */
static void arb_manage_workers(struct arbiter *arb) {
    unsigned live = 0;
    for (unsigned i = 0; i < arb->slots; i++)
        live += arb->workers[i].pid && arb->workers[i].generation == arb->generation;
    for (unsigned i = 0; i < arb->slots && live < arb->count; i++) {
        if (arb->workers[i].pid)
            continue;
        if (arb_spawn(arb, i) < 0)
            return;
        fprintf(stderr, "server: arbiter: started worker %d\n", (int)arb->workers[i].pid);
        live++;
    }
}

/* Gunicorn's murder_workers(): a worker of the current generation whose
 * heartbeat is older than --timeout gets SIGABRT (it exits 1), and SIGKILL
 * at each wake-up from a second later until it is reaped. */
static void arb_murder_workers(struct arbiter *arb, uint64_t now) {
    uint64_t timeout_us = arb->config->worker_timeout_ms * 1000;
    for (unsigned i = 0; i < arb->slots; i++) {
        struct arb_worker *worker = &arb->workers[i];
        if (!worker->pid || worker->generation != arb->generation)
            continue;
        uint64_t beat = atomic_load(&arb->board.slots[i].heartbeat_us);
        if (!worker->is_aborted && beat < now && now - beat > timeout_us) {
            fprintf(stderr, "server: worker %d silent for %llu ms (--timeout), SIGABRT\n",
                    (int)worker->pid, (unsigned long long)((now - beat) / 1000));
            arb_signal(worker, SIGABRT);
            worker->is_aborted = true;
            worker->aborted_at_us = now;
        } else if (worker->is_aborted && now - worker->aborted_at_us > KILL_AFTER_ABORT_US) {
            arb_signal(worker, SIGKILL);
        }
    }
}

/* SIGTERM/SIGINT, as Gunicorn's stop(): every worker gets SIGTERM and has
 * --graceful-timeout to finish what it has (arb_is_stopped). */
static void arb_stop(struct arbiter *arb, uint64_t now) {
    fprintf(stderr, "server: arbiter: %s, stopping %u workers\n",
            got_term == SIGINT ? "SIGINT" : "SIGTERM", arb_live_workers(arb));
    arb->is_stopping = true;
    arb->stop_deadline = now + arb->config->graceful_timeout_ms * 1000;
    arb_pending_close(arb);
    arb_kill_workers(arb, SIGTERM);
}

/* While stopping: true once every worker is gone. Past --graceful-timeout
 * the rest get SIGKILL, once. */
static bool arb_is_stopped(struct arbiter *arb, uint64_t now) {
    if (arb_live_workers(arb) == 0)
        return true;
    if (now >= arb->stop_deadline) {
        arb_kill_workers(arb, SIGKILL);
        arb->stop_deadline = UINT64_MAX;
    }
    return false;
}

/* SIGHUP, as Gunicorn's reload(): a fresh generation of --workers in the
 * free slots first, then SIGTERM to the older ones; the listening socket
 * never closes. */
static void arb_reload(struct arbiter *arb) {
    arb->generation++;
    fprintf(stderr, "server: arbiter: SIGHUP, replacing the workers\n");
    unsigned started = 0;
    for (unsigned i = 0; i < arb->slots && started < arb->count; i++) {
        if (arb->workers[i].pid)
            continue;
        arb_spawn(arb, i);
        started++;
    }
    for (unsigned i = 0; i < arb->slots; i++) {
        if (arb->workers[i].pid && arb->workers[i].generation != arb->generation)
            arb_signal(&arb->workers[i], SIGTERM);
    }
}

/* ---- start ---- */

/* --balance reuseport: every worker has its own socket in the port's group.
 * Once they all beat (their loops run), the arbiter's socket leaves the
 * group, or the connections the kernel hashed to it would wait forever. */
static void arb_leave_reuseport_group(struct arbiter *arb) {
    uint64_t spawned = clock_now_us(), deadline = spawned + 5000000;
    for (unsigned ready = 0; ready < arb->count && clock_now_us() < deadline;) {
        ready = 0;
        for (unsigned i = 0; i < arb->count; i++)
            ready += atomic_load(&arb->board.slots[i].heartbeat_us) > spawned;
        struct timespec tick = {0, 5000000};
        nanosleep(&tick, NULL);
    }
    close(arb->listen_fd);
    arb->listen_fd = -1;
}

/* Gunicorn's start() and first manage_workers(): the workers' board, the
 * wake-up pipe, the signal handlers, the first generation, then the
 * announcement. Returns 0, or the exit status to leave with. */
static int arb_start(struct arbiter *arb, const struct server_config *config, int listen_fd) {
    unsigned count = config->workers;
    if (count == 0 || count > MAX_WORKERS / 2) {
        fprintf(stderr, "server: --workers must be 1..%d\n", MAX_WORKERS / 2);
        return 2;
    }
    memset(arb, 0, sizeof(*arb));
    arb->config = config;
    arb->listen_fd = listen_fd;
    arb->count = count;
    arb->slots = count * 2 <= MAX_WORKERS ? count * 2 : MAX_WORKERS; /* room for a HUP */
    if (stats_board_create(&arb->board, arb->slots) < 0 || pipe(wake_pipe) < 0) {
        fprintf(stderr, "server: arbiter: %s\n", strerror(errno));
        return 1;
    }
    fcntl(wake_pipe[0], F_SETFL, O_NONBLOCK);
    fcntl(wake_pipe[1], F_SETFL, O_NONBLOCK);
    fcntl(wake_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(wake_pipe[1], F_SETFD, FD_CLOEXEC);
    struct sigaction action = {.sa_handler = arb_on_signal, .sa_flags = SA_RESTART};
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    sigaction(SIGCHLD, &action, NULL);

    arb->shared = *config;
    arb->shared.board = &arb->board;
    for (unsigned i = 0; i < MAX_WORKERS; i++)
        arb->workers[i].ipc_fd = -1;
    for (unsigned i = 0; i < count; i++)
        arb_spawn(arb, i);
    if (config->is_reuseport)
        arb_leave_reuseport_group(arb);
    fprintf(stderr, "server: arbiter %d: %u workers of %s, worker timeout %llus\n", (int)getpid(),
            count, config->model->name, (unsigned long long)(config->worker_timeout_ms / 1000));
    server_ready(config); /* the arbiter is no worker: it announces */
    if (config->is_round_robin)
        fcntl(arb->listen_fd, F_SETFL, fcntl(arb->listen_fd, F_GETFL) | O_NONBLOCK);
    return 0;
}

int arb_run(const struct server_config *config, int listen_fd) {
    struct arbiter arb;
    int status = arb_start(&arb, config, listen_fd);
    if (status != 0)
        return status;
    for (;;) {
        arb_wait(&arb);
        if (config->is_round_robin && !arb.is_stopping)
            arb_hand_over(&arb);
        arb_reap_workers(&arb);
        if (!arb.is_stopping)
            arb_manage_workers(&arb);
        uint64_t now = clock_now_us();
        if (arb.is_stopping) {
            if (arb_is_stopped(&arb, now))
                break;
        } else if (got_term) {
            arb_stop(&arb, now);
        } else if (got_hup) {
            got_hup = 0;
            arb_reload(&arb);
        } else {
            arb_murder_workers(&arb, now);
        }
    }
    stats_board_destroy(&arb.board);
    close(wake_pipe[0]);
    close(wake_pipe[1]);
    fprintf(stderr, "server: arbiter: stopped\n");
    return 0;
}
