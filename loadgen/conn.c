/*
 * conn.c — the connection state machine and each thread's loop
 * (docs/DESIGN.md, "Data path: loadgen"), after
 * wrk's wrk.c: one libevent event_base per thread (precise timers, which
 * the open-loop schedule needs), sockets driven by hand rather than through
 * bufferevents, the request bytes formatted once and written again and
 * again, responses read into the thread's one buffer and parsed by llhttp.
 * Nothing is allocated per request.
 *
 *   CLOSED -> CONNECTING -> (WAITING) -> WRITING -> READING -> WAITING ...
 *
 * Closed loop: the next request goes out as soon as the answer is complete.
 * Open loop: it goes out when due (schedule.c); latency counts from the due
 * time, so time a stalled server makes requests wait is not omitted.
 */
#include "../common/clock.h"
#include "../common/rng.h"
#include "loadgen.h"

#include <errno.h>
#include <event2/event.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static llhttp_settings_t parser_settings;
static pthread_once_t parser_settings_once = PTHREAD_ONCE_INIT;

static int on_message_complete(llhttp_t *parser) {
    struct lg_conn *conn = parser->data;
    conn->is_done = true;
    return HPE_PAUSED; /* one response at a time: the caller takes it from here */
}

static void parser_settings_init(void) {
    llhttp_settings_init(&parser_settings);
    parser_settings.on_message_complete = on_message_complete;
}

static uint64_t thread_now(const struct lg_thread *thread) {
    return clock_now_ns() - thread->start_ns;
}

static bool is_measured(const struct lg_thread *thread, uint64_t at) {
    return at >= thread->record_from_ns && at < thread->end_ns;
}

/* The path of conn's next request: drawn by weight, or with --streams the
 * one that its connection number g falls on when the weights are counts of
 * connections (g modulo the total: more connections start the list again). */
static unsigned pick_path(struct lg_conn *conn) {
    const struct lg_config *config = conn->thread->config;
    if (config->path_count == 1)
        return 0;
    unsigned r = config->is_streams
                     ? conn->g % config->total_weight
                     : (unsigned)(rng_splitmix64(&conn->thread->rng) % config->total_weight);
    for (unsigned i = 0; i < config->path_count; i++) {
        if (r < config->paths[i].weight)
            return i;
        r -= config->paths[i].weight;
    }
    return config->path_count - 1;
}

static struct lg_counters *path_counters(struct lg_conn *conn) {
    return &conn->thread->now->paths[conn->path].counters;
}

/* A request's latency into its path's histograms, in µs: corrected from
 * its due time, uncorrected from its send (not when it was never sent). */
static void record_latency(struct lg_thread *thread, unsigned path, uint64_t now, uint64_t due_ns,
                           const uint64_t *sent_ns) {
    struct lg_stats *stats = &thread->now->paths[path];
    hist_record(&stats->corrected, (now - (due_ns < now ? due_ns : now)) / 1000);
    if (sent_ns)
        hist_record(&stats->uncorrected, (now - *sent_ns) / 1000);
}

static bool is_open_loop(const struct lg_config *config) {
    return config->schedule.count > 0;
}

/* When request k of conn is due: the schedule's formula for its place in the run. */
static uint64_t due_of(const struct lg_conn *conn, uint64_t k) {
    const struct lg_config *config = conn->thread->config;
    return lg_due_ns(&config->schedule, lg_request_index(config->segment, config->segments,
                                                         config->connections, conn->g, k));
}

static void add_timer_ns(struct event *event, uint64_t ns) {
    struct timeval tv = {(time_t)(ns / 1000000000u), (suseconds_t)(ns % 1000000000u / 1000)};
    evtimer_add(event, &tv);
}

/* libevent measures a timeout from the time it cached when this loop
 * iteration began, so refresh it first, or the timer fires early. */
static void timer_in(struct lg_conn *conn, uint64_t ns) {
    event_base_update_cache_time(conn->thread->base);
    add_timer_ns(conn->timer_event, ns);
}

static void conn_close_socket(struct lg_conn *conn) {
    if (conn->fd < 0)
        return;
    event_del(conn->read_event);
    event_del(conn->write_event);
    close(conn->fd);
    conn->fd = -1;
    conn->state = LG_CLOSED;
}

static void conn_begin(struct lg_conn *conn, uint64_t now);

/*
 * Schedules the connection's next request: now in closed loop, at its due
 * time in open loop. defer: go through the loop even when it is due now,
 * so that an error path never recurses.
 */
static void conn_next(struct lg_conn *conn, bool defer, uint64_t now) {
    struct lg_thread *thread = conn->thread;
    const struct lg_config *config = thread->config;

    conn->path = pick_path(conn);
    conn->due_ns = is_open_loop(config) ? due_of(conn, conn->k) : now;
    if (conn->fd >= 0)
        conn->state = LG_WAITING;
    if (conn->due_ns == UINT64_MAX)
        return; /* the schedule's rate fell to 0 for good */
    if (conn->due_ns > now)
        timer_in(conn, conn->due_ns - now);
    else if (defer)
        timer_in(conn, 0);
    else
        conn_begin(conn, now);
}

/* The connection is unusable (error or timeout): drop it and go on. */
static void conn_fail(struct lg_conn *conn) {
    conn_close_socket(conn);
    conn->free_ns = thread_now(conn->thread);
    conn_next(conn, true, conn->free_ns);
}

static void conn_write(struct lg_conn *conn) {
    const struct lg_path *path = &conn->thread->config->paths[conn->path];

    while (conn->written < path->request_len) {
        ssize_t n =
            write(conn->fd, path->request + conn->written, path->request_len - conn->written);
        if (n > 0) {
            conn->written += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            conn->state = LG_WRITING;
            event_add(conn->write_event, NULL);
            return;
        }
        if (is_measured(conn->thread, thread_now(conn->thread)))
            path_counters(conn)->err_write++;
        conn_fail(conn);
        return;
    }
    conn->state = LG_READING;
}

/* now: the caller's clock reading, taken just before (one per answer). */
static void conn_send(struct lg_conn *conn, uint64_t now) {
    struct lg_thread *thread = conn->thread;

    conn->sent_ns = now;
    conn->written = 0;
    conn->k++;
    if (is_measured(thread, conn->due_ns)) {
        struct lg_counters *counters = path_counters(conn);
        counters->sent++;
        if (is_open_loop(thread->config) && now > conn->due_ns + LG_LATE_NS) {
            /* Busy: the answer to the previous request (or the connect) came
             * after this one was due. Otherwise the loop itself was late. */
            if (conn->free_ns > conn->due_ns + LG_LATE_NS)
                counters->late_busy++;
            else
                counters->late_own++;
        }
    }
    conn_write(conn);
}

static void conn_on_read(evutil_socket_t fd, short what, void *arg);
static void conn_on_writable(evutil_socket_t fd, short what, void *arg);

static void conn_connected(struct lg_conn *conn) {
    struct lg_thread *thread = conn->thread;
    uint64_t now = thread_now(thread);

    event_assign(conn->read_event, thread->base, conn->fd, EV_READ | EV_PERSIST, conn_on_read,
                 conn);
    event_add(conn->read_event, NULL);
    llhttp_init(&conn->parser, HTTP_RESPONSE, &parser_settings);
    conn->parser.data = conn;
    conn->is_done = false;
    if (conn->is_connected && is_measured(thread, now))
        path_counters(conn)->reconnects++;
    conn->is_connected = true;
    conn->free_ns = now;
    conn_send(conn, now);
}

static void conn_connect_failed(struct lg_conn *conn, int error) {
    struct lg_thread *thread = conn->thread;

    conn_close_socket(conn);
    if (is_measured(thread, thread_now(thread))) {
        if (error == EADDRNOTAVAIL || error == EADDRINUSE)
            thread->now->conn_errors.err_addr_unavailable++;
        else
            thread->now->conn_errors.err_connect++;
    }
    thread->last_connect_errno = error;
    /* Retry the same request after a pause: its due time stays, so the
     * wait shows up in its latency. */
    timer_in(conn, LG_RETRY_NS);
}

static void conn_connect(struct lg_conn *conn) {
    struct lg_thread *thread = conn->thread;
    const struct lg_config *config = thread->config;
    int one = 1;

    conn->sent_ns = thread_now(thread); /* a connect, too, can time out */
    conn->fd = socket(config->address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (conn->fd < 0) {
        conn_connect_failed(conn, errno);
        return;
    }
    setsockopt(conn->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (config->source_count > 0) {
        struct sockaddr_in source = {.sin_family = AF_INET};
        source.sin_addr.s_addr =
            htonl(ntohl(config->source_first.s_addr) + conn->g % config->source_count);
        if (bind(conn->fd, (struct sockaddr *)&source, sizeof(source)) < 0) {
            conn_connect_failed(conn, errno);
            return;
        }
    }
    conn->state = LG_CONNECTING;
    if (connect(conn->fd, (const struct sockaddr *)&config->address, config->address_len) == 0) {
        conn_connected(conn);
        return;
    }
    if (errno != EINPROGRESS) {
        conn_connect_failed(conn, errno);
        return;
    }
    event_assign(conn->write_event, thread->base, conn->fd, EV_WRITE, conn_on_writable, conn);
    event_add(conn->write_event, NULL);
}

static void conn_begin(struct lg_conn *conn, uint64_t now) {
    if (conn->fd < 0)
        conn_connect(conn);
    else
        conn_send(conn, now);
}

static void conn_timer(evutil_socket_t fd, short what, void *arg) {
    struct lg_conn *conn = arg;
    uint64_t now = thread_now(conn->thread);
    (void)fd;
    (void)what;
    /* Never before its time: a request sent early would make the schedule,
     * and the latency measured from it, a lie. */
    if (conn->due_ns > now) {
        timer_in(conn, conn->due_ns - now);
        return;
    }
    conn_begin(conn, now);
}

static void conn_writable(evutil_socket_t fd, short what, void *arg) {
    struct lg_conn *conn = arg;
    (void)what;

    if (conn->state == LG_CONNECTING) {
        int error = 0;
        socklen_t len = sizeof(error);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
            error = errno;
        if (error)
            conn_connect_failed(conn, error);
        else
            conn_connected(conn);
    } else if (conn->state == LG_WRITING) {
        conn_write(conn);
    }
}

/* A complete response: record it and go on to the next request. */
static void conn_on_response(struct lg_conn *conn, uint64_t now) {
    struct lg_thread *thread = conn->thread;
    int status = conn->parser.status_code;
    bool keep_alive = llhttp_should_keep_alive(&conn->parser);

    conn->is_done = false;
    llhttp_resume(&conn->parser);
    atomic_fetch_add_explicit(&thread->completed, 1, memory_order_relaxed);
    /* Every answer completed inside the window counts, whenever it was sent:
     * counting by send time would drop the last `latency` worth of answers
     * and undercount a slow server's rate. */
    if (is_measured(thread, now)) {
        struct lg_counters *counters = path_counters(conn);
        counters->requests++;
        if (status < 200 || status >= 400)
            counters->err_status++;
        record_latency(thread, conn->path, now, conn->due_ns, &conn->sent_ns);
    }
    conn->free_ns = now;
    if (!keep_alive || thread->config->close)
        conn_close_socket(conn);
    conn_next(conn, false, now);
}

static void conn_read(evutil_socket_t fd, short what, void *arg) {
    struct lg_conn *conn = arg;
    struct lg_thread *thread = conn->thread;
    (void)what;

    for (;;) {
        ssize_t n = read(fd, thread->buf, sizeof(thread->buf));
        uint64_t now = thread_now(thread); /* the one clock reading of this answer */
        if (n > 0) {
            if (is_measured(thread, now))
                path_counters(conn)->bytes += (uint64_t)n;
            if (conn->state != LG_READING && conn->state != LG_WRITING) {
                /* An answer nobody asked for (a 408 on an idle connection, say). */
                if (is_measured(thread, now))
                    path_counters(conn)->err_read++;
                conn_close_socket(conn); /* the armed timer reconnects */
                return;
            }
            llhttp_errno_t err = llhttp_execute(&conn->parser, thread->buf, (size_t)n);
            if (conn->is_done) {
                conn_on_response(conn, now);
                return;
            }
            if (err != HPE_OK) {
                if (is_measured(thread, now))
                    path_counters(conn)->err_read++;
                conn_fail(conn);
                return;
            }
            if ((size_t)n < sizeof(thread->buf))
                return;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (conn->state != LG_READING && conn->state != LG_WRITING) {
            /* The server closed an idle keep-alive connection: not an error;
             * the next request reconnects. */
            conn_close_socket(conn);
            return;
        }
        /* A body delimited by the close ends here. */
        if (n == 0) /* on_message_complete's pause comes back as the result: is_done says */
            llhttp_finish(&conn->parser);
        if (n == 0 && conn->is_done) {
            conn_on_response(conn, now);
            return;
        }
        if (is_measured(thread, now))
            path_counters(conn)->err_read++;
        conn_fail(conn);
        return;
    }
}

/* Requests (and connects) without an answer after --timeout. */
static void thread_sweep(evutil_socket_t fd, short what, void *arg) {
    struct lg_thread *thread = arg;
    uint64_t now = thread_now(thread);
    (void)fd;
    (void)what;

    for (unsigned i = 0; i < thread->conn_count; i++) {
        struct lg_conn *conn = &thread->conns[i];
        bool in_flight =
            conn->state == LG_CONNECTING || conn->state == LG_WRITING || conn->state == LG_READING;
        if (!in_flight || now - conn->sent_ns < thread->config->timeout_ns)
            continue;
        if (is_measured(thread, now)) {
            /* A connect that timed out is tried again, its request still
             * due; a request given up is recorded at the time it was given
             * up, so the slowest requests stay in the percentiles. */
            if (conn->state == LG_CONNECTING) {
                thread->now->conn_errors.err_connect++;
            } else {
                path_counters(conn)->err_timeout++;
                record_latency(thread, conn->path, now, conn->due_ns, &conn->sent_ns);
            }
        }
        conn_fail(conn);
    }
}

/*
 * Open loop, at the end: the requests that fell due in the window but were
 * never sent (their connection still waited for an answer, or could not
 * connect) are recorded at (end - due), as if answered at the end, so a
 * server that stops answering cannot leave only its fast answers in the
 * histogram. A request in flight at the end is neither: it is left out.
 */
static void conn_record_unsent(struct lg_conn *conn) {
    struct lg_thread *thread = conn->thread;
    bool in_flight = conn->state == LG_WRITING || conn->state == LG_READING;

    /* conn->k requests are written: the k-th is the first never sent. */
    for (uint64_t k = conn->k;; k++) {
        uint64_t due = due_of(conn, k);
        if (due >= thread->end_ns)
            return;
        unsigned path = k == conn->k && !in_flight ? conn->path : pick_path(conn);
        if (due < thread->record_from_ns)
            continue;
        thread->now->paths[path].counters.unsent++;
        record_latency(thread, path, thread->end_ns, due, NULL);
    }
}

static void thread_stop(evutil_socket_t fd, short what, void *arg) {
    struct lg_thread *thread = arg;
    (void)fd;
    (void)what;
    for (unsigned i = 0; is_open_loop(thread->config) && i < thread->conn_count; i++)
        conn_record_unsent(&thread->conns[i]);
    event_base_loopbreak(thread->base);
}

/* The loop's callbacks, each with the thread's lock held (interval.c swaps
 * what the thread records into between callbacks, never during one). */
static void run_locked(struct lg_thread *thread, event_callback_fn fn, evutil_socket_t fd,
                       short what, void *arg) {
    pthread_mutex_lock(&thread->lock);
    fn(fd, what, arg);
    pthread_mutex_unlock(&thread->lock);
}

static void conn_on_timer(evutil_socket_t fd, short what, void *arg) {
    run_locked(((struct lg_conn *)arg)->thread, conn_timer, fd, what, arg);
}

static void conn_on_writable(evutil_socket_t fd, short what, void *arg) {
    run_locked(((struct lg_conn *)arg)->thread, conn_writable, fd, what, arg);
}

static void conn_on_read(evutil_socket_t fd, short what, void *arg) {
    run_locked(((struct lg_conn *)arg)->thread, conn_read, fd, what, arg);
}

static void thread_on_sweep(evutil_socket_t fd, short what, void *arg) {
    run_locked(arg, thread_sweep, fd, what, arg);
}

static void thread_on_stop(evutil_socket_t fd, short what, void *arg) {
    run_locked(arg, thread_stop, fd, what, arg);
}

static int thread_setup(struct lg_thread *thread) {
    struct event_config *event_config = event_config_new();

    if (!event_config)
        return -1;
    event_config_set_flag(event_config, EVENT_BASE_FLAG_PRECISE_TIMER);
    event_config_set_flag(event_config, EVENT_BASE_FLAG_NOLOCK);
    thread->base = event_base_new_with_config(event_config);
    event_config_free(event_config);
    if (!thread->base)
        return -1;
    for (unsigned i = 0; i < thread->conn_count; i++) {
        struct lg_conn *conn = &thread->conns[i];
        conn->thread = thread;
        conn->fd = -1;
        conn->state = LG_CLOSED;
        conn->read_event = event_new(thread->base, -1, 0, conn_on_read, conn);
        conn->write_event = event_new(thread->base, -1, 0, conn_on_writable, conn);
        conn->timer_event = evtimer_new(thread->base, conn_on_timer, conn);
        if (!conn->read_event || !conn->write_event || !conn->timer_event)
            return -1;
    }
    thread->stop_event = evtimer_new(thread->base, thread_on_stop, thread);
    thread->sweep_event = event_new(thread->base, -1, EV_PERSIST, thread_on_sweep, thread);
    if (!thread->stop_event || !thread->sweep_event)
        return -1;
    return 0;
}

static void thread_teardown(struct lg_thread *thread) {
    for (unsigned i = 0; i < thread->conn_count; i++) {
        struct lg_conn *conn = &thread->conns[i];
        conn_close_socket(conn);
        if (conn->read_event)
            event_free(conn->read_event);
        if (conn->write_event)
            event_free(conn->write_event);
        if (conn->timer_event)
            event_free(conn->timer_event);
    }
    if (thread->stop_event)
        event_free(thread->stop_event);
    if (thread->sweep_event)
        event_free(thread->sweep_event);
    if (thread->base)
        event_base_free(thread->base);
    thread->base = NULL;
}

void *lg_thread_run(void *arg) {
    struct lg_thread *thread = arg;
    const struct lg_config *config = thread->config;

    pthread_once(&parser_settings_once, parser_settings_init);
    if (thread_setup(thread) < 0) {
        snprintf(thread->error, sizeof(thread->error), "thread %u: cannot set up its loop",
                 thread->index);
        thread_teardown(thread);
        return NULL;
    }
    uint64_t now = thread_now(thread);
    uint64_t sweep_ns = config->timeout_ns / 10 < 100000000u ? config->timeout_ns / 10 : 100000000u;
    add_timer_ns(thread->stop_event, thread->end_ns > now ? thread->end_ns - now : 0);
    add_timer_ns(thread->sweep_event, sweep_ns);
    pthread_mutex_lock(&thread->lock);
    for (unsigned i = 0; i < thread->conn_count; i++)
        conn_next(&thread->conns[i], false, now);
    pthread_mutex_unlock(&thread->lock);
    event_base_dispatch(thread->base);
    thread_teardown(thread);
    return NULL;
}
