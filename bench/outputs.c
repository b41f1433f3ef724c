/*
 * outputs.c — a run's files: the results CSV and its time series (each via
 * .partial), the folder for .hgrm files, run.log.
 */
#include "outputs.h"
#include "results.h"
#include "series.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define MIN_FREE_BYTES (1u << 20) /* below this, stop before a write fails half-way */

/* NAME.csv, its .partial, NAME/, NAME/run.log and the run id, from out
 * (or a name made of the time and host). */
static int pick_names(struct outputs *o, const char *out, const char *host, char *err,
                      size_t err_len) {
    char stamp[64];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    if (out)
        snprintf(o->csv, sizeof(o->csv), "%s", out);
    else
        snprintf(o->csv, sizeof(o->csv), "results/%s-%s.csv", stamp, host);
    size_t n = strlen(o->csv);
    if (n < 5 || strcmp(o->csv + n - 4, ".csv") != 0)
        return snprintf(err, err_len, "--out %s: the name must end in .csv", o->csv), -1;
    snprintf(o->partial, sizeof(o->partial), "%s.partial", o->csv);
    series_path_for(o->csv, o->series, sizeof(o->series));
    snprintf(o->series_partial, sizeof(o->series_partial), "%s.partial", o->series);
    snprintf(o->dir, sizeof(o->dir), "%.*s", (int)(n - 4), o->csv);
    snprintf(o->log, sizeof(o->log), "%s/run.log", o->dir);
    const char *base = strrchr(o->dir, '/');
    snprintf(o->run_id, sizeof(o->run_id), "%.255s", base ? base + 1 : o->dir);
    return 0;
}

/* Creates path (never an existing one) with the header line; returns its
 * descriptor, or -1 with the reason in err. */
static int open_partial(const char *path, const char *header, char *err, size_t err_len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return snprintf(err, err_len, "%s: %s", path, strerror(errno)), -1;
    char line[1100];
    int len = snprintf(line, sizeof(line), "%s\n", header);
    if (write(fd, line, (size_t)len) != len) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int outputs_open(struct outputs *o, const char *out, const char *host, char *err, size_t err_len) {
    o->csv_fd = o->log_fd = o->series_fd = -1;
    o->rows = 0;
    if (pick_names(o, out, host, err, err_len) < 0)
        return -1;
    const char *const finals[] = {o->csv, o->series};
    for (unsigned i = 0; i < 2; i++)
        if (access(finals[i], F_OK) == 0)
            return snprintf(err, err_len,
                            "%s exists; results are never overwritten (choose another --out)",
                            finals[i]),
                   -1;
    if (!out)
        mkdir("results", 0755);
    if (mkdir(o->dir, 0755) < 0)
        return snprintf(err, err_len, "%s: %s%s", o->dir, strerror(errno),
                        errno == EEXIST ? " (results are never overwritten; choose another --out)"
                                        : ""),
               -1;
    o->csv_fd = open_partial(o->partial, res_header(), err, err_len);
    if (o->csv_fd < 0) {
        rmdir(o->dir);
        return -1;
    }
    o->series_fd = open_partial(o->series_partial, SERIES_HEADER, err, err_len);
    if (o->series_fd < 0)
        return -1;
    o->log_fd = open(o->log, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    return 0;
}

void outputs_log(struct outputs *o, const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (o->log_fd >= 0 && n > 0 &&
        write(o->log_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0)
        o->log_fd = -1;
}

int outputs_check_room(const struct outputs *o, char *err, size_t err_len) {
    struct statvfs fs;
    if (statvfs(o->dir, &fs) < 0 || (double)fs.f_bavail * (double)fs.f_frsize >= MIN_FREE_BYTES)
        return 0;
    snprintf(err, err_len,
             "%s: less than 1 MiB free on its file system; stopping before a write fails", o->dir);
    return -1;
}

int outputs_append(struct outputs *o, const char *rows, size_t len, unsigned nrows, char *err,
                   size_t err_len) {
    /* One write with O_APPEND: a row is in the file whole or not at all. */
    if (write(o->csv_fd, rows, len) != (ssize_t)len)
        return snprintf(err, err_len, "%s: %s; the rows so far are kept there", o->partial,
                        strerror(errno)),
               -1;
    o->rows += nrows;
    return 0;
}

int outputs_append_series(struct outputs *o, const char *rows, size_t len, char *err,
                          size_t err_len) {
    if (write(o->series_fd, rows, len) != (ssize_t)len)
        return snprintf(err, err_len, "%s: %s; the rows so far are kept there", o->series_partial,
                        strerror(errno)),
               -1;
    return 0;
}

int outputs_close(struct outputs *o, char *err, size_t err_len) {
    int rc = 0;
    const int fds[] = {o->csv_fd, o->series_fd};
    const char *const names[] = {o->partial, o->series_partial};
    for (unsigned i = 0; i < 2; i++)
        if (fds[i] >= 0 && close(fds[i]) < 0) {
            snprintf(err, err_len, "%s: %s", names[i], strerror(errno));
            rc = -1;
        }
    if (o->log_fd >= 0)
        close(o->log_fd);
    o->csv_fd = o->log_fd = o->series_fd = -1;
    return rc;
}

int outputs_publish(const struct outputs *o, char *err, size_t err_len) {
    const char *const partials[] = {o->partial, o->series_partial};
    const char *const finals[] = {o->csv, o->series};
    for (unsigned i = 0; i < 2; i++) {
        if (link(partials[i], finals[i]) < 0)
            return snprintf(err, err_len, "%s: %s; the results are in %s", finals[i],
                            strerror(errno), partials[i]),
                   -1;
        unlink(partials[i]);
    }
    return 0;
}

void outputs_hgrm_path(const char *dir, const char *scenario, const char *model,
                       unsigned connections, unsigned repeat, bool is_uncorrected, char *out,
                       size_t out_len) {
    snprintf(out, out_len, "%s/%s.%s.c%u.r%u%s.hgrm", dir, scenario, model, connections, repeat,
             is_uncorrected ? ".uncorrected" : "");
}
