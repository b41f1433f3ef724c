/*
 * main.c — bin/loadgen: parse the command line, check the outputs can be
 * written before spending a run on them, start the threads, show progress,
 * merge what the threads measured, report.
 */
#include "../common/clock.h"
#include "loadgen.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static int usage_error(const char *message) {
    fprintf(stderr, "loadgen: %s\n", message);
    return 2;
}

/* Raises the open-file soft limit to the hard limit; -1 if still too low. */
static int raise_nofile(unsigned needed, char *err, size_t err_len) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) < 0)
        return 0;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur != RLIM_INFINITY && needed > limit.rlim_cur) {
        snprintf(err, err_len,
                 "-c: needs about %u open files, the limit is %llu (raise the hard limit: "
                 "ulimit -Hn, or /etc/security/limits.conf)",
                 needed, (unsigned long long)limit.rlim_cur);
        return -1;
    }
    return 0;
}

static int check_outputs(const struct lg_config *config, char *err, size_t err_len) {
    char path[4096];
    if (config->csv_path && lg_csv_check(config->csv_path, err, err_len) < 0)
        return -1;
    if (!config->hgrm_path)
        return 0;
    for (unsigned i = 0; i <= (config->is_mix ? config->path_count : 0); i++) {
        if (i == 0)
            snprintf(path, sizeof(path), "%s", config->hgrm_path);
        else
            lg_hgrm_path_for(config->hgrm_path, config->paths[i - 1].target, path, sizeof(path));
        char uncorrected[4200];
        lg_hgrm_uncorrected_path(path, uncorrected, sizeof(uncorrected));
        const char *taken = access(path, F_OK) == 0          ? path
                            : access(uncorrected, F_OK) == 0 ? uncorrected
                                                             : NULL;
        if (taken) {
            snprintf(err, err_len, "--hgrm %s: exists; results are never overwritten", taken);
            return -1;
        }
    }
    return 0;
}

static uint64_t completed_so_far(struct lg_thread *threads, unsigned count) {
    uint64_t total = 0;
    for (unsigned i = 0; i < count; i++)
        total += atomic_load_explicit(&threads[i].completed, memory_order_relaxed);
    return total;
}

static void sleep_until(clockid_t clock, uint64_t at_ns) {
    struct timespec ts = {(time_t)(at_ns / 1000000000u), (long)(at_ns % 1000000000u)};
    while (clock_nanosleep(clock, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* A run under way: what main.c keeps between its steps. */
struct run {
    struct lg_result *result;
    struct lg_thread *threads;
    uint64_t start_ns; /* CLOCK_MONOTONIC at the schedule's start */
    struct lg_timeline timeline;
    bool has_timeline;            /* --series or --hlog */
    struct lg_interval *tick;     /* scratch: one tick's figures, all threads */
    uint64_t tick_from_ns;        /* when the tick being measured began */
    uint64_t last_count, last_at; /* for the progress line and Req/Sec */
};

/* Takes the threads' figures of the tick that ends at to_ns into the run's
 * totals and the timeline. A timeline that cannot be written says so once
 * and stops; the run goes on. */
static void take_tick(struct run *run, uint64_t to_ns, bool is_last) {
    const struct lg_config *config = run->result->config;
    char err[LG_ERR_MAX + 4200];

    lg_interval_take(run->threads, config->threads, run->tick, config->path_count);
    lg_interval_merge(&run->result->whole, run->tick, config->path_count, &run->result->total);
    if (run->has_timeline && lg_timeline_add(&run->timeline, run->tick, run->tick_from_ns, to_ns,
                                             is_last, err, sizeof(err)) < 0) {
        fprintf(stderr, "loadgen: %s\n", err);
        run->has_timeline = false;
        run->result->timeline_failed = true;
    }
    lg_interval_reset(run->tick, config->path_count);
    run->tick_from_ns = to_ns;
}

/* Once a second: a sample for Req/Sec, and the progress line on a terminal. */
static void show_progress(struct run *run, uint64_t at, bool is_tty) {
    const struct lg_config *config = run->result->config;
    struct lg_result *result = run->result;
    uint64_t end = config->warmup_ns + config->duration_ns;
    uint64_t count = completed_so_far(run->threads, config->threads);
    double rate = (double)(count - run->last_count) / ((double)(at - run->last_at) / 1e9);

    if (run->last_at >= config->warmup_ns && at - run->last_at >= 500000000u &&
        result->rps_sample_count < sizeof(result->rps_samples) / sizeof(double))
        result->rps_samples[result->rps_sample_count++] = rate;
    if (is_tty)
        fprintf(stderr, "\r  %5.1fs / %.1fs  %10llu responses  %10.0f req/s%s  ", (double)at / 1e9,
                (double)end / 1e9, (unsigned long long)count, rate,
                at < config->warmup_ns ? " (warmup)" : "");
    run->last_count = count;
    run->last_at = at;
}

/* Until the end: each second the progress, each tick (--series, --hlog)
 * the threads' figures. */
static void watch(struct run *run) {
    const struct lg_config *config = run->result->config;
    uint64_t end = config->warmup_ns + config->duration_ns;
    uint64_t next_second = 1000000000u;
    uint64_t next_tick = config->tick_ns ? config->warmup_ns + config->tick_ns : UINT64_MAX;
    bool is_tty = isatty(STDERR_FILENO);

    for (;;) {
        uint64_t at = next_second < next_tick ? next_second : next_tick;
        if (at > end)
            at = end;
        sleep_until(CLOCK_MONOTONIC, run->start_ns + at);
        if (at == next_tick && at < end) {
            take_tick(run, at, false);
            next_tick += config->tick_ns;
        }
        if (at == next_second || at == end) {
            show_progress(run, at, is_tty);
            next_second += 1000000000u;
        }
        if (at >= end)
            break;
    }
    if (is_tty)
        fprintf(stderr, "\r%78s\r", "");
}

/* Seconds since the epoch, now. */
static double wall_now_s(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* --start-at: -1 with err when it has passed by more than LG_START_LATE_NS
 * (the slices would not start together). Checked before any file is made. */
static int check_start_at(const struct lg_config *config, char *err, size_t err_len) {
    double late_s = wall_now_s() - config->start_at;
    if (config->start_at > 0 && late_s * 1e9 > (double)LG_START_LATE_NS) {
        snprintf(err, err_len,
                 "--start-at %.3f: that was %.3f s ago (more than %.1f s late: the slices "
                 "would not start together; give a time in the future)",
                 config->start_at, late_s, (double)LG_START_LATE_NS / 1e9);
        return -1;
    }
    return 0;
}

/* Everything a run needs before it starts: the command line, outputs that
 * can be written, enough open files, the requests. 1 for --help/--version
 * (done), 0 to run, -1 with err filled. */
static int prepare(int argc, char **argv, struct lg_config *config, char *err, size_t err_len) {
    int rc = lg_parse_args(argc, argv, config, err, err_len);
    if (rc != 0)
        return rc;
    if (check_outputs(config, err, err_len) < 0 || check_start_at(config, err, err_len) < 0)
        return -1;
    if (raise_nofile(config->connections + config->threads * 8 + 64, err, err_len) < 0)
        return -1;
    if (lg_format_requests(config) < 0) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

/* Gives each thread its share of the connections and what it records into,
 * and starts it; -1 (said on stderr) when a thread cannot be started. */
static int start_threads(const struct lg_config *config, struct lg_thread *threads,
                         struct lg_conn *conns, uint64_t start_ns) {
    unsigned g = 0;
    for (unsigned i = 0; i < config->threads; i++) {
        struct lg_thread *thread = &threads[i];
        thread->index = i;
        thread->config = config;
        thread->conns = conns + g;
        thread->conn_count = lg_share(config->connections, config->threads, i);
        for (unsigned j = 0; j < thread->conn_count; j++)
            thread->conns[j].g = g + j;
        g += thread->conn_count;
        thread->start_ns = start_ns;
        thread->record_from_ns = config->warmup_ns;
        thread->end_ns = config->warmup_ns + config->duration_ns;
        thread->rng = config->seed * 0x9e3779b97f4a7c15ull + i;
        atomic_init(&thread->completed, 0);
        pthread_mutex_init(&thread->lock, NULL);
        thread->now = lg_interval_new(config->path_count);
        thread->spare = lg_interval_new(config->path_count);
        if (!thread->now || !thread->spare) {
            fprintf(stderr, "loadgen: out of memory\n");
            return -1;
        }
        if (pthread_create(&thread->id, NULL, lg_thread_run, thread) != 0) {
            fprintf(stderr, "loadgen: cannot start thread %u: %s\n", i, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Joins the threads and takes their last figures (the tick under way, and
 * in open loop the requests never sent) into the totals and the timeline;
 * the run's CPU time. *thread_failed when a thread reported an error
 * (said on stderr). */
static void merge_threads(struct run *run, bool *thread_failed) {
    struct lg_result *result = run->result;
    const struct lg_config *config = result->config;

    *thread_failed = false;
    for (unsigned i = 0; i < config->threads; i++) {
        struct lg_thread *thread = &run->threads[i];
        pthread_join(thread->id, NULL);
        if (thread->error[0]) {
            fprintf(stderr, "loadgen: %s\n", thread->error);
            *thread_failed = true;
        }
        if (thread->last_connect_errno)
            result->last_connect_errno = thread->last_connect_errno;
    }
    take_tick(run, config->warmup_ns + config->duration_ns, true);
    for (unsigned i = 0; i < config->threads; i++) {
        lg_interval_free(run->threads[i].now);
        lg_interval_free(run->threads[i].spare);
        pthread_mutex_destroy(&run->threads[i].lock);
    }
    result->elapsed_s = (double)config->duration_ns / 1e9;
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    result->cpu_s = (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 +
                    (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
}

/* The run itself: from the start (at --start-at) to the threads' last figures.
 * 0, or -1 with err having freed what it took (the tick, the timeline's
 * files); *thread_failed as merge_threads. */
static int run_load(struct run *run, struct lg_conn *conns, bool *thread_failed, char *err,
                    size_t err_len) {
    const struct lg_config *config = run->result->config;

    run->has_timeline = config->series_path || config->hlog_path;
    if (run->has_timeline && lg_timeline_open(&run->timeline, config, err, err_len) < 0)
        goto fail;
    run->tick = lg_interval_new(config->path_count);
    run->result->whole.paths = lg_stats_new(config->path_count);
    if (!run->tick || !run->result->whole.paths) {
        snprintf(err, err_len, "out of memory");
        goto fail;
    }
    lg_stats_init(&run->result->total);
    if (config->start_at > wall_now_s())
        sleep_until(CLOCK_REALTIME, (uint64_t)(config->start_at * 1e9));
    run->start_ns = clock_now_ns();
    double start_epoch_s = config->start_at > 0 ? config->start_at : wall_now_s();
    run->tick_from_ns = config->warmup_ns;
    if (run->has_timeline && lg_timeline_begin(&run->timeline, start_epoch_s, err, err_len) < 0)
        goto fail;
    if (start_threads(config, run->threads, conns, run->start_ns) < 0)
        exit(1); /* threads may be running: nothing to unwind */
    watch(run);
    merge_threads(run, thread_failed);
    if (run->has_timeline && lg_timeline_close(&run->timeline) < 0) {
        fprintf(stderr, "loadgen: --series/--hlog: write error\n");
        run->result->timeline_failed = true;
    }
    lg_interval_free(run->tick);
    return 0;
fail:
    if (run->has_timeline)
        lg_timeline_close(&run->timeline); /* a half-open one too: it was zeroed */
    lg_interval_free(run->tick);
    return -1;
}

/* The summary or --json on stdout, then --csv and --hgrm; 1 if a file could
 * not be written or no request was made, else 0. */
static int report(const struct lg_result *result) {
    const struct lg_config *config = result->config;
    char err[LG_ERR_MAX + 4200];
    int status = 0;

    if (config->json)
        lg_report_json(result);
    else
        lg_report_text(result);
    fflush(stdout);
    if (config->csv_path && lg_report_csv(result, config->csv_path, err, sizeof(err)) < 0) {
        fprintf(stderr, "loadgen: %s\n", err);
        status = 1;
    }
    if (config->hgrm_path && lg_report_hgrm(result, config->hgrm_path, err, sizeof(err)) < 0) {
        fprintf(stderr, "loadgen: %s\n", err);
        status = 1;
    }
    if (result->total.counters.requests == 0) {
        fprintf(stderr, "loadgen: no request could be made to %s%s%s\n", config->url,
                result->last_connect_errno ? ": " : "",
                result->last_connect_errno ? strerror(result->last_connect_errno) : "");
        status = 1;
    }
    return status;
}

int main(int argc, char **argv) {
    struct lg_config config;
    char err[LG_ERR_MAX + 4200];
    int rc = prepare(argc, argv, &config, err, sizeof(err));

    if (rc == 1)
        return 0;
    if (rc < 0)
        return usage_error(err);
    signal(SIGPIPE, SIG_IGN);

    struct run run = {0};
    struct lg_conn *conns = calloc(config.connections, sizeof(*conns));
    run.threads = calloc(config.threads, sizeof(*run.threads));
    run.result = calloc(1, sizeof(*run.result));
    bool thread_failed;
    int status;
    if (!run.threads || !conns || !run.result) {
        status = usage_error("out of memory");
    } else {
        run.result->config = &config;
        if (run_load(&run, conns, &thread_failed, err, sizeof(err)) < 0) {
            status = usage_error(err); /* e.g. an output file that exists */
        } else {
            status = report(run.result);
            if (thread_failed || run.result->timeline_failed)
                status = 1;
        }
        free(run.result->whole.paths);
    }
    free(run.result);
    free(conns);
    free(run.threads);
    lg_config_free(&config);
    return status;
}
