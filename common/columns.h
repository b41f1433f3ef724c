/*
 * columns.h — the results CSV's columns, in order (docs/DESIGN.md, "Results"):
 * the one list that bin/loadgen's --csv header and bin/bench's results
 * CSV are both expanded from. A new column is one line here (and the code
 * that computes its value).
 *
 * Each row is X(ID, name, source, type):
 *   ID      bench's enum name, RC_ID (results.h)
 *   name    the column's name in the header
 *   source  RUN      bin/bench fills it (the run, the measurement, /proc);
 *           LOADGEN  bin/loadgen writes it and bin/bench copies it;
 *           ASKED    bin/loadgen writes it, bin/bench writes what it asked
 *                    bin/loadgen for (the same figure)
 *   type    TEXT, NUMBER, or ERRORS (a number: one class of failed
 *           requests; the metric "errors" is their sum)
 *
 * bin/loadgen's CSV is the LOADGEN and ASKED columns, in this order.
 * A new column goes at the end, so that a reader of the older columns
 * finds them where they were (server_start_s: the claims' start-up time).
 */
#ifndef SHOWDOWN_COLUMNS_H
#define SHOWDOWN_COLUMNS_H

#define RESULT_COLUMNS(X)                                                                          \
    X(RUN_ID, run_id, RUN, TEXT)                                                                   \
    X(STARTED_AT, started_at, RUN, TEXT)                                                           \
    X(GIT_REV, git_rev, RUN, TEXT)                                                                 \
    X(HOST, host, RUN, TEXT)                                                                       \
    X(CPU_MODEL, cpu_model, RUN, TEXT)                                                             \
    X(CORES, cores, RUN, NUMBER)                                                                   \
    X(SCENARIO, scenario, RUN, TEXT)                                                               \
    X(MODEL, model, RUN, TEXT)                                                                     \
    X(ENGINE, engine, RUN, TEXT)                                                                   \
    X(PROCESSES, processes, RUN, NUMBER)                                                           \
    X(THREADS, threads, RUN, NUMBER)                                                               \
    X(GIL, gil, RUN, NUMBER)                                                                       \
    X(PATH, path, LOADGEN, TEXT)                                                                   \
    X(CONNECTIONS, connections, ASKED, NUMBER)                                                     \
    X(TARGET_RATE, target_rate, LOADGEN, NUMBER)                                                   \
    X(DURATION_S, duration_s, LOADGEN, NUMBER)                                                     \
    X(REPEAT, repeat, RUN, NUMBER)                                                                 \
    X(REQUESTS, requests, LOADGEN, NUMBER)                                                         \
    X(RPS, rps, LOADGEN, NUMBER)                                                                   \
    X(BYTES_PER_S, bytes_per_s, LOADGEN, NUMBER)                                                   \
    X(ERR_CONNECT, err_connect, LOADGEN, ERRORS)                                                   \
    X(ERR_READ, err_read, LOADGEN, ERRORS)                                                         \
    X(ERR_WRITE, err_write, LOADGEN, ERRORS)                                                       \
    X(ERR_TIMEOUT, err_timeout, LOADGEN, ERRORS)                                                   \
    X(ERR_STATUS, err_status, LOADGEN, ERRORS)                                                     \
    X(LAT_MEAN_US, lat_mean_us, LOADGEN, NUMBER)                                                   \
    X(LAT_P50_US, lat_p50_us, LOADGEN, NUMBER)                                                     \
    X(LAT_P90_US, lat_p90_us, LOADGEN, NUMBER)                                                     \
    X(LAT_P99_US, lat_p99_us, LOADGEN, NUMBER)                                                     \
    X(LAT_P999_US, lat_p999_us, LOADGEN, NUMBER)                                                   \
    X(LAT_MAX_US, lat_max_us, LOADGEN, NUMBER)                                                     \
    X(SERVER_CPU_USER_S, server_cpu_user_s, RUN, NUMBER)                                           \
    X(SERVER_CPU_SYS_S, server_cpu_sys_s, RUN, NUMBER)                                             \
    X(SERVER_RSS_MAX_KB, server_rss_max_kb, RUN, NUMBER)                                           \
    X(SERVER_THREADS_MAX, server_threads_max, RUN, NUMBER)                                         \
    X(LOADGEN_CPU_S, loadgen_cpu_s, LOADGEN, NUMBER)                                               \
    X(SERVER_CPUS, server_cpus, RUN, TEXT)                                                         \
    X(LOADGEN_CPUS, loadgen_cpus, RUN, TEXT)                                                       \
    X(SERVER_START_S, server_start_s, RUN, NUMBER)                                                 \
    X(RUNTIME_COST_US, runtime_cost_us, RUN, NUMBER)

enum column_source { COLUMN_RUN, COLUMN_LOADGEN, COLUMN_ASKED };
enum column_type { COLUMN_TEXT, COLUMN_NUMBER, COLUMN_ERRORS };

/* "run_id,...,loadgen_cpus", every column, without a line end: as one
 * string constant, each column expanding to ",name" and the + 1 skipping
 * the first comma. */
#define COLUMN_NAME_(ID, name, source, type) "," #name
#define COLUMNS_HEADER                       (RESULT_COLUMNS(COLUMN_NAME_) + 1)

/* "path,...,loadgen_cpu_s\n": bin/loadgen's header line, its columns only. */
#define COLUMN_LOADGEN_NAME_(ID, name, source, type) COLUMN_LOADGEN_NAME_##source(name)
#define COLUMN_LOADGEN_NAME_RUN(name)
#define COLUMN_LOADGEN_NAME_LOADGEN(name) "," #name
#define COLUMN_LOADGEN_NAME_ASKED(name)   "," #name
#define COLUMNS_LOADGEN_HEADER_LINE       (RESULT_COLUMNS(COLUMN_LOADGEN_NAME_) "\n" + 1)

#endif
