/*
 * report.c — what a run says: the summary in wrk2's shape (so wrk users
 * read it at a glance), --json with the same figures, one --csv row whose
 * columns are the load-generator subset of docs/DESIGN.md's results columns,
 * and --hgrm files in HdrHistogram's text format (values in ms, as wrk2).
 */
#include "../common/columns.h"
#include "../common/csv.h"
#include "loadgen.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const double spectrum[] = {50, 75, 90, 99, 99.9, 99.99, 99.999, 100};

/* Prints value with the largest unit it reaches ("1.23ms", "80.00k",
 * "18.55MB"), as wrk does; units[i] is worth `step` times units[i - 1]. */
static const char *format_scaled(double value, double step, const char *const *units,
                                 unsigned count, char *buf, size_t len) {
    unsigned i = 0;
    while (i + 1 < count && value >= step) {
        value /= step;
        i++;
    }
    snprintf(buf, len, "%.2f%s", value, units[i]);
    return buf;
}

static const char *format_us(double us, char *buf, size_t len) {
    static const char *const units[] = {"us", "ms", "s"};
    return format_scaled(us, 1000, units, 3, buf, len);
}

static const char *format_metric(double value, char *buf, size_t len) {
    static const char *const units[] = {"", "k", "M"};
    return format_scaled(value, 1000, units, 3, buf, len);
}

static const char *format_bytes(double value, char *buf, size_t len) {
    static const char *const units[] = {"B", "KB", "MB", "GB"};
    return format_scaled(value, 1024, units, 4, buf, len);
}

static double rps_of(const struct lg_result *result, uint64_t requests) {
    return result->elapsed_s > 0 ? (double)requests / result->elapsed_s : 0;
}

static uint64_t connect_errors(const struct lg_result *result) {
    return result->conn_errors.err_connect + result->conn_errors.err_addr_unavailable;
}

static void print_spectrum(const struct hist *h, const char *title) {
    char buf[32];
    printf("  %s\n", title);
    for (size_t i = 0; i < sizeof(spectrum) / sizeof(spectrum[0]); i++)
        printf("%7.3f%% %9s\n", spectrum[i],
               format_us((double)hist_value_at_percentile(h, spectrum[i]), buf, sizeof(buf)));
}

static void print_sample_stats(const struct lg_result *result) {
    unsigned n = result->rps_sample_count;
    double sum = 0, sum_sq = 0, max = 0;
    char a[32], b[32], c[32];

    if (n == 0)
        return;
    for (unsigned i = 0; i < n; i++) {
        double v = result->rps_samples[i] / result->config->threads;
        sum += v;
        sum_sq += v * v;
        if (v > max)
            max = v;
    }
    double mean = sum / n, variance = sum_sq / n - mean * mean;
    double stdev = variance > 0 ? sqrt(variance) : 0;
    unsigned within = 0;
    for (unsigned i = 0; i < n; i++) {
        double v = result->rps_samples[i] / result->config->threads;
        within += v >= mean - stdev && v <= mean + stdev;
    }
    printf("    Req/Sec %9s %9s %9s %8.2f%%\n", format_metric(mean, a, sizeof(a)),
           format_metric(stdev, b, sizeof(b)), format_metric(max, c, sizeof(c)),
           100.0 * within / n);
}

static void print_header(const struct lg_config *config) {
    printf("Running %.0fs test @ %s\n", (double)config->duration_ns / 1e9, config->url);
    printf("  %u threads and %u connections", config->threads, config->connections);
    if (config->rate > 0)
        printf(", open loop at %.0f requests/s (latency from when each was due)", config->rate);
    else
        printf(", closed loop");
    if (config->close)
        printf(", a new connection per request");
    printf("\n");
    if (config->warmup_ns > 0)
        printf("  after %.1fs of warmup, not recorded\n", (double)config->warmup_ns / 1e9);
}

/* Thread Stats, then with --latency the spectrum (and wrk2's uncorrected
 * one under -R) and the detailed percentile spectrum. */
static void print_latency(const struct lg_result *result) {
    const struct lg_config *config = result->config;
    const struct hist *latency = &result->total.corrected;
    char a[32], b[32], c[32];

    printf("  Thread Stats   Avg      Stdev     Max   +/- Stdev\n");
    printf("    Latency %9s %9s %9s %8.2f%%\n", format_us(hist_mean(latency), a, sizeof(a)),
           format_us(hist_stddev(latency), b, sizeof(b)),
           format_us((double)hist_max(latency), c, sizeof(c)), hist_within_stddev(latency));
    print_sample_stats(result);
    if (!config->latency)
        return;
    print_spectrum(latency, config->rate > 0
                                ? "Latency Distribution (HdrHistogram - Recorded Latency)"
                                : "Latency Distribution (HdrHistogram)");
    if (config->rate > 0)
        print_spectrum(&result->total.uncorrected,
                       "Uncorrected Latency (measured from the actual send, not the schedule)");
    printf("\n  Detailed Percentile spectrum:\n");
    hist_write_hgrm(latency, stdout, 5, 1000.0);
    printf("----------------------------------------------------------\n");
}

/* One line per --mix path. */
static void print_paths(const struct lg_result *result) {
    const struct lg_config *config = result->config;
    char a[32], b[32], c[32], d[32];

    printf("  %-24s %10s %9s %9s %9s %9s %8s\n", "Path", "Requests", "Avg", "p50", "p99", "Max",
           "Errors");
    for (unsigned i = 0; i < config->path_count; i++) {
        const struct lg_stats *path = &result->paths[i];
        const struct lg_counters *n = &path->counters;
        printf("  %-24s %10llu %9s %9s %9s %9s %8llu\n", config->paths[i].target,
               (unsigned long long)n->requests,
               format_us(hist_mean(&path->corrected), a, sizeof(a)),
               format_us((double)hist_value_at_percentile(&path->corrected, 50), b, sizeof(b)),
               format_us((double)hist_value_at_percentile(&path->corrected, 99), c, sizeof(c)),
               format_us((double)hist_max(&path->corrected), d, sizeof(d)),
               (unsigned long long)(n->err_read + n->err_write + n->err_timeout + n->err_status));
    }
}

/* Totals, the errors that happened, and the rates. */
static void print_totals(const struct lg_result *result) {
    const struct lg_counters *total = &result->total.counters;
    char a[32];

    printf("  %llu requests in %.2fs, %s read\n", (unsigned long long)total->requests,
           result->elapsed_s, format_bytes((double)total->bytes, a, sizeof(a)));
    if (connect_errors(result) || total->err_read || total->err_write || total->err_timeout)
        printf("  Socket errors: connect %llu, read %llu, write %llu, timeout %llu\n",
               (unsigned long long)connect_errors(result), (unsigned long long)total->err_read,
               (unsigned long long)total->err_write, (unsigned long long)total->err_timeout);
    if (result->conn_errors.err_addr_unavailable)
        printf("  %llu connects failed with EADDRNOTAVAIL: the local port range ran out. Use "
               "--source 127.0.0.1-127.0.0.16, fewer connections, or keep-alive.\n",
               (unsigned long long)result->conn_errors.err_addr_unavailable);
    if (total->err_status)
        printf("  Non-2xx or 3xx responses: %llu\n", (unsigned long long)total->err_status);
    if (total->reconnects)
        printf("  Reconnects: %llu\n", (unsigned long long)total->reconnects);
    printf("Requests/sec: %10.2f\n", rps_of(result, total->requests));
    printf("Transfer/sec: %10s\n",
           format_bytes(result->elapsed_s > 0 ? (double)total->bytes / result->elapsed_s : 0, a,
                        sizeof(a)));
}

/* Under -R: why the schedule was not kept, when it was not. */
static void print_behind_schedule(const struct lg_result *result) {
    const struct lg_config *config = result->config;
    const struct lg_counters *total = &result->total.counters;
    double achieved = rps_of(result, total->requests);
    uint64_t late = total->late_busy + total->late_own;

    if (achieved >= config->rate * 0.98 && late * 100 <= total->sent)
        return;
    printf("Behind schedule: requested %.0f requests/s, achieved %.0f; %llu of %llu sent "
           "more than 1 ms late:\n",
           config->rate, achieved, (unsigned long long)late, (unsigned long long)total->sent);
    printf("  %llu while their connection still waited for an earlier answer (server "
           "slower than the schedule, or too few connections: raise -c)\n",
           (unsigned long long)total->late_busy);
    printf("  %llu because bin/loadgen itself sent them late (its CPU saturated, or its "
           "wake-ups slow: raise -t, lower -R, or check the machine)\n",
           (unsigned long long)total->late_own);
}

/* When bin/loadgen's own CPU was near its cores' worth, it may have been the limit. */
static void print_own_cpu(const struct lg_result *result) {
    const struct lg_config *config = result->config;
    unsigned cores = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    unsigned usable = config->threads < cores ? config->threads : cores;
    double total_s = result->elapsed_s + (double)config->warmup_ns / 1e9;

    if (total_s > 0 && result->cpu_s > 0.9 * total_s * usable)
        printf("Note: bin/loadgen used %.0f%% of %u core(s): it may be what limited these "
               "figures.\n",
               100 * result->cpu_s / (total_s * usable), usable);
}

void lg_report_text(const struct lg_result *result) {
    print_header(result->config);
    print_latency(result);
    if (result->config->is_mix)
        print_paths(result);
    print_totals(result);
    if (result->config->rate > 0)
        print_behind_schedule(result);
    print_own_cpu(result);
}

static void json_latency(const char *name, const struct hist *h, const char *suffix) {
    printf("  \"%s\": {\"mean\": %.1f, \"stdev\": %.1f, \"p50\": %llu, \"p75\": %llu, "
           "\"p90\": %llu, \"p99\": %llu, \"p999\": %llu, \"p9999\": %llu, \"max\": %llu}%s\n",
           name, hist_mean(h), hist_stddev(h), (unsigned long long)hist_value_at_percentile(h, 50),
           (unsigned long long)hist_value_at_percentile(h, 75),
           (unsigned long long)hist_value_at_percentile(h, 90),
           (unsigned long long)hist_value_at_percentile(h, 99),
           (unsigned long long)hist_value_at_percentile(h, 99.9),
           (unsigned long long)hist_value_at_percentile(h, 99.99), (unsigned long long)hist_max(h),
           suffix);
}

static void json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", *s);
        else
            putchar(*s);
    }
    putchar('"');
}

static void json_counters(const struct lg_counters *n, uint64_t connect, uint64_t addr) {
    printf("  \"requests\": %llu, \"sent\": %llu, \"bytes\": %llu,\n"
           "  \"errors\": {\"connect\": %llu, \"addr_unavailable\": %llu, \"read\": %llu, "
           "\"write\": %llu, \"timeout\": %llu, \"status\": %llu},\n"
           "  \"reconnects\": %llu, \"late_busy\": %llu, \"late_own\": %llu,\n",
           (unsigned long long)n->requests, (unsigned long long)n->sent,
           (unsigned long long)n->bytes, (unsigned long long)connect, (unsigned long long)addr,
           (unsigned long long)n->err_read, (unsigned long long)n->err_write,
           (unsigned long long)n->err_timeout, (unsigned long long)n->err_status,
           (unsigned long long)n->reconnects, (unsigned long long)n->late_busy,
           (unsigned long long)n->late_own);
}

void lg_report_json(const struct lg_result *result) {
    const struct lg_config *config = result->config;
    const struct lg_counters *total = &result->total.counters;

    printf("{\n  \"url\": ");
    json_string(config->url);
    printf(",\n  \"mode\": \"%s\", \"threads\": %u, \"connections\": %u, \"target_rate\": %.3f,\n"
           "  \"close\": %s, \"duration_s\": %.3f, \"warmup_s\": %.3f, \"loadgen_cpu_s\": %.3f,\n"
           "  \"rps\": %.2f, \"bytes_per_s\": %.2f,\n",
           config->rate > 0 ? "open" : "closed", config->threads, config->connections, config->rate,
           config->close ? "true" : "false", result->elapsed_s, (double)config->warmup_ns / 1e9,
           result->cpu_s, rps_of(result, total->requests), rps_of(result, total->bytes));
    json_counters(total, result->conn_errors.err_connect, result->conn_errors.err_addr_unavailable);
    json_latency("latency_us", &result->total.corrected, ",");
    json_latency("uncorrected_latency_us", &result->total.uncorrected, ",");
    printf("  \"paths\": [\n");
    for (unsigned i = 0; i < config->path_count; i++) {
        const struct lg_stats *path = &result->paths[i];
        printf("  {\"path\": ");
        json_string(config->paths[i].target);
        printf(", \"weight\": %u, \"rps\": %.2f,\n", config->paths[i].weight,
               rps_of(result, path->counters.requests));
        json_counters(&path->counters, 0, 0);
        json_latency("latency_us", &path->corrected, ",");
        json_latency("uncorrected_latency_us", &path->uncorrected, "");
        printf("  }%s\n", i + 1 < config->path_count ? "," : "");
    }
    printf("  ]\n}\n");
}

/* csv_row() writes these columns, in this order. */
static const char *const csv_header = COLUMNS_LOADGEN_HEADER_LINE;

int lg_csv_check(const char *path, char *err, size_t err_len) {
    FILE *in = fopen(path, "r");
    char line[1024];
    if (!in)
        return 0; /* new file: fine */
    if (!fgets(line, sizeof(line), in)) {
        fclose(in);
        return 0; /* empty: the header goes first */
    }
    fclose(in);
    if (strcmp(line, csv_header) != 0) {
        snprintf(err, err_len,
                 "%s:1: not a bin/loadgen CSV (its header differs); choose another --csv file",
                 path);
        return -1;
    }
    return 0;
}

/* One row: the figures of stats (the whole run, or one path of a --mix). */
static size_t csv_row(char *row, size_t cap, const struct lg_result *result, const char *target,
                      const struct lg_stats *stats, uint64_t err_connect) {
    const struct lg_counters *n = &stats->counters;
    const struct hist *h = &stats->corrected;
    size_t len = csv_field(row, cap, target);
    len += (size_t)snprintf(row + len, cap - len,
                            ",%u,%.3f,%.3f,%llu,%.2f,%.2f,%llu,%llu,%llu,%llu,%llu,%.1f,%llu,%llu,%"
                            "llu,%llu,%llu,%.3f\n",
                            result->config->connections, result->config->rate, result->elapsed_s,
                            (unsigned long long)n->requests, rps_of(result, n->requests),
                            rps_of(result, n->bytes), (unsigned long long)err_connect,
                            (unsigned long long)n->err_read, (unsigned long long)n->err_write,
                            (unsigned long long)n->err_timeout, (unsigned long long)n->err_status,
                            hist_mean(h), (unsigned long long)hist_value_at_percentile(h, 50),
                            (unsigned long long)hist_value_at_percentile(h, 90),
                            (unsigned long long)hist_value_at_percentile(h, 99),
                            (unsigned long long)hist_value_at_percentile(h, 99.9),
                            (unsigned long long)hist_max(h), result->cpu_s);
    return len < cap ? len : cap - 1;
}

/* One row for the run; with --mix, then one per path (path = its target),
 * the run's row naming the mix as "P:W,P:W". Connect errors belong to no
 * path: they are in the run's row only. */
int lg_report_csv(const struct lg_result *result, const char *path, char *err, size_t err_len) {
    const struct lg_config *config = result->config;
    static char target[LG_MAX_PATHS * (LG_MAX_TARGET + 16)];
    size_t len = 0, cap = (config->path_count + 1) * (sizeof(target) + 512);

    if (lg_csv_check(path, err, err_len) < 0)
        return -1;
    char *row = malloc(cap);
    int fd = row ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
    if (fd < 0) {
        snprintf(err, err_len, "--csv %s: %s", path, strerror(row ? errno : ENOMEM));
        free(row);
        return -1;
    }
    off_t size = lseek(fd, 0, SEEK_END);
    if (size == 0)
        len += (size_t)snprintf(row, cap, "%s", csv_header);
    if (config->is_mix) {
        size_t t = 0;
        for (unsigned i = 0; i < config->path_count; i++)
            t += (size_t)snprintf(target + t, sizeof(target) - t, "%s%s:%u", i ? "," : "",
                                  config->paths[i].target, config->paths[i].weight);
    } else {
        snprintf(target, sizeof(target), "%s", config->paths[0].target);
    }
    len += csv_row(row + len, cap - len, result, target, &result->total, connect_errors(result));
    for (unsigned i = 0; config->is_mix && i < config->path_count; i++)
        len += csv_row(row + len, cap - len, result, config->paths[i].target, &result->paths[i], 0);
    /* One write with O_APPEND: rows from runs side by side never interleave. */
    ssize_t written = write(fd, row, len);
    int saved = errno;
    close(fd);
    free(row);
    if (written != (ssize_t)len) {
        snprintf(err, err_len, "--csv %s: %s", path, written < 0 ? strerror(saved) : "short write");
        return -1;
    }
    return 0;
}

void lg_hgrm_path_for(const char *base, const char *target, char *out, size_t out_len) {
    char name[128];
    size_t n = 0;
    const char *dot = strrchr(base, '.');
    const char *slash = strrchr(base, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - base) : strlen(base);

    for (const char *p = target + (*target == '/'); *p && n + 1 < sizeof(name); p++)
        name[n++] =
            (char)((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
                       ? *p
                       : '_');
    name[n] = '\0';
    snprintf(out, out_len, "%.*s.%s%s", (int)stem, base, n ? name : "root",
             stem < strlen(base) ? base + stem : ".hgrm");
}

/* Written to FILE.partial, then linked into place: never over an existing file. */
static int write_hgrm_file(const struct hist *h, const char *path, char *err, size_t err_len) {
    char partial[4200];
    snprintf(partial, sizeof(partial), "%s.partial", path);
    FILE *out = fopen(partial, "wx");
    if (!out) {
        snprintf(err, err_len, "--hgrm %s: %s", partial, strerror(errno));
        return -1;
    }
    int rc = hist_write_hgrm(h, out, 5, 1000.0);
    if (fclose(out) != 0)
        rc = -1;
    if (rc == 0 && link(partial, path) < 0) {
        snprintf(err, err_len, "--hgrm %s: %s (the results are in %s)", path, strerror(errno),
                 partial);
        return -1;
    }
    if (rc < 0) {
        snprintf(err, err_len, "--hgrm %s: write error", partial);
        return -1;
    }
    unlink(partial);
    return 0;
}

/* FILE.hgrm (corrected: from when each request was due) and beside it
 * FILE.uncorrected.hgrm (from when it was sent, wrk's figure). */
static int write_hgrm_pair(const struct lg_stats *stats, const char *path, char *err,
                           size_t err_len) {
    char uncorrected[4200];
    lg_hgrm_uncorrected_path(path, uncorrected, sizeof(uncorrected));
    if (write_hgrm_file(&stats->corrected, path, err, err_len) < 0)
        return -1;
    return write_hgrm_file(&stats->uncorrected, uncorrected, err, err_len);
}

int lg_report_hgrm(const struct lg_result *result, const char *path, char *err, size_t err_len) {
    const struct lg_config *config = result->config;
    char per_path[4096];

    if (write_hgrm_pair(&result->total, path, err, err_len) < 0)
        return -1;
    if (!config->is_mix)
        return 0;
    for (unsigned i = 0; i < config->path_count; i++) {
        lg_hgrm_path_for(path, config->paths[i].target, per_path, sizeof(per_path));
        if (write_hgrm_pair(&result->paths[i], per_path, err, err_len) < 0)
            return -1;
    }
    return 0;
}

void lg_hgrm_uncorrected_path(const char *hgrm, char *out, size_t out_len) {
    lg_hgrm_path_for(hgrm, "uncorrected", out, out_len);
}
