/*
 * measure.c — one measurement: start the server, drive it with bin/loadgen
 * while watching it, stop it, read bin/loadgen's CSV and seconds into
 * result rows and time-series rows. bin/loadgen's own files (hidden in
 * NAME/) are removed once read.
 */
#define _GNU_SOURCE
#include "measure.h"
#include "launch.h"
#include "proc.h"
#include "progress.h"
#include "rows.h"
#include "series.h"
#include "warnings.h"
#include "watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STOP_GRACE_S 5.0 /* SIGTERM, then SIGKILL to the group */
/* watch.c samples every 50 ms, for at most warm-up + duration + its 30 s
 * slack; a few more for the samples at the window's ends. */
#define SAMPLES_PER_S 20
#define SAMPLES_SLACK (30 * SAMPLES_PER_S + 64)

/* Why the run stops, on stderr, the progress line cleared first. */
static void say_stop(const struct runner *r, const char *why) {
    progress_clear(r);
    fprintf(stderr, "bench: %s\n", why);
}

void measure_started_at(char *out, size_t cap) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void measure_work_file(const struct runner *r, const struct measurement *m, const char *kind,
                       char *out, size_t cap) {
    snprintf(out, cap, "%s/.%s.%s.c%u.r%u.%s", r->out.dir, m->sc->name, m->model->name,
             m->connections, m->repeat, kind);
}

/* Reads bin/loadgen's --series file into got->seconds (none, said on
 * stderr, when it is missing or malformed: the result rows are kept). */
static void read_seconds(const struct runner *r, const char *file, struct measured *got) {
    char why[512];
    if (series_read_loadgen(file, &got->seconds, why, sizeof(why)) < 0) {
        progress_clear(r);
        fprintf(stderr, "bench: %s; this measurement has no time series\n", why);
        memset(&got->seconds, 0, sizeof(got->seconds));
    }
    unlink(file);
}

/* Whether bin/loadgen exited 0; says why not on stderr. */
static bool is_loadgen_fine(const struct runner *r, const struct measurement *m, int status) {
    if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    progress_clear(r);
    fprintf(stderr, "bench: %s: model %s c=%u: bin/loadgen failed (exit %d; see %s)\n", m->sc->name,
            m->model->name, m->connections,
            status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1, r->out.log);
    return false;
}

int measure_run(struct runner *r, const struct measurement *m, struct measured *got) {
    char why[256] = "", lg_csv[4400], lg_series[4400], hgrm[4400];
    unsigned port = 0;
    memset(got, 0, sizeof(*got));
    if (outputs_check_room(&r->out, why, sizeof(why)) < 0)
        return say_stop(r, why), -1;
    measure_started_at(got->started_at, sizeof(got->started_at));
    outputs_hgrm_path(r->out.dir, m->sc->name, m->model->name, m->connections, m->repeat, false,
                      hgrm, sizeof(hgrm));
    measure_work_file(r, m, "loadgen.csv", lg_csv, sizeof(lg_csv));
    measure_work_file(r, m, "series.csv", lg_series, sizeof(lg_series));
    got->log.cap =
        (unsigned)((m->set->warmup_us + m->set->duration_us) / 1000000 + 1) * SAMPLES_PER_S +
        SAMPLES_SLACK;
    got->log.at = calloc(got->log.cap, sizeof(got->log.at[0]));
    if (!got->log.at)
        return say_stop(r, "out of memory"), -1;

    double launched_s = proc_now_s();
    pid_t server = launch_server(r, m, &port, why, sizeof(why));
    double ready_s = proc_now_s();
    if (server < 0) {
        progress_clear(r);
        fprintf(stderr, "bench: %s: model %s: the server %s; skipped\n", m->sc->name,
                m->model->name, why);
        measure_free(got);
        return proc_stop_signal ? -1 : 1;
    }
    pid_t loadgen = launch_loadgen(r, m, port, lg_csv, hgrm, lg_series);
    int status = loadgen > 0 ? watch_server(loadgen, server, m->set->warmup_us, m->set->duration_us,
                                            &got->usage, &got->log)
                             : -1;
    got->usage.start_s = ready_s - launched_s;
    proc_stop_group(server, STOP_GRACE_S);
    if (proc_stop_signal || !is_loadgen_fine(r, m, status)) {
        unlink(lg_csv);
        unlink(lg_series);
        measure_free(got);
        return proc_stop_signal ? -1 : 1;
    }
    if (csv_read(lg_csv, NULL, &got->lg, why, sizeof(why)) < 0 || got->lg.nrows == 0 ||
        csv_column(&got->lg, res_columns[RC_RPS].name) < 0) {
        progress_clear(r);
        fprintf(stderr, "bench: %s: bin/loadgen wrote no result (%s)\n", lg_csv, why);
        unlink(lg_series);
        measure_free(got);
        return 1;
    }
    unlink(lg_csv);
    read_seconds(r, lg_series, got);
    return 0;
}

void measure_free(struct measured *got) {
    csv_table_free(&got->lg);
    csv_table_free(&got->seconds);
    free(got->log.at);
    memset(got, 0, sizeof(*got));
}

/* Appends the measurement's seconds to NAME.series.csv and says in drift
 * (cap bytes) whether its window drifted. Returns 0, or -1 with the reason
 * in err. */
static int append_seconds(struct runner *r, const struct measurement *m, const struct measured *got,
                          char *drift, size_t cap, char *err, size_t err_len) {
    struct series_key key = {r->out.run_id, m->sc->name, m->model->name, m->connections, m->repeat};
    struct series_drifts drifts;
    char *text = NULL;
    size_t len = 0;
    drift[0] = '\0';
    if (got->seconds.nrows == 0)
        return 0;
    if (series_format_rows(&key, &got->seconds, &got->log, (double)m->set->duration_us / 1e6, &text,
                           &len, &drifts) < 0)
        return snprintf(err, err_len, "out of memory"), -1;
    series_drift_text(&drifts, drift, cap);
    int rc = outputs_append_series(&r->out, text, len, err, err_len);
    free(text);
    return rc;
}

int measure_once(struct runner *r, const struct measurement *m) {
    struct measured got;
    char why[8600], drift[128];
    int rc = measure_run(r, m, &got);
    if (rc != 0)
        return rc;
    rc = rows_append(r, m, got.started_at, &got.lg, &got.usage, why, sizeof(why));
    if (rc == 0)
        rc = append_seconds(r, m, &got, drift, sizeof(drift), why, sizeof(why));
    if (rc == 0) {
        progress_summary(r, m, &got.lg, &got.usage, drift);
        warn_after_measurement(r, m, &got.lg);
    } else
        say_stop(r, why);
    measure_free(&got);
    return rc < 0 ? -1 : 0;
}
