/*
 * measure.c — one measurement: start the server, drive it with bin/loadgen
 * while watching it, stop it, read bin/loadgen's CSV into result rows.
 * bin/loadgen's own CSV (a hidden file in NAME/) is removed once read.
 */
#define _GNU_SOURCE
#include "measure.h"
#include "launch.h"
#include "proc.h"
#include "progress.h"
#include "rows.h"
#include "warnings.h"
#include "watch.h"

#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STOP_GRACE_S 5.0 /* SIGTERM, then SIGKILL to the group */

/* Why the run stops, on stderr, the progress line cleared first. */
static void say_stop(const struct runner *r, const char *why) {
    progress_clear(r);
    fprintf(stderr, "bench: %s\n", why);
}

int measure_once(struct runner *r, const struct measurement *m) {
    char why[256] = "", lg_csv[4400], hgrm[4400], started_at[32];
    unsigned port = 0;
    if (outputs_check_room(&r->out, why, sizeof(why)) < 0)
        return say_stop(r, why), -1;
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(started_at, sizeof(started_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
    outputs_hgrm_path(r->out.dir, m->sc->name, m->model->name, m->connections, m->repeat, false,
                      hgrm, sizeof(hgrm));
    snprintf(lg_csv, sizeof(lg_csv), "%s/.%s.%s.c%u.r%u.loadgen.csv", r->out.dir, m->sc->name,
             m->model->name, m->connections, m->repeat);

    double launched_s = proc_now_s();
    pid_t server = launch_server(r, m, &port, why, sizeof(why));
    double ready_s = proc_now_s();
    if (server < 0) {
        progress_clear(r);
        fprintf(stderr, "bench: %s: model %s: the server %s; skipped\n", m->sc->name,
                m->model->name, why);
        return proc_stop_signal ? -1 : 1;
    }
    pid_t loadgen = launch_loadgen(r, m, port, lg_csv, hgrm);
    struct server_usage usage;
    int status = loadgen > 0
                     ? watch_server(loadgen, server, m->set->warmup_us, m->set->duration_us, &usage)
                     : -1;
    usage.start_s = ready_s - launched_s;
    proc_stop_group(server, STOP_GRACE_S);
    if (proc_stop_signal)
        return -1;
    if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        progress_clear(r);
        fprintf(stderr, "bench: %s: model %s c=%u: bin/loadgen failed (exit %d; see %s)\n",
                m->sc->name, m->model->name, m->connections,
                status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1, r->out.log);
        unlink(lg_csv);
        return 1;
    }
    struct csv_table lg;
    if (csv_read(lg_csv, NULL, &lg, why, sizeof(why)) < 0 || lg.nrows == 0 ||
        csv_column(&lg, res_columns[RC_RPS].name) < 0) {
        progress_clear(r);
        fprintf(stderr, "bench: %s: bin/loadgen wrote no result (%s)\n", lg_csv, why);
        return 1;
    }
    unlink(lg_csv);
    int rc = rows_append(r, m, started_at, &lg, &usage, why, sizeof(why));
    if (rc == 0) {
        progress_summary(r, m, &lg, &usage);
        warn_after_measurement(r, m, &lg);
    } else
        say_stop(r, why);
    csv_table_free(&lg);
    return rc < 0 ? -1 : 0;
}
