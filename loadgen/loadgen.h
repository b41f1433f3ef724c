/*
 * loadgen.h — bin/loadgen's concepts, after wrk's: a config (what the user
 * asked for), threads (one libevent loop each, as wrk runs one loop per
 * thread), connections (a state machine per socket), and stats (HDR
 * histograms and counters per path, per thread, merged at the end).
 *
 * Files: options.c (command line -> struct lg_config), schedule.c (when a
 * request is due: -R, its stages, the slice of --segment), segment.c (which
 * slice: --segment or a launcher's environment), conn.c (the connection
 * state machine and the thread's loop), interval.c (what the threads
 * measured, taken from them each interval), timeline.c (--series and
 * --hlog, one row or line per interval), report.c (summary, --json,
 * --csv, --hgrm), main.c (wiring).
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

#define LG_MAX_PATHS     16
#define LG_MAX_TARGET    2048
#define LG_MAX_HEADERS   4096
#define LG_LATE_NS       1000000ull /* a send more than 1 ms after its due time is late */
#define LG_READ_BUF      65536
#define LG_RETRY_NS      10000000ull /* wait before reconnecting after a failed connect */
#define LG_ERR_MAX       256
#define LG_MAX_STAGES    32
#define LG_START_LATE_NS 1000000000ull /* --start-at may be this far in the past */

/* One path of the request mix, formatted once into the bytes we send. */
struct lg_path {
    char target[LG_MAX_TARGET]; /* "/hello" */
    unsigned weight;
    char *request; /* the whole request, written again and again */
    size_t request_len;
};

/* One stage of -R (k6's stages): "RATE@DUR" a step, "~RATE@DUR" a ramp. */
struct lg_stage {
    double rate;          /* requests/s (at the end of a ramp) */
    uint64_t duration_ns; /* 0: until the end of the run (the last stage only) */
    bool is_ramp;         /* linear from the previous stage's rate (0 for the first) */
};

/* The open-loop rate over time, counted from the start of the run (the
 * warm-up included); past the last stage its rate holds. */
struct lg_schedule {
    struct lg_stage stages[LG_MAX_STAGES];
    unsigned count; /* 0: closed loop */
};

struct lg_config {
    const char *url;
    char host[256]; /* as in the URL, for Host: */
    char port[8];
    struct sockaddr_storage address; /* resolved once */
    socklen_t address_len;
    unsigned connections, threads; /* this loadgen's: its slice's share of -c */
    unsigned total_connections;    /* -c as given, for all slices */
    uint64_t duration_ns, warmup_ns, timeout_ns;
    bool has_duration; /* -d was given (else the stages' length) */
    struct lg_schedule schedule;
    const char *rate_spec;      /* -R as given */
    double rate;                /* mean requests/s of the whole schedule (all slices) over the
                                   measured window; 0: closed loop */
    unsigned segment, segments; /* this is slice `segment` (0-based) of `segments` */
    char segment_from[64];      /* "--segment", "OMPI_COMM_WORLD_RANK", ...; "" when 1 slice */
    double start_at;            /* --start-at, seconds since the epoch; 0: now */
    bool latency, close, json;
    const char *csv_path, *hgrm_path, *hlog_path, *series_path;
    uint64_t hlog_interval_ns;    /* --hlog-interval (default 1 s) */
    uint64_t tick_ns;             /* how often interval.c takes the threads' figures */
    char expanded_paths[4][1024]; /* the output paths with {segment} expanded */
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

/* When the n-th request of the whole run (0-based, every slice counted) is
 * due, in ns after the start: when ∫ rate dt reaches n. UINT64_MAX: never
 * (the rate fell to 0 for good). */
uint64_t lg_due_ns(const struct lg_schedule *schedule, uint64_t n);

/* How many requests have come due t_ns after the start (∫ rate dt, not rounded). */
double lg_due_count(const struct lg_schedule *schedule, uint64_t t_ns);

/*
 * Which request of the whole run is the k-th of connection g (0-based, of
 * `connections` in this slice) in slice `segment` of `segments`: the
 * slice's connections take turns, request j of the slice being the run's
 * (j * segments + segment)-th, so the run as a whole sends at an even pace
 * and the slices together send every request exactly once.
 */
uint64_t lg_request_index(unsigned segment, unsigned segments, unsigned connections, unsigned g,
                          uint64_t k);

/* The stages' total length; 0 when the last one has no duration. */
uint64_t lg_schedule_length_ns(const struct lg_schedule *schedule);

/* Parses -R: "RATE" (for the whole run) or stages "RATE@DUR,~RATE@DUR,...",
 * the last one's @DUR optional. 0, or -1 with err "-R: column C: reason". */
int lg_schedule_parse(const char *spec, struct lg_schedule *out, char *err, size_t err_len);

/* How many of `total` items part `index` of `parts` gets: the remainder is
 * spread over the first parts. */
unsigned lg_share(unsigned total, unsigned parts, unsigned index);

/* ---- segment.c: which slice of the run this loadgen sends ---- */

/*
 * Sets config->segment/segments from --segment "I/N" (spec, may be NULL),
 * else from the launcher's environment (Open MPI's OMPI_COMM_WORLD_RANK and
 * _SIZE, MPICH's PMI_RANK and PMI_SIZE, or JOB_COMPLETION_INDEX with
 * --segments, `segments` here, 0 when not given), then gives the slice its
 * share of -c. 0, or -1 with err naming the flag or variable.
 */
int lg_segment_resolve(struct lg_config *config, const char *spec, unsigned segments, char *err,
                       size_t err_len);

/* Replaces "{segment}" in the --csv, --hgrm, --hlog and --series paths by
 * the slice's index, so that the N processes one launcher starts with one
 * command line write N files. 0, or -1 with err naming the flag. */
int lg_segment_paths(struct lg_config *config, char *err, size_t err_len);

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
    uint64_t unsent;    /* open loop: fell due in the window, never sent before its end;
                           recorded at (end - due). (Timeouts, err_timeout, are recorded
                           at the time they were given up.) */
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

/* ---- interval.c: what the threads measured, one interval at a time ---- */

/* Everything a thread measures, for one interval (or the whole run). */
struct lg_interval {
    struct lg_stats *paths;         /* one per path */
    struct lg_counters conn_errors; /* errors that belong to no path (connect) */
};

struct lg_thread;

/* An empty interval for path_count paths; NULL if out of memory. */
struct lg_interval *lg_interval_new(unsigned path_count);
void lg_interval_free(struct lg_interval *interval);
/* Adds src into dst (per path) and into total (all paths) when not NULL. */
void lg_interval_merge(struct lg_interval *dst, const struct lg_interval *src, unsigned path_count,
                       struct lg_stats *total);
void lg_interval_reset(struct lg_interval *interval, unsigned path_count);

/*
 * Takes what each thread measured since the last take: swaps its current
 * interval (under its lock) for an empty one, adds it into into and
 * resets it to be the next spare. After the threads have ended it takes
 * their last figures without contention. Called by the main thread only.
 */
void lg_interval_take(struct lg_thread *threads, unsigned count, struct lg_interval *into,
                      unsigned path_count);

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
    /* What the thread measures goes into `now`, which the main thread swaps
     * for `spare` each interval (lg_interval_take). The loop holds `lock`
     * for each of its callbacks, the main thread for the swap only. */
    pthread_mutex_t lock;
    struct lg_interval *now, *spare;
    int last_connect_errno;
    atomic_uint_fast64_t completed; /* every complete response, for the progress line */
    char error[LG_ERR_MAX];
    char buf[LG_READ_BUF];
};

/* Sets up a thread's loop and connections; runs it until the end. */
void *lg_thread_run(void *arg);

/* ---- timeline.c: --series and --hlog as the run goes ---- */

struct lg_timeline {
    const struct lg_config *config;
    FILE *series, *hlog;
    struct lg_interval *pending; /* --hlog: the ticks of the line being gathered */
    uint64_t pending_from_ns;    /* when it began, after the run's start */
    struct lg_stats *row;        /* scratch: a tick's paths together */
};

/* Creates the --series and --hlog files (never over an existing one).
 * 0, or -1 with err naming the flag and file. */
int lg_timeline_open(struct lg_timeline *tl, const struct lg_config *config, char *err,
                     size_t err_len);
/* Their headers; the run started at start_epoch_s (seconds since the epoch). */
int lg_timeline_begin(struct lg_timeline *tl, double start_epoch_s, char *err, size_t err_len);
/* One tick's figures, from_ns..to_ns after the run's start: a --series row,
 * and --hlog lines once an --hlog-interval is gathered (or is_last). 0 or -1. */
int lg_timeline_add(struct lg_timeline *tl, const struct lg_interval *tick, uint64_t from_ns,
                    uint64_t to_ns, bool is_last, char *err, size_t err_len);
/* Closes the files. 0, or -1 on a write error. */
int lg_timeline_close(struct lg_timeline *tl);

/* ---- report.c ---- */

struct lg_result {
    const struct lg_config *config;
    struct lg_stats total;
    struct lg_interval whole; /* per path (config->path_count), and the connect errors */
    double elapsed_s;         /* the measured window */
    double cpu_s;             /* user + system CPU of bin/loadgen */
    int last_connect_errno;
    bool timeline_failed;     /* --series or --hlog could not be written */
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
