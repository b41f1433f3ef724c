/*
 * outputs.h — a run's files: NAME.csv is written as NAME.csv.partial and
 * linked to NAME.csv only when the suite completes; NAME/ holds the .hgrm
 * files and run.log (the children's output). Nothing that exists is ever
 * overwritten; a row is appended whole or not at all.
 */
#ifndef SHOWDOWN_BENCH_OUTPUTS_H
#define SHOWDOWN_BENCH_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>

struct outputs {
    char csv[4096], partial[4200], dir[4096], log[4200];
    char run_id[256];   /* NAME's last component */
    int csv_fd, log_fd; /* -1: closed */
    unsigned rows;      /* appended so far */
};

/* Picks NAME.csv (out, or results/<UTC stamp>-<host>.csv when out is
 * NULL), creates NAME/ and the .partial with the header line, and opens
 * run.log (none if it cannot: the log is best effort). Returns 0, or -1
 * with the reason (naming the file) in err: a name not ending in .csv, or
 * one that exists. */
int outputs_open(struct outputs *o, const char *out, const char *host, char *err, size_t err_len);

/* The .hgrm file of one measurement in folder dir (NAME/):
 * "dir/SCENARIO.MODEL.cCONNS.rREPEAT.hgrm", or with is_uncorrected the
 * one bin/loadgen writes beside it, "….rREPEAT.uncorrected.hgrm". */
void outputs_hgrm_path(const char *dir, const char *scenario, const char *model,
                       unsigned connections, unsigned repeat, bool is_uncorrected, char *out,
                       size_t out_len);

/* Appends printf-style text to run.log; a failed write closes the log. */
void outputs_log(struct outputs *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Returns 0 when NAME/'s file system has room for another measurement
 * (1 MiB), else -1 with the reason in err. */
int outputs_check_room(const struct outputs *o, char *err, size_t err_len);

/* Appends len bytes holding nrows whole rows in one write. Returns 0, or
 * -1 with the reason in err (the rows so far stay in the .partial). */
int outputs_append(struct outputs *o, const char *rows, size_t len, unsigned nrows, char *err,
                   size_t err_len);

/* Closes the .partial and run.log. Returns 0, or -1 with the reason in
 * err when the .partial's close fails (its rows may not all be there). */
int outputs_close(struct outputs *o, char *err, size_t err_len);

/* Links the closed .partial to NAME.csv and removes the .partial. Returns
 * 0, or -1 with the reason in err (the results stay in the .partial). */
int outputs_publish(const struct outputs *o, char *err, size_t err_len);

#endif
