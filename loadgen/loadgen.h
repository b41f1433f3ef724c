/*
 * loadgen.h — bin/loadgen's concepts, after wrk's: a config (what the user
 * asked for), threads (one libevent loop each, as wrk runs one loop per
 * thread), connections (a state machine per socket), and stats (HDR
 * histograms and counters per path, per thread, merged at the end).
 *
 * Files: options.c (command line -> struct lg_config), schedule.c (when a
 * request is due), conn.c (the connection state machine and the thread's
 * loop), report.c (summary, --json, --csv, --hgrm), main.c (wiring).
 */
#ifndef SHOWDOWN_LOADGEN_H
#define SHOWDOWN_LOADGEN_H

#include "../common/hist.h"

#include <llhttp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define LG_MAX_PATHS   16
#define LG_MAX_TARGET  2048
#define LG_MAX_HEADERS 4096
#define LG_LATE_NS     1000000ull /* a send more than 1 ms after its due time is late */
#define LG_READ_BUF    65536
#define LG_RETRY_NS    10000000ull /* wait before reconnecting after a failed connect */
#define LG_ERR_MAX     256

/* One path of the request mix, formatted once into the bytes we send. */
struct lg_path {
    char target[LG_MAX_TARGET]; /* "/hello" */
    unsigned weight;
    char *request; /* the whole request, written again and again */
    size_t request_len;
};

struct lg_config {
    const char *url;
    char host[256]; /* as in the URL, for Host: */
    char port[8];
    struct sockaddr_storage address; /* resolved once */
    socklen_t address_len;
    unsigned connections, threads;
    uint64_t duration_ns, warmup_ns, timeout_ns;
    double rate; /* requests/s for the whole run; 0: closed loop */
    bool latency, close, json;
    const char *csv_path, *hgrm_path;
    char headers[LG_MAX_HEADERS]; /* "Name: value\r\n" ... from -H */
    bool has_host_header;
    struct lg_path paths[LG_MAX_PATHS];
    unsigned path_count;
    unsigned total_weight;
    bool is_mix;
    bool is_streams; /* --streams: connection g sends one path, by the weights as counts */
    uint64_t seed;
    struct in_addr source_first; /* --source: first address of the range */
    unsigned source_count;       /* 0: let the kernel pick */
};

/* Parses argv. Returns 0, 1 for --help or --version (printed), or -1 with err naming the flag. */
int lg_parse_args(int argc, char **argv, struct lg_config *config, char *err, size_t err_len);

/* Formats each path's request bytes. Returns 0 or -1 (out of memory). */
int lg_format_requests(struct lg_config *config);
void lg_config_free(struct lg_config *config);
void lg_usage(FILE *out);

/* ---- schedule.c: the open-loop schedule as one formula ---- */

/*
 * When request k of connection g (0-based, of `connections` in all) is due,
 * in ns after the start, for `rate` requests/s over the whole run. The
 * connections take turns, so the run as a whole sends at an even pace:
 * request k of connection g is the (k * connections + g)-th of the run.
 */
uint64_t lg_due_ns(double rate, unsigned connections, unsigned g, uint64_t k);

/* How many of `total` items part `index` of `parts` gets: the remainder is
 * spread over the first parts. */
unsigned lg_share(unsigned total, unsigned parts, unsigned index);

/* ---- stats ---- */

struct lg_counters {
    uint64_t requests; /* complete responses in the measured window */
    uint64_t bytes;    /* bytes read in the measured window */
    uint64_t err_connect, err_read, err_write, err_timeout, err_status;
    uint64_t err_addr_unavailable; /* connect() said EADDRNOTAVAIL: local ports ran out */
    uint64_t reconnects;
    uint64_t sent;      /* requests written in the window */
    uint64_t late_busy; /* sent late: their connection was still waiting for an answer */
    uint64_t late_own;  /* sent late: the generator itself was behind */
};

struct lg_stats {
    struct hist corrected;   /* from the due time (= send time in closed loop) */
    struct hist uncorrected; /* from the actual send */
    struct lg_counters counters;
};

void lg_counters_add(struct lg_counters *dst, const struct lg_counters *src);
void lg_stats_init(struct lg_stats *stats);
void lg_stats_merge(struct lg_stats *dst, const struct lg_stats *src);
/* count stats, each initialised (one per path); the caller frees the array.
 * NULL if out of memory. */
struct lg_stats *lg_stats_new(unsigned count);

/* ---- conn.c: connections and threads ---- */

enum lg_conn_state {
    LG_CLOSED,     /* no socket; a request is scheduled or a retry is waiting */
    LG_CONNECTING, /* connect() in progress, a request waits to be sent */
    LG_WAITING,    /* connected, the next request is not due yet */
    LG_WRITING,    /* the request is partly written */
    LG_READING,    /* the request is written, its answer not complete */
};

struct lg_thread;
struct event;
struct event_base;

struct lg_conn {
    struct lg_thread *thread;
    int fd;
    unsigned g; /* index among all connections of the run */
    enum lg_conn_state state;
    struct event *read_event, *write_event, *timer_event;
    llhttp_t parser;
    bool is_done;      /* the parser reached the end of a response */
    bool is_connected; /* the socket has been connected once: the next is a reconnect */
    uint64_t k;        /* requests this connection has written */
    uint64_t due_ns;   /* the current request's due time (since the run's start) */
    uint64_t sent_ns;  /* when its first byte was written */
    uint64_t free_ns;  /* when the connection last became free to send */
    size_t written;    /* bytes of the current request written */
    unsigned path;     /* index of the current request's path */
};

struct lg_thread {
    pthread_t id;
    unsigned index;
    const struct lg_config *config;
    struct event_base *base;
    struct event *stop_event, *sweep_event;
    struct lg_conn *conns;
    unsigned conn_count;
    uint64_t start_ns;       /* absolute CLOCK_MONOTONIC of the run's start */
    uint64_t record_from_ns; /* after the warmup, relative to start */
    uint64_t end_ns;         /* relative to start */
    uint64_t rng;
    struct lg_stats *stats;         /* one per path */
    struct lg_counters conn_errors; /* errors that belong to no path (connect) */
    int last_connect_errno;
    atomic_uint_fast64_t completed; /* every complete response, for the progress line */
    char error[LG_ERR_MAX];
    char buf[LG_READ_BUF];
};

/* Sets up a thread's loop and connections; runs it until the end. */
void *lg_thread_run(void *arg);

/* ---- report.c ---- */

struct lg_result {
    const struct lg_config *config;
    struct lg_stats total;
    struct lg_stats *paths; /* config->path_count of them */
    struct lg_counters conn_errors;
    double elapsed_s; /* the measured window */
    double cpu_s;     /* user + system CPU of bin/loadgen */
    int last_connect_errno;
    double rps_samples[3600]; /* completed/s, one per second of the window, for Req/Sec */
    unsigned rps_sample_count;
};

void lg_report_text(const struct lg_result *result);
void lg_report_json(const struct lg_result *result);
/* Before a run: an existing --csv file must have our header. 0 or -1 with err. */
int lg_csv_check(const char *path, char *err, size_t err_len);
/* Append one CSV row (header first when the file is new). 0 or -1 with err. */
int lg_report_csv(const struct lg_result *result, const char *path, char *err, size_t err_len);
/* Write the .hgrm files, corrected and uncorrected (lg_hgrm_uncorrected_path),
 * for the whole stream and for each --mix path. 0 or -1 with err. */
int lg_report_hgrm(const struct lg_result *result, const char *path, char *err, size_t err_len);
/* The file a --mix path's histogram goes to: "out.hgrm" -> "out.hello.hgrm". */
void lg_hgrm_path_for(const char *base, const char *target, char *out, size_t out_len);
/* Where the uncorrected histogram of "out.hgrm" goes: "out.uncorrected.hgrm". */
void lg_hgrm_uncorrected_path(const char *hgrm, char *out, size_t out_len);

#endif
