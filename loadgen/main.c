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

static void sleep_until(uint64_t at_ns) {
    struct timespec ts = {(time_t)(at_ns / 1000000000u), (long)(at_ns % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* Once a second: a sample for Req/Sec, and the progress line on a terminal. */
static void watch(struct lg_result *result, struct lg_thread *threads, uint64_t start_ns) {
    const struct lg_config *config = result->config;
    uint64_t end = config->warmup_ns + config->duration_ns;
    bool is_tty = isatty(STDERR_FILENO);
    uint64_t last_count = 0, last_at = 0;

    for (uint64_t at = 1000000000u;; at += 1000000000u) {
        if (at > end)
            at = end;
        sleep_until(start_ns + at);
        uint64_t count = completed_so_far(threads, config->threads);
        double rate = (double)(count - last_count) / ((double)(at - last_at) / 1e9);
        if (last_at >= config->warmup_ns && at - last_at >= 500000000u &&
            result->rps_sample_count < sizeof(result->rps_samples) / sizeof(double))
            result->rps_samples[result->rps_sample_count++] = rate;
        if (is_tty)
            fprintf(stderr, "\r  %5.1fs / %.1fs  %10llu responses  %10.0f req/s%s  ",
                    (double)at / 1e9, (double)end / 1e9, (unsigned long long)count, rate,
                    at < config->warmup_ns ? " (warmup)" : "");
        last_count = count;
        last_at = at;
        if (at >= end)
            break;
    }
    if (is_tty)
        fprintf(stderr, "\r%78s\r", "");
}

/* Everything a run needs before it starts: the command line, outputs that
 * can be written, enough open files, the requests. 1 for --help/--version
 * (done), 0 to run, -1 with err filled. */
static int prepare(int argc, char **argv, struct lg_config *config, char *err, size_t err_len) {
    int rc = lg_parse_args(argc, argv, config, err, err_len);
    if (rc != 0)
        return rc;
    if (check_outputs(config, err, err_len) < 0)
        return -1;
    if (raise_nofile(config->connections + config->threads * 8 + 64, err, err_len) < 0)
        return -1;
    if (lg_format_requests(config) < 0) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

/* Gives each thread its share of the connections and starts it; -1 (said
 * on stderr) when a thread cannot be started. */
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
        if (pthread_create(&thread->id, NULL, lg_thread_run, thread) != 0) {
            fprintf(stderr, "loadgen: cannot start thread %u: %s\n", i, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Joins the threads and merges what each measured into result (per path and
 * in total); the run's CPU time. -1 if out of memory; *thread_failed when a
 * thread reported an error (said on stderr). */
static int merge_threads(struct lg_result *result, struct lg_thread *threads, bool *thread_failed) {
    const struct lg_config *config = result->config;

    lg_stats_init(&result->total);
    result->paths = lg_stats_new(config->path_count);
    if (!result->paths)
        return -1;
    *thread_failed = false;
    for (unsigned i = 0; i < config->threads; i++) {
        struct lg_thread *thread = &threads[i];
        pthread_join(thread->id, NULL);
        if (thread->error[0]) {
            fprintf(stderr, "loadgen: %s\n", thread->error);
            *thread_failed = true;
        }
        if (!thread->stats)
            continue;
        for (unsigned p = 0; p < config->path_count; p++) {
            lg_stats_merge(&result->paths[p], &thread->stats[p]);
            lg_stats_merge(&result->total, &thread->stats[p]);
        }
        lg_counters_add(&result->conn_errors, &thread->conn_errors);
        if (thread->last_connect_errno)
            result->last_connect_errno = thread->last_connect_errno;
        free(thread->stats);
    }
    result->elapsed_s = (double)config->duration_ns / 1e9;
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    result->cpu_s = (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 +
                    (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
    return 0;
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

    struct lg_thread *threads = calloc(config.threads, sizeof(*threads));
    struct lg_conn *conns = calloc(config.connections, sizeof(*conns));
    struct lg_result *result = calloc(1, sizeof(*result));
    if (!threads || !conns || !result)
        return usage_error("out of memory");

    uint64_t start_ns = clock_now_ns();
    if (start_threads(&config, threads, conns, start_ns) < 0)
        return 1;
    result->config = &config;
    watch(result, threads, start_ns);

    bool thread_failed;
    if (merge_threads(result, threads, &thread_failed) < 0)
        return usage_error("out of memory");
    int status = report(result);
    if (thread_failed)
        status = 1;
    free(result->paths);
    free(result);
    free(conns);
    free(threads);
    lg_config_free(&config);
    return status;
}
