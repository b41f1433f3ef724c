/*
 * outputs.c — a run's files: the results CSV (via .partial), the folder
 * for .hgrm files, run.log.
 */
#include "outputs.h"
#include "results.h"

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
    snprintf(o->dir, sizeof(o->dir), "%.*s", (int)(n - 4), o->csv);
    snprintf(o->log, sizeof(o->log), "%s/run.log", o->dir);
    const char *base = strrchr(o->dir, '/');
    snprintf(o->run_id, sizeof(o->run_id), "%.255s", base ? base + 1 : o->dir);
    return 0;
}

int outputs_open(struct outputs *o, const char *out, const char *host, char *err, size_t err_len) {
    o->csv_fd = o->log_fd = -1;
    o->rows = 0;
    if (pick_names(o, out, host, err, err_len) < 0)
        return -1;
    if (access(o->csv, F_OK) == 0)
        return snprintf(err, err_len,
                        "%s exists; results are never overwritten (choose another --out)", o->csv),
               -1;
    if (!out)
        mkdir("results", 0755);
    if (mkdir(o->dir, 0755) < 0)
        return snprintf(err, err_len, "%s: %s%s", o->dir, strerror(errno),
                        errno == EEXIST ? " (results are never overwritten; choose another --out)"
                                        : ""),
               -1;
    o->csv_fd = open(o->partial, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (o->csv_fd < 0) {
        snprintf(err, err_len, "%s: %s", o->partial, strerror(errno));
        rmdir(o->dir);
        return -1;
    }
    char header[1100];
    int len = snprintf(header, sizeof(header), "%s\n", res_header());
    if (write(o->csv_fd, header, (size_t)len) != len)
        return snprintf(err, err_len, "%s: %s", o->partial, strerror(errno)), -1;
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

int outputs_close(struct outputs *o, char *err, size_t err_len) {
    int rc = 0;
    if (o->csv_fd >= 0 && close(o->csv_fd) < 0) {
        snprintf(err, err_len, "%s: %s", o->partial, strerror(errno));
        rc = -1;
    }
    if (o->log_fd >= 0)
        close(o->log_fd);
    o->csv_fd = o->log_fd = -1;
    return rc;
}

int outputs_publish(const struct outputs *o, char *err, size_t err_len) {
    if (link(o->partial, o->csv) < 0)
        return snprintf(err, err_len, "%s: %s; the results are in %s", o->csv, strerror(errno),
                        o->partial),
               -1;
    unlink(o->partial);
    return 0;
}

void outputs_hgrm_path(const char *dir, const char *scenario, const char *model,
                       unsigned connections, unsigned repeat, bool is_uncorrected, char *out,
                       size_t out_len) {
    snprintf(out, out_len, "%s/%s.%s.c%u.r%u%s.hgrm", dir, scenario, model, connections, repeat,
             is_uncorrected ? ".uncorrected" : "");
}
